// SPDX-License-Identifier: GPL-2.0
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/commands.h"
#include "daemon/daemon.h"
#include "daemon/metrics.h"
#include "netfilter/report.h"

static const char *const event_keys[] = {
#define KEY(name, key) key,
	RD_EVENTS(KEY)
};
static const char *const pass_keys[] = { RD_PASS_REASONS(KEY) };
static const char *const drop_keys[] = { RD_DROP_REASONS(KEY) };
static const char *const bytes_keys[] = { RD_BYTE_COUNTERS(KEY) };
#undef KEY

struct totals {
	__u64 rx, passed, dropped;
	__u64 rx_bytes;
};

static struct totals sum_stats(const struct rd_stats *st)
{
	struct totals t = { 0 };

	for (int i = 0; i < RD_PASS__MAX; i++)
		t.passed += st->pass[i];
	for (int i = 0; i < RD_DROP__MAX; i++)
		t.dropped += st->drop[i];
	/* every packet gets exactly one verdict; fix-ups are events on top */
	t.rx = st->events[RD_EV_FORWARDED_IPV4] + st->events[RD_EV_FORWARDED_IPV6] +
	       st->events[RD_EV_BRIDGED] + t.passed + t.dropped;
	for (int i = 0; i < RD_BYTES__MAX; i++)
		t.rx_bytes += st->bytes[i];
	return t;
}

static const char *link_state(const char *ifname)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc;

	if (fd < 0)
		return "unknown";
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	close(fd);
	if (rc)
		return "missing";
	if (!(ifr.ifr_flags & IFF_UP))
		return "down";
	return ifr.ifr_flags & IFF_RUNNING ? "up" : "no-carrier";
}

static double uptime(const struct rd_daemon *d)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - d->started.tv_sec) + (now.tv_nsec - d->started.tv_nsec) / 1e9;
}

static int cmd_status(struct rd_daemon *d, const struct rd_ctl_request *req, struct rd_buf *b)
{
	if (req->json) {
		struct rd_json j;

		rd_json_init(&j, b);
		rd_json_open_object(&j, NULL);
		rd_json_string(&j, "version", RD_VERSION);
		rd_json_i64(&j, "pid", getpid());
		rd_json_u64(&j, "uptime_s", (__u64)uptime(d));
		rd_json_string(&j, "socket", d->cfg.socket_path);
		rd_json_string(&j, "pin_dir", d->cfg.pin_dir);
		rd_json_bool(&j, "maps_reused", d->dp.maps_reused);
		rd_json_open_array(&j, "interfaces");
		for (size_t i = 0; i < d->ifaces.n; i++) {
			const struct rd_managed_iface *m = &d->ifaces.list[i];

			rd_json_open_object(&j, NULL);
			rd_json_string(&j, "name", m->cfg.name);
			rd_json_u64(&j, "ifindex", m->ifindex);
			rd_json_string(&j, "mode", rd_mode_name(m->att.mode));
			rd_json_u64(&j, "program_id", m->att.prog_id);
			rd_json_bool(&j, "adopted", m->att.adopted);
			rd_tc_json(&d->tc, &j, m->ifindex, m->cfg.tc_bypass);
			rd_json_close_object(&j);
		}
		rd_json_close_array(&j);
		rd_json_u64(&j, "requests", d->ctl.requests);
		rd_json_u64(&j, "bad_requests", d->ctl.bad_requests);
		rd_json_u64(&j, "clients_evicted", d->ctl.evicted);
		rd_json_u64(&j, "reloads", d->reloads);
		rd_json_open_object(&j, "netlink");
		rd_json_u64(&j, "link_events", d->nl.events);
		rd_json_u64(&j, "local_ipv4_addresses", d->dp.n_local4);
		rd_json_u64(&j, "overruns", d->nl.overruns);
		rd_json_u64(&j, "resyncs", d->nl.resyncs);
		rd_json_u64(&j, "rejected", d->nl.rejected);
		rd_json_i64(&j, "last_resync_s_ago",
			    d->nl.last_resync ? (int64_t)(ev_now(d->nl.loop) - d->nl.last_resync) : -1);
		rd_json_close_object(&j);
		rd_tc_status_json(&d->tc, &j);
		rd_json_open_object(&j, "route_cache");
		rd_json_bool(&j, "enabled", d->cache.enabled);
		rd_json_u64(&j, "generation", d->cache.generation);
		rd_json_u64(&j, "invalidations", d->cache.bumps);
		rd_json_u64(&j, "overruns", d->cache.overruns);
		rd_json_bool(&j, "mapped", d->cache.shared != NULL);
		rd_json_close_object(&j);
		rd_json_open_object(&j, "freshness");
		rd_json_u64(&j, "rounds", d->fresh.rounds);
		rd_json_u64(&j, "nexthops_in_use", d->fresh.n_recent);
		rd_json_u64(&j, "refreshes", d->fresh.refreshes);
		rd_json_u64(&j, "absent", d->fresh.absent);
		rd_json_u64(&j, "static", d->fresh.static_skipped);
		rd_json_u64(&j, "errors", d->fresh.errors);
		rd_json_close_object(&j);
		rd_nf_report(&d->nf, &j, b);
		rd_json_close_object(&j);
		rd_buf_printf(b, "\n");
		return 0;
	}
	rd_buf_printf(b, "routerd %s, pid %d, up %.0f s\n", RD_VERSION, getpid(), uptime(d));
	rd_buf_printf(b, "socket %s, pin dir %s%s\n", d->cfg.socket_path, d->cfg.pin_dir,
		      d->dp.maps_reused ? " (maps adopted)" : "");
	rd_buf_printf(b, "netlink: %lu link events, %lu resyncs, %lu rejected; freshness: %zu "
			 "nexthops in use, %lu refreshes\n",
		      d->nl.events, d->nl.resyncs, d->nl.rejected, d->fresh.n_recent,
		      d->fresh.refreshes);
	rd_nf_report(&d->nf, NULL, b);
	for (size_t i = 0; i < d->ifaces.n; i++) {
		const struct rd_managed_iface *m = &d->ifaces.list[i];

		rd_buf_printf(b, "%-16s %-8s prog %u%s", m->cfg.name, rd_mode_name(m->att.mode),
			      m->att.prog_id, m->att.adopted ? " (adopted)" : "");
		rd_tc_text(&d->tc, b, m->ifindex, m->cfg.tc_bypass);
		rd_buf_printf(b, "\n");
	}
	rd_tc_status_text(&d->tc, b);
	return 0;
}

