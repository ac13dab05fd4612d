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

#include "common/print.h"
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

static const char *tcp_state_name(unsigned int state)
{
	return state < sizeof(tcp_states) / sizeof(tcp_states[0]) ? tcp_states[state] : "?";
}

static void family_line(const struct rd_netfilter *nf, int f, __u32 bits, struct rd_print *p)
{
	bool held = nf->verdict.hold & (1u << f);
	bool offload = rd_nf_offloaded(bits, f);
	const char *refused = rd_nf_offload_refused(nf, f);
	rd_print_open_object(p, rd_nf_family_name(f));
	rd_print_text(p, "  %-5s %s", rd_nf_family_name(f),
		      !held ? "xdp" : offload ? "kernel+offload" : "kernel");
	rd_print_bool(p, PRINT_JSON, "held", NULL, held);
	rd_print_bool(p, PRINT_JSON, "offload", NULL, offload);
	if (refused)
		rd_print_string(p, PRINT_ANY, "offload_refused", ": no offload: %s", refused);
	rd_print_close_object(p);
	rd_print_nl(p);
}

/* The ct_* counters, summed over the managed interfaces. */
static int counters(struct rd_daemon *d, struct rd_print *p, char *err, size_t errlen)
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
	rd_print_open_object(p, "counters");
	rd_print_text(p, "counters: %s", event_keys[RD_EV_CT_OFFLOADED]);
	rd_print_uint(p, PRINT_ANY, event_keys[RD_EV_CT_OFFLOADED], " %llu", offloaded);
	for (int r = 0; r < RD_PASS__MAX; r++) {
		if (strncmp(pass_keys[r], "ct_", 3))
			continue;
		rd_print_text(p, ", %s", pass_keys[r]);
		rd_print_uint(p, PRINT_ANY, pass_keys[r], " %llu", pass[r]);
	}
	rd_print_close_object(p);
	rd_print_nl(p);
	return 0;
}

static void flow(struct rd_offload *off, const void *key, const void *val, struct rd_print *p)
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

	rd_print_open_object(p, NULL);
	rd_print_string(p, PRINT_ANY, "flow", "  %s", s);
	rd_print_string(p, PRINT_JSON, "family", NULL, t.family == AF_INET ? "ipv4" : "ipv6");
	rd_print_string(p, PRINT_JSON, "proto", NULL, t.proto == IPPROTO_TCP ? "tcp" : "udp");
	if (!rc) {
		rd_print_string(p, PRINT_JSON, "reply", NULL, r);
		rd_print_string(p, PRINT_TEXT, NULL, " reply %s", strchr(r, ' ') + 1);
	}
	rd_print_uint(p, PRINT_ANY, "generation", " gen %llu", gen);
	rd_print_bool(p, PRINT_ANY, "current", NULL, current);
	rd_print_text(p, "%s dirs %s%s", current ? "" : " (old)",
		      dirs & RD_CT_DIR_ORIGINAL ? "o" : "", dirs & RD_CT_DIR_REPLY ? "r" : "");
	rd_print_bool(p, PRINT_JSON, "original_admitted", NULL, dirs & RD_CT_DIR_ORIGINAL);
	rd_print_bool(p, PRINT_JSON, "reply_admitted", NULL, dirs & RD_CT_DIR_REPLY);
	rd_print_bool(p, PRINT_JSON, "in_conntrack", NULL, !rc);
	if (rc) {
		rd_print_text(p, " conntrack: %s", rc == -ENOENT ? "gone" : strerror(-rc));
	} else {
		if (info.have_tcp) {
			rd_print_string(p, PRINT_ANY, "tcp_state", " %s", tcp_state_name(info.tcp_state));
			rd_print_bool(p, PRINT_ANY, "liberal", " liberal",
				      info.tcp_flags[0] & info.tcp_flags[1] & IP_CT_TCP_FLAG_BE_LIBERAL);
		} else {
			rd_print_bool(p, PRINT_TEXT, NULL, " seen-reply", info.status & IPS_SEEN_REPLY);
		}
		rd_print_uint(p, PRINT_ANY, "timeout_s", " timeout %llu", info.timeout_s);
		rd_print_bool(p, PRINT_JSON, "seen_reply", NULL, info.status & IPS_SEEN_REPLY);
		rd_print_bool(p, PRINT_JSON, "src_nat", NULL, info.status & IPS_SRC_NAT);
		rd_print_bool(p, PRINT_JSON, "dst_nat", NULL, info.status & IPS_DST_NAT);
	}
	rd_print_close_object(p);
	rd_print_nl(p);
}

