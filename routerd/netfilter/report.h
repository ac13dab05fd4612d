/* SPDX-License-Identifier: GPL-2.0 */
/* `routerctl conntrack` (report.c): conntrack offload's state and flows. */
#ifndef RD_NF_REPORT_H
#define RD_NF_REPORT_H

#include <stddef.h>

#include "common/print.h"

struct rd_daemon;

int rd_conntrack_report(struct rd_daemon *d, struct rd_print *p, char *err, size_t errlen);

#endif
