// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests: frames the fast path hands to the kernel, each counted with
 * its pass reason. The topology and helpers are in fixture.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

PACKET_SUITE(pass);

static const __u8 broadcast_mac[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* UDP to out1 with an 802.1Q/802.1ad tag (VID 10) in front of the IPv4
 * ethertype. */
static struct frame vlan_tagged(__u16 tpid)
{
	struct frame f = udp4(DST4_OUT1);

	push_vlan(&f, tpid, 10);
	return f;
}

#define ARPOP_REQUEST_ 1
#define ARPOP_REPLY_ 2

/* Ethernet/IPv4 ARP between the host behind rdfp-in and the router. */
static struct frame arp(__u16 op, const __u8 *dst_mac)
{
	struct frame f = { .len = 60 }; /* padded to the Ethernet minimum */
	__u8 *a = f.data + ETH_HLEN;
	static const __u8 fixed[8] = { 0, 1, 0x08, 0x00, ETH_ALEN, 4 }; /* htype, ptype, hlen, plen */

	fill_eth(&f, dst_mac, ports[P_IN].nh4_mac, ETH_P_ARP);
	memcpy(a, fixed, sizeof(fixed));
	a[7] = (__u8)op;
	memcpy(a + 8, ports[P_IN].nh4_mac, ETH_ALEN);
	parse_addr(AF_INET, SRC4, a + 14);
	if (op == ARPOP_REPLY_)
		memcpy(a + 18, ports[P_IN].mac, ETH_ALEN);
	parse_addr(AF_INET, LOCAL4, a + 24);
	return f;
}

#define ND_NEIGHBOUR_SOLICITATION 135

/* A unicast neighbour solicitation (NUD probe) for a global address. */
static struct frame neighbour_solicitation(const char *target)
{
	struct frame f = ipv6_packet(SRC6, target, IPPROTO_ICMPV6, 255,
				     sizeof(struct ipv6hdr) + 24);
	__u8 *nd = L4_6(&f);

	memset(nd, 0, 24);
	nd[0] = ND_NEIGHBOUR_SOLICITATION;
	parse_addr(AF_INET6, target, nd + 8);
	return f;
}

Test(pass, ttl_ipv4)
{
	for (int ttl = 1; ttl >= 0; ttl--) {
		struct frame f = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, (__u8)ttl, 100);

		expect_pass(P_IN, &f, RD_PASS_TTL);
	}
}

Test(pass, hop_limit_ipv6)
{
	for (int hops = 1; hops >= 0; hops--) {
		struct frame f = ipv6_packet(SRC6, DST6_OUT1, IPPROTO_UDP, (__u8)hops, 100);

		expect_pass(P_IN, &f, RD_PASS_TTL);
	}
}

/* The gateway has no neighbour entry: the kernel resolves it. */
Test(pass, no_neigh)
{
	struct frame f4 = udp4(DST4_NO_NEIGH), f6 = udp6(DST6_NO_NEIGH);

	expect_pass(P_IN, &f4, RD_PASS_NO_NEIGH);
	expect_pass(P_IN, &f6, RD_PASS_NO_NEIGH);
}

Test(pass, local)
{
	struct frame f4 = udp4(LOCAL4), f6 = udp6(LOCAL6);
	struct frame other4 = udp4("198.18.2.1"); /* the router's address on another port */

	expect_pass(P_IN, &f4, RD_PASS_LOCAL);
	expect_pass(P_IN, &f6, RD_PASS_LOCAL);
	expect_pass(P_IN, &other4, RD_PASS_LOCAL);
}

/* Broadcast on a connected subnet, and the subnet-router anycast address
 * of an IPv6 prefix: both are the router's to receive, not to forward. */
Test(pass, directed_broadcast_and_subnet_anycast_are_local)
{
	struct frame bcast = udp4("198.18.2.255"), anycast = udp6("2001:db8:2::");

	expect_pass(P_IN, &bcast, RD_PASS_LOCAL);
	expect_pass(P_IN, &anycast, RD_PASS_LOCAL);
}

