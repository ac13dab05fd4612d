// SPDX-License-Identifier: GPL-2.0
/*
 * Conntrack entries for the packet tests, created in the test's own
 * namespace through ctnetlink (libmnl), as a running kernel would have
 * them after a NATed flow: both tuples given, so the reply tuple carries
 * the translation; the status, TCP state and window-tracking flags set.
 * The conntrack(8) CLI cannot set the TCP flags (BE_LIBERAL), hence this.
 */
#ifndef RD_TEST_CT_ENTRY_H
#define RD_TEST_CT_ENTRY_H

#include <stdbool.h>
#include <linux/types.h>

struct ct_tuple {
	const char *src, *dst;
	__u16 sport, dport; /* host order */
};

struct ct_spec {
	int family;        /* AF_INET or AF_INET6 */
	__u8 proto;        /* IPPROTO_TCP or IPPROTO_UDP */
	struct ct_tuple orig, reply;
	__u32 status;      /* IPS_* bits the kernel lets ctnetlink set (SEEN_REPLY, ASSURED) */
	__u8 tcp_state;    /* TCP_CONNTRACK_* */
	bool liberal;      /* IP_CT_TCP_FLAG_BE_LIBERAL on both directions */
	__u32 timeout_s;
};

/* 0 or -errno (ctnetlink's answer). */
int ct_create(const struct ct_spec *s);
/* The entry's remaining timeout in seconds as `conntrack -L` shows it, or -1. */
long ct_timeout_of(const struct ct_spec *s);

struct rd_ct_key;
/* S's original tuple as the key of rd_ct_admit (the admission program's). */
void ct_admit_key(const struct ct_spec *s, struct rd_ct_key *k);

#endif
