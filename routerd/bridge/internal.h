/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private to the bridge mirror (mirror.h): what its modules share. Nothing
 * outside mirror.c, entries.c, topology.c, refresh.c, report.c and
 * vlan_devs.c (and the fuzz shims that compile them) includes this.
 *
 *  mirror.c     the mirror's life cycle and the netlink it runs on: the
 *               request socket, requests and dumps, what it takes from the
 *               daemon's one event reader (nl_events.h), its timers, the
 *               managed set, the heartbeat (rd_fdb_start/stop,
 *               rd_fdb_sync/poll, what the interface table is wired to)
 *  entries.c    the FDB entries: parsing RTM_NEWNEIGH/DELNEIGH, events,
 *               the full dump into rd_fdb, reading rd_fdb back
 *  topology.c   bridges, ports and VLANs: the link and VLAN dumps and the
 *               maps they decide (rd_port_vlans, rd_bridges;
 *               rd_fdb_apply_dump) and the ports' bridge facts the
 *               interface table writes into rd_iface (rd_fdb_fill_iface)
 *  vlan_devs.c  VLAN devices for the routing path (rd_vlan_devs, rd_vlan_in)
 *  refresh.c    freshness: NTF_USE for what XDP bridged (rd_fdb_refresh)
 *  report.c     routerctl fdb [show|ports|stats] (rd_fdb_report)
 */
#ifndef RD_FDB_INTERNAL_H
#define RD_FDB_INTERNAL_H

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <string.h>

#include "bridge/mirror.h"
#include "common/log.h"

/* ---- mirror.c ---- */

/* The receive buffer of the request socket (one thread runs the mirror). */
extern char rd_fdb_rxbuf[1 << 16];

/* Drops what a timed-out exchange left on the request socket. */
void rd_fdb_drain(struct rd_fdb *f);
/* Sends REQ and feeds every answer to CB until the dump (or ack) is done.
 * Returns 0 or -errno; *intr (may be NULL) tells whether the kernel marked
 * the dump inconsistent (the table changed under it). */
int rd_fdb_request(struct rd_fdb *f, struct nlmsghdr *req, mnl_cb_t cb, void *data, bool *intr);
/* Everything pending on the reader's socket, dispatched. Returns true
 * after an overrun (events were lost: the reader's resync, ours included,
 * is done without a loop, due with one). */
bool rd_fdb_read_events(struct rd_fdb *f);

/* Is IFINDEX one of the interfaces routerd manages? */
bool rd_fdb_is_managed(const struct rd_fdb *f, __u32 ifindex);
/* Re-reads the managed set from ifaces; true when it changed. */
bool rd_fdb_update_managed(struct rd_fdb *f);

/* Pushes the bridging heartbeat ahead (ALIVE) or switches it off. */
void rd_fdb_heartbeat(struct rd_fdb *f, bool alive);
/* Counts a failed map update and says so now and then. */
static inline void warn_map(struct rd_fdb *f, const char *what, int err)
{
	if (!f->map_errors++ || !(f->map_errors % 1000))
		rd_warn("bridge mirror: cannot update %s: %s (%lu errors so far)", what,
			strerror(err), f->map_errors);
}

/* Deletes the keys of the map behind MAP_FD (KEY_SIZE bytes, at most
 * RD_STALE_KEY_MAX; RD_MAX_IFACES of them at a time) that STALE() says the
 * current picture no longer wants. */
#define RD_STALE_KEY_MAX 16
void rd_fdb_delete_stale(const struct rd_fdb *f, int map_fd, size_t key_size,
			 bool (*stale)(const struct rd_fdb *f, const void *key));

/* ARR (N used, *CAP allocated, elements of SIZE) with room for one more:
 * the same array, a larger one, or NULL with *oom set (ARR stays valid). */
void *rd_fdb_grow(void *arr, size_t *cap, size_t n, size_t size, bool *oom);

/* ---- entries.c ---- */

/* One RTM_NEWNEIGH/RTM_DELNEIGH as the mirror reads it. */
struct fdb_msg {
	struct rd_fdb_key key;
	struct rd_fdb_entry val;
	bool locked;
};

