/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The netlink mirror: owns the rtnetlink subscription (libnl-route cache
 * manager) and turns link events into rd_ifaces_reconcile() calls.
 *
 * Links and addresses are subscribed: links drive the managed interfaces,
 * IPv4 addresses the fast path's martian-source check (rd_local4). The TC
 * group (qdiscs, tc filters) arrives on the same socket and only tells
 * routerd/daemon/tc.c to look again (on_tc). Routes,
 * nexthops and neighbours stay in the kernel, where bpf_fib_lookup() reads
 * them: routerd keeps no copy of the routing table, so route churn never
 * reaches this process and its memory does not grow with the table. An overrun socket (ENOBUFS) means events
 * were lost: the cache is refilled from a fresh dump and every interface is
 * reconciled, logged and counted.
 *
 * libnl-route's parsers crash on some malformed messages (libnl 3.7), so
 * every link and address message is checked first (rd_netlink_msg_refused):
 * a refused one never reaches libnl, is counted and, as an event, triggers
 * the same resync as an overrun.
 */
#ifndef RD_NETLINK_H
#define RD_NETLINK_H

#include <ev.h>
#include <stddef.h>

#include "daemon/datapath.h"
#include "daemon/ifaces.h"

struct nlmsghdr;
struct nl_cache_mngr;
struct nl_cache;
struct nl_sock;

struct rd_netlink {
	struct nl_cache_mngr *mngr;
	struct nl_cache *links;
	struct nl_cache *addrs;
	struct nl_sock *events_sk;
	struct nl_sock *dump_sk;
	struct rd_ifaces *ifs;
	struct rd_datapath *dp;
	struct ev_loop *loop;
	ev_io io;
	ev_timer resync_timer; /* coalesces a burst of overruns into one resync */
	unsigned long events;
	unsigned long overruns;
	unsigned long resyncs;
	unsigned long rejected; /* messages refused before libnl parsed them */
	double last_resync; /* ev_now(), 0 if none */
	/* called after rd_local4 changed: the route cache must be bumped, as
	 * a cached flow skips the martian-source check (bpf/lib/cache.h) */
	void (*on_local4)(void *arg);
	void *on_local4_arg;
	/* called for every qdisc, tc filter or chain event (RTNLGRP_TC, on
	 * the same socket) and after a resync: routerd/daemon/tc.c reads again */
	void (*on_tc)(void *arg);
	void *on_tc_arg;
	char resync_reason[96];
};

/* rcvbuf: 0 for the default; tests pass a tiny one to provoke ENOBUFS. */
int rd_netlink_open(struct rd_netlink *nl, struct ev_loop *loop, struct rd_ifaces *ifs,
		    struct rd_datapath *dp, int rcvbuf, char *err, size_t errlen);
void rd_netlink_close(struct rd_netlink *nl);
/* Full resync: refill the caches, reconcile every interface, rewrite the
 * local address table. */
void rd_netlink_resync(struct rd_netlink *nl, const char *why);

/* Is this a link or address message that libnl must not parse? NULL if it
 * may go on (as do messages of other types), else why not. Reads
 * nlh->nlmsg_len bytes, which the caller has checked are there. */
const char *rd_netlink_msg_refused(const struct nlmsghdr *nlh);

#endif
