// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of the ethertype fix-ups (docs/fixups.md), byte by byte:
 * ipv4-in-ipv6 and ipv6-in-ipv4 on the ingress port, plain and under VLAN
 * tags. A repaired frame must be the correctly labelled frame, forwarded or
 * handed on; a rejected candidate must come out byte-identical, counted as
 * fixup_rejected and nothing else. The topology and helpers are in
 * fixture.h; test_mss_clamp.c has the third fix-up.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "shapes.h"

PACKET_SUITE(ipv4_in_ipv6);
PACKET_SUITE(ipv6_in_ipv4);
PACKET_SUITE(fixup_vlan);

/* F with its innermost ethertype (after any VLAN tags) set to PROTO. */
static struct frame relabelled(const struct frame *f, __u16 proto)
{
	struct frame g = *f;
	size_t off = ethertype_offset(&g);

	cr_assert_leq(off + 2, g.len, "no ethertype in the frame");
	g.data[off] = (__u8)(proto >> 8);
	g.data[off + 1] = (__u8)proto;
	return g;
}

static __u16 ethertype_of(const struct frame *f)
{
	size_t off = ethertype_offset(f);

	cr_assert_leq(off + 2, f->len, "%sno ethertype in the frame", label);
	return (__u16)(f->data[off] << 8 | f->data[off + 1]);
}

/* The other version's ethertype: the label a broken sender puts on F. */
static __u16 wrong_ethertype(const struct frame *f)
{
	return ethertype_of(f) == ETH_P_IP ? ETH_P_IPV6 : ETH_P_IP;
}

static enum rd_event fixup_event(const struct frame *f)
{
	return ethertype_of(f) == ETH_P_IP ? RD_EV_FIXUP_IPV4_IN_IPV6 : RD_EV_FIXUP_IPV6_IN_IPV4;
}

/* WANT, received mislabelled on rdfp-in, comes out as WANT, handed to the
 * kernel with reason WHY after the repair was counted. */
static void expect_repaired_and_passed(const struct frame *want, enum rd_pass_reason why)
{
	struct frame in = relabelled(want, wrong_ethertype(want));
	struct verdict v = run(P_IN, &in);

	cr_assert_eq(v.action, XDP_PASS, "%sverdict %s; want XDP_PASS", label, verdict_str(&v));
	cr_assert_eq(ethertype_of(&v.out), ethertype_of(want), "%sethertype 0x%04x, want 0x%04x",
		     label, ethertype_of(&v.out), ethertype_of(want));
	expect_frame(&v.out, want, "repaired frame");
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, fixup_event(want) }, { PASS, why });
}

/* WANT, received mislabelled on rdfp-in, is forwarded to out1 exactly as
 * WANT would be. */
static void expect_repaired_and_forwarded(const struct frame *want)
{
	struct frame in = relabelled(want, wrong_ethertype(want));
	struct verdict v = run(P_IN, &in);
	bool v4 = ethertype_of(want) == ETH_P_IP;

	cr_assert_eq(ethertype_of(&v.out), ethertype_of(want), "%sethertype 0x%04x, want 0x%04x",
		     label, ethertype_of(&v.out), ethertype_of(want));
	check_forwarded(&v, want, P_OUT1, v4 ? ports[P_OUT1].nh4_mac : ports[P_OUT1].nh6_mac);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, fixup_event(want) },
		      { EVENT, v4 ? RD_EV_FORWARDED_IPV4 : RD_EV_FORWARDED_IPV6 });
}

/* ------------------------------------------------------------------ */
/* ipv4-in-ipv6                                                        */

/* Whichever way the bit is set: alone, with its reverse, with everything. */
static const __u32 v4_in_v6_on[] = {
	RD_FIXUP_IPV4_IN_IPV6,
	RD_FIXUP_ETHERTYPE,
	RD_FIXUP_ETHERTYPE | RD_FIXUP_MSS_CLAMP,
};

