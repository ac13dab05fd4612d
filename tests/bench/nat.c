// SPDX-License-Identifier: GPL-2.0
/*
 * Phase nat: conntrack offload (issue 18). Owns the home-router ruleset
 * and the conntrack entry it puts in r, the offload set-up of a third
 * instance of routerd's program (chain_nat_obj), and the ratios
 *   xdp_nat_vs_kernel_nat  skb traffic: the kernel's cost with the ruleset
 *                          and masquerade / routerd's offloaded cost, each
 *                          over the XDP_DROP baseline (as
 *                          xdp_vs_kernel_forwarding)
 *   offload_vs_plain       live frames: routerd offloading the NATed flow /
 *                          routerd forwarding plainly (netfilter auto, no
 *                          ruleset: rd_cache_ctl.netfilter 0)
 *
 * The flow is the one every other phase sends, 198.18.0.2:1024 ->
 * 198.19.0.1:2048 UDP, r0 = "lan", r1 = "wan": masqueraded to 198.18.1.1.
 * It is made established with `conntrack -I` (UDP, SEEN_REPLY|ASSURED,
 * --src-nat 198.18.1.1): the sink answers nothing. routerd is set up as
 * the daemon sets it up for `netfilter offload` with this ruleset
 * (routerd/netfilter/offload.c): IPv4 and IPv6 held for the kernel with
 * their offload bits, ct_generation 1, the kernel's timeouts (0: its
 * defaults); the admission the netfilter program would record when the
 * kernel accepts a packet of the flow is written into rd_ct_admit directly
 * (generation 1, original direction), as tests/packet/test_ct_offload.c
 * does. A UDP flow needs no TCP liberal marking.
 *
 * NAT rewrites the frame, so no generator may replay a rewritten frame:
 * live frames are rebuilt from the template on every packet (xdp_gen), and
 * trafgen's / sendmmsg's skbs are copies (veth copies a paged skb before
 * its XDP program sees it). A BPF_PROG_TEST_RUN on a fresh frame checks,
 * before measuring, that the offloaded way translates the source.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/bpf.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <routerd/conntrack.h>

#include "bench.h"

#define NAT_ADDR "198.18.1.1" /* r1's address: what masquerade picks */

static const char ruleset[] =
	"table inet fw {\n"
	"  chain forward {\n"
	"    type filter hook forward priority 0; policy drop;\n"
	"    ct state established,related accept\n"
	"    iifname \"r0\" oifname \"r1\" accept\n"
	"  }\n"
	"}\n"
	"table ip nat {\n"
	"  chain postrouting {\n"
	"    type nat hook postrouting priority 100;\n"
	"    oifname \"r1\" masquerade\n"
	"  }\n"
	"}\n";

static const char *ns_name;

static int sh(const char *fmt, const char *arg)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, ns_name, arg);
	return system(cmd);
}

static void ruleset_load(void)
{
	char path[600];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/nat.nft", opt.tmp_dir);
	fp = fopen(path, "w");
	if (!fp)
		die("cannot write %s: %s", path, strerror(errno));
	fputs(ruleset, fp);
	fclose(fp);
	if (sh("ip netns exec %s nft -f %s", path))
		die("nat: cannot load the ruleset (%s) in %s", path, ns_name);
}

/* The established, masqueraded entry; again before each measurement (an
 * entry that expired between ways comes back; EEXIST otherwise). */
static void ct_entry(struct way *x, int round, struct meas *m)
{
	(void)x, (void)round, (void)m;
	sh("ip netns exec %s conntrack -I -p udp -s " V4_SRC " -d " V4_DST
	   " --sport 1024 --dport 2048 --src-nat " NAT_ADDR
	   " -u SEEN_REPLY,ASSURED -t 3600 %s >/dev/null 2>&1", "");
}

static void offload_setup(struct rd_obj *r)
{
	struct rd_cache_ctl ctl = { 0 };
	struct rd_ct_key k = { .family = AF_INET, .l4proto = IPPROTO_UDP };
	struct rd_ct_admit a = { .generation = 1, .dirs = RD_CT_DIR_ORIGINAL };
	struct bpf_map *admit = bpf_object__find_map_by_name(r->obj, "rd_ct_admit");
	__u32 zero = 0;
	int rc;

	if (!admit || !r->cache_ctl || bpf_map__value_size(r->cache_ctl) != sizeof(ctl))
		die("nat: routerd's object has no rd_ct_admit or another rd_cache_ctl");
	rc = bpf_map__lookup_elem(r->cache_ctl, &zero, sizeof(zero), &ctl, sizeof(ctl), 0);
	if (rc)
		die("nat: rd_cache_ctl: %s", strerror(-rc));
	ctl.netfilter = RD_NF_HOLD_IPV4 | RD_NF_HOLD_IPV6 | RD_NF_OFFLOAD_ALL;
	ctl.ct_generation = 1;
	rc = bpf_map__update_elem(r->cache_ctl, &zero, sizeof(zero), &ctl, sizeof(ctl), 0);
	if (rc)
		die("nat: rd_cache_ctl: %s", strerror(-rc));
	inet_pton(AF_INET, V4_SRC, &k.saddr[0]);
	inet_pton(AF_INET, V4_DST, &k.daddr[0]);
	k.sport = htons(1024);
	k.dport = htons(2048);
	rc = bpf_map__update_elem(admit, &k, sizeof(k), &a, sizeof(a), BPF_ANY);
	if (rc)
		die("nat: rd_ct_admit: %s", strerror(-rc));
}

