/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Address classes the kernel treats specially on input. Packets with these
 * go to the kernel so it answers (or drops) them exactly as without routerd.
 * Returns RD_PARSE_OK or a pass reason.
 */
#ifndef RD_BPF_ADDR_H
#define RD_BPF_ADDR_H

#include "parse.h"
#include "maps.h"

static __always_inline int rd_ipv4_is_local(__be32 addr)
{
	for (__u32 probe = 0; probe < RD_LOCAL4_PROBES; probe++) {
		__u32 key = rd_local4_slot(addr, probe);
		__u32 *slot = bpf_map_lookup_elem(&rd_local4, &key);

		if (!slot || !*slot)
			return 0;
		if (*slot == addr)
			return 1;
	}
	return 0;
}

static __always_inline int rd_classify_ipv4(const struct iphdr *ip)
{
	__u32 src = bpf_ntohl(ip->saddr), dst = bpf_ntohl(ip->daddr);
	__u8 s0 = src >> 24, d0 = dst >> 24;

	if ((d0 & 0xf0) == 0xe0 || dst == 0xffffffff)
		return RD_PASS_MULTICAST;
	/* ip_route_input_slow(): martian source / destination; and
	 * fib_validate_source(): a source that is one of our own addresses */
	if (s0 == 0 || s0 == 127 || (s0 & 0xf0) == 0xe0 || src == 0xffffffff ||
	    d0 == 0 || d0 == 127 || rd_ipv4_is_local(ip->saddr))
		return RD_PASS_MARTIAN;
	return RD_PARSE_OK;
}

static __always_inline int rd_ipv6_is_link_local(const struct in6_addr *a)
{
	return (a->in6_u.u6_addr16[0] & bpf_htons(0xffc0)) == bpf_htons(0xfe80);
}

static __always_inline int rd_ipv6_is_loopback_or_any(const struct in6_addr *a)
{
	const __u32 *w = a->in6_u.u6_addr32;

	return !(w[0] | w[1] | w[2]) && (w[3] == 0 || w[3] == bpf_htonl(1));
}

static __always_inline int rd_classify_ipv6(const struct ipv6hdr *ip6)
{
	if (ip6->daddr.in6_u.u6_addr8[0] == 0xff)
		return RD_PASS_MULTICAST;
	if (ip6->saddr.in6_u.u6_addr8[0] == 0xff ||
	    rd_ipv6_is_loopback_or_any(&ip6->saddr) ||
	    rd_ipv6_is_loopback_or_any(&ip6->daddr))
		return RD_PASS_MARTIAN;
	if (rd_ipv6_is_link_local(&ip6->saddr) || rd_ipv6_is_link_local(&ip6->daddr))
		return RD_PASS_LINK_LOCAL;
	return RD_PARSE_OK;
}

#endif /* RD_BPF_ADDR_H */
