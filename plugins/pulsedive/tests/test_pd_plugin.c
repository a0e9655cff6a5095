/* SPDX-License-Identifier: MIT */
/* The whole pulsedive plugin through the mock host: fixtures as upstream answers. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <mock_host.h>
#include <relayd/plugin.h>

#include "pd_test_util.h"

#define KEY "my_key_for_pulsedive"
#define BASE "http://pd.test/api"
#define INFO BASE "/info.php?"
#define LOOKUP(v) INFO "indicator=" v "&key=" KEY
#define LINKS(v) INFO "indicator=" v "&key=" KEY "&get=links"
#define HEALTH INFO "iid=2&key=" KEY

static struct mock_host *m;
static const struct relayd_plugin *desc;
static void *state;

static void start_plugin(const char *base_url)
{
	m = mock_host_new();
	ck_assert_ptr_nonnull(m);
	if (base_url)
		ck_assert_int_eq(mock_host_set_config(m, "base_url", base_url), 0);
	desc = relayd_plugin_entry(RELAYD_ABI_MAJOR, RELAYD_ABI_MINOR);
	ck_assert_ptr_nonnull(desc);
	ck_assert_int_eq(desc->init(mock_host_services(m), mock_host_plugin_ctx(m), &state), 0);
}

static void stop_plugin(void)
{
	desc->fini(state);
	mock_host_free(m);
	m = NULL;
}

static void setup(void) { start_plugin(BASE); }
static void teardown(void) { stop_plugin(); }

static struct relayd_call *new_call(int limit)
{
	struct relayd_call *call = mock_host_call_new(m);
	ck_assert_int_eq(mock_call_set_api_key(call, KEY), 0);
	mock_call_set_entities_limit(call, limit);
	return call;
}

static void answer_file(const char *url, long status, const char *reason, const char *fixture)
{
	char *path = pd_fixture_path(fixture);
	ck_assert_int_eq(mock_host_http_answer_file(m, "GET", url, status, reason, path, NULL), 0);
	free(path);
}

static void answer(const char *url, long status, const char *reason, const char *body)
{
	ck_assert_int_eq(mock_host_http_answer(m, "GET", url, status, reason, body, NULL), 0);
}

/* Runs @p fn on a call to the end; asserts exactly one finish/fail. */
static json_t *run(relayd_relay_fn fn, struct relayd_call *call, const struct relayd_observable *obs,
                   size_t n)
{
	fn(state, call, obs, n);
	mock_host_run(m);
	ck_assert_uint_eq(mock_call_end_count(call), 1);
	ck_assert_int_eq(mock_call_http_status(call), 200);
	json_t *body = mock_host_result(m, call);
	ck_assert_ptr_nonnull(body);
	return body;
}

static json_t *observe1(const char *type, const char *value, int limit)
{
	const struct relayd_observable o = {type, value};
	return run(desc->observe, new_call(limit), &o, 1);
}

static json_t *expect_error(const char *code, const char *message)
{
	return json_pack("{s:[{s:s, s:s, s:s}]}", "errors", "code", code, "message", message, "type",
	                 "fatal");
}

static void assert_body(const json_t *got, json_t *want, const char *what)
{
	pd_assert_json_eq(got, want, what);
	json_decref(want);
}

/* ---- descriptor ------------------------------------------------------------ */

