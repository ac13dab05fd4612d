/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Multi-buffer frames. The program is built for them (SEC("xdp.frags"),
 * BPF_F_XDP_HAS_FRAGS), which is what lets it attach natively at jumbo
 * MTUs: a driver then hands a frame larger than its first buffer as that
 * buffer plus fragments only helpers reach.
 *
 * The rules: headers are parsed in the first buffer (data..data_end) and
 * whatever does not fit there goes to the kernel (RD_PASS_SPLIT_HEADERS);
 * every length that stands for the frame or the IP packet (byte counters,
 * the MTU check, the length checks of the parser and the fix-ups) is the
 * whole frame's, rd_frame_len(). A frame with fragments is redirected only
 * to a port that can transmit one (rd_tx_frags, written by the daemon from
 * the device's xdp_features); elsewhere it is the kernel's.
 */
#ifndef RD_BPF_FRAGS_H
#define RD_BPF_FRAGS_H

#include "common.h"
#include <routerd/maps.h>

/* Egress ports whose driver transmits multi-buffer frames
 * (NETDEV_XDP_ACT_NDO_XMIT_SG), keyed by ifindex. Read only for frames
 * that have fragments, so a standard-MTU frame never pays the lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RD_MAX_IFACES);
	__type(key, __u32);
	__type(value, __u8);
} rd_tx_frags SEC(".maps");

/* The whole frame's length, first buffer and fragments. */
static __always_inline __u32 rd_frame_len(const struct xdp_md *ctx)
{
	return bpf_xdp_get_buff_len((struct xdp_md *)ctx);
}

/* Bytes beyond the first buffer, given the frame's length: 0 for a
 * single-buffer frame. */
static __always_inline __u32 rd_frame_tail(const struct xdp_md *ctx, __u32 frame_len)
{
	__u32 head = ctx->data_end - ctx->data;

	/* keep clang from folding this into arithmetic on data_end */
	asm volatile("" : "+r"(head));
	return frame_len - head;
}

/* Can `port` transmit a frame with `tail` bytes in fragments? */
static __always_inline bool rd_tx_takes(__u32 port, __u32 tail)
{
	return likely(!tail) || bpf_map_lookup_elem(&rd_tx_frags, &port);
}

#endif /* RD_BPF_FRAGS_H */
