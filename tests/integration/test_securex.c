/* SPDX-License-Identifier: MIT */
/* SecureX protocol layer end to end: JWKS, auth modes, input checks, routing, envelopes, transport. */
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "harness.h"
#include "harness_json.h"
#include "jwt_mint.h"

/*
 * Every test starts its own fixture server(s) and relayd (Check forks per
 * test; harness_tcase_fixtures kills what a failed test leaves). relayd
 * loads echo (tests/plugins/echo) by path and pulsedive from
 * REAL_PLUGIN_DIR. Contract references: contracts/securex-relay.md (§),
 * DECISIONS.md (D§).
 *
 * Audiences: [relayd] audience = AUDIENCE, so a plugin's expected aud is
 * AUDIENCE + its mount (D§3).
 */

#define AUDIENCE "http://relay.test"
#define ECHO_AUD AUDIENCE "/echo"
#define PD_AUD AUDIENCE "/pulsedive"
#define JWKS_PATH "/.well-known/jwks"
#define INFO_PATH "/api/info.php"

#define MSG_WRONG_KEY                                                                              \
	"Failed to decode JWT with provided key. Make sure domain in custom_jwks_host corresponds "   \
	"to your SecureX instance region."
#define MSG_WRONG_JWKS_HOST                                                                        \
	"Wrong jwks_host in JWT payload. Make sure domain follows the "                               \
	"visibility.<region>.cisco.com structure"
#define MSG_WRONG_AUDIENCE "Wrong configuration-token-audience"
#define MSG_EXPIRED "Token has expired"
#define MSG_KID_NOT_FOUND "kid from JWT header not found in API response"
#define MSG_413 "The data value transmitted exceeds the capacity limit."
#define MSG_404                                                                                    \
	"The requested URL was not found on the server. If you entered the URL manually please "      \
	"check your spelling and try again."
#define MSG_405 "The method is not allowed for the requested URL."

/* ---- files and JSON --------------------------------------------------------- */

static char *fixture_path(const char *name)
{
	return harness_fixture_path("pulsedive", name);
}

static json_t *fixture_json(const char *name)
{
	return harness_fixture_json("pulsedive", name);
}

/* {"errors":[{"code":code,"message":message,"type":"fatal"}]} */
static json_t *relay_error(const char *code, const char *message)
{
	return json_pack("{s:[{s:s, s:s, s:s}]}", "errors", "code", code, "message", message, "type",
	                 "fatal");
}

static json_t *auth_error(const char *text)
{
	char *m = harness_printf("Authorization failed: %s", text);
	json_t *e = relay_error("authorization error", m);

	free(m);
	return e;
}

static json_t *invalid_argument(const char *dict)
{
	char *m = harness_printf("Invalid JSON payload received. %s", dict);
	json_t *e = relay_error("invalid argument", m);

	free(m);
	return e;
}

/* The Flask shape of a relay mount's own answers (§6, D§4). */
static json_t *flask(int code, const char *message, const char *reason)
{
	return json_pack("{s:i, s:s, s:s}", "code", code, "message", message, "reason", reason);
}

/* ---- HTTP ------------------------------------------------------------------ */

struct reply {
	long status;  /* 0: no answer */
	json_t *json; /* NULL when the body is not JSON */
	char *body;
};

static void reply_free(struct reply *r)
{
	json_decref(r->json);
	free(r->body);
	r->json = NULL;
	r->body = NULL;
}

/* One request; h1/h2 are extra "Name: value" headers (NULL for none). */
static struct reply send_req(const struct harness_proc *p, const char *method, const char *path,
                             const char *h1, const char *h2, const char *body, size_t len)
{
	char url[512];
	const char *headers[] = { "Content-Type: application/json", h1, h2, NULL };
	struct harness_request req = { .method = method, .url = url, .headers = headers,
	                               .body = body, .body_len = len };
	struct harness_response resp;
	struct reply r = { 0 };

	/* The list ends at the first NULL: move h2 up when there is no h1. */
	if (h1 == NULL) {
		headers[1] = h2;
		headers[2] = NULL;
	}
	harness_url(p, path, url, sizeof(url));
	ck_assert_msg(harness_http(&req, &resp) == 0, "%s %s (%zu bytes): no answer (curl %d: %s)",
	              method, path, len, resp.curl_code,
	              curl_easy_strerror((CURLcode)resp.curl_code));
	r.status = resp.status;
	r.json = harness_response_json(&resp);
	r.body = resp.body;
	resp.body = NULL;
	harness_response_free(&resp);
	return r;
}

static struct reply post(const struct harness_proc *p, const char *path, const char *auth,
                         const char *body)
{
	return send_req(p, "POST", path, auth, NULL, body ? body : "", body ? strlen(body) : 0);
}

static struct reply get(const struct harness_proc *p, const char *path, const char *header)
{
	return send_req(p, "GET", path, header, NULL, NULL, 0);
}

/* Asserts the status and the JSON body; consumes r and want. */
static void expect(struct reply r, long status, json_t *want, const char *what)
{
	ck_assert_msg(r.status == status, "%s: HTTP %ld (want %ld) %s", what, r.status, status,
	              r.body);
	harness_assert_json_eq(r.json, want, what);
	json_decref(want);
	reply_free(&r);
}

/* An HTTP 200 relay answer; returns the body (caller decrefs). */
static json_t *relay_json(struct reply r, const char *what)
{
	ck_assert_msg(r.status == 200, "%s: HTTP %ld %s", what, r.status, r.body);
	ck_assert_msg(r.json != NULL, "%s: not JSON: %s", what, r.body);
	json_t *j = json_incref(r.json);

	reply_free(&r);
	return j;
}

/* ---- the fixture server -------------------------------------------------------- */

static json_t *jwks_route(const struct jwt_mint_key *const *keys, size_t n, int delay_ms)
{
	char *jwks = jwt_mint_jwks_json(keys, n);
	json_t *r = json_pack("{s:s, s:s, s:s, s:i}", "method", "GET", "path", JWKS_PATH, "body",
	                      jwks, "delay_ms", delay_ms);

	free(jwks);
	return r;
}

static json_t *default_jwks_route(void)
{
	const struct jwt_mint_key *keys[] = { jwt_mint_default_key() };

	return jwks_route(keys, 1, 0);
}

/* GET /api/info.php with one query parameter; body from a pulsedive fixture
 * file (or none); fault "none" or one of the fixture server's. */
static json_t *info_route(const char *param, const char *value, const char *fixture,
                          const char *fault, int delay_ms)
{
	json_t *r = json_pack("{s:s, s:s, s:{s:s}, s:s, s:i}", "method", "GET", "path", INFO_PATH,
	                      "query", param, value, "fault", fault ? fault : "none", "delay_ms",
	                      delay_ms);

	if (fixture != NULL) {
		char *path = fixture_path(fixture);

		json_object_set_new(r, "body_file", json_string(path));
		free(path);
	}
	return r;
}

/* The parkingcrew scenario of test_pulsedive: links first (first match wins). */
static void add_parkingcrew_routes(json_t *routes)
{
	json_t *links = info_route("indicator", "parkingcrew.net", "upstream_links_active_dns.json",
	                           NULL, 0);

	json_object_set_new(json_object_get(links, "query"), "get", json_string("links"));
	json_array_append_new(routes, links);
	json_array_append_new(routes, info_route("indicator", "cisco.com",
	                                         "upstream_info_parkingcrew_net.json", NULL, 0));
	json_array_append_new(routes, info_route("iid", "2", "upstream_health_ok.json", NULL, 0));
}

/* Starts a fixture server with these routes (stolen). */
static struct harness_proc *start_fixture(json_t *routes)
{
	char *text = harness_routes_text(routes);
	struct harness_proc *fx = harness_fixture_start(text);

	free(text);
	return fx;
}

/* How often the fixture saw path since it started. */
static json_int_t fixture_count(const struct harness_proc *fx, const char *path)
{
	json_t *stats = harness_fixture_stats(fx);
	json_int_t n = json_integer_value(json_object_get(json_object_get(stats, "paths"), path));

	json_decref(stats);
	return n;
}

static json_int_t fixture_stat(const struct harness_proc *fx, const char *name)
{
	json_t *stats = harness_fixture_stats(fx);
	json_int_t n = json_integer_value(json_object_get(stats, name));

	json_decref(stats);
	return n;
}

