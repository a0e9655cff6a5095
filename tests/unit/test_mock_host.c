/* SPDX-License-Identifier: MIT */
/* Tests for sdk/testing/mock_host.c, driven by a tiny inline plugin ("echo"). */
#include <check.h>
/* Check's deprecated fail() macro would swallow host->fail(...). */
#undef fail
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/plugin.h>
#include <relayd/sdk.h>

#include "mock_host.h"

/* ---- the fake plugin --------------------------------------------------- */

struct echo_state {
	const struct relayd_host *host;
	const char *base_url;
};

/* Per-call state, from the call's arena. */
struct echo_call {
	struct echo_state *st;
	json_t *items;
	const struct relayd_http_response *failure; /* only inspected inside its done */
	bool failed;
};

struct echo_item {
	struct echo_call *ec;
	const char *value;
};

static int echo_init(const struct relayd_host *host, struct relayd_plugin_ctx *pctx,
                     void **state)
{
	const char *base = host->config_string(pctx, "base_url");
	if (!base)
		return host->config_error(pctx, "base_url", "is required (%d)", 1);
	struct echo_state *st = calloc(1, sizeof *st);
	if (!st)
		return RELAYD_ENOMEM;
	st->host = host;
	st->base_url = base;
	host->log_plugin(pctx, RELAYD_LOG_INFO, "echo ready at %s", base);
	*state = st;
	return RELAYD_OK;
}

static void echo_fini(void *state)
{
	free(state);
}

static void echo_one_done(struct relayd_call *call, const struct relayd_http_response *resp,
                          void *arg)
{
	struct echo_item *it = arg;
	struct echo_call *ec = it->ec;
	const struct relayd_host *host = ec->st->host;
	if (ec->failed)
		return;
	if (resp->error == RELAYD_HTTP_OK && resp->status == 404) {
		host->warn(call, "not found", "No data for %s", it->value);
		return;
	}
	if (resp->error != RELAYD_HTTP_OK || resp->status != 200) {
		/* End at once; the gather still fires all_done later, which checks failed. */
		ec->failed = true;
		relayd_fail_upstream(host, call, json_deep_copy(ec->items), "Echo", resp);
		return;
	}
	json_t *body = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (!body) {
		ec->failed = true;
		relayd_fail_invalid_json(host, call, NULL, "Echo");
		return;
	}
	const char *type = host->http_header(resp, "content-type");
	json_object_set_new(body, "content_type", type ? json_string(type) : json_null());
	json_array_append_new(ec->items, body);
}

static void echo_all_done(struct relayd_call *call, void *arg)
{
	struct echo_call *ec = arg;
	const struct relayd_host *host = ec->st->host;
	if (ec->failed) {
		json_decref(ec->items);
		return;
	}
	char id[37];
	host->uuid4(id);
	host->metric_add("echo_calls_total", "result=\"ok\"", 1);
	host->log(call, RELAYD_LOG_INFO, "echo %zu items", json_array_size(ec->items));
	host->finish(call, json_pack("{s:o, s:s, s:I, s:i}", "items", ec->items, "id", id, "at",
	                             (json_int_t)host->now_ms(), "limit",
	                             host->call_entities_limit(call)));
}

static void echo_observe(void *state, struct relayd_call *call,
                         const struct relayd_observable *obs, size_t n)
{
	struct echo_state *st = state;
	const struct relayd_host *host = st->host;
	struct echo_call *ec = host->call_alloc(call, sizeof *ec);
	ec->st = st;
	ec->items = json_array();
	struct relayd_gather *g = relayd_gather_new(host, call, echo_all_done, ec);
	const char *key = host->call_api_key(call);
	const char *headers[] = {host->call_printf(call, "X-Key: %s", key ? key : "-"),
	                         "User-Agent: echo-test", NULL};
	for (size_t i = 0; i < n; i++) {
		struct echo_item *it = host->call_alloc(call, sizeof *it);
		it->ec = ec;
		it->value = host->call_strdup(call, obs[i].value);
		const char *kv[] = {"type", obs[i].type, "value", obs[i].value, NULL};
		char *url = relayd_url_with_form(st->base_url, "lookup", kv);
		const struct relayd_http_request req = {.url = url, .headers = headers};
		relayd_gather_http(g, &req, echo_one_done, it);
		free(url);
	}
	relayd_gather_start(g);
}