Test(ipv4_in_ipv6, repaired_and_forwarded)
{
	struct frame udp = udp4(DST4_OUT1);
	struct frame tcp = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_TCP, 64, 120);
	struct frame icmp = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_ICMP, 64, 84);

	for (size_t i = 0; i < sizeof(v4_in_v6_on) / sizeof(v4_in_v6_on[0]); i++) {
		set_label("fixups 0x%x", v4_in_v6_on[i]);
		set_fixups(P_IN, v4_in_v6_on[i], 1400);
		expect_repaired_and_forwarded(&udp);
		expect_repaired_and_forwarded(&tcp); /* fill_l4()'s SYN has no MSS option */
		expect_repaired_and_forwarded(&icmp);
	}
}

/* The repaired packet takes the normal path: with options, to the kernel,
 * which now accepts it. */
Test(ipv4_in_ipv6, repaired_with_options_and_passed)
{
	struct frame f = ipv4_with_options(nop_option, sizeof(nop_option));

	cr_assert_eq(IP4(&f)->ihl, 6);
	set_fixups(P_IN, RD_FIXUP_IPV4_IN_IPV6, 0);
	expect_repaired_and_passed(&f, RD_PASS_IP_OPTIONS);
}

/* A TTL the kernel must answer: repaired, then handed on with reason ttl. */
Test(ipv4_in_ipv6, repaired_then_ttl_expired)
{
	struct frame f = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 1, 100);

	set_fixups(P_IN, RD_FIXUP_IPV4_IN_IPV6, 0);
	expect_repaired_and_passed(&f, RD_PASS_TTL);
}

/* The options are part of the checksum: right over the first 20 bytes,
 * wrong over the 24. */
static void ipv4_options_bad_checksum(struct frame *f)
{
	*f = ipv4_with_options(nop_option, sizeof(nop_option));
	((__u8 *)(IP4(f) + 1))[3] = IPOPT_NOOP; /* was IPOPT_END */
	cr_assert_neq(IP4(f)->check, ipv4_csum(IP4(f)));
}

/* IHL 4 with a checksum right over the 16 bytes it claims: only the IHL
 * check rejects it. */
static void ipv4_ihl_4_own_checksum(struct frame *f)
{
	ipv4_ihl_4(f);
	IP4(f)->check = 0;
	IP4(f)->check = inet_csum(IP4(f), 16);
}

/* IPv4 headers that are no valid header, under ethertype 0x86DD. */
static const struct shape bad_ipv4[] = {
	SHAPE(ipv4_bad_checksum),
	SHAPE(ipv4_zero_checksum),
	SHAPE(ipv4_options_bad_checksum),
	SHAPE(ipv4_ihl_4),
	SHAPE(ipv4_ihl_4_own_checksum),
	SHAPE(ipv4_truncated_header),
	SHAPE(ipv4_tot_len_beyond_frame),
	SHAPE(ipv4_tot_len_below_header),
	SHAPE(ipv4_tot_len_below_options),
};
#define N_BAD_IPV4 (sizeof(bad_ipv4) / sizeof(bad_ipv4[0]))

ParameterizedTestParameters(ipv4_in_ipv6, invalid_candidate_rejected)
{
	return index_params(N_BAD_IPV4);
}

ParameterizedTest(int *i, ipv4_in_ipv6, invalid_candidate_rejected)
{
	struct frame f;

	set_label("%s in 0x86DD", bad_ipv4[*i].name);
	bad_ipv4[*i].make(&f);
	ETH(&f)->h_proto = htons(ETH_P_IPV6);
	set_fixups(P_IN, RD_FIXUP_IPV4_IN_IPV6, 0);
	expect_pass(P_IN, &f, RD_PASS_FIXUP_REJECTED);
}

/* Not even a version nibble: no candidate, the parser's truncation. */
Test(ipv4_in_ipv6, empty_payload_is_malformed)
{
	struct frame f;

	ipv6_no_header(&f);
	set_fixups(P_IN, RD_FIXUP_ETHERTYPE, 0);
	expect_pass(P_IN, &f, RD_PASS_MALFORMED);
}

