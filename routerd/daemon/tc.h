/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Traffic control: owns what routerd knows of the kernel's qdiscs and tc
 * filters, and so which managed interfaces XDP must leave to the kernel
 * (rd_iface.tc, RD_TC_HOLD_*; docs/xdp-bypass.md).
 *
 * An XDP redirect hands a frame straight to the egress driver, past the
 * qdisc and tc egress; XDP runs before tc ingress. So:
 *  - egress held: a qdisc on the interface other than the kernel's
 *    defaults (noqueue, pfifo_fast, mq, and fq_codel/fq the kernel attached
 *    itself, handle 0:), or a filter on clsact egress (or on a default root
 *    that takes filters). Anything unknown holds.
 *  - ingress held: a filter on the ingress/clsact qdisc's ingress hook.
 * The rtnetlink TC group arrives on the netlink mirror's event socket
 * (netlink.c calls rd_tc_changed()); each event, resync and start re-reads
 * the whole state with dumps, a few milliseconds later, and the managed
 * interfaces whose hold changed are described again (ifaces.c writes
 * rd_iface and rd_tx, asking rd_tc_describe_port()). Events only say
 * "look again": the dumps are the truth, so a lost or reordered event, or
 * a qdisc deleted with its filters (no per-filter notification), cannot
 * leave a stale hold.
 *
 * `interface NAME tc bypass` (config) lets XDP bypass an interface's tc.
 */
#ifndef RD_TC_H
#define RD_TC_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct nlmsghdr;
struct mnl_socket;
struct rd_ifaces;
struct rd_iface;
struct rd_print;

#define RD_TC_KIND_LEN 16 /* IFNAMSIZ, as the kernel's qdisc ops id */

/* What one qdisc or filter message says, for the state (rd_tc_parse). */
struct rd_tc_msg {
	__u16 type;       /* RTM_NEWQDISC, RTM_NEWTFILTER, ... */
	__u32 ifindex;
	__u32 handle;
	__u32 parent;
	char kind[RD_TC_KIND_LEN]; /* "" if absent or malformed */
	bool default_opts; /* a qdisc whose options are the kernel's defaults */
};

/* Per device, from the last dumps. */
struct rd_tc_dev {
	__u32 ifindex;
	char egress_kind[RD_TC_KIND_LEN]; /* first non-default qdisc, or "" */
	char hook_kind[RD_TC_KIND_LEN];   /* "ingress", "clsact" or "" */
	char root_kind[RD_TC_KIND_LEN];   /* root qdisc of a default root */
	__u32 root_handle;
	bool ingress_filter;
	bool egress_filter;
};

struct rd_tc {
	struct rd_ifaces *ifs;
	struct ev_loop *loop;
	struct mnl_socket *req;
	unsigned int seq;
	ev_timer timer;    /* coalesces a burst of events into one re-read */
	struct rd_tc_dev *devs;
	size_t n_devs, cap_devs;
	unsigned long events, refreshes, errors, changes;
	bool ok;           /* the last re-read completed */
	/* a hold changed: what else carries one (the bridge mirror's
	 * rd_bridges and rd_vlan_devs) is rewritten; wired by main */
	void (*on_change)(void *arg);
	void *on_change_arg;
	/* a managed port's hold changed: the interface table describes its
	 * ports again (rd_ifaces_reconcile); wired by main, so that tc, a
	 * leaf, calls nobody above it */
	void (*on_ports)(void *arg);
	void *on_ports_arg;
};

/* Opens the request socket and reads the state once, before the first
 * attach, so that no port is described without its hold. */
int rd_tc_open(struct rd_tc *tc, struct rd_ifaces *ifs, char *err, size_t errlen);
/* Once the event loop runs and netlink.c is subscribed: reads again. */
void rd_tc_start(struct rd_tc *tc, struct ev_loop *loop);
void rd_tc_stop(struct rd_tc *tc);
/* A TC event (or a resync): re-read soon. */
void rd_tc_changed(struct rd_tc *tc);
/* Re-read now; describes the managed interfaces again if a hold changed. */
void rd_tc_refresh(struct rd_tc *tc);

/* Is this message one of the TC group's? */
bool rd_tc_msg_type(__u16 type);
/* Parses a qdisc or filter message the kernel sent (a dump answer or an
 * event), never reading past nlh->nlmsg_len: 0, or -1 if it is not a
 * whole tc message. */
int rd_tc_parse(const struct nlmsghdr *nlh, struct rd_tc_msg *out);
/* Folds one parsed qdisc message into its device's state. */
void rd_tc_note_qdisc(struct rd_tc_dev *dev, const struct rd_tc_msg *m);

/* The RD_TC_HOLD_* bits for IFINDEX in TC's state (0 when TC is NULL, or
 * with bypass). The interface table and the bridge mirror reach it through
 * their hooks (daemon.c wires them). */
__u8 rd_tc_hold(const struct rd_tc *tc, __u32 ifindex, bool bypass);
/* Why IFINDEX would be held, as "qdisc htb, ingress filter", or "" */
void rd_tc_why(const struct rd_tc *tc, __u32 ifindex, char *out, size_t outlen);
/* The "tc" member of an interface in status and interfaces: an object in
 * JSON, "  tc: held (qdisc htb)" or nothing in text. */
void rd_tc_print(const struct rd_tc *tc, struct rd_print *p, __u32 ifindex, bool bypass);
/* The "tc" section of status: counters, and every device whose tc routerd
 * honours (managed ports, bridge and VLAN devices alike) with why. */
void rd_tc_status_print(const struct rd_tc *tc, struct rd_print *p);

#endif
