/* SPDX-License-Identifier: GPL-2.0 */
/* Logging: owns where messages go (stderr in the foreground, syslog as a
 * daemon) and the level filter. */
#ifndef RD_LOG_H
#define RD_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum rd_log_level { RD_LOG_ERR, RD_LOG_WARN, RD_LOG_INFO, RD_LOG_DEBUG };

void rd_log_init(bool to_stderr, enum rd_log_level level);
void rd_log_set_level(enum rd_log_level level);
int rd_log_level_parse(const char *name, enum rd_log_level *out);
const char *rd_log_level_name(enum rd_log_level level);
void rd_log(enum rd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Formats an error message for the caller to report; returns -1 so that
 * `return rd_errorf(err, errlen, ...);` ends a failing function. */
int rd_errorf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define rd_err(...) rd_log(RD_LOG_ERR, __VA_ARGS__)
#define rd_warn(...) rd_log(RD_LOG_WARN, __VA_ARGS__)
#define rd_info(...) rd_log(RD_LOG_INFO, __VA_ARGS__)
#define rd_debug(...) rd_log(RD_LOG_DEBUG, __VA_ARGS__)

#endif
