/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Header parsing. Every bound is checked here, once; the policy and the
 * rewrite helpers work on the pointers in struct rd_pkt without re-checking.
 *
 * Parsers return RD_PARSE_OK or the pass reason that ends the packet's trip
 * through the fast path. A frame the kernel would reject (truncated header,
 * bad IHL, bad header checksum, lengths beyond the frame) is RD_PASS_MALFORMED:
 * the kernel then counts and drops it exactly as it would without routerd.
 *
 * Multi-buffer frames (lib/frags.h): the headers are read in the first
 * buffer only; a header that runs past it is RD_PASS_SPLIT_HEADERS, and the
 * IP length checks count the fragments (`tail_len`) as part of the frame.
 */
#ifndef RD_BPF_PARSE_H
#define RD_BPF_PARSE_H

#include "common.h"
#include <routerd/counters.h>

#define RD_PARSE_OK RD_PASS__MAX

struct rd_pkt {
	void *data_end;
	struct ethhdr *eth;
	__be16 *proto;       /* the innermost ethertype field (after VLAN tags) */
	void *l3;            /* first byte after it */
	__u8 vlan_depth;     /* 802.1Q/802.1ad tags in front of l3 (at most 2) */
	struct iphdr *ip4;   /* set for IPv4 */
	struct ipv6hdr *ip6; /* set for IPv6 */
	__u16 l3_proto;      /* ethertype, host order */
	__u16 l3_len;        /* IPv4 total length / IPv6 40 + payload length */
	__u32 trailer;       /* bytes after the IP packet (Ethernet padding,
			      * junk): trimmed before forwarding */
	__u8 l4_proto;
	__be16 sport;        /* TCP/UDP ports for ECMP hashing, else 0 */
	__be16 dport;
	__u32 tail_len;      /* bytes beyond the first buffer (lib/frags.h) */
};

/* A header that does not fit the first buffer: malformed in a frame that
 * ends there, out of the parser's reach in a multi-buffer one. */
static __always_inline int rd_short(const struct rd_pkt *pkt)
{
	return pkt->tail_len ? RD_PASS_SPLIT_HEADERS : RD_PASS_MALFORMED;
}

/* Bytes of the frame from `p` (a pointer into the first buffer) to its
 * end, fragments included. */
static __always_inline __u32 rd_bytes_from(const struct rd_pkt *pkt, const void *p)
{
	__u32 head = pkt->data_end - p;

	/* keep clang from folding this into arithmetic on data_end */
	asm volatile("" : "+r"(head));
	return head + pkt->tail_len;
}

static __always_inline int rd_mac_is_multicast(const __u8 *mac)
{
	return mac[0] & 1; /* includes broadcast */
}

static __always_inline int rd_mac_equal(const __u8 *a, const __u8 *b)
{
	return !((*(const __u32 *)a ^ *(const __u32 *)b) |
		 (*(const __u16 *)(a + 4) ^ *(const __u16 *)(b + 4)));
}

static __always_inline int rd_is_vlan_proto(__u16 proto)
{
	return proto == ETH_P_8021Q || proto == ETH_P_8021AD;
}

/* Ethernet and up to two VLAN tags. More tags than that, or a truncated
 * tag, is left to the kernel as malformed. */
static __always_inline int rd_parse_eth(struct xdp_md *ctx, struct rd_pkt *pkt)
{
	void *data = (void *)(long)ctx->data;
	struct vlan_hdr *tag;

	pkt->data_end = (void *)(long)ctx->data_end;
	pkt->eth = data;
	if ((void *)(pkt->eth + 1) > pkt->data_end)
		return rd_short(pkt);
	pkt->proto = &pkt->eth->h_proto;
	pkt->l3 = pkt->eth + 1;
	pkt->l3_proto = bpf_ntohs(*pkt->proto);
	if (likely(!rd_is_vlan_proto(pkt->l3_proto)))
		return RD_PARSE_OK;

#pragma unroll
	for (int i = 0; i < 2; i++) {
		tag = pkt->l3;
		if ((void *)(tag + 1) > pkt->data_end)
			return rd_short(pkt);
		pkt->vlan_depth++;
		pkt->proto = &tag->h_vlan_encapsulated_proto;
		pkt->l3 = tag + 1;
		pkt->l3_proto = bpf_ntohs(*pkt->proto);
		if (!rd_is_vlan_proto(pkt->l3_proto))
			return RD_PARSE_OK;
	}
	return RD_PASS_MALFORMED;
}

