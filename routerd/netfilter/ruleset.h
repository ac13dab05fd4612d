/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nftables ruleset as the fast path sees it: owns the parsing of
 * nf_tables netlink dumps (NFT_MSG_NEWCHAIN and NFT_MSG_NEWRULE messages,
 * as the kernel answers GETCHAIN and GETRULE dumps) into the question
 * routerd asks, "could a base chain drop, rewrite or mark forwarded traffic
 * of this family?", and the verdict that answers it (struct rd_nf_verdict,
 * shared with the iptables-legacy and br_netfilter readers in netfilter.c).
 *
 * Pure: no sockets, no system state, so the unit tests and the netlink
 * fuzzer drive exactly this code with recorded or crafted messages.
 *
 * Precision, only where it is provably safe:
 *  - a base chain acts if its policy is not accept or one of its rules acts;
 *  - a rule acts unless every expression only reads (payload, meta, ct,
 *    cmp, lookup, limit, ...) and its verdict, if any, is accept,
 *    continue or return; a jump or goto, a verdict map, anything that
 *    writes (nat, masq, payload/meta/ct set, reject, log, queue, dynset),
 *    anything that keeps what the user reads back (counter, quota) and
 *    any expression this reader does not know acts;
 *  - hooks: prerouting, forward, postrouting and ingress of the ip, ip6 and
 *    inet families; every hook of the bridge family (a packet routed into
 *    or out of a bridge crosses its input and output too); netdev ingress
 *    and egress hold every family (XDP_REDIRECT skips both). arp: none.
 * Anything malformed makes the whole dump unreadable, which the caller
 * treats as "rules everywhere".
 *
 * Conntrack offload is refused for a family (rd_nf_verdict.no_offload)
 * where a hook would act on an offloaded packet after the admission at the
 * end of the forward hook, or before XDP could see it: a postrouting chain
 * of type filter or route that acts, a chain of type route (mangle: marks
 * and rewrites meant for every packet) that acts anywhere, an inet ingress
 * chain, and every netdev chain (all families).
 */
#ifndef RD_NF_RULESET_H
#define RD_NF_RULESET_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

#include <routerd/maps.h> /* RD_NF_HOLD_* */

struct nlmsghdr;

/* The families a hold covers, in RD_NF_HOLD_* bit order. */
enum { RD_NF_FAM_IPV4, RD_NF_FAM_IPV6, RD_NF_FAM_BRIDGE, RD_NF_FAMILIES };
#define RD_NF_MAX_WHY 6
#define RD_NF_WHY_LEN 96

/* What holds which family and why (for status and the log). */
struct rd_nf_verdict {
	__u32 hold; /* RD_NF_HOLD_* */
	unsigned int n_why[RD_NF_FAMILIES];     /* reasons found, may exceed the kept */
	char why[RD_NF_FAMILIES][RD_NF_MAX_WHY][RD_NF_WHY_LEN];
	/* Families (RD_NF_HOLD_* bits) whose established flows must not be
	 * offloaded even under `netfilter offload`, and the first reason:
	 * what could not be read, and hooks an offloaded packet would skip
	 * after the admission (docs/firewall.md). */
	__u32 no_offload;
	char no_offload_why[RD_NF_FAMILIES][RD_NF_WHY_LEN];
	/* Changes with the iptables-legacy rules and the br_netfilter
	 * switches, not with their counters: a change is a new ruleset
	 * generation for offloaded flows. */
	__u64 fingerprint;
};

/* A reason that says a source could not be read ("unreadable", "cannot")
 * refuses offload for those families too. */
void rd_nf_verdict_add(struct rd_nf_verdict *v, __u32 hold, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Refuses offload for the families in FAMS (keeps the first reason). */
void rd_nf_verdict_no_offload(struct rd_nf_verdict *v, __u32 fams, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Same holds and the same reasons (so nothing to log). */
bool rd_nf_verdict_equal(const struct rd_nf_verdict *a, const struct rd_nf_verdict *b);
const char *rd_nf_family_name(int fam); /* "ipv4", "ipv6", "bridge" */

struct rd_nf_chain {
	__u8 family;       /* NFPROTO_* */
	bool base;         /* has a hook */
	__u32 hook;
	__u32 policy;      /* NF_ACCEPT or NF_DROP; base chains only */
	char table[64];
	char name[64];
	char type[16];     /* filter, nat, route */
	unsigned int rules;
	unsigned int acting; /* rules that could act (see above) */
	char first_act[40];  /* what made the first acting rule act */
};

struct rd_nf_ruleset {
	struct rd_nf_chain *chains;
	size_t n, cap;
	bool have_gen;     /* genid seen in the dump */
	__u16 genid;       /* nfgenmsg.res_id of the dump's messages */
	bool gen_mixed;    /* messages of two generations: read again */
	bool bad;          /* malformed or unexpected: unreadable */
	char error[128];
};

void rd_nf_ruleset_init(struct rd_nf_ruleset *rs);
void rd_nf_ruleset_free(struct rd_nf_ruleset *rs);
/* One message of a chain or rule dump (chains first, so rules find their
 * chain). Other nf_tables messages are ignored. Returns 0, or -1 after
 * marking the ruleset bad (rs->error says why). */
int rd_nf_ruleset_add(struct rd_nf_ruleset *rs, const struct nlmsghdr *nlh);
/* Every message of a buffer (a dump answer, possibly several parts); an
 * NLMSG_ERROR marks it bad too. Returns 1 when NLMSG_DONE was seen, 0 if
 * more is to come, -1 if bad. */
int rd_nf_ruleset_add_buf(struct rd_nf_ruleset *rs, const void *buf, size_t len);
/* Adds to v what the base chains hold (v is not cleared first). A bad
 * ruleset holds everything. */
void rd_nf_ruleset_verdict(const struct rd_nf_ruleset *rs, struct rd_nf_verdict *v);

#endif
