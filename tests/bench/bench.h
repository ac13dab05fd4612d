/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the modules of xdp_bench (the measuring half of tests/bench/run.sh)
 * share: the options, the address plan run.sh builds, the chain / variant /
 * way types, and one prototype block per module. Each module states at its
 * top what it owns:
 *
 *   xdp_bench.c  options and main: which phases run, in which order
 *   util.c       errors, progress, clocks, statistics, /proc readers,
 *                namespaces, child processes
 *   frames.c     the 64-byte test frames
 *   chain.c      the programs and maps of one router chain, attaching
 *                them, reading their counters
 *   live.c       live-frames measurements, interleaved rounds, CASE and
 *                RATIO lines (the report format run.sh reads)
 *   prog.c       phase prog: program cost with BPF_PROG_TEST_RUN
 *   skb.c        phase skb: trafgen / sendmmsg skb traffic
 *   nexthop.c    phase nexthop: ECMP and IPv4-via-IPv6 routes
 *   nat.c        phase nat: conntrack offload with NAT vs the kernel
 *   churn.c      phase churn: route churn under the real daemon, and the
 *                daemon's RSS / CPU figures (DAEMON lines)
 *   scale.c      phase scale: N routes vs one, random destinations
 *   rtnl.c       rtnetlink route messages: bulk install and churn
 */
#ifndef XDP_BENCH_H
#define XDP_BENCH_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>

#include <routerd/maps.h>

#include "bench_gen.h"

#define FRAME_LEN 64
#define MAX_ROUNDS 64

/* The address plan run.sh builds (tests/bench/run.sh, "topology"). */
#define V4_SRC "198.18.0.2"
#define V4_LOCAL "198.18.0.1"
#define V4_DST "198.19.0.1"       /* in 198.19.0.0/16 via 198.18.1.2 */
#define V4_RAND_BASE 0xC6130000u  /* 198.19.0.0 */
#define V4_GW "198.18.1.2"        /* the sink on r1 */
#define V4_GW2 "198.18.2.2"       /* the sink on r2 (second leg) */
#define V6_SRC "2001:db8::2"
#define V6_DST "2001:db8:8000::1" /* in 2001:db8:8000::/33 via 2001:db8:1::2 */
#define V6_RAND_BASE 0x80000000u  /* word 1 of 2001:db8:8000:: */
#define V6_GW "2001:db8:1::2"

/* ---- options (xdp_bench.c) -------------------------------------------- */

struct bench_opt {
	const char *gen_ns, *sink_ns, *tmp_dir;
	const char *phases;
	double duration;     /* live: seconds per measurement */
	double skb_duration; /* skb: seconds per measurement */
	int rounds;
	int prog_calls;
	int cpu;
	int batch; /* live-frames batch size, 0: the kernel's default (64) */
	long scale_v6, scale_v4;
	double churn_rate;     /* route changes per second */
	const char *candidate; /* another routerd.bpf.o to measure beside routerd */
	bool skb_gen_sendmmsg; /* skb generator: our sendmmsg loop, not trafgen */
	bool extras; /* diagnostic variants (min_fwd with a hash devmap, ...) */
	pid_t rc_pid, rb_pid;  /* the routerd daemons in rc and rb */
	const char *rc_pin;    /* rc's daemon pin dir (its rd_stats, rd_ifaces) */
};
extern struct bench_opt opt;

/* ---- util.c ----------------------------------------------------------- */

void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern double t_start;
double now(void);
double thread_cpu(void);
double schedstat(const char *path);
double proc_cpu(pid_t pid);
pid_t ksoftirqd_pid(int cpu);
double ksoftirqd_cpu(pid_t pid);
void sleep_s(double s);
double median(const double *v, int n);
double minimum(const double *v, int n);
double maximum(const double *v, int n);
bool phase(const char *name);
int open_ns(const char *name);
void enter_ns(int fd);
int ifindex_of(const char *name);
void mac_of(const char *name, __u8 mac[6]);
void pin_cpu(int cpu);
int other_cpu(int cpu);
/* A process's utime + stime (s, from /proc/PID/stat), its VmRSS and VmHWM (kB). */
struct proc_usage {
	double cpu_s;
	long rss_kb, hwm_kb;
};
struct proc_usage proc_usage(pid_t pid);
/* An "Ip:" counter of /proc/net/snmp in network namespace ns. */
unsigned long long ip_snmp(int ns, const char *field);
bool alive(pid_t pid);
/* SIGsig to the process group of pid, SIGKILL if it lingers, reaped. */
void stop_group(pid_t pid, int sig);

