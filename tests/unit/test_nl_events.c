// SPDX-License-Identifier: GPL-2.0
/*
 * The one netlink event reader (routerd/daemon/nl_events.c), without a
 * socket: messages are sorted by type (bridge FDB entries apart from IP
 * neighbours) and each goes to exactly the consumers that asked for its
 * kind; a resync reaches every consumer once, then ends the batch.
 */
#include <criterion/criterion.h>
#include <libmnl/libmnl.h>
#include <linux/if_bridge.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "common/log.h"
#include "daemon/nl_events.h"

struct seen {
	unsigned int msgs[RD_NLK__MAX];
	unsigned int resyncs, batches;
	char why[64];
};

static void on_msg(void *arg, enum rd_nl_kind kind, const struct nlmsghdr *nlh)
{
	struct seen *s = arg;

	cr_assert_eq(kind, rd_nl_kind_of(nlh));
	s->msgs[kind]++;
}

static void on_resync(void *arg, const char *why)
{
	struct seen *s = arg;

	s->resyncs++;
	snprintf(s->why, sizeof(s->why), "%s", why);
}

static void on_batch(void *arg)
{
	((struct seen *)arg)->batches++;
}

/* Appends a message of TYPE with a FAMILY header of HDRLEN bytes. */
static size_t put(char *buf, size_t off, __u16 type, size_t hdrlen, __u8 family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + off);
	__u8 *hdr;

	nlh->nlmsg_type = type;
	hdr = mnl_nlmsg_put_extra_header(nlh, hdrlen);
	hdr[0] = family; /* the family is the first byte of each of these headers */
	return off + NLMSG_ALIGN(nlh->nlmsg_len);
}

Test(nl_events, each_kind_reaches_the_consumers_that_asked_for_it)
{
	static char buf[4096];
	struct rd_nl_events ev;
	struct seen links = { 0 }, routing = { 0 }, bridge = { 0 };
	size_t len = 0;

	rd_log_init(true, RD_LOG_ERR);
	rd_nl_events_init(&ev, NULL);
	cr_assert(rd_nl_events_add(&ev, &(struct rd_nl_consumer){
		.kinds = RD_NLK(RD_NLK_LINK) | RD_NLK(RD_NLK_ADDR), .msg = on_msg,
		.resync = on_resync, .batch_end = on_batch, .arg = &links }));
	cr_assert(rd_nl_events_add(&ev, &(struct rd_nl_consumer){
		.kinds = RD_NLK(RD_NLK_ROUTE) | RD_NLK(RD_NLK_NEIGH) | RD_NLK(RD_NLK_LINK),
		.msg = on_msg, .resync = on_resync, .batch_end = on_batch, .arg = &routing }));
	cr_assert(rd_nl_events_add(&ev, &(struct rd_nl_consumer){
		.kinds = RD_NLK(RD_NLK_FDB) | RD_NLK(RD_NLK_VLAN), .msg = on_msg,
		.resync = on_resync, .arg = &bridge }));

	len = put(buf, len, RTM_NEWLINK, sizeof(struct ifinfomsg), AF_UNSPEC);
	len = put(buf, len, RTM_NEWADDR, sizeof(struct ifaddrmsg), AF_INET);
	len = put(buf, len, RTM_NEWROUTE, sizeof(struct rtmsg), AF_INET6);
	len = put(buf, len, RTM_NEWNEIGH, sizeof(struct ndmsg), AF_INET);
	len = put(buf, len, RTM_NEWNEIGH, sizeof(struct ndmsg), AF_BRIDGE);
	len = put(buf, len, RTM_DELNEIGH, sizeof(struct ndmsg), AF_BRIDGE);
	len = put(buf, len, RTM_NEWVLAN, sizeof(struct br_vlan_msg), AF_BRIDGE);
	len = put(buf, len, RTM_NEWQDISC, sizeof(struct tcmsg), AF_UNSPEC);
	rd_nl_events_dispatch(&ev, buf, len);

	cr_assert_eq(ev.messages, 8);
	cr_assert_eq(links.msgs[RD_NLK_LINK], 1);
	cr_assert_eq(links.msgs[RD_NLK_ADDR], 1);
	cr_assert_eq(links.msgs[RD_NLK_NEIGH] + links.msgs[RD_NLK_FDB], 0);
	cr_assert_eq(routing.msgs[RD_NLK_LINK], 1, "a link goes to every consumer of links");
	cr_assert_eq(routing.msgs[RD_NLK_ROUTE], 1);
	cr_assert_eq(routing.msgs[RD_NLK_NEIGH], 1, "the IP neighbour");
	cr_assert_eq(routing.msgs[RD_NLK_FDB], 0, "FDB entries never reach the route cache");
	cr_assert_eq(bridge.msgs[RD_NLK_FDB], 2);
	cr_assert_eq(bridge.msgs[RD_NLK_VLAN], 1);
	cr_assert_eq(bridge.msgs[RD_NLK_NEIGH] + bridge.msgs[RD_NLK_LINK], 0);
	cr_assert_eq(ev.by_kind[RD_NLK_TC], 1, "the qdisc is sorted as traffic control");

	/* without a loop the resync is done at once, for everyone */
	rd_nl_events_resync_soon(&ev, "socket overrun, events lost");
	cr_assert_eq(links.resyncs + routing.resyncs + bridge.resyncs, 3);
	cr_assert_str_eq(bridge.why, "socket overrun, events lost");
	cr_assert_eq(links.batches, 1, "the resync ends a batch");
	cr_assert_eq(ev.resyncs, 1);
}

Test(nl_events, a_broken_buffer_is_dispatched_up_to_the_break)
{
	static char buf[256];
	struct rd_nl_events ev;
	struct seen all = { 0 };
	size_t len;

	rd_nl_events_init(&ev, NULL);
	rd_nl_events_add(&ev, &(struct rd_nl_consumer){ .kinds = ~0u, .msg = on_msg, .arg = &all });
	len = put(buf, 0, RTM_NEWLINK, sizeof(struct ifinfomsg), AF_UNSPEC);
	put(buf, len, RTM_NEWADDR, sizeof(struct ifaddrmsg), AF_INET);
	((struct nlmsghdr *)(buf + len))->nlmsg_len = 4096; /* lies about its length */
	rd_nl_events_dispatch(&ev, buf, len + 64);
	cr_assert_eq(all.msgs[RD_NLK_LINK], 1);
	cr_assert_eq(all.msgs[RD_NLK_ADDR], 0, "a message longer than the buffer was handed out");
}

Test(nl_events, types_are_named)
{
	char buf[16];

	cr_assert_str_eq(rd_nl_type_name(RTM_NEWLINK, buf, sizeof(buf)), "RTM_NEWLINK");
	cr_assert_str_eq(rd_nl_type_name(RTM_DELNEXTHOP, buf, sizeof(buf)), "RTM_DELNEXTHOP");
	cr_assert_str_eq(rd_nl_type_name(9999, buf, sizeof(buf)), "type 9999");
}
