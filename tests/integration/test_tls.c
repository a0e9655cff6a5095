/* SPDX-License-Identifier: MIT */
/* relayd as a TLS client: pulsedive and JWKS against an HTTPS fixture server with a fresh cert. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "harness.h"
#include "harness_json.h"
#include "jwt_mint.h"

/*
 * Every test starts its own fixture server (HTTPS only, a fresh self-signed
 * certificate: CN/SAN 127.0.0.1) and its own relayd, so a failure leaves no
 * state behind. Check forks per test; harness_tcase_fixtures cleans up.
 */

#define AUDIENCE "http://relay.test"

static char *fixture_path(const char *name)
{
	return harness_fixture_path("pulsedive", name);
}

static json_t *fixture_json(const char *name)
{
	return harness_fixture_json("pulsedive", name);
}

/* Routes: the JWKS of the default key and Pulsedive's health probe (iid=2). */
static char *tls_routes(void)
{
	const struct jwt_mint_key *keys[] = { jwt_mint_default_key() };
	char *jwks = jwt_mint_jwks_json(keys, 1);
	char *health = fixture_path("upstream_health_ok.json");
	json_t *doc = json_pack("{s:[{s:s, s:s, s:s}, {s:s, s:s, s:{s:s}, s:s}]}", "routes",
	                        "method", "GET", "path", "/.well-known/jwks", "body", jwks,
	                        "method", "GET", "path", "/api/info.php", "query", "iid", "2",
	                        "body_file", health);
	char *text = json_dumps(doc, JSON_COMPACT);

	ck_assert_ptr_nonnull(text);
	json_decref(doc);
	free(jwks);
	free(health);
	return text;
}

static struct harness_proc *start_tls_fixture(char **cert)
{
	char *routes = tls_routes();
	struct harness_proc *fx = harness_fixture_start_tls(routes, cert);

	free(routes);
	return fx;
}

/* POST <relayd><path> with an optional extra header; asserts HTTP 200 and JSON. */
static json_t *post_json(const struct harness_proc *relayd, const char *path, const char *header,
                         const char *body)
{
	char url[256];
	const char *headers[] = { "Content-Type: application/json", header, NULL };
	struct harness_request req = { .method = "POST", .url = url, .headers = headers,
	                               .body = body ? body : "", .body_len = body ? strlen(body) : 0 };
	struct harness_response resp;
	json_t *j;

	harness_url(relayd, path, url, sizeof(url));
	ck_assert_msg(harness_http(&req, &resp) == 0, "POST %s: no answer (curl %d)", path,
	              resp.curl_code);
	ck_assert_msg(resp.status == 200, "POST %s: HTTP %ld %s", path, resp.status, resp.body);
	j = harness_response_json(&resp);
	ck_assert_msg(j != NULL, "POST %s: not JSON: %s", path, resp.body);
	harness_response_free(&resp);
	return j;
}

/* relayd with pulsedive (auth = static) at https://<fx>/api; ca_line is
 * added to [plugin.pulsedive] ("" for none). */
static struct harness_proc *start_pulsedive_static(const struct harness_proc *fx,
                                                   const char *ca_line)
{
	char *cfg = harness_printf("[relayd]\n"
	                           "listen = 127.0.0.1:0\n"
	                           "workers = 1\n"
	                           "plugin_dir = %s\n"
	                           "timeout_ms = 5000\n"
	                           "\n"
	                           "[plugin.pulsedive]\n"
	                           "auth = static\n"
	                           "api_key = test-key\n"
	                           "base_url = https://%s/api\n"
	                           "%s",
	                           harness_env("REAL_PLUGIN_DIR"), fx->address, ca_line);
	struct harness_proc *relayd = harness_relayd_start(cfg);

	free(cfg);
	return relayd;
}

static void stop_cleanly(struct harness_proc *relayd)
{
	char *err;

	ck_assert_int_eq(harness_proc_stop(relayd, 15, HARNESS_STOP_TIMEOUT_MS), 0);
	err = harness_proc_stderr(relayd);
	ck_assert_msg(strstr(err, "AddressSanitizer") == NULL && strstr(err, "runtime error") == NULL &&
	                  strstr(err, "LeakSanitizer") == NULL,
	              "relayd stderr:\n%s", err);
	free(err);
}

/* The harness itself: the server speaks HTTPS with that certificate only. */
START_TEST(fixture_serves_https_with_generated_certificate)
{
	char *cert = NULL;
	struct harness_proc *fx = start_tls_fixture(&cert);
	char *url = harness_printf("https://%s/__stats", fx->address);
	struct harness_request req = { .url = url };
	struct harness_response resp;

	ck_assert_msg(harness_http(&req, &resp) != 0, "an untrusted certificate was accepted");
	ck_assert_int_eq(resp.curl_code, CURLE_PEER_FAILED_VERIFICATION);
	harness_response_free(&resp);

	req.ca_file = cert;
	ck_assert_msg(harness_http(&req, &resp) == 0, "with the CA file: curl %d", resp.curl_code);
	ck_assert_int_eq(resp.status, 200);
	json_t *stats = harness_response_json(&resp);
	ck_assert_msg(json_is_object(stats), "stats: %s", resp.body);
	json_decref(stats);
	harness_response_free(&resp);
	free(url);

	/* No plain HTTP on that port. */
	url = harness_printf("http://%s/__stats", fx->address);
	req = (struct harness_request){ .url = url, .timeout_ms = 5000 };
	int rc = harness_http(&req, &resp);
	ck_assert_msg(rc != 0 || resp.status == 400, "plain HTTP answered %ld", resp.status);
	harness_response_free(&resp);
	free(url);
	free(cert);
	harness_proc_free(fx);
}
END_TEST

