// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "daemon/freshness.h"
#include "common/log.h"
#include "daemon/nlmsg.h"
#include "routerd.skel.h"

#define ROUND_INTERVAL_S 1.0
/* A nexthop counts as in use if XDP noted it within this window: one
 * note interval plus two rounds of slack. */
#define IN_USE_WINDOW_NS (RD_NH_NOTE_INTERVAL_NS + 2000000000ull)

static bool same_nexthop(const struct rd_nh_use *a, const struct rd_nh_use *b)
{
	return a->ifindex == b->ifindex && a->family == b->family &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Merge every CPU's notes into fr->recent, newest time per nexthop. */
static int collect(struct rd_freshness *fr)
{
	int n_cpus = fr->dp->n_cpus, fd = bpf_map__fd(fr->dp->skel->maps.rd_nh_used);
	__u64 now = rd_coarse_now_ns();
	__u32 key;

	fr->n_recent = 0;
	for (key = 0; key < RD_NH_SLOTS; key++) {
		if (bpf_map_lookup_elem(fd, &key, fr->percpu))
			return -errno;
		for (int cpu = 0; cpu < n_cpus; cpu++) {
			const struct rd_nh_use *u = &fr->percpu[cpu];
			size_t i;

			if (!u->ifindex || now - u->last_ns > IN_USE_WINDOW_NS)
				continue;
			for (i = 0; i < fr->n_recent; i++)
				if (same_nexthop(&fr->recent[i].use, u))
					break;
			if (i == fr->n_recent) {
				if (fr->n_recent == RD_NH_SLOTS)
					continue;
				fr->recent[fr->n_recent++] = (struct rd_nh_recent){ .use = *u };
			} else if (u->last_ns > fr->recent[i].use.last_ns) {
				fr->recent[i].use.last_ns = u->last_ns;
			}
		}
	}
	return 0;
}

static struct nlmsghdr *neigh_msg(char *buf, int type, int flags, unsigned int seq,
				  const struct rd_nh_use *u)
{
	struct ndmsg *ndm = rd_nlmsg_put_neigh(buf, type, flags, seq,
					       u ? (int)u->family : AF_UNSPEC, u ? (int)u->ifindex : 0);
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;

	if (u) {
		ndm->ndm_flags = NTF_USE;
		mnl_attr_put(nlh, NDA_DST, u->family == AF_INET ? 4 : 16, u->addr);
	}
	return nlh;
}

/* The kernel's entry for U: its NUD state, or 0 if it has none (or the
 * answer cannot be read; NTF_USE then tells). */
static __u16 kernel_state(struct rd_freshness *fr, const struct rd_nh_use *u)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = neigh_msg(buf, RTM_GETNEIGH, 0, ++fr->seq, u);
	const struct ndmsg *ndm;
	int rc;

	((struct ndmsg *)mnl_nlmsg_get_payload(nlh))->ndm_flags = 0;
	if (mnl_socket_sendto(fr->nl, nlh, nlh->nlmsg_len) < 0)
		return 0;
	rc = mnl_socket_recvfrom(fr->nl, buf, sizeof(buf));
	nlh = (struct nlmsghdr *)buf;
	if (rc < (int)sizeof(*nlh) || !mnl_nlmsg_ok(nlh, rc) || nlh->nlmsg_type != RTM_NEWNEIGH ||
	    nlh->nlmsg_seq != fr->seq || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ndm))
		return 0;
	ndm = mnl_nlmsg_get_payload(nlh);
	return ndm->ndm_state;
}

/* NTF_USE makes the kernel treat the entry as used by a packet: refresh its
 * use time and, if STALE, start re-validating it. No NLM_F_CREATE: an entry
 * the kernel dropped is resolved again by the first packet XDP passes up.
 * Static entries never age, and NTF_USE would unmake them (since 5.16 the
 * kernel clears NUD_PERMANENT on a use; the entry then resolves from
 * scratch and, with nobody answering, fails): those are left alone. */
static void refresh(struct rd_freshness *fr, const struct rd_nh_use *u)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	unsigned int portid = mnl_socket_get_portid(fr->nl);
	int rc;

	if (kernel_state(fr, u) & (NUD_PERMANENT | NUD_NOARP)) {
		fr->static_skipped++;
		return;
	}
	nlh = neigh_msg(buf, RTM_NEWNEIGH, NLM_F_ACK, ++fr->seq, u);
	if (mnl_socket_sendto(fr->nl, nlh, nlh->nlmsg_len) < 0) {
		fr->errors++;
		return;
	}
	rc = mnl_socket_recvfrom(fr->nl, buf, sizeof(buf));
	if (rc > 0)
		rc = rd_mnl_cb_run(buf, rc, fr->seq, portid, NULL, NULL);
	if (rc >= 0)
		fr->refreshes++;
	else if (errno == ENOENT || errno == ENODEV)
		fr->absent++; /* the entry or its device is gone: nothing to keep */
	else
		fr->errors++;
}

void rd_freshness_run(struct rd_freshness *fr)
{
	fr->rounds++;
	if (collect(fr)) {
		fr->errors++;
		return;
	}
	for (size_t i = 0; i < fr->n_recent; i++)
		refresh(fr, &fr->recent[i].use);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	rd_freshness_run(w->data);
}

