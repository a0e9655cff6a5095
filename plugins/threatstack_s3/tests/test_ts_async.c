/* SPDX-License-Identifier: MIT */
/* The plugin's asynchronous parts on the mock host: POST → spool → delivery (retries, 404), the s3 backend's requests and pagination, fini during a backoff. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include <relayd/status.h>
#include <mock_host.h>

/* The descriptor's init/fini and routes are static: test them as relayd does. */
#include "../threatstack_s3.c"

#include "ts_sigv4.h"
#include "ts_test_util.h"

#define TS_URL "http://ts.test/api/v1"
#define ID1 "587c0159a907346eccb84004"
#define DETAIL_URL TS_URL "/alerts/" ID1
#define WEBHOOK_KEY "webhooks/2017/01/15/23/10/" ID1
#define ALERT_KEY "alerts/58/7c/" ID1
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static char tmp[256];
static struct mock_host *m;
static void *state;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void setup(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/ts-async-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	m = mock_host_new();
	ck_assert_ptr_nonnull(m);
	char store[300], spool[300];
	snprintf(store, sizeof store, "%s/store", tmp);
	snprintf(spool, sizeof spool, "%s/spool", tmp);
	const char *cfg[][2] = {
	    {"store", "dir"},           {"store_dir", store},         {"spool_dir", spool},
	    {"spool_max_bytes", "1M"},  {"spool_max_age_s", "604800"}, {"retry_min_ms", "100"},
	    {"retry_max_ms", "1000"},   {"threatstack_url", TS_URL},  {"threatstack_key", "k1"},
	    {"s3_region", "us-east-1"}, {"webhook_secret_header", "X-Webhook-Secret"},
	};
	for (size_t i = 0; i < sizeof cfg / sizeof *cfg; i++)
		ck_assert_int_eq(mock_host_set_config(m, cfg[i][0], cfg[i][1]), 0);
	state = NULL;
}

