// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests: malformed frames, which the kernel would count and drop, go
 * to it untouched as pass reason malformed. The topology and helpers are in
 * fixture.h, the shapes in shapes.c.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "shapes.h"

PACKET_SUITE(malformed);

static const struct shape malformed_shapes[] = {
	SHAPE(eth_truncated),
	SHAPE(ipv4_no_header),
	SHAPE(ipv4_truncated_header),
	SHAPE(ipv4_version_6),
	SHAPE(ipv4_ihl_4),
	SHAPE(ipv4_tot_len_beyond_frame),
	SHAPE(ipv4_tot_len_below_header),
	SHAPE(ipv4_tot_len_below_options),
	SHAPE(ipv4_bad_checksum),
	SHAPE(ipv4_zero_checksum),
	SHAPE(ipv6_no_header),
	SHAPE(ipv6_truncated_header),
	SHAPE(ipv6_payload_len_beyond_frame),
	SHAPE(ipv6_version_4),
	SHAPE(ipv4_packet_in_86dd),
	SHAPE(vlan_three_tags),
	SHAPE(vlan_truncated_tag),
	SHAPE(vlan_truncated_inner_tag),
};
#define N_SHAPES (sizeof(malformed_shapes) / sizeof(malformed_shapes[0]))

ParameterizedTestParameters(malformed, shapes)
{
	return index_params(N_SHAPES);
}

ParameterizedTest(int *i, malformed, shapes)
{
	const struct shape *s = &malformed_shapes[*i];
	struct frame f;

	set_label("%s", s->name);
	s->make(&f);
	/* BPF_PROG_TEST_RUN wants ETH_HLEN bytes: try_run() pads a shorter
	 * frame with a fragment, which the frags-aware program counts as part
	 * of the frame, so its Ethernet header is split, not short. */
	expect_pass(P_IN, &f, f.len < ETH_HLEN ? RD_PASS_SPLIT_HEADERS : RD_PASS_MALFORMED);
}

/* The header checksum test (bpf/lib/parse.h) replaces the RFC 1071 fold by
 * a divisibility test; it must agree with the fold on every header: random
 * headers with their checksum right are forwarded, and with it wrong by
 * any amount (other than writing 0x0000 for 0xffff, the same one's-
 * complement zero, which the kernel accepts too) are malformed. */
Test(malformed, the_checksum_test_agrees_with_the_fold)
{
	srandom(20261124);
	for (int i = 0; i < 64; i++) {
		struct frame f = udp4(DST4_OUT1);
		struct iphdr *ip = IP4(&f);
		__u16 good, bad;

		ip->tos = (__u8)(random() & 0xfc);
		ip->id = (__u16)random();
		ip->ttl = (__u8)(2 + random() % 254);
		ip->frag_off = random() & 1 ? htons(IP_DF) : 0;
		ipv4_fix_csum(&f);
		set_label("header %d, checksum %#06x", i, ntohs(ip->check));
		expect_forwarded4(&f, P_OUT1);

		good = ntohs(ip->check);
		do
			bad = (__u16)(good + 1 + random() % 0xfffe);
		while ((good == 0 && bad == 0xffff) || (good == 0xffff && bad == 0));
		ip->check = htons(bad);
		set_label("header %d, checksum %#06x for %#06x", i, bad, good);
		expect_pass(P_IN, &f, RD_PASS_MALFORMED);
	}
}
