// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/datapath.h"
#include "netfilter/offload.h"
#include "daemon/xdp_features.h"
#include "common/log.h"
#include "routerd.skel.h"

/* Same shape as this build's definition. Flags are not compared: the kernel
 * adds BPF_F_RDONLY_PROG to devmaps, which libbpf's own reuse check (1.1)
 * trips over, so reuse is decided here. */
static bool pinned_map_fits(const struct bpf_map *map, int fd)
{
	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	return !bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == bpf_map__type(map) &&
	       info.key_size == bpf_map__key_size(map) &&
	       info.value_size == bpf_map__value_size(map) &&
	       info.max_entries == bpf_map__max_entries(map);
}

static int refuse_entry(const struct rd_datapath *dp, const char *name, int rc, char *err,
			size_t errlen)
{
	return rd_errorf(err, errlen, "pin dir %s: %s is %s; remove it", dp->pins.path, name,
			 rd_pindir_problem(rc));
}

/* Before load: take over every pinned map that still fits; remove the pins
 * of those whose layout changed (a new build), which are created afresh. */
static int reuse_pinned_maps(struct rd_datapath *dp, char *err, size_t errlen)
{
	struct bpf_map *map;
	bool all = true, any = false;

	bpf_object__for_each_map(map, dp->skel->obj) {
		const char *name = bpf_map__name(map);
		int fd;

		if (bpf_map__is_internal(map))
			continue; /* .kconfig, .rodata: per load, never state to keep */
		fd = rd_pindir_get(&dp->pins, name);

		if (fd == -ENOENT) {
			all = false;
			continue;
		}
		if (fd < 0)
			return refuse_entry(dp, name, fd, err, errlen);
		any = true;
		if (!pinned_map_fits(map, fd)) {
			rd_warn("pinned map %s/%s does not match this build; recreating it",
				dp->pins.path, name);
			close(fd);
			rd_pindir_unlink(&dp->pins, name);
			all = false;
			continue;
		}
		if (bpf_map__reuse_fd(map, fd)) {
			close(fd);
			return rd_errorf(err, errlen, "cannot reuse pinned map %s/%s", dp->pins.path,
					 name);
		}
		close(fd); /* reuse_fd took its own copy */
	}
	dp->maps_reused = any && all;
	return 0;
}

/* Pins every map whose pin is missing: all after load, the lost ones later.
 * Returns how many, or -1 with err. */
static int pin_missing_maps(struct rd_datapath *dp, char *err, size_t errlen)
{
	struct bpf_map *map;
	int pinned = 0;

	bpf_object__for_each_map(map, dp->skel->obj) {
		const char *name = bpf_map__name(map);
		int rc;

		if (bpf_map__is_internal(map))
			continue;
		rc = rd_pindir_check(&dp->pins, name);
		if (!rc)
			continue;
		if (rc != -ENOENT)
			return refuse_entry(dp, name, rc, err, errlen);
		rc = rd_pindir_pin(&dp->pins, bpf_map__fd(map), name);
		if (rc)
			return rd_errorf(err, errlen, "cannot pin map at %s/%s: %s", dp->pins.path,
					 name, strerror(-rc));
		pinned++;
	}
	return pinned;
}

int rd_dp_repin(struct rd_datapath *dp, char *err, size_t errlen)
{
	if (rd_pindir_revalidate(&dp->pins, err, errlen) < 0)
		return -1;
	return pin_missing_maps(dp, err, errlen);
}

static void unpin_maps(struct rd_datapath *dp)
{
	struct bpf_map *map;

	/* what is not a pin of ours (a symlink someone planted) stays */
	bpf_object__for_each_map(map, dp->skel->obj)
		if (!bpf_map__is_internal(map) && !rd_pindir_check(&dp->pins, bpf_map__name(map)))
			rd_pindir_unlink(&dp->pins, bpf_map__name(map));
}

/* The embedded object opened, sized, on the pinned maps, and loaded; with
 * ADMISSION, conntrack offload's admission program too. */
static int open_load(struct rd_datapath *dp, bool admission, char *err, size_t errlen)
{
	int rc;

	dp->skel = routerd_bpf__open();
	if (!dp->skel)
		return rd_errorf(err, errlen, "cannot open the embedded BPF object: %s", strerror(errno));
	rc = rd_dp_size_maps(dp->skel->obj);
	if (rc)
		return rd_errorf(err, errlen, "cannot size the route cache for %d CPUs: %s",
				 dp->n_cpus, strerror(-rc));
	if (admission)
		rd_offload_prepare(dp->skel->obj);
	if (reuse_pinned_maps(dp, err, errlen))
		return -1;
	rc = routerd_bpf__load(dp->skel);
	if (rc)
		return rd_errorf(err, errlen, "cannot load the XDP program: %s%s", strerror(-rc),
				 rc == -EPERM ? " (routerd needs root: CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN)"
				 : "");
	return 0;
}

