// SPDX-License-Identifier: GPL-2.0
/*
 * xdp_bench: the measuring half of tests/bench/run.sh.
 *
 * run.sh builds the namespaces and veth chains; this program loads routerd's
 * own BPF object (the skeleton the daemon embeds, with its maps filled as
 * routerd/ifaces.c fills them), the reference programs of min_fwd.bpf.c and
 * bench_progs.bpf.c, and measures:
 *
 *   prog   program cost per verdict with BPF_PROG_TEST_RUN
 *   live   packets/s through gen -> r -> sink, one core, the generator being
 *          BPF_PROG_TEST_RUN in live-frames mode
 *   skb    the same chain fed with skbs by trafgen (AF_PACKET), per-packet
 *          cost over an XDP_DROP-at-r baseline, kernel forwarding vs XDP
 *   scale  the live chain with N routes vs one route, random destinations
 *
 * Results go to stdout, one per line, for run.sh to tabulate:
 *   CASE <name> <mpps> <ns_per_pkt> [key=value ...]
 *   RATIO <name> <value> [key=value ...]
 *   NOTE <text>
 * Progress goes to stderr. Ratios are medians of per-round ratios; in every
 * round each way runs once, in an order rotated from round to round.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <math.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <routerd/maps.h>

#include "bench_gen.h"
#include "routerd.skel.h"
#include "min_fwd.skel.h"
#include "bench_progs.skel.h"

#define FRAME_LEN 64
#define MAX_ROUNDS 64

/* The address plan run.sh builds (tests/bench/run.sh, "topology"). */
#define V4_SRC "198.18.0.2"
#define V4_LOCAL "198.18.0.1"
#define V4_DST "198.19.0.1"       /* in 198.19.0.0/16 via 198.18.1.2 */
#define V4_RAND_BASE 0xC6130000u  /* 198.19.0.0 */
#define V4_GW "198.18.1.2"
#define V6_SRC "2001:db8::2"
#define V6_DST "2001:db8:8000::1" /* in 2001:db8:8000::/33 via 2001:db8:1::2 */
#define V6_RAND_BASE 0x80000000u  /* word 1 of 2001:db8:8000:: */
#define V6_GW "2001:db8:1::2"

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("xdp_bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now(void);
static double t_start;

static void progress(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "bench [%5.1fs]: ", now() - t_start);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double schedstat(const char *path)
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
static double proc_cpu(pid_t pid)
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
static pid_t ksoftirqd_pid(int cpu)
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

static void sleep_s(double s)
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

static double median(const double *v, int n)
{
	double s[MAX_ROUNDS * 64];

	if (n <= 0)
		return NAN;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double minimum(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

static double maximum(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

/* ---- options ---------------------------------------------------------- */

static struct {
	const char *gen_ns, *sink_ns, *r_ns, *rb_ns, *tmp_dir;
	const char *phases;
	double duration;     /* live: seconds per measurement */
	double skb_duration; /* skb: seconds per measurement */
	int rounds;
	int prog_calls;
	int cpu;
	int batch; /* live-frames batch size, 0: the kernel's default (64) */
	long scale_v6, scale_v4;
	const char *candidate; /* another routerd.bpf.o to measure beside routerd */
	bool skb_gen_sendmmsg; /* skb generator: our sendmmsg loop, not trafgen */
	bool extras; /* diagnostic variants (min_fwd with a hash devmap, ...) */
} opt = {
	.phases = "prog,live,skb,scale",
	.duration = 2.0,
	.skb_duration = 2.0,
	.rounds = 5,
	.prog_calls = 1000,
	.cpu = 0,
	.scale_v6 = 1000000,
	.scale_v4 = 50000,
	.extras = true,
};

static bool phase(const char *name)
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

static int open_ns(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("cannot open network namespace %s: %s", path, strerror(errno));
	return fd;
}

static void enter_ns(int fd)
{
	if (setns(fd, CLONE_NEWNET))
		die("setns: %s", strerror(errno));
}

static int ifindex_of(const char *name)
{
	int idx = if_nametoindex(name);

	if (!idx)
		die("no interface %s in this namespace: %s", name, strerror(errno));
	return idx;
}

static void mac_of(const char *name, __u8 mac[6])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr))
		die("cannot read the MAC of %s: %s", name, strerror(errno));
	close(fd);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("cannot pin to CPU %d: %s", cpu, strerror(errno));
}

/* ---- frames ----------------------------------------------------------- */

static __u16 csum16(const void *p, int len)
{
	const __u8 *b = p;
	__u32 sum = 0;

	for (int i = 0; i + 1 < len; i += 2)
		sum += (b[i] << 8) | b[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

struct frame {
	__u8 b[FRAME_LEN];
};

/* 64-byte UDP frame; ttl is the TTL or hop limit. */
static struct frame build_v4(const __u8 dmac[6], const __u8 smac[6], const char *src,
			     const char *dst, int ttl, bool bad_csum)
{
	struct frame f = { 0 };
	__u8 *ip = f.b + 14, *udp = ip + 20;
	int tot = FRAME_LEN - 14;

	memcpy(f.b, dmac, 6);
	memcpy(f.b + 6, smac, 6);
	f.b[12] = 0x08;
	f.b[13] = 0x00;
	ip[0] = 0x45;
	ip[2] = tot >> 8;
	ip[3] = tot & 0xff;
	ip[8] = ttl;
	ip[9] = 17;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	*(__u16 *)(ip + 10) = csum16(ip, 20);
	if (bad_csum)
		ip[10] ^= 0x5a;
	udp[0] = 0x04; udp[1] = 0x00; /* 1024 */
	udp[2] = 0x08; udp[3] = 0x00; /* 2048 */
	udp[4] = (tot - 20) >> 8;
	udp[5] = (tot - 20) & 0xff;
	return f;
}

static struct frame build_v6(const __u8 dmac[6], const __u8 smac[6], const char *src,
			     const char *dst, int hlim)
{
	struct frame f = { 0 };
	__u8 *ip6 = f.b + 14, *udp = ip6 + 40;
	int plen = FRAME_LEN - 14 - 40;

	memcpy(f.b, dmac, 6);
	memcpy(f.b + 6, smac, 6);
	f.b[12] = 0x86;
	f.b[13] = 0xdd;
	ip6[0] = 0x60;
	ip6[4] = plen >> 8;
	ip6[5] = plen & 0xff;
	ip6[6] = 17;
	ip6[7] = hlim;
	inet_pton(AF_INET6, src, ip6 + 8);
	inet_pton(AF_INET6, dst, ip6 + 24);
	udp[0] = 0x04; udp[1] = 0x00;
	udp[2] = 0x08; udp[3] = 0x00;
	udp[4] = plen >> 8;
	udp[5] = plen & 0xff;
	return f;
}

/* ---- programs --------------------------------------------------------- */

enum variant {
	V_ROUTERD,
	V_MIN_FWD,
	V_REDIRECT,   /* bare devmap redirect: the limit */
	V_DROP,       /* XDP_DROP at r */
	V_PASS,       /* XDP_PASS at r: the kernel forwards an skb built from the frame */
	V_NONE,       /* no XDP at r: kernel forwarding of skb traffic */
	V_MIN_FWD_HASH,   /* min_fwd redirecting through a DEVMAP_HASH, as routerd does */
	V_MIN_FWD_DIRECT, /* min_fwd with BPF_FIB_LOOKUP_DIRECT */
	V_CANDIDATE,  /* --candidate OBJ: another build of routerd's program */
	V_ROUTERD_NOCACHE, /* routerd with its route cache switched off */
	V__MAX,
};

static const char *const variant_name[V__MAX] = {
	[V_ROUTERD] = "routerd",
	[V_MIN_FWD] = "min_fwd",
	[V_REDIRECT] = "redirect",
	[V_DROP] = "xdp_drop",
	[V_PASS] = "xdp_pass_kernel",
	[V_NONE] = "kernel",
	[V_MIN_FWD_HASH] = "min_fwd_hashmap",
	[V_MIN_FWD_DIRECT] = "min_fwd_direct",
	[V_CANDIDATE] = "candidate",
	[V_ROUTERD_NOCACHE] = "routerd_nocache",
};

/* routerd's program and the maps the benchmark fills: the embedded
 * skeleton, or a candidate object file with the same program and map names. */
struct rd_obj {
	struct routerd_bpf *skel;
	struct bpf_object *obj;
	int prog_fd;
	struct bpf_map *ifaces, *tx, *stats;
	struct bpf_map *cache_ctl; /* routerd's route cache switch, if it has one */
};

/* One router namespace with its two veths: gen:GEN_IF <-> r0 | r1 <-> sink:SINK_IF. */
struct chain {
	const char *label;
	const char *r_ns_name;
	int r_ns;
	const char *gen_if, *sink_if;
	int r0, r1, g_if, s_if;
	__u8 r0_mac[6], r1_mac[6], g_mac[6];
	struct rd_obj rd, cand, rd_nocache;
	struct min_fwd_bpf *mf[3]; /* plain, hash devmap, direct lookup */
	struct bench_progs_bpf *bp; /* redirect and drop at r */
	int attached;              /* prog fd on r0, -1 none */
};

static int gen_ns, sink_ns, root_ns;
static struct bench_progs_bpf *gbp; /* generator, sink, pass */
static int n_cpus;

static int prog_fd(struct chain *c, enum variant v)
{
	switch (v) {
	case V_ROUTERD: return c->rd.prog_fd;
	case V_CANDIDATE: return c->cand.prog_fd;
	case V_ROUTERD_NOCACHE: return c->rd_nocache.prog_fd;
	case V_MIN_FWD: return bpf_program__fd(c->mf[0]->progs.min_fwd);
	case V_MIN_FWD_HASH: return bpf_program__fd(c->mf[1]->progs.min_fwd);
	case V_MIN_FWD_DIRECT: return bpf_program__fd(c->mf[2]->progs.min_fwd);
	case V_REDIRECT: return bpf_program__fd(c->bp->progs.xdp_redirect);
	case V_DROP: return bpf_program__fd(c->bp->progs.xdp_drop);
	case V_PASS: return bpf_program__fd(gbp->progs.xdp_pass);
	default: return -1;
	}
}

static void attach(int ns, int ifindex, int fd, const char *what)
{
	int rc;

	enter_ns(ns);
	if (fd < 0)
		rc = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	else
		rc = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, NULL);
	enter_ns(root_ns);
	if (rc)
		die("cannot %s XDP on %s: %s", fd < 0 ? "detach" : "attach", what, strerror(-rc));
}

static void set_variant(struct chain *c, enum variant v)
{
	int fd = prog_fd(c, v);

	if (fd == c->attached)
		return;
	attach(c->r_ns, c->r0, fd, "r0");
	c->attached = fd;
}

static void devmap_put(struct bpf_map *m, __u32 key, __u32 ifindex)
{
	struct bpf_devmap_val val = { .ifindex = ifindex };
	int rc = bpf_map__update_elem(m, &key, sizeof(key), &val, sizeof(val), BPF_ANY);

	if (rc)
		die("devmap %s[%u] = %u: %s", bpf_map__name(m), key, ifindex, strerror(-rc));
}

static void rd_load(struct rd_obj *r, const char *file)
{
	int rc;

	memset(r, 0, sizeof(*r));
	if (!file) {
		r->skel = routerd_bpf__open_and_load();
		if (!r->skel)
			die("cannot load routerd's BPF object: %s", strerror(errno));
		r->obj = r->skel->obj;
	} else {
		r->obj = bpf_object__open_file(file, NULL);
		if (!r->obj)
			die("cannot open %s: %s", file, strerror(errno));
		rc = bpf_object__load(r->obj);
		if (rc)
			die("cannot load %s: %s", file, strerror(-rc));
	}
	r->prog_fd = bpf_program__fd(bpf_object__find_program_by_name(r->obj, "routerd_xdp"));
	r->ifaces = bpf_object__find_map_by_name(r->obj, "rd_ifaces");
	r->tx = bpf_object__find_map_by_name(r->obj, "rd_tx");
	r->stats = bpf_object__find_map_by_name(r->obj, "rd_stats");
	r->cache_ctl = bpf_object__find_map_by_name(r->obj, "rd_cache_ctl");
	if (r->cache_ctl && bpf_map__value_size(r->cache_ctl) != 2 * sizeof(__u64))
		printf("NOTE %s: rd_cache_ctl has a layout this benchmark does not know (%u bytes): "
		       "measured with the route cache as loaded, i.e. off\n",
		       file ? file : "routerd", bpf_map__value_size(r->cache_ctl));
	if (r->prog_fd < 0 || !r->ifaces || !r->tx || !r->stats)
		die("%s has no program routerd_xdp or no map rd_ifaces, rd_tx or rd_stats",
		    file ? file : "routerd's object");
}

/* The maps filled as routerd/ifaces.c fills them:
 * rd_ifaces[ifindex] = {slot, fixups, mac}, rd_tx[ifindex] = ifindex. */
static void rd_fill(struct rd_obj *r, struct chain *c)
{
	for (int i = 0; i < 2; i++) {
		__u32 ifindex = i ? c->r1 : c->r0;
		struct rd_iface val = { .slot = 1 + i, .fixups = 0 };
		int rc;

		memcpy(val.mac, i ? c->r1_mac : c->r0_mac, 6);
		rc = bpf_map__update_elem(r->ifaces, &ifindex, sizeof(ifindex), &val, sizeof(val),
					  BPF_ANY);
		if (rc)
			die("rd_ifaces: %s", strerror(-rc));
		devmap_put(r->tx, ifindex, ifindex);
	}
}

/* routerd's route cache is on only while the daemon vouches for it: it
 * bumps the generation on every routing change and keeps pushing
 * valid_until_ns (CLOCK_MONOTONIC_COARSE) forward (routerd/cachectl.c). The
 * benchmark vouches for the whole run, and bumps the generation where it
 * changes routes (the scale phase), as the daemon would. Layout: two __u64,
 * generation and valid_until_ns; an object with another layout is left as
 * loaded (cache off). */
static void rd_cache_set(struct rd_obj *r, bool on)
{
	struct timespec ts;
	__u64 val[2] = { 0, 0 };
	__u32 zero = 0;
	int rc;

	if (!r->cache_ctl || bpf_map__value_size(r->cache_ctl) != sizeof(val))
		return;
	if (on) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		val[0] = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec; /* generation */
		clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
		val[1] = (__u64)(ts.tv_sec + 24 * 3600) * 1000000000ull; /* valid until */
	}
	rc = bpf_map__update_elem(r->cache_ctl, &zero, sizeof(zero), val, sizeof(val), 0);
	if (rc)
		die("rd_cache_ctl: %s", strerror(-rc));
}

static bool rd_has_cache(const struct rd_obj *r)
{
	return r->cache_ctl && bpf_map__value_size(r->cache_ctl) == 2 * sizeof(__u64);
}

static void rd_unload(struct rd_obj *r)
{
	if (r->skel)
		routerd_bpf__destroy(r->skel);
	else if (r->obj)
		bpf_object__close(r->obj);
	memset(r, 0, sizeof(*r));
}

static void chain_setup(struct chain *c)
{
	int rc;

	c->r_ns = open_ns(c->r_ns_name);
	c->attached = -1;
	enter_ns(c->r_ns);
	c->r0 = ifindex_of("r0");
	c->r1 = ifindex_of("r1");
	mac_of("r0", c->r0_mac);
	mac_of("r1", c->r1_mac);

	rd_load(&c->rd, NULL);
	rd_fill(&c->rd, c);
	rd_cache_set(&c->rd, true);
	if (rd_has_cache(&c->rd)) {
		/* a second instance with the cache off: what the cache buys */
		rd_load(&c->rd_nocache, NULL);
		rd_fill(&c->rd_nocache, c);
		rd_cache_set(&c->rd_nocache, false);
	}
	if (opt.candidate) {
		rd_load(&c->cand, opt.candidate);
		rd_fill(&c->cand, c);
		rd_cache_set(&c->cand, true);
	}

	for (int k = 0; k < 3; k++) {
		struct min_fwd_bpf *m = min_fwd_bpf__open();

		if (!m)
			die("cannot open min_fwd: %s", strerror(errno));
		m->rodata->use_hash_devmap = k == 1;
		m->rodata->fib_flags = k == 2 ? BPF_FIB_LOOKUP_DIRECT : 0;
		rc = min_fwd_bpf__load(m);
		if (rc)
			die("cannot load min_fwd: %s", strerror(-rc));
		devmap_put(m->maps.tx_ports, c->r0, c->r0);
		devmap_put(m->maps.tx_ports, c->r1, c->r1);
		devmap_put(m->maps.tx_ports_hash, c->r0, c->r0);
		devmap_put(m->maps.tx_ports_hash, c->r1, c->r1);
		c->mf[k] = m;
	}

	c->bp = bench_progs_bpf__open_and_load();
	if (!c->bp)
		die("cannot load bench_progs: %s", strerror(errno));
	devmap_put(c->bp->maps.redirect_port, 0, c->r1);
	enter_ns(root_ns);

	enter_ns(gen_ns);
	c->g_if = ifindex_of(c->gen_if);
	mac_of(c->gen_if, c->g_mac);
	enter_ns(root_ns);
	attach(gen_ns, c->g_if, bpf_program__fd(gbp->progs.xdp_pass), c->gen_if);

	enter_ns(sink_ns);
	c->s_if = ifindex_of(c->sink_if);
	enter_ns(root_ns);
	attach(sink_ns, c->s_if, bpf_program__fd(gbp->progs.xdp_sink), c->sink_if);
}

static void chain_teardown(struct chain *c)
{
	if (!c->rd.obj)
		return;
	attach(c->r_ns, c->r0, -1, "r0");
	attach(gen_ns, c->g_if, -1, c->gen_if);
	attach(sink_ns, c->s_if, -1, c->sink_if);
	rd_unload(&c->rd);
	rd_unload(&c->cand);
	rd_unload(&c->rd_nocache);
	for (int k = 0; k < 3; k++)
		min_fwd_bpf__destroy(c->mf[k]);
	bench_progs_bpf__destroy(c->bp);
	close(c->r_ns);
}

static __u64 percpu_sum(struct bpf_map *m, __u32 key)
{
	__u64 v[n_cpus], sum = 0;
	int rc = bpf_map__lookup_elem(m, &key, sizeof(key), v, sizeof(v), 0);

	if (rc)
		die("reading %s: %s", bpf_map__name(m), strerror(-rc));
	for (int i = 0; i < n_cpus; i++)
		sum += v[i];
	return sum;
}

/* What routerd did with frames arriving on r0: forwarded, passed, dropped. */
struct rd_tally {
	__u64 fwd, pass, drop;
};

static struct rd_obj *rd_of(struct chain *c, enum variant v)
{
	return v == V_ROUTERD ? &c->rd : v == V_CANDIDATE ? &c->cand :
	       v == V_ROUTERD_NOCACHE ? &c->rd_nocache : NULL;
}

static struct rd_tally rd_read(struct rd_obj *r)
{
	struct rd_stats v[n_cpus];
	struct rd_tally t = { 0 };
	__u32 slot = 1;
	int rc;

	/* a candidate built against other counter lists: no tally */
	if (bpf_map__value_size(r->stats) != sizeof(struct rd_stats))
		return t;
	rc = bpf_map__lookup_elem(r->stats, &slot, sizeof(slot), v, sizeof(v), 0);

	if (rc)
		die("reading rd_stats: %s", strerror(-rc));
	for (int i = 0; i < n_cpus; i++) {
		t.fwd += v[i].events[RD_EV_FORWARDED_IPV4] + v[i].events[RD_EV_FORWARDED_IPV6];
		for (int k = 0; k < RD_PASS__MAX; k++)
			t.pass += v[i].pass[k];
		for (int k = 0; k < RD_DROP__MAX; k++)
			t.drop += v[i].drop[k];
	}
	return t;
}

/* Frames counted where the variant ends them: at r for XDP_DROP, else at
 * the sink. */
static __u64 delivered(struct chain *c, enum variant v)
{
	if (v == V_DROP)
		return percpu_sum(c->bp->maps.counters, BENCH_CNT_DROP);
	return percpu_sum(gbp->maps.counters, BENCH_CNT_SINK);
}

static const char *const pass_name[RD_PASS__MAX] = {
#define RD_NAME_PASS(name, key) [RD_PASS_##name] = key,
	RD_PASS_REASONS(RD_NAME_PASS)
};

static struct chain *explain_chain;

/* routerd's pass reasons so far, to say why it did not forward. */
static void rd_explain(FILE *fp)
{
	struct chain *c = explain_chain;
	struct rd_stats v[n_cpus];

	for (__u32 slot = 0; c && slot < 3; slot++) {
		if (bpf_map__lookup_elem(c->rd.stats, &slot, sizeof(slot), v, sizeof(v), 0))
			return;
		for (int k = 0; k < RD_PASS__MAX; k++) {
			__u64 sum = 0;

			for (int i = 0; i < n_cpus; i++)
				sum += v[i].pass[k];
			if (sum)
				fprintf(fp, "xdp_bench: routerd stats slot %u: pass %s = %llu\n", slot,
					pass_name[k], (unsigned long long)sum);
		}
	}
}

/* ---- 1. program cost with BPF_PROG_TEST_RUN --------------------------- */

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

static void phase_prog(struct chain *c)
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

/* ---- 2. live frames --------------------------------------------------- */

struct traffic {
	int family;
	__u32 rand_n, rand_mask, rand_base;
};

#define LIVE_CHUNK (1u << 17)

/* One measurement. The rate divides the frames counted where they end by
 * the CPU time the one core spent on them: the generating thread (the
 * softirqs its batches raise run inline when it re-enables bottom halves,
 * and so does all the work of r and of the sink) plus that CPU's ksoftirqd
 * (work deferred there). Time the CPU spent on other processes (this
 * machine is shared) is not counted; the wall-clock rate is kept beside it. */
struct meas {
	double rate, wall_rate;
	double share;    /* frames counted / frames generated */
	double softirqd; /* share of the CPU time spent in ksoftirqd */
	struct rd_tally rd;
};

static pid_t softirqd_live, softirqd_skb;

static double ksoftirqd_cpu(pid_t pid)
{
	char path[64];

	if (!pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	return schedstat(path);
}

/* Generate for `dur` seconds into chain c with variant v at r. */
static struct meas live_run(struct chain *c, enum variant v, const struct traffic *t,
			    double dur)
{
	struct xdp_md ctx = { .data_end = FRAME_LEN, .ingress_ifindex = c->g_if };
	struct frame f;
	struct bench_gen_cfg *g = &gbp->bss->gen_cfg;
	int fd = bpf_program__fd(gbp->progs.xdp_gen);
	struct rd_tally rd0 = { 0 }, rd1 = { 0 };
	__u64 c0, c1, sent = 0;
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

	enter_ns(gen_ns);
	{
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f.b, .data_size_in = FRAME_LEN,
			    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = LIVE_CHUNK / 4,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = opt.batch);

		rc = bpf_prog_test_run_opts(fd, &o); /* warm-up */
		if (rc)
			die("live-frames test run: %s", strerror(-rc));
	}
	c0 = delivered(c, v);
	if (rd_of(c, v))
		rd0 = rd_read(rd_of(c, v));
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

	m.rate = (c1 - c0) / (cpu1 - cpu0 + sq1 - sq0);
	m.wall_rate = (c1 - c0) / (t1 - t0);
	m.share = (double)(c1 - c0) / sent;
	m.softirqd = (sq1 - sq0) / (cpu1 - cpu0 + sq1 - sq0);
	m.rd.fwd = rd1.fwd - rd0.fwd;
	m.rd.pass = rd1.pass - rd0.pass;
	m.rd.drop = rd1.drop - rd0.drop;
	return m;
}

/* One measured way: a variant on a chain. */
struct way {
	struct chain *c;
	enum variant v;
	const char *name;
	double rate[MAX_ROUNDS], wall[MAX_ROUNDS], share[MAX_ROUNDS], softirqd[MAX_ROUNDS];
	__u64 rd_pass;
};

#define WAY(chain, var, nm) { .c = (chain), .v = (var), .name = (nm) }

static void way_store(struct way *x, int r, const struct meas *m)
{
	x->rate[r] = m->rate;
	x->wall[r] = m->wall_rate;
	x->share[r] = m->share;
	x->softirqd[r] = m->softirqd;
	x->rd_pass += m->rd.pass + m->rd.drop;
}

/* Every round runs each way once, in an order rotated by one per round. */
static void live_rounds(struct way *w, int n, const struct traffic *t, int rounds, double dur,
			const char *label)
{
	for (int r = 0; r < rounds; r++) {
		char line[512];
		int len = 0;

		for (int k = 0; k < n; k++) {
			struct way *x = &w[(k + r) % n];
			struct meas m = live_run(x->c, x->v, t, dur);

			way_store(x, r, &m);
			len += snprintf(line + len, sizeof(line) - len, " %s %.2f", x->name,
					x->rate[r] / 1e6);
		}
		progress("%s round %d/%d Mpps:%s", label, r + 1, rounds, line);
	}
}

static void print_way(const char *prefix, struct way *w, int rounds)
{
	double m = median(w->rate, rounds);

	printf("CASE %s_%s %.3f %.2f min_mpps=%.3f max_mpps=%.3f wall_mpps=%.3f delivered=%.4f "
	       "softirqd_share=%.4f\n", prefix, w->name, m / 1e6, 1e9 / m,
	       minimum(w->rate, rounds) / 1e6, maximum(w->rate, rounds) / 1e6,
	       median(w->wall, rounds) / 1e6, median(w->share, rounds),
	       median(w->softirqd, rounds));
	if (rd_of(w->c, w->v) && w->rd_pass)
		printf("NOTE %s_%s: routerd passed or dropped %llu frames instead of forwarding\n",
		       prefix, w->name, (unsigned long long)w->rd_pass);
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

static void print_ratio(const char *name, struct way *a, struct way *b, int rounds)
{
	double lo, hi, m = ratio_median(a->rate, b->rate, rounds, &lo, &hi);
	double wlo, whi, wm = ratio_median(a->wall, b->wall, rounds, &wlo, &whi);

	printf("RATIO %s %.4f min=%.4f max=%.4f rounds=%d wall_clock=%.4f\n", name, m, lo, hi,
	       rounds, wm);
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
	char name[96];

#define R(fmt, a, b) do { snprintf(name, sizeof(name), fmt "%s", sfx); \
			  print_ratio(name, a, b, opt.rounds); } while (0)
	R("fib_fwd_vs_redirect_limit", rd, lim);
	R("vs_minimal_forwarder", rd, mf);
	R("min_fwd_vs_redirect_limit", mf, lim);
	if (hash)
		R("min_fwd_hashmap_vs_min_fwd", hash, mf);
	if (nocache) {
		R("routerd_nocache_vs_minimal_forwarder", nocache, mf);
		R("routerd_nocache_fwd_vs_redirect_limit", nocache, lim);
	}
	if (cand) {
		R("candidate_fwd_vs_redirect_limit", cand, lim);
		R("candidate_vs_minimal_forwarder", cand, mf);
		R("candidate_vs_routerd", cand, rd);
	}
#undef R
}

static void phase_live(struct chain *c)
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

/* ---- 3. skb traffic with trafgen -------------------------------------- */

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
		setpgid(0, 0); /* stop() ends trafgen and its worker together */
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

static bool alive(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

static bool pgrp_alive(pid_t pgrp)
{
	return kill(-pgrp, 0) == 0;
}

/* SIGINT to trafgen's process group (its worker keeps sending otherwise),
 * then SIGKILL if it lingers; returns once none of them is left. */
static void stop(pid_t pid)
{
	kill(-pid, SIGINT);
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

/* Frames/s at the end of the chain per CPU-second of trafgen (its worker
 * runs the whole path: the softirqs its sends raise run when it re-enables
 * bottom halves) plus CPU 0's ksoftirqd. */
static struct meas skb_run(struct chain *c, enum variant v, double dur)
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
			stop(pid);
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
			stop(pid);
			continue;
		}
		stop(pid);
		if (c1 == c0)
			die("skb: no frame reached the end of the chain with %s at r",
			    variant_name[v]);
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

/* kernel cost / way cost per round, each cost over the XDP_DROP baseline */
static void skb_ratio(const char *name, struct way *drop, struct way *kern, struct way *x,
		      int rounds)
{
	double r[MAX_ROUNDS] = { 0 }, wr[MAX_ROUNDS] = { 0 };

	for (int i = 0; i < rounds; i++) {
		r[i] = (1 / kern->rate[i] - 1 / drop->rate[i]) / (1 / x->rate[i] - 1 / drop->rate[i]);
		wr[i] = (1 / kern->wall[i] - 1 / drop->wall[i]) /
			(1 / x->wall[i] - 1 / drop->wall[i]);
	}
	printf("RATIO %s %.4f min=%.4f max=%.4f rounds=%d wall_clock=%.4f\n", name,
	       median(r, rounds), minimum(r, rounds), maximum(r, rounds), rounds,
	       median(wr, rounds));
}

static void phase_skb(struct chain *c)
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
	char log[600];

	snprintf(log, sizeof(log), "%s/trafgen.log", opt.tmp_dir);
	trafgen_log = log;
	write_trafgen_conf(c);
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
	if (cand)
		skb_ratio("candidate_xdp_vs_kernel_forwarding", &w[0], &w[1], cand, rounds);
	if (nocache)
		skb_ratio("routerd_nocache_xdp_vs_kernel_forwarding", &w[0], &w[1], nocache, rounds);
	printf("NOTE skb: generator %s, 64-byte frames; Mpps per CPU-second of the generator + "
	       "ksoftirqd/0; per-packet cost = 1/rate - 1/rate(XDP_DROP at r)\n",
	       opt.skb_gen_sendmmsg ? "AF_PACKET sendmmsg (xdp_bench)" : "trafgen");
	fflush(stdout);
}

/* ---- 4. route scale --------------------------------------------------- */

static __u32 pow2_mask(__u32 n)
{
	__u32 m = 1;

	while (m < n)
		m <<= 1;
	return m - 1;
}

/* The routes the generator's random destinations hit, for `ip -batch`. */
static void install_routes(struct chain *c, int family, __u32 n, __u32 mask, __u32 base)
{
	char path[600], cmd[1400];
	double t0 = now();
	FILE *fp;

	snprintf(path, sizeof(path), "%s/routes%d.batch", opt.tmp_dir, family);
	fp = fopen(path, "w");
	if (!fp)
		die("cannot write %s: %s", path, strerror(errno));
	for (__u32 i = 0; i < n; i++) {
		__u32 h = (i * BENCH_GEN_MUL) & mask, a = base | h;

		if (family == 4)
			fprintf(fp, "route add %u.%u.%u.%u/32 via " V4_GW " dev r1\n", a >> 24,
				(a >> 16) & 255, (a >> 8) & 255, a & 255);
		else
			fprintf(fp, "route add 2001:db8:%x:%x::/64 via " V6_GW " dev r1\n", a >> 16,
				a & 0xffff);
	}
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "ip -n %s -batch %s", c->r_ns_name, path);
	if (system(cmd))
		die("installing %u IPv%d routes failed: %s", n, family, cmd);
	unlink(path);
	progress("scale: %u IPv%d routes installed in %.1f s", n, family, now() - t0);
}

