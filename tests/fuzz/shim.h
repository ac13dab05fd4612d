/* SPDX-License-Identifier: GPL-2.0 */
/* The static netlink callbacks of routerd/daemon/freshness.c, netlink.c and the
 * bridge mirror (bridge_topo.c, fdb_entries.c), exported by shim_*.c (which
 * compile those files unchanged) so that fuzz_netlink can feed them
 * messages without a socket. */
#ifndef RD_FUZZ_SHIM_H
#define RD_FUZZ_SHIM_H

#include <linux/netlink.h>
#include <stddef.h>

struct nl_cache;
struct nl_object;
struct nl_msg;

int fz_on_neigh(const struct nlmsghdr *nlh, void *arg);
void fz_on_link_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg);
void fz_on_addr_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg);
/* netlink.c's NL_CB_MSG_IN of the event socket: rd_netlink_msg_refused(),
 * counting and the resync (NL_SKIP) for a refused message, else NL_OK. */
int fz_on_event_in(struct nl_msg *msg, void *arg);
/* bridge_topo.c: on_link and on_vlan over the buffer (mnl_cb_run). */
void fz_bridge_topo_parse(const void *buf, size_t len);
/* The bridge mirror: fz_bridge_topo_parse, then fdb_entries.c's parse_fdb
 * on every message that fits. */
void fz_fdb_parse(const void *buf, size_t len);

#endif
