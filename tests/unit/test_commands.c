// SPDX-License-Identifier: GPL-2.0
/*
 * The control verbs (routerd/daemon/commands.c) driven through the library
 * on a minimal daemon: no socket, no maps, no privileges. What a request
 * gets: the error for a bad one, a read-only verb's reply from the
 * daemon's state, the privilege check and reload (daemon.c), with the
 * configuration source main would give it replaced by a stub.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "daemon/commands.h"
#include "daemon/daemon.h"

static struct rd_daemon d;
static struct rd_managed_iface managed[1];
static struct rd_buf body;
static char err[256];
static int loads;

/* The line as the socket would carry it, through the parser and the verbs. */
static int run(const char *line, bool privileged)
{
	static char copy[RD_CTL_MAX_REQUEST];
	struct rd_ctl_request req;

	snprintf(copy, sizeof(copy), "%s", line);
	cr_assert_eq(rd_ctl_parse_request(copy, &req, err, sizeof(err)), 0, "%s", err);
	req.privileged = privileged;
	rd_buf_reset(&body);
	err[0] = '\0';
	return rd_commands_dispatch(&d, &req, &body, err, sizeof(err));
}

static const char *reply(void)
{
	return body.len ? body.data : "";
}

/* One interface that was configured but does not exist. */
static void setup(void)
{
	rd_log_init(true, RD_LOG_ERR);
	memset(&d, 0, sizeof(d));
	rd_config_init(&d.cfg);
	d.cache.enabled = d.cfg.route_cache;
	d.nf.mode = d.cfg.netfilter;
	memset(managed, 0, sizeof(managed));
	snprintf(managed[0].cfg.name, sizeof(managed[0].cfg.name), "rdcmd0");
	managed[0].att.link_fd = -1;
	d.ifaces.list = managed;
	d.ifaces.cap = d.ifaces.n = 1;
	loads = 0;
}

static void teardown(void)
{
	rd_buf_free(&body);
}

TestSuite(commands, .init = setup, .fini = teardown);

Test(commands, an_unknown_verb_is_named_in_the_error)
{
	cr_assert_eq(run("frobnicate", true), -1);
	cr_assert(strstr(err, "unknown command 'frobnicate'"), "%s", err);
}

Test(commands, a_verb_without_arguments_refuses_them)
{
	cr_assert_eq(run("status now", false), -1);
	cr_assert(strstr(err, "status takes no arguments"), "%s", err);
	cr_assert_eq(run("interfaces x", false), -1);
	cr_assert(strstr(err, "interfaces takes no arguments"), "%s", err);
}

Test(commands, interfaces_reports_the_daemons_table)
{
	cr_assert_eq(run("-j interfaces", false), 0, "%s", err);
	cr_assert(strstr(reply(), "\"name\":\"rdcmd0\""), "%s", reply());
	cr_assert(strstr(reply(), "\"attached\":false"), "%s", reply());
	cr_assert(strstr(reply(), "\"state\":\"missing\""), "%s", reply());
	cr_assert_eq(reply()[0], '[', "%s", reply());

	cr_assert_eq(run("interfaces", false), 0, "%s", err);
	cr_assert(strstr(reply(), "rdcmd0"), "%s", reply());
	cr_assert(strstr(reply(), "detached"), "%s", reply());
	cr_assert_null(strstr(reply(), "{"), "text, not JSON: %s", reply());
}

static int load_fails(const struct cli *cli, struct rd_config *cfg, char *e, size_t elen)
{
	loads++;
	snprintf(e, elen, "stub: line 3: unknown keyword");
	return 2;
}

/* What a config file with no interface left would give: the one there
 * leaves, the log level changes. */
static int load_ok(const struct cli *cli, struct rd_config *cfg, char *e, size_t elen)
{
	loads++;
	rd_config_init(cfg);
	cfg->log_level = RD_LOG_DEBUG;
	cfg->route_cache = d.cache.enabled;
	cfg->netfilter = d.nf.mode;
	return 0;
}

Test(commands, reload_is_root_only)
{
	d.load_config = load_ok;
	cr_assert_eq(run("reload", false), -1);
	cr_assert(strstr(err, "permission denied"), "%s", err);
	cr_assert_eq(loads, 0, "the configuration was read for an unprivileged peer");
	cr_assert_eq(d.reloads, 0);
}

Test(commands, a_failed_reload_keeps_the_running_configuration)
{
	d.load_config = load_fails;
	cr_assert_eq(run("reload", true), -1);
	cr_assert(strstr(err, "line 3: unknown keyword"), "%s", err);
	cr_assert_eq(loads, 1);
	cr_assert_eq(d.reloads, 0);
	cr_assert_eq(d.ifaces.n, 1, "the interface was dropped by a failed reload");
}

Test(commands, reload_applies_the_new_configuration)
{
	d.load_config = load_ok;
	cr_assert_eq(run("-j reload", true), 0, "%s", err);
	cr_assert_str_eq(reply(), "{\"reloaded\":true}\n");
	cr_assert_eq(loads, 1);
	cr_assert_eq(d.reloads, 1);
	cr_assert_eq(d.cfg.log_level, RD_LOG_DEBUG);
	cr_assert_eq(d.ifaces.n, 0, "rdcmd0 left the config but is still managed");
	cr_assert_eq(run("status", false), 0, "%s", err);
}
