// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests: malformed frames, which the kernel would count and drop, go
 * to it untouched as pass reason malformed. The topology and helpers are in
 * fixture.h, the shapes in shapes.c.
 */
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
	expect_pass(P_IN, &f, RD_PASS_MALFORMED);
}
