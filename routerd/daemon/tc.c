// SPDX-License-Identifier: GPL-2.0
/* Traffic control holds: see tc.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include "daemon/ifaces.h"
#include "common/print.h"
#include "common/log.h"
#include "daemon/nlmsg.h"
#include "daemon/tc.h"

#define REFRESH_DELAY_S 0.05 /* after an event: let the burst (tc batch) end */
#define RETRY_DELAY_S 1.0    /* after a failed dump */

#ifndef TC_H_MIN_INGRESS
#define TC_H_MIN_INGRESS 0xFFF2U
#define TC_H_MIN_EGRESS 0xFFF3U
#endif

static char rxbuf[1 << 16];

/* ------------------------------------------------------------------ */
/* Messages                                                            */

bool rd_tc_msg_type(__u16 type)
{
	switch (type) {
	case RTM_NEWQDISC: case RTM_DELQDISC:
	case RTM_NEWTFILTER: case RTM_DELTFILTER:
	case RTM_NEWCHAIN: case RTM_DELCHAIN:
		return true;
	default:
		return false;
	}
}

/* fq_codel exactly as the kernel's fq_codel_init() sets it up. The
 * quantum follows the MTU and only shares the link between flows, so any
 * value passes; an attribute this code does not know means "not default". */
static bool fq_codel_defaults(const struct nlattr *opts)
{
	const struct nlattr *a;

	if (!mnl_attr_get_payload_len(opts))
		return true;
	mnl_attr_for_each_nested(a, opts) {
		__u32 v;

		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return false;
		v = mnl_attr_get_u32(a);
		switch (mnl_attr_get_type(a)) {
		/* 5 ms and 100 ms come back in codel's 1024 ns units, 1 us short */
		case TCA_FQ_CODEL_TARGET: if (v != 5000 && v != 4999) return false; break;
		case TCA_FQ_CODEL_LIMIT: if (v != 10240) return false; break;
		case TCA_FQ_CODEL_INTERVAL: if (v != 100000 && v != 99999) return false; break;
		case TCA_FQ_CODEL_ECN: if (v != 1) return false; break;
		case TCA_FQ_CODEL_FLOWS: if (v != 1024) return false; break;
		case TCA_FQ_CODEL_QUANTUM: break;
		case TCA_FQ_CODEL_DROP_BATCH_SIZE: if (v != 64) return false; break;
		case TCA_FQ_CODEL_MEMORY_LIMIT: if (v != 32u << 20) return false; break;
		default: return false; /* ce_threshold and anything newer */
		}
	}
	return true;
}

int rd_tc_parse(const struct nlmsghdr *nlh, struct rd_tc_msg *out)
{
	const struct tcmsg *tcm;
	const struct nlattr *a, *opts = NULL;

	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_len < sizeof(*nlh) || !rd_tc_msg_type(nlh->nlmsg_type) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*tcm))
		return -1;
	tcm = mnl_nlmsg_get_payload(nlh);
	out->type = nlh->nlmsg_type;
	out->ifindex = tcm->tcm_ifindex > 0 ? (__u32)tcm->tcm_ifindex : 0;
	out->handle = tcm->tcm_handle;
	out->parent = tcm->tcm_parent;
	/* mnl_attr_for_each stops at the first attribute that is not whole */
	mnl_attr_for_each(a, nlh, sizeof(*tcm)) {
		switch (mnl_attr_get_type(a)) {
		case TCA_KIND:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0 ||
			    mnl_attr_get_payload_len(a) > sizeof(out->kind)) {
				out->kind[0] = '\0';
				return 0; /* unknown kind: the caller holds */
			}
			snprintf(out->kind, sizeof(out->kind), "%s", mnl_attr_get_str(a));
			break;
		case TCA_OPTIONS:
			opts = a;
			break;
		}
	}
	if (!strcmp(out->kind, "fq_codel"))
		out->default_opts = !opts || fq_codel_defaults(opts);
	return 0;
}