static void teardown(void)
{
	if (state)
		ts_fini(state);
	state = NULL;
	mock_host_free(m);
	nftw(tmp, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void init_plugin(void)
{
	ck_assert_int_eq(ts_init(mock_host_services(m), mock_host_plugin_ctx(m), &state), RELAYD_OK);
}

static char *read_store(const char *key)
{
	char path[512];
	snprintf(path, sizeof path, "%s/store/%s", tmp, key);
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = calloc(1, 65536);
	size_t n = fread(buf, 1, 65535, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static struct relayd_call *post(const char *body)
{
	struct relayd_call *call = mock_host_call_new(m);
	ck_assert_int_eq(mock_call_set_request(call, "POST", "api/v1/s3/alert", body, strlen(body)), 0);
	ts_route_post_alert(state, call);
	mock_host_run(m);
	ck_assert_uint_eq(mock_call_end_count(call), 1);
	return call;
}

static void assert_result(struct relayd_call *call, int status, const char *json)
{
	ck_assert_int_eq(mock_call_http_status(call), status);
	char *got = mock_host_result_dump(m, call);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, json);
	free(got);
}

static size_t detail_requests(void)
{
	size_t n = 0;
	for (size_t i = 0; i < mock_host_request_count(m); i++)
		if (strcmp(mock_host_request(m, i)->url, DETAIL_URL) == 0)
			n++;
	return n;
}

static struct ts_plugin *plugin(void) { return state; }

static size_t spool_depth(void)
{
	struct ts_spool_stats st;
	ts_spool_stats(plugin()->spool, m ? mock_host_services(m)->now_ms() : 0, &st);
	return st.depth;
}

/* ---- POST → spool → delivery ------------------------------------------------ */

START_TEST(post_spools_then_delivers)
{
	char *detail = ts_fixture("threatstack_api_v1_alert_detail.json", NULL);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", DETAIL_URL, 200, "OK", detail, NULL), 0);
	init_plugin();
	char *body = ts_fixture("webhook_single.json", NULL);
	struct relayd_call *call = post(body);
	assert_result(call, 200, "{\"success\":true}");
	/* Spooled and answered; nothing fetched until the loop's timer runs. */
	ck_assert_uint_eq(spool_depth(), 1);
	ck_assert_uint_eq(detail_requests(), 0);
	ck_assert_double_eq(mock_host_metric(m, TS_METRIC_SPOOL_DEPTH, NULL), 1);

	mock_host_advance(m, 0);
	ck_assert_uint_eq(detail_requests(), 1);
	const struct mock_request *r = mock_host_find_request(m, "GET", DETAIL_URL);
	ck_assert_str_eq(mock_request_header(r, "Authorization"), "k1");
	ck_assert_ptr_null(mock_request_header(r, "Organization"));
	ck_assert_uint_eq(spool_depth(), 0);
	ck_assert_double_eq(mock_host_metric(m, TS_METRIC_DELIVERED, NULL), 1);
	ck_assert_double_eq(mock_host_metric(m, TS_METRIC_SPOOL_DEPTH, NULL), 0);

	char *w = read_store(WEBHOOK_KEY), *a = read_store(ALERT_KEY);
	ck_assert_ptr_nonnull(w);
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(w, "{\"id\": \"587c0159a907346eccb84004\", \"title\": \"Netcat Detected!\", "
	                    "\"created_at\": 1484521817000, \"severity\": 1, \"organization_id\": "
	                    "\"545d0293b620cd090d000023\", \"server_or_region\": "
	                    "\"Threat_Stack_Demo_Ubuntu1\", \"source\": \"Host\"}");
	json_t *stored = json_loads(a, 0, NULL);
	json_t *want = ts_fixture_json("threatstack_api_v1_alert_detail.json");
	ts_assert_json_eq(stored, want);
	json_decref(want);
	free(w);
	free(a);
	free(body);
	free(detail);
}
END_TEST

/* 500 twice, then 200: retried after retry_min_ms ±20 %, then twice that. */
START_TEST(threatstack_500_backs_off_then_delivers)
{
	ck_assert_int_eq(mock_host_http_answer(m, "GET", DETAIL_URL, 500, "Internal Server Error",
	                                       "{}", NULL),
	                 0);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", DETAIL_URL, 500, "Internal Server Error",
	                                       "{}", NULL),
	                 0);
	char *detail = ts_fixture("threatstack_api_v1_alert_detail.json", NULL);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", DETAIL_URL, 200, "OK", detail, NULL), 0);
	init_plugin();
	char *body = ts_fixture("webhook_single.json", NULL);
	assert_result(post(body), 200, "{\"success\":true}");
	mock_host_advance(m, 0);
	ck_assert_uint_eq(detail_requests(), 1);
	ck_assert_uint_eq(spool_depth(), 1);
	ck_assert_double_eq(mock_host_metric(m, TS_METRIC_FAILURES, "stage=\"threatstack\""), 1);
	ck_assert(mock_host_log_contains(m, "Threat Stack detail unavailable: HTTP 500"));

	/* First retry within [80, 120] ms. */
	mock_host_advance(m, 79);
	ck_assert_uint_eq(detail_requests(), 1);
	mock_host_advance(m, 41);
	ck_assert_uint_eq(detail_requests(), 2);
	/* Second within [160, 240] ms of that (the timer ran at its due time ≤ now). */
	mock_host_advance(m, 159 - 41);
	ck_assert_uint_eq(detail_requests(), 2);
	mock_host_advance(m, 241);
	ck_assert_uint_eq(detail_requests(), 3);
	ck_assert_uint_eq(spool_depth(), 0);
	ck_assert_double_eq(mock_host_metric(m, TS_METRIC_DELIVERED, NULL), 1);
	char *w = read_store(WEBHOOK_KEY);
	ck_assert_ptr_nonnull(w);
	free(w);
	struct ts_delivery_stats ds;
	ts_delivery_stats_get(plugin(), &ds);
	ck_assert_uint_eq(ds.failures, 2);
	ck_assert_uint_eq(ds.delivered, 1);
	ck_assert_str_eq(ds.last_error, "");
	free(body);
	free(detail);
}
END_TEST

START_TEST(threatstack_404_drops)
{
	ck_assert_int_eq(mock_host_http_answer(m, "GET", DETAIL_URL, 404, "Not Found", "{}", NULL), 0);
	init_plugin();
	char *body = ts_fixture("webhook_single.json", NULL);
	assert_result(post(body), 200, "{\"success\":true}");
	mock_host_advance(m, 0);
	ck_assert_uint_eq(spool_depth(), 0);
	ck_assert_double_eq(mock_host_metric(m, TS_METRIC_REJECTED, "reason=\"not_found\""), 1);
	ck_assert_double_eq(mock_host_metric(m, TS_METRIC_DELIVERED, NULL), 0);
	ck_assert_ptr_null(read_store(WEBHOOK_KEY));
	/* Nothing else is scheduled: the clock moving changes nothing. */
	mock_host_advance(m, 60000);
	ck_assert_uint_eq(detail_requests(), 1);
	free(body);
}
END_TEST

/* fini while a retry timer is pending: the plugin must not touch the timer
 * (the real host has already freed it, see ts_delivery_stop). */
START_TEST(fini_during_backoff)
{
	ck_assert_int_eq(mock_host_http_error(m, "GET", DETAIL_URL, RELAYD_HTTP_TIMEOUT,
	                                      "Operation timed out"),
	                 0);
	init_plugin();
	char *body = ts_fixture("webhook_single.json", NULL);
	assert_result(post(body), 200, "{\"success\":true}");
	mock_host_advance(m, 0);
	ck_assert_uint_eq(detail_requests(), 1);
	ts_fini(state);
	state = NULL;
	free(body);
	/* The spool file stays for the next start. */
	char path[400];
	snprintf(path, sizeof path, "%s/spool/%s.json", tmp, ID1);
	ck_assert_int_eq(access(path, R_OK), 0);
	init_plugin();
	ck_assert_uint_eq(spool_depth(), 1);
}
END_TEST

START_TEST(invalid_webhook_is_400_before_spooling)
{
	init_plugin();
	struct relayd_call *call = post("{\"alerts\": []}");
	assert_result(call, 400,
	              "{\"error\":{\"message\":[\"Webhook lacks alerts: {'alerts': []}\"],"
	              "\"type\":\"S3ViewWebhookDataError\"},\"success\":false}");
	ck_assert_uint_eq(spool_depth(), 0);
	ck_assert_double_eq(mock_host_metric(m, TS_METRIC_REJECTED, "reason=\"invalid\""), 1);
	ck_assert_uint_eq(mock_host_request_count(m), 0);
}
END_TEST

START_TEST(webhook_auth_401)
{
	ck_assert_int_eq(mock_host_set_config(m, "webhook_secret", "s3cr3t"), 0);
	init_plugin();
	struct relayd_call *call = mock_host_call_new(m);
	ck_assert_int_eq(mock_call_set_request(call, "GET", "api/v1/s3/status", NULL, 0), 0);
	ts_route_status(state, call);
	mock_host_run(m);
	assert_result(call, 401,
	              "{\"error\":{\"message\":[\"Webhook authentication failed.\"],"
	              "\"type\":\"WebhookAuthError\"},\"success\":false}");
	ck_assert_ptr_null(mock_call_reply_header(call, "WWW-Authenticate"));
	ck_assert_double_eq(mock_host_metric(m, TS_METRIC_REJECTED, "reason=\"unauthorized\""), 1);
}
END_TEST

/* The mock host offers no listen_is_loopback: the warning errs on the side of showing. */
START_TEST(auth_off_warns_without_loopback_answer)
{
	init_plugin();
	ck_assert(mock_host_log_contains(m, "webhook authentication is off"));
}
END_TEST

/* ---- the s3 backend ------------------------------------------------------------- */

struct capture {
	int calls;
	enum ts_store_outcome outcome;
	char message[512];
	char body[512];
	char keys[8][128];
	size_t n_keys;
};

static void capture_done(struct relayd_call *call, const struct ts_store_result *res, void *arg)
{
	(void)call;
	struct capture *c = arg;
	c->calls++;
	c->outcome = res->outcome;
	snprintf(c->message, sizeof c->message, "%s", res->message ? res->message : "");
	snprintf(c->body, sizeof c->body, "%.*s", (int)res->body_len, res->body ? res->body : "");
	c->n_keys = res->n_keys < 8 ? res->n_keys : 8;
	for (size_t i = 0; i < c->n_keys; i++)
		snprintf(c->keys[i], sizeof c->keys[i], "%s", res->keys[i]);
}

static const struct ts_s3_config s3cfg = {
    .bucket = "bkt",
    .region = "us-east-1",
    .endpoint = "http://s3.test:9000",
    .path_style = true,
    .access_key = "AK",
    .secret_key = "SK",
};

START_TEST(s3_put_get_requests)
{
	struct ts_store *st = ts_store_s3_new(mock_host_services(m), &s3cfg);
	ck_assert_ptr_nonnull(st);
	struct relayd_call *call = mock_host_services(m)->task_begin(mock_host_plugin_ctx(m));
	const char *url = "http://s3.test:9000/bkt/" WEBHOOK_KEY;
	ck_assert_int_eq(mock_host_http_answer(m, "PUT", url, 200, "OK", "", NULL), 0);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", url, 200, "OK", "{\"a\": 1}", NULL), 0);

	struct capture c = {0};
	st->ops->put(st, call, WEBHOOK_KEY, "{\"a\": 1}", 8, capture_done, &c);
	mock_host_run(m);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(c.outcome, TS_STORE_OK);
	const struct mock_request *r = mock_host_find_request(m, "PUT", url);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->aws_sigv4, "aws:amz:us-east-1:s3");
	ck_assert_str_eq(r->userpwd, "AK:SK");
	ck_assert_str_eq(r->body, "{\"a\": 1}");
	ck_assert_str_eq(mock_request_header(r, "Content-Type"), "application/json");
	char hash[65];
	ts_sha256_hex("{\"a\": 1}", 8, hash);
	ck_assert_str_eq(mock_request_header(r, "x-amz-content-sha256"), hash);

	st->ops->get(st, call, WEBHOOK_KEY, capture_done, &c);
	mock_host_run(m);
	ck_assert_int_eq(c.calls, 2);
	ck_assert_int_eq(c.outcome, TS_STORE_OK);
	ck_assert_str_eq(c.body, "{\"a\": 1}");
	r = mock_host_find_request(m, "GET", url);
	ck_assert_str_eq(mock_request_header(r, "x-amz-content-sha256"), EMPTY_SHA256);
	ck_assert_ptr_null(mock_request_header(r, "Content-Type"));
	mock_host_services(m)->task_end(call);
	st->ops->free(st);
}
END_TEST

