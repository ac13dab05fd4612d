// SPDX-License-Identifier: GPL-2.0
/*
 * rtnetlink route messages for the benchmark: many RTM_NEWROUTE /
 * RTM_DELROUTE in one sendmsg() (the kernel handles a whole buffer before
 * sendmsg returns), no ACK asked, errors counted from the replies. Used to
 * install the route-scale tables (a million routes in seconds, where
 * `ip -batch` waits for an ACK per line) and by the churn process.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "bench.h"

#define RTNL_BUF (128 * 1024)
#define RTNL_MSG_MAX 128 /* header + the attributes below */

void rtnl_open(struct rtnl *nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, big = 4 << 20;

	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0 || bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("rtnetlink socket: %s", strerror(errno));
	/* only errors come back (no ACKs); keep them even when many fail */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	nl->cap = RTNL_BUF;
	nl->buf = malloc(nl->cap);
	if (!nl->buf)
		die("out of memory");
}

void rtnl_close(struct rtnl *nl)
{
	rtnl_flush(nl);
	close(nl->fd);
	free(nl->buf);
	nl->buf = NULL;
}

static void drain(struct rtnl *nl)
{
	char rb[16384];

	for (;;) {
		ssize_t n = recv(nl->fd, rb, sizeof(rb), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) { /* errors lost: at least one */
				nl->errors++;
				continue;
			}
			return;
		}
		for (struct nlmsghdr *h = (void *)rb; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			if (h->nlmsg_type == NLMSG_ERROR && e->error) {
				nl->errors++;
				if (!nl->first_error)
					nl->first_error = -e->error;
			}
		}
	}
}

void rtnl_flush(struct rtnl *nl)
{
	size_t off = 0;

	while (off < nl->len) {
		ssize_t n = send(nl->fd, nl->buf + off, nl->len - off, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS || errno == EAGAIN) {
				drain(nl);
				continue;
			}
			die("rtnetlink send: %s", strerror(errno));
		}
		off += n;
	}
	nl->len = 0;
	drain(nl);
}

static void put_attr(struct nlmsghdr *h, int type, const void *data, int len)
{
	struct rtattr *a = (void *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

void rtnl_route(struct rtnl *nl, int cmd, int flags, const struct rtnl_route *r)
{
	int alen = r->family == AF_INET ? 4 : 16;
	int gwf = r->gw_family ? r->gw_family : r->family;
	struct nlmsghdr *h;
	struct rtmsg *rtm;

	if (nl->len + RTNL_MSG_MAX > nl->cap)
		rtnl_flush(nl);
	h = (void *)(nl->buf + nl->len);
	memset(h, 0, RTNL_MSG_MAX);
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*rtm));
	h->nlmsg_type = cmd;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = ++nl->seq;
	rtm = NLMSG_DATA(h);
	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->plen;
	rtm->rtm_table = r->table < 256 ? (r->table ? r->table : RT_TABLE_MAIN) : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = cmd == RTM_DELROUTE ? RT_SCOPE_NOWHERE : RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	if (r->onlink)
		rtm->rtm_flags |= RTNH_F_ONLINK;
	put_attr(h, RTA_DST, r->dst, alen);
	if (r->table >= 256)
		put_attr(h, RTA_TABLE, &r->table, 4);
	if (r->gw && gwf == r->family) {
		put_attr(h, RTA_GATEWAY, r->gw, alen);
	} else if (r->gw) { /* RTA_VIA: family + address */
		struct { __u16 family; __u8 addr[16]; } via = { .family = gwf };

		memcpy(via.addr, r->gw, 16);
		put_attr(h, RTA_VIA, &via, sizeof(via));
	}
	if (r->oif)
		put_attr(h, RTA_OIF, &r->oif, 4);
	nl->len += NLMSG_ALIGN(h->nlmsg_len);
	nl->sent++;
}
