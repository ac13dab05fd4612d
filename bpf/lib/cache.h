/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The route cache in front of bpf_fib_lookup(); the rules that keep it
 * correct are in include/routerd/maps.h.
 *
 * A packet's flow maps to one entry of its CPU's part of the table.
 * rd_route_probe() says whether that entry answers for the packet (a hit);
 * on a miss, rd_route_lookup() runs the full lookup and writes its result
 * into the entry, which becomes valid only if the lookup succeeded and the
 * cache is on (with the cache off the slot is scratch space, never valid).
 * Either way the rest of the walk reads the result from the entry, so
 * everything downstream is the same code for a hit and a miss, and a hit
 * copies nothing.
 *
 * A hit skips the checks that run before the lookup on a miss (the
 * martian and link-local address classes, the rd_local4 martian source,
 * reverse-path filtering): an entry is only filled by a packet that passed
 * them, its key holds everything they read from the packet (source,
 * destination, ingress), and whatever else they read bumps the generation
 * when it changes (rd_local4 writes, rp_filter via netconf).
 */
#ifndef RD_BPF_CACHE_H
#define RD_BPF_CACHE_H

#include "maps.h"
#include "fib.h"
#include "stats.h"
#include "clock.h"

/* Each CPU owns RD_ROUTE_CACHE_SLOTS consecutive entries, from
 * cpu << RD_ROUTE_CACHE_SLOT_BITS. A plain array rather than a per-CPU one:
 * its entries are contiguous and line-aligned, and a lookup is an index
 * instead of a pointer to follow. It is declared for one CPU; whoever
 * loads the program sizes it for all of them first (rd_dp_size_maps()),
 * and a CPU beyond its end finds no entry and leaves the packet to the
 * kernel. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
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

struct rd_flow {
	struct rd_route_cache_entry *e; /* the flow's slot */
	__u64 generation;               /* the cache's; 0: cache off, or no heartbeat */
	__u64 until;                    /* routerd's heartbeat: its deadline */
	__u32 key[RD_ROUTE_KEY_WORDS];  /* IPv4: the first RD_ROUTE_KEY4_WORDS */
	const struct rd_cache_ctl *ctl; /* NULL: no record (cannot happen) */
	__u32 nf_hold;                  /* rd_cache_ctl.netfilter: RD_NF_HOLD_* */
	bool hit;
};

/* The key layout is in include/routerd/maps.h. */
static __always_inline void rd_route_key(__u32 *k, const struct rd_pkt *pkt, __u32 ingress,
					 const bool v4)
{
	k[1] = pkt->sport | (__u32)pkt->dport << 16;
	k[2] = ingress;
	if (v4) {
		const struct iphdr *ip = pkt->ip4;

		k[0] = AF_INET | (__u32)pkt->l4_proto << 8 | (__u32)ip->tos << 16;
		k[3] = ip->saddr;
		k[4] = ip->daddr;
	} else {
		const struct ipv6hdr *ip6 = pkt->ip6;

		k[0] = AF_INET6 | (__u32)pkt->l4_proto << 8;
		k[3] = *(const __be32 *)ip6 & IPV6_FLOWINFO_MASK;
		__builtin_memcpy(&k[4], &ip6->saddr, 16);
		__builtin_memcpy(&k[8], &ip6->daddr, 16);
	}
}

/* Cheap and good enough for a cache: a collision only costs a lookup. The
 * destination is rotated so that A->B and B->A land apart. */
static __always_inline __u32 rd_route_key_slot(const __u32 *k, const bool v4)
{
	__u32 meta = k[0] ^ k[1] ^ k[2] ^ k[3], src, dst;

	if (v4) {
		src = 0;
		dst = k[4];
	} else {
		src = k[4] ^ k[5] ^ k[6] ^ k[7];
		dst = k[8] ^ k[9] ^ k[10] ^ k[11];
	}
	return RD_FIB_HASH(meta ^ src ^ ((dst << 13) | (dst >> 19)), RD_ROUTE_CACHE_SLOT_BITS);
}

/* Spelled out: a loop, even unrolled, keeps the key on the stack. */
static __always_inline int rd_route_key_equal(const __u32 *a, const __u32 *b, const bool v4)
{
	__u32 diff = (a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3]) |
		     (a[4] ^ b[4]);

	if (!v4)
		diff |= (a[5] ^ b[5]) | (a[6] ^ b[6]) | (a[7] ^ b[7]) | (a[8] ^ b[8]) |
			(a[9] ^ b[9]) | (a[10] ^ b[10]) | (a[11] ^ b[11]);
	return !diff;
}

