// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "common/log.h"
#include "daemon/netlink.h"
#include "daemon/nl_events.h"

/* ------------------------------------------------------------------ */
/* The guard in front of libnl                                         */

/* A TLV stream of LEN bytes at P: every attribute whole and inside it, and
 * nothing after the last one but its own alignment padding. libnl's
 * nla_parse() stops quietly at the first bad attribute; routerd refuses the
 * message instead, since the kernel never sends one. */
static bool attrs_ok(const void *p, size_t len)
{
	const struct nlattr *attr;

	mnl_attr_for_each_payload(p, len) {
		/* to the first attribute that is not whole, or the end */
	}
	return (const char *)attr >= (const char *)p + len &&
	       (const char *)attr < (const char *)p + len + MNL_ALIGNTO;
}

static bool is_kind(const struct nlattr *attr, const char *kind)
{
	return mnl_attr_get_payload_len(attr) == strlen(kind) + 1 &&
	       !memcmp(mnl_attr_get_payload(attr), kind, strlen(kind) + 1);
}

/* An IFLA_INFO_DATA holding a VETH_INFO_PEER. */
static bool has_veth_peer(const struct nlattr *data)
{
	const struct nlattr *attr;

	mnl_attr_for_each_nested(attr, data) {
		if (mnl_attr_get_type(attr) == VETH_INFO_PEER)
			return true;
	}
	return false;
}

/* IFLA_LINKINFO, two shapes that crash libnl-route 3.7's link parser:
 *  - IFLA_INFO_XSTATS without IFLA_INFO_DATA: the parser calls the kind's
 *    io_parse() when DATA *or* XSTATS is present, and every io_parse()
 *    (veth, vlan, bridge, bond, vxlan, macvlan, ...) starts with
 *    nla_parse_nested(tb, MAX, data, policy): nla_len(NULL), SIGSEGV. The
 *    kernel sends XSTATS only with DATA (rtnl_link_info_fill; only CAN
 *    devices have XSTATS).
 *  - kind "veth" with a VETH_INFO_PEER in IFLA_INFO_DATA: veth_parse()
 *    fills in the peer through link->l_info, NULL for a link being parsed.
 *    The kernel sends no IFLA_INFO_DATA for veth (no fill_info); the peer
 *    only appears in requests.
 * Every occurrence of an attribute counts, so the checks hold whichever
 * duplicate libnl keeps. */
static const char *linkinfo_refused(const struct nlattr *li)
{
	const struct nlattr *attr;
	bool data = false, xstats = false, veth = false, peer = false;

	if (!attrs_ok(mnl_attr_get_payload(li), mnl_attr_get_payload_len(li)))
		return "malformed IFLA_LINKINFO";
	mnl_attr_for_each_nested(attr, li) {
		switch (mnl_attr_get_type(attr)) {
		case IFLA_INFO_KIND:
			veth |= is_kind(attr, "veth");
			break;
		case IFLA_INFO_DATA:
			data = true;
			peer |= has_veth_peer(attr);
			break;
		case IFLA_INFO_XSTATS:
			xstats = true;
			break;
		}
	}
	if (xstats && !data)
		return "IFLA_INFO_XSTATS without IFLA_INFO_DATA";
	if (veth && peer)
		return "veth link with VETH_INFO_PEER";
	return NULL;
}

const char *rd_netlink_msg_refused(const struct nlmsghdr *nlh)
{
	size_t hdrlen;
	const struct nlattr *attr;
	const char *why;
	bool link;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK: case RTM_DELLINK: case RTM_GETLINK: case RTM_SETLINK:
		hdrlen = sizeof(struct ifinfomsg);
		link = true;
		break;
	case RTM_NEWADDR: case RTM_DELADDR: case RTM_GETADDR:
		hdrlen = sizeof(struct ifaddrmsg);
		link = false;
		break;
	default:
		return NULL; /* no cache of routerd's parses it */
	}
	if (nlh->nlmsg_len < sizeof(*nlh) || mnl_nlmsg_get_payload_len(nlh) < hdrlen)
		return link ? "link message shorter than ifinfomsg"
			    : "address message shorter than ifaddrmsg";
	/* the shapes that crash libnl first, for the more useful reason */
	mnl_attr_for_each(attr, nlh, hdrlen) {
		if (link && mnl_attr_get_type(attr) == IFLA_LINKINFO &&
		    (why = linkinfo_refused(attr)))
			return why;
	}
	if (!attrs_ok(mnl_nlmsg_get_payload_offset(nlh, hdrlen),
		      mnl_nlmsg_get_payload_len(nlh) - hdrlen))
		return link ? "malformed link attributes" : "malformed address attributes";
	return NULL;
}

