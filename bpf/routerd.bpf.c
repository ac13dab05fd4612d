/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * routerd fast path: route IPv4 and IPv6 in the driver using the kernel's
 * own FIB, and hand everything else to the kernel with XDP_PASS so it
 * answers exactly as it would without us.
 *
 * Read top to bottom, this file is the policy; the mechanics live in lib/.
 * docs/architecture.md has the verdict table.
 */
#include "lib/common.h"
#include "lib/vlan.h"
#include "lib/bridge.h"
#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/frags.h"
#include "lib/parse.h"
#include "lib/addr.h"
#include "lib/fib.h"
#include "lib/forward.h"
#include "lib/freshness.h"
#include "lib/fixup.h"
#include "lib/cache.h"
#include "lib/tc.h"
#include "lib/unattended.h"
#include "lib/nat.h"
#include "lib/conntrack.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* -DRD_NO_FIXUPS builds the program without the fix-up code, only so the
 * benchmark can show that fix-ups switched off cost nothing measurable. */
#ifdef RD_NO_FIXUPS
#define RD_FIXUPS_BUILT 0
#else
#define RD_FIXUPS_BUILT 1
#endif

/* Commit to the egress port before touching the packet: bpf_redirect_map()
 * only records the target, and fails for a port that is not ours, in which
 * case the kernel gets the packet unmodified. */
static __always_inline int rd_redirect(struct rd_stats *st, __u32 port, __u32 ingress)
{
	if (port == ingress)
		return rd_pass(st, RD_PASS_HAIRPIN);
	if (bpf_redirect_map(&rd_tx, port, 0) != XDP_REDIRECT)
		return rd_pass(st, rd_no_egress_reason(port));
	return XDP_REDIRECT;
}

/*
 * The lookup answered with a VLAN device: the packet leaves through its
 * lower device with the device's tag, or, on a bridge, through the port
 * the bridge has for the destination in that VLAN. Returns 0 when that
 * cannot be done here (the lower device is not managed: the redirect
 * then fails and the kernel transmits).
 */
static __always_inline int rd_vlan_dev_egress(const __u8 *dmac, const struct rd_vlan_dev *vd,
					      struct rd_l2_out *out)
{
	if (vd->tc & RD_TC_HOLD_EGRESS)
		return 0;
	if (bpf_map_lookup_elem(&rd_bridges, &vd->lower))
		return rd_bridge_egress(dmac, vd->lower, vd->vid, vd->tpid, out);
	out->port = vd->lower;
	out->tpid = vd->tpid;
	out->vid = vd->vid;
	return 1;
}

/* Where a routed packet leaves at L2: the lookup's egress, or, when that is
 * a bridge (a route into a VM network) or a VLAN device, the port and tag
 * lib/bridge.h and lib/vlan.h resolve; failing that, the device itself, which leaves it
 * to the kernel. Resolved per packet, since a MAC may move at any time;
 * the flow's cache entry only remembers that its egress is neither. */
static __always_inline void rd_route_egress(struct rd_route_cache_entry *route,
					    struct rd_l2_out *out)
{
	const struct rd_vlan_dev *vd;
	int ok;

	out->port = route->ifindex;
	if (route->egress_plain)
		return;
	if (bpf_map_lookup_elem(&rd_bridges, &route->ifindex)) {
		ok = rd_bridge_egress(route->dmac, route->ifindex, 0, 0, out);
	} else {
		vd = bpf_map_lookup_elem(&rd_vlan_devs, &route->ifindex);
		if (!vd) {
			route->egress_plain = 1;
			return;
		}
		ok = rd_vlan_dev_egress(route->dmac, vd, out);
	}
	if (!ok) {
		out->port = route->ifindex;
		out->vid = 0;
	}
}

/* Does the netfilter hold (RD_NF_HOLD_*) cover this routed packet? Its
 * family's hooks, or the bridge family's when it comes in through a bridge
 * or leaves through one (conservatively: or through a VLAN device). */
static __always_inline bool rd_nf_holds(__u32 hold, const struct rd_l3_in *in,
					const struct rd_l2_out *out,
					const struct rd_route_cache_entry *route, const bool v4)
{
	if (hold & (v4 ? RD_NF_HOLD_IPV4 : RD_NF_HOLD_IPV6))
		return true;
	return (hold & RD_NF_HOLD_BRIDGE) &&
	       (in->port != in->ifindex || out->port != route->ifindex);
}

/* The MSS a SYN may carry out of this egress: configured, or the egress MTU
 * minus the IP and TCP headers. */
