// SPDX-License-Identifier: GPL-2.0
/* Conntrack offload, the pure parts: the `netfilter offload` keyword, the
 * ctnetlink messages (built, then read back attribute by attribute with
 * libmnl, independently of the builder), the parser on a message built
 * here by hand, and the ruleset cases that refuse offload. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <string.h>

#include "common/config.h"
#include "netfilter/ctnetlink.h"
#include "netfilter/ruleset.h"

/* ------------------------------------------------------------------ */
/* the keyword                                                         */

Test(offload_config, keyword_and_flag_spelling)
{
	static struct rd_config cfg;
	char err[256] = "";

	rd_config_init(&cfg);
	cr_assert_eq(rd_config_parse_line(&cfg, "netfilter offload", err, sizeof(err)), 0, "%s",
		     err);
	cr_assert_eq(cfg.netfilter, RD_NF_OFFLOAD);
	cr_assert_str_eq(rd_nf_mode_name(cfg.netfilter), "offload");
	cr_assert_eq(rd_config_parse_line(&cfg, "netfilter offload # conntrack", err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(rd_config_parse_line(&cfg, "netfilter offload now", err, sizeof(err)), -1);
	cr_assert_eq(rd_config_parse_line(&cfg, "netfilter Offload", err, sizeof(err)), -1);
	cr_assert(strstr(err, "expected auto, offload or off"), "%s", err);
	cr_assert_eq(cfg.netfilter, RD_NF_OFFLOAD, "a bad line changes nothing");
}

/* ------------------------------------------------------------------ */
/* ctnetlink                                                           */

static struct rd_ct_tuple tuple4(__u8 proto)
{
	struct rd_ct_tuple t = { .family = AF_INET, .proto = proto };

	t.saddr[0] = htonl(0xc6120102); /* 198.18.1.2 */
	t.daddr[0] = htonl(0xc6120202); /* 198.18.2.2 */
	t.sport = htons(40000);
	t.dport = htons(5201);
	return t;
}

/* The attributes of nest A by type (checks each is well formed). */
static void nest(const struct nlattr *a, const struct nlattr **tb, int max)
{
	const struct nlattr *c;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	cr_assert(mnl_attr_get_type(a) != 0);
	cr_assert(a->nla_type & NLA_F_NESTED, "nest %u flagged nested", mnl_attr_get_type(a));
	mnl_attr_for_each_nested(c, a) {
		cr_assert_leq(mnl_attr_get_type(c), max);
		cr_assert_null(tb[mnl_attr_get_type(c)], "attribute %u twice", mnl_attr_get_type(c));
		tb[mnl_attr_get_type(c)] = c;
	}
}

static void top(const struct nlmsghdr *nlh, const struct nlattr **tb, int max)
{
	const struct nlattr *a;
	size_t seen = 0;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		cr_assert_leq(mnl_attr_get_type(a), max);
		tb[mnl_attr_get_type(a)] = a;
		seen += NLA_ALIGN(a->nla_len);
	}
	cr_assert_eq(seen + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg)), nlh->nlmsg_len,
		     "attributes fill the message exactly");
}

static void check_tuple4(const struct nlattr *orig, __u8 proto)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1], *pr[CTA_PROTO_MAX + 1];
	static const unsigned char src[4] = { 198, 18, 1, 2 }, dst[4] = { 198, 18, 2, 2 };
	static const unsigned char sport[2] = { 0x9c, 0x40 }, dport[2] = { 0x14, 0x51 };

	nest(orig, tb, CTA_TUPLE_MAX);
	cr_assert_not_null(tb[CTA_TUPLE_IP]);
	cr_assert_not_null(tb[CTA_TUPLE_PROTO]);
	nest(tb[CTA_TUPLE_IP], ip, CTA_IP_MAX);
	cr_assert_eq(mnl_attr_get_payload_len(ip[CTA_IP_V4_SRC]), 4);
	cr_assert_eq(memcmp(mnl_attr_get_payload(ip[CTA_IP_V4_SRC]), src, 4), 0);
	cr_assert_eq(memcmp(mnl_attr_get_payload(ip[CTA_IP_V4_DST]), dst, 4), 0);
	nest(tb[CTA_TUPLE_PROTO], pr, CTA_PROTO_MAX);
	cr_assert_eq(mnl_attr_get_payload_len(pr[CTA_PROTO_NUM]), 1);
	cr_assert_eq(*(const __u8 *)mnl_attr_get_payload(pr[CTA_PROTO_NUM]), proto);
	cr_assert_eq(memcmp(mnl_attr_get_payload(pr[CTA_PROTO_SRC_PORT]), sport, 2), 0);
	cr_assert_eq(memcmp(mnl_attr_get_payload(pr[CTA_PROTO_DST_PORT]), dport, 2), 0);
}

