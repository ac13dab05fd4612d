// SPDX-License-Identifier: GPL-2.0
/* The verb table (common/protocol.h) and the dispatch it drives
 * (rd_ctl_dispatch): who may run what, with which arguments, and that
 * routerctl's completion offers what the table says. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ctl.h"

static int calls[RD_VERB__MAX];
static bool saw_json;

static int fake(enum rd_verb_id id, struct rd_print *p)
{
	calls[id]++;
	saw_json = rd_print_is_json(p);
	rd_print_open_object(p, NULL);
	rd_print_string(p, PRINT_ANY, "verb", "ran %s", rd_verbs[id].name);
	rd_print_close_object(p);
	rd_print_nl(p);
	rd_print_end(p);
	return 0;
}

#define FAKE(id)                                                                               \
	static int fake_##id(void *ctx, const struct rd_ctl_request *req, struct rd_print *p,    \
			     char *err, size_t errlen)                                           \
	{                                                                                        \
		return fake(id, p);                                                              \
	}
FAKE(RD_VERB_STATUS)
FAKE(RD_VERB_FDB)
FAKE(RD_VERB_STATS)
FAKE(RD_VERB_RELOAD)

static const rd_ctl_verb_fn handlers[RD_VERB__MAX] = {
	[RD_VERB_STATUS] = fake_RD_VERB_STATUS,
	[RD_VERB_FDB] = fake_RD_VERB_FDB,
	[RD_VERB_STATS] = fake_RD_VERB_STATS,
	[RD_VERB_RELOAD] = fake_RD_VERB_RELOAD,
};

/* Sends LINE as a peer (root or not); returns the dispatch result with
 * the body or the error in out. */
static int ask(const char *line, bool privileged, char *out, size_t outlen)
{
	struct rd_ctl_request req;
	struct rd_buf body = { 0 };
	char copy[256], err[256] = "";
	int rc;

	snprintf(copy, sizeof(copy), "%s", line);
	cr_assert_eq(rd_ctl_parse_request(copy, &req, err, sizeof(err)), 0, "%s", err);
	req.privileged = privileged;
	rc = rd_ctl_dispatch(handlers, NULL, &req, &body, err, sizeof(err));
	snprintf(out, outlen, "%s", rc ? err : body.data ? body.data : "");
	rd_buf_free(&body);
	return rc;
}

static void reset(void)
{
	memset(calls, 0, sizeof(calls));
}