/* No route at all (there is no default route here): the kernel answers. */
Test(pass, no_route_counts_as_local)
{
	struct frame f4 = udp4("198.19.200.1"), f6 = udp6("2001:db8:ffff::1");

	expect_pass(P_IN, &f4, RD_PASS_LOCAL);
	expect_pass(P_IN, &f6, RD_PASS_LOCAL);
}

/* One byte more than the egress (device or route) MTU: the kernel sends
 * frag-needed / packet-too-big (or fragments). */
Test(pass, frag_needed)
{
	struct frame f4 = ipv4_packet(SRC4, DST4_SMALL_MTU, IPPROTO_UDP, 64, 1281);
	struct frame f6 = ipv6_packet(SRC6, DST6_SMALL_MTU, IPPROTO_UDP, 64, 1281);
	struct frame r4 = ipv4_packet(SRC4, DST4_ROUTE_MTU, IPPROTO_UDP, 64, ROUTE_MTU + 1);

	expect_pass(P_IN, &f4, RD_PASS_FRAG_NEEDED);
	expect_pass(P_IN, &f6, RD_PASS_FRAG_NEEDED);
	expect_pass(P_IN, &r4, RD_PASS_FRAG_NEEDED);
}

Test(pass, arp)
{
	struct frame request = arp(ARPOP_REQUEST_, broadcast_mac);
	struct frame reply = arp(ARPOP_REPLY_, ports[P_IN].mac);

	expect_pass(P_IN, &request, RD_PASS_ARP);
	expect_pass(P_IN, &reply, RD_PASS_ARP);
}

Test(pass, nd)
{
	struct frame f = neighbour_solicitation(LOCAL6);

	expect_pass(P_IN, &f, RD_PASS_ND);
}

Test(pass, not_ip)
{
	struct frame f = udp4(DST4_OUT1);

	ETH(&f)->h_proto = htons(0x88b5); /* IEEE local experimental */
	expect_pass(P_IN, &f, RD_PASS_NOT_IP);
}

Test(pass, vlan)
{
	struct frame q = vlan_tagged(ETH_P_8021Q), ad = vlan_tagged(ETH_P_8021AD);

	expect_pass(P_IN, &q, RD_PASS_VLAN);
	expect_pass(P_IN, &ad, RD_PASS_VLAN);
}

Test(pass, link_local)
{
	struct frame src = ipv6_packet("fe80::2", DST6_OUT1, IPPROTO_UDP, 64, 100);
	struct frame dst = ipv6_packet(SRC6, "fe80::1", IPPROTO_UDP, 64, 100);

	expect_pass(P_IN, &src, RD_PASS_LINK_LOCAL);
	expect_pass(P_IN, &dst, RD_PASS_LINK_LOCAL);
}

Test(pass, multicast)
{
	struct frame l2 = udp4(DST4_OUT1);
	struct frame ospf = ipv4_packet(SRC4, "224.0.0.5", IPPROTO_UDP, 64, 100);
	struct frame all = udp4("255.255.255.255");
	struct frame all_nodes = udp6("ff02::1");

	memcpy(ETH(&l2)->h_dest, broadcast_mac, ETH_ALEN);
	/* the others carry the router's unicast MAC: the L3 check catches them */
	expect_pass(P_IN, &l2, RD_PASS_MULTICAST);
	expect_pass(P_IN, &ospf, RD_PASS_MULTICAST);
	expect_pass(P_IN, &all, RD_PASS_MULTICAST);
	expect_pass(P_IN, &all_nodes, RD_PASS_MULTICAST);
}