START_TEST(descriptor)
{
	ck_assert_str_eq(desc->name, "pulsedive");
	ck_assert_str_eq(desc->display_name, "Pulsedive");
	ck_assert_str_eq(desc->version, "1.1.0");
	const char *types[] = {"ip", "ipv6", "domain", "url"};
	for (size_t i = 0; i < 4; i++)
		ck_assert_str_eq(desc->types[i], types[i]);
	ck_assert_ptr_null(desc->types[4]);
	ck_assert_int_eq(desc->policy.type_case, RELAYD_TYPE_FOLD);
	ck_assert_int_eq(desc->policy.dedup, RELAYD_DEDUP_VALUE);
	ck_assert(!desc->policy.auth_when_empty);
	ck_assert_int_eq(desc->policy.refer_auth, RELAYD_AUTH_IF_SUPPORTED);
	ck_assert_int_eq(desc->policy.payload_style, RELAYD_PAYLOAD_PYTHON);
	ck_assert_str_eq(desc->config[0].key, "base_url");
	ck_assert_int_eq(desc->config[0].type, RELAYD_CFG_URL);
	ck_assert_str_eq(desc->config[0].default_value, "https://pulsedive.com/api");
	ck_assert_int_eq(desc->config[1].type, RELAYD_CFG_END);
	ck_assert_ptr_nonnull(desc->observe);
	ck_assert_ptr_nonnull(desc->refer);
	ck_assert_ptr_nonnull(desc->health);
	ck_assert_ptr_null(relayd_plugin_entry(RELAYD_ABI_MAJOR + 1, 0));
}
END_TEST

/* ---- observe ------------------------------------------------------------------ */

START_TEST(observe_full_derived)
{
	answer_file(LOOKUP("cisco.com"), 200, "OK", "upstream_info_parkingcrew_net.json");
	answer(LINKS("parkingcrew.net"), 404, "Not Found", "{\"error\":\"Indicator not found.\"}");
	json_t *got = observe1("domain", "cisco.com", 100);
	pd_assert_ctim_ok(got);
	json_t *want = pd_fixture_json("expected_observe_parkingcrew_net_full_derived.json");
	json_t *gs = pd_strip_ids(json_object_get(got, "data"), false);
	json_t *ws = pd_strip_ids(json_object_get(want, "data"), false);
	pd_assert_json_eq(gs, ws, "observe full");
	ck_assert_ptr_null(json_object_get(got, "errors"));

	/* Every relationship joins a sighting of this answer to an indicator of it. */
	json_t *data = json_object_get(got, "data");
	json_t *rels = json_object_get(json_object_get(data, "relationships"), "docs");
	json_t *sightings = json_object_get(json_object_get(data, "sightings"), "docs");
	json_t *indicators = json_object_get(json_object_get(data, "indicators"), "docs");
	size_t i;
	json_t *r;
	json_array_foreach(rels, i, r) {
		const char *sid = json_string_value(json_object_get(r, "source_ref"));
		const char *tid = json_string_value(json_object_get(r, "target_ref"));
		ck_assert_str_eq(sid, json_string_value(json_object_get(json_array_get(sightings, i), "id")));
		ck_assert_str_eq(tid, json_string_value(json_object_get(json_array_get(indicators, i), "id")));
	}

	/* The requests: lookup then links, GET, the SecureX agent, HTTP/1.1, rate limited each. */
	ck_assert_uint_eq(mock_host_request_count(m), 2);
	const struct mock_request *q = mock_host_request(m, 0);
	ck_assert_str_eq(q->url, LOOKUP("cisco.com"));
	ck_assert_str_eq(q->method, "GET");
	ck_assert_int_eq(q->http_version, 11);
	ck_assert_str_eq(mock_request_header(q, "User-Agent"),
	                 "SecureX Threat Response Integrations <tr-integrations-support@cisco.com>");
	ck_assert_str_eq(mock_host_request(m, 1)->url, LINKS("parkingcrew.net"));
	ck_assert_uint_eq(mock_host_ratelimit_count(m), 2);
	json_decref(gs);
	json_decref(ws);
	json_decref(want);
}
END_TEST

