// SPDX-License-Identifier: GPL-2.0
/* The print layer: the same calls write the text and the JSON report. */
#include <criterion/criterion.h>

#include "common/print.h"

/* A small report, written once: an array of two interfaces. */
static void report(struct rd_print *p)
{
	static const struct { const char *name; unsigned long long rx; long long ago; bool up; }
		rows[] = { { "eth0", 12, -1, true }, { "tap\"1", 0, 1500, false } };

	rd_print_open_object(p, NULL);
	rd_print_text(p, "%-6s %4s %s\n", "IFACE", "RX", "AGO");
	rd_print_open_array(p, "interfaces");
	for (size_t i = 0; i < 2; i++) {
		rd_print_open_object(p, NULL);
		rd_print_string(p, PRINT_ANY, "name", "%-6s", rows[i].name);
		rd_print_uint(p, PRINT_ANY, "rx", " %4llu", rows[i].rx);
		rd_print_int(p, PRINT_JSON, "ago_ms", NULL, rows[i].ago);
		if (rows[i].ago < 0)
			rd_print_text(p, " -");
		else
			rd_print_float(p, PRINT_TEXT, NULL, " %.1fs", rows[i].ago / 1000.0, 0);
		rd_print_bool(p, PRINT_ANY, "up", " up", rows[i].up);
		rd_print_float(p, PRINT_JSON, "share", NULL, 0.25 * (i + 1), 2);
		rd_print_close_object(p);
		rd_print_nl(p);
	}
	rd_print_close_array(p);
	rd_print_close_object(p);
	rd_print_end(p);
}

Test(print, text_from_the_report)
{
	struct rd_buf b = { 0 };
	struct rd_print p;

	rd_print_init(&p, &b, false);
	report(&p);
	cr_assert_not(b.oom);
	cr_assert_str_eq(b.data, "IFACE    RX AGO\n"
				 "eth0     12 - up\n"
				 "tap\"1     0 1.5s\n");
	rd_buf_free(&b);
}

Test(print, json_from_the_same_report)
{
	struct rd_buf b = { 0 };
	struct rd_print p;

	rd_print_init(&p, &b, true);
	cr_assert(rd_print_is_json(&p));
	report(&p);
	cr_assert_not(b.oom);
	cr_assert_str_eq(b.data, "{\"interfaces\":["
				 "{\"name\":\"eth0\",\"rx\":12,\"ago_ms\":-1,\"up\":true,\"share\":0.25},"
				 "{\"name\":\"tap\\\"1\",\"rx\":0,\"ago_ms\":1500,\"up\":false,"
				 "\"share\":0.50}]}\n");
	rd_buf_free(&b);
}

Test(print, text_only_and_json_only_stay_in_their_mode)
{
	struct rd_buf t = { 0 }, j = { 0 };
	struct rd_print pt, pj;

	rd_print_init(&pt, &t, false);
	rd_print_init(&pj, &j, true);
	for (int k = 0; k < 2; k++) {
		struct rd_print *p = k ? &pj : &pt;

		rd_print_open_array(p, NULL);
		rd_print_string(p, PRINT_TEXT, NULL, "[%s]", "text");
		rd_print_string(p, PRINT_JSON, NULL, NULL, "json");
		rd_print_uint(p, PRINT_TEXT, NULL, "<%llu>", 7);
		rd_print_uint(p, PRINT_JSON, NULL, NULL, 8);
		/* a format given to a JSON-only call is still not text */
		rd_print_uint(p, PRINT_JSON, NULL, "<leak %llu>", 9);
		rd_print_bool(p, PRINT_ANY, NULL, "off", false);
		rd_print_close_array(p);
		rd_print_end(p);
	}
	cr_assert_str_eq(t.data, "[text]<7>");
	cr_assert_str_eq(j.data, "[\"json\",8,9,false]\n");
	rd_buf_free(&t);
	rd_buf_free(&j);
}
