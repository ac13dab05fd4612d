/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The rewrite of a routed packet: hop count and MACs. Called only once the
 * redirect is committed, so a packet handed to the kernel is never touched. */
#ifndef RD_BPF_FORWARD_H
#define RD_BPF_FORWARD_H

#include "parse.h"
#include "maps.h"

/* RFC 1624 incremental update, as the kernel's ip_decrease_ttl(): the TTL
 * is the high byte of its 16-bit word, so the sum grows by 0x0100. */
static __always_inline void rd_ipv4_decrease_ttl(struct iphdr *ip)
{
	__u32 check = ip->check;

	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xffff));
	ip->ttl--;
}

static __always_inline void rd_set_macs(struct ethhdr *eth,
					const struct bpf_fib_lookup *p)
{
	__builtin_memcpy(eth->h_dest, p->dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, p->smac, ETH_ALEN);
}

/* From a route cache entry, which keeps them in header order: three word
 * copies (x86 and arm64 JITs and the verifier allow unaligned packet
 * access). */
static __always_inline void rd_set_macs_from(struct ethhdr *eth,
					     const struct rd_route_cache_entry *e)
{
	const __u32 *m = (const __u32 *)e->dmac;
	__u32 *d = (__u32 *)eth;

	d[0] = m[0];
	d[1] = m[1];
	d[2] = m[2];
}

#endif /* RD_BPF_FORWARD_H */
