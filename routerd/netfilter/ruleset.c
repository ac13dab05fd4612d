// SPDX-License-Identifier: GPL-2.0
/* The nftables ruleset, parsed for the fast path's question: nf_ruleset.h. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netfilter/ruleset.h"
#include "daemon/nlmsg.h"

/* ------------------------------------------------------------------ */
/* verdicts                                                            */

void rd_nf_verdict_add(struct rd_nf_verdict *v, __u32 hold, const char *fmt, ...)
{
	char why[RD_NF_WHY_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	v->hold |= hold;
	for (int f = 0; f < RD_NF_FAMILIES; f++) {
		if (!(hold & (1u << f)))
			continue;
		if (v->n_why[f] < RD_NF_MAX_WHY)
			memcpy(v->why[f][v->n_why[f]], why, sizeof(why));
		v->n_why[f]++;
	}
	/* what routerd cannot see, it cannot re-check either */
	if (strstr(why, "unreadable") || strstr(why, "cannot"))
		rd_nf_verdict_no_offload(v, hold, "%s", why);
}

void rd_nf_verdict_no_offload(struct rd_nf_verdict *v, __u32 fams, const char *fmt, ...)
{
	char why[RD_NF_WHY_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	for (int f = 0; f < RD_NF_FAMILIES; f++)
		if ((fams & (1u << f)) && !(v->no_offload & (1u << f)))
			memcpy(v->no_offload_why[f], why, sizeof(why));
	v->no_offload |= fams;
}

bool rd_nf_verdict_equal(const struct rd_nf_verdict *a, const struct rd_nf_verdict *b)
{
	if (a->hold != b->hold || a->no_offload != b->no_offload ||
	    a->fingerprint != b->fingerprint)
		return false;
	for (int f = 0; f < RD_NF_FAMILIES; f++) {
		unsigned int n = a->n_why[f] < RD_NF_MAX_WHY ? a->n_why[f] : RD_NF_MAX_WHY;

		if (a->n_why[f] != b->n_why[f])
			return false;
		for (unsigned int i = 0; i < n; i++)
			if (strcmp(a->why[f][i], b->why[f][i]))
				return false;
	}
	return true;
}

const char *rd_nf_family_name(int fam)
{
	static const char *const names[] = { "ipv4", "ipv6", "bridge" };

	return fam >= 0 && fam < RD_NF_FAMILIES ? names[fam] : "?";
}

/* ------------------------------------------------------------------ */
/* the ruleset                                                         */

void rd_nf_ruleset_init(struct rd_nf_ruleset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

void rd_nf_ruleset_free(struct rd_nf_ruleset *rs)
{
	free(rs->chains);
	rd_nf_ruleset_init(rs);
}

static int bad(struct rd_nf_ruleset *rs, const char *why)
{
	if (!rs->bad)
		snprintf(rs->error, sizeof(rs->error), "%s", why);
	rs->bad = true;
	return -1;
}

/* mnl_attr_parse() callbacks: keep attributes up to MAX, each checked
 * against the type its users read it as. */
struct attrs {
	const struct nlattr **tb;
	int max;
	const enum mnl_attr_data_type *types; /* by attribute type; MNL_TYPE_UNSPEC: any */
};

static int keep_attr(const struct nlattr *a, void *data)
{
	const struct attrs *at = data;
	int type = mnl_attr_get_type(a);

	if (type > at->max)
		return MNL_CB_OK; /* newer kernels add attributes: not ours */
	if (at->types && at->types[type] != MNL_TYPE_UNSPEC &&
	    mnl_attr_validate(a, at->types[type]) < 0)
		return MNL_CB_ERROR;
	at->tb[type] = a;
	return MNL_CB_OK;
}

static int parse_nested(const struct nlattr *nest, const struct nlattr **tb, int max,
			const enum mnl_attr_data_type *types)
{
	struct attrs at = { tb, max, types };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -1;
	return mnl_attr_parse_nested(nest, keep_attr, &at) == MNL_CB_OK ? 0 : -1;
}

/* A NUL-terminated string attribute copied into out, or -1. */
static int get_str(const struct nlattr *a, char *out, size_t outlen)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return -1;
	snprintf(out, outlen, "%s", mnl_attr_get_str(a));
	return 0;
}

static __u32 get_be32(const struct nlattr *a)
{
	return ntohl(mnl_attr_get_u32(a));
}

static const enum mnl_attr_data_type chain_types[NFTA_CHAIN_MAX + 1] = {
	[NFTA_CHAIN_TABLE] = MNL_TYPE_NUL_STRING, [NFTA_CHAIN_NAME] = MNL_TYPE_NUL_STRING,
	[NFTA_CHAIN_HOOK] = MNL_TYPE_NESTED,      [NFTA_CHAIN_POLICY] = MNL_TYPE_U32,
	[NFTA_CHAIN_TYPE] = MNL_TYPE_NUL_STRING,
};
static const enum mnl_attr_data_type hook_types[NFTA_HOOK_MAX + 1] = {
	[NFTA_HOOK_HOOKNUM] = MNL_TYPE_U32, [NFTA_HOOK_PRIORITY] = MNL_TYPE_U32,
};
static const enum mnl_attr_data_type rule_types[NFTA_RULE_MAX + 1] = {
	[NFTA_RULE_TABLE] = MNL_TYPE_NUL_STRING, [NFTA_RULE_CHAIN] = MNL_TYPE_NUL_STRING,
	[NFTA_RULE_EXPRESSIONS] = MNL_TYPE_NESTED,
};
static const enum mnl_attr_data_type expr_types[NFTA_EXPR_MAX + 1] = {
	[NFTA_EXPR_NAME] = MNL_TYPE_NUL_STRING, [NFTA_EXPR_DATA] = MNL_TYPE_NESTED,
};

static int add_chain(struct rd_nf_ruleset *rs, __u8 family, const struct nlattr **tb)
{
	struct rd_nf_chain *c;

	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 32;
		struct rd_nf_chain *next = realloc(rs->chains, cap * sizeof(*next));

		if (!next)
			return bad(rs, "out of memory");
		rs->chains = next;
		rs->cap = cap;
	}
	c = &rs->chains[rs->n];
	memset(c, 0, sizeof(*c));
	c->family = family;
	if (get_str(tb[NFTA_CHAIN_TABLE], c->table, sizeof(c->table)) ||
	    get_str(tb[NFTA_CHAIN_NAME], c->name, sizeof(c->name)))
		return bad(rs, "chain without a table or a name");
	if (tb[NFTA_CHAIN_HOOK]) {
		const struct nlattr *hk[NFTA_HOOK_MAX + 1];

		if (parse_nested(tb[NFTA_CHAIN_HOOK], hk, NFTA_HOOK_MAX, hook_types) ||
		    !hk[NFTA_HOOK_HOOKNUM])
			return bad(rs, "base chain with a malformed hook");
		c->base = true;
		c->hook = get_be32(hk[NFTA_HOOK_HOOKNUM]);
		/* no policy attribute on a base chain: assume the worst */
		c->policy = tb[NFTA_CHAIN_POLICY] ? get_be32(tb[NFTA_CHAIN_POLICY]) : NF_DROP;
		if (tb[NFTA_CHAIN_TYPE])
			get_str(tb[NFTA_CHAIN_TYPE], c->type, sizeof(c->type));
	}
	rs->n++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* rules: does one act?                                                */

/* Expressions that only read the packet or its metadata: harmless unless
 * they write (an SREG) or decide (a verdict), checked below. Not among
 * them: counter, quota and last, whose state the user reads back (nft list
 * ruleset, iptables -v), so they must see every packet. */
static bool reads_only(const char *name)
{
	static const char *const names[] = {
		"payload", "cmp", "bitwise", "byteorder", "meta", "ct", "lookup", "range",
		"immediate", "limit", "exthdr", "rt", "fib", "socket", "xfrm", "numgen",
		"hash", "osf",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i]))
			return true;
	return false;
}