static int cmd_interfaces(struct rd_daemon *d, const struct rd_ctl_request *req,
			  struct rd_buf *b)
{
	struct rd_json j;
	char fixups[64];

	if (req->json) {
		rd_json_init(&j, b);
		rd_json_open_array(&j, NULL);
	}
	for (size_t i = 0; i < d->ifaces.n; i++) {
		const struct rd_managed_iface *m = &d->ifaces.list[i];

		rd_fixups_format(&m->cfg.fixups, fixups, sizeof(fixups));
		if (!req->json) {
			char from[IFNAMSIZ + 16];

			snprintf(from, sizeof(from), "%s%s%s", rd_match_name(m->cfg.match),
				 m->rule[0] ? " " : "", m->rule);
			rd_buf_printf(b, "%-16s %-10s %-8s ifindex %-5u fixups %s  from %s%s%s%s",
				      m->cfg.name, link_state(m->cfg.name),
				      m->att.link_fd >= 0 ? rd_mode_name(m->att.mode) : "detached",
				      m->ifindex, fixups, from,
				      m->no_tx ? "  no XDP redirects into it" : "",
				      m->last_error[0] ? "  error: " : "", m->last_error);
			rd_tc_text(&d->tc, b, m->ifindex, m->cfg.tc_bypass);
			rd_buf_printf(b, "\n");
			continue;
		}
		rd_json_open_object(&j, NULL);
		rd_json_string(&j, "name", m->cfg.name);
		rd_json_u64(&j, "ifindex", m->ifindex);
		rd_json_string(&j, "state", link_state(m->cfg.name));
		rd_json_string(&j, "mode", rd_mode_name(m->att.mode));
		rd_json_string(&j, "configured_mode", rd_mode_name(m->cfg.mode));
		rd_json_string(&j, "fixups", fixups);
		rd_json_u64(&j, "program_id", m->att.prog_id);
		rd_json_bool(&j, "attached", m->att.link_fd >= 0);
		rd_tc_json(&d->tc, &j, m->ifindex, m->cfg.tc_bypass);
		rd_json_string(&j, "source", rd_match_name(m->cfg.match));
		if (m->rule[0])
			rd_json_string(&j, "source_name", m->rule);
		rd_json_bool(&j, "xdp_redirect_target", !m->no_tx);
		if (m->last_error[0])
			rd_json_string(&j, "error", m->last_error);
		rd_json_close_object(&j);
	}
	if (req->json) {
		rd_json_close_array(&j);
		rd_buf_printf(b, "\n");
	}
	return 0;
}