static void flows(struct rd_offload *off, struct rd_print *p)
{
	unsigned char key[RD_ADMIT_KEY_SIZE], next[RD_ADMIT_KEY_SIZE], val[RD_ADMIT_VALUE_SIZE];
	void *prev = NULL;
	unsigned long n = 0, total = 0;

	rd_print_text(p, "admitted flows:");
	rd_print_nl(p);
	rd_print_open_array(p, "flows");
	while (off->admit_fd >= 0 && bpf_map_get_next_key(off->admit_fd, prev, next) == 0) {
		memcpy(key, next, sizeof(key));
		prev = key;
		if (bpf_map_lookup_elem(off->admit_fd, key, val))
			continue;
		total++;
		if (n++ < RD_CT_REPORT_MAX)
			flow(off, key, val, p);
	}
	rd_print_close_array(p);
	rd_print_uint(p, PRINT_JSON, "flows_total", NULL, total);
	if (total > RD_CT_REPORT_MAX) {
		rd_print_text(p, "  ... %lu more", total - RD_CT_REPORT_MAX);
		rd_print_nl(p);
	}
}

int rd_conntrack_report(struct rd_daemon *d, struct rd_print *p, char *err, size_t errlen)
{
	struct rd_offload *off = &d->off;
	__u32 bits = rd_nf_hold(&d->nf);

	rd_print_open_object(p, NULL);
	rd_print_string(p, PRINT_ANY, "mode", "netfilter %s", rd_nf_mode_name(d->nf.mode));
	rd_print_bool(p, PRINT_JSON, "admission_attached", NULL, off->active);
	if (d->nf.offload_error[0])
		rd_print_string(p, PRINT_JSON, "offload_error", NULL, d->nf.offload_error);
	rd_print_string(p, PRINT_TEXT, NULL, ", admission %s",
			off->active ? "attached" : d->nf.offload_error[0] ? d->nf.offload_error : "off");
	rd_print_uint(p, PRINT_ANY, "generation", ", generation %llu",
		      off->active ? off->generation : 0);
	rd_print_uint(p, PRINT_ANY, "tcp_timeout_s", ", timeouts tcp %llu s", off->tcp_timeout_s);
	rd_print_uint(p, PRINT_ANY, "udp_timeout_s", " udp %llu s", off->udp_timeout_s);
	rd_print_nl(p);

	rd_print_open_object(p, "families");
	family_line(&d->nf, RD_NF_FAM_IPV4, bits, p);
	family_line(&d->nf, RD_NF_FAM_IPV6, bits, p);
	rd_print_close_object(p);

	rd_print_open_object(p, "daemon");
	rd_print_uint(p, PRINT_ANY, "generation_bumps", "daemon: generation bumps %llu", off->bumps);
	rd_print_uint(p, PRINT_ANY, "events", ", events %llu", off->n_events);
	rd_print_uint(p, PRINT_ANY, "scans", ", scans %llu", off->scans);
	rd_print_uint(p, PRINT_ANY, "admitted", ", admitted %llu", off->admitted);
	rd_print_uint(p, PRINT_ANY, "liberal_set", ", liberal set %llu", off->liberal_set);
	rd_print_uint(p, PRINT_ANY, "liberal_gone", " (gone %llu", off->liberal_gone);
	rd_print_uint(p, PRINT_ANY, "liberal_errors", ", errors %llu)", off->liberal_errors);
	rd_print_close_object(p);
	rd_print_nl(p);

	if (counters(d, p, err, errlen))
		return -1;
	if (off->active)
		flows(off, p);
	rd_print_close_object(p);
	rd_print_end(p);
	return 0;
}
