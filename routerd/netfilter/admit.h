/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rd_ct_admit, as the daemon reads it: the one place that knows the map's
 * key and value layout (include/routerd/conntrack.h), so offload.c and the
 * report deal in struct rd_ct_tuple only.
 */
#ifndef RD_NF_ADMIT_H
#define RD_NF_ADMIT_H

#include <string.h>
#include <sys/socket.h>

#include "netfilter/ctnetlink.h"

/* Until the fast path's header lands: the layout agreed for rd_ct_admit. */
struct rd_admit_key_local {
	__u8 family; /* AF_INET, AF_INET6 */
	__u8 proto;
	__be16 sport, dport;
	__u16 pad;
	__be32 saddr[4], daddr[4];
};
struct rd_admit_value_local {
	__u32 generation;
	__u32 pad;
	__u64 admitted_ns;
};
#define RD_ADMIT_KEY_SIZE sizeof(struct rd_admit_key_local)
#define RD_ADMIT_VALUE_SIZE sizeof(struct rd_admit_value_local)

/* 0 and the flow's wire tuple, or -1 for an entry that is no flow. */
static inline int rd_admit_decode(const void *key, const void *val, struct rd_ct_tuple *t)
{
	const struct rd_admit_key_local *k = key;

	(void)val;
	memset(t, 0, sizeof(*t));
	t->family = k->family;
	t->proto = k->proto;
	t->sport = k->sport;
	t->dport = k->dport;
	memcpy(t->saddr, k->saddr, sizeof(t->saddr));
	memcpy(t->daddr, k->daddr, sizeof(t->daddr));
	return t->family == AF_INET || t->family == AF_INET6 ? 0 : -1;
}

/* What tells one admission of a flow from the next. */
static inline __u64 rd_admit_identity(const void *val)
{
	const struct rd_admit_value_local *v = val;

	return v->generation;
}

/* The generation the flow was admitted under. */
static inline __u32 rd_admit_generation(const void *val)
{
	return ((const struct rd_admit_value_local *)val)->generation;
}

#endif