static void stats_json(struct rd_json *j, const struct rd_managed_iface *m,
		       const struct rd_stats *st)
{
	struct totals t = sum_stats(st);

	rd_json_open_object(j, NULL);
	rd_json_string(j, "name", m->cfg.name);
	rd_json_u64(j, "ifindex", m->ifindex);
	rd_json_string(j, "mode", rd_mode_name(m->att.mode));
	rd_json_open_object(j, "counters");
	rd_json_u64(j, "rx_packets", t.rx);
	rd_json_u64(j, "passed", t.passed);
	rd_json_u64(j, "dropped", t.dropped);
	for (int i = 0; i < RD_EV__MAX; i++)
		rd_json_u64(j, event_keys[i], st->events[i]);
	rd_json_u64(j, "rx_bytes", t.rx_bytes);
	for (int i = 0; i < RD_BYTES__MAX; i++)
		rd_json_u64(j, bytes_keys[i], st->bytes[i]);
	rd_json_close_object(j);
	rd_json_open_object(j, "pass_reasons");
	for (int i = 0; i < RD_PASS__MAX; i++)
		rd_json_u64(j, pass_keys[i], st->pass[i]);
	rd_json_close_object(j);
	rd_json_open_object(j, "drop_reasons");
	for (int i = 0; i < RD_DROP__MAX; i++)
		rd_json_u64(j, drop_keys[i], st->drop[i]);
	rd_json_close_object(j);
	rd_json_close_object(j);
}

static void stats_text(struct rd_buf *b, const struct rd_managed_iface *m,
		       const struct rd_stats *st, bool reasons)
{
	struct totals t = sum_stats(st);

	rd_buf_printf(b, "%-16s %-8s %12llu %12llu %12llu %10llu %12llu %10llu\n", m->cfg.name,
		      rd_mode_name(m->att.mode), t.rx,
		      st->events[RD_EV_FORWARDED_IPV4], st->events[RD_EV_FORWARDED_IPV6],
		      st->events[RD_EV_BRIDGED], t.passed, t.dropped);
	if (!reasons)
		return;
	rd_buf_printf(b, "    %-20s %llu", "rx_bytes", t.rx_bytes);
	for (int i = 0; i < RD_BYTES__MAX; i++)
		rd_buf_printf(b, " %s %llu", bytes_keys[i], st->bytes[i]);
	rd_buf_printf(b, "\n");
	for (int i = 0; i < RD_EV__MAX; i++)
		if (i > RD_EV_BRIDGED && st->events[i])
			rd_buf_printf(b, "    %-20s %llu\n", event_keys[i], st->events[i]);
	for (int i = 0; i < RD_PASS__MAX; i++)
		if (st->pass[i])
			rd_buf_printf(b, "    pass %-15s %llu\n", pass_keys[i], st->pass[i]);
	for (int i = 0; i < RD_DROP__MAX; i++)
		if (st->drop[i])
			rd_buf_printf(b, "    drop %-15s %llu\n", drop_keys[i], st->drop[i]);
}

static int cmd_stats(struct rd_daemon *d, const struct rd_ctl_request *req, struct rd_buf *b,
		     char *err, size_t errlen)
{
	bool reasons = false;
	struct rd_stats st;
	struct rd_json j;

	for (int i = 1; i < req->argc; i++) {
		if (strcmp(req->argv[i], "-s")) {
			snprintf(err, errlen, "stats: unknown argument '%.32s' (expected -s)",
				 req->argv[i]);
			return -1;
		}
		reasons = true;
	}
	if (req->json) {
		rd_json_init(&j, b);
		rd_json_open_object(&j, NULL);
		rd_json_open_array(&j, "interfaces");
	} else {
		rd_buf_printf(b, "%-16s %-8s %12s %12s %12s %10s %12s %10s\n", "IFACE", "MODE", "RX",
			      "FWD_V4", "FWD_V6", "BRIDGED", "PASSED", "DROPPED");
	}
	for (size_t i = 0; i < d->ifaces.n; i++) {
		const struct rd_managed_iface *m = &d->ifaces.list[i];

		if (rd_dp_stats_read(&d->dp, m->slot, &st)) {
			snprintf(err, errlen, "cannot read counters of %s", m->cfg.name);
			return -1;
		}
		if (req->json)
			stats_json(&j, m, &st);
		else
			stats_text(b, m, &st, reasons);
	}
	if (req->json) {
		rd_json_close_array(&j);
		rd_json_close_object(&j);
		rd_buf_printf(b, "\n");
	}
	return 0;
}