START_TEST(observe_with_links_fixture)
{
	answer_file(LOOKUP("cisco.com"), 200, "OK", "upstream_info_parkingcrew_net.json");
	answer_file(LINKS("parkingcrew.net"), 200, "OK", "upstream_links_active_dns.json");
	json_t *got = observe1("domain", "cisco.com", 100);
	pd_assert_ctim_ok(got);
	json_t *want = pd_fixture_json("expected_observe_parkingcrew_net.json");
	pd_drop_active_dns(json_object_get(want, "data"));
	json_t *gd = pd_strip_ids(json_object_get(got, "data"), true);
	json_t *wd = pd_strip_ids(json_object_get(want, "data"), true);
	pd_assert_json_eq(gd, wd, "observe with links");
	json_decref(gd);
	json_decref(wd);
	json_decref(want);
}
END_TEST

START_TEST(observe_limit_1_skips_links)
{
	answer_file(LOOKUP("cisco.com"), 200, "OK", "upstream_info_parkingcrew_net.json");
	json_t *got = observe1("domain", "cisco.com", 1);
	pd_assert_ctim_ok(got);
	json_t *want = pd_fixture_json("expected_observe_parkingcrew_net_limit_1.json");
	json_t *gd = pd_strip_ids(json_object_get(got, "data"), false);
	json_t *wd = pd_strip_ids(json_object_get(want, "data"), false);
	pd_assert_json_eq(gd, wd, "limit 1");
	ck_assert_uint_eq(mock_host_request_count(m), 1); /* no room left: no links call */
	json_decref(gd);
	json_decref(wd);
	json_decref(want);
}
END_TEST

static const struct relayd_observable multiple[] = {{"domain", "cisco.com"}, {"ip", "0.0.0.0"}};

START_TEST(observe_partial_then_408)
{
	answer_file(LOOKUP("cisco.com"), 200, "OK", "upstream_info_parkingcrew_net.json");
	answer_file(LOOKUP("0.0.0.0"), 408, "Request Timeout", "upstream_error_408_processing.json");
	answer_file(LINKS("parkingcrew.net"), 200, "OK", "upstream_links_active_dns.json");
	json_t *got = run(desc->observe, new_call(100), multiple, 2);
	pd_assert_ctim_ok(got);
	json_t *want = pd_fixture_json("expected_observe_partial_then_408.json");
	pd_drop_active_dns(json_object_get(want, "data"));
	pd_assert_json_eq(json_object_get(got, "errors"), json_object_get(want, "errors"), "errors");
	json_t *gd = pd_strip_ids(json_object_get(got, "data"), true);
	json_t *wd = pd_strip_ids(json_object_get(want, "data"), true);
	pd_assert_json_eq(gd, wd, "partial data");
	json_decref(gd);
	json_decref(wd);
	json_decref(want);
}
END_TEST

START_TEST(observe_runs_in_parallel_in_request_order)
{
	answer_file(LOOKUP("cisco.com"), 200, "OK", "upstream_info_parkingcrew_net.json");
	answer(LOOKUP("0.0.0.0"), 404, "Not Found", "{}");
	answer(LINKS("parkingcrew.net"), 404, "Not Found", "{}");
	struct relayd_call *call = new_call(100);
	desc->observe(state, call, multiple, 2);
	/* Both lookups wait for their rate-limit token before any answer ran. */
	ck_assert_uint_eq(mock_host_ratelimit_count(m), 2);
	ck_assert_uint_eq(mock_call_end_count(call), 0);
	mock_host_run(m);
	ck_assert_uint_eq(mock_call_end_count(call), 1);
	ck_assert_str_eq(mock_host_request(m, 0)->url, LOOKUP("cisco.com"));
	ck_assert_str_eq(mock_host_request(m, 1)->url, LOOKUP("0.0.0.0"));
	ck_assert_str_eq(mock_host_request(m, 2)->url, LINKS("parkingcrew.net"));
	json_t *got = mock_host_result(m, call);
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(json_object_get(got, "data"), "verdicts"), "count")),
	                 1);
}
END_TEST

