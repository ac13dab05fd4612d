// SPDX-License-Identifier: GPL-2.0
/* The one rtnetlink event reader: see nl_events.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "common/log.h"
#include "daemon/nl_events.h"
#include "daemon/nlmsg.h"
#include "daemon/tc.h"

#define RESYNC_DELAY_S 0.1         /* after an overrun: once the burst is over */
#define DEFAULT_RCVBUF (4 << 20)

/* The groups of every consumer (nl_events.h); the VLAN group last, as the
 * only optional one. */
static const unsigned int groups[] = {
	RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
	RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE,
	RTNLGRP_IPV4_NETCONF, RTNLGRP_IPV6_NETCONF, RTNLGRP_NEXTHOP, RTNLGRP_TC,
	RTNLGRP_BRVLAN,
};

/* One reader per thread and never re-entered: a consumer's handler does
 * not read events. */
static char rxbuf[1 << 16];

/* ------------------------------------------------------------------ */
/* sorting messages                                                    */

enum rd_nl_kind rd_nl_kind_of(const struct nlmsghdr *nlh)
{
	const struct ndmsg *ndm;

	if (nlh->nlmsg_type < NLMSG_MIN_TYPE)
		return RD_NLK_CONTROL;
	if (rd_tc_msg_type(nlh->nlmsg_type))
		return RD_NLK_TC;
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK: case RTM_DELLINK:
		return RD_NLK_LINK;
	case RTM_NEWADDR: case RTM_DELADDR:
		return RD_NLK_ADDR;
	case RTM_NEWROUTE: case RTM_DELROUTE:
		return RD_NLK_ROUTE;
	case RTM_NEWRULE: case RTM_DELRULE:
		return RD_NLK_RULE;
	case RTM_NEWNEXTHOP: case RTM_DELNEXTHOP:
		return RD_NLK_NEXTHOP;
	case RTM_NEWNETCONF: case RTM_DELNETCONF:
		return RD_NLK_NETCONF;
	case RTM_NEWVLAN: case RTM_DELVLAN:
		return RD_NLK_VLAN;
	case RTM_NEWTCLASS: case RTM_DELTCLASS: case RTM_NEWACTION: case RTM_DELACTION:
		return RD_NLK_TC;
	case RTM_NEWNEIGH: case RTM_DELNEIGH: case RTM_GETNEIGH:
		/* bridge FDB entries share the group; never a route lookup's */
		ndm = mnl_nlmsg_get_payload(nlh);
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ndm) || ndm->ndm_family == AF_BRIDGE)
			return RD_NLK_FDB;
		return RD_NLK_NEIGH;
	default:
		return RD_NLK_OTHER;
	}
}

const char *rd_nl_type_name(__u16 type, char *buf, size_t len)
{
	static const struct { __u16 type; const char *name; } names[] = {
#define N(t) { t, #t }
		N(NLMSG_NOOP), N(NLMSG_ERROR), N(NLMSG_DONE), N(NLMSG_OVERRUN),
		N(RTM_NEWLINK), N(RTM_DELLINK), N(RTM_GETLINK), N(RTM_SETLINK),
		N(RTM_NEWADDR), N(RTM_DELADDR), N(RTM_GETADDR),
		N(RTM_NEWROUTE), N(RTM_DELROUTE), N(RTM_GETROUTE),
		N(RTM_NEWNEIGH), N(RTM_DELNEIGH), N(RTM_GETNEIGH),
		N(RTM_NEWRULE), N(RTM_DELRULE), N(RTM_GETRULE),
		N(RTM_NEWQDISC), N(RTM_DELQDISC), N(RTM_GETQDISC),
		N(RTM_NEWTCLASS), N(RTM_DELTCLASS), N(RTM_GETTCLASS),
		N(RTM_NEWTFILTER), N(RTM_DELTFILTER), N(RTM_GETTFILTER),
		N(RTM_NEWACTION), N(RTM_DELACTION), N(RTM_GETACTION),
		N(RTM_NEWPREFIX), N(RTM_NEWNEIGHTBL), N(RTM_SETNEIGHTBL),
		N(RTM_NEWNETCONF), N(RTM_DELNETCONF), N(RTM_GETNETCONF),
		N(RTM_NEWMDB), N(RTM_DELMDB), N(RTM_NEWNSID), N(RTM_DELNSID),
		N(RTM_NEWCHAIN), N(RTM_DELCHAIN), N(RTM_GETCHAIN),
		N(RTM_NEWNEXTHOP), N(RTM_DELNEXTHOP), N(RTM_GETNEXTHOP),
		N(RTM_NEWLINKPROP), N(RTM_DELLINKPROP),
		N(RTM_NEWVLAN), N(RTM_DELVLAN), N(RTM_GETVLAN),
#undef N
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == type)
			return names[i].name;
	snprintf(buf, len, "type %u", type);
	return buf;
}

/* ------------------------------------------------------------------ */
/* dispatch                                                            */

void rd_nl_events_dispatch(struct rd_nl_events *ev, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh;
	size_t left;

	rd_nlmsg_for_each(nlh, buf, len, left) {
		enum rd_nl_kind kind = rd_nl_kind_of(nlh);
		char name[16];

		ev->messages++;
		ev->by_kind[kind]++;
		rd_debug("netlink event %s (%u bytes)",
			 rd_nl_type_name(nlh->nlmsg_type, name, sizeof(name)), nlh->nlmsg_len);
		for (size_t i = 0; i < ev->n_consumers; i++) {
			const struct rd_nl_consumer *c = &ev->consumers[i];

			if (c->msg && (c->kinds & RD_NLK(kind)))
				c->msg(c->arg, kind, nlh);
		}
	}
}

