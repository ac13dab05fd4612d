/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The reference for vs_minimal_forwarder: the least an XDP fib forwarder can
 * do and still route correctly, in the spirit of the kernel's samples/bpf
 * xdp_fwd: parse Ethernet + IPv4/IPv6, bpf_fib_lookup (same flags as routerd:
 * none, so policy rules are honoured), TTL / hop-limit decrement with an
 * incremental checksum, MAC rewrite, bpf_redirect_map through a devmap.
 * Nothing else: no counters, no sanity checks beyond the bounds the verifier
 * needs, everything the lookup does not forward goes to the kernel.
 *
 * Two knobs (read-only data, fixed at load time, dead code otherwise) exist
 * only to explain differences from routerd in the benchmark report:
 *   use_hash_devmap  redirect through a DEVMAP_HASH keyed by ifindex (as
 *                    routerd does) instead of a DEVMAP array indexed by it
 *   fib_flags        e.g. BPF_FIB_LOOKUP_DIRECT (skip the policy rules)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define AF_INET 2
#define AF_INET6 10
#define ETH_ALEN 6

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u32 fib_flags = 0;
const volatile __u32 use_hash_devmap = 0;

/* ifindex -> egress port; array like samples/bpf/xdp_fwd. 4096 covers the
 * ifindexes of the bench's namespaces. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} tx_ports_hash SEC(".maps");

static __always_inline void ipv4_decrease_ttl(struct iphdr *ip)
{
	__u32 check = ip->check;

	check += bpf_htons(0x0100);
	ip->check = (__u16)(check + (check >= 0xffff));
	ip->ttl--;
}

SEC("xdp")
int min_fwd(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct bpf_fib_lookup fib;
	struct ipv6hdr *ip6 = 0;
	struct iphdr *ip4 = 0;
	long rc;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	__builtin_memset(&fib, 0, sizeof(fib));
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		ip4 = (void *)(eth + 1);
		if ((void *)(ip4 + 1) > data_end)
			return XDP_PASS;
		if (ip4->ttl <= 1)
			return XDP_PASS;
		fib.family = AF_INET;
		fib.tos = ip4->tos;
		fib.l4_protocol = ip4->protocol;
		fib.tot_len = bpf_ntohs(ip4->tot_len);
		fib.ipv4_src = ip4->saddr;
		fib.ipv4_dst = ip4->daddr;
	} else if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		ip6 = (void *)(eth + 1);
		if ((void *)(ip6 + 1) > data_end)
			return XDP_PASS;
		if (ip6->hop_limit <= 1)
			return XDP_PASS;
		fib.family = AF_INET6;
		fib.flowinfo = *(__be32 *)ip6 & bpf_htonl(0x0FFFFFFF);
		fib.l4_protocol = ip6->nexthdr;
		fib.tot_len = sizeof(*ip6) + bpf_ntohs(ip6->payload_len);
		__builtin_memcpy(fib.ipv6_src, &ip6->saddr, sizeof(fib.ipv6_src));
		__builtin_memcpy(fib.ipv6_dst, &ip6->daddr, sizeof(fib.ipv6_dst));
	} else {
		return XDP_PASS;
	}
	fib.ifindex = ctx->ingress_ifindex;

	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), fib_flags);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;

	/* Commit to the egress port first (one devmap lookup); a port that is
	 * not in the map leaves the packet untouched for the kernel. */
	if (use_hash_devmap)
		rc = bpf_redirect_map(&tx_ports_hash, fib.ifindex, XDP_PASS);
	else
		rc = bpf_redirect_map(&tx_ports, fib.ifindex, XDP_PASS);
	if (rc != XDP_REDIRECT)
		return XDP_PASS;
	if (ip4)
		ipv4_decrease_ttl(ip4);
	else if (ip6)
		ip6->hop_limit--;
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	return XDP_REDIRECT;
}
