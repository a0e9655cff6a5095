/* SPDX-License-Identifier: MIT */
/* The pulsedive plugin end to end: relayd + fixture server + minted JWTs, every fixture case over HTTP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <jansson.h>

#include "harness.h"
#include "harness_json.h"
#include "jwt_mint.h"

/*
 * One relayd and three fixture servers for the whole suite (Check runs
 * without fork so the children are shared): `fx` plays Pulsedive and the
 * good JWKS host; `fx_status` and `fx_json` are JWKS hosts that answer 500
 * and non-JSON (JWKS are cached per host, so each failure needs its own).
 * relayd: audience http://localhost for the pulsedive mount (the fixtures'
 * aud), JWKS over http from the fixture hosts only.
 */
static struct harness_proc *fx, *fx_status, *fx_json, *relayd;

static char *fixture_path(const char *name)
{
	return harness_fixture_path("pulsedive", name);
}

static json_t *fixture_json(const char *name)
{
	return harness_fixture_json("pulsedive", name);
}

static void set_routes(json_t *routes)
{
	harness_fixture_set_routes(fx, routes);
}

/* ---- routes ---------------------------------------------------------------- */

static json_t *jwks_route(void)
{
	const struct jwt_mint_key *keys[] = {jwt_mint_default_key()};
	char *jwks = jwt_mint_jwks_json(keys, 1);
	json_t *r = json_pack("{s:s, s:s, s:s}", "method", "GET", "path", "/.well-known/jwks", "body",
	                      jwks);
	free(jwks);
	return r;
}

/* A route for GET /api/info.php with these query parameters (NULL-terminated pairs). */
static json_t *info_route(const char *const *query, long status, const char *reason,
                          const char *fixture, const char *body)
{
	json_t *q = json_object();
	for (size_t i = 0; query[i]; i += 2)
		json_object_set_new(q, query[i], json_string(query[i + 1]));
	json_t *r = json_pack("{s:s, s:s, s:o, s:i}", "method", "GET", "path", "/api/info.php",
	                      "query", q, "status", (int)status);
	if (reason)
		json_object_set_new(r, "reason", json_string(reason));
	if (fixture) {
		char *path = fixture_path(fixture);
		json_object_set_new(r, "body_file", json_string(path));
		free(path);
	} else if (body) {
		json_object_set_new(r, "body", json_string(body));
	}
	return r;
}

#define Q(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The routes of the fixture scenarios: links before lookups (first match wins). */
static json_t *default_routes(void)
{
	json_t *routes = json_array();
	json_array_append_new(routes, jwks_route());
	json_array_append_new(routes, info_route(Q("indicator", "parkingcrew.net", "get", "links"), 200,
	                                         NULL, "upstream_links_active_dns.json", NULL));
	json_array_append_new(routes, info_route(Q("indicator", "cisco.com"), 200, NULL,
	                                         "upstream_info_parkingcrew_net.json", NULL));
	json_array_append_new(routes, info_route(Q("indicator", "0.0.0.0"), 408, "Request Timeout",
	                                         "upstream_error_408_processing.json", NULL));
	json_array_append_new(routes, info_route(Q("indicator", "missing.risk"), 200, NULL,
	                                         "upstream_info_missing_risk.json", NULL));
	json_array_append_new(routes, info_route(Q("iid", "2"), 200, NULL, "upstream_health_ok.json",
	                                         NULL));
	return routes;
}

/* ---- tokens ------------------------------------------------------------------ */

/* Claims of a fixture token with jwks_host pointing at @p host. New reference. */
static json_t *fixture_claims(const char *fixture, const struct harness_proc *host)
{
	json_t *jwt = fixture_json(fixture);
	json_t *claims = json_deep_copy(json_object_get(jwt, "payload"));
	json_object_set_new(claims, "jwks_host", json_string(host->address));
	json_decref(jwt);
	return claims;
}

static char *token_with(const json_t *header, const json_t *claims,
                        const struct jwt_mint_key *key)
{
	const struct jwt_mint_signer s = {.sig = JWT_MINT_SIG_RS256, .rsa = key};
	char *t = jwt_mint_token(header, claims, &s);
	ck_assert_ptr_nonnull(t);
	return t;
}

static json_t *rs256_header(const char *kid)
{
	return kid ? json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "kid", kid)
	           : json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
}

