// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests: frames the fast path forwards itself (suite forward), and
 * the one it drops (suite drop). The topology and helpers are in fixture.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_packet.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "fixture.h"
#include "daemon/datapath.h"

PACKET_SUITE(forward);
PACKET_SUITE(drop);

Test(forward, ipv4_udp)
{
	struct frame f = udp4(DST4_OUT1);

	expect_forwarded4(&f, P_OUT1);
}

Test(forward, ipv4_tcp)
{
	struct frame f = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_TCP, 64, 120);

	expect_forwarded4(&f, P_OUT1);
}

Test(forward, ipv4_icmp_echo)
{
	struct frame f = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_ICMP, 64, 84);

	expect_forwarded4(&f, P_OUT1);
}

Test(forward, ipv6_udp)
{
	struct frame f = udp6(DST6_OUT1);

	expect_forwarded6(&f, P_OUT1);
}

Test(forward, ipv6_tcp)
{
	struct frame f = ipv6_packet(SRC6, DST6_OUT1, IPPROTO_TCP, 64, 120);

	expect_forwarded6(&f, P_OUT1);
}

Test(forward, ipv6_icmp_echo)
{
	struct frame f = ipv6_packet(SRC6, DST6_OUT1, IPPROTO_ICMPV6, 64, 104);

	expect_forwarded6(&f, P_OUT1);
}

/* RFC 8950: the dst MAC is the IPv6 gateway's (06:03), not the IPv4
 * neighbour's on the same link (04:03); the packet keeps its addresses. */
Test(forward, ipv4_via_ipv6_nexthop)
{
	struct frame f = udp4(DST4_VIA_V6_NH);

	expect_forwarded(P_IN, &f, P_OUT2, ports[P_OUT2].nh6_mac);
}

/* Non-live runs do not execute the redirect; the rewritten MACs prove
 * which port the FIB chose, and each prefix picks a different one. */
Test(forward, egress_follows_the_fib)
{
	struct frame a4 = udp4(DST4_OUT1), b4 = udp4(DST4_OUT2);
	struct frame a6 = udp6(DST6_OUT1), b6 = udp6(DST6_OUT2);

	expect_forwarded4(&a4, P_OUT1);
	expect_forwarded4(&b4, P_OUT2);
	expect_forwarded6(&a6, P_OUT1);
	expect_forwarded6(&b6, P_OUT2);
}

/* Frames arriving on another managed port are routed and counted there. */
Test(forward, from_another_ingress)
{
	struct frame f = ipv4_packet("198.18.3.2", DST4_OUT1, IPPROTO_UDP, 64, 100);

	memcpy(ETH(&f)->h_dest, ports[P_OUT2].mac, ETH_ALEN);
	memcpy(ETH(&f)->h_source, ports[P_OUT2].nh4_mac, ETH_ALEN);
	expect_forwarded(P_OUT2, &f, P_OUT1, ports[P_OUT1].nh4_mac);
}

/* No room for ports: the ECMP hash falls back to L3, and the kernel would
 * forward such a packet too. */
Test(forward, tcp_without_ports)
{
	struct frame f4 = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_TCP, 64, sizeof(struct iphdr));
	struct frame f6 = ipv6_packet(SRC6, DST6_OUT1, IPPROTO_TCP, 64, sizeof(struct ipv6hdr));

	expect_forwarded4(&f4, P_OUT1);
	expect_forwarded6(&f6, P_OUT1);
}

/* Fragments are forwarded as they are (their L4 bytes are not ports). */
Test(forward, ipv4_fragments)
{
	struct frame first = udp4(DST4_OUT1), later = udp4(DST4_OUT1);

	IP4(&first)->frag_off = htons(IP_MF);
	ipv4_fix_csum(&first);
	IP4(&later)->frag_off = htons(IP_MF | 100);
	ipv4_fix_csum(&later);
	expect_forwarded4(&first, P_OUT1);
	expect_forwarded4(&later, P_OUT1);
}

/* Ethernet padding after a short IPv4 packet is not the packet's: the
 * frame leaves trimmed to it (check_forwarded(); more in test_trailer.c). */
Test(forward, ipv4_with_ethernet_padding)
{
	struct frame f = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 64, 28);

	f.len = 60;
	expect_forwarded4(&f, P_OUT1);
}

Test(forward, ttl_2_is_the_lowest_forwarded)
{
	struct frame f4 = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 2, 100);
	struct frame f6 = ipv6_packet(SRC6, DST6_OUT1, IPPROTO_UDP, 2, 100);

	expect_forwarded4(&f4, P_OUT1);
	expect_forwarded6(&f6, P_OUT1);
}