Test(ctnetlink, liberal_update_sets_be_liberal_on_both_directions)
{
	char buf[512];
	struct rd_ct_tuple t = tuple4(IPPROTO_TCP);
	size_t len = rd_ct_build_liberal(buf, sizeof(buf), &t, 77);
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[CTA_MAX + 1], *pi[CTA_PROTOINFO_MAX + 1],
		*tcp[CTA_PROTOINFO_TCP_MAX + 1];
	static const int dirs[2] = { CTA_PROTOINFO_TCP_FLAGS_ORIGINAL,
				     CTA_PROTOINFO_TCP_FLAGS_REPLY };

	cr_assert_gt(len, 0);
	cr_assert_eq(len, nlh->nlmsg_len);
	cr_assert_eq(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW);
	/* an update: no NLM_F_CREATE (a gone entry must not come back), no
	 * NLM_F_EXCL (which refuses an existing one) */
	cr_assert_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	cr_assert_eq(nlh->nlmsg_seq, 77);
	cr_assert_eq(g->nfgen_family, AF_INET);
	cr_assert_eq(g->version, NFNETLINK_V0);
	top(nlh, tb, CTA_MAX);
	check_tuple4(tb[CTA_TUPLE_ORIG], IPPROTO_TCP);
	cr_assert_null(tb[CTA_TUPLE_REPLY]);
	cr_assert_null(tb[CTA_STATUS], "the status is left alone");
	cr_assert_null(tb[CTA_TIMEOUT], "the timeout is left alone");
	nest(tb[CTA_PROTOINFO], pi, CTA_PROTOINFO_MAX);
	nest(pi[CTA_PROTOINFO_TCP], tcp, CTA_PROTOINFO_TCP_MAX);
	cr_assert_null(tcp[CTA_PROTOINFO_TCP_STATE], "the TCP state is left alone");
	for (int d = 0; d < 2; d++) {
		const unsigned char *f = mnl_attr_get_payload(tcp[dirs[d]]);

		cr_assert_eq(mnl_attr_get_payload_len(tcp[dirs[d]]), 2);
		cr_assert_eq(f[0], IP_CT_TCP_FLAG_BE_LIBERAL, "flags");
		cr_assert_eq(f[1], IP_CT_TCP_FLAG_BE_LIBERAL, "mask: no other flag touched");
	}
}

Test(ctnetlink, liberal_update_refuses_what_is_not_tcp)
{
	char buf[512];
	struct rd_ct_tuple t = tuple4(IPPROTO_UDP);

	cr_assert_eq(rd_ct_build_liberal(buf, sizeof(buf), &t, 1), 0);
	t = tuple4(IPPROTO_TCP);
	t.family = AF_PACKET;
	cr_assert_eq(rd_ct_build_liberal(buf, sizeof(buf), &t, 1), 0);
	t = tuple4(IPPROTO_TCP);
	cr_assert_eq(rd_ct_build_liberal(buf, 100, &t, 1), 0, "too small a buffer");
}

