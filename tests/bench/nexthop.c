// SPDX-License-Identifier: GPL-2.0
/*
 * Phase nexthop: forwarding through routes of other nexthop kinds against
 * a single-nexthop route, routerd and min_fwd in the same rounds. run.sh
 * installs the routes in r, four sibling /24s:
 *   198.19.100.0/24  via 198.18.1.2 dev r1                 (single)
 *   198.19.101.0/24  nexthop via 198.18.1.2 dev r1
 *                    nexthop via 198.18.2.2 dev r2         (ecmp, multipath)
 *   198.19.102.0/24  via inet6 2001:db8:1::2 dev r1        (v4_via_v6, RFC 8950)
 *   198.19.103.0/24  nhid 10: group of nexthop objects on r1 and r2
 *                                                          (ecmp_nhg, extras)
 * Traffic: 256 random destinations in the /24 (the kernel's L3 multipath
 * hash spreads them over both legs; every way sends the same mix).
 */
#include <ifaddrs.h>
#include <string.h>
#include <linux/if_link.h>

#include "bench.h"

#define NH_BASE 0xC6136400u /* 198.19.100.0 */

struct nh_kind {
	const char *name;
	__u32 net; /* third octet offset from 198.19.100.0 */
	bool extra;
};

static const struct nh_kind kinds[] = {
	{ "single", 0, false },
	{ "ecmp", 1, false },
	{ "v4_via_v6", 2, false },
	{ "ecmp_nhg", 3, true },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

/* frames the sink received on each leg (a veth counts frames redirected
 * into its peer as received) */
static void sink_rx(struct chain *c, __u64 rx[CHAIN_LEGS])
{
	struct ifaddrs *ifa, *i;

	enter_ns(sink_ns);
	if (getifaddrs(&ifa))
		die("getifaddrs failed");
	enter_ns(root_ns);
	for (i = ifa; i; i = i->ifa_next)
		for (int l = 0; l < CHAIN_LEGS; l++)
			if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET && i->ifa_data &&
			    !strcmp(i->ifa_name, c->sink_if[l]))
				rx[l] = ((struct rtnl_link_stats *)i->ifa_data)->rx_packets;
	freeifaddrs(ifa);
}

static __u64 leg_rx0[CHAIN_LEGS];
static double leg2_share[16][MAX_ROUNDS];
static struct way *ways;

static void legs_pre(struct way *x, int round, struct meas *m)
{
	(void)round, (void)m;
	sink_rx(x->c, leg_rx0);
}

static void legs_post(struct way *x, int round, struct meas *m)
{
	__u64 rx[CHAIN_LEGS];
	double a, b;

	(void)m;
	sink_rx(x->c, rx);
	a = (__u32)(rx[0] - leg_rx0[0]);
	b = (__u32)(rx[1] - leg_rx0[1]);
	leg2_share[x - ways][round] = a + b > 0 ? b / (a + b) : 0;
}

void phase_nexthop(struct chain *c)
{
	static struct traffic t[N_KINDS];
	static char names[2 * N_KINDS][48];
	struct way w[2 * N_KINDS];
	int n = 0;

	memset(w, 0, sizeof(w));
	ways = w;
	for (size_t k = 0; k < N_KINDS; k++) {
		if (kinds[k].extra && !opt.extras)
			continue;
		t[k] = (struct traffic){ .family = 4, .rand_n = 256, .rand_mask = 255,
					 .rand_base = NH_BASE + (kinds[k].net << 8) };
		for (int p = 0; p < 2; p++) {
			snprintf(names[n], sizeof(names[n]), "%s_%s", p ? "min_fwd" : "routerd",
				 kinds[k].name);
			w[n] = (struct way)WAY(c, p ? V_MIN_FWD : V_ROUTERD, names[n]);
			w[n].t = &t[k];
			w[n].pre = legs_pre;
			w[n].post = legs_post;
			n++;
		}
	}
	progress("nexthop: single, ECMP, IPv4 via IPv6%s; routerd and min_fwd, %d rounds",
		 opt.extras ? ", ECMP nexthop group" : "", opt.rounds);
	pin_cpu(opt.cpu);
	live_rounds(w, n, NULL, opt.rounds, opt.duration, "nexthop");
	for (int i = 0; i < n; i++) {
		print_way("nexthop_v4", &w[i], opt.rounds);
		printf("NOTE nexthop_v4_%s: share of frames out of r2 (second leg) %.3f\n",
		       w[i].name, median(leg2_share[i], opt.rounds));
	}
	/* w[0], w[1]: routerd, min_fwd on the single route; then by kind */
	for (int i = 2; i < n; i += 2) {
		const char *kind = w[i].name + strlen("routerd_");

		print_ratiof(&w[i], &w[0], "nexthop_%s_routerd", kind);
		print_ratiof(&w[i + 1], &w[1], "nexthop_%s_min_fwd", kind);
		print_ratiof(&w[i], &w[i + 1], "vs_minimal_forwarder_%s", kind);
	}
	print_ratiof(&w[0], &w[1], "vs_minimal_forwarder_single_256");
	printf("NOTE nexthop_v4: 256 random destinations in one /24 per kind; ratios "
	       "nexthop_KIND_WAY = KIND / the single-nexthop /24, same way, same rounds\n");
	fflush(stdout);
}
