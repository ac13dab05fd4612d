// SPDX-License-Identifier: GPL-2.0
/*
 * Bridging multi-buffer (jumbo) frames, bpf/lib/frags.h: a 9014-byte frame
 * whose first 3520 bytes are the linear part is bridged untouched to a
 * port whose driver transmits fragments (rd_tx_frags), and left to the
 * kernel's bridge (pass frags_egress) for one that cannot, where a
 * single-buffer frame is still bridged. The fixture is bridge_fixture.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include "bridge_fixture.h"
#include "routerd.skel.h"

#define JUMBO 9014
#define HEAD 3520

static void jumbo_setup(void)
{
	__u8 yes = 1;
	__u32 key;

	setup_mirror();
	/* brp2 transmits fragments (veth does); brp3 stands for a tap */
	key = (__u32)ifindex[2];
	cr_assert_eq(bpf_map__update_elem(skel->maps.rd_tx_frags, &key, sizeof(key), &yes,
					  sizeof(yes), BPF_ANY), 0);
	key = (__u32)ifindex[3];
	bpf_map__delete_elem(skel->maps.rd_tx_frags, &key, sizeof(key), 0);
}

TestSuite(bridge_jumbo, .init = jumbo_setup, .fini = teardown, .timeout = 30);

static __u8 in[JUMBO], out[JUMBO];

static __u64 pass_count(int slot, unsigned reason)
{
	int ncpus = libbpf_num_possible_cpus();
	struct rd_stats *per = calloc((size_t)ncpus, sizeof(*per));
	__u32 key = (__u32)slot;
	__u64 sum = 0;

	cr_assert_not_null(per);
	cr_assert_eq(bpf_map_lookup_elem(bpf_map__fd(skel->maps.rd_stats), &key, per), 0);
	for (int c = 0; c < ncpus; c++)
		sum += per[c].pass[reason];
	free(per);
	return sum;
}

/* One run of the jumbo frame from VM 1 (on brp1) to DST. */
static int run_jumbo(const __u8 *dst)
{
	struct frame f = frame_to(dst, vm[1]);
	struct xdp_md ctx = { .data_end = HEAD, .ingress_ifindex = (__u32)ifindex[1] };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		.data_in = in, .data_size_in = JUMBO,
		.data_out = out, .data_size_out = JUMBO,
		.ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		.repeat = 1);

	for (__u32 i = 0; i < JUMBO; i++)
		in[i] = (__u8)(i * 13 + 5);
	memcpy(in, f.data, ETH_HLEN + 28);
	cr_assert_eq(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.routerd_xdp), &opts), 0,
		     "BPF_PROG_TEST_RUN: %s", strerror(errno));
	cr_assert_eq(opts.data_size_out, JUMBO);
	return (int)opts.retval;
}

Test(bridge_jumbo, bridged_byte_for_byte_to_a_port_that_takes_fragments)
{
	int action = run_jumbo(vm[2]);

	cr_assert_eq(action, XDP_REDIRECT, "verdict %s; want XDP_REDIRECT", action_str(action));
	cr_assert_arr_eq(out, in, JUMBO, "the bridged frame differs from the one received");
}

Test(bridge_jumbo, left_to_the_kernel_for_a_port_that_cannot_send_them)
{
	__u64 before = pass_count(1, RD_PASS_FRAGS_EGRESS);
	struct frame small = frame_to(vm[3], vm[1]);
	int action = run_jumbo(vm[3]);

	cr_assert_eq(action, XDP_PASS, "verdict %s; want XDP_PASS", action_str(action));
	cr_assert_arr_eq(out, in, JUMBO, "the frame handed on was modified");
	cr_assert_eq(pass_count(1, RD_PASS_FRAGS_EGRESS) - before, 1, "frags_egress counted once");
	expect_bridged(1, &small, 3);
}
