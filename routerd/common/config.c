// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <routerd/maps.h>

#include "common/config.h"
#include "common/log.h"

#define MAX_LINE 1024
#define MAX_WORDS 16

static const struct {
	const char *name;
	uint32_t bit;
} fixup_names[] = {
	{ "ipv4-in-ipv6", RD_FIXUP_IPV4_IN_IPV6 },
	{ "ipv6-in-ipv4", RD_FIXUP_IPV6_IN_IPV4 },
};
#define N_FIXUPS (sizeof(fixup_names) / sizeof(fixup_names[0]))
#define RD_FIXUPS_ON (RD_FIXUP_IPV4_IN_IPV6 | RD_FIXUP_IPV6_IN_IPV4)

void rd_config_init(struct rd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->socket_path, sizeof(cfg->socket_path), "%s", RD_DEFAULT_SOCKET);
	snprintf(cfg->pin_dir, sizeof(cfg->pin_dir), "%s", RD_DEFAULT_PIN_DIR);
	cfg->log_level = RD_LOG_INFO;
	cfg->route_cache = true;
}

const char *rd_mode_name(enum rd_xdp_mode mode)
{
	switch (mode) {
	case RD_MODE_NATIVE: return "native";
	case RD_MODE_GENERIC: return "generic";
	default: return "auto";
	}
}

static int parse_mode(const char *s, enum rd_xdp_mode *mode, char *err, size_t errlen)
{
	if (!strcmp(s, "auto"))
		*mode = RD_MODE_AUTO;
	else if (!strcmp(s, "native"))
		*mode = RD_MODE_NATIVE;
	else if (!strcmp(s, "generic"))
		*mode = RD_MODE_GENERIC;
	else
		return rd_errorf(err, errlen, "unknown mode '%s' (expected native, generic or auto)", s);
	return 0;
}

#define MSS_MIN 536 /* RFC 879 default; nothing smaller is sane to clamp to */

static int parse_mss_clamp(const char *value, struct rd_fixups *out, char *err, size_t errlen)
{
	char *end;
	long mss;

	if (!strcmp(value, "auto")) {
		out->mss_clamp = RD_MSS_CLAMP_AUTO;
		return 0;
	}
	errno = 0;
	mss = strtol(value, &end, 10);
	if (errno || end == value || *end || mss < MSS_MIN || mss >= RD_MSS_CLAMP_AUTO)
		return rd_errorf(err, errlen, "mss-clamp: '%s' is not auto or an MSS from %d to %d",
				 value, MSS_MIN, RD_MSS_CLAMP_AUTO - 1);
	out->mss_clamp = mss;
	return 0;
}

int rd_config_parse_fixups(const char *list, struct rd_fixups *out, char *err, size_t errlen)
{
	char copy[MAX_LINE], *save = NULL, *name;

	*out = (struct rd_fixups){ 0 };
	if (!strcmp(list, "off"))
		return 0;
	if (!strcmp(list, "on")) {
		out->bits = RD_FIXUPS_ON;
		return 0;
	}
	if (snprintf(copy, sizeof(copy), "%s", list) >= (int)sizeof(copy))
		return rd_errorf(err, errlen, "fix-up list too long");
	for (name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		size_t i;

		if (!strncmp(name, "mss-clamp=", 10)) {
			if (parse_mss_clamp(name + 10, out, err, errlen))
				return -1;
			out->bits |= RD_FIXUP_MSS_CLAMP;
			continue;
		}
		for (i = 0; i < N_FIXUPS; i++)
			if (!strcmp(name, fixup_names[i].name))
				break;
		if (i == N_FIXUPS)
			return rd_errorf(err, errlen,
					 "unknown fix-up '%s' (known: ipv4-in-ipv6, ipv6-in-ipv4, "
					 "mss-clamp=N|auto; or on, off)",
					 name);
		out->bits |= fixup_names[i].bit;
	}
	if (!out->bits)
		return rd_errorf(err, errlen, "empty fix-up list");
	return 0;
}

void rd_fixups_format(const struct rd_fixups *fixups, char *out, size_t outlen)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < N_FIXUPS; i++)
		if (fixups->bits & fixup_names[i].bit)
			len += snprintf(out + len, len < outlen ? outlen - len : 0, "%s%s",
					len ? "," : "", fixup_names[i].name);
	if (fixups->bits & RD_FIXUP_MSS_CLAMP) {
		if (fixups->mss_clamp == RD_MSS_CLAMP_AUTO)
			len += snprintf(out + len, len < outlen ? outlen - len : 0,
					"%smss-clamp=auto", len ? "," : "");
		else
			len += snprintf(out + len, len < outlen ? outlen - len : 0,
					"%smss-clamp=%u", len ? "," : "", fixups->mss_clamp);
	}
	if (!len)
		snprintf(out, outlen, "off");
}

const char *rd_match_name(enum rd_iface_match match)
{
	switch (match) {
	case RD_MATCH_PATTERN: return "pattern";
	case RD_MATCH_BRIDGE: return "bridge";
	default: return "configured";
	}
}

static bool is_glob(const char *name)
{
	return strpbrk(name, "*?[") != NULL;
}