static bool kind_is(const char *kind, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(kind, *list))
			return true;
	return false;
}

/* A qdisc XDP may bypass: nothing to shape, schedule or delay that the
 * kernel did not put there itself. */
static bool qdisc_is_default(const struct rd_tc_msg *m)
{
	static const char *const plain[] = { "noqueue", "pfifo_fast", "mq", NULL };
	static const char *const fair[] = { "fq_codel", "fq", NULL };

	if (kind_is(m->kind, plain))
		return true;
	/* handle 0: attached by the kernel (default_qdisc, mq's children) */
	return kind_is(m->kind, fair) && (m->handle == 0 || m->default_opts);
}

void rd_tc_note_qdisc(struct rd_tc_dev *dev, const struct rd_tc_msg *m)
{
	static const char *const hooks[] = { "ingress", "clsact", NULL };

	if (m->parent == TC_H_INGRESS || kind_is(m->kind, hooks)) {
		/* an unknown kind there: look at both hooks */
		snprintf(dev->hook_kind, sizeof(dev->hook_kind), "%s",
			 kind_is(m->kind, hooks) ? m->kind : "clsact");
		return;
	}
	if (m->parent == TC_H_ROOT) {
		snprintf(dev->root_kind, sizeof(dev->root_kind), "%s", m->kind);
		dev->root_handle = m->handle;
	}
	if (!qdisc_is_default(m) && !dev->egress_kind[0])
		snprintf(dev->egress_kind, sizeof(dev->egress_kind), "%s",
			 m->kind[0] ? m->kind : "unknown");
}

/* ------------------------------------------------------------------ */
/* Dumps                                                               */

struct table {
	struct rd_tc_dev *devs;
	size_t n, cap;
	bool oom;
};

static struct rd_tc_dev *table_dev(struct table *t, __u32 ifindex)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->devs[i].ifindex == ifindex)
			return &t->devs[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct rd_tc_dev *d = realloc(t->devs, cap * sizeof(*d));

		if (!d) {
			t->oom = true;
			return NULL;
		}
		t->devs = d;
		t->cap = cap;
	}
	memset(&t->devs[t->n], 0, sizeof(t->devs[t->n]));
	t->devs[t->n].ifindex = ifindex;
	return &t->devs[t->n++];
}

static int on_qdisc(const struct nlmsghdr *nlh, void *data)
{
	struct rd_tc_msg m;
	struct rd_tc_dev *dev;

	if (nlh->nlmsg_type != RTM_NEWQDISC || rd_tc_parse(nlh, &m) || !m.ifindex)
		return MNL_CB_OK;
	dev = table_dev(data, m.ifindex);
	if (dev)
		rd_tc_note_qdisc(dev, &m);
	return MNL_CB_OK;
}

struct filter_dump {
	__u32 ifindex;
	bool found;
};

static int on_filter(const struct nlmsghdr *nlh, void *data)
{
	struct filter_dump *fd = data;
	struct rd_tc_msg m;

	if (nlh->nlmsg_type == RTM_NEWTFILTER && !rd_tc_parse(nlh, &m) && m.ifindex == fd->ifindex)
		fd->found = true;
	return MNL_CB_OK;
}

