// SPDX-License-Identifier: GPL-2.0
/*
 * Malformed frames: shapes the kernel would count and drop. test_malformed
 * runs them all as they are; test_fixups relabels the IPv4 and IPv6 ones
 * as repair candidates that must be rejected.
 */
#ifndef RD_TEST_PACKET_SHAPES_H
#define RD_TEST_PACKET_SHAPES_H

#include "fixture.h"

struct shape {
	const char *name;
	void (*make)(struct frame *f);
};

#define SHAPE(fn) { #fn, fn }

void eth_truncated(struct frame *f);
void ipv4_no_header(struct frame *f);
void ipv4_truncated_header(struct frame *f);
void ipv4_version_6(struct frame *f);
void ipv4_ihl_4(struct frame *f);
void ipv4_tot_len_beyond_frame(struct frame *f);
void ipv4_tot_len_below_header(struct frame *f);
void ipv4_tot_len_below_options(struct frame *f);
void ipv4_bad_checksum(struct frame *f);
void ipv4_zero_checksum(struct frame *f);
void ipv6_no_header(struct frame *f);
void ipv6_truncated_header(struct frame *f);
void ipv6_payload_len_beyond_frame(struct frame *f);
void ipv6_version_4(struct frame *f);
void ipv4_packet_in_86dd(struct frame *f);
void vlan_three_tags(struct frame *f);
void vlan_truncated_tag(struct frame *f);
void vlan_truncated_inner_tag(struct frame *f);

#endif /* RD_TEST_PACKET_SHAPES_H */
