// SPDX-License-Identifier: GPL-2.0
/* routerd/daemon/netlink.c as it is, plus its exported cache callbacks (see shim.h). */
#include "daemon/netlink.c"
#include "shim.h"

void fz_on_link_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	on_link_change(cache, obj, action, arg);
}

void fz_on_addr_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	on_addr_change(cache, obj, action, arg);
}

int fz_on_event_in(struct nl_msg *msg, void *arg)
{
	return on_event_in(msg, arg);
}
