// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon as a whole (daemon.h): the seams between its modules that
 * main wires, and reload. Kept in the library, not in main.c, so that the
 * control verbs (commands.c) and the tests link without the executable.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "daemon/daemon.h"
#include "routerd.skel.h"

/* ------------------------------------------------------------------ */
/* the interface table and the bridge mirror                           */

static void iface_bridge_port(void *fdb, __u32 ifindex, struct rd_iface *val)
{
	rd_fdb_describe_port(fdb, ifindex, val);
}

static void ifaces_changed(void *fdb)
{
	rd_fdb_ifaces_changed(fdb);
}

static size_t fdb_managed(void *ifs, __u32 **out)
{
	return rd_ifaces_ifindexes(ifs, out);
}

static void fdb_ports_changed(void *ifs)
{
	rd_ifaces_update_bridge(ifs);
}

static __u8 tc_hold(void *tc, __u32 ifindex, bool bypass)
{
	return rd_tc_hold(tc, ifindex, bypass);
}

static void tc_ports_changed(void *ifs)
{
	rd_ifaces_reconcile(ifs);
}

void rd_wire_tc(struct rd_ifaces *ifs, struct rd_tc *tc)
{
	ifs->hooks.tc_hold = tc_hold;
	ifs->hooks.tc_arg = tc;
	tc->on_ports = tc_ports_changed;
	tc->on_ports_arg = ifs;
}

void rd_wire_bridge(struct rd_ifaces *ifs, struct rd_fdb *fdb, struct rd_fdb_hooks *hooks)
{
	ifs->hooks.bridge_port = iface_bridge_port;
	ifs->hooks.changed = ifaces_changed;
	ifs->hooks.arg = fdb;
	*hooks = (struct rd_fdb_hooks){
		.managed = fdb_managed, .ports_changed = fdb_ports_changed, .arg = ifs,
		.tc_hold = ifs->hooks.tc_hold, .tc_arg = ifs->hooks.tc_arg,
	};
}

/* ------------------------------------------------------------------ */
/* conntrack offload                                                   */

void rd_daemon_publish_conntrack(void *arg)
{
	struct rd_daemon *d = arg;

	rd_cachectl_set_conntrack(&d->cache, d->off.generation, d->off.tcp_timeout_s,
				  d->off.udp_timeout_s);
}

void rd_daemon_offload_mode(struct rd_daemon *d, enum rd_nf_mode mode)
{
	if (mode == RD_NF_OFFLOAD && !d->off.active) {
		rd_offload_open(&d->off, d->dp.skel->obj);
		rd_nf_refuse_offload(&d->nf, d->dp.admission_error[0] ? d->dp.admission_error
								      : d->off.error);
		rd_daemon_publish_conntrack(d);
		if (d->cache.loop)
			rd_offload_start(&d->off, d->cache.loop, rd_daemon_publish_conntrack, d);
	} else if (mode != RD_NF_OFFLOAD && d->off.active) {
		rd_offload_close(&d->off);
	}
}

/* ------------------------------------------------------------------ */
/* reload                                                              */

int rd_daemon_reload(struct rd_daemon *d, char *err, size_t errlen)
{
	static struct rd_config next; /* large: keep it off the stack */

	if (!d->load_config) {
		snprintf(err, errlen, "reload: no configuration source");
		return -1;
	}
	if (d->load_config(d->cli, &next, err, errlen))
		return -1;
	if (strcmp(next.socket_path, d->cfg.socket_path) || strcmp(next.pin_dir, d->cfg.pin_dir))
		rd_warn("reload: socket and pin-dir changes take effect at the next start");
	snprintf(next.socket_path, sizeof(next.socket_path), "%s", d->cfg.socket_path);
	snprintf(next.pin_dir, sizeof(next.pin_dir), "%s", d->cfg.pin_dir);
	rd_log_set_level(next.log_level);
	rd_ifaces_apply_config(&d->ifaces, &next);
	rd_cachectl_set_enabled(&d->cache, next.route_cache);
	rd_daemon_offload_mode(d, next.netfilter);
	rd_nf_set_mode(&d->nf, next.netfilter);
	d->cfg = next;
	d->reloads++;
	rd_info("configuration reloaded: %zu interface(s)", d->cfg.n_ifaces);
	return 0;
}
