// SPDX-License-Identifier: GPL-2.0
/* The control request parser: what the daemon accepts from its socket. */
#include <criterion/criterion.h>
#include <string.h>

#include "daemon/ctl.h"

static char err[256];

Test(ctl, verb_args_and_json_flag)
{
	char line[] = "-j stats  -s";
	struct rd_ctl_request req;

	cr_assert_eq(rd_ctl_parse_request(line, &req, err, sizeof(err)), 0, "%s", err);
	cr_assert(req.json);
	cr_assert_eq(req.argc, 2);
	cr_assert_str_eq(req.argv[0], "stats");
	cr_assert_str_eq(req.argv[1], "-s");
}

Test(ctl, json_flag_only_before_the_verb)
{
	char line[] = "stats -j";
	struct rd_ctl_request req;

	cr_assert_eq(rd_ctl_parse_request(line, &req, err, sizeof(err)), 0);
	cr_assert_not(req.json);
	cr_assert_eq(req.argc, 2);
}

Test(ctl, empty_request_is_an_error)
{
	char line[] = "  \t ";
	struct rd_ctl_request req;

	cr_assert_eq(rd_ctl_parse_request(line, &req, err, sizeof(err)), -1);
	cr_assert(strstr(err, "empty request"), "%s", err);
}

Test(ctl, too_many_arguments_is_an_error)
{
	char line[256] = "stats";
	struct rd_ctl_request req;

	for (int i = 0; i < RD_CTL_MAX_ARGS; i++)
		strcat(line, " x");
	cr_assert_eq(rd_ctl_parse_request(line, &req, err, sizeof(err)), -1);
	cr_assert(strstr(err, "too many arguments"), "%s", err);
}