/* An extra route: echoes what the host says about the request. */
static void echo_route(void *state, struct relayd_call *call)
{
	struct echo_state *st = state;
	const struct relayd_host *host = st->host;
	size_t len = 0;
	const char *body = host->call_body(call, &len);
	char *text = host->call_printf(
	    call, "%s %s id=%s q=%s h=%s p0=%s body=%.*s", host->call_method(call),
	    host->call_path(call), host->call_route_param(call, 0), host->call_query(call, "q"),
	    host->call_header(call, "x-test"), host->call_request_id(call), (int)len, body);
	const char *headers[] = {"X-Echo: yes", NULL};
	host->reply(call, 201, "text/plain", headers, text, strlen(text));
}

static const char *const echo_types[] = {"ip", "domain", NULL};

static const struct relayd_plugin echo_plugin = {
    RELAYD_PLUGIN_HEADER,
    .name = "echo",
    .version = "0.0.1",
    .display_name = "Echo",
    .types = echo_types,
    .init = echo_init,
    .fini = echo_fini,
    .observe = echo_observe,
};

/* ---- fixture ----------------------------------------------------------- */

static struct mock_host *m;
static const struct relayd_host *host;
static void *state;

static void setup(void)
{
	m = mock_host_new();
	ck_assert_ptr_nonnull(m);
	host = mock_host_services(m);
	ck_assert_int_eq(mock_host_set_config(m, "base_url", "http://echo.test/api/"), 0);
	ck_assert_int_eq(echo_plugin.init(host, mock_host_plugin_ctx(m), &state), RELAYD_OK);
}

static void teardown(void)
{
	echo_plugin.fini(state);
	state = NULL;
	mock_host_free(m);
	m = NULL;
}

static void assert_dump(struct relayd_call *call, const char *expected)
{
	char *got = mock_host_result_dump(m, call);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, expected);
	free(got);
}

static const struct relayd_observable two_obs[] = {
    {.type = "ip", .value = "1.1.1.1"},
    {.type = "domain", .value = "a b.example"},
};

#define URL_IP "http://echo.test/api/lookup?type=ip&value=1.1.1.1"
#define URL_DOMAIN "http://echo.test/api/lookup?type=domain&value=a+b.example"

/* ---- tests ------------------------------------------------------------- */

START_TEST(init_reports_config_errors)
{
	struct mock_host *m2 = mock_host_new();
	void *st = NULL;
	ck_assert_int_eq(echo_plugin.init(mock_host_services(m2), mock_host_plugin_ctx(m2), &st),
	                 RELAYD_EINVAL);
	ck_assert_str_eq(mock_host_config_error(m2), "base_url: is required (1)");
	ck_assert_ptr_null(st);
	mock_host_free(m2);
}
END_TEST

START_TEST(observe_is_asynchronous_and_finishes_once)
{
	const char *ctype[] = {"Content-Type: application/json", NULL};
	ck_assert_int_eq(mock_host_http_answer(m, "GET", URL_IP, 200, "OK", "{\"v\":1}", ctype), 0);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", URL_DOMAIN, 200, "OK", "{\"v\":2}", NULL),
	                 0);
	struct relayd_call *call = mock_host_call_new(m);
	ck_assert_int_eq(mock_call_set_api_key(call, "K1"), 0);
	mock_call_set_entities_limit(call, 7);
	echo_plugin.observe(state, call, two_obs, 2);
	/* Nothing answered yet: the plugin must not have ended the call. */
	ck_assert_uint_eq(mock_call_end_count(call), 0);
	ck_assert_ptr_null(mock_host_result(m, call));
	ck_assert_uint_eq(mock_host_pending(m), 2);
	ck_assert_uint_eq(mock_host_run(m), 2);
	ck_assert_uint_eq(mock_host_pending(m), 0);
	ck_assert_uint_eq(mock_call_end_count(call), 1);
	ck_assert_int_eq(mock_call_http_status(call), 200);
	assert_dump(call, "{\"data\":{\"at\":1795428000000,\"id\":\"00000000-0000-4000-8000-"
	                  "000000000001\",\"items\":[{\"content_type\":\"application/json\","
	                  "\"v\":1},{\"content_type\":null,\"v\":2}],\"limit\":7}}");

	ck_assert_uint_eq(mock_host_request_count(m), 2);
	const struct mock_request *r = mock_host_request(m, 0);
	ck_assert_str_eq(r->method, "GET");
	ck_assert_str_eq(r->url, URL_IP);
	ck_assert_str_eq(r->headers[0], "X-Key: K1");
	ck_assert_str_eq(mock_request_header(r, "user-agent"), "echo-test");
	ck_assert_ptr_null(mock_request_header(r, "Accept"));
	ck_assert_ptr_null(r->headers[2]);
	ck_assert_ptr_eq(r->call, call);
	ck_assert_ptr_eq(mock_host_find_request(m, "GET", URL_DOMAIN), mock_host_request(m, 1));
	ck_assert_ptr_null(mock_host_find_request(m, "POST", URL_DOMAIN));
	ck_assert(mock_host_metric(m, "echo_calls_total", "result=\"ok\"") == 1.0);
	ck_assert(mock_host_log_contains(m, "info: echo 2 items"));
	ck_assert_str_eq(mock_host_log(m, 0), "info: echo ready at http://echo.test/api/");
}
END_TEST

