/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The route cache in front of bpf_fib_lookup(); the rules that keep it
 * correct are in include/routerd/maps.h. After rd_fib_lookup_cached() the
 * params look exactly as after a successful bpf_fib_lookup() (egress,
 * MACs, MTU, and the nexthop written over family/dst), so everything
 * downstream is the same for a hit and a miss.
 */
#ifndef RD_BPF_CACHE_H
#define RD_BPF_CACHE_H

#include "maps.h"
#include "fib.h"
#include "stats.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RD_ROUTE_CACHE_SLOTS);
	__type(key, __u32);
	__type(value, struct rd_route_cache_entry);
} rd_route_cache SEC(".maps");

/* Mapped into routerd's memory: a generation bump is a store, not a
 * syscall, so route churn costs the daemon next to nothing. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rd_cache_ctl);
} rd_cache_ctl SEC(".maps");

/* Cheap and good enough for a cache: a collision only costs a lookup. The
 * destination is rotated so that A->B and B->A land apart. */
static __always_inline __u32 rd_route_key_slot(const __u32 *w)
{
	__u32 meta = w[0] ^ w[1] ^ w[2] ^ w[3];
	__u32 src = w[4] ^ w[5] ^ w[6] ^ w[7];
	__u32 dst = w[8] ^ w[9] ^ w[10] ^ w[11];

	return RD_FIB_HASH(meta ^ src ^ ((dst << 13) | (dst >> 19)), RD_ROUTE_CACHE_SLOT_BITS);
}

static __always_inline int rd_route_key_equal(const __u32 *a, const __u32 *b)
{
	__u32 diff = 0;

#pragma unroll
	for (int i = 0; i < RD_ROUTE_KEY_WORDS; i++)
		diff |= a[i] ^ b[i];
	return !diff;
}

static __always_inline void rd_fib_from_cache(struct bpf_fib_lookup *fib,
					      const struct rd_route_cache_entry *e)
{
	fib->ifindex = e->ifindex;
	fib->mtu_result = e->mtu;
	fib->family = e->nh_family;
	__builtin_memcpy(fib->ipv6_dst, e->nh_addr, sizeof(e->nh_addr));
	__builtin_memcpy(fib->smac, e->smac, ETH_ALEN);
	__builtin_memcpy(fib->dmac, e->dmac, ETH_ALEN);
}

static __always_inline void rd_cache_from_fib(struct rd_route_cache_entry *e,
					      const struct bpf_fib_lookup *fib)
{
	e->ifindex = fib->ifindex;
	e->mtu = fib->mtu_result;
	e->nh_family = fib->family;
	e->egress_plain = 0;
	__builtin_memcpy(e->nh_addr, fib->ipv6_dst, sizeof(e->nh_addr));
	__builtin_memcpy(e->smac, fib->smac, ETH_ALEN);
	__builtin_memcpy(e->dmac, fib->dmac, ETH_ALEN);
}

/*
 * A full lookup: the FIB, then reverse-path filtering when the ingress has
 * it (IPv4 only: the kernel has no rp_filter for IPv6). Only a lookup that
 * passes both is ever cached, so a hit needs neither again: the key holds
 * the source and the ingress, and an rp_filter change bumps the generation.
 */
static __always_inline long rd_fib_lookup_full(struct xdp_md *ctx, struct bpf_fib_lookup *fib,
					       __u16 l3_len, __u8 rp_filter)
{
	struct bpf_fib_lookup input;
	long rc;

	if (rp_filter && fib->family == AF_INET)
		input = *fib;
	fib->tot_len = l3_len;
	rc = bpf_fib_lookup(ctx, fib, sizeof(*fib), 0);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS && rp_filter && input.family == AF_INET &&
	    !rd_rpf_ok(ctx, &input, rp_filter))
		return RD_FIB_RPF_FAILED;
	return rc;
}

/*
 * `fib` holds the lookup input with tot_len 0 (it is not part of the key);
 * `l3_len` is the packet's IP length for the MTU check. Returns what
 * rd_fib_lookup_full() returned, or would have. *entry is the flow's cache
 * entry (NULL with the cache off), for the caller's per-flow bookkeeping.
 */
static __always_inline long rd_fib_lookup_cached(struct xdp_md *ctx,
						 struct bpf_fib_lookup *fib,
						 __u16 l3_len, __u64 now,
						 __u8 rp_filter, struct rd_stats *st,
						 struct rd_route_cache_entry **entry)
{
	const __u32 *key = (const __u32 *)fib;
	struct rd_route_cache_entry *e;
	struct rd_cache_ctl *ctl;
	__u32 zero = 0, slot;
	__u64 generation;
	long rc;

	*entry = NULL;
	ctl = bpf_map_lookup_elem(&rd_cache_ctl, &zero);
	if (!ctl || now >= ctl->valid_until_ns) /* off, or the daemon went silent */
		return rd_fib_lookup_full(ctx, fib, l3_len, rp_filter);
	generation = ctl->generation;
	slot = rd_route_key_slot(key);
	e = bpf_map_lookup_elem(&rd_route_cache, &slot);
	if (!e)
		return rd_fib_lookup_full(ctx, fib, l3_len, rp_filter);
	*entry = e;
	if (e->generation == generation && l3_len <= e->mtu &&
	    rd_route_key_equal(e->key, key)) {
		rd_fib_from_cache(fib, e);
		return BPF_FIB_LKUP_RET_SUCCESS;
	}

	/* Miss: the key must be saved before the helper overwrites it. The
	 * entry stays invalid unless the lookup succeeds. */
	rd_count_event(st, RD_EV_ROUTE_CACHE_MISS);
	e->generation = 0;
	__builtin_memcpy(e->key, key, sizeof(e->key));
	rc = rd_fib_lookup_full(ctx, fib, l3_len, rp_filter);
	if (rc == BPF_FIB_LKUP_RET_SUCCESS) {
		rd_cache_from_fib(e, fib);
		e->noted_ns = 0;
		e->generation = generation;
	}
	return rc;
}

#endif /* RD_BPF_CACHE_H */
