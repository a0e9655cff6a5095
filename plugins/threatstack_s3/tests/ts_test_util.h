/* SPDX-License-Identifier: MIT */
/* Helpers for the threatstack_s3 unit tests: fixture files and JSON comparison. */
#ifndef TS_TEST_UTIL_H
#define TS_TEST_UTIL_H

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads $FIXTURES_DIR/threatstack_s3/<name> into a malloc'd, NUL-terminated buffer. */
static inline char *ts_fixture(const char *name, size_t *len_out)
{
	const char *dir = getenv("FIXTURES_DIR");
	char path[1024];
	ck_assert_msg(dir != NULL, "FIXTURES_DIR is not set");
	snprintf(path, sizeof(path), "%s/threatstack_s3/%s", dir, name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	char *buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len_out)
		*len_out = (size_t)n;
	return buf;
}

static inline json_t *ts_fixture_json(const char *name)
{
	size_t len;
	char *buf = ts_fixture(name, &len);
	json_error_t err;
	json_t *v = json_loadb(buf, len, 0, &err);
	ck_assert_msg(v != NULL, "%s: %s", name, err.text);
	free(buf);
	return v;
}

/* Asserts two JSON values are equal, printing both when not; consumes got. */
static inline void ts_assert_json_eq(json_t *got, const json_t *want)
{
	char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	char *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
	ck_assert_msg(json_equal(got, want), "got %s, want %s", g, w);
	free(g);
	free(w);
	json_decref(got);
}

#define TS_RUN_SUITE(suite_fn)                                                   \
	int main(void)                                                               \
	{                                                                            \
		SRunner *sr = srunner_create(suite_fn());                                \
		srunner_run_all(sr, CK_NORMAL);                                          \
		int failed = srunner_ntests_failed(sr);                                  \
		srunner_free(sr);                                                        \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                             \
	}

#endif
