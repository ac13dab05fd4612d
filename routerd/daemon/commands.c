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
#include "common/print.h"
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

/* Text and JSON carry the same figures; text groups them a line a part. */
static int cmd_status(void *ctx, const struct rd_ctl_request *req, struct rd_print *p, char *err,
		      size_t errlen)
{
	struct rd_daemon *d = ctx;

	rd_print_open_object(p, NULL);
	rd_print_string(p, PRINT_ANY, "version", "routerd %s", RD_VERSION);
	rd_print_int(p, PRINT_ANY, "pid", ", pid %lld", getpid());
	rd_print_uint(p, PRINT_ANY, "uptime_s", ", up %llu s", (__u64)uptime(d));
	rd_print_nl(p);
	rd_print_string(p, PRINT_ANY, "socket", "socket %s", d->cfg.socket_path);
	rd_print_string(p, PRINT_ANY, "pin_dir", ", pin dir %s", d->cfg.pin_dir);
	rd_print_bool(p, PRINT_ANY, "maps_reused", " (maps adopted)", d->dp.maps_reused);
	rd_print_nl(p);
	rd_print_open_array(p, "interfaces");
	for (size_t i = 0; i < d->ifaces.n; i++) {
		const struct rd_managed_iface *m = &d->ifaces.list[i];

		rd_print_open_object(p, NULL);
		rd_print_string(p, PRINT_ANY, "name", "%-16s", m->cfg.name);
		rd_print_string(p, PRINT_ANY, "mode", " %-8s", rd_mode_name(m->att.mode));
		rd_print_uint(p, PRINT_ANY, "program_id", " prog %llu", m->att.prog_id);
		rd_print_bool(p, PRINT_ANY, "adopted", " (adopted)", m->att.adopted);
		rd_print_uint(p, PRINT_ANY, "ifindex", "  ifindex %llu", m->ifindex);
		rd_tc_print(&d->tc, p, m->ifindex, m->cfg.tc_bypass);
		rd_print_close_object(p);
		rd_print_nl(p);
	}
	rd_print_close_array(p);
	rd_print_uint(p, PRINT_ANY, "requests", "control: %llu requests", d->ctl.requests);
	rd_print_uint(p, PRINT_ANY, "bad_requests", ", %llu bad", d->ctl.bad_requests);
	rd_print_uint(p, PRINT_ANY, "clients_evicted", ", %llu clients evicted", d->ctl.evicted);
	rd_print_uint(p, PRINT_ANY, "reloads", "; %llu reloads", d->reloads);
	rd_print_nl(p);
	rd_print_open_object(p, "netlink");
	rd_print_uint(p, PRINT_ANY, "link_events", "netlink: %llu link events", d->nl.events);
	rd_print_uint(p, PRINT_ANY, "local_ipv4_addresses", ", %llu local IPv4 addresses",
		      d->dp.n_local4);
	rd_print_uint(p, PRINT_ANY, "overruns", ", %llu overruns", d->nl.overruns);
	rd_print_uint(p, PRINT_ANY, "resyncs", ", %llu resyncs", d->nl.resyncs);
	rd_print_uint(p, PRINT_ANY, "rejected", ", %llu rejected", d->nl.rejected);
	if (d->nl.last_resync) {
		rd_print_int(p, PRINT_ANY, "last_resync_s_ago", ", last resync %lld s ago",
			     (long long)(ev_now(d->nl.loop) - d->nl.last_resync));
	} else {
		rd_print_int(p, PRINT_JSON, "last_resync_s_ago", NULL, -1);
		rd_print_text(p, ", no resync yet");
	}
	rd_print_close_object(p);
	rd_print_nl(p);
	rd_tc_status_print(&d->tc, p);
	rd_print_open_object(p, "route_cache");
	rd_print_bool(p, PRINT_JSON, "enabled", NULL, d->cache.enabled);
	rd_print_text(p, "route cache %s", d->cache.enabled ? "on" : "off");
	rd_print_uint(p, PRINT_ANY, "generation", ", generation %llu", d->cache.generation);
	rd_print_uint(p, PRINT_ANY, "invalidations", ", %llu invalidations", d->cache.bumps);
	rd_print_uint(p, PRINT_ANY, "overruns", ", %llu overruns", d->cache.overruns);
	rd_print_bool(p, PRINT_ANY, "mapped", ", mapped", d->cache.shared != NULL);
	rd_print_close_object(p);
	rd_print_nl(p);
	rd_print_open_object(p, "freshness");
	rd_print_uint(p, PRINT_ANY, "rounds", "freshness: %llu rounds", d->fresh.rounds);
	rd_print_uint(p, PRINT_ANY, "nexthops_in_use", ", %llu nexthops in use", d->fresh.n_recent);
	rd_print_uint(p, PRINT_ANY, "refreshes", ", %llu refreshes", d->fresh.refreshes);
	rd_print_uint(p, PRINT_ANY, "absent", ", %llu absent", d->fresh.absent);
	rd_print_uint(p, PRINT_ANY, "static", ", %llu static", d->fresh.static_skipped);
	rd_print_uint(p, PRINT_ANY, "errors", ", %llu errors", d->fresh.errors);
	rd_print_close_object(p);
	rd_print_nl(p);
	rd_nf_report(&d->nf, p);
	rd_print_close_object(p);
	rd_print_end(p);
	return 0;
}