/* A packet of exactly the egress MTU still fits. */
Test(forward, exactly_the_egress_mtu)
{
	struct frame f4 = ipv4_packet(SRC4, DST4_SMALL_MTU, IPPROTO_UDP, 64, 1280);
	struct frame f6 = ipv6_packet(SRC6, DST6_SMALL_MTU, IPPROTO_UDP, 64, 1280);
	struct frame r4 = ipv4_packet(SRC4, DST4_ROUTE_MTU, IPPROTO_UDP, 64, ROUTE_MTU);

	expect_forwarded4(&f4, P_SMALL_MTU);
	expect_forwarded6(&f6, P_SMALL_MTU);
	expect_forwarded4(&r4, P_OUT1);
}

/* Checksum edges of the incremental TTL update (RFC 1624): headers whose
 * checksum field is CHECK before the decrement. The ID field is chosen so
 * that a from-scratch checksum gives CHECK; 0xffff, which no computation
 * yields, is the other zero of one's complement and equally valid. */
struct csum_case {
	__u16 check;
	__u8 ttl;
};

static struct frame ipv4_with_checksum(__u16 check, __u8 ttl)
{
	struct frame f = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, ttl, 100);
	__u16 want = check == 0xffff ? 0 : check;
	__u32 rest, sum;

	/* sum of the header without ID; the ID must bring it to ~want */
	IP4(&f)->id = 0;
	rest = (__u16)~ntohs(ipv4_csum(IP4(&f)));
	sum = (__u16)~want + (__u16)~rest;
	sum = (sum & 0xffff) + (sum >> 16);
	IP4(&f)->id = htons((__u16)sum);
	cr_assert_eq(ntohs(ipv4_csum(IP4(&f))), want, "cannot build a header with checksum 0x%04x",
		     want);
	IP4(&f)->check = htons(check);
	cr_assert_eq(inet_csum(IP4(&f), sizeof(struct iphdr)), 0,
		     "the input header with checksum 0x%04x does not verify", check);
	return f;
}

ParameterizedTestParameters(forward, checksum_edges)
{
	static struct csum_case cases[] = {
		{ 0xfeff, 64 },  /* + 0x0100 = 0xffff, written as 0x0000 */
		{ 0x0000, 64 },  /* the zero a computation gives */
		{ 0xffff, 64 },  /* the other zero: the sum carries out */
		{ 0xfeff, 2 },   /* the wrap on the last forwardable TTL */
		{ 0x0000, 255 },
		{ 0xfffe, 64 },  /* carries out in the low byte (on big-endian words) */
	};

	return cr_make_param_array(struct csum_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct csum_case *c, forward, checksum_edges)
{
	struct frame f;

	set_label("checksum 0x%04x, TTL %u", c->check, c->ttl);
	f = ipv4_with_checksum(c->check, c->ttl);
	expect_forwarded4(&f, P_OUT1);
}

/* The frame really leaves through the port the FIB chose: with the peer's
 * GRO on, a redirect into a veth arrives there (otherwise it is dropped). */
Test(forward, live_frame_leaves_through_the_chosen_port)
{
	struct frame f = udp4(DST4_OUT1);
	struct verdict expected = expect_forwarded(P_IN, &f, P_OUT1, ports[P_OUT1].nh4_mac);
	struct verdict live;
	int out1, out2, rc;

	cr_assert_eq(system("ethtool -K rdfp-out1-p gro on >/dev/null && "
			    "ethtool -K rdfp-out2-p gro on >/dev/null"), 0, "ethtool -K gro on");
	out1 = packet_socket(ports[P_OUT1].peer);
	out2 = packet_socket(ports[P_OUT2].peer);

	rc = try_run(ports[P_IN].ifindex, &f, BPF_F_TEST_XDP_LIVE_FRAMES, &live);
	cr_assert_eq(rc, 0, "live BPF_PROG_TEST_RUN: %s", strerror(-rc));
	expect_counted(&live, slot_of(P_IN), EVENT, RD_EV_FORWARDED_IPV4);

	cr_assert(received(out1, &expected.out, 2000),
		  "the forwarded frame did not arrive on %s", ports[P_OUT1].peer);
	cr_assert_not(received(out2, &expected.out, 0), "the frame also arrived on %s",
		      ports[P_OUT2].peer);
	close(out1);
	close(out2);
}

/* ------------------------------------------------------------------ */
/* Dropped                                                             */

Test(drop, blackhole)
{
	struct frame f4 = udp4(DST4_BLACKHOLE), f6 = udp6(DST6_BLACKHOLE);

	expect_drop(P_IN, &f4, RD_DROP_BLACKHOLE);
	expect_drop(P_IN, &f6, RD_DROP_BLACKHOLE);
}


/* rd_ifaces is an array indexed by ifindex up to RD_IFACE_ARRAY_SLOTS;
 * interfaces with a larger ifindex (namespaces that saw many links) are
 * described in rd_ifaces_hi. Frames received on one are the kernel's
 * (unconfigured) until it has an entry there, then routed like any other. */
Test(forward, an_ingress_beyond_the_iface_array)
{
	const __u32 ifindex = RD_IFACE_ARRAY_SLOTS + 100, slot = 42;
	const __u8 mac[ETH_ALEN] = MAC(0x60, 1), peer_mac[ETH_ALEN] = MAC(0x60, 2);
	struct rd_iface ifc = { .slot = slot };
	struct frame f = udp4(DST4_OUT1);
	struct verdict v;

	ip_cmd("link add name rdfp-hi index %u address %s type veth peer name rdfp-hi-p "
	       "address %s", ifindex, mac_str(mac), mac_str(peer_mac));
	ip_cmd("link set rdfp-hi up");
	ip_cmd("link set rdfp-hi-p up");
	cr_assert_eq(if_nametoindex("rdfp-hi"), ifindex);
	fill_eth(&f, mac, peer_mac, ETH_P_IP);

	cr_assert_eq(try_run((int)ifindex, &f, 0, &v), 0);
	cr_assert_eq(v.action, XDP_PASS, "no entry: verdict %s; want XDP_PASS", verdict_str(&v));
	EXPECT_COUNTS(&v, RD_SLOT_UNCONFIGURED, { PASS, RD_PASS_UNCONFIGURED });

	memcpy(ifc.mac, mac, ETH_ALEN);
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_ifaces_hi, &ifindex, sizeof(ifindex), &ifc,
					  sizeof(ifc), BPF_ANY), 0);
	cr_assert_eq(try_run((int)ifindex, &f, 0, &v), 0);
	check_forwarded(&v, &f, P_OUT1, ports[P_OUT1].nh4_mac);
	EXPECT_COUNTS(&v, slot, { EVENT, RD_EV_FORWARDED_IPV4 });
}

