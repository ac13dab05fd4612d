// SPDX-License-Identifier: GPL-2.0
/*
 * One router chain of the benchmark (gen -> r0 [r] r1/r2 -> sink): loads
 * routerd's own BPF object (the skeleton the daemon embeds, with its maps
 * filled as routerd/daemon/ifaces.c fills them), the reference programs of
 * min_fwd.bpf.c and bench_progs.bpf.c; attaches the way under test to r0;
 * reads routerd's counters and the sink's. A daemon chain's r0 belongs to
 * the routerd daemon running there: only its pinned counters are read.
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bench.h"
#include "daemon/datapath.h"
#include "routerd.skel.h"
#include "min_fwd.skel.h"
#include "bench_progs.skel.h"

const char *const variant_name[V__MAX] = {
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
	[V_DAEMON] = "routerd_daemon",
	[V_ROUTERD_NAT] = "routerd_offload",
};

int gen_ns, sink_ns, root_ns, n_cpus;
struct bench_progs_bpf *gbp;
struct chain *explain_chain;

int prog_fd(struct chain *c, enum variant v)
{
	switch (v) {
	case V_ROUTERD: return c->rd.prog_fd;
	case V_CANDIDATE: return c->cand.prog_fd;
	case V_ROUTERD_NOCACHE: return c->rd_nocache.prog_fd;
	case V_ROUTERD_NAT: return c->rd_nat.prog_fd;
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

void set_variant(struct chain *c, enum variant v)
{
	int fd;

	if (c->daemon) {
		if (v != V_DAEMON)
			die("%s: r0 belongs to the routerd daemon, not to %s", c->label,
			    variant_name[v]);
		return;
	}
	fd = prog_fd(c, v);
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
		r->skel = rd_dp_load_unpinned();
		if (!r->skel)
			die("cannot load routerd's BPF object: %s", strerror(errno));
		r->obj = r->skel->obj;
	} else {
		r->obj = bpf_object__open_file(file, NULL);
		if (!r->obj)
			die("cannot open %s: %s", file, strerror(errno));
		rc = rd_dp_size_maps(r->obj);
		if (!rc)
			rc = bpf_object__load(r->obj);
		if (rc)
			die("cannot load %s: %s", file, strerror(-rc));
	}
	r->prog_fd = bpf_program__fd(bpf_object__find_program_by_name(r->obj, "routerd_xdp"));
	r->ifaces = bpf_object__find_map_by_name(r->obj, "rd_ifaces");
	r->tx = bpf_object__find_map_by_name(r->obj, "rd_tx");
	r->stats = bpf_object__find_map_by_name(r->obj, "rd_stats");
	r->cache_ctl = bpf_object__find_map_by_name(r->obj, "rd_cache_ctl");
	if (r->cache_ctl && !rd_has_cache(r))
		printf("NOTE %s: rd_cache_ctl has a layout this benchmark does not know (%u bytes): "
		       "measured with the route cache as loaded, i.e. off\n",
		       file ? file : "routerd", bpf_map__value_size(r->cache_ctl));
	if (r->prog_fd < 0 || !r->ifaces || !r->tx || !r->stats)
		die("%s has no program routerd_xdp or no map rd_ifaces, rd_tx or rd_stats",
		    file ? file : "routerd's object");
	r->stats_fd = bpf_map__fd(r->stats);
	r->stats_vsize = bpf_map__value_size(r->stats);
	r->slot = 1; /* rd_fill */
}

/* The counters of the daemon running in the chain's namespace, from its
 * pins: rd_ifaces[r0].slot, rd_stats. */
static void rd_open_daemon(struct rd_obj *r, struct chain *c)
{
	char path[512];
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info), key = c->r0;
	struct rd_iface ifc;
	int fd;

	memset(r, 0, sizeof(*r));
	snprintf(path, sizeof(path), "%s/rd_ifaces", opt.rc_pin);
	fd = bpf_obj_get(path);
	if (fd < 0 || bpf_map_lookup_elem(fd, &key, &ifc))
		die("%s: no rd_ifaces entry for r0 (%s): is the daemon serving r0?", c->label, path);
	close(fd);
	r->slot = ifc.slot;
	snprintf(path, sizeof(path), "%s/rd_stats", opt.rc_pin);
	r->stats_fd = bpf_obj_get(path);
	if (r->stats_fd < 0 || bpf_obj_get_info_by_fd(r->stats_fd, &info, &len))
		die("cannot open the daemon's %s: %s", path, strerror(errno));
	r->stats_vsize = info.value_size;
	r->prog_fd = -1;
}

