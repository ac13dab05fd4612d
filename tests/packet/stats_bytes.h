/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading the byte counters of one rd_stats slot, summed over the CPUs:
 * shared by the packet fixture's tests and the bridge fixture's, which
 * link no common object.
 */
#ifndef RD_TEST_STATS_BYTES_H
#define RD_TEST_STATS_BYTES_H

#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <criterion/criterion.h>

#include <routerd/counters.h>

static inline void read_slot_bytes(int stats_fd, __u32 slot, __u64 out[RD_BYTES__MAX])
{
	int ncpus = libbpf_num_possible_cpus();
	struct rd_stats *percpu = calloc((size_t)ncpus, sizeof(*percpu));

	cr_assert_not_null(percpu);
	cr_assert_eq(bpf_map_lookup_elem(stats_fd, &slot, percpu), 0);
	memset(out, 0, sizeof(__u64) * RD_BYTES__MAX);
	for (int cpu = 0; cpu < ncpus; cpu++)
		for (int i = 0; i < RD_BYTES__MAX; i++)
			out[i] += percpu[cpu].bytes[i];
	free(percpu);
}

#endif
