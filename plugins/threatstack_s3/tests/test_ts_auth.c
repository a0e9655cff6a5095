/* SPDX-License-Identifier: MIT */
/* Tests for ts_auth: optional shared-secret header and Basic auth on the webhook. */
#include "ts_auth.h"

#include <relayd/status.h>

#include "ts_test_util.h"

START_TEST(off_by_default)
{
	struct ts_auth a = {0};
	ck_assert(!ts_auth_enabled(&a));
	ck_assert_int_eq(ts_auth_check(&a, NULL, NULL), RELAYD_OK);
	struct ts_auth empty = {.secret = "", .basic_user = ""};
	ck_assert(!ts_auth_enabled(&empty));
}
END_TEST

START_TEST(shared_secret)
{
	struct ts_auth a = {.secret = "s3cr3t", .secret_header = "X-Webhook-Secret"};
	ck_assert(ts_auth_enabled(&a));
	ck_assert_int_eq(ts_auth_check(&a, "s3cr3t", NULL), RELAYD_OK);
	ck_assert_int_eq(ts_auth_check(&a, "s3cr3", NULL), RELAYD_EAUTH);
	ck_assert_int_eq(ts_auth_check(&a, "s3cr3t ", NULL), RELAYD_EAUTH);
	ck_assert_int_eq(ts_auth_check(&a, "", NULL), RELAYD_EAUTH);
	ck_assert_int_eq(ts_auth_check(&a, NULL, "Basic dXNlcjpwYXNz"), RELAYD_EAUTH);
}
END_TEST

START_TEST(basic)
{
	/* user:pass */
	struct ts_auth a = {.basic_user = "user", .basic_password = "pass"};
	ck_assert_int_eq(ts_auth_check(&a, NULL, "Basic dXNlcjpwYXNz"), RELAYD_OK);
	ck_assert_int_eq(ts_auth_check(&a, NULL, "basic  dXNlcjpwYXNz "), RELAYD_OK);
	/* user:pas */
	ck_assert_int_eq(ts_auth_check(&a, NULL, "Basic dXNlcjpwYXM="), RELAYD_EAUTH);
	/* user:passx */
	ck_assert_int_eq(ts_auth_check(&a, NULL, "Basic dXNlcjpwYXNzeA=="), RELAYD_EAUTH);
	ck_assert_int_eq(ts_auth_check(&a, NULL, "Bearer dXNlcjpwYXNz"), RELAYD_EAUTH);
	ck_assert_int_eq(ts_auth_check(&a, NULL, "Basic !!!!"), RELAYD_EAUTH);
	ck_assert_int_eq(ts_auth_check(&a, NULL, "Basic dXNlcjpwYXN"), RELAYD_EAUTH);
	ck_assert_int_eq(ts_auth_check(&a, NULL, "Basic "), RELAYD_EAUTH);
	ck_assert_int_eq(ts_auth_check(&a, NULL, NULL), RELAYD_EAUTH);
}
END_TEST

START_TEST(either_when_both)
{
	struct ts_auth a = {.secret = "s", .secret_header = "X-Webhook-Secret", .basic_user = "user",
	                    .basic_password = "pass"};
	ck_assert_int_eq(ts_auth_check(&a, "s", NULL), RELAYD_OK);
	ck_assert_int_eq(ts_auth_check(&a, NULL, "Basic dXNlcjpwYXNz"), RELAYD_OK);
	ck_assert_int_eq(ts_auth_check(&a, "x", "Basic dXNlcjpwYXM="), RELAYD_EAUTH);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts_auth");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, off_by_default);
	tcase_add_test(tc, shared_secret);
	tcase_add_test(tc, basic);
	tcase_add_test(tc, either_when_both);
	suite_add_tcase(s, tc);
	return s;
}

TS_RUN_SUITE(suite)
