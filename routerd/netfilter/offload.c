// SPDX-License-Identifier: GPL-2.0
/* Conntrack offload, the daemon's part: see offload.h. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <limits.h>
/* glibc's netinet/in.h before the uapi headers, which then skip their copies */
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/netfilter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common/log.h"
#include "netfilter/admit.h"
#include "netfilter/ctnetlink.h"
#include "daemon/sysctl.h"
#include "netfilter/offload.h"

/* From the kernel's uapi (6.4+), which Debian 12's headers (6.1) and
 * libbpf 1.1 predate; checked against this kernel's BTF
 * (bpftool btf dump file /sys/kernel/btf/vmlinux). */
#define RD_BPF_PROG_TYPE_NETFILTER 32
#define RD_BPF_NETFILTER 45
/* RD_CT_ADMIT_PRIORITY (include/routerd/conntrack.h): NF_IP_PRI_LAST - 1,
 * since the kernel refuses NF_IP_PRI_LAST itself (-ERANGE), and after every
 * chain a ruleset can have but one at that very priority. */
#define RD_ADMIT_PRIORITY RD_CT_ADMIT_PRIORITY
_Static_assert(RD_CT_ADMIT_PRIORITY == INT_MAX - 1, "the last priority the kernel takes");

#define TCP_TIMEOUT_SYSCTL "/proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established"
#define UDP_TIMEOUT_SYSCTL "/proc/sys/net/netfilter/nf_conntrack_udp_timeout_stream"

/* union bpf_attr's link_create as this kernel lays it out for
 * BPF_NETFILTER: prog_fd, target_fd, attach_type, flags, then the
 * netfilter member of the per-type union. */
struct rd_link_create_nf {
	__u32 prog_fd;
	__u32 target_fd;
	__u32 attach_type;
	__u32 flags;
	__u32 pf;
	__u32 hooknum;
	__s32 priority;
	__u32 nf_flags;
};

int rd_offload_link_create(int prog_fd, __u32 pf, __u32 hooknum, __s32 priority)
{
	union {
		union bpf_attr attr; /* the size the kernel checks the tail against */
		struct rd_link_create_nf lc;
	} u;
	long fd;

	_Static_assert(sizeof(struct rd_link_create_nf) <= sizeof(union bpf_attr),
		       "link_create fits in bpf_attr");
	memset(&u, 0, sizeof(u));
	u.lc.prog_fd = prog_fd;
	u.lc.attach_type = RD_BPF_NETFILTER;
	u.lc.pf = pf;
	u.lc.hooknum = hooknum;
	u.lc.priority = priority;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &u.attr, sizeof(u.lc));
	return fd < 0 ? -errno : (int)fd;
}

void rd_offload_prepare(struct bpf_object *obj)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, "routerd_nf_admit");

	if (!p)
		return;
	bpf_program__set_type(p, RD_BPF_PROG_TYPE_NETFILTER);
	bpf_program__set_expected_attach_type(p, RD_BPF_NETFILTER);
	bpf_program__set_autoload(p, true);
}

static struct bpf_program *admission_prog(struct bpf_object *obj)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		if ((int)bpf_program__type(p) == RD_BPF_PROG_TYPE_NETFILTER && bpf_program__fd(p) >= 0)
			return p;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* generation and timeouts                                             */

static void publish(struct rd_offload *off)
{
	if (off->publish)
		off->publish(off->publish_arg);
}

void rd_offload_bump(struct rd_offload *off)
{
	/* skip 0, which the fast path reads as "nothing admitted" */
	if (++off->generation == 0)
		off->generation = 1;
	off->bumps++;
	publish(off);
}

/* Seconds from a sysctl; KEEP when it cannot be read. */
static __u32 read_seconds(const char *path, __u32 keep)
{
	int v = rd_sysctl_int(path, -1);

	return v < 0 ? keep : (__u32)v;
}

static void read_timeouts(struct rd_offload *off)
{
	__u32 tcp = read_seconds(TCP_TIMEOUT_SYSCTL, off->tcp_timeout_s ? off->tcp_timeout_s : 432000);
	__u32 udp = read_seconds(UDP_TIMEOUT_SYSCTL, off->udp_timeout_s ? off->udp_timeout_s : 120);

	if (tcp == off->tcp_timeout_s && udp == off->udp_timeout_s)
		return;
	off->tcp_timeout_s = tcp;
	off->udp_timeout_s = udp;
	rd_debug("conntrack offload: timeouts tcp %u s, udp %u s", tcp, udp);
	publish(off);
}

static void on_sysctl(struct ev_loop *loop, ev_timer *w, int revents)
{
	read_timeouts(w->data);
}

/* ------------------------------------------------------------------ */
/* liberal window tracking for admitted TCP flows                      */

static __u64 hash_bytes(const void *p, size_t n)
{
	const unsigned char *b = p;
	__u64 h = 0xcbf29ce484222325ull; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h ? h : 1;
}

