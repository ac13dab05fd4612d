// SPDX-License-Identifier: GPL-2.0
/*
 * Phase skb: skb traffic through r (trafgen, or the built-in AF_PACKET
 * sendmmsg generator), per-packet cost of each way over an XDP_DROP-at-r
 * baseline: xdp_vs_kernel_forwarding.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>

#include "bench.h"

static char trafgen_conf[512];
static const char *trafgen_log;

static void write_trafgen_conf(struct chain *c)
{
	struct frame f = build_v4(c->r0_mac, c->g_mac, V4_SRC, V4_DST, 64, false);
	FILE *fp;

	snprintf(trafgen_conf, sizeof(trafgen_conf), "%s/v4.trafgen", opt.tmp_dir);
	fp = fopen(trafgen_conf, "w");
	if (!fp)
		die("cannot write %s: %s", trafgen_conf, strerror(errno));
	fputs("/* 64-byte IPv4/UDP to " V4_DST " through r (tests/bench) */\n{ ", fp);
	for (int i = 0; i < FRAME_LEN; i++)
		fprintf(fp, "0x%02x%s", f.b[i], i + 1 < FRAME_LEN ? ", " : " }\n");
	fclose(fp);
}

/* The fallback skb generator, when trafgen is missing or keeps failing:
 * sendmmsg() of 64 copies of the frame on an AF_PACKET socket bypassing the
 * qdisc, like trafgen, on CPU 0 like trafgen's worker. Runs until killed. */
static void __attribute__((noreturn)) sendmmsg_loop(struct chain *c)
{
	struct frame f = build_v4(c->r0_mac, c->g_mac, V4_SRC, V4_DST, 64, false);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = c->g_if,
				   .sll_halen = ETH_ALEN };
	struct mmsghdr msgs[64];
	struct iovec iov = { .iov_base = f.b, .iov_len = FRAME_LEN };
	int fd, one = 1;

	pin_cpu(0);
	fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: send only */
	if (fd < 0 || setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)))
		die("sendmmsg generator: AF_PACKET socket on %s: %s", c->gen_if, strerror(errno));
	memcpy(sll.sll_addr, c->r0_mac, ETH_ALEN);
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < 64; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	for (;;)
		if (sendmmsg(fd, msgs, 64, 0) < 0 && errno != ENOBUFS && errno != EAGAIN &&
		    errno != EINTR)
			die("sendmmsg generator: %s", strerror(errno));
}

