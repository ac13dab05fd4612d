// SPDX-License-Identifier: GPL-2.0
/* routerctl monitor's arithmetic (routerd/common/monitor.c): parsing metrics
 * samples, including hostile ones, and the rates between two of them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/monitor.h"

static struct rd_mon_sample *parse_ok(const char *text, double t)
{
	struct rd_mon_sample *s = calloc(1, sizeof(*s));

	cr_assert_not_null(s);
	cr_assert_eq(rd_mon_parse(text, strlen(text), s), 0, "does not parse:\n%s", text);
	s->t = t;
	return s;
}

static const char sample1[] =
	"# HELP routerd_rx_packets_total Frames.\n"
	"# TYPE routerd_rx_packets_total counter\n"
	"routerd_rx_packets_total{interface=\"eth0\"} 1000\n"
	"routerd_rx_packets_total{interface=\"eth1\"} 10\n"
	"routerd_rx_bytes_total{interface=\"eth0\"} 100000\n"
	"routerd_forwarded_packets_total{interface=\"eth0\",family=\"ipv4\"} 600\n"
	"routerd_forwarded_packets_total{interface=\"eth0\",family=\"ipv6\"} 300\n"
	"routerd_forwarded_bytes_total{interface=\"eth0\"} 90000\n"
	"routerd_passed_packets_total{interface=\"eth0\",reason=\"ttl\"} 50\n"
	"routerd_passed_packets_total{interface=\"eth0\",reason=\"arp\"} 40\n"
	"routerd_passed_packets_total{interface=\"eth0\",reason=\"nd\"} 0\n"
	"routerd_dropped_packets_total{interface=\"eth0\",reason=\"blackhole\"} 10\n"
	"routerd_some_future_family_total{interface=\"eth0\",colour=\"blue\"} 7\n"
	"routerd_uptime_seconds 12.5\n";

Test(monitor, parses_the_families_it_knows)
{
	struct rd_mon_sample *s = parse_ok(sample1, 0);

	cr_assert_eq(s->n, 2);
	cr_assert_str_eq(s->ifs[0].name, "eth0");
	cr_assert_eq(s->ifs[0].rx_packets, 1000);
	cr_assert_eq(s->ifs[0].rx_bytes, 100000);
	cr_assert_eq(s->ifs[0].fwd_packets, 900, "both families add up");
	cr_assert_eq(s->ifs[0].pass_packets, 90);
	cr_assert_eq(s->ifs[0].n_reasons, 3);
	cr_assert_eq(s->ifs[0].drop_packets, 10);
	cr_assert_eq(s->ifs[1].rx_packets, 10);
	free(s);
}

static const char sample2[] =
	"routerd_rx_packets_total{interface=\"eth0\"} 3000\n"
	"routerd_rx_packets_total{interface=\"eth1\"} 5\n" /* went back: a reset */
	"routerd_rx_bytes_total{interface=\"eth0\"} 350000\n"
	"routerd_forwarded_packets_total{interface=\"eth0\",family=\"ipv4\"} 1600\n"
	"routerd_forwarded_packets_total{interface=\"eth0\",family=\"ipv6\"} 1100\n"
	"routerd_forwarded_bytes_total{interface=\"eth0\"} 320000\n"
	"routerd_passed_packets_total{interface=\"eth0\",reason=\"ttl\"} 250\n"
	"routerd_passed_packets_total{interface=\"eth0\",reason=\"arp\"} 60\n"
	"routerd_passed_packets_total{interface=\"eth0\",reason=\"nd\"} 0\n"
	"routerd_dropped_packets_total{interface=\"eth0\",reason=\"blackhole\"} 10\n";

Test(monitor, rates_over_the_interval_as_json)
{
	struct rd_mon_sample *a = parse_ok(sample1, 100.0), *b = parse_ok(sample2, 102.0);
	struct rd_buf out = { 0 };

	rd_mon_report(a, b, 1e9, true, NULL, &out);
	cr_assert_not(out.oom);
	/* 2000 packets and 250,000 bytes in 2 s; 1800 forwarded; 210
	 * passed, ttl first; nothing dropped; eth1 went back: 0, not negative */
	cr_assert_str_eq(out.data,
		"{\"time\":1000000000.000,\"interval_s\":2.000,\"interfaces\":["
		"{\"name\":\"eth0\",\"rx_pps\":1000.00,\"rx_bps\":1000000.0,"
		"\"forwarded_pps\":900.00,\"forwarded_bps\":920000.0,"
		"\"bridged_pps\":0.00,\"bridged_bps\":0.0,\"passed_pps\":110.00,\"passed_bps\":0.0,"
		"\"dropped_pps\":0.00,\"dropped_bps\":0.0,\"xdp_share\":0.9000,"
		"\"top_pass_reasons\":[{\"reason\":\"ttl\",\"pps\":100.00},"
		"{\"reason\":\"arp\",\"pps\":10.00}]},"
		"{\"name\":\"eth1\",\"rx_pps\":0.00,\"rx_bps\":0.0,"
		"\"forwarded_pps\":0.00,\"forwarded_bps\":0.0,"
		"\"bridged_pps\":0.00,\"bridged_bps\":0.0,\"passed_pps\":0.00,\"passed_bps\":0.0,"
		"\"dropped_pps\":0.00,\"dropped_bps\":0.0,\"xdp_share\":null,"
		"\"top_pass_reasons\":[]}]}\n");
	rd_buf_free(&out);
	free(a);
	free(b);
}

