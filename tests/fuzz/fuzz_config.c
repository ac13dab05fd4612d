// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_config: the config file parser (routerd/common/config.c) under ASan/UBSan.
 *
 * Each input is a whole config file. Checked on every run:
 *   - rd_config_parse_file() on it (through a memfd, so getline() and the
 *     NUL-byte check run as for a real file) agrees with feeding its lines
 *     one by one to rd_config_parse_line(): same verdict, same result;
 *   - a failure comes with a message "PATH:LINE: ..." naming a line that
 *     exists, NUL-terminated and within the buffer;
 *   - a success yields a sane config (names 1..IFNAMSIZ-1 bytes without '/'
 *     or blanks, no duplicates, known modes, paths NUL-terminated), and
 *     writing that config out as text and parsing it again gives back
 *     exactly the same config (a round trip);
 *   - rd_config_parse_fixups() on the first line: on success,
 *     rd_fixups_format() of the result parses back to the same fix-ups.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <routerd/maps.h>
#include "common/config.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char memfd_path[64];

#define FAIL(...)                                                                  \
	do {                                                                       \
		fprintf(stderr, "\nfuzz_config: INVARIANT BROKEN: " __VA_ARGS__); \
		fputc('\n', stderr);                                               \
		abort();                                                           \
	} while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	memfd = memfd_create("fuzz_config", MFD_CLOEXEC);
	if (memfd < 0) {
		perror("memfd_create");
		exit(1);
	}
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	rd_log_init(true, RD_LOG_ERR);
	return 0;
}

static void check_err(const char *err, size_t errlen)
{
	if (!memchr(err, '\0', errlen))
		FAIL("error message not NUL-terminated");
	if (!err[0])
		FAIL("failure without a message");
}

static void check_sane(const struct rd_config *cfg)
{
	if (cfg->n_ifaces > RD_MAX_CONFIG_IFACES)
		FAIL("%zu interfaces", cfg->n_ifaces);
	if (!memchr(cfg->socket_path, '\0', sizeof(cfg->socket_path)) || !cfg->socket_path[0])
		FAIL("socket path");
	if (!memchr(cfg->pin_dir, '\0', sizeof(cfg->pin_dir)) || !cfg->pin_dir[0])
		FAIL("pin dir");
	if (!memchr(cfg->socket_group, '\0', sizeof(cfg->socket_group)))
		FAIL("socket group");
	if (cfg->log_level > RD_LOG_DEBUG)
		FAIL("log level %d", cfg->log_level);
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		const struct rd_iface_config *c = &cfg->ifaces[i];
		size_t len = strnlen(c->name, sizeof(c->name));

		if (!len || len >= IFNAMSIZ || strpbrk(c->name, "/ \t\n#"))
			FAIL("interface name '%.*s'", (int)len, c->name);
		if (c->mode != RD_MODE_AUTO && c->mode != RD_MODE_NATIVE &&
		    c->mode != RD_MODE_GENERIC)
			FAIL("mode %d", c->mode);
		if (c->fixups.bits & ~(RD_FIXUP_IPV4_IN_IPV6 | RD_FIXUP_IPV6_IN_IPV4 |
				       RD_FIXUP_MSS_CLAMP))
			FAIL("fix-up bits %#x", c->fixups.bits);
		if ((c->fixups.bits & RD_FIXUP_MSS_CLAMP) && c->fixups.mss_clamp < 536)
			FAIL("mss clamp %u", c->fixups.mss_clamp);
		if (c->match == RD_MATCH_BRIDGE ? strpbrk(c->name, "*?[") != NULL
		    : (c->match == RD_MATCH_PATTERN) != (strpbrk(c->name, "*?[") != NULL))
			FAIL("%s '%s' of the wrong kind", rd_match_name(c->match), c->name);
		/* a bridge and an interface may share a name; two of a kind may not */
		for (size_t k = 0; k < i; k++)
			if (!strcmp(cfg->ifaces[k].name, c->name) &&
			    (cfg->ifaces[k].match == RD_MATCH_BRIDGE) == (c->match == RD_MATCH_BRIDGE))
				FAIL("%s %s twice", rd_match_name(c->match), c->name);
	}
}

/* The config as the file format spells it. */
static size_t format_config(const struct rd_config *cfg, char *out, size_t cap)
{
	char fixups[128];
	size_t len = 0;

	len += snprintf(out + len, cap - len, "socket %s\npin-dir %s\nlog-level %s\n",
			cfg->socket_path, cfg->pin_dir, rd_log_level_name(cfg->log_level));
	if (cfg->socket_group[0])
		len += snprintf(out + len, cap - len, "socket-group %s\n", cfg->socket_group);
	for (size_t i = 0; i < cfg->n_ifaces && len < cap; i++) {
		rd_fixups_format(&cfg->ifaces[i].fixups, fixups, sizeof(fixups));
		len += snprintf(out + len, cap - len, "%s %s mode %s fixups %s\n",
				cfg->ifaces[i].match == RD_MATCH_BRIDGE ? "bridge" : "interface",
				cfg->ifaces[i].name, rd_mode_name(cfg->ifaces[i].mode), fixups);
	}
	if (len >= cap)
		FAIL("formatted config does not fit");
	return len;
}

