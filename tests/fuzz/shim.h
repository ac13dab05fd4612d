/* SPDX-License-Identifier: GPL-2.0 */
/* The static netlink callbacks of routerd/daemon/netlink.c, exported by
 * shim_netlink.c (which compiles that file unchanged) so that fuzz_netlink
 * can feed them messages without a socket. */
#ifndef RD_FUZZ_SHIM_H
#define RD_FUZZ_SHIM_H

#include <linux/netlink.h>
#include <stddef.h>

struct ev_loop;
struct rd_datapath;
struct rd_ifaces;
struct rd_netlink;
struct rd_nl_events;

/* netlink.c as a consumer of EV (rd_nl_events_init()ed with LOOP), with
 * empty caches and no socket: what rd_netlink_open() registers (the guard,
 * libnl-route's parsers into the caches, on_link_change/on_addr_change),
 * without the dumps. 0, or -1 if libnl is out of memory. */
int fz_netlink_init(struct rd_netlink *nl, struct rd_nl_events *ev, struct ev_loop *loop,
		    struct rd_ifaces *ifs, struct rd_datapath *dp);

#endif
