/* SPDX-License-Identifier: MIT */
/* Tests for ts_tsapi: Threat Stack URLs, headers, answer classification and the reference's error envelopes. */
#include "ts_tsapi.h"

#include <relayd/host.h>

#include "ts_test_util.h"

static void check(char *got, const char *want)
{
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(urls)
{
	check(ts_url_join("https://app.threatstack.com/api/v1", "alerts"),
	      "https://app.threatstack.com/api/v1/alerts");
	check(ts_url_join("http://127.0.0.1:8000/api/v1//", "/alerts"), "http://127.0.0.1:8000/api/v1/alerts");
	check(ts_tsapi_alert_url("https://app.threatstack.com/api/v1/", "52ebb55fdf5fb93e710002ba"),
	      "https://app.threatstack.com/api/v1/alerts/52ebb55fdf5fb93e710002ba");
	check(ts_tsapi_status_url("https://app.threatstack.com/api/v1"),
	      "https://app.threatstack.com/api/v1/alerts?count=1");
}
END_TEST

START_TEST(headers)
{
	const char *h[4];
	char storage[3][1100];
	ck_assert_uint_eq(ts_tsapi_headers("KEY", NULL, h, storage), 2);
	ck_assert_str_eq(h[0], "Authorization: KEY");
	ck_assert_str_eq(h[1], "Accept: application/json");
	ck_assert_ptr_null(h[2]);
	ck_assert_uint_eq(ts_tsapi_headers("KEY", "545d0293b620cd090d000023", h, storage), 3);
	ck_assert_str_eq(h[1], "Organization: 545d0293b620cd090d000023");
	ck_assert_ptr_null(h[3]);
}
END_TEST

START_TEST(classify)
{
	ck_assert_int_eq(ts_tsapi_classify(RELAYD_HTTP_OK, 200), TS_TSAPI_OK);
	ck_assert_int_eq(ts_tsapi_classify(RELAYD_HTTP_OK, 204), TS_TSAPI_OK);
	ck_assert_int_eq(ts_tsapi_classify(RELAYD_HTTP_OK, 404), TS_TSAPI_DROP);
	ck_assert_int_eq(ts_tsapi_classify(RELAYD_HTTP_OK, 401), TS_TSAPI_AUTH);
	ck_assert_int_eq(ts_tsapi_classify(RELAYD_HTTP_OK, 403), TS_TSAPI_AUTH);
	ck_assert_int_eq(ts_tsapi_classify(RELAYD_HTTP_OK, 429), TS_TSAPI_RETRY);
	ck_assert_int_eq(ts_tsapi_classify(RELAYD_HTTP_OK, 500), TS_TSAPI_RETRY);
	ck_assert_int_eq(ts_tsapi_classify(RELAYD_HTTP_OK, 503), TS_TSAPI_RETRY);
	ck_assert_int_eq(ts_tsapi_classify(RELAYD_HTTP_OK, 400), TS_TSAPI_RETRY);
	ck_assert_int_eq(ts_tsapi_classify(RELAYD_HTTP_TIMEOUT, 0), TS_TSAPI_RETRY);
	ck_assert_int_eq(ts_tsapi_classify(RELAYD_HTTP_CONNECT, 0), TS_TSAPI_RETRY);
	ck_assert_int_eq(ts_tsapi_classify(RELAYD_HTTP_TLS, 0), TS_TSAPI_RETRY);
}
END_TEST

static void check_env(json_t *env, const char *want)
{
	char *s = json_dumps(env, JSON_SORT_KEYS | JSON_COMPACT);
	ck_assert_str_eq(s, want);
	free(s);
	json_decref(env);
}

START_TEST(error_envelopes)
{
	const char *body = "{\"error\": \"bad key\"}";
	check_env(ts_tsapi_error_envelope(RELAYD_HTTP_OK, 401, "Unauthorized",
	                                  "application/json; charset=utf-8", body, strlen(body), NULL),
	          "{\"error\":{\"message\":[\"Unauthorized\",\"401\",\"{'error': 'bad key'}\"],"
	          "\"type\":\"ThreatStackAPIError\"},\"success\":false}");
	check_env(ts_tsapi_error_envelope(RELAYD_HTTP_OK, 503, "Service Unavailable", "text/html",
	                                  "<html/>", 7, NULL),
	          "{\"error\":{\"message\":[\"Service Unavailable\",\"503\"],"
	          "\"type\":\"ThreatStackRequestError\"},\"success\":false}");
	check_env(ts_tsapi_error_envelope(RELAYD_HTTP_OK, 502, "Bad Gateway", NULL, NULL, 0, NULL),
	          "{\"error\":{\"message\":[\"Bad Gateway\",\"502\"],"
	          "\"type\":\"ThreatStackRequestError\"},\"success\":false}");
	check_env(ts_tsapi_error_envelope(RELAYD_HTTP_CONNECT, 0, NULL, NULL, NULL, 0,
	                                  "Failed to connect to 127.0.0.1 port 9 after 0 ms"),
	          "{\"error\":{\"message\":[\"Failed to connect to 127.0.0.1 port 9 after 0 ms\"],"
	          "\"type\":\"ThreatStackRequestError\"},\"success\":false}");
	check_env(ts_tsapi_error_envelope(RELAYD_HTTP_OK, 500, "Internal Server Error",
	                                  "application/json", "nope", 4, NULL),
	          "{\"error\":{\"message\":\"An unexpected error has occurred.\","
	          "\"type\":\"UnexpectedException\"},\"success\":false}");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts_tsapi");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, urls);
	tcase_add_test(tc, headers);
	tcase_add_test(tc, classify);
	tcase_add_test(tc, error_envelopes);
	suite_add_tcase(s, tc);
	return s;
}

TS_RUN_SUITE(suite)
