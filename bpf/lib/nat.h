/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The NAT rewrite of an offloaded packet (lib/conntrack.h decides it, from
 * the conntrack entry's tuples): addresses and ports, with the IPv4 header
 * checksum and the TCP/UDP checksum updated incrementally (RFC 1624,
 * HC' = ~(~HC + ~m + m')), the pseudo-header's addresses included.
 *
 * The one's complement sum does not care about byte order as long as every
 * word is taken as stored, so words are added as they sit in the packet and
 * the result is stored the same way. A UDP checksum of 0 over IPv4 means
 * "none" and stays 0; a computed 0 is sent as 0xffff (RFC 768), as the
 * kernel's CSUM_MANGLED_0.
 *
 * Called only once the redirect is committed: a packet handed to the
 * kernel is never touched.
 */
#ifndef RD_BPF_NAT_H
#define RD_BPF_NAT_H

#include "parse.h"

/* The packet's new addresses and ports (IPv4 in word 0) */
struct rd_nat {
	__u32 saddr[4];
	__u32 daddr[4];
	__be16 sport;
	__be16 dport;
};

/* Running one's complement difference: ~old + new per changed word. */
static __always_inline __u64 rd_csum_diff32(__u64 acc, __u32 old, __u32 new)
{
	return acc + (__u32)~old + new;
}

static __always_inline __u64 rd_csum_diff16(__u64 acc, __u16 old, __u16 new)
{
	return acc + (__u16)~old + new;
}

static __always_inline __u16 rd_csum_fold64(__u64 acc)
{
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (__u16)acc;
}

/* The checksum field `check` after adding the difference `acc`. */
static __always_inline __u16 rd_csum_apply(__u16 check, __u64 acc)
{
	return ~rd_csum_fold64(acc + (__u16)~check);
}

/* The ports and the L4 checksum `check`; `acc` holds the address part. */
static __always_inline void rd_nat_l4(__be16 *ports, __u16 *check, const struct rd_nat *nat,
				      __u64 acc, bool udp4)
{
	acc = rd_csum_diff16(acc, ports[0], nat->sport);
	acc = rd_csum_diff16(acc, ports[1], nat->dport);
	ports[0] = nat->sport;
	ports[1] = nat->dport;
	if (udp4 && *check == 0)
		return; /* no checksum: stays none */
	*check = rd_csum_apply(*check, acc);
	if (udp4 && *check == 0)
		*check = 0xffff;
}

/* The addresses, and the IPv4 header checksum; returns the difference
 * they make to the pseudo-header. */
static __always_inline __u64 rd_nat_ipv4(struct iphdr *ip, const struct rd_nat *nat)
{
	__u64 acc = 0;

	acc = rd_csum_diff32(acc, ip->saddr, nat->saddr[0]);
	acc = rd_csum_diff32(acc, ip->daddr, nat->daddr[0]);
	ip->check = rd_csum_apply(ip->check, acc);
	ip->saddr = nat->saddr[0];
	ip->daddr = nat->daddr[0];
	return acc;
}

static __always_inline __u64 rd_nat_ipv6(struct ipv6hdr *ip6, const struct rd_nat *nat)
{
	__u32 *s = ip6->saddr.in6_u.u6_addr32, *d = ip6->daddr.in6_u.u6_addr32;
	__u64 acc = 0;

#pragma unroll
	for (int i = 0; i < 4; i++) {
		acc = rd_csum_diff32(acc, s[i], nat->saddr[i]);
		acc = rd_csum_diff32(acc, d[i], nat->daddr[i]);
		s[i] = nat->saddr[i];
		d[i] = nat->daddr[i];
	}
	return acc;
}

/* The rewrite of a committed packet. Its L4 header was checked before
 * (lib/conntrack.h); it is found again from `pkt`, whose pointers a
 * trailer trim may have re-derived. Returns 0, or -1 if the header is
 * out of reach (nothing written then). A zero UDP checksum over IPv6
 * never gets here (lib/conntrack.h passes it). */
static __always_inline int rd_nat_apply(struct rd_pkt *pkt, const struct rd_nat *nat,
					const bool v4)
{
	void *l4 = pkt->l3 + (v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr));
	struct tcphdr *th = l4;
	struct udphdr *uh = l4;
	__u64 acc;

	if (v4 ? (void *)(pkt->ip4 + 1) > pkt->data_end : (void *)(pkt->ip6 + 1) > pkt->data_end)
		return -1;
	if (pkt->l4_proto == NEXTHDR_TCP) {
		if ((void *)(th + 1) > pkt->data_end)
			return -1;
		acc = v4 ? rd_nat_ipv4(pkt->ip4, nat) : rd_nat_ipv6(pkt->ip6, nat);
		rd_nat_l4(&th->source, &th->check, nat, acc, false);
	} else {
		if ((void *)(uh + 1) > pkt->data_end)
			return -1;
		acc = v4 ? rd_nat_ipv4(pkt->ip4, nat) : rd_nat_ipv6(pkt->ip6, nat);
		rd_nat_l4(&uh->source, &uh->check, nat, acc, v4);
	}
	return 0;
}

#endif /* RD_BPF_NAT_H */