START_TEST(pulsedive_without_ca_file_is_the_ssl_error)
{
	struct harness_proc *fx = start_tls_fixture(NULL);
	struct harness_proc *relayd = start_pulsedive_static(fx, "");
	json_t *want = fixture_json("expected_error_ssl.json");
	json_t *got = post_json(relayd, "/pulsedive/health", NULL, NULL);

	harness_assert_json_eq(got, want, "health over untrusted TLS");
	json_decref(got);
	/* Observe takes the same path: nothing collected, the same error. */
	got = post_json(relayd, "/pulsedive/observe/observables", NULL,
	                "[{\"type\":\"domain\",\"value\":\"cisco.com\"}]");
	harness_assert_json_eq(got, want, "observe over untrusted TLS");
	json_decref(got);
	json_decref(want);
	stop_cleanly(relayd);
	harness_proc_free(relayd);
	harness_proc_free(fx);
}
END_TEST

START_TEST(pulsedive_with_ca_file_succeeds)
{
	char *cert = NULL;
	struct harness_proc *fx = start_tls_fixture(&cert);
	char *ca_line = harness_printf("ca_file = %s\n", cert);
	struct harness_proc *relayd = start_pulsedive_static(fx, ca_line);
	json_t *want = fixture_json("expected_health_ok.json");
	json_t *got = post_json(relayd, "/pulsedive/health", NULL, NULL);

	harness_assert_json_eq(got, want, "health over trusted TLS");
	json_decref(got);
	json_decref(want);
	stop_cleanly(relayd);
	harness_proc_free(relayd);
	harness_proc_free(fx);
	free(ca_line);
	free(cert);
}
END_TEST

/* relayd with pulsedive (auth = securex) whose JWKS host is the TLS fixture
 * (jwks_scheme stays https); relayd_extra goes into [relayd]. */
static struct harness_proc *start_pulsedive_securex(const struct harness_proc *fx,
                                                    const char *relayd_extra)
{
	char *cfg = harness_printf("[relayd]\n"
	                           "listen = 127.0.0.1:0\n"
	                           "workers = 1\n"
	                           "plugin_dir = %s\n"
	                           "audience = " AUDIENCE "\n"
	                           "jwks_allowed_hosts = %s\n"
	                           "jwks_timeout_ms = 5000\n"
	                           "%s"
	                           "\n"
	                           "[plugin.pulsedive]\n"
	                           "auth = securex\n"
	                           "base_url = https://%s/api\n",
	                           harness_env("REAL_PLUGIN_DIR"), fx->address, relayd_extra,
	                           fx->address);
	struct harness_proc *relayd = harness_relayd_start(cfg);

	free(cfg);
	return relayd;
}

static char *securex_bearer(const struct harness_proc *fx)
{
	json_t *claims = json_pack("{s:s, s:s, s:s}", "key", "test-key", "jwks_host", fx->address,
	                           "aud", AUDIENCE "/pulsedive");
	char *token = jwt_mint_rs256(jwt_mint_default_key(), claims);
	char *h = harness_printf("Authorization: Bearer %s", token);

	free(token);
	json_decref(claims);
	return h;
}

/* JWKS over https: an untrusted JWKS host is a wrong jwks_host (§3.2 step 3);
 * with [relayd] ca_file it is trusted (and so is Pulsedive through it). */
START_TEST(jwks_over_https)
{
	char *cert = NULL;
	struct harness_proc *fx = start_tls_fixture(&cert);
	struct harness_proc *relayd = start_pulsedive_securex(fx, "");
	char *auth = securex_bearer(fx);
	json_t *got = post_json(relayd, "/pulsedive/health", auth, NULL);
	json_t *want = json_pack("{s:[{s:s, s:s, s:s}]}", "errors", "code", "authorization error",
	                         "message",
	                         "Authorization failed: Wrong jwks_host in JWT payload. Make sure "
	                         "domain follows the visibility.<region>.cisco.com structure",
	                         "type", "fatal");

	harness_assert_json_eq(got, want, "JWKS host with an untrusted certificate");
	json_decref(got);
	json_decref(want);
	stop_cleanly(relayd);
	harness_proc_free(relayd);

	char *extra = harness_printf("ca_file = %s\n", cert);
	relayd = start_pulsedive_securex(fx, extra);
	got = post_json(relayd, "/pulsedive/health", auth, NULL);
	want = fixture_json("expected_health_ok.json");
	harness_assert_json_eq(got, want, "JWKS and Pulsedive over trusted TLS");
	json_decref(got);
	json_decref(want);
	stop_cleanly(relayd);
	harness_proc_free(relayd);
	harness_proc_free(fx);
	free(extra);
	free(auth);
	free(cert);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");
	SRunner *sr;
	int failed;

	/* Forked tests inherit the keys instead of each making its own. */
	jwt_mint_default_key();
	tcase_set_timeout(tc, 120);
	harness_tcase_fixtures(tc);
	tcase_add_test(tc, fixture_serves_https_with_generated_certificate);
	tcase_add_test(tc, pulsedive_without_ca_file_is_the_ssl_error);
	tcase_add_test(tc, pulsedive_with_ca_file_succeeds);
	tcase_add_test(tc, jwks_over_https);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
