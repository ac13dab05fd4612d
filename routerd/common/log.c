// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "common/log.h"

static const char *const level_names[] = {
	[RD_LOG_ERR] = "error", [RD_LOG_WARN] = "warning",
	[RD_LOG_INFO] = "info", [RD_LOG_DEBUG] = "debug",
};

static bool log_to_stderr = true;
static enum rd_log_level log_level = RD_LOG_INFO;

void rd_log_init(bool to_stderr, enum rd_log_level level)
{
	log_to_stderr = to_stderr;
	log_level = level;
	if (!to_stderr)
		openlog("routerd", LOG_PID, LOG_DAEMON);
}

void rd_log_set_level(enum rd_log_level level)
{
	log_level = level;
}

int rd_log_level_parse(const char *name, enum rd_log_level *out)
{
	for (unsigned i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcmp(name, level_names[i])) {
			*out = i;
			return 0;
		}
	}
	if (!strcmp(name, "warn")) {
		*out = RD_LOG_WARN;
		return 0;
	}
	return -1;
}

const char *rd_log_level_name(enum rd_log_level level)
{
	return level_names[level];
}

void rd_log(enum rd_log_level level, const char *fmt, ...)
{
	static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	if (log_to_stderr) {
		fprintf(stderr, "routerd: %s%s", level <= RD_LOG_WARN ? level_names[level] : "",
			level <= RD_LOG_WARN ? ": " : "");
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	} else {
		vsyslog(syslog_prio[level], fmt, ap);
	}
	va_end(ap);
}

int rd_errorf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}
