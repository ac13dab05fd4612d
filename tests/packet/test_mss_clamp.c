// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of the mss-clamp fix-up (docs/fixups.md), byte by byte: a
 * forwarded TCP SYN or SYN-ACK from a port with the fix-up carries at most
 * the limit as its MSS option, with a TCP checksum equal to one computed
 * from scratch over the pseudo-header and the segment; anything else is
 * forwarded exactly as without the fix-up. The topology and helpers are in
 * fixture.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "fixture.h"

PACKET_SUITE(mss_clamp);

#define NOP 1
#define EOL 0
#define MSS(v) 2, 4, (__u8)((v) >> 8), (__u8)(v)
#define MSS_1460 MSS(1460)
#define WSCALE_7 3, 3, 7
#define SACK_PERM 4, 2
#define TIMESTAMPS 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0

#define ON RD_FIXUP_MSS_CLAMP
#define AUTO RD_MSS_CLAMP_AUTO

struct mss_case {
	const char *name;
	bool v6;
	__u8 flags;              /* TH_* */
	__u8 opts[40];
	size_t optlen;
	__u32 fixups;            /* of rdfp-in */
	__u16 mss_clamp;
	enum port_id egress;     /* out1 unless set */
	__u16 want;              /* the MSS after clamping; 0: untouched */
	void (*tweak)(struct frame *f); /* a last change to the segment */
};

#define OPTS(...) .opts = { __VA_ARGS__ }, .optlen = sizeof((__u8[]){ __VA_ARGS__ })
#define V4(n, ...) { .name = n, .v6 = false, __VA_ARGS__ }
#define V6(n, ...) { .name = n, .v6 = true, __VA_ARGS__ }

/* The TCP payload starts with 05 b4, an MSS of 1460 for a walk that reads
 * past the options. */
static void mss_lookalike_payload(struct frame *f)
{
	struct tcphdr *tcp = tcp_of(f);
	__u8 *payload = (__u8 *)tcp + tcp->doff * 4;

	payload[0] = 0x05;
	payload[1] = 0xb4;
	tcp_fix_csum(f);
}

/* MF set, offset 0: the TCP header is there and is clamped. */
static void first_fragment(struct frame *f)
{
	IP4(f)->frag_off = htons(IP_MF);
	ipv4_fix_csum(f);
}

/* A later fragment: its first bytes look like a SYN but are payload. */
static void later_fragment(struct frame *f)
{
	IP4(f)->frag_off = htons(IP_MF | 100);
	ipv4_fix_csum(f);
}

/* The same bytes as UDP. */
static void as_udp(struct frame *f)
{
	IP4(f)->protocol = IPPROTO_UDP;
	ipv4_fix_csum(f);
}

