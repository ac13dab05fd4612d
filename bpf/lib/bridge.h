/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Bridging in the driver: known unicast between two ports of the same Linux
 * bridge, both managed by routerd, is redirected port to port here. The
 * kernel bridge stays the control plane: its FDB (mirrored into rd_fdb by
 * routerd/bridge/mirror.c), port states and flags, and VLANs decide; every frame the
 * bridge would treat as anything but "forward this known unicast to that
 * port" goes to the kernel untouched, with its reason:
 *
 *   routerd not running (no heartbeat)          pass bridge_stale
 *   link-local control (STP BPDU, LACP...)      pass bridge_control
 *   ingress port not forwarding, locked port    pass port_state
 *   broadcast / multicast destination           pass multicast
 *   invalid (multicast, zero) source MAC        pass malformed
 *   VLAN not allowed on the ingress port        drop vlan_ingress
 *   priority-tagged frame (VID 0)               pass vlan
 *   destination not in the FDB                  pass fdb_miss (kernel floods)
 *   destination behind the ingress port         pass hairpin
 *   source MAC not learned on the ingress port  pass fdb_learn (kernel learns)
 *   destination a port's own address            pass bridge_local
 *   destination the bridge's own address: up the stack on the bridge,
 *     so the routing path takes it with the bridge as its ingress
 *     (RD_BRIDGE_ROUTE), unless the bridge gets it tagged
 *     (VLAN device on the bridge), or it carries a second tag   pass vlan
 *   egress port not forwarding / left bridge    pass port_state
 *   both ports isolated                         pass isolated
 *   egress port not in the VLAN                 drop vlan_egress
 *   egress port not in the devmap               pass unmanaged_egress
 *
 * Bridging never touches L3: the frame leaves byte for byte as it came,
 * except for the 802.1Q tag a VLAN-filtering bridge pops (egress untagged)
 * or pushes (untagged ingress, egress tagged).
 *
 * Routed packets cross the bridge too: from a VM to the bridge's address
 * (rd_bridge() answers RD_BRIDGE_ROUTE with the bridge as the L3 ingress)
 * and from a route whose egress is the bridge to the VM's port
 * (rd_bridge_egress()). Either may owe the frame a tag pop or push, which
 * rd_vlan_retag() does last, once the packet is committed to its port.
 * The tags and VLAN devices themselves, which routed ports have too, are
 * lib/vlan.h's.
 */
#ifndef RD_BPF_BRIDGE_H
#define RD_BPF_BRIDGE_H

#include "parse.h"
#include "stats.h"
#include "vlan.h"
#include <routerd/bridge.h>

/* rd_bridge() returns an XDP action, or this: the frame is addressed to
 * the bridge itself, for the routing path to route with `struct rd_l3_in`
 * as rd_bridge() filled it. */
#define RD_BRIDGE_ROUTE (-1)

#define ETH_P_RARP 0x8035

/* (bridge, VID, MAC) -> port, written by the daemon; the fast path only
 * stamps seen_ns / used_ns (include/routerd/bridge.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RD_FDB_MAX_ENTRIES);
	__type(key, struct rd_fdb_key);
	__type(value, struct rd_fdb_entry);
} rd_fdb SEC(".maps");

/* Port ifindex -> VLAN membership, for ports of VLAN-filtering bridges. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RD_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct rd_port_vlans);
} rd_port_vlans SEC(".maps");

/* Bridge ifindex -> its VLAN settings, for routed traffic into a bridge. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RD_MAX_BRIDGES);
	__type(key, __u32);
	__type(value, struct rd_bridge_dev);
} rd_bridges SEC(".maps");

/* [0]: the mirror's heartbeat (include/routerd/bridge.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rd_bridge_ctl);
} rd_bridge_ctl SEC(".maps");

/* Is someone keeping the maps in line with the kernel bridge? The record
 * if so (for its netfilter hold), else NULL. */
static __always_inline const struct rd_bridge_ctl *rd_bridge_live(__u64 now)
{
	__u32 zero = 0;
	const struct rd_bridge_ctl *ctl = bpf_map_lookup_elem(&rd_bridge_ctl, &zero);

	return ctl && now < ctl->valid_until_ns ? ctl : NULL;
}

/* The tag protocol of a VLAN-filtering bridge (its vlan_protocol), from
 * the RD_BRPORT_* flags of the bridge or of one of its ports. */
static __always_inline __u16 rd_bridge_tpid(__u16 flags)
{
	return flags & RD_BRPORT_VLAN_8021AD ? ETH_P_8021AD : ETH_P_8021Q;
}