/* Polls (bounded: 30 s) until the fixture has nothing in flight and has seen
 * at least min_requests requests. */
static void wait_fixture_idle(const struct harness_proc *fx, json_int_t min_requests)
{
	for (int i = 0; i < 1500; i++) {
		json_t *stats = harness_fixture_stats(fx);
		json_int_t inflight = json_integer_value(json_object_get(stats, "inflight"));
		json_int_t requests = json_integer_value(json_object_get(stats, "requests"));

		json_decref(stats);
		if (inflight == 0 && requests >= min_requests)
			return;
		harness_sleep_ms(20);
	}
	ck_abort_msg("the fixture server did not become idle with %lld requests",
	             (long long)min_requests);
}

/* ---- relayd ------------------------------------------------------------------ */

/* [plugin.echo], loaded by path (it lives outside REAL_PLUGIN_DIR). */
static char *echo_section(const char *extra)
{
	return harness_printf("\n[plugin.echo]\npath = %s/echo/echo.so\n%s", harness_env("PLUGIN_DIR"),
	                      extra ? extra : "");
}

static char *pulsedive_section(const struct harness_proc *fx, const char *extra)
{
	return harness_printf("\n[plugin.pulsedive]\nbase_url = http://%s/api\n%s", fx->address,
	                      extra ? extra : "");
}

/* relayd with workers = 2, JWKS over http; relayd_extra goes into [relayd]
 * (e.g. jwks_allowed_hosts), s1 and s2 are plugin sections (may be NULL). */
static char *relayd_config(const char *audience, const char *relayd_extra, const char *s1,
                           const char *s2)
{
	return harness_printf("[relayd]\n"
	                      "listen = 127.0.0.1:0\n"
	                      "workers = 2\n"
	                      "plugin_dir = %s\n"
	                      "audience = %s\n"
	                      "jwks_scheme = http\n"
	                      "%s%s%s",
	                      harness_env("REAL_PLUGIN_DIR"), audience,
	                      relayd_extra ? relayd_extra : "", s1 ? s1 : "", s2 ? s2 : "");
}

static struct harness_proc *start_relayd(const char *relayd_extra, const char *s1, const char *s2)
{
	char *cfg = relayd_config(AUDIENCE, relayd_extra, s1, s2);
	struct harness_proc *relayd = harness_relayd_start(cfg);

	free(cfg);
	return relayd;
}

static char *allow_hosts(const struct harness_proc *fx)
{
	return harness_printf("jwks_allowed_hosts = %s\n", fx->address);
}

/* SIGTERM → exit 0, and nothing from the sanitizers in relayd's stderr. */
static void stop_cleanly(struct harness_proc *relayd)
{
	char *err;

	ck_assert_int_eq(harness_proc_stop(relayd, 15, HARNESS_STOP_TIMEOUT_MS), 0);
	err = harness_proc_stderr(relayd);
	/* Under valgrind the exit status (--error-exitcode) already says whether
	 * memcheck found anything; its summary line is printed either way. */
	ck_assert_msg(strstr(err, "AddressSanitizer") == NULL && strstr(err, "runtime error") == NULL &&
	                  strstr(err, "LeakSanitizer") == NULL &&
	                  (strstr(err, "ERROR SUMMARY") == NULL ||
	                   strstr(err, "ERROR SUMMARY: 0 errors") != NULL),
	              "relayd stderr:\n%s", err);
	free(err);
}