/* Everything pending, dispatched. True if the socket overran meanwhile. */
static bool drain(struct rd_nl_events *ev)
{
	bool overrun = false;

	if (!ev->sk)
		return false;
	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(ev->sk), rxbuf, sizeof(rxbuf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				ev->overruns++;
				overrun = true;
				continue;
			}
			break; /* EAGAIN: drained */
		}
		if (n == 0)
			break;
		rd_nl_events_dispatch(ev, rxbuf, (size_t)n);
	}
	return overrun;
}

static void batch_end(struct rd_nl_events *ev)
{
	for (size_t i = 0; i < ev->n_consumers; i++)
		if (ev->consumers[i].batch_end)
			ev->consumers[i].batch_end(ev->consumers[i].arg);
}

bool rd_nl_events_read(struct rd_nl_events *ev)
{
	bool overrun = drain(ev);

	for (size_t i = 0; overrun && i < ev->n_consumers; i++)
		if (ev->consumers[i].overrun)
			ev->consumers[i].overrun(ev->consumers[i].arg);
	batch_end(ev);
	if (overrun)
		rd_nl_events_resync_soon(ev, "socket overrun, events lost");
	return overrun;
}

/* ------------------------------------------------------------------ */
/* the one resync                                                      */

void rd_nl_events_resync(struct rd_nl_events *ev, const char *why)
{
	char reason[sizeof(ev->resync_reason)];

	snprintf(reason, sizeof(reason), "%s", why);
	/* what is queued is covered by the resync, but read it first so that
	 * no older event is applied after it */
	drain(ev);
	ev->resyncs++;
	for (size_t i = 0; i < ev->n_consumers; i++)
		if (ev->consumers[i].resync)
			ev->consumers[i].resync(ev->consumers[i].arg, reason);
	batch_end(ev);
}

void rd_nl_events_resync_soon(struct rd_nl_events *ev, const char *why)
{
	snprintf(ev->resync_reason, sizeof(ev->resync_reason), "%s", why);
	if (!ev->loop) {
		rd_nl_events_resync(ev, why);
		return;
	}
	if (!ev_is_active(&ev->resync_timer)) {
		/* re-arm: a fired one-shot timer restarted as is fires at once */
		ev_timer_set(&ev->resync_timer, RESYNC_DELAY_S, 0);
		ev_timer_start(ev->loop, &ev->resync_timer);
	}
}

static void on_resync_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rd_nl_events *ev = w->data;

	rd_nl_events_resync(ev, ev->resync_reason);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	rd_nl_events_read(w->data);
}

/* ------------------------------------------------------------------ */
/* life cycle                                                          */

void rd_nl_events_init(struct rd_nl_events *ev, struct ev_loop *loop)
{
	memset(ev, 0, sizeof(*ev));
	ev->loop = loop;
	ev_timer_init(&ev->resync_timer, on_resync_timer, RESYNC_DELAY_S, 0);
	ev->resync_timer.data = ev;
}

int rd_nl_events_open(struct rd_nl_events *ev, int rcvbuf, char *err, size_t errlen)
{
	int size = rcvbuf > 0 ? rcvbuf : DEFAULT_RCVBUF;

	rd_nl_events_init(ev, NULL);
	ev->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!ev->sk || mnl_socket_bind(ev->sk, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "cannot open the netlink event socket: %s", strerror(errno));
		rd_nl_events_close(ev);
		return -1;
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		unsigned int g = groups[i];

		if (mnl_socket_setsockopt(ev->sk, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) &&
		    g != RTNLGRP_BRVLAN) {
			snprintf(err, errlen, "cannot subscribe to netlink group %u: %s", g,
				 strerror(errno));
			rd_nl_events_close(ev);
			return -1;
		}
	}
	/* a burst (a hundred VMs, a routing table) must not overrun it; a
	 * size asked for is taken as is (tests provoke overruns with it) */
	if (rcvbuf > 0 || setsockopt(mnl_socket_get_fd(ev->sk), SOL_SOCKET, SO_RCVBUFFORCE, &size,
				     sizeof(size)))
		setsockopt(mnl_socket_get_fd(ev->sk), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return 0;
}

bool rd_nl_events_add(struct rd_nl_events *ev, const struct rd_nl_consumer *c)
{
	if (ev->n_consumers == RD_NL_MAX_CONSUMERS)
		return false;
	ev->consumers[ev->n_consumers++] = *c;
	return true;
}

void rd_nl_events_remove(struct rd_nl_events *ev, const void *arg)
{
	size_t kept = 0;

	for (size_t i = 0; i < ev->n_consumers; i++)
		if (ev->consumers[i].arg != arg)
			ev->consumers[kept++] = ev->consumers[i];
	ev->n_consumers = kept;
}

void rd_nl_events_start(struct rd_nl_events *ev, struct ev_loop *loop)
{
	ev->loop = loop;
	ev_io_init(&ev->io, on_readable, mnl_socket_get_fd(ev->sk), EV_READ);
	ev->io.data = ev;
	ev_io_start(loop, &ev->io);
}

void rd_nl_events_close(struct rd_nl_events *ev)
{
	if (ev->loop) {
		ev_io_stop(ev->loop, &ev->io);
		ev_timer_stop(ev->loop, &ev->resync_timer);
	}
	if (ev->sk)
		mnl_socket_close(ev->sk);
	ev->sk = NULL;
	ev->loop = NULL;
	ev->n_consumers = 0;
}
