/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Bridging in the driver: map keys, values and flags shared by the XDP
 * program (bpf/lib/bridge.h) and the daemon (routerd/bridge/mirror.c), which mirrors
 * the kernel bridge's forwarding database, port states and VLANs into them.
 * docs/bridging.md has the behaviour.
 */
#ifndef ROUTERD_BRIDGE_H
#define ROUTERD_BRIDGE_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* rd_iface.br_flags: how the bridge treats frames received on (and sent
 * to) this port. Set only while rd_iface.bridge_ifindex is. */
#define RD_BRPORT_FORWARDING (1u << 0)  /* port state BR_STATE_FORWARDING */
#define RD_BRPORT_LEARNING (1u << 1)    /* learning on: the source MAC must be
					 * learned on this port, or the kernel
					 * gets the frame (and learns it) */
#define RD_BRPORT_ISOLATED (1u << 2)    /* no forwarding to other isolated ports */
#define RD_BRPORT_KERNEL_ONLY (1u << 3) /* everything to the kernel: locked/MAB
					 * port, or VLAN state unknown */
#define RD_BRPORT_NEIGH_KERNEL (1u << 4) /* proxy ARP / neighbour suppression on
					  * the bridge: ARP and ICMPv6 to the kernel */
#define RD_BRPORT_VLAN_FILTERING (1u << 8) /* the bridge has vlan_filtering 1 */
#define RD_BRPORT_VLAN_8021AD (1u << 9)    /* ... with vlan_protocol 802.1ad */

/* rd_fdb: (bridge, VLAN, MAC) -> port. Entries of ports routerd manages,
 * plus the local ones (the bridge's and its ports' own addresses). */
#define RD_FDB_MAX_ENTRIES 65536

struct rd_fdb_key {
	__u32 bridge; /* ifindex of the bridge device */
	__u16 vid;    /* 0 on a bridge without VLAN filtering */
	__u8 mac[6];
};

#define RD_FDB_LOCAL (1u << 0)  /* the box's own address: deliver locally */
#define RD_FDB_STATIC (1u << 1) /* static or permanent: never ages */
#define RD_FDB_EXTERN (1u << 2) /* extern_learn: someone else keeps it alive */
#define RD_FDB_STICKY (1u << 3) /* does not move to another port */

/* seen_ns / used_ns are written by the fast path at most once per
 * RD_FDB_NOTE_INTERVAL_NS per entry (so the cache line is almost never
 * dirtied), read by the daemon to refresh the kernel's entry with NTF_USE.
 * bpf_ktime_get_coarse_ns() = CLOCK_MONOTONIC_COARSE. A daemon update that
 * changes port or flags starts the timestamps from 0 again. */
#define RD_FDB_NOTE_INTERVAL_NS 500000000ull

struct rd_fdb_entry {
	__u32 port;    /* ifindex: a managed port, or the bridge itself (LOCAL) */
	__u32 flags;   /* RD_FDB_* */
	__u64 seen_ns; /* last frame FROM this MAC (on this port) bridged in XDP */
	__u64 used_ns; /* last frame TO this MAC bridged in XDP */
};

/* rd_port_vlans: ifindex -> VLAN membership of a port of a VLAN-filtering
 * bridge (absent for other ports). One bit per VID. */
#define RD_VLAN_WORDS 64 /* 4096 bits */

struct rd_port_vlans {
	__u64 member[RD_VLAN_WORDS];   /* the port is in the VLAN */
	__u64 untagged[RD_VLAN_WORDS]; /* ... and sends its frames untagged */
	__u64 blocked[RD_VLAN_WORDS];  /* per-VLAN STP state not forwarding */
};

static inline int rd_vlan_bit(const __u64 *bits, __u16 vid)
{
	return (bits[(vid >> 6) & (RD_VLAN_WORDS - 1)] >> (vid & 63)) & 1;
}

/* rd_bridge_ctl[0]: the mirror's heartbeat. The daemon pushes
 * valid_until_ns RD_BRIDGE_HEARTBEAT_NS ahead every second; when it stops
 * (routerd killed, the pinned program still attached), the fast path stops
 * trusting maps nobody updates any more and hands every frame of a bridge
 * port to the kernel bridge (pass bridge_stale) until a routerd is back. */
#define RD_BRIDGE_HEARTBEAT_NS 5000000000ull

struct rd_bridge_ctl {
	__u64 valid_until_ns; /* CLOCK_MONOTONIC_COARSE; 0: bridging off */
	__u32 netfilter;      /* non-zero: bridged frames go to the kernel
			       * (pass netfilter; include/routerd/maps.h) */
	__u32 pad;
};

/* rd_bridges: bridge ifindex -> what the routing path needs to route a
 * packet out of the bridge (frames from a VM to the bridge's own address)
 * or into it (rd_bridge_egress()). On a VLAN-filtering bridge the bridge
 * device's own VLANs are in rd_port_vlans under the bridge's ifindex. */
#define RD_MAX_BRIDGES 256

struct rd_bridge_dev {
	__u16 flags;    /* RD_BRPORT_VLAN_FILTERING, RD_BRPORT_VLAN_8021AD */
	__u16 pvid;     /* the bridge device's own PVID (VLAN filtering only) */
	__u8 mac[6];    /* the bridge device's address; all zero: frames to it
			 * are not routed in XDP (bridge down, no IP config) */
	__u8 rp_filter; /* as rd_iface.rp_filter, for the bridge device */
	__u8 tc;        /* RD_TC_HOLD_* of the bridge device (routerd/daemon/tc.c) */
};

/* VLAN devices (ip link add link eth0 name eth0.10 type vlan id 10) on a
 * managed port or on a bridge, for the routing path: a route out of one
 * leaves through its lower device with the tag pushed; a tagged frame for
 * its MAC is routed with the VLAN device as the FIB's ingress. Written by
 * the daemon (routerd/bridge/vlan_devs.c) into two maps with the same value:
 * rd_vlan_devs keyed by the VLAN device's ifindex, rd_vlan_in by
 * (lower, VID). */
#define RD_MAX_VLAN_DEVS 1024

struct rd_vlan_dev {
	__u32 ifindex;  /* the VLAN device */
	__u32 lower;    /* the port or bridge it sits on */
	__u16 vid;
	__u16 tpid;     /* ETH_P_8021Q or ETH_P_8021AD, host order */
	__u8 mac[6];    /* its address; all zero while it is down */
	__u8 rp_filter; /* as rd_iface.rp_filter */
	__u8 tc;        /* RD_TC_HOLD_* of the VLAN device (routerd/daemon/tc.c) */
};

struct rd_vlan_key {
	__u32 lower;
	__u16 vid;
	__u16 pad;
};

#endif /* ROUTERD_BRIDGE_H */
