// SPDX-License-Identifier: GPL-2.0
/*
 * The nftables ruleset reader (routerd/netfilter/ruleset.c) on nf_tables netlink
 * messages built here byte for byte as the kernel sends them in answer to
 * GETCHAIN and GETRULE dumps (nf_tables_fill_chain_info,
 * nf_tables_fill_rule_info): what holds which family, and that anything
 * malformed makes the ruleset unreadable (hold everything), never a crash.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <string.h>

#include "netfilter/ruleset.h"

static char buf[8192];
static size_t len;
static struct rd_nf_ruleset rs;
static struct rd_nf_verdict v;

static void setup(void)
{
	len = 0;
	rd_nf_ruleset_init(&rs);
	memset(&v, 0, sizeof(v));
}

static void teardown(void)
{
	rd_nf_ruleset_free(&rs);
}

TestSuite(nf_ruleset, .init = setup, .fini = teardown);

/* ------------------------------------------------------------------ */
/* message builders                                                    */

static struct nlmsghdr *msg(int type, __u8 family, __u16 genid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + len);
	struct nfgenmsg *g;

	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	g->res_id = htons(genid);
	return nlh;
}

static void done(struct nlmsghdr *nlh)
{
	len += MNL_ALIGN(nlh->nlmsg_len);
}

/* A base chain; policy < 0: none given. */
static void chain(__u8 family, const char *table, const char *name, int hook, int policy,
		  const char *type)
{
	struct nlmsghdr *nlh = msg(NFT_MSG_NEWCHAIN, family, 1);
	struct nlattr *nest;

	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, name);
	if (hook >= 0) {
		nest = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
		mnl_attr_put_u32(nlh, NFTA_HOOK_HOOKNUM, htonl(hook));
		mnl_attr_put_u32(nlh, NFTA_HOOK_PRIORITY, htonl(0));
		mnl_attr_nest_end(nlh, nest);
		if (policy >= 0)
			mnl_attr_put_u32(nlh, NFTA_CHAIN_POLICY, htonl(policy));
		mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, type);
	}
	done(nlh);
}

/* Expressions, each "name" or "name:variant" (see put_expr). */
static void put_expr(struct nlmsghdr *nlh, const char *e)
{
	struct nlattr *elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM), *data, *d, *vd;
	char name[32];
	const char *variant = strchr(e, ':');

	snprintf(name, sizeof(name), "%.*s", variant ? (int)(variant - e) : (int)strlen(e), e);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, name);
	data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	if (!strcmp(name, "payload")) {
		mnl_attr_put_u32(nlh, NFTA_PAYLOAD_BASE, htonl(NFT_PAYLOAD_NETWORK_HEADER));
		mnl_attr_put_u32(nlh, NFTA_PAYLOAD_OFFSET, htonl(12));
		mnl_attr_put_u32(nlh, NFTA_PAYLOAD_LEN, htonl(4));
		if (variant && !strcmp(variant, ":set"))
			mnl_attr_put_u32(nlh, NFTA_PAYLOAD_SREG, htonl(NFT_REG_1));
		else
			mnl_attr_put_u32(nlh, NFTA_PAYLOAD_DREG, htonl(NFT_REG_1));
	} else if (!strcmp(name, "meta")) {
		mnl_attr_put_u32(nlh, NFTA_META_KEY, htonl(NFT_META_MARK));
		mnl_attr_put_u32(nlh, variant && !strcmp(variant, ":set") ? NFTA_META_SREG
									  : NFTA_META_DREG,
				 htonl(NFT_REG_1));
	} else if (!strcmp(name, "cmp")) {
		mnl_attr_put_u32(nlh, NFTA_CMP_SREG, htonl(NFT_REG_1));
		mnl_attr_put_u32(nlh, NFTA_CMP_OP, htonl(NFT_CMP_EQ));
	} else if (!strcmp(name, "lookup")) {
		mnl_attr_put_strz(nlh, NFTA_LOOKUP_SET, "s");
		mnl_attr_put_u32(nlh, NFTA_LOOKUP_SREG, htonl(NFT_REG_1));
		if (variant && !strcmp(variant, ":vmap"))
			mnl_attr_put_u32(nlh, NFTA_LOOKUP_DREG, htonl(NFT_REG_VERDICT));
	} else if (!strcmp(name, "immediate")) {
		int code = NF_ACCEPT;

		if (variant && !strcmp(variant, ":drop"))
			code = NF_DROP;
		else if (variant && !strcmp(variant, ":jump"))
			code = NFT_JUMP;
		else if (variant && !strcmp(variant, ":continue"))
			code = NFT_CONTINUE;
		mnl_attr_put_u32(nlh, NFTA_IMMEDIATE_DREG, htonl(NFT_REG_VERDICT));
		d = mnl_attr_nest_start(nlh, NFTA_IMMEDIATE_DATA);
		vd = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
		mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl((__u32)code));
		if (code == NFT_JUMP)
			mnl_attr_put_strz(nlh, NFTA_VERDICT_CHAIN, "other");
		mnl_attr_nest_end(nlh, vd);
		mnl_attr_nest_end(nlh, d);
	}
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, elem);
}

