/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Conntrack offload (`netfilter offload`, issue 18): the ABI between the
 * BPF side (bpf/lib/conntrack.h, bpf/lib/nat.h, the programs in
 * bpf/routerd.bpf.c) and the daemon.
 *
 * THE DESIGN
 *
 * A family held for the kernel (RD_NF_HOLD_IPV4/IPV6 in rd_cache_ctl.
 * netfilter, include/routerd/maps.h) whose offload bit is also set
 * (RD_NF_OFFLOAD_IPV4/IPV6, same word) still sends every packet to the
 * kernel, except the packets of flows the kernel itself has accepted and
 * conntrack calls established. Those the XDP program forwards, NAT
 * included, from the conntrack entry:
 *
 *  1. Admission (program routerd_nf_admit, SEC("netfilter")). The daemon
 *     attaches it with bpf_link_create(BPF_NETFILTER) on NF_INET_FORWARD
 *     of NFPROTO_IPV4 and NFPROTO_IPV6 at the last priority
 *     (RD_CT_ADMIT_PRIORITY), so it sees exactly the packets the ruleset
 *     accepted. Loading: the program is in SEC("?netfilter"), not loaded
 *     by default (libbpf 1.1 does not know the section); routerd sets
 *     bpf_program__set_type(BPF_PROG_TYPE_NETFILTER = 32),
 *     set_expected_attach_type(BPF_NETFILTER = 45) and set_autoload(true)
 *     before loading, and fills bpf_attr.link_create itself (prog_fd,
 *     attach_type, then netfilter.{pf, hooknum, priority, flags} at byte
 *     16; the 6.1 uapi headers lack them): tests/packet/test_ct_admit.c
 *     does exactly that. For a TCP or UDP packet with a conntrack entry
 *     (skb->_nfct), it records in rd_ct_admit, keyed by the entry's
 *     ORIGINAL-direction tuple (struct rd_ct_key), the current ruleset
 *     generation (rd_cache_ctl.ct_generation) and the direction the packet
 *     went (RD_CT_DIR_*). It always returns NF_ACCEPT.
 *  2. The ruleset generation. The daemon bumps rd_cache_ctl.ct_generation
 *     on every ruleset change (nftables NEWGEN, an iptables-legacy change
 *     seen by polling). An admission of an older generation does not count:
 *     the flow's next packet in each direction goes through the kernel,
 *     which applies the new ruleset to it, and only if the ruleset accepts
 *     it does the flow get admitted again. A drop rule inserted mid-flow
 *     therefore stops the flow one packet after the bump. Never 0 while
 *     offloading (0 admits nothing: the XDP side never matches it).
 *  3. The fast path (bpf/lib/conntrack.h). For a TCP/UDP packet of an
 *     offloaded family (IPv4 without options and not a fragment; IPv6 with
 *     the L4 header right after the fixed header): bpf_xdp_ct_lookup() in
 *     the packet's netns (zone 0), then an entry must be CONFIRMED, not
 *     DYING, without SEQ_ADJUST, without a helper (no help extension, no
 *     master: ct->ext->offset[NF_CT_EXT_HELPER] == 0 and ct->master NULL);
 *     TCP: state ESTABLISHED, no SYN/FIN/RST in the packet, and
 *     IP_CT_TCP_FLAG_BE_LIBERAL set on BOTH directions
 *     (ct->proto.tcp.seen[0/1].flags); UDP: IPS_SEEN_REPLY; and
 *     rd_ct_admit[original tuple] of the current generation with the
 *     packet's direction. Otherwise XDP_PASS with a counted reason
 *     (RD_PASS_CT_*, include/routerd/counters.h). Then the NAT (new
 *     source = the other direction's tuple's destination, new destination
 *     = its source, ports likewise), incremental IPv4/TCP/UDP checksums
 *     (a zero UDP checksum over IPv4 stays zero), the route looked up on
 *     the packet's source and the TRANSLATED destination (what the kernel
 *     routes on: DNAT happens in prerouting, SNAT in postrouting), TTL,
 *     MACs, redirect, as a plain routed packet. A frame that does not fit
 *     the egress MTU goes to the kernel (frag-needed, as without routerd).
 *  4. BE_LIBERAL. BPF may only write ct->mark, so the daemon marks TCP
 *     window tracking liberal on both directions (ctnetlink
 *     IPCTNL_MSG_CT_NEW with CTA_PROTOINFO_TCP_FLAGS_ORIGINAL/_REPLY =
 *     {IP_CT_TCP_FLAG_BE_LIBERAL, mask the same}) of every admitted TCP
 *     flow, as the kernel's flowtable does: conntrack does not see the
 *     segments XDP carries, and without it the FIN (through the kernel)
 *     would look out of window and be invalid. Until then the flow stays
 *     in the kernel (pass reason ct_not_liberal). The admission program
 *     tells the daemon about such flows through the ring buffer
 *     rd_ct_events (struct rd_ct_event), at most once per
 *     RD_CT_NOTIFY_INTERVAL_NS per flow; the daemon may also walk
 *     rd_ct_admit itself.
 *  5. Timeouts. The fast path refreshes an offloaded entry with
 *     bpf_ct_change_timeout() to the kernel's own established timeout
 *     (rd_cache_ctl.ct_tcp_timeout_s / ct_udp_timeout_s, which the daemon
 *     copies from net.netfilter.nf_conntrack_tcp_timeout_established and
 *     nf_conntrack_udp_timeout_stream; 0: RD_CT_*_TIMEOUT_DEFAULT_S), but
 *     only once a second of it (or a quarter, if shorter) has elapsed, so
 *     there is no kfunc call per packet and an idle flow expires at most a
 *     second before the kernel would have expired it.
 *  6. routerd silent (bpf/lib/unattended.h): no offload (a ruleset change
 *     would go unseen), every packet of a held family to the kernel.
 *
 * Not re-applied to offloaded packets (as with nftables' flowtable): per
 * packet rule properties other than the verdict: counters, limits and
 * quotas, log/NFLOG, length and TTL matches, mangling (marks, DSCP), queue,
 * conntrack byte/packet accounting. docs/netfilter.md says so for users.
 *
 * Writers: rd_ct_admit and rd_ct_events are written by the admission
 * program only; the daemon reads them (and may delete rd_ct_admit entries
 * to evict, e.g. on a flush). rd_cache_ctl's offload fields are the
 * daemon's.
 */
#ifndef ROUTERD_CONNTRACK_H
#define ROUTERD_CONNTRACK_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* rd_ct_admit entries (LRU: the oldest admissions go first). */
#define RD_CT_ADMIT_ENTRIES 65536

/* The admission program's hook priority: the last a BPF link may take
 * (INT_MAX - 1: the kernel refuses NF_IP_PRI_FIRST and NF_IP_PRI_LAST with
 * ERANGE), after every filter, NAT and mangle chain. */
#define RD_CT_ADMIT_PRIORITY 2147483646

/* Defaults of the kernel's sysctls, used while rd_cache_ctl carries 0. */
#define RD_CT_TCP_TIMEOUT_DEFAULT_S 432000 /* 5 days */
#define RD_CT_UDP_TIMEOUT_DEFAULT_S 120

/* rd_ct_admit value .dirs: the directions the kernel accepted a packet of
 * in .generation (bit 1 << IP_CT_DIR_ORIGINAL / IP_CT_DIR_REPLY). */
#define RD_CT_DIR_ORIGINAL (1u << 0)
#define RD_CT_DIR_REPLY (1u << 1)

#define RD_CT_NOTIFY_INTERVAL_NS 1000000000ull

/*
 * A conntrack tuple in one direction, as in struct nf_conntrack_tuple:
 * addresses and ports in network order, an IPv4 address in addr[0] with
 * the other words zero. The key of rd_ct_admit is always the entry's
 * ORIGINAL-direction tuple (tuplehash[IP_CT_DIR_ORIGINAL]).
 */
struct rd_ct_key {
	__u32 saddr[4];
	__u32 daddr[4];
	__be16 sport;
	__be16 dport;
	__u8 family;   /* AF_INET or AF_INET6 */
	__u8 l4proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	__u16 pad;     /* zero */
};

struct rd_ct_admit {
	__u32 generation; /* rd_cache_ctl.ct_generation when admitted */
	__u32 dirs;       /* RD_CT_DIR_* accepted in that generation */
	__u64 notified_ns; /* last rd_ct_events record (CLOCK_MONOTONIC) */
};

/* rd_ct_events: "this admitted TCP flow is not liberal yet" (item 4). */
struct rd_ct_event {
	struct rd_ct_key key; /* the original tuple */
	__u32 generation;
	__u32 dirs;
};

#define RD_CT_EVENTS_BYTES (256 * 1024)

#endif /* ROUTERD_CONNTRACK_H */
