// SPDX-License-Identifier: GPL-2.0
/* ctnetlink messages of conntrack offload: see ctnetlink.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "netfilter/ctnetlink.h"

static bool tuple_ok(const struct rd_ct_tuple *t)
{
	return (t->family == AF_INET || t->family == AF_INET6) &&
	       (t->proto == IPPROTO_TCP || t->proto == IPPROTO_UDP);
}

/* The header of a ctnetlink request; NULL if BUF cannot hold a whole
 * request (the largest is well under 256 bytes). */
static struct nlmsghdr *put_header(void *buf, size_t len, __u8 msg, __u16 flags, __u8 family,
				   __u32 seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *g;

	if (len < 256)
		return NULL;
	memset(buf, 0, 256);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	return nlh;
}

/* CTA_TUPLE_ORIG: the kernel finds an entry by either direction's tuple
 * (nf_conntrack_find_get), so the wire tuple of any packet will do. */
static void put_tuple(struct nlmsghdr *nlh, const struct rd_ct_tuple *t)
{
	struct nlattr *tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	struct nlattr *proto;

	if (t->family == AF_INET) {
		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, t->saddr[0]);
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, t->daddr[0]);
	} else {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, t->saddr);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, t->daddr);
	}
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, t->sport);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, t->dport);
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
}

size_t rd_ct_build_liberal(void *buf, size_t len, const struct rd_ct_tuple *t, __u32 seq)
{
	/* set BE_LIBERAL, touch no other flag (nlattr_to_tcp applies the mask) */
	const struct nf_ct_tcp_flags liberal = { .flags = IP_CT_TCP_FLAG_BE_LIBERAL,
						 .mask = IP_CT_TCP_FLAG_BE_LIBERAL };
	struct nlmsghdr *nlh;
	struct nlattr *info, *tcp;

	if (!tuple_ok(t) || t->proto != IPPROTO_TCP)
		return 0;
	/* no NLM_F_CREATE: an entry that is gone stays gone (-ENOENT) */
	nlh = put_header(buf, len, IPCTNL_MSG_CT_NEW, NLM_F_ACK, t->family, seq);
	if (!nlh)
		return 0;
	put_tuple(nlh, t);
	info = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
	tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
	mnl_attr_put(nlh, CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, sizeof(liberal), &liberal);
	mnl_attr_put(nlh, CTA_PROTOINFO_TCP_FLAGS_REPLY, sizeof(liberal), &liberal);
	mnl_attr_nest_end(nlh, tcp);
	mnl_attr_nest_end(nlh, info);
	return nlh->nlmsg_len;
}

size_t rd_ct_build_get(void *buf, size_t len, const struct rd_ct_tuple *t, __u32 seq)
{
	struct nlmsghdr *nlh;

	if (!tuple_ok(t))
		return 0;
	nlh = put_header(buf, len, IPCTNL_MSG_CT_GET, NLM_F_ACK, t->family, seq);
	if (!nlh)
		return 0;
	put_tuple(nlh, t);
	return nlh->nlmsg_len;
}

/* ------------------------------------------------------------------ */
/* parsing                                                             */

/* The attributes of the nest A, by type, up to MAX; -1 if malformed. */
static int nested(const struct nlattr *a, const struct nlattr **tb, unsigned int max)
{
	const struct nlattr *c;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_attr_get_payload_len(a) && mnl_attr_get_payload_len(a) < sizeof(struct nlattr))
		return -1;
	mnl_attr_for_each_nested(c, a) {
		if (!mnl_attr_ok(c, (char *)mnl_attr_get_payload(a) + mnl_attr_get_payload_len(a) -
					    (char *)c))
			return -1;
		if (mnl_attr_get_type(c) <= max)
			tb[mnl_attr_get_type(c)] = c;
	}
	return 0;
}

static bool len_is(const struct nlattr *a, size_t len)
{
	return a && mnl_attr_get_payload_len(a) == len;
}

static int parse_tuple(const struct nlattr *a, __u8 family, struct rd_ct_tuple *t)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1], *pr[CTA_PROTO_MAX + 1];

	memset(t, 0, sizeof(*t));
	t->family = family;
	if (nested(a, tb, CTA_TUPLE_MAX) || !tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO] ||
	    nested(tb[CTA_TUPLE_IP], ip, CTA_IP_MAX) || nested(tb[CTA_TUPLE_PROTO], pr, CTA_PROTO_MAX))
		return -1;
	if (family == AF_INET && len_is(ip[CTA_IP_V4_SRC], 4) && len_is(ip[CTA_IP_V4_DST], 4)) {
		memcpy(t->saddr, mnl_attr_get_payload(ip[CTA_IP_V4_SRC]), 4);
		memcpy(t->daddr, mnl_attr_get_payload(ip[CTA_IP_V4_DST]), 4);
	} else if (family == AF_INET6 && len_is(ip[CTA_IP_V6_SRC], 16) &&
		   len_is(ip[CTA_IP_V6_DST], 16)) {
		memcpy(t->saddr, mnl_attr_get_payload(ip[CTA_IP_V6_SRC]), 16);
		memcpy(t->daddr, mnl_attr_get_payload(ip[CTA_IP_V6_DST]), 16);
	} else {
		return -1;
	}
	if (!len_is(pr[CTA_PROTO_NUM], 1))
		return -1;
	t->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	if (len_is(pr[CTA_PROTO_SRC_PORT], 2))
		t->sport = mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]);
	if (len_is(pr[CTA_PROTO_DST_PORT], 2))
		t->dport = mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]);
	return 0;
}

