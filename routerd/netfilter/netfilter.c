// SPDX-License-Identifier: GPL-2.0
/* Netfilter next to the fast path: see netfilter.h. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "common/log.h"
#include "daemon/sysctl.h"
#include "netfilter/netfilter.h"

#define DUMP_TRIES 5

/* ------------------------------------------------------------------ */
/* nftables                                                            */

static int request_dump(struct mnl_socket *nl, int msg, unsigned int seq)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = NFPROTO_UNSPEC;
	g->version = NFNETLINK_V0;
	g->res_id = 0;
	return mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

/* One dump into rs; 0, or -1 with rs marked bad. */
static int dump(struct mnl_socket *nl, struct rd_nf_ruleset *rs, int msg, unsigned int seq)
{
	static char buf[1 << 16];
	char why[96];

	if (request_dump(nl, msg, seq))
		goto fail;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		int rc;

		if (n <= 0)
			goto fail;
		rc = rd_nf_ruleset_add_buf(rs, buf, (size_t)n);
		if (rc < 0)
			return -1;
		if (rc > 0)
			return 0;
	}
fail:
	snprintf(why, sizeof(why), "nf_tables dump: %s", strerror(errno ? errno : EIO));
	rs->bad = true;
	snprintf(rs->error, sizeof(rs->error), "%s", why);
	return -1;
}

/* The nftables part of the verdict: chains, then rules, from one
 * generation (read again while the ruleset changes under us). */
static void read_nftables(struct rd_netfilter *nf, struct rd_nf_verdict *v)
{
	static struct rd_nf_ruleset rs;
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	struct timeval tv = { .tv_sec = 2 };
	unsigned int seq = time(NULL);

	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rd_nf_verdict_add(v, RD_NF_HOLD_ALL, "nftables unreadable: netlink: %s",
				  strerror(errno));
		if (nl)
			mnl_socket_close(nl);
		return;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < DUMP_TRIES; i++) {
		rd_nf_ruleset_free(&rs);
		if (!dump(nl, &rs, NFT_MSG_GETCHAIN, seq++) && !dump(nl, &rs, NFT_MSG_GETRULE, seq++) &&
		    !rs.gen_mixed)
			break;
		if (rs.bad)
			break;
		if (i == DUMP_TRIES - 1) {
			rs.bad = true;
			snprintf(rs.error, sizeof(rs.error), "changing faster than it can be read");
		}
	}
	rd_nf_ruleset_verdict(&rs, v);
	rd_nf_ruleset_free(&rs);
	mnl_socket_close(nl);
}

/* ------------------------------------------------------------------ */
/* br_netfilter                                                        */

/* -1: no br_netfilter in this namespace (nothing to read), else 0 or 1. */
/* A br_netfilter switch: 1 on, 0 off, -1 absent (module not loaded). */
static int read_flag(const char *path)
{
	int v = rd_sysctl_int(path, -1);

	return v < 0 ? -1 : v != 0;
}

/* Bridged IP frames cross the ip/ip6 hooks when br_netfilter says so. */
static void read_br_netfilter(struct rd_nf_verdict *v)
{
	static const struct {
		const char *path, *name;
		__u32 family;
	} flags[] = {
		{ "/proc/sys/net/bridge/bridge-nf-call-iptables", "bridge-nf-call-iptables",
		  RD_NF_HOLD_IPV4 },
		{ "/proc/sys/net/bridge/bridge-nf-call-ip6tables", "bridge-nf-call-ip6tables",
		  RD_NF_HOLD_IPV6 },
	};

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		int on = read_flag(flags[i].path);

		/* a switch flipped is a ruleset change for offloaded flows */
		v->fingerprint = v->fingerprint * 31 + (unsigned int)(on + 2);
		if ((v->hold & flags[i].family) && on == 1)
			rd_nf_verdict_add(v, RD_NF_HOLD_BRIDGE, "br_netfilter: %s=1 and %s held",
					  flags[i].name,
					  flags[i].family == RD_NF_HOLD_IPV4 ? "ipv4" : "ipv6");
	}
}