START_TEST(warnings_go_with_finish)
{
	ck_assert_int_eq(mock_host_http_answer(m, "GET", URL_IP, 404, "Not Found", "", NULL), 0);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", URL_DOMAIN, 200, "OK", "{}", NULL), 0);
	struct relayd_call *call = mock_host_call_new(m);
	echo_plugin.observe(state, call, two_obs, 2);
	mock_host_run(m);
	assert_dump(call, "{\"data\":{\"at\":1795428000000,\"id\":\"00000000-0000-4000-8000-"
	                  "000000000001\",\"items\":[{\"content_type\":null}],\"limit\":100},"
	                  "\"errors\":[{\"code\":\"not found\",\"message\":\"No data for 1.1.1.1\","
	                  "\"type\":\"warning\"}]}");
}
END_TEST

START_TEST(failure_keeps_partial_data_and_warnings)
{
	ck_assert_int_eq(mock_host_http_answer(m, "GET", URL_IP, 200, "OK", "{\"v\":1}", NULL), 0);
	ck_assert_int_eq(mock_host_http_error(m, "GET", URL_DOMAIN, RELAYD_HTTP_TIMEOUT, NULL), 0);
	ck_assert_int_eq(mock_host_set_config(m, "timeout_ms", "1500"), 0);
	struct relayd_call *call = mock_host_call_new(m);
	host->warn(call, "w", "early %s", "warning");
	echo_plugin.observe(state, call, two_obs, 2);
	mock_host_run(m);
	ck_assert_uint_eq(mock_call_end_count(call), 1);
	assert_dump(call, "{\"data\":[{\"content_type\":null,\"v\":1}],\"errors\":[{\"code\":\"w\","
	                  "\"message\":\"early warning\",\"type\":\"warning\"},{\"code\":\"request "
	                  "timeout\",\"message\":\"Echo did not answer within 1500 ms.\",\"type\":"
	                  "\"fatal\"}]}");
}
END_TEST

START_TEST(unanswered_request_is_a_connect_error)
{
	struct relayd_call *call = mock_host_call_new(m);
	echo_plugin.observe(state, call, two_obs, 1);
	mock_host_run(m);
	assert_dump(call, "{\"data\":[],\"errors\":[{\"code\":\"unknown\",\"message\":\"Unable to "
	                  "reach Echo: mock_host: no answer for GET " URL_IP "\",\"type\":\"fatal\"}]}");
	ck_assert(mock_host_log_contains(m, "warn: mock_host: no answer for GET " URL_IP));
}
END_TEST

START_TEST(invalid_json_answer)
{
	ck_assert_int_eq(mock_host_http_answer(m, "GET", URL_IP, 200, "OK", "<html>", NULL), 0);
	struct relayd_call *call = mock_host_call_new(m);
	echo_plugin.observe(state, call, two_obs, 1);
	mock_host_run(m);
	assert_dump(call, "{\"errors\":[{\"code\":\"unknown\",\"message\":\"Echo answered with "
	                  "invalid JSON.\",\"type\":\"fatal\"}]}");
}
END_TEST