static const struct mss_case cases[] = {
	V4("syn", .flags = TH_SYN, OPTS(MSS_1460), .fixups = ON, .mss_clamp = 1400, .want = 1400),
	V6("syn", .flags = TH_SYN, OPTS(MSS_1460), .fixups = ON, .mss_clamp = 1400, .want = 1400),
	V4("syn-ack", .flags = TH_SYN | TH_ACK, OPTS(MSS_1460), .fixups = ON, .mss_clamp = 1400,
	   .want = 1400),
	V6("syn-ack", .flags = TH_SYN | TH_ACK, OPTS(MSS_1460), .fixups = ON, .mss_clamp = 1400,
	   .want = 1400),
	/* Linux's SYN: the MSS first; and a BSD-like one with it after the
	 * timestamps, which the walk skips by their length */
	V4("linux options", .flags = TH_SYN, OPTS(MSS_1460, SACK_PERM, TIMESTAMPS, NOP, WSCALE_7),
	   .fixups = ON, .mss_clamp = 1400, .want = 1400),
	V6("mss after timestamps", .flags = TH_SYN, OPTS(NOP, NOP, TIMESTAMPS, MSS_1460),
	   .fixups = ON, .mss_clamp = 1400, .want = 1400),
	/* an odd offset from the TCP header: the value straddles two words */
	V4("odd offset (1 NOP)", .flags = TH_SYN, OPTS(NOP, MSS_1460), .fixups = ON,
	   .mss_clamp = 1400, .want = 1400),
	V6("odd offset (1 NOP)", .flags = TH_SYN, OPTS(NOP, MSS_1460), .fixups = ON,
	   .mss_clamp = 1400, .want = 1400),
	V4("odd offset (3 NOPs)", .flags = TH_SYN, OPTS(NOP, NOP, NOP, MSS_1460), .fixups = ON,
	   .mss_clamp = 1400, .want = 1400),
	V6("odd offset after timestamps", .flags = TH_SYN, OPTS(NOP, TIMESTAMPS, MSS_1460),
	   .fixups = ON, .mss_clamp = 1400, .want = 1400),
	V4("odd offset, large values", .flags = TH_SYN, OPTS(NOP, MSS(0xfffe)), .fixups = ON,
	   .mss_clamp = 0x0101, .want = 0x0101),
	V4("even offset (2 NOPs)", .flags = TH_SYN, OPTS(NOP, NOP, MSS_1460), .fixups = ON,
	   .mss_clamp = 536, .want = 536),
	V4("11 NOPs first", .flags = TH_SYN,
	   OPTS(NOP, NOP, NOP, NOP, NOP, NOP, NOP, NOP, NOP, NOP, NOP, MSS_1460), .fixups = ON,
	   .mss_clamp = 1400, .want = 1400),
	/* with the ethertype fix-ups on as well */
	V4("with every fix-up", .flags = TH_SYN, OPTS(MSS_1460),
	   .fixups = ON | RD_FIXUP_ETHERTYPE, .mss_clamp = 1400, .want = 1400),
	V4("first fragment", .flags = TH_SYN, OPTS(MSS_1460), .fixups = ON, .mss_clamp = 1400,
	   .want = 1400, .tweak = first_fragment),

	/* auto: the egress MTU from the FIB lookup less 40 or 60 bytes */
	V4("auto, 1280 egress", .flags = TH_SYN, OPTS(MSS_1460), .fixups = ON, .mss_clamp = AUTO,
	   .egress = P_SMALL_MTU, .want = 1240),
	V6("auto, 1280 egress", .flags = TH_SYN, OPTS(MSS_1460), .fixups = ON, .mss_clamp = AUTO,
	   .egress = P_SMALL_MTU, .want = 1220),
	V6("auto, 1500 egress", .flags = TH_SYN, OPTS(MSS_1460), .fixups = ON, .mss_clamp = AUTO,
	   .want = 1440),
	V4("auto, 1500 egress: 1460 fits", .flags = TH_SYN, OPTS(MSS_1460), .fixups = ON,
	   .mss_clamp = AUTO),

	/* untouched */
	V4("below the limit", .flags = TH_SYN, OPTS(MSS(1380)), .fixups = ON, .mss_clamp = 1400),
	V6("below the limit", .flags = TH_SYN, OPTS(MSS(1380)), .fixups = ON, .mss_clamp = 1400),
	V4("at the limit", .flags = TH_SYN, OPTS(MSS(1400)), .fixups = ON, .mss_clamp = 1400),
	V4("not a syn", .flags = TH_ACK, OPTS(MSS_1460), .fixups = ON, .mss_clamp = 1400),
	V6("not a syn", .flags = TH_ACK, OPTS(MSS_1460), .fixups = ON, .mss_clamp = 1400),
	V4("fin", .flags = TH_FIN | TH_ACK, OPTS(MSS_1460), .fixups = ON, .mss_clamp = 1400),
	V4("no options", .flags = TH_SYN, .optlen = 0, .fixups = ON, .mss_clamp = 1400),
	V4("no mss option", .flags = TH_SYN, OPTS(SACK_PERM, NOP, WSCALE_7), .fixups = ON,
	   .mss_clamp = 1400),
	V4("mss length 0", .flags = TH_SYN, OPTS(2, 0, 0x05, 0xb4), .fixups = ON, .mss_clamp = 1400),
	V6("mss length 1", .flags = TH_SYN, OPTS(2, 1, 0x05, 0xb4), .fixups = ON, .mss_clamp = 1400),
	V4("option length 0 before", .flags = TH_SYN, OPTS(3, 0, 7, NOP, MSS_1460), .fixups = ON,
	   .mss_clamp = 1400),
	V6("option length 1 before", .flags = TH_SYN, OPTS(3, 1, 7, NOP, MSS_1460), .fixups = ON,
	   .mss_clamp = 1400),
	V4("mss length 6", .flags = TH_SYN, OPTS(2, 6, 0x05, 0xb4, 0, 0), .fixups = ON,
	   .mss_clamp = 1400),
	V4("after the end of options", .flags = TH_SYN, OPTS(EOL, NOP, NOP, NOP, MSS_1460),
	   .fixups = ON, .mss_clamp = 1400),
	V4("cut by the data offset", .flags = TH_SYN, OPTS(NOP, NOP, 2, 4), .fixups = ON,
	   .mss_clamp = 1400, .tweak = mss_lookalike_payload),
	V4("later fragment", .flags = TH_SYN, OPTS(MSS_1460), .fixups = ON, .mss_clamp = 1400,
	   .tweak = later_fragment),
	V4("udp", .flags = TH_SYN, OPTS(MSS_1460), .fixups = ON, .mss_clamp = 1400,
	   .tweak = as_udp),
	V4("fix-up off", .flags = TH_SYN, OPTS(MSS_1460), .fixups = 0, .mss_clamp = 1400),
	V6("fix-up off", .flags = TH_SYN, OPTS(MSS_1460), .fixups = 0, .mss_clamp = 1400),
	V4("only the ethertype fix-ups", .flags = TH_SYN, OPTS(MSS_1460),
	   .fixups = RD_FIXUP_ETHERTYPE, .mss_clamp = 1400),
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static const char *dst_of(const struct mss_case *c)
{
	if (c->egress == P_SMALL_MTU)
		return c->v6 ? DST6_SMALL_MTU : DST4_SMALL_MTU;
	return c->v6 ? DST6_OUT1 : DST4_OUT1;
}

static struct frame segment_of(const struct mss_case *c)
{
	struct frame f = c->v6 ? tcp6_segment(dst_of(c), c->flags, c->opts, c->optlen)
			       : tcp4_segment(dst_of(c), c->flags, c->opts, c->optlen);

	if (c->tweak)
		c->tweak(&f);
	return f;
}

/* Where the MSS value is in F's options (its TCP header's offset), or 0. */
static size_t mss_offset(const struct frame *f)
{
	const __u8 *tcp = (const __u8 *)tcp_of(f);
	size_t end = tcp_of(f)->doff * 4u;

	for (size_t i = sizeof(struct tcphdr); i + 4 <= end;) {
		if (tcp[i] == EOL)
			return 0;
		if (tcp[i] == NOP) {
			i++;
			continue;
		}
		if (tcp[i] == 2 && tcp[i + 1] == 4)
			return i + 2;
		if (tcp[i + 1] < 2)
			return 0;
		i += tcp[i + 1];
	}
	return 0;
}

static __u16 mss_at(const struct frame *f, size_t off)
{
	const __u8 *tcp = (const __u8 *)tcp_of(f);

	return (__u16)(tcp[off] << 8 | tcp[off + 1]);
}

/* IN forwarded to the case's egress with the MSS WANT: the expected frame
 * is IN with the option rewritten and the checksum recomputed, forwarded. */
static void expect_clamped(const struct frame *in, enum port_id egress, __u16 want, bool v6)
{
	struct frame clamped = *in;
	size_t off = mss_offset(in);
	__u8 *tcp = (__u8 *)tcp_of(&clamped);
	struct verdict v = run(P_IN, in);
	__u16 check, recomputed;

	cr_assert_gt(off, 0, "%sno MSS option in the input", label);
	tcp[off] = (__u8)(want >> 8);
	tcp[off + 1] = (__u8)want;
	tcp_fix_csum(&clamped);

	cr_assert_eq(v.action, XDP_REDIRECT, "%sverdict %s; want XDP_REDIRECT", label,
		     verdict_str(&v));
	cr_assert_eq(mss_at(&v.out, off), want, "%sMSS %u at TCP offset %zu, want %u", label,
		     mss_at(&v.out, off), off, want);
	check = tcp_of(&v.out)->check;
	recomputed = v6 ? tcp6_csum(&v.out) : tcp4_csum(&v.out);
	cr_assert_eq(check, recomputed, "%sTCP checksum 0x%04x (input 0x%04x), recomputed 0x%04x",
		     label, ntohs(check), ntohs(tcp_of(in)->check), ntohs(recomputed));
	check_forwarded(&v, &clamped, egress, v6 ? ports[egress].nh6_mac : ports[egress].nh4_mac);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FIXUP_MSS_CLAMP },
		      { EVENT, v6 ? RD_EV_FORWARDED_IPV6 : RD_EV_FORWARDED_IPV4 });
}