/* The value of one sample line of GET /metrics ("name{labels} value"); -1 when absent. */
static double metric(const struct harness_proc *relayd, const char *name_and_labels)
{
	struct reply r = get(relayd, "/metrics", NULL);
	size_t n = strlen(name_and_labels);
	double v = -1;

	ck_assert_int_eq(r.status, 200);
	for (const char *line = r.body; line != NULL && *line != '\0';) {
		if (strncmp(line, name_and_labels, n) == 0 && line[n] == ' ') {
			v = strtod(line + n + 1, NULL);
			break;
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	reply_free(&r);
	return v;
}

/* A loopback port nobody listens on (bound, then closed). */
static int closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* ---- tokens -------------------------------------------------------------------- */

/* {"key":key,"jwks_host":<fx>,"aud":aud}; new reference. */
static json_t *securex_claims(const struct harness_proc *jwks_host, const char *aud,
                              const char *key)
{
	return json_pack("{s:s, s:s, s:s}", "key", key, "jwks_host", jwks_host->address, "aud", aud);
}

static char *bearer_token(const char *token)
{
	ck_assert_ptr_nonnull(token);
	return harness_printf("Authorization: Bearer %s", token);
}

/* "Authorization: Bearer <RS256 token>" with header kid = kid (the key's own when NULL). */
static char *bearer_rs256(const struct jwt_mint_key *key, const char *kid, const json_t *claims)
{
	json_t *header = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "kid",
	                           kid ? kid : jwt_mint_key_kid(key));
	const struct jwt_mint_signer s = { .sig = JWT_MINT_SIG_RS256, .rsa = key };
	char *token = jwt_mint_token(header, claims, &s);
	char *h = bearer_token(token);

	free(token);
	json_decref(header);
	return h;
}

static char *bearer_hs256(const char *secret, const json_t *claims)
{
	char *token = jwt_mint_hs256(secret, strlen(secret), claims);
	char *h = bearer_token(token);

	free(token);
	return h;
}

/* {"claims":claims,"api_key":key} as GET <mount>/claims of echo answers it. */
static json_t *echo_claims_body(const json_t *claims, const char *key)
{
	return json_pack("{s:O, s:s}", "claims", claims ? claims : json_null(), "api_key", key);
}

/* ---- pulsedive results, compared as test_pulsedive does ---------------------- */

/* Consumes got. */
static void assert_observe_matches(json_t *got, const char *fixture, const char *what)
{
	json_t *want = fixture_json(fixture);
	json_t *g = harness_ctim_normalised(json_object_get(got, "data"), true);
	json_t *w = harness_ctim_normalised(json_object_get(want, "data"), true);

	harness_assert_json_eq(g, w, what);
	harness_assert_json_eq(json_object_get(got, "errors"), json_object_get(want, "errors"), what);
	json_decref(g);
	json_decref(w);
	json_decref(want);
	json_decref(got);
}

static const char *const CISCO_COM = "[{\"type\":\"domain\",\"value\":\"cisco.com\"}]";

/* ================================================================================ */
/* 1. JWKS single flight (D§3)                                                      */
/* ================================================================================ */

#define FLIGHT_CLIENTS 1000

/* 1,000 concurrent requests with a valid token against a cold cache, the
 * JWKS answer delayed so they pile up: exactly one fetch, every answer right. */
START_TEST(jwks_single_flight_1000_cold_requests)
{
	const struct jwt_mint_key *keys[] = { jwt_mint_default_key() };
	json_t *routes = json_array();

	json_array_append_new(routes, jwks_route(keys, 1, 300));
	struct harness_proc *fx = start_fixture(routes);
	char *allow = allow_hosts(fx);
	char *echo = echo_section("auth = securex\n");
	struct harness_proc *relayd = start_relayd(allow, echo, NULL);
	json_t *claims = securex_claims(fx, ECHO_AUD, "flight-key");
	char *auth = bearer_rs256(jwt_mint_default_key(), NULL, claims);
	char url[256];
	const char *headers[] = { auth, NULL };
	struct harness_request req = { .url = url, .headers = headers, .timeout_ms = 60000 };
	struct harness_response *resps = calloc(FLIGHT_CLIENTS, sizeof(*resps));
	json_t *want = echo_claims_body(claims, "flight-key");

	ck_assert_ptr_nonnull(resps);
	harness_url(relayd, "/echo/claims", url, sizeof(url));
	size_t answered = harness_http_parallel(&req, FLIGHT_CLIENTS, resps);

	size_t right = 0, shown = 0;
	for (size_t i = 0; i < FLIGHT_CLIENTS; i++) {
		json_t *got = harness_response_json(&resps[i]);

		if (resps[i].status == 200 && json_equal(got, want))
			right++;
		else if (shown++ < 5) /* show the first few wrong ones */
			fprintf(stderr, "request %zu: curl %d, HTTP %ld, %s\n", i, resps[i].curl_code,
			        resps[i].status, resps[i].body);
		json_decref(got);
		harness_response_free(&resps[i]);
	}
	ck_assert_uint_eq(answered, FLIGHT_CLIENTS);
	ck_assert_uint_eq(right, FLIGHT_CLIENTS);
	ck_assert_int_eq(fixture_count(fx, JWKS_PATH), 1);
	ck_assert_int_eq(fixture_stat(fx, "requests"), 1);
	char *sample = harness_printf("relayd_jwks_fetches_total{host=\"%s\"}", fx->address);
	ck_assert_msg(metric(relayd, sample) == 1.0, "%s is not 1", sample);
	stop_cleanly(relayd);

	free(sample);
	json_decref(want);
	free(resps);
	free(auth);
	json_decref(claims);
	free(echo);
	free(allow);
	harness_proc_free(relayd);
	harness_proc_free(fx);
}
END_TEST

/* ================================================================================ */
/* 2. Unknown kid refresh and the allow-list (D§3, §3.4)                            */
/* ================================================================================ */

struct securex_env {
	struct harness_proc *fx, *relayd;
	char *allow, *echo;
};

/* fx serves the default key's JWKS; relayd has echo (auth = securex). */
static void securex_env_start(struct securex_env *e)
{
	json_t *routes = json_array();

	json_array_append_new(routes, default_jwks_route());
	e->fx = start_fixture(routes);
	e->allow = allow_hosts(e->fx);
	e->echo = echo_section("auth = securex\n");
	e->relayd = start_relayd(e->allow, e->echo, NULL);
}

static void securex_env_stop(struct securex_env *e)
{
	stop_cleanly(e->relayd);
	harness_proc_free(e->relayd);
	harness_proc_free(e->fx);
	free(e->allow);
	free(e->echo);
}

/* Key rotation: the cached set lacks a token's kid, the JWKS host now has
 * it → one refetch, and the token is accepted. */
START_TEST(unknown_kid_triggers_one_refetch)
{
	struct securex_env e;

	securex_env_start(&e);
	json_t *claims = securex_claims(e.fx, ECHO_AUD, "k1");
	char *old_key = bearer_rs256(jwt_mint_default_key(), NULL, claims);

	expect(get(e.relayd, "/echo/claims", old_key), 200, echo_claims_body(claims, "k1"),
	       "default key");
	ck_assert_int_eq(fixture_count(e.fx, JWKS_PATH), 1);

	const struct jwt_mint_key *both[] = { jwt_mint_default_key(), jwt_mint_other_key() };
	json_t *routes = json_array();

	json_array_append_new(routes, jwks_route(both, 2, 0));
	harness_fixture_set_routes(e.fx, routes);
	char *new_key = bearer_rs256(jwt_mint_other_key(), NULL, claims);

	expect(get(e.relayd, "/echo/claims", new_key), 200, echo_claims_body(claims, "k1"),
	       "rotated key");
	ck_assert_int_eq(fixture_count(e.fx, JWKS_PATH), 2);
	/* Both keys are now cached: no further fetch for either. */
	expect(get(e.relayd, "/echo/claims", old_key), 200, echo_claims_body(claims, "k1"),
	       "default key again");
	expect(get(e.relayd, "/echo/claims", new_key), 200, echo_claims_body(claims, "k1"),
	       "rotated key again");
	ck_assert_int_eq(fixture_count(e.fx, JWKS_PATH), 2);

	free(new_key);
	free(old_key);
	json_decref(claims);
	securex_env_stop(&e);
}
END_TEST

/* Unknown kids within 60 s of each other: at most one refetch for all of
 * them (whether the first one refetches is unknown_kid_triggers_one_refetch's
 * business), and the known key keeps working without a fetch. */
START_TEST(unknown_kid_refetch_at_most_once_per_60s)
{
	struct securex_env e;

	securex_env_start(&e);
	json_t *claims = securex_claims(e.fx, ECHO_AUD, "k1");
	char *good = bearer_rs256(jwt_mint_default_key(), NULL, claims);
	json_t *ok = json_pack("{s:{s:s}}", "data", "status", "ok");
	const char *kids[] = { "no-such-kid-1", "no-such-kid-2", "no-such-kid-3", "no-such-kid-1" };
	json_int_t after_first = 0;

	expect(post(e.relayd, "/echo/health", good, NULL), 200, json_incref(ok), "warm the cache");
	ck_assert_int_eq(fixture_count(e.fx, JWKS_PATH), 1);
	for (size_t i = 0; i < 4; i++) {
		char *auth = bearer_rs256(jwt_mint_default_key(), kids[i], claims);

		expect(post(e.relayd, "/echo/health", auth, NULL), 200, auth_error(MSG_KID_NOT_FOUND),
		       kids[i]);
		json_int_t n = fixture_count(e.fx, JWKS_PATH);

		if (i == 0)
			after_first = n;
		ck_assert_msg(n == after_first && n <= 2,
		              "after %s: %lld JWKS fetches (%lld after the first unknown kid)", kids[i],
		              (long long)n, (long long)after_first);
		free(auth);
	}
	expect(post(e.relayd, "/echo/health", good, NULL), 200, json_incref(ok), "known kid");
	ck_assert_int_eq(fixture_count(e.fx, JWKS_PATH), after_first);
	json_decref(ok);
	free(good);
	json_decref(claims);
	securex_env_stop(&e);
}
END_TEST

/* A jwks_host outside jwks_allowed_hosts: the documented text, nothing fetched. */
START_TEST(jwks_host_not_allowed_fetches_nothing)
{
	struct securex_env e;

	securex_env_start(&e);
	json_t *routes = json_array();

	json_array_append_new(routes, default_jwks_route());
	struct harness_proc *other = start_fixture(routes);
	json_t *claims = securex_claims(other, ECHO_AUD, "k1");
	char *auth = bearer_rs256(jwt_mint_default_key(), NULL, claims);

	expect(post(e.relayd, "/echo/health", auth, NULL), 200, auth_error(MSG_WRONG_JWKS_HOST),
	       "relay route");
	expect(post(e.relayd, "/echo/observe/observables", auth, CISCO_COM), 200,
	       auth_error(MSG_WRONG_JWKS_HOST), "observe");
	ck_assert_int_eq(fixture_stat(other, "requests"), 0);
	ck_assert_int_eq(fixture_stat(e.fx, "requests"), 0);

	free(auth);
	json_decref(claims);
	harness_proc_free(other);
	securex_env_stop(&e);
}
END_TEST

/* ================================================================================ */
/* 3. Claims reach the plugin; secret and static auth; the entities limit           */
/* ================================================================================ */

START_TEST(securex_claims_reach_the_plugin)
{
	struct securex_env e;

	securex_env_start(&e);
	/* aud as a list that contains the mount's audience; extra claims pass through. */
	json_t *claims = json_pack("{s:s, s:s, s:[s,s], s:i, s:{s:b}}", "key", "api-key-1",
	                           "jwks_host", e.fx->address, "aud", "http://elsewhere", ECHO_AUD,
	                           "CTR_ENTITIES_LIMIT", 5, "custom", "nested", 1);
	char *auth = bearer_rs256(jwt_mint_default_key(), NULL, claims);

	expect(get(e.relayd, "/echo/claims", auth), 200, echo_claims_body(claims, "api-key-1"),
	       "claims");
	/* The same request through observe reaches the plugin too. */
	json_t *got = relay_json(post(e.relayd, "/echo/observe/observables", auth,
	                              "[{\"type\":\"IP\",\"value\":\"1.2.3.4\"}]"),
	                         "observe");
	json_t *v = json_array_get(json_object_get(json_object_get(json_object_get(got, "data"),
	                                                           "verdicts"), "docs"), 0);
	json_t *want_obs = json_pack("{s:s, s:s}", "type", "ip", "value", "1.2.3.4");

	harness_assert_json_eq(json_object_get(v, "observable"), want_obs, "observe verdict");
	json_decref(want_obs);
	json_decref(got);

	/* The audience is per mount: pulsedive's aud is not echo's. */
	json_t *wrong = securex_claims(e.fx, PD_AUD, "api-key-1");
	char *wrong_auth = bearer_rs256(jwt_mint_default_key(), NULL, wrong);

	expect(post(e.relayd, "/echo/health", wrong_auth, NULL), 200,
	       auth_error("Wrong configuration-token-audience"), "another mount's aud");
	free(wrong_auth);
	json_decref(wrong);
	free(auth);
	json_decref(claims);
	securex_env_stop(&e);
}
END_TEST

/* Waits (≤ 20 s) until auth answers /echo/health for auth with want_message. */
static void await_auth_answer(const struct harness_proc *relayd, const char *auth,
                              const char *want_message, const char *what)
{
	for (int i = 0; i < 400; i++) {
		struct reply r = post(relayd, "/echo/health", auth, NULL);
		json_t *want = auth_error(want_message);
		bool seen = r.status == 200 && json_equal(r.json, want);

		json_decref(want);
		reply_free(&r);
		if (seen)
			return;
		harness_sleep_ms(50);
	}
	ck_abort_msg("%s: never answered \"%s\"", what, want_message);
}

/* A worker remembers the tokens it accepted (token_memo), but a remembered
 * token meets the current config and clock every time: a reload that moves
 * the audience, drops its JWKS host or takes away the leeway its exp needs
 * refuses it. */
START_TEST(remembered_tokens_meet_reloads_and_expiry)
{
	struct securex_env e;

	securex_env_start(&e);
	json_t *claims = securex_claims(e.fx, ECHO_AUD, "k1");
	/* Expired, but within the default jwt_leeway_s (60 s). */
	json_object_set_new(claims, "exp", json_integer((json_int_t)time(NULL) - 5));
	char *auth = bearer_rs256(jwt_mint_default_key(), NULL, claims);

	/* Several times, so that both workers have it remembered. */
	for (int i = 0; i < 6; i++)
		expect(get(e.relayd, "/echo/claims", auth), 200, echo_claims_body(claims, "k1"),
		       "accepted, then remembered");

	char *moved = relayd_config("http://moved.test", e.allow, e.echo, NULL);

	ck_assert_int_eq(harness_relayd_rewrite_config(e.relayd, moved), 0);
	ck_assert_int_eq(harness_proc_signal(e.relayd, SIGHUP), 0);
	await_auth_answer(e.relayd, auth, MSG_WRONG_AUDIENCE, "audience moved");
	for (int i = 0; i < 6; i++)
		expect(post(e.relayd, "/echo/health", auth, NULL), 200,
		       auth_error(MSG_WRONG_AUDIENCE), "old audience, every worker");

	/* Back to the old audience, but its JWKS host no longer allowed. */
	char *closed = relayd_config(AUDIENCE, "jwks_allowed_hosts = visibility.amp.cisco.com\n",
	                             e.echo, NULL);

	ck_assert_int_eq(harness_relayd_rewrite_config(e.relayd, closed), 0);
	ck_assert_int_eq(harness_proc_signal(e.relayd, SIGHUP), 0);
	await_auth_answer(e.relayd, auth, MSG_WRONG_JWKS_HOST, "JWKS host dropped");

	/* Allowed again, but without leeway: its exp has passed. */
	char *extra = harness_printf("%sjwt_leeway_s = 0\n", e.allow);
	char *strict = relayd_config(AUDIENCE, extra, e.echo, NULL);

	ck_assert_int_eq(harness_relayd_rewrite_config(e.relayd, strict), 0);
	ck_assert_int_eq(harness_proc_signal(e.relayd, SIGHUP), 0);
	await_auth_answer(e.relayd, auth, MSG_EXPIRED, "leeway gone");
	free(strict);
	free(extra);
	free(closed);
	free(moved);
	free(auth);
	json_decref(claims);
	securex_env_stop(&e);
}
END_TEST

/* A plugin route (not a relay route) refuses with the mount's envelope and 401. */
START_TEST(plugin_route_auth_failure_is_flask_401)
{
	struct securex_env e;

	securex_env_start(&e);
	expect(get(e.relayd, "/echo/claims", NULL), 401,
	       flask(401, "Authorization failed: Authorization header is missing",
	             "werkzeug.exceptions.Unauthorized"),
	       "no Authorization header");
	securex_env_stop(&e);
}
END_TEST

/* auth = secret (HS256): echo and pulsedive with one secret; the token's
 * CTR_ENTITIES_LIMIT is ignored (D§3: entities_limit only). */
START_TEST(secret_auth)
{
	json_t *routes = json_array();

	add_parkingcrew_routes(routes);
	struct harness_proc *fx = start_fixture(routes);
	char *echo = echo_section("auth = secret\nsecret = s3cret-value\n");
	char *pd = pulsedive_section(fx, "auth = secret\nsecret = s3cret-value\n");
	struct harness_proc *relayd = start_relayd(NULL, echo, pd);
	json_t *claims = json_pack("{s:s, s:i}", "key", "hs-key", "CTR_ENTITIES_LIMIT", 1);
	char *good = bearer_hs256("s3cret-value", claims);

	expect(get(relayd, "/echo/claims", good), 200, echo_claims_body(claims, "hs-key"), "claims");
	expect(post(relayd, "/echo/health", good, NULL), 200,
	       json_pack("{s:{s:s}}", "data", "status", "ok"), "health");

	char *wrong_secret = bearer_hs256("another-secret", claims);
	char *rs256 = bearer_rs256(jwt_mint_default_key(), NULL, claims);
	json_t *no_key_claims = json_pack("{s:s}", "sub", "x");
	char *no_key = bearer_hs256("s3cret-value", no_key_claims);
	const struct {
		const char *header;
		const char *text;
	} cases[] = {
		{ NULL, "Authorization header is missing" },
		{ "Authorization: Basic abc", "Wrong authorization type" },
		{ "Authorization: Bearer abc", "Wrong JWT structure" },
		{ wrong_secret, "Failed to decode JWT with provided key" },
		{ rs256, "Failed to decode JWT with provided key" },
		{ no_key, "Wrong JWT payload structure" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "secret case %zu", i);
		expect(post(relayd, "/echo/health", cases[i].header, NULL), 200,
		       auth_error(cases[i].text), what);
	}
	/* entities_limit (100) wins over the token's 1: the full result. */
	assert_observe_matches(relay_json(post(relayd, "/pulsedive/observe/observables", good,
	                                       CISCO_COM), "pulsedive observe"),
	                       "expected_observe_parkingcrew_net_full_derived.json",
	                       "secret: token limit ignored");

	free(no_key);
	json_decref(no_key_claims);
	free(rs256);
	free(wrong_secret);
	free(good);
	json_decref(claims);
	stop_cleanly(relayd);
	harness_proc_free(relayd);
	harness_proc_free(fx);
	free(pd);
	free(echo);
}
END_TEST

/* auth = static with client_token: the token is required and compared;
 * entities_limit = 1 applies. */
START_TEST(static_auth_with_client_token)
{
	json_t *routes = json_array();

	add_parkingcrew_routes(routes);
	struct harness_proc *fx = start_fixture(routes);
	char *echo = echo_section("auth = static\napi_key = echo-upstream-key\n"
	                          "client_token = client-secret-1\n");
	char *pd = pulsedive_section(fx, "auth = static\napi_key = pd-key\n"
	                                 "client_token = client-secret-1\nentities_limit = 1\n");
	struct harness_proc *relayd = start_relayd(NULL, echo, pd);
	const char *good = "Authorization: Bearer client-secret-1";

	expect(get(relayd, "/echo/claims", good), 200, echo_claims_body(NULL, "echo-upstream-key"),
	       "claims");
	expect(post(relayd, "/echo/health", good, NULL), 200,
	       json_pack("{s:{s:s}}", "data", "status", "ok"), "health");
	const struct {
		const char *header;
		const char *text;
	} cases[] = {
		{ NULL, "Authorization header is missing" },
		{ "Authorization: Basic client-secret-1", "Wrong authorization type" },
		{ "Authorization: Bearer client-secret-2", "Failed to decode JWT with provided key" },
		{ "Authorization: Bearer client-secret-1x", "Failed to decode JWT with provided key" },
		{ "Authorization: Bearer client-secret-", "Failed to decode JWT with provided key" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[64];

		snprintf(what, sizeof(what), "static case %zu", i);
		expect(post(relayd, "/echo/health", cases[i].header, NULL), 200,
		       auth_error(cases[i].text), what);
	}
	/* The refused requests made no upstream call. */
	ck_assert_int_eq(fixture_stat(fx, "requests"), 0);
	assert_observe_matches(relay_json(post(relayd, "/pulsedive/observe/observables", good,
	                                       CISCO_COM), "pulsedive observe"),
	                       "expected_observe_parkingcrew_net_limit_1.json",
	                       "static: entities_limit 1");
	ck_assert_int_gt(fixture_count(fx, INFO_PATH), 0);

	stop_cleanly(relayd);
	harness_proc_free(relayd);
	harness_proc_free(fx);
	free(pd);
	free(echo);
}
END_TEST

/* auth = static without client_token on a loopback listen: no header needed. */
START_TEST(static_auth_without_client_token)
{
	char *echo = echo_section("auth = static\napi_key = echo-upstream-key\n");
	struct harness_proc *relayd = start_relayd(NULL, echo, NULL);

	expect(get(relayd, "/echo/claims", NULL), 200, echo_claims_body(NULL, "echo-upstream-key"),
	       "claims without a header");
	expect(post(relayd, "/echo/health", "Authorization: Bearer anything", NULL), 200,
	       json_pack("{s:{s:s}}", "data", "status", "ok"), "health with an ignored header");
	stop_cleanly(relayd);
	harness_proc_free(relayd);

	/* Not loopback: client_token becomes required (a config error, D§3). */
	char *cfg = harness_printf("[relayd]\nlisten = 0.0.0.0:0\nplugin_dir = %s\n%s",
	                           harness_env("REAL_PLUGIN_DIR"), echo);
	const char *check[] = { "--check-config", NULL };
	struct harness_proc *p = NULL;
	int status = harness_relayd_run(cfg, check, &p);
	char *err = harness_proc_stderr(p);

	ck_assert_msg(status != 0 && status < 128, "exit status %d", status);
	ck_assert_msg(strstr(err, "uses auth = static without client_token") != NULL, "stderr: %s",
	              err);
	free(err);
	harness_proc_free(p);
	free(cfg);
	free(echo);
}
END_TEST

/* The limit: token claim over config for securex, config when the claim is absent or null. */
START_TEST(entities_limit_token_versus_config)
{
	json_t *routes = json_array();

	json_array_append_new(routes, default_jwks_route());
	add_parkingcrew_routes(routes);
	struct harness_proc *fx = start_fixture(routes);
	char *allow = allow_hosts(fx);
	char *pd = pulsedive_section(fx, "auth = securex\nentities_limit = 1\n");
	struct harness_proc *relayd = start_relayd(allow, pd, NULL);
	struct {
		json_t *limit; /* NULL: no claim */
		const char *fixture;
	} cases[] = {
		{ NULL, "expected_observe_parkingcrew_net_limit_1.json" },
		{ json_null(), "expected_observe_parkingcrew_net_limit_1.json" },
		{ json_integer(100), "expected_observe_parkingcrew_net_full_derived.json" },
		{ json_string("100"), "expected_observe_parkingcrew_net_full_derived.json" },
		{ json_integer(1), "expected_observe_parkingcrew_net_limit_1.json" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *claims = securex_claims(fx, PD_AUD, "pd-key");
		char what[64];

		if (cases[i].limit != NULL)
			json_object_set_new(claims, "CTR_ENTITIES_LIMIT", cases[i].limit);
		char *auth = bearer_rs256(jwt_mint_default_key(), NULL, claims);

		snprintf(what, sizeof(what), "limit case %zu", i);
		assert_observe_matches(relay_json(post(relayd, "/pulsedive/observe/observables", auth,
		                                       CISCO_COM), what),
		                       cases[i].fixture, what);
		free(auth);
		json_decref(claims);
	}
	stop_cleanly(relayd);
	harness_proc_free(relayd);
	harness_proc_free(fx);
	free(pd);
	free(allow);
}
END_TEST

/* ================================================================================ */
/* 4. Bad bodies never reach the plugin (§4, D§1)                                   */
/* ================================================================================ */

struct bodies_env {
	struct harness_proc *fx, *relayd;
	char *echo_auth, *pd_auth;
};

/* echo (max_body 256K) and pulsedive (max_body 16M), both securex. */
static void bodies_env_start(struct bodies_env *e)
{
	json_t *routes = json_array();

	json_array_append_new(routes, default_jwks_route());
	add_parkingcrew_routes(routes);
	e->fx = start_fixture(routes);
	char *allow = allow_hosts(e->fx);
	char *echo = echo_section("auth = securex\nmax_body = 256K\n");
	char *pd = pulsedive_section(e->fx, "auth = securex\nmax_body = 16M\n");

	e->relayd = start_relayd(allow, echo, pd);
	json_t *c1 = securex_claims(e->fx, ECHO_AUD, "echo-key");
	json_t *c2 = securex_claims(e->fx, PD_AUD, "pd-key");

	e->echo_auth = bearer_rs256(jwt_mint_default_key(), NULL, c1);
	e->pd_auth = bearer_rs256(jwt_mint_default_key(), NULL, c2);
	json_decref(c1);
	json_decref(c2);
	free(pd);
	free(echo);
	free(allow);
}

static void bodies_env_stop(struct bodies_env *e)
{
	stop_cleanly(e->relayd);
	harness_proc_free(e->relayd);
	harness_proc_free(e->fx);
	free(e->echo_auth);
	free(e->pd_auth);
}

/* The body to both plugins' observe and refer; the same invalid-argument answer. */
static void expect_invalid(struct bodies_env *e, const char *body, size_t len, const char *dict,
                           const char *what)
{
	const char *paths[][2] = {
		{ "/echo/observe/observables", e->echo_auth },
		{ "/echo/refer/observables", e->echo_auth },
		{ "/echo/deliberate/observables", e->echo_auth },
		{ "/pulsedive/observe/observables", e->pd_auth },
		{ "/pulsedive/refer/observables", e->pd_auth },
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *label = harness_printf("%s → %s", what, paths[i][0]);

		expect(send_req(e->relayd, "POST", paths[i][0], paths[i][1], NULL, body, len), 200,
		       invalid_argument(dict), label);
		free(label);
	}
}

START_TEST(bad_bodies_never_reach_the_plugin)
{
	struct bodies_env e;

	bodies_env_start(&e);
	const char *schema = "{'_schema': ['Invalid input type.']}";
	const struct {
		const char *body;
		const char *dict;
	} cases[] = {
		{ "this is not JSON", schema },
		{ "", schema },
		{ "null", schema },
		{ "{\"type\":\"domain\",\"value\":\"cisco.com\"}", schema },
		{ "\"cisco.com\"", schema },
		{ "[{\"type\":\"domain\",\"value\":\"cisco.com\"}", schema },
		{ "[1]", "{0: {'_schema': ['Invalid input type.']}}" },
		{ "[{\"value\":\"cisco.com\"}]", "{0: {'type': ['Missing data for required field.']}}" },
		{ "[{\"type\":\"domain\"}]", "{0: {'value': ['Missing data for required field.']}}" },
		{ "[{\"type\":\"\",\"value\":\"cisco.com\"}]", "{0: {'type': ['Field may not be blank.']}}" },
		{ "[{\"type\":\"domain\",\"value\":\"\"}]", "{0: {'value': ['Field may not be blank.']}}" },
		{ "[{\"type\":\"domain\",\"value\":\"cisco.com\"},{\"type\":\"domain\",\"value\":\"\"}]",
		  "{1: {'value': ['Field may not be blank.']}}" },
		{ "[{\"type\":\"domain\",\"value\":7}]", "{0: {'value': ['Not a valid string.']}}" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[48];

		snprintf(what, sizeof(what), "body case %zu", i);
		expect_invalid(&e, cases[i].body, strlen(cases[i].body), cases[i].dict, what);
	}
	/* Validation comes before auth: no token needed for the same answer. */
	expect(post(e.relayd, "/pulsedive/observe/observables", NULL, "[1]"), 200,
	       invalid_argument("{0: {'_schema': ['Invalid input type.']}}"), "without a token");
	ck_assert_int_eq(fixture_count(e.fx, INFO_PATH), 0);

	/* The same plugins do reach Pulsedive with a valid body. */
	json_t *ok = relay_json(post(e.relayd, "/pulsedive/observe/observables", e.pd_auth,
	                             CISCO_COM), "valid body");
	ck_assert_msg(json_object_get(ok, "errors") == NULL, "valid body failed");
	json_decref(ok);
	ck_assert_int_eq(fixture_count(e.fx, INFO_PATH), 2);
	bodies_env_stop(&e);
}
END_TEST

/* 100,000 levels of nesting: refused as not an array, no crash, nothing upstream. */
START_TEST(deeply_nested_json_is_invalid_argument)
{
	struct bodies_env e;
	const size_t depth = 100000;
	char *body = malloc(2 * depth + 1);

	ck_assert_ptr_nonnull(body);
	memset(body, '[', depth);
	memset(body + depth, ']', depth);
	body[2 * depth] = '\0';
	bodies_env_start(&e);
	expect_invalid(&e, body, 2 * depth, "{'_schema': ['Invalid input type.']}", "nested arrays");
	/* Objects nested just as deep, inside a valid-looking element. */
	free(body);
	body = NULL;
	char *objs = malloc(6 * depth + 64);

	ck_assert_ptr_nonnull(objs);
	size_t n = 0;
	for (size_t i = 0; i < depth; i++) {
		memcpy(objs + n, "{\"a\":", 5);
		n += 5;
	}
	objs[n++] = '1';
	memset(objs + n, '}', depth);
	n += depth;
	expect(send_req(e.relayd, "POST", "/pulsedive/observe/observables", e.pd_auth, NULL, objs, n),
	       200, invalid_argument("{'_schema': ['Invalid input type.']}"), "nested objects");
	ck_assert_int_eq(fixture_count(e.fx, INFO_PATH), 0);
	free(objs);
	/* Still serving. */
	expect(post(e.relayd, "/echo/observe/observables", e.echo_auth, "[]"), 200,
	       json_pack("{s:{}}", "data"), "after the nesting");
	bodies_env_stop(&e);
}
END_TEST

#define TEN_MB (10u * 1024u * 1024u)

/* A filler body of n bytes: '[' then spaces (never valid JSON). */
static char *big_body(size_t n)
{
	char *b = malloc(n + 1);

	ck_assert_ptr_nonnull(b);
	memset(b, ' ', n);
	b[0] = '[';
	b[n] = '\0';
	return b;
}

/* 10 MB: over echo's 256K → 413 in the relay envelope; under pulsedive's 16M
 * → parsed and refused; over a relayd whose largest max_body is 1M → evhttp's 413. */
START_TEST(ten_megabyte_bodies)
{
	struct bodies_env e;
	char *body = big_body(TEN_MB);

	bodies_env_start(&e);
	expect(send_req(e.relayd, "POST", "/echo/observe/observables", e.echo_auth, NULL, body,
	                TEN_MB),
	       413, flask(413, MSG_413, "werkzeug.exceptions.RequestEntityTooLarge"),
	       "over the mount's max_body");
	expect(send_req(e.relayd, "POST", "/pulsedive/observe/observables", e.pd_auth, NULL, body,
	                TEN_MB),
	       200, invalid_argument("{'_schema': ['Invalid input type.']}"),
	       "under the mount's max_body");
	ck_assert_int_eq(fixture_count(e.fx, INFO_PATH), 0);
	expect(post(e.relayd, "/echo/observe/observables", e.echo_auth, "[]"), 200,
	       json_pack("{s:{}}", "data"), "still serving");
	bodies_env_stop(&e);

	char *echo = echo_section("auth = static\n");
	struct harness_proc *relayd = start_relayd(NULL, echo, NULL);
	char url[256];
	const char *headers[] = { "Content-Type: application/json", NULL };
	struct harness_request req = { .method = "POST", .url = url, .headers = headers,
	                               .body = body, .body_len = TEN_MB };

	/* evhttp answers before the body is in: a server that closes with the
	 * rest unread resets the connection, and the client may never see the
	 * 413 (a few tries make that race show). */
	harness_url(relayd, "/echo/observe/observables", url, sizeof(url));
	for (int i = 0; i < 10; i++) {
		struct harness_response resp;
		int rc = harness_http(&req, &resp);

		ck_assert_msg(rc == 0 && resp.status == 413,
		              "over evhttp's limit, try %d: curl %d (%s), HTTP %ld", i, resp.curl_code,
		              curl_easy_strerror((CURLcode)resp.curl_code), resp.status);
		harness_response_free(&resp);
	}
	expect(post(relayd, "/echo/observe/observables", NULL, "[]"), 200,
	       json_pack("{s:{}}", "data"), "still serving after evhttp's 413");
	stop_cleanly(relayd);
	harness_proc_free(relayd);
	free(echo);
	free(body);
}
END_TEST

/* ================================================================================ */
/* 5. Routing and envelopes (D§4)                                                   */
/* ================================================================================ */

/* echo at "/" and pulsedive at /pulsedive, both static. */
START_TEST(routing_longest_mount_and_host_routes)
{
	struct harness_proc *fx = start_fixture(json_array()); /* every lookup: 404, nothing known */
	char *echo = echo_section("auth = static\nmount = /\n");
	char *pd = pulsedive_section(fx, "auth = static\napi_key = pd-key\n");
	struct harness_proc *relayd = start_relayd(NULL, echo, pd);
	json_t *host_version = NULL;

	/* Host routes beat a plugin mounted at "/". */
	expect(get(relayd, "/healthz", NULL), 200, json_pack("{s:s}", "status", "ok"), "healthz");
	ck_assert_int_eq(harness_get_json(relayd, "/version", &host_version), 200);
	ck_assert_msg(json_is_string(json_object_get(host_version, "relayd")), "GET /version");
	expect(post(relayd, "/version", NULL, NULL), 405,
	       json_pack("{s:{s:i, s:s}}", "error", "code", 405, "message", "Method not allowed."),
	       "POST /version is the host's, not echo's");

	/* A plugin's POST <mount>/version: its own version. */
	const char *pd_version = NULL;
	size_t i;
	json_t *entry;
	json_array_foreach(json_object_get(host_version, "plugins"), i, entry) {
		if (strcmp(json_string_value(json_object_get(entry, "name")), "pulsedive") == 0)
			pd_version = json_string_value(json_object_get(entry, "version"));
	}
	ck_assert_ptr_nonnull(pd_version);
	expect(post(relayd, "/pulsedive/version", NULL, NULL), 200,
	       json_pack("{s:s}", "version", pd_version), "POST /pulsedive/version");
	expect(post(relayd, "/pulsedive/version/", NULL, "ignored"), 200,
	       json_pack("{s:s}", "version", pd_version), "one trailing slash");
	expect(post(relayd, "/pulsedive/version//", NULL, NULL), 404,
	       flask(404, MSG_404, "werkzeug.exceptions.NotFound"), "two trailing slashes");
	expect(get(relayd, "/pulsedive/version", NULL), 405,
	       flask(405, MSG_405, "werkzeug.exceptions.MethodNotAllowed"), "GET version");
	json_decref(host_version);

	/* Longest mount: /pulsedive/refer is pulsedive's (its search link), / is echo's. */
	json_t *refs = relay_json(post(relayd, "/pulsedive/refer/observables", NULL, CISCO_COM),
	                          "pulsedive refer");
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_array_get(json_object_get(refs, "data"), 0), "id")),
	                 "ref-pulsedive-search-domain-cisco.com");
	json_decref(refs);
	refs = relay_json(post(relayd, "/refer/observables", NULL, CISCO_COM), "echo refer");
	ck_assert_str_eq(json_string_value(json_object_get(
	                     json_array_get(json_object_get(refs, "data"), 0), "id")),
	                 "ref-echo-domain-cisco.com");
	json_decref(refs);
	/* Mounts match on segment boundaries: /pulsedivex is echo's (a 404 there). */
	expect(post(relayd, "/pulsedivex/refer/observables", NULL, CISCO_COM), 404,
	       flask(404, MSG_404, "werkzeug.exceptions.NotFound"), "/pulsedivex");
	ck_assert_msg(metric(relayd, "relayd_requests_total{plugin=\"echo\",status=\"404\"}") == 1.0,
	              "the /pulsedivex 404 is not echo's");

	/* Relay mount 404/405 (Flask shape) — for both plugins. */
	expect(get(relayd, "/pulsedive/nothing/here", NULL), 404,
	       flask(404, MSG_404, "werkzeug.exceptions.NotFound"), "pulsedive 404");
	expect(get(relayd, "/nothing", NULL), 404, flask(404, MSG_404, "werkzeug.exceptions.NotFound"),
	       "echo 404");
	const char *wrong_methods[][2] = {
		{ "GET", "/pulsedive/health" },         { "GET", "/pulsedive/observe/observables" },
		{ "GET", "/pulsedive/refer/observables" }, { "POST", "/pulsedive/watchdog" },
		{ "PUT", "/observe/observables" },      { "DELETE", "/health" },
		{ "POST", "/watchdog" },                { "GET", "/deliberate/observables" },
		{ "GET", "/respond/observables/" },
	};
	for (size_t k = 0; k < sizeof(wrong_methods) / sizeof(wrong_methods[0]); k++) {
		char *what = harness_printf("%s %s", wrong_methods[k][0], wrong_methods[k][1]);

		expect(send_req(relayd, wrong_methods[k][0], wrong_methods[k][1], NULL, NULL, NULL, 0),
		       405, flask(405, MSG_405, "werkzeug.exceptions.MethodNotAllowed"), what);
		free(what);
	}

	/* Routes the plugin lacks answer the contract's empty results. */
	const char *obs = "[{\"type\":\"ip\",\"value\":\"1.2.3.4\"}]";
	expect(post(relayd, "/deliberate/observables", NULL, obs), 200, json_pack("{s:{}}", "data"),
	       "deliberate");
	expect(post(relayd, "/deliberate/observables/", NULL, obs), 200, json_pack("{s:{}}", "data"),
	       "deliberate/");
	expect(post(relayd, "/respond/observables", NULL, obs), 200, json_pack("{s:[]}", "data"),
	       "respond");
	expect(post(relayd, "/pulsedive/deliberate/observables", NULL, CISCO_COM), 200,
	       json_pack("{s:{}}", "data"), "pulsedive deliberate");
	expect(post(relayd, "/pulsedive/respond/observables", NULL, CISCO_COM), 200,
	       json_pack("{s:[]}", "data"), "pulsedive respond");

	/* Watchdog, with and without the header. */
	expect(send_req(relayd, "GET", "/pulsedive/watchdog", "Health-Check: test", NULL, NULL, 0),
	       200, fixture_json("expected_watchdog_ok.json"), "watchdog");
	expect(get(relayd, "/pulsedive/watchdog", NULL), 200,
	       fixture_json("expected_watchdog_missing_header.json"), "watchdog without header");
	expect(send_req(relayd, "GET", "/watchdog/", "Health-Check: echo-check", NULL, NULL, 0), 200,
	       json_pack("{s:s}", "data", "echo-check"), "echo watchdog");

	stop_cleanly(relayd);
	harness_proc_free(relayd);
	harness_proc_free(fx);
	free(pd);
	free(echo);
}
END_TEST

/* Host root answers (nothing mounted at "/"): {"error":{"code","message"}}. */
START_TEST(host_root_envelopes)
{
	char *echo = echo_section("auth = static\n");
	struct harness_proc *relayd = start_relayd(NULL, echo, NULL);

	expect(get(relayd, "/no/such/thing", NULL), 404,
	       json_pack("{s:{s:i, s:s}}", "error", "code", 404, "message", "Not found."),
	       "host 404");
	expect(post(relayd, "/echox/health", NULL, NULL), 404,
	       json_pack("{s:{s:i, s:s}}", "error", "code", 404, "message", "Not found."),
	       "not on a segment boundary");
	expect(post(relayd, "/healthz", NULL, NULL), 405,
	       json_pack("{s:{s:i, s:s}}", "error", "code", 405, "message", "Method not allowed."),
	       "host 405");
	expect(send_req(relayd, "DELETE", "/plugins", NULL, NULL, NULL, 0), 405,
	       json_pack("{s:{s:i, s:s}}", "error", "code", 405, "message", "Method not allowed."),
	       "host 405 /plugins");
	expect(get(relayd, "/healthz/", NULL), 200, json_pack("{s:s}", "status", "ok"),
	       "host route with a trailing slash");
	expect(get(relayd, "/echo/greeting/", NULL), 200, json_pack("{s:s}", "greeting", "hello"),
	       "plugin route with a trailing slash");
	expect(post(relayd, "/echo/version", NULL, NULL), 200, json_pack("{s:s}", "version", "1.2.3"),
	       "echo version");
	stop_cleanly(relayd);
	harness_proc_free(relayd);
	free(echo);
}
END_TEST

/* ================================================================================ */
/* 6. Transport failures (D§9)                                                     */
/* ================================================================================ */

/* relayd with pulsedive (auth = static) at base_url; extra goes into its section. */
static struct harness_proc *start_pulsedive_static(const char *base_url, const char *extra)
{
	char *pd = harness_printf("\n[plugin.pulsedive]\nbase_url = %s\n"
	                          "auth = static\napi_key = pd-key\n%s",
	                          base_url, extra);
	struct harness_proc *relayd = start_relayd(NULL, pd, NULL);

	free(pd);
	return relayd;
}

static char *fx_base(const struct harness_proc *fx)
{
	return harness_printf("http://%s/api", fx->address);
}

static void expect_unable_to_reach(struct reply r, const char *what)
{
	json_t *body = relay_json(r, what);
	json_t *errors = json_object_get(body, "errors");
	json_t *e = json_array_get(errors, 0);
	const char *prefix = "Unable to reach Pulsedive: ";
	const char *message = json_string_value(json_object_get(e, "message"));

	ck_assert_msg(json_object_size(body) == 1 && json_array_size(errors) == 1, "%s: shape",
	              what);
	ck_assert_str_eq(json_string_value(json_object_get(e, "code")), "unknown");
	ck_assert_str_eq(json_string_value(json_object_get(e, "type")), "fatal");
	ck_assert_msg(message != NULL && strncmp(message, prefix, strlen(prefix)) == 0 &&
	                  strlen(message) > strlen(prefix),
	              "%s: message %s", what, message ? message : "(none)");
	json_decref(body);
}

START_TEST(upstream_timeout_reset_close_invalid_json)
{
	json_t *routes = json_array();

	json_array_append_new(routes, info_route("iid", "2", "upstream_health_ok.json", "hang", 0));
	struct harness_proc *fx = start_fixture(routes);
	char *base = fx_base(fx);
	struct harness_proc *relayd = start_pulsedive_static(base, "timeout_ms = 200\n");

	expect(post(relayd, "/pulsedive/health", NULL, NULL), 200,
	       relay_error("request timeout", "Pulsedive did not answer within 200 ms."), "hang");

	const char *faults[] = { "reset", "close", "truncate" };
	for (size_t i = 0; i < 3; i++) {
		routes = json_array();
		json_array_append_new(routes, info_route("iid", "2", "upstream_health_ok.json",
		                                         faults[i], 0));
		harness_fixture_set_routes(fx, routes);
		expect_unable_to_reach(post(relayd, "/pulsedive/health", NULL, NULL), faults[i]);
	}

	routes = json_array();
	json_array_append_new(routes, info_route("iid", "2", NULL, "invalid_json", 0));
	json_array_append_new(routes, info_route("indicator", "cisco.com", NULL, "invalid_json", 0));
	harness_fixture_set_routes(fx, routes);
	expect(post(relayd, "/pulsedive/health", NULL, NULL), 200,
	       relay_error("unknown", "Pulsedive answered with invalid JSON."), "invalid JSON health");
	expect(post(relayd, "/pulsedive/observe/observables", NULL, CISCO_COM), 200,
	       relay_error("unknown", "Pulsedive answered with invalid JSON."),
	       "invalid JSON observe");

	stop_cleanly(relayd);
	harness_proc_free(relayd);
	harness_proc_free(fx);
	free(base);
}
END_TEST

START_TEST(upstream_connection_refused)
{
	char *base = harness_printf("http://127.0.0.1:%d/api", closed_port());
	struct harness_proc *relayd = start_pulsedive_static(base, "");

	expect_unable_to_reach(post(relayd, "/pulsedive/health", NULL, NULL), "refused health");
	expect_unable_to_reach(post(relayd, "/pulsedive/observe/observables", NULL, CISCO_COM),
	                       "refused observe");
	stop_cleanly(relayd);
	harness_proc_free(relayd);
	free(base);
}
END_TEST

/* rate_limit = 1/s, burst 1, deadline 300 ms: the second probe in a row would
 * wait ~1 s, past the deadline → refused at once, nothing sent upstream. */
START_TEST(relayd_rate_limit_past_deadline)
{
	json_t *routes = json_array();

	add_parkingcrew_routes(routes);
	struct harness_proc *fx = start_fixture(routes);
	char *pd = harness_printf("\n[plugin.pulsedive]\nbase_url = http://%s/api\n"
	                          "auth = static\napi_key = pd-key\nrate_limit = 1\nrate_burst = 1\n",
	                          fx->address);
	struct harness_proc *relayd = start_relayd("deadline_ms = 300\n", pd, NULL);

	expect(post(relayd, "/pulsedive/health", NULL, NULL), 200, fixture_json("expected_health_ok.json"),
	       "first probe");
	expect(post(relayd, "/pulsedive/health", NULL, NULL), 200,
	       relay_error("too many requests",
	                   "Too many requests to Pulsedive (relayd rate_limit); try again later."),
	       "second probe");
	ck_assert_int_eq(fixture_count(fx, INFO_PATH), 1);
	stop_cleanly(relayd);
	harness_proc_free(relayd);
	harness_proc_free(fx);
	free(pd);
}
END_TEST

/* cache_ttl_s > 0: the second identical observe asks Pulsedive nothing. */
START_TEST(answer_cache_spares_upstream)
{
	json_t *routes = json_array();

	add_parkingcrew_routes(routes);
	struct harness_proc *fx = start_fixture(routes);
	char *base = fx_base(fx);
	struct harness_proc *relayd = start_pulsedive_static(base, "cache_ttl_s = 60\n");
	json_t *first = relay_json(post(relayd, "/pulsedive/observe/observables", NULL, CISCO_COM),
	                           "first observe");

	ck_assert_int_eq(fixture_count(fx, INFO_PATH), 2); /* lookup + links */
	json_t *second = relay_json(post(relayd, "/pulsedive/observe/observables", NULL, CISCO_COM),
	                            "second observe");
	ck_assert_int_eq(fixture_count(fx, INFO_PATH), 2);
	json_t *a = harness_ctim_normalised(json_object_get(first, "data"), true);
	json_t *b = harness_ctim_normalised(json_object_get(second, "data"), true);

	harness_assert_json_eq(b, a, "cached answer");
	json_decref(a);
	json_decref(b);
	/* And it is the full answer. */
	assert_observe_matches(second, "expected_observe_parkingcrew_net_full_derived.json", "cached");
	json_decref(first);
	stop_cleanly(relayd);
	harness_proc_free(relayd);
	harness_proc_free(fx);
	free(base);
}
END_TEST

/* ================================================================================ */
/* 8. Clients that leave while their request waits                                  */
/* ================================================================================ */

#define LEAVERS 20

/* n clients that give up after 200 ms on GET/POST path. */
static void leave_early(const struct harness_proc *relayd, const char *method, const char *path,
                        const char *header, const char *body)
{
	char url[256];
	const char *headers[] = { "Content-Type: application/json", header, NULL };
	struct harness_request req = { .method = method, .url = url, .headers = headers,
	                               .body = body, .body_len = body ? strlen(body) : 0,
	                               .timeout_ms = 200 };
	struct harness_response resps[LEAVERS];

	harness_url(relayd, path, url, sizeof(url));
	size_t answered = harness_http_parallel(&req, LEAVERS, resps);

	for (size_t i = 0; i < LEAVERS; i++)
		harness_response_free(&resps[i]);
	ck_assert_msg(answered == 0, "%zu of %d clients got an answer within 200 ms on %s",
	              answered, LEAVERS, path);
}

START_TEST(client_disconnects_while_waiting)
{
	const struct jwt_mint_key *keys[] = { jwt_mint_default_key() };
	json_t *routes = json_array();
	json_t *slow = json_pack("{s:s, s:s, s:s, s:i}", "method", "GET", "path", "/slow", "body",
	                         "late", "delay_ms", 1000);

	json_array_append_new(routes, slow);
	json_array_append_new(routes, jwks_route(keys, 1, 1000));
	json_t *slow_lookup = info_route("indicator", "slow.example", NULL, "none", 1000);

	json_object_set_new(slow_lookup, "body_json", json_object()); /* nothing known */
	json_array_append_new(routes, slow_lookup);
	json_array_append_new(routes, info_route("iid", "2", "upstream_health_ok.json", NULL, 0));
	struct harness_proc *fx = start_fixture(routes);
	char *allow = allow_hosts(fx);
	char *echo_extra = harness_printf("auth = securex\nupstream_url = http://%s\n", fx->address);
	char *echo = echo_section(echo_extra);
	char *pd = pulsedive_section(fx, "auth = static\napi_key = pd-key\n");
	struct harness_proc *relayd = start_relayd(allow, echo, pd);
	json_t *claims = securex_claims(fx, ECHO_AUD, "k1");
	char *auth = bearer_rs256(jwt_mint_default_key(), NULL, claims);

	/* Waiting on a plugin's upstream request, on a Pulsedive lookup, on the JWKS. */
	leave_early(relayd, "GET", "/echo/fetch", NULL, NULL);
	leave_early(relayd, "POST", "/pulsedive/observe/observables", NULL,
	            "[{\"type\":\"domain\",\"value\":\"slow.example\"}]");
	leave_early(relayd, "GET", "/echo/claims", auth, NULL);
	/* relayd got every delayed answer after its clients had gone. */
	wait_fixture_idle(fx, 2 * LEAVERS + 1);
	ck_assert_int_eq(fixture_count(fx, JWKS_PATH), 1);

	/* Still serving, on every path that had a leaver. */
	expect(get(relayd, "/echo/claims", auth), 200, echo_claims_body(claims, "k1"), "claims");
	expect(get(relayd, "/echo/fetch", NULL), 200,
	       json_pack("{s:i, s:s}", "status", 200, "body", "late"), "fetch");
	expect(post(relayd, "/pulsedive/observe/observables", NULL,
	            "[{\"type\":\"domain\",\"value\":\"slow.example\"}]"),
	       200, json_pack("{s:{}}", "data"), "observe");
	expect(post(relayd, "/pulsedive/health", NULL, NULL), 200,
	       fixture_json("expected_health_ok.json"), "health");
	stop_cleanly(relayd);

	free(auth);
	json_decref(claims);
	free(pd);
	free(echo);
	free(echo_extra);
	free(allow);
	harness_proc_free(relayd);
	harness_proc_free(fx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("securex");
	TCase *tc = tcase_create("securex");
	SRunner *sr;
	int failed;

	/* Forked tests inherit the keys instead of each generating its own. */
	jwt_mint_default_key();
	jwt_mint_other_key();
	tcase_set_timeout(tc, 240);
	harness_tcase_fixtures(tc);
	/* 1,000 connections: tagged so the valgrind setup (CK_EXCLUDE_TAGS=heavy)
	 * leaves it out and runs the rest of this suite under memcheck. */
	TCase *heavy = tcase_create("single_flight");
	tcase_set_tags(heavy, "heavy");
	tcase_set_timeout(heavy, 240);
	harness_tcase_fixtures(heavy);
	tcase_add_test(heavy, jwks_single_flight_1000_cold_requests);
	suite_add_tcase(s, heavy);
	tcase_add_test(tc, unknown_kid_triggers_one_refetch);
	tcase_add_test(tc, unknown_kid_refetch_at_most_once_per_60s);
	tcase_add_test(tc, jwks_host_not_allowed_fetches_nothing);
	tcase_add_test(tc, securex_claims_reach_the_plugin);
	tcase_add_test(tc, remembered_tokens_meet_reloads_and_expiry);
	tcase_add_test(tc, plugin_route_auth_failure_is_flask_401);
	tcase_add_test(tc, secret_auth);
	tcase_add_test(tc, static_auth_with_client_token);
	tcase_add_test(tc, static_auth_without_client_token);
	tcase_add_test(tc, entities_limit_token_versus_config);
	tcase_add_test(tc, bad_bodies_never_reach_the_plugin);
	tcase_add_test(tc, deeply_nested_json_is_invalid_argument);
	tcase_add_test(tc, ten_megabyte_bodies);
	tcase_add_test(tc, routing_longest_mount_and_host_routes);
	tcase_add_test(tc, host_root_envelopes);
	tcase_add_test(tc, upstream_timeout_reset_close_invalid_json);
	tcase_add_test(tc, upstream_connection_refused);
	tcase_add_test(tc, relayd_rate_limit_past_deadline);
	tcase_add_test(tc, answer_cache_spares_upstream);
	tcase_add_test(tc, client_disconnects_while_waiting);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