static int add_entry(struct rd_config *cfg, const char *name, enum rd_iface_match match,
		     enum rd_xdp_mode mode, const struct rd_fixups *fixups, char *err,
		     size_t errlen)
{
	const char *what = match == RD_MATCH_BRIDGE ? "bridge" : "interface";
	struct rd_iface_config *ifc;

	if (!*name || strlen(name) >= IFNAMSIZ || strchr(name, '/') || strchr(name, ' '))
		return rd_errorf(err, errlen, "invalid %s name '%s'", what, name);
	if (match == RD_MATCH_BRIDGE && is_glob(name))
		return rd_errorf(err, errlen, "invalid bridge name '%s' (a bridge is named, not "
				 "matched)", name);
	for (size_t i = 0; i < cfg->n_ifaces; i++)
		if (!strcmp(cfg->ifaces[i].name, name) &&
		    (cfg->ifaces[i].match == RD_MATCH_BRIDGE) == (match == RD_MATCH_BRIDGE))
			return rd_errorf(err, errlen, "%s '%s' listed twice", what, name);
	if (cfg->n_ifaces == RD_MAX_CONFIG_IFACES)
		return rd_errorf(err, errlen, "too many interface and bridge lines (at most %d)",
				 RD_MAX_CONFIG_IFACES);
	ifc = &cfg->ifaces[cfg->n_ifaces++];
	snprintf(ifc->name, sizeof(ifc->name), "%s", name);
	ifc->match = match;
	ifc->mode = mode;
	ifc->fixups = *fixups;
	return 0;
}

int rd_config_add_iface(struct rd_config *cfg, const char *name, enum rd_xdp_mode mode,
			const struct rd_fixups *fixups, char *err, size_t errlen)
{
	return add_entry(cfg, name, is_glob(name) ? RD_MATCH_PATTERN : RD_MATCH_NAME, mode,
			 fixups, err, errlen);
}

int rd_config_add_bridge(struct rd_config *cfg, const char *name, enum rd_xdp_mode mode,
			 const struct rd_fixups *fixups, char *err, size_t errlen)
{
	return add_entry(cfg, name, RD_MATCH_BRIDGE, mode, fixups, err, errlen);
}

int rd_config_set_path(char *dst, size_t dstlen, const char *what, const char *path,
		       char *err, size_t errlen)
{
	if (!*path)
		return rd_errorf(err, errlen, "%s: empty path", what);
	if (strlen(path) >= dstlen)
		return rd_errorf(err, errlen, "%s: path too long (at most %zu bytes): %s", what,
				 dstlen - 1, path);
	snprintf(dst, dstlen, "%s", path);
	return 0;
}

static int split_words(char *line, char **words, size_t *n, char *err, size_t errlen)
{
	char *p = line;

	*n = 0;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			return 0;
		if (*n == MAX_WORDS)
			return rd_errorf(err, errlen, "too many words on the line");
		words[(*n)++] = p;
		while (*p && !isspace((unsigned char)*p) && *p != '#')
			p++;
		if (*p == '#') {
			*p = '\0';
			return 0;
		}
		if (*p)
			*p++ = '\0';
	}
}

static int parse_interface(struct rd_config *cfg, char **w, size_t n, char *err, size_t errlen)
{
	enum rd_xdp_mode mode = RD_MODE_AUTO;
	struct rd_fixups fixups = { 0 };
	bool seen_mode = false, seen_fixups = false, seen_tc = false, tc_bypass = false;

	if (n < 2)
		return rd_errorf(err, errlen, "'%s' needs a name", w[0]);
	for (size_t i = 2; i < n; i += 2) {
		if (i + 1 >= n)
			return rd_errorf(err, errlen, "'%s' needs a value", w[i]);
		if (!strcmp(w[i], "mode") && !seen_mode) {
			seen_mode = true;
			if (parse_mode(w[i + 1], &mode, err, errlen))
				return -1;
		} else if (!strcmp(w[i], "fixups") && !seen_fixups) {
			seen_fixups = true;
			if (rd_config_parse_fixups(w[i + 1], &fixups, err, errlen))
				return -1;
		} else if (!strcmp(w[i], "tc") && !seen_tc) {
			seen_tc = true;
			if (strcmp(w[i + 1], "hold") && strcmp(w[i + 1], "bypass"))
				return rd_errorf(err, errlen, "tc: expected hold or bypass, not '%s'",
						 w[i + 1]);
			tc_bypass = !strcmp(w[i + 1], "bypass");
		} else if (!strcmp(w[i], "mode") || !strcmp(w[i], "fixups") || !strcmp(w[i], "tc")) {
			return rd_errorf(err, errlen, "'%s' given twice", w[i]);
		} else {
			return rd_errorf(err, errlen,
					 "unknown interface option '%s' (expected mode, fixups or tc)",
					 w[i]);
		}
	}
	if (!strcmp(w[0], "bridge")) {
		if (rd_config_add_bridge(cfg, w[1], mode, &fixups, err, errlen))
			return -1;
	} else if (rd_config_add_iface(cfg, w[1], mode, &fixups, err, errlen)) {
		return -1;
	}
	cfg->ifaces[cfg->n_ifaces - 1].tc_bypass = tc_bypass;
	return 0;
}

