// SPDX-License-Identifier: GPL-2.0
/*
 * Live frames: gen -> r -> sink on one core, the generator being
 * BPF_PROG_TEST_RUN in live-frames mode (xdp_gen of bench_progs.bpf.c).
 * Owns one measurement (live_run), the interleaved rounds every live phase
 * uses, the CASE / RATIO lines run.sh tabulates, and phase live.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "bench_progs.skel.h"

#define LIVE_CHUNK (1u << 17)

pid_t softirqd_live, softirqd_skb;

/* Generate for `dur` seconds into chain c with variant v at r.
 * The rate divides the frames counted where they end by the CPU time the
 * one core spent on them: the generating thread (the softirqs its batches
 * raise run inline when it re-enables bottom halves, and so does all the
 * work of r and of the sink) plus that CPU's ksoftirqd (work deferred
 * there). Time the CPU spent on other processes (this machine is shared)
 * is not counted; the wall-clock rate is kept beside it. */
struct meas live_run(struct chain *c, enum variant v, const struct traffic *t,
			    double dur)
{
	struct xdp_md ctx = { .data_end = FRAME_LEN, .ingress_ifindex = c->g_if };
	struct frame f;
	struct bench_gen_cfg *g = &gbp->bss->gen_cfg;
	int fd = bpf_program__fd(gbp->progs.xdp_gen);
	struct rd_tally rd0 = { 0 }, rd1 = { 0 };
	__u64 c0, c1, k0, k1, sent = 0;
	double t0, t1, cpu0, cpu1, sq0, sq1;
	struct meas m = { 0 };
	int rc;

	set_variant(c, v);
	f = t->family == 4 ? build_v4(c->r0_mac, c->g_mac, V4_SRC, V4_DST, 64, false)
			   : build_v6(c->r0_mac, c->g_mac, V6_SRC, V6_DST, 64);
	memcpy(g->hdr, f.b, BENCH_GEN_HDR);
	g->family = t->family;
	g->rand_n = t->rand_n;
	g->rand_mask = t->rand_mask;
	g->rand_base = t->rand_base;
	g->src_n = t->src_n;
	g->src_base = t->src_base;

	enter_ns(gen_ns);
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f.b, .data_size_in = FRAME_LEN,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = LIVE_CHUNK / 4,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = opt.batch);

		rc = bpf_prog_test_run_opts(fd, &o); /* warm-up */
		if (rc)
			die("live-frames test run: %s", strerror(-rc));
	}
	enter_ns(root_ns);
	k0 = ip_snmp(c->r_ns, "InReceives");
	c0 = delivered(c, v);
	if (rd_of(c, v))
		rd0 = rd_read(rd_of(c, v));
	enter_ns(gen_ns);
	sq0 = ksoftirqd_cpu(softirqd_live);
	cpu0 = thread_cpu();
	t0 = now();
	do {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f.b, .data_size_in = FRAME_LEN,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = LIVE_CHUNK,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = opt.batch);

		rc = bpf_prog_test_run_opts(fd, &o);
		if (rc)
			die("live-frames test run: %s", strerror(-rc));
		sent += LIVE_CHUNK;
		cpu1 = thread_cpu();
		t1 = now();
		/* dur seconds of this CPU's time; a busy machine stretches that
		 * in wall-clock time, up to a limit */
	} while (cpu1 - cpu0 < dur && t1 - t0 < 10 * dur);
	sq1 = ksoftirqd_cpu(softirqd_live);
	c1 = delivered(c, v);
	if (rd_of(c, v))
		rd1 = rd_read(rd_of(c, v));
	enter_ns(root_ns);
	k1 = ip_snmp(c->r_ns, "InReceives");

	m.rate = (c1 - c0) / (cpu1 - cpu0 + sq1 - sq0);
	m.wall_rate = (c1 - c0) / (t1 - t0);
	m.share = (double)(c1 - c0) / sent;
	m.to_kernel = (double)(k1 - k0) / sent;
	m.softirqd = (sq1 - sq0) / (cpu1 - cpu0 + sq1 - sq0);
	m.rd.fwd = rd1.fwd - rd0.fwd;
	m.rd.pass = rd1.pass - rd0.pass;
	m.rd.drop = rd1.drop - rd0.drop;
	return m;
}

void way_store(struct way *x, int r, const struct meas *m)
{
	x->rate[r] = m->rate;
	x->wall[r] = m->wall_rate;
	x->share[r] = m->share;
	x->softirqd[r] = m->softirqd;
	x->to_kernel[r] = m->to_kernel;
	x->rd_pass += m->rd.pass + m->rd.drop;
}

/* Every round runs each way once, in an order rotated by one per round. */
void live_rounds(struct way *w, int n, const struct traffic *t, int rounds, double dur,
			const char *label)
{
	for (int r = 0; r < rounds; r++) {
		char line[512];
		int len = 0;

		for (int k = 0; k < n; k++) {
			struct way *x = &w[(k + r) % n];
			struct meas m;

			if (x->pre)
				x->pre(x, r, NULL);
			m = live_run(x->c, x->v, x->t ? x->t : t, dur);
			if (x->post)
				x->post(x, r, &m);
			way_store(x, r, &m);
			len += snprintf(line + len, sizeof(line) - len, " %s %.2f", x->name,
					x->rate[r] / 1e6);
		}
		progress("%s round %d/%d Mpps:%s", label, r + 1, rounds, line);
	}
}