static int parse_protoinfo(const struct nlattr *a, struct rd_ct_info *out)
{
	const struct nlattr *pi[CTA_PROTOINFO_MAX + 1], *tcp[CTA_PROTOINFO_TCP_MAX + 1];
	static const int flags[2] = { CTA_PROTOINFO_TCP_FLAGS_ORIGINAL,
				      CTA_PROTOINFO_TCP_FLAGS_REPLY };

	if (nested(a, pi, CTA_PROTOINFO_MAX))
		return -1;
	if (!pi[CTA_PROTOINFO_TCP])
		return 0;
	if (nested(pi[CTA_PROTOINFO_TCP], tcp, CTA_PROTOINFO_TCP_MAX))
		return -1;
	out->have_tcp = true;
	if (len_is(tcp[CTA_PROTOINFO_TCP_STATE], 1))
		out->tcp_state = mnl_attr_get_u8(tcp[CTA_PROTOINFO_TCP_STATE]);
	for (int d = 0; d < 2; d++)
		if (len_is(tcp[flags[d]], sizeof(struct nf_ct_tcp_flags)))
			out->tcp_flags[d] =
				((const struct nf_ct_tcp_flags *)mnl_attr_get_payload(tcp[flags[d]]))
					->flags;
	return 0;
}

int rd_ct_parse(const struct nlmsghdr *nlh, struct rd_ct_info *out)
{
	const struct nlattr *tb[CTA_MAX + 1] = { 0 }, *a;
	const struct nfgenmsg *g;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != (NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return -1;
	g = mnl_nlmsg_get_payload(nlh);
	mnl_attr_for_each(a, nlh, sizeof(*g)) {
		if (!mnl_attr_ok(a, (char *)mnl_nlmsg_get_payload_tail(nlh) - (char *)a))
			return -1;
		if (mnl_attr_get_type(a) <= CTA_MAX)
			tb[mnl_attr_get_type(a)] = a;
	}
	if (!tb[CTA_TUPLE_ORIG] || !tb[CTA_TUPLE_REPLY] ||
	    parse_tuple(tb[CTA_TUPLE_ORIG], g->nfgen_family, &out->orig) ||
	    parse_tuple(tb[CTA_TUPLE_REPLY], g->nfgen_family, &out->reply))
		return -1;
	if (len_is(tb[CTA_STATUS], 4))
		out->status = ntohl(mnl_attr_get_u32(tb[CTA_STATUS]));
	if (len_is(tb[CTA_TIMEOUT], 4))
		out->timeout_s = ntohl(mnl_attr_get_u32(tb[CTA_TIMEOUT]));
	if (tb[CTA_PROTOINFO] && parse_protoinfo(tb[CTA_PROTOINFO], out))
		return -1;
	return 0;
}

const char *rd_ct_tuple_str(const struct rd_ct_tuple *t, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	const char *proto = t->proto == IPPROTO_TCP ? "tcp" : t->proto == IPPROTO_UDP ? "udp" : "?";
	int v6 = t->family == AF_INET6;

	inet_ntop(t->family, t->saddr, s, sizeof(s));
	inet_ntop(t->family, t->daddr, d, sizeof(d));
	snprintf(buf, len, "%s %s%s%s:%u -> %s%s%s:%u", proto, v6 ? "[" : "", s, v6 ? "]" : "",
		 ntohs(t->sport), v6 ? "[" : "", d, v6 ? "]" : "", ntohs(t->dport));
	return buf;
}

/* ------------------------------------------------------------------ */
/* the kernel                                                          */

int rd_ct_request(struct mnl_socket *nl, void *msg, size_t len, struct rd_ct_info *info)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	const struct nlmsghdr *req = msg;
	int rc = -EIO;

	if (mnl_socket_sendto(nl, msg, len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)n;

		if (n < 0)
			return -errno;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_seq != req->nlmsg_seq)
				continue; /* a late answer to an earlier request */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

				if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
					return -EIO;
				/* the ack ends the exchange; an entry came before it */
				return e->error ? e->error : (info ? rc : 0);
			}
			if (info && !rd_ct_parse(nlh, info))
				rc = 0;
		}
	}
}
