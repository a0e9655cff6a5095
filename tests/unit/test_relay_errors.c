/* SPDX-License-Identifier: MIT */
/* Tests for sdk/src/relay_errors.c: transport failures and statuses against the fixtures. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/sdk.h>

#include "mock_host.h"

static struct mock_host *m;
static const struct relayd_host *host;

static void setup(void)
{
	m = mock_host_new();
	ck_assert_ptr_nonnull(m);
	host = mock_host_services(m);
}

static void teardown(void)
{
	mock_host_free(m);
	m = NULL;
}

static json_t *load_fixture(const char *rel)
{
	const char *dir = getenv("FIXTURES_DIR");
	ck_assert_msg(dir != NULL, "FIXTURES_DIR is not set");
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	ck_assert_msg(j != NULL, "%s: %s", path, err.text);
	return j;
}

static void assert_result_json(struct relayd_call *call, const json_t *expected)
{
	ck_assert_uint_eq(mock_call_end_count(call), 1);
	ck_assert_int_eq(mock_call_http_status(call), 200);
	json_t *got = mock_host_result(m, call);
	char *g = mock_host_result_dump(m, call);
	char *e = json_dumps(expected, JSON_COMPACT | JSON_SORT_KEYS);
	ck_assert_msg(json_equal(got, (json_t *)expected), "got %s, want %s", g, e);
	free(g);
	free(e);
}

static void assert_result_text(struct relayd_call *call, const char *expected)
{
	json_t *want = json_loads(expected, 0, NULL);
	ck_assert_ptr_nonnull(want);
	assert_result_json(call, want);
	json_decref(want);
}

/* How a test's done callback ends the call. */
enum action { FAIL_STYLED, FAIL_PLAIN, FAIL_PULSEDIVE_STATUS };

struct upstream_case {
	enum action action;
	struct relayd_upstream_style style;
	json_t *partial;
};

/* pulsedive.md §3.2: the message is the body's "error", null without it, and
 * "The Pulsedive API error." for a body that is not JSON. */
static void fail_like_pulsedive(struct relayd_call *call, json_t *partial,
                                const struct relayd_http_response *resp)
{
	json_t *body = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (!json_is_object(body)) {
		relayd_fail_upstream_status(host, call, partial, resp, "The Pulsedive API error.");
	} else {
		relayd_fail_upstream_status(host, call, partial, resp,
		                            json_string_value(json_object_get(body, "error")));
	}
	json_decref(body);
}

static void on_done(struct relayd_call *call, const struct relayd_http_response *resp,
                    void *arg)
{
	struct upstream_case *c = arg;
	switch (c->action) {
	case FAIL_STYLED:
		relayd_fail_upstream_style(host, call, c->partial, &c->style, resp);
		break;
	case FAIL_PLAIN:
		relayd_fail_upstream(host, call, c->partial, c->style.provider, resp);
		break;
	case FAIL_PULSEDIVE_STATUS:
		fail_like_pulsedive(call, c->partial, resp);
		break;
	}
}

/* One request to http://up/x answered as canned, ended by @p c. */
static struct relayd_call *run_case(struct upstream_case *c)
{
	struct relayd_call *call = mock_host_call_new(m);
	ck_assert_ptr_nonnull(call);
	const struct relayd_http_request req = {.url = "http://up/x", .timeout_ms = 2500};
	host->http(call, &req, on_done, c);
	ck_assert_uint_eq(mock_host_run(m), 1);
	return call;
}

static struct relayd_call *run_error(enum relayd_http_error error, const char *text,
                                     struct upstream_case *c)
{
	ck_assert_int_eq(mock_host_http_error(m, "GET", "http://up/x", error, text), 0);
	return run_case(c);
}

START_TEST(tls_pulsedive_capitalises)
{
	struct upstream_case c = {FAIL_STYLED, {"Pulsedive", NULL, RELAYD_TLS_CAPITALIZE}, NULL};
	struct relayd_call *call = run_error(RELAYD_HTTP_TLS, "self signed certificate", &c);
	json_t *want = load_fixture("pulsedive/expected_error_ssl.json");
	assert_result_json(call, want);
	json_decref(want);
}
END_TEST

START_TEST(tls_spycloud_as_is)
{
	struct upstream_case c = {FAIL_PLAIN, {"SpyCloud", NULL, 0}, NULL};
	struct relayd_call *call = run_error(RELAYD_HTTP_TLS, "self signed certificate", &c);
	json_t *want = load_fixture("spycloud/expected_error_ssl.json");
	assert_result_json(call, want);
	json_decref(want);
}
END_TEST