Test(pass, other_host)
{
	static const __u8 someone_else[ETH_ALEN] = MAC(9, 9);
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);
	struct frame other_port = udp4(DST4_OUT1);

	memcpy(ETH(&f4)->h_dest, someone_else, ETH_ALEN);
	memcpy(ETH(&f6)->h_dest, someone_else, ETH_ALEN);
	/* another port's MAC is not this port's either */
	memcpy(ETH(&other_port)->h_dest, ports[P_OUT1].mac, ETH_ALEN);
	expect_pass(P_IN, &f4, RD_PASS_OTHER_HOST);
	expect_pass(P_IN, &f6, RD_PASS_OTHER_HOST);
	expect_pass(P_IN, &other_port, RD_PASS_OTHER_HOST);
}

Test(pass, martian)
{
	struct frame loop_src = ipv4_packet("127.0.0.1", DST4_OUT1, IPPROTO_UDP, 64, 100);
	struct frame zero_src = ipv4_packet("0.0.0.0", DST4_OUT1, IPPROTO_UDP, 64, 100);
	struct frame loop_dst = udp4("127.0.0.1");
	struct frame loop6_src = ipv6_packet("::1", DST6_OUT1, IPPROTO_UDP, 64, 100);

	expect_pass(P_IN, &loop_src, RD_PASS_MARTIAN);
	expect_pass(P_IN, &zero_src, RD_PASS_MARTIAN);
	expect_pass(P_IN, &loop_dst, RD_PASS_MARTIAN);
	expect_pass(P_IN, &loop6_src, RD_PASS_MARTIAN);
}

/* The kernel drops an IPv4 packet whose source is one of its own addresses
 * as a martian (fib_validate_source(), even with rp_filter off; counted in
 * /proc/net/stat/rt_cache in_martian_src), so the fast path must not
 * forward it. (IPv6 has no such check: the kernel forwards those.) */
Test(pass, martian_source_is_a_router_address)
{
	struct frame other_port = ipv4_packet("198.18.2.1", DST4_OUT1, IPPROTO_UDP, 64, 100);
	struct frame ingress_port = ipv4_packet("198.18.1.1", DST4_OUT1, IPPROTO_UDP, 64, 100);

	expect_pass(P_IN, &other_port, RD_PASS_MARTIAN);
	expect_pass(P_IN, &ingress_port, RD_PASS_MARTIAN);
}

/* What the kernel says of a packet from SRC to DST4_OUT1 arriving on
 * rdfp-in: `ip route get ... iif` runs the input route lookup, source
 * validation included, and fails for a martian source. */
static bool kernel_calls_martian(const char *src)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "ip route get %s from %s iif %s >/dev/null 2>&1", DST4_OUT1,
		 src, ports[P_IN].name);
	return system(cmd) != 0;
}

static void expect_martian_source(const char *src)
{
	struct frame f = ipv4_packet(src, DST4_OUT1, IPPROTO_UDP, 64, 100);

	set_label("source %s", src);
	cr_assert(kernel_calls_martian(src), "%sthe kernel itself accepts this source", label);
	expect_pass(P_IN, &f, RD_PASS_MARTIAN);
}

/* With rp_filter on, fib_validate_source() looks the source up in the FIB
 * and refuses any type but unicast: a local address, and a broadcast
 * address too. (With rp_filter off, this namespace's default, its fast
 * check knows the interface addresses only and forwards a packet from a
 * broadcast address. The fast path hands such a packet to the kernel
 * either way, which then decides: stricter than needed, never wrong.) */
static void kernel_validates_sources(void)
{
	write_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", "2");
}

Test(pass, martian_source_is_a_broadcast_address)
{
	kernel_validates_sources();
	expect_martian_source("198.18.1.255"); /* the ingress port's subnet */
	expect_martian_source("198.18.2.255"); /* another port's */
	expect_martian_source("198.18.4.255"); /* a port routerd does not manage */
}

/* Everything the daemon would mirror, which is what the fixture put in
 * rd_local4: loopback, every port's address and broadcast address. */