/* The slot of HASH, or of the free slot where it goes; NULL when full. */
static struct rd_offload_marked *marked_slot(struct rd_offload *off, __u64 hash)
{
	for (__u32 i = 0; i < RD_OFFLOAD_MARKED_SLOTS; i++) {
		struct rd_offload_marked *m =
			&off->marked[(hash + i) & (RD_OFFLOAD_MARKED_SLOTS - 1)];

		if (m->hash == hash || !m->hash)
			return m;
	}
	return NULL;
}

static int set_liberal(struct rd_offload *off, const struct rd_ct_tuple *t)
{
	char buf[512];
	size_t len = rd_ct_build_liberal(buf, sizeof(buf), t, ++off->round);

	if (!len)
		return -EINVAL;
	return rd_ct_request(off->ct, buf, len, NULL);
}

/* One admitted flow: made liberal once per admission (a new admission,
 * say after the entry was flushed and created again, is marked again);
 * FORCE: whatever we think we did (the fast path says it is not liberal). */
static void mark_one(struct rd_offload *off, const void *key, const void *val, __u32 round,
		     bool force)
{
	struct rd_ct_tuple t;
	struct rd_offload_marked *m;
	__u64 h, vh;
	int rc;

	if (rd_admit_decode(key, val, &t) || t.proto != IPPROTO_TCP)
		return;
	h = hash_bytes(key, RD_ADMIT_KEY_SIZE);
	vh = rd_admit_identity(val);
	m = marked_slot(off, h);
	if (!force && m && m->hash == h && m->value == vh) {
		m->round = round;
		return;
	}
	rc = set_liberal(off, &t);
	if (rc == 0) {
		off->liberal_set++;
	} else if (rc == -ENOENT) {
		off->liberal_gone++; /* the entry went before we got to it */
		return;
	} else {
		off->liberal_errors++;
		if (rc != off->last_liberal_error)
			rd_warn("conntrack offload: cannot make a TCP flow liberal: %s",
				strerror(-rc));
		off->last_liberal_error = rc;
		return;
	}
	if (m) {
		m->hash = h;
		m->value = vh;
		m->round = round;
	}
}

/* Forgets flows no longer admitted: open addressing, so rebuilt whole. */
static void sweep(struct rd_offload *off, __u32 round)
{
	static struct rd_offload_marked keep[RD_OFFLOAD_MARKED_SLOTS];
	size_t n = 0;

	for (__u32 i = 0; i < RD_OFFLOAD_MARKED_SLOTS; i++)
		if (off->marked[i].hash && off->marked[i].round == round)
			keep[n++] = off->marked[i];
	memset(off->marked, 0, RD_OFFLOAD_MARKED_SLOTS * sizeof(*off->marked));
	for (size_t i = 0; i < n; i++) {
		struct rd_offload_marked *m = marked_slot(off, keep[i].hash);

		if (m)
			*m = keep[i];
	}
}

void rd_offload_scan(struct rd_offload *off)
{
	unsigned char key[RD_ADMIT_KEY_SIZE], next[RD_ADMIT_KEY_SIZE], val[RD_ADMIT_VALUE_SIZE];
	__u32 round = ++off->scans;
	void *prev = NULL;
	unsigned long n = 0;

	if (off->admit_fd < 0 || !off->ct)
		return;
	while (bpf_map_get_next_key(off->admit_fd, prev, next) == 0) {
		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map_lookup_elem(off->admit_fd, key, val))
			continue; /* gone meanwhile */
		n++;
		mark_one(off, key, val, round, false);
	}
	off->admitted = n;
	sweep(off, round);
}

static void on_scan(struct ev_loop *loop, ev_timer *w, int revents)
{
	rd_offload_scan(w->data);
}

/* rd_ct_events: an admitted TCP flow the fast path found not liberal. */
static int on_event(void *ctx, void *data, size_t size)
{
	struct rd_offload *off = ctx;
	const struct rd_ct_event *e = data;
	struct rd_ct_admit val = { 0 };

	if (size < sizeof(*e))
		return 0;
	off->n_events++;
	val.generation = e->generation;
	val.dirs = e->dirs;
	mark_one(off, &e->key, &val, off->scans, true);
	return 0;
}

static void on_events(struct ev_loop *loop, ev_io *w, int revents)
{
	ring_buffer__consume(((struct rd_offload *)w->data)->events);
}

/* ------------------------------------------------------------------ */
/* life cycle                                                          */

/* A pinned rd_ct_admit adopted from an earlier routerd may hold its
 * admissions: none of them counts for us (each flow is admitted again on
 * its next packet through the kernel), so none may match a generation of
 * ours by chance. */
static void forget_admissions(int fd)
{
	unsigned char key[RD_ADMIT_KEY_SIZE];
	unsigned long n = 0;

	while (bpf_map_get_next_key(fd, NULL, key) == 0 && n < 2 * RD_CT_ADMIT_ENTRIES) {
		bpf_map_delete_elem(fd, key);
		n++;
	}
	if (n)
		rd_debug("conntrack offload: %lu earlier admission(s) forgotten", n);
}

