// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_bench: the measuring half of tests/bench/run.sh.
 *
 * run.sh builds the namespaces and veth chains and starts the routerd
 * daemons; this program loads routerd's own BPF object and the reference
 * programs (chain.c) and measures, phase by phase:
 *
 *   prog     program cost per verdict with BPF_PROG_TEST_RUN (prog.c)
 *   live     packets/s through gen -> r -> sink, one core, the generator
 *            being BPF_PROG_TEST_RUN in live-frames mode (live.c)
 *   skb      the same chain fed with skbs by trafgen (AF_PACKET), per-packet
 *            cost over an XDP_DROP-at-r baseline, kernel vs XDP (skb.c)
 *   nexthop  ECMP and IPv4-via-IPv6 routes vs a single nexthop (nexthop.c)
 *   nat      conntrack offload: routerd offloading a masqueraded flow vs
 *            the kernel with the home-router ruleset, and vs plain (nat.c)
 *   churn    forwarding under 10k route changes/s, the real daemon (churn.c)
 *   scale    N routes vs one route, random destinations (scale.c)
 * and the daemons' RSS and CPU (daemon.c).
 *
 * Results go to stdout, one per line, for run.sh to tabulate:
 *   CASE <name> <mpps> <ns_per_pkt> [key=value ...]
 *   RATIO <name> <value> [key=value ...]
 *   DAEMON <state> [key=value ...]
 *   ROUTES <family> [key=value ...]
 *   NOTE <text>
 * Progress goes to stderr. Ratios are medians of per-round ratios; in every
 * round each way runs once, in an order rotated from round to round.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bench.h"
#include "bench_progs.skel.h"

struct bench_opt opt = {
	.phases = "prog,live,skb,nexthop,nat,churn,scale",
	.duration = 2.0,
	.skb_duration = 2.0,
	.rounds = 5,
	.prog_calls = 1000,
	.cpu = 0,
	.scale_v6 = 1000000,
	.scale_v4 = 1000000,
	.churn_rate = 10000,
	.extras = true,
};

