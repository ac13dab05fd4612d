// SPDX-License-Identifier: GPL-2.0
/*
 * The bridge mirror's life cycle and the netlink it runs on (fdb.h; the
 * modules it drives are listed in fdb_internal.h). Owns:
 *  - the two rtnetlink sockets (events on the link, neighbour and
 *    bridge-VLAN groups; requests) and the request/dump exchange;
 *  - the event reader: FDB events go to fdb_entries.c at once, link and
 *    VLAN events mark the ports stale (one re-read per burst), an overrun
 *    schedules a full resync; the timers for all three and the freshness
 *    rounds;
 *  - the managed set (the ifindexes routerd manages, asked of the
 *    interface table through hooks.managed) and what main wires the
 *    interface table to (rd_fdb_describe_port, rd_fdb_ifaces_changed);
 *  - the heartbeat in rd_bridge_ctl, without which XDP does not bridge.
 */
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bridge/internal.h"
#include "common/log.h"
#include "daemon/nlmsg.h"
#include "routerd.skel.h"

#define PORTS_DELAY_S 0.01  /* coalesce a burst of link/VLAN events */
#define RESYNC_DELAY_S 0.1  /* after an overrun: once the burst is over */
#define ROUND_INTERVAL_S 1.0
#define EVENTS_RCVBUF (4 << 20)

char rd_fdb_rxbuf[1 << 16];

/* ------------------------------------------------------------------ */
/* netlink plumbing                                                    */

/* Late acks would otherwise be taken for the next request's answer. */
void rd_fdb_drain(struct rd_fdb *f)
{
	while (recv(mnl_socket_get_fd(f->req), rd_fdb_rxbuf, sizeof(rd_fdb_rxbuf),
		    MSG_DONTWAIT) > 0)
		;
}

