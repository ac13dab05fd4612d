// SPDX-License-Identifier: GPL-2.0
/*
 * `routerctl conntrack`: what conntrack offload does now. Owns the report
 * only, written once for text and JSON: the mode and offload state of each
 * family, the ruleset generation and timeouts the fast path uses, the
 * daemon's figures, the fast path's ct_* counters summed over the
 * interfaces, and the admitted flows (rd_ct_admit) with what conntrack
 * says of each (asked one by one over ctnetlink; at most RD_CT_REPORT_MAX).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <routerd/counters.h>

#include "daemon/daemon.h"
#include "netfilter/admit.h"
#include "netfilter/ctnetlink.h"
#include "netfilter/report.h"

#define RD_CT_REPORT_MAX 256

static const char *const tcp_states[] = {
	"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT", "CLOSE_WAIT",
	"LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
};

static const char *const pass_keys[] = {
#define KEY(name, key) key,
	RD_PASS_REASONS(KEY)
};
static const char *const event_keys[] = { RD_EVENTS(KEY) };
#undef KEY

static void family_line(const struct rd_netfilter *nf, int f, __u32 bits, struct rd_json *j,
			struct rd_buf *b)
{
	bool held = nf->verdict.hold & (1u << f);
	bool offload = bits & (f == RD_NF_FAM_IPV4 ? RD_NF_OFFLOAD_IPV4 : RD_NF_OFFLOAD_IPV6);
	const char *path = !held ? "xdp" : offload ? "kernel+offload" : "kernel";
	const char *refused = NULL;

	if (nf->mode == RD_NF_OFFLOAD && held && !offload)
		refused = nf->offload_error[0] ? nf->offload_error : nf->verdict.no_offload_why[f];
	if (!j) {
		rd_buf_printf(b, "  %-5s %s%s%s\n", rd_nf_family_name(f), path,
			      refused ? ": no offload: " : "", refused ? refused : "");
		return;
	}
	rd_json_open_object(j, rd_nf_family_name(f));
	rd_json_bool(j, "held", held);
	rd_json_bool(j, "offload", offload);
	if (refused)
		rd_json_string(j, "offload_refused", refused);
	rd_json_close_object(j);
}

/* The ct_* counters, summed over the managed interfaces. */
static int counters(struct rd_daemon *d, struct rd_json *j, struct rd_buf *b, char *err,
		    size_t errlen)
{
	__u64 pass[RD_PASS__MAX] = { 0 }, offloaded = 0;
	struct rd_stats st;

	for (size_t i = 0; i < d->ifaces.n; i++) {
		if (rd_dp_stats_read(&d->dp, d->ifaces.list[i].slot, &st)) {
			snprintf(err, errlen, "cannot read counters of %s", d->ifaces.list[i].cfg.name);
			return -1;
		}
		offloaded += st.events[RD_EV_CT_OFFLOADED];
		for (int r = 0; r < RD_PASS__MAX; r++)
			pass[r] += st.pass[r];
	}
	if (j) {
		rd_json_open_object(j, "counters");
		rd_json_u64(j, event_keys[RD_EV_CT_OFFLOADED], offloaded);
	} else {
		rd_buf_printf(b, "counters: %s %llu", event_keys[RD_EV_CT_OFFLOADED],
			      (unsigned long long)offloaded);
	}
	for (int r = 0; r < RD_PASS__MAX; r++) {
		if (strncmp(pass_keys[r], "ct_", 3))
			continue;
		if (j)
			rd_json_u64(j, pass_keys[r], pass[r]);
		else
			rd_buf_printf(b, ", %s %llu", pass_keys[r], (unsigned long long)pass[r]);
	}
	if (j)
		rd_json_close_object(j);
	else
		rd_buf_printf(b, "\n");
	return 0;
}

static void flow(struct rd_offload *off, const void *key, const void *val, struct rd_json *j,
		 struct rd_buf *b)
{
	struct rd_ct_tuple t;
	struct rd_ct_info info;
	char msg[512], s[160], r[160];
	__u32 gen = rd_admit_generation(val), dirs = rd_admit_dirs(val);
	bool current = gen == off->generation;
	size_t len;
	int rc = -ENOENT;