/* A rule of NULL-terminated expressions. */
static void rule(__u8 family, const char *table, const char *chain_name, ...)
{
	struct nlmsghdr *nlh = msg(NFT_MSG_NEWRULE, family, 1);
	struct nlattr *list;
	const char *e;
	va_list ap;

	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, table);
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, chain_name);
	list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	va_start(ap, chain_name);
	while ((e = va_arg(ap, const char *)))
		put_expr(nlh, e);
	va_end(ap);
	mnl_attr_nest_end(nlh, list);
	done(nlh);
}

static void nlmsg_done(void)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + len);

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	done(nlh);
}

/* Parses everything built so far; returns the hold. */
static __u32 judge(void)
{
	nlmsg_done();
	rd_nf_ruleset_add_buf(&rs, buf, len);
	rd_nf_ruleset_verdict(&rs, &v);
	return v.hold;
}

#define V4 RD_NF_HOLD_IPV4
#define V6 RD_NF_HOLD_IPV6
#define BR RD_NF_HOLD_BRIDGE

/* ------------------------------------------------------------------ */
/* what holds                                                          */

Test(nf_ruleset, no_ruleset_holds_nothing)
{
	cr_assert_eq(judge(), 0);
	cr_assert_not(rs.bad);
}

Test(nf_ruleset, empty_accept_base_chain_holds_nothing)
{
	chain(NFPROTO_INET, "filter", "forward", NF_INET_FORWARD, NF_ACCEPT, "filter");
	chain(NFPROTO_IPV4, "nat", "post", NF_INET_POST_ROUTING, NF_ACCEPT, "nat");
	cr_assert_eq(judge(), 0);
	cr_assert_eq(rs.n, 2);
}

Test(nf_ruleset, policy_drop_holds_its_family)
{
	chain(NFPROTO_IPV6, "filter", "forward", NF_INET_FORWARD, NF_DROP, "filter");
	cr_assert_eq(judge(), V6);
	cr_assert_eq(v.n_why[RD_NF_FAM_IPV6], 1);
	cr_assert(strstr(v.why[RD_NF_FAM_IPV6][0], "nft ip6 filter forward: policy drop"), "%s",
		  v.why[RD_NF_FAM_IPV6][0]);
}

Test(nf_ruleset, a_drop_rule_in_inet_holds_both_ip_families)
{
	chain(NFPROTO_INET, "t", "fw", NF_INET_FORWARD, NF_ACCEPT, "filter");
	rule(NFPROTO_INET, "t", "fw", "payload", "cmp", "immediate:drop", NULL);
	cr_assert_eq(judge(), V4 | V6);
	cr_assert(strstr(v.why[RD_NF_FAM_IPV4][0], "1 rule(s) act (drop)"), "%s",
		  v.why[RD_NF_FAM_IPV4][0]);
}

Test(nf_ruleset, the_reason_names_the_verdict_before_the_counter)
{
	chain(NFPROTO_IPV4, "filter", "FORWARD", NF_INET_FORWARD, NF_ACCEPT, "filter");
	rule(NFPROTO_IPV4, "filter", "FORWARD", "payload", "cmp", "counter", "immediate:drop", NULL);
	rule(NFPROTO_IPV4, "filter", "FORWARD", "counter", "immediate:accept", NULL);
	cr_assert_eq(judge(), V4);
	cr_assert(strstr(v.why[RD_NF_FAM_IPV4][0], "2 rule(s) act (drop)"), "%s",
		  v.why[RD_NF_FAM_IPV4][0]);
}