static __always_inline __u16 rd_mss_limit(const struct rd_iface *ifc,
					  const struct rd_route_cache_entry *flow,
					  __u16 headers)
{
	if (ifc->mss_clamp != RD_MSS_CLAMP_AUTO)
		return ifc->mss_clamp;
	return flow->mtu > headers ? flow->mtu - headers : 0;
}

/*
 * One routing walk for both families. `v4` is a constant at each call site,
 * so the compiler emits a copy per family with no branch on it. `in` is the
 * ingress as the FIB sees it: the port, or the bridge or VLAN device the
 * frame arrived for; the route cache keys on it, and its rp_filter is the
 * one that applies.
 *
 * `ct` is NULL at the plain call site, which then compiles without any of
 * what follows. For a conntrack-offloaded packet it holds the NAT and a
 * copy of the IP header with the translated destination: the route is
 * looked up on that copy (pkt's header pointer and destination port point
 * there until the lookup is done), as the kernel routes a NATed packet.
 */
static __always_inline int rd_route_walk(struct xdp_md *ctx, const struct rd_iface *ifc,
					 const struct rd_l3_in *in, struct rd_stats *st,
					 struct rd_pkt *pkt, struct rd_flow *flow, __u64 now,
					 struct rd_ct_scratch *ct, const bool v4)
{
	struct rd_route_cache_entry *route;
	struct rd_l2_out out = {};
	void *hdr = pkt->l3;
	__be16 dport = pkt->dport;
	__u32 hold;
	int why, action;
	long rc;

	if (ct)
		rd_ct_lookup_view(pkt, ct, v4);

	/* The route cache (lib/cache.h): a hit proves the address checks
	 * passed for this very key, and stands for the lookup. */
	route = rd_route_probe(flow, pkt, in->ifindex, v4);
	if (!route)
		return rd_pass(st, RD_PASS_UNSUPPORTED_ROUTE); /* unsized cache */
	if (!flow->hit) {
		why = v4 ? rd_classify_ipv4(pkt->ip4) : rd_classify_ipv6(pkt->ip6);
		if (why != RD_PARSE_OK)
			return rd_pass(st, why);
	}
	if ((v4 ? pkt->ip4->ttl : pkt->ip6->hop_limit) <= 1)
		return rd_pass(st, RD_PASS_TTL);
	if (!flow->hit) {
		rc = rd_route_lookup(ctx, flow, pkt, in->ifindex, in->rp_filter, st, v4);
		if (rc != BPF_FIB_LKUP_RET_SUCCESS)
			return rd_fib_failure(st, rc);
		/* routerd killed or stopped: trust only the kernel (lib/unattended.h) */
		if (unlikely(!rd_flow_attended(flow, now))) {
			why = rd_unattended_check(ctx, flow, route, pkt, in->ifindex, in->rp_filter,
						  now, v4);
			if (why != RD_PARSE_OK)
				return rd_pass(st, why);
		}
	}

	if (ct) { /* the packet's own header again */
		if (v4)
			pkt->ip4 = hdr;
		else
			pkt->ip6 = hdr;
		pkt->dport = dport;
	}

	/* Back out of the interface it came in on: the kernel may owe the
	 * sender an ICMP redirect. */
	if (route->ifindex == in->ifindex)
		return rd_pass(st, RD_PASS_HAIRPIN);
	rd_route_egress(route, &out);
	/* A packet XDP would forward, which the netfilter ruleset could act
	 * on: the kernel's, so every rule sees it (routerd/netfilter/netfilter.c).
	 * An offloaded packet is past its family's hold (lib/conntrack.h),
	 * not past the bridge family's. */
	hold = flow->nf_hold;
	if (ct)
		hold &= ~(RD_NF_HOLD_IPV4 | RD_NF_HOLD_IPV6);
	if (unlikely(hold & RD_NF_HOLD_ALL) && rd_nf_holds(hold, in, &out, route, v4))
		return rd_pass(st, RD_PASS_NETFILTER);
	/* A jumbo frame in fragments, to a port that cannot send one. */
	if (!rd_tx_takes(out.port, pkt->tail_len))
		return rd_pass(st, RD_PASS_FRAGS_EGRESS);
	action = rd_redirect(st, out.port, in->port);
	if (action != XDP_REDIRECT)
		return action;
	/* Committed: from here on the frame is ours to change. */
	if (unlikely(pkt->trailer) && rd_trim_trailer(ctx, pkt, v4))
		return rd_pass(st, RD_PASS_TRAILER);
	if (ct && rd_nat_apply(pkt, &ct->nat, v4))
		return rd_pass(st, RD_PASS_SPLIT_HEADERS);

