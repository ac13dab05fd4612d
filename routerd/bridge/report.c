// SPDX-License-Identifier: GPL-2.0
/*
 * routerctl fdb for the bridge mirror (fdb.h, fdb_internal.h): the
 * entries of rd_fdb (`fdb` or `fdb show`: MAC, VLAN, bridge, port, flags,
 * when XDP last bridged from/to it), the bridge ports as the mirror sees
 * them (`fdb ports`) and its counters (`fdb stats`), each written once
 * through the print layer (common/print.h) for text and JSON.
 * Reads only; owns nothing but the output format.
 */
#include <linux/if_ether.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/internal.h"

static const char *ifname(__u32 ifindex, char *buf)
{
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	return buf;
}

static const char *state_name(__u8 state)
{
	static const char *const names[] = { "disabled", "listening", "learning", "forwarding",
					     "blocking" };

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

static __s64 ms_ago(__u64 stamp, __u64 now)
{
	if (!stamp)
		return -1;
	return stamp > now ? 0 : (__s64)((now - stamp) / 1000000);
}

/* milliseconds in JSON (-1: never), "1.5s" or "-" in a column of text */
static void print_ago(struct rd_print *p, const char *key, __s64 ms)
{
	char text[16] = "-";

	if (ms >= 0)
		snprintf(text, sizeof(text), "%.1fs", ms / 1000.0);
	rd_print_int(p, PRINT_JSON, key, NULL, ms);
	rd_print_string(p, PRINT_TEXT, NULL, " %9s", text);
}

struct sorted_entry {
	struct rd_fdb_key key;
	struct rd_fdb_entry val;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct rd_fdb_key *x = a, *y = b;

	if (x->bridge != y->bridge)
		return x->bridge < y->bridge ? -1 : 1;
	if (x->vid != y->vid)
		return x->vid < y->vid ? -1 : 1;
	return memcmp(x->mac, y->mac, ETH_ALEN);
}

static void flags_text(__u32 flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s", flags & RD_FDB_LOCAL ? "local," : "",
		 (flags & RD_FDB_STATIC) && !(flags & RD_FDB_LOCAL) ? "static," : "",
		 flags & RD_FDB_EXTERN ? "extern_learn," : "", flags & RD_FDB_STICKY ? "sticky," : "");
	if (*buf)
		buf[strlen(buf) - 1] = '\0';
	else
		snprintf(buf, len, "-");
}

static int report_entries(struct rd_fdb *f, struct rd_print *p)
{
	struct rd_fdb_key *keys;
	struct rd_fdb_entry *vals;
	struct sorted_entry *s;
	char br[IF_NAMESIZE], port[IF_NAMESIZE], mac[18], fl[64];
	__u64 now = rd_coarse_now_ns();
	size_t n;

	if (rd_fdb_read_map(f, &keys, &vals, &n))
		return -1;
	s = calloc(n ? n : 1, sizeof(*s));
	if (!s) {
		free(keys);
		free(vals);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		s[i] = (struct sorted_entry){ keys[i], vals[i] };
	free(keys);
	free(vals);
	qsort(s, n, sizeof(*s), cmp_entry);
	rd_print_text(p, "%-12s %4s %-17s %-15s %-12s %9s %9s\n", "BRIDGE", "VLAN", "MAC", "PORT",
		      "FLAGS", "SEEN", "USED");
	rd_print_open_array(p, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct rd_fdb_key *k = &s[i].key;
		const struct rd_fdb_entry *v = &s[i].val;
		__s64 seen = ms_ago(v->seen_ns, now), used = ms_ago(v->used_ns, now);

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", k->mac[0], k->mac[1],
			 k->mac[2], k->mac[3], k->mac[4], k->mac[5]);
		flags_text(v->flags, fl, sizeof(fl));
		rd_print_open_object(p, NULL);
		rd_print_string(p, PRINT_ANY, "bridge", "%-12s", ifname(k->bridge, br));
		rd_print_uint(p, PRINT_JSON, "bridge_ifindex", NULL, k->bridge);
		rd_print_uint(p, PRINT_ANY, "vlan", " %4llu", k->vid);
		rd_print_string(p, PRINT_ANY, "mac", " %-17s", mac);
		rd_print_string(p, PRINT_ANY, "port", " %-15s", ifname(v->port, port));
		rd_print_uint(p, PRINT_JSON, "ifindex", NULL, v->port);
		rd_print_string(p, PRINT_ANY, "flags", " %-12s", fl);
		rd_print_bool(p, PRINT_JSON, "local", NULL, v->flags & RD_FDB_LOCAL);
		print_ago(p, "seen_ms_ago", seen);
		print_ago(p, "used_ms_ago", used);
		rd_print_close_object(p);
		rd_print_nl(p);
	}
	rd_print_close_array(p);
	rd_print_end(p);
	rd_print_text(p, "%zu entries; %lu FDB events, %lu resyncs, %lu refreshes (%lu absent, "
			 "%lu errors)\n", n, f->fdb_events, f->resyncs, f->refreshes,
		      f->refresh_absent, f->refresh_errors);
	free(s);
	return 0;
}