/* One dump request on the request socket: 0 once NLMSG_DONE arrived. */
static int dump(struct rd_tc *tc, __u16 type, __u32 ifindex, __u32 parent, mnl_cb_t cb,
		void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	unsigned int portid = mnl_socket_get_portid(tc->req);
	struct tcmsg *tcm;
	ssize_t n;
	int rc;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++tc->seq;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;
	/* late answers to an earlier, failed dump would fail the seq check */
	while (recv(mnl_socket_get_fd(tc->req), rxbuf, sizeof(rxbuf), MSG_DONTWAIT) > 0)
		;
	if (mnl_socket_sendto(tc->req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(tc->req, rxbuf, sizeof(rxbuf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		rc = rd_mnl_cb_run(rxbuf, n, nlh->nlmsg_seq, portid, cb, data);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc < 0)
			return errno ? -errno : -EIO;
	}
}

static int filters_at(struct rd_tc *tc, __u32 ifindex, __u32 parent, bool *found)
{
	struct filter_dump fd = { .ifindex = ifindex };
	int rc = dump(tc, RTM_GETTFILTER, ifindex, parent, on_filter, &fd);

	/* a device or hook gone since the qdisc dump: nothing there */
	if (rc == -ENODEV || rc == -EINVAL || rc == -ENOENT)
		rc = 0;
	*found = fd.found;
	return rc;
}

static int read_state(struct rd_tc *tc, struct table *t)
{
	int rc = dump(tc, RTM_GETQDISC, 0, 0, on_qdisc, t);

	if (!rc && t->oom)
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < t->n; i++) {
		struct rd_tc_dev *d = &t->devs[i];

		if (d->hook_kind[0])
			rc = filters_at(tc, d->ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
					&d->ingress_filter);
		/* the ingress qdisc answers for its one block at any minor */
		if (!rc && d->hook_kind[0] && strcmp(d->hook_kind, "ingress"))
			rc = filters_at(tc, d->ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS),
					&d->egress_filter);
		/* a default root that takes filters (fq_codel) */
		if (!rc && !d->egress_kind[0] && !d->egress_filter && d->root_kind[0] &&
		    strcmp(d->root_kind, "noqueue") && strcmp(d->root_kind, "pfifo_fast")) {
			bool found = false;

			rc = filters_at(tc, d->ifindex, 0, &found);
			d->egress_filter |= found;
		}
	}
	return rc;
}

/* ------------------------------------------------------------------ */
/* State                                                               */

static const struct rd_tc_dev *find_dev(const struct rd_tc *tc, __u32 ifindex)
{
	for (size_t i = 0; tc && i < tc->n_devs; i++)
		if (tc->devs[i].ifindex == ifindex)
			return &tc->devs[i];
	return NULL;
}

static __u8 dev_hold(const struct rd_tc_dev *d)
{
	__u8 bits = 0;

	if (!d)
		return 0;
	if (d->egress_kind[0] || d->egress_filter)
		bits |= RD_TC_HOLD_EGRESS;
	if (d->ingress_filter)
		bits |= RD_TC_HOLD_INGRESS;
	return bits;
}

__u8 rd_tc_hold(const struct rd_tc *tc, __u32 ifindex, bool bypass)
{
	return bypass ? 0 : dev_hold(find_dev(tc, ifindex));
}

void rd_tc_why(const struct rd_tc *tc, __u32 ifindex, char *out, size_t outlen)
{
	const struct rd_tc_dev *d = find_dev(tc, ifindex);
	size_t len = 0;

	out[0] = '\0';
	if (!d)
		return;
	if (d->egress_kind[0])
		len += snprintf(out + len, len < outlen ? outlen - len : 0, "qdisc %s",
				d->egress_kind);
	if (d->egress_filter)
		len += snprintf(out + len, len < outlen ? outlen - len : 0, "%segress filter",
				len ? ", " : "");
	if (d->ingress_filter)
		snprintf(out + len, len < outlen ? outlen - len : 0, "%singress filter",
			 len ? ", " : "");
}

static __u8 hold_in(const struct rd_tc_dev *devs, size_t n, __u32 ifindex)
{
	for (size_t i = 0; i < n; i++)
		if (devs[i].ifindex == ifindex)
			return dev_hold(&devs[i]);
	return 0;
}

/* Did the hold of any device, managed or not, change? Bridge and VLAN
 * devices carry theirs in rd_bridges and rd_vlan_devs. */
static bool any_change(const struct rd_tc *tc, const struct rd_tc_dev *old, size_t n_old)
{
	for (size_t i = 0; i < tc->n_devs; i++)
		if (dev_hold(&tc->devs[i]) != hold_in(old, n_old, tc->devs[i].ifindex))
			return true;
	for (size_t i = 0; i < n_old; i++)
		if (dev_hold(&old[i]) != hold_in(tc->devs, tc->n_devs, old[i].ifindex))
			return true;
	return false;
}

