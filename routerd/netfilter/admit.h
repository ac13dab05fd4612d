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

#include <routerd/conntrack.h>

#include "netfilter/ctnetlink.h"

#define RD_ADMIT_KEY_SIZE sizeof(struct rd_ct_key)
#define RD_ADMIT_VALUE_SIZE sizeof(struct rd_ct_admit)

/* 0 and the flow's original tuple, or -1 for an entry that is no flow. */
static inline int rd_admit_decode(const void *key, const void *val, struct rd_ct_tuple *t)
{
	const struct rd_ct_key *k = key;

	(void)val;
	memset(t, 0, sizeof(*t));
	t->family = k->family;
	t->proto = k->l4proto;
	t->sport = k->sport;
	t->dport = k->dport;
	memcpy(t->saddr, k->saddr, sizeof(t->saddr));
	memcpy(t->daddr, k->daddr, sizeof(t->daddr));
	return t->family == AF_INET || t->family == AF_INET6 ? 0 : -1;
}

/* What tells one admission of a flow from the next: a new generation
 * (every ruleset change) marks every flow liberal again, which also covers
 * an entry flushed and created anew since. */
static inline __u64 rd_admit_identity(const void *val)
{
	return ((const struct rd_ct_admit *)val)->generation;
}

/* The generation the flow was admitted under, and in which directions. */
static inline __u32 rd_admit_generation(const void *val)
{
	return ((const struct rd_ct_admit *)val)->generation;
}

static inline __u32 rd_admit_dirs(const void *val)
{
	return ((const struct rd_ct_admit *)val)->dirs;
}

#endif