static const char usage[] =
"Usage: xdp_bench --gen NS --sink NS --r NS [--rb NS --rs NS] [--rc NS] --tmp DIR [options]\n"
"  --phases LIST       prog,live,skb,nexthop,nat,churn,scale (default: all)\n"
"  --duration S        CPU-seconds per live measurement (default 2)\n"
"  --skb-duration S    CPU-seconds per skb measurement (default 2)\n"
"  --skb-gen G         trafgen (default) or sendmmsg (built-in fallback)\n"
"  --rounds N          interleaved rounds (default 5)\n"
"  --prog-calls N      BPF_PROG_TEST_RUN calls per program cost (default 1000)\n"
"  --cpu N             the one CPU the live generator runs on (default 0)\n"
"  --scale-v6 N        IPv6 routes for the scale case (default 1000000, 0 skips)\n"
"  --scale-v4 N        IPv4 routes (default 1000000, 0 skips): tables of up to\n"
"                      131072 prefixes of 198.18.0.0/15 behind source rules\n"
"  --churn-rate N      route changes per second in the churn phase (10000)\n"
"  --rc NS             the namespace where the routerd daemon serves r0..r2\n"
"  --rc-pid PID        that daemon's PID; --rc-pin DIR its pin dir\n"
"  --rb-pid PID        the PID of the daemon in r-big (serving r1)\n"
"  --no-extras         skip the diagnostic variants\n"
"  --batch N           live-frames batch size (default: the kernel's, 64)\n"
"  --candidate OBJ     also measure this build of routerd.bpf.o (same program\n"
"                      and map names) beside the embedded one\n"
"Run it through tests/bench/run.sh, which builds the namespaces.\n";

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "gen", required_argument, NULL, 'g' },
		{ "sink", required_argument, NULL, 's' },
		{ "r", required_argument, NULL, 'r' },
		{ "rb", required_argument, NULL, 'b' },
		{ "rs", required_argument, NULL, 'S' },
		{ "rc", required_argument, NULL, 'R' },
		{ "rc-pid", required_argument, NULL, 'P' },
		{ "rc-pin", required_argument, NULL, 'I' },
		{ "rb-pid", required_argument, NULL, 'Q' },
		{ "churn-rate", required_argument, NULL, 'H' },
		{ "tmp", required_argument, NULL, 't' },
		{ "phases", required_argument, NULL, 'p' },
		{ "duration", required_argument, NULL, 'd' },
		{ "skb-duration", required_argument, NULL, 'D' },
		{ "rounds", required_argument, NULL, 'n' },
		{ "prog-calls", required_argument, NULL, 'c' },
		{ "cpu", required_argument, NULL, 'C' },
		{ "scale-v6", required_argument, NULL, '6' },
		{ "scale-v4", required_argument, NULL, '4' },
		{ "no-extras", no_argument, NULL, 'x' },
		{ "batch", required_argument, NULL, 'B' },
		{ "candidate", required_argument, NULL, 'O' },
		{ "skb-gen", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct chain main_c = { .label = "r", .gen_if = "g0", .sink_if = { "s0", "t0" } };
	struct chain big_c = { .label = "rb", .gen_if = "g1", .sink_if = { "s1", "t1" } };
	struct chain small_c = { .label = "rs", .gen_if = "g2", .sink_if = { "s2", "t2" } };
	struct chain churn_c = { .label = "rc", .gen_if = "g3", .sink_if = { "s3", "t3" },
				 .daemon = true };
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'g': opt.gen_ns = optarg; break;
		case 's': opt.sink_ns = optarg; break;
		case 'r': main_c.r_ns_name = optarg; break;
		case 'b': big_c.r_ns_name = optarg; break;
		case 'S': small_c.r_ns_name = optarg; break;
		case 'R': churn_c.r_ns_name = optarg; break;
		case 'P': opt.rc_pid = atoi(optarg); break;
		case 'I': opt.rc_pin = optarg; break;
		case 'Q': opt.rb_pid = atoi(optarg); break;
		case 'H': opt.churn_rate = atof(optarg); break;
		case 't': opt.tmp_dir = optarg; break;
		case 'p': opt.phases = optarg; break;
		case 'd': opt.duration = atof(optarg); break;
		case 'D': opt.skb_duration = atof(optarg); break;
		case 'n': opt.rounds = atoi(optarg); break;
		case 'c': opt.prog_calls = atoi(optarg); break;
		case 'C': opt.cpu = atoi(optarg); break;
		case '6': opt.scale_v6 = atol(optarg); break;
		case '4': opt.scale_v4 = atol(optarg); break;
		case 'x': opt.extras = false; break;
		case 'B': opt.batch = atoi(optarg); break;
		case 'O': opt.candidate = *optarg ? optarg : NULL; break;
		case 'G':
			if (strcmp(optarg, "trafgen") && strcmp(optarg, "sendmmsg"))
				die("--skb-gen: trafgen or sendmmsg, not '%s'", optarg);
			opt.skb_gen_sendmmsg = !strcmp(optarg, "sendmmsg");
			break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!opt.gen_ns || !opt.sink_ns || !main_c.r_ns_name || !opt.tmp_dir) {
		fputs(usage, stderr);
		return 2;
	}
	if (opt.rounds < 1 || opt.rounds > MAX_ROUNDS)
		die("--rounds must be 1..%d", MAX_ROUNDS);
	if (opt.duration <= 0 || opt.skb_duration <= 0)
		die("durations must be positive");
	if (churn_c.r_ns_name && (!opt.rc_pid || !opt.rc_pin))
		die("--rc needs --rc-pid and --rc-pin (the daemon run.sh started there)");
	if (opt.prog_calls < 3)
		opt.prog_calls = 3;
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_start = now();
	n_cpus = libbpf_num_possible_cpus();
	if (n_cpus <= 0)
		die("cannot count CPUs");

	root_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (root_ns < 0)
		die("cannot open /proc/self/ns/net");
	gen_ns = open_ns(opt.gen_ns);
	sink_ns = open_ns(opt.sink_ns);
	softirqd_live = ksoftirqd_pid(opt.cpu);
	softirqd_skb = ksoftirqd_pid(0);
	gbp = bench_progs_bpf__open_and_load();
	if (!gbp)
		die("cannot load bench_progs");
	daemon_mark_start();

	chain_setup(&main_c);
	explain_chain = &main_c;
	if (phase("prog"))
		phase_prog(&main_c);
	if (phase("live"))
		phase_live(&main_c);
	if (phase("skb"))
		phase_skb(&main_c);
	if (phase("nexthop"))
		phase_nexthop(&main_c);
	if (phase("nat"))
		phase_nat(&main_c);
	daemon_report_idle();
	if (phase("churn") && churn_c.r_ns_name) {
		chain_setup(&churn_c);
		phase_churn(&churn_c, &main_c);
		chain_teardown(&churn_c);
	}
	if (phase("scale") && big_c.r_ns_name && small_c.r_ns_name &&
	    (opt.scale_v6 > 0 || opt.scale_v4 > 0)) {
		chain_setup(&big_c);
		chain_setup(&small_c);
		phase_scale(&main_c, &small_c, &big_c);
		chain_teardown(&small_c);
		chain_teardown(&big_c);
	}
	chain_teardown(&main_c);
	bench_progs_bpf__destroy(gbp);
	return 0;
}