START_TEST(observe_failure_first_in_request_order_drops_later_data)
{
	const struct relayd_observable reversed[] = {{"ip", "0.0.0.0"}, {"domain", "cisco.com"}};
	answer_file(LOOKUP("cisco.com"), 200, "OK", "upstream_info_parkingcrew_net.json");
	answer_file(LOOKUP("0.0.0.0"), 408, "Request Timeout", "upstream_error_408_processing.json");
	json_t *got = run(desc->observe, new_call(100), reversed, 2);
	assert_body(got, pd_fixture_json("expected_error_upstream_408.json"), "408 first");
	/* cisco.com comes after the failure: its links call is not made. */
	ck_assert_ptr_null(mock_host_find_request(m, "GET", LINKS("parkingcrew.net")));
}
END_TEST

START_TEST(observe_links_failure_keeps_head)
{
	answer_file(LOOKUP("cisco.com"), 200, "OK", "upstream_info_parkingcrew_net.json");
	answer(LINKS("parkingcrew.net"), 429, "Too Many Requests",
	       "{\"error\":\"API rate limit exceeded: 1 requests per second.\"}");
	json_t *got = observe1("domain", "cisco.com", 100);
	pd_assert_ctim_ok(got);
	json_t *data = json_object_get(got, "data");
	ck_assert_int_eq(json_object_size(data), 3);
	ck_assert_ptr_nonnull(json_object_get(data, "verdicts"));
	ck_assert_ptr_nonnull(json_object_get(data, "judgements"));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(data, "indicators"), "count")),
	                 5);
	assert_body(json_object_get(got, "errors"),
	            json_pack("[{s:s, s:s, s:s}]", "code", "too many requests", "message",
	                      "API rate limit exceeded: 1 requests per second.", "type", "fatal"),
	            "links 429");
}
END_TEST

START_TEST(observe_links_key_error_keeps_head)
{
	answer_file(LOOKUP("cisco.com"), 200, "OK", "upstream_info_parkingcrew_net.json");
	answer(LINKS("parkingcrew.net"), 200, "OK", "{\"Active DNS\":[{\"indicator\":\"1.2.3.4\"}]}");
	json_t *got = observe1("domain", "cisco.com", 100);
	pd_assert_ctim_ok(got);
	ck_assert_int_eq(json_object_size(json_object_get(got, "data")), 3);
	assert_body(json_object_get(got, "errors"),
	            json_pack("[{s:s, s:s, s:s}]", "code", "key error", "message",
	                      "The data structure of Pulsedive API has changed. The module is broken.",
	                      "type", "fatal"),
	            "links key error");
}
END_TEST

START_TEST(observe_key_error)
{
	answer_file(LOOKUP("cisco.com"), 200, "OK", "upstream_info_missing_risk.json");
	json_t *got = observe1("domain", "cisco.com", 100);
	assert_body(got, pd_fixture_json("expected_error_key_error.json"), "key error");
	ck_assert_uint_eq(mock_host_request_count(m), 1);
}
END_TEST

START_TEST(observe_nothing_found)
{
	answer(LOOKUP("1.1.1.1"), 404, "NOT FOUND", "{\"error\":\"Indicator not found.\"}");
	assert_body(observe1("ip", "1.1.1.1", 100), json_pack("{s:{}}", "data"), "404");
	answer(LOOKUP("2.2.2.2"), 200, "OK", "{}");
	assert_body(observe1("ip", "2.2.2.2", 100), json_pack("{s:{}}", "data"), "200 {}");
	answer(LOOKUP("3.3.3.3"), 200, "OK", " {\n\t} ");
	assert_body(observe1("ip", "3.3.3.3", 100), json_pack("{s:{}}", "data"), "200 { }");
}
END_TEST

/* An answer the mapping cannot write (a validity end past year 9999) ends
 * the call with the mapping error and no data: what the observables before
 * it wrote into the call's bundle is not sent as a partial answer. */
