// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/cachectl.h"
#include "common/log.h"
#include "daemon/nl_events.h"
#include "routerd.skel.h"

/* The heartbeat also tells the fast path whether routerd is there at all
 * (bpf/lib/unattended.h). VALIDITY_NS bounds how long a routerd that stops
 * (SIGSTOP, a hang) or dies can leave cached routes in use that it can no
 * longer invalidate: docs/architecture.md promises it. The program allows
 * RD_CLOCK_SLACK_NS (50 ms) for its clock, so a heartbeat may come up to
 * 200 ms late before the fast path calls routerd silent. */
#define HEARTBEAT_S 0.05
#define VALIDITY_NS 250000000ull

/* What can change a route lookup. Bridge FDB entries share the
 * neighbour group but never affect routing (RD_NLK_FDB); qdiscs and
 * bridge VLANs do not either. */
static const unsigned int kinds =
	RD_NLK(RD_NLK_LINK) | RD_NLK(RD_NLK_ADDR) | RD_NLK(RD_NLK_ROUTE) | RD_NLK(RD_NLK_RULE) |
	RD_NLK(RD_NLK_NEXTHOP) | RD_NLK(RD_NLK_NEIGH) | RD_NLK(RD_NLK_NETCONF) |
	RD_NLK(RD_NLK_OTHER);

/* `live`: routerd is running and vouches for the next VALIDITY_NS; the
 * cache's generation is published only while the cache is on (0: off). */
static void publish(struct rd_cachectl *cc, bool live)
{
	struct rd_cache_ctl val = {
		.generation = cc->enabled ? cc->generation : 0,
		.valid_until_ns = live ? rd_coarse_now_ns() + VALIDITY_NS : 0,
		.netfilter = cc->netfilter,
		.ct_generation = cc->ct_generation,
		.ct_tcp_timeout_s = cc->ct_tcp_timeout_s,
		.ct_udp_timeout_s = cc->ct_udp_timeout_s,
	};
	__u32 zero = 0;

	if (cc->shared) {
		/* Aligned 64-bit stores: a reader sees each field old or new.
		 * The generation goes first, so a deadline never vouches for
		 * a generation it was not written with. */
		__atomic_store_n(&cc->shared->generation, val.generation, __ATOMIC_RELEASE);
		__atomic_store_n(&cc->shared->valid_until_ns, val.valid_until_ns, __ATOMIC_RELEASE);
		/* the generation before the bits that make it count */
		__atomic_store_n(&cc->shared->ct_generation, val.ct_generation, __ATOMIC_RELEASE);
		__atomic_store_n(&cc->shared->ct_tcp_timeout_s, val.ct_tcp_timeout_s,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&cc->shared->ct_udp_timeout_s, val.ct_udp_timeout_s,
				 __ATOMIC_RELEASE);
		__atomic_store_n(&cc->shared->netfilter, val.netfilter, __ATOMIC_RELEASE);
		return;
	}
	if (bpf_map__update_elem(cc->dp->skel->maps.rd_cache_ctl, &zero, sizeof(zero), &val,
				 sizeof(val), 0))
		rd_err("cannot update the route cache control: %s", strerror(errno));
}

/* A map pinned by an older build may not be mappable: then every update
 * is a syscall, which is slower under churn but just as correct. */
static void map_shared(struct rd_cachectl *cc)
{
	long page = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(cc->dp->skel->maps.rd_cache_ctl), 0);

	cc->shared = p == MAP_FAILED ? NULL : p;
	if (!cc->shared)
		rd_debug("route cache control not mappable (%s): using map updates",
			 strerror(errno));
}

void rd_cachectl_bump(struct rd_cachectl *cc)
{
	/* Monotonic time keeps generations unique across restarts too: a new
	 * routerd can never reuse a generation that old entries carry. */
	__u64 now = rd_clock_ns(CLOCK_MONOTONIC);

	cc->generation = now > cc->generation ? now : cc->generation + 1;
	cc->bumps++;
	publish(cc, true);
}

static void on_event(void *arg, enum rd_nl_kind kind, const struct nlmsghdr *nlh)
{
	struct rd_cachectl *cc = arg;

	cc->bump_due = true;
	cc->netconf_due |= nlh->nlmsg_type == RTM_NEWNETCONF;
}

static void on_overrun(void *arg)
{
	struct rd_cachectl *cc = arg;

	cc->overruns++;
	cc->bump_due = true; /* lost events: assume the worst */
}