START_TEST(second_end_is_counted_and_ignored)
{
	struct relayd_call *call = mock_host_call_new(m);
	host->finish(call, json_pack("{s:i}", "a", 1));
	host->fail(call, json_object(), "unknown", "late");
	host->finish(call, NULL);
	ck_assert_uint_eq(mock_call_end_count(call), 3);
	assert_dump(call, "{\"data\":{\"a\":1}}");
	ck_assert(mock_host_log_contains(m, "error: fail: call req-1 already ended; ignored"));
}
END_TEST

START_TEST(fail_without_message_sends_null)
{
	struct relayd_call *call = mock_host_call_new(m);
	host->fail(call, NULL, "unauthorized", NULL);
	assert_dump(call, "{\"errors\":[{\"code\":\"unauthorized\",\"message\":null,\"type\":"
	                  "\"fatal\"}]}");
	struct relayd_call *empty_code = mock_host_call_new(m);
	host->fail(empty_code, NULL, "", "m");
	assert_dump(empty_code, "{\"errors\":[{\"code\":\"unknown\",\"message\":\"m\",\"type\":"
	                        "\"fatal\"}]}");
}
END_TEST

START_TEST(extra_route_sees_the_request_and_replies)
{
	struct relayd_call *call = mock_host_call_new(m);
	ck_assert_int_eq(mock_call_set_request(call, "PUT", "api/v1/alert/abc", "{\"x\":1}", 7), 0);
	ck_assert_int_eq(mock_call_set_query(call, "q", "a b"), 0);
	ck_assert_int_eq(mock_call_set_header(call, "X-Test", "h1"), 0);
	ck_assert_int_eq(mock_call_set_route_param(call, 0, "abc"), 0);
	echo_route(state, call);
	ck_assert_uint_eq(mock_call_end_count(call), 1);
	ck_assert_int_eq(mock_call_http_status(call), 201);
	ck_assert_str_eq(mock_call_reply_content_type(call), "text/plain");
	ck_assert_str_eq(mock_call_reply_header(call, "x-echo"), "yes");
	size_t len = 0;
	const char *body = mock_call_reply_body(call, &len);
	ck_assert_str_eq(body, "PUT api/v1/alert/abc id=abc q=a b h=h1 p0=req-1 body={\"x\":1}");
	ck_assert_uint_eq(len, strlen(body));
	ck_assert_ptr_null(mock_host_result(m, call)); /* not JSON */
}
END_TEST

START_TEST(reply_json_is_the_result)
{
	struct relayd_call *call = mock_host_call_new(m);
	host->reply_json(call, 400, json_pack("{s:b}", "success", 0));
	ck_assert_int_eq(mock_call_http_status(call), 400);
	assert_dump(call, "{\"success\":false}");
	ck_assert_str_eq(mock_call_reply_content_type(call), "application/json");
	ck_assert_str_eq(mock_call_reply_body(call, NULL), "{\"success\":false}");
}
END_TEST

START_TEST(call_accessors_and_defaults)
{
	struct relayd_call *call = mock_host_call_new(m);
	ck_assert_str_eq(host->call_request_id(call), "req-1");
	ck_assert_str_eq(host->call_method(call), "POST");
	ck_assert_str_eq(host->call_path(call), "");
	ck_assert_ptr_null(host->call_query(call, "x"));
	ck_assert_ptr_null(host->call_claims(call));
	ck_assert_ptr_null(host->call_api_key(call));
	ck_assert_int_eq(host->call_entities_limit(call), 100);
	ck_assert_int_eq(host->call_deadline_ms(call), MOCK_HOST_START_MS + 30000);
	ck_assert_ptr_eq(host->call_plugin(call), mock_host_plugin_ctx(m));
	json_t *claims = json_pack("{s:s, s:i}", "key", "K", "CTR_ENTITIES_LIMIT", 3);
	ck_assert_int_eq(mock_call_set_claims(call, claims), 0);
	json_decref(claims);
	ck_assert_str_eq(json_string_value(json_object_get(host->call_claims(call), "key")), "K");
	mock_call_set_deadline_ms(call, 5);
	ck_assert_int_eq(host->call_deadline_ms(call), 5);
	ck_assert_str_eq(host->call_printf(call, "%s-%d", "a", 2), "a-2");
	struct relayd_call *second = mock_host_call_new(m);
	ck_assert_str_eq(host->call_request_id(second), "req-2");
}
END_TEST

