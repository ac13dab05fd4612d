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

#define RD_CLOCK_SLACK_NS 50000000ull

struct rd_clock {
	__u64 jiffies; /* when the memo was taken */
	__u64 now_ns;  /* bpf_ktime_get_coarse_ns() then; 0: never taken */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rd_clock);
} rd_clock SEC(".maps");

static __always_inline __u64 rd_now_ns(void)
{
	__u32 zero = 0;
	struct rd_clock *c = bpf_map_lookup_elem(&rd_clock, &zero);
	__u64 j = bpf_jiffies64();

	if (!c)
		return bpf_ktime_get_coarse_ns();
	if (c->jiffies != j || !c->now_ns) {
		c->jiffies = j;
		c->now_ns = bpf_ktime_get_coarse_ns();
	}
	return c->now_ns;
}

#endif /* RD_BPF_CLOCK_H */
