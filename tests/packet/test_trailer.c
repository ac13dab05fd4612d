// SPDX-License-Identifier: GPL-2.0
/*
 * Bytes after the IP packet (Ethernet padding, or junk after the IPv4
 * total length / IPv6 payload length): the kernel trims them on input
 * (ip_rcv_core(), ipv6_rcv()) and forwards the packet alone; so must the
 * fast path (rd_trim_trailer(), bpf/lib/parse.h). Each forwarded frame is
 * compared byte for byte with the same packet forwarded without them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

PACKET_SUITE(trailer);

/* F with N bytes of junk appended (a pattern that is no padding). */
static struct frame with_trailer(const struct frame *f, size_t n)
{
	struct frame t = *f;

	cr_assert_leq(t.len + n, FRAME_MAX);
	for (size_t i = 0; i < n; i++)
		t.data[t.len + i] = (__u8)(0xa5 ^ i);
	t.len += n;
	return t;
}

/* IN, received on rdfp-in, leaves EGRESS exactly as CLEAN (the same packet
 * without the trailer) does: same bytes, same length. */
static void expect_trimmed(const struct frame *in, const struct frame *clean,
			   enum port_id egress, bool v4)
{
	const __u8 *mac = v4 ? ports[egress].nh4_mac : ports[egress].nh6_mac;
	struct verdict want = expect_forwarded(P_IN, clean, egress, mac);
	struct verdict got = expect_forwarded(P_IN, in, egress, mac);

	cr_assert_eq(got.out.len, clean->len, "%sforwarded %u bytes of a %u-byte frame; want %u",
		     label, got.out.len, in->len, clean->len);
	expect_frame(&got.out, &want.out, "trimmed frame");
}

Test(trailer, ipv4_junk_after_the_total_length)
{
	struct frame clean = udp4(DST4_OUT1), in = with_trailer(&clean, 49);

	expect_trimmed(&in, &clean, P_OUT1, true);
}

/* The commonest trailer: a 28-byte packet padded to the 60-byte minimum. */
Test(trailer, ipv4_ethernet_padding)
{
	struct frame clean = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 64, 28);
	struct frame in = clean;

	memset(in.data + in.len, 0, 60 - in.len);
	in.len = 60;
	expect_trimmed(&in, &clean, P_OUT1, true);
}

Test(trailer, ipv6_junk_after_the_payload_length)
{
	struct frame clean = udp6(DST6_OUT1), in = with_trailer(&clean, 49);

	expect_trimmed(&in, &clean, P_OUT1, false);
}

/* Payload length 0 without a hop-by-hop header is an empty packet, not a
 * jumbogram: 40 bytes, whatever follows. */
Test(trailer, ipv6_payload_length_0_with_junk)
{
	struct frame clean = ipv6_packet(SRC6, DST6_OUT1, 59 /* no next header */, 64, 40);
	struct frame udp = ipv6_packet(SRC6, DST6_OUT1, IPPROTO_UDP, 64, 40);

	expect_trimmed((struct frame[]){ with_trailer(&clean, 26) }, &clean, P_OUT1, false);
	/* a UDP header's worth of junk is not a UDP header */
	expect_trimmed((struct frame[]){ with_trailer(&udp, 60) }, &udp, P_OUT1, false);
}

/* The trailer must not count against the egress MTU, and must not be sent:
 * a packet of exactly the MTU with junk behind it is forwarded at the MTU;
 * one byte more is the kernel's (frag-needed / packet-too-big), untouched. */
Test(trailer, a_packet_of_the_mtu_with_junk_fits)
{
	struct frame c4 = ipv4_packet(SRC4, DST4_SMALL_MTU, IPPROTO_UDP, 64, 1280);
	struct frame c6 = ipv6_packet(SRC6, DST6_SMALL_MTU, IPPROTO_UDP, 64, 1280);
	struct frame big4 = ipv4_packet(SRC4, DST4_SMALL_MTU, IPPROTO_UDP, 64, 1281);
	struct frame big6 = ipv6_packet(SRC6, DST6_SMALL_MTU, IPPROTO_UDP, 64, 1281);

	expect_trimmed((struct frame[]){ with_trailer(&c4, 60) }, &c4, P_SMALL_MTU, true);
	expect_trimmed((struct frame[]){ with_trailer(&c6, 60) }, &c6, P_SMALL_MTU, false);
	expect_pass(P_IN, (struct frame[]){ with_trailer(&big4, 60) }, RD_PASS_FRAG_NEEDED);
	expect_pass(P_IN, (struct frame[]){ with_trailer(&big6, 60) }, RD_PASS_FRAG_NEEDED);
}

/* Really transmitted (live frames): untrimmed, the frame would exceed what
 * the 1280-byte egress veth accepts and vanish after the program counted
 * it as forwarded; trimmed, it arrives as the packet alone. */
Test(trailer, a_padded_frame_over_the_egress_mtu_arrives_trimmed)
{
	struct frame clean = ipv4_packet(SRC4, DST4_SMALL_MTU, IPPROTO_UDP, 64, 1280);
	struct frame in = with_trailer(&clean, 60);
	struct verdict want = expect_forwarded(P_IN, &clean, P_SMALL_MTU,
					       ports[P_SMALL_MTU].nh4_mac);
	struct verdict live;
	int fd, rc;

	cr_assert_eq(system("ethtool -K rdfp-mtu-p gro on >/dev/null"), 0, "ethtool -K gro on");
	fd = packet_socket(ports[P_SMALL_MTU].peer);
	rc = try_run(ports[P_IN].ifindex, &in, BPF_F_TEST_XDP_LIVE_FRAMES, &live);
	cr_assert_eq(rc, 0, "live BPF_PROG_TEST_RUN: %s", strerror(-rc));
	expect_counted(&live, slot_of(P_IN), EVENT, RD_EV_FORWARDED_IPV4);
	cr_assert(received(fd, &want.out, 2000),
		  "the %u-byte frame did not arrive on %s as the %u-byte packet", in.len,
		  ports[P_SMALL_MTU].peer, want.out.len);
	close(fd);
}

/* A route cache hit trims as the lookup does. */
Test(trailer, a_cache_hit_trims_too)
{
	struct frame clean = udp4(DST4_OUT1), in = with_trailer(&clean, 30);
	struct verdict miss, hit;

	stay_on_this_cpu(); /* per-CPU state */
	set_cache_ctl(1, ~0ull);
	miss = run(P_IN, &clean);
	check_forwarded(&miss, &clean, P_OUT1, ports[P_OUT1].nh4_mac);
	EXPECT_COUNTS(&miss, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV4 },
		      { EVENT, RD_EV_ROUTE_CACHE_MISS });
	hit = run(P_IN, &in);
	check_forwarded(&hit, &in, P_OUT1, ports[P_OUT1].nh4_mac);
	EXPECT_COUNTS(&hit, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV4 });
	expect_frame(&hit.out, &miss.out, "trimmed frame from a hit");
}

/* Passed and dropped frames stay whole: the kernel trims them itself. */
Test(trailer, passed_and_dropped_frames_keep_it)
{
	struct frame ttl = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 1, 100);
	struct frame bh = udp6(DST6_BLACKHOLE);

	expect_pass(P_IN, (struct frame[]){ with_trailer(&ttl, 20) }, RD_PASS_TTL);
	expect_drop(P_IN, (struct frame[]){ with_trailer(&bh, 20) }, RD_DROP_BLACKHOLE);
}
