// SPDX-License-Identifier: GPL-2.0
/*
 * routerd: attach the XDP fast path to the configured interfaces, keep its
 * maps right, and answer routerctl on the control socket.
 */
#include <errno.h>
#include <getopt.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <ev.h>

#include "daemon/commands.h"
#include "daemon/daemon.h"
#include "common/log.h"
#include "common/options.h"
#include "routerd.skel.h"

/* The command line, one row an option (common/options.h): getopt_long's
 * table, its short option string and the Options part of --help are all
 * made from it, so they cannot disagree. */
enum {
	OPT_CHECK = RD_OPT_LONG_ONLY, OPT_PIN_DIR, OPT_RCVBUF, OPT_SOCKET_GROUP, OPT_ROUTE_CACHE,
	OPT_NETFILTER,
};

static const struct rd_opt cli_opts[] = {
	{ "interface", 'i', "IFACE", "serve IFACE (repeatable); mode auto, fix-ups off;\n"
				     "a pattern (vnet*) serves present and future matches" },
	{ "bridge", 'b', "BRIDGE", "serve every port of BRIDGE, present and future\n"
				   "(repeatable); mode auto, fix-ups off" },
	{ "config", 'c', "FILE", "read interfaces and settings from FILE\n"
				 "(format: routerd.conf(5); default when no -i:\n"
				 RD_DEFAULT_CONFIG ")" },
	{ "check-config", OPT_CHECK, NULL, "parse the configuration, report problems, exit;\n"
					   "touches nothing" },
	{ "socket", 's', "PATH", "control socket (default " RD_DEFAULT_SOCKET ")" },
	{ "socket-group", OPT_SOCKET_GROUP, "GROUP",
	  "members of GROUP may use the read-only verbs\n"
	  "(status, interfaces, stats, neigh, fdb, fixups,\n"
	  "conntrack, metrics, monitor); default: root\n"
	  "only (mode 0600)" },
	{ "pin-dir", OPT_PIN_DIR, "DIR", "bpffs directory for pinned maps and links\n"
					 "(default " RD_DEFAULT_PIN_DIR ")" },
	{ "foreground", 'f', NULL, "stay in the foreground, log to stderr" },
	{ "log-level", 'l', "LEVEL", "error, warning, info (default) or debug" },
	{ "route-cache", OPT_ROUTE_CACHE, "on|off", "the per-CPU route cache in front of the FIB\n"
						    "lookup (default on; see docs/architecture.md)" },
	{ "netfilter", OPT_NETFILTER, "auto|offload|off",
	  "auto (default): traffic the netfilter\n"
	  "ruleset could drop, rewrite or mark goes to the\n"
	  "kernel; offload: as auto, plus established flows\n"
	  "the ruleset accepted forwarded in XDP with their\n"
	  "NAT; off: XDP bypasses netfilter (docs/firewall.md)" },
	{ "netlink-rcvbuf", OPT_RCVBUF, "BYTES", "netlink receive buffer (testing: a tiny one\n"
						 "provokes overruns and the resync that follows)" },
	{ "help", 'h', NULL, "show this help" },
	{ "version", 'V', NULL, "show the version" },
};
#define N_CLI_OPTS (sizeof(cli_opts) / sizeof(cli_opts[0]))
#define HELP_COLUMN 25

static void usage(FILE *out)
{
	fputs("Usage: routerd [OPTIONS] (-i IFACE ... | -b BRIDGE ... | -c FILE)\n"
	      "\n"
	      "Route IPv4 and IPv6 in XDP on the given interfaces, using the kernel's FIB.\n"
	      "Everything the fast path does not handle is passed to the kernel unchanged.\n"
	      "\n"
	      "Options:\n", out);
	rd_opts_usage(cli_opts, N_CLI_OPTS, HELP_COLUMN, out);
	fputs("\n"
	      "Command-line options override the config file.\n"
	      "\n"
	      "Signals:\n"
	      "  SIGTERM, SIGINT  detach XDP, remove the pins, exit 0: the kernel forwards again\n"
	      "  SIGHUP           re-read the config file; interfaces added, removed or\n"
	      "                   changed are applied without touching the others\n"
	      "  SIGKILL          XDP stays attached (pinned links) and keeps forwarding;\n"
	      "                   the next routerd adopts it without detaching\n"
	      "\n"
	      "Exit status: 0 on a clean stop, 1 on a runtime error, 2 on bad usage or config.\n"
	      "See routerd(8) and routerd.conf(5); routerctl(8) queries a running routerd.\n",
	      out);
}

