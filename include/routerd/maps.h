/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Map keys, values and limits shared by the XDP program and user space.
 *
 * The daemon owns the contents of every map; the XDP program only reads
 * them, except for the per-CPU stats it increments.
 */
#ifndef ROUTERD_MAPS_H
#define ROUTERD_MAPS_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#include "counters.h"

/* Interfaces one routerd instance can manage (devmap and stats size). */
#define RD_MAX_IFACES 1024

/* Stats slot 0 collects packets from an interface the program runs on but
 * the daemon has not (yet) described in rd_ifaces. */
#define RD_SLOT_UNCONFIGURED 0

/* rd_iface.fixups bits: per ingress interface protocol repairs. */
#define RD_FIXUP_IPV4_IN_IPV6 (1u << 0)
#define RD_FIXUP_IPV6_IN_IPV4 (1u << 1)

/* rd_ifaces: ifindex -> how the fast path treats frames received there. */
struct rd_iface {
	__u32 slot;       /* index into rd_stats, never RD_SLOT_UNCONFIGURED */
	__u32 fixups;     /* RD_FIXUP_* bits */
	__u8 mac[6];      /* the interface's own address: frames to another
			   * unicast MAC are not ours to route */
	__u16 pad;
};

#endif /* ROUTERD_MAPS_H */