int rd_fdb_request(struct rd_fdb *f, struct nlmsghdr *req, mnl_cb_t cb, void *data, bool *intr)
{
	unsigned int portid = mnl_socket_get_portid(f->req);
	int rc;

	rd_fdb_drain(f);
	req->nlmsg_seq = ++f->seq;
	if (mnl_socket_sendto(f->req, req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		rc = mnl_socket_recvfrom(f->req, rd_fdb_rxbuf, sizeof(rd_fdb_rxbuf));
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (intr) {
			const struct nlmsghdr *nlh;
			size_t left;

			rd_nlmsg_for_each(nlh, rd_fdb_rxbuf, (size_t)rc, left)
				if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
					*intr = true;
		}
		rc = rd_mnl_cb_run(rd_fdb_rxbuf, rc, req->nlmsg_seq, portid, cb, data);
		if (rc < 0)
			return -errno;
		if (rc == MNL_CB_STOP)
			return 0;
	}
}

/* ------------------------------------------------------------------ */
/* the managed set                                                     */

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

bool rd_fdb_is_managed(const struct rd_fdb *f, __u32 ifindex)
{
	return f->n_managed &&
	       bsearch(&ifindex, f->managed, f->n_managed, sizeof(*f->managed), cmp_u32) != NULL;
}

bool rd_fdb_update_managed(struct rd_fdb *f)
{
	__u32 *now = NULL;
	size_t n = f->hooks.managed ? f->hooks.managed(f->hooks.arg, &now) : 0;

	if (n)
		qsort(now, n, sizeof(now[0]), cmp_u32);
	if (n == f->n_managed && (!n || !memcmp(now, f->managed, n * sizeof(now[0])))) {
		free(now);
		return false;
	}
	free(f->managed);
	f->managed = n ? now : NULL;
	f->n_managed = n;
	if (!n)
		free(now);
	return true;
}

/* ------------------------------------------------------------------ */
/* shared by the mirror's modules                                      */

void *rd_fdb_grow(void *arr, size_t *cap, size_t n, size_t size, bool *oom)
{
	void *next;

	if (n < *cap)
		return arr;
	next = realloc(arr, (*cap ? *cap * 2 : 16) * size);
	if (!next) {
		*oom = true;
		return NULL;
	}
	*cap = *cap ? *cap * 2 : 16;
	return next;
}

/* The fast path bridges only while this is pushed ahead (fdb.h). */
void rd_fdb_heartbeat(struct rd_fdb *f, bool alive)
{
	struct rd_bridge_ctl ctl = { .valid_until_ns = alive ? rd_coarse_now_ns() +
								  RD_BRIDGE_HEARTBEAT_NS : 0,
				     .netfilter = f->nf_hold };
	__u32 zero = 0;

	if (bpf_map__update_elem(f->dp->skel->maps.rd_bridge_ctl, &zero, sizeof(zero), &ctl,
				 sizeof(ctl), 0))
		warn_map(f, "rd_bridge_ctl", errno);
}

void rd_fdb_set_netfilter(struct rd_fdb *f, bool hold)
{
	if (f->nf_hold == hold)
		return;
	f->nf_hold = hold;
	if (f->req && f->dp)
		rd_fdb_heartbeat(f, true);
}

/* ------------------------------------------------------------------ */
/* events                                                              */

static int on_event(const struct nlmsghdr *nlh, void *data)
{
	struct rd_fdb *f = data;

	switch (nlh->nlmsg_type) {
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH:
		rd_fdb_entry_event(f, nlh);
		break;
	case RTM_NEWLINK:
	case RTM_DELLINK:
		f->link_events++;
		f->ports_dirty = true;
		break;
	case RTM_NEWVLAN:
	case RTM_DELVLAN:
		f->vlan_events++;
		f->ports_dirty = true;
		break;
	}
	return MNL_CB_OK;
}

bool rd_fdb_read_events(struct rd_fdb *f)
{
	int fd = mnl_socket_get_fd(f->events);
	bool overrun = false;

	for (;;) {
		ssize_t n = recv(fd, rd_fdb_rxbuf, sizeof(rd_fdb_rxbuf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				f->overruns++;
				overrun = true;
				continue;
			}
			break; /* EAGAIN: drained */
		}
		if (n == 0)
			break;
		rd_mnl_cb_run(rd_fdb_rxbuf, n, 0, 0, on_event, f);
	}
	return overrun;
}

void rd_fdb_sync(struct rd_fdb *f)
{
	f->resyncs++;
	rd_fdb_update_managed(f);
	rd_fdb_sync_ports(f);
	rd_fdb_sync_entries(f);
	rd_fdb_heartbeat(f, true);
}

void rd_fdb_poll(struct rd_fdb *f)
{
	if (rd_fdb_read_events(f)) {
		rd_warn("bridge mirror: netlink overrun, events lost: full resync");
		rd_fdb_sync(f);
		return;
	}
	if (rd_fdb_update_managed(f))
		f->ports_dirty = f->fdb_dirty = true;
	if (f->ports_dirty)
		rd_fdb_sync_ports(f);
	if (f->fdb_dirty)
		rd_fdb_sync_entries(f);
	rd_fdb_heartbeat(f, true);
}

static void schedule(struct rd_fdb *f)
{
	if (f->loop && (f->ports_dirty || f->fdb_dirty) && !ev_is_active(&f->ports_timer))
		ev_timer_start(f->loop, &f->ports_timer);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rd_fdb *f = w->data;

	if (rd_fdb_read_events(f)) {
		if (!ev_is_active(&f->resync_timer))
			ev_timer_start(loop, &f->resync_timer);
		return;
	}
	schedule(f);
}

static void on_ports_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rd_fdb *f = w->data;

	rd_fdb_poll(f);
	schedule(f); /* a dump that raced with a change */
}

static void on_resync_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rd_fdb *f = w->data;

	rd_warn("bridge mirror: netlink overrun, events lost: full resync");
	rd_fdb_read_events(f); /* what the resync will cover anyway */
	rd_fdb_sync(f);
}

static void on_refresh_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	rd_fdb_refresh(w->data, false);
}

/* ------------------------------------------------------------------ */
/* life cycle                                                          */

