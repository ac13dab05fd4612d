// SPDX-License-Identifier: GPL-2.0
/*
 * routerd/daemon/xdp_features.c against the kernel: which ports may receive
 * multi-buffer redirects (rd_tx_frags), and which pinned programs predate
 * multi-buffer support. In the packet fixture's namespace (fixture.h),
 * whose ports are veths, plus a tap.
 */
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "fixture.h"
#include "daemon/xdp_features.h"
#include "daemon/xdp_target.h"

PACKET_SUITE(xdp_features);

/* veth transmits multi-buffer XDP frames, once its peer can take XDP
 * frames at all (GRO on, or an XDP program: kernel-facts); tun/tap does
 * not. */
Test(xdp_features, veth_takes_fragments_and_tap_does_not)
{
	char cmd[128];
	unsigned tap;

	snprintf(cmd, sizeof(cmd), "ethtool -K %s gro off >/dev/null 2>&1", ports[P_OUT1].peer);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	cr_assert_not(rd_xdp_xmit_sg((__u32)ports[P_OUT1].ifindex),
		      "veth rdfp-out1, peer without GRO or XDP: no NDO_XMIT(_SG)");
	snprintf(cmd, sizeof(cmd), "ethtool -K %s gro on >/dev/null 2>&1", ports[P_OUT1].peer);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	cr_assert(rd_xdp_xmit_sg((__u32)ports[P_OUT1].ifindex), "veth rdfp-out1: NDO_XMIT_SG");
	ip_cmd("tuntap add mode tap name rdfp-tap");
	tap = if_nametoindex("rdfp-tap");
	cr_assert_gt(tap, 0);
	cr_assert_not(rd_xdp_xmit_sg(tap), "tap rdfp-tap: no NDO_XMIT_SG");
	cr_assert_not(rd_xdp_xmit_sg(999999), "no such device: no");
}

/* The program this build loads is multi-buffer aware (it has rd_tx_frags),
 * so replacing it in place keeps no cap; what it says of a veth for a
 * program without that map is covered by tests/daemon/t_upgrade.sh. */
Test(xdp_features, this_build_is_replaced_in_place)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);

	cr_assert_eq(bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.routerd_xdp), &info, &len), 0);
	cr_assert_not(rd_xdp_replace_keeps_cap("rdfp-out1", info.id));
}

/* A veth whose peer runs an XDP program takes redirects although its GRO
 * stays off (another routerd, a sink that drops in XDP): routerd must keep
 * it in rd_tx (xdp_target.c asks the peer for both). */
Test(xdp_features, a_veth_whose_peer_runs_xdp_is_a_redirect_target)
{
	unsigned peer = if_nametoindex(ports[P_OUT1].peer);
	__u32 port = (__u32)ports[P_OUT1].ifindex;
	char cmd[128];

	cr_assert_gt(peer, 0);
	snprintf(cmd, sizeof(cmd), "ethtool -K %s gro off >/dev/null 2>&1", ports[P_OUT1].peer);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
	cr_assert_eq(rd_xdp_target(port), RD_XDP_TARGET_NO, "peer without GRO or XDP");
	cr_assert_eq(bpf_xdp_attach((int)peer, bpf_program__fd(skel->progs.routerd_xdp),
				    XDP_FLAGS_DRV_MODE, NULL), 0, "XDP on %s", ports[P_OUT1].peer);
	cr_assert_eq(rd_xdp_target(port), RD_XDP_TARGET_YES, "peer with XDP, GRO off");
	cr_assert_eq(bpf_xdp_detach((int)peer, XDP_FLAGS_DRV_MODE, NULL), 0);
	cr_assert_eq(rd_xdp_target(port), RD_XDP_TARGET_NO, "peer's XDP gone");
}

/* The same with the peer in another namespace (a VM host's, a second
 * router's): xdp_target.c finds that namespace by the link's netnsid and
 * asks there. The namespace is the test's own (rdxt-PID). */
static char other_ns[32];

static void other_ns_fini(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "ip netns del %s 2>/dev/null", other_ns);
	if (system(cmd)) {
		/* gone already */
	}
}

static void sh_ok(const char *fmt, const char *a, const char *b)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

Test(xdp_features, a_veth_whose_peer_in_another_namespace_runs_xdp_is_a_redirect_target,
     .fini = other_ns_fini)
{
	const char *peer_name = ports[P_OUT1].peer;
	__u32 port = (__u32)ports[P_OUT1].ifindex;
	char path[64];
	int nsfd, self;
	unsigned peer;

	snprintf(other_ns, sizeof(other_ns), "rdxt-%d", (int)getpid());
	sh_ok("ip netns add %s%s", other_ns, "");
	sh_ok("ip link set %s netns %s", peer_name, other_ns);
	sh_ok("ip -n %s link set %s up", other_ns, peer_name);
	sh_ok("ip netns exec %s ethtool -K %s gro off >/dev/null 2>&1", other_ns, peer_name);
	cr_assert_eq(rd_xdp_target(port), RD_XDP_TARGET_NO, "peer without GRO or XDP");

	snprintf(path, sizeof(path), "/run/netns/%s", other_ns);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	cr_assert(nsfd >= 0 && self >= 0);
	cr_assert_eq(setns(nsfd, CLONE_NEWNET), 0);
	peer = if_nametoindex(peer_name);
	cr_assert_eq(bpf_xdp_attach((int)peer, bpf_program__fd(skel->progs.routerd_xdp),
				    XDP_FLAGS_DRV_MODE, NULL), 0, "XDP on %s", peer_name);
	cr_assert_eq(setns(self, CLONE_NEWNET), 0);
	close(nsfd);
	close(self);
	cr_assert_eq(rd_xdp_target(port), RD_XDP_TARGET_YES, "peer with XDP, GRO off");
}
