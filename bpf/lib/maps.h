/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The maps of the fast path. Keys and values are defined in include/routerd
 * so the daemon and the program share one definition. */
#ifndef RD_BPF_MAPS_H
#define RD_BPF_MAPS_H

#include "common.h"
#include <routerd/maps.h>

/* ifindex -> per-interface settings, written by the daemon: below
 * RD_IFACE_ARRAY_SLOTS in the array, above in the hash (include/routerd/
 * maps.h). Read them through rd_iface_get(). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RD_IFACE_ARRAY_SLOTS);
	__type(key, __u32);
	__type(value, struct rd_iface);
} rd_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, RD_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct rd_iface);
} rd_ifaces_hi SEC(".maps");

/* Per-CPU counters, one slot per interface: no shared cache line is
 * written on the hot path. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RD_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct rd_stats);
} rd_stats SEC(".maps");

/* Egress ports, keyed by ifindex: only interfaces routerd manages can be
 * redirected to; anything else the kernel forwards. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, RD_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} rd_tx SEC(".maps");

/* Nexthops recently used, per CPU: see include/routerd/maps.h. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, RD_NH_SLOTS);
	__type(key, __u32);
	__type(value, struct rd_nh_use);
} rd_nh_used SEC(".maps");

/* The box's own IPv4 addresses: see include/routerd/maps.h. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RD_LOCAL4_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} rd_local4 SEC(".maps");

/* The interface's settings, or NULL if routerd does not manage it. */
static __always_inline struct rd_iface *rd_iface_get(__u32 ifindex)
{
	struct rd_iface *ifc;

	if (likely(ifindex < RD_IFACE_ARRAY_SLOTS)) {
		ifc = bpf_map_lookup_elem(&rd_ifaces, &ifindex);
		return ifc && ifc->slot != RD_SLOT_UNCONFIGURED ? ifc : NULL;
	}
	return bpf_map_lookup_elem(&rd_ifaces_hi, &ifindex);
}

#endif /* RD_BPF_MAPS_H */
