/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Map keys, values and limits shared by the XDP program and user space.
 *
 * The daemon owns the contents of every map; the XDP program only reads
 * them, except for the per-CPU stats it increments.
 */
#ifndef ROUTERD_MAPS_H
#define ROUTERD_MAPS_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#include "counters.h"

/* Interfaces one routerd instance can manage (devmap and stats size): a VM
 * host with a few thousand VM ports. rd_stats costs sizeof(struct rd_stats)
 * per slot and possible CPU (~1.4 MB per CPU). */
#define RD_MAX_IFACES 4096

/* Stats slot 0 collects packets from an interface the program runs on but
 * the daemon has not (yet) described in rd_ifaces. */
#define RD_SLOT_UNCONFIGURED 0

/* rd_iface.fixups bits: per ingress interface protocol repairs
 * (docs/fixups.md). */
#define RD_FIXUP_IPV4_IN_IPV6 (1u << 0)
#define RD_FIXUP_IPV6_IN_IPV4 (1u << 1)
#define RD_FIXUP_MSS_CLAMP (1u << 2)
#define RD_FIXUP_ETHERTYPE (RD_FIXUP_IPV4_IN_IPV6 | RD_FIXUP_IPV6_IN_IPV4)

/* rd_iface.tc bits (routerd/daemon/tc.c, docs/xdp-bypass.md): tc ingress
 * filters see every frame received here, so the kernel gets them all; a
 * shaping qdisc or tc egress filters must see what leaves here, so the port
 * is also out of rd_tx and a redirect to it fails over to the kernel. */
#define RD_TC_HOLD_INGRESS (1u << 0)
#define RD_TC_HOLD_EGRESS (1u << 1)

/* rd_iface.mss_clamp: clamp to the egress MTU minus the headers */
#define RD_MSS_CLAMP_AUTO 0xffff

/*
 * rd_ifaces: ifindex -> how the fast path treats frames received there. An
 * array indexed by ifindex below RD_IFACE_ARRAY_SLOTS (a lookup is a bounds
 * check and an add, where a hash costs a jhash and a bucket walk on every
 * packet), and rd_ifaces_hi, a hash, for larger ifindexes (they only grow
 * in a namespace that saw many links). An array entry whose slot is
 * RD_SLOT_UNCONFIGURED is absent; the program reads both through
 * rd_iface_get() (bpf/lib/maps.h).
 *
 * An array entry is rewritten in place, so a packet could see a mix of old
 * and new fields, which the hash's atomic replacement never showed. routerd
 * therefore never rewrites a live entry directly (routerd/daemon/datapath.c):
 * it first closes its gates (slot RD_SLOT_UNCONFIGURED: not an ingress;
 * br_flags 0: not a forwarding bridge port) with the old contents, waits for
 * every running program to finish, writes the new contents with the gates
 * still closed, waits again, and only then opens the gates.
 */
#define RD_IFACE_ARRAY_SLOTS 8192

struct rd_iface {
	__u32 slot;       /* index into rd_stats, never RD_SLOT_UNCONFIGURED */
	__u16 fixups;     /* RD_FIXUP_* bits */
	__u8 rp_filter;   /* effective net.ipv4.conf rp_filter: 0 off,
			   * 1 strict, 2 loose (see bpf/lib/fib.h) */
	__u8 tc;          /* RD_TC_HOLD_*: traffic control keeps this
			   * interface's traffic (routerd/daemon/tc.c) */
	__u8 mac[6];      /* the interface's own address: frames to another
			   * unicast MAC are not ours to route */
	__u16 mss_clamp;  /* with RD_FIXUP_MSS_CLAMP: MSS or RD_MSS_CLAMP_AUTO */
	/* Bridge port (include/routerd/bridge.h, written by routerd/bridge/topology.c):
	 * frames received here are bridged in XDP when bridge_ifindex is set. */
	__u32 bridge_ifindex; /* the master bridge; 0: not a bridge port */
	__u16 br_flags;       /* RD_BRPORT_* */
	__u16 pvid;           /* VLAN-filtering bridge: untagged ingress VID, 0 none */
};