struct cli {
	const char *config_file;
	bool check_only;
	bool foreground;
	const char *socket_path;
	const char *socket_group;
	const char *pin_dir;
	const char *log_level;
	int netlink_rcvbuf;
	const char *route_cache;
	const char *netfilter;
	const char *ifaces[RD_MAX_CONFIG_IFACES];
	bool is_bridge[RD_MAX_CONFIG_IFACES]; /* -b rather than -i */
	size_t n_ifaces;
};

static int parse_cli(int argc, char **argv, struct cli *cli)
{
	struct option opts[N_CLI_OPTS + 1];
	char shorts[2 * N_CLI_OPTS + 2];
	int c;

	rd_opts_getopt(cli_opts, N_CLI_OPTS, "", opts, shorts);
	while ((c = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		switch (c) {
		case 'i':
		case 'b':
			if (cli->n_ifaces == RD_MAX_CONFIG_IFACES) {
				fprintf(stderr, "routerd: too many -i and -b (at most %d)\n",
					RD_MAX_CONFIG_IFACES);
				return 2;
			}
			cli->is_bridge[cli->n_ifaces] = c == 'b';
			cli->ifaces[cli->n_ifaces++] = optarg;
			break;
		case 'c': cli->config_file = optarg; break;
		case OPT_CHECK: cli->check_only = true; break;
		case 's': cli->socket_path = optarg; break;
		case OPT_PIN_DIR: cli->pin_dir = optarg; break;
		case OPT_SOCKET_GROUP: cli->socket_group = optarg; break;
		case OPT_ROUTE_CACHE: cli->route_cache = optarg; break;
		case OPT_NETFILTER: cli->netfilter = optarg; break;
		case 'f': cli->foreground = true; break;
		case 'l': cli->log_level = optarg; break;
		case OPT_RCVBUF: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (*end || v < 0 || v > (1 << 30)) {
				fprintf(stderr, "routerd: --netlink-rcvbuf: bad size '%s'\n", optarg);
				return 2;
			}
			cli->netlink_rcvbuf = v;
			break;
		}
		case 'h': usage(stdout); exit(0);
		case 'V': printf("routerd %s\n", RD_VERSION); exit(0);
		default:
			fprintf(stderr, "Try 'routerd --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "routerd: unexpected argument '%s'\nTry 'routerd --help'.\n",
			argv[optind]);
		return 2;
	}
	return 0;
}

/* File first, then the command line on top of it. Returns 0, or 2 with
 * the message in err. */
static int build_config(const struct cli *cli, struct rd_config *cfg, char *err, size_t errlen)
{
	rd_config_init(cfg);
	if (cli->config_file || !cli->n_ifaces) {
		const char *file = cli->config_file ? cli->config_file : RD_DEFAULT_CONFIG;

		if (rd_config_parse_file(cfg, file, err, errlen))
			goto bad;
	}
	for (size_t i = 0; i < cli->n_ifaces; i++)
		if ((cli->is_bridge[i] ? rd_config_add_bridge : rd_config_add_iface)(
			    cfg, cli->ifaces[i], RD_MODE_AUTO, &(struct rd_fixups){ 0 }, err, errlen))
			goto bad;
	if (cli->socket_path &&
	    rd_config_set_path(cfg->socket_path, sizeof(cfg->socket_path), "--socket",
			       cli->socket_path, err, errlen))
		goto bad;
	if (cli->socket_group &&
	    rd_config_set_path(cfg->socket_group, sizeof(cfg->socket_group), "--socket-group",
			       cli->socket_group, err, errlen))
		goto bad;
	if (cli->pin_dir && rd_config_set_path(cfg->pin_dir, sizeof(cfg->pin_dir), "--pin-dir",
					       cli->pin_dir, err, errlen))
		goto bad;
	if (cli->log_level && rd_log_level_parse(cli->log_level, &cfg->log_level)) {
		snprintf(err, errlen, "--log-level: unknown level '%s'", cli->log_level);
		goto bad;
	}
	if (cli->route_cache) {
		char line[32];

		snprintf(line, sizeof(line), "route-cache %.8s", cli->route_cache);
		if (rd_config_parse_line(cfg, line, err, errlen))
			goto bad;
	}
	if (cli->netfilter) {
		char line[32];

		snprintf(line, sizeof(line), "netfilter %.12s", cli->netfilter);
		if (rd_config_parse_line(cfg, line, err, errlen)) {
			/* name the flag, not a config line */
			char msg[256];

			snprintf(msg, sizeof(msg), "--%s", err);
			snprintf(err, errlen, "%s", msg);
			goto bad;
		}
	}
	if (!cfg->n_ifaces) {
		snprintf(err, errlen, "no interfaces configured (use -i IFACE, -b BRIDGE, or an "
					   "'interface' or 'bridge' line in the config file)");
		goto bad;
	}
	return 0;
bad:
	return 2;
}

/* Say which capability is missing instead of failing later on EPERM. */
static int check_privileges(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };
	static const struct { int cap; const char *name; } needed[] = {
		{ CAP_NET_ADMIN, "CAP_NET_ADMIN" },
		{ CAP_SYS_ADMIN, "CAP_SYS_ADMIN" },
#ifdef CAP_BPF
		{ CAP_BPF, "CAP_BPF" },
#endif
	};

	if (syscall(SYS_capget, &hdr, data))
		return 0; /* cannot tell: let the kernel decide */
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		int cap = needed[i].cap;

		if (!(data[cap / 32].effective & (1u << (cap % 32)))) {
			fprintf(stderr, "routerd: missing privilege %s: run routerd as root "
					"(it needs CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN)\n",
				needed[i].name);
			return 1;
		}
	}
	return 0;
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	rd_debug("libbpf: %s", msg);
	return 0;
}

