// SPDX-License-Identifier: GPL-2.0
/*
 * The bridge mirror's FDB entries (fdb.h, fdb_internal.h). Owns rd_fdb:
 * which kernel bridge FDB entries it holds (those whose port routerd
 * manages, plus the local ones; never locked ones), parsing them from
 * RTM_NEWNEIGH/RTM_DELNEIGH (family AF_BRIDGE), applying one event, the
 * full dump that makes the map match the kernel, and reading the map back
 * (for the freshness rounds and routerctl fdb). The fast path's seen/used
 * stamps in the map are kept: an unchanged entry is never rewritten.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bridge/internal.h"
#include "common/log.h"
#include "routerd.skel.h"

/* Newer than some uapi headers this builds against. */
#ifndef NTF_EXT_LOCKED
#define NTF_EXT_LOCKED (1 << 1)
#endif

/* A bridge FDB entry (family AF_BRIDGE, NDA_MASTER present, not one of a
 * device's own "self" entries). */
bool rd_fdb_parse_entry(const struct nlmsghdr *nlh, struct fdb_msg *m)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	bool have_mac = false, have_master = false;
	const struct nlattr *a;

	memset(m, 0, sizeof(*m));
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ndm)) || ndm->ndm_family != AF_BRIDGE ||
	    (ndm->ndm_flags & NTF_SELF))
		return false;
	mnl_attr_for_each(a, nlh, sizeof(*ndm)) {
		size_t len = mnl_attr_get_payload_len(a);

		switch (mnl_attr_get_type(a)) {
		case NDA_LLADDR:
			if (len == ETH_ALEN) {
				memcpy(m->key.mac, mnl_attr_get_payload(a), ETH_ALEN);
				have_mac = true;
			}
			break;
		case NDA_MASTER:
			if (len == 4) {
				m->key.bridge = mnl_attr_get_u32(a);
				have_master = true;
			}
			break;
		case NDA_VLAN:
			if (len == 2)
				m->key.vid = mnl_attr_get_u16(a);
			break;
		case NDA_FLAGS_EXT:
			if (len == 4 && (mnl_attr_get_u32(a) & NTF_EXT_LOCKED))
				m->locked = true;
			break;
		}
	}
	if (!have_mac || !have_master)
		return false;
	m->val.port = ndm->ndm_ifindex;
	if (ndm->ndm_state & NUD_PERMANENT)
		m->val.flags |= RD_FDB_LOCAL | RD_FDB_STATIC;
	else if (ndm->ndm_state & NUD_NOARP)
		m->val.flags |= RD_FDB_STATIC;
	if (ndm->ndm_flags & NTF_EXT_LEARNED)
		m->val.flags |= RD_FDB_EXTERN;
	if (ndm->ndm_flags & NTF_STICKY)
		m->val.flags |= RD_FDB_STICKY;
	return true;
}

/* Local entries always (frames to them go to the kernel, counted as
 * such); others when XDP can send to their port. Locked entries (MAB) are
 * the kernel's business. */
static bool wanted(const struct rd_fdb *f, const struct fdb_msg *m)
{
	return !m->locked && ((m->val.flags & RD_FDB_LOCAL) || rd_fdb_is_managed(f, m->val.port));
}

static int fdb_fd(const struct rd_fdb *f)
{
	return bpf_map__fd(f->dp->skel->maps.rd_fdb);
}

/* Writes one entry unless the map has it already (which keeps the fast
 * path's timestamps). */
static void fdb_put(struct rd_fdb *f, const struct fdb_msg *m)
{
	struct rd_fdb_entry cur;
	int fd = fdb_fd(f);

	if (!bpf_map_lookup_elem(fd, &m->key, &cur) && cur.port == m->val.port &&
	    cur.flags == m->val.flags)
		return;
	if (bpf_map_update_elem(fd, &m->key, &m->val, BPF_ANY))
		warn_map(f, "rd_fdb", errno);
}

void rd_fdb_entry_event(struct rd_fdb *f, const struct nlmsghdr *nlh)
{
	struct fdb_msg m;

	if (!rd_fdb_parse_entry(nlh, &m))
		return;
	f->fdb_events++;
	if (nlh->nlmsg_type == RTM_NEWNEIGH && wanted(f, &m))
		fdb_put(f, &m);
	else
		bpf_map_delete_elem(fdb_fd(f), &m.key);
}

