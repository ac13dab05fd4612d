// SPDX-License-Identifier: GPL-2.0
/*
 * routerctl metrics: owns the Prometheus text exposition (format 0.0.4) of
 * routerd's figures: the per-interface counters and reasons of `stats`,
 * and the daemon's own (netlink events, resyncs, route cache, freshness,
 * control socket, memory). Names follow Prometheus' rules: routerd_ prefix,
 * base units, counters end in _total, one family per quantity with labels
 * `interface`, `family`, `reason`, `event` rather than one name per value.
 * Every sample is present from the start, zero or not, as in `-j stats`.
 *
 * The output is meant for node_exporter's textfile collector (docs/
 * operations.md) and is what `routerctl monitor` samples, so both read the
 * same numbers. No process_* names: node_exporter exports its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/metrics.h"

#define KEY(name, key) key,
static const char *const event_keys[] = { RD_EVENTS(KEY) };
static const char *const pass_keys[] = { RD_PASS_REASONS(KEY) };
static const char *const drop_keys[] = { RD_DROP_REASONS(KEY) };
#undef KEY

static void family(struct rd_buf *b, const char *name, const char *type, const char *help)
{
	rd_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value, escaped as the format wants: backslash, quote, newline.
 * (An interface name may hold a quote or a backslash.) */
static void label_value(struct rd_buf *b, const char *v)
{
	rd_buf_printf(b, "\"");
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			rd_buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			rd_buf_printf(b, "\\n");
		else
			rd_buf_printf(b, "%c", *v);
	}
	rd_buf_printf(b, "\"");
}

/* name{interface="IF"[,key="val"]} value */
static void iface_sample(struct rd_buf *b, const char *name, const char *ifname,
			 const char *key, const char *val, unsigned long long value)
{
	rd_buf_printf(b, "%s{interface=", name);
	label_value(b, ifname);
	if (key) {
		rd_buf_printf(b, ",%s=", key);
		label_value(b, val);
	}
	rd_buf_printf(b, "} %llu\n", value);
}

static void scalar(struct rd_buf *b, const char *name, const char *type, const char *help,
		   double value)
{
	family(b, name, type, help);
	rd_buf_printf(b, "%s %.17g\n", name, value);
}

/* The daemon's resident set, from /proc/self/statm (pages). */
static double resident_bytes(void)
{
	unsigned long size, resident = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (double)resident * (double)sysconf(_SC_PAGESIZE);
}

/* What a verdict list adds up to. */
static __u64 sum(const __u64 *v, int n)
{
	__u64 s = 0;

	for (int i = 0; i < n; i++)
		s += v[i];
	return s;
}

static __u64 rx_packets(const struct rd_stats *st)
{
	return st->events[RD_EV_FORWARDED_IPV4] + st->events[RD_EV_FORWARDED_IPV6] +
	       st->events[RD_EV_BRIDGED] + sum(st->pass, RD_PASS__MAX) +
	       sum(st->drop, RD_DROP__MAX);
}

static void interface_metrics(struct rd_buf *b, const struct rd_ifaces *ifs,
			      const struct rd_stats *st)
{
	size_t n = ifs->n;

#define EACH for (size_t i = 0; i < n; i++)
#define IF ifs->list[i].cfg.name
	family(b, "routerd_rx_packets_total", "counter",
	       "Frames the XDP program received on the interface (every verdict).");
	EACH iface_sample(b, "routerd_rx_packets_total", IF, NULL, NULL, rx_packets(&st[i]));
	family(b, "routerd_rx_bytes_total", "counter",
	       "Bytes of the frames received, as received (L2 header, no FCS).");
	EACH iface_sample(b, "routerd_rx_bytes_total", IF, NULL, NULL,
			  sum(st[i].bytes, RD_BYTES__MAX));
	family(b, "routerd_forwarded_packets_total", "counter",
	       "Frames routed in XDP (redirected), by IP family of the received frame.");
	EACH {
		iface_sample(b, "routerd_forwarded_packets_total", IF, "family", "ipv4",
			     st[i].events[RD_EV_FORWARDED_IPV4]);
		iface_sample(b, "routerd_forwarded_packets_total", IF, "family", "ipv6",
			     st[i].events[RD_EV_FORWARDED_IPV6]);
	}
	family(b, "routerd_forwarded_bytes_total", "counter", "Bytes of the frames routed in XDP.");
	EACH iface_sample(b, "routerd_forwarded_bytes_total", IF, NULL, NULL,
			  st[i].bytes[RD_BYTES_FORWARDED]);
	family(b, "routerd_bridged_packets_total", "counter", "Frames bridged in XDP.");
	EACH iface_sample(b, "routerd_bridged_packets_total", IF, NULL, NULL,
			  st[i].events[RD_EV_BRIDGED]);
	family(b, "routerd_bridged_bytes_total", "counter", "Bytes of the frames bridged in XDP.");
	EACH iface_sample(b, "routerd_bridged_bytes_total", IF, NULL, NULL,
			  st[i].bytes[RD_BYTES_BRIDGED]);
	family(b, "routerd_passed_packets_total", "counter",
	       "Frames handed to the kernel (XDP_PASS), by reason.");
	EACH for (int r = 0; r < RD_PASS__MAX; r++)
		iface_sample(b, "routerd_passed_packets_total", IF, "reason", pass_keys[r],
			     st[i].pass[r]);
	family(b, "routerd_passed_bytes_total", "counter", "Bytes of the frames handed to the kernel.");
	EACH iface_sample(b, "routerd_passed_bytes_total", IF, NULL, NULL,
			  st[i].bytes[RD_BYTES_PASSED]);
	family(b, "routerd_dropped_packets_total", "counter", "Frames dropped in XDP, by reason.");
	EACH for (int r = 0; r < RD_DROP__MAX; r++)
		iface_sample(b, "routerd_dropped_packets_total", IF, "reason", drop_keys[r],
			     st[i].drop[r]);
	family(b, "routerd_dropped_bytes_total", "counter", "Bytes of the frames dropped in XDP.");
	EACH iface_sample(b, "routerd_dropped_bytes_total", IF, NULL, NULL,
			  st[i].bytes[RD_BYTES_DROPPED]);
	family(b, "routerd_events_total", "counter",
	       "Events on top of the verdicts: fix-ups applied, full FIB lookups (route cache misses).");
	EACH for (int e = RD_EV_BRIDGED + 1; e < RD_EV__MAX; e++)
		iface_sample(b, "routerd_events_total", IF, "event", event_keys[e], st[i].events[e]);
	family(b, "routerd_interface_attached", "gauge",
	       "1 while XDP is attached to the interface, in the mode labelled.");
	EACH iface_sample(b, "routerd_interface_attached", IF, "mode",
			  rd_mode_name(ifs->list[i].att.mode), ifs->list[i].att.link_fd >= 0);
#undef EACH
#undef IF
}

