// SPDX-License-Identifier: GPL-2.0
/*
 * The netfilter hold in the fast path (rd_cache_ctl.netfilter, written by
 * routerd/daemon/cachectl.c for routerd/netfilter/netfilter.c): a held family's packets that
 * XDP would forward go to the kernel untouched, pass reason netfilter; the
 * other family keeps being forwarded; a route cache hit honours the hold as
 * the lookup does, and forwards again from the same entry once it is
 * lifted; packets the kernel gets anyway keep their own reason.
 */
#include <netinet/in.h>
#include <sched.h>
#include <time.h>

#include "fixture.h"

PACKET_SUITE(netfilter_hold);

static __u64 coarse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The record as routerd writes it: HOLD, routerd's heartbeat good for a
 * minute (or long lapsed: `silent`), and the route cache on or off (the
 * fixture's default, which counts no cache misses). */
static void publish_record(__u32 hold, bool cache, bool silent)
{
	struct rd_cache_ctl ctl = { .generation = cache ? 1 : 0,
				    .valid_until_ns = silent ? 1 : coarse_now() + 60000000000ull,
				    .netfilter = hold };
	__u32 zero = 0;

	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_cache_ctl, &zero, sizeof(zero), &ctl,
					  sizeof(ctl), 0), 0);
}

static void publish_cached(__u32 hold, bool cache)
{
	publish_record(hold, cache, false);
}

static void publish(__u32 hold)
{
	publish_cached(hold, false);
}

static void expect_held(const struct frame *f)
{
	expect_untouched(P_IN, f, XDP_PASS, PASS, RD_PASS_NETFILTER);
}

Test(netfilter_hold, a_held_family_goes_to_the_kernel_the_other_stays)
{
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);

	publish(RD_NF_HOLD_IPV4);
	expect_held(&f4);
	expect_forwarded6(&f6, P_OUT1);
	publish(RD_NF_HOLD_IPV6);
	expect_forwarded4(&f4, P_OUT1);
	expect_held(&f6);
	publish(0);
	expect_forwarded4(&f4, P_OUT1);
	expect_forwarded6(&f6, P_OUT1);
}

Test(netfilter_hold, a_route_cache_hit_honours_the_hold)
{
	struct frame f = udp4(DST4_OUT1);
	struct verdict v;

	stay_on_this_cpu(); /* per-CPU state */
	publish_cached(0, true);
	v = run(P_IN, &f); /* a miss fills the entry */
	check_forwarded(&v, &f, P_OUT1, ports[P_OUT1].nh4_mac);
	publish_cached(RD_NF_HOLD_IPV4, true); /* same generation: the entry stays valid */
	expect_held(&f);
	publish_cached(0, true);
	v = run(P_IN, &f);
	check_forwarded(&v, &f, P_OUT1, ports[P_OUT1].nh4_mac);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV4 }); /* a hit: no miss */
}

Test(netfilter_hold, what_the_kernel_gets_anyway_keeps_its_reason)
{
	struct frame ttl = ipv4_packet(SRC4, DST4_OUT1, IPPROTO_UDP, 1, 100);
	struct frame local = udp4(LOCAL4), nn = udp4(DST4_NO_NEIGH);

	publish(RD_NF_HOLD_ALL);
	expect_untouched(P_IN, &ttl, XDP_PASS, PASS, RD_PASS_TTL);
	expect_untouched(P_IN, &local, XDP_PASS, PASS, RD_PASS_LOCAL);
	expect_untouched(P_IN, &nn, XDP_PASS, PASS, RD_PASS_NO_NEIGH);
}

Test(netfilter_hold, the_bridge_hold_leaves_plain_routing_alone)
{
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);

	publish(RD_NF_HOLD_BRIDGE);
	expect_forwarded4(&f4, P_OUT1);
	expect_forwarded6(&f6, P_OUT1);
}

/* netfilter auto: while routerd runs, RD_NF_HOLD_SILENT holds nothing; once
 * it is silent (killed or stopped), every routed packet goes to the kernel,
 * since a rule added meanwhile would go unseen. With netfilter off (the bit
 * clear) a silent routerd's program keeps forwarding. */
Test(netfilter_hold, a_silent_routerd_holds_everything_under_auto)
{
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);

	stay_on_this_cpu(); /* per-CPU state */
	publish(RD_NF_HOLD_SILENT);
	expect_forwarded4(&f4, P_OUT1);
	expect_forwarded6(&f6, P_OUT1);
	publish_record(RD_NF_HOLD_SILENT, false, true);
	expect_held(&f4);
	expect_held(&f6);
	publish_record(0, false, true);
	/* its nexthop noted above, within the interval: no re-check due yet
	 * (test_unattended), so forwarded */
	expect_forwarded4(&f4, P_OUT1);
}