/* NL_CB_MSG_IN of the dump socket (first fill and resyncs): libnl calls
 * it for each received message before parsing it; NL_SKIP leaves the
 * refused object out of the cache. No further resync: the dump would
 * bring it back. */
static int on_dump_in(struct nl_msg *msg, void *arg)
{
	struct rd_netlink *nl = arg;
	const char *why = rd_netlink_msg_refused(nlmsg_hdr(msg));

	if (!why)
		return NL_OK;
	nl->rejected++;
	rd_warn("netlink resync: refused a message (type %u): %s", nlmsg_hdr(msg)->nlmsg_type,
		why);
	return NL_SKIP;
}

/* ------------------------------------------------------------------ */
/* Cache callbacks                                                     */

static void on_link_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	struct rd_netlink *nl = arg;
	struct rtnl_link *link = (struct rtnl_link *)obj;

	nl->events++;
	rd_debug("link event %d: %s (ifindex %d)", action, rtnl_link_get_name(link),
		 rtnl_link_get_ifindex(link));
	rd_ifaces_reconcile(nl->ifs);
}

struct local4_list {
	__u32 addrs[2 * RD_LOCAL4_SLOTS];
	size_t n;
};

static void collect_local4(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *addr = (struct rtnl_addr *)obj;
	struct nl_addr *sources[] = { rtnl_addr_get_local(addr), rtnl_addr_get_broadcast(addr) };
	struct local4_list *list = arg;

	if (rtnl_addr_get_family(addr) != AF_INET)
		return;
	for (size_t i = 0; i < 2; i++) {
		if (!sources[i] || nl_addr_get_len(sources[i]) != 4 ||
		    list->n == sizeof(list->addrs) / sizeof(list->addrs[0]))
			continue;
		memcpy(&list->addrs[list->n++], nl_addr_get_binary_addr(sources[i]), 4);
	}
}

static void sync_local4(struct rd_netlink *nl)
{
	static struct local4_list list;
	unsigned long writes = nl->dp->local4_writes;
	size_t unplaced;

	list.n = 0;
	nl_cache_foreach(nl->addrs, collect_local4, &list);
	unplaced = rd_dp_set_local4(nl->dp, list.addrs, list.n);
	if (nl->dp->local4_writes != writes && nl->on_local4)
		nl->on_local4(nl->on_local4_arg);
	if (unplaced)
		rd_warn("%zu local IPv4 addresses do not fit the fast path's table: packets "
			"spoofing them as source are forwarded", unplaced);
}

static void on_addr_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	struct rd_netlink *nl = arg;

	nl->events++;
	sync_local4(nl);
}

/* ------------------------------------------------------------------ */
/* Events, from the one reader (nl_events.h)                           */

static void include_obj(struct nl_object *obj, void *arg)
{
	struct rd_netlink *nl = arg;
	const char *type = nl_object_get_type(obj);

	if (!type)
		return;
	if (!strcmp(type, "route/link"))
		nl_cache_include(nl->links, obj, on_link_change, nl);
	else if (!strcmp(type, "route/addr"))
		nl_cache_include(nl->addrs, obj, on_addr_change, nl);
}

/* A link or address event: through the guard, then parsed by libnl-route
 * into its cache as the cache manager's event_input() would, which calls
 * on_link_change/on_addr_change for what changed. A refused message may
 * hide a real change: everything is read again. */
static void on_event(void *arg, enum rd_nl_kind kind, const struct nlmsghdr *nlh)
{
	struct rd_netlink *nl = arg;
	const char *why = rd_netlink_msg_refused(nlh);
	char reason[96];
	struct nl_msg *msg;

	if (why) {
		nl->rejected++;
		rd_debug("netlink: refused an event (type %u): %s", nlh->nlmsg_type, why);
		snprintf(reason, sizeof(reason), "refused event: %s", why);
		rd_nl_events_resync_soon(nl->ev, reason);
		return;
	}
	msg = nlmsg_convert((struct nlmsghdr *)nlh);
	if (!msg) {
		rd_nl_events_resync_soon(nl->ev, "out of memory for an event");
		return;
	}
	nlmsg_set_proto(msg, NETLINK_ROUTE);
	nl_msg_parse(msg, include_obj, nl);
	nlmsg_free(msg);
}