/* 01:80:c2:00:00:00-0f: reserved for bridge-local protocols (STP, LACP,
 * 802.1X, LLDP...): never forwarded as data, the bridge decides. */
static __always_inline int rd_mac_is_link_local(const __u8 *m)
{
	return m[0] == 0x01 && m[1] == 0x80 && m[2] == 0xc2 && m[3] == 0 && m[4] == 0 &&
	       (m[5] & 0xf0) == 0;
}

/* is_valid_ether_addr(): the bridge drops frames from multicast or zero
 * source addresses. */
static __always_inline int rd_mac_is_invalid_source(const __u8 *m)
{
	return (m[0] & 1) || !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

/* ARP, or ICMPv6 (neighbour discovery): what a bridge with proxy ARP or
 * neighbour suppression answers or filters itself. Returns the pass reason
 * or RD_PARSE_OK. */
static __always_inline int rd_bridge_neigh_frame(const struct rd_pkt *pkt)
{
	const struct ipv6hdr *ip6 = pkt->l3;

	if (pkt->l3_proto == ETH_P_ARP || pkt->l3_proto == ETH_P_RARP)
		return RD_PASS_ARP;
	if (pkt->l3_proto == ETH_P_IPV6 &&
	    ((void *)(ip6 + 1) > pkt->data_end || ip6->nexthdr == NEXTHDR_ICMP))
		return RD_PASS_ND;
	return RD_PARSE_OK;
}

static __always_inline void rd_fdb_note(__u64 *stamp, __u64 now)
{
	if (now - *stamp > RD_FDB_NOTE_INTERVAL_NS)
		*stamp = now;
}

/*
 * A frame for one of the bridge's own addresses goes up the stack on the
 * bridge device. Only the bridge's own MAC makes it the box's IP packet
 * (the kernel marks the others PACKET_OTHERHOST and drops them); such a
 * packet is routed with the bridge as its ingress, as the kernel would.
 * A frame that goes up tagged (a VLAN-unaware bridge leaves the tag, a
 * VLAN-filtering one keeps it where the bridge device is a tagged member)
 * is for a VLAN device on the bridge. `vid` and `tagged` are the bridge's
 * VLAN for the frame and whether the frame came with that tag. Returns the
 * pass reason, or RD_PARSE_OK with `in` filled.
 */
static __always_inline int rd_bridge_up(__u32 bridge, const struct rd_pkt *pkt, __u16 vid,
					int tagged, struct rd_l3_in *in)
{
	const struct rd_bridge_dev *br = bpf_map_lookup_elem(&rd_bridges, &bridge);
	const struct rd_port_vlans *vl;
	int why;

	if (!br)
		return RD_PASS_BRIDGE_LOCAL;
	if (br->tc & RD_TC_HOLD_INGRESS)
		return RD_PASS_TC; /* the bridge device's tc ingress filters */
	if (!(br->flags & RD_BRPORT_VLAN_FILTERING)) {
		if (pkt->vlan_depth)
			return rd_vlan_frame_in(bridge, pkt, in);
	} else {
		if (pkt->vlan_depth != tagged)
			return RD_PASS_VLAN; /* a second tag: not the bridge's */
		vl = bpf_map_lookup_elem(&rd_port_vlans, &bridge);
		if (!vl || !rd_vlan_bit(vl->member, vid))
			return RD_PASS_VLAN;
		if (!rd_vlan_bit(vl->untagged, vid))
			return rd_vlan_dev_in(bridge, rd_bridge_tpid(br->flags), vid, pkt, tagged,
					      in);
	}
	if (!rd_mac_equal(pkt->eth->h_dest, br->mac))
		return RD_PASS_BRIDGE_LOCAL;
	why = rd_l3_routable(pkt);
	if (why != RD_PARSE_OK)
		return why;
	in->ifindex = bridge;
	in->rp_filter = br->rp_filter;
	in->tagged = tagged;
	return RD_PARSE_OK;
}

/*
 * The bridge's decision for a frame received on a bridge port (ifc has
 * bridge_ifindex set). Called after the fix-ups, with the Ethernet header
 * (and up to two tags) parsed. Fills `in` for RD_BRIDGE_ROUTE.
 */
static __always_inline int rd_bridge(struct xdp_md *ctx, const struct rd_iface *ifc,
				     struct rd_stats *st, struct rd_pkt *pkt,
				     struct rd_l3_in *in)
{
	struct ethhdr *eth = pkt->eth;
	__u32 ingress = ctx->ingress_ifindex, egress;
	__u16 flags = ifc->br_flags, tpid = 0;
	struct rd_fdb_key key = { .bridge = ifc->bridge_ifindex };
	struct rd_fdb_entry *dst, *src = NULL;
	const struct rd_port_vlans *vl;
	const struct rd_bridge_ctl *ctl;
	const struct rd_iface *out;
	int tagged = 0, untag_out = 1, why;
	__u64 now = bpf_ktime_get_coarse_ns();

	ctl = rd_bridge_live(now);
	if (!ctl)
		return rd_pass(st, RD_PASS_BRIDGE_STALE);
	if (rd_mac_is_link_local(eth->h_dest))
		return rd_pass(st, RD_PASS_BRIDGE_CONTROL);
	if (!(flags & RD_BRPORT_FORWARDING) || (flags & RD_BRPORT_KERNEL_ONLY))
		return rd_pass(st, RD_PASS_PORT_STATE);
	if (rd_mac_is_multicast(eth->h_dest))
		return rd_pass(st, RD_PASS_MULTICAST);
	if (rd_mac_is_invalid_source(eth->h_source))
		return rd_pass(st, RD_PASS_MALFORMED);
	if (unlikely(flags & RD_BRPORT_NEIGH_KERNEL)) {
		why = rd_bridge_neigh_frame(pkt);
		if (why != RD_PARSE_OK)
			return rd_pass(st, why);
	}

	/* Ingress VLAN: the tag of the bridge's protocol, else the PVID. */
	if (flags & RD_BRPORT_VLAN_FILTERING) {
		tpid = rd_bridge_tpid(flags);
		if (eth->h_proto == bpf_htons(tpid)) {
			struct vlan_hdr *tag = (void *)(eth + 1);

			if ((void *)(tag + 1) > pkt->data_end)
				return rd_pass(st, RD_PASS_MALFORMED);
			key.vid = bpf_ntohs(tag->h_vlan_TCI) & VLAN_VID_MASK;
			/* priority-tagged: the bridge rewrites the tag */
			if (!key.vid)
				return rd_pass(st, RD_PASS_VLAN);
			tagged = 1;
		} else {
			key.vid = ifc->pvid;
			if (!key.vid)
				return rd_drop(st, RD_DROP_VLAN_INGRESS);
		}
		vl = bpf_map_lookup_elem(&rd_port_vlans, &ingress);
		if (!vl || !rd_vlan_bit(vl->member, key.vid))
			return rd_drop(st, RD_DROP_VLAN_INGRESS);
		if (rd_vlan_bit(vl->blocked, key.vid))
			return rd_pass(st, RD_PASS_PORT_STATE);
	}

	__builtin_memcpy(key.mac, eth->h_dest, ETH_ALEN);
	dst = bpf_map_lookup_elem(&rd_fdb, &key);
	if (!dst)
		return rd_pass(st, RD_PASS_FDB_MISS);
	egress = dst->port;
	if (egress == ingress && !(dst->flags & RD_FDB_LOCAL))
		return rd_pass(st, RD_PASS_HAIRPIN);

	/* What the bridge learns from this frame must already be known;
	 * otherwise the kernel sees the frame and learns (or moves) it. */
	if (flags & RD_BRPORT_LEARNING) {
		__builtin_memcpy(key.mac, eth->h_source, ETH_ALEN);
		src = bpf_map_lookup_elem(&rd_fdb, &key);
		if (!src || src->port != ingress || (src->flags & RD_FDB_LOCAL))
			return rd_pass(st, RD_PASS_FDB_LEARN);
	}
	if (dst->flags & RD_FDB_LOCAL) {
		why = rd_bridge_up(ifc->bridge_ifindex, pkt, key.vid, tagged, in);
		if (why != RD_PARSE_OK)
			return rd_pass(st, why);
		if (src)
			rd_fdb_note(&src->seen_ns, now);
		return RD_BRIDGE_ROUTE;
	}

	out = rd_iface_get(egress);
	if (!out || out->bridge_ifindex != ifc->bridge_ifindex ||
	    !(out->br_flags & RD_BRPORT_FORWARDING))
		return rd_pass(st, RD_PASS_PORT_STATE);
	if (flags & out->br_flags & RD_BRPORT_ISOLATED)
		return rd_pass(st, RD_PASS_ISOLATED);
	if (flags & RD_BRPORT_VLAN_FILTERING) {
		vl = bpf_map_lookup_elem(&rd_port_vlans, &egress);
		if (!vl || !rd_vlan_bit(vl->member, key.vid))
			return rd_drop(st, RD_DROP_VLAN_EGRESS);
		if (rd_vlan_bit(vl->blocked, key.vid))
			return rd_pass(st, RD_PASS_PORT_STATE);
		untag_out = rd_vlan_bit(vl->untagged, key.vid);
	}

	/* A frame XDP would bridge, which the bridge family, ebtables or
	 * br_netfilter could act on: the kernel bridge's (routerd/netfilter/netfilter.c). */
	if (unlikely(ctl->netfilter))
		return rd_pass(st, RD_PASS_NETFILTER);

	if (!rd_tx_takes(egress, pkt->tail_len))
		return rd_pass(st, RD_PASS_FRAGS_EGRESS);
	/* Commit to the port before changing anything. */
	if (bpf_redirect_map(&rd_tx, egress, 0) != XDP_REDIRECT)
		return rd_pass(st, out->tc & RD_TC_HOLD_EGRESS ? RD_PASS_TC
							  : RD_PASS_UNMANAGED_EGRESS);
	rd_fdb_note(&dst->used_ns, now);
	if (src)
		rd_fdb_note(&src->seen_ns, now);

	if (tagged && untag_out) {
		if (rd_vlan_pop(ctx))
			return rd_pass(st, RD_PASS_VLAN);
	} else if (!tagged && !untag_out) {
		if (rd_vlan_push(ctx, tpid, key.vid))
			return rd_pass(st, RD_PASS_VLAN);
	}
	rd_count_event(st, RD_EV_BRIDGED);
	return XDP_REDIRECT;
}

/*
 * For the routing path: bpf_fib_lookup() answered with a bridge device (a
 * route into a VM network), which XDP cannot transmit on. Resolves `out` to
 * the port the bridge's FDB has for the lookup's `dmac` in VLAN `vid` (0: the
 * bridge device's PVID, for a route out of the bridge itself rather than
 * one of its VLAN devices, whose tag protocol `tpid` is), with the tag to
 * push when the port takes that VLAN tagged. Returns 0 to leave the packet
 * to the kernel via the bridge: unknown MAC, port not managed or not
 * forwarding, not in the VLAN, a VLAN device whose tag a filtering bridge
 * would not take as a VLAN (another protocol than the bridge's), or no
 * routerd keeps the maps up to date. The MACs stay as the lookup set them
 * (source: the bridge's address). Marks the entry used.
 */
static __always_inline int rd_bridge_egress(const __u8 *dmac, __u32 bridge, __u16 vid,
					    __u16 tpid, struct rd_l2_out *out)
{
	struct rd_fdb_key key = { .bridge = bridge };
	const struct rd_bridge_dev *br = bpf_map_lookup_elem(&rd_bridges, &bridge);
	const struct rd_port_vlans *vl;
	const struct rd_iface *port;
	struct rd_fdb_entry *dst;
	__u64 now = bpf_ktime_get_coarse_ns();

	/* a shaper or tc egress filters on the bridge device itself */
	if (!br || (br->tc & RD_TC_HOLD_EGRESS) || !rd_bridge_live(now))
		return 0;
	if (br->flags & RD_BRPORT_VLAN_FILTERING) {
		if (vid && tpid != rd_bridge_tpid(br->flags))
			return 0;
		key.vid = vid ? vid : br->pvid;
		vl = bpf_map_lookup_elem(&rd_port_vlans, &bridge);
		if (!key.vid || !vl || !rd_vlan_bit(vl->member, key.vid))
			return 0;
	}
	__builtin_memcpy(key.mac, dmac, ETH_ALEN);
	dst = bpf_map_lookup_elem(&rd_fdb, &key);
	if (!dst || (dst->flags & RD_FDB_LOCAL))
		return 0;
	out->port = dst->port;
	port = rd_iface_get(out->port);
	if (!port || port->bridge_ifindex != bridge || !(port->br_flags & RD_BRPORT_FORWARDING))
		return 0;
	if (br->flags & RD_BRPORT_VLAN_FILTERING) {
		vl = bpf_map_lookup_elem(&rd_port_vlans, &out->port);
		if (!vl || !rd_vlan_bit(vl->member, key.vid) || rd_vlan_bit(vl->blocked, key.vid))
			return 0;
		if (!rd_vlan_bit(vl->untagged, key.vid)) {
			out->tpid = rd_bridge_tpid(br->flags);
			out->vid = key.vid;
		}
	} else if (vid) {
		/* a VLAN-unaware bridge forwards the VLAN device's tag as is */
		out->tpid = tpid;
		out->vid = vid;
	}
	rd_fdb_note(&dst->used_ns, now);
	return 1;
}

#endif /* RD_BPF_BRIDGE_H */