/* Says what changed for the managed interfaces, and whether any did. */
static bool log_changes(const struct rd_tc *tc, const struct rd_tc_dev *old, size_t n_old)
{
	bool changed = false;

	for (size_t i = 0; i < tc->ifs->n; i++) {
		const struct rd_managed_iface *m = &tc->ifs->list[i];
		const struct rd_tc_dev *was = NULL;
		__u8 before, after;
		char why[96];

		if (!m->ifindex)
			continue;
		for (size_t k = 0; k < n_old; k++)
			if (old[k].ifindex == m->ifindex)
				was = &old[k];
		before = dev_hold(was);
		after = dev_hold(find_dev(tc, m->ifindex));
		if (before == after)
			continue;
		changed = true;
		rd_tc_why(tc, m->ifindex, why, sizeof(why));
		if (m->cfg.tc_bypass)
			rd_info("%s: tc %s (%s), bypassed as configured (tc bypass)", m->cfg.name,
				after ? "configured" : "cleared", after ? why : "nothing left");
		else if (after)
			rd_info("%s: traffic control (%s): %s goes through the kernel", m->cfg.name,
				why, after == RD_TC_HOLD_INGRESS ? "traffic arriving here"
				: after == RD_TC_HOLD_EGRESS ? "traffic leaving here"
				: "traffic arriving or leaving here");
		else
			rd_info("%s: no traffic control left, XDP forwards again", m->cfg.name);
	}
	return changed;
}

void rd_tc_refresh(struct rd_tc *tc)
{
	struct table t = { 0 };
	struct rd_tc_dev *old;
	size_t n_old;
	int rc;

	if (!tc->req)
		return;
	tc->refreshes++;
	rc = read_state(tc, &t);
	if (rc) {
		/* keep what we knew, try again soon */
		tc->errors++;
		free(t.devs);
		if (tc->ok || tc->errors == 1) /* once per outage, not per retry */
			rd_warn("traffic control: cannot read qdiscs and filters: %s; keeping "
				"what was known and retrying", strerror(-rc));
		tc->ok = false;
		if (tc->loop && !ev_is_active(&tc->timer)) {
			ev_timer_set(&tc->timer, RETRY_DELAY_S, 0);
			ev_timer_start(tc->loop, &tc->timer);
		}
		return;
	}
	old = tc->devs;
	n_old = tc->n_devs;
	tc->devs = t.devs;
	tc->n_devs = t.n;
	tc->cap_devs = t.cap;
	if (!tc->ok && tc->errors)
		rd_info("traffic control: qdiscs and filters read again");
	tc->ok = true;
	if (log_changes(tc, old, n_old))
		if (tc->on_ports) /* each managed port described again */
			tc->on_ports(tc->on_ports_arg);
	if (any_change(tc, old, n_old)) {
		tc->changes++;
		if (tc->on_change)
			tc->on_change(tc->on_change_arg); /* rd_bridges, rd_vlan_devs */
	}
	free(old);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	rd_tc_refresh(w->data);
}

void rd_tc_changed(struct rd_tc *tc)
{
	tc->events++;
	if (!tc->loop) {
		rd_tc_refresh(tc);
		return;
	}
	if (!ev_is_active(&tc->timer)) {
		ev_timer_set(&tc->timer, REFRESH_DELAY_S, 0);
		ev_timer_start(tc->loop, &tc->timer);
	}
}