Test(monitor, text_has_a_line_per_interface_and_dev_filters)
{
	struct rd_mon_sample *a = parse_ok(sample1, 100.0), *b = parse_ok(sample2, 101.0);
	struct rd_buf out = { 0 };
	int lines = 0;

	rd_mon_report(a, b, 0, false, NULL, &out);
	for (size_t i = 0; i < out.len; i++)
		lines += out.data[i] == '\n';
	cr_assert_eq(lines, 4, "time, header, eth0, eth1:\n%s", out.data);
	cr_assert(strstr(out.data, "\neth0 "), "%s", out.data);
	cr_assert(strstr(out.data, "ttl 200/s, arp 20.0/s"), "%s", out.data);
	rd_buf_reset(&out);
	rd_mon_report(a, b, 0, false, "eth1", &out);
	cr_assert_null(strstr(out.data, "\neth0 "), "%s", out.data);
	cr_assert(strstr(out.data, "\neth1 "), "%s", out.data);
	rd_buf_free(&out);
	free(a);
	free(b);
}

/* Interface names are label values: quotes and backslashes come escaped. */
Test(monitor, escaped_label_values)
{
	struct rd_mon_sample *s =
		parse_ok("routerd_rx_packets_total{interface=\"a\\\"b\\\\c\"} 4\n", 0);

	cr_assert_eq(s->n, 1);
	cr_assert_str_eq(s->ifs[0].name, "a\"b\\c");
	cr_assert_eq(s->ifs[0].rx_packets, 4);
	free(s);
}

/* A reply that is not the exposition format is refused, not half read. */
Test(monitor, malformed_samples_are_refused)
{
	static const char *const bad[] = {
		"routerd_rx_packets_total{interface=\"eth0\"}\n",        /* no value */
		"routerd_rx_packets_total{interface=\"eth0\" 5\n",       /* no } */
		"routerd_rx_packets_total{interface=\"eth0} 5\n",        /* open quote */
		"routerd_rx_packets_total{interface=eth0} 5\n",          /* unquoted */
		"routerd_rx_packets_total{interface=\"eth0\"} x\n",      /* not a number */
		"routerd_rx_packets_total{interface=\"eth0\\",               /* cut short */
		"{\"interfaces\": []}\n",                                  /* JSON */
	};
	struct rd_mon_sample *s = calloc(1, sizeof(*s));

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(rd_mon_parse(bad[i], strlen(bad[i]), s), -1, "accepted: %s", bad[i]);
	free(s);
}

/* More interfaces and reasons than a sample holds: the rest is dropped,
 * nothing overflows. */
Test(monitor, more_than_fits)
{
	struct rd_buf text = { 0 };
	struct rd_mon_sample *s = calloc(1, sizeof(*s));

	for (int i = 0; i < RD_MON_MAX_IFACES + 10; i++)
		rd_buf_printf(&text, "routerd_rx_packets_total{interface=\"if%d\"} %d\n", i, i);
	for (int i = 0; i < RD_MON_MAX_REASONS + 10; i++)
		rd_buf_printf(&text,
			      "routerd_passed_packets_total{interface=\"if0\",reason=\"r%d\"} 1\n", i);
	cr_assert_not(text.oom);
	cr_assert_eq(rd_mon_parse(text.data, text.len, s), 0);
	cr_assert_eq(s->n, RD_MON_MAX_IFACES);
	cr_assert_eq(s->ifs[0].n_reasons, RD_MON_MAX_REASONS);
	cr_assert_eq(s->ifs[0].pass_packets, RD_MON_MAX_REASONS + 10, "the total still counts all");
	rd_buf_free(&text);
	free(s);
}