ParameterizedTestParameters(mss_clamp, cases)
{
	return index_params(N_CASES);
}

ParameterizedTest(int *i, mss_clamp, cases)
{
	const struct mss_case *c = &cases[*i];
	enum port_id egress = c->egress ? c->egress : P_OUT1;
	struct frame f = segment_of(c);

	set_label("%s, %s", c->v6 ? "IPv6" : "IPv4", c->name);
	set_fixups(P_IN, c->fixups, c->mss_clamp);
	if (c->want)
		expect_clamped(&f, egress, c->want, c->v6);
	else
		expect_forwarded(P_IN, &f, egress,
				 c->v6 ? ports[egress].nh6_mac : ports[egress].nh4_mac);
}

/* A route MTU (mtu lock 1000 on 198.18.110.0/24) is the egress MTU the FIB
 * lookup reports: auto clamps to it. */
Test(mss_clamp, auto_follows_the_route_mtu)
{
	static const __u8 opts[] = { MSS_1460 };
	struct frame f = tcp4_segment(DST4_ROUTE_MTU, TH_SYN, opts, sizeof(opts));

	set_fixups(P_IN, ON, AUTO);
	expect_clamped(&f, P_OUT1, ROUTE_MTU - 40, false);
}

/* Repaired, then clamped: one packet, three events. */
Test(mss_clamp, after_the_ipv4_in_ipv6_repair)
{
	static const __u8 opts[] = { NOP, MSS_1460 };
	struct frame want = tcp4_segment(DST4_OUT1, TH_SYN, opts, sizeof(opts));
	struct frame in = want;
	size_t off = mss_offset(&want);
	struct verdict v;

	ETH(&in)->h_proto = htons(ETH_P_IPV6);
	((__u8 *)tcp_of(&want))[off] = 1400 >> 8;
	((__u8 *)tcp_of(&want))[off + 1] = 1400 & 0xff;
	tcp_fix_csum(&want);
	set_fixups(P_IN, ON | RD_FIXUP_IPV4_IN_IPV6, 1400);
	v = run(P_IN, &in);
	check_forwarded(&v, &want, P_OUT1, ports[P_OUT1].nh4_mac);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FIXUP_IPV4_IN_IPV6 },
		      { EVENT, RD_EV_FIXUP_MSS_CLAMP }, { EVENT, RD_EV_FORWARDED_IPV4 });
}

