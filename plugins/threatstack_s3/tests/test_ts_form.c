/* SPDX-License-Identifier: MIT */
/* Tests for ts_form: reading start/end from a form-encoded body. */
#include "ts_form.h"

#include "ts_test_util.h"

static void check(const char *body, const char *name, const char *want)
{
	char *got = ts_form_value(body, strlen(body), name);
	if (!want) {
		ck_assert_msg(got == NULL, "%s in '%s' gave '%s'", name, body, got);
		return;
	}
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(fields)
{
	check("start=2017-01-15T00%3A00%3A00Z&end=2017-01-16", "start", "2017-01-15T00:00:00Z");
	check("start=2017-01-15T00%3A00%3A00Z&end=2017-01-16", "end", "2017-01-16");
	check("start=a+b", "start", "a b");
	check("x=1&start=&start=2", "start", "");
	check("start", "start", "");
	check("startx=1", "start", NULL);
	check("", "start", NULL);
	check("start=%zz", "start", NULL);
	check("start=%2", "start", NULL);
	check("start=%00", "start", NULL);
	check("st%61rt=1", "start", "1");
	ck_assert_ptr_null(ts_form_value(NULL, 0, "start"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts_form");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, fields);
	suite_add_tcase(s, tc);
	return s;
}

TS_RUN_SUITE(suite)