START_TEST(tls_gigamon_code_case_and_period)
{
	struct upstream_case c = {
	    FAIL_STYLED,
	    {"Gigamon ThreatINSIGHT", "ssl certificate verification failed",
	     RELAYD_TLS_CAPITALIZE | RELAYD_TLS_LOWER_REST | RELAYD_TLS_PERIOD},
	    NULL};
	struct relayd_call *call = run_error(RELAYD_HTTP_TLS, "self SIGNED certificate", &c);
	assert_result_text(call, "{\"errors\":[{\"code\":\"ssl certificate verification failed\","
	                         "\"message\":\"Unable to verify SSL certificate: Self signed "
	                         "certificate.\",\"type\":\"fatal\"}]}");
}
END_TEST

START_TEST(timeout_names_provider_and_ms)
{
	struct upstream_case c = {FAIL_PLAIN, {"Pulsedive", NULL, 0}, NULL};
	struct relayd_call *call = run_error(RELAYD_HTTP_TIMEOUT, "Operation timed out", &c);
	assert_result_text(call, "{\"errors\":[{\"code\":\"request timeout\",\"message\":"
	                         "\"Pulsedive did not answer within 2500 ms.\",\"type\":\"fatal\"}]}");
}
END_TEST

START_TEST(connect_failure_keeps_partial_data)
{
	struct upstream_case c = {FAIL_PLAIN, {"SpyCloud", NULL, 0}, NULL};
	c.partial = json_pack("{s:{s:i}}", "sightings", "count", 1);
	struct relayd_call *call =
	    run_error(RELAYD_HTTP_CONNECT, "Could not resolve host: api.spycloud.io", &c);
	assert_result_text(call, "{\"data\":{\"sightings\":{\"count\":1}},\"errors\":[{\"code\":"
	                         "\"unknown\",\"message\":\"Unable to reach SpyCloud: Could not "
	                         "resolve host: api.spycloud.io\",\"type\":\"fatal\"}]}");
}
END_TEST

START_TEST(local_limits_and_internal_errors)
{
	struct upstream_case c = {FAIL_PLAIN, {"Pulsedive", NULL, 0}, NULL};
	struct relayd_call *call = run_error(RELAYD_HTTP_TOO_LARGE, "too large", &c);
	assert_result_text(call, "{\"errors\":[{\"code\":\"unknown\",\"message\":\"Pulsedive "
	                         "answered with more data than max_response_body allows.\","
	                         "\"type\":\"fatal\"}]}");
	mock_host_free(m);
	setup();
	call = run_error(RELAYD_HTTP_BUSY, "busy", &c);
	assert_result_text(call, "{\"errors\":[{\"code\":\"too many requests\",\"message\":"
	                         "\"Too many requests to Pulsedive in flight (relayd "
	                         "max_upstream_inflight); try again later.\",\"type\":\"fatal\"}]}");
	mock_host_free(m);
	setup();
	call = run_error(RELAYD_HTTP_INTERNAL, "curl_easy_init failed", &c);
	assert_result_text(call, "{\"errors\":[{\"code\":\"unknown\",\"message\":\"Request to "
	                         "Pulsedive failed: curl_easy_init failed\",\"type\":\"fatal\"}]}");
}
END_TEST

START_TEST(unhandled_status_uses_reason_phrase)
{
	struct upstream_case c = {FAIL_PLAIN, {"SpyCloud", NULL, 0}, NULL};
	ck_assert_int_eq(
	    mock_host_http_answer(m, "GET", "http://up/x", 502, "Bad Gateway", "{}", NULL), 0);
	struct relayd_call *call = run_case(&c);
	assert_result_text(call, "{\"errors\":[{\"code\":\"bad gateway\",\"message\":\"SpyCloud "
	                         "answered with HTTP status 502.\",\"type\":\"fatal\"}]}");
}
END_TEST

START_TEST(empty_reason_phrase_is_unknown)
{
	struct upstream_case c = {FAIL_PLAIN, {"Pulsedive", NULL, 0}, NULL};
	ck_assert_int_eq(mock_host_http_answer(m, "GET", "http://up/x", 503, "", "x", NULL), 0);
	struct relayd_call *call = run_case(&c);
	assert_result_text(call, "{\"errors\":[{\"code\":\"unknown\",\"message\":\"Pulsedive "
	                         "answered with HTTP status 503.\",\"type\":\"fatal\"}]}");
}
END_TEST