	/* Non-first IPv4 fragments carry no TCP header. Returning XDP_PASS
	 * after the redirect was recorded cancels it; nothing is written yet. */
	if (RD_FIXUPS_BUILT && unlikely(ifc->fixups & RD_FIXUP_MSS_CLAMP) &&
	    (!v4 || !(pkt->ip4->frag_off & bpf_htons(IP_OFFSET)))) {
		void *l4 = pkt->l3 + (v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr));

		if (!rd_clamp_reaches(pkt, l4))
			return rd_pass(st, RD_PASS_SPLIT_HEADERS);
		rd_clamp_mss(ctx, pkt, l4, rd_mss_limit(ifc, route, RD_MSS_HEADERS(v4)), st);
	}
	if (v4)
		rd_ipv4_decrease_ttl(pkt->ip4);
	else
		pkt->ip6->hop_limit--;
	rd_set_macs_from(pkt->eth, route);
	rd_note_flow_nexthop(route, now);
	/* Last, as it moves the packet: the tags of VLAN-filtering bridges. */
	if (unlikely(in->tagged || out.vid) && rd_vlan_retag(ctx, pkt, in->tagged, &out))
		return rd_drop(st, RD_DROP_VLAN_REWRITE);
	if (ct)
		rd_count_event(st, RD_EV_CT_OFFLOADED);
	rd_count_event(st, v4 ? RD_EV_FORWARDED_IPV4 : RD_EV_FORWARDED_IPV6);
	return XDP_REDIRECT;
}

/*
 * A packet of a family held for the kernel but offloaded (`netfilter
 * offload`, include/routerd/conntrack.h): an established flow the kernel
 * admitted is forwarded here, with its NAT, and routed as the kernel routes
 * it: on its own source and its translated destination (DNAT comes before
 * routing, SNAT after). Everything else goes to the kernel.
 */
static __always_inline int rd_route_offloaded(struct xdp_md *ctx, const struct rd_iface *ifc,
					      const struct rd_l3_in *in, struct rd_stats *st,
					      struct rd_pkt *pkt, struct rd_flow *flow, __u64 now,
					      const bool v4)
{
	struct rd_ct_scratch *ct = rd_ct_scratch_get();
	int why;

	/* routerd silent: a ruleset change would go unseen */
	if (!ct || !rd_flow_attended(flow, now))
		return rd_pass(st, RD_PASS_NETFILTER);
	why = rd_ct_offload(ctx, pkt, flow->ctl, &ct->nat, v4);
	if (why != RD_PARSE_OK)
		return rd_pass(st, why);
	return rd_route_walk(ctx, ifc, in, st, pkt, flow, now, ct, v4);
}

static __always_inline int rd_route(struct xdp_md *ctx, const struct rd_iface *ifc,
				    const struct rd_l3_in *in, struct rd_stats *st,
				    struct rd_pkt *pkt, const bool v4)
{
	struct rd_flow flow;
	__u64 now;
	int why;

	why = v4 ? rd_parse_ipv4(pkt) : rd_parse_ipv6(pkt);
	if (why != RD_PARSE_OK)
		return rd_pass(st, why);
	now = rd_now_ns(st);
	rd_flow_begin(&flow, now);
	/* netfilter offload: a test of the word just read, when idle */
	if (unlikely(flow.nf_hold & RD_NF_OFFLOAD_ALL) && rd_ct_offloads(flow.nf_hold, v4))
		return rd_route_offloaded(ctx, ifc, in, st, pkt, &flow, now, v4);
	return rd_route_walk(ctx, ifc, in, st, pkt, &flow, now, NULL, v4);
}

/* xdp.frags: multi-buffer aware (lib/frags.h), so it attaches natively at
 * jumbo MTUs. */