int rd_freshness_start(struct rd_freshness *fr, struct ev_loop *loop, struct rd_datapath *dp,
		       char *err, size_t errlen)
{
	memset(fr, 0, sizeof(*fr));
	fr->dp = dp;
	fr->loop = loop;
	fr->percpu = calloc(dp->n_cpus, sizeof(struct rd_nh_use));
	fr->nl = mnl_socket_open(NETLINK_ROUTE);
	if (!fr->percpu || !fr->nl || mnl_socket_bind(fr->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "freshness: cannot open a netlink socket: %s", strerror(errno));
		rd_freshness_stop(fr);
		return -1;
	}
	fr->seq = time(NULL);
	ev_timer_init(&fr->timer, on_timer, ROUND_INTERVAL_S, ROUND_INTERVAL_S);
	fr->timer.data = fr;
	ev_timer_start(loop, &fr->timer);
	return 0;
}

void rd_freshness_stop(struct rd_freshness *fr)
{
	if (fr->loop)
		ev_timer_stop(fr->loop, &fr->timer);
	if (fr->nl)
		mnl_socket_close(fr->nl);
	free(fr->percpu);
	fr->nl = NULL;
	fr->percpu = NULL;
	fr->loop = NULL;
}

int rd_freshness_on_neigh(const struct nlmsghdr *nlh, void *arg)
{
	struct rd_freshness *fr = arg;
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	struct rd_nh_use key;
	const void *lladdr = NULL;
	struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ndm))
		return MNL_CB_OK; /* not a neighbour, or too short to be one */
	key = (struct rd_nh_use){ .ifindex = ndm->ndm_ifindex, .family = ndm->ndm_family };

	mnl_attr_for_each(a, nlh, sizeof(*ndm)) {
		size_t len = mnl_attr_get_payload_len(a);

		if (mnl_attr_get_type(a) == NDA_DST && len <= sizeof(key.addr))
			memcpy(key.addr, mnl_attr_get_payload(a), len);
		else if (mnl_attr_get_type(a) == NDA_LLADDR && len == 6)
			lladdr = mnl_attr_get_payload(a);
	}
	for (size_t i = 0; i < fr->n_recent; i++) {
		if (!same_nexthop(&fr->recent[i].use, &key))
			continue;
		fr->recent[i].kernel_state = ndm->ndm_state;
		if (lladdr)
			memcpy(fr->recent[i].lladdr, lladdr, 6);
	}
	return MNL_CB_OK;
}

static void read_kernel_states(struct rd_freshness *fr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = neigh_msg(buf, RTM_GETNEIGH, NLM_F_DUMP, ++fr->seq, NULL);
	unsigned int portid = mnl_socket_get_portid(fr->nl);
	int rc;

	if (mnl_socket_sendto(fr->nl, nlh, nlh->nlmsg_len) < 0)
		return;
	while ((rc = mnl_socket_recvfrom(fr->nl, buf, sizeof(buf))) > 0) {
		rc = rd_mnl_cb_run(buf, rc, fr->seq, portid, rd_freshness_on_neigh, fr);
		if (rc <= MNL_CB_STOP)
			break;
	}
}

static const char *nud_name(__u16 state)
{
	static const struct { __u16 bit; const char *name; } names[] = {
		{ NUD_REACHABLE, "REACHABLE" }, { NUD_STALE, "STALE" }, { NUD_DELAY, "DELAY" },
		{ NUD_PROBE, "PROBE" }, { NUD_FAILED, "FAILED" }, { NUD_INCOMPLETE, "INCOMPLETE" },
		{ NUD_NOARP, "NOARP" }, { NUD_PERMANENT, "PERMANENT" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (state & names[i].bit)
			return names[i].name;
	return "absent";
}

int rd_freshness_report(struct rd_freshness *fr, struct rd_print *p)
{
	char addr[INET6_ADDRSTRLEN], dev[IF_NAMESIZE], mac[18];
	__u64 now = rd_coarse_now_ns();

	if (collect(fr))
		return -1;
	read_kernel_states(fr);
	rd_print_open_array(p, NULL);
	for (size_t i = 0; i < fr->n_recent; i++) {
		const struct rd_nh_recent *r = &fr->recent[i];
		double age = (now - r->use.last_ns) / 1e9;

		if (age < 0)
			age = 0;
		inet_ntop(r->use.family, r->use.addr, addr, sizeof(addr));
		if (!if_indextoname(r->use.ifindex, dev))
			snprintf(dev, sizeof(dev), "if%u", r->use.ifindex);
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", r->lladdr[0],
			 r->lladdr[1], r->lladdr[2], r->lladdr[3], r->lladdr[4], r->lladdr[5]);
		rd_print_open_object(p, NULL);
		rd_print_string(p, PRINT_ANY, "dst", "%-39s", addr);
		rd_print_string(p, PRINT_ANY, "dev", " dev %-15s", dev);
		rd_print_uint(p, PRINT_JSON, "ifindex", NULL, r->use.ifindex);
		rd_print_string(p, PRINT_ANY, "lladdr", " lladdr %s", mac);
		rd_print_string(p, PRINT_ANY, "state", " %-10s", nud_name(r->kernel_state));
		/* seconds for people, milliseconds for programs */
		rd_print_float(p, PRINT_TEXT, NULL, " used %.1fs ago", age, 1);
		rd_print_uint(p, PRINT_JSON, "used_ms_ago", NULL, (__u64)(age * 1000));
		rd_print_close_object(p);
		rd_print_nl(p);
	}
	rd_print_close_array(p);
	rd_print_end(p);
	return 0;
}