START_TEST(observe_mapping_failure_sends_no_data)
{
	answer_file(LOOKUP("cisco.com"), 200, "OK", "upstream_info_parkingcrew_net.json");
	answer(LINKS("parkingcrew.net"), 404, "Not Found", "{}");
	answer(LOOKUP("far.example"), 200, "OK",
	       "{\"iid\":1,\"type\":\"domain\",\"indicator\":\"far.example\",\"risk\":\"low\","
	       "\"retired\":\"\",\"stamp_seen\":\"9999-12-30 00:00:00\",\"stamp_retired\":\"\"}");
	const struct relayd_observable obs[] = {{"domain", "cisco.com"}, {"domain", "far.example"}};
	json_t *got = run(desc->observe, new_call(100), obs, 2);
	assert_body(got, expect_error("unknown", "Mapping the Pulsedive answer failed: invalid argument"),
	            "mapping failure");
}
END_TEST

/* Only the members the mapping reads are built; an answer holding none of
 * them is still an answer (a broken one), not an empty "nothing found". */
START_TEST(observe_answer_of_unread_members_is_a_key_error)
{
	answer(LOOKUP("cisco.com"), 200, "OK", "{\"properties\":{\"dns\":{}},\"comments\":[]}");
	json_t *got = observe1("domain", "cisco.com", 100);
	assert_body(got, pd_fixture_json("expected_error_key_error.json"), "unread members");
	ck_assert_uint_eq(mock_host_request_count(m), 1);
}
END_TEST

START_TEST(observe_form_encodes_value)
{
	answer(INFO "indicator=http%3A%2F%2Fa.b%2Fc%3Fd%3De%26f%3Dg+h&key=" KEY, 404, "NOT FOUND",
	       "{}");
	assert_body(observe1("url", "http://a.b/c?d=e&f=g h", 100), json_pack("{s:{}}", "data"),
	            "encoded");
	ck_assert_uint_eq(mock_host_request_count(m), 1);
}
END_TEST

START_TEST(base_url_trailing_slash)
{
	stop_plugin();
	start_plugin(BASE "/");
	answer(LOOKUP("1.1.1.1"), 404, "NOT FOUND", "{}");
	assert_body(observe1("ip", "1.1.1.1", 100), json_pack("{s:{}}", "data"), "slash");
	ck_assert_str_eq(mock_host_request(m, 0)->url, LOOKUP("1.1.1.1"));
}
END_TEST

START_TEST(default_base_url)
{
	stop_plugin();
	start_plugin(NULL);
	json_t *got = observe1("ip", "1.1.1.1", 100);
	(void)got;
	ck_assert_str_eq(mock_host_request(m, 0)->url,
	                 "https://pulsedive.com/api/info.php?indicator=1.1.1.1&key=" KEY);
}
END_TEST

/* ---- every upstream status of the derived table ------------------------------- */

START_TEST(status_mapping_table)
{
	json_t *table = pd_fixture_json("expected_upstream_status_mapping_derived.json");
	size_t i;
	json_t *row;
	json_array_foreach(table, i, row) {
		stop_plugin();
		start_plugin(BASE);
		long status = (long)json_integer_value(json_object_get(row, "upstream_status"));
		const char *reason = json_string_value(json_object_get(row, "upstream_reason_phrase"));
		const json_t *ub = json_object_get(row, "upstream_body");
		char *body = json_is_string(ub) ? strdup(json_string_value(ub)) : json_dumps(ub, 0);
		const char *request = json_string_value(json_object_get(row, "request"));
		bool health = strcmp(request, "POST /health") == 0;
		answer(health ? HEALTH : LOOKUP("1.1.1.1"), status, reason, body);
		free(body);
		const struct relayd_observable o = {"ip", "1.1.1.1"};
		relayd_relay_fn fn = health ? desc->health
		                     : strcmp(request, "POST /observe/observables") == 0 ? desc->observe
		                                                                          : desc->refer;
		json_t *got = run(fn, new_call(100), health ? NULL : &o, health ? 0 : 1);
		char what[64];
		snprintf(what, sizeof what, "row %zu (%ld %s)", i, status, request);
		pd_assert_json_eq(got, json_object_get(row, "body"), what);
	}
	json_decref(table);
}
END_TEST