/* ------------------------------------------------------------------ */
/* Checksum edges of the incremental update: the sequence number is      */
/* chosen so that the checksum before (or after) clamping is CHECK.      */

struct csum_edge {
	bool v6;
	bool odd;       /* a NOP before the MSS option */
	bool after;     /* CHECK is the result, not the input */
	__u16 check;
	__u16 limit;    /* 1460 is clamped to it */
};

/* Sets the low word of the sequence number (at an even offset, so it sums
 * as one word) so that F's TCP checksum computes to CHECK. */
static void tcp_force_csum(struct frame *f, __u16 check)
{
	struct tcphdr *tcp = tcp_of(f);
	__u16 want = check == 0xffff ? 0 : check;
	__u32 rest, sum;

	tcp->seq = htonl(ntohl(tcp->seq) & 0xffff0000);
	tcp_fix_csum(f);
	rest = (__u16)~ntohs(tcp->check);     /* the sum of everything else */
	sum = (__u16)~want + (__u16)~rest;    /* what the low word must add */
	sum = (sum & 0xffff) + (sum >> 16);
	tcp->seq = htonl((ntohl(tcp->seq) & 0xffff0000) | (__u16)sum);
	tcp_fix_csum(f);
	cr_assert_eq(ntohs(tcp->check), want, "cannot build a segment with checksum 0x%04x", want);
	tcp->check = htons(check);
}

