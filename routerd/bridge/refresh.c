// SPDX-License-Identifier: GPL-2.0
/*
 * Freshness for the bridge mirror (mirror.h, internal.h): frames bridged
 * in XDP never refresh the kernel's FDB entry of their source MAC, so each
 * round sends RTM_NEWNEIGH NTF_MASTER|NTF_USE for every dynamic rd_fdb
 * entry the fast path saw since the last refresh of its bridge, one batch
 * of requests at a time. Owns rd_fdb_refresh(), the per-bridge period
 * (a quarter of the ageing time, 1 to 30 s) and the refresh counters; the
 * round timer itself is started by mirror.c.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "bridge/internal.h"
#include "common/log.h"
#include "daemon/nlmsg.h"

#define NS_PER_S 1000000000ull
#define MIN_PERIOD_NS (1 * NS_PER_S)
#define MAX_PERIOD_NS (30 * NS_PER_S)
#define SEEN_SLACK_NS (1 * NS_PER_S)

static __u64 refresh_period_ns(const struct rd_br_bridge *b)
{
	__u64 p = (__u64)b->ageing_cs * 10000000ull / 4;

	return p < MIN_PERIOD_NS ? MIN_PERIOD_NS : p > MAX_PERIOD_NS ? MAX_PERIOD_NS : p;
}

static size_t put_use(char *buf, unsigned int seq, const struct rd_fdb_key *k,
		      const struct rd_fdb_entry *v)
{
	struct ndmsg *ndm = rd_nlmsg_put_neigh(buf, RTM_NEWNEIGH, NLM_F_ACK, seq, AF_BRIDGE,
					       v->port);
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

	ndm->ndm_state = NUD_REACHABLE;
	ndm->ndm_flags = NTF_MASTER | NTF_USE;
	mnl_attr_put(nlh, NDA_LLADDR, ETH_ALEN, k->mac);
	if (k->vid)
		mnl_attr_put_u16(nlh, NDA_VLAN, k->vid);
	return NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Sends a batch of requests and reads one ack per request. */
static void send_batch(struct rd_fdb *f, char *buf, size_t len, size_t count)
{
	size_t acked = 0;

	if (!count)
		return;
	rd_fdb_drain(f);
	if (mnl_socket_sendto(f->req, buf, len) < 0) {
		f->refresh_errors += count;
		return;
	}
	while (acked < count) {
		int n = mnl_socket_recvfrom(f->req, rd_fdb_rxbuf, sizeof(rd_fdb_rxbuf));
		const struct nlmsghdr *nlh;
		size_t left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			f->refresh_errors += count - acked; /* timed out: give up */
			return;
		}
		rd_nlmsg_for_each(nlh, rd_fdb_rxbuf, (size_t)n, left) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
				continue;
			acked++;
			if (!e->error)
				f->refreshes++;
			else if (e->error == -ENOENT || e->error == -ENODEV)
				f->refresh_absent++;
			else
				f->refresh_errors++;
		}
	}
}

void rd_fdb_refresh(struct rd_fdb *f, bool force)
{
	static char buf[1 << 16];
	__u64 now = rd_coarse_now_ns(), since[RD_MAX_BRIDGES];
	bool due[RD_MAX_BRIDGES], any = false;
	struct rd_fdb_key *keys = NULL;
	struct rd_fdb_entry *vals = NULL;
	size_t n = 0, len = 0, count = 0, nb = f->n_bridges < RD_MAX_BRIDGES ? f->n_bridges
									     : RD_MAX_BRIDGES;

	f->refresh_rounds++;
	rd_fdb_heartbeat(f, true);
	for (size_t i = 0; i < nb; i++) {
		const struct rd_br_bridge *b = &f->bridges[i];
		__u64 period = refresh_period_ns(b);

		/* a round early rather than a round late */
		due[i] = force || now - b->last_refresh_ns + NS_PER_S / 4 >= period;
		/* seen since (about) the last refresh of this bridge */
		since[i] = now > period + SEEN_SLACK_NS ? now - period - SEEN_SLACK_NS : 0;
		any |= due[i];
	}
	if (!any)
		return;
	/* An entry that moved must not be pulled back to its old port; after
	 * lost events, not before the resync. */
	if (rd_fdb_read_events(f))
		return;
	if (rd_fdb_read_map(f, &keys, &vals, &n)) {
		f->refresh_errors++;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		size_t bi;

		if ((vals[i].flags & (RD_FDB_LOCAL | RD_FDB_STATIC | RD_FDB_EXTERN)) ||
		    !vals[i].seen_ns)
			continue;
		for (bi = 0; bi < nb && f->bridges[bi].ifindex != keys[i].bridge; bi++)
			;
		if (bi == nb || !due[bi] || vals[i].seen_ns < since[bi])
			continue;
		if (len + 128 > sizeof(buf)) {
			send_batch(f, buf, len, count);
			len = count = 0;
		}
		len += put_use(buf + len, ++f->seq, &keys[i], &vals[i]);
		count++;
	}
	send_batch(f, buf, len, count);
	rd_debug("bridge mirror: refresh round, %zu entries, %zu refreshed", n, count);
	for (size_t i = 0; i < nb; i++)
		if (due[i])
			f->bridges[i].last_refresh_ns = now;
	free(keys);
	free(vals);
}
