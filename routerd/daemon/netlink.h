/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The links and addresses: owns the daemon's model of them (libnl-route's
 * link and address caches), turns link changes into rd_ifaces_reconcile()
 * calls and the IPv4 addresses into the fast path's martian-source table
 * (rd_local4).
 *
 * The events come from the one reader (nl_events.h): each link or address
 * message is parsed by libnl-route into its cache, whose change callbacks
 * do the rest. Routes, nexthops and neighbours stay in the kernel, where
 * bpf_fib_lookup() reads them: routerd keeps no copy of the routing
 * table, so its memory does not grow with the table. After lost events the
 * reader's resync refills the caches from a fresh dump and every interface
 * is reconciled, logged and counted.
 *
 * libnl-route's parsers crash on some malformed messages (libnl 3.7), so
 * every link and address message is checked first (rd_netlink_msg_refused),
 * events and dumps alike: a refused one never reaches libnl, is counted
 * and, as an event, triggers the reader's resync.
 */
#ifndef RD_NETLINK_H
#define RD_NETLINK_H

#include <ev.h>
#include <stddef.h>

#include "daemon/datapath.h"
#include "daemon/ifaces.h"

struct nlmsghdr;
struct nl_cache;
struct nl_sock;
struct rd_nl_events;

struct rd_netlink {
	struct nl_cache *links;
	struct nl_cache *addrs;
	struct nl_sock *dump_sk;
	struct rd_nl_events *ev; /* the reader it follows */
	struct rd_ifaces *ifs;
	struct rd_datapath *dp;
	struct ev_loop *loop;
	unsigned long events;   /* link and address changes */
	unsigned long overruns;
	unsigned long resyncs;
	unsigned long rejected; /* messages refused before libnl parsed them */
	double last_resync; /* ev_now(), 0 if none */
	/* called after rd_local4 changed: the route cache must be bumped, as
	 * a cached flow skips the martian-source check (bpf/lib/cache.h) */
	void (*on_local4)(void *arg);
	void *on_local4_arg;
};

/* Fills the caches and joins EV (subscribed already, so nothing between
 * the fill and the loop is missed). */
int rd_netlink_open(struct rd_netlink *nl, struct ev_loop *loop, struct rd_nl_events *ev,
		    struct rd_ifaces *ifs, struct rd_datapath *dp, char *err, size_t errlen);
void rd_netlink_close(struct rd_netlink *nl);
/* Full resync: refill the caches, reconcile every interface, rewrite the
 * local address table. */
void rd_netlink_resync(struct rd_netlink *nl, const char *why);

/* Is this a link or address message that libnl must not parse? NULL if it
 * may go on (as do messages of other types), else why not. Reads
 * nlh->nlmsg_len bytes, which the caller has checked are there. */
const char *rd_netlink_msg_refused(const struct nlmsghdr *nlh);

#endif