/* ---- frames.c --------------------------------------------------------- */

struct frame {
	__u8 b[FRAME_LEN];
};

/* 64-byte UDP frames; ttl is the TTL or hop limit. */
struct frame build_v4(const __u8 dmac[6], const __u8 smac[6], const char *src, const char *dst,
		      int ttl, bool bad_csum);
struct frame build_v6(const __u8 dmac[6], const __u8 smac[6], const char *src, const char *dst,
		      int hlim);

/* ---- chain.c ---------------------------------------------------------- */

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
	V_DAEMON,     /* whatever the routerd daemon attached (a daemon chain) */
	V_ROUTERD_NAT, /* routerd with netfilter offload set up (phase nat) */
	V__MAX,
};
extern const char *const variant_name[V__MAX];

struct bpf_object;
struct bpf_map;
struct routerd_bpf;
struct min_fwd_bpf;
struct bench_progs_bpf;

/* routerd's program and the maps the benchmark fills: the embedded
 * skeleton, a candidate object file with the same program and map names,
 * or (stats only) the maps a running daemon pinned. */
struct rd_obj {
	struct routerd_bpf *skel;
	struct bpf_object *obj;
	int prog_fd;
	struct bpf_map *ifaces, *tx, *stats;
	struct bpf_map *cache_ctl; /* routerd's route cache switch, if it has one */
	int stats_fd;              /* rd_stats */
	__u32 stats_vsize;
	__u32 slot;                /* r0's stats slot */
};

#define CHAIN_LEGS 2 /* r1 and r2, both towards the sink */

/* One router namespace: gen:GEN_IF <-> r0 | r1 <-> sink:SINK_IF,
 * r2 <-> sink:SINK_IF2 (the second leg, for ECMP). */
struct chain {
	const char *label;
	const char *r_ns_name;
	bool daemon; /* r0 belongs to the routerd daemon of the namespace */
	int r_ns;
	const char *gen_if, *sink_if[CHAIN_LEGS];
	int r0, r1, r2, g_if, s_if[CHAIN_LEGS];
	__u8 r0_mac[6], r1_mac[6], r2_mac[6], g_mac[6];
	struct rd_obj rd, cand, rd_nocache, rd_nat;
	struct min_fwd_bpf *mf[3]; /* plain, hash devmap, direct lookup */
	struct bench_progs_bpf *bp; /* redirect and drop at r */
	int attached;              /* prog fd on r0, -1 none */
};

extern int gen_ns, sink_ns, root_ns, n_cpus;
extern struct bench_progs_bpf *gbp; /* generator, sink, pass */
extern struct chain *explain_chain;

int prog_fd(struct chain *c, enum variant v);
void set_variant(struct chain *c, enum variant v);
void rd_cache_set(struct rd_obj *r, bool on);
bool rd_has_cache(const struct rd_obj *r);
void chain_setup(struct chain *c);
void chain_teardown(struct chain *c);
struct rd_obj *chain_nat_obj(struct chain *c, bool load);
/* routerd's program and maps in the chain, by variant (NULL: not routerd) */
struct rd_obj *rd_of(struct chain *c, enum variant v);
/* What routerd did with frames arriving on r0: forwarded, passed, dropped. */
struct rd_tally {
	__u64 fwd, pass, drop;
};
struct rd_tally rd_read(struct rd_obj *r);
__u64 delivered(struct chain *c, enum variant v);
void rd_explain(FILE *fp);
/* routerd's pass and drop reasons on r0 so far: " pass ttl=N drop ..." */
void rd_reasons(struct rd_obj *r, char *buf, size_t size);

/* ---- live.c ----------------------------------------------------------- */

struct traffic {
	int family;
	__u32 rand_n, rand_mask, rand_base; /* destinations, bench_gen.h */
	__u32 src_n, src_base;              /* IPv4 sources, bench_gen.h */
};

