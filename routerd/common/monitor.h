/* SPDX-License-Identifier: GPL-2.0 */
/*
 * routerctl monitor: owns turning two samples of routerd's counters into
 * per-interface rates, and writing them once as a text line per interface
 * or as one JSON object per interval.
 *
 * A sample is the daemon's `metrics` reply (the Prometheus text format):
 * the same numbers a Prometheus server graphs, read through the one stable
 * machine-readable text routerctl does not need a JSON parser for. Names
 * it does not know are skipped, so a newer daemon with more families or
 * reasons is fine.
 */
#ifndef RD_MONITOR_H
#define RD_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "common/json.h"

#define RD_MON_MAX_IFACES 256
#define RD_MON_MAX_REASONS 64

struct rd_mon_reason {
	char name[32];
	double packets;
};

struct rd_mon_iface {
	char name[64];
	double rx_packets, rx_bytes;
	double fwd_packets, fwd_bytes;   /* IPv4 and IPv6 */
	double br_packets, br_bytes;
	double pass_packets, pass_bytes; /* over every reason */
	double drop_packets, drop_bytes;
	size_t n_reasons;
	struct rd_mon_reason reasons[RD_MON_MAX_REASONS]; /* pass reasons */
};

struct rd_mon_sample {
	double t; /* CLOCK_MONOTONIC seconds, when the sample was taken */
	size_t n;
	struct rd_mon_iface ifs[RD_MON_MAX_IFACES];
};

/* Fills s (not s->t) from a metrics reply. Returns 0, or -1 when the text
 * is not the exposition format (a line that does not parse). */
int rd_mon_parse(const char *text, size_t len, struct rd_mon_sample *s);

/* The rates between two samples, for interfaces in both (and named `only`,
 * if given): text (a header, then a line per interface) or one JSON object
 * on one line. wall: the time of `now`, seconds since the epoch. */
void rd_mon_report(const struct rd_mon_sample *before, const struct rd_mon_sample *now,
		   double wall, bool json, const char *only, struct rd_buf *out);

#endif