/* A genuine IPv6 packet is no candidate. */
Test(ipv4_in_ipv6, genuine_ipv6_untouched)
{
	struct frame f = udp6(DST6_OUT1);

	set_fixups(P_IN, RD_FIXUP_IPV4_IN_IPV6, 0);
	expect_forwarded6(&f, P_OUT1);
}

/* Every other bit on, this one off: as without fix-ups (malformed). */
Test(ipv4_in_ipv6, off)
{
	struct frame f;

	ipv4_packet_in_86dd(&f);
	set_fixups(P_IN, RD_FIXUP_IPV6_IN_IPV4 | RD_FIXUP_MSS_CLAMP, 1400);
	expect_pass(P_IN, &f, RD_PASS_MALFORMED);
}

/* ------------------------------------------------------------------ */
/* ipv6-in-ipv4                                                        */

Test(ipv6_in_ipv4, repaired_and_forwarded)
{
	struct frame udp = udp6(DST6_OUT1);
	struct frame tcp = ipv6_packet(SRC6, DST6_OUT1, IPPROTO_TCP, 64, 120);
	struct frame icmp = ipv6_packet(SRC6, DST6_OUT1, IPPROTO_ICMPV6, 64, 104);

	set_fixups(P_IN, RD_FIXUP_IPV6_IN_IPV4, 0);
	expect_repaired_and_forwarded(&udp);
	expect_repaired_and_forwarded(&tcp);
	expect_repaired_and_forwarded(&icmp);
	set_label("both ethertype fix-ups");
	set_fixups(P_IN, RD_FIXUP_ETHERTYPE, 0);
	expect_repaired_and_forwarded(&udp);
}

Test(ipv6_in_ipv4, repaired_with_hop_by_hop_and_passed)
{
	struct frame f = ipv6_packet(SRC6, DST6_OUT1, 0 /* hop-by-hop */, 64, 100);
	static const __u8 hbh[8] = { IPPROTO_UDP, 0, 1 /* PadN */, 4, 0, 0, 0, 0 };

	memcpy(L4_6(&f), hbh, sizeof(hbh));
	set_fixups(P_IN, RD_FIXUP_IPV6_IN_IPV4, 0);
	expect_repaired_and_passed(&f, RD_PASS_HOP_BY_HOP);
}

/* An IPv6 header that fits the frame (payload length 0, trailing bytes)
 * is valid: Ethernet padding is allowed. */
Test(ipv6_in_ipv4, repaired_with_trailing_bytes)
{
	struct frame f = udp6(DST6_OUT1);

	IP6(&f)->payload_len = htons(ntohs(IP6(&f)->payload_len) - 10);
	set_fixups(P_IN, RD_FIXUP_IPV6_IN_IPV4, 0);
	expect_repaired_and_forwarded(&f);
}

static const struct shape bad_ipv6[] = {
	SHAPE(ipv6_payload_len_beyond_frame),
	SHAPE(ipv6_truncated_header),
};
#define N_BAD_IPV6 (sizeof(bad_ipv6) / sizeof(bad_ipv6[0]))

ParameterizedTestParameters(ipv6_in_ipv4, invalid_candidate_rejected)
{
	return index_params(N_BAD_IPV6);
}

ParameterizedTest(int *i, ipv6_in_ipv4, invalid_candidate_rejected)
{
	struct frame f;

	set_label("%s in 0x0800", bad_ipv6[*i].name);
	bad_ipv6[*i].make(&f);
	ETH(&f)->h_proto = htons(ETH_P_IP);
	set_fixups(P_IN, RD_FIXUP_IPV6_IN_IPV4, 0);
	expect_pass(P_IN, &f, RD_PASS_FIXUP_REJECTED);
}

Test(ipv6_in_ipv4, genuine_ipv4_untouched)
{
	struct frame f = udp4(DST4_OUT1);

	set_fixups(P_IN, RD_FIXUP_IPV6_IN_IPV4, 0);
	expect_forwarded4(&f, P_OUT1);
}

