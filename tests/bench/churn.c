// SPDX-License-Identifier: GPL-2.0
/*
 * Phase churn: forwarding while another process changes routes at
 * opt.churn_rate changes/s, against no churn, in the same rounds.
 *
 * routerd runs as the real daemon in rc (run.sh starts it with a config
 * file): its XDP program is on r0 and it bumps the route cache's
 * generation on every change it hears of, which is the point of the case.
 * min_fwd runs in r, which has the same addresses and routes, under the
 * same churn. The churn process (a child pinned to the other CPU) sends
 * rtnetlink messages paced to the rate, in a cycle of four:
 *   1. add a /32 in 198.18.64.0/18 (unrelated to the traffic)
 *   2. delete the oldest of those (1,024 stay installed)
 *   3. replace 198.19.0.0/16, which covers the traffic, alternating
 *      its nexthop between the legs r1 and r2
 *   4. add or delete 198.19.0.0/24 (a more specific route, covering some
 *      of the traffic), alternately
 * Traffic: 1,024 random destinations in 198.19.0.0/16 (more flows than
 * one, fewer than routerd's cache slots: without churn they all hit).
 * Loss: the share of generated frames that reached the sink (delivered)
 * and the share r's kernel received (to_kernel: passed by XDP).
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <linux/rtnetlink.h>

#include "bench.h"

#define CHURN_WINDOW 1024
#define CHURN_SPACE 16384 /* 198.18.64.0/18 */
#define CHURN_FLOWS 1024

struct churn_shared {
	volatile unsigned long ops, errors;
	volatile int ready, first_error;
	volatile double t0, t1;
};

static struct churn_shared *cs;
static volatile sig_atomic_t churn_quit;
static pid_t churn_pid;
static double churn_rate_sum;
static int churn_rate_n;
static unsigned long churn_errors;

static void on_term(int sig)
{
	(void)sig;
	churn_quit = 1;
}

struct churner {
	struct rtnl nl;
	struct chain *c;
	__u32 gw[2];
};

static void route4(struct churner *k, int cmd, int flags, __u32 addr, int plen, int leg)
{
	__u32 dst = htonl(addr);
	struct rtnl_route r = { .family = AF_INET, .dst = &dst, .plen = plen };

	if (cmd == RTM_NEWROUTE) {
		r.gw = &k->gw[leg];
		r.oif = leg ? k->c->r2 : k->c->r1;
	}
	rtnl_route(&k->nl, cmd, flags, &r);
}

#define UNRELATED(i) (0xC6124000u + (i) % CHURN_SPACE) /* 198.18.64.0/18 */
#define COVER 0xC6130000u                                /* 198.19.0.0 */
#define ADD (NLM_F_CREATE | NLM_F_EXCL)

static void __attribute__((noreturn)) churn_child(struct chain *c)
{
	struct churner k = { .c = c };
	unsigned long done = 0, add_i = CHURN_WINDOW, del_i = 0;
	bool flip = false, spec = false;

	setpgid(0, 0);
	signal(SIGTERM, on_term);
	pin_cpu(other_cpu(opt.cpu));
	enter_ns(c->r_ns);
	inet_pton(AF_INET, V4_GW, &k.gw[0]);
	inet_pton(AF_INET, V4_GW2, &k.gw[1]);
	rtnl_open(&k.nl);
	for (unsigned long i = 0; i < CHURN_WINDOW; i++)
		route4(&k, RTM_NEWROUTE, ADD, UNRELATED(i), 32, 0);
	rtnl_flush(&k.nl);
	k.nl.sent = k.nl.errors = 0;
	cs->t0 = cs->t1 = now();
	cs->ready = 1;
	while (!churn_quit) {
		long due = (long)((now() - cs->t0) * opt.churn_rate) - (long)done;

		if (due <= 0) {
			sleep_s(0.0002);
			continue;
		}
		for (; due > 0 && !churn_quit; due--, done++)
			switch (done % 4) {
			case 0:
				route4(&k, RTM_NEWROUTE, ADD, UNRELATED(add_i++), 32, 0);
				break;
			case 1:
				route4(&k, RTM_DELROUTE, 0, UNRELATED(del_i++), 32, 0);
				break;
			case 2:
				flip = !flip;
				route4(&k, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, COVER, 16, flip);
				break;
			case 3:
				spec = !spec;
				route4(&k, spec ? RTM_NEWROUTE : RTM_DELROUTE, spec ? ADD : 0, COVER, 24,
				       !flip);
				break;
			}
		rtnl_flush(&k.nl);
		cs->ops = done;
		cs->errors = k.nl.errors;
		cs->first_error = k.nl.first_error;
		cs->t1 = now();
	}
	/* back to the routes run.sh made */
	route4(&k, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, COVER, 16, 0);
	if (spec)
		route4(&k, RTM_DELROUTE, 0, COVER, 24, 0);
	while (del_i < add_i)
		route4(&k, RTM_DELROUTE, 0, UNRELATED(del_i++), 32, 0);
	rtnl_flush(&k.nl);
	cs->errors = k.nl.errors;
	_exit(0);
}