/* The maps filled as routerd/daemon/ifaces.c fills them:
 * rd_ifaces[ifindex] = {slot, fixups, mac}, rd_tx[ifindex] = ifindex. */
static void rd_fill(struct rd_obj *r, struct chain *c)
{
	const int ifs[3] = { c->r0, c->r1, c->r2 };
	const __u8 *macs[3] = { c->r0_mac, c->r1_mac, c->r2_mac };

	for (int i = 0; i < 3; i++) {
		__u32 ifindex = ifs[i];
		struct rd_iface val = { .slot = 1 + i, .fixups = 0 };
		int rc;

		memcpy(val.mac, macs[i], 6);
		rc = bpf_map__update_elem(r->ifaces, &ifindex, sizeof(ifindex), &val, sizeof(val),
					  BPF_ANY);
		if (rc)
			die("rd_ifaces: %s", strerror(-rc));
		devmap_put(r->tx, ifindex, ifindex);
	}
}

/* routerd's route cache is on only while the daemon vouches for it: it
 * bumps the generation on every routing change and keeps pushing
 * valid_until_ns (CLOCK_MONOTONIC_COARSE) forward (routerd/daemon/cachectl.c), its
 * heartbeat, with generation 0 while the cache is off. The benchmark
 * vouches for the whole run, either way (a lapsed heartbeat would measure
 * the fast path of a dead daemon, bpf/lib/unattended.h), and bumps the
 * generation where it changes routes (the scale phase), as the daemon
 * would. Layout: two __u64, generation and valid_until_ns, then in newer
 * builds the netfilter hold and the conntrack offload fields (left 0: no
 * ruleset, netfilter auto); an object with another layout is left as
 * loaded (cache off). */
void rd_cache_set(struct rd_obj *r, bool on)
{
	struct timespec ts;
	__u64 val[8] = { 0 };
	__u32 zero = 0;
	int rc;

	if (!rd_has_cache(r))
		return;
	if (on) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		val[0] = (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec; /* generation */
	}
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	val[1] = (__u64)(ts.tv_sec + 24 * 3600) * 1000000000ull; /* valid until */
	rc = bpf_map__update_elem(r->cache_ctl, &zero, sizeof(zero), val,
				  bpf_map__value_size(r->cache_ctl), 0);
	if (rc)
		die("rd_cache_ctl: %s", strerror(-rc));
}

/* generation and valid_until_ns first, then (newer builds) the netfilter
 * hold and the conntrack offload fields, left 0 here: 16 to 64 bytes */
bool rd_has_cache(const struct rd_obj *r)
{
	__u32 size = r->cache_ctl ? bpf_map__value_size(r->cache_ctl) : 0;

	return size >= 2 * sizeof(__u64) && size <= 8 * sizeof(__u64) && size % 8 == 0;
}

static void rd_unload(struct rd_obj *r)
{
	if (r->skel)
		routerd_bpf__destroy(r->skel);
	else if (r->obj)
		bpf_object__close(r->obj);
	else if (r->stats_fd > 0)
		close(r->stats_fd);
	memset(r, 0, sizeof(*r));
}

static void chain_programs(struct chain *c)
{
	const int ifs[3] = { c->r0, c->r1, c->r2 };
	int rc;

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
		for (int i = 0; i < 3; i++) {
			devmap_put(m->maps.tx_ports, ifs[i], ifs[i]);
			devmap_put(m->maps.tx_ports_hash, ifs[i], ifs[i]);
		}
		c->mf[k] = m;
	}

	c->bp = bench_progs_bpf__open_and_load();
	if (!c->bp)
		die("cannot load bench_progs: %s", strerror(errno));
	devmap_put(c->bp->maps.redirect_port, 0, c->r1);
}

/* A third instance of routerd's program for phase nat (nat.c sets its
 * offload fields and admissions), or none again. */
struct rd_obj *chain_nat_obj(struct chain *c, bool load)
{
	if (c->attached >= 0 && c->attached == c->rd_nat.prog_fd)
		set_variant(c, V_NONE);
	rd_unload(&c->rd_nat);
	if (!load)
		return NULL;
	enter_ns(c->r_ns); /* the devmap resolves its ifindexes in r */
	rd_load(&c->rd_nat, NULL);
	rd_fill(&c->rd_nat, c);
	rd_cache_set(&c->rd_nat, true);
	enter_ns(root_ns);
	return &c->rd_nat;
}

