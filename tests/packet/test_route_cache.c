// SPDX-License-Identifier: GPL-2.0
/*
 * The route cache (bpf/lib/cache.h): a hit must forward exactly as the
 * lookup did; nothing cached may survive a generation bump; a lapsed
 * deadline turns the cache off; a packet above the cached MTU still goes to
 * the kernel. The fixture leaves the cache off (routerd alive, with
 * `route-cache off`); these tests switch it on as routerd/daemon/cachectl.c does.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
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
	set_cache_ctl(generation, valid_until);
}

static void cache_on(void)
{
	stay_on_this_cpu();
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

/* A fresh flow's first packet: forwarded to out1 after a full lookup
 * (a miss), then its second: forwarded the same way from the cache (a hit),
 * byte for byte. */
static void expect_miss_then_hit(const struct frame *f, bool v4, const char *what)
{
	const __u8 *mac = v4 ? ports[P_OUT1].nh4_mac : ports[P_OUT1].nh6_mac;
	enum rd_event fwd = v4 ? RD_EV_FORWARDED_IPV4 : RD_EV_FORWARDED_IPV6;
	struct verdict miss, hit;

	miss = run(P_IN, f);
	check_forwarded(&miss, f, P_OUT1, mac);
	EXPECT_COUNTS(&miss, slot_of(P_IN), { EVENT, fwd }, { EVENT, RD_EV_ROUTE_CACHE_MISS });
	hit = run(P_IN, f);
	check_forwarded(&hit, f, P_OUT1, mac);
	EXPECT_COUNTS(&hit, slot_of(P_IN), { EVENT, fwd });
	expect_frame(&hit.out, &miss.out, what);
}

Test(route_cache, a_hit_forwards_exactly_as_the_lookup_did)
{
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);

	cache_on();
	expect_miss_then_hit(&f4, true, "IPv4 hit vs miss");
	expect_miss_then_hit(&f6, false, "IPv6 hit vs miss");
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
 * lookup, so route changes are followed with nobody to bump. (Just past
 * the deadline routerd is late, not yet silent: test_unattended.c.) */
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

/*
 * A hit skips the checks that run before the lookup (martian addresses,
 * rd_local4, rp_filter): that is only right because an entry answers for
 * exactly the key that passed them. The tests below pin the key down.
 */

/* The source is in the key: a cached flow does not vouch for a packet
 * from one of the router's own addresses to the same destination. */
Test(route_cache, a_hit_does_not_cover_another_source)
{
	struct frame good = udp4(DST4_OUT1);
	struct frame spoofed = ipv4_packet(LOCAL4, DST4_OUT1, IPPROTO_UDP, 64, 100);
	struct verdict v;

	cache_on();
	check_forwarded((v = run(P_IN, &good), &v), &good, P_OUT1, ports[P_OUT1].nh4_mac);
	check_forwarded((v = run(P_IN, &good), &v), &good, P_OUT1, ports[P_OUT1].nh4_mac);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV4 }); /* a hit */
	v = run(P_IN, &spoofed);
	cr_assert_eq(v.action, XDP_PASS, "verdict %s; want XDP_PASS", verdict_str(&v));
	expect_frame(&v.out, &spoofed, "passed frame");
	EXPECT_COUNTS(&v, slot_of(P_IN), { PASS, RD_PASS_MARTIAN });
}

/* The ingress is in the key: with strict rp_filter a flow cached from the
 * port its source lives behind does not vouch for the same packet arriving
 * on another port, which fails reverse-path filtering. */
Test(route_cache, a_hit_does_not_cover_another_ingress)
{
	struct frame f = udp4(DST4_OUT1), other = udp4(DST4_OUT1);
	struct verdict v;

	write_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", "1");
	sync_rp_filter();
	fill_eth(&other, ports[P_OUT2].mac, ports[P_OUT2].nh4_mac, ETH_P_IP);
	cache_on();
	check_forwarded((v = run(P_IN, &f), &v), &f, P_OUT1, ports[P_OUT1].nh4_mac);
	check_forwarded((v = run(P_IN, &f), &v), &f, P_OUT1, ports[P_OUT1].nh4_mac);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV4 }); /* a hit */
	v = run(P_OUT2, &other);
	cr_assert_eq(v.action, XDP_PASS, "verdict %s; want XDP_PASS", verdict_str(&v));
	expect_frame(&v.out, &other, "passed frame");
	EXPECT_COUNTS(&v, slot_of(P_OUT2), { PASS, RD_PASS_MARTIAN },
		      { EVENT, RD_EV_ROUTE_CACHE_MISS });
}

/* rd_local4 is not in the key: a cached flow whose source becomes one of
 * the router's addresses keeps forwarding until the generation is bumped,
 * which is why routerd bumps after every rd_local4 change
 * (routerd/daemon/netlink.c, on_local4). After the bump it is a martian. */
