/* SPDX-License-Identifier: GPL-2.0 */
/* The daemon's state, one instance, shared by main.c and the command
 * handlers. Each member is owned by its module; daemon.c holds the seams
 * between them that main wires, and reload. */
#ifndef RD_DAEMON_H
#define RD_DAEMON_H

#include <time.h>

struct cli;

#include "daemon/cachectl.h"
#include "common/config.h"
#include "daemon/ctl.h"
#include "daemon/datapath.h"
#include "bridge/mirror.h"
#include "daemon/freshness.h"
#include "daemon/ifaces.h"
#include "netfilter/netfilter.h"
#include "netfilter/offload.h"
#include "daemon/netlink.h"
#include "daemon/nl_events.h"
#include "daemon/tc.h"

struct rd_daemon {
	struct rd_config cfg;
	struct rd_datapath dp;
	struct rd_ifaces ifaces;
	struct rd_ctl ctl;
	struct rd_nl_events events; /* the one netlink event reader */
	struct rd_netlink nl;
	struct rd_freshness fresh;
	struct rd_cachectl cache;
	struct rd_fdb fdb;
	struct rd_netfilter nf;
	struct rd_offload off;
	unsigned long ct_rulesets; /* nf.ruleset_changes the generation follows */
	struct rd_tc tc;
	unsigned long reloads;
	char last_reload_error[512];
	struct timespec started; /* CLOCK_MONOTONIC */
	const struct cli *cli;   /* how we were started, for reloads */
	/* builds the configuration from CLI (file, then the command line):
	 * 0, or non-zero with the message in err; main's, for reloads */
	int (*load_config)(const struct cli *cli, struct rd_config *cfg, char *err,
			   size_t errlen);
};

/* SIGHUP and `routerctl reload`: re-read the config and apply the interface
 * changes. Returns 0, or -1 with the reason (the running set is kept). */
int rd_daemon_reload(struct rd_daemon *d, char *err, size_t errlen);

/* Conntrack offload set up or down for MODE (at start and on reload), and
 * its generation and timeouts published to rd_cache_ctl (offload.c calls
 * this back when they change). */
void rd_daemon_offload_mode(struct rd_daemon *d, enum rd_nf_mode mode);
void rd_daemon_publish_conntrack(void *arg);

/* The interface table and the bridge mirror, each given hooks to the
 * other instead of calling it by name: IFS's now, the mirror's in *HOOKS
 * for rd_fdb_start(). */
void rd_wire_bridge(struct rd_ifaces *ifs, struct rd_fdb *fdb, struct rd_fdb_hooks *hooks);
/* The tc holds: the interface table asks TC through its hooks, and TC has
 * the table describe its ports again when a port's hold changes. Before
 * rd_ifaces_attach_all() and rd_wire_bridge() (which passes the tc hook on
 * to the mirror). */
void rd_wire_tc(struct rd_ifaces *ifs, struct rd_tc *tc);

#endif
