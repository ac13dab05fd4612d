// SPDX-License-Identifier: GPL-2.0
/* routerd/daemon/tc.c without a kernel: qdisc and filter messages as the kernel
 * sends them (and broken ones), what routerd makes of them, and which
 * qdiscs hold an interface. The kinds this kernel lacks (fq_codel, fq,
 * cake, netem) are only testable here. */
#include <criterion/criterion.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <routerd/maps.h>

#include "daemon/tc.h"

static char buf[4096];

/* A qdisc message: TYPE for IFINDEX, HANDLE under PARENT, of KIND (NULL:
 * no TCA_KIND). Returns it for more attributes. */
static struct nlmsghdr *qdisc(__u16 type, int ifindex, __u32 handle, __u32 parent,
			      const char *kind)
{
	struct nlmsghdr *nlh;
	struct tcmsg *tcm;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	if (kind)
		mnl_attr_put_strz(nlh, TCA_KIND, kind);
	return nlh;
}

/* The state one qdisc message leaves for its device. */
static struct rd_tc_dev note(const struct nlmsghdr *nlh)
{
	struct rd_tc_dev dev = { .ifindex = 7 };
	struct rd_tc_msg m;

	cr_assert_eq(rd_tc_parse(nlh, &m), 0);
	rd_tc_note_qdisc(&dev, &m);
	return dev;
}

static struct nlmsghdr *fq_codel(__u32 handle, __u16 attr, __u32 value)
{
	struct nlmsghdr *nlh = qdisc(RTM_NEWQDISC, 7, handle, TC_H_ROOT, "fq_codel");
	struct nlattr *opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);

	/* what the kernel reports for a default fq_codel on a 1500 MTU */
	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_TARGET, 4999);
	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_LIMIT, 10240);
	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_INTERVAL, 99999);
	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_ECN, 1);
	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_QUANTUM, 1514);
	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_DROP_BATCH_SIZE, 64);
	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_MEMORY_LIMIT, 32 << 20);
	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_FLOWS, 1024);
	if (attr)
		mnl_attr_put_u32(nlh, attr, value);
	mnl_attr_nest_end(nlh, opts);
	return nlh;
}

Test(tc, shapers_hold_the_egress)
{
	static const char *const kinds[] = { "tbf", "htb", "cake", "netem", "prio", "sfq",
					     "pfifo", "hfsc", "fq_pie" };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct rd_tc_dev d = note(qdisc(RTM_NEWQDISC, 7, 0x80010000, TC_H_ROOT, kinds[i]));

		cr_assert_str_eq(d.egress_kind, kinds[i]);
		cr_assert_str_eq(d.hook_kind, "");
	}
	/* a child under mq counts as much as a root */
	cr_assert_str_eq(note(qdisc(RTM_NEWQDISC, 7, 0x80020000, 0x80010001, "tbf")).egress_kind,
			 "tbf");
}

Test(tc, kernel_defaults_do_not_hold)
{
	static const char *const kinds[] = { "noqueue", "pfifo_fast", "mq", "fq_codel", "fq" };

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct rd_tc_dev d = note(qdisc(RTM_NEWQDISC, 7, 0, TC_H_ROOT, kinds[i]));

		cr_assert_str_eq(d.egress_kind, "", "%s attached by the kernel holds", kinds[i]);
		cr_assert_str_eq(d.root_kind, kinds[i]);
	}
	/* pfifo_fast has no parameters: installed by hand it is the same */
	cr_assert_str_eq(note(qdisc(RTM_NEWQDISC, 7, 0x80040000, TC_H_ROOT, "pfifo_fast")).egress_kind,
			 "");
}