/* ------------------------------------------------------------------ */
/* the decision                                                        */

void rd_nf_read(struct rd_netfilter *nf, struct rd_nf_verdict *v)
{
	memset(v, 0, sizeof(*v));
	if (nf->mode == RD_NF_OFF)
		return;
	nf->reads++;
	if (nf->nft_stale || !nf->events) {
		memset(&nf->nft, 0, sizeof(nf->nft));
		if (!nf->events && nf->events_error[0])
			rd_nf_verdict_add(&nf->nft, RD_NF_HOLD_ALL,
					  "nftables unreadable: cannot follow changes (%s)",
					  nf->events_error);
		read_nftables(nf, &nf->nft);
		nf->nft_reads++;
		nf->nft_stale = false;
	}
	*v = nf->nft;
	rd_nf_legacy_read(v);
	read_br_netfilter(v); /* last: it depends on the IP holds */
}

/* The offload bit of each held IP family whose established flows may go
 * through XDP: under `netfilter offload`, with the admission running
 * (nf->offload_error empty) and nothing in the ruleset refusing it. */
static __u32 offload_bits(const struct rd_netfilter *nf)
{
	const struct rd_nf_verdict *v = &nf->verdict;
	__u32 bits = 0;

	if (nf->mode != RD_NF_OFFLOAD || nf->offload_error[0])
		return 0;
	if ((v->hold & RD_NF_HOLD_IPV4) && !(v->no_offload & RD_NF_HOLD_IPV4))
		bits |= RD_NF_OFFLOAD_IPV4;
	if ((v->hold & RD_NF_HOLD_IPV6) && !(v->no_offload & RD_NF_HOLD_IPV6))
		bits |= RD_NF_OFFLOAD_IPV6;
	return bits;
}

__u32 rd_nf_hold(const struct rd_netfilter *nf)
{
	return nf->verdict.hold | offload_bits(nf);
}

void rd_nf_refuse_offload(struct rd_netfilter *nf, const char *why)
{
	snprintf(nf->offload_error, sizeof(nf->offload_error), "%s", why ? why : "");
	if (nf->mode == RD_NF_OFFLOAD && why && *why)
		rd_warn("netfilter offload: %s; held traffic stays with the kernel", why);
}

/* What changed for a family: its path, or why it is held. */
static bool family_changed(const struct rd_nf_verdict *a, const struct rd_nf_verdict *b, int f)
{
	if ((a->hold ^ b->hold) & (1u << f))
		return true;
	return a->n_why[f] != b->n_why[f] ||
	       (a->n_why[f] && strcmp(a->why[f][0], b->why[f][0]));
}

/* Once per change, for the families that changed (all of them when PREV
 * is NULL). */
static void log_verdict(const struct rd_nf_verdict *prev, const struct rd_nf_verdict *v)
{
	for (int f = 0; f < RD_NF_FAMILIES; f++) {
		bool held = v->hold & (1u << f);

		if (prev && !family_changed(prev, v, f))
			continue;
		if (!held) {
			rd_info("netfilter: %s forwarded in XDP (no rule can act on it)",
				rd_nf_family_name(f));
			continue;
		}
		/* what cannot be read is a warning: the kernel path is only
		 * a precaution then */
		rd_log(strstr(v->why[f][0], "unreadable") ? RD_LOG_WARN : RD_LOG_INFO,
		       "netfilter: %s forwarded by the kernel: %s%s", rd_nf_family_name(f),
		       v->why[f][0], v->n_why[f] > 1 ? " (and more: routerctl status)" : "");
	}
}