/* Once per batch the reader drained: one bump for all of it. */
static void on_batch_end(void *arg)
{
	struct rd_cachectl *cc = arg;

	if (cc->netconf_due && cc->on_netconf)
		cc->on_netconf(cc->on_netconf_arg);
	if (cc->bump_due)
		rd_cachectl_bump(cc);
	cc->bump_due = cc->netconf_due = false;
}

static void on_resync(void *arg, const char *why)
{
	((struct rd_cachectl *)arg)->bump_due = true;
}

static void on_heartbeat(struct ev_loop *loop, ev_timer *w, int revents)
{
	publish(w->data, true);
}

int rd_cachectl_start(struct rd_cachectl *cc, struct ev_loop *loop, struct rd_nl_events *ev,
		      struct rd_datapath *dp, bool enabled, char *err, size_t errlen)
{
	const struct rd_nl_consumer consumer = {
		.name = "route cache", .kinds = kinds, .msg = on_event,
		.batch_end = on_batch_end, .overrun = on_overrun, .resync = on_resync, .arg = cc,
	};
	/* rd_cachectl_preset() and rd_cachectl_set_conntrack() */
	__u32 netfilter = cc->netfilter, ct_gen = cc->ct_generation;
	__u32 ct_tcp = cc->ct_tcp_timeout_s, ct_udp = cc->ct_udp_timeout_s;

	memset(cc, 0, sizeof(*cc));
	cc->netfilter = netfilter;
	cc->ct_generation = ct_gen;
	cc->ct_tcp_timeout_s = ct_tcp;
	cc->ct_udp_timeout_s = ct_udp;
	cc->dp = dp;
	cc->loop = loop;
	cc->enabled = enabled;
	map_shared(cc);
	if (!rd_nl_events_add(ev, &consumer)) {
		snprintf(err, errlen, "route cache: cannot follow netlink events");
		if (cc->shared)
			munmap(cc->shared, sysconf(_SC_PAGESIZE));
		cc->shared = NULL;
		return -1;
	}
	cc->ev = ev;
	cc->started = true;
	/* The reader subscribed first, bumped second: nothing changed in
	 * between is missed. */
	rd_cachectl_bump(cc);
	ev_timer_init(&cc->heartbeat, on_heartbeat, HEARTBEAT_S, HEARTBEAT_S);
	cc->heartbeat.data = cc;
	ev_timer_start(loop, &cc->heartbeat);
	return 0;
}

void rd_cachectl_set_enabled(struct rd_cachectl *cc, bool enabled)
{
	if (cc->enabled == enabled)
		return;
	cc->enabled = enabled;
	rd_info("route cache %s", enabled ? "on" : "off");
	rd_cachectl_bump(cc);
}

void rd_cachectl_set_conntrack(struct rd_cachectl *cc, __u32 generation, __u32 tcp_timeout_s,
			       __u32 udp_timeout_s)
{
	cc->ct_generation = generation;
	cc->ct_tcp_timeout_s = tcp_timeout_s;
	cc->ct_udp_timeout_s = udp_timeout_s;
	if (cc->started) /* not stopped */
		publish(cc, true);
}

void rd_cachectl_preset(struct rd_cachectl *cc, struct rd_datapath *dp, __u32 netfilter)
{
	struct rd_cache_ctl val = { .netfilter = netfilter, .ct_generation = cc->ct_generation,
				    .ct_tcp_timeout_s = cc->ct_tcp_timeout_s,
				    .ct_udp_timeout_s = cc->ct_udp_timeout_s };
	__u32 zero = 0;

	cc->netfilter = netfilter;
	if (bpf_map__update_elem(dp->skel->maps.rd_cache_ctl, &zero, sizeof(zero), &val,
				 sizeof(val), 0))
		rd_err("cannot update the route cache control: %s", strerror(errno));
}

void rd_cachectl_set_netfilter(struct rd_cachectl *cc, __u32 netfilter)
{
	if (cc->netfilter == netfilter)
		return;
	cc->netfilter = netfilter;
	if (cc->started) /* not stopped */
		publish(cc, true);
}

void rd_cachectl_stop(struct rd_cachectl *cc)
{
	if (!cc->started)
		return;
	cc->enabled = false;
	publish(cc, false); /* from here on the program trusts only the kernel */
	rd_nl_events_remove(cc->ev, cc);
	ev_timer_stop(cc->loop, &cc->heartbeat);
	cc->started = false;
	if (cc->shared)
		munmap(cc->shared, sysconf(_SC_PAGESIZE));
	cc->shared = NULL;
}
