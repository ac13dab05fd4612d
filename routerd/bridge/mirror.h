/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bridge mirror: owns rd_fdb, rd_port_vlans, rd_bridges and the bridge
 * facts of each port (what rd_fdb_describe_port() answers; the interface
 * table writes them into rd_iface's bridge_ifindex, br_flags, pvid), and
 * keeps the kernel bridge's FDB entries alive for the traffic XDP bridges.
 *
 * What it mirrors, all through rtnetlink (libmnl; the link, FDB and
 * bridge-VLAN events from the daemon's one reader, nl_events.h; dumps and
 * refreshes on a request socket of its own):
 *  - the FDB (RTM_NEWNEIGH/RTM_DELNEIGH, family AF_BRIDGE): entries whose
 *    port routerd manages, plus the local ones (the bridge's and its ports'
 *    own addresses); dumped at start, then followed event by event, dumped
 *    again after an overrun (ENOBUFS) or when the managed set changes;
 *  - bridge ports and bridges (RTM_NEWLINK: IFLA_MASTER, IFLA_LINKINFO with
 *    the bridge's IFLA_BR_* and each port's IFLA_BRPORT_* attributes): port
 *    state, learning, isolated, locked, proxy ARP / neighbour suppression,
 *    VLAN filtering and protocol, ageing time;
 *  - VLANs of VLAN-filtering bridges (RTM_GETVLAN dump, as `bridge -d vlan
 *    show`): membership, PVID, untagged, per-VLAN STP state.
 *   Any link or VLAN event re-reads the ports and VLANs (coalesced: one
 *   dump per burst), so a port leaving the bridge or changing state takes
 *   effect on the next loop iteration.
 *
 * Freshness: frames bridged in XDP never refresh the kernel's entry of
 * their source MAC, which would age out under live traffic. The fast path
 * stamps rd_fdb_entry.seen_ns (at most twice a second); every round this
 * module sends RTM_NEWNEIGH NTF_MASTER|NTF_USE (`bridge fdb replace MAC dev
 * PORT master use`) for each dynamic entry seen since the last refresh of
 * its bridge: the same "updated" refresh learning does. Bridges are
 * refreshed every quarter of their ageing time (1 to 30 s). Pending FDB
 * events are read first, so an entry that moved is never pulled back.
 *
 * The implementation is split by responsibility (mirror.c, entries.c,
 * topology.c, refresh.c, report.c); internal.h says which
 * owns what.
 */
#ifndef RD_FDB_H
#define RD_FDB_H

#include <ev.h>
#include <net/if.h>
#include <stdbool.h>

#include <routerd/bridge.h>

#include "daemon/datapath.h"
#include "common/print.h"

struct mnl_socket;
struct rd_nl_events;

/* A port of a Linux bridge, as the last link dump described it. */
struct rd_br_port {
	__u32 ifindex;
	__u32 master; /* the bridge's ifindex */
	char name[IF_NAMESIZE];
	__u8 state;   /* BR_STATE_* */
	bool learning, isolated, locked, neigh_kernel, hairpin;
};

struct rd_br_bridge {
	__u32 ifindex;
	char name[IF_NAMESIZE];
	bool vlan_filtering;
	bool vlans_known;   /* the VLAN dump answered */
	bool mst;           /* multiple spanning trees: per-VLAN state elsewhere */
	bool neigh_kernel;  /* a port has proxy ARP or neighbour suppression */
	bool up;            /* IFF_UP */
	__u8 mac[6];        /* its own address (IFLA_ADDRESS) */
	__u16 vlan_proto;   /* host order */
	__u32 ageing_cs;    /* ageing time, centiseconds */
	__u64 last_refresh_ns;
};

/* A VLAN device (kind "vlan") and its name, for its rp_filter. */
struct rd_br_vlan_dev {
	struct rd_vlan_dev dev;
	char name[IF_NAMESIZE];
};

/* The VLANs of one device (port or bridge) of a VLAN-filtering bridge. */
struct rd_br_vlans {
	__u32 ifindex;
	__u16 pvid;
	struct rd_port_vlans bits;
};

/* What the mirror asks of the interface table, which owns the rd_iface
 * entries and the managed set; wired by main (rd_wire_bridge()). */
struct rd_fdb_hooks {
	/* the ifindexes routerd manages, in *out (malloc'd); how many */
	size_t (*managed)(void *arg, __u32 **out);
	/* the picture of ports changed: the ports' rd_iface bridge fields
	 * are due again (rd_fdb_describe_port() answers differently) */
	void (*ports_changed)(void *arg);
	void *arg;
	/* the RD_TC_HOLD_* bits for IFINDEX (rd_tc_hold()); 0 without it */
	__u8 (*tc_hold)(void *arg, __u32 ifindex, bool bypass);
	void *tc_arg;
};

/* The tc hold of IFINDEX (a bridge or VLAN device) through F's hooks. */
static inline __u8 rd_fdb_tc_hold(const struct rd_fdb_hooks *h, __u32 ifindex)
{
	return h->tc_hold ? h->tc_hold(h->tc_arg, ifindex, false) : 0;
}

struct rd_fdb {
	struct rd_datapath *dp;
	struct rd_fdb_hooks hooks;
	struct rd_nl_events *events; /* the reader it follows (NULL: none) */
	struct mnl_socket *req;      /* dumps and NTF_USE refreshes */
	unsigned int seq;
	struct ev_loop *loop;
	ev_timer ports_timer;   /* coalesced re-read of ports and VLANs */
	ev_timer refresh_timer; /* freshness rounds */

	struct rd_br_port *ports;
	size_t n_ports;
	struct rd_br_bridge *bridges;
	size_t n_bridges;
	struct rd_br_vlans *vlans;
	size_t n_vlans;
	struct rd_br_vlan_dev *vlan_devs;
	size_t n_vlan_devs;
	__u32 *managed; /* sorted ifindexes of the managed interfaces */
	size_t n_managed;
	bool ports_dirty, fdb_dirty;
	bool nf_hold; /* bridged frames to the kernel (routerd/netfilter/netfilter.c) */

	unsigned long fdb_events, link_events, vlan_events, overruns, resyncs, port_syncs;
	unsigned long refresh_rounds, refreshes, refresh_absent, refresh_errors;
	unsigned long map_errors;
	size_t n_entries; /* in rd_fdb after the last full dump */
};

/* Opens the request socket, joins EVENTS (the one reader, subscribed
 * already), reads everything once and fills the maps; with a loop,
 * refreshes from then on (loop may be NULL: the tests drive
 * rd_fdb_poll()/rd_fdb_refresh() themselves). */
int rd_fdb_start(struct rd_fdb *f, struct ev_loop *loop, struct rd_datapath *dp,
		 struct rd_nl_events *events, const struct rd_fdb_hooks *hooks, char *err,
		 size_t errlen);
void rd_fdb_stop(struct rd_fdb *f);
/* The netfilter hold for bridged frames (rd_bridge_ctl.netfilter); may be
 * set before rd_fdb_start(), which keeps it. */
void rd_fdb_set_netfilter(struct rd_fdb *f, bool hold);

/* Full resync: ports, VLANs, the whole FDB. */
void rd_fdb_sync(struct rd_fdb *f);
/* Reads and applies the pending events (non-blocking; every consumer of
 * the reader gets its own), then whatever they made stale. */
void rd_fdb_poll(struct rd_fdb *f);
/* One freshness round; `force` refreshes every bridge now. */
void rd_fdb_refresh(struct rd_fdb *f, bool force);

/* For the tests: the picture of ports, bridges and VLANs from buffers of
 * netlink messages as the link dump (RTM_NEWLINK) and the VLAN dump
 * (RTM_NEWVLAN; NULL: it failed) return them, and the maps written from
 * it: what a port resync does, without the kernel. */
void rd_fdb_apply_dump(struct rd_fdb *f, const void *links, size_t links_len, const void *vlans,
		       size_t vlans_len);

/* For the interface table (through its hooks): the bridge fields of the
 * rd_iface of IFINDEX (left as they are while the mirror is not started,
 * so a restart keeps bridging until the first dump). */
void rd_fdb_describe_port(const struct rd_fdb *f, __u32 ifindex, struct rd_iface *val);
/* For the interface table (through its hooks): the managed set may have
 * changed (interfaces attached, gone, re-created): re-read what depends
 * on it. */
void rd_fdb_ifaces_changed(struct rd_fdb *f);
/* A netconf change (e.g. a bridge's rp_filter): re-read the bridges. */
void rd_fdb_netconf_changed(struct rd_fdb *f);

/* routerctl fdb [ports]: the mirrored entries (MAC, VLAN, bridge, port,
 * flags, when XDP last bridged from/to it) or the bridge ports. */
int rd_fdb_report(struct rd_fdb *f, struct rd_print *p, const char *what, char *err,
		  size_t errlen);

#endif