/*
 * The flow's view of rd_cache_ctl, first thing for a routed packet: the
 * generation (0 when the cache is off or routerd's heartbeat lapsed), the
 * heartbeat itself, and the netfilter word, all from one cache line. `now`
 * is rd_now_ns() (lib/clock.h), which may lag by RD_CLOCK_SLACK_NS.
 */
static __always_inline void rd_flow_begin(struct rd_flow *f, __u64 now)
{
	struct rd_cache_ctl *ctl;
	__u32 zero = 0;
	__u64 until;

	ctl = bpf_map_lookup_elem(&rd_cache_ctl, &zero);
	f->ctl = ctl;
	/* Past the heartbeat, no cache (and later, the rules of
	 * lib/unattended.h: rd_flow_attended()). */
	until = ctl ? ctl->valid_until_ns : 0;
	f->until = until;
	f->generation = ctl && now + RD_CLOCK_SLACK_NS < until ? ctl->generation : 0;
	/* read with the generation, from the same line: free when idle */
	f->nf_hold = ctl ? ctl->netfilter : RD_NF_HOLD_ALL;
}

/*
 * Finds the packet's flow (after rd_flow_begin()). Returns its entry (NULL
 * only if the cache was not sized for this CPU) and sets f->hit if the
 * entry holds a valid result for exactly this key, in this generation, for
 * a packet this long.
 */
static __always_inline struct rd_route_cache_entry *
rd_route_probe(struct rd_flow *f, const struct rd_pkt *pkt, __u32 ingress, const bool v4)
{
	struct rd_route_cache_entry *e;
	__u32 slot;

	rd_route_key(f->key, pkt, ingress, v4);
	slot = bpf_get_smp_processor_id() << RD_ROUTE_CACHE_SLOT_BITS |
	       rd_route_key_slot(f->key, v4);
	e = bpf_map_lookup_elem(&rd_route_cache, &slot);
	f->e = e;
	/* generation 0 marks an invalid entry, and the cache being off */
	f->hit = e && f->generation && e->generation == f->generation &&
		 pkt->l3_len <= e->mtu && rd_route_key_equal(e->key, f->key, v4);
	return e;
}

/* routerd's heartbeat is at most RD_SILENT_AFTER_NS past: late perhaps,
 * not silent. Asked on a miss only (a hit implies it). `now` is time since
 * boot, far above RD_SILENT_AFTER_NS. */
static __always_inline bool rd_flow_attended(const struct rd_flow *f, __u64 now)
{
	return now + RD_CLOCK_SLACK_NS - RD_SILENT_AFTER_NS < f->until;
}

/*
 * The full lookup for a miss: the FIB, then reverse-path filtering when the
 * ingress has it (IPv4 only: the kernel has no rp_filter for IPv6). The
 * result goes into the flow's entry, which is valid from then on only if
 * both passed and the cache is on. Returns the bpf_fib_lookup() code, or
 * RD_FIB_RPF_FAILED.
 */
static __always_inline long rd_route_lookup(struct xdp_md *ctx, struct rd_flow *f,
					    const struct rd_pkt *pkt, __u32 ingress,
					    __u8 rp_filter, struct rd_stats *st, const bool v4)
{
	struct rd_route_cache_entry *e = f->e;
	struct bpf_fib_lookup fib;
	long rc;

	if (f->generation)
		rd_count_event(st, RD_EV_ROUTE_CACHE_MISS);
	e->generation = 0;
	if (v4)
		rd_fib_params_ipv4(&fib, pkt, ingress);
	else
		rd_fib_params_ipv6(&fib, pkt, ingress);
	fib.tot_len = pkt->l3_len;
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return rc;
	if (v4 && rp_filter &&
	    !rd_rpf_ok(ctx, pkt->ip4->saddr, pkt->ip4->daddr, pkt->ip4->tos, ingress, rp_filter))
		return RD_FIB_RPF_FAILED;

	e->ifindex = fib.ifindex;
	e->mtu = fib.mtu_result;
	e->nh_family = fib.family;
	e->egress_plain = 0;
	__builtin_memcpy(e->dmac, fib.dmac, ETH_ALEN);
	__builtin_memcpy(e->smac, fib.smac, ETH_ALEN);
	__builtin_memcpy(e->nh_addr, fib.ipv6_dst, sizeof(e->nh_addr));
	e->noted_ns = 0;
	__builtin_memcpy(e->key, f->key,
			 (v4 ? RD_ROUTE_KEY4_WORDS : RD_ROUTE_KEY_WORDS) * sizeof(__u32));
	e->generation = f->generation;
	return BPF_FIB_LKUP_RET_SUCCESS;
}

#endif /* RD_BPF_CACHE_H */