/* The verdict of an immediate: harmless if the packet goes on as it was. */
static const char *verdict_acts(const struct nlattr *data)
{
	const struct nlattr *d[NFTA_DATA_MAX + 1], *v[NFTA_VERDICT_MAX + 1];
	static const enum mnl_attr_data_type vtypes[NFTA_VERDICT_MAX + 1] = {
		[NFTA_VERDICT_CODE] = MNL_TYPE_U32,
	};
	__s32 code;

	if (!data || parse_nested(data, d, NFTA_DATA_MAX, NULL) || !d[NFTA_DATA_VERDICT] ||
	    parse_nested(d[NFTA_DATA_VERDICT], v, NFTA_VERDICT_MAX, vtypes) ||
	    !v[NFTA_VERDICT_CODE])
		return "malformed verdict";
	code = (__s32)get_be32(v[NFTA_VERDICT_CODE]);
	switch (code) {
	case NF_ACCEPT:
	case NFT_CONTINUE:
	case NFT_BREAK:
	case NFT_RETURN: /* in a base chain: its policy, judged on its own */
		return NULL;
	case NF_DROP:
		return "drop";
	case NFT_JUMP:
		return "jump";
	case NFT_GOTO:
		return "goto";
	default:
		return (code & NF_VERDICT_MASK) == NF_QUEUE ? "queue" : "verdict";
	}
}