static pid_t skb_gen_start(struct chain *c)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		int fd = open(trafgen_log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		setpgid(0, 0); /* stop_group() ends trafgen and its worker together */
		enter_ns(gen_ns);
		if (opt.skb_gen_sendmmsg)
			sendmmsg_loop(c);
		/* one worker; trafgen pins it to CPU 0 itself */
		execlp("trafgen", "trafgen", "--dev", c->gen_if, "--conf", trafgen_conf,
		       "--cpus", "1", "--no-sock-mem", "--notouch-irq", "--no-cpu-stats",
		       (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* Frames the kernel counted as sent on the generator's interface. */
static __u32 tx_packets(struct chain *c)
{
	struct ifaddrs *ifa, *i;
	__u32 n = 0;

	enter_ns(gen_ns);
	if (getifaddrs(&ifa))
		die("getifaddrs: %s", strerror(errno));
	enter_ns(root_ns);
	for (i = ifa; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_PACKET && i->ifa_data &&
		    !strcmp(i->ifa_name, c->gen_if))
			n = ((struct rtnl_link_stats *)i->ifa_data)->tx_packets;
	freeifaddrs(ifa);
	return n;
}

/* Frames/s at the end of the chain per CPU-second of trafgen (its worker
 * runs the whole path: the softirqs its sends raise run when it re-enables
 * bottom halves) plus CPU 0's ksoftirqd. */
struct meas skb_run(struct chain *c, enum variant v, double dur)
{
	for (int attempt = 0; attempt < 4; attempt++) {
		struct rd_tally rd0 = { 0 }, rd1 = { 0 };
		double t0, t1, cpu0, cpu1, sq0, sq1;
		struct meas m = { 0 };
		__u32 tx0, tx1;
		__u64 c0, c1;
		pid_t pid;

		set_variant(c, v);
		pid = skb_gen_start(c);
		sleep_s(0.4); /* trafgen maps its ring and reaches steady state */
		if (!alive(pid)) {
			stop_group(pid, SIGINT);
			continue;
		}
		c0 = delivered(c, v);
		if (rd_of(c, v))
			rd0 = rd_read(rd_of(c, v));
		tx0 = tx_packets(c);
		sq0 = ksoftirqd_cpu(softirqd_skb);
		cpu0 = proc_cpu(pid);
		t0 = now();
		/* a fixed amount of trafgen CPU time, checked every 50 ms */
		do {
			sleep_s(0.05);
			cpu1 = proc_cpu(pid);
		} while (cpu1 - cpu0 < dur && now() - t0 < 20 * dur);
		t1 = now();
		sq1 = ksoftirqd_cpu(softirqd_skb);
		c1 = delivered(c, v);
		tx1 = tx_packets(c);
		if (rd_of(c, v))
			rd1 = rd_read(rd_of(c, v));
		if (!alive(pid)) {
			/* "Flushing TX_RING failed": it stopped mid-way, retry */
			progress("skb: trafgen exited during the measurement, retrying");
			stop_group(pid, SIGINT);
			continue;
		}
		/* trafgen's worker keeps sending unless its whole group stops */
		stop_group(pid, SIGINT);
		if (c1 == c0) {
			char why[1024] = "";

			if (rd_of(c, v)) {
				struct rd_tally t = rd_read(rd_of(c, v));
				int n = snprintf(why, sizeof(why), " forwarded=%llu",
						 (unsigned long long)t.fwd);

				rd_reasons(rd_of(c, v), why + n, sizeof(why) - n);
			}
			die("skb: no frame reached the end of the chain with %s at r%s%s",
			    variant_name[v], why[0] ? "; routerd's counters on r0:" : "", why);
		}
		m.rate = (c1 - c0) / (cpu1 - cpu0 + sq1 - sq0);
		m.wall_rate = (c1 - c0) / (t1 - t0);
		m.share = tx1 != tx0 ? (double)(c1 - c0) / (__u32)(tx1 - tx0) : 0;
		m.softirqd = (sq1 - sq0) / (cpu1 - cpu0 + sq1 - sq0);
		m.rd.fwd = rd1.fwd - rd0.fwd;
		m.rd.pass = rd1.pass - rd0.pass;
		return m;
	}
	if (opt.skb_gen_sendmmsg)
		die("skb: the sendmmsg generator keeps failing (see %s)", trafgen_log);
	/* trafgen is unusable here: say so, and measure with the fallback */
	printf("NOTE skb: trafgen failed 4 times in a row (log: %s); the skb cases use the "
	       "AF_PACKET sendmmsg generator from here on\n", trafgen_log);
	progress("skb: trafgen keeps failing, falling back to AF_PACKET sendmmsg");
	opt.skb_gen_sendmmsg = true;
	return skb_run(c, v, dur);
}

/* reference cost / way cost per round, each cost over the XDP_DROP baseline */
void skb_ratio(const char *name, struct way *drop, struct way *ref, struct way *x,
		      int rounds)
{
	double r[MAX_ROUNDS] = { 0 }, wr[MAX_ROUNDS] = { 0 };

	for (int i = 0; i < rounds; i++) {
		r[i] = (1 / ref->rate[i] - 1 / drop->rate[i]) / (1 / x->rate[i] - 1 / drop->rate[i]);
		wr[i] = (1 / ref->wall[i] - 1 / drop->wall[i]) /
			(1 / x->wall[i] - 1 / drop->wall[i]);
	}
	printf("RATIO %s %.4f min=%.4f max=%.4f rounds=%d wall_clock=%.4f\n", name,
	       median(r, rounds), minimum(r, rounds), maximum(r, rounds), rounds,
	       median(wr, rounds));
}

/* the generator's log and frame (IPv4 V4_SRC -> V4_DST, UDP 1024 -> 2048) */
void skb_prepare(struct chain *c)
{
	static char log[600];

	snprintf(log, sizeof(log), "%s/trafgen.log", opt.tmp_dir);
	trafgen_log = log;
	write_trafgen_conf(c);
}

void phase_skb(struct chain *c)
{
	struct way w[6] = {
		WAY(c, V_DROP, "xdp_drop"),
		WAY(c, V_NONE, "kernel_fwd"),
		WAY(c, V_ROUTERD, "routerd"),
		WAY(c, V_MIN_FWD, "min_fwd"),
	};
	int n = 4, rounds = opt.rounds;
	struct way *cand = NULL, *nocache = NULL;

	if (opt.candidate) {
		cand = &w[n];
		w[n++] = (struct way)WAY(c, V_CANDIDATE, "candidate");
	}
	if (opt.extras && rd_has_cache(&c->rd)) {
		nocache = &w[n];
		w[n++] = (struct way)WAY(c, V_ROUTERD_NOCACHE, "routerd_nocache");
	}
	skb_prepare(c);
	progress("skb: %s (AF_PACKET, 1 sender on CPU 0) -> r -> sink, %d rounds x %.2f "
		 "CPU-s per way", opt.skb_gen_sendmmsg ? "sendmmsg" : "trafgen", rounds,
		 opt.skb_duration);
	/* stay off trafgen's CPU while it works */
	pin_cpu(sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0);

	for (int r = 0; r < rounds; r++) {
		char line[512];
		int len = 0;

		for (int k = 0; k < n; k++) {
			struct way *x = &w[(k + r) % n];
			struct meas m = skb_run(c, x->v, opt.skb_duration);

			way_store(x, r, &m);
			len += snprintf(line + len, sizeof(line) - len, " %s %.3f", x->name,
					x->rate[r] / 1e6);
		}
		progress("skb round %d/%d Mpps:%s", r + 1, rounds, line);
	}
	set_variant(c, V_NONE);

	for (int i = 0; i < n; i++) {
		double m = median(w[i].rate, rounds), cost[MAX_ROUNDS] = { 0 };

		for (int r = 0; r < rounds; r++)
			cost[r] = 1e9 / w[i].rate[r] - 1e9 / w[0].rate[r];
		printf("CASE skb_v4_%s %.4f %.2f min_mpps=%.4f max_mpps=%.4f wall_mpps=%.4f "
		       "delivered=%.4f softirqd_share=%.4f", w[i].name, m / 1e6, 1e9 / m,
		       minimum(w[i].rate, rounds) / 1e6, maximum(w[i].rate, rounds) / 1e6,
		       median(w[i].wall, rounds) / 1e6, median(w[i].share, rounds),
		       median(w[i].softirqd, rounds));
		if (i)
			printf(" net_ns=%.2f", median(cost, rounds));
		printf("\n");
		if (rd_of(c, w[i].v) && w[i].rd_pass)
			printf("NOTE skb_v4_%s: passed %llu frames to the kernel instead of "
			       "forwarding\n", w[i].name, (unsigned long long)w[i].rd_pass);
	}
	skb_ratio("xdp_vs_kernel_forwarding", &w[0], &w[1], &w[2], rounds);
	skb_ratio("min_fwd_xdp_vs_kernel_forwarding", &w[0], &w[1], &w[3], rounds);
	/* vs_minimal_forwarder by the skb method: min_fwd's cost / routerd's */
	skb_ratio("vs_minimal_forwarder_skb", &w[0], &w[3], &w[2], rounds);
	if (cand)
		skb_ratio("candidate_xdp_vs_kernel_forwarding", &w[0], &w[1], cand, rounds);
	if (nocache)
		skb_ratio("routerd_nocache_xdp_vs_kernel_forwarding", &w[0], &w[1], nocache, rounds);
	printf("NOTE skb: generator %s, 64-byte frames; Mpps per CPU-second of the generator + "
	       "ksoftirqd/0; per-packet cost = 1/rate - 1/rate(XDP_DROP at r)\n",
	       opt.skb_gen_sendmmsg ? "AF_PACKET sendmmsg (xdp_bench)" : "trafgen");
	fflush(stdout);
}
