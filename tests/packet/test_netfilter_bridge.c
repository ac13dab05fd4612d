// SPDX-License-Identifier: GPL-2.0
/*
 * The netfilter hold for bridged frames (rd_bridge_ctl.netfilter), set the
 * way routerd does it, through the bridge mirror (rd_fdb_set_netfilter()):
 * a frame XDP would bridge goes to the kernel bridge untouched, pass reason
 * netfilter, and is bridged in XDP again once the hold is lifted; a routed
 * packet out of the bridge (to the bridge's own MAC) is held too.
 */
#include <linux/if_ether.h>

#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include <routerd/bridge.h>
#include <routerd/maps.h>

#include "daemon/datapath.h"
#include "bridge/mirror.h"
#include "routerd.skel.h"

#include "bridge_fixture.h"

TestSuite(netfilter_bridge, .init = setup_mirror, .fini = teardown, .timeout = 30);

Test(netfilter_bridge, held_frames_go_to_the_kernel_bridge)
{
	struct frame f = frame_to(vm[2], vm[1]);
	struct result r;

	cr_assert(mirror_on);
	rd_fdb_set_netfilter(&mirror, true);
	expect_untouched(1, &f, XDP_PASS, PASS(NETFILTER));
	rd_fdb_set_netfilter(&mirror, false);
	r = run_on(1, &f, 0);
	cr_assert_eq(r.action, XDP_REDIRECT, "bridged again: %s", action_str(r.action));
	expect_counted(&r, 1, EV(BRIDGED));
}