/*
 * rd_nh_used: which nexthops the fast path forwarded to, so the daemon can
 * keep exactly those kernel neighbour entries fresh (XDP traffic never
 * touches the neighbour table). A per-CPU array indexed by a hash of the
 * nexthop; a slot is rewritten at most once per RD_NH_NOTE_INTERVAL_NS for
 * the same nexthop, so the steady-state cost is a compare. Colliding
 * nexthops take turns in a slot, which the daemon's polling tolerates.
 */
#define RD_NH_SLOT_BITS 10
#define RD_NH_SLOTS (1u << RD_NH_SLOT_BITS)
#define RD_NH_NOTE_INTERVAL_NS 500000000ull

struct rd_nh_use {
	__u64 last_ns;   /* bpf_ktime_get_coarse_ns() = CLOCK_MONOTONIC_COARSE */
	__u32 ifindex;   /* egress */
	__u32 family;    /* AF_INET or AF_INET6 (the nexthop's, see RFC 8950) */
	__u32 addr[4];   /* nexthop address; IPv4 in addr[0], rest zero */
};

/*
 * rd_local4: the box's own IPv4 addresses and their broadcast addresses.
 * The kernel drops a packet whose source is one of them (a martian source);
 * bpf_fib_lookup() only looks at the destination, so the fast path checks
 * the source here. A direct-mapped array with linear probing: an array
 * lookup is inlined by the verifier, so a miss (the common case) costs one
 * load. Value 0 marks an empty slot (0.0.0.0 is never a local address).
 */
#define RD_LOCAL4_SLOT_BITS 10
#define RD_LOCAL4_SLOTS (1u << RD_LOCAL4_SLOT_BITS)
#define RD_LOCAL4_PROBES 4

/* Fibonacci hashing: the top bits of the product depend on every input
 * bit. (The middle bits do not: on a little-endian CPU an address's last
 * octet sits in the top byte and would barely move the slot.) */
#define RD_FIB_HASH(x, bits) (((__u32)(x) * 0x9E3779B1u) >> (32 - (bits)))

static inline __u32 rd_local4_slot(__u32 addr, __u32 probe)
{
	return (RD_FIB_HASH(addr, RD_LOCAL4_SLOT_BITS) + probe) & (RD_LOCAL4_SLOTS - 1);
}

/*
 * The route cache: per CPU, the result of bpf_fib_lookup() for recent flows,
 * so a packet of a known flow skips the FIB walk. Correctness first:
 *  - the key is the lookup's whole input (family, L4 protocol and ports,
 *    FIB ingress ifindex, TOS/flow label, source, destination), so ECMP
 *    hashing and policy rules see exactly what a lookup would. Layout
 *    (bpf/lib/cache.h): word 0 family | l4_proto << 8 | tos << 16, word 1
 *    the L4 ports as in the packet, word 2 the ingress; IPv4: word 3 source,
 *    word 4 destination (an IPv4 key is those 5 words; the rest of an IPv4
 *    entry's key is never read); IPv6: word 3 flow label, words 4-7 source,
 *    8-11 destination. The family in word 0 keeps the two apart;
 *  - an entry is valid only for the generation it was filled in; the daemon
 *    bumps rd_cache_ctl.generation on every route, nexthop, rule, link,
 *    address, neighbour and netconf change, after every change to rd_local4
 *    and on any netlink overrun;
 *  - an entry is filled only after the packet passed every check before the
 *    lookup that depends on its key (martian and link-local addresses,
 *    rd_local4) and reverse-path filtering; a hit skips those checks, which
 *    is why rd_local4 changes bump the generation;
 *  - the daemon keeps pushing rd_cache_ctl.valid_until_ns forward (its
 *    heartbeat, routerd/daemon/cachectl.c); if it stops (killed, SIGSTOP), the
 *    cache switches itself off and every packet takes the full lookup
 *    again, under the rules for a silent daemon (bpf/lib/unattended.h);
 *  - a packet longer than the cached MTU always takes the full lookup, so
 *    the kernel still sends frag-needed / packet-too-big.
 */
#define RD_ROUTE_CACHE_SLOT_BITS 12
#define RD_ROUTE_CACHE_SLOTS (1u << RD_ROUTE_CACHE_SLOT_BITS) /* per CPU */
#define RD_ROUTE_KEY_WORDS 12
#define RD_ROUTE_KEY4_WORDS 5

