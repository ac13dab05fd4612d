/* SPDX-License-Identifier: GPL-2.0 */
/* The static netlink callbacks of routerd/daemon/freshness.c, netlink.c and the
 * bridge mirror (bridge_topo.c, fdb_entries.c), exported by shim_*.c (which
 * compile those files unchanged) so that fuzz_netlink can feed them
 * messages without a socket. */
#ifndef RD_FUZZ_SHIM_H
#define RD_FUZZ_SHIM_H

#include <linux/netlink.h>
#include <stddef.h>

struct ev_loop;
struct rd_datapath;
struct rd_ifaces;
struct rd_netlink;
struct rd_nl_events;

int fz_on_neigh(const struct nlmsghdr *nlh, void *arg);
/* netlink.c as a consumer of EV (rd_nl_events_init()ed with LOOP), with
 * empty caches and no socket: what rd_netlink_open() registers (the guard,
 * libnl-route's parsers into the caches, on_link_change/on_addr_change),
 * without the dumps. 0, or -1 if libnl is out of memory. */
int fz_netlink_init(struct rd_netlink *nl, struct rd_nl_events *ev, struct ev_loop *loop,
		    struct rd_ifaces *ifs, struct rd_datapath *dp);
/* bridge_topo.c: on_link and on_vlan over the buffer (mnl_cb_run). */
void fz_bridge_topo_parse(const void *buf, size_t len);
/* The bridge mirror: fz_bridge_topo_parse, then fdb_entries.c's parse_fdb
 * on every message that fits. */
void fz_fdb_parse(const void *buf, size_t len);

#endif
