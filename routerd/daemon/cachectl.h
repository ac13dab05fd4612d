/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Route cache control: owns whether the fast path's route cache may be
 * trusted (rd_cache_ctl, see include/routerd/maps.h). It follows, through
 * the one event reader (nl_events.h), every kind of rtnetlink event that
 * can alter a bpf_fib_lookup() result — routes, nexthops, rules, links,
 * addresses, IP neighbours, netconf — and bumps the generation once per
 * batch that holds any, and on any overrun. Messages are not parsed beyond
 * their type and family, so route churn costs a recv and a map write per
 * batch, and no memory.
 *
 * It also keeps pushing the deadline forward, which is routerd's heartbeat
 * for the fast path: if routerd dies or stops, the deadline passes and the
 * program falls back to a full lookup per packet and to trusting only the
 * kernel (bpf/lib/unattended.h). With the cache off, the heartbeat goes on
 * and the published generation is 0.
 *
 * The same record carries the netfilter hold for routed traffic
 * (RD_NF_HOLD_*, RD_NF_OFFLOAD_*), which routerd/netfilter/netfilter.c decides
 * and this module writes, and conntrack offload's generation and timeouts
 * (routerd/netfilter/offload.c decides).
 */
#ifndef RD_CACHECTL_H
#define RD_CACHECTL_H

#include <ev.h>
#include <stdbool.h>

#include "daemon/datapath.h"

struct rd_nl_events;

struct rd_cachectl {
	struct rd_datapath *dp;
	struct rd_nl_events *ev;
	struct rd_cache_ctl *shared; /* rd_cache_ctl mapped, or NULL: syscalls */
	struct ev_loop *loop;
	ev_timer heartbeat;
	bool started;
	bool enabled;
	bool bump_due, netconf_due; /* in the batch being read */
	/* called before the bump when a netconf message (e.g. rp_filter)
	 * arrived, so settings derived from it are current first */
	void (*on_netconf)(void *arg);
	void *on_netconf_arg;
	__u64 generation;
	__u32 netfilter; /* RD_NF_HOLD_* | RD_NF_OFFLOAD_* */
	/* conntrack offload (routerd/netfilter/offload.h): the ruleset
	 * generation and the timeouts offloaded entries are refreshed to */
	__u32 ct_generation, ct_tcp_timeout_s, ct_udp_timeout_s;
	unsigned long bumps, overruns;
};

/* Joins EV, bumps once (anything before is covered) and starts the
 * heartbeat. */
int rd_cachectl_start(struct rd_cachectl *cc, struct ev_loop *loop, struct rd_nl_events *ev,
		      struct rd_datapath *dp, bool enabled, char *err, size_t errlen);
/* Turns the cache off in the program and stops the heartbeat (before
 * detaching or exiting). */
void rd_cachectl_stop(struct rd_cachectl *cc);
void rd_cachectl_set_enabled(struct rd_cachectl *cc, bool enabled);
/* Before rd_cachectl_start() and before XDP is attached: the whole record
 * with the cache off and this netfilter hold, kept by the start. */
void rd_cachectl_preset(struct rd_cachectl *cc, struct rd_datapath *dp, __u32 netfilter);
/* The netfilter hold (RD_NF_HOLD_*), written at once. */
void rd_cachectl_set_netfilter(struct rd_cachectl *cc, __u32 netfilter);
/* Conntrack offload's generation and timeouts, written at once. */
void rd_cachectl_set_conntrack(struct rd_cachectl *cc, __u32 generation, __u32 tcp_timeout_s,
			       __u32 udp_timeout_s);
/* Invalidates every cached route now. */
void rd_cachectl_bump(struct rd_cachectl *cc);

#endif