/* "Authorization: Bearer <fixture token>" (malloc'd). */
static char *bearer(const char *fixture)
{
	json_t *claims = fixture_claims(fixture, fx);
	json_t *header = rs256_header(JWT_MINT_DEFAULT_KID);
	char *t = token_with(header, claims, jwt_mint_default_key());
	char *h = harness_printf("Authorization: Bearer %s", t);
	free(t);
	json_decref(header);
	json_decref(claims);
	return h;
}

/* ---- requests ------------------------------------------------------------------ */

/* POST /pulsedive<path>; asserts HTTP 200 and a JSON body. */
static json_t *post(const char *path, const char *auth, const char *body)
{
	char *full = harness_printf("/pulsedive%s", path);
	char url[256];
	harness_url(relayd, full, url, sizeof url);
	const char *headers[] = {"Content-Type: application/json", auth, NULL};
	struct harness_request req = {.method = "POST", .url = url, .headers = headers,
	                              .body = body ? body : "", .body_len = body ? strlen(body) : 0};
	struct harness_response resp;
	ck_assert_int_eq(harness_http(&req, &resp), 0);
	ck_assert_msg(resp.status == 200, "%s: HTTP %ld %s", path, resp.status, resp.body);
	json_t *j = harness_response_json(&resp);
	ck_assert_msg(j != NULL, "%s: not JSON: %s", path, resp.body);
	harness_response_free(&resp);
	free(full);
	return j;
}

static json_t *post_fixture_body(const char *path, const char *auth, const char *request_fixture)
{
	char *p = fixture_path(request_fixture);
	char *body = harness_read_file(p, NULL);
	ck_assert_ptr_nonnull(body);
	json_t *j = post(path, auth, body);
	free(body);
	free(p);
	return j;
}

static void assert_fixture(json_t *got, const char *fixture, const char *what)
{
	json_t *want = fixture_json(fixture);
	harness_assert_json_eq(got, want, what);
	json_decref(want);
	json_decref(got);
}

static void assert_data_matches(const json_t *got, const char *fixture, bool rel_type)
{
	json_t *want = fixture_json(fixture);
	json_t *g = harness_ctim_normalised(json_object_get(got, "data"), rel_type);
	json_t *w = harness_ctim_normalised(json_object_get(want, "data"), rel_type);
	harness_assert_json_eq(g, w, fixture);
	harness_assert_json_eq(json_object_get(got, "errors"), json_object_get(want, "errors"), fixture);
	json_decref(g);
	json_decref(w);
	json_decref(want);
}

/* ---- the fixture scenarios ------------------------------------------------------ */

START_TEST(observe_parkingcrew)
{
	set_routes(default_routes());
	char *auth = bearer("jwt_valid.json");
	json_t *got = post_fixture_body("/observe/observables", auth,
	                                "request_observables_domain_cisco_com.json");
	assert_data_matches(got, "expected_observe_parkingcrew_net_full_derived.json", true);
	assert_data_matches(got, "expected_observe_parkingcrew_net.json", false);
	/* Ids as the contract generates them. */
	const json_t *j = json_array_get(
	    json_object_get(json_object_get(json_object_get(got, "data"), "judgements"), "docs"), 0);
	ck_assert(strncmp(json_string_value(json_object_get(j, "id")), "transient:judgement-", 20) == 0);
	json_decref(got);
	free(auth);
}
END_TEST

START_TEST(observe_limit_1)
{
	set_routes(default_routes());
	char *auth = bearer("jwt_valid_limit_1.json");
	json_t *got = post_fixture_body("/observe/observables", auth,
	                                "request_observables_domain_cisco_com.json");
	assert_data_matches(got, "expected_observe_parkingcrew_net_limit_1.json", true);
	json_decref(got);
	free(auth);
}
END_TEST

START_TEST(observe_partial_then_408)
{
	set_routes(default_routes());
	char *auth = bearer("jwt_valid.json");
	json_t *got = post_fixture_body("/observe/observables", auth,
	                                "request_observables_multiple.json");
	assert_data_matches(got, "expected_observe_partial_then_408.json", false);
	json_decref(got);
	free(auth);
}
END_TEST

START_TEST(observe_key_error)
{
	set_routes(default_routes());
	char *auth = bearer("jwt_valid.json");
	assert_fixture(post("/observe/observables", auth, "[{\"type\":\"domain\",\"value\":\"missing.risk\"}]"),
	               "expected_error_key_error.json", "key error");
	free(auth);
}
END_TEST

