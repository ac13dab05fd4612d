/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Freshness: remember which nexthop a forwarded packet used, so the daemon
 * can make the kernel re-validate that neighbour entry (NTF_USE) as kernel
 * forwarding would have. Must be called right after a successful
 * bpf_fib_lookup(): the params then hold the egress ifindex and, in the dst
 * fields, the nexthop address (the gateway, or the destination itself on a
 * connected route; an IPv6 gateway for RFC 8950 routes).
 */
#ifndef RD_BPF_FRESHNESS_H
#define RD_BPF_FRESHNESS_H

#include "maps.h"

static __always_inline void rd_note_nexthop(const struct bpf_fib_lookup *fib, __u64 now)
{
	const __u32 *a = fib->ipv6_dst; /* ipv4_dst aliases a[0]; a[1..3] stay 0 */
	__u32 key = RD_FIB_HASH(a[0] ^ a[1] ^ a[2] ^ a[3] ^ fib->ifindex, RD_NH_SLOT_BITS);
	struct rd_nh_use *u;

	u = bpf_map_lookup_elem(&rd_nh_used, &key);
	if (!u)
		return;
	if (u->ifindex == fib->ifindex && u->family == fib->family &&
	    u->addr[0] == a[0] && u->addr[1] == a[1] && u->addr[2] == a[2] &&
	    u->addr[3] == a[3] && now - u->last_ns < RD_NH_NOTE_INTERVAL_NS)
		return;
	u->last_ns = now;
	u->ifindex = fib->ifindex;
	u->family = fib->family;
	u->addr[0] = a[0];
	u->addr[1] = a[1];
	u->addr[2] = a[2];
	u->addr[3] = a[3];
}

/* Per flow, the route cache entry rate-limits the notes: a hit costs one
 * compare in a cache line the lookup already touched. */
static __always_inline void rd_note_flow_nexthop(const struct bpf_fib_lookup *fib,
						 struct rd_route_cache_entry *e, __u64 now)
{
	if (e) {
		if (now - e->noted_ns < RD_NH_NOTE_INTERVAL_NS)
			return;
		e->noted_ns = now;
	}
	rd_note_nexthop(fib, now);
}

#endif /* RD_BPF_FRESHNESS_H */