static void scale_one(struct chain *small, struct chain *big, int family, __u32 n)
{
	struct traffic t = { .family = family, .rand_n = n, .rand_mask = pow2_mask(n) };
	struct way w[8] = {
		WAY(small, V_ROUTERD, "routerd_1_route"),
		WAY(big, V_ROUTERD, "routerd_n_routes"),
		WAY(small, V_MIN_FWD, "min_fwd_1_route"),
		WAY(big, V_MIN_FWD, "min_fwd_n_routes"),
	};
	struct way *cand = NULL, *nocache = NULL;
	int nw = 4;
	char prefix[64], name[96];

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

	if (family == 4) {
		if (n > 65536)
			n = t.rand_n = 65536; /* all of 198.19.0.0/16 */
		t.rand_mask = 0xffff;
		t.rand_base = V4_RAND_BASE;
	} else {
		t.rand_base = V6_RAND_BASE;
	}
	install_routes(big, family, n, t.rand_mask, t.rand_base);
	/* routes changed: a new cache generation, as the daemon's netlink
	 * listener would publish */
	rd_cache_set(&big->rd, true);
	rd_cache_set(&big->cand, true);
	snprintf(prefix, sizeof(prefix), "scale_v%d_%u", family, n);
	pin_cpu(opt.cpu);
	live_rounds(w, nw, &t, opt.rounds, opt.duration, prefix);
	for (int i = 0; i < nw; i++)
		print_way(prefix, &w[i], opt.rounds);
	snprintf(name, sizeof(name), "route_scale_v%d_routerd", family);
	print_ratio(name, &w[1], &w[0], opt.rounds);
	snprintf(name, sizeof(name), "route_scale_v%d_min_fwd", family);
	print_ratio(name, &w[3], &w[2], opt.rounds);
	/* routerd against min_fwd on the same random traffic: many flows */
	snprintf(name, sizeof(name), "vs_minimal_forwarder_random_v%d_1_route", family);
	print_ratio(name, &w[0], &w[2], opt.rounds);
	snprintf(name, sizeof(name), "vs_minimal_forwarder_random_v%d_n_routes", family);
	print_ratio(name, &w[1], &w[3], opt.rounds);
	if (cand) {
		snprintf(name, sizeof(name), "route_scale_v%d_candidate", family);
		print_ratio(name, &cand[1], &cand[0], opt.rounds);
		snprintf(name, sizeof(name), "candidate_vs_minimal_forwarder_random_v%d_n_routes",
			 family);
		print_ratio(name, &cand[1], &w[3], opt.rounds);
	}
	if (nocache) {
		snprintf(name, sizeof(name), "route_scale_v%d_routerd_nocache", family);
		print_ratio(name, &nocache[1], &nocache[0], opt.rounds);
		snprintf(name, sizeof(name), "routerd_nocache_vs_minimal_forwarder_random_v%d_1_route",
			 family);
		print_ratio(name, &nocache[0], &w[2], opt.rounds);
	}
	printf("NOTE %s: random destinations over %u /%d routes in r-big vs the same "
	       "destinations under one covering route in r\n", prefix, n, family == 4 ? 32 : 64);
	fflush(stdout);
}