static bool detach_on_exit;

/*
 * Pins are what make a restart after kill -9 hitless. If someone removes
 * them (or unmounts bpffs) while routerd runs, forwarding is unaffected
 * (routerd holds the maps and links), so put them back and say so. A pin
 * dir that is re-created is locked again first (rd_dp_repin), so that no
 * second routerd can take it meanwhile; and each link must still be
 * attached where it should be.
 */
#define PIN_CHECK_S 1.0

static void on_pin_check(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct rd_daemon *d = w->data;
	static bool failing;
	char err[PATH_MAX + 128];
	int maps, links;

	maps = rd_dp_repin(&d->dp, err, sizeof(err));
	if (maps >= 0)
		rd_ifaces_verify(&d->ifaces); /* re-attaching pins: the pin dir must be there */
	links = maps < 0 ? 0 : rd_ifaces_repin(&d->ifaces);
	if (links < 0)
		snprintf(err, sizeof(err), "cannot pin the XDP links again: %s", strerror(errno));
	if (maps < 0 || links < 0) {
		if (!failing)
			rd_err("pins lost: %s; XDP keeps forwarding, but a restart after a crash "
			       "will not be hitless until they are back", err);
		failing = true;
		return;
	}
	if (maps + links)
		rd_warn("pins under %s had disappeared: restored %d map(s) and %d link(s)",
			d->cfg.pin_dir, maps, links);
	failing = false;
}

/* A cached flow skips the martian-source check against rd_local4, so a
 * change there must invalidate every cached route (bpf/lib/cache.h). */
static void bump_route_cache(void *cache)
{
	rd_cachectl_bump(cache);
}

/* A netconf change (rp_filter, forwarding): the interfaces and bridges
 * carry the settings the fast path needs. */
static void on_netconf(void *arg)
{
	struct rd_daemon *d = arg;

	rd_ifaces_reconcile(&d->ifaces);
	rd_fdb_netconf_changed(&d->fdb);
}

/* A tc hold changed: the bridge mirror rewrites rd_bridges and
 * rd_vlan_devs, which carry one too. */
static void on_tc_hold(void *fdb)
{
	rd_fdb_netconf_changed(fdb);
}

/* A qdisc or tc filter changed somewhere (routerd/daemon/tc.c reads
 * again), or events were lost: they may have been tc's. */