/* NULL if the expression cannot change what happens to a packet, else a
 * short word for why (its name, or the verdict). "malformed ..." means the
 * message is broken. */
static const char *expr_acts(const struct nlattr *elem, char *name, size_t namelen)
{
	const struct nlattr *e[NFTA_EXPR_MAX + 1], *x[16];
	int sreg = -1, dreg = -1;

	if (parse_nested(elem, e, NFTA_EXPR_MAX, expr_types) ||
	    get_str(e[NFTA_EXPR_NAME], name, namelen))
		return "malformed expression";
	if (!reads_only(name))
		return name;
	memset(x, 0, sizeof(x));
	if (e[NFTA_EXPR_DATA] && parse_nested(e[NFTA_EXPR_DATA], x, 15, NULL))
		return "malformed expression";
	if (!strcmp(name, "payload"))
		sreg = NFTA_PAYLOAD_SREG;
	else if (!strcmp(name, "meta"))
		sreg = NFTA_META_SREG;
	else if (!strcmp(name, "ct"))
		sreg = NFTA_CT_SREG;
	else if (!strcmp(name, "exthdr"))
		sreg = NFTA_EXTHDR_SREG;
	else if (!strcmp(name, "lookup"))
		dreg = NFTA_LOOKUP_DREG;
	else if (!strcmp(name, "immediate"))
		dreg = NFTA_IMMEDIATE_DREG;
	if (sreg >= 0 && x[sreg])
		return name; /* "payload" etc. with a source register: a set */
	if (dreg >= 0 && x[dreg]) {
		if (mnl_attr_validate(x[dreg], MNL_TYPE_U32) < 0)
			return "malformed expression";
		if (get_be32(x[dreg]) != NFT_REG_VERDICT)
			return NULL; /* loads data into a register */
		if (!strcmp(name, "lookup"))
			return "verdict map";
		return verdict_acts(x[NFTA_IMMEDIATE_DATA]);
	}
	return NULL;
}

static struct rd_nf_chain *find_chain(struct rd_nf_ruleset *rs, __u8 family, const char *table,
				      const char *name)
{
	for (size_t i = 0; i < rs->n; i++) {
		struct rd_nf_chain *c = &rs->chains[i];

		if (c->family == family && !strcmp(c->table, table) && !strcmp(c->name, name))
			return c;
	}
	return NULL;
}

static bool is_accounting(const char *name)
{
	return !strcmp(name, "counter") || !strcmp(name, "quota") || !strcmp(name, "last");
}

