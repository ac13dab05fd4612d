// SPDX-License-Identifier: GPL-2.0
/*
 * routerctl fdb for the bridge mirror (fdb.h, fdb_internal.h): the
 * entries of rd_fdb (`fdb` or `fdb show`: MAC, VLAN, bridge, port, flags,
 * when XDP last bridged from/to it), the bridge ports as the mirror sees
 * them (`fdb ports`) and its counters (`fdb stats`), as text or JSON.
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

static int report_entries(struct rd_fdb *f, bool json, struct rd_buf *out)
{
	struct rd_fdb_key *keys;
	struct rd_fdb_entry *vals;
	struct sorted_entry *s;
	char br[IF_NAMESIZE], port[IF_NAMESIZE], mac[18], fl[64];
	__u64 now = rd_coarse_now_ns();
	struct rd_json j;
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
	if (json) {
		rd_json_init(&j, out);
		rd_json_open_array(&j, NULL);
	} else {
		rd_buf_printf(out, "%-12s %4s %-17s %-15s %-12s %9s %9s\n", "BRIDGE", "VLAN", "MAC",
			      "PORT", "FLAGS", "SEEN", "USED");
	}
	for (size_t i = 0; i < n; i++) {
		const struct rd_fdb_key *k = &s[i].key;
		const struct rd_fdb_entry *v = &s[i].val;
		__s64 seen = ms_ago(v->seen_ns, now), used = ms_ago(v->used_ns, now);

		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", k->mac[0], k->mac[1],
			 k->mac[2], k->mac[3], k->mac[4], k->mac[5]);
		ifname(k->bridge, br);
		ifname(v->port, port);
		flags_text(v->flags, fl, sizeof(fl));
		if (!json) {
			char a[16] = "-", b[16] = "-";

			if (seen >= 0)
				snprintf(a, sizeof(a), "%.1fs", seen / 1000.0);
			if (used >= 0)
				snprintf(b, sizeof(b), "%.1fs", used / 1000.0);
			rd_buf_printf(out, "%-12s %4u %-17s %-15s %-12s %9s %9s\n", br, k->vid, mac,
				      port, fl, a, b);
			continue;
		}
		rd_json_open_object(&j, NULL);
		rd_json_string(&j, "mac", mac);
		rd_json_u64(&j, "vlan", k->vid);
		rd_json_string(&j, "bridge", br);
		rd_json_u64(&j, "bridge_ifindex", k->bridge);
		rd_json_string(&j, "port", port);
		rd_json_u64(&j, "ifindex", v->port);
		rd_json_string(&j, "flags", fl);
		rd_json_bool(&j, "local", v->flags & RD_FDB_LOCAL);
		rd_json_i64(&j, "seen_ms_ago", seen);
		rd_json_i64(&j, "used_ms_ago", used);
		rd_json_close_object(&j);
	}
	if (json) {
		rd_json_close_array(&j);
		rd_buf_printf(out, "\n");
	} else {
		rd_buf_printf(out, "%zu entries; %lu FDB events, %lu resyncs, %lu refreshes "
				   "(%lu absent, %lu errors)\n",
			      n, f->fdb_events, f->resyncs, f->refreshes, f->refresh_absent,
			      f->refresh_errors);
	}
	free(s);
	return 0;
}

static void report_ports(struct rd_fdb *f, bool json, struct rd_buf *out)
{
	char br[IF_NAMESIZE];
	struct rd_json j;

	if (json) {
		rd_json_init(&j, out);
		rd_json_open_array(&j, NULL);
	} else {
		rd_buf_printf(out, "%-15s %-12s %-10s %-7s %s\n", "PORT", "BRIDGE", "STATE", "ROUTERD",
			      "FLAGS");
	}
	for (size_t i = 0; i < f->n_ports; i++) {
		const struct rd_br_port *p = &f->ports[i];
		const struct rd_br_bridge *b = find_bridge(f, p->master);
		struct rd_iface val = { 0 };

		rd_fdb_fill_iface(f, p->ifindex, &val);
		if (b)
			snprintf(br, sizeof(br), "%s", b->name);
		else
			ifname(p->master, br);
		if (!json) {
			rd_buf_printf(out, "%-15s %-12s %-10s %-7s%s%s%s%s%s%s pvid %u\n", p->name, br,
				      state_name(p->state),
				      rd_fdb_is_managed(f, p->ifindex) ? "yes" : "no",
				      p->learning ? " learning" : "", p->isolated ? " isolated" : "",
				      p->locked ? " locked" : "", p->hairpin ? " hairpin" : "",
				      p->neigh_kernel ? " neigh_suppress/proxy_arp" : "",
				      b && b->vlan_filtering ? " vlan_filtering" : "", val.pvid);
			continue;
		}
		rd_json_open_object(&j, NULL);
		rd_json_string(&j, "name", p->name);
		rd_json_u64(&j, "ifindex", p->ifindex);
		rd_json_string(&j, "bridge", br);
		rd_json_u64(&j, "bridge_ifindex", p->master);
		rd_json_string(&j, "state", state_name(p->state));
		rd_json_bool(&j, "managed", rd_fdb_is_managed(f, p->ifindex));
		rd_json_bool(&j, "learning", p->learning);
		rd_json_bool(&j, "isolated", p->isolated);
		rd_json_bool(&j, "locked", p->locked);
		rd_json_bool(&j, "hairpin", p->hairpin);
		rd_json_bool(&j, "vlan_filtering", b && b->vlan_filtering);
		rd_json_u64(&j, "pvid", val.pvid);
		rd_json_bool(&j, "xdp_forwarding", (val.br_flags & RD_BRPORT_FORWARDING) &&
							   !(val.br_flags & RD_BRPORT_KERNEL_ONLY));
		rd_json_close_object(&j);
	}
	if (json) {
		rd_json_close_array(&j);
		rd_buf_printf(out, "\n");
	}
}

static void report_stats(struct rd_fdb *f, bool json, struct rd_buf *out)
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
	struct rd_json j;

	if (json) {
		rd_json_init(&j, out);
		rd_json_open_object(&j, NULL);
	}
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (json)
			rd_json_u64(&j, c[i].key, c[i].v);
		else
			rd_buf_printf(out, "%-16s %lu\n", c[i].key, c[i].v);
	}
	if (json) {
		rd_json_close_object(&j);
		rd_buf_printf(out, "\n");
	}
}

int rd_fdb_report(struct rd_fdb *f, bool json, const char *what, struct rd_buf *out, char *err,
		  size_t errlen)
{
	if (!f->req) {
		snprintf(err, errlen, "the bridge mirror is not running");
		return -1;
	}
	if (!what || !strcmp(what, "show")) {
		if (report_entries(f, json, out)) {
			snprintf(err, errlen, "cannot read the FDB map");
			return -1;
		}
		return 0;
	}
	if (!strcmp(what, "ports")) {
		report_ports(f, json, out);
		return 0;
	}
	if (!strcmp(what, "stats")) {
		report_stats(f, json, out);
		return 0;
	}
	snprintf(err, errlen, "fdb: unknown argument '%.32s' (expected show, ports or stats)", what);
	return -1;
}