Test(ipv6_in_ipv4, off)
{
	struct frame f = udp6(DST6_OUT1);

	ETH(&f)->h_proto = htons(ETH_P_IP);
	set_fixups(P_IN, RD_FIXUP_IPV4_IN_IPV6 | RD_FIXUP_MSS_CLAMP, 1400);
	expect_pass(P_IN, &f, RD_PASS_MALFORMED);
}

/* ------------------------------------------------------------------ */
/* Under VLAN tags: the innermost ethertype is repaired, the tags stay,  */
/* and the kernel gets the frame for its VLAN device.                    */

static struct frame one_tag(struct frame f)
{
	push_vlan(&f, ETH_P_8021Q, 10);
	return f;
}

static struct frame two_tags(struct frame f)
{
	push_vlan(&f, ETH_P_8021Q, 20);  /* inner, C-tag */
	push_vlan(&f, ETH_P_8021AD, 10); /* outer, S-tag */
	return f;
}

Test(fixup_vlan, ipv4_in_ipv6_one_tag)
{
	struct frame f = one_tag(udp4(DST4_OUT1));

	set_fixups(P_IN, RD_FIXUP_IPV4_IN_IPV6, 0);
	expect_repaired_and_passed(&f, RD_PASS_VLAN);
}

Test(fixup_vlan, ipv4_in_ipv6_two_tags)
{
	struct frame f = two_tags(udp4(DST4_OUT1));

	cr_assert_eq(ethertype_offset(&f), 2 * ETH_ALEN + 8);
	set_fixups(P_IN, RD_FIXUP_IPV4_IN_IPV6, 0);
	expect_repaired_and_passed(&f, RD_PASS_VLAN);
}

Test(fixup_vlan, ipv6_in_ipv4_one_and_two_tags)
{
	struct frame one = one_tag(udp6(DST6_OUT1)), two = two_tags(udp6(DST6_OUT1));

	set_fixups(P_IN, RD_FIXUP_IPV6_IN_IPV4, 0);
	expect_repaired_and_passed(&one, RD_PASS_VLAN);
	expect_repaired_and_passed(&two, RD_PASS_VLAN);
}

/* Tagged rejects are rejected, untouched, like untagged ones. */
Test(fixup_vlan, invalid_candidate_rejected)
{
	struct frame bad;

	ipv4_bad_checksum(&bad);
	bad = relabelled(&bad, ETH_P_IPV6);
	bad = two_tags(bad);
	set_fixups(P_IN, RD_FIXUP_ETHERTYPE, 0);
	expect_pass(P_IN, &bad, RD_PASS_FIXUP_REJECTED);
}

/* The tags hold a correctly labelled packet: nothing to repair. */
Test(fixup_vlan, genuine_untouched)
{
	struct frame f = two_tags(udp4(DST4_OUT1));

	set_fixups(P_IN, RD_FIXUP_ETHERTYPE, 0);
	expect_pass(P_IN, &f, RD_PASS_VLAN);
}

/* More tags than the parser looks through, or a truncated tag: malformed
 * and untouched, fix-up or not. */
static const struct shape bad_tags[] = {
	SHAPE(vlan_three_tags),
	SHAPE(vlan_truncated_tag),
	SHAPE(vlan_truncated_inner_tag),
};
#define N_BAD_TAGS (sizeof(bad_tags) / sizeof(bad_tags[0]))

ParameterizedTestParameters(fixup_vlan, bad_tags_malformed)
{
	return index_params(N_BAD_TAGS);
}

ParameterizedTest(int *i, fixup_vlan, bad_tags_malformed)
{
	struct frame f;

	set_label("%s, v4 in v6", bad_tags[*i].name);
	bad_tags[*i].make(&f);
	if (f.len >= ethertype_offset(&f) + 2 + sizeof(struct iphdr))
		f = relabelled(&f, ETH_P_IPV6); /* a candidate, were it parsed */
	set_fixups(P_IN, RD_FIXUP_ETHERTYPE, 0);
	expect_pass(P_IN, &f, RD_PASS_MALFORMED);
}