void print_way(const char *prefix, struct way *w, int rounds)
{
	double m = median(w->rate, rounds);

	printf("CASE %s_%s %.3f %.2f min_mpps=%.3f max_mpps=%.3f wall_mpps=%.3f delivered=%.4f "
	       "to_kernel=%.6f softirqd_share=%.4f\n", prefix, w->name, m / 1e6, 1e9 / m,
	       minimum(w->rate, rounds) / 1e6, maximum(w->rate, rounds) / 1e6,
	       median(w->wall, rounds) / 1e6, median(w->share, rounds),
	       median(w->to_kernel, rounds), median(w->softirqd, rounds));
	if (rd_of(w->c, w->v) && w->rd_pass) {
		char why[1024];

		rd_reasons(rd_of(w->c, w->v), why, sizeof(why));
		printf("NOTE %s_%s: routerd passed or dropped %llu frames instead of forwarding "
		       "(its counters on r0 so far, all ways:%s)\n", prefix, w->name,
		       (unsigned long long)w->rd_pass, why);
	}
}

static double ratio_median(const double *a, const double *b, int rounds, double *lo, double *hi)
{
	double r[MAX_ROUNDS] = { 0 };

	for (int i = 0; i < rounds; i++)
		r[i] = a[i] / b[i];
	*lo = minimum(r, rounds);
	*hi = maximum(r, rounds);
	return median(r, rounds);
}

void print_ratio(const char *name, struct way *a, struct way *b, int rounds)
{
	double lo, hi, m = ratio_median(a->rate, b->rate, rounds, &lo, &hi);
	double wlo, whi, wm = ratio_median(a->wall, b->wall, rounds, &wlo, &whi);

	printf("RATIO %s %.4f min=%.4f max=%.4f rounds=%d wall_clock=%.4f\n", name, m, lo, hi,
	       rounds, wm);
}

void print_ratiof(struct way *a, struct way *b, const char *fmt, ...)
{
	char name[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	print_ratio(name, a, b, opt.rounds);
}

static struct way *find_way(struct way *w, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(w[i].name, name))
			return &w[i];
	return NULL;
}

/* Ratios of routerd (and of the candidate, with --candidate) to the
 * references, all from the same rounds. */
static void live_ratios(struct way *w, int n, const char *sfx)
{
	struct way *rd = find_way(w, n, "routerd"), *mf = find_way(w, n, "min_fwd");
	struct way *lim = find_way(w, n, "redirect"), *cand = find_way(w, n, "candidate");
	struct way *hash = find_way(w, n, "min_fwd_hashmap");
	struct way *nocache = find_way(w, n, "routerd_nocache");
	print_ratiof(rd, lim, "fib_fwd_vs_redirect_limit%s", sfx);
	print_ratiof(rd, mf, "vs_minimal_forwarder%s", sfx);
	print_ratiof(mf, lim, "min_fwd_vs_redirect_limit%s", sfx);
	if (hash)
		print_ratiof(hash, mf, "min_fwd_hashmap_vs_min_fwd%s", sfx);
	if (nocache) {
		print_ratiof(nocache, mf, "routerd_nocache_vs_minimal_forwarder%s", sfx);
		print_ratiof(nocache, lim, "routerd_nocache_fwd_vs_redirect_limit%s", sfx);
	}
	if (cand) {
		print_ratiof(cand, lim, "candidate_fwd_vs_redirect_limit%s", sfx);
		print_ratiof(cand, mf, "candidate_vs_minimal_forwarder%s", sfx);
		print_ratiof(cand, rd, "candidate_vs_routerd%s", sfx);
	}
}

void phase_live(struct chain *c)
{
	const struct traffic v4 = { .family = 4 }, v6 = { .family = 6 };
	struct way w[10] = {
		WAY(c, V_ROUTERD, "routerd"),
		WAY(c, V_MIN_FWD, "min_fwd"),
		WAY(c, V_REDIRECT, "redirect"),
		WAY(c, V_DROP, "xdp_drop"),
	};
	int n = 4;

	if (opt.candidate)
		w[n++] = (struct way)WAY(c, V_CANDIDATE, "candidate");
	if (opt.extras) {
		if (rd_has_cache(&c->rd))
			w[n++] = (struct way)WAY(c, V_ROUTERD_NOCACHE, "routerd_nocache");
		w[n++] = (struct way)WAY(c, V_MIN_FWD_HASH, "min_fwd_hashmap");
		w[n++] = (struct way)WAY(c, V_PASS, "kernel_via_xdp_pass");
	}
	progress("live: gen -> r -> sink, live frames, CPU %d, %d rounds x %.2f CPU-s per way",
		 opt.cpu, opt.rounds, opt.duration);
	pin_cpu(opt.cpu);
	live_rounds(w, n, &v4, opt.rounds, opt.duration, "live v4");
	for (int i = 0; i < n; i++)
		print_way("live_v4", &w[i], opt.rounds);
	live_ratios(w, n, "");
	fflush(stdout);

	/* IPv6: routerd, min_fwd, the limit (the candidate, routerd without
	 * its cache) */
	n = 3;
	memset(w, 0, sizeof(w));
	w[0] = (struct way)WAY(c, V_ROUTERD, "routerd");
	w[1] = (struct way)WAY(c, V_MIN_FWD, "min_fwd");
	w[2] = (struct way)WAY(c, V_REDIRECT, "redirect");
	if (opt.candidate)
		w[n++] = (struct way)WAY(c, V_CANDIDATE, "candidate");
	if (opt.extras && rd_has_cache(&c->rd))
		w[n++] = (struct way)WAY(c, V_ROUTERD_NOCACHE, "routerd_nocache");
	live_rounds(w, n, &v6, opt.rounds, opt.duration, "live v6");
	for (int i = 0; i < n; i++)
		print_way("live_v6", &w[i], opt.rounds);
	live_ratios(w, n, "_v6");
	fflush(stdout);
}