/* One measurement. The rate divides the frames counted where they end by
 * the CPU time the one core spent on them (see live.c). */
struct meas {
	double rate, wall_rate;
	double share;     /* frames counted / frames generated */
	double to_kernel; /* IPv4 frames r's kernel received / frames generated */
	double softirqd;  /* share of the CPU time spent in ksoftirqd */
	struct rd_tally rd;
};

struct way;
typedef void way_hook(struct way *x, int round, struct meas *m);

/* One measured way: a variant on a chain, with its own traffic if t is
 * set, and hooks around each measurement (pre: m is NULL). */
struct way {
	struct chain *c;
	enum variant v;
	const char *name;
	const struct traffic *t;
	way_hook *pre, *post;
	double rate[MAX_ROUNDS], wall[MAX_ROUNDS], share[MAX_ROUNDS], softirqd[MAX_ROUNDS];
	double to_kernel[MAX_ROUNDS];
	__u64 rd_pass;
};

#define WAY(chain, var, nm) { .c = (chain), .v = (var), .name = (nm) }

extern pid_t softirqd_live, softirqd_skb;
struct meas live_run(struct chain *c, enum variant v, const struct traffic *t, double dur);
void way_store(struct way *x, int r, const struct meas *m);
void live_rounds(struct way *w, int n, const struct traffic *t, int rounds, double dur,
		 const char *label);
void print_way(const char *prefix, struct way *w, int rounds);
void print_ratio(const char *name, struct way *a, struct way *b, int rounds);
/* RATIO a/b over opt.rounds, named by a printf format */
void print_ratiof(struct way *a, struct way *b, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void phase_live(struct chain *c);

/* ---- the other phases ------------------------------------------------- */

void phase_prog(struct chain *c);
void phase_skb(struct chain *c);
/* skb.c for phase nat: the generator's frame, one measurement, a ratio */
void skb_prepare(struct chain *c);
struct meas skb_run(struct chain *c, enum variant v, double dur);
void skb_ratio(const char *name, struct way *drop, struct way *ref, struct way *x, int rounds);
/* phase nat: conntrack offload (nat.c) */
void phase_nat(struct chain *c);
void phase_nexthop(struct chain *c);
/* routerd (the daemon, chain d) and min_fwd (chain m) with and without churn */
void phase_churn(struct chain *d, struct chain *m);
/* small: one route per table; big: the route-scale tables */
void phase_scale(struct chain *r, struct chain *small, struct chain *big);

/* ---- daemon.c: the daemons' RSS and CPU (DAEMON lines) ---------------- */

/* at start: both daemons' CPU so far */
void daemon_mark_start(void);
/* rc's daemon: idle from the start until now (the churn phase) */
void daemon_report_idle(void);
/* rb's daemon around the route-scale install and measurement */
void daemon_routes_mark(void);
void daemon_routes_installed(unsigned long routes, double seconds);
void daemon_routes_report(void);
/* rc's daemon around each measurement of the churn phase */
void daemon_churn_begin(void);
void daemon_churn_end(bool churn, unsigned long changes);
void daemon_churn_report(double changes_per_s, unsigned long errors);

/* ---- rtnl.c ----------------------------------------------------------- */

struct rtnl {
	int fd;
	__u32 seq;
	char *buf;
	size_t len, cap;
	unsigned long sent, errors;
	int first_error;
};

struct rtnl_route {
	int family;       /* AF_INET or AF_INET6 */
	const void *dst;  /* 4 or 16 bytes */
	int plen;
	const void *gw;   /* same family as dst, or NULL */
	int gw_family;    /* 0: the route's family (an IPv6 gateway for IPv4: RFC 8950) */
	int oif;
	__u32 table;      /* 0: main */
	bool onlink;
};

/* Opens a route socket in the caller's current network namespace. */
void rtnl_open(struct rtnl *nl);
void rtnl_close(struct rtnl *nl);
/* Queues one message (RTM_NEWROUTE with flags, or RTM_DELROUTE); flushes
 * by itself when the buffer is full. */
void rtnl_route(struct rtnl *nl, int cmd, int flags, const struct rtnl_route *r);
/* Sends what is queued; the kernel handles it before sendmsg returns,
 * so the errors are counted right after. */
void rtnl_flush(struct rtnl *nl);

#endif