static int cmd_interfaces(void *ctx, const struct rd_ctl_request *req, struct rd_print *p,
			  char *err, size_t errlen)
{
	struct rd_daemon *d = ctx;
	char fixups[64];

	rd_print_open_array(p, NULL);
	for (size_t i = 0; i < d->ifaces.n; i++) {
		const struct rd_managed_iface *m = &d->ifaces.list[i];
		bool attached = m->att.link_fd >= 0;

		rd_fixups_format(&m->cfg.fixups, fixups, sizeof(fixups));
		rd_print_open_object(p, NULL);
		rd_print_string(p, PRINT_ANY, "name", "%-16s", m->cfg.name);
		rd_print_string(p, PRINT_ANY, "state", " %-10s", link_state(m->cfg.name));
		rd_print_string(p, PRINT_JSON, "mode", NULL, rd_mode_name(m->att.mode));
		rd_print_text(p, " %-8s", attached ? rd_mode_name(m->att.mode) : "detached");
		rd_print_bool(p, PRINT_JSON, "attached", NULL, attached);
		rd_print_string(p, PRINT_JSON, "configured_mode", NULL, rd_mode_name(m->cfg.mode));
		rd_print_uint(p, PRINT_JSON, "program_id", NULL, m->att.prog_id);
		rd_print_uint(p, PRINT_ANY, "ifindex", " ifindex %-5llu", m->ifindex);
		rd_print_string(p, PRINT_ANY, "fixups", " fixups %s", fixups);
		rd_print_string(p, PRINT_ANY, "source", "  from %s", rd_match_name(m->cfg.match));
		if (m->rule[0])
			rd_print_string(p, PRINT_ANY, "source_name", " %s", m->rule);
		rd_print_bool(p, PRINT_JSON, "xdp_redirect_target", NULL, !m->no_tx);
		if (m->no_tx)
			rd_print_text(p, "  no XDP redirects into it");
		if (m->last_error[0])
			rd_print_string(p, PRINT_ANY, "error", "  error: %s", m->last_error);
		rd_tc_print(&d->tc, p, m->ifindex, m->cfg.tc_bypass);
		rd_print_close_object(p);
		rd_print_nl(p);
	}
	rd_print_close_array(p);
	rd_print_end(p);
	return 0;
}

/* A counter whose text label is derived from its key: fmt_label holds a %s
 * for the label and a %%llu for the value. */
static void print_labelled(struct rd_print *p, enum rd_print_kind kind, const char *key,
			   const char *fmt_label, const char *label, unsigned long long v)
{
	char fmt[96];

	snprintf(fmt, sizeof(fmt), fmt_label, label);
	rd_print_uint(p, kind, key, fmt, v);
}

static void print_keyed(struct rd_print *p, enum rd_print_kind kind, const char *fmt_label,
			const char *key, unsigned long long v)
{
	print_labelled(p, kind, key, fmt_label, key, v);
}

/* The summary line; with -s (`reasons`) the byte counters and the non-zero
 * events and reasons below it. JSON always has every key. */
