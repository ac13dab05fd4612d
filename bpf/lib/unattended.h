/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The fast path without its daemon. routerd's heartbeat (rd_cache_ctl's
 * deadline, lib/cache.h) lapses when it is killed or stopped; the program
 * keeps forwarding from the kernel's FIB, but no longer trusts what only
 * routerd keeps fresh:
 *  - the route cache: off (lib/cache.h) as soon as the deadline passes,
 *    every packet takes the lookup;
 * and once the deadline is RD_SILENT_AFTER_NS past (routerd silent, not
 * just late):
 *  - the neighbour entries routerd re-validates with NTF_USE
 *    (routerd/daemon/freshness.c): with nobody doing that, a STALE entry would
 *    keep its MAC forever. So each nexthop's first packet of every
 *    RD_NH_NOTE_INTERVAL_NS (per CPU) goes to the kernel, whose forwarding
 *    runs the STALE -> DELAY -> PROBE machine as without routerd; the
 *    kernel's own recovery times then hold, plus at most one interval;
 *  - rd_local4 and rd_iface.rp_filter, mirrored from netlink: an IPv4
 *    packet is forwarded only if the route back to its source is unicast
 *    and leaves through the ingress (strict reverse-path, from the FIB
 *    itself). A source that is the box's own address has a local route
 *    back, and fails. The kernel decides the others as it always does,
 *    whatever rp_filter says now: stricter than needed, never looser;
 *  - the netfilter verdict (routerd/netfilter/netfilter.c): with `netfilter auto`, a
 *    rule added while routerd is silent would go unseen, so every routed
 *    packet goes to the kernel (pass reason netfilter) until routerd is back.
 * Only a miss runs this (an unattended flow never hits), so the daemon
 * alive costs nothing here.
 */
#ifndef RD_BPF_UNATTENDED_H
#define RD_BPF_UNATTENDED_H

#include "cache.h"
#include "fib.h"
#include "freshness.h"

/* RD_PARSE_OK, or the pass reason for a packet the fast path must not
 * forward while routerd is silent. `route` holds the lookup's result. */
static __always_inline int rd_unattended_check(struct xdp_md *ctx, const struct rd_flow *flow,
					       const struct rd_route_cache_entry *route,
					       const struct rd_pkt *pkt, __u32 ingress,
					       __u8 rp_filter, __u64 now, const bool v4)
{
	if (flow->nf_hold & RD_NF_HOLD_SILENT)
		return RD_PASS_NETFILTER;
	/* strict mode already ran in rd_route_lookup() */
	if (v4 && rp_filter != 1 &&
	    !rd_rpf_ok(ctx, pkt->ip4->saddr, pkt->ip4->daddr, pkt->ip4->tos, ingress, 1))
		return RD_PASS_SOURCE_RECHECK;
	if (rd_note_nexthop(route->ifindex, route->nh_family, route->nh_addr, now))
		return RD_PASS_NEIGH_RECHECK;
	return RD_PARSE_OK;
}

#endif /* RD_BPF_UNATTENDED_H */