static int parse_netfilter(const char *s, enum rd_nf_mode *mode, char *err, size_t errlen)
{
	if (!strcmp(s, "auto"))
		*mode = RD_NF_AUTO;
	else if (!strcmp(s, "off"))
		*mode = RD_NF_OFF;
	else if (!strcmp(s, "offload"))
		*mode = RD_NF_OFFLOAD;
	else
		return rd_errorf(err, errlen, "netfilter: expected auto, offload or off, not '%s'",
				 s);
	return 0;
}

const char *rd_nf_mode_name(enum rd_nf_mode mode)
{
	return mode == RD_NF_OFF ? "off" : mode == RD_NF_OFFLOAD ? "offload" : "auto";
}

static int parse_single_value(char **w, size_t n, char *err, size_t errlen)
{
	if (n != 2)
		return rd_errorf(err, errlen, "'%s' takes exactly one value", w[0]);
	return 0;
}

int rd_config_parse_line(struct rd_config *cfg, const char *line, char *err, size_t errlen)
{
	char copy[MAX_LINE], *w[MAX_WORDS];
	size_t n;

	if (snprintf(copy, sizeof(copy), "%s", line) >= (int)sizeof(copy))
		return rd_errorf(err, errlen, "line too long (at most %d bytes)", MAX_LINE - 1);
	if (split_words(copy, w, &n, err, errlen))
		return -1;
	if (!n)
		return 0;
	if (!strcmp(w[0], "interface") || !strcmp(w[0], "bridge"))
		return parse_interface(cfg, w, n, err, errlen);
	if (!strcmp(w[0], "socket"))
		return parse_single_value(w, n, err, errlen) ?:
		       rd_config_set_path(cfg->socket_path, sizeof(cfg->socket_path), "socket",
					  w[1], err, errlen);
	if (!strcmp(w[0], "socket-group"))
		return parse_single_value(w, n, err, errlen) ?:
		       rd_config_set_path(cfg->socket_group, sizeof(cfg->socket_group),
					  "socket-group", w[1], err, errlen);
	if (!strcmp(w[0], "pin-dir"))
		return parse_single_value(w, n, err, errlen) ?:
		       rd_config_set_path(cfg->pin_dir, sizeof(cfg->pin_dir), "pin-dir", w[1],
					  err, errlen);
	if (!strcmp(w[0], "log-level")) {
		if (parse_single_value(w, n, err, errlen))
			return -1;
		if (rd_log_level_parse(w[1], &cfg->log_level))
			return rd_errorf(err, errlen,
					 "unknown log level '%s' (expected error, warning, info or debug)",
					 w[1]);
		return 0;
	}
	if (!strcmp(w[0], "netfilter"))
		return parse_single_value(w, n, err, errlen) ?:
		       parse_netfilter(w[1], &cfg->netfilter, err, errlen);
	if (!strcmp(w[0], "route-cache")) {
		if (parse_single_value(w, n, err, errlen))
			return -1;
		if (strcmp(w[1], "on") && strcmp(w[1], "off"))
			return rd_errorf(err, errlen, "route-cache: expected on or off, not '%s'", w[1]);
		cfg->route_cache = !strcmp(w[1], "on");
		return 0;
	}
	return rd_errorf(err, errlen,
			 "unknown keyword '%s' (expected interface, bridge, socket, socket-group, pin-dir, "
			 "log-level, route-cache or netfilter)", w[0]);
}

/* Reads one line of at most MAX_LINE - 1 bytes into buf (without the
 * newline), never buffering more: 1 a line, 0 end of file, -1 error with
 * the reason in err. A longer line is refused as soon as it is seen. */
static int read_line(FILE *f, char *buf, char *err, size_t errlen)
{
	size_t len = 0;
	int c;

	while ((c = getc(f)) != EOF && c != '\n') {
		if (c == '\0')
			return rd_errorf(err, errlen, "line contains a NUL byte");
		if (len == MAX_LINE - 1)
			return rd_errorf(err, errlen, "line too long (at most %d bytes)",
					 MAX_LINE - 1);
		buf[len++] = c;
	}
	buf[len] = '\0';
	if (c == EOF && ferror(f))
		return rd_errorf(err, errlen, "read error");
	return c == EOF && !len ? 0 : 1;
}

int rd_config_parse_file(struct rd_config *cfg, const char *path, char *err, size_t errlen)
{
	char line[MAX_LINE], msg[512];
	unsigned lineno = 0;
	FILE *f = fopen(path, "re");
	int rc = 0, got;

	if (!f)
		return rd_errorf(err, errlen, "%s: %s", path, strerror(errno));
	while (!rc && (got = read_line(f, line, msg, sizeof(msg))) != 0) {
		lineno++;
		if (got < 0 || rd_config_parse_line(cfg, line, msg, sizeof(msg)))
			rc = rd_errorf(err, errlen, "%s:%u: %s", path, lineno, msg);
	}
	fclose(f);
	return rc;
}