Test(pass, martian_source_every_local_address)
{
	kernel_validates_sources();
	cr_assert_eq(n_local4_addrs, 1 + 2 * P__COUNT, "%zu addresses in rd_local4, want %d",
		     n_local4_addrs, 1 + 2 * P__COUNT);
	for (size_t i = 0; i < n_local4_addrs; i++)
		expect_martian_source(inet_ntoa((struct in_addr){ local4_addrs[i] }));
}

/* Reverse path filtering (rp_filter 1, strict: the route back to the
 * source must leave through the receiving interface; 2, loose: through any
 * interface): the kernel drops a packet failing it as a martian source
 * (fib_validate_source(), counted in in_martian_src). bpf_fib_lookup()
 * looks at the destination only, so the fast path must hand such a packet
 * to the kernel rather than forward it. */
Test(pass, martian_source_fails_reverse_path_filter)
{
	write_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", "1");
	sync_rp_filter();
	expect_martian_source(ports[P_OUT2].nh4); /* lives behind rdfp-out2 */
	write_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", "2");
	sync_rp_filter();
	expect_martian_source("198.19.200.1"); /* no route back at all */
}

/* rp_filter only rejects what fails it: a source whose route back leaves
 * through the ingress port (strict), or any routable source (loose), is
 * still forwarded in XDP, and the same source on the wrong port is not. */
Test(pass, reverse_path_filter_passes_good_sources)
{
	struct frame f = udp4(DST4_OUT1);

	write_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", "1");
	sync_rp_filter();
	set_label("strict, source behind the ingress port");
	expect_forwarded4(&f, P_OUT1);
	write_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", "2");
	sync_rp_filter();
	f = ipv4_packet(ports[P_OUT2].nh4, DST4_OUT1, IPPROTO_UDP, 64, 100);
	set_label("loose, source behind another port");
	expect_forwarded4(&f, P_OUT1);
}

/* Three addresses of 198.19.0.0/16 that share their first probe slot, with
 * that slot and the next two free: A takes the first, B the next. (The hash
 * spreads consecutive addresses evenly, so it takes more than a /22.) */
static void colliding_addresses(__u32 addr[3], __u32 *slot)
{
	enum { N = 65536 };
	static __u32 seen[RD_LOCAL4_SLOTS][3];
	static unsigned count[RD_LOCAL4_SLOTS];

	for (__u32 i = 0; i < N; i++) {
		__u32 a = htonl(0xc6130000 + i); /* 198.19.0.0 + i */
		__u32 s = rd_local4_slot(a, 0);

		if (count[s] < 3)
			seen[s][count[s]++] = a;
		if (count[s] == 3 && !local4_at(s) && !local4_at(rd_local4_slot(a, 1)) &&
		    !local4_at(rd_local4_slot(a, 2))) {
			memcpy(addr, seen[s], sizeof(seen[s]));
			*slot = s;
			return;
		}
	}
	cr_assert_fail("no three addresses in 198.19.0.0/16 share a free slot");
}

/* Linear probing: B is found one slot past A, and C, which hashes to the
 * same slot but is no local address, is forwarded (the probe stops at the
 * empty slot after B). */
Test(pass, martian_source_colliding_in_the_hash)
{
	__u32 addr[3], slot;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], c[INET_ADDRSTRLEN];
	struct frame from_c;

	colliding_addresses(addr, &slot);
	inet_ntop(AF_INET, &addr[0], a, sizeof(a));
	inet_ntop(AF_INET, &addr[1], b, sizeof(b));
	inet_ntop(AF_INET, &addr[2], c, sizeof(c));
	ip_cmd("addr add %s/32 dev %s", a, ports[P_OUT2].name);
	ip_cmd("addr add %s/32 dev %s", b, ports[P_OUT2].name);
	cr_assert_eq(sync_local4(), 0);

	cr_assert(rd_local4_slot(addr[1], 0) == slot && rd_local4_slot(addr[2], 0) == slot);
	cr_assert((local4_at(slot) == addr[0] && local4_at(rd_local4_slot(addr[0], 1)) == addr[1]) ||
		  (local4_at(slot) == addr[1] && local4_at(rd_local4_slot(addr[0], 1)) == addr[0]),
		  "%s and %s are not in slots %u and %u", a, b, slot, rd_local4_slot(addr[0], 1));
	expect_martian_source(a);
	expect_martian_source(b);

	from_c = ipv4_packet(c, DST4_OUT1, IPPROTO_UDP, 64, 100);
	set_label("source %s", c);
	cr_assert_not(kernel_calls_martian(c), "%sthe kernel calls this source martian", label);
	expect_forwarded4(&from_c, P_OUT1);
}

