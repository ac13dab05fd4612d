// SPDX-License-Identifier: GPL-2.0
/*
 * iptables-legacy and ip6tables-legacy (x_tables), for netfilter.c: which
 * tables of routerd's namespace have a rule, or a policy other than ACCEPT,
 * in a built-in chain that forwarded traffic crosses (PREROUTING, FORWARD,
 * POSTROUTING). x_tables sends no events; netfilter.c polls this.
 *
 * Only tables listed in /proc/net/ip{,6}_tables_names are asked about:
 * asking for another would make the kernel create it in this namespace.
 */
#include <errno.h>
/* glibc's headers (netinet/in.h, net/if.h via netfilter.h) before the uapi
 * ones, which then skip their own copies */
#include <netinet/in.h>
#include "netfilter/netfilter.h"
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

_Static_assert(sizeof(struct ipt_getinfo) == sizeof(struct ip6t_getinfo),
	       "the two getinfo layouts are the same");

struct legacy_family {
	int af, level, get_info, get_entries;
	size_t target_offset_at; /* offsetof(entry, target_offset) */
	size_t next_offset_at, counters_at;
	const char *names, *tool;
	__u32 hold;
};

static const struct legacy_family families[] = {
	{ AF_INET, IPPROTO_IP, IPT_SO_GET_INFO, IPT_SO_GET_ENTRIES,
	  offsetof(struct ipt_entry, target_offset), offsetof(struct ipt_entry, next_offset),
	  offsetof(struct ipt_entry, counters), "/proc/net/ip_tables_names",
	  "iptables-legacy", RD_NF_HOLD_IPV4 },
	{ AF_INET6, IPPROTO_IPV6, IP6T_SO_GET_INFO, IP6T_SO_GET_ENTRIES,
	  offsetof(struct ip6t_entry, target_offset), offsetof(struct ip6t_entry, next_offset),
	  offsetof(struct ip6t_entry, counters), "/proc/net/ip6_tables_names",
	  "ip6tables-legacy", RD_NF_HOLD_IPV6 },
};

static const struct {
	int hook;
	const char *chain;
} hooks[] = {
	{ NF_INET_PRE_ROUTING, "PREROUTING" },
	{ NF_INET_FORWARD, "FORWARD" },
	{ NF_INET_POST_ROUTING, "POSTROUTING" },
};

/* The verdict of the standard target of the entry at OFF: the chain's
 * policy when OFF is its underflow. 0 if it cannot be read. */
static int policy_at(const struct legacy_family *lf, const unsigned char *blob, size_t size,
		     unsigned int off, int *verdict)
{
	__u16 target_offset;
	struct xt_standard_target t;

	if (off > size || size - off < lf->target_offset_at + sizeof(target_offset))
		return -1;
	memcpy(&target_offset, blob + off + lf->target_offset_at, sizeof(target_offset));
	if (size - off < (size_t)target_offset + sizeof(t))
		return -1;
	memcpy(&t, blob + off + target_offset, sizeof(t));
	if (t.target.u.user.name[0]) /* not the standard target */
		return -1;
	*verdict = t.verdict;
	return 0;
}

/* Folds the table's rules, not their counters, into v->fingerprint: any
 * change to them is a new ruleset generation for offloaded flows. */
static void fingerprint(const struct legacy_family *lf, const char *table,
			const unsigned char *blob, size_t size, struct rd_nf_verdict *v)
{
	__u64 h = v->fingerprint ^ 0xcbf29ce484222325ull; /* FNV-1a */
	size_t off = 0;

	for (const char *c = table; *c; c++)
		h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
	while (off < size && size - off >= lf->counters_at + sizeof(struct xt_counters)) {
		__u16 next;

		memcpy(&next, blob + off + lf->next_offset_at, sizeof(next));
		if (next < lf->counters_at + sizeof(struct xt_counters) || next > size - off)
			break;
		for (size_t i = 0; i < next; i++)
			if (i < lf->counters_at || i >= lf->counters_at + sizeof(struct xt_counters))
				h = (h ^ blob[off + i]) * 0x100000001b3ull;
		off += next;
	}
	v->fingerprint = h;
}