static int parse_text(struct rd_config *cfg, const char *text, size_t len, char *err,
		      size_t errlen)
{
	if (ftruncate(memfd, 0) || pwrite(memfd, text, len, 0) != (ssize_t)len) {
		perror("memfd");
		exit(1);
	}
	rd_config_init(cfg);
	return rd_config_parse_file(cfg, memfd_path, err, errlen);
}

/* Member by member: struct assignments may leave padding bytes different. */
static bool cfg_equal(const struct rd_config *a, const struct rd_config *b)
{
	if (strcmp(a->socket_path, b->socket_path) || strcmp(a->pin_dir, b->pin_dir) ||
	    strcmp(a->socket_group, b->socket_group) || a->log_level != b->log_level ||
	    a->n_ifaces != b->n_ifaces)
		return false;
	for (size_t i = 0; i < a->n_ifaces; i++) {
		const struct rd_iface_config *x = &a->ifaces[i], *y = &b->ifaces[i];

		if (strcmp(x->name, y->name) || x->mode != y->mode ||
		    x->fixups.bits != y->fixups.bits || x->fixups.mss_clamp != y->fixups.mss_clamp)
			return false;
	}
	return true;
}

static struct rd_config by_file, by_lines, again;
static char text_buf[1 << 20];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], err2[512], line[1 << 16];
	size_t lineno = 0, pos = 0, failed_line = 0;
	int rc_file, rc_lines = 0;
	bool has_nul = false;

	if (size > sizeof(line) - 1)
		return -1;
	memset(err, 0xa5, sizeof(err));
	rc_file = parse_text(&by_file, (const char *)data, size, err, sizeof(err));

	/* the same lines, one by one */
	rd_config_init(&by_lines);
	while (pos < size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;

		lineno++;
		memcpy(line, data + pos, len);
		line[len] = '\0';
		pos += len + (nl ? 1 : 0);
		if (memchr(line, '\0', len)) {
			has_nul = true;
			rc_lines = -1;
			failed_line = lineno;
			break;
		}
		memset(err2, 0xa5, sizeof(err2));
		if (rd_config_parse_line(&by_lines, line, err2, sizeof(err2))) {
			check_err(err2, sizeof(err2));
			rc_lines = -1;
			failed_line = lineno;
			break;
		}
	}

	if (rc_file != rc_lines)
		FAIL("parse_file says %d, line by line %d (line %zu%s)", rc_file, rc_lines,
		     failed_line, has_nul ? ", NUL byte" : "");
	if (rc_file) {
		char want[96];

		check_err(err, sizeof(err));
		snprintf(want, sizeof(want), "%s:%zu: ", memfd_path, failed_line);
		if (strncmp(err, want, strlen(want)))
			FAIL("error '%s' does not start with '%s'", err, want);
		return 0;
	}
	if (!cfg_equal(&by_file, &by_lines))
		FAIL("parse_file and parse_line disagree on the result");
	check_sane(&by_file);

	/* round trip */
	{
		size_t len = format_config(&by_file, text_buf, sizeof(text_buf));

		if (parse_text(&again, text_buf, len, err, sizeof(err)))
			FAIL("the config written back does not parse: %s\n%s", err, text_buf);
		if (!cfg_equal(&by_file, &again))
			FAIL("round trip changed the config:\n%s", text_buf);
	}

	/* fix-up lists */
	{
		const uint8_t *nl = memchr(data, '\n', size);
		size_t len = nl ? (size_t)(nl - data) : size;
		struct rd_fixups a, b;
		char fmt[256];

		memcpy(line, data, len);
		line[len] = '\0';
		if (!rd_config_parse_fixups(line, &a, err, sizeof(err))) {
			rd_fixups_format(&a, fmt, sizeof(fmt));
			if (rd_config_parse_fixups(fmt, &b, err, sizeof(err)))
				FAIL("fix-ups '%s' formatted as '%s', which does not parse: %s", line,
				     fmt, err);
			if (a.bits != b.bits || (a.bits & RD_FIXUP_MSS_CLAMP && a.mss_clamp != b.mss_clamp))
				FAIL("fix-ups '%s' -> '%s' changed", line, fmt);
		} else {
			check_err(err, sizeof(err));
		}
	}
	return 0;
}
