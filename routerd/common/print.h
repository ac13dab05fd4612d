/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Print once: the layer every report (routerctl's verbs) writes through, in
 * the style of iproute2's lib/json_print.c. A report calls
 *     rd_print_uint(p, PRINT_ANY, "rx_packets", " rx %llu", v);
 * once per field: in text mode the value goes through `fmt`, in JSON mode it
 * becomes the member "rx_packets" of the open object (or an element of the
 * open array when key is NULL). PRINT_TEXT and PRINT_JSON limit a call to
 * one mode, for the few places where the two differ in shape (a header line,
 * "-" for a missing value, milliseconds in JSON and seconds in text).
 * Objects and arrays exist only in JSON; text layout is the fmt strings and
 * rd_print_nl(). Writes go to an rd_buf (json.h), whose `oom` latch the
 * caller checks once.
 */
#ifndef RD_PRINT_H
#define RD_PRINT_H

#include <stdbool.h>
#include <stdio.h>

#include "common/json.h"

enum rd_print_kind {
	PRINT_TEXT = 1,
	PRINT_JSON = 2,
	PRINT_ANY = PRINT_TEXT | PRINT_JSON,
};

struct rd_print {
	struct rd_buf *out;
	bool json;
	struct rd_json j;
};

void rd_print_init(struct rd_print *p, struct rd_buf *out, bool json);
static inline bool rd_print_is_json(const struct rd_print *p) { return p->json; }

/* JSON structure; text prints nothing for these. key NULL inside an array. */
void rd_print_open_object(struct rd_print *p, const char *key);
void rd_print_close_object(struct rd_print *p);
void rd_print_open_array(struct rd_print *p, const char *key);
void rd_print_close_array(struct rd_print *p);

/* One field: fmt takes exactly the value (%s, %llu, %lld, %f); it may be
 * NULL when the call is PRINT_JSON. key may be NULL when it is PRINT_TEXT. */
void rd_print_string(struct rd_print *p, enum rd_print_kind kind, const char *key,
		     const char *fmt, const char *value);
void rd_print_uint(struct rd_print *p, enum rd_print_kind kind, const char *key,
		   const char *fmt, unsigned long long value);
void rd_print_int(struct rd_print *p, enum rd_print_kind kind, const char *key,
		  const char *fmt, long long value);
/* JSON writes `decimals` decimals (NaN and infinity as null). */
void rd_print_float(struct rd_print *p, enum rd_print_kind kind, const char *key,
		    const char *fmt, double value, int decimals);
/* JSON: true or false. Text: fmt as it is (no conversion) when value is
 * true, nothing when false: the iproute2 way of showing a flag word. */
void rd_print_bool(struct rd_print *p, enum rd_print_kind kind, const char *key,
		   const char *fmt, bool value);

/* Text only: free text (a header, a separator). */
void rd_print_text(struct rd_print *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Text only: end of a line. */
void rd_print_nl(struct rd_print *p);
/* JSON only: the newline that ends a reply after its top-level value. */
void rd_print_end(struct rd_print *p);

/* One row of a --help listing (routerd's options, routerctl's commands):
 * HEAD, then HELP from column COL, each '\n' in it continuing at COL. A
 * HEAD too wide for two blanks before COL ends its line first when
 * wrap_long, else is followed by the two blanks. */
void rd_print_help_row(FILE *out, const char *head, int col, bool wrap_long, const char *help);

#endif
