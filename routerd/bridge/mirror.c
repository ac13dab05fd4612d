// SPDX-License-Identifier: GPL-2.0
/*
 * The bridge mirror's life cycle and the netlink it runs on (mirror.h; the
 * modules it drives are listed in internal.h). Owns:
 *  - the request socket and the request/dump exchange;
 *  - what it takes from the one event reader (nl_events.h): FDB events go
 *    to entries.c at once, link and VLAN events mark the ports stale (one
 *    re-read per burst), the reader's resync is a full one; the timers for
 *    the re-reads and the freshness rounds;
 *  - the managed set (the ifindexes routerd manages, asked of the
 *    interface table through hooks.managed) and what main wires the
 *    interface table to (rd_fdb_describe_port, rd_fdb_ifaces_changed);
 *  - the heartbeat in rd_bridge_ctl, without which XDP does not bridge.
 */
#include <errno.h>
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
#include "daemon/nl_events.h"
#include "daemon/nlmsg.h"
#include "routerd.skel.h"

#define PORTS_DELAY_S 0.01  /* coalesce a burst of link/VLAN events */
#define ROUND_INTERVAL_S 1.0

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

/* The fast path bridges only while this is pushed ahead (mirror.h). */
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

static void on_event(void *arg, enum rd_nl_kind kind, const struct nlmsghdr *nlh)
{
	struct rd_fdb *f = arg;

	switch (kind) {
	case RD_NLK_FDB:
		if (nlh->nlmsg_type == RTM_NEWNEIGH || nlh->nlmsg_type == RTM_DELNEIGH)
			rd_fdb_entry_event(f, nlh);
		break;
	case RD_NLK_LINK:
		f->link_events++;
		f->ports_dirty = true;
		break;
	case RD_NLK_VLAN:
		f->vlan_events++;
		f->ports_dirty = true;
		break;
	default:
		break;
	}
}

static void on_overrun(void *arg)
{
	((struct rd_fdb *)arg)->overruns++;
}

static void on_resync(void *arg, const char *why)
{
	rd_warn("bridge mirror: netlink resync (%s): full resync", why);
	rd_fdb_sync(arg);
}

static void schedule(struct rd_fdb *f)
{
	if (f->loop && (f->ports_dirty || f->fdb_dirty) && !ev_is_active(&f->ports_timer))
		ev_timer_start(f->loop, &f->ports_timer);
}

/* Whatever a burst of events made stale is re-read once, after it. */
static void on_batch_end(void *arg)
{
	schedule(arg);
}

bool rd_fdb_read_events(struct rd_fdb *f)
{
	return f->events && rd_nl_events_read(f->events);
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
	/* after an overrun the reader's resync is done (no loop) or due */
	rd_fdb_read_events(f);
	if (rd_fdb_update_managed(f))
		f->ports_dirty = f->fdb_dirty = true;
	if (f->ports_dirty)
		rd_fdb_sync_ports(f);
	if (f->fdb_dirty)
		rd_fdb_sync_entries(f);
	rd_fdb_heartbeat(f, true);
}

static void on_ports_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rd_fdb *f = w->data;

	rd_fdb_poll(f);
	schedule(f); /* a dump that raced with a change */
}

static void on_refresh_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	rd_fdb_refresh(w->data, false);
}

/* ------------------------------------------------------------------ */
/* life cycle                                                          */

int rd_fdb_start(struct rd_fdb *f, struct ev_loop *loop, struct rd_datapath *dp,
		 struct rd_nl_events *events, const struct rd_fdb_hooks *hooks, char *err,
		 size_t errlen)
{
	const struct rd_nl_consumer consumer = {
		.name = "bridge mirror",
		.kinds = RD_NLK(RD_NLK_LINK) | RD_NLK(RD_NLK_FDB) | RD_NLK(RD_NLK_VLAN),
		.msg = on_event, .batch_end = on_batch_end, .overrun = on_overrun,
		.resync = on_resync, .arg = f,
	};
	struct timeval tv = { .tv_sec = 2 };
	bool nf_hold = f->nf_hold; /* set before the start: rd_fdb_set_netfilter() */

	memset(f, 0, sizeof(*f));
	f->nf_hold = nf_hold;
	f->dp = dp;
	if (hooks)
		f->hooks = *hooks;
	f->seq = time(NULL);
	f->req = mnl_socket_open(NETLINK_ROUTE);
	if (!f->req || mnl_socket_bind(f->req, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "bridge mirror: cannot open a netlink socket: %s",
			 strerror(errno));
		rd_fdb_stop(f);
		return -1;
	}
	/* the reader is subscribed already: nothing between the first dump
	 * and the loop is missed */
	if (events && !rd_nl_events_add(events, &consumer)) {
		snprintf(err, errlen, "bridge mirror: cannot follow netlink events");
		rd_fdb_stop(f);
		return -1;
	}
	f->events = events;
	/* never hang on a lost ack */
	setsockopt(mnl_socket_get_fd(f->req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	rd_fdb_sync(f);
	if (!loop)
		return 0;
	f->loop = loop;
	ev_timer_init(&f->ports_timer, on_ports_timer, PORTS_DELAY_S, 0);
	f->ports_timer.data = f;
	ev_timer_init(&f->refresh_timer, on_refresh_timer, ROUND_INTERVAL_S, ROUND_INTERVAL_S);
	f->refresh_timer.data = f;
	ev_timer_start(loop, &f->refresh_timer);
	rd_info("bridge mirror: %zu bridge(s), %zu port(s), %zu FDB entries mirrored",
		f->n_bridges, f->n_ports, f->n_entries);
	return 0;
}

void rd_fdb_stop(struct rd_fdb *f)
{
	if (f->req && f->dp)
		rd_fdb_heartbeat(f, false); /* nobody follows the bridge any more */
	if (f->events)
		rd_nl_events_remove(f->events, f);
	if (f->loop) {
		ev_timer_stop(f->loop, &f->ports_timer);
		ev_timer_stop(f->loop, &f->refresh_timer);
	}
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