START_TEST(s3_errors_map_to_outcomes)
{
	struct ts_store *st = ts_store_s3_new(mock_host_services(m), &s3cfg);
	struct relayd_call *call = mock_host_services(m)->task_begin(mock_host_plugin_ctx(m));
	char *nosuchkey = ts_fixture("s3_error_nosuchkey_synthetic.xml", NULL);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", "http://s3.test:9000/bkt/a/missing", 404,
	                                       "Not Found", nosuchkey, NULL),
	                 0);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", "http://s3.test:9000/bkt/a/busy", 503,
	                                       "Slow Down",
	                                       "<Error><Code>SlowDown</Code><Message>Reduce your "
	                                       "request rate.</Message></Error>",
	                                       NULL),
	                 0);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", "http://s3.test:9000/bkt/a/denied", 403,
	                                       "Forbidden",
	                                       "<Error><Code>AccessDenied</Code><Message>Access "
	                                       "Denied</Message></Error>",
	                                       NULL),
	                 0);
	struct capture c = {0};
	st->ops->get(st, call, "a/missing", capture_done, &c);
	mock_host_run(m);
	ck_assert_int_eq(c.outcome, TS_STORE_NOT_FOUND);
	ck_assert_str_eq(c.message, TS_STORE_NOSUCHKEY_GET);
	st->ops->get(st, call, "a/busy", capture_done, &c);
	mock_host_run(m);
	ck_assert_int_eq(c.outcome, TS_STORE_RETRY);
	ck_assert_str_eq(c.message, "An error occurred (SlowDown) when calling the GetObject "
	                            "operation: Reduce your request rate.");
	st->ops->get(st, call, "a/denied", capture_done, &c);
	mock_host_run(m);
	ck_assert_int_eq(c.outcome, TS_STORE_FAIL);
	ck_assert_str_eq(c.message,
	                 "An error occurred (AccessDenied) when calling the GetObject operation: "
	                 "Access Denied");
	/* No canned answer: a connection error. */
	st->ops->get(st, call, "a/unreachable", capture_done, &c);
	mock_host_run(m);
	ck_assert_int_eq(c.calls, 4);
	ck_assert_int_eq(c.outcome, TS_STORE_RETRY);
	ck_assert_str_eq(c.message, TS_STORE_UNREACHABLE);
	mock_host_services(m)->task_end(call);
	st->ops->free(st);
	free(nosuchkey);
}
END_TEST

