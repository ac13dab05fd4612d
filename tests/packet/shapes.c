// SPDX-License-Identifier: GPL-2.0
/* Malformed frames: see shapes.h. */
#include <arpa/inet.h>

#include "shapes.h"

/* No ethertype at all. (Were the zero padding of try_run() visible, the
 * program would read ethertype 0 and say not_ip.) */
void eth_truncated(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	f->len = 2 * ETH_ALEN;
}

void ipv4_no_header(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	f->len = ETH_HLEN;
}

void ipv4_truncated_header(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	f->len = ETH_HLEN + sizeof(struct iphdr) - 1;
}

void ipv4_version_6(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	IP4(f)->version = 6;
	ipv4_fix_csum(f);
}

void ipv4_ihl_4(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	IP4(f)->ihl = 4;
	ipv4_fix_csum(f);
}

void ipv4_tot_len_beyond_frame(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	IP4(f)->tot_len = htons(f->len - ETH_HLEN + 1);
	ipv4_fix_csum(f);
}

void ipv4_tot_len_below_header(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	IP4(f)->tot_len = htons(sizeof(struct iphdr) - 1);
	ipv4_fix_csum(f);
}

void ipv4_tot_len_below_options(struct frame *f)
{
	*f = ipv4_with_options(nop_option, sizeof(nop_option));
	IP4(f)->tot_len = htons(sizeof(struct iphdr));
	ipv4_fix_csum(f);
}

void ipv4_bad_checksum(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	IP4(f)->check = htons(ntohs(IP4(f)->check) + 1);
}

void ipv4_zero_checksum(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	cr_assert_neq(IP4(f)->check, 0);
	IP4(f)->check = 0;
}

void ipv6_no_header(struct frame *f)
{
	*f = udp6(DST6_OUT1);
	f->len = ETH_HLEN;
}

void ipv6_truncated_header(struct frame *f)
{
	*f = udp6(DST6_OUT1);
	f->len = ETH_HLEN + sizeof(struct ipv6hdr) - 1;
}

void ipv6_payload_len_beyond_frame(struct frame *f)
{
	*f = udp6(DST6_OUT1);
	IP6(f)->payload_len = htons(f->len - ETH_HLEN - sizeof(struct ipv6hdr) + 1);
}

void ipv6_version_4(struct frame *f)
{
	*f = udp6(DST6_OUT1);
	IP6(f)->version = 4;
}

/* A well-formed IPv4 packet labelled IPv6: without the fixup bit in
 * rd_iface.fixups the program must not repair it. */
void ipv4_packet_in_86dd(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	ETH(f)->h_proto = htons(ETH_P_IPV6);
}

/* The fast path parses up to two VLAN tags (802.1ad outer, 802.1Q inner);
 * a third is more than it will look through. */
void vlan_three_tags(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	push_vlan(f, ETH_P_8021Q, 30);
	push_vlan(f, ETH_P_8021Q, 20);
	push_vlan(f, ETH_P_8021AD, 10);
}

/* A TPID with the TCI but no ethertype after it. */
void vlan_truncated_tag(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	push_vlan(f, ETH_P_8021Q, 10);
	f->len = ETH_HLEN + 2;
}

/* The same under a complete outer tag. */
void vlan_truncated_inner_tag(struct frame *f)
{
	*f = udp4(DST4_OUT1);
	push_vlan(f, ETH_P_8021Q, 20);
	push_vlan(f, ETH_P_8021AD, 10);
	f->len = ETH_HLEN + 4 + 2;
}
