// SPDX-License-Identifier: GPL-2.0
/*
 * Phase scale: forwarding with many routes vs one, random destinations,
 * routerd and min_fwd interleaved. Owns the route sets and their install.
 *
 * IPv6: N /64s in 2001:db8:8000::/33 (r-big) vs the covering /33 (r).
 *
 * IPv4: test addresses are 198.18.0.0/15 only, 131,072 of them, so one
 * table cannot hold a million routes that traffic reaches. The set is T
 * routing tables (100..100+T-1), each selected by a source rule
 * `from 198.18.255.t lookup 100+t`, each holding P prefixes (N = T x P,
 * P <= 131,072): for P offsets o = h(i) of the /15 (i < P, h the
 * generator's bijective hash), the prefix 198.18.0.0+o of length
 * 32 - ctz(o) (/15 for o = 0). Half are /32s, a quarter /31s, ... down to
 * /16 and the /15: every prefix nests in the shorter ones and is the
 * longest match of exactly one address, its own, so traffic sent to
 * uniformly random installed addresses (and a random source, i.e. table)
 * spreads evenly over all N routes. Routes alternate between the two legs
 * r1 and r2. r-small has the same rules, one /15 per table. Neither has
 * an IPv4 address (nexthops are onlink), so no local route shadows a
 * destination. The daemon of r-big gives the daemon's figures with N
 * routes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>

#include "bench.h"

#define V4_SCALE_BASE 0xC6120000u /* 198.18.0.0/15 */
#define V4_SCALE_BITS 17
#define V4_SCALE_SRC 0xC612FF00u  /* 198.18.255.t selects table 100 + t */
#define V4_TABLE0 100
#define V4_MAX_TABLES 64

static __u32 pow2_mask(__u32 n)
{
	__u32 m = 1;

	while (m < n)
		m <<= 1;
	return m - 1;
}

static void v4_route(struct rtnl *nl, struct chain *c, __u32 addr, int plen, int leg, __u32 table)
{
	__u32 dst = htonl(addr), gw;
	struct rtnl_route r = { .family = AF_INET, .dst = &dst, .plen = plen, .gw = &gw,
				.oif = leg ? c->r2 : c->r1, .table = table, .onlink = true };

	inet_pton(AF_INET, leg ? V4_GW2 : V4_GW, &gw);
	rtnl_route(nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &r);
}

static void rules(struct chain *c, __u32 tables)
{
	char cmd[512];

	for (__u32 t = 0; t < tables; t++) {
		__u32 a = V4_SCALE_SRC + t;

		snprintf(cmd, sizeof(cmd), "ip -n %s rule add from %u.%u.%u.%u lookup %u pref %u",
			 c->r_ns_name, a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255,
			 V4_TABLE0 + t, 1000 + t);
		if (system(cmd))
			die("%s failed", cmd);
	}
}

static void install_done(struct rtnl *nl, struct chain *c, const char *what)
{
	rtnl_close(nl);
	enter_ns(root_ns);
	if (nl->errors)
		die("%s in %s: %lu of %lu route messages failed (first: %s)", what, c->r_ns_name,
		    nl->errors, nl->sent, strerror(nl->first_error));
}

/* r-small: the rules and one /15 per table */
static void install_v4_small(struct chain *c, __u32 tables)
{
	struct rtnl nl;

	rules(c, tables);
	enter_ns(c->r_ns);
	rtnl_open(&nl);
	for (__u32 t = 0; t < tables; t++)
		v4_route(&nl, c, V4_SCALE_BASE, 15, t & 1, V4_TABLE0 + t);
	install_done(&nl, c, "IPv4 covering routes");
}

/* r-big: the rules and P prefixes per table (see the top); counts the
 * prefixes per length into by_len. */
static void install_v4_big(struct chain *c, __u32 tables, __u32 per, unsigned long *by_len)
{
	struct rtnl nl;

	rules(c, tables);
	enter_ns(c->r_ns);
	rtnl_open(&nl);
	for (__u32 t = 0; t < tables; t++)
		for (__u32 i = 0; i < per; i++) {
			__u32 o = (i * BENCH_GEN_MUL) & ((1u << V4_SCALE_BITS) - 1);
			int plen = o ? 32 - __builtin_ctz(o) : 32 - V4_SCALE_BITS;

			v4_route(&nl, c, V4_SCALE_BASE + o, plen, (i ^ t) & 1, V4_TABLE0 + t);
			if (!t)
				by_len[plen]++;
		}
	install_done(&nl, c, "IPv4 scale routes");
}

static void install_v6_big(struct chain *c, __u32 n, __u32 mask)
{
	struct in6_addr dst = { 0 }, gw;
	struct rtnl_route r = { .family = AF_INET6, .dst = &dst, .plen = 64, .gw = &gw,
				.oif = c->r1 };
	struct rtnl nl;

	inet_pton(AF_INET6, V6_GW, &gw);
	enter_ns(c->r_ns);
	rtnl_open(&nl);
	for (__u32 i = 0; i < n; i++) {
		__u32 h = (i * BENCH_GEN_MUL) & mask;

		dst.s6_addr32[0] = htonl(0x20010db8);
		dst.s6_addr32[1] = htonl(V6_RAND_BASE | h);
		rtnl_route(&nl, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &r);
	}
	install_done(&nl, c, "IPv6 scale routes");
}

/* routerd and min_fwd (and the candidate, routerd without its cache), on
 * the small and on the big chain, same traffic; CASEs and ratios. */