static void stats_print(struct rd_print *p, const struct rd_managed_iface *m,
			const struct rd_stats *st, bool reasons)
{
	struct totals t = sum_stats(st);
	enum rd_print_kind more = reasons ? PRINT_ANY : PRINT_JSON;

	rd_print_open_object(p, NULL);
	rd_print_string(p, PRINT_ANY, "name", "%-16s", m->cfg.name);
	rd_print_uint(p, PRINT_JSON, "ifindex", NULL, m->ifindex);
	rd_print_string(p, PRINT_ANY, "mode", " %-8s", rd_mode_name(m->att.mode));
	rd_print_open_object(p, "counters");
	rd_print_uint(p, PRINT_ANY, "rx_packets", " %12llu", t.rx);
	rd_print_uint(p, PRINT_ANY, event_keys[RD_EV_FORWARDED_IPV4], " %12llu",
		      st->events[RD_EV_FORWARDED_IPV4]);
	rd_print_uint(p, PRINT_ANY, event_keys[RD_EV_FORWARDED_IPV6], " %12llu",
		      st->events[RD_EV_FORWARDED_IPV6]);
	rd_print_uint(p, PRINT_ANY, event_keys[RD_EV_BRIDGED], " %10llu", st->events[RD_EV_BRIDGED]);
	rd_print_uint(p, PRINT_ANY, "passed", " %12llu", t.passed);
	rd_print_uint(p, PRINT_ANY, "dropped", " %10llu", t.dropped);
	rd_print_nl(p);
	print_keyed(p, more, "    %-20s %%llu", "rx_bytes", t.rx_bytes);
	for (int i = 0; i < RD_BYTES__MAX; i++)
		print_keyed(p, more, " %s %%llu", bytes_keys[i], st->bytes[i]);
	if (reasons)
		rd_print_nl(p);
	for (int i = RD_EV_BRIDGED + 1; i < RD_EV__MAX; i++)
		print_keyed(p, reasons && st->events[i] ? PRINT_ANY : PRINT_JSON, "    %-20s %%llu\n",
			    event_keys[i], st->events[i]);
	rd_print_close_object(p);
	rd_print_open_object(p, "pass_reasons");
	for (int i = 0; i < RD_PASS__MAX; i++)
		print_keyed(p, reasons && st->pass[i] ? PRINT_ANY : PRINT_JSON,
			    "    pass %-15s %%llu\n", pass_keys[i], st->pass[i]);
	rd_print_close_object(p);
	rd_print_open_object(p, "drop_reasons");
	for (int i = 0; i < RD_DROP__MAX; i++)
		print_keyed(p, reasons && st->drop[i] ? PRINT_ANY : PRINT_JSON,
			    "    drop %-15s %%llu\n", drop_keys[i], st->drop[i]);
	rd_print_close_object(p);
	rd_print_close_object(p);
}

static int cmd_stats(void *ctx, const struct rd_ctl_request *req, struct rd_print *p, char *err,
		     size_t errlen)
{
	struct rd_daemon *d = ctx;
	bool reasons = false;
	struct rd_stats st;

	for (int i = 1; i < req->argc; i++) {
		if (strcmp(req->argv[i], "-s")) {
			snprintf(err, errlen, "stats: unknown argument '%.32s' (expected -s)",
				 req->argv[i]);
			return -1;
		}
		reasons = true;
	}
	rd_print_open_object(p, NULL);
	rd_print_text(p, "%-16s %-8s %12s %12s %12s %10s %12s %10s\n", "IFACE", "MODE", "RX",
		      "FWD_V4", "FWD_V6", "BRIDGED", "PASSED", "DROPPED");
	rd_print_open_array(p, "interfaces");
	for (size_t i = 0; i < d->ifaces.n; i++) {
		const struct rd_managed_iface *m = &d->ifaces.list[i];

		if (rd_dp_stats_read(&d->dp, m->slot, &st)) {
			snprintf(err, errlen, "cannot read counters of %s", m->cfg.name);
			return -1;
		}
		stats_print(p, m, &st, reasons);
	}
	rd_print_close_array(p);
	rd_print_close_object(p);
	rd_print_end(p);
	return 0;
}