static void churn_start(struct way *x, int round, struct meas *m)
{
	(void)round;
	(void)m;
	memset((void *)cs, 0, sizeof(*cs));
	churn_quit = 0;
	churn_pid = fork();
	if (churn_pid < 0)
		die("fork: %s", strerror(errno));
	if (!churn_pid)
		churn_child(x->c);
	for (int i = 0; i < 500 && !cs->ready; i++) {
		if (!alive(churn_pid))
			die("the churn process exited early");
		sleep_s(0.01);
	}
	if (!cs->ready)
		die("the churn process did not start");
	if (x->c->daemon)
		daemon_churn_begin();
}

static void churn_stop(struct way *x, int round, struct meas *m)
{
	unsigned long ops = cs->ops;
	double secs = cs->t1 - cs->t0;

	(void)round;
	(void)m;
	if (x->c->daemon)
		daemon_churn_end(true, ops);
	kill(churn_pid, SIGTERM);
	waitpid(churn_pid, NULL, 0);
	churn_pid = 0;
	if (cs->errors)
		printf("NOTE churn: %lu of %lu route changes failed in %s (first: %s)\n", cs->errors,
		       ops, x->c->r_ns_name, strerror(cs->first_error));
	churn_errors += cs->errors;
	if (secs > 0) {
		churn_rate_sum += ops / secs;
		churn_rate_n++;
	}
}

static void quiet_begin(struct way *x, int round, struct meas *m)
{
	(void)x, (void)round, (void)m;
	daemon_churn_begin();
}

static void quiet_end(struct way *x, int round, struct meas *m)
{
	(void)x, (void)round, (void)m;
	daemon_churn_end(false, 0);
}

void phase_churn(struct chain *d, struct chain *m)
{
	const struct traffic t = { .family = 4, .rand_n = CHURN_FLOWS, .rand_mask = 0xffff,
				   .rand_base = V4_RAND_BASE };
	struct way w[4] = {
		WAY(d, V_DAEMON, "routerd"),
		WAY(d, V_DAEMON, "routerd_churn"),
		WAY(m, V_MIN_FWD, "min_fwd"),
		WAY(m, V_MIN_FWD, "min_fwd_churn"),
	};
	double rate;

	cs = mmap(NULL, sizeof(*cs), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (cs == MAP_FAILED)
		die("mmap: %s", strerror(errno));
	w[0].pre = quiet_begin;
	w[0].post = quiet_end;
	for (int i = 1; i < 4; i += 2) {
		w[i].pre = churn_start;
		w[i].post = churn_stop;
	}
	progress("churn: %d flows, %.0f route changes/s from CPU %d; routerd = the daemon in %s, "
		 "min_fwd in %s", CHURN_FLOWS, opt.churn_rate, other_cpu(opt.cpu), d->r_ns_name,
		 m->r_ns_name);
	pin_cpu(opt.cpu);
	live_rounds(w, 4, &t, opt.rounds, opt.duration, "churn v4");
	for (int i = 0; i < 4; i++)
		print_way("churn_v4", &w[i], opt.rounds);
	print_ratiof(&w[1], &w[0], "churn_routerd");
	print_ratiof(&w[3], &w[2], "churn_min_fwd");
	print_ratiof(&w[1], &w[3], "vs_minimal_forwarder_churn");
	print_ratiof(&w[0], &w[2], "vs_minimal_forwarder_no_churn");
	rate = churn_rate_n ? churn_rate_sum / churn_rate_n : 0;
	printf("NOTE churn_v4: %d random destinations in 198.19.0.0/16; *_churn: %.0f route "
	       "changes/s reached (target %.0f; add/delete unrelated /32s, replace the covering "
	       "/16, add/delete a covering /24); routerd is the daemon (%s), min_fwd runs in %s\n",
	       CHURN_FLOWS, rate, opt.churn_rate, d->r_ns_name, m->r_ns_name);
	daemon_churn_report(rate, churn_errors);
	/* r's routes changed under the benchmark's own routerd objects */
	rd_cache_set(&m->rd, true);
	rd_cache_set(&m->cand, true);
	munmap((void *)cs, sizeof(*cs));
	fflush(stdout);
}