/* ---- transport failures (DECISIONS.md §9) --------------------------------------- */

static json_t *observe_with_error(enum relayd_http_error error, const char *text)
{
	ck_assert_int_eq(mock_host_http_error(m, "GET", LOOKUP("1.1.1.1"), error, text), 0);
	return observe1("ip", "1.1.1.1", 100);
}

START_TEST(transport_timeout)
{
	mock_host_set_config(m, "timeout_ms", "2500");
	assert_body(observe_with_error(RELAYD_HTTP_TIMEOUT, "Operation timed out"),
	            expect_error("request timeout", "Pulsedive did not answer within 2500 ms."),
	            "timeout");
}
END_TEST

START_TEST(transport_tls)
{
	assert_body(observe_with_error(RELAYD_HTTP_TLS, "self signed certificate"),
	            pd_fixture_json("expected_error_ssl.json"), "tls");
}
END_TEST

START_TEST(transport_connect)
{
	assert_body(observe_with_error(RELAYD_HTTP_CONNECT, "Connection refused"),
	            expect_error("unknown", "Unable to reach Pulsedive: Connection refused"),
	            "connect");
}
END_TEST

START_TEST(transport_too_large_and_busy)
{
	assert_body(observe_with_error(RELAYD_HTTP_TOO_LARGE, "too large"),
	            expect_error("unknown",
	                         "Pulsedive answered with more data than max_response_body allows."),
	            "too large");
	stop_plugin();
	start_plugin(BASE);
	assert_body(observe_with_error(RELAYD_HTTP_BUSY, "busy"),
	            expect_error("too many requests",
	                         "Too many requests to Pulsedive in flight (relayd "
	                         "max_upstream_inflight); try again later."),
	            "busy");
}
END_TEST

START_TEST(invalid_json_answers)
{
	answer(LOOKUP("1.1.1.1"), 200, "OK", "<html>");
	assert_body(observe1("ip", "1.1.1.1", 100),
	            expect_error("unknown", "Pulsedive answered with invalid JSON."), "html");
	answer(LOOKUP("2.2.2.2"), 200, "OK", "[1]");
	assert_body(observe1("ip", "2.2.2.2", 100),
	            expect_error("unknown", "Pulsedive answered with invalid JSON."), "array");
	answer(HEALTH, 200, "OK", "");
	assert_body(run(desc->health, new_call(100), NULL, 0),
	            expect_error("unknown", "Pulsedive answered with invalid JSON."), "health empty");
}
END_TEST

START_TEST(rate_limit_refused)
{
	mock_host_set_ratelimit(m, RELAYD_ERATELIMIT);
	answer(LOOKUP("1.1.1.1"), 404, "NOT FOUND", "{}");
	assert_body(observe1("ip", "1.1.1.1", 100),
	            expect_error("too many requests",
	                         "Too many requests to Pulsedive (relayd rate_limit); try again later."),
	            "rate limit");
	ck_assert_uint_eq(mock_host_ratelimit_count(m), 1);
	ck_assert_uint_eq(mock_host_request_count(m), 0);
}
END_TEST

START_TEST(no_api_key)
{
	struct relayd_call *call = mock_host_call_new(m);
	const struct relayd_observable o = {"ip", "1.1.1.1"};
	assert_body(run(desc->observe, call, &o, 1),
	            expect_error("authorization error",
	                         "Authorization failed: Wrong JWT payload structure"),
	            "no key");
	ck_assert_uint_eq(mock_host_request_count(m), 0);
}
END_TEST

/* ---- the answer cache ------------------------------------------------------------ */