	if (rd_admit_decode(key, val, &t))
		return;
	len = rd_ct_build_get(msg, sizeof(msg), &t, ++off->round);
	if (len && off->ct)
		rc = rd_ct_request(off->ct, msg, len, &info);
	rd_ct_tuple_str(&t, s, sizeof(s));
	if (!rc)
		rd_ct_tuple_str(&info.reply, r, sizeof(r));
	if (!j) {
		rd_buf_printf(b, "  %s", s);
		if (!rc)
			rd_buf_printf(b, " reply %s", strchr(r, ' ') + 1);
		rd_buf_printf(b, " gen %u%s dirs %s%s", gen, current ? "" : " (old)",
			      dirs & RD_CT_DIR_ORIGINAL ? "o" : "", dirs & RD_CT_DIR_REPLY ? "r" : "");
		if (rc)
			rd_buf_printf(b, " conntrack: %s\n", rc == -ENOENT ? "gone" : strerror(-rc));
		else if (info.have_tcp)
			rd_buf_printf(b, " %s%s timeout %u\n",
				      info.tcp_state < sizeof(tcp_states) / sizeof(tcp_states[0])
					      ? tcp_states[info.tcp_state]
					      : "?",
				      (info.tcp_flags[0] & info.tcp_flags[1] & IP_CT_TCP_FLAG_BE_LIBERAL)
					      ? " liberal"
					      : "",
				      info.timeout_s);
		else
			rd_buf_printf(b, "%s timeout %u\n",
				      info.status & IPS_SEEN_REPLY ? " seen-reply" : "", info.timeout_s);
		return;
	}
	rd_json_open_object(j, NULL);
	rd_json_string(j, "flow", s);
	rd_json_string(j, "family", t.family == AF_INET ? "ipv4" : "ipv6");
	rd_json_string(j, "proto", t.proto == IPPROTO_TCP ? "tcp" : "udp");
	rd_json_u64(j, "generation", gen);
	rd_json_bool(j, "current", current);
	rd_json_bool(j, "original_admitted", dirs & RD_CT_DIR_ORIGINAL);
	rd_json_bool(j, "reply_admitted", dirs & RD_CT_DIR_REPLY);
	rd_json_bool(j, "in_conntrack", !rc);
	if (!rc) {
		rd_json_string(j, "reply", r);
		rd_json_u64(j, "timeout_s", info.timeout_s);
		rd_json_bool(j, "seen_reply", info.status & IPS_SEEN_REPLY);
		rd_json_bool(j, "src_nat", info.status & IPS_SRC_NAT);
		rd_json_bool(j, "dst_nat", info.status & IPS_DST_NAT);
		if (info.have_tcp) {
			rd_json_string(j, "tcp_state",
				       info.tcp_state < sizeof(tcp_states) / sizeof(tcp_states[0])
					       ? tcp_states[info.tcp_state]
					       : "?");
			rd_json_bool(j, "liberal",
				     info.tcp_flags[0] & info.tcp_flags[1] & IP_CT_TCP_FLAG_BE_LIBERAL);
		}
	}
	rd_json_close_object(j);
}

static void flows(struct rd_offload *off, struct rd_json *j, struct rd_buf *b)
{
	unsigned char key[RD_ADMIT_KEY_SIZE], next[RD_ADMIT_KEY_SIZE], val[RD_ADMIT_VALUE_SIZE];
	void *prev = NULL;
	unsigned long n = 0, total = 0;

	if (j)
		rd_json_open_array(j, "flows");
	else
		rd_buf_printf(b, "admitted flows:\n");
	while (off->admit_fd >= 0 && bpf_map_get_next_key(off->admit_fd, prev, next) == 0) {
		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map_lookup_elem(off->admit_fd, key, val))
			continue;
		total++;
		if (n++ < RD_CT_REPORT_MAX)
			flow(off, key, val, j, b);
	}
	if (j) {
		rd_json_close_array(j);
		rd_json_u64(j, "flows_total", total);
	} else if (total > RD_CT_REPORT_MAX) {
		rd_buf_printf(b, "  ... %lu more\n", total - RD_CT_REPORT_MAX);
	}
}

int rd_conntrack_report(struct rd_daemon *d, bool json, struct rd_buf *b, char *err,
			size_t errlen)
{
	struct rd_offload *off = &d->off;
	__u32 bits = rd_nf_hold(&d->nf);
	struct rd_json jj, *j = json ? &jj : NULL;

	if (j) {
		rd_json_init(j, b);
		rd_json_open_object(j, NULL);
		rd_json_string(j, "mode", rd_nf_mode_name(d->nf.mode));
		rd_json_bool(j, "admission_attached", off->active);
		if (d->nf.offload_error[0])
			rd_json_string(j, "offload_error", d->nf.offload_error);
		rd_json_u64(j, "generation", off->active ? off->generation : 0);
		rd_json_u64(j, "tcp_timeout_s", off->tcp_timeout_s);
		rd_json_u64(j, "udp_timeout_s", off->udp_timeout_s);
		rd_json_open_object(j, "families");
	} else {
		rd_buf_printf(b, "netfilter %s, admission %s, generation %u, timeouts tcp %u s udp %u s\n",
			      rd_nf_mode_name(d->nf.mode),
			      off->active ? "attached" : d->nf.offload_error[0] ? d->nf.offload_error
										 : "off",
			      off->active ? off->generation : 0, off->tcp_timeout_s, off->udp_timeout_s);
	}
	family_line(&d->nf, RD_NF_FAM_IPV4, bits, j, b);
	family_line(&d->nf, RD_NF_FAM_IPV6, bits, j, b);
	if (j) {
		rd_json_close_object(j);
		rd_json_open_object(j, "daemon");
		rd_json_u64(j, "generation_bumps", off->bumps);
		rd_json_u64(j, "scans", off->scans);
		rd_json_u64(j, "admitted", off->admitted);
		rd_json_u64(j, "liberal_set", off->liberal_set);
		rd_json_u64(j, "liberal_gone", off->liberal_gone);
		rd_json_u64(j, "liberal_errors", off->liberal_errors);
		rd_json_u64(j, "events", off->n_events);
		rd_json_close_object(j);
	} else {
		rd_buf_printf(b, "daemon: generation bumps %lu, events %lu, scans %lu, admitted %lu, "
				 "liberal set %lu (gone %lu, errors %lu)\n",
			      off->bumps, off->n_events, off->scans, off->admitted, off->liberal_set,
			      off->liberal_gone, off->liberal_errors);
	}
	if (counters(d, j, b, err, errlen))
		return -1;
	if (off->active)
		flows(off, j, b);
	if (j) {
		rd_json_close_object(j);
		rd_buf_printf(b, "\n");
	}
	return 0;
}
