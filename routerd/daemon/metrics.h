/* SPDX-License-Identifier: GPL-2.0 */
/* routerctl metrics: the counters and the daemon's figures in the
 * Prometheus text exposition format (metrics.c says which). */
#ifndef RD_METRICS_H
#define RD_METRICS_H

#include <stddef.h>

#include "common/json.h"

struct rd_daemon;

/* Appends the exposition to b; 0, or -1 with the reason in err. */
int rd_metrics_report(struct rd_daemon *d, double uptime_s, struct rd_buf *b, char *err,
		      size_t errlen);

#endif