Test(nf_ruleset, accept_only_rules_hold_nothing)
{
	chain(NFPROTO_INET, "t", "fw", NF_INET_FORWARD, NF_ACCEPT, "filter");
	rule(NFPROTO_INET, "t", "fw", "payload", "cmp", "immediate:accept", NULL);
	rule(NFPROTO_INET, "t", "fw", "meta", "cmp", "lookup", "immediate:continue", NULL);
	rule(NFPROTO_INET, "t", "fw", "payload", "cmp", NULL);
	cr_assert_eq(judge(), 0);
	cr_assert_eq(rs.chains[0].rules, 3);
	cr_assert_eq(rs.chains[0].acting, 0);
}

Test(nf_ruleset, writes_verdict_maps_jumps_counters_and_unknown_expressions_act)
{
	static const char *const acting[] = { "payload:set", "meta:set", "lookup:vmap",
					       "immediate:jump", "counter", "masq", "nat",
					       "log", "reject", "queue", "dynset", "no-such" };

	for (size_t i = 0; i < sizeof(acting) / sizeof(acting[0]); i++) {
		setup();
		chain(NFPROTO_IPV4, "t", "c", NF_INET_PRE_ROUTING, NF_ACCEPT, "nat");
		rule(NFPROTO_IPV4, "t", "c", "payload", "cmp", acting[i], "immediate:accept", NULL);
		cr_assert_eq(judge(), V4, "%s should act", acting[i]);
		cr_assert_not(rs.bad, "%s: %s", acting[i], rs.error);
		teardown();
	}
}

Test(nf_ruleset, only_forwarding_hooks_of_ip_families_matter)
{
	chain(NFPROTO_IPV4, "t", "in", NF_INET_LOCAL_IN, NF_DROP, "filter");
	chain(NFPROTO_IPV4, "t", "out", NF_INET_LOCAL_OUT, NF_DROP, "filter");
	chain(NFPROTO_IPV4, "t", "regular", -1, -1, NULL);
	rule(NFPROTO_IPV4, "t", "regular", "immediate:drop", NULL);
	chain(NFPROTO_ARP, "t", "arp", 0, NF_DROP, "filter");
	cr_assert_eq(judge(), 0);
}

Test(nf_ruleset, bridge_and_netdev_families)
{
	chain(NFPROTO_BRIDGE, "t", "in", 1 /* NF_BR_LOCAL_IN */, NF_DROP, "filter");
	cr_assert_eq(judge(), BR);
	teardown();
	setup();
	chain(NFPROTO_NETDEV, "t", "ingress", 0, NF_ACCEPT, "filter");
	rule(NFPROTO_NETDEV, "t", "ingress", "immediate:drop", NULL);
	cr_assert_eq(judge(), RD_NF_HOLD_ALL);
}

Test(nf_ruleset, base_chain_without_policy_is_taken_as_drop)
{
	chain(NFPROTO_IPV4, "t", "fw", NF_INET_FORWARD, -1, "filter");
	cr_assert_eq(judge(), V4);
}

/* ------------------------------------------------------------------ */
/* consistency and malformed input                                     */

Test(nf_ruleset, two_generations_in_one_read_ask_for_another)
{
	struct nlmsghdr *nlh;

	chain(NFPROTO_IPV4, "t", "fw", NF_INET_FORWARD, NF_ACCEPT, "filter");
	nlh = msg(NFT_MSG_NEWCHAIN, NFPROTO_IPV4, 2);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "t");
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, "x");
	done(nlh);
	judge();
	cr_assert(rs.gen_mixed);
}

Test(nf_ruleset, a_rule_of_an_unknown_chain_asks_for_another_read)
{
	rule(NFPROTO_IPV4, "t", "nowhere", "immediate:drop", NULL);
	judge();
	cr_assert(rs.gen_mixed);
}

static void assert_unreadable(const char *what)
{
	__u32 hold = judge();

	cr_assert(rs.bad, "%s: not refused", what);
	cr_assert_eq(hold, RD_NF_HOLD_ALL, "%s: holds %#x", what, hold);
	cr_assert(strstr(v.why[RD_NF_FAM_IPV4][0], "unreadable"), "%s", v.why[0][0]);
}

