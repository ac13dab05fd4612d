// SPDX-License-Identifier: GPL-2.0
/*
 * The fast path with routerd silent (killed or stopped: its heartbeat in
 * rd_cache_ctl has lapsed), bpf/lib/unattended.h: it keeps forwarding from
 * the kernel's FIB, but hands the kernel one packet per nexthop and
 * interval, so the kernel's neighbour machine runs, and forwards IPv4 only
 * from a source whose route back is unicast through the ingress, since
 * rd_local4 and rp_filter may be out of date. The fixture's routerd is
 * alive; these tests let its heartbeat lapse.
 */
#include <arpa/inet.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

PACKET_SUITE(unattended);

static __u64 coarse_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void silent(void)
{
	stay_on_this_cpu();
	set_cache_ctl(0, 1); /* a deadline long past */
}

static void alive(void)
{
	set_cache_ctl(0, ~0ull);
}

static struct frame from(const char *src, const char *dst)
{
	return ipv4_packet(src, dst, IPPROTO_UDP, 64, 100);
}

/* routerd would refresh the neighbours it forwards to (NTF_USE); silent,
 * it cannot, so the kernel sees each nexthop's first packet of every
 * RD_NH_NOTE_INTERVAL_NS untouched and forwards it itself, which drives
 * STALE -> DELAY -> PROBE as without routerd. The rest is forwarded. */
Test(unattended, each_nexthop_first_packet_goes_to_the_kernel)
{
	struct frame a4 = udp4(DST4_OUT1), b4 = udp4(DST4_OUT2), a6 = udp6(DST6_OUT1);

	silent();
	for (int round = 0; round < 2; round++) {
		set_label("round %d: ", round);
		expect_pass(P_IN, &a4, RD_PASS_NEIGH_RECHECK);
		expect_forwarded4(&a4, P_OUT1);
		expect_forwarded4(&a4, P_OUT1);
		expect_pass(P_IN, &a6, RD_PASS_NEIGH_RECHECK);
		expect_forwarded6(&a6, P_OUT1);
		expect_pass(P_IN, &b4, RD_PASS_NEIGH_RECHECK); /* another nexthop: its own */
		expect_forwarded4(&b4, P_OUT2);
		/* the next interval: again */
		usleep((RD_NH_NOTE_INTERVAL_NS + 100000000ull) / 1000);
	}
}

/* With the heartbeat current, nothing goes to the kernel for freshness:
 * routerd's NTF_USE does that job. */
Test(unattended, alive_routerd_forwards_every_packet)
{
	struct frame f4 = udp4(DST4_OUT1), f6 = udp6(DST6_OUT1);

	stay_on_this_cpu();
	alive();
	expect_forwarded4(&f4, P_OUT1);
	expect_forwarded6(&f6, P_OUT1);
	silent();
	/* noted while alive, within the interval: not due yet */
	expect_forwarded4(&f4, P_OUT1);
}

/* A heartbeat just missed (routerd late: a loaded box, a long dump) costs
 * the route cache at once, and nothing else until RD_SILENT_AFTER_NS. */
Test(unattended, a_late_routerd_is_not_yet_silent)
{
	struct frame f = udp4(DST4_OUT1);
	struct verdict v;

	stay_on_this_cpu();
	set_cache_ctl(1, coarse_now() - RD_SILENT_AFTER_NS / 2);
	check_forwarded((v = run(P_IN, &f), &v), &f, P_OUT1, ports[P_OUT1].nh4_mac);
	EXPECT_COUNTS(&v, slot_of(P_IN), { EVENT, RD_EV_FORWARDED_IPV4 }); /* no cache */
	set_cache_ctl(1, coarse_now() - RD_SILENT_AFTER_NS - 100000000ull);
	expect_pass(P_IN, (struct frame[]){ udp4(DST4_OUT2) }, RD_PASS_NEIGH_RECHECK);
}

/* An address added while routerd is silent is not in rd_local4; with
 * rp_filter off the kernel still drops it as a source (martian). Silent,
 * the fast path asks the FIB: the route back to it is local, so the packet
 * goes to the kernel. With routerd back (rd_local4 synced), it is the
 * usual martian. */
Test(unattended, a_new_local_address_as_source_is_the_kernels)
{
	struct frame f = from("198.18.9.1", DST4_OUT1);

	write_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", "0");
	write_sysctl("/proc/sys/net/ipv4/conf/rdfp-in/rp_filter", "0");
	sync_rp_filter();
	silent();
	ip_cmd("addr add 198.18.9.1/32 dev lo");
	expect_pass(P_IN, &f, RD_PASS_SOURCE_RECHECK);
	alive();
	cr_assert_eq(sync_local4(), 0);
	expect_pass(P_IN, &f, RD_PASS_MARTIAN);
}

/* rp_filter may have been switched on while routerd was silent
 * (rd_iface.rp_filter is its mirror): a source whose route back leaves
 * through another port goes to the kernel, which applies whatever is set
 * now. A source routed back through the ingress is forwarded. */
Test(unattended, a_source_not_routed_back_through_the_ingress_is_the_kernels)
{
	struct frame other = from("198.18.2.77", DST4_OUT2), own = from(SRC4, DST4_OUT2);

	write_sysctl("/proc/sys/net/ipv4/conf/all/rp_filter", "0");
	write_sysctl("/proc/sys/net/ipv4/conf/rdfp-in/rp_filter", "0");
	sync_rp_filter();
	silent();
	expect_pass(P_IN, &other, RD_PASS_SOURCE_RECHECK);
	expect_pass(P_IN, &own, RD_PASS_NEIGH_RECHECK);
	expect_forwarded4(&own, P_OUT2);
	alive(); /* rp_filter off, as rd_ifaces says: the fast path's */
	expect_forwarded4(&other, P_OUT2);
}

/* IPv6 has no rp_filter and no martian local source: only the neighbour
 * rule applies. */
Test(unattended, ipv6_sources_are_not_rechecked)
{
	struct frame f = ipv6_packet("2001:db8:2::77", DST6_OUT2, IPPROTO_UDP, 64, 100);

	silent();
	expect_pass(P_IN, &f, RD_PASS_NEIGH_RECHECK);
	expect_forwarded6(&f, P_OUT2);
}