int rd_fdb_start(struct rd_fdb *f, struct ev_loop *loop, struct rd_datapath *dp,
		 const struct rd_fdb_hooks *hooks, char *err, size_t errlen)
{
	static const unsigned int groups[] = { RTNLGRP_LINK, RTNLGRP_NEIGH, RTNLGRP_BRVLAN };
	struct timeval tv = { .tv_sec = 2 };
	int rcvbuf = EVENTS_RCVBUF;
	bool nf_hold = f->nf_hold; /* set before the start: rd_fdb_set_netfilter() */

	memset(f, 0, sizeof(*f));
	f->nf_hold = nf_hold;
	f->dp = dp;
	if (hooks)
		f->hooks = *hooks;
	f->seq = time(NULL);
	f->events = mnl_socket_open(NETLINK_ROUTE);
	f->req = mnl_socket_open(NETLINK_ROUTE);
	if (!f->events || !f->req || mnl_socket_bind(f->events, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(f->req, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "bridge mirror: cannot open a netlink socket: %s",
			 strerror(errno));
		rd_fdb_stop(f);
		return -1;
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		unsigned int g = groups[i];

		/* the VLAN group is missing on old kernels: fine, the link
		 * events cover what they can */
		if (mnl_socket_setsockopt(f->events, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) &&
		    g != RTNLGRP_BRVLAN) {
			snprintf(err, errlen, "bridge mirror: cannot subscribe to netlink group %u: %s",
				 g, strerror(errno));
			rd_fdb_stop(f);
			return -1;
		}
	}
	if (setsockopt(mnl_socket_get_fd(f->events), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)))
		setsockopt(mnl_socket_get_fd(f->events), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
			   sizeof(rcvbuf));
	/* never hang on a lost ack */
	setsockopt(mnl_socket_get_fd(f->req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	fcntl(mnl_socket_get_fd(f->events), F_SETFL,
	      fcntl(mnl_socket_get_fd(f->events), F_GETFL) | O_NONBLOCK);

	rd_fdb_sync(f);
	if (!loop)
		return 0;
	f->loop = loop;
	ev_timer_init(&f->ports_timer, on_ports_timer, PORTS_DELAY_S, 0);
	f->ports_timer.data = f;
	ev_timer_init(&f->resync_timer, on_resync_timer, RESYNC_DELAY_S, 0);
	f->resync_timer.data = f;
	ev_timer_init(&f->refresh_timer, on_refresh_timer, ROUND_INTERVAL_S, ROUND_INTERVAL_S);
	f->refresh_timer.data = f;
	ev_io_init(&f->io, on_readable, mnl_socket_get_fd(f->events), EV_READ);
	f->io.data = f;
	ev_io_start(loop, &f->io);
	ev_timer_start(loop, &f->refresh_timer);
	rd_info("bridge mirror: %zu bridge(s), %zu port(s), %zu FDB entries mirrored",
		f->n_bridges, f->n_ports, f->n_entries);
	return 0;
}

void rd_fdb_stop(struct rd_fdb *f)
{
	if (f->req && f->dp)
		rd_fdb_heartbeat(f, false); /* nobody follows the bridge any more */
	if (f->loop) {
		ev_io_stop(f->loop, &f->io);
		ev_timer_stop(f->loop, &f->ports_timer);
		ev_timer_stop(f->loop, &f->resync_timer);
		ev_timer_stop(f->loop, &f->refresh_timer);
	}
	if (f->events)
		mnl_socket_close(f->events);
	if (f->req)
		mnl_socket_close(f->req);
	free(f->ports);
	free(f->bridges);
	free(f->vlans);
	free(f->vlan_devs);
	free(f->managed);
	memset(f, 0, sizeof(*f));
}

void rd_fdb_describe_port(const struct rd_fdb *f, __u32 ifindex, struct rd_iface *val)
{
	if (f->req) /* started: the first dump is in */
		rd_fdb_fill_iface(f, ifindex, val);
}

void rd_fdb_delete_stale(const struct rd_fdb *f, int map_fd, size_t key_size,
			 bool (*stale)(const struct rd_fdb *f, const void *key))
{
	char key[RD_STALE_KEY_MAX], next[RD_STALE_KEY_MAX], gone[RD_MAX_IFACES][RD_STALE_KEY_MAX];
	void *prev = NULL;
	size_t n = 0;

	if (key_size > RD_STALE_KEY_MAX)
		return;
	while (!bpf_map_get_next_key(map_fd, prev, next) && n < RD_MAX_IFACES) {
		if (stale(f, next))
			memcpy(gone[n++], next, key_size);
		memcpy(key, next, key_size);
		prev = key;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(map_fd, gone[i]);
}

void rd_fdb_netconf_changed(struct rd_fdb *f)
{
	if (!f->req)
		return;
	f->ports_dirty = true;
	schedule(f);
}

void rd_fdb_ifaces_changed(struct rd_fdb *f)
{
	if (!f->req || !rd_fdb_update_managed(f))
		return;
	f->ports_dirty = f->fdb_dirty = true;
	schedule(f);
}