Test(nf_ruleset, chain_without_name_is_unreadable)
{
	struct nlmsghdr *nlh = msg(NFT_MSG_NEWCHAIN, NFPROTO_IPV4, 1);

	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "t");
	done(nlh);
	assert_unreadable("no name");
}

Test(nf_ruleset, hook_without_number_is_unreadable)
{
	struct nlmsghdr *nlh = msg(NFT_MSG_NEWCHAIN, NFPROTO_IPV4, 1);
	struct nlattr *nest;

	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "t");
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, "c");
	nest = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
	mnl_attr_put_u32(nlh, NFTA_HOOK_PRIORITY, 0);
	mnl_attr_nest_end(nlh, nest);
	done(nlh);
	assert_unreadable("no hook number");
}

Test(nf_ruleset, short_policy_is_unreadable)
{
	struct nlmsghdr *nlh = msg(NFT_MSG_NEWCHAIN, NFPROTO_IPV4, 1);

	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "t");
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, "c");
	mnl_attr_put_u16(nlh, NFTA_CHAIN_POLICY, 1);
	done(nlh);
	assert_unreadable("u16 policy");
}

Test(nf_ruleset, attribute_longer_than_its_message_is_unreadable)
{
	struct nlmsghdr *nlh = msg(NFT_MSG_NEWCHAIN, NFPROTO_IPV4, 1);
	struct nlattr *a;

	mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, "t");
	a = (struct nlattr *)((char *)nlh + nlh->nlmsg_len);
	mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, "chain");
	a->nla_len = 200; /* past the end of the message */
	done(nlh);
	assert_unreadable("attribute overrun");
}

Test(nf_ruleset, expression_without_name_or_unnested_is_unreadable)
{
	struct nlmsghdr *nlh;
	struct nlattr *list, *elem;

	chain(NFPROTO_IPV4, "t", "c", NF_INET_FORWARD, NF_ACCEPT, "filter");
	nlh = msg(NFT_MSG_NEWRULE, NFPROTO_IPV4, 1);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "t");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "c");
	list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_u32(nlh, NFTA_EXPR_DATA, 0); /* no name; data not nested */
	mnl_attr_nest_end(nlh, elem);
	mnl_attr_nest_end(nlh, list);
	done(nlh);
	assert_unreadable("nameless expression");
}

Test(nf_ruleset, verdict_without_code_is_unreadable)
{
	struct nlmsghdr *nlh;
	struct nlattr *list, *elem, *data, *d;

	chain(NFPROTO_IPV4, "t", "c", NF_INET_FORWARD, NF_ACCEPT, "filter");
	nlh = msg(NFT_MSG_NEWRULE, NFPROTO_IPV4, 1);
	mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, "t");
	mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, "c");
	list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
	elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
	mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "immediate");
	data = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
	mnl_attr_put_u32(nlh, NFTA_IMMEDIATE_DREG, htonl(NFT_REG_VERDICT));
	d = mnl_attr_nest_start(nlh, NFTA_IMMEDIATE_DATA);
	mnl_attr_nest_end(nlh, d);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, elem);
	mnl_attr_nest_end(nlh, list);
	done(nlh);
	assert_unreadable("codeless verdict");
}

Test(nf_ruleset, message_shorter_than_nfgenmsg_is_unreadable)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWCHAIN;
	mnl_nlmsg_put_extra_header(nlh, 2);
	done(nlh);
	assert_unreadable("short message");
}

Test(nf_ruleset, netlink_error_is_unreadable)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EPERM;
	done(nlh);
	assert_unreadable("EPERM");
	cr_assert(strstr(rs.error, "not permitted"), "%s", rs.error);
}

Test(nf_ruleset, truncated_buffer_is_unreadable)
{
	chain(NFPROTO_IPV4, "t", "c", NF_INET_FORWARD, NF_ACCEPT, "filter");
	cr_assert_eq(rd_nf_ruleset_add_buf(&rs, buf, len - 3), -1);
	rd_nf_ruleset_verdict(&rs, &v);
	cr_assert_eq(v.hold, RD_NF_HOLD_ALL);
}

Test(nf_ruleset, dump_in_parts_and_done)
{
	size_t first;

	chain(NFPROTO_INET, "t", "c", NF_INET_FORWARD, NF_ACCEPT, "filter");
	first = len;
	rule(NFPROTO_INET, "t", "c", "immediate:drop", NULL);
	nlmsg_done();
	cr_assert_eq(rd_nf_ruleset_add_buf(&rs, buf, first), 0, "more to come");
	cr_assert_eq(rd_nf_ruleset_add_buf(&rs, buf + first, len - first), 1, "done");
	rd_nf_ruleset_verdict(&rs, &v);
	cr_assert_eq(v.hold, V4 | V6);
}

