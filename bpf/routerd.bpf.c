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
#include "lib/bridge.h"
#include "lib/maps.h"
#include "lib/stats.h"
#include "lib/parse.h"
#include "lib/addr.h"
#include "lib/fib.h"
#include "lib/forward.h"
#include "lib/freshness.h"
#include "lib/fixup.h"
#include "lib/cache.h"

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
 * case the kernel gets the packet unmodified. Hairpin routing stays with the
 * kernel, which may owe the sender an ICMP redirect. */
static __always_inline int rd_redirect(struct rd_stats *st, __u32 egress, __u32 ingress)
{
	if (egress == ingress)
		return rd_pass(st, RD_PASS_HAIRPIN);
	if (bpf_redirect_map(&rd_tx, egress, 0) != XDP_REDIRECT)
		return rd_pass(st, RD_PASS_UNMANAGED_EGRESS);
	return XDP_REDIRECT;
}

/* Where a routed packet leaves: the lookup's egress, or, when that is a
 * bridge (a route into a VM network), the bridge port the FDB has for the
 * destination MAC (lib/bridge.h); 0 from there leaves it to the kernel via
 * the bridge. Resolved per packet, since a MAC may move at any time; the
 * flow's cache entry only remembers that its egress is not a bridge. */
static __always_inline __u32 rd_route_egress(struct rd_route_cache_entry *flow)
{
	struct bpf_fib_lookup fib = { .ifindex = flow->ifindex };
	__u32 port;

	if (flow->egress_plain)
		return flow->ifindex;
	if (!bpf_map_lookup_elem(&rd_bridges, &fib.ifindex)) {
		flow->egress_plain = 1;
		return flow->ifindex;
	}
	__builtin_memcpy(fib.dmac, flow->dmac, ETH_ALEN);
	port = rd_bridge_egress_port(&fib);
	return port ? port : flow->ifindex;
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
 * so the compiler emits a copy per family with no branch on it.
 */
static __always_inline int rd_route(struct xdp_md *ctx, const struct rd_iface *ifc,
				    struct rd_stats *st, struct rd_pkt *pkt, const bool v4)
{
	struct rd_route_cache_entry *route;
	struct rd_flow flow;
	int why, action;
	__u64 now;
	long rc;

	why = v4 ? rd_parse_ipv4(pkt) : rd_parse_ipv6(pkt);
	if (why != RD_PARSE_OK)
		return rd_pass(st, why);

	/* The route cache (lib/cache.h): a hit proves the address checks
	 * passed for this very key, and stands for the lookup. */
	now = rd_now_ns();
	route = rd_route_probe(&flow, pkt, ctx->ingress_ifindex, now, v4);
	if (!route)
		return rd_pass(st, RD_PASS_UNSUPPORTED_ROUTE); /* cannot happen */
	if (!flow.hit) {
		why = v4 ? rd_classify_ipv4(pkt->ip4) : rd_classify_ipv6(pkt->ip6);
		if (why != RD_PARSE_OK)
			return rd_pass(st, why);
	}
	if ((v4 ? pkt->ip4->ttl : pkt->ip6->hop_limit) <= 1)
		return rd_pass(st, RD_PASS_TTL);
	if (!flow.hit) {
		rc = rd_route_lookup(ctx, &flow, pkt, ctx->ingress_ifindex, ifc->rp_filter, st, v4);
		if (rc != BPF_FIB_LKUP_RET_SUCCESS)
			return rd_fib_failure(st, rc);
	}

	action = rd_redirect(st, rd_route_egress(route), ctx->ingress_ifindex);
	if (action != XDP_REDIRECT)
		return action;

	/* Non-first IPv4 fragments carry no TCP header. */
	if (RD_FIXUPS_BUILT && unlikely(ifc->fixups & RD_FIXUP_MSS_CLAMP) &&
	    (!v4 || !(pkt->ip4->frag_off & bpf_htons(IP_OFFSET))))
		rd_clamp_mss(pkt, pkt->l3 + (v4 ? sizeof(struct iphdr) : sizeof(struct ipv6hdr)),
			     rd_mss_limit(ifc, route, v4 ? 40 : 60), st);
	if (v4)
		rd_ipv4_decrease_ttl(pkt->ip4);
	else
		pkt->ip6->hop_limit--;
	rd_set_macs_from(pkt->eth, route);
	rd_note_flow_nexthop(route, now);
	rd_count_event(st, v4 ? RD_EV_FORWARDED_IPV4 : RD_EV_FORWARDED_IPV6);
	return XDP_REDIRECT;
}

SEC("xdp")
int routerd_xdp(struct xdp_md *ctx)
{
	__u32 ingress = ctx->ingress_ifindex;
	struct rd_iface *ifc = rd_iface_get(ingress);
	struct rd_stats *st = rd_stats_slot(ifc ? ifc->slot : RD_SLOT_UNCONFIGURED);
	struct rd_pkt pkt = {};
	int why;

	if (!st)
		return XDP_PASS; /* slot out of range: cannot happen, nothing to count */
	if (!ifc)
		return rd_pass(st, RD_PASS_UNCONFIGURED);

	why = rd_parse_eth(ctx, &pkt);
	if (why != RD_PARSE_OK)
		return rd_pass(st, why);

	/* Repairs first, so a repaired packet takes the normal path below. */
	if (RD_FIXUPS_BUILT && unlikely(ifc->fixups & RD_FIXUP_ETHERTYPE)) {
		why = rd_fixup_ethertype(&pkt, ifc->fixups, st);
		if (why != RD_PARSE_OK)
			return rd_pass(st, why);
	}
	/* Bridge ports: the bridge's decision (lib/bridge.h). */
	if (ifc->bridge_ifindex) {
		int action = rd_bridge(ctx, ifc, st, &pkt);

		if (action != RD_BRIDGE_CONTINUE)
			return action;
	}
	/* Tagged frames are the kernel's (VLAN sub-interfaces, bridges). */
	if (pkt.vlan_depth)
		return rd_pass(st, RD_PASS_VLAN);

	switch (pkt.l3_proto) {
	case ETH_P_IP:
	case ETH_P_IPV6:
		break;
	case ETH_P_ARP:
		return rd_pass(st, RD_PASS_ARP);
	default:
		return rd_pass(st, RD_PASS_NOT_IP);
	}

	/* Only unicast frames addressed to this interface are ours to route. */
	if (rd_mac_is_multicast(pkt.eth->h_dest))
		return rd_pass(st, RD_PASS_MULTICAST);
	if (!rd_mac_equal(pkt.eth->h_dest, ifc->mac))
		return rd_pass(st, RD_PASS_OTHER_HOST);

	if (pkt.l3_proto == ETH_P_IP)
		return rd_route(ctx, ifc, st, &pkt, true);
	return rd_route(ctx, ifc, st, &pkt, false);
}
