/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Protocol fix-ups: repairs for traffic that broken equipment upstream
 * emits, enabled per ingress interface (rd_iface.fixups) and free when off:
 * the policy tests one word before calling anything here.
 *
 * Ethertype repairs (docs/fixups.md has the story): a frame whose ethertype
 * contradicts the IP version it carries is dropped silently by Linux. When
 * the header under the wrong ethertype is a complete, valid header of the
 * other version, the ethertype (the innermost one, after VLAN tags) is
 * rewritten and the packet continues through the normal fast path. An
 * invalid candidate is left untouched and handed to the kernel, counted.
 *
 * Adding a fix-up: a helper here, a bit in include/routerd/maps.h, a name in
 * routerd/common/config.c, an event counter in include/routerd/counters.h.
 */
#ifndef RD_BPF_FIXUP_H
#define RD_BPF_FIXUP_H

#include "parse.h"
#include "stats.h"

/* Header checksum over IHL 32-bit words (options included). */
static __always_inline int rd_ipv4_csum_ok_ihl(const struct iphdr *ip, void *data_end)
{
	const __u32 *w = (const __u32 *)ip;
	__u32 ihl = ip->ihl;
	__u64 sum = 0;

	for (__u32 i = 0; i < 15 && i < ihl; i++) { /* bounded: the verifier walks it */
		const __u32 *next = w + 1;

		/* keep clang from folding this into arithmetic on data_end */
		asm volatile("" : "+r"(next));
		if ((void *)next > data_end)
			return 0;
		sum += *w;
		w = next;
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/* `tail`: the frame's bytes beyond data_end (lib/frags.h), which the
 * packet's length may cover. */
static __always_inline int rd_valid_ipv4_header(const struct iphdr *ip, void *data_end,
						__u32 tail)
{
	__u32 avail = data_end - (void *)ip, tot;

	if ((void *)(ip + 1) > data_end || ip->version != 4 || ip->ihl < 5)
		return 0;
	tot = bpf_ntohs(ip->tot_len);
	/* keep clang from folding this into arithmetic on data_end */
	asm volatile("" : "+r"(avail));
	avail += tail;
	if (tot < ip->ihl * 4u || tot > avail)
		return 0;
	return rd_ipv4_csum_ok_ihl(ip, data_end);
}

static __always_inline int rd_valid_ipv6_header(const struct ipv6hdr *ip6, void *data_end,
						__u32 tail)
{
	__u32 avail = data_end - (void *)ip6;

	if ((void *)(ip6 + 1) > data_end || ip6->version != 6)
		return 0;
	asm volatile("" : "+r"(avail)); /* as above */
	return sizeof(*ip6) + bpf_ntohs(ip6->payload_len) <= avail + tail;
}

/* Returns RD_PARSE_OK (repaired, or nothing to repair) or
 * RD_PASS_FIXUP_REJECTED for a candidate that is not a valid header. */
static __always_inline int rd_fixup_ethertype(struct rd_pkt *pkt, __u32 fixups,
					      struct rd_stats *st)
{
	__u8 *first = pkt->l3;

	if ((void *)(first + 1) > pkt->data_end)
		return RD_PARSE_OK; /* the parser reports the truncation */

	if (pkt->l3_proto == ETH_P_IPV6 && (fixups & RD_FIXUP_IPV4_IN_IPV6) &&
	    (*first >> 4) == 4) {
		if (!rd_valid_ipv4_header(pkt->l3, pkt->data_end, pkt->tail_len))
			return RD_PASS_FIXUP_REJECTED;
		*pkt->proto = bpf_htons(ETH_P_IP);
		pkt->l3_proto = ETH_P_IP;
		rd_count_event(st, RD_EV_FIXUP_IPV4_IN_IPV6);
	} else if (pkt->l3_proto == ETH_P_IP && (fixups & RD_FIXUP_IPV6_IN_IPV4) &&
		   (*first >> 4) == 6) {
		if (!rd_valid_ipv6_header(pkt->l3, pkt->data_end, pkt->tail_len))
			return RD_PASS_FIXUP_REJECTED;
		*pkt->proto = bpf_htons(ETH_P_IPV6);
		pkt->l3_proto = ETH_P_IPV6;
		rd_count_event(st, RD_EV_FIXUP_IPV6_IN_IPV4);
	}
	return RD_PARSE_OK;
}

#define TCP_FLAG_SYN_BYTE 0x02 /* in the 14th byte of the TCP header */
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCP_MAX_OPTIONS_WALK 12

/* RFC 1624 update of a 16-bit one's complement checksum for one 16-bit
 * value change; old/new are summed as the checksum's own words would be. */
static __always_inline void rd_csum_replace16(__u16 *check, __u16 old, __u16 new)
{
	__u32 sum = (__u16)~*check + (__u16)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	*check = ~sum;
}

/*
 * MSS clamping for forwarded TCP SYN and SYN-ACK (the classic fix for PPPoE
 * and tunnel uplinks whose path MTU discovery is broken). The TCP header of
 * an unfragmented packet starts `l4_off` bytes into the frame and the IP
 * packet ends at `ip_end_off`; `limit` is the largest MSS allowed. Returns
 * 1 when it lowered the MSS.
 *
 * A global function, so the verifier checks the option walk once, on its
 * own: inlined, it is walked again for every way the policy reaches it
 * (tags, bridge or not, each family), past the verifier's budget. It only
 * writes bytes, so the caller's packet pointers stay valid. Declared here,
 * defined once in the program's one source file (bpf/routerd.bpf.c), as a
 * global function in a header would be defined in every file including it.
 */
__attribute__((noinline)) int rd_clamp_mss_at(struct xdp_md *ctx, __u64 l4_off,
					      __u64 ip_end_off, __u64 limit);

/* The IP and TCP headers, without options, that the egress MTU holds
 * besides the segment: the MTU minus these is the largest MSS. */
#define RD_MSS_HEADERS(v4)                                                                   \
	((v4) ? sizeof(struct iphdr) + sizeof(struct tcphdr)                                  \
	      : sizeof(struct ipv6hdr) + sizeof(struct tcphdr))

/* The largest TCP header: options past the first buffer of a multi-buffer
 * frame are out of the walk's reach. */
#define RD_TCP_MAX_HEADER 60

/* Whether the clamp can see every option the TCP header at `l4` may have:
 * always in a single-buffer frame (the walk stops at its end, as the
 * segment does); in a multi-buffer one only with the longest header in the
 * first buffer. Otherwise the SYN is the kernel's (RD_PASS_SPLIT_HEADERS). */
static __always_inline bool rd_clamp_reaches(const struct rd_pkt *pkt, void *l4)
{
	return likely(!pkt->tail_len) || pkt->l4_proto != NEXTHDR_TCP ||
	       l4 + RD_TCP_MAX_HEADER <= pkt->data_end;
}

static __always_inline void rd_clamp_mss(struct xdp_md *ctx, const struct rd_pkt *pkt,
					 void *l4, __u16 limit, struct rd_stats *st)
{
	void *data = (void *)(long)ctx->data;

	if (pkt->l4_proto != NEXTHDR_TCP)
		return;
	if (rd_clamp_mss_at(ctx, l4 - data, pkt->l3 - data + pkt->l3_len, limit))
		rd_count_event(st, RD_EV_FIXUP_MSS_CLAMP);
}

#endif /* RD_BPF_FIXUP_H */