static int open_ctnetlink(struct rd_offload *off)
{
	struct timeval tv = { .tv_sec = 1 };

	off->ct = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!off->ct || mnl_socket_bind(off->ct, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(off->error, sizeof(off->error), "ctnetlink: %s", strerror(errno));
		if (off->ct)
			mnl_socket_close(off->ct);
		off->ct = NULL;
		return -1;
	}
	setsockopt(mnl_socket_get_fd(off->ct), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

void rd_offload_open(struct rd_offload *off, struct bpf_object *obj)
{
	static const __u32 pfs[2] = { NFPROTO_IPV4, NFPROTO_IPV6 };
	struct bpf_program *prog = admission_prog(obj);
	struct bpf_map *admit = bpf_object__find_map_by_name(obj, "rd_ct_admit");
	struct bpf_map *events;

	memset(off, 0, sizeof(*off));
	off->opened = true;
	off->link_fd[0] = off->link_fd[1] = off->admit_fd = -1;
	/* unique across restarts (the map may be a pinned one with entries
	 * of an earlier run): what an earlier routerd admitted never counts */
	off->generation = (__u32)(time(NULL) * 16) | 1;
	read_timeouts(off);
	if (!prog || !admit) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, "routerd_nf_admit");

		snprintf(off->error, sizeof(off->error), "%s",
			 !p || !admit ? "this build's fast path has no conntrack admission program"
				      : "the admission program is loaded at start only: restart "
					"routerd with netfilter offload");
		return;
	}
	if (bpf_map__key_size(admit) != RD_ADMIT_KEY_SIZE ||
	    bpf_map__value_size(admit) != RD_ADMIT_VALUE_SIZE) {
		snprintf(off->error, sizeof(off->error), "rd_ct_admit: unexpected layout");
		return;
	}
	off->marked = calloc(RD_OFFLOAD_MARKED_SLOTS, sizeof(*off->marked));
	if (!off->marked) {
		snprintf(off->error, sizeof(off->error), "out of memory");
		return;
	}
	if (open_ctnetlink(off))
		goto fail;
	for (int i = 0; i < 2; i++) {
		int fd = rd_offload_link_create(bpf_program__fd(prog), pfs[i], NF_INET_FORWARD,
						RD_ADMIT_PRIORITY);

		if (fd < 0) {
			snprintf(off->error, sizeof(off->error),
				 "cannot attach the admission program to the %s forward hook: %s%s",
				 i ? "IPv6" : "IPv4", strerror(-fd),
				 fd == -EINVAL ? " (a kernel without NETFILTER_BPF_LINK?)" : "");
			goto fail;
		}
		off->link_fd[i] = fd;
	}
	off->admit_fd = bpf_map__fd(admit);
	forget_admissions(off->admit_fd);
	events = bpf_object__find_map_by_name(obj, "rd_ct_events");
	if (events)
		off->events = ring_buffer__new(bpf_map__fd(events), on_event, off, NULL);
	if (!off->events)
		rd_info("conntrack offload: no admission events (%s): rd_ct_admit is walked instead",
			events ? strerror(errno) : "no rd_ct_events");
	off->active = true;
	rd_info("conntrack offload: admission program on the IPv4 and IPv6 forward hooks");
	return;
fail:
	rd_offload_close(off);
}

void rd_offload_start(struct rd_offload *off, struct ev_loop *loop, void (*publish_fn)(void *arg),
		      void *arg)
{
	double every = off->events ? RD_OFFLOAD_SCAN_S : RD_OFFLOAD_SCAN_ALONE_S;

	off->loop = loop;
	off->publish = publish_fn;
	off->publish_arg = arg;
	publish(off);
	if (!off->active)
		return;
	ev_timer_init(&off->scan, on_scan, every, every);
	off->scan.data = off;
	ev_timer_start(loop, &off->scan);
	if (off->events) {
		ev_io_init(&off->events_io, on_events, ring_buffer__epoll_fd(off->events), EV_READ);
		off->events_io.data = off;
		ev_io_start(loop, &off->events_io);
	}
	ev_timer_init(&off->sysctl, on_sysctl, RD_OFFLOAD_SYSCTL_S, RD_OFFLOAD_SYSCTL_S);
	off->sysctl.data = off;
	ev_timer_start(loop, &off->sysctl);
}

void rd_offload_close(struct rd_offload *off)
{
	if (!off->opened)
		return;
	if (off->loop && off->active) {
		ev_timer_stop(off->loop, &off->scan);
		ev_timer_stop(off->loop, &off->sysctl);
		if (off->events)
			ev_io_stop(off->loop, &off->events_io);
	}
	ring_buffer__free(off->events);
	off->events = NULL;
	for (int i = 0; i < 2; i++) {
		if (off->link_fd[i] >= 0)
			close(off->link_fd[i]);
		off->link_fd[i] = -1;
	}
	if (off->ct)
		mnl_socket_close(off->ct);
	off->ct = NULL;
	free(off->marked);
	off->marked = NULL;
	off->admit_fd = -1;
	off->active = false;
	off->loop = NULL;
}