static void scale_rounds(struct chain *small, struct chain *big, int family,
			 const struct traffic *t, const char *prefix)
{
	struct way w[8] = {
		WAY(small, V_ROUTERD, "routerd_1_route"),
		WAY(big, V_ROUTERD, "routerd_n_routes"),
		WAY(small, V_MIN_FWD, "min_fwd_1_route"),
		WAY(big, V_MIN_FWD, "min_fwd_n_routes"),
	};
	struct way *cand = NULL, *nocache = NULL;
	int nw = 4, f = family;

	if (opt.candidate) {
		cand = &w[nw];
		w[nw++] = (struct way)WAY(small, V_CANDIDATE, "candidate_1_route");
		w[nw++] = (struct way)WAY(big, V_CANDIDATE, "candidate_n_routes");
	}
	if (opt.extras && rd_has_cache(&small->rd)) {
		nocache = &w[nw];
		w[nw++] = (struct way)WAY(small, V_ROUTERD_NOCACHE, "routerd_nocache_1_route");
		w[nw++] = (struct way)WAY(big, V_ROUTERD_NOCACHE, "routerd_nocache_n_routes");
	}
	/* routes changed: a new cache generation, as the daemon's netlink
	 * listener would publish */
	rd_cache_set(&small->rd, true);
	rd_cache_set(&small->cand, true);
	rd_cache_set(&big->rd, true);
	rd_cache_set(&big->cand, true);
	pin_cpu(opt.cpu);
	live_rounds(w, nw, t, opt.rounds, opt.duration, prefix);
	for (int i = 0; i < nw; i++)
		print_way(prefix, &w[i], opt.rounds);
	print_ratiof(&w[1], &w[0], "route_scale_v%d_routerd", f);
	print_ratiof(&w[3], &w[2], "route_scale_v%d_min_fwd", f);
	/* routerd against min_fwd on the same random traffic: many flows */
	print_ratiof(&w[0], &w[2], "vs_minimal_forwarder_random_v%d_1_route", f);
	print_ratiof(&w[1], &w[3], "vs_minimal_forwarder_random_v%d_n_routes", f);
	if (cand) {
		print_ratiof(&cand[1], &cand[0], "route_scale_v%d_candidate", f);
		print_ratiof(&cand[1], &w[3], "candidate_vs_minimal_forwarder_random_v%d_n_routes", f);
	}
	if (nocache) {
		print_ratiof(&nocache[1], &nocache[0], "route_scale_v%d_routerd_nocache", f);
		print_ratiof(&nocache[0], &w[2], "routerd_nocache_vs_minimal_forwarder_random_v%d_1_route",
			     f);
	}
}

static void scale_v4(struct chain *small, struct chain *big, long want)
{
	__u32 tables = (want + (1 << V4_SCALE_BITS) - 1) >> V4_SCALE_BITS;
	__u32 per = (want + tables - 1) / tables, n = tables * per;
	unsigned long by_len[33] = { 0 };
	struct traffic t = { .family = 4, .rand_n = per, .rand_mask = (1u << V4_SCALE_BITS) - 1,
			     .rand_base = V4_SCALE_BASE, .src_n = tables,
			     .src_base = V4_SCALE_SRC };
	char prefix[64], lens[600];
	double t0, dt;
	int len = 0;

	if (tables > V4_MAX_TABLES)
		die("--scale-v4 %ld: at most %d tables of %d routes", want, V4_MAX_TABLES,
		    1 << V4_SCALE_BITS);
	install_v4_small(small, tables);
	daemon_routes_mark();
	t0 = now();
	install_v4_big(big, tables, per, by_len);
	dt = now() - t0;
	daemon_routes_installed(n, dt);
	progress("scale: %u IPv4 routes (%u tables x %u prefixes) installed in %.1f s", n, tables,
		 per, dt);
	for (int l = 15; l <= 32; l++)
		if (by_len[l])
			len += snprintf(lens + len, sizeof(lens) - len, " /%d:%lu", l, by_len[l]);
	snprintf(prefix, sizeof(prefix), "scale_v4_%u", n);
	scale_rounds(small, big, 4, &t, prefix);
	daemon_routes_report();
	printf("NOTE %s: %u IPv4 routes in r-big = %u tables (source rules 198.18.255.0..%u -> "
	       "tables %d..%u) x %u prefixes of 198.18.0.0/15, each the longest match of one "
	       "address; prefixes per table by length:%s; installed over rtnetlink in %.1f s. "
	       "Random destination and table per frame; r-small: the same rules, one /15 per "
	       "table\n", prefix, n, tables, tables - 1, V4_TABLE0, V4_TABLE0 + tables - 1, per,
	       lens, dt);
	printf("ROUTES v4 routes=%u tables=%u per_table=%u install_s=%.2f\n", n, tables, per, dt);
	fflush(stdout);
}

static void scale_v6(struct chain *small, struct chain *big, __u32 n)
{
	struct traffic t = { .family = 6, .rand_n = n, .rand_mask = pow2_mask(n),
			     .rand_base = V6_RAND_BASE };
	char prefix[64];
	double t0 = now(), dt;

	install_v6_big(big, n, t.rand_mask);
	dt = now() - t0;
	progress("scale: %u IPv6 routes installed in %.1f s", n, dt);
	snprintf(prefix, sizeof(prefix), "scale_v6_%u", n);
	scale_rounds(small, big, 6, &t, prefix);
	printf("NOTE %s: random destinations over %u /64 routes in r-big (installed over "
	       "rtnetlink in %.1f s) vs the same destinations under one covering route in r\n",
	       prefix, n, dt);
	printf("ROUTES v6 routes=%u tables=1 per_table=%u install_s=%.2f\n", n, n, dt);
	fflush(stdout);
}

void phase_scale(struct chain *r, struct chain *small, struct chain *big)
{
	if (opt.scale_v4 > 0)
		scale_v4(small, big, opt.scale_v4);
	if (opt.scale_v6 > 0)
		scale_v6(r, big, opt.scale_v6);
}