int rd_tc_open(struct rd_tc *tc, struct rd_ifaces *ifs, char *err, size_t errlen)
{
	struct timeval tv = { .tv_sec = 2 };

	memset(tc, 0, sizeof(*tc));
	tc->ifs = ifs;
	tc->req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!tc->req || mnl_socket_bind(tc->req, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "traffic control: cannot open a netlink socket: %s",
			 strerror(errno));
		rd_tc_stop(tc);
		return -1;
	}
	/* never hang on a lost answer */
	setsockopt(mnl_socket_get_fd(tc->req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	rd_tc_refresh(tc);
	return 0;
}

void rd_tc_start(struct rd_tc *tc, struct ev_loop *loop)
{
	tc->loop = loop;
	ev_timer_init(&tc->timer, on_timer, REFRESH_DELAY_S, 0);
	tc->timer.data = tc;
	log_changes(tc, NULL, 0); /* what holds the interfaces from the start */
	/* what changed between the first read and the subscription */
	rd_tc_refresh(tc);
}

void rd_tc_stop(struct rd_tc *tc)
{
	if (tc->loop)
		ev_timer_stop(tc->loop, &tc->timer);
	if (tc->req)
		mnl_socket_close(tc->req);
	free(tc->devs);
	memset(tc, 0, sizeof(*tc));
}

/* ------------------------------------------------------------------ */
/* Reports                                                             */

void rd_tc_print(const struct rd_tc *tc, struct rd_print *p, __u32 ifindex, bool bypass)
{
	const struct rd_tc_dev *d = find_dev(tc, ifindex);
	__u8 hold = bypass ? 0 : dev_hold(d);
	char why[96];

	rd_tc_why(tc, ifindex, why, sizeof(why));
	/* text says it in words, and only when there is something to say:
	 * the reason names the qdisc and the filters */
	rd_print_open_object(p, "tc");
	rd_print_bool(p, PRINT_JSON, "held_egress", NULL, hold & RD_TC_HOLD_EGRESS);
	rd_print_bool(p, PRINT_JSON, "held_ingress", NULL, hold & RD_TC_HOLD_INGRESS);
	rd_print_string(p, PRINT_JSON, "egress_qdisc", NULL,
			d && d->egress_kind[0] ? d->egress_kind : "");
	rd_print_bool(p, PRINT_JSON, "egress_filter", NULL, d && d->egress_filter);
	rd_print_bool(p, PRINT_JSON, "ingress_filter", NULL, d && d->ingress_filter);
	rd_print_bool(p, PRINT_JSON, "bypass", NULL, bypass);
	if (why[0])
		rd_print_string(p, PRINT_TEXT, NULL, "  tc: %s", bypass ? "bypassed" : "held");
	rd_print_string(p, why[0] ? PRINT_ANY : PRINT_JSON, "reason", " (%s)", why);
	rd_print_close_object(p);
}

void rd_tc_status_print(const struct rd_tc *tc, struct rd_print *p)
{
	char name[IF_NAMESIZE], why[96];
	bool any = false;

	rd_print_open_object(p, "tc");
	rd_print_uint(p, PRINT_ANY, "events", "tc: %llu events", tc->events);
	rd_print_uint(p, PRINT_ANY, "reads", ", %llu reads", tc->refreshes);
	rd_print_uint(p, PRINT_ANY, "changes", ", %llu changes", tc->changes);
	rd_print_uint(p, PRINT_ANY, "errors", ", %llu errors", tc->errors);
	rd_print_open_array(p, "devices");
	for (size_t i = 0; i < tc->n_devs; i++) {
		const struct rd_tc_dev *d = &tc->devs[i];

		if (!dev_hold(d))
			continue;
		rd_tc_why(tc, d->ifindex, why, sizeof(why));
		rd_print_open_object(p, NULL);
		rd_print_text(p, "%s", any ? ", " : "; configured on: ");
		rd_print_string(p, PRINT_ANY, "name", "%s",
				if_indextoname(d->ifindex, name) ? name : "?");
		rd_print_uint(p, PRINT_ANY, "ifindex", " (ifindex %llu", d->ifindex);
		rd_print_string(p, PRINT_ANY, "reason", ", %s)", why);
		rd_print_close_object(p);
		any = true;
	}
	rd_print_close_array(p);
	rd_print_close_object(p);
	rd_print_nl(p);
}