START_TEST(config_types)
{
	struct relayd_plugin_ctx *pctx = mock_host_plugin_ctx(m);
	mock_host_set_config(m, "n", "42");
	mock_host_set_config(m, "size", "64K");
	mock_host_set_config(m, "big", "2M");
	mock_host_set_config(m, "flag", "yes");
	mock_host_set_config(m, "off", "off");
	ck_assert_int_eq(host->config_int(pctx, "n"), 42);
	ck_assert_int_eq(host->config_int(pctx, "size"), 65536);
	ck_assert_int_eq(host->config_int(pctx, "big"), 2097152);
	ck_assert_int_eq(host->config_int(pctx, "missing"), 0);
	ck_assert(host->config_bool(pctx, "flag"));
	ck_assert(!host->config_bool(pctx, "off"));
	ck_assert(!host->config_bool(pctx, "missing"));
	char *path = host->config_path(pctx, "n");
	ck_assert_str_eq(path, "42");
	free(path);
	mock_host_set_config(m, "n", NULL);
	ck_assert_ptr_null(host->config_string(pctx, "n"));
}
END_TEST

/* Collects "<status> <reason> <body> <header>" of each answer. */
static char answers_seen[256];

static void collect_answer(struct relayd_call *call, const struct relayd_http_response *resp,
                           void *arg)
{
	(void)call;
	const struct relayd_host *h = arg;
	size_t len = strlen(answers_seen);
	const char *rem = h->http_header(resp, "x-requests-remaining-second");
	snprintf(answers_seen + len, sizeof answers_seen - len, "[%ld %s %s %s %ld]", resp->status,
	         resp->reason, resp->body, rem ? rem : "-", resp->timeout_ms);
}

START_TEST(canned_answers_in_order_then_sticky)
{
	const char *h[] = {"Content-Type: text/plain", "X-Requests-Remaining-Second:  3", NULL};
	mock_host_http_answer(m, "POST", "http://u/q", 500, "Internal Server Error", "one", NULL);
	mock_host_http_answer(m, "POST", "http://u/q", 200, "OK", "two", h);
	struct relayd_call *call = mock_host_call_new(m);
	answers_seen[0] = '\0';
	for (int i = 0; i < 3; i++) {
		const struct relayd_http_request req = {.method = "POST", .url = "http://u/q",
		                                        .body = "b=1", .body_len = 3,
		                                        .timeout_ms = i == 2 ? 99 : 0};
		host->http(call, &req, collect_answer, (void *)host);
	}
	ck_assert_str_eq(answers_seen, "");
	ck_assert_uint_eq(mock_host_run(m), 3);
	ck_assert_str_eq(answers_seen, "[500 Internal Server Error one - 10000]"
	                               "[200 OK two 3 10000][200 OK two 3 99]");
	const struct mock_request *r = mock_host_request(m, 1);
	ck_assert_str_eq(r->body, "b=1");
	ck_assert_uint_eq(r->body_len, 3);
	ck_assert_str_eq(r->method, "POST");
}
END_TEST

START_TEST(answer_from_fixture_file)
{
	const char *dir = getenv("FIXTURES_DIR");
	ck_assert_ptr_nonnull(dir);
	char path[1024];
	snprintf(path, sizeof path, "%s/pulsedive/upstream_info_parkingcrew_net.json", dir);
	ck_assert_int_eq(mock_host_http_answer_file(m, "GET", "http://u/f", 200, "OK", path, NULL),
	                 0);
	ck_assert_int_eq(mock_host_http_answer_file(m, "GET", "http://u/g", 200, "OK",
	                                            "/nonexistent/file.json", NULL),
	                 RELAYD_EIO);
	struct relayd_call *call = mock_host_call_new(m);
	answers_seen[0] = '\0';
	const struct relayd_http_request req = {.url = "http://u/f"};
	host->http(call, &req, collect_answer, (void *)host);
	mock_host_run(m);
	ck_assert(strncmp(answers_seen, "[200 OK {", 9) == 0);
	json_t *want = json_load_file(path, 0, NULL);
	ck_assert_ptr_nonnull(want);
	ck_assert_int_eq(json_integer_value(json_object_get(want, "iid")), 118);
	json_decref(want);
}
END_TEST

