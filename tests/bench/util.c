// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_bench's utilities: errors and progress (stderr, with a clock),
 * clocks and CPU time, medians, /proc readers (schedstat, stat, status,
 * net/snmp), namespaces and interfaces, CPU pinning, child processes.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

double t_start;

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("xdp_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

void progress(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench [%5.1fs]: ", now() - t_start);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double schedstat(const char *path)
{
	unsigned long long ns = 0;
	FILE *fp = fopen(path, "r");

	if (fp) {
		if (fscanf(fp, "%llu", &ns) != 1)
			ns = 0;
		fclose(fp);
	}
	return ns * 1e-9;
}

/* CPU time (s) of every thread of pid and of their children (trafgen forks
 * its workers), from schedstat: ns precision. */
double proc_cpu(pid_t pid)
{
	char dir[64], path[600], buf[1024];
	struct dirent *e;
	double sum = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", pid);
	d = opendir(dir);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char *save = NULL;
		FILE *fp;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/schedstat", dir, e->d_name);
		sum += schedstat(path);
		snprintf(path, sizeof(path), "%s/%s/children", dir, e->d_name);
		fp = fopen(path, "r");
		if (!fp)
			continue;
		if (fgets(buf, sizeof(buf), fp))
			for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
				sum += proc_cpu(atoi(t));
		fclose(fp);
	}
	closedir(d);
	return sum;
}

/* The softirq thread of a CPU: softirq work the kernel defers there is
 * part of the cost of the packets that caused it. */
pid_t ksoftirqd_pid(int cpu)
{
	char want[32], path[300], comm[64];
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	snprintf(want, sizeof(want), "ksoftirqd/%d\n", cpu);
	while (d && !found && (e = readdir(d))) {
		FILE *fp;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		fp = fopen(path, "r");
		if (!fp)
			continue;
		if (fgets(comm, sizeof(comm), fp) && !strcmp(comm, want))
			found = atoi(e->d_name);
		fclose(fp);
	}
	if (d)
		closedir(d);
	return found;
}

void sleep_s(double s)
{
	struct timespec ts = { .tv_sec = (time_t)s, .tv_nsec = (long)((s - (time_t)s) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double median(const double *v, int n)
{
	double s[MAX_ROUNDS * 64];

	if (n <= 0)
		return NAN;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double minimum(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

double maximum(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

bool phase(const char *name)
{
	const char *p = opt.phases;
	size_t n = strlen(name);

	while (p && *p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
		p = strchr(p, ',');
		if (p)
			p++;
	}
	return false;
}

/* ---- namespaces and interfaces --------------------------------------- */

int open_ns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("cannot open network namespace %s: %s", path, strerror(errno));
	return fd;
}

void enter_ns(int fd)
{
	if (setns(fd, CLONE_NEWNET))
		die("setns: %s", strerror(errno));
}

int ifindex_of(const char *name)
{
	int idx = if_nametoindex(name);

	if (!idx)
		die("no interface %s in this namespace: %s", name, strerror(errno));
	return idx;
}

void mac_of(const char *name, __u8 mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr))
		die("cannot read the MAC of %s: %s", name, strerror(errno));
	close(fd);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
}

void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("cannot pin to CPU %d: %s", cpu, strerror(errno));
}


/* The other CPU of a two-CPU machine (churn, daemons), or the same one. */
int other_cpu(int cpu)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 1 ? (cpu + 1) % n : cpu;
}

double ksoftirqd_cpu(pid_t pid)
{
	char path[64];

	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	return schedstat(path);
}

struct proc_usage proc_usage(pid_t pid)
{
	struct proc_usage u = { 0 };
	char path[64], buf[2048], *p;
	unsigned long long ut, st;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fp = fopen(path, "r");
	if (!fp)
		return u;
	/* after "(comm)": state is field 3, utime 14, stime 15 */
	if (fgets(buf, sizeof(buf), fp) && (p = strrchr(buf, ')')) &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
		u.cpu_s = (double)(ut + st) / sysconf(_SC_CLK_TCK);
	fclose(fp);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	fp = fopen(path, "r");
	if (!fp)
		return u;
	while (fgets(buf, sizeof(buf), fp)) {
		sscanf(buf, "VmRSS: %ld", &u.rss_kb);
		sscanf(buf, "VmHWM: %ld", &u.hwm_kb);
	}
	fclose(fp);
	return u;
}

unsigned long long ip_snmp(int ns, const char *field)
{
	char head[4096], vals[4096], *hs, *vs, *h, *v;
	unsigned long long n = 0;
	FILE *fp;

	enter_ns(ns);
	fp = fopen("/proc/thread-self/net/snmp", "r");
	enter_ns(root_ns);
	if (!fp)
		die("cannot read /proc/net/snmp: %s", strerror(errno));
	while (fgets(head, sizeof(head), fp) && fgets(vals, sizeof(vals), fp)) {
		if (strncmp(head, "Ip: ", 4))
			continue;
		h = strtok_r(head, " \n", &hs);
		v = strtok_r(vals, " \n", &vs);
		while (h && v) {
			if (!strcmp(h, field))
				n = strtoull(v, NULL, 10);
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(fp);
	return n;
}

bool alive(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

static bool pgrp_alive(pid_t pgrp)
{
	return kill(-pgrp, 0) == 0;
}

void stop_group(pid_t pid, int sig)
{
	kill(-pid, sig);
	for (int i = 0; i < 100 && pgrp_alive(pid); i++) {
		waitpid(pid, NULL, WNOHANG);
		sleep_s(0.02);
	}
	if (pgrp_alive(pid))
		kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
	for (int i = 0; i < 100 && pgrp_alive(pid); i++)
		sleep_s(0.01);
}