Test(tc, fq_codel_by_hand_holds_unless_default)
{
	cr_assert_str_eq(note(fq_codel(0x80010000, 0, 0)).egress_kind, "",
			 "fq_codel by hand with the kernel's defaults");
	cr_assert_str_eq(note(fq_codel(0x80010000, TCA_FQ_CODEL_TARGET, 1000)).egress_kind,
			 "fq_codel", "a tuned target");
	cr_assert_str_eq(note(fq_codel(0x80010000, TCA_FQ_CODEL_LIMIT, 100)).egress_kind,
			 "fq_codel", "a short queue");
	cr_assert_str_eq(note(fq_codel(0x80010000, 99, 1)).egress_kind, "fq_codel",
			 "an attribute newer than this code");
	struct nlmsghdr *nlh = qdisc(RTM_NEWQDISC, 7, 0x80010000, TC_H_ROOT, "fq_codel");
	struct nlattr *opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);

	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_TARGET, 5000);
	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_INTERVAL, 100000);
	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_LIMIT, 10240);
	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_QUANTUM, 9014);
	mnl_attr_nest_end(nlh, opts);
	cr_assert_str_eq(note(nlh).egress_kind, "", "default fq_codel by hand");
	nlh = qdisc(RTM_NEWQDISC, 7, 0x80010000, TC_H_ROOT, "fq_codel");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_TARGET, 5000);
	mnl_attr_put_u32(nlh, TCA_FQ_CODEL_CE_THRESHOLD, 1000);
	mnl_attr_nest_end(nlh, opts);
	cr_assert_str_eq(note(nlh).egress_kind, "fq_codel", "ce_threshold set");
	nlh = qdisc(RTM_NEWQDISC, 7, 0x80010000, TC_H_ROOT, "fq_codel");
	opts = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put_u16(nlh, TCA_FQ_CODEL_LIMIT, 10); /* wrong size */
	mnl_attr_nest_end(nlh, opts);
	cr_assert_str_eq(note(nlh).egress_kind, "fq_codel", "malformed options");
}

Test(tc, hook_qdiscs_are_noted_not_held)
{
	struct rd_tc_dev d = note(qdisc(RTM_NEWQDISC, 7, 0xffff0000, TC_H_INGRESS, "clsact"));

	cr_assert_str_eq(d.hook_kind, "clsact");
	cr_assert_str_eq(d.egress_kind, "");
	d = note(qdisc(RTM_NEWQDISC, 7, 0xffff0000, TC_H_INGRESS, "ingress"));
	cr_assert_str_eq(d.hook_kind, "ingress");
	/* something unknown at the hook: both hooks get looked at */
	d = note(qdisc(RTM_NEWQDISC, 7, 0xffff0000, TC_H_INGRESS, "newhook"));
	cr_assert_str_eq(d.hook_kind, "clsact");
}

Test(tc, unknown_or_broken_kind_holds)
{
	struct nlmsghdr *nlh = qdisc(RTM_NEWQDISC, 7, 0x80010000, TC_H_ROOT, NULL);
	struct rd_tc_msg m;

	cr_assert_str_eq(note(nlh).egress_kind, "unknown", "no TCA_KIND");
	/* a kind without its NUL */
	nlh = qdisc(RTM_NEWQDISC, 7, 0x80010000, TC_H_ROOT, NULL);
	mnl_attr_put(nlh, TCA_KIND, 3, "tbf");
	cr_assert_eq(rd_tc_parse(nlh, &m), 0);
	cr_assert_str_eq(m.kind, "");
	/* a kind longer than any qdisc's */
	nlh = qdisc(RTM_NEWQDISC, 7, 0x80010000, TC_H_ROOT, "an-overly-long-qdisc-kind");
	cr_assert_str_eq(note(nlh).egress_kind, "unknown");
}

Test(tc, short_or_foreign_messages_are_refused)
{
	struct nlmsghdr *nlh = qdisc(RTM_NEWQDISC, 7, 0, TC_H_ROOT, "tbf");
	struct rd_tc_msg m;

	nlh->nlmsg_len = sizeof(*nlh) + sizeof(struct tcmsg) - 1;
	cr_assert_eq(rd_tc_parse(nlh, &m), -1);
	nlh->nlmsg_len = 3;
	cr_assert_eq(rd_tc_parse(nlh, &m), -1);
	nlh = qdisc(RTM_NEWLINK, 7, 0, TC_H_ROOT, "tbf");
	cr_assert_eq(rd_tc_parse(nlh, &m), -1);
	cr_assert(rd_tc_msg_type(RTM_DELTFILTER));
	cr_assert(rd_tc_msg_type(RTM_NEWCHAIN));
	cr_assert_not(rd_tc_msg_type(RTM_NEWROUTE));
}

Test(tc, filter_messages_parse)
{
	struct nlmsghdr *nlh = qdisc(RTM_NEWTFILTER, 9, 0x800, 0xfffffff2, "u32");
	struct rd_tc_msg m;

	cr_assert_eq(rd_tc_parse(nlh, &m), 0);
	cr_assert_eq(m.type, RTM_NEWTFILTER);
	cr_assert_eq(m.ifindex, 9);
	cr_assert_eq(m.parent, 0xfffffff2);
	cr_assert_str_eq(m.kind, "u32");
}

Test(tc, no_state_no_hold)
{
	/* without a running instance nothing is held, and bypass always wins */
	cr_assert_eq(rd_tc_hold(NULL, 7, false), 0);
	cr_assert_eq(rd_tc_hold(NULL, 7, true), 0);
}
