/* SPDX-License-Identifier: GPL-2.0 */
/* The static netlink callbacks of routerd/daemon/netlink.c, exported by
 * shim_netlink.c (which compiles that file unchanged) so that fuzz_netlink
 * can feed them messages without a socket. */
#ifndef RD_FUZZ_SHIM_H
#define RD_FUZZ_SHIM_H

#include <linux/netlink.h>
#include <stddef.h>

struct nl_cache;
struct nl_object;
struct nl_msg;

void fz_on_link_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg);
void fz_on_addr_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg);
/* netlink.c's NL_CB_MSG_IN of the event socket: rd_netlink_msg_refused(),
 * counting and the resync (NL_SKIP) for a refused message, else NL_OK. */
int fz_on_event_in(struct nl_msg *msg, void *arg);

#endif
