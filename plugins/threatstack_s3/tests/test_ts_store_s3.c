/* SPDX-License-Identifier: MIT */
/* Tests for the s3 backend's pure parts: object and ListObjectsV2 URLs for both addressing styles. */
#include "ts_store.h"

#include "ts_test_util.h"

static void check(char *got, const char *want)
{
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(path_style)
{
	struct ts_s3_config cfg = {.bucket = "archive", .region = "us-east-1",
	                           .endpoint = "http://127.0.0.1:4568/", .path_style = true};
	check(ts_s3_object_url(&cfg, "webhooks/2017/01/15/23/10/587c0159a907346eccb84004"),
	      "http://127.0.0.1:4568/archive/webhooks/2017/01/15/23/10/587c0159a907346eccb84004");
	check(ts_s3_object_url(&cfg, "odd prefix/alerts/58/7c/587c0159a907346eccb84004"),
	      "http://127.0.0.1:4568/archive/odd%20prefix/alerts/58/7c/587c0159a907346eccb84004");
	check(ts_s3_list_url(&cfg, "webhooks/2017/01/15/", NULL),
	      "http://127.0.0.1:4568/archive?list-type=2&prefix=webhooks%2F2017%2F01%2F15%2F");
	check(ts_s3_list_url(&cfg, "webhooks/", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="),
	      "http://127.0.0.1:4568/archive?continuation-token="
	      "1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D&list-type=2&prefix=webhooks%2F");
}
END_TEST

START_TEST(virtual_host)
{
	struct ts_s3_config cfg = {.bucket = "archive", .region = "eu-west-1"};
	check(ts_s3_object_url(&cfg, "alerts/58/7c/587c0159a907346eccb84004"),
	      "https://archive.s3.eu-west-1.amazonaws.com/alerts/58/7c/587c0159a907346eccb84004");
	check(ts_s3_list_url(&cfg, "p/webhooks/", NULL),
	      "https://archive.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=p%2Fwebhooks%2F");
	cfg.endpoint = "http://localhost:9000";
	check(ts_s3_object_url(&cfg, "a"), "http://archive.localhost:9000/a");
}
END_TEST

START_TEST(client_error_text)
{
	char buf[256];
	ts_store_client_error(buf, sizeof(buf), "NoSuchKey", "GetObject",
	                      "The specified key does not exist.");
	ck_assert_str_eq(buf, TS_STORE_NOSUCHKEY_GET);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts_store_s3");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, path_style);
	tcase_add_test(tc, virtual_host);
	tcase_add_test(tc, client_error_text);
	suite_add_tcase(s, tc);
	return s;
}

TS_RUN_SUITE(suite)