Test(pass, ip_options)
{
	struct frame f = ipv4_with_options(nop_option, sizeof(nop_option));

	cr_assert_eq(IP4(&f)->ihl, 6);
	expect_pass(P_IN, &f, RD_PASS_IP_OPTIONS);
}

Test(pass, hop_by_hop)
{
	struct frame f = ipv6_packet(SRC6, DST6_OUT1, 0 /* hop-by-hop */, 64, 100);
	static const __u8 hbh[8] = { IPPROTO_UDP, 0, 1 /* PadN */, 4, 0, 0, 0, 0 };

	memcpy(L4_6(&f), hbh, sizeof(hbh));
	expect_pass(P_IN, &f, RD_PASS_HOP_BY_HOP);
}

Test(pass, unreachable)
{
	struct frame f4 = udp4(DST4_UNREACHABLE), f6 = udp6(DST6_UNREACHABLE);

	expect_pass(P_IN, &f4, RD_PASS_UNREACHABLE);
	expect_pass(P_IN, &f6, RD_PASS_UNREACHABLE);
}

Test(pass, prohibit)
{
	struct frame f4 = udp4(DST4_PROHIBIT), f6 = udp6(DST6_PROHIBIT);

	expect_pass(P_IN, &f4, RD_PASS_PROHIBIT);
	expect_pass(P_IN, &f6, RD_PASS_PROHIBIT);
}

/* Each family's sysctl governs that family only. */
Test(pass, forwarding_disabled_ipv4)
{
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);

	set_ipv4_forwarding(false);
	expect_pass(P_IN, &f4, RD_PASS_FWD_DISABLED);
	expect_forwarded6(&f6, P_OUT1);
}

Test(pass, forwarding_disabled_ipv6)
{
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);

	set_ipv6_forwarding(false);
	expect_pass(P_IN, &f6, RD_PASS_FWD_DISABLED);
	expect_forwarded4(&f4, P_OUT1);
}

/* IPv4 forwarding is decided per receiving interface (IN_DEV_FORWARD): off
 * on rdfp-in only, frames from rdfp-out2 are still forwarded. (IPv6 has no
 * such per-interface switch in the kernel's forwarding path.) */
Test(pass, forwarding_disabled_on_the_ingress_port)
{
	struct frame from_in = udp4(DST4_OUT1);
	struct frame from_out2 = ipv4_packet("198.18.3.2", DST4_OUT1, IPPROTO_UDP, 64, 100);

	write_sysctl("/proc/sys/net/ipv4/conf/rdfp-in/forwarding", "0");
	memcpy(ETH(&from_out2)->h_dest, ports[P_OUT2].mac, ETH_ALEN);
	expect_pass(P_IN, &from_in, RD_PASS_FWD_DISABLED);
	expect_forwarded(P_OUT2, &from_out2, P_OUT1, ports[P_OUT1].nh4_mac);
}

/* The FIB picks rdfp-unm, which is not in rd_tx: the kernel forwards. */
Test(pass, unmanaged_egress)
{
	struct frame f4 = udp4(DST4_UNMANAGED), f6 = udp6(DST6_UNMANAGED);

	expect_pass(P_IN, &f4, RD_PASS_UNMANAGED_EGRESS);
	expect_pass(P_IN, &f6, RD_PASS_UNMANAGED_EGRESS);
}

