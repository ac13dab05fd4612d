/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Counters shared by the XDP program and user space.
 *
 * Every packet the XDP program sees ends in exactly one verdict: forwarded
 * (v4 or v6), bridged, passed to the kernel with one reason, or dropped with
 * one reason.  The program therefore counts only verdicts and events;
 * rx_packets, passed and dropped are sums user space derives, which keeps the
 * hot path at one increment per packet and makes "counters add up" true by
 * construction.
 *
 * The lists are X-macros so the enum and the JSON key can never drift apart.
 * Add a reason at the end of its list: user space reads the maps by index.
 */
#ifndef ROUTERD_COUNTERS_H
#define ROUTERD_COUNTERS_H

/* X(ENUM_SUFFIX, "json_key") */
#define RD_EVENTS(X)                                                        \
	X(FORWARDED_IPV4, "forwarded_ipv4")                                 \
	X(FORWARDED_IPV6, "forwarded_ipv6")                                 \
	X(BRIDGED, "bridged")                                               \
	X(FIXUP_IPV4_IN_IPV6, "fixup_ipv4_in_ipv6")                         \
	X(FIXUP_IPV6_IN_IPV4, "fixup_ipv6_in_ipv4")                         \
	X(FIXUP_MSS_CLAMP, "fixup_mss_clamp")                               \
	X(ROUTE_CACHE_MISS, "route_cache_miss") /* full bpf_fib_lookup() */ \
	X(CT_OFFLOADED, "ct_offloaded") /* forwarded from a conntrack entry */

#define RD_PASS_REASONS(X)                                                  \
	X(TTL, "ttl")                     /* TTL/hop limit <= 1 */          \
	X(NO_NEIGH, "no_neigh")           /* nexthop not resolved */        \
	X(LOCAL, "local")                 /* for the box, or no route */    \
	X(FRAG_NEEDED, "frag_needed")     /* larger than egress MTU */      \
	X(MALFORMED, "malformed")         /* kernel counts and drops it */  \
	X(ARP, "arp")                                                       \
	X(ND, "nd")                       /* ICMPv6 ND/RA/redirect/MLD */   \
	X(NOT_IP, "not_ip")               /* other ethertypes */            \
	X(VLAN, "vlan")                   /* 802.1Q/802.1ad tagged */       \
	X(LINK_LOCAL, "link_local")       /* IPv6 fe80::/10 src or dst */   \
	X(MULTICAST, "multicast")         /* L2 or L3 multicast/broadcast */\
	X(OTHER_HOST, "other_host")       /* not our MAC: kernel drops */   \
	X(MARTIAN, "martian")             /* impossible addresses */        \
	X(IP_OPTIONS, "ip_options")       /* IPv4 options need the kernel */\
	X(HOP_BY_HOP, "hop_by_hop")       /* IPv6 hop-by-hop header */      \
	X(UNREACHABLE, "unreachable")     /* kernel sends ICMP error */     \
	X(PROHIBIT, "prohibit")           /* kernel sends ICMP error */     \
	X(FWD_DISABLED, "forwarding_disabled")                              \
	X(UNSUPPORTED_ROUTE, "unsupported_route") /* lwt, no src addr */    \
	X(UNMANAGED_EGRESS, "unmanaged_egress") /* egress not attached */   \
	X(HAIRPIN, "hairpin")             /* kernel may send ICMP redirect */\
	X(UNCONFIGURED, "unconfigured")   /* ingress not (yet) configured */\
	X(FIXUP_REJECTED, "fixup_rejected") /* repair candidate not valid */\
	X(BRIDGE_CONTROL, "bridge_control") /* 01:80:c2:00:00:0X: STP, LACP */\
	X(FDB_MISS, "fdb_miss")           /* unknown unicast: kernel floods */\
	X(FDB_LEARN, "fdb_learn")         /* source MAC new/moved: learns */\
	X(BRIDGE_LOCAL, "bridge_local")   /* to the bridge's own MAC */      \
	X(PORT_STATE, "port_state")       /* bridge port not forwarding */  \
	X(ISOLATED, "isolated")           /* isolated port to isolated */   \
	X(BRIDGE_STALE, "bridge_stale")   /* no live FDB mirror (routerd) */\
	X(NETFILTER, "netfilter")         /* the ruleset could act on it */\
	X(TC, "tc")                       /* tc qdisc/filters hold the port */\
	X(NEIGH_RECHECK, "neigh_recheck") /* routerd silent: kernel re-checks nexthop */\
	X(SOURCE_RECHECK, "source_recheck") /* routerd silent: source not proven */\
	X(TRAILER, "trailer")             /* bytes after the packet not trimmed */\
	X(SPLIT_HEADERS, "split_headers") /* header past a jumbo frame's first buffer */\
	X(FRAGS_EGRESS, "frags_egress")   /* egress cannot send multi-buffer */\
	X(CT_NO_ENTRY, "ct_no_entry")     /* offload: no confirmed live conntrack entry */\
	X(CT_NOT_ADMITTED, "ct_not_admitted") /* offload: not accepted under this ruleset */\
	X(CT_NOT_ESTABLISHED, "ct_not_established") /* offload: TCP not ESTABLISHED, UDP no reply */\
	X(CT_HELPER, "ct_helper")         /* offload: helper, expectation or seq adjust */\
	X(CT_TCP_FLAGS, "ct_tcp_flags")   /* offload: SYN, FIN or RST */   \
	X(CT_NOT_LIBERAL, "ct_not_liberal") /* offload: window tracking not liberal yet */\
	X(CT_FRAGMENT, "ct_fragment")     /* offload: IPv4 fragment */