START_TEST(reason_code_lower_cases)
{
	struct relayd_call *call = mock_host_call_new(m);
	struct relayd_http_response resp = {.error = RELAYD_HTTP_OK, .status = 404,
	                                    .reason = "NOT FOUND"};
	ck_assert_str_eq(relayd_reason_code(host, call, &resp), "not found");
	resp.reason = "Too Many Requests";
	ck_assert_str_eq(relayd_reason_code(host, call, &resp), "too many requests");
	resp.reason = "";
	ck_assert_str_eq(relayd_reason_code(host, call, &resp), "unknown");
	resp.reason = NULL;
	ck_assert_str_eq(relayd_reason_code(host, call, &resp), "unknown");
	resp = (struct relayd_http_response){.error = RELAYD_HTTP_TIMEOUT, .reason = "x"};
	ck_assert_str_eq(relayd_reason_code(host, call, &resp), "unknown");
	ck_assert_str_eq(relayd_reason_code(host, call, NULL), "unknown");
}
END_TEST

/* Every row of the fixture that ends in an error, through a pulsedive-like
 * done callback: reason phrase → code, body "error" → message. */
START_TEST(pulsedive_status_mapping_fixture)
{
	json_t *rows = load_fixture("pulsedive/expected_upstream_status_mapping_derived.json");
	size_t i;
	json_t *row;
	unsigned checked = 0;
	json_array_foreach(rows, i, row) {
		json_t *body = json_object_get(row, "body");
		if (!json_object_get(body, "errors"))
			continue; /* 400/404/406: the plugin's "nothing known" path */
		mock_host_free(m);
		setup();
		json_t *upstream = json_object_get(row, "upstream_body");
		char *text = json_is_string(upstream) ? strdup(json_string_value(upstream))
		                                      : json_dumps(upstream, JSON_COMPACT);
		ck_assert_int_eq(
		    mock_host_http_answer(m, "GET", "http://up/x",
		                          (long)json_integer_value(json_object_get(row, "upstream_status")),
		                          json_string_value(json_object_get(row, "upstream_reason_phrase")),
		                          text, NULL),
		    0);
		free(text);
		struct upstream_case c = {FAIL_PULSEDIVE_STATUS, {"Pulsedive", NULL, 0}, NULL};
		struct relayd_call *call = run_case(&c);
		assert_result_json(call, body);
		checked++;
	}
	ck_assert_uint_eq(checked, 18);
	json_decref(rows);
}
END_TEST

START_TEST(pulsedive_408_fixture)
{
	json_t *upstream = load_fixture("pulsedive/upstream_error_408_processing.json");
	char *text = json_dumps(upstream, JSON_COMPACT);
	ck_assert_int_eq(
	    mock_host_http_answer(m, "GET", "http://up/x", 408, "Request Timeout", text, NULL), 0);
	free(text);
	json_decref(upstream);
	struct upstream_case c = {FAIL_PULSEDIVE_STATUS, {"Pulsedive", NULL, 0}, NULL};
	struct relayd_call *call = run_case(&c);
	json_t *want = load_fixture("pulsedive/expected_error_upstream_408.json");
	assert_result_json(call, want);
	json_decref(want);
}
END_TEST

START_TEST(invalid_json_and_rate_limited)
{
	struct relayd_call *call = mock_host_call_new(m);
	relayd_fail_invalid_json(host, call, NULL, "Gigamon ThreatINSIGHT");
	assert_result_text(call, "{\"errors\":[{\"code\":\"unknown\",\"message\":\"Gigamon "
	                         "ThreatINSIGHT answered with invalid JSON.\",\"type\":\"fatal\"}]}");
	call = mock_host_call_new(m);
	relayd_fail_rate_limited(host, call, json_object(), "Pulsedive");
	assert_result_text(call, "{\"data\":{},\"errors\":[{\"code\":\"too many requests\","
	                         "\"message\":\"Too many requests to Pulsedive (relayd rate_limit); "
	                         "try again later.\",\"type\":\"fatal\"}]}");
}
END_TEST

static Suite *relay_errors_suite(void)
{
	Suite *s = suite_create("relay_errors");
	TCase *tc = tcase_create("transport");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, tls_pulsedive_capitalises);
	tcase_add_test(tc, tls_spycloud_as_is);
	tcase_add_test(tc, tls_gigamon_code_case_and_period);
	tcase_add_test(tc, timeout_names_provider_and_ms);
	tcase_add_test(tc, connect_failure_keeps_partial_data);
	tcase_add_test(tc, local_limits_and_internal_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("status");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, unhandled_status_uses_reason_phrase);
	tcase_add_test(tc, empty_reason_phrase_is_unknown);
	tcase_add_test(tc, reason_code_lower_cases);
	tcase_add_test(tc, pulsedive_status_mapping_fixture);
	tcase_add_test(tc, pulsedive_408_fixture);
	tcase_add_test(tc, invalid_json_and_rate_limited);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(relay_errors_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
