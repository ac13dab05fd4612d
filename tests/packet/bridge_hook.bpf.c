/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Routed traffic into a bridge, the way the routing path of
 * bpf/routerd.bpf.c would do it with rd_bridge_egress_port() (see
 * docs/bridging.md): IPv4 only, no route cache, no counters. The packet
 * tests (test_bridge.c, suite route_hook) use it to prove the helper, with
 * the verifier and with real redirects, before the routing path calls it.
 */
#include "lib/common.h"
#include "lib/maps.h"
#include "lib/parse.h"
#include "lib/fib.h"
#include "lib/forward.h"
#include "lib/bridge.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("xdp")
int bridge_hook(struct xdp_md *ctx)
{
	struct bpf_fib_lookup fib;
	struct rd_pkt pkt = {};
	__u32 egress;

	if (rd_parse_eth(ctx, &pkt) != RD_PARSE_OK || pkt.vlan_depth ||
	    pkt.l3_proto != ETH_P_IP || rd_parse_ipv4(&pkt) != RD_PARSE_OK || pkt.ip4->ttl <= 1)
		return XDP_PASS;
	rd_fib_params_ipv4(&fib, &pkt, ctx->ingress_ifindex);
	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;

	/* The hook: a bridge as the egress is resolved to its port. */
	egress = rd_bridge_egress_port(&fib);
	if (!egress)
		egress = fib.ifindex;

	if (egress == ctx->ingress_ifindex ||
	    bpf_redirect_map(&rd_tx, egress, 0) != XDP_REDIRECT)
		return XDP_PASS;
	rd_ipv4_decrease_ttl(pkt.ip4);
	rd_set_macs(pkt.eth, &fib);
	return XDP_REDIRECT;
}
