/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Conntrack offload, the daemon's part (`netfilter offload`,
 * docs/firewall.md). netfilter.c decides per family whether established
 * flows may be forwarded in XDP; this module owns what makes that safe:
 *  - the admission program (SEC("netfilter") in bpf/routerd.bpf.c) on the
 *    forward hook of IPv4 and IPv6 at the last priority, where it sees
 *    exactly the packets the whole ruleset accepted and records their flows
 *    in rd_ct_admit under the current ruleset generation. The links are
 *    not pinned: they die with routerd, which is what we want, since a
 *    silent routerd's fast path holds everything for the kernel anyway
 *    (RD_NF_HOLD_SILENT, bpf/lib/unattended.h), and a restarted one starts
 *    a new generation, so nothing admitted before counts;
 *  - the ruleset generation: bumped on every ruleset change netfilter.c
 *    sees, so every offloaded flow goes back through the kernel for one
 *    packet and is admitted again only if the ruleset still accepts it;
 *  - TCP window tracking: conntrack would call the rest of a connection
 *    invalid after XDP carried the middle, so every admitted TCP flow is
 *    made liberal on both directions through ctnetlink (ctnetlink.h), as
 *    the kernel's own flowtable does; the fast path offloads a TCP flow only
 *    once both directions are;
 *  - the timeouts the fast path refreshes offloaded entries with: the
 *    kernel's own (nf_conntrack_tcp_timeout_established,
 *    nf_conntrack_udp_timeout_stream), re-read every few seconds.
 * Generation and timeouts reach the fast path through rd_cache_ctl, whose
 * one writer is daemon/cachectl.c: this module calls PUBLISH on a change.
 */
#ifndef RD_NF_OFFLOAD_H
#define RD_NF_OFFLOAD_H

#include <ev.h>
#include <linux/types.h>
#include <stdbool.h>

#include "common/json.h"

struct bpf_object;
struct mnl_socket;
struct ring_buffer;

/* Admitted TCP flows not liberal yet come through rd_ct_events at once;
 * the walk of rd_ct_admit catches what a full ring buffer lost (the
 * admission program repeats itself every RD_CT_NOTIFY_INTERVAL_NS), and is
 * all there is with a fast path without the ring buffer. */
#define RD_OFFLOAD_SCAN_S 2.0
#define RD_OFFLOAD_SCAN_ALONE_S 0.15
#define RD_OFFLOAD_SYSCTL_S 2.0
#define RD_OFFLOAD_MARKED_SLOTS 8192 /* TCP flows remembered as liberal */

struct rd_offload_marked {
	__u64 hash;  /* of the admission key; 0: free */
	__u64 value; /* of the admission value when marked */
	__u32 round; /* last scan that saw it */
};

struct rd_offload {
	bool opened;           /* rd_offload_open() ran: there is something to close */
	bool active;           /* attached and following */
	int link_fd[2];        /* IPv4, IPv6 forward hook; -1: none */
	int admit_fd;          /* rd_ct_admit, -1: none */
	struct mnl_socket *ct; /* ctnetlink, for the liberal updates */
	struct ring_buffer *events; /* rd_ct_events, or NULL */
	struct ev_loop *loop;
	ev_timer scan, sysctl;
	ev_io events_io;
	__u32 generation;      /* never 0 */
	__u32 tcp_timeout_s, udp_timeout_s;
	void (*publish)(void *arg);
	void *publish_arg;
	char error[160];       /* why offload cannot run; "" when it can */
	__u32 round;
	struct rd_offload_marked *marked;
	/* figures */
	unsigned long bumps, scans, admitted, liberal_set, liberal_gone, liberal_errors;
	unsigned long n_events;
	int last_liberal_error;
};

/* Between opening the embedded object and loading it: the admission
 * program, which libbpf 1.1 does not know the section of (SEC("?netfilter"):
 * not loaded unless asked), gets its program and attach type and is
 * loaded with the rest. */
void rd_offload_prepare(struct bpf_object *obj);
/* Before XDP is attached, with netfilter offload configured: attaches the
 * admission program of OBJ and starts a generation. Never fails: what
 * cannot be set up leaves offload off with the reason in off->error
 * (netfilter.c then holds without offload). */
void rd_offload_open(struct rd_offload *off, struct bpf_object *obj);
/* Follows admissions and the sysctls from now on. */
void rd_offload_start(struct rd_offload *off, struct ev_loop *loop, void (*publish)(void *arg),
		      void *arg);
/* Detaches (the links close) and stops. */
void rd_offload_close(struct rd_offload *off);
/* The ruleset changed: every offloaded flow goes back to the kernel once. */
void rd_offload_bump(struct rd_offload *off);
/* One scan of rd_ct_admit now (the timer does it every RD_OFFLOAD_SCAN_S). */
void rd_offload_scan(struct rd_offload *off);

/* The low-level attach, for the tests: a BPF_PROG_TYPE_NETFILTER program
 * on hook HOOKNUM of protocol family PF. The link's fd, or -errno. */
int rd_offload_link_create(int prog_fd, __u32 pf, __u32 hooknum, __s32 priority);


#endif
