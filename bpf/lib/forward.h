/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The rewrite of a routed packet: hop count and MACs. Called only once the
 * redirect is committed, so a packet handed to the kernel is never touched. */
#ifndef RD_BPF_FORWARD_H
#define RD_BPF_FORWARD_H

#include "parse.h"

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

#endif /* RD_BPF_FORWARD_H */
