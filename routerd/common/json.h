/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A growable text buffer and a small streaming JSON writer on top of it, used
 * for control-socket replies; plus the pretty-printer routerctl -p uses.
 * A failed allocation latches `oom` and later writes are dropped, so callers
 * check once at the end.
 */
#ifndef RD_JSON_H
#define RD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

struct rd_buf {
	char *data;
	size_t len;
	size_t cap;
	bool oom;
};

void rd_buf_printf(struct rd_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void rd_buf_vprintf(struct rd_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void rd_buf_reset(struct rd_buf *b);
void rd_buf_free(struct rd_buf *b);

#define RD_JSON_MAX_DEPTH 16

struct rd_json {
	struct rd_buf *out;
	int depth;
	bool first[RD_JSON_MAX_DEPTH];
};

void rd_json_init(struct rd_json *j, struct rd_buf *out);
/* key is NULL for a value inside an array */
void rd_json_open_object(struct rd_json *j, const char *key);
void rd_json_close_object(struct rd_json *j);
void rd_json_open_array(struct rd_json *j, const char *key);
void rd_json_close_array(struct rd_json *j);
void rd_json_string(struct rd_json *j, const char *key, const char *value);
void rd_json_u64(struct rd_json *j, const char *key, uint64_t value);
void rd_json_i64(struct rd_json *j, const char *key, int64_t value);
void rd_json_bool(struct rd_json *j, const char *key, bool value);
/* A number with up to `decimals` decimals; NaN or infinity as null (JSON
 * has neither). */
void rd_json_double(struct rd_json *j, const char *key, double value, int decimals);

/* Re-indents compact JSON text for humans; does not validate it. */
void rd_json_pretty_print(const char *text, size_t len, FILE *out);

#endif
