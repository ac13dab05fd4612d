/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The datapath: owns the embedded BPF skeleton and its maps, pinned under
 * the pin directory so that a restarted routerd finds the same maps (and
 * counters) that the still-attached program uses.
 */
#ifndef RD_DATAPATH_H
#define RD_DATAPATH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <linux/types.h>

#include <routerd/maps.h>

#include "daemon/pindir.h"

struct routerd_bpf;
struct bpf_object;

static inline __u64 rd_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (__u64)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The clock bpf_ktime_get_coarse_ns() reads: what the fast path stamps its
 * maps with (rd_nh_used, the FDB, rd_cache_ctl's deadline). */
static inline __u64 rd_coarse_now_ns(void)
{
	return rd_clock_ns(CLOCK_MONOTONIC_COARSE);
}

struct rd_datapath {
	struct routerd_bpf *skel;
	struct rd_pindir pins; /* locked: one routerd per pin dir */
	int prog_fd;
	int n_cpus;
	bool maps_reused; /* found pinned maps from an earlier run */
	__u32 local4[RD_LOCAL4_SLOTS]; /* what rd_local4 holds */
	size_t n_local4;
	unsigned long local4_writes; /* slots rewritten (or tried) so far */
	/* an array-of-maps whose updates wait for running programs
	 * (synchronize_rcu), made on first use: see rd_dp_iface_update() */
	int sync_outer, sync_inner;
	bool sync_made;
	unsigned long iface_rewrites; /* live rd_ifaces entries rewritten */
	char admission_error[256]; /* conntrack offload's program asked for, not loaded */
};

/* Sizes the maps of an opened, not yet loaded routerd object that depend
 * on the machine: the route cache, declared for one CPU, gets a part per
 * possible CPU. Every loader of the object calls it once (an object
 * without the map, or an older build with a per-CPU one, is left alone).
 * 0 or -errno. */
int rd_dp_size_maps(struct bpf_object *obj);
/* The embedded object opened, sized and loaded, without pins (tests). NULL
 * and errno on failure. */
struct routerd_bpf *rd_dp_load_unpinned(void);

/* Opens and locks the pin dir (pindir.h: created on bpffs if missing,
 * refused unless it is ours), loads the program and pins or reuses its
 * maps. ADMISSION (netfilter offload) loads conntrack offload's admission
 * program too, or, if the kernel refuses it, says why in admission_error
 * and goes on without it. */
int rd_dp_open(struct rd_datapath *dp, const char *pin_dir, bool admission, char *err,
	       size_t errlen);
/* Unpins everything when `unpin`; otherwise the maps outlive us. */
void rd_dp_close(struct rd_datapath *dp, bool unpin);

/* rd_ifaces (the array below RD_IFACE_ARRAY_SLOTS, rd_ifaces_hi above; see
 * include/routerd/maps.h). Lookup: 0, or -ENOENT for an absent entry.
 * Update and delete never let a running program see a mix of two versions
 * of an entry, which for a live array entry costs two waits for running
 * programs (a few milliseconds). */
int rd_dp_iface_lookup(struct rd_datapath *dp, __u32 ifindex, struct rd_iface *out);
int rd_dp_iface_update(struct rd_datapath *dp, __u32 ifindex, const struct rd_iface *val);
int rd_dp_iface_delete(struct rd_datapath *dp, __u32 ifindex);
/* Used slots are those referenced from rd_ifaces. */
int rd_dp_slot_alloc(struct rd_datapath *dp, __u32 *slot);
int rd_dp_stats_clear(struct rd_datapath *dp, __u32 slot);
int rd_dp_stats_read(struct rd_datapath *dp, __u32 slot, struct rd_stats *sum);

/* Makes rd_local4 hold exactly these IPv4 addresses (network order).
 * Returns how many could not be placed (0 unless the table is full). */
size_t rd_dp_set_local4(struct rd_datapath *dp, const __u32 *addrs, size_t n);

int rd_dp_tx_add(struct rd_datapath *dp, __u32 ifindex);
int rd_dp_tx_delete(struct rd_datapath *dp, __u32 ifindex);

/* Pins again any map pin that disappeared (rm, bpffs unmounted and
 * remounted), after re-creating and re-locking the pin dir if it went.
 * Returns how many were restored, or -1 (err says why) when the pin dir is
 * unusable; the maps themselves live on in our descriptors. */
int rd_dp_repin(struct rd_datapath *dp, char *err, size_t errlen);

#endif
