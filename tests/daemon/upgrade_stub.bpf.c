/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Stands in for an XDP program left by an older routerd build: it hands
 * every frame to the kernel, which keeps forwarding. Its entry point has
 * the name every routerd build gives it: routerd updates only links whose
 * program is named like its own. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int routerd_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}