/* Fills M from NLH if it is a bridge FDB entry (family AF_BRIDGE, with
 * NDA_LLADDR and NDA_MASTER, not a device's own NTF_SELF entry); false if
 * not. Reads nothing but NLH (the fuzzer's entry too). */
bool rd_fdb_parse_entry(const struct nlmsghdr *nlh, struct fdb_msg *m);

/* Applies one RTM_NEWNEIGH/RTM_DELNEIGH event to rd_fdb. */
void rd_fdb_entry_event(struct rd_fdb *f, const struct nlmsghdr *nlh);
/* Dumps the kernel's FDB and makes rd_fdb hold exactly what it wants. */
void rd_fdb_sync_entries(struct rd_fdb *f);
/* Every entry in rd_fdb (batched where the kernel can); the caller frees
 * *keys and *vals. Returns 0 or -errno. */
int rd_fdb_read_map(struct rd_fdb *f, struct rd_fdb_key **keys, struct rd_fdb_entry **vals,
		    size_t *n);

/* ---- topology.c ---- */

/* The picture a link dump and a VLAN dump build, swapped in when whole. */
struct topo {
	struct rd_br_port *ports;
	size_t n_ports, cap_ports;
	struct rd_br_bridge *bridges;
	size_t n_bridges, cap_bridges;
	struct rd_br_vlans *vlans;
	size_t n_vlans, cap_vlans;
	struct rd_br_vlan_dev *vlan_devs;
	size_t n_vlan_devs, cap_vlan_devs;
	bool oom;
};

/* Parses a link dump (LINKS: RTM_NEWLINK messages back to back) and a VLAN
 * dump (VLANS, may be NULL: RTM_NEWVLAN) into T, as rd_fdb_sync_ports()
 * does from the kernel's answers; touches nothing else (the fuzzer's entry
 * too). T starts zeroed; free it with rd_topo_free(). */
void rd_topo_parse(struct topo *t, const void *links, size_t links_len, const void *vlans,
		   size_t vlans_len);
void rd_topo_free(struct topo *t);

/* Re-reads ports, bridges and VLANs and rewrites the maps that depend on
 * them. The old picture stays if the link dump fails. */
void rd_fdb_sync_ports(struct rd_fdb *f);
/* The bridge fields of a port's rd_iface, from the current picture. */
void rd_fdb_fill_iface(const struct rd_fdb *f, __u32 ifindex, struct rd_iface *val);

/* ---- vlan_devs.c ---- */

/* A VLAN device's description from its RTM_NEWLINK (TB: the IFLA_*
 * attributes, INFO_DATA: its IFLA_INFO_DATA); false if it is none. */
bool rd_vlan_dev_parse(const struct ifinfomsg *ifi, const struct nlattr *const *tb,
		       const struct nlattr *info_data, struct rd_br_vlan_dev *out);
/* rd_vlan_devs and rd_vlan_in from f->vlan_devs. */
void rd_vlan_devs_write(struct rd_fdb *f);

/* Lookups in the current picture (f->ports, f->bridges, f->vlans): the
 * element for IFINDEX, or NULL. Each element type starts with its ifindex. */
_Static_assert(offsetof(struct rd_br_port, ifindex) == 0 &&
		       offsetof(struct rd_br_bridge, ifindex) == 0 &&
		       offsetof(struct rd_br_vlans, ifindex) == 0,
	       "rd_fdb_find_ifindex() reads the ifindex at offset 0");

static inline void *rd_fdb_find_ifindex(void *arr, size_t n, size_t size, __u32 ifindex)
{
	for (char *e = arr; n; n--, e += size)
		if (*(const __u32 *)e == ifindex)
			return e;
	return NULL;
}

static inline struct rd_br_port *find_port(const struct rd_fdb *f, __u32 ifindex)
{
	return rd_fdb_find_ifindex(f->ports, f->n_ports, sizeof(*f->ports), ifindex);
}

static inline struct rd_br_bridge *find_bridge(const struct rd_fdb *f, __u32 ifindex)
{
	return rd_fdb_find_ifindex(f->bridges, f->n_bridges, sizeof(*f->bridges), ifindex);
}

static inline struct rd_br_vlans *find_vlans(const struct rd_fdb *f, __u32 ifindex)
{
	return rd_fdb_find_ifindex(f->vlans, f->n_vlans, sizeof(*f->vlans), ifindex);
}

#endif