int rd_dp_open(struct rd_datapath *dp, const char *pin_dir, bool admission, char *err,
	       size_t errlen)
{
	memset(dp, 0, sizeof(*dp));
	dp->prog_fd = -1;
	if (rd_pindir_open(&dp->pins, pin_dir, err, errlen))
		return -1;
	dp->n_cpus = libbpf_num_possible_cpus();
	if (dp->n_cpus <= 0)
		return rd_errorf(err, errlen, "cannot count possible CPUs");
	if (open_load(dp, admission, err, errlen)) {
		if (!admission || !dp->skel)
			return -1;
		/* a kernel without netfilter programs: everything else still
		 * runs, and offload says why it cannot (offload.c) */
		snprintf(dp->admission_error, sizeof(dp->admission_error), "%s", err);
		routerd_bpf__destroy(dp->skel);
		dp->skel = NULL;
		if (open_load(dp, false, err, errlen))
			return -1;
	}
	if (pin_missing_maps(dp, err, errlen) < 0)
		return -1;
	for (__u32 key = 0; key < RD_LOCAL4_SLOTS; key++)
		bpf_map__lookup_elem(dp->skel->maps.rd_local4, &key, sizeof(key), &dp->local4[key],
				     sizeof(dp->local4[key]), 0);
	dp->prog_fd = bpf_program__fd(dp->skel->progs.routerd_xdp);
	return 0;
}

int rd_dp_size_maps(struct bpf_object *obj)
{
	struct bpf_map *cache = bpf_object__find_map_by_name(obj, "rd_route_cache");
	int cpus = libbpf_num_possible_cpus();

	if (cpus <= 0)
		return cpus ? cpus : -EINVAL;
	if (!cache || bpf_map__type(cache) != BPF_MAP_TYPE_ARRAY)
		return 0;
	return bpf_map__set_max_entries(cache, bpf_map__max_entries(cache) * (__u32)cpus);
}

struct routerd_bpf *rd_dp_load_unpinned(void)
{
	struct routerd_bpf *skel = routerd_bpf__open();
	int rc;

	if (!skel)
		return NULL;
	rc = rd_dp_size_maps(skel->obj);
	if (!rc)
		rc = routerd_bpf__load(skel);
	if (rc) {
		routerd_bpf__destroy(skel);
		errno = -rc;
		return NULL;
	}
	return skel;
}

void rd_dp_close(struct rd_datapath *dp, bool unpin)
{
	if (dp->sync_made) {
		if (dp->sync_outer >= 0)
			close(dp->sync_outer);
		if (dp->sync_inner >= 0)
			close(dp->sync_inner);
		dp->sync_made = false;
	}
	if (dp->skel && unpin)
		unpin_maps(dp);
	rd_pindir_close(&dp->pins, unpin && dp->skel);
	if (!dp->skel)
		return;
	routerd_bpf__destroy(dp->skel);
	dp->skel = NULL;
}

static bool iface_in_array(__u32 ifindex)
{
	return ifindex < RD_IFACE_ARRAY_SLOTS;
}

int rd_dp_iface_lookup(struct rd_datapath *dp, __u32 ifindex, struct rd_iface *out)
{
	int rc;

	if (!iface_in_array(ifindex))
		return bpf_map__lookup_elem(dp->skel->maps.rd_ifaces_hi, &ifindex, sizeof(ifindex),
					    out, sizeof(*out), 0);
	rc = bpf_map__lookup_elem(dp->skel->maps.rd_ifaces, &ifindex, sizeof(ifindex), out,
				  sizeof(*out), 0);
	if (!rc && out->slot == RD_SLOT_UNCONFIGURED) {
		errno = ENOENT;
		return -ENOENT;
	}
	return rc;
}

/* Returns once every BPF program that may have been running when it was
 * called has finished: the kernel runs synchronize_rcu() after an update
 * of an array-of-maps, and XDP programs run inside RCU read-side sections.
 * Falls back to a sleep, logged once, where that cannot be set up. */
static void wait_for_programs(struct rd_datapath *dp)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts);
	static bool warned;
	__u32 zero = 0;

	if (!dp->sync_made) {
		dp->sync_inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "rd_sync_in", sizeof(__u32),
						sizeof(__u32), 1, NULL);
		opts.inner_map_fd = dp->sync_inner;
		dp->sync_outer = dp->sync_inner < 0 ? -1 :
			bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, "rd_sync", sizeof(__u32),
				       sizeof(__u32), 1, &opts);
		dp->sync_made = true;
	}
	if (dp->sync_outer >= 0 &&
	    !bpf_map_update_elem(dp->sync_outer, &zero, &dp->sync_inner, BPF_ANY))
		return;
	if (!warned)
		rd_warn("cannot wait for running XDP programs (%s): sleeping 50 ms instead",
			strerror(errno));
	warned = true;
	usleep(50000);
}