void chain_setup(struct chain *c)
{
	c->r_ns = open_ns(c->r_ns_name);
	c->attached = -1;
	enter_ns(c->r_ns);
	c->r0 = ifindex_of("r0");
	c->r1 = ifindex_of("r1");
	c->r2 = ifindex_of("r2");
	mac_of("r0", c->r0_mac);
	mac_of("r1", c->r1_mac);
	mac_of("r2", c->r2_mac);
	if (c->daemon)
		rd_open_daemon(&c->rd, c); /* r0 runs the daemon's program */
	else
		chain_programs(c);
	enter_ns(root_ns);

	enter_ns(gen_ns);
	c->g_if = ifindex_of(c->gen_if);
	mac_of(c->gen_if, c->g_mac);
	enter_ns(root_ns);
	attach(gen_ns, c->g_if, bpf_program__fd(gbp->progs.xdp_pass), c->gen_if);

	for (int i = 0; i < CHAIN_LEGS; i++) {
		enter_ns(sink_ns);
		c->s_if[i] = ifindex_of(c->sink_if[i]);
		enter_ns(root_ns);
		attach(sink_ns, c->s_if[i], bpf_program__fd(gbp->progs.xdp_sink), c->sink_if[i]);
	}
}

void chain_teardown(struct chain *c)
{
	if (!c->r_ns)
		return;
	if (!c->daemon)
		attach(c->r_ns, c->r0, -1, "r0");
	attach(gen_ns, c->g_if, -1, c->gen_if);
	for (int i = 0; i < CHAIN_LEGS; i++)
		attach(sink_ns, c->s_if[i], -1, c->sink_if[i]);
	rd_unload(&c->rd);
	rd_unload(&c->cand);
	rd_unload(&c->rd_nocache);
	rd_unload(&c->rd_nat);
	for (int k = 0; k < 3; k++)
		min_fwd_bpf__destroy(c->mf[k]);
	bench_progs_bpf__destroy(c->bp);
	close(c->r_ns);
	c->r_ns = 0;
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

struct rd_obj *rd_of(struct chain *c, enum variant v)
{
	return v == V_ROUTERD || v == V_DAEMON ? &c->rd : v == V_CANDIDATE ? &c->cand :
	       v == V_ROUTERD_NOCACHE ? &c->rd_nocache : v == V_ROUTERD_NAT ? &c->rd_nat : NULL;
}

struct rd_tally rd_read(struct rd_obj *r)
{
	struct rd_stats v[n_cpus];
	struct rd_tally t = { 0 };

	/* a candidate built against other counter lists: no tally */
	if (r->stats_vsize != sizeof(struct rd_stats))
		return t;
	if (bpf_map_lookup_elem(r->stats_fd, &r->slot, v))
		die("reading rd_stats: %s", strerror(errno));
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
__u64 delivered(struct chain *c, enum variant v)
{
	if (v == V_DROP)
		return percpu_sum(c->bp->maps.counters, BENCH_CNT_DROP);
	return percpu_sum(gbp->maps.counters, BENCH_CNT_SINK);
}

static const char *const pass_name[RD_PASS__MAX] = {
#define RD_NAME_PASS(name, key) [RD_PASS_##name] = key,
	RD_PASS_REASONS(RD_NAME_PASS)
};
static const char *const drop_name[RD_DROP__MAX] = {
#define RD_NAME_DROP(name, key) [RD_DROP_##name] = key,
	RD_DROP_REASONS(RD_NAME_DROP)
};

/* routerd's pass and drop reasons on r0 so far, as " pass ttl=N ..." */
void rd_reasons(struct rd_obj *r, char *buf, size_t size)
{
	struct rd_stats v[n_cpus];
	size_t len = 0;

	buf[0] = 0;
	if (r->stats_vsize != sizeof(v[0]) || bpf_map_lookup_elem(r->stats_fd, &r->slot, v))
		return;
	for (int k = 0; k < RD_PASS__MAX + RD_DROP__MAX; k++) {
		bool pass = k < RD_PASS__MAX;
		__u64 sum = 0;

		for (int i = 0; i < n_cpus; i++)
			sum += pass ? v[i].pass[k] : v[i].drop[k - RD_PASS__MAX];
		if (sum && len < size)
			len += snprintf(buf + len, size - len, " %s %s=%llu", pass ? "pass" : "drop",
					pass ? pass_name[k] : drop_name[k - RD_PASS__MAX],
					(unsigned long long)sum);
	}
}

/* routerd's reasons so far, to say why it did not forward. */
void rd_explain(FILE *fp)
{
	char buf[1024];

	if (!explain_chain)
		return;
	rd_reasons(&explain_chain->rd, buf, sizeof(buf));
	if (buf[0])
		fprintf(fp, "xdp_bench: routerd's counters on r0:%s\n", buf);
}
