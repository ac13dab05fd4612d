/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel's FIB is the only routing table: bpf_fib_lookup() reads it with
 * the policy rules, nexthop objects, ECMP and neighbour state the kernel
 * itself uses.
 *
 * The params are filled with tot_len 0; the lookup (bpf/lib/cache.h) sets
 * the packet length itself.
 *
 * Beware (kernel-facts): for an IPv4 route with an IPv6 nexthop (RFC 8950)
 * the helper returns family AF_INET6 and overwrites the address fields with
 * the gateway. Nothing after the lookup may read addresses from the params;
 * the packet keeps its own.
 */
#ifndef RD_BPF_FIB_H
#define RD_BPF_FIB_H

#include "parse.h"
#include "stats.h"

/*
 * rd_route_lookup() (lib/cache.h) answers with bpf_fib_lookup()'s return
 * codes and codes of its own. The helper returns an enum BPF_FIB_LKUP_RET_*
 * (small and non-negative; kernels append new ones) or a negative errno
 * (-MAX_ERRNO..-1); ours lie below both ranges, so that no kernel, present
 * or future, can return one of them.
 */
#define RD_MAX_ERRNO 4095 /* the kernel's MAX_ERRNO */

enum rd_fib_code {
	/* the source failed reverse-path filtering */
	RD_FIB_RPF_FAILED = -RD_MAX_ERRNO - 1,
};

static __always_inline void rd_fib_params_ipv4(struct bpf_fib_lookup *p,
					       const struct rd_pkt *pkt,
					       __u32 ifindex)
{
	const struct iphdr *ip = pkt->ip4;

	__builtin_memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->tos = ip->tos;
	p->l4_protocol = pkt->l4_proto;
	p->sport = pkt->sport;
	p->dport = pkt->dport;
	p->ipv4_src = ip->saddr;
	p->ipv4_dst = ip->daddr;
	p->ifindex = ifindex;
}

static __always_inline void rd_fib_params_ipv6(struct bpf_fib_lookup *p,
					       const struct rd_pkt *pkt,
					       __u32 ifindex)
{
	const struct ipv6hdr *ip6 = pkt->ip6;

	__builtin_memset(p, 0, sizeof(*p));
	p->family = AF_INET6;
	p->flowinfo = *(const __be32 *)ip6 & IPV6_FLOWINFO_MASK;
	p->l4_protocol = pkt->l4_proto;
	p->sport = pkt->sport;
	p->dport = pkt->dport;
	__builtin_memcpy(p->ipv6_src, &ip6->saddr, sizeof(p->ipv6_src));
	__builtin_memcpy(p->ipv6_dst, &ip6->daddr, sizeof(p->ipv6_dst));
	p->ifindex = ifindex;
}

/*
 * Reverse-path filtering (net.ipv4.conf.*.rp_filter), which the kernel
 * applies to IPv4 input and bpf_fib_lookup() does not. The check is
 * conservative: whatever it cannot prove acceptable goes to the kernel,
 * which then decides exactly as it always does. Strict (1): the route back
 * to the source must leave through the ingress port; loose (2): a unicast
 * route back must exist. `src`, `dst`, `tos` and `ingress` are the forward
 * lookup's input.
 */
static __always_inline int rd_rpf_ok(struct xdp_md *ctx, __be32 src, __be32 dst, __u8 tos,
				     __u32 ingress, __u8 mode)
{
	struct bpf_fib_lookup rev = {
		.family = AF_INET,
		.ipv4_src = dst,
		.ipv4_dst = src,
		.tos = tos,
		.ifindex = ingress,
	};

	if (bpf_fib_lookup(ctx, &rev, sizeof(rev), BPF_FIB_LOOKUP_SKIP_NEIGH) !=
	    BPF_FIB_LKUP_RET_SUCCESS)
		return 0;
	return mode != 1 || rev.ifindex == ingress;
}

/* A failed lookup as a verdict: the kernel handles everything but
 * blackholes, which it would drop silently too. */
static __always_inline int rd_fib_failure(struct rd_stats *st, long rc)
{
	switch (rc) {
	case BPF_FIB_LKUP_RET_BLACKHOLE:
		return rd_drop(st, RD_DROP_BLACKHOLE);
	case BPF_FIB_LKUP_RET_UNREACHABLE:
		return rd_pass(st, RD_PASS_UNREACHABLE);
	case BPF_FIB_LKUP_RET_PROHIBIT:
		return rd_pass(st, RD_PASS_PROHIBIT);
	case BPF_FIB_LKUP_RET_NOT_FWDED:
		return rd_pass(st, RD_PASS_LOCAL);
	case BPF_FIB_LKUP_RET_FWD_DISABLED:
		return rd_pass(st, RD_PASS_FWD_DISABLED);
	case BPF_FIB_LKUP_RET_NO_NEIGH:
		return rd_pass(st, RD_PASS_NO_NEIGH);
	case BPF_FIB_LKUP_RET_FRAG_NEEDED:
		return rd_pass(st, RD_PASS_FRAG_NEEDED);
	case RD_FIB_RPF_FAILED: /* the kernel counts these as martian sources */
		return rd_pass(st, RD_PASS_MARTIAN);
	default: /* lwt encap, no source address, helper errors */
		return rd_pass(st, RD_PASS_UNSUPPORTED_ROUTE);
	}
}

#endif /* RD_BPF_FIB_H */
