/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Configuration: owns the parsed form of the command line and the config
 * file, and nothing else. Parsing never touches the system, so
 * `routerd --check-config` and the unit tests use exactly this code.
 *
 * File format (line based, '#' starts a comment):
 *   interface NAME [mode native|generic|auto] [fixups on|off|LIST] [tc hold|bypass]
 *   interface PATTERN ...  (a glob, e.g. vnet*: present and future names)
 *   bridge NAME ...        (every port of bridge NAME, present and future)
 *   socket PATH
 *   socket-group GROUP   (members may use the read-only verbs)
 *   pin-dir PATH
 *   log-level error|warning|info|debug
 *   route-cache on|off   (the fast path's per-CPU route cache; default on)
 *   netfilter auto|offload|off   (docs/firewall.md; default auto)
 */
#ifndef RD_CONFIG_H
#define RD_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"

#define RD_DEFAULT_SOCKET "/run/routerd/routerd.sock"
#define RD_DEFAULT_PIN_DIR "/sys/fs/bpf/routerd"
#define RD_DEFAULT_CONFIG "/etc/routerd/routerd.conf"
#define RD_MAX_CONFIG_IFACES 256
#define RD_SOCKET_PATH_MAX 108 /* sizeof(sun_path) */

enum rd_xdp_mode { RD_MODE_AUTO, RD_MODE_NATIVE, RD_MODE_GENERIC };

/* What the fast path does about the netfilter ruleset (routerd/netfilter/netfilter.h). */
enum rd_nf_mode {
	RD_NF_AUTO,    /* traffic the ruleset could touch goes to the kernel */
	RD_NF_OFF,     /* XDP bypasses netfilter (the behaviour before 0.2) */
	RD_NF_OFFLOAD, /* as auto, plus established conntrack flows the ruleset
			* accepted forwarded in XDP (routerd/netfilter/offload.h) */
};

struct rd_fixups {
	uint32_t bits;      /* RD_FIXUP_* from include/routerd/maps.h */
	uint16_t mss_clamp; /* with RD_FIXUP_MSS_CLAMP: MSS or RD_MSS_CLAMP_AUTO */
};

/* What an interface line selects. */
enum rd_iface_match {
	RD_MATCH_NAME,    /* interface NAME: that interface */
	RD_MATCH_PATTERN, /* interface PATTERN: every name fnmatch() takes */
	RD_MATCH_BRIDGE,  /* bridge NAME: every port of that bridge */
};

struct rd_iface_config {
	char name[IFNAMSIZ]; /* the interface, pattern or bridge */
	enum rd_iface_match match;
	enum rd_xdp_mode mode;
	struct rd_fixups fixups;
	bool tc_bypass;     /* `tc bypass`: XDP may bypass this port's qdisc
			     * and tc filters (routerd/daemon/tc.h) */
};

struct rd_config {
	char socket_path[RD_SOCKET_PATH_MAX];
	char socket_group[64];  /* empty: root only */
	char pin_dir[PATH_MAX];
	enum rd_log_level log_level;
	bool route_cache;
	enum rd_nf_mode netfilter;
	size_t n_ifaces;
	struct rd_iface_config ifaces[RD_MAX_CONFIG_IFACES];
};

void rd_config_init(struct rd_config *cfg);

/* Each returns 0, or -1 with a message in err (the file variants prefix it
 * with "FILE:LINE: "). */
int rd_config_parse_line(struct rd_config *cfg, const char *line,
			 char *err, size_t errlen);
int rd_config_parse_file(struct rd_config *cfg, const char *path,
			 char *err, size_t errlen);
/* NAME with a glob character (*?[) is a pattern. */
int rd_config_add_iface(struct rd_config *cfg, const char *name,
			enum rd_xdp_mode mode, const struct rd_fixups *fixups,
			char *err, size_t errlen);
int rd_config_add_bridge(struct rd_config *cfg, const char *name,
			 enum rd_xdp_mode mode, const struct rd_fixups *fixups,
			 char *err, size_t errlen);
/* "on", "off" or a comma-separated list such as ipv4-in-ipv6,mss-clamp=1400 */
int rd_config_parse_fixups(const char *list, struct rd_fixups *out,
			   char *err, size_t errlen);
int rd_config_set_path(char *dst, size_t dstlen, const char *what,
		       const char *path, char *err, size_t errlen);

const char *rd_mode_name(enum rd_xdp_mode mode);
const char *rd_nf_mode_name(enum rd_nf_mode mode);
/* "configured", "pattern" or "bridge" */
const char *rd_match_name(enum rd_iface_match match);
/* Writes the comma-separated fix-up list as the config spells it, or "off". */
void rd_fixups_format(const struct rd_fixups *fixups, char *out, size_t outlen);

#endif