/*
 * Laid out for a hit, which reads the generation, the result and the key:
 * for IPv4 all within the first 64 bytes, for IPv6 within the first two
 * cache lines. Padded to 128 bytes so that in the array (bpf/lib/cache.h,
 * page-aligned, entries back to back) every entry starts a cache line.
 */
struct rd_route_cache_entry {
	__u64 generation;  /* 0: empty, or scratch for an uncached lookup */
	__u64 noted_ns;    /* last freshness note for this flow's nexthop */
	/* the lookup's result */
	__u32 ifindex;     /* egress */
	__u16 mtu;
	__u8 nh_family;    /* the nexthop, for freshness */
	__u8 egress_plain; /* the egress is known not to be a bridge */
	__u8 dmac[6];      /* as in the Ethernet header: destination, source */
	__u8 smac[6];
	__u32 key[RD_ROUTE_KEY_WORDS];
	__u32 nh_addr[4];
	__u8 pad[28];
};

_Static_assert(sizeof(struct rd_route_cache_entry) == 128, "a route cache entry is 2 lines");

struct rd_cache_ctl {
	__u64 generation;     /* 0: cache off; never 0 while it is on */
	__u64 valid_until_ns; /* CLOCK_MONOTONIC_COARSE: routerd's heartbeat;
			       * 0: routerd stopped */
	__u32 netfilter;      /* RD_NF_HOLD_* | RD_NF_OFFLOAD_* (routerd/netfilter/netfilter.h) */
	/* Conntrack offload (include/routerd/conntrack.h), read only when an
	 * RD_NF_OFFLOAD_* bit is set: */
	__u32 ct_generation;     /* the ruleset's generation: bumped by routerd on
				  * every ruleset change; 0 admits nothing */
	__u32 ct_tcp_timeout_s;  /* nf_conntrack_tcp_timeout_established; 0: default */
	__u32 ct_udp_timeout_s;  /* nf_conntrack_udp_timeout_stream; 0: default */
};

/* Past valid_until_ns the route cache is off at once; only this much later
 * does the fast path call routerd silent and apply bpf/lib/unattended.h. A
 * routerd that is merely late (a loaded box, a long netlink dump) costs
 * the cache, not packets handed to the kernel. */
#define RD_SILENT_AFTER_NS 750000000ull

/* rd_cache_ctl.netfilter: traffic the netfilter ruleset could drop, rewrite
 * or mark goes to the kernel (pass reason netfilter) instead of being
 * forwarded in XDP, which would skip every netfilter hook. Here, because
 * the routing path reads this record for every packet anyway; the bridging
 * path reads rd_bridge_ctl.netfilter (include/routerd/bridge.h). Hold bits,
 * so a record with no opinion (0) changes nothing: routerd sets them before
 * it attaches. */
#define RD_NF_HOLD_IPV4 (1u << 0)   /* routed IPv4 */
#define RD_NF_HOLD_IPV6 (1u << 1)   /* routed IPv6 */
#define RD_NF_HOLD_BRIDGE (1u << 2) /* bridged, and routed into or out of a bridge */
#define RD_NF_HOLD_ALL (RD_NF_HOLD_IPV4 | RD_NF_HOLD_IPV6 | RD_NF_HOLD_BRIDGE)
/* netfilter auto: once routerd is silent (bpf/lib/unattended.h), hold every
 * routed packet, since nobody would see a rule added meanwhile. Not a hold
 * while routerd runs: the routing walk masks it off (RD_NF_HOLD_ALL). */
#define RD_NF_HOLD_SILENT (1u << 3)
/* netfilter offload (include/routerd/conntrack.h): with its family's hold
 * bit, the established TCP/UDP flows the kernel admitted are forwarded in
 * XDP, NAT included; alone (without the hold bit) it means nothing. */
#define RD_NF_OFFLOAD_IPV4 (1u << 4)
#define RD_NF_OFFLOAD_IPV6 (1u << 5)
#define RD_NF_OFFLOAD_ALL (RD_NF_OFFLOAD_IPV4 | RD_NF_OFFLOAD_IPV6)

#endif /* ROUTERD_MAPS_H */
