/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The fast path's clock: CLOCK_MONOTONIC_COARSE, the clock of
 * bpf_ktime_get_coarse_ns() and of every deadline the daemon writes, read
 * through a per-CPU memo that is refreshed whenever jiffies moves.
 *
 * Why: the helper is a call on every packet; bpf_jiffies64() is inlined by
 * the verifier into one load (64-bit JITs), and the coarse clock only
 * advances at the tick, together with jiffies, so the memo is what the
 * helper would return. Not exactly: the tick bumps jiffies before the
 * timekeeper, so a CPU that reads in between keeps the old time for one
 * more tick. The memo is therefore up to two ticks behind where the
 * helper is up to one: a deadline check must allow RD_CLOCK_SLACK_NS
 * (two ticks at HZ=100, the slowest tick Linux has, with room to spare).
 */
#ifndef RD_BPF_CLOCK_H
#define RD_BPF_CLOCK_H

#include "common.h"
#include "maps.h"

#define RD_CLOCK_SLACK_NS 50000000ull

/* `st` is any per-CPU stats slot: the memo lives there (include/routerd/counters.h). */
static __always_inline __u64 rd_now_ns(struct rd_stats *st)
{
	struct rd_clock *c = &st->clock;
	__u64 j = bpf_jiffies64();

	if (c->jiffies != j || !c->now_ns) {
		c->jiffies = j;
		c->now_ns = bpf_ktime_get_coarse_ns();
	}
	return c->now_ns;
}

#endif /* RD_BPF_CLOCK_H */