static void report_ports(struct rd_fdb *f, struct rd_print *p)
{
	char br[IF_NAMESIZE];

	rd_print_text(p, "%-15s %-12s %-10s %-7s %s\n", "PORT", "BRIDGE", "STATE", "ROUTERD",
		      "FLAGS");
	rd_print_open_array(p, NULL);
	for (size_t i = 0; i < f->n_ports; i++) {
		const struct rd_br_port *port = &f->ports[i];
		const struct rd_br_bridge *b = find_bridge(f, port->master);
		bool managed = rd_fdb_is_managed(f, port->ifindex);
		struct rd_iface val = { 0 };

		rd_fdb_fill_iface(f, port->ifindex, &val);
		if (b)
			snprintf(br, sizeof(br), "%s", b->name);
		else
			ifname(port->master, br);
		rd_print_open_object(p, NULL);
		rd_print_string(p, PRINT_ANY, "name", "%-15s", port->name);
		rd_print_uint(p, PRINT_JSON, "ifindex", NULL, port->ifindex);
		rd_print_string(p, PRINT_ANY, "bridge", " %-12s", br);
		rd_print_uint(p, PRINT_JSON, "bridge_ifindex", NULL, port->master);
		rd_print_string(p, PRINT_ANY, "state", " %-10s", state_name(port->state));
		rd_print_bool(p, PRINT_JSON, "managed", NULL, managed);
		rd_print_text(p, " %-7s", managed ? "yes" : "no");
		rd_print_bool(p, PRINT_ANY, "learning", " learning", port->learning);
		rd_print_bool(p, PRINT_ANY, "isolated", " isolated", port->isolated);
		rd_print_bool(p, PRINT_ANY, "locked", " locked", port->locked);
		rd_print_bool(p, PRINT_ANY, "hairpin", " hairpin", port->hairpin);
		rd_print_bool(p, PRINT_ANY, "neigh_suppress", " neigh_suppress/proxy_arp",
			      port->neigh_kernel);
		rd_print_bool(p, PRINT_ANY, "vlan_filtering", " vlan_filtering",
			      b && b->vlan_filtering);
		rd_print_uint(p, PRINT_ANY, "pvid", " pvid %llu", val.pvid);
		rd_print_bool(p, PRINT_JSON, "xdp_forwarding", NULL,
			      (val.br_flags & RD_BRPORT_FORWARDING) &&
				      !(val.br_flags & RD_BRPORT_KERNEL_ONLY));
		rd_print_close_object(p);
		rd_print_nl(p);
	}
	rd_print_close_array(p);
	rd_print_end(p);
}

static void report_stats(struct rd_fdb *f, struct rd_print *p)
{
	const struct { const char *key; unsigned long v; } c[] = {
		{ "fdb_events", f->fdb_events },	  { "link_events", f->link_events },
		{ "vlan_events", f->vlan_events },	  { "overruns", f->overruns },
		{ "resyncs", f->resyncs },		  { "port_syncs", f->port_syncs },
		{ "refresh_rounds", f->refresh_rounds },  { "refreshes", f->refreshes },
		{ "refresh_absent", f->refresh_absent },  { "refresh_errors", f->refresh_errors },
		{ "map_errors", f->map_errors },	  { "bridges", f->n_bridges },
		{ "ports", f->n_ports },
	};

	rd_print_open_object(p, NULL);
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		rd_print_string(p, PRINT_TEXT, NULL, "%-16s", c[i].key);
		rd_print_uint(p, PRINT_ANY, c[i].key, " %llu\n", c[i].v);
	}
	rd_print_close_object(p);
	rd_print_end(p);
}

int rd_fdb_report(struct rd_fdb *f, struct rd_print *p, const char *what, char *err,
		  size_t errlen)
{
	if (!f->req) {
		snprintf(err, errlen, "the bridge mirror is not running");
		return -1;
	}
	if (!what || !strcmp(what, "show")) {
		if (report_entries(f, p)) {
			snprintf(err, errlen, "cannot read the FDB map");
			return -1;
		}
		return 0;
	}
	if (!strcmp(what, "ports")) {
		report_ports(f, p);
		return 0;
	}
	if (!strcmp(what, "stats")) {
		report_stats(f, p);
		return 0;
	}
	snprintf(err, errlen, "fdb: unknown argument '%.32s' (expected show, ports or stats)", what);
	return -1;
}