static void check_table(const struct legacy_family *lf, int fd, const char *table,
			struct rd_nf_verdict *v)
{
	struct ipt_getinfo info;
	struct ipt_get_entries *ent;
	socklen_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (strlen(table) >= sizeof(info.name))
		return;
	memcpy(info.name, table, strlen(table) + 1);
	if (getsockopt(fd, lf->level, lf->get_info, &info, &len)) {
		if (errno != ENOENT) /* gone since the names were read */
			rd_nf_verdict_add(v, lf->hold, "%s %s: unreadable (%s)", lf->tool, table,
					  strerror(errno));
		return;
	}
	len = sizeof(*ent) + info.size;
	ent = calloc(1, len);
	if (!ent) {
		rd_nf_verdict_add(v, lf->hold, "%s %s: unreadable (out of memory)", lf->tool, table);
		return;
	}
	memcpy(ent->name, info.name, sizeof(ent->name));
	ent->size = info.size;
	if (getsockopt(fd, lf->level, lf->get_entries, ent, &len)) {
		/* EAGAIN: it changed between the two calls; next poll */
		rd_nf_verdict_add(v, lf->hold, "%s %s: unreadable (%s)", lf->tool, table,
				  strerror(errno));
		free(ent);
		return;
	}
	fingerprint(lf, table, (const unsigned char *)ent->entrytable, info.size, v);
	for (size_t i = 0; i < sizeof(hooks) / sizeof(hooks[0]); i++) {
		int h = hooks[i].hook, verdict;
		bool acts;

		if (!(info.valid_hooks & (1u << h)))
			continue;
		acts = info.hook_entry[h] != info.underflow[h];
		/* as for nftables (ruleset.h): mangle acts on every packet,
		 * POSTROUTING after the offload admission; nat sees only a
		 * connection's first packet */
		if (acts && (!strcmp(table, "mangle") ||
			     (h == NF_INET_POST_ROUTING && strcmp(table, "nat"))))
			rd_nf_verdict_no_offload(v, lf->hold, "%s %s %s: rules", lf->tool, table,
						 hooks[i].chain);
		if (acts)
			rd_nf_verdict_add(v, lf->hold, "%s %s %s: rules", lf->tool, table,
					  hooks[i].chain);
		else if (policy_at(lf, (const unsigned char *)ent->entrytable, info.size,
				   info.underflow[h], &verdict))
			rd_nf_verdict_add(v, lf->hold, "%s %s %s: policy unreadable", lf->tool,
					  table, hooks[i].chain);
		else if (verdict != -NF_ACCEPT - 1)
			rd_nf_verdict_add(v, lf->hold, "%s %s %s: policy %s", lf->tool, table,
					  hooks[i].chain, verdict == -NF_DROP - 1 ? "DROP" : "not ACCEPT");
	}
	free(ent);
}

static void read_family(const struct legacy_family *lf, struct rd_nf_verdict *v)
{
	char table[XT_TABLE_MAXNAMELEN + 2];
	FILE *f = fopen(lf->names, "re");
	int fd = -1;

	if (!f) {
		if (errno != ENOENT) /* ENOENT: no x_tables at all */
			rd_nf_verdict_add(v, lf->hold, "%s: cannot read %s: %s", lf->tool,
					  lf->names, strerror(errno));
		return;
	}
	while (fgets(table, sizeof(table), f)) {
		table[strcspn(table, "\n")] = '\0';
		if (!*table)
			continue;
		if (fd < 0)
			fd = socket(lf->af, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
		if (fd < 0) {
			rd_nf_verdict_add(v, lf->hold, "%s: cannot ask the kernel: %s", lf->tool,
					  strerror(errno));
			break;
		}
		check_table(lf, fd, table, v);
	}
	if (fd >= 0)
		close(fd);
	fclose(f);
}

void rd_nf_legacy_read(struct rd_nf_verdict *v)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		read_family(&families[i], v);
}