/* ------------------------------------------------------------------ */
/* recorded dumps (tests/unit/nft/README.md)                           */

static size_t load(const char *name, char *out, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/unit/nft/%s", RD_SOURCE_ROOT, name);
	f = fopen(path, "rb");
	cr_assert(f, "cannot open %s", path);
	n = fread(out, 1, cap, f);
	fclose(f);
	cr_assert(n > 0 && n < cap, "%s: %zu bytes", path, n);
	return n;
}

static const struct rd_nf_chain *chain_named(const char *table, const char *name)
{
	for (size_t i = 0; i < rs.n; i++)
		if (!strcmp(rs.chains[i].table, table) && !strcmp(rs.chains[i].name, name))
			return &rs.chains[i];
	cr_assert_fail("no chain %s %s", table, name);
	return NULL;
}

/* table inet fw: forward (policy drop; ct state accept, a counted set
 * lookup accept, a limit accept, meta mark set + jump other), other (a
 * regular chain); table ip nat: post (masquerade), pre (dnat); table
 * bridge br: fw (empty, accept) */
Test(nf_ruleset, a_recorded_ruleset)
{
	static char rec[65536];
	const struct rd_nf_chain *c;
	size_t n;

	n = load("chains.bin", rec, sizeof(rec));
	cr_assert_eq(rd_nf_ruleset_add_buf(&rs, rec, n), 1);
	n = load("rules.bin", rec, sizeof(rec));
	cr_assert_eq(rd_nf_ruleset_add_buf(&rs, rec, n), 1);
	cr_assert_not(rs.bad, "%s", rs.error);
	cr_assert_not(rs.gen_mixed);
	cr_assert_eq(rs.n, 5);

	c = chain_named("fw", "forward");
	cr_assert(c->base && c->hook == NF_INET_FORWARD && c->policy == NF_DROP);
	cr_assert_eq(c->rules, 4);
	cr_assert_eq(c->acting, 2, "the counted accept and the mark-and-jump act, %u did",
		     c->acting);
	c = chain_named("fw", "other");
	cr_assert_not(c->base);
	cr_assert_eq(c->rules, 1);
	c = chain_named("nat", "post");
	cr_assert(c->base && c->hook == NF_INET_POST_ROUTING && !strcmp(c->type, "nat"));
	cr_assert_eq(c->acting, 1);
	cr_assert_str_eq(c->first_act, "masq");
	c = chain_named("nat", "pre");
	cr_assert_str_eq(c->first_act, "nat");
	c = chain_named("br", "fw");
	cr_assert(c->base && c->policy == NF_ACCEPT && c->rules == 0);

	rd_nf_ruleset_verdict(&rs, &v);
	cr_assert_eq(v.hold, V4 | V6, "holds %#x", v.hold);
	cr_assert_eq(v.n_why[RD_NF_FAM_IPV4], 3); /* fw forward, nat post, nat pre */
	cr_assert_eq(v.n_why[RD_NF_FAM_IPV6], 1);
}

/* ------------------------------------------------------------------ */
/* verdicts                                                            */

Test(nf_ruleset, verdict_reasons_are_capped_and_compared)
{
	struct rd_nf_verdict a = { 0 }, b = { 0 };

	for (int i = 0; i < RD_NF_MAX_WHY + 3; i++)
		rd_nf_verdict_add(&a, V4 | BR, "reason %d", i);
	cr_assert_eq(a.n_why[RD_NF_FAM_IPV4], RD_NF_MAX_WHY + 3);
	cr_assert_eq(a.n_why[RD_NF_FAM_IPV6], 0);
	cr_assert_str_eq(a.why[RD_NF_FAM_BRIDGE][RD_NF_MAX_WHY - 1], "reason 5");
	b = a;
	cr_assert(rd_nf_verdict_equal(&a, &b));
	snprintf(b.why[RD_NF_FAM_IPV4][1], RD_NF_WHY_LEN, "other");
	cr_assert_not(rd_nf_verdict_equal(&a, &b));
}
