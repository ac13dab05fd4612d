// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include "log.h"
#include "netlink.h"

static void on_link_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	struct rd_netlink *nl = arg;
	struct rtnl_link *link = (struct rtnl_link *)obj;

	nl->events++;
	rd_debug("link event %d: %s (ifindex %d)", action, rtnl_link_get_name(link),
		 rtnl_link_get_ifindex(link));
	rd_ifaces_reconcile(nl->ifs);
}

struct local4_list {
	__u32 addrs[2 * RD_LOCAL4_SLOTS];
	size_t n;
};

static void collect_local4(struct nl_object *obj, void *arg)
{
	struct rtnl_addr *addr = (struct rtnl_addr *)obj;
	struct nl_addr *sources[] = { rtnl_addr_get_local(addr), rtnl_addr_get_broadcast(addr) };
	struct local4_list *list = arg;

	if (rtnl_addr_get_family(addr) != AF_INET)
		return;
	for (size_t i = 0; i < 2; i++) {
		if (!sources[i] || nl_addr_get_len(sources[i]) != 4 ||
		    list->n == sizeof(list->addrs) / sizeof(list->addrs[0]))
			continue;
		memcpy(&list->addrs[list->n++], nl_addr_get_binary_addr(sources[i]), 4);
	}
}

static void sync_local4(struct rd_netlink *nl)
{
	static struct local4_list list;
	unsigned long writes = nl->dp->local4_writes;
	size_t unplaced;

	list.n = 0;
	nl_cache_foreach(nl->addrs, collect_local4, &list);
	unplaced = rd_dp_set_local4(nl->dp, list.addrs, list.n);
	if (nl->dp->local4_writes != writes && nl->on_local4)
		nl->on_local4(nl->on_local4_arg);
	if (unplaced)
		rd_warn("%zu local IPv4 addresses do not fit the fast path's table: packets "
			"spoofing them as source are forwarded", unplaced);
}

static void on_addr_change(struct nl_cache *cache, struct nl_object *obj, int action, void *arg)
{
	struct rd_netlink *nl = arg;

	nl->events++;
	sync_local4(nl);
}

void rd_netlink_resync(struct rd_netlink *nl, const char *why)
{
	int rc = nl_cache_refill(nl->dump_sk, nl->links);

	if (rc >= 0)
		rc = nl_cache_refill(nl->dump_sk, nl->addrs);
	nl->resyncs++;
	nl->last_resync = ev_now(nl->loop);
	if (rc < 0)
		rd_err("netlink resync (%s): link dump failed: %s", why, nl_geterror(rc));
	else
		rd_warn("netlink resync (%s): re-read %d links, %d addresses", why,
			nl_cache_nitems(nl->links), nl_cache_nitems(nl->addrs));
	rd_ifaces_reconcile(nl->ifs);
	sync_local4(nl);
}

#define RESYNC_DELAY_S 0.1

static void on_resync_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rd_netlink *nl = w->data;

	rd_netlink_resync(nl, nl->resync_reason);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rd_netlink *nl = w->data;
	int rc = nl_cache_mngr_data_ready(nl->mngr);

	if (rc >= 0)
		return;
	/* Events were lost (libnl reports ENOBUFS as NLE_NOMEM). Resync once
	 * the burst is over rather than after every overrun in it. */
	nl->overruns++;
	snprintf(nl->resync_reason, sizeof(nl->resync_reason), "%s",
		 rc == -NLE_NOMEM ? "socket overrun, events lost" : nl_geterror(rc));
	if (!ev_is_active(&nl->resync_timer)) {
		/* re-arm: a fired one-shot timer restarted as is fires at once */
		ev_timer_set(&nl->resync_timer, RESYNC_DELAY_S, 0);
		ev_timer_start(loop, &nl->resync_timer);
	}
}

int rd_netlink_open(struct rd_netlink *nl, struct ev_loop *loop, struct rd_ifaces *ifs,
		    struct rd_datapath *dp, int rcvbuf, char *err, size_t errlen)
{
	int rc;

	memset(nl, 0, sizeof(*nl));
	nl->ifs = ifs;
	nl->dp = dp;
	nl->loop = loop;
	nl->events_sk = nl_socket_alloc();
	nl->dump_sk = nl_socket_alloc();
	if (!nl->events_sk || !nl->dump_sk) {
		rc = -NLE_NOMEM;
		goto fail;
	}
	rc = nl_connect(nl->dump_sk, NETLINK_ROUTE);
	if (rc < 0)
		goto fail;
	rc = nl_cache_mngr_alloc(nl->events_sk, NETLINK_ROUTE, NL_AUTO_PROVIDE, &nl->mngr);
	if (rc < 0)
		goto fail;
	rc = nl_cache_mngr_add(nl->mngr, "route/link", on_link_change, nl, &nl->links);
	if (rc < 0)
		goto fail;
	rc = nl_cache_mngr_add(nl->mngr, "route/addr", on_addr_change, nl, &nl->addrs);
	if (rc < 0)
		goto fail;
	sync_local4(nl);
	if (rcvbuf > 0)
		nl_socket_set_buffer_size(nl->events_sk, rcvbuf, 0);

	ev_timer_init(&nl->resync_timer, on_resync_timer, RESYNC_DELAY_S, 0);
	nl->resync_timer.data = nl;
	ev_io_init(&nl->io, on_readable, nl_cache_mngr_get_fd(nl->mngr), EV_READ);
	nl->io.data = nl;
	ev_io_start(loop, &nl->io);
	return 0;
fail:
	snprintf(err, errlen, "cannot subscribe to netlink link and address events: %s",
		 nl_geterror(rc));
	rd_netlink_close(nl);
	return -1;
}

void rd_netlink_close(struct rd_netlink *nl)
{
	if (nl->loop && nl->mngr) {
		ev_io_stop(nl->loop, &nl->io);
		ev_timer_stop(nl->loop, &nl->resync_timer);
	}
	if (nl->mngr)
		nl_cache_mngr_free(nl->mngr); /* frees the caches, not our socket */
	if (nl->events_sk)
		nl_socket_free(nl->events_sk);
	if (nl->dump_sk)
		nl_socket_free(nl->dump_sk);
	memset(nl, 0, sizeof(*nl));
}
