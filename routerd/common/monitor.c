// SPDX-License-Identifier: GPL-2.0
/* routerctl monitor: rates from two metrics samples (monitor.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/monitor.h"
#include "common/print.h"

/* ------------------------------------------------------------------ */
/* Parsing the exposition                                              */

struct labels {
	char interface[64];
	char family[16];
	char reason[32];
};

/* One label value after its opening quote: unescapes into out (truncated
 * to its size); returns the position after the closing quote, or NULL. */
static const char *parse_value(const char *p, const char *end, char *out, size_t outlen)
{
	size_t n = 0;

	for (; p < end && *p != '"'; p++) {
		char c = *p;

		if (c == '\\') {
			if (++p == end)
				return NULL;
			c = *p == 'n' ? '\n' : *p;
		}
		if (n + 1 < outlen)
			out[n++] = c;
	}
	if (outlen)
		out[n] = '\0';
	return p < end ? p + 1 : NULL;
}

/* {k="v",...}: the labels this module reads; others are skipped. */
static const char *parse_labels(const char *p, const char *end, struct labels *l)
{
	while (p < end && *p != '}') {
		const char *eq = memchr(p, '=', end - p);
		char scratch[64], *dst = scratch;
		size_t dstlen = sizeof(scratch);
		size_t klen;

		if (!eq || eq + 1 >= end || eq[1] != '"')
			return NULL;
		klen = eq - p;
		if (klen == 9 && !memcmp(p, "interface", 9))
			dst = l->interface, dstlen = sizeof(l->interface);
		else if (klen == 6 && !memcmp(p, "family", 6))
			dst = l->family, dstlen = sizeof(l->family);
		else if (klen == 6 && !memcmp(p, "reason", 6))
			dst = l->reason, dstlen = sizeof(l->reason);
		p = parse_value(eq + 2, end, dst, dstlen);
		if (!p)
			return NULL;
		if (p < end && *p == ',')
			p++;
	}
	return p < end ? p + 1 : NULL;
}

static struct rd_mon_iface *iface_of(struct rd_mon_sample *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->ifs[i].name, name))
			return &s->ifs[i];
	if (s->n == RD_MON_MAX_IFACES)
		return NULL;
	memset(&s->ifs[s->n], 0, sizeof(s->ifs[0]));
	snprintf(s->ifs[s->n].name, sizeof(s->ifs[0].name), "%s", name);
	return &s->ifs[s->n++];
}

static void add_reason(struct rd_mon_iface *f, const char *reason, double v)
{
	if (f->n_reasons == RD_MON_MAX_REASONS)
		return;
	snprintf(f->reasons[f->n_reasons].name, sizeof(f->reasons[0].name), "%s", reason);
	f->reasons[f->n_reasons++].packets = v;
}

/* Where each per-interface family goes. */
static void store(struct rd_mon_iface *f, const char *name, size_t nlen,
		  const struct labels *l, double v)
{
#define IS(s) (nlen == sizeof(s) - 1 && !memcmp(name, s, nlen))
	if (IS("routerd_rx_packets_total"))
		f->rx_packets = v;
	else if (IS("routerd_rx_bytes_total"))
		f->rx_bytes = v;
	else if (IS("routerd_forwarded_packets_total"))
		f->fwd_packets += v;
	else if (IS("routerd_forwarded_bytes_total"))
		f->fwd_bytes = v;
	else if (IS("routerd_bridged_packets_total"))
		f->br_packets = v;
	else if (IS("routerd_bridged_bytes_total"))
		f->br_bytes = v;
	else if (IS("routerd_passed_packets_total")) {
		f->pass_packets += v;
		add_reason(f, l->reason, v);
	} else if (IS("routerd_passed_bytes_total"))
		f->pass_bytes = v;
	else if (IS("routerd_dropped_packets_total"))
		f->drop_packets += v;
	else if (IS("routerd_dropped_bytes_total"))
		f->drop_bytes = v;
#undef IS
}