static void on_overrun(void *arg)
{
	((struct rd_netlink *)arg)->overruns++;
}

static void on_resync(void *arg, const char *why)
{
	rd_netlink_resync(arg, why);
}

/* What an earlier dump left unread would fail this one's sequence check:
 * one cut short by a parse error, or one whose first datagram held only
 * refused messages (libnl, not having seen NLM_F_MULTI, stops there). */
static void drain(struct nl_sock *sk)
{
	char c;

	while (recv(nl_socket_get_fd(sk), &c, sizeof(c), MSG_DONTWAIT | MSG_TRUNC) >= 0)
		;
}

void rd_netlink_resync(struct rd_netlink *nl, const char *why)
{
	int rc;

	drain(nl->dump_sk);
	rc = nl_cache_refill(nl->dump_sk, nl->links);

	if (rc >= 0)
		rc = nl_cache_refill(nl->dump_sk, nl->addrs);
	nl->resyncs++;
	nl->last_resync = nl->loop ? ev_now(nl->loop) : 0;
	if (rc < 0)
		rd_err("netlink resync (%s): link dump failed: %s", why, nl_geterror(rc));
	else
		rd_warn("netlink resync (%s): re-read %d links, %d addresses", why,
			nl_cache_nitems(nl->links), nl_cache_nitems(nl->addrs));
	rd_ifaces_reconcile(nl->ifs);
	sync_local4(nl);
}

/* What netlink.c takes from the reader. */
static struct rd_nl_consumer consumer(struct rd_netlink *nl)
{
	return (struct rd_nl_consumer){
		.name = "links and addresses",
		.kinds = RD_NLK(RD_NLK_LINK) | RD_NLK(RD_NLK_ADDR),
		.msg = on_event, .overrun = on_overrun, .resync = on_resync, .arg = nl,
	};
}

int rd_netlink_open(struct rd_netlink *nl, struct ev_loop *loop, struct rd_nl_events *ev,
		    struct rd_ifaces *ifs, struct rd_datapath *dp, char *err, size_t errlen)
{
	struct rd_nl_consumer c = consumer(nl);
	int rc;

	memset(nl, 0, sizeof(*nl));
	nl->ifs = ifs;
	nl->dp = dp;
	nl->loop = loop;
	nl->ev = ev;
	nl->dump_sk = nl_socket_alloc();
	if (!nl->dump_sk) {
		rc = -NLE_NOMEM;
		goto fail;
	}
	rc = nl_connect(nl->dump_sk, NETLINK_ROUTE);
	if (rc < 0)
		goto fail;
	/* rd_netlink_msg_refused() in front of libnl's parsers for the dumps
	 * too, the first fill included: a refused object is left out */
	rc = nl_socket_modify_cb(nl->dump_sk, NL_CB_MSG_IN, NL_CB_CUSTOM, on_dump_in, nl);
	if (rc < 0)
		goto fail;
	/* the event socket is subscribed already: nothing between this first
	 * fill and the loop is missed */
	rc = rtnl_link_alloc_cache(nl->dump_sk, AF_UNSPEC, &nl->links);
	if (rc < 0)
		goto fail;
	/* libnl-route's address parser looks links up here, as it did in
	 * the cache manager's (NL_AUTO_PROVIDE) */
	nl_cache_mngt_provide(nl->links);
	rc = rtnl_addr_alloc_cache(nl->dump_sk, &nl->addrs);
	if (rc < 0)
		goto fail;
	sync_local4(nl);
	if (!rd_nl_events_add(ev, &c)) {
		rc = -NLE_RANGE;
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot read the netlink links and addresses: %s", nl_geterror(rc));
	rd_netlink_close(nl);
	return -1;
}

void rd_netlink_close(struct rd_netlink *nl)
{
	if (nl->ev)
		rd_nl_events_remove(nl->ev, nl);
	if (nl->links) {
		nl_cache_mngt_unprovide(nl->links);
		nl_cache_free(nl->links);
	}
	if (nl->addrs)
		nl_cache_free(nl->addrs);
	if (nl->dump_sk)
		nl_socket_free(nl->dump_sk);
	memset(nl, 0, sizeof(*nl));
}
