/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Netfilter next to the fast path: owns the decision, per family (routed
 * IPv4, routed IPv6, bridged), whether XDP may forward traffic that the
 * netfilter ruleset of routerd's network namespace could drop, rewrite or
 * mark. A frame forwarded in XDP skips every netfilter hook, so while any
 * rule could act on a family, its forwarded traffic goes to the kernel
 * (pass reason netfilter) and the ruleset sees every packet as without
 * routerd. docs/firewall.md is the user's view.
 *
 * Sources, combined into one struct rd_nf_verdict:
 *  - nftables (native and iptables-nft): chain and rule dumps over the
 *    nf_tables netlink subsystem, parsed by nf_ruleset.c; re-read after
 *    every commit (NFNLGRP_NFTABLES announces each with NFT_MSG_NEWGEN),
 *    and only then, so a large ruleset costs nothing while it stays put;
 *  - iptables-legacy and ip6tables-legacy (nf_legacy.c), which send no
 *    events: polled every second along with
 *  - br_netfilter: with bridge-nf-call-ip(6)tables set, bridged IP frames
 *    cross the ip/ip6 hooks, so a held IP family holds bridging too.
 * A source that cannot be read holds everything (and is logged once).
 *
 * The hold bits go to the fast path through their writers: routed traffic
 * in rd_cache_ctl (cachectl.c), bridged frames in rd_bridge_ctl (fdb.c).
 *
 * Under `netfilter offload`, a held IPv4 or IPv6 family also gets its
 * offload bit (RD_NF_OFFLOAD_*) unless the ruleset refuses it
 * (rd_nf_verdict.no_offload: ruleset.h) or the admission cannot run; APPLY
 * is then also called on every ruleset change that leaves the verdict as it
 * was, so that offload.c starts a new generation.
 */
#ifndef RD_NETFILTER_H
#define RD_NETFILTER_H

#include <ev.h>
#include <stdbool.h>

#include "common/config.h"
#include "common/print.h"
#include "netfilter/ruleset.h"

struct mnl_socket;

#define RD_NF_POLL_S 1.0

struct rd_netfilter {
	enum rd_nf_mode mode;
	struct ev_loop *loop;
	struct mnl_socket *events; /* NFNLGRP_NFTABLES; NULL: cannot subscribe */
	ev_io io;
	ev_timer poll;
	struct rd_nf_verdict verdict; /* what the fast path holds now */
	struct rd_nf_verdict nft;     /* the nftables part, as last read */
	bool nft_stale;               /* an event (or overrun) since */
	bool nft_changed;             /* an event since the last refresh */
	void (*apply)(void *arg, __u32 hold);
	void *apply_arg;
	unsigned long reads, nft_reads, changes, n_events, overruns;
	/* rulesets seen: every commit, every legacy or br_netfilter change
	 * (under offload, each is a new generation: offload.h) */
	unsigned long ruleset_changes;
	char events_error[128];
	char offload_error[160]; /* why offload cannot run at all; "" */
};

/* The holds and offload bits (RD_NF_HOLD_*, RD_NF_OFFLOAD_*) as of the
 * current verdict: what APPLY gets. */
__u32 rd_nf_hold(const struct rd_netfilter *nf);
/* Whether BITS (rd_nf_hold()'s) offload the IP family F (RD_NF_FAM_*). */
static inline bool rd_nf_offloaded(__u32 bits, int f)
{
	return bits & (f == RD_NF_FAM_IPV4   ? RD_NF_OFFLOAD_IPV4
		       : f == RD_NF_FAM_IPV6 ? RD_NF_OFFLOAD_IPV6
					     : 0);
}
/* Under offload, why the held IP family F gets no offload; NULL when it
 * does, or when the question does not arise. */
const char *rd_nf_offload_refused(const struct rd_netfilter *nf, int f);
/* Offload cannot run at all (no admission program): WHY, or NULL/"" when
 * it can again. Takes effect at the next apply. */
void rd_nf_refuse_offload(struct rd_netfilter *nf, const char *why);

/* Before XDP is attached: subscribes to nftables events and reads the whole
 * ruleset once, so the first hold is known before the first packet.
 * Never fails: what cannot be read holds. */
void rd_nf_open(struct rd_netfilter *nf, enum rd_nf_mode mode);
/* Follows changes from now on; APPLY gets every new hold. */
void rd_nf_start(struct rd_netfilter *nf, struct ev_loop *loop,
		 void (*apply)(void *arg, __u32 hold), void *arg);
void rd_nf_stop(struct rd_netfilter *nf);
/* Reads everything again (and applies a change): after a mode change. */
void rd_nf_set_mode(struct rd_netfilter *nf, enum rd_nf_mode mode);
void rd_nf_refresh(struct rd_netfilter *nf);

/* The ruleset's verdict as of now, from every source. nftables is dumped
 * again only when an event said it changed (or none can be followed);
 * iptables-legacy and br_netfilter are read every time. */
void rd_nf_read(struct rd_netfilter *nf, struct rd_nf_verdict *v);
/* iptables-legacy and ip6tables-legacy (nf_legacy.c). */
void rd_nf_legacy_read(struct rd_nf_verdict *v);

/* The "netfilter" section of status (print.h). */
void rd_nf_report(const struct rd_netfilter *nf, struct rd_print *p);

#endif