START_TEST(cache_ttl_and_config_default)
{
	struct relayd_call *call = mock_host_call_new(m);
	const void *v = NULL;
	size_t vlen = 0;
	ck_assert_int_eq(host->cache_get(call, "k", 1, &v, &vlen), RELAYD_ENOTFOUND);
	host->cache_put(call, "k", 1, "value", 5, 10);
	ck_assert_int_eq(host->cache_get(call, "k", 1, &v, &vlen), RELAYD_OK);
	ck_assert_uint_eq(vlen, 5);
	ck_assert_str_eq(v, "value");
	mock_host_advance(m, 9999);
	ck_assert_int_eq(host->cache_get(call, "k", 1, &v, &vlen), RELAYD_OK);
	mock_host_advance(m, 1);
	ck_assert_int_eq(host->cache_get(call, "k", 1, &v, &vlen), RELAYD_ENOTFOUND);
	/* ttl 0: the plugin's cache_ttl_s; 0 there means nothing is stored */
	host->cache_put(call, "z", 1, "x", 1, 0);
	ck_assert_int_eq(host->cache_get(call, "z", 1, &v, &vlen), RELAYD_ENOTFOUND);
	mock_host_set_config(m, "cache_ttl_s", "2");
	host->cache_put(call, "z", 1, "x", 1, 0);
	host->cache_put(call, "z", 1, "y", 1, 0);
	ck_assert_int_eq(host->cache_get(call, "z", 1, &v, &vlen), RELAYD_OK);
	ck_assert_str_eq(v, "y");
}
END_TEST

static char trace[256];

static void trace_add(const char *what)
{
	size_t len = strlen(trace);
	snprintf(trace + len, sizeof trace - len, "%s%s", len ? " " : "", what);
}

static void work_fn(void *arg)
{
	trace_add(arg);
}

static void offload_done(struct relayd_call *call, void *arg)
{
	(void)call;
	(void)arg;
	trace_add("done");
}

static void ready_fn(struct relayd_call *call, int status, void *arg)
{
	(void)call;
	(void)arg;
	trace_add(status == RELAYD_OK ? "ready" : "limited");
}

START_TEST(offload_and_ratelimit_are_deferred)
{
	trace[0] = '\0';
	struct relayd_call *call = mock_host_call_new(m);
	host->offload(call, work_fn, offload_done, "work");
	host->ratelimit_acquire(call, "K", ready_fn, NULL);
	mock_host_set_ratelimit(m, RELAYD_ERATELIMIT);
	host->ratelimit_acquire(call, "K", ready_fn, NULL);
	ck_assert_str_eq(trace, "");
	ck_assert_uint_eq(mock_host_run(m), 3);
	ck_assert_str_eq(trace, "work done ready limited");
	ck_assert_uint_eq(mock_host_ratelimit_count(m), 2);
}
END_TEST

START_TEST(timers_fire_in_due_order_when_time_moves)
{
	trace[0] = '\0';
	struct relayd_plugin_ctx *pctx = mock_host_plugin_ctx(m);
	ck_assert_ptr_nonnull(host->timer_add(pctx, 2000, work_fn, "t2000"));
	ck_assert_ptr_nonnull(host->timer_add(pctx, 1000, work_fn, "t1000a"));
	ck_assert_ptr_nonnull(host->timer_add(pctx, 1000, work_fn, "t1000b"));
	struct relayd_timer *cancelled = host->timer_add(pctx, 500, work_fn, "never");
	host->timer_cancel(cancelled);
	ck_assert_uint_eq(mock_host_run(m), 0);
	ck_assert_uint_eq(mock_host_advance(m, 999), 0);
	ck_assert_str_eq(trace, "");
	ck_assert_uint_eq(mock_host_advance(m, 1), 2);
	ck_assert_str_eq(trace, "t1000a t1000b");
	ck_assert_uint_eq(mock_host_advance(m, 5000), 1);
	ck_assert_str_eq(trace, "t1000a t1000b t2000");
	ck_assert_int_eq(host->now_ms(), MOCK_HOST_START_MS + 6000);
	ck_assert_str_eq(trace, "t1000a t1000b t2000");
	host->timer_cancel(cancelled); /* cancelling twice is fine */
	ck_assert(!mock_host_log_contains(m, "timer_cancel"));
	struct relayd_timer *fired = host->timer_add(pctx, 1, work_fn, "t1");
	mock_host_advance(m, 1);
	host->timer_cancel(fired); /* the real host freed it: a plugin bug */
	ck_assert(mock_host_log_contains(m, "error: timer_cancel on a timer that already fired"));
	mock_host_set_now(m, 7);
	ck_assert_int_eq(host->now_ms(), 7);
}
END_TEST

