/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Stands in for an XDP program left by an older routerd build: it hands
 * every frame to the kernel, which keeps forwarding. Its entry point has
 * the name every routerd build gives it: routerd updates only links whose
 * program is named like its own. Built twice: plain (a build from before
 * multi-buffer support) and with -DRD_STUB_FRAGS (a multi-buffer aware
 * one: section xdp.frags and the rd_tx_frags map, bpf/lib/frags.h). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#ifdef RD_STUB_FRAGS
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8);
} rd_tx_frags SEC(".maps");

SEC("xdp.frags")
int routerd_xdp(struct xdp_md *ctx)
{
	__u32 key = 0;

	bpf_map_lookup_elem(&rd_tx_frags, &key);
	return XDP_PASS;
}
#else
SEC("xdp")
int routerd_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}
#endif