#define RD_DROP_REASONS(X)                                                  \
	X(BLACKHOLE, "blackhole")                                           \
	X(VLAN_INGRESS, "vlan_ingress")   /* VLAN not allowed on ingress */ \
	X(VLAN_EGRESS, "vlan_egress")     /* egress port not in the VLAN */ \
	X(VLAN_REWRITE, "vlan_rewrite")   /* tag push/pop failed late */

/* Bytes per verdict, each frame at the length it was received with (L2
 * header on, FCS off, as the kernel's rx_bytes counts it). rx_bytes is
 * their sum, as rx_packets is the sum of the verdicts. The verdicts add
 * them (bpf/lib/stats.h), so a new pass or drop reason needs nothing here. */
#define RD_BYTE_COUNTERS(X)                                                 \
	X(FORWARDED, "forwarded_bytes")   /* forwarded_ipv4 + _ipv6 */      \
	X(BRIDGED, "bridged_bytes")                                         \
	X(PASSED, "passed_bytes")                                           \
	X(DROPPED, "dropped_bytes")

#define RD_ENUM_EVENT(name, key) RD_EV_##name,
#define RD_ENUM_PASS(name, key) RD_PASS_##name,
#define RD_ENUM_DROP(name, key) RD_DROP_##name,
#define RD_ENUM_BYTES(name, key) RD_BYTES_##name,

enum rd_event { RD_EVENTS(RD_ENUM_EVENT) RD_EV__MAX };
enum rd_pass_reason { RD_PASS_REASONS(RD_ENUM_PASS) RD_PASS__MAX };
enum rd_drop_reason { RD_DROP_REASONS(RD_ENUM_DROP) RD_DROP__MAX };
enum rd_bytes { RD_BYTE_COUNTERS(RD_ENUM_BYTES) RD_BYTES__MAX };

/* The fast path's clock memo (bpf/lib/clock.h); not a counter. */
struct rd_clock {
	__u64 jiffies; /* when the memo was taken */
	__u64 now_ns;  /* bpf_ktime_get_coarse_ns() then; 0: never taken */
};

/* Value of the per-CPU stats array, one slot per managed interface. It
 * also carries the clock memo and the length of the frame in flight: any
 * per-CPU slot would do, and this is the one the program already holds,
 * which saves a map lookup per packet (and keeps the verdict helpers'
 * signatures: they find the length here). Readers sum the four counter
 * arrays and ignore the rest. */
struct rd_stats {
	__u64 events[RD_EV__MAX];
	__u64 pass[RD_PASS__MAX];
	__u64 drop[RD_DROP__MAX];
	__u64 bytes[RD_BYTES__MAX];
	struct rd_clock clock;
	__u64 frame_len; /* scratch: the frame this CPU is deciding on */
};

/* For readers that see a slot as words: RD_COUNTERS packet counters, flat
 * and first (each verdict moves exactly one of them), then the
 * RD_BYTES__MAX byte counters, in a value of RD_STATS_WORDS words per CPU. */
#define RD_COUNTERS (RD_EV__MAX + RD_PASS__MAX + RD_DROP__MAX)
#define RD_STATS_WORDS (sizeof(struct rd_stats) / sizeof(__u64))
_Static_assert(__builtin_offsetof(struct rd_stats, bytes) == RD_COUNTERS * sizeof(__u64),
	       "rd_stats starts with its packet counters, flat, then the bytes");

#endif /* ROUTERD_COUNTERS_H */