static void on_tc_event(void *tc, enum rd_nl_kind kind, const struct nlmsghdr *nlh)
{
	if (rd_tc_msg_type(nlh->nlmsg_type))
		rd_tc_changed(tc);
}

static void on_tc_resync(void *tc, const char *why)
{
	rd_tc_changed(tc);
}

/* The hold routed traffic gets: the verdict's, and with netfilter auto or
 * offload, everything once routerd falls silent (RD_NF_HOLD_SILENT). */
static __u32 routed_hold(const struct rd_daemon *d, __u32 hold)
{
	return hold | (d->nf.mode != RD_NF_OFF ? RD_NF_HOLD_SILENT : 0);
}

/* The ruleset is read before XDP is attached, so that no packet is
 * forwarded past a rule routerd does not know of yet. Never fails. */
static int netfilter_first(struct rd_daemon *d)
{
	rd_nf_open(&d->nf, d->cfg.netfilter);
	rd_daemon_offload_mode(d, d->cfg.netfilter);
	rd_cachectl_preset(&d->cache, &d->dp, routed_hold(d, rd_nf_hold(&d->nf)));
	rd_fdb_set_netfilter(&d->fdb, d->nf.verdict.hold & RD_NF_HOLD_BRIDGE);
	d->ct_rulesets = d->nf.ruleset_changes;
	return 0;
}

/* The netfilter hold goes to both fast-path records that carry it; a new
 * ruleset starts a new generation for offloaded flows first. */
static void apply_netfilter(void *arg, __u32 hold)
{
	struct rd_daemon *d = arg;

	if (d->nf.ruleset_changes != d->ct_rulesets) {
		d->ct_rulesets = d->nf.ruleset_changes;
		if (d->off.active)
			rd_offload_bump(&d->off);
	}
	rd_cachectl_set_netfilter(&d->cache, routed_hold(d, hold));
	rd_fdb_set_netfilter(&d->fdb, hold & RD_NF_HOLD_BRIDGE);
}

static void on_reload_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct rd_daemon *d = w->data;

	if (rd_daemon_reload(d, d->last_reload_error, sizeof(d->last_reload_error)))
		rd_err("reload failed, keeping the running configuration: %s",
		       d->last_reload_error);
}

static void on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	rd_info("received %s, detaching", strsignal(w->signum));
	detach_on_exit = true;
	ev_break(loop, EVBREAK_ALL);
}

/* tc is read before XDP is attached, so that a port tc holds is never in
 * rd_tx, and the interface table asks it through its hooks. */
static int tc_and_attach(struct rd_daemon *d, char *err, size_t errlen)
{
	if (rd_tc_open(&d->tc, &d->ifaces, err, errlen))
		return -1;
	rd_wire_tc(&d->ifaces, &d->tc);
	return rd_ifaces_attach_all(&d->ifaces, &d->dp, &d->cfg, err, errlen);
}