int rd_mon_parse(const char *text, size_t len, struct rd_mon_sample *s)
{
	const char *p = text, *end = text + len;

	s->n = 0;
	while (p < end) {
		const char *eol = memchr(p, '\n', end - p), *q, *name = p;
		struct labels l = { "", "", "" };
		char num[64];
		size_t nlen;
		double v;
		char *stop;

		if (!eol)
			eol = end;
		if (p == eol || *p == '#') {
			p = eol + 1;
			continue;
		}
		for (q = p; q < eol && *q != '{' && *q != ' '; q++)
			;
		nlen = q - name;
		if (q < eol && *q == '{') {
			q = parse_labels(q + 1, eol, &l);
			if (!q)
				return -1;
		}
		if (q >= eol || *q != ' ' || (size_t)(eol - q) >= sizeof(num))
			return -1;
		memcpy(num, q + 1, eol - q - 1);
		num[eol - q - 1] = '\0';
		v = strtod(num, &stop);
		if (stop == num)
			return -1;
		if (l.interface[0]) {
			struct rd_mon_iface *f = iface_of(s, l.interface);

			if (f)
				store(f, name, nlen, &l, v);
		}
		p = eol + 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Rates                                                               */

struct top {
	const char *name;
	double pps;
};

struct rates {
	const char *name;
	double rx_pps, rx_bps, fwd_pps, fwd_bps, br_pps, br_bps;
	double pass_pps, pass_bps, drop_pps, drop_bps;
	double xdp_share; /* of the received packets, those XDP ended itself; NaN: none */
	struct top top[3];
	int n_top;
};

/* A counter that went back (routerd restarted on fresh maps) reads as 0. */
static double rate(double before, double now, double dt)
{
	return now >= before ? (now - before) / dt : 0;
}

static void compute(const struct rd_mon_iface *a, const struct rd_mon_iface *b, double dt,
		    struct rates *r)
{
	memset(r, 0, sizeof(*r));
	r->name = b->name;
	r->rx_pps = rate(a->rx_packets, b->rx_packets, dt);
	r->rx_bps = 8 * rate(a->rx_bytes, b->rx_bytes, dt);
	r->fwd_pps = rate(a->fwd_packets, b->fwd_packets, dt);
	r->fwd_bps = 8 * rate(a->fwd_bytes, b->fwd_bytes, dt);
	r->br_pps = rate(a->br_packets, b->br_packets, dt);
	r->br_bps = 8 * rate(a->br_bytes, b->br_bytes, dt);
	r->pass_pps = rate(a->pass_packets, b->pass_packets, dt);
	r->pass_bps = 8 * rate(a->pass_bytes, b->pass_bytes, dt);
	r->drop_pps = rate(a->drop_packets, b->drop_packets, dt);
	r->drop_bps = 8 * rate(a->drop_bytes, b->drop_bytes, dt);
	r->xdp_share = r->rx_pps > 0 ? (r->fwd_pps + r->br_pps + r->drop_pps) / r->rx_pps : NAN;
	/* the three pass reasons that grew fastest */
	for (size_t i = 0; i < b->n_reasons; i++) {
		double before = 0, pps;
		int k;

		for (size_t j = 0; j < a->n_reasons; j++)
			if (!strcmp(a->reasons[j].name, b->reasons[i].name))
				before = a->reasons[j].packets;
		pps = rate(before, b->reasons[i].packets, dt);
		if (pps <= 0)
			continue;
		for (k = r->n_top; k > 0 && r->top[k - 1].pps < pps; k--)
			if (k < 3)
				r->top[k] = r->top[k - 1];
		if (k < 3) {
			r->top[k] = (struct top){ b->reasons[i].name, pps };
			if (r->n_top < 3)
				r->n_top++;
		}
	}
}

/* ------------------------------------------------------------------ */
/* Output                                                              */

/* 12.3k, 4.56M: what fits a column. */
static const char *human(double v, char *buf, size_t len)
{
	static const char units[] = " kMGT";
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.*f%c", v < 10 ? 2 : v < 100 ? 1 : 0, v, units[u]);
	else
		snprintf(buf, len, "%.*f", v < 100 ? 1 : 0, v);
	return buf;
}

/* A rate: a number in JSON, humanised in its text column (or only JSON). */
static void print_rate(struct rd_print *p, const char *key, double v, int decimals,
		       bool column)
{
	char h[16];

	rd_print_float(p, PRINT_JSON, key, NULL, v, decimals);
	if (column)
		rd_print_string(p, PRINT_TEXT, NULL, " %9s", human(v, h, sizeof(h)));
}

static void iface_print(struct rd_print *p, const struct rates *r)
{
	char h[16], share[16] = "-";

	rd_print_open_object(p, NULL);
	rd_print_string(p, PRINT_ANY, "name", "%-16s", r->name);
	print_rate(p, "rx_pps", r->rx_pps, 2, true);
	print_rate(p, "rx_bps", r->rx_bps, 1, true);
	/* the XDP share: a percentage next to the receive rates in text, a
	 * fraction after the rates in JSON (null: nothing received) */
	if (!isnan(r->xdp_share))
		snprintf(share, sizeof(share), "%.1f%%", 100 * r->xdp_share);
	rd_print_string(p, PRINT_TEXT, NULL, " %6s", share);
	print_rate(p, "forwarded_pps", r->fwd_pps, 2, true);
	print_rate(p, "forwarded_bps", r->fwd_bps, 1, true);
	print_rate(p, "bridged_pps", r->br_pps, 2, true);
	print_rate(p, "bridged_bps", r->br_bps, 1, false);
	print_rate(p, "passed_pps", r->pass_pps, 2, true);
	print_rate(p, "passed_bps", r->pass_bps, 1, false);
	print_rate(p, "dropped_pps", r->drop_pps, 2, true);
	print_rate(p, "dropped_bps", r->drop_bps, 1, false);
	rd_print_float(p, PRINT_JSON, "xdp_share", NULL, r->xdp_share, 4);
	rd_print_text(p, "  ");
	rd_print_open_array(p, "top_pass_reasons");
	for (int i = 0; i < r->n_top; i++) {
		rd_print_open_object(p, NULL);
		rd_print_text(p, "%s", i ? ", " : "");
		rd_print_string(p, PRINT_ANY, "reason", "%s", r->top[i].name);
		rd_print_float(p, PRINT_JSON, "pps", NULL, r->top[i].pps, 2);
		rd_print_string(p, PRINT_TEXT, NULL, " %s/s", human(r->top[i].pps, h, sizeof(h)));
		rd_print_close_object(p);
	}
	rd_print_close_array(p);
	if (!r->n_top)
		rd_print_text(p, "-");
	rd_print_close_object(p);
	rd_print_nl(p);
}

void rd_mon_report(const struct rd_mon_sample *before, const struct rd_mon_sample *now,
		   double wall, bool json, const char *only, struct rd_buf *out)
{
	double dt = now->t - before->t;
	time_t t = (time_t)wall;
	struct rd_print p;
	struct rates r;
	char when[32];

	if (dt <= 0)
		dt = 1e-9;
	rd_print_init(&p, out, json);
	rd_print_open_object(&p, NULL);
	rd_print_float(&p, PRINT_JSON, "time", NULL, wall, 3);
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	rd_print_string(&p, PRINT_TEXT, NULL, "%s", when);
	rd_print_float(&p, PRINT_ANY, "interval_s", "  over %.2f s\n", dt, 3);
	rd_print_text(&p, "%-16s %9s %9s %6s %9s %9s %9s %9s %9s  %s\n", "IFACE", "RX pkt/s",
		      "RX bit/s", "XDP", "FWD pkt/s", "FWD bit/s", "BRG pkt/s", "PASS pk/s",
		      "DROP pk/s", "TOP PASS REASONS");
	rd_print_open_array(&p, "interfaces");
	for (size_t i = 0; i < now->n; i++) {
		const struct rd_mon_iface *b = &now->ifs[i], *a = NULL;

		if (only && strcmp(b->name, only))
			continue;
		for (size_t k = 0; k < before->n && !a; k++)
			if (!strcmp(before->ifs[k].name, b->name))
				a = &before->ifs[k];
		if (!a)
			continue; /* appeared in between: rates next time */
		compute(a, b, dt, &r);
		iface_print(&p, &r);
	}
	rd_print_close_array(&p);
	rd_print_close_object(&p);
	rd_print_end(&p);
}