/* ListObjectsV2 follows NextContinuationToken (canonical query, token
 * percent-encoded) and returns every page's keys, sorted. */
START_TEST(s3_list_follows_continuation)
{
	struct ts_store *st = ts_store_s3_new(mock_host_services(m), &s3cfg);
	struct relayd_call *call = mock_host_services(m)->task_begin(mock_host_plugin_ctx(m));
	char *page1 = ts_fixture("s3_list_objects_v2_response_truncated_synthetic.xml", NULL);
	char *page2 = ts_fixture("s3_list_objects_v2_response_synthetic.xml", NULL);
	const char *url1 = "http://s3.test:9000/bkt?list-type=2&prefix=webhooks%2F";
	const char *url2 = "http://s3.test:9000/bkt?continuation-token="
	                   "1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D&list-type=2&"
	                   "prefix=webhooks%2F";
	char *u1 = ts_s3_list_url(&s3cfg, "webhooks/", NULL);
	ck_assert_str_eq(u1, url1);
	free(u1);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", url1, 200, "OK", page1, NULL), 0);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", url2, 200, "OK", page2, NULL), 0);
	struct capture c = {0};
	st->ops->list(st, call, "webhooks/", capture_done, &c);
	mock_host_run(m);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(c.outcome, TS_STORE_OK);
	ck_assert_uint_eq(mock_host_request_count(m), 2);
	ck_assert_str_eq(mock_host_request(m, 1)->url, url2);
	/* Page 1's key once per page it appears on, then sorted. */
	ck_assert_uint_ge(c.n_keys, 2);
	for (size_t i = 1; i < c.n_keys; i++)
		ck_assert_int_le(strcmp(c.keys[i - 1], c.keys[i]), 0);
	ck_assert_str_eq(c.keys[0], "webhooks/2017/01/15/23/10/587c0159a907346eccb84004");
	mock_host_services(m)->task_end(call);
	st->ops->free(st);
	free(page1);
	free(page2);
}
END_TEST

static Suite *async_suite(void)
{
	Suite *s = suite_create("ts_async");
	TCase *tc = tcase_create("mock_host");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, post_spools_then_delivers);
	tcase_add_test(tc, threatstack_500_backs_off_then_delivers);
	tcase_add_test(tc, threatstack_404_drops);
	tcase_add_test(tc, fini_during_backoff);
	tcase_add_test(tc, invalid_webhook_is_400_before_spooling);
	tcase_add_test(tc, webhook_auth_401);
	tcase_add_test(tc, auth_off_warns_without_loopback_answer);
	tcase_add_test(tc, s3_put_get_requests);
	tcase_add_test(tc, s3_errors_map_to_outcomes);
	tcase_add_test(tc, s3_list_follows_continuation);
	suite_add_tcase(s, tc);
	return s;
}

TS_RUN_SUITE(async_suite)