struct fdb_list {
	struct rd_fdb *f;
	struct fdb_msg *v;
	size_t n, cap;
	bool oom;
};

static int on_fdb_dump(const struct nlmsghdr *nlh, void *data)
{
	struct fdb_list *l = data;
	struct fdb_msg m;
	void *arr;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || !rd_fdb_parse_entry(nlh, &m) || !wanted(l->f, &m))
		return MNL_CB_OK;
	arr = rd_fdb_grow(l->v, &l->cap, l->n, sizeof(m), &l->oom);
	if (!arr)
		return MNL_CB_ERROR;
	l->v = arr;
	l->v[l->n++] = m;
	return MNL_CB_OK;
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct rd_fdb_key));
}

/* Doubles the key and value arrays (*CAP each); false when out of memory
 * (both stay valid, at whatever size they reached). */
static bool grow_both(struct rd_fdb_key **k, struct rd_fdb_entry **v, size_t *cap)
{
	void *nk = realloc(*k, 2 * *cap * sizeof(**k)), *nv;

	if (!nk)
		return false;
	*k = nk;
	nv = realloc(*v, 2 * *cap * sizeof(**v));
	if (!nv)
		return false;
	*v = nv;
	*cap *= 2;
	return true;
}

int rd_fdb_read_map(struct rd_fdb *f, struct rd_fdb_key **keys, struct rd_fdb_entry **vals,
		    size_t *n)
{
	int fd = fdb_fd(f);
	size_t cap = 1024, got = 0;
	struct rd_fdb_key *k = malloc(cap * sizeof(*k));
	struct rd_fdb_entry *v = malloc(cap * sizeof(*v));
	__u32 batch_in = 0, batch_out = 0;
	bool first = true;

	if (!k || !v)
		goto oom;
	for (;;) {
		__u32 count = 256;
		int rc;

		if (got + count > cap && !grow_both(&k, &v, &cap))
			goto oom;
		rc = bpf_map_lookup_batch(fd, first ? NULL : &batch_in, &batch_out, k + got, v + got,
					  &count, NULL);
		if (rc && errno != ENOENT) {
			if (first && (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP))
				break; /* no batch ops: walk the keys */
			free(k);
			free(v);
			return -errno;
		}
		got += count;
		if (rc) /* ENOENT: that was the last batch */
			goto done;
		batch_in = batch_out;
		first = false;
	}
	/* fallback */
	{
		struct rd_fdb_key key, next, *prev = NULL;

		got = 0;
		while (!bpf_map_get_next_key(fd, prev, &next)) {
			if (got == cap && !grow_both(&k, &v, &cap))
				goto oom;
			if (!bpf_map_lookup_elem(fd, &next, &v[got]))
				k[got++] = next;
			key = next;
			prev = &key;
		}
	}
done:
	*keys = k;
	*vals = v;
	*n = got;
	return 0;
oom:
	free(k);
	free(v);
	return -ENOMEM;
}

void rd_fdb_sync_entries(struct rd_fdb *f)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fdb_list l = { .f = f };
	struct rd_fdb_key *keys = NULL;
	struct rd_fdb_entry *vals = NULL;
	struct ndmsg *ndm;
	bool intr = false;
	size_t n = 0;
	int rc;

	f->fdb_dirty = false;
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_BRIDGE;
	rc = rd_fdb_request(f, nlh, on_fdb_dump, &l, &intr);
	if (rc || l.oom) {
		rd_err("bridge mirror: FDB dump failed: %s", rc ? strerror(-rc) : "out of memory");
		free(l.v);
		f->fdb_dirty = true;
		return;
	}
	for (size_t i = 0; i < l.n; i++)
		fdb_put(f, &l.v[i]);
	if (l.n) /* l.v is NULL when the dump was empty: qsort/bsearch want a pointer */
		qsort(l.v, l.n, sizeof(*l.v), cmp_key);
	if (!rd_fdb_read_map(f, &keys, &vals, &n)) {
		for (size_t i = 0; i < n; i++)
			if (!l.n || !bsearch(&keys[i], l.v, l.n, sizeof(*l.v), cmp_key))
				bpf_map_delete_elem(fdb_fd(f), &keys[i]);
	}
	f->n_entries = l.n;
	free(keys);
	free(vals);
	free(l.v);
	if (intr)
		f->fdb_dirty = true;
}
