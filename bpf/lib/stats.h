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

/* A redirect to PORT failed: the port is not ours, or routerd took it out
 * of rd_tx because tc shapes or filters what leaves there. Only on this
 * slow path is the port's entry read to tell which. */
static __always_inline int rd_pass_no_egress(struct rd_stats *st, __u32 port)
{
	const struct rd_iface *out = rd_iface_get(port);

	if (out && (out->tc & RD_TC_HOLD_EGRESS))
		return rd_pass(st, RD_PASS_TC);
	return rd_pass(st, RD_PASS_UNMANAGED_EGRESS);
}

#endif /* RD_BPF_STATS_H */
