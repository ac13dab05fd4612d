/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which kernel interfaces the config's rules select: `interface PATTERN`
 * (fnmatch on the name) and `bridge NAME` (every port whose master is the
 * bridge NAME). Owns the link dump it needs (RTM_GETLINK: name, ifindex,
 * master, whether a link is a bridge) and nothing else: ifaces.c decides
 * what to attach and detach from the answer.
 */
#ifndef RD_IFACE_RULES_H
#define RD_IFACE_RULES_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "common/config.h"

struct rd_link {
	__u32 ifindex;
	__u32 master;   /* 0: none */
	bool bridge;    /* a bridge device itself */
	char name[IFNAMSIZ];
};

/* Every link of routerd's namespace into *LINKS (malloc'd, the caller
 * frees it). Returns how many, or -errno. */
int rd_links_dump(struct rd_link **links);

/* The first rule of RULES[N_RULES] (RD_MATCH_PATTERN and RD_MATCH_BRIDGE
 * entries; others are skipped) that selects L, given every link of the
 * namespace; -1 if none. Patterns never select lo or bridge devices
 * (routerd works on a bridge's ports). */
int rd_rules_match(const struct rd_iface_config *rules, size_t n_rules,
		   const struct rd_link *links, size_t n_links, const struct rd_link *l);

#endif