START_TEST(refer_cisco_com)
{
	set_routes(default_routes());
	char *auth = bearer("jwt_valid.json");
	assert_fixture(post_fixture_body("/refer/observables", auth,
	                                 "request_observables_domain_cisco_com.json"),
	               "expected_refer_cisco_com.json", "refer");
	free(auth);
}
END_TEST

START_TEST(unsupported_without_auth)
{
	set_routes(default_routes());
	assert_fixture(post_fixture_body("/observe/observables", NULL,
	                                 "request_observables_unsupported.json"),
	               "expected_observe_unsupported.json", "observe unsupported");
	assert_fixture(post_fixture_body("/refer/observables", NULL,
	                                 "request_observables_unsupported.json"),
	               "expected_refer_unsupported.json", "refer unsupported");
}
END_TEST

START_TEST(health_ok_and_408)
{
	set_routes(default_routes());
	char *auth = bearer("jwt_valid.json");
	assert_fixture(post("/health", auth, NULL), "expected_health_ok.json", "health");
	json_t *routes = json_array();
	json_array_append_new(routes, jwks_route());
	json_array_append_new(routes, info_route(Q("iid", "2"), 408, "Request Timeout",
	                                         "upstream_error_408_processing.json", NULL));
	set_routes(routes);
	assert_fixture(post("/health", auth, NULL), "expected_error_upstream_408.json", "health 408");
	free(auth);
}
END_TEST

START_TEST(no_auth_header_and_missing_key_claim)
{
	set_routes(default_routes());
	const char *cisco = "[{\"type\":\"domain\",\"value\":\"cisco.com\"}]";
	assert_fixture(post("/health", NULL, NULL), "expected_error_no_auth_header.json", "health");
	assert_fixture(post("/observe/observables", NULL, cisco), "expected_error_no_auth_header.json",
	               "observe");
	assert_fixture(post("/refer/observables", NULL, cisco), "expected_error_no_auth_header.json",
	               "refer");
	char *auth = bearer("jwt_missing_key_claim.json");
	assert_fixture(post("/health", auth, NULL), "expected_error_missing_key_claim.json", "no key");
	free(auth);
}
END_TEST

START_TEST(upstream_status_mapping)
{
	json_t *table = fixture_json("expected_upstream_status_mapping_derived.json");
	char *auth = bearer("jwt_valid.json");
	size_t i;
	json_t *row;
	json_array_foreach(table, i, row) {
		const json_t *ub = json_object_get(row, "upstream_body");
		char *body = json_is_string(ub) ? strdup(json_string_value(ub)) : json_dumps(ub, 0);
		const char *request = json_string_value(json_object_get(row, "request"));
		bool health = strcmp(request, "POST /health") == 0;
		json_t *routes = json_array();
		json_array_append_new(routes, jwks_route());
		json_array_append_new(
		    routes, info_route(health ? Q("iid", "2") : Q("indicator", "1.1.1.1"),
		                       (long)json_integer_value(json_object_get(row, "upstream_status")),
		                       json_string_value(json_object_get(row, "upstream_reason_phrase")),
		                       NULL, body));
		set_routes(routes);
		char *req_body = json_dumps(json_object_get(row, "request_body"), JSON_ENCODE_ANY);
		json_t *got = post(request + strlen("POST "), auth, health ? NULL : req_body);
		char what[96];
		snprintf(what, sizeof what, "row %zu: %s", i, request);
		harness_assert_json_eq(got, json_object_get(row, "body"), what);
		json_decref(got);
		free(req_body);
		free(body);
	}
	free(auth);
	json_decref(table);
}
END_TEST

START_TEST(input_validation)
{
	json_t *table = fixture_json("expected_input_validation_derived.json");
	set_routes(default_routes());
	char *auth = bearer("jwt_valid.json");
	size_t i;
	json_t *row;
	json_array_foreach(table, i, row) {
		const char *request = json_string_value(json_object_get(row, "request"));
		const json_t *rb = json_object_get(row, "request_body");
		/* A string is the raw body ("null", "[{", ""); anything else is sent as JSON. */
		char *body = json_is_string(rb) ? strdup(json_string_value(rb))
		                                 : json_dumps(rb, JSON_ENCODE_ANY);
		json_t *got = post(request + strlen("POST "), auth, body);
		char what[160];
		snprintf(what, sizeof what, "row %zu: %s", i,
		         json_string_value(json_object_get(row, "case")));
		if (json_object_get(row, "body"))
			harness_assert_json_eq(got, json_object_get(row, "body"), what);
		json_decref(got);
		free(body);
	}
	free(auth);
	json_decref(table);
}
END_TEST

