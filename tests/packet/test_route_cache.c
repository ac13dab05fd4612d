// SPDX-License-Identifier: GPL-2.0
/*
 * The route cache (bpf/lib/cache.h): a hit must forward exactly as the
 * lookup did; nothing cached may survive a generation bump; a lapsed
 * deadline turns the cache off; a packet above the cached MTU still goes to
 * the kernel. The fixture leaves the cache off; these tests switch it on as
 * routerd/cachectl.c does.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <time.h>

#include "fixture.h"

PACKET_SUITE(route_cache);

static __u64 generation = 1;

static __u64 coarse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void publish(__u64 valid_until)
{
	struct rd_cache_ctl ctl = { .generation = generation, .valid_until_ns = valid_until };
	__u32 zero = 0;

	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_cache_ctl, &zero, sizeof(zero), &ctl,
					  sizeof(ctl), 0), 0);
}

static void cache_on(void)
{
	publish(coarse_now() + 60000000000ull);
}

static void bump(void)
{
	generation++;
	cache_on();
}

/* Moves DST4_OUT1 (a /32 more specific than its /24) to out2. */
static void move_dst4_to_out2(void)
{
	ip_cmd("route replace %s/32 via %s dev %s", DST4_OUT1, ports[P_OUT2].nh4,
	       ports[P_OUT2].name);
}

Test(route_cache, a_hit_forwards_exactly_as_the_lookup_did)
{
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);
	struct verdict miss, hit;

	cache_on();
	miss = run(P_IN, &f4);
	check_forwarded(&miss, &f4, P_OUT1, ports[P_OUT1].nh4_mac);
	EXPECT_COUNTS(&miss, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV4 },
		      { EVENT, RD_EV_ROUTE_CACHE_MISS });
	hit = run(P_IN, &f4);
	check_forwarded(&hit, &f4, P_OUT1, ports[P_OUT1].nh4_mac);
	EXPECT_COUNTS(&hit, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV4 });
	expect_frame(&hit.out, &miss.out, "IPv4 hit vs miss");

	miss = run(P_IN, &f6);
	EXPECT_COUNTS(&miss, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV6 },
		      { EVENT, RD_EV_ROUTE_CACHE_MISS });
	hit = run(P_IN, &f6);
	check_forwarded(&hit, &f6, P_OUT1, ports[P_OUT1].nh6_mac);
	EXPECT_COUNTS(&hit, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV6 });
	expect_frame(&hit.out, &miss.out, "IPv6 hit vs miss");
}

/* The generation is what keeps the cache right: until it is bumped a
 * cached flow keeps its old route (which is why routerd bumps on every
 * routing message), and after the bump the new route is taken at once. */
Test(route_cache, a_route_change_is_followed_after_the_bump)
{
	struct frame f = udp4(DST4_OUT1);
	struct verdict v;

	cache_on();
	check_forwarded((v = run(P_IN, &f), &v), &f, P_OUT1, ports[P_OUT1].nh4_mac);
	move_dst4_to_out2();
	v = run(P_IN, &f);
	set_label("before the bump: ");
	check_forwarded(&v, &f, P_OUT1, ports[P_OUT1].nh4_mac);
	bump();
	v = run(P_IN, &f);
	set_label("after the bump: ");
	check_forwarded(&v, &f, P_OUT2, ports[P_OUT2].nh4_mac);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV4 },
		      { EVENT, RD_EV_ROUTE_CACHE_MISS });
}

/* routerd killed: its deadline lapses and every packet takes the full
 * lookup, so route changes are followed with nobody to bump. */
Test(route_cache, a_lapsed_deadline_turns_the_cache_off)
{
	struct frame f = udp4(DST4_OUT1);
	struct verdict v;

	cache_on();
	v = run(P_IN, &f);
	check_forwarded(&v, &f, P_OUT1, ports[P_OUT1].nh4_mac);
	publish(coarse_now() - 1);
	move_dst4_to_out2();
	v = run(P_IN, &f);
	check_forwarded(&v, &f, P_OUT2, ports[P_OUT2].nh4_mac);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV4 });
}

/* A cached flow's larger packet still reaches the kernel untouched, which
 * then sends frag-needed: the MTU check is part of every hit. */
Test(route_cache, above_the_cached_mtu_goes_to_the_kernel)
{
	struct frame small = ipv4_packet(SRC4, DST4_SMALL_MTU, IPPROTO_UDP, 64, 100);
	struct frame big = ipv4_packet(SRC4, DST4_SMALL_MTU, IPPROTO_UDP, 64, 1400);
	struct verdict v;

	cache_on();
	v = run(P_IN, &small);
	check_forwarded(&v, &small, P_SMALL_MTU, ports[P_SMALL_MTU].nh4_mac);
	v = run(P_IN, &big);
	cr_assert_eq(v.action, XDP_PASS, "verdict %s; want XDP_PASS", verdict_str(&v));
	expect_frame(&v.out, &big, "passed frame");
	EXPECT_COUNTS(&v, slot_of(P_IN), { PASS, RD_PASS_FRAG_NEEDED },
		      { EVENT, RD_EV_ROUTE_CACHE_MISS });
}

/* Flows are keyed by their whole lookup input: another source port is
 * another entry (ECMP may send it elsewhere), looked up on its own. */
Test(route_cache, another_flow_is_another_entry)
{
	struct frame a = udp4(DST4_OUT1), b = udp4(DST4_OUT1);
	struct verdict v;

	((__u16 *)L4_4(&b))[0] ^= htons(1); /* source port */
	IP4(&b)->check = 0;
	ipv4_fix_csum(&b);
	cache_on();
	run(P_IN, &a);
	v = run(P_IN, &b);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV4 },
		      { EVENT, RD_EV_ROUTE_CACHE_MISS });
}