static int write_array_iface(struct rd_datapath *dp, __u32 ifindex, const struct rd_iface *val)
{
	return bpf_map__update_elem(dp->skel->maps.rd_ifaces, &ifindex, sizeof(ifindex), val,
				    sizeof(*val), BPF_ANY);
}

/* The entry's gates (include/routerd/maps.h): with both closed the program
 * reads nothing else of the entry. */
static struct rd_iface gated(const struct rd_iface *val)
{
	struct rd_iface g = *val;

	g.slot = RD_SLOT_UNCONFIGURED;
	g.br_flags = 0;
	return g;
}

int rd_dp_iface_update(struct rd_datapath *dp, __u32 ifindex, const struct rd_iface *val)
{
	struct rd_iface cur, g;
	int rc;

	if (!iface_in_array(ifindex))
		return bpf_map__update_elem(dp->skel->maps.rd_ifaces_hi, &ifindex, sizeof(ifindex),
					    val, sizeof(*val), BPF_ANY);
	if (val->slot == RD_SLOT_UNCONFIGURED) {
		errno = EINVAL;
		return -EINVAL;
	}
	if (!bpf_map__lookup_elem(dp->skel->maps.rd_ifaces, &ifindex, sizeof(ifindex), &cur,
				  sizeof(cur), 0)) {
		if (!memcmp(&cur, val, sizeof(cur)))
			return 0;
		if (cur.slot != RD_SLOT_UNCONFIGURED || cur.br_flags) {
			/* live: close the gates on the old contents first */
			g = gated(&cur);
			rc = write_array_iface(dp, ifindex, &g);
			if (rc)
				return rc;
			wait_for_programs(dp);
			dp->iface_rewrites++;
		}
	}
	/* the new contents behind closed gates, then the gates */
	g = gated(val);
	rc = write_array_iface(dp, ifindex, &g);
	if (rc)
		return rc;
	wait_for_programs(dp);
	return write_array_iface(dp, ifindex, val);
}

int rd_dp_iface_delete(struct rd_datapath *dp, __u32 ifindex)
{
	struct rd_iface cur, zero = { 0 };
	int rc;

	if (!iface_in_array(ifindex)) {
		rc = bpf_map__delete_elem(dp->skel->maps.rd_ifaces_hi, &ifindex, sizeof(ifindex), 0);
		return rc == -ENOENT ? 0 : rc;
	}
	rc = bpf_map__lookup_elem(dp->skel->maps.rd_ifaces, &ifindex, sizeof(ifindex), &cur,
				  sizeof(cur), 0);
	if (rc)
		return rc;
	if (!memcmp(&cur, &zero, sizeof(cur)))
		return 0;
	cur = gated(&cur);
	rc = write_array_iface(dp, ifindex, &cur);
	if (rc)
		return rc;
	wait_for_programs(dp);
	return write_array_iface(dp, ifindex, &zero);
}

int rd_dp_slot_alloc(struct rd_datapath *dp, __u32 *slot)
{
	static struct rd_iface all[RD_IFACE_ARRAY_SLOTS];
	static __u32 keys[RD_IFACE_ARRAY_SLOTS];
	bool used[RD_MAX_IFACES];
	struct bpf_map *map = dp->skel->maps.rd_ifaces_hi;
	__u32 key, next, *prev = NULL, count = RD_IFACE_ARRAY_SLOTS, out_batch;
	struct rd_iface val;

	memset(used, 0, sizeof(used));
	/* the array in one call; slot RD_SLOT_UNCONFIGURED marks the absent */
	if (!bpf_map_lookup_batch(bpf_map__fd(dp->skel->maps.rd_ifaces), NULL, &out_batch, keys,
				  all, &count, NULL) || errno == ENOENT) {
		for (__u32 i = 0; i < count; i++)
			if (all[i].slot < RD_MAX_IFACES)
				used[all[i].slot] = true;
	} else {
		for (key = 0; key < RD_IFACE_ARRAY_SLOTS; key++)
			if (!bpf_map__lookup_elem(dp->skel->maps.rd_ifaces, &key, sizeof(key), &val,
						  sizeof(val), 0) &&
			    val.slot < RD_MAX_IFACES)
				used[val.slot] = true;
	}
	while (!bpf_map__get_next_key(map, prev, &next, sizeof(next))) {
		if (!bpf_map__lookup_elem(map, &next, sizeof(next), &val, sizeof(val), 0) &&
		    val.slot < RD_MAX_IFACES)
			used[val.slot] = true;
		key = next;
		prev = &key;
	}
	for (__u32 s = RD_SLOT_UNCONFIGURED + 1; s < RD_MAX_IFACES; s++) {
		if (!used[s]) {
			*slot = s;
			return 0;
		}
	}
	return -ENOSPC;
}