/* IPv4 and IPv6 are the only ethertypes routed here. */
static __always_inline int rd_l3_routable(const struct rd_pkt *pkt)
{
	switch (pkt->l3_proto) {
	case ETH_P_IP:
	case ETH_P_IPV6:
		return RD_PARSE_OK;
	case ETH_P_ARP:
		return RD_PASS_ARP;
	default:
		return RD_PASS_NOT_IP;
	}
}

/* A frame on a routed interface (or VLAN device) is ours only as unicast
 * IP addressed to the interface's `mac`. */
static __always_inline int rd_routable_frame(const struct rd_pkt *pkt, const __u8 *mac)
{
	int why;

	why = rd_l3_routable(pkt);
	if (why != RD_PARSE_OK)
		return why;
	if (rd_mac_is_multicast(pkt->eth->h_dest))
		return RD_PASS_MULTICAST;
	if (!rd_mac_equal(pkt->eth->h_dest, mac))
		return RD_PASS_OTHER_HOST;
	return RD_PARSE_OK;
}

/* TCP and UDP both start with the two ports. Only the packet's own bytes
 * count: ports in the trailer are not the packet's (the kernel trims it
 * before it hashes). */
static __always_inline int rd_parse_ports(struct rd_pkt *pkt, void *l4, __u32 hlen)
{
	__be16 *ports = l4;

	pkt->sport = 0;
	pkt->dport = 0;
	if (pkt->l4_proto != NEXTHDR_TCP && pkt->l4_proto != NEXTHDR_UDP)
		return RD_PARSE_OK;
	/* the kernel forwards a packet too short for them; it hashes on L3 */
	if (pkt->l3_len < hlen + 4)
		return RD_PARSE_OK;
	if ((void *)(ports + 2) > pkt->data_end)
		/* past the first buffer: the kernel hashes on them, so it decides */
		return pkt->tail_len ? RD_PASS_SPLIT_HEADERS : RD_PARSE_OK;
	pkt->sport = ports[0];
	pkt->dport = ports[1];
	return RD_PARSE_OK;
}

/*
 * A 20-byte IPv4 header is intact when the one's-complement sum of its
 * 16-bit words is 0xffff, that is (RFC 1071) when their plain sum is a
 * nonzero multiple of 65535. The sum of the five 32-bit words, read in any
 * byte order, is congruent to it (2^16 = 1 and a byte swap is a factor of
 * 2^8, both mod 65535), and is nonzero since the version is 4. So one
 * multiply replaces the folding: n is a multiple of the odd d exactly when
 * n * d^-1 mod 2^64 <= (2^64 - 1) / d (Granlund and Montgomery).
 */
#define RD_INV_65535 0xfffefffefffeffffull /* 65535 * this = 1 mod 2^64 */
#define RD_MAX_65535 0x0001000100010001ull /* (2^64 - 1) / 65535 */

static __always_inline int rd_ipv4_csum_ok(const struct iphdr *ip)
{
	const __u32 *w = (const __u32 *)ip;
	__u64 sum = (__u64)w[0] + w[1] + w[2] + w[3] + w[4];

	return sum * RD_INV_65535 <= RD_MAX_65535;
}