static void daemon_metrics(struct rd_buf *b, const struct rd_daemon *d, double uptime_s)
{
	family(b, "routerd_info", "gauge", "Always 1; the version in a label.");
	rd_buf_printf(b, "routerd_info{version=\"%s\"} 1\n", RD_VERSION);
	scalar(b, "routerd_uptime_seconds", "gauge", "Seconds since routerd started.", uptime_s);
	scalar(b, "routerd_resident_memory_bytes", "gauge", "The daemon's resident memory.",
	       resident_bytes());
	scalar(b, "routerd_reloads_total", "counter", "Configuration reloads.", d->reloads);
	scalar(b, "routerd_netlink_events_total", "counter",
	       "Netlink messages (links, addresses, routes, neighbours) processed.", d->nl.events);
	scalar(b, "routerd_netlink_overruns_total", "counter",
	       "Netlink receive buffer overruns (events lost; a resync follows).", d->nl.overruns);
	scalar(b, "routerd_netlink_resyncs_total", "counter",
	       "Full re-reads of the kernel's state after lost events.", d->nl.resyncs);
	scalar(b, "routerd_netlink_rejected_total", "counter",
	       "Netlink messages refused as malformed.", d->nl.rejected);
	if (d->nl.last_resync)
		scalar(b, "routerd_netlink_last_resync_age_seconds", "gauge",
		       "Seconds since the last full resync.",
		       ev_now(d->nl.loop) - d->nl.last_resync);
	scalar(b, "routerd_route_cache_enabled", "gauge", "1 if the XDP route cache is on.",
	       d->cache.enabled);
	scalar(b, "routerd_route_cache_invalidations_total", "counter",
	       "Route cache generation bumps (a routing change invalidates every entry).",
	       d->cache.bumps);
	scalar(b, "routerd_route_cache_overruns_total", "counter",
	       "Overruns of the route cache's netlink socket (each invalidates).",
	       d->cache.overruns);
	scalar(b, "routerd_freshness_rounds_total", "counter",
	       "Neighbour freshness rounds (one a second while routerd runs).", d->fresh.rounds);
	scalar(b, "routerd_freshness_refreshes_total", "counter",
	       "Neighbour entries refreshed for nexthops XDP used.", d->fresh.refreshes);
	scalar(b, "routerd_freshness_absent_total", "counter",
	       "Nexthops XDP used that had no kernel neighbour entry.", d->fresh.absent);
	scalar(b, "routerd_freshness_errors_total", "counter",
	       "Freshness rounds that failed to read or refresh.", d->fresh.errors);
	scalar(b, "routerd_freshness_nexthops_in_use", "gauge",
	       "Nexthops XDP forwarded to recently.", (double)d->fresh.n_recent);
	scalar(b, "routerd_control_requests_total", "counter", "Control socket requests.",
	       d->ctl.requests);
	scalar(b, "routerd_control_bad_requests_total", "counter",
	       "Control socket requests refused as malformed.", d->ctl.bad_requests);
}

int rd_metrics_report(struct rd_daemon *d, double uptime_s, struct rd_buf *b, char *err,
		      size_t errlen)
{
	struct rd_stats *st = calloc(d->ifaces.n ? d->ifaces.n : 1, sizeof(*st));

	if (!st) {
		snprintf(err, errlen, "metrics: out of memory");
		return -1;
	}
	/* read everything first: a failure leaves no half-written families */
	for (size_t i = 0; i < d->ifaces.n; i++) {
		if (rd_dp_stats_read(&d->dp, d->ifaces.list[i].slot, &st[i])) {
			snprintf(err, errlen, "cannot read counters of %s", d->ifaces.list[i].cfg.name);
			free(st);
			return -1;
		}
	}
	interface_metrics(b, &d->ifaces, st);
	daemon_metrics(b, d, uptime_s);
	free(st);
	return 0;
}
