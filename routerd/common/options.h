/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Command-line option tables (the idea of xdp-tools' lib/util/params.h):
 * one row an option, from which getopt_long's table, its short-option
 * string and the Options part of --help are made, so the three cannot
 * disagree. Used by routerd and routerctl.
 */
#ifndef RD_OPTIONS_H
#define RD_OPTIONS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

/* Values from here up name long-only options. */
#define RD_OPT_LONG_ONLY 256

struct rd_opt {
	const char *name;  /* --name */
	int val;           /* its short letter, or >= RD_OPT_LONG_ONLY */
	const char *arg;   /* the argument's placeholder in help; NULL: none */
	const char *help;  /* '\n' continues on the next line */
};

/* Fills longs (n + 1 entries, the last zeroed) and shorts (at least
 * 2 n + 2 bytes), prefixed with `prefix` (e.g. "+:"). */
void rd_opts_getopt(const struct rd_opt *t, size_t n, const char *prefix, struct option *longs,
		    char *shorts);
/* The rows of --help, the help at column col (a longer head is followed
 * by two blanks). */
void rd_opts_usage(const struct rd_opt *t, size_t n, int col, FILE *out);

#endif