Test(route_cache, a_source_turned_local_is_a_martian_after_the_bump)
{
	const char *src = "198.18.200.9";
	struct frame f = ipv4_packet(src, DST4_OUT1, IPPROTO_UDP, 64, 100);
	struct verdict v;

	cache_on();
	check_forwarded((v = run(P_IN, &f), &v), &f, P_OUT1, ports[P_OUT1].nh4_mac);
	ip_cmd("address add %s/32 dev %s", src, ports[P_OUT2].name);
	sync_local4();
	v = run(P_IN, &f);
	set_label("before the bump: ");
	check_forwarded(&v, &f, P_OUT1, ports[P_OUT1].nh4_mac);
	bump();
	v = run(P_IN, &f);
	cr_assert_eq(v.action, XDP_PASS, "after the bump: verdict %s; want XDP_PASS",
		     verdict_str(&v));
	expect_frame(&v.out, &f, "passed frame");
	EXPECT_COUNTS(&v, slot_of(P_IN), { PASS, RD_PASS_MARTIAN });
}

/* A route that stops forwarding: after the bump the cached flow's packets
 * get the new verdict, never the old redirect. */
Test(route_cache, a_stale_generation_never_forwards)
{
	struct frame f = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);
	struct verdict v;

	cache_on();
	run(P_IN, &f);
	run(P_IN, &f6);
	ip_cmd("route replace unreachable %s/32", DST4_OUT1);
	ip_cmd("route replace unreachable %s/128", DST6_OUT1);
	bump();
	v = run(P_IN, &f);
	cr_assert_eq(v.action, XDP_PASS, "IPv4: verdict %s; want XDP_PASS", verdict_str(&v));
	EXPECT_COUNTS(&v, slot_of(P_IN), { PASS, RD_PASS_UNREACHABLE },
		      { EVENT, RD_EV_ROUTE_CACHE_MISS });
	v = run(P_IN, &f6);
	cr_assert_eq(v.action, XDP_PASS, "IPv6: verdict %s; want XDP_PASS", verdict_str(&v));
	EXPECT_COUNTS(&v, slot_of(P_IN), { PASS, RD_PASS_UNREACHABLE },
		      { EVENT, RD_EV_ROUTE_CACHE_MISS });
}

/* An entry invalidated by a failed lookup (generation 0) must not answer
 * once the cache is off, when there is no generation to compare with. */
Test(route_cache, an_invalidated_entry_never_answers_with_the_cache_off)
{
	struct frame small = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 64, 100);
	struct frame big = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 64, 1400);
	struct verdict v;

	ip_cmd("route replace %s/32 via %s dev %s mtu lock 1000", DST4_OUT1, ports[P_OUT1].nh4,
	       ports[P_OUT1].name);
	cache_on();
	check_forwarded((v = run(P_IN, &small), &v), &small, P_OUT1, ports[P_OUT1].nh4_mac);
	v = run(P_IN, &big); /* same flow, too big: a miss that fails */
	EXPECT_COUNTS(&v, slot_of(P_IN), { PASS, RD_PASS_FRAG_NEEDED },
		      { EVENT, RD_EV_ROUTE_CACHE_MISS });
	set_cache_ctl(0, coarse_now() + 60000000000ull); /* off, routerd alive */
	move_dst4_to_out2();
	v = run(P_IN, &small);
	check_forwarded(&v, &small, P_OUT2, ports[P_OUT2].nh4_mac);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV4 });
}

/* IPv4 and IPv6 entries share the table: the family is part of every key. */
Test(route_cache, both_families_hit_their_own_entries)
{
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT2);
	struct verdict v;

	cache_on();
	for (int i = 0; i < 2; i++) {
		check_forwarded((v = run(P_IN, &f4), &v), &f4, P_OUT1, ports[P_OUT1].nh4_mac);
		check_forwarded((v = run(P_IN, &f6), &v), &f6, P_OUT2, ports[P_OUT2].nh6_mac);
	}
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV6 });
}

/* The program's clock may lag the helper's by up to two ticks
 * (bpf/lib/clock.h), so it trusts a deadline only with RD_CLOCK_SLACK_NS
 * to spare: one 10 ms away already counts as lapsed. */
Test(route_cache, a_deadline_within_the_clock_slack_counts_as_lapsed)
{
	struct frame f = udp4(DST4_OUT1);
	struct verdict v;

	stay_on_this_cpu();
	publish(coarse_now() + 10000000ull);
	check_forwarded((v = run(P_IN, &f), &v), &f, P_OUT1, ports[P_OUT1].nh4_mac);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV4 }); /* no miss: off */
	move_dst4_to_out2();
	v = run(P_IN, &f);
	check_forwarded(&v, &f, P_OUT2, ports[P_OUT2].nh4_mac);
}

/* The table is one array with a part per CPU (rd_dp_size_maps() sizes it
 * at load): on every CPU a flow's first packet fills that CPU's entry and
 * the next one hits it; no CPU reads or writes another's entries, so a
 * flow met first on one CPU is still a miss on the next. */
Test(route_cache, every_cpu_has_its_own_part)
{
	struct frame f = udp4(DST4_OUT1);
	int cpus = 0, ncpus = libbpf_num_possible_cpus();

	publish(coarse_now() + 60000000000ull);
	for (int cpu = 0; cpu < ncpus; cpu++) {
		if (!pin_to_cpu(cpu))
			continue; /* possible but offline */
		cpus++;
		set_label("CPU %d", cpu);
		expect_miss_then_hit(&f, true, "hit vs miss on this CPU");
	}
	cr_assert_geq(cpus, 1);
}
