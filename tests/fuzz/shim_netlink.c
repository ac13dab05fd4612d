// SPDX-License-Identifier: GPL-2.0
/* routerd/daemon/netlink.c as it is, plus an entry point that sets it up
 * as a consumer of an event reader without sockets (see shim.h). */
#include "daemon/netlink.c"
#include "shim.h"

int fz_netlink_init(struct rd_netlink *nl, struct rd_nl_events *ev, struct ev_loop *loop,
		    struct rd_ifaces *ifs, struct rd_datapath *dp)
{
	/* what rd_netlink_open() registers, without its dumps */
	struct rd_nl_consumer c = consumer(nl);

	memset(nl, 0, sizeof(*nl));
	nl->ifs = ifs;
	nl->dp = dp;
	nl->loop = loop;
	nl->ev = ev;
	if (nl_cache_alloc_name("route/link", &nl->links) < 0 ||
	    nl_cache_alloc_name("route/addr", &nl->addrs) < 0)
		return -1;
	return rd_nl_events_add(ev, &c) ? 0 : -1;
}