int rd_dp_stats_clear(struct rd_datapath *dp, __u32 slot)
{
	size_t size = sizeof(struct rd_stats) * dp->n_cpus;
	void *zero = calloc(1, size);
	int rc;

	if (!zero)
		return -ENOMEM;
	rc = bpf_map__update_elem(dp->skel->maps.rd_stats, &slot, sizeof(slot), zero, size, 0);
	free(zero);
	return rc;
}

int rd_dp_stats_read(struct rd_datapath *dp, __u32 slot, struct rd_stats *sum)
{
	size_t size = sizeof(struct rd_stats) * dp->n_cpus;
	struct rd_stats *percpu = malloc(size);
	int rc;

	memset(sum, 0, sizeof(*sum));
	if (!percpu)
		return -ENOMEM;
	rc = bpf_map__lookup_elem(dp->skel->maps.rd_stats, &slot, sizeof(slot), percpu, size, 0);
	for (int cpu = 0; !rc && cpu < dp->n_cpus; cpu++) {
		for (int i = 0; i < RD_EV__MAX; i++)
			sum->events[i] += percpu[cpu].events[i];
		for (int i = 0; i < RD_PASS__MAX; i++)
			sum->pass[i] += percpu[cpu].pass[i];
		for (int i = 0; i < RD_DROP__MAX; i++)
			sum->drop[i] += percpu[cpu].drop[i];
		for (int i = 0; i < RD_BYTES__MAX; i++)
			sum->bytes[i] += percpu[cpu].bytes[i];
	}
	free(percpu);
	return rc;
}

static bool place_local4(__u32 *table, __u32 addr)
{
	for (__u32 probe = 0; probe < RD_LOCAL4_PROBES; probe++) {
		__u32 *slot = &table[rd_local4_slot(addr, probe)];

		if (*slot == addr)
			return true; /* listed twice (an address on two devices) */
		if (!*slot) {
			*slot = addr;
			return true;
		}
	}
	return false;
}

static void write_local4_slot(struct rd_datapath *dp, __u32 key, __u32 value)
{
	dp->local4_writes++;
	if (bpf_map__update_elem(dp->skel->maps.rd_local4, &key, sizeof(key), &value,
				 sizeof(value), 0))
		rd_warn("cannot update local address slot %u: %s", key, strerror(errno));
	else
		dp->local4[key] = value;
}

size_t rd_dp_set_local4(struct rd_datapath *dp, const __u32 *addrs, size_t n)
{
	static __u32 next[RD_LOCAL4_SLOTS];
	size_t unplaced = 0;

	memset(next, 0, sizeof(next));
	for (size_t i = 0; i < n; i++)
		if (addrs[i] && !place_local4(next, addrs[i]))
			unplaced++;
	/* New entries first, then the holes: a lookup may miss an address
	 * that is moving, never find one that is gone. */
	for (__u32 key = 0; key < RD_LOCAL4_SLOTS; key++)
		if (next[key] && next[key] != dp->local4[key])
			write_local4_slot(dp, key, next[key]);
	for (__u32 key = 0; key < RD_LOCAL4_SLOTS; key++)
		if (!next[key] && dp->local4[key])
			write_local4_slot(dp, key, 0);
	dp->n_local4 = n - unplaced;
	return unplaced;
}

/* A port joins the fast path's egress set; whether it can also take jumbo
 * frames in fragments (bpf/lib/frags.h) is written first, so a frame is
 * never sent to a port that would drop it. */
int rd_dp_tx_add(struct rd_datapath *dp, __u32 ifindex)
{
	struct bpf_devmap_val val = { .ifindex = ifindex };
	__u8 yes = 1;

	if (rd_xdp_xmit_sg(ifindex))
		bpf_map__update_elem(dp->skel->maps.rd_tx_frags, &ifindex, sizeof(ifindex), &yes,
				     sizeof(yes), BPF_ANY);
	else
		bpf_map__delete_elem(dp->skel->maps.rd_tx_frags, &ifindex, sizeof(ifindex), 0);
	return bpf_map__update_elem(dp->skel->maps.rd_tx, &ifindex, sizeof(ifindex), &val,
				    sizeof(val), BPF_ANY);
}

int rd_dp_tx_delete(struct rd_datapath *dp, __u32 ifindex)
{
	int rc = bpf_map__delete_elem(dp->skel->maps.rd_tx, &ifindex, sizeof(ifindex), 0);

	bpf_map__delete_elem(dp->skel->maps.rd_tx_frags, &ifindex, sizeof(ifindex), 0);

	return rc == -ENOENT ? 0 : rc;
}