START_TEST(cache_positive_and_negative)
{
	mock_host_set_config(m, "cache_ttl_s", "60");
	answer_file(LOOKUP("cisco.com"), 200, "OK", "upstream_info_parkingcrew_net.json");
	answer(LINKS("parkingcrew.net"), 404, "Not Found", "{}");
	answer(LOOKUP("1.1.1.1"), 404, "NOT FOUND", "{}");
	json_t *first = pd_strip_ids(json_object_get(observe1("domain", "cisco.com", 100), "data"), false);
	observe1("ip", "1.1.1.1", 100);
	ck_assert_uint_eq(mock_host_request_count(m), 3);

	json_t *second = pd_strip_ids(json_object_get(observe1("domain", "cisco.com", 100), "data"), false);
	assert_body(observe1("ip", "1.1.1.1", 100), json_pack("{s:{}}", "data"), "cached miss");
	ck_assert_uint_eq(mock_host_request_count(m), 3); /* all from the cache */
	ck_assert_uint_eq(mock_host_ratelimit_count(m), 3);
	pd_assert_json_eq(second, first, "cached answer");

	/* Refer shares the lookup entries. */
	const struct relayd_observable o = {"domain", "cisco.com"};
	json_t *refer = run(desc->refer, new_call(100), &o, 1);
	ck_assert_uint_eq(json_array_size(json_object_get(refer, "data")), 2);
	ck_assert_uint_eq(mock_host_request_count(m), 3);

	/* Another key never sees this key's answers. */
	struct relayd_call *call = mock_host_call_new(m);
	mock_call_set_api_key(call, "other");
	answer(INFO "indicator=1.1.1.1&key=other", 404, "NOT FOUND", "{}");
	const struct relayd_observable ip = {"ip", "1.1.1.1"};
	run(desc->observe, call, &ip, 1);
	ck_assert_uint_eq(mock_host_request_count(m), 4);

	/* Health always asks; so does everything once the TTL has passed. */
	answer(HEALTH, 200, "OK", "{\"iid\":19}");
	run(desc->health, new_call(100), NULL, 0);
	run(desc->health, new_call(100), NULL, 0);
	ck_assert_uint_eq(mock_host_request_count(m), 6);
	mock_host_set_now(m, MOCK_HOST_START_MS + 61000);
	observe1("ip", "1.1.1.1", 100);
	ck_assert_uint_eq(mock_host_request_count(m), 7);
	json_decref(first);
	json_decref(second);
}
END_TEST

START_TEST(cache_off_by_default_and_errors_never_cached)
{
	answer(LOOKUP("1.1.1.1"), 404, "NOT FOUND", "{}");
	observe1("ip", "1.1.1.1", 100);
	observe1("ip", "1.1.1.1", 100);
	ck_assert_uint_eq(mock_host_request_count(m), 2);

	mock_host_set_config(m, "cache_ttl_s", "60");
	answer(LOOKUP("3.3.3.3"), 500, "Internal Server Error", "oops");
	observe1("ip", "3.3.3.3", 100);
	observe1("ip", "3.3.3.3", 100);
	ck_assert_uint_eq(mock_host_request_count(m), 4);
}
END_TEST

/* ---- refer and health ---------------------------------------------------------------- */

START_TEST(refer_cisco_com)
{
	answer_file(LOOKUP("cisco.com"), 200, "OK", "upstream_info_parkingcrew_net.json");
	const struct relayd_observable o = {"domain", "cisco.com"};
	assert_body(run(desc->refer, new_call(100), &o, 1),
	            pd_fixture_json("expected_refer_cisco_com.json"), "refer");
}
END_TEST

