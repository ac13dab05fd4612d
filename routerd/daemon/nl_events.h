/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one rtnetlink event reader: owns the daemon's only event socket,
 * subscribed to every group a module follows (links, addresses, routes,
 * rules, nexthops, neighbours, netconf, traffic control, bridge VLANs),
 * and the one way back after lost events.
 *
 * Each message is sorted by its type (and, for neighbours, its family:
 * bridge FDB entries are not IP neighbours) into a kind, logged by name at
 * debug level, and handed to every consumer that asked for that kind, as
 * FRR zebra's kernel_netlink.c hands each type to its handler. A consumer
 * is told when a read is over (batch_end: act once per burst), when
 * events were lost (overrun: at once) and, once the burst of overruns is
 * over, to read everything again (resync). Requests and dumps are the
 * consumers' own business, on their own sockets: nothing here but events.
 *
 * Consumers (wired by main): netlink.c (links, addresses: the libnl-route
 * model), cachectl.c (whatever can change a route lookup), the bridge
 * mirror (links, FDB entries, VLANs), tc.c (qdiscs and filters).
 */
#ifndef RD_NL_EVENTS_H
#define RD_NL_EVENTS_H

#include <ev.h>
#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>

struct mnl_socket;

enum rd_nl_kind {
	RD_NLK_LINK,     /* RTM_NEWLINK, RTM_DELLINK */
	RD_NLK_ADDR,     /* RTM_NEWADDR, RTM_DELADDR */
	RD_NLK_ROUTE,    /* RTM_NEWROUTE, RTM_DELROUTE */
	RD_NLK_RULE,     /* RTM_NEWRULE, RTM_DELRULE */
	RD_NLK_NEXTHOP,  /* RTM_NEWNEXTHOP, RTM_DELNEXTHOP */
	RD_NLK_NEIGH,    /* IP neighbours */
	RD_NLK_FDB,      /* AF_BRIDGE neighbours (and neighbour messages too short to tell) */
	RD_NLK_NETCONF,  /* RTM_NEWNETCONF, RTM_DELNETCONF */
	RD_NLK_TC,       /* qdiscs, classes, filters, chains, actions */
	RD_NLK_VLAN,     /* RTM_NEWVLAN, RTM_DELVLAN */
	RD_NLK_OTHER,    /* any other rtnetlink type */
	RD_NLK_CONTROL,  /* NLMSG_NOOP/ERROR/DONE/OVERRUN: nobody's */
	RD_NLK__MAX
};
#define RD_NLK(kind) (1u << (kind))

struct rd_nl_consumer {
	const char *name;
	unsigned int kinds; /* RD_NLK() mask */
	void (*msg)(void *arg, enum rd_nl_kind kind, const struct nlmsghdr *nlh);
	void (*batch_end)(void *arg); /* may be NULL */
	void (*overrun)(void *arg);   /* may be NULL */
	void (*resync)(void *arg, const char *why);
	void *arg;
};

#define RD_NL_MAX_CONSUMERS 8

struct rd_nl_events {
	struct mnl_socket *sk;
	struct ev_loop *loop; /* NULL: the caller reads (rd_nl_events_read) */
	ev_io io;
	ev_timer resync_timer; /* one resync per burst of overruns or refusals */
	struct rd_nl_consumer consumers[RD_NL_MAX_CONSUMERS];
	size_t n_consumers;
	char resync_reason[96];
	unsigned long messages, overruns, resyncs;
	unsigned long by_kind[RD_NLK__MAX];
};

/* Opens the socket and joins the groups (the bridge VLAN group is optional:
 * old kernels lack it). Subscribed before anyone dumps, so nothing that
 * changes between a consumer's first dump and the loop is missed.
 * RCVBUF: 0 for the default (4 MiB), else that size (tests: a tiny one
 * provokes overruns). */
int rd_nl_events_open(struct rd_nl_events *ev, int rcvbuf, char *err, size_t errlen);
/* Without a socket: dispatch and resync only (the fuzzer). With LOOP, a
 * resync waits for the end of the burst; without, it is done at once. */
void rd_nl_events_init(struct rd_nl_events *ev, struct ev_loop *loop);
/* Adds a consumer (copied); false if the table is full. */
bool rd_nl_events_add(struct rd_nl_events *ev, const struct rd_nl_consumer *c);
/* Removes the consumers whose arg is ARG (a module that stops). */
void rd_nl_events_remove(struct rd_nl_events *ev, const void *arg);
/* Follows the socket from LOOP. */
void rd_nl_events_start(struct rd_nl_events *ev, struct ev_loop *loop);
void rd_nl_events_close(struct rd_nl_events *ev);

/* Reads and dispatches everything pending (non-blocking). Returns true
 * after an overrun: the consumers were told, and the resync is scheduled
 * (with a loop) or done before returning (without one). */
bool rd_nl_events_read(struct rd_nl_events *ev);
/* Dispatches one buffer as recv() returned it (the fuzzer feeds this). */
void rd_nl_events_dispatch(struct rd_nl_events *ev, const void *buf, size_t len);
/* Every consumer reads everything again: after a burst (with a loop), now
 * without one. WHY is logged by the consumers that log. */
void rd_nl_events_resync_soon(struct rd_nl_events *ev, const char *why);
void rd_nl_events_resync(struct rd_nl_events *ev, const char *why);

/* The kind of a message, and its type's name ("RTM_NEWLINK", or "type N"
 * in BUF for unknown ones). */
enum rd_nl_kind rd_nl_kind_of(const struct nlmsghdr *nlh);
const char *rd_nl_type_name(__u16 type, char *buf, size_t len);

#endif