/* ---- main --------------------------------------------------------------- */

static const char usage[] =
"Usage: xdp_bench --gen NS --sink NS --r NS [--rb NS] --tmp DIR [options]\n"
"  --phases LIST       prog,live,skb,scale (default: all)\n"
"  --duration S        CPU-seconds per live measurement (default 2)\n"
"  --skb-duration S    CPU-seconds per skb measurement (default 2)\n"
"  --skb-gen G         trafgen (default) or sendmmsg (built-in fallback)\n"
"  --rounds N          interleaved rounds (default 5)\n"
"  --prog-calls N      BPF_PROG_TEST_RUN calls per program cost (default 1000)\n"
"  --cpu N             the one CPU the live generator runs on (default 0)\n"
"  --scale-v6 N        IPv6 routes for the scale case (default 1000000, 0 skips)\n"
"  --scale-v4 N        IPv4 routes, at most 65536 (default 50000, 0 skips)\n"
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
	struct chain main_c = { .label = "r", .gen_if = "g0", .sink_if = "s0" };
	struct chain big_c = { .label = "rb", .gen_if = "g1", .sink_if = "s1" };
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'g': opt.gen_ns = optarg; break;
		case 's': opt.sink_ns = optarg; break;
		case 'r': main_c.r_ns_name = optarg; break;
		case 'b': big_c.r_ns_name = optarg; break;
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
	if (opt.prog_calls < 3)
		opt.prog_calls = 3;
	setvbuf(stdout, NULL, _IOLBF, 0);
	t_start = now();
	n_cpus = libbpf_num_possible_cpus();
	if (n_cpus <= 0)
		die("cannot count CPUs");

	root_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (root_ns < 0)
		die("cannot open /proc/self/ns/net: %s", strerror(errno));
	gen_ns = open_ns(opt.gen_ns);
	sink_ns = open_ns(opt.sink_ns);
	softirqd_live = ksoftirqd_pid(opt.cpu);
	softirqd_skb = ksoftirqd_pid(0);
	gbp = bench_progs_bpf__open_and_load();
	if (!gbp)
		die("cannot load bench_progs: %s", strerror(errno));

	chain_setup(&main_c);
	explain_chain = &main_c;
	if (phase("prog"))
		phase_prog(&main_c);
	if (phase("live"))
		phase_live(&main_c);
	if (phase("skb"))
		phase_skb(&main_c);
	if (phase("scale") && big_c.r_ns_name && (opt.scale_v6 > 0 || opt.scale_v4 > 0)) {
		chain_setup(&big_c);
		if (opt.scale_v4 > 0)
			scale_one(&main_c, &big_c, 4, opt.scale_v4);
		if (opt.scale_v6 > 0)
			scale_one(&main_c, &big_c, 6, opt.scale_v6);
		chain_teardown(&big_c);
	}
	chain_teardown(&main_c);
	bench_progs_bpf__destroy(gbp);
	return 0;
}
