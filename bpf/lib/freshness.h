/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Freshness: remember which nexthop a forwarded packet used, so the daemon
 * can make the kernel re-validate that neighbour entry (NTF_USE) as kernel
 * forwarding would have. The nexthop is what a successful bpf_fib_lookup()
 * left in its dst fields (the gateway, or the destination itself on a
 * connected route; an IPv6 gateway for RFC 8950 routes), as kept in the
 * flow's route cache entry (lib/cache.h).
 */
#ifndef RD_BPF_FRESHNESS_H
#define RD_BPF_FRESHNESS_H

#include "maps.h"

/* Notes the nexthop unless this CPU noted it within the last
 * RD_NH_NOTE_INTERVAL_NS. Returns 1 when it wrote a note: the nexthop's
 * first packet of an interval on this CPU. */
static __always_inline int rd_note_nexthop(__u32 ifindex, __u32 family, const __u32 *a,
					   __u64 now)
{
	__u32 key = RD_FIB_HASH(a[0] ^ a[1] ^ a[2] ^ a[3] ^ ifindex, RD_NH_SLOT_BITS);
	struct rd_nh_use *u;

	u = bpf_map_lookup_elem(&rd_nh_used, &key);
	if (!u)
		return 0;
	if (u->ifindex == ifindex && u->family == family &&
	    u->addr[0] == a[0] && u->addr[1] == a[1] && u->addr[2] == a[2] &&
	    u->addr[3] == a[3] && now - u->last_ns < RD_NH_NOTE_INTERVAL_NS)
		return 0;
	u->last_ns = now;
	u->ifindex = ifindex;
	u->family = family;
	u->addr[0] = a[0];
	u->addr[1] = a[1];
	u->addr[2] = a[2];
	u->addr[3] = a[3];
	return 1;
}

/* Per flow, the route cache entry rate-limits the notes: a hit costs one
 * compare in an entry the lookup already touched. An uncached lookup
 * leaves noted_ns 0, so it notes every time (rd_nh_used rate-limits). */
static __always_inline void rd_note_flow_nexthop(struct rd_route_cache_entry *e, __u64 now)
{
	if (now - e->noted_ns < RD_NH_NOTE_INTERVAL_NS)
		return;
	e->noted_ns = now;
	rd_note_nexthop(e->ifindex, e->nh_family, e->nh_addr, now);
}

#endif /* RD_BPF_FRESHNESS_H */