/* Reads everything and, on a change, applies and logs it once. */
void rd_nf_refresh(struct rd_netfilter *nf)
{
	struct rd_nf_verdict next;

	rd_nf_read(nf, &next);
	if (rd_nf_verdict_equal(&next, &nf->verdict)) {
		/* a commit that leaves the verdict as it was is still a new
		 * ruleset for offloaded flows (a drop rule in a held chain) */
		if (nf->mode == RD_NF_OFFLOAD && nf->nft_changed && nf->apply) {
			nf->ruleset_changes++;
			nf->apply(nf->apply_arg, rd_nf_hold(nf));
		}
		nf->nft_changed = false;
		return;
	}
	nf->nft_changed = false;
	nf->changes++;
	nf->ruleset_changes++;
	log_verdict(&nf->verdict, &next);
	nf->verdict = next;
	if (nf->apply)
		nf->apply(nf->apply_arg, rd_nf_hold(nf));
}

static void on_events(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rd_netfilter *nf = w->data;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t n;

	/* Drain, then read the ruleset once for the whole batch. */
	while ((n = recv(mnl_socket_get_fd(nf->events), buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
		if (n < 0) {
			if (errno == ENOBUFS) {
				nf->overruns++; /* lost events: the read below covers them */
				continue;
			}
			break;
		}
		nf->n_events++;
	}
	nf->nft_stale = true;
	nf->nft_changed = true;
	rd_nf_refresh(nf);
}

static void on_poll(struct ev_loop *loop, ev_timer *w, int revents)
{
	rd_nf_refresh(w->data);
}

static void open_events(struct rd_netfilter *nf)
{
	unsigned int group = NFNLGRP_NFTABLES;

	nf->events = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (nf->events && mnl_socket_bind(nf->events, 0, MNL_SOCKET_AUTOPID) == 0 &&
	    mnl_socket_setsockopt(nf->events, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) == 0)
		return;
	snprintf(nf->events_error, sizeof(nf->events_error), "NFNLGRP_NFTABLES: %s",
		 strerror(errno));
	if (nf->events)
		mnl_socket_close(nf->events);
	nf->events = NULL;
}

void rd_nf_open(struct rd_netfilter *nf, enum rd_nf_mode mode)
{
	memset(nf, 0, sizeof(*nf));
	nf->mode = mode;
	nf->nft_stale = true;
	if (mode == RD_NF_OFF) {
		rd_warn("netfilter off: XDP forwarding bypasses every firewall and NAT rule "
			"(filter, nat, mangle) for the interfaces routerd manages");
		return;
	}
	/* Subscribed first, read second: no commit in between is missed. */
	open_events(nf);
	rd_nf_read(nf, &nf->verdict);
	log_verdict(NULL, &nf->verdict);
}

void rd_nf_start(struct rd_netfilter *nf, struct ev_loop *loop,
		 void (*apply)(void *arg, __u32 hold), void *arg)
{
	nf->loop = loop;
	nf->apply = apply;
	nf->apply_arg = arg;
	if (nf->events) {
		ev_io_init(&nf->io, on_events, mnl_socket_get_fd(nf->events), EV_READ);
		nf->io.data = nf;
		ev_io_start(loop, &nf->io);
	}
	ev_timer_init(&nf->poll, on_poll, RD_NF_POLL_S, RD_NF_POLL_S);
	nf->poll.data = nf;
	if (nf->mode != RD_NF_OFF)
		ev_timer_start(loop, &nf->poll);
}

void rd_nf_set_mode(struct rd_netfilter *nf, enum rd_nf_mode mode)
{
	if (nf->mode == mode)
		return;
	nf->mode = mode;
	nf->nft_stale = true;
	if (mode == RD_NF_OFF) {
		rd_warn("netfilter off: XDP forwarding bypasses every firewall and NAT rule");
		if (nf->loop)
			ev_timer_stop(nf->loop, &nf->poll);
	} else {
		if (!nf->events)
			open_events(nf);
		if (nf->loop && nf->events && !ev_is_active(&nf->io)) {
			ev_io_init(&nf->io, on_events, mnl_socket_get_fd(nf->events), EV_READ);
			nf->io.data = nf;
			ev_io_start(nf->loop, &nf->io);
		}
		if (nf->loop)
			ev_timer_start(nf->loop, &nf->poll);
	}
	rd_nf_refresh(nf);
	/* the mode itself is part of what the fast path is told (a silent
	 * routerd holds everything under auto), even when the verdict is not */
	if (nf->apply)
		nf->apply(nf->apply_arg, rd_nf_hold(nf));
}

void rd_nf_stop(struct rd_netfilter *nf)
{
	if (nf->loop) {
		ev_timer_stop(nf->loop, &nf->poll);
		if (nf->events)
			ev_io_stop(nf->loop, &nf->io);
	}
	if (nf->events)
		mnl_socket_close(nf->events);
	nf->events = NULL;
	nf->loop = NULL;
}

/* ------------------------------------------------------------------ */
/* status                                                              */

const char *rd_nf_offload_refused(const struct rd_netfilter *nf, int f)
{
	const struct rd_nf_verdict *v = &nf->verdict;

	if (nf->mode != RD_NF_OFFLOAD || f == RD_NF_FAM_BRIDGE || !(v->hold & (1u << f)))
		return NULL;
	if (nf->offload_error[0])
		return nf->offload_error;
	return v->no_offload & (1u << f) ? v->no_offload_why[f] : NULL;
}

/* Text: a summary line, then a line per family with its reasons below. */
void rd_nf_report(const struct rd_netfilter *nf, struct rd_print *p)
{
	const struct rd_nf_verdict *v = &nf->verdict;
	__u32 bits = rd_nf_hold(nf);

	rd_print_open_object(p, "netfilter");
	rd_print_string(p, PRINT_ANY, "mode", "netfilter %s", rd_nf_mode_name(nf->mode));
	rd_print_bool(p, PRINT_ANY, "following_events", ", following events", nf->events != NULL);
	rd_print_uint(p, PRINT_ANY, "reads", "; %llu reads", nf->reads);
	rd_print_uint(p, PRINT_ANY, "nftables_reads", " (%llu of nftables)", nf->nft_reads);
	rd_print_uint(p, PRINT_ANY, "changes", ", %llu changes", nf->changes);
	rd_print_uint(p, PRINT_ANY, "events", ", %llu events", nf->n_events);
	rd_print_uint(p, PRINT_ANY, "ruleset_changes", ", %llu ruleset changes",
		      nf->ruleset_changes);
	rd_print_nl(p);
	for (int f = 0; f < RD_NF_FAMILIES; f++) {
		unsigned int n = v->n_why[f] < RD_NF_MAX_WHY ? v->n_why[f] : RD_NF_MAX_WHY;
		bool offload = rd_nf_offloaded(bits, f);
		const char *refused = rd_nf_offload_refused(nf, f);

		rd_print_open_object(p, rd_nf_family_name(f));
		rd_print_text(p, "  %s", rd_nf_family_name(f));
		rd_print_string(p, PRINT_ANY, "path", " %s",
				v->hold & (1u << f) ? "kernel" : "xdp");
		rd_print_bool(p, PRINT_ANY, "offload", "+offload", offload);
		if (refused)
			rd_print_string(p, PRINT_ANY, "offload_refused", "\n    no offload: %s",
					refused);
		rd_print_open_array(p, "reasons");
		for (unsigned int i = 0; i < n; i++)
			rd_print_string(p, PRINT_ANY, NULL, "\n    %s", v->why[f][i]);
		rd_print_close_array(p);
		if (v->n_why[f] > n)
			rd_print_text(p, "\n    ... %u more", v->n_why[f] - n);
		rd_print_uint(p, PRINT_JSON, "reasons_total", NULL, v->n_why[f]);
		rd_print_close_object(p);
		rd_print_nl(p);
	}
	rd_print_close_object(p);
}
