/* SPDX-License-Identifier: MIT */
/* Tests for sdk/src/strbuf.c: appends, printf, sticky failures, limits, detach. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>
#include <relayd/strbuf.h>

START_TEST(appends_keep_a_trailing_nul)
{
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	ck_assert_int_eq(relayd_strbuf_append_str(&b, "abc"), RELAYD_OK);
	ck_assert_int_eq(relayd_strbuf_append_char(&b, '-'), RELAYD_OK);
	ck_assert_int_eq(relayd_strbuf_append(&b, "x\0y", 3), RELAYD_OK);
	ck_assert_uint_eq(b.len, 7);
	ck_assert_int_eq(memcmp(b.data, "abc-x\0y", 8), 0); /* NUL after the bytes too */
	relayd_strbuf_clear(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_str_eq(b.data, "");
	relayd_strbuf_free(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(printf_grows_past_its_stack_buffer)
{
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	char big[1000];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(relayd_strbuf_printf(&b, "%d:%s", 42, "ok"), RELAYD_OK);
	ck_assert_int_eq(relayd_strbuf_printf(&b, "[%s]", big), RELAYD_OK);
	ck_assert_uint_eq(b.len, 5 + 2 + 999);
	ck_assert_int_eq(strncmp(b.data, "42:ok[zzz", 9), 0);
	ck_assert_int_eq(b.data[b.len - 1], ']');
	size_t len = 0;
	char *text = relayd_strbuf_detach(&b, &len);
	ck_assert_uint_eq(len, 1006);
	ck_assert_uint_eq(strlen(text), 1006);
	ck_assert_ptr_null(b.data);
	free(text);
}
END_TEST

START_TEST(a_limit_makes_failures_sticky)
{
	struct relayd_strbuf b = {.limit = 8};
	ck_assert_int_eq(relayd_strbuf_append_str(&b, "12345678"), RELAYD_OK);
	ck_assert_int_eq(relayd_strbuf_append_char(&b, '9'), RELAYD_ENOMEM);
	/* Sticky: a later append that would fit still fails. */
	relayd_strbuf_clear(&b);
	ck_assert_int_eq(relayd_strbuf_append_char(&b, 'a'), RELAYD_ENOMEM);
	ck_assert_int_eq(b.status, RELAYD_ENOMEM);
	size_t len = 99;
	ck_assert_ptr_null(relayd_strbuf_detach(&b, &len));
	ck_assert_uint_eq(len, 0);
	/* detach resets the status and keeps the limit */
	ck_assert_int_eq(b.status, RELAYD_OK);
	ck_assert_uint_eq(b.limit, 8);
}
END_TEST

START_TEST(detach_of_nothing_is_an_empty_string)
{
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	size_t len = 99;
	char *text = relayd_strbuf_detach(&b, &len);
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "");
	ck_assert_uint_eq(len, 0);
	free(text);
}
END_TEST

START_TEST(reserved_but_empty_is_an_empty_string)
{
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	ck_assert_int_eq(relayd_strbuf_reserve(&b, 4096), RELAYD_OK);
	ck_assert_str_eq(b.data, "");
	ck_assert_int_eq(relayd_strbuf_append_str(&b, "abc"), RELAYD_OK);
	b.len = 1; /* cut back, as a writer that truncates does */
	ck_assert_int_eq(relayd_strbuf_reserve(&b, 1 << 16), RELAYD_OK);
	ck_assert_str_eq(b.data, "a");
	char *text = relayd_strbuf_detach(&b, NULL);
	ck_assert_str_eq(text, "a");
	free(text);
}
END_TEST

static Suite *strbuf_suite(void)
{
	Suite *s = suite_create("strbuf");
	TCase *tc = tcase_create("strbuf");
	tcase_add_test(tc, appends_keep_a_trailing_nul);
	tcase_add_test(tc, printf_grows_past_its_stack_buffer);
	tcase_add_test(tc, a_limit_makes_failures_sticky);
	tcase_add_test(tc, detach_of_nothing_is_an_empty_string);
	tcase_add_test(tc, reserved_but_empty_is_an_empty_string);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(strbuf_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
