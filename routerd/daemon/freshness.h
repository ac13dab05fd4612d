/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Freshness: owns keeping the kernel's neighbour entries alive for the
 * nexthops the fast path uses. Frames forwarded in XDP never touch the
 * neighbour table, so without this the kernel would let those entries go
 * STALE, never re-validate them and finally garbage-collect them.
 *
 * Once a second it reads the nexthops XDP noted (rd_nh_used) and sends the
 * kernel an NTF_USE for each one used recently: exactly what a forwarded
 * skb does, so the kernel runs its usual STALE -> DELAY -> PROBE cycle and a
 * host that changes its MAC is followed as fast as with kernel forwarding.
 */
#ifndef RD_FRESHNESS_H
#define RD_FRESHNESS_H

#include <ev.h>
#include <stdbool.h>

#include "daemon/datapath.h"
#include "common/print.h"

struct mnl_socket;
struct nlmsghdr;

struct rd_nh_recent {
	struct rd_nh_use use; /* last_ns: the newest over all CPUs */
	__u16 kernel_state;   /* NUD_* from the last neighbour dump, 0 = absent */
	__u8 lladdr[6];
};

struct rd_freshness {
	struct rd_datapath *dp;
	struct mnl_socket *nl;
	unsigned int seq;
	struct ev_loop *loop;
	ev_timer timer;
	struct rd_nh_use *percpu;   /* lookup buffer, RD_NH_SLOTS x n_cpus */
	struct rd_nh_recent recent[RD_NH_SLOTS];
	size_t n_recent;
	unsigned long rounds, refreshes, absent, errors;
	unsigned long static_skipped; /* PERMANENT/NOARP entries: never refreshed */
};

int rd_freshness_start(struct rd_freshness *fr, struct ev_loop *loop, struct rd_datapath *dp,
		       char *err, size_t errlen);
void rd_freshness_stop(struct rd_freshness *fr);
/* One round now (the timer calls it too). */
void rd_freshness_run(struct rd_freshness *fr);

/* The neighbour dump's callback (mnl_cb_t, ARG: the struct rd_freshness):
 * notes the kernel's state and MAC of each nexthop in fr->recent that an
 * RTM_NEWNEIGH names; other messages pass. Exported for the fuzzer. */
int rd_freshness_on_neigh(const struct nlmsghdr *nlh, void *arg);

/* routerctl neigh: the nexthops in use with the kernel's view of them. */
int rd_freshness_report(struct rd_freshness *fr, struct rd_print *p);

#endif