START_TEST(refer_one_browse_per_value)
{
	answer_file(LOOKUP("cisco.com"), 200, "OK", "upstream_info_parkingcrew_net.json");
	answer(LOOKUP("1.1.1.1"), 200, "OK",
	       "{\"iid\":7,\"type\":\"ip\",\"indicator\":\"1.1.1.1\",\"risk\":\"none\"}");
	const struct relayd_observable o[] = {{"domain", "cisco.com"}, {"ip", "1.1.1.1"}};
	json_t *got = run(desc->refer, new_call(100), o, 2);
	json_t *data = json_object_get(got, "data");
	ck_assert_uint_eq(json_array_size(data), 4);
	const char *ids[] = {"ref-pulsedive-search-domain-cisco.com", "ref-pulsedive-search-ip-1.1.1.1",
	                     "ref-pulsedive-detail-domain-parkingcrew.net",
	                     "ref-pulsedive-detail-ip-1.1.1.1"};
	for (size_t i = 0; i < 4; i++)
		ck_assert_str_eq(json_string_value(json_object_get(json_array_get(data, i), "id")),
		                 ids[i]);
	const json_t *b = json_array_get(data, 3);
	ck_assert_str_eq(json_string_value(json_object_get(b, "title")), "Browse IP");
	ck_assert_str_eq(json_string_value(json_object_get(b, "url")),
	                 "https://pulsedive.com/indicator/?iid=7");
	ck_assert_uint_eq(mock_host_request_count(m), 2);
}
END_TEST

START_TEST(refer_error_drops_search_links)
{
	answer(LOOKUP("cisco.com"), 200, "OK", "{\"type\":\"domain\"}");
	const struct relayd_observable o = {"domain", "cisco.com"};
	assert_body(run(desc->refer, new_call(100), &o, 1),
	            pd_fixture_json("expected_error_key_error.json"), "refer key error");
}
END_TEST

START_TEST(health_ok_and_408)
{
	answer_file(HEALTH, 200, "OK", "upstream_health_ok.json");
	assert_body(run(desc->health, new_call(100), NULL, 0),
	            pd_fixture_json("expected_health_ok.json"), "health ok");
	ck_assert_str_eq(mock_host_request(m, 0)->url, HEALTH);
	stop_plugin();
	start_plugin(BASE);
	answer_file(HEALTH, 408, "Request Timeout", "upstream_error_408_processing.json");
	assert_body(run(desc->health, new_call(100), NULL, 0),
	            pd_fixture_json("expected_error_upstream_408.json"), "health 408");
}
END_TEST

static Suite *plugin_suite(void)
{
	Suite *s = suite_create("pulsedive_plugin");
	TCase *tc = tcase_create("plugin");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, descriptor);
	tcase_add_test(tc, observe_full_derived);
	tcase_add_test(tc, observe_with_links_fixture);
	tcase_add_test(tc, observe_limit_1_skips_links);
	tcase_add_test(tc, observe_partial_then_408);
	tcase_add_test(tc, observe_runs_in_parallel_in_request_order);
	tcase_add_test(tc, observe_failure_first_in_request_order_drops_later_data);
	tcase_add_test(tc, observe_links_failure_keeps_head);
	tcase_add_test(tc, observe_links_key_error_keeps_head);
	tcase_add_test(tc, observe_key_error);
	tcase_add_test(tc, observe_nothing_found);
	tcase_add_test(tc, observe_answer_of_unread_members_is_a_key_error);
	tcase_add_test(tc, observe_mapping_failure_sends_no_data);
	tcase_add_test(tc, observe_form_encodes_value);
	tcase_add_test(tc, base_url_trailing_slash);
	tcase_add_test(tc, default_base_url);
	tcase_add_test(tc, status_mapping_table);
	tcase_add_test(tc, transport_timeout);
	tcase_add_test(tc, transport_tls);
	tcase_add_test(tc, transport_connect);
	tcase_add_test(tc, transport_too_large_and_busy);
	tcase_add_test(tc, invalid_json_answers);
	tcase_add_test(tc, rate_limit_refused);
	tcase_add_test(tc, no_api_key);
	tcase_add_test(tc, cache_positive_and_negative);
	tcase_add_test(tc, cache_off_by_default_and_errors_never_cached);
	tcase_add_test(tc, refer_cisco_com);
	tcase_add_test(tc, refer_one_browse_per_value);
	tcase_add_test(tc, refer_error_drops_search_links);
	tcase_add_test(tc, health_ok_and_408);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(plugin_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