static int cmd_fixups(struct rd_daemon *d, const struct rd_ctl_request *req, struct rd_buf *b,
		      char *err, size_t errlen)
{
	static const enum rd_event events[] = { RD_EV_FIXUP_IPV4_IN_IPV6, RD_EV_FIXUP_IPV6_IN_IPV4,
						RD_EV_FIXUP_MSS_CLAMP };
	struct rd_stats st;
	struct rd_json j;
	char list[64];

	if (req->json) {
		rd_json_init(&j, b);
		rd_json_open_array(&j, NULL);
	}
	for (size_t i = 0; i < d->ifaces.n; i++) {
		const struct rd_managed_iface *m = &d->ifaces.list[i];

		if (rd_dp_stats_read(&d->dp, m->slot, &st)) {
			snprintf(err, errlen, "cannot read counters of %s", m->cfg.name);
			return -1;
		}
		rd_fixups_format(&m->cfg.fixups, list, sizeof(list));
		if (!req->json) {
			rd_buf_printf(b, "%-16s %-40s", m->cfg.name, list);
			for (size_t e = 0; e < sizeof(events) / sizeof(events[0]); e++)
				rd_buf_printf(b, " %s %llu", event_keys[events[e]] + 6,
					      st.events[events[e]]);
			rd_buf_printf(b, " rejected %llu\n", st.pass[RD_PASS_FIXUP_REJECTED]);
			continue;
		}
		rd_json_open_object(&j, NULL);
		rd_json_string(&j, "name", m->cfg.name);
		rd_json_string(&j, "fixups", list);
		rd_json_open_object(&j, "counters");
		for (size_t e = 0; e < sizeof(events) / sizeof(events[0]); e++)
			rd_json_u64(&j, event_keys[events[e]], st.events[events[e]]);
		rd_json_u64(&j, "fixup_rejected", st.pass[RD_PASS_FIXUP_REJECTED]);
		rd_json_close_object(&j);
		rd_json_close_object(&j);
	}
	if (req->json) {
		rd_json_close_array(&j);
		rd_buf_printf(b, "\n");
	}
	return 0;
}

int rd_commands_dispatch(void *ctx, const struct rd_ctl_request *req, struct rd_buf *body,
			 char *err, size_t errlen)
{
	struct rd_daemon *d = ctx;
	const char *verb = req->argv[0];

	if (!strcmp(verb, "stats"))
		return cmd_stats(d, req, body, err, errlen);
	if (!strcmp(verb, "fdb") && req->argc <= 2)
		return rd_fdb_report(&d->fdb, req->json, req->argc > 1 ? req->argv[1] : NULL, body,
				     err, errlen);
	if (req->argc > 1) {
		snprintf(err, errlen, "%s takes no arguments", verb);
		return -1;
	}
	if (!strcmp(verb, "status"))
		return cmd_status(d, req, body);
	if (!strcmp(verb, "interfaces"))
		return cmd_interfaces(d, req, body);
	if (!strcmp(verb, "fixups"))
		return cmd_fixups(d, req, body, err, errlen);
	if (!strcmp(verb, "metrics"))
		return rd_metrics_report(d, uptime(d), body, err, errlen);
	if (!strcmp(verb, "conntrack"))
		return rd_conntrack_report(d, req->json, body, err, errlen);
	if (!strcmp(verb, "neigh")) {
		if (rd_freshness_report(&d->fresh, req->json, body)) {
			snprintf(err, errlen, "cannot read the nexthop table");
			return -1;
		}
		return 0;
	}
	if (!strcmp(verb, "reload")) {
		if (!req->privileged) {
			snprintf(err, errlen, "reload: permission denied (root only)");
			return -1;
		}
		if (rd_daemon_reload(d, err, errlen))
			return -1;
		rd_buf_printf(body, req->json ? "{\"reloaded\":true}\n" : "reloaded\n");
		return 0;
	}
	snprintf(err, errlen,
		 "unknown command '%.32s' (try: status, interfaces, stats, neigh, fdb, fixups, metrics, "
		 "conntrack, reload)", verb);
	return -1;
}
