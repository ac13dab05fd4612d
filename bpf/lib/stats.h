/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Verdicts with their accounting. Each returns the XDP action, so the policy
 * reads `return rd_pass(st, RD_PASS_TTL);` and no verdict goes uncounted.
 * A verdict also adds the frame's length to its byte counter: the length
 * rd_stats_begin() noted in the slot, so the verdicts keep their two
 * arguments and the bytes cost one add where the packet count is. */
#ifndef RD_BPF_STATS_H
#define RD_BPF_STATS_H

#include "maps.h"
#include "frags.h"

static __always_inline struct rd_stats *rd_stats_slot(__u32 slot)
{
	return bpf_map_lookup_elem(&rd_stats, &slot);
}

/* First thing for every frame: what its verdict will count in bytes, the
 * length as received (a repair or a VLAN retag changes it later), all of
 * it for a multi-buffer frame (lib/frags.h). */
static __always_inline void rd_stats_begin(struct rd_stats *st, const struct xdp_md *ctx)
{
	st->frame_len = rd_frame_len(ctx);
}

/* `ev` is a constant at every call site, so the byte accounting of the
 * verdict events is resolved at compile time and other events pay none. */
static __always_inline void rd_count_event(struct rd_stats *st, enum rd_event ev)
{
	st->events[ev]++;
	if (ev == RD_EV_FORWARDED_IPV4 || ev == RD_EV_FORWARDED_IPV6)
		st->bytes[RD_BYTES_FORWARDED] += st->frame_len;
	else if (ev == RD_EV_BRIDGED)
		st->bytes[RD_BYTES_BRIDGED] += st->frame_len;
}

static __always_inline int rd_pass(struct rd_stats *st, enum rd_pass_reason why)
{
	st->pass[why]++;
	st->bytes[RD_BYTES_PASSED] += st->frame_len;
	return XDP_PASS;
}

static __always_inline int rd_drop(struct rd_stats *st, enum rd_drop_reason why)
{
	st->drop[why]++;
	st->bytes[RD_BYTES_DROPPED] += st->frame_len;
	return XDP_DROP;
}

#endif /* RD_BPF_STATS_H */