SEC("xdp.frags")
int routerd_xdp(struct xdp_md *ctx)
{
	__u32 ingress = ctx->ingress_ifindex;
	struct rd_iface *ifc = rd_iface_get(ingress);
	struct rd_stats *st = rd_stats_slot(ifc ? ifc->slot : RD_SLOT_UNCONFIGURED);
	struct rd_l3_in in = { .ifindex = ingress, .port = ingress };
	struct rd_pkt pkt = {};
	int why;

	if (!st)
		return XDP_PASS; /* slot out of range: cannot happen, nothing to count */
	rd_stats_begin(st, ctx);
	pkt.tail_len = rd_frame_tail(ctx, st->frame_len);
	if (!ifc)
		return rd_pass(st, RD_PASS_UNCONFIGURED);
	/* tc ingress filters on this port see every frame (routerd/daemon/tc.c). */
	if (unlikely(ifc->tc & RD_TC_HOLD_INGRESS))
		return rd_pass(st, RD_PASS_TC);
	in.rp_filter = ifc->rp_filter;

	why = rd_parse_eth(ctx, &pkt);
	if (why != RD_PARSE_OK)
		return rd_pass(st, why);

	/* Repairs first, so a repaired packet takes the normal path below. */
	if (RD_FIXUPS_BUILT && unlikely(ifc->fixups & RD_FIXUP_ETHERTYPE)) {
		why = rd_fixup_ethertype(&pkt, ifc->fixups, st);
		if (why != RD_PARSE_OK)
			return rd_pass(st, why);
	}
	if (ifc->bridge_ifindex) {
		/* A bridge port: the bridge's decision (lib/bridge.h). */
		int action = rd_bridge(ctx, ifc, st, &pkt, &in);

		if (action != RD_BRIDGE_ROUTE)
			return action;
	} else {
		/* Only unicast IP addressed to this interface, or to a VLAN
		 * device on it, is ours to route. */
		why = pkt.vlan_depth ? rd_vlan_frame_in(ingress, &pkt, &in)
				     : rd_routable_frame(&pkt, ifc->mac);
		if (why != RD_PARSE_OK)
			return rd_pass(st, why);
	}

	if (pkt.l3_proto == ETH_P_IP)
		return rd_route(ctx, ifc, &in, st, &pkt, true);
	return rd_route(ctx, ifc, &in, st, &pkt, false);
}

/* Global functions, declared in lib/ and defined here, in the program's one
 * source file: the verifier checks each once, on its own. */

/* MSS clamping's option walk (lib/fixup.h). */
__attribute__((noinline)) int rd_clamp_mss_at(struct xdp_md *ctx, __u64 l4_off,
					      __u64 ip_end_off, __u64 limit)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	struct tcphdr *tcp;
	__u8 *opt, *end;

	if (l4_off > 256 || ip_end_off > 0xffff)
		return 0;
	tcp = data + l4_off;
	if ((void *)(tcp + 1) > data_end)
		return 0;
	if (!(((__u8 *)tcp)[13] & TCP_FLAG_SYN_BYTE) || tcp->doff <= 5)
		return 0;
	/* The options end with the TCP header, and never past the IP packet:
	 * bytes after it (Ethernet padding) are not the segment's. */
	opt = (__u8 *)(tcp + 1);
	end = (__u8 *)tcp + tcp->doff * 4;
	if ((void *)end > data + ip_end_off)
		end = data + ip_end_off;

	for (int i = 0; i < TCP_MAX_OPTIONS_WALK; i++) {
		__u8 kind, len;

		if (opt + 1 > end || (void *)(opt + 1) > data_end)
			return 0;
		kind = opt[0];
		if (kind == TCPOPT_EOL)
			return 0;
		if (kind == TCPOPT_NOP) {
			opt++;
			continue;
		}
		if (opt + 2 > end || (void *)(opt + 2) > data_end)
			return 0;
		len = opt[1];
		if (len < 2)
			return 0; /* broken options: leave the packet alone */
		if (kind == TCPOPT_MSS && len == 4) {
			__u16 mss, old, new;

			if (opt + 4 > end || (void *)(opt + 4) > data_end)
				return 0;
			mss = (opt[2] << 8) | opt[3];
			if (mss <= limit)
				return 0;
			/* The checksum sums 16-bit words from the TCP header's
			 * start; at an odd offset the value straddles two words,
			 * which sums like the byte-swapped value. */
			old = bpf_htons(mss);
			new = bpf_htons(limit);
			if ((opt + 2 - (__u8 *)tcp) & 1) {
				old = __builtin_bswap16(old);
				new = __builtin_bswap16(new);
			}
			rd_csum_replace16(&tcp->check, old, new);
			opt[2] = limit >> 8;
			opt[3] = limit & 0xff;
			return 1;
		}
		opt += len;
	}
	return 0;
}

/* Conntrack offload's admission (lib/conntrack.h): routerd attaches it on
 * the forward hook of IPv4 and IPv6 at the last priority, so it sees what
 * the ruleset accepted. "?": not loaded unless routerd asks (libbpf 1.1
 * does not know the section; routerd sets the type, BPF_PROG_TYPE_NETFILTER
 * with expected attach type BPF_NETFILTER, and autoload). */
SEC("?netfilter")
int routerd_nf_admit(struct bpf_nf_ctx *ctx)
{
	rd_ct_admit_skb(ctx->skb);
	return NF_ACCEPT;
}