/* ---- the authorization-error table -------------------------------------------- */

enum auth_case {
	A_ABSENT, A_BASIC, A_ONE_WORD, A_THREE_WORDS, A_NOT_JWT, A_NO_JWKS_HOST, A_JWKS_CONNECT,
	A_JWKS_STATUS, A_JWKS_NOT_JSON, A_NO_KID, A_UNKNOWN_KID, A_OTHER_KEY, A_AUD_DIFFERS,
	A_AUD_MISSING, A_EXPIRED, A_HS256, A_NO_KEY, A_NULL_LIMIT, A_COUNT
};

/* The Authorization header of each case (malloc'd, or NULL for none). */
static char *auth_header(enum auth_case c)
{
	json_t *claims = fixture_claims("jwt_valid.json", fx);
	json_t *header = rs256_header(JWT_MINT_DEFAULT_KID);
	const struct jwt_mint_key *key = jwt_mint_default_key();
	char *token = NULL, *h = NULL;
	switch (c) {
	case A_ABSENT: break;
	case A_BASIC: h = strdup("Authorization: Basic abc"); break;
	case A_ONE_WORD: h = strdup("Authorization: Bearer"); break;
	case A_THREE_WORDS: h = strdup("Authorization: Bearer a b"); break;
	case A_NOT_JWT: h = strdup("Authorization: Bearer abc"); break;
	case A_NO_JWKS_HOST: json_object_del(claims, "jwks_host"); break;
	case A_JWKS_CONNECT: json_object_set_new(claims, "jwks_host", json_string("127.0.0.1:1")); break;
	case A_JWKS_STATUS: json_object_set_new(claims, "jwks_host", json_string(fx_status->address)); break;
	case A_JWKS_NOT_JSON: json_object_set_new(claims, "jwks_host", json_string(fx_json->address)); break;
	case A_NO_KID: json_object_del(header, "kid"); break;
	case A_UNKNOWN_KID: json_object_set_new(header, "kid", json_string("no-such-kid")); break;
	case A_OTHER_KEY: key = jwt_mint_other_key(); break;
	case A_AUD_DIFFERS: json_object_set_new(claims, "aud", json_string("http://elsewhere")); break;
	case A_AUD_MISSING: json_object_del(claims, "aud"); break;
	case A_EXPIRED: json_object_set_new(claims, "exp", json_integer(time(NULL) - 3600)); break;
	case A_HS256: {
		json_object_set_new(header, "alg", json_string("HS256"));
		const struct jwt_mint_signer s = {.sig = JWT_MINT_SIG_HS256, .secret = "secret",
		                                  .secret_len = 6};
		token = jwt_mint_token(header, claims, &s);
		break;
	}
	case A_NO_KEY: json_object_del(claims, "key"); break;
	case A_NULL_LIMIT: json_object_set_new(claims, "CTR_ENTITIES_LIMIT", json_null()); break;
	default: break;
	}
	if (!h && c != A_ABSENT) {
		if (!token)
			token = token_with(header, claims, key);
		h = harness_printf("Authorization: Bearer %s", token);
	}
	free(token);
	json_decref(header);
	json_decref(claims);
	return h;
}

static json_t *auth_error(const char *text)
{
	char *m = harness_printf("Authorization failed: %s", text);
	json_t *e = json_pack("{s:[{s:s, s:s, s:s}]}", "errors", "code", "authorization error",
	                      "message", m, "type", "fatal");
	free(m);
	return e;
}

