// SPDX-License-Identifier: GPL-2.0
/*
 * Phase prog: the cost of one program run per verdict, with
 * BPF_PROG_TEST_RUN (repeat) on hand-made frames in r's namespace, routerd
 * against min_fwd and the references (empty program, bare redirect).
 */
#include <string.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"

#define PROG_REPEAT 200 /* < 254: a TTL of 255 stays forwardable throughout */

/* Runs `calls` batches and appends each batch's ns per run to out[]. */
static int prog_cost(int fd, const struct frame *f, int ifindex, int calls, __u32 expect,
		     bool check_ttl, const char *what, double *out)
{
	struct xdp_md ctx = { .data_end = FRAME_LEN, .ingress_ifindex = ifindex };
	bool v6 = f->b[12] == 0x86;
	int ttl_at = v6 ? 14 + 7 : 14 + 8;
	__u8 buf[FRAME_LEN];

	for (int i = 0; i < calls; i++) {
		/* data_in is copied afresh on every call: each batch starts
		 * from the original TTL / hop limit. */
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = FRAME_LEN,
			    .data_out = buf, .data_size_out = sizeof(buf), .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx), .repeat = PROG_REPEAT);
		int rc = bpf_prog_test_run_opts(fd, &o);

		if (rc)
			die("test run (%s): %s", what, strerror(-rc));
		/* The last verdict, and for forwarding the TTL: one decrement
		 * per run proves that every run of the batch forwarded. */
		if (o.retval != expect ||
		    (check_ttl && expect == XDP_REDIRECT && f->b[ttl_at] == 255 &&
		     buf[ttl_at] != 255 - PROG_REPEAT)) {
			rd_explain(stderr);
			die("test run (%s): verdict %u (expected %u), TTL %u after %d runs: the "
			    "bench topology is not what the program needs", what, o.retval, expect,
			    buf[ttl_at], PROG_REPEAT);
		}
		out[i] = o.duration;
	}
	return calls;
}

struct prog_way {
	const char *name;
	int fd;
	__u32 expect;
	double ns[4096];
	int n;
};

static void way_set(struct prog_way *w, const char *name, int fd, __u32 expect)
{
	w->name = name;
	w->fd = fd;
	w->expect = expect;
	w->n = 0;
}

/* Rounds, each running every way for calls/rounds batches in a rotated
 * order; the result is the median over all batches. */
static void prog_rounds(struct prog_way *w, int n, const struct frame *f, int ifindex,
			int calls)
{
	int rounds = 5, per = calls / rounds;

	if (per < 1)
		per = 1;
	if (per * rounds > 4096)
		per = 4096 / rounds;
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < n; k++) {
			struct prog_way *x = &w[(k + r) % n];

			x->n += prog_cost(x->fd, f, ifindex, per, x->expect,
					  strcmp(x->name, "redirect") != 0, x->name, x->ns + x->n);
		}
}

void phase_prog(struct chain *c)
{
	struct frame f_v4, f_v6, f_ttl, f_local, f_bad, f_v6_ttl;
	struct {
		const char *name;
		const struct frame *f;
		__u32 rd_expect, mf_expect;
	} cases[] = {
		{ "v4_forward", &f_v4, XDP_REDIRECT, XDP_REDIRECT },
		{ "v6_forward", &f_v6, XDP_REDIRECT, XDP_REDIRECT },
		{ "v4_pass_ttl", &f_ttl, XDP_PASS, XDP_PASS },
		{ "v6_pass_ttl", &f_v6_ttl, XDP_PASS, XDP_PASS },
		{ "v4_pass_local", &f_local, XDP_PASS, XDP_PASS },
		/* min_fwd checks no header checksum: it forwards this one */
		{ "v4_pass_malformed", &f_bad, XDP_PASS, XDP_REDIRECT },
	};
	static struct prog_way w[8];

	f_v4 = build_v4(c->r0_mac, c->g_mac, V4_SRC, V4_DST, 255, false);
	f_v6 = build_v6(c->r0_mac, c->g_mac, V6_SRC, V6_DST, 255);
	f_ttl = build_v4(c->r0_mac, c->g_mac, V4_SRC, V4_DST, 1, false);
	f_v6_ttl = build_v6(c->r0_mac, c->g_mac, V6_SRC, V6_DST, 1);
	f_local = build_v4(c->r0_mac, c->g_mac, V4_SRC, V4_LOCAL, 64, false);
	f_bad = build_v4(c->r0_mac, c->g_mac, V4_SRC, V4_DST, 255, true);

	progress("prog: BPF_PROG_TEST_RUN, %d batches x repeat %d per program and case, "
		 "5 interleaved rounds, median of batches", opt.prog_calls, PROG_REPEAT);
	enter_ns(c->r_ns); /* ingress_ifindex and the FIB are r's */
	pin_cpu(opt.cpu);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int n = 2;

		memset(w, 0, sizeof(w));
		way_set(&w[0], "routerd", prog_fd(c, V_ROUTERD), cases[i].rd_expect);
		way_set(&w[1], "min_fwd", prog_fd(c, V_MIN_FWD), cases[i].mf_expect);
		if (opt.candidate)
			way_set(&w[n++], "candidate", prog_fd(c, V_CANDIDATE), cases[i].rd_expect);
		if (opt.extras && rd_has_cache(&c->rd))
			way_set(&w[n++], "routerd_nocache", prog_fd(c, V_ROUTERD_NOCACHE),
				cases[i].rd_expect);
		if (i == 0) {
			/* references and diagnostics, on the same packet */
			way_set(&w[n++], "xdp_pass", prog_fd(c, V_PASS), XDP_PASS);
			way_set(&w[n++], "redirect", prog_fd(c, V_REDIRECT), XDP_REDIRECT);
			if (opt.extras) {
				way_set(&w[n++], "min_fwd_hashmap", prog_fd(c, V_MIN_FWD_HASH),
					XDP_REDIRECT);
				way_set(&w[n++], "min_fwd_direct", prog_fd(c, V_MIN_FWD_DIRECT),
					XDP_REDIRECT);
			}
		}
		prog_rounds(w, n, cases[i].f, c->r0, opt.prog_calls);
		for (int k = 0; k < n; k++) {
			double m = median(w[k].ns, w[k].n);

			printf("CASE prog_%s_%s %.3f %.2f\n", cases[i].name, w[k].name, 1e3 / m, m);
		}
		progress("prog %-18s routerd %6.1f ns  min_fwd %6.1f ns%s", cases[i].name,
			 median(w[0].ns, w[0].n), median(w[1].ns, w[1].n),
			 opt.candidate ? "  (candidate below)" : "");
		if (i == 0) {
			char line[256];
			int len = 0;

			for (int k = 2; k < n; k++)
				len += snprintf(line + len, sizeof(line) - len, " %s %.1f ns",
						w[k].name, median(w[k].ns, w[k].n));
			progress("prog v4_forward references:%s", line);
		}
	}
	printf("NOTE prog: ns per program run in BPF_PROG_TEST_RUN batches (repeat %d; TTL 255 "
	       "and the sink MAC equal to r0's keep every run on its path), including the test "
	       "loop's own overhead (prog_v4_forward_xdp_pass)\n", PROG_REPEAT);
	enter_ns(root_ns);
	fflush(stdout);
}