static int add_rule(struct rd_nf_ruleset *rs, __u8 family, const struct nlattr **tb)
{
	char table[64], chain[64], name[32], act[40] = "";
	const struct nlattr *elem;
	struct rd_nf_chain *c;

	if (get_str(tb[NFTA_RULE_TABLE], table, sizeof(table)) ||
	    get_str(tb[NFTA_RULE_CHAIN], chain, sizeof(chain)))
		return bad(rs, "rule without a table or a chain");
	if (tb[NFTA_RULE_EXPRESSIONS]) {
		if (mnl_attr_validate(tb[NFTA_RULE_EXPRESSIONS], MNL_TYPE_NESTED) < 0)
			return bad(rs, "malformed rule expressions");
		mnl_attr_for_each_nested(elem, tb[NFTA_RULE_EXPRESSIONS]) {
			const char *why;

			if (mnl_attr_get_type(elem) != NFTA_LIST_ELEM)
				return bad(rs, "malformed rule expressions");
			why = expr_acts(elem, name, sizeof(name));
			if (why && !strncmp(why, "malformed", 9))
				return bad(rs, why);
			/* name what the rule does rather than that it counts */
			if (why && (!*act || is_accounting(act)))
				snprintf(act, sizeof(act), "%s", why);
		}
	}
	c = find_chain(rs, family, table, chain);
	if (!c) {
		/* the chain came after the chain dump: that is another
		 * generation, read it all again */
		rs->gen_mixed = true;
		return 0;
	}
	c->rules++;
	if (*act) {
		if (!c->acting)
			snprintf(c->first_act, sizeof(c->first_act), "%s", act);
		c->acting++;
	}
	return 0;
}

int rd_nf_ruleset_add(struct rd_nf_ruleset *rs, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g;
	const struct nlattr *tb[NFTA_CHAIN_MAX > NFTA_RULE_MAX ? NFTA_CHAIN_MAX + 1
							     : NFTA_RULE_MAX + 1];
	struct attrs at = { tb, 0, NULL };
	int msg;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return 0;
	msg = NFNL_MSG_TYPE(nlh->nlmsg_type);
	if (msg != NFT_MSG_NEWCHAIN && msg != NFT_MSG_NEWRULE)
		return 0;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return bad(rs, "nf_tables message too short");
	g = mnl_nlmsg_get_payload(nlh);
	if (!rs->have_gen) {
		rs->have_gen = true;
		rs->genid = ntohs(g->res_id);
	} else if (rs->genid != ntohs(g->res_id)) {
		rs->gen_mixed = true;
	}
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		rs->gen_mixed = true;
	memset(tb, 0, sizeof(tb));
	at.max = msg == NFT_MSG_NEWCHAIN ? NFTA_CHAIN_MAX : NFTA_RULE_MAX;
	at.types = msg == NFT_MSG_NEWCHAIN ? chain_types : rule_types;
	if (mnl_attr_parse(nlh, sizeof(*g), keep_attr, &at) != MNL_CB_OK)
		return bad(rs, "malformed nf_tables attributes");
	return msg == NFT_MSG_NEWCHAIN ? add_chain(rs, g->nfgen_family, tb)
				       : add_rule(rs, g->nfgen_family, tb);
}

int rd_nf_ruleset_add_buf(struct rd_nf_ruleset *rs, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh;
	size_t left;

	rd_nlmsg_for_each(nlh, buf, len, left) {
		if (nlh->nlmsg_type == NLMSG_DONE)
			return rs->bad ? -1 : 1;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
			char msg[64];

			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
				return bad(rs, "short netlink error");
			if (!e->error)
				continue; /* an ack */
			/* not -e->error: INT_MIN has no negation */
			snprintf(msg, sizeof(msg), "netlink error: %s",
				 e->error < 0 && e->error > -4096 ? strerror(-e->error)
								  : "(not an errno)");
			return bad(rs, msg);
		}
		if (rd_nf_ruleset_add(rs, nlh))
			return -1;
	}
	if (left)
		return bad(rs, "truncated netlink message");
	return rs->bad ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* the verdict                                                         */