static int cmd_fixups(void *ctx, const struct rd_ctl_request *req, struct rd_print *p, char *err,
		      size_t errlen)
{
	struct rd_daemon *d = ctx;
	static const enum rd_event events[] = { RD_EV_FIXUP_IPV4_IN_IPV6, RD_EV_FIXUP_IPV6_IN_IPV4,
						RD_EV_FIXUP_MSS_CLAMP };
	struct rd_stats st;
	char list[64];

	rd_print_open_array(p, NULL);
	for (size_t i = 0; i < d->ifaces.n; i++) {
		const struct rd_managed_iface *m = &d->ifaces.list[i];

		if (rd_dp_stats_read(&d->dp, m->slot, &st)) {
			snprintf(err, errlen, "cannot read counters of %s", m->cfg.name);
			return -1;
		}
		rd_fixups_format(&m->cfg.fixups, list, sizeof(list));
		rd_print_open_object(p, NULL);
		rd_print_string(p, PRINT_ANY, "name", "%-16s", m->cfg.name);
		rd_print_string(p, PRINT_ANY, "fixups", " %-40s", list);
		rd_print_open_object(p, "counters");
		/* text labels drop the "fixup_" every key starts with */
		for (size_t e = 0; e < sizeof(events) / sizeof(events[0]); e++)
			print_labelled(p, PRINT_ANY, event_keys[events[e]], " %s %%llu",
				       event_keys[events[e]] + strlen("fixup_"), st.events[events[e]]);
		rd_print_uint(p, PRINT_ANY, "fixup_rejected", " rejected %llu",
			      st.pass[RD_PASS_FIXUP_REJECTED]);
		rd_print_close_object(p);
		rd_print_close_object(p);
		rd_print_nl(p);
	}
	rd_print_close_array(p);
	rd_print_end(p);
	return 0;
}

static int cmd_fdb(void *ctx, const struct rd_ctl_request *req, struct rd_print *p, char *err,
		   size_t errlen)
{
	struct rd_daemon *d = ctx;

	return rd_fdb_report(&d->fdb, p, req->argc > 1 ? req->argv[1] : NULL, err, errlen);
}

static int cmd_metrics(void *ctx, const struct rd_ctl_request *req, struct rd_print *p,
		       char *err, size_t errlen)
{
	struct rd_daemon *d = ctx;

	/* the Prometheus text format, with or without -j */
	return rd_metrics_report(d, uptime(d), p->out, err, errlen);
}

static int cmd_conntrack(void *ctx, const struct rd_ctl_request *req, struct rd_print *p,
			 char *err, size_t errlen)
{
	return rd_conntrack_report(ctx, p, err, errlen);
}

static int cmd_neigh(void *ctx, const struct rd_ctl_request *req, struct rd_print *p, char *err,
		     size_t errlen)
{
	struct rd_daemon *d = ctx;

	if (rd_freshness_report(&d->fresh, p)) {
		snprintf(err, errlen, "cannot read the nexthop table");
		return -1;
	}
	return 0;
}

static int cmd_reload(void *ctx, const struct rd_ctl_request *req, struct rd_print *p,
		      char *err, size_t errlen)
{
	if (rd_daemon_reload(ctx, err, errlen))
		return -1;
	rd_print_open_object(p, NULL);
	rd_print_bool(p, PRINT_ANY, "reloaded", "reloaded", true);
	rd_print_close_object(p);
	rd_print_nl(p);
	rd_print_end(p);
	return 0;
}

/* routerd's half of the verb table (common/protocol.h has the names,
 * arguments, privilege and help); the client's verbs have no entry. */
static const rd_ctl_verb_fn handlers[RD_VERB__MAX] = {
	[RD_VERB_STATUS] = cmd_status,
	[RD_VERB_INTERFACES] = cmd_interfaces,
	[RD_VERB_STATS] = cmd_stats,
	[RD_VERB_NEIGH] = cmd_neigh,
	[RD_VERB_FDB] = cmd_fdb,
	[RD_VERB_FIXUPS] = cmd_fixups,
	[RD_VERB_CONNTRACK] = cmd_conntrack,
	[RD_VERB_METRICS] = cmd_metrics,
	[RD_VERB_RELOAD] = cmd_reload,
};

int rd_commands_dispatch(void *ctx, const struct rd_ctl_request *req, struct rd_buf *body,
			 char *err, size_t errlen)
{
	return rd_ctl_dispatch(handlers, ctx, req, body, err, errlen);
}