ParameterizedTestParameters(mss_clamp, checksum_edges)
{
	static struct csum_edge edges[] = {
		{ false, false, true, 0x0000, 1400 }, { false, true, true, 0x0000, 1400 },
		{ true, false, true, 0x0000, 1400 },  { true, true, true, 0x0000, 1400 },
		{ false, false, false, 0x0000, 1400 }, { false, true, false, 0x0000, 1400 },
		{ false, false, false, 0xffff, 1400 }, { true, true, false, 0xffff, 1400 },
		{ false, true, true, 0xfffe, 1400 },  { false, false, false, 0x0001, 1400 },
		/* 1460 -> 1279 at an even offset: loaded as little-endian words,
		 * ~b405 + ff04 plus the complement of the checksum (fe4a stored,
		 * 4afe loaded) sum to exactly 0x1ffff, whose first fold carries
		 * again (an x86 case: other byte orders sum other words) */
		{ false, false, false, 0xfe4a, 1279 }, { true, false, false, 0xfe4a, 1279 },
	};


	return cr_make_param_array(struct csum_edge, edges, sizeof(edges) / sizeof(edges[0]));
}

ParameterizedTest(struct csum_edge *e, mss_clamp, checksum_edges)
{
	static const __u8 even[] = { MSS_1460 }, odd[] = { NOP, MSS_1460 };
	const __u8 *opts = e->odd ? odd : even;
	size_t optlen = e->odd ? sizeof(odd) : sizeof(even);
	struct frame f = e->v6 ? tcp6_segment(DST6_OUT1, TH_SYN, opts, optlen)
			       : tcp4_segment(DST4_OUT1, TH_SYN, opts, optlen);
	size_t off = mss_offset(&f);
	__u8 *tcp = (__u8 *)tcp_of(&f);
	__u16 limit = e->limit;

	set_label("%s, %s offset, checksum %s 0x%04x, limit %u", e->v6 ? "IPv6" : "IPv4",
		  e->odd ? "odd" : "even", e->after ? "after" : "before", e->check, limit);
	if (e->after) {
		tcp[off] = (__u8)(limit >> 8);
		tcp[off + 1] = (__u8)limit;
		tcp_force_csum(&f, e->check);
		tcp[off] = 1460 >> 8;
		tcp[off + 1] = 1460 & 0xff;
		tcp_fix_csum(&f);
	} else {
		tcp_force_csum(&f, e->check);
	}
	set_fixups(P_IN, ON, limit);
	expect_clamped(&f, P_OUT1, limit, e->v6);
}