/* Routed back out of the ingress port (which is in rd_tx): the kernel may
 * owe the sender an ICMP redirect. */
Test(pass, hairpin)
{
	struct frame f4 = udp4(DST4_HAIRPIN), f6 = udp6(DST6_HAIRPIN);

	expect_pass(P_IN, &f4, RD_PASS_HAIRPIN);
	expect_pass(P_IN, &f6, RD_PASS_HAIRPIN);
}

/* A routable frame on a port the daemon has not described: slot 0. */
Test(pass, unconfigured)
{
	struct frame f = ipv4_packet("198.18.4.2", DST4_OUT1, IPPROTO_UDP, 64, 100);

	memcpy(ETH(&f)->h_dest, ports[P_UNMANAGED].mac, ETH_ALEN);
	memcpy(ETH(&f)->h_source, ports[P_UNMANAGED].nh4_mac, ETH_ALEN);
	cr_assert_eq(slot_of(P_UNMANAGED), RD_SLOT_UNCONFIGURED);
	expect_pass(P_UNMANAGED, &f, RD_PASS_UNCONFIGURED);
}


/* Twenty service addresses in one /24, as on a web host: each is a martian
 * source like any local address. (rd_local4_slot() multiplies the address
 * as loaded, network byte order, so on a little-endian CPU the last octet
 * is in bits 24-31 and reaches only bits 24-25 of the slot: the 256
 * addresses of a /24 share 4 first slots, and with RD_LOCAL4_PROBES 4 at
 * most 16 of them fit. The daemon warns about the rest and the fast path
 * forwards packets spoofing them.) */
Test(pass, martian_source_many_addresses_in_one_subnet)
{
	char addr[INET_ADDRSTRLEN];
	size_t unplaced;

	for (int i = 10; i < 30; i++)
		ip_cmd("addr add 198.18.3.%d/32 dev %s", i, ports[P_OUT2].name);
	unplaced = sync_local4();
	for (int i = 10; i < 30; i++) {
		snprintf(addr, sizeof(addr), "198.18.3.%d", i);
		expect_martian_source(addr);
	}
	cr_assert_eq(unplaced, 0, "%zu addresses did not fit rd_local4", unplaced);
}

/* Traffic control (routerd/daemon/tc.c) as routerd sets it up: an ingress hold is
 * rd_iface.tc; an egress hold is that flag plus the port's absence from
 * rd_tx. */
static void set_tc(enum port_id id, __u8 bits)
{
	struct rd_iface ifc;
	__u32 key = ports[id].ifindex;

	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_ifaces, &key, sizeof(key), &ifc,
					  sizeof(ifc), 0), 0);
	ifc.tc = bits;
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_ifaces, &key, sizeof(key), &ifc,
					  sizeof(ifc), 0), 0);
	if (bits & RD_TC_HOLD_EGRESS)
		cr_assert_eq(bpf_map__delete_elem(skel->maps.rd_tx, &key, sizeof(key), 0), 0);
}

/* tc ingress filters on the ingress: every frame goes to the kernel,
 * routable or not. */
Test(pass, tc_ingress_filters)
{
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);
	struct frame bh = udp4(DST4_BLACKHOLE);

	set_tc(P_IN, RD_TC_HOLD_INGRESS);
	expect_pass(P_IN, &f4, RD_PASS_TC);
	expect_pass(P_IN, &f6, RD_PASS_TC);
	expect_pass(P_IN, &bh, RD_PASS_TC); /* the filters see it before the FIB */
}

/* A shaper on the egress: routed there, the kernel forwards (through it);
 * other egresses stay in XDP. */
Test(pass, tc_egress_shaper)
{
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1), other = udp4(DST4_OUT2);

	set_tc(P_OUT1, RD_TC_HOLD_EGRESS);
	expect_pass(P_IN, &f4, RD_PASS_TC);
	expect_pass(P_IN, &f6, RD_PASS_TC);
	expect_forwarded4(&other, P_OUT2);
}
