/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * 802.1Q/802.1ad tags and VLAN devices, for the routing path and the
 * bridging path alike (lib/bridge.h builds on this header):
 *  - where a routed packet enters L3 and leaves at L2 (struct rd_l3_in,
 *    struct rd_l2_out), which a VLAN device or a bridge may move off the
 *    port the frame came in on or the device the FIB answered;
 *  - VLAN devices on managed ports and bridges (eth0.10, br0.10): the maps
 *    routerd/bridge/vlan_devs.c writes, and the ingress side, which makes a
 *    tagged frame addressed to such a device that device's IP packet;
 *  - the tag rewrites of a frame committed to its port: pop, push, and
 *    retag in place.
 * Egress through a VLAN device, which may sit on a bridge, is resolved by
 * the policy (bpf/routerd.bpf.c, rd_vlan_dev_egress()).
 */
#ifndef RD_BPF_VLAN_H
#define RD_BPF_VLAN_H

#include "parse.h"
#include <routerd/bridge.h>
#include <routerd/maps.h>

#define VLAN_HLEN 4                                      /* a tag: TPID, TCI */
#define VLAN_ETH_HLEN (sizeof(struct ethhdr) + VLAN_HLEN) /* a tagged header */
#define VLAN_PRIO_MASK 0xe000                            /* TCI: priority (PCP) */
#define VLAN_CFI_MASK 0x1000                             /* TCI: drop eligible (DEI) */
#define VLAN_VID_MASK 0x0fff                             /* TCI: VLAN ID */

/* Where a routed packet enters L3: the interface the FIB sees as its
 * ingress (the port itself, or the bridge for frames sent to the bridge),
 * with that interface's rp_filter, and whether the frame still carries the
 * VLAN tag the bridge would have stripped on its way up; and the port it
 * arrived on, ctx->ingress_ifindex (kept, as reading it takes three
 * dependent loads). */
struct rd_l3_in {
	__u32 ifindex;
	__u32 port;
	__u8 rp_filter;
	__u8 tagged;
};

/* Where a routed packet leaves at L2: the port, and the tag to push (vid 0:
 * none). For a plain egress, the FIB's egress itself. */
struct rd_l2_out {
	__u32 port;
	__u16 tpid;
	__u16 vid;
};

/* VLAN devices on managed ports and bridges (include/routerd/bridge.h):
 * by their own ifindex, and by (lower device, VID). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RD_MAX_VLAN_DEVS);
	__type(key, __u32);
	__type(value, struct rd_vlan_dev);
} rd_vlan_devs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RD_MAX_VLAN_DEVS);
	__type(key, struct rd_vlan_key);
	__type(value, struct rd_vlan_dev);
} rd_vlan_in SEC(".maps");

/* Strips the outer 802.1Q/802.1ad tag. The MACs are saved before the head
 * moves, so a failed adjustment leaves the frame as it was. */
static __always_inline int rd_vlan_pop(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	__u8 macs[2 * ETH_ALEN];

	if (data + VLAN_ETH_HLEN > end)
		return -1;
	__builtin_memcpy(macs, data, sizeof(macs));
	if (bpf_xdp_adjust_head(ctx, VLAN_HLEN))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	if (data + sizeof(macs) > end)
		return -1; /* cannot happen: checked above */
	__builtin_memcpy(data, macs, sizeof(macs));
	return 0;
}

/* Inserts a TPID/VID tag (PCP 0) right after the MACs. */
static __always_inline int rd_vlan_push(struct xdp_md *ctx, __u16 tpid, __u16 vid)
{
	void *data, *end;
	__u8 macs[2 * ETH_ALEN];
	__be16 *tag;

	if (bpf_xdp_adjust_head(ctx, -VLAN_HLEN))
		return -1;
	data = (void *)(long)ctx->data;
	end = (void *)(long)ctx->data_end;
	/* the new tag's room, then the untagged header it goes into */
	if (data + VLAN_HLEN + sizeof(struct ethhdr) > end) {
		bpf_xdp_adjust_head(ctx, VLAN_HLEN); /* give the room back */
		return -1;
	}
	__builtin_memcpy(macs, data + VLAN_HLEN, sizeof(macs));
	__builtin_memcpy(data, macs, sizeof(macs));
	tag = data + 2 * ETH_ALEN;
	tag[0] = bpf_htons(tpid);
	tag[1] = bpf_htons(vid);
	return 0;
}

/*
 * A frame in VLAN VID (tag TPID) arriving on LOWER's IP stack is the VLAN
 * device's there (eth0.10, br0.10), if it is addressed to that device: it
 * is routed with the VLAN device as the FIB's ingress, its tag popped at
 * the end if the frame still carries it (`tagged`). Returns the pass
 * reason, or RD_PARSE_OK with `in` filled.
 */
static __always_inline int rd_vlan_dev_in(__u32 lower, __u16 tpid, __u16 vid,
					  const struct rd_pkt *pkt, int tagged, struct rd_l3_in *in)
{
	struct rd_vlan_key key = { .lower = lower, .vid = vid };
	const struct rd_vlan_dev *vd = bpf_map_lookup_elem(&rd_vlan_in, &key);
	int why;

	if (!vd || vd->tpid != tpid)
		return RD_PASS_VLAN;
	if (vd->tc & RD_TC_HOLD_INGRESS)
		return RD_PASS_TC; /* the VLAN device's tc ingress filters */
	why = rd_routable_frame(pkt, vd->mac);
	if (why != RD_PARSE_OK)
		return why;
	in->ifindex = vd->ifindex;
	in->rp_filter = vd->rp_filter;
	in->tagged = tagged;
	return RD_PARSE_OK;
}

/* A frame with one tag, received on LOWER as it came off the wire (a
 * routed port, or a VLAN-unaware bridge passing it up unchanged). */
static __always_inline int rd_vlan_frame_in(__u32 lower, const struct rd_pkt *pkt,
					    struct rd_l3_in *in)
{
	const struct vlan_hdr *tag = (const void *)(pkt->eth + 1);

	if (pkt->vlan_depth != 1 || (void *)(tag + 1) > pkt->data_end)
		return RD_PASS_VLAN;
	return rd_vlan_dev_in(lower, bpf_ntohs(pkt->eth->h_proto),
			      bpf_ntohs(tag->h_vlan_TCI) & VLAN_VID_MASK, pkt, 1, in);
}

/*
 * The last rewrite of a routed packet crossing a VLAN-filtering bridge:
 * pop the tag it came with (`tagged`), push the one its port wants
 * (out->vid), or both at once by rewriting the tag in place (keeping its
 * priority bits).
 */
static __always_inline int rd_vlan_retag(struct xdp_md *ctx, struct rd_pkt *pkt, int tagged,
					 const struct rd_l2_out *out)
{
	struct vlan_hdr *tag = (void *)(pkt->eth + 1);

	if (!tagged)
		return rd_vlan_push(ctx, out->tpid, out->vid);
	if (!out->vid)
		return rd_vlan_pop(ctx);
	if ((void *)(tag + 1) > pkt->data_end)
		return -1;
	pkt->eth->h_proto = bpf_htons(out->tpid);
	tag->h_vlan_TCI = (tag->h_vlan_TCI & bpf_htons(VLAN_PRIO_MASK | VLAN_CFI_MASK)) |
			  bpf_htons(out->vid);
	return 0;
}

#endif /* RD_BPF_VLAN_H */