START_TEST(tasks_have_no_request)
{
	struct relayd_call *task = host->task_begin(mock_host_plugin_ctx(m));
	ck_assert_ptr_nonnull(task);
	ck_assert_ptr_null(host->call_request_id(task));
	host->task_end(task);
	ck_assert_uint_eq(mock_call_end_count(task), 1);
	ck_assert_ptr_null(mock_host_result(m, task));
}
END_TEST

START_TEST(uuid_and_metrics_are_deterministic)
{
	char id[37];
	host->uuid4(id);
	ck_assert_str_eq(id, "00000000-0000-4000-8000-000000000001");
	host->uuid4(id);
	ck_assert_str_eq(id, "00000000-0000-4000-8000-000000000002");
	host->metric_add("a_total", NULL, 2);
	host->metric_add("a_total", NULL, 0.5);
	host->metric_set("depth", "q=\"x\"", 9);
	host->metric_set("depth", "q=\"x\"", 4);
	ck_assert(mock_host_metric(m, "a_total", NULL) == 2.5);
	ck_assert(mock_host_metric(m, "depth", "q=\"x\"") == 4.0);
	ck_assert(mock_host_metric(m, "depth", NULL) == 0.0);
	struct relayd_call *call = mock_host_call_new(m);
	host->log(call, RELAYD_LOG_DEBUG, "n=%d", 3);
	ck_assert_uint_eq(mock_host_log_count(m), 2); /* init's line + this one */
	ck_assert_str_eq(mock_host_log(m, 1), "debug: n=3");
	ck_assert_ptr_null(mock_host_log(m, 2));
}
END_TEST

START_TEST(pending_callbacks_are_freed_with_the_mock)
{
	mock_host_http_answer(m, "GET", "http://u/x", 200, "OK", "x", NULL);
	struct relayd_call *call = mock_host_call_new(m);
	const struct relayd_http_request req = {.url = "http://u/x"};
	host->http(call, &req, collect_answer, (void *)host);
	ck_assert_uint_eq(mock_host_pending(m), 1);
	/* teardown frees the unrun callback; ASan checks nothing leaks */
}
END_TEST

static Suite *mock_host_suite(void)
{
	Suite *s = suite_create("mock_host");
	TCase *tc = tcase_create("plugin");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, init_reports_config_errors);
	tcase_add_test(tc, observe_is_asynchronous_and_finishes_once);
	tcase_add_test(tc, warnings_go_with_finish);
	tcase_add_test(tc, failure_keeps_partial_data_and_warnings);
	tcase_add_test(tc, unanswered_request_is_a_connect_error);
	tcase_add_test(tc, invalid_json_answer);
	tcase_add_test(tc, second_end_is_counted_and_ignored);
	tcase_add_test(tc, fail_without_message_sends_null);
	tcase_add_test(tc, extra_route_sees_the_request_and_replies);
	tcase_add_test(tc, reply_json_is_the_result);
	suite_add_tcase(s, tc);
	tc = tcase_create("services");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, call_accessors_and_defaults);
	tcase_add_test(tc, config_types);
	tcase_add_test(tc, canned_answers_in_order_then_sticky);
	tcase_add_test(tc, answer_from_fixture_file);
	tcase_add_test(tc, cache_ttl_and_config_default);
	tcase_add_test(tc, offload_and_ratelimit_are_deferred);
	tcase_add_test(tc, timers_fire_in_due_order_when_time_moves);
	tcase_add_test(tc, tasks_have_no_request);
	tcase_add_test(tc, uuid_and_metrics_are_deterministic);
	tcase_add_test(tc, pending_callbacks_are_freed_with_the_mock);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(mock_host_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
