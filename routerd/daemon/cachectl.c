// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/cachectl.h"
#include "common/log.h"
#include "daemon/nlmsg.h"
#include "routerd.skel.h"

/* The heartbeat also tells the fast path whether routerd is there at all
 * (bpf/lib/unattended.h). VALIDITY_NS bounds how long a routerd that stops
 * (SIGSTOP, a hang) or dies can leave cached routes in use that it can no
 * longer invalidate: docs/architecture.md promises it. The program allows
 * RD_CLOCK_SLACK_NS (50 ms) for its clock, so a heartbeat may come up to
 * 200 ms late before the fast path calls routerd silent. */
#define HEARTBEAT_S 0.05
#define VALIDITY_NS 250000000ull

static const unsigned int groups[] = {
	RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
	RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE, RTNLGRP_IPV4_RULE, RTNLGRP_IPV6_RULE,
	RTNLGRP_IPV4_NETCONF, RTNLGRP_IPV6_NETCONF, RTNLGRP_NEXTHOP,
};

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

/* Bridge FDB changes share the neighbour group but never affect routing. */
static bool affects_routing(const struct nlmsghdr *nlh)
{
	if (nlh->nlmsg_type == RTM_NEWNEIGH || nlh->nlmsg_type == RTM_DELNEIGH) {
		const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);

		return mnl_nlmsg_get_payload_len(nlh) >= sizeof(*ndm) &&
		       ndm->ndm_family != AF_BRIDGE;
	}
	return nlh->nlmsg_type != NLMSG_NOOP && nlh->nlmsg_type != NLMSG_DONE;
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rd_cachectl *cc = w->data;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	bool bump = false, netconf = false;
	ssize_t n;

	/* Drain everything queued, then bump once for the whole batch. */
	while ((n = recv(mnl_socket_get_fd(cc->nl), buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		const struct nlmsghdr *nlh;
		size_t left;

		if (n < 0) {
			if (errno == ENOBUFS) {
				cc->overruns++;
				bump = true; /* lost events: assume the worst */
				continue;
			}
			break; /* EAGAIN: drained */
		}
		rd_nlmsg_for_each(nlh, buf, (size_t)n, left) {
			bump |= affects_routing(nlh);
			netconf |= nlh->nlmsg_type == RTM_NEWNETCONF;
		}
	}
	if (netconf && cc->on_netconf)
		cc->on_netconf(cc->on_netconf_arg);
	if (bump)
		rd_cachectl_bump(cc);
}

static void on_heartbeat(struct ev_loop *loop, ev_timer *w, int revents)
{
	publish(w->data, true);
}

int rd_cachectl_start(struct rd_cachectl *cc, struct ev_loop *loop, struct rd_datapath *dp,
		      bool enabled, char *err, size_t errlen)
{
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
	cc->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!cc->nl || mnl_socket_bind(cc->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (mnl_socket_setsockopt(cc->nl, NETLINK_ADD_MEMBERSHIP, (void *)&groups[i],
					  sizeof(groups[i])) < 0)
			goto fail;
	/* Subscribed first, bumped second: nothing changed in between is missed. */
	rd_cachectl_bump(cc);
	ev_io_init(&cc->io, on_readable, mnl_socket_get_fd(cc->nl), EV_READ);
	cc->io.data = cc;
	ev_io_start(loop, &cc->io);
	ev_timer_init(&cc->heartbeat, on_heartbeat, HEARTBEAT_S, HEARTBEAT_S);
	cc->heartbeat.data = cc;
	ev_timer_start(loop, &cc->heartbeat);
	return 0;
fail:
	snprintf(err, errlen, "route cache: cannot subscribe to rtnetlink: %s", strerror(errno));
	if (cc->nl)
		mnl_socket_close(cc->nl);
	cc->nl = NULL;
	return -1;
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
	if (cc->nl) /* started, not stopped */
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
	if (cc->nl) /* started, not stopped */
		publish(cc, true);
}

void rd_cachectl_stop(struct rd_cachectl *cc)
{
	if (!cc->nl)
		return;
	cc->enabled = false;
	publish(cc, false); /* from here on the program trusts only the kernel */
	ev_io_stop(cc->loop, &cc->io);
	ev_timer_stop(cc->loop, &cc->heartbeat);
	mnl_socket_close(cc->nl);
	cc->nl = NULL;
	if (cc->shared)
		munmap(cc->shared, sysconf(_SC_PAGESIZE));
	cc->shared = NULL;
}
