/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The managed interfaces: owns which interfaces routerd serves, their stats
 * slot, their XDP attachment and their entries in rd_ifaces and the devmap.
 * Attaching the configured names is all or nothing: a bad name or a failed
 * attach leaves every interface exactly as it was. Interfaces a pattern or
 * a bridge rule selects (iface_rules.h) come and go with the kernel: one
 * that appears is attached, one that no longer matches (deleted, renamed,
 * released from its bridge) is detached and its map entries, devmap slot
 * and stats slot freed; a failure there is logged, never fatal.
 */
#ifndef RD_IFACES_H
#define RD_IFACES_H

#include <time.h>

#include <ev.h>

#include "daemon/attach.h"
#include "common/config.h"
#include "daemon/datapath.h"

struct rd_managed_iface {
	struct rd_iface_config cfg; /* cfg.name: the interface; cfg.match: how it was selected */
	char rule[IFNAMSIZ];        /* the pattern or bridge that selected it (not RD_MATCH_NAME) */
	__u32 ifindex;            /* 0 while the interface does not exist */
	__u32 slot;
	struct rd_attachment att; /* att.link_fd < 0 while not attached */
	char last_error[160];     /* why the last (re)attach failed, if it did */
	bool no_tx;               /* redirects into it would be dropped: not in rd_tx */
	__u32 tx_checked;         /* the ifindex no_tx was found for */
};

/* What the interface table asks of others, wired by main (the bridge
 * mirror, routerd/bridge/): it never calls them by name. */
struct rd_ifaces_hooks {
	/* the bridge fields (bridge_ifindex, br_flags, pvid) of IFINDEX's
	 * entry; left as they are while no bridge picture is there */
	void (*bridge_port)(void *arg, __u32 ifindex, struct rd_iface *val);
	/* the managed set may have changed (interfaces attached, gone,
	 * re-created) */
	void (*changed)(void *arg);
	void *arg;
	/* the RD_TC_HOLD_* bits for IFINDEX (rd_tc_hold()); 0 without it */
	__u8 (*tc_hold)(void *arg, __u32 ifindex, bool bypass);
	void *tc_arg;
};

struct rd_ifaces {
	struct rd_datapath *dp;
	struct rd_ifaces_hooks hooks; /* kept by rd_ifaces_attach_all() */
	struct ev_loop *loop;     /* NULL until rd_ifaces_start() */
	ev_timer poll_timer;
	ev_timer reconcile_timer; /* coalesces bursts of link events */
	size_t n, cap;
	struct rd_managed_iface *list;  /* configured names first, then what rules selected */
	size_t n_rules;
	struct rd_iface_config rules[RD_MAX_CONFIG_IFACES]; /* patterns and bridges */
	unsigned long rule_adds, rule_removes;
};

int rd_ifaces_attach_all(struct rd_ifaces *ifs, struct rd_datapath *dp,
			 const struct rd_config *cfg, char *err, size_t errlen);
/* Brings every configured and every rule-selected interface in line with
 * the kernel after a link
 * or netconf event or a resync: an interface deleted, renamed away,
 * re-created under a new ifindex, with a new MAC or rp_filter setting.
 * Failures are logged, never fatal. Once rd_ifaces_start() ran, a burst of
 * calls is done once, 20 ms after the first. */
void rd_ifaces_reconcile(struct rd_ifaces *ifs);
/* SIGHUP: make the managed set match cfg. Interfaces that left the config
 * or changed mode are detached, new ones attached, fix-up changes applied in
 * place; the others are not touched. */
void rd_ifaces_apply_config(struct rd_ifaces *ifs, const struct rd_config *cfg);
/* The timers: which interfaces take XDP redirects is re-read once a second
 * (a veth's peer may turn GRO on or off with no event in our namespace);
 * from now on rd_ifaces_reconcile() waits for the end of a burst. */
void rd_ifaces_start(struct rd_ifaces *ifs, struct ev_loop *loop);
/* The pins of every attached link, restored where they disappeared.
 * Returns how many, or -1 if one could not be (errno). */
int rd_ifaces_repin(struct rd_ifaces *ifs);
/* Checks that each link still carries our program on its interface in
 * this namespace; those that do not are attached again. Returns how many
 * had been lost. */
int rd_ifaces_verify(struct rd_ifaces *ifs);
/* On shutdown detach (SIGTERM) or leave attached for a successor. */
void rd_ifaces_release_all(struct rd_ifaces *ifs, bool detach);
/* The bridge facts changed (hooks.bridge_port answers differently now):
 * rewrites the bridge fields of every described entry that they change. */
void rd_ifaces_update_bridge(struct rd_ifaces *ifs);
/* The ifindexes of the managed interfaces that exist, in *out (malloc'd,
 * NULL when none); returns how many. */
size_t rd_ifaces_ifindexes(const struct rd_ifaces *ifs, __u32 **out);

#endif