Test(verbs, dispatch_runs_the_handler_in_the_mode_asked, .init = reset)
{
	char out[256];

	cr_assert_eq(ask("status", false, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "ran status\n");
	cr_assert_not(saw_json);
	cr_assert_eq(ask("-j status", false, out, sizeof(out)), 0);
	cr_assert_str_eq(out, "{\"verb\":\"status\"}\n");
	cr_assert(saw_json);
	cr_assert_eq(calls[RD_VERB_STATUS], 2);
}

Test(verbs, a_privileged_verb_needs_a_privileged_peer, .init = reset)
{
	char out[256];

	cr_assert(rd_verbs[RD_VERB_RELOAD].flags & RD_VERB_PRIVILEGED);
	cr_assert_eq(ask("reload", false, out, sizeof(out)), -1);
	cr_assert_str_eq(out, "reload: permission denied (root only)");
	cr_assert_eq(calls[RD_VERB_RELOAD], 0, "the handler ran for an unprivileged peer");
	cr_assert_eq(ask("reload", true, out, sizeof(out)), 0);
	cr_assert_eq(calls[RD_VERB_RELOAD], 1);
}

Test(verbs, arguments_are_checked_before_the_handler, .init = reset)
{
	char out[256];

	cr_assert_eq(ask("status now", false, out, sizeof(out)), -1);
	cr_assert_str_eq(out, "status takes no arguments");
	cr_assert_eq(ask("fdb ports", false, out, sizeof(out)), 0);
	cr_assert_eq(ask("fdb ports stats", false, out, sizeof(out)), -1);
	cr_assert_str_eq(out, "fdb takes at most 1 argument");
	cr_assert_eq(ask("stats -s -s -s", false, out, sizeof(out)), 0); /* any number */
	/* arguments are refused before privilege, as before the table */
	cr_assert_eq(ask("reload now", false, out, sizeof(out)), -1);
	cr_assert_str_eq(out, "reload takes no arguments");
	cr_assert_eq(calls[RD_VERB_STATUS] + calls[RD_VERB_RELOAD], 0);
	cr_assert_eq(calls[RD_VERB_FDB], 1);
}

Test(verbs, unknown_and_client_verbs_are_refused_naming_routerds_own, .init = reset)
{
	char out[256];

	cr_assert_eq(ask("bogus", true, out, sizeof(out)), -1);
	cr_assert_str_eq(out, "unknown command 'bogus' (try: status, stats, fdb, reload)");
	/* monitor and help are routerctl's: routerd never runs them */
	cr_assert_eq(ask("monitor", true, out, sizeof(out)), -1);
	cr_assert(strstr(out, "unknown command 'monitor'"), "%s", out);
	/* a verb of the table this daemon has no handler for */
	cr_assert_eq(ask("neigh", true, out, sizeof(out)), -1);
	cr_assert(strstr(out, "unknown command 'neigh'"), "%s", out);
}

/* The contract (product.md, routerd(8)): the socket-group may run every
 * read-only verb; reload alone changes state. */
Test(verbs, the_table_is_the_contract)
{
	const char *order[] = { "status", "interfaces", "stats", "neigh", "fdb", "fixups", "conntrack",
				"metrics", "monitor", "reload", "help" };

	cr_assert_eq(RD_VERB__MAX, sizeof(order) / sizeof(order[0]));
	for (size_t i = 0; i < RD_VERB__MAX; i++) {
		const struct rd_verb *v = &rd_verbs[i];

		cr_assert_str_eq(v->name, order[i]);
		cr_assert(v->help && *v->help, "%s has no help", v->name);
		cr_assert_eq(rd_verb_find(v->name), v);
		cr_assert_eq(rd_verb_id(v), (enum rd_verb_id)i);
		cr_assert_eq(!!(v->flags & RD_VERB_PRIVILEGED), i == RD_VERB_RELOAD, "%s", v->name);
		cr_assert_eq(!!(v->flags & RD_VERB_CLIENT),
			     i == RD_VERB_MONITOR || i == RD_VERB_HELP, "%s", v->name);
	}
	cr_assert_null(rd_verb_find("stat"));
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *s = calloc(1, 1 << 16);

	cr_assert(f, "%s", path);
	cr_assert(s);
	fread(s, 1, (1 << 16) - 1, f);
	fclose(f);
	return s;
}

/* The completion is static (it must work without a running routerd or
 * routerctl in PATH): it must offer the table's verbs, in its order, and
 * under each verb's case every literal word of the verb's arguments. */
Test(verbs, completion_offers_what_the_table_says)
{
	char *comp = read_file(RD_SOURCE_ROOT "/routerd/routerctl/routerctl.bash-completion");
	char want[512] = "_routerctl_commands=\"";

	for (size_t i = 0; i < RD_VERB__MAX; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s", i ? " " : "",
			 rd_verbs[i].name);
	strcat(want, "\"\n");
	cr_assert(strstr(comp, want), "the completion lacks: %s", want);

	for (size_t i = 0; i < RD_VERB__MAX; i++) {
		char label[64], args[128], *word, *save = NULL, *start, *end;

		if (!*rd_verbs[i].args)
			continue;
		snprintf(label, sizeof(label), "\n\t%s)", rd_verbs[i].name);
		start = strstr(comp, label);
		cr_assert(start, "no completion case for %s", rd_verbs[i].name);
		/* the case runs to the next line indented by one tab only */
		for (end = start + 1; (end = strchr(end, '\n')); end++)
			if (end[1] == '\t' && end[2] != '\t')
				break;
		cr_assert(end);
		snprintf(args, sizeof(args), "%s", rd_verbs[i].args);
		for (word = strtok_r(args, "[]| ", &save); word; word = strtok_r(NULL, "[]| ", &save)) {
			char quoted[64];

			if (word[0] >= 'A' && word[0] <= 'Z')
				continue; /* a placeholder: IFACE, SEC, N */
			snprintf(quoted, sizeof(quoted), "%s", word);
			cr_assert(memmem(start, end - start, quoted, strlen(quoted)),
				  "the completion of %s does not offer '%s'", rd_verbs[i].name, word);
		}
	}
	free(comp);
}