/* One fresh frame through the offloaded program: redirected, source
 * translated, TTL decremented. */
static void offload_check(struct chain *c, struct rd_obj *r)
{
	struct frame f = build_v4(c->r0_mac, c->g_mac, V4_SRC, V4_DST, 64, false);
	struct xdp_md ctx = { .data_end = FRAME_LEN, .ingress_ifindex = c->r0 };
	__u8 out[FRAME_LEN], want[4];
	char why[1024];
	int rc;

	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f.b, .data_size_in = FRAME_LEN,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);
	inet_pton(AF_INET, NAT_ADDR, want);
	enter_ns(c->r_ns);
	rc = bpf_prog_test_run_opts(r->prog_fd, &o);
	enter_ns(root_ns);
	if (rc)
		die("nat: test run: %s", strerror(-rc));
	if (o.retval != XDP_REDIRECT || memcmp(out + 14 + 12, want, 4) || out[14 + 8] != 63) {
		rd_reasons(r, why, sizeof(why));
		die("nat: the offloaded way does not NAT the flow (verdict %u, source "
		    "%u.%u.%u.%u, TTL %u; counters:%s)", o.retval, out[26], out[27], out[28],
		    out[29], out[22], why);
	}
}

void phase_nat(struct chain *c)
{
	const struct traffic v4 = { .family = 4 };
	struct way s[4] = {
		WAY(c, V_DROP, "xdp_drop"),
		WAY(c, V_NONE, "kernel_nat"),
		WAY(c, V_ROUTERD_NAT, "routerd_offload"),
		WAY(c, V_ROUTERD, "routerd_plain"),
	};
	struct way l[2] = {
		WAY(c, V_ROUTERD_NAT, "routerd_offload"),
		WAY(c, V_ROUTERD, "routerd_plain"),
	};
	struct rd_obj *r;
	int rounds = opt.rounds;

	ns_name = c->r_ns_name;
	ruleset_load();
	ct_entry(NULL, 0, NULL);
	r = chain_nat_obj(c, true);
	offload_setup(r);
	offload_check(c, r);
	for (int i = 0; i < 4; i++)
		s[i].pre = ct_entry;
	for (int i = 0; i < 2; i++)
		l[i].pre = ct_entry;

	skb_prepare(c);
	progress("nat skb: home-router ruleset + masquerade in r, one established UDP flow, "
		 "%d rounds x %.2f CPU-s per way", rounds, opt.skb_duration);
	pin_cpu(sysconf(_SC_NPROCESSORS_ONLN) > 1 ? 1 : 0);
	for (int k = 0; k < rounds; k++) {
		char line[512];
		int len = 0;

		for (int j = 0; j < 4; j++) {
			struct way *x = &s[(j + k) % 4];
			struct meas m;

			x->pre(x, k, NULL);
			m = skb_run(c, x->v, opt.skb_duration);
			way_store(x, k, &m);
			len += snprintf(line + len, sizeof(line) - len, " %s %.3f", x->name,
					x->rate[k] / 1e6);
		}
		progress("nat skb round %d/%d Mpps:%s", k + 1, rounds, line);
	}
	set_variant(c, V_NONE);
	for (int i = 0; i < 4; i++)
		print_way("nat_skb_v4", &s[i], rounds);
	skb_ratio("xdp_nat_vs_kernel_nat", &s[0], &s[1], &s[2], rounds);
	skb_ratio("xdp_plain_vs_kernel_nat", &s[0], &s[1], &s[3], rounds);
	fflush(stdout);

	progress("nat live: the same flow, live frames, CPU %d, %d rounds x %.2f CPU-s per way",
		 opt.cpu, rounds, opt.duration);
	pin_cpu(opt.cpu);
	live_rounds(l, 2, &v4, rounds, opt.duration, "nat live v4");
	for (int i = 0; i < 2; i++)
		print_way("nat_live_v4", &l[i], rounds);
	print_ratio("offload_vs_plain", &l[0], &l[1], rounds);
	printf("NOTE nat: ruleset inet fw forward (policy drop; ct established,related accept; "
	       "r0 -> r1 accept) + ip nat postrouting masquerade on r1; UDP flow established "
	       "with conntrack -I --src-nat; routerd_offload = routerd's program with the "
	       "offload bits, ct_generation 1 and the flow's admission\n");
	fflush(stdout);

	set_variant(c, V_NONE);
	chain_nat_obj(c, false);
	sh("ip netns exec %s nft flush ruleset%s", "");
	sh("ip netns exec %s conntrack -F%s >/dev/null 2>&1", "");
}
