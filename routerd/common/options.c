// SPDX-License-Identifier: GPL-2.0
/* Option tables (options.h). */
#include <string.h>

#include "common/options.h"
#include "common/print.h"

void rd_opts_getopt(const struct rd_opt *t, size_t n, const char *prefix, struct option *longs,
		    char *shorts)
{
	size_t k = strlen(prefix);

	memcpy(shorts, prefix, k);
	for (size_t i = 0; i < n; i++) {
		longs[i] = (struct option){ t[i].name, t[i].arg ? required_argument : no_argument,
					    NULL, t[i].val };
		if (t[i].val < RD_OPT_LONG_ONLY) {
			shorts[k++] = t[i].val;
			if (t[i].arg)
				shorts[k++] = ':';
		}
	}
	shorts[k] = '\0';
	longs[n] = (struct option){ 0 };
}

void rd_opts_usage(const struct rd_opt *t, size_t n, int col, FILE *out)
{
	for (size_t i = 0; i < n; i++) {
		const char *sp = t[i].arg ? " " : "", *arg = t[i].arg ? t[i].arg : "";
		char head[64];

		if (t[i].val < RD_OPT_LONG_ONLY)
			snprintf(head, sizeof(head), "  -%c, --%s%s%s", t[i].val, t[i].name, sp, arg);
		else
			snprintf(head, sizeof(head), "      --%s%s%s", t[i].name, sp, arg);
		rd_print_help_row(out, head, col, false, t[i].help);
	}
}