Test(ctnetlink, get_ipv6)
{
	char buf[512];
	struct rd_ct_tuple t = { .family = AF_INET6, .proto = IPPROTO_UDP };
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	const struct nlattr *tb[CTA_MAX + 1], *tu[CTA_TUPLE_MAX + 1], *ip[CTA_IP_MAX + 1];
	size_t len;

	inet_pton(AF_INET6, "2001:db8:1::2", t.saddr);
	inet_pton(AF_INET6, "2001:db8:2::2", t.daddr);
	len = rd_ct_build_get(buf, sizeof(buf), &t, 5);
	cr_assert_gt(len, 0);
	cr_assert_eq(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET);
	cr_assert_eq(((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family,
		     AF_INET6);
	top(nlh, tb, CTA_MAX);
	cr_assert_null(tb[CTA_PROTOINFO]);
	nest(tb[CTA_TUPLE_ORIG], tu, CTA_TUPLE_MAX);
	nest(tu[CTA_TUPLE_IP], ip, CTA_IP_MAX);
	cr_assert_null(ip[CTA_IP_V4_SRC]);
	cr_assert_eq(mnl_attr_get_payload_len(ip[CTA_IP_V6_SRC]), 16);
	cr_assert_eq(memcmp(mnl_attr_get_payload(ip[CTA_IP_V6_DST]), t.daddr, 16), 0);
}

/* An entry as the kernel sends it, built here attribute by attribute. */
static size_t kernel_entry(char *buf, bool truncate_tcp)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	struct nlattr *n, *m;
	const struct nf_ct_tcp_flags fo = { IP_CT_TCP_FLAG_BE_LIBERAL | IP_CT_TCP_FLAG_SACK_PERM, 0 },
				     fr = { IP_CT_TCP_FLAG_SACK_PERM, 0 };
	static const char *const addrs[2][2] = { { "198.18.1.2", "198.18.2.2" },
						 { "198.18.2.2", "198.18.2.1" } };
	const __u16 ports[2][2] = { { 40000, 5201 }, { 5201, 61000 } };

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	for (int d = 0; d < 2; d++) {
		__be32 a;

		n = mnl_attr_nest_start(nlh, d ? CTA_TUPLE_REPLY : CTA_TUPLE_ORIG);
		m = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		inet_pton(AF_INET, addrs[d][0], &a);
		mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, a);
		inet_pton(AF_INET, addrs[d][1], &a);
		mnl_attr_put_u32(nlh, CTA_IP_V4_DST, a);
		mnl_attr_nest_end(nlh, m);
		m = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(ports[d][0]));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(ports[d][1]));
		mnl_attr_nest_end(nlh, m);
		mnl_attr_nest_end(nlh, n);
	}
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(IPS_CONFIRMED | IPS_SRC_NAT | IPS_SEEN_REPLY));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(431999));
	n = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
	m = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
	mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, TCP_CONNTRACK_ESTABLISHED);
	mnl_attr_put(nlh, CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, sizeof(fo), &fo);
	mnl_attr_put(nlh, CTA_PROTOINFO_TCP_FLAGS_REPLY, truncate_tcp ? 1 : sizeof(fr), &fr);
	mnl_attr_nest_end(nlh, m);
	mnl_attr_nest_end(nlh, n);
	return nlh->nlmsg_len;
}

Test(ctnetlink, parse_an_entry)
{
	char buf[1024], s[160];
	struct rd_ct_info info;

	kernel_entry(buf, false);
	cr_assert_eq(rd_ct_parse((struct nlmsghdr *)buf, &info), 0);
	cr_assert_str_eq(rd_ct_tuple_str(&info.orig, s, sizeof(s)),
			 "tcp 198.18.1.2:40000 -> 198.18.2.2:5201");
	cr_assert_str_eq(rd_ct_tuple_str(&info.reply, s, sizeof(s)),
			 "tcp 198.18.2.2:5201 -> 198.18.2.1:61000");
	cr_assert_eq(info.status, IPS_CONFIRMED | IPS_SRC_NAT | IPS_SEEN_REPLY);
	cr_assert_eq(info.timeout_s, 431999);
	cr_assert(info.have_tcp);
	cr_assert_eq(info.tcp_state, TCP_CONNTRACK_ESTABLISHED);
	cr_assert_eq(info.tcp_flags[0], IP_CT_TCP_FLAG_BE_LIBERAL | IP_CT_TCP_FLAG_SACK_PERM);
	cr_assert_eq(info.tcp_flags[1], IP_CT_TCP_FLAG_SACK_PERM);
}

Test(ctnetlink, parse_ignores_a_short_attribute_and_refuses_garbage)
{
	char buf[1024];
	struct rd_ct_info info;
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	size_t len;

	kernel_entry(buf, true);
	cr_assert_eq(rd_ct_parse(nlh, &info), 0);
	cr_assert_eq(info.tcp_flags[1], 0, "a 1-byte flags attribute is not read");
	len = kernel_entry(buf, false);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	cr_assert_eq(rd_ct_parse(nlh, &info), -1, "not an entry");
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	/* the first attribute (CTA_TUPLE_ORIG) claims more than the message */
	((struct nlattr *)(buf + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg))))->nla_len =
		(__u16)len;
	cr_assert_eq(rd_ct_parse(nlh, &info), -1, "an attribute past the end");
}

/* ------------------------------------------------------------------ */
/* the ruleset: where offload is refused                              */

static struct rd_nf_chain chain(__u8 family, __u32 hook, const char *type, unsigned int acting,
				__u32 policy)
{
	struct rd_nf_chain c = { .family = family, .base = true, .hook = hook, .policy = policy,
				 .acting = acting, .rules = acting };

	snprintf(c.table, sizeof(c.table), "t");
	snprintf(c.name, sizeof(c.name), "c");
	snprintf(c.type, sizeof(c.type), "%s", type);
	snprintf(c.first_act, sizeof(c.first_act), "x");
	return c;
}

