// SPDX-License-Identifier: GPL-2.0
/* The print layer (print.h): one call per field, text or JSON by mode. */
#include <stdarg.h>
#include <string.h>

#include "common/print.h"

void rd_print_init(struct rd_print *p, struct rd_buf *out, bool json)
{
	p->out = out;
	p->json = json;
	rd_json_init(&p->j, out);
}

static bool as_text(const struct rd_print *p, enum rd_print_kind kind, const char *fmt)
{
	return !p->json && (kind & PRINT_TEXT) && fmt;
}

static bool as_json(const struct rd_print *p, enum rd_print_kind kind)
{
	return p->json && (kind & PRINT_JSON);
}

void rd_print_open_object(struct rd_print *p, const char *key)
{
	if (p->json)
		rd_json_open_object(&p->j, key);
}

void rd_print_close_object(struct rd_print *p)
{
	if (p->json)
		rd_json_close_object(&p->j);
}

void rd_print_open_array(struct rd_print *p, const char *key)
{
	if (p->json)
		rd_json_open_array(&p->j, key);
}

void rd_print_close_array(struct rd_print *p)
{
	if (p->json)
		rd_json_close_array(&p->j);
}

/* The formats come from the report's own string literals, one conversion
 * each (print.h); -Wformat cannot see them through the layer. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void rd_print_string(struct rd_print *p, enum rd_print_kind kind, const char *key,
		     const char *fmt, const char *value)
{
	if (as_json(p, kind))
		rd_json_string(&p->j, key, value);
	else if (as_text(p, kind, fmt))
		rd_buf_printf(p->out, fmt, value);
}

void rd_print_uint(struct rd_print *p, enum rd_print_kind kind, const char *key,
		   const char *fmt, unsigned long long value)
{
	if (as_json(p, kind))
		rd_json_u64(&p->j, key, value);
	else if (as_text(p, kind, fmt))
		rd_buf_printf(p->out, fmt, value);
}

void rd_print_int(struct rd_print *p, enum rd_print_kind kind, const char *key,
		  const char *fmt, long long value)
{
	if (as_json(p, kind))
		rd_json_i64(&p->j, key, value);
	else if (as_text(p, kind, fmt))
		rd_buf_printf(p->out, fmt, value);
}

void rd_print_float(struct rd_print *p, enum rd_print_kind kind, const char *key,
		    const char *fmt, double value, int decimals)
{
	if (as_json(p, kind))
		rd_json_double(&p->j, key, value, decimals);
	else if (as_text(p, kind, fmt))
		rd_buf_printf(p->out, fmt, value);
}

#pragma GCC diagnostic pop

void rd_print_bool(struct rd_print *p, enum rd_print_kind kind, const char *key,
		   const char *fmt, bool value)
{
	if (as_json(p, kind))
		rd_json_bool(&p->j, key, value);
	else if (as_text(p, kind, fmt) && value)
		rd_buf_printf(p->out, "%s", fmt);
}

void rd_print_text(struct rd_print *p, const char *fmt, ...)
{
	va_list ap;

	if (p->json)
		return;
	va_start(ap, fmt);
	rd_buf_vprintf(p->out, fmt, ap);
	va_end(ap);
}

void rd_print_nl(struct rd_print *p)
{
	if (!p->json)
		rd_buf_printf(p->out, "\n");
}

void rd_print_end(struct rd_print *p)
{
	if (p->json)
		rd_buf_printf(p->out, "\n");
}

void rd_print_help_row(FILE *out, const char *head, int col, bool wrap_long, const char *help)
{
	const char *nl;

	if ((int)strlen(head) + 2 <= col)
		fprintf(out, "%-*s", col, head);
	else if (wrap_long)
		fprintf(out, "%s\n%*s", head, col, "");
	else
		fprintf(out, "%s  ", head);
	while ((nl = strchr(help, '\n'))) {
		fprintf(out, "%.*s\n%*s", (int)(nl - help), help, col, "");
		help = nl + 1;
	}
	fprintf(out, "%s\n", help);
}