static __u32 family_hold(__u8 family)
{
	switch (family) {
	case NFPROTO_IPV4: return RD_NF_HOLD_IPV4;
	case NFPROTO_IPV6: return RD_NF_HOLD_IPV6;
	case NFPROTO_INET: return RD_NF_HOLD_IPV4 | RD_NF_HOLD_IPV6;
	case NFPROTO_BRIDGE: return RD_NF_HOLD_BRIDGE;
	case NFPROTO_ARP: return 0;
	default: return RD_NF_HOLD_ALL; /* netdev, and what we do not know */
	}
}

static bool hook_matters(__u8 family, __u32 hook)
{
	if (family == NFPROTO_IPV4 || family == NFPROTO_IPV6 || family == NFPROTO_INET)
		return hook == NF_INET_PRE_ROUTING || hook == NF_INET_FORWARD ||
		       hook == NF_INET_POST_ROUTING || hook == NF_INET_INGRESS;
	return true;
}

static const char *family_word(__u8 family)
{
	switch (family) {
	case NFPROTO_IPV4: return "ip";
	case NFPROTO_IPV6: return "ip6";
	case NFPROTO_INET: return "inet";
	case NFPROTO_BRIDGE: return "bridge";
	case NFPROTO_NETDEV: return "netdev";
	case NFPROTO_ARP: return "arp";
	default: return "?";
	}
}

/* Conntrack offload admits a flow at the end of the forward hook: a chain
 * that would still act on its packets after that point, or before XDP
 * sees them, refuses it (ruleset.h). */
static void no_offload(const struct rd_nf_chain *c, struct rd_nf_verdict *v)
{
	bool acts = c->acting || c->policy != NF_ACCEPT;
	const char *fam = family_word(c->family);

	if (c->family == NFPROTO_NETDEV)
		rd_nf_verdict_no_offload(v, RD_NF_HOLD_ALL, "nft %s %s %s: netdev hooks", fam,
					 c->table, c->name);
	else if (c->family == NFPROTO_BRIDGE || c->family == NFPROTO_ARP)
		return; /* bridged traffic is never offloaded */
	else if (c->hook == NF_INET_INGRESS)
		rd_nf_verdict_no_offload(v, family_hold(c->family), "nft %s %s %s: ingress hook",
					 fam, c->table, c->name);
	else if (acts && !strcmp(c->type, "route"))
		rd_nf_verdict_no_offload(v, family_hold(c->family),
					 "nft %s %s %s: route chain acts on every packet", fam,
					 c->table, c->name);
	else if (acts && c->hook == NF_INET_POST_ROUTING && strcmp(c->type, "nat"))
		rd_nf_verdict_no_offload(v, family_hold(c->family),
					 "nft %s %s %s: acts after the forward hook", fam,
					 c->table, c->name);
}

void rd_nf_ruleset_verdict(const struct rd_nf_ruleset *rs, struct rd_nf_verdict *v)
{
	if (rs->bad) {
		rd_nf_verdict_add(v, RD_NF_HOLD_ALL, "nftables ruleset unreadable: %s", rs->error);
		return;
	}
	for (size_t i = 0; i < rs->n; i++) {
		const struct rd_nf_chain *c = &rs->chains[i];
		__u32 hold = family_hold(c->family);

		if (!c->base || !hold || !hook_matters(c->family, c->hook))
			continue;
		no_offload(c, v);
		if (c->acting)
			rd_nf_verdict_add(v, hold, "nft %s %s %s: %u rule(s) act (%s)",
					  family_word(c->family), c->table, c->name, c->acting,
					  c->first_act);
		else if (c->policy != NF_ACCEPT)
			rd_nf_verdict_add(v, hold, "nft %s %s %s: policy drop",
					  family_word(c->family), c->table, c->name);
	}
}
