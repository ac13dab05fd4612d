/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Stands in for an XDP program left by an older routerd build: it hands
 * every frame to the kernel, which keeps forwarding. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int older_routerd(struct xdp_md *ctx)
{
	return XDP_PASS;
}