static __always_inline int rd_parse_ipv4(struct rd_pkt *pkt)
{
	struct iphdr *ip = pkt->l3;
	__u32 avail, hlen;

	if ((void *)(ip + 1) > pkt->data_end)
		return rd_short(pkt);
	avail = rd_bytes_from(pkt, ip);
	pkt->l3_len = bpf_ntohs(ip->tot_len);
	/* One byte test for the common case: version 4, no options. */
	if (*(const __u8 *)ip != 0x45) {
		if (ip->version != 4 || ip->ihl < 5)
			return RD_PASS_MALFORMED;
		hlen = ip->ihl * 4;
		if (pkt->l3_len < hlen || pkt->l3_len > avail)
			return RD_PASS_MALFORMED;
		return RD_PASS_IP_OPTIONS;
	}
	if (pkt->l3_len < sizeof(*ip) || pkt->l3_len > avail)
		return RD_PASS_MALFORMED;
	if (!rd_ipv4_csum_ok(ip))
		return RD_PASS_MALFORMED;
	pkt->trailer = avail - pkt->l3_len;

	pkt->ip4 = ip;
	pkt->l4_proto = ip->protocol;
	if (ip->frag_off & bpf_htons(IP_MF | IP_OFFSET)) {
		/* the kernel hashes fragments on L3 only */
		pkt->sport = 0;
		pkt->dport = 0;
		return RD_PARSE_OK;
	}
	return rd_parse_ports(pkt, ip + 1, sizeof(*ip));
}

static __always_inline int rd_is_nd_or_mld(struct rd_pkt *pkt, void *l4)
{
	__u8 *type = l4;

	if (pkt->l4_proto != NEXTHDR_ICMP)
		return 0;
	if ((void *)(type + 1) > pkt->data_end)
		return pkt->tail_len != 0; /* unseen: the kernel's, to be safe */
	return (*type >= ICMPV6_ND_FIRST && *type <= ICMPV6_ND_LAST) ||
	       (*type >= ICMPV6_MLD_QUERY && *type <= ICMPV6_MLD_DONE) ||
	       *type == ICMPV6_MLD2_REPORT;
}

static __always_inline int rd_parse_ipv6(struct rd_pkt *pkt)
{
	struct ipv6hdr *ip6 = pkt->l3;
	__u32 avail, len;

	if ((void *)(ip6 + 1) > pkt->data_end)
		return rd_short(pkt);
	if (ip6->version != 6)
		return RD_PASS_MALFORMED;
	/* In 32 bits: 40 + a payload length near 65535 must not wrap. */
	avail = rd_bytes_from(pkt, ip6);
	len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
	if (len > avail)
		return RD_PASS_MALFORMED;
	pkt->l3_len = len;
	pkt->trailer = avail - len;

	pkt->ip6 = ip6;
	pkt->l4_proto = ip6->nexthdr;
	if (pkt->l4_proto == NEXTHDR_HOP)
		return RD_PASS_HOP_BY_HOP;
	if (rd_is_nd_or_mld(pkt, ip6 + 1))
		return RD_PASS_ND;
	return rd_parse_ports(pkt, ip6 + 1, sizeof(*ip6));
}

/*
 * Cuts the trailer off a frame whose redirect is committed, as the kernel
 * trims a packet on input (ip_rcv_core(), ipv6_rcv()): the bytes after the
 * IP packet are not the packet's, and could push the frame past the
 * egress MTU, where the redirect would fail after the program returned.
 * bpf_xdp_adjust_tail() invalidates every packet pointer, so those in
 * `pkt` are derived again from their offsets and checked again. Returns 0,
 * or -1 if the frame could not be trimmed (unchanged then, in practice:
 * shrinking a linear frame by its trailer cannot fail).
 */
static __always_inline int rd_trim_trailer(struct xdp_md *ctx, struct rd_pkt *pkt,
					   const bool v4)
{
	__u64 l3_off = pkt->l3 - (void *)pkt->eth;
	void *data;

	if (l3_off > sizeof(struct ethhdr) + 2 * sizeof(struct vlan_hdr))
		return -1;
	if (bpf_xdp_adjust_tail(ctx, -(int)pkt->trailer))
		return -1;
	data = (void *)(long)ctx->data;
	pkt->data_end = (void *)(long)ctx->data_end;
	pkt->eth = data;
	pkt->l3 = data + l3_off;
	pkt->proto = pkt->l3 - sizeof(__be16);
	pkt->trailer = 0;
	if (v4) {
		pkt->ip4 = pkt->l3;
		if ((void *)(pkt->ip4 + 1) > pkt->data_end)
			return -1;
	} else {
		pkt->ip6 = pkt->l3;
		if ((void *)(pkt->ip6 + 1) > pkt->data_end)
			return -1;
	}
	return (void *)(pkt->eth + 1) > pkt->data_end ? -1 : 0;
}

#endif /* RD_BPF_PARSE_H */