START_TEST(auth_error_table)
{
	set_routes(default_routes());
	json_t *table = fixture_json("expected_auth_errors_derived.json");
	ck_assert_uint_eq(json_array_size(table), A_COUNT);
	for (int c = 0; c < A_COUNT; c++) {
		const json_t *row = json_array_get(table, (size_t)c);
		json_t *want;
		/* The rows where the reference crashed: contracts/securex-relay.md §3.4. */
		switch (c) {
		case A_ONE_WORD: want = auth_error("Wrong authorization type"); break;
		case A_THREE_WORDS: want = auth_error("Wrong JWT structure"); break;
		case A_AUD_MISSING: want = auth_error("Wrong configuration-token-audience"); break;
		case A_EXPIRED: want = auth_error("Token has expired"); break;
		case A_HS256:
			want = auth_error("Failed to decode JWT with provided key. Make sure domain in "
			                  "custom_jwks_host corresponds to your SecureX instance region.");
			break;
		case A_NULL_LIMIT: want = fixture_json("expected_health_ok.json"); break;
		default: want = json_deep_copy(json_object_get(row, "body")); break;
		}
		char *h = auth_header((enum auth_case)c);
		json_t *got = post("/health", h, NULL);
		char what[200];
		snprintf(what, sizeof what, "auth row %d: %s", c,
		         json_string_value(json_object_get(row, "case")));
		harness_assert_json_eq(got, want, what);
		json_decref(got);
		json_decref(want);
		free(h);
	}
	json_decref(table);
}
END_TEST

/* Last: relayd stops on SIGTERM with status 0 and no sanitizer report. */
START_TEST(relayd_exits_cleanly)
{
	ck_assert_int_eq(harness_proc_stop(relayd, 15, HARNESS_STOP_TIMEOUT_MS), 0);
	char *err = harness_proc_stderr(relayd);
	ck_assert_msg(strstr(err, "AddressSanitizer") == NULL && strstr(err, "runtime error") == NULL &&
	                  strstr(err, "LeakSanitizer") == NULL,
	              "relayd stderr:\n%s", err);
	free(err);
}
END_TEST

/* ---- the processes ---------------------------------------------------------------- */

static struct harness_proc *bad_jwks_host(long status, const char *body)
{
	json_t *doc = json_pack("{s:[{s:s, s:s, s:i, s:s}]}", "routes", "method", "GET", "path",
	                        "/.well-known/jwks", "status", (int)status, "body", body);
	char *text = json_dumps(doc, JSON_COMPACT);
	struct harness_proc *p = harness_fixture_start(text);
	free(text);
	json_decref(doc);
	return p;
}

static void start_all(void)
{
	jwt_mint_default_key();
	jwt_mint_other_key();
	fx = harness_fixture_start("{\"routes\":[]}");
	fx_status = bad_jwks_host(500, "{\"error\":\"boom\"}");
	fx_json = bad_jwks_host(200, "<html>not json</html>");
	char *cfg = harness_printf(
	    "[relayd]\n"
	    "listen = 127.0.0.1:0\n"
	    "workers = 2\n"
	    "plugin_dir = %s\n"
	    "audience = http://localhost\n"
	    "jwks_scheme = http\n"
	    "jwks_allowed_hosts = %s,%s,%s,127.0.0.1:1\n"
	    "timeout_ms = 5000\n"
	    "\n"
	    "[plugin.pulsedive]\n"
	    "auth = securex\n"
	    "audience = http://localhost\n"
	    "base_url = http://%s/api\n",
	    harness_env("REAL_PLUGIN_DIR"), fx->address, fx_status->address, fx_json->address,
	    fx->address);
	relayd = harness_relayd_start(cfg);
	free(cfg);
}

static void stop_all(void)
{
	if (relayd->pid > 0)
		harness_proc_stop(relayd, 15, HARNESS_STOP_TIMEOUT_MS);
	harness_proc_free(relayd);
	harness_proc_free(fx);
	harness_proc_free(fx_status);
	harness_proc_free(fx_json);
}

static void start_tc(void) { start_all(); }
static void stop_tc(void) { stop_all(); }

int main(void)
{
	Suite *s = suite_create("pulsedive_integration");
	TCase *tc = tcase_create("pulsedive");
	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, start_tc, stop_tc);
	tcase_add_test(tc, observe_parkingcrew);
	tcase_add_test(tc, observe_limit_1);
	tcase_add_test(tc, observe_partial_then_408);
	tcase_add_test(tc, observe_key_error);
	tcase_add_test(tc, refer_cisco_com);
	tcase_add_test(tc, unsupported_without_auth);
	tcase_add_test(tc, health_ok_and_408);
	tcase_add_test(tc, no_auth_header_and_missing_key_claim);
	tcase_add_test(tc, upstream_status_mapping);
	tcase_add_test(tc, input_validation);
	tcase_add_test(tc, auth_error_table);
	tcase_add_test(tc, relayd_exits_cleanly); /* keep last */
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
