// SPDX-License-Identifier: GPL-2.0
/*
 * The routerd daemons' own figures: RSS (VmRSS, VmHWM) and CPU (utime +
 * stime from /proc/PID/stat, 10 ms ticks; and the same from schedstat, in
 * ns, which cpu_us_per_change uses) of the real daemon run.sh starts in rc (all
 * of rc's interfaces, route cache on) and in rb (r1 only: it follows the
 * route-scale table). Printed as DAEMON lines, which run.sh turns into the
 * JSON's "daemon" object:
 *
 *   DAEMON idle     rc's daemon from the start of the run to the churn
 *                   phase: its namespace untouched
 *   DAEMON routes   rb's daemon: while the route-scale table is installed,
 *                   and idle with it during the measurement that follows
 *   DAEMON forward  rc's daemon while it forwards, no route changes
 *   DAEMON churn    rc's daemon while it forwards under route churn
 */
#include <stdio.h>

#include "bench.h"

struct mark {
	double t;
	struct proc_usage u;
	double sched; /* CPU time from schedstat, ns precision */
};

static struct mark start_rc, routes0, routes1;
static unsigned long routes_n;
static double routes_install_s;
static struct mark churn0;
static struct {
	double wall, cpu, sched;
	unsigned long changes;
	long rss_kb, hwm_kb;
} acc[2]; /* [0] forwarding, no churn; [1] churn */

static struct mark mark(pid_t pid)
{
	struct mark m = { .t = now() };

	if (pid) {
		m.u = proc_usage(pid);
		m.sched = proc_cpu(pid);
	}
	return m;
}

static void line(const char *what, pid_t pid, double secs, double cpu, double sched, long rss,
		 long hwm)
{
	printf("DAEMON %s pid=%d seconds=%.2f cpu_s=%.3f cpu_pct=%.3f sched_cpu_s=%.4f rss_kb=%ld "
	       "hwm_kb=%ld", what, pid, secs, cpu, secs > 0 ? 100 * cpu / secs : 0, sched, rss, hwm);
}

void daemon_mark_start(void)
{
	start_rc = mark(opt.rc_pid);
}

void daemon_report_idle(void)
{
	struct mark m;

	if (!opt.rc_pid || !start_rc.t)
		return;
	m = mark(opt.rc_pid);
	line("idle", opt.rc_pid, m.t - start_rc.t, m.u.cpu_s - start_rc.u.cpu_s,
	     m.sched - start_rc.sched, m.u.rss_kb, m.u.hwm_kb);
	printf("\n");
	start_rc.t = 0;
}

void daemon_routes_mark(void)
{
	routes0 = mark(opt.rb_pid);
}

void daemon_routes_installed(unsigned long routes, double seconds)
{
	routes_n = routes;
	routes_install_s = seconds;
	routes1 = mark(opt.rb_pid);
}

void daemon_routes_report(void)
{
	struct mark m = mark(opt.rb_pid);

	if (!opt.rb_pid)
		return;
	line("routes", opt.rb_pid, m.t - routes1.t, m.u.cpu_s - routes1.u.cpu_s,
	     m.sched - routes1.sched, m.u.rss_kb, m.u.hwm_kb);
	printf(" routes=%lu install_s=%.2f install_cpu_s=%.3f install_sched_cpu_s=%.4f "
	       "rss_before_kb=%ld\n", routes_n, routes_install_s, routes1.u.cpu_s - routes0.u.cpu_s,
	       routes1.sched - routes0.sched, routes0.u.rss_kb);
}

void daemon_churn_begin(void)
{
	churn0 = mark(opt.rc_pid);
}

void daemon_churn_end(bool churn, unsigned long changes)
{
	struct mark m = mark(opt.rc_pid);

	acc[churn].wall += m.t - churn0.t;
	acc[churn].cpu += m.u.cpu_s - churn0.u.cpu_s;
	acc[churn].sched += m.sched - churn0.sched;
	acc[churn].changes += changes;
	acc[churn].rss_kb = m.u.rss_kb;
	acc[churn].hwm_kb = m.u.hwm_kb;
}

void daemon_churn_report(double changes_per_s, unsigned long errors)
{
	if (!opt.rc_pid)
		return;
	line("forward", opt.rc_pid, acc[0].wall, acc[0].cpu, acc[0].sched, acc[0].rss_kb,
	     acc[0].hwm_kb);
	printf("\n");
	line("churn", opt.rc_pid, acc[1].wall, acc[1].cpu, acc[1].sched, acc[1].rss_kb,
	     acc[1].hwm_kb);
	printf(" changes=%lu changes_per_s=%.0f errors=%lu cpu_us_per_change=%.3f\n",
	       acc[1].changes, changes_per_s, errors,
	       acc[1].changes ? 1e6 * acc[1].sched / acc[1].changes : 0);
}