static struct rd_nf_verdict verdict_of(struct rd_nf_chain *chains, size_t n)
{
	struct rd_nf_ruleset rs = { .chains = chains, .n = n, .cap = n };
	struct rd_nf_verdict v;

	memset(&v, 0, sizeof(v));
	rd_nf_ruleset_verdict(&rs, &v);
	return v;
}

Test(offload_ruleset, the_home_router_may_offload)
{
	struct rd_nf_chain c[] = {
		chain(NFPROTO_INET, NF_INET_FORWARD, "filter", 2, NF_DROP),
		chain(NFPROTO_IPV4, NF_INET_POST_ROUTING, "nat", 1, NF_ACCEPT),
		chain(NFPROTO_IPV6, NF_INET_POST_ROUTING, "nat", 1, NF_ACCEPT),
		chain(NFPROTO_IPV4, NF_INET_PRE_ROUTING, "nat", 1, NF_ACCEPT),
		chain(NFPROTO_INET, NF_INET_PRE_ROUTING, "filter", 1, NF_ACCEPT),
		/* route chains that only accept change nothing */
		chain(NFPROTO_IPV4, NF_INET_PRE_ROUTING, "route", 0, NF_ACCEPT),
	};
	struct rd_nf_verdict v = verdict_of(c, sizeof(c) / sizeof(c[0]));

	cr_assert_eq(v.hold, RD_NF_HOLD_IPV4 | RD_NF_HOLD_IPV6);
	cr_assert_eq(v.no_offload, 0, "%s", v.no_offload_why[0]);
}

Test(offload_ruleset, refusals)
{
	static const struct {
		struct rd_nf_chain c;
		__u32 refused;
		const char *why;
	} cases[] = {
		{ { .family = NFPROTO_NETDEV, .base = true, .hook = 0, .acting = 1, .type = "filter" },
		  RD_NF_HOLD_ALL, "netdev" },
		{ { .family = NFPROTO_INET, .base = true, .hook = NF_INET_INGRESS, .acting = 1,
		    .type = "filter" },
		  RD_NF_HOLD_IPV4 | RD_NF_HOLD_IPV6, "ingress" },
		{ { .family = NFPROTO_IPV6, .base = true, .hook = NF_INET_PRE_ROUTING, .acting = 1,
		    .type = "route" },
		  RD_NF_HOLD_IPV6, "route chain" },
		{ { .family = NFPROTO_IPV4, .base = true, .hook = NF_INET_POST_ROUTING, .acting = 1,
		    .type = "filter" },
		  RD_NF_HOLD_IPV4, "after the forward hook" },
		{ { .family = NFPROTO_IPV4, .base = true, .hook = NF_INET_POST_ROUTING,
		    .policy = NF_DROP, .type = "filter" },
		  RD_NF_HOLD_IPV4, "after the forward hook" },
		/* bridged traffic is never offloaded: nothing to refuse */
		{ { .family = NFPROTO_BRIDGE, .base = true, .hook = NF_INET_FORWARD, .acting = 1,
		    .type = "filter" },
		  0, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rd_nf_chain c = cases[i].c;
		struct rd_nf_verdict v = verdict_of(&c, 1);

		cr_assert_eq(v.no_offload, cases[i].refused, "case %zu: %#x", i, v.no_offload);
		for (int f = 0; f < RD_NF_FAMILIES; f++)
			if (cases[i].refused & (1u << f))
				cr_assert(strstr(v.no_offload_why[f], cases[i].why), "case %zu: %s",
					  i, v.no_offload_why[f]);
	}
}

Test(offload_ruleset, what_cannot_be_read_cannot_be_offloaded)
{
	struct rd_nf_ruleset rs = { .bad = true };
	struct rd_nf_verdict v;

	snprintf(rs.error, sizeof(rs.error), "truncated");
	memset(&v, 0, sizeof(v));
	rd_nf_ruleset_verdict(&rs, &v);
	cr_assert_eq(v.no_offload, RD_NF_HOLD_ALL);
	memset(&v, 0, sizeof(v));
	rd_nf_verdict_add(&v, RD_NF_HOLD_IPV6, "ip6tables-legacy filter: unreadable (EPERM)");
	rd_nf_verdict_add(&v, RD_NF_HOLD_IPV4, "nft ip t c: 1 rule(s) act (counter)");
	cr_assert_eq(v.no_offload, RD_NF_HOLD_IPV6);
}
