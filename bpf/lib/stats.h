/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Verdicts with their accounting. Each returns the XDP action, so the policy
 * reads `return rd_pass(st, RD_PASS_TTL);` and no verdict goes uncounted. */
#ifndef RD_BPF_STATS_H
#define RD_BPF_STATS_H

#include "maps.h"

static __always_inline struct rd_stats *rd_stats_slot(__u32 slot)
{
	return bpf_map_lookup_elem(&rd_stats, &slot);
}

static __always_inline void rd_count_event(struct rd_stats *st, enum rd_event ev)
{
	st->events[ev]++;
}

static __always_inline int rd_pass(struct rd_stats *st, enum rd_pass_reason why)
{
	st->pass[why]++;
	return XDP_PASS;
}

static __always_inline int rd_drop(struct rd_stats *st, enum rd_drop_reason why)
{
	st->drop[why]++;
	return XDP_DROP;
}

#endif /* RD_BPF_STATS_H */
