/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The other programs of the benchmark:
 *   xdp_gen        live-frames generator (BPF_PROG_TEST_RUN with
 *                  BPF_F_TEST_XDP_LIVE_FRAMES): rewrites every frame from a
 *                  template (the pages are recycled, and whatever the
 *                  router and the sink wrote is still in them), optionally
 *                  with a random destination (and IPv4 source: policy
 *                  rules), then transmits it (XDP_TX on
 *                  a test run = redirect out of the ingress device)
 *   xdp_redirect   "the limit": every frame to devmap slot 0, no lookup, no
 *                  rewrite
 *   xdp_drop       XDP_DROP, counted (counter 1)
 *   xdp_sink       XDP_DROP, counted (counter 0): the far end of the chain
 *   xdp_pass       XDP_PASS, for veth peers that must have a program
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "bench_gen.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} redirect_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BENCH_N_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

/* Written by the driver between runs (mmapped .bss). */
struct bench_gen_cfg gen_cfg;

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += 1;
}

static __always_inline __u16 csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int xdp_gen(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;

	if (p + BENCH_GEN_HDR > (__u8 *)data_end)
		return XDP_ABORTED;
	__builtin_memcpy(p, (const void *)gen_cfg.hdr, BENCH_GEN_HDR);

	if (gen_cfg.family == 4) {
		struct iphdr *ip = (void *)(p + 14);
		__u16 *w = (__u16 *)ip;
		__u32 sum = 0;

		if (gen_cfg.rand_n) {
			__u32 i = bpf_get_prandom_u32() % gen_cfg.rand_n;
			__u32 h = (i * BENCH_GEN_MUL) & gen_cfg.rand_mask;

			ip->daddr = bpf_htonl(gen_cfg.rand_base | h);
		}
		if (gen_cfg.src_n)
			ip->saddr = bpf_htonl(gen_cfg.src_base +
					      bpf_get_prandom_u32() % gen_cfg.src_n);
		ip->check = 0;
#pragma unroll
		for (int k = 0; k < 10; k++)
			sum += w[k];
		ip->check = csum_fold(sum);
	} else if (gen_cfg.rand_n) {
		struct ipv6hdr *ip6 = (void *)(p + 14);
		__u32 i = bpf_get_prandom_u32() % gen_cfg.rand_n;
		__u32 h = (i * BENCH_GEN_MUL) & gen_cfg.rand_mask;

		/* 2001:db8:XXXX:YYYY::1 with XXXX:YYYY = rand_base | h */
		ip6->daddr.in6_u.u6_addr32[1] = bpf_htonl(gen_cfg.rand_base | h);
	}
	return XDP_TX;
}

SEC("xdp")
int xdp_redirect(struct xdp_md *ctx)
{
	return bpf_redirect_map(&redirect_port, 0, 0);
}

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	count(BENCH_CNT_DROP);
	return XDP_DROP;
}

SEC("xdp")
int xdp_sink(struct xdp_md *ctx)
{
	count(BENCH_CNT_SINK);
	return XDP_DROP;
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}
