// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

static bool buf_reserve(struct rd_buf *b, size_t extra)
{
	size_t cap;
	char *p;

	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void rd_buf_vprintf(struct rd_buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n >= 0 && buf_reserve(b, n)) {
		vsnprintf(b->data + b->len, n + 1, fmt, again);
		b->len += n;
	}
	va_end(again);
}

void rd_buf_printf(struct rd_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	rd_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void rd_buf_reset(struct rd_buf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->data)
		b->data[0] = '\0';
}

void rd_buf_free(struct rd_buf *b)
{
	free(b->data);
	*b = (struct rd_buf){ 0 };
}

void rd_json_init(struct rd_json *j, struct rd_buf *out)
{
	j->out = out;
	j->depth = 0;
	j->first[0] = true;
}

static void json_escaped(struct rd_buf *b, const char *s)
{
	rd_buf_printf(b, "\"");
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			rd_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			rd_buf_printf(b, "\\u%04x", c);
		else
			rd_buf_printf(b, "%c", c);
	}
	rd_buf_printf(b, "\"");
}

/* Separator and key before any value. */
static void json_member(struct rd_json *j, const char *key)
{
	if (!j->first[j->depth])
		rd_buf_printf(j->out, ",");
	j->first[j->depth] = false;
	if (key) {
		json_escaped(j->out, key);
		rd_buf_printf(j->out, ":");
	}
}

static void json_open(struct rd_json *j, const char *key, char bracket)
{
	json_member(j, key);
	rd_buf_printf(j->out, "%c", bracket);
	if (j->depth + 1 < RD_JSON_MAX_DEPTH)
		j->first[++j->depth] = true;
	else
		j->out->oom = true; /* nesting this deep is a bug: fail the reply */
}

static void json_close(struct rd_json *j, char bracket)
{
	if (j->depth > 0)
		j->depth--;
	rd_buf_printf(j->out, "%c", bracket);
}

void rd_json_open_object(struct rd_json *j, const char *key) { json_open(j, key, '{'); }
void rd_json_close_object(struct rd_json *j) { json_close(j, '}'); }
void rd_json_open_array(struct rd_json *j, const char *key) { json_open(j, key, '['); }
void rd_json_close_array(struct rd_json *j) { json_close(j, ']'); }

void rd_json_string(struct rd_json *j, const char *key, const char *value)
{
	json_member(j, key);
	json_escaped(j->out, value);
}

void rd_json_u64(struct rd_json *j, const char *key, uint64_t value)
{
	json_member(j, key);
	rd_buf_printf(j->out, "%" PRIu64, value);
}

void rd_json_i64(struct rd_json *j, const char *key, int64_t value)
{
	json_member(j, key);
	rd_buf_printf(j->out, "%" PRId64, value);
}

void rd_json_bool(struct rd_json *j, const char *key, bool value)
{
	json_member(j, key);
	rd_buf_printf(j->out, "%s", value ? "true" : "false");
}

void rd_json_double(struct rd_json *j, const char *key, double value, int decimals)
{
	json_member(j, key);
	if (isfinite(value))
		rd_buf_printf(j->out, "%.*f", decimals, value);
	else
		rd_buf_printf(j->out, "null");
}

static void indent(FILE *out, int depth)
{
	fputc('\n', out);
	for (int i = 0; i < depth; i++)
		fputs("    ", out);
}

void rd_json_pretty_print(const char *text, size_t len, FILE *out)
{
	bool in_string = false, escaped = false;
	int depth = 0;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (in_string) {
			fputc(c, out);
			if (escaped)
				escaped = false;
			else if (c == '\\')
				escaped = true;
			else if (c == '"')
				in_string = false;
			continue;
		}
		switch (c) {
		case '"':
			in_string = true;
			fputc(c, out);
			break;
		case '{':
		case '[':
			fputc(c, out);
			/* keep empty containers on one line */
			if (i + 1 < len && (text[i + 1] == '}' || text[i + 1] == ']'))
				break;
			indent(out, ++depth);
			break;
		case '}':
		case ']':
			if (i > 0 && text[i - 1] != '{' && text[i - 1] != '[')
				indent(out, --depth);
			fputc(c, out);
			break;
		case ',':
			fputc(c, out);
			indent(out, depth);
			break;
		case ':':
			fputs(": ", out);
			break;
		case ' ':
		case '\n':
		case '\t':
		case '\r':
			break;
		default:
			fputc(c, out);
		}
	}
	fputc('\n', out);
}