/* routerd's writes to rd_ifaces (routerd/daemon/datapath.c): a live array entry is
 * rewritten through closed gates (include/routerd/maps.h), an absent one
 * reads as ENOENT, and large ifindexes live in rd_ifaces_hi. */
Test(forward, the_daemon_rewrites_iface_entries_whole)
{
	struct rd_datapath dp = { .skel = skel, .n_cpus = libbpf_num_possible_cpus() };
	__u32 key = (__u32)ports[P_IN].ifindex, hi = RD_IFACE_ARRAY_SLOTS + 7;
	struct rd_iface cur, want, raw;
	struct frame f = udp4(DST4_OUT1);
	struct verdict v;

	cr_assert_eq(rd_dp_iface_lookup(&dp, key, &cur), 0);
	want = cur;
	want.mss_clamp = 1000;
	cr_assert_eq(rd_dp_iface_update(&dp, key, &want), 0);
	cr_assert_eq(dp.iface_rewrites, 1, "a live entry goes through its gates");
	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_ifaces, &key, sizeof(key), &raw,
					  sizeof(raw), 0), 0);
	cr_assert(!memcmp(&raw, &want, sizeof(raw)), "the gates are open again");
	expect_forwarded4(&f, P_OUT1);

	cr_assert_eq(rd_dp_iface_update(&dp, key, &want), 0);
	cr_assert_eq(dp.iface_rewrites, 1, "an unchanged entry is not rewritten");

	cr_assert_eq(rd_dp_iface_delete(&dp, key), 0);
	cr_assert_eq(rd_dp_iface_lookup(&dp, key, &cur), -ENOENT);
	v = run(P_IN, &f);
	cr_assert_eq(v.action, XDP_PASS, "deleted: verdict %s; want XDP_PASS", verdict_str(&v));
	EXPECT_COUNTS(&v, RD_SLOT_UNCONFIGURED, { PASS, RD_PASS_UNCONFIGURED });
	cr_assert_eq(rd_dp_iface_update(&dp, key, &want), 0);
	cr_assert_eq(dp.iface_rewrites, 1, "an absent entry has nothing to close");
	expect_forwarded4(&f, P_OUT1);

	cr_assert_eq(rd_dp_iface_update(&dp, hi, &want), 0);
	cr_assert_eq(bpf_map__lookup_elem(skel->maps.rd_ifaces_hi, &hi, sizeof(hi), &raw,
					  sizeof(raw), 0), 0);
	cr_assert_eq(rd_dp_iface_lookup(&dp, hi, &cur), 0);
	cr_assert_eq(rd_dp_iface_delete(&dp, hi), 0);
	cr_assert_eq(rd_dp_iface_lookup(&dp, hi, &cur), -ENOENT);
	dp.skel = NULL; /* the fixture's: close only the wait's maps */
	rd_dp_close(&dp, false);
}
