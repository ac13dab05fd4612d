// SPDX-License-Identifier: GPL-2.0
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/json.h"

Test(json, writer_separates_and_nests)
{
	struct rd_buf b = { 0 };
	struct rd_json j;

	rd_json_init(&j, &b);
	rd_json_open_object(&j, NULL);
	rd_json_string(&j, "name", "r0");
	rd_json_u64(&j, "n", 18446744073709551615ull);
	rd_json_open_array(&j, "list");
	rd_json_i64(&j, NULL, -3);
	rd_json_bool(&j, NULL, true);
	rd_json_close_array(&j);
	rd_json_open_object(&j, "empty");
	rd_json_close_object(&j);
	rd_json_close_object(&j);
	cr_assert_not(b.oom);
	cr_assert_str_eq(b.data,
			 "{\"name\":\"r0\",\"n\":18446744073709551615,\"list\":[-3,true],\"empty\":{}}");
	rd_buf_free(&b);
}

Test(json, strings_are_escaped)
{
	struct rd_buf b = { 0 };
	struct rd_json j;

	rd_json_init(&j, &b);
	rd_json_string(&j, NULL, "a\"b\\c\n\x01");
	cr_assert_str_eq(b.data, "\"a\\\"b\\\\c\\u000a\\u0001\"");
	rd_buf_free(&b);
}

Test(json, buffer_grows_past_initial_capacity)
{
	struct rd_buf b = { 0 };

	for (int i = 0; i < 1000; i++)
		rd_buf_printf(&b, "%04d", i);
	cr_assert_eq(b.len, 4000);
	cr_assert_eq(strncmp(b.data + 3996, "0999", 4), 0);
	rd_buf_free(&b);
}

Test(json, pretty_print_indents_and_keeps_strings)
{
	const char in[] = "{\"a\":[1,2],\"s\":\"x, {y}: \\\"z\\\"\",\"e\":{}}";
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	rd_json_pretty_print(in, sizeof(in) - 1, f);
	fclose(f);
	cr_assert_str_eq(out, "{\n    \"a\": [\n        1,\n        2\n    ],\n"
			      "    \"s\": \"x, {y}: \\\"z\\\"\",\n    \"e\": {}\n}\n");
	free(out);
}