static int run(struct rd_daemon *d, bool foreground)
{
	struct ev_loop *loop;
	ev_signal sigterm, sigint, sighup;
	ev_timer pin_check;
	struct rd_fdb_hooks fdb_hooks;
	const struct rd_nl_consumer tc_events = {
		.name = "traffic control", .kinds = RD_NLK(RD_NLK_TC), .msg = on_tc_event,
		.resync = on_tc_resync, .arg = &d->tc,
	};
	char err[512];
	int status = 0;

	if (rd_ctl_open(&d->ctl, d->cfg.socket_path, d->cfg.socket_group, err, sizeof(err))) {
		rd_err("%s", err);
		return 1;
	}
	if (rd_dp_open(&d->dp, d->cfg.pin_dir, d->cfg.netfilter == RD_NF_OFFLOAD, err, sizeof(err)) ||
	    netfilter_first(d) ||
	    tc_and_attach(d, err, sizeof(err))) {
		rd_err("%s", err);
		rd_tc_stop(&d->tc);
		/* keep pins an earlier run left; remove only what we made */
		rd_dp_close(&d->dp, !d->dp.maps_reused);
		rd_ctl_close(&d->ctl);
		return 1;
	}

	/* Daemonize only once attached, so every setup error reaches the
	 * caller's terminal and exit status. */
	if (!foreground) {
		if (daemon(0, 0)) {
			rd_err("cannot daemonize: %s", strerror(errno));
			return 1;
		}
		rd_log_init(false, d->cfg.log_level);
	}
	rd_wire_bridge(&d->ifaces, &d->fdb, &fdb_hooks);
	loop = ev_default_loop(EVFLAG_AUTO);
	clock_gettime(CLOCK_MONOTONIC, &d->started);
	/* the one event reader, subscribed before anyone's first dump */
	if (rd_nl_events_open(&d->events, d->cli->netlink_rcvbuf, err, sizeof(err)) ||
	    rd_netlink_open(&d->nl, loop, &d->events, &d->ifaces, &d->dp, err, sizeof(err)) ||
	    rd_freshness_start(&d->fresh, loop, &d->dp, err, sizeof(err)) ||
	    rd_cachectl_start(&d->cache, loop, &d->events, &d->dp, d->cfg.route_cache, err,
			      sizeof(err)) ||
	    rd_fdb_start(&d->fdb, loop, &d->dp, &d->events, &fdb_hooks, err, sizeof(err)) ||
	    !rd_nl_events_add(&d->events, &tc_events)) {
		rd_err("%s", err);
		rd_netlink_close(&d->nl);
		rd_nl_events_close(&d->events);
		detach_on_exit = true;
		status = 1;
		goto out;
	}
	/* events between our attach and the subscription */
	rd_ifaces_reconcile(&d->ifaces);
	rd_ifaces_start(&d->ifaces, loop);
	d->cache.on_netconf = on_netconf;
	d->cache.on_netconf_arg = d;
	d->nl.on_local4 = bump_route_cache;
	d->nl.on_local4_arg = &d->cache;
	rd_nf_start(&d->nf, loop, apply_netfilter, d);
	rd_offload_start(&d->off, loop, rd_daemon_publish_conntrack, d);
	d->tc.on_change = on_tc_hold;
	d->tc.on_change_arg = &d->fdb;
	rd_tc_start(&d->tc, loop);
	rd_nl_events_start(&d->events, loop);
	rd_ctl_start(&d->ctl, loop, rd_commands_dispatch, d);
	ev_signal_init(&sigterm, on_stop_signal, SIGTERM);
	ev_signal_init(&sigint, on_stop_signal, SIGINT);
	ev_signal_init(&sighup, on_reload_signal, SIGHUP);
	sighup.data = d;
	ev_signal_start(loop, &sigterm);
	ev_signal_start(loop, &sigint);
	ev_signal_start(loop, &sighup);
	ev_timer_init(&pin_check, on_pin_check, PIN_CHECK_S, PIN_CHECK_S);
	pin_check.data = d;
	ev_timer_start(loop, &pin_check);
	signal(SIGPIPE, SIG_IGN);
	rd_info("ready: %zu interface(s), control socket %s", d->ifaces.n, d->cfg.socket_path);

	ev_run(loop, 0);

	rd_nf_stop(&d->nf);
	rd_offload_close(&d->off);
	rd_fdb_stop(&d->fdb);
	rd_cachectl_stop(&d->cache);
	rd_freshness_stop(&d->fresh);
	rd_netlink_close(&d->nl);
	rd_nl_events_close(&d->events);
out:
	rd_tc_stop(&d->tc);
	rd_ifaces_release_all(&d->ifaces, detach_on_exit);
	rd_dp_close(&d->dp, detach_on_exit);
	rd_ctl_close(&d->ctl);
	rd_info("stopped");
	return status;
}

int main(int argc, char **argv)
{
	static struct rd_daemon daemon_state;
	static struct cli cli;
	char err[512];
	int rc;

	rc = parse_cli(argc, argv, &cli);
	if (rc)
		return rc;
	rc = build_config(&cli, &daemon_state.cfg, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "routerd: %s\n", err);
		return rc;
	}
	daemon_state.cli = &cli;
	daemon_state.load_config = build_config;
	if (cli.check_only) {
		printf("configuration OK: %zu interface(s)\n", daemon_state.cfg.n_ifaces);
		return 0;
	}
	rd_log_init(true, daemon_state.cfg.log_level);
	if (check_privileges())
		return 1;
	libbpf_set_print(libbpf_log);
	return run(&daemon_state, cli.foreground);
}
