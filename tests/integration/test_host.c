/* SPDX-License-Identifier: MIT */
/* Integration tests of the host itself: its routes, signals, command line and config errors, driven through the echo plugin. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"

#ifndef RELAYD_VERSION
#error "RELAYD_VERSION comes from the top-level meson.build"
#endif

#define ECHO_DESCRIPTION "Echoes observables back; the integration tests' reference plugin"

/*
 * The base config. Line numbers matter to the config-error tests:
 *   1 [relayd]  2 listen  3 workers  4 plugin_dir  5 (blank)
 *   6 [plugin.echo]  7 auth  8… the caller's extra lines.
 * Caller frees.
 */
static char *echo_config(const char *echo_extra, const char *after)
{
	return harness_printf("[relayd]\n"
	                      "listen = 127.0.0.1:0\n"
	                      "workers = 1\n"
	                      "plugin_dir = %s\n"
	                      "\n"
	                      "[plugin.echo]\n"
	                      "auth = static\n"
	                      "%s"
	                      "%s",
	                      harness_env("PLUGIN_DIR"), echo_extra ? echo_extra : "",
	                      after ? after : "");
}

/* echo with upstream_url pointing at the fixture server. Caller frees. */
static char *echo_config_upstream(const struct harness_proc *fixture)
{
	char *extra = harness_printf("upstream_url = http://%s\n", fixture->address);
	char *cfg = echo_config(extra, NULL);

	free(extra);
	return cfg;
}

static struct harness_proc *start_echo(void)
{
	char *cfg = echo_config(NULL, NULL);
	struct harness_proc *p = harness_relayd_start(cfg);

	free(cfg);
	return p;
}

static void stop_expect_zero(struct harness_proc *p)
{
	ck_assert_int_eq(harness_proc_stop(p, SIGTERM, HARNESS_STOP_TIMEOUT_MS), 0);
	harness_proc_free(p);
}

/* Asserts status and that the body equals want_json (parsed, then compared). */
static void assert_get(const struct harness_proc *p, const char *path, long want_status,
                       const char *want_json)
{
	json_t *body = NULL;
	json_t *want = json_loads(want_json, 0, NULL);
	long status = harness_get_json(p, path, &body);
	char *got = body ? json_dumps(body, JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;

	ck_assert_msg(want != NULL, "bad expected JSON in the test: %s", want_json);
	ck_assert_msg(status == want_status, "GET %s: status %ld, expected %ld", path, status,
	              want_status);
	ck_assert_msg(json_equal(body, want), "GET %s: body %s, expected %s", path,
	              got ? got : "(not JSON)", want_json);
	free(got);
	json_decref(want);
	json_decref(body);
}

/* POSTs a JSON body to p; returns the status, *out gets the JSON answer. */
static long post_json(const struct harness_proc *p, const char *path, const char *body,
                      json_t **out)
{
	char url[512];
	const char *headers[] = { "Content-Type: application/json", NULL };
	struct harness_request req = { .method = "POST", .url = url, .headers = headers,
	                               .body = body, .body_len = strlen(body) };
	struct harness_response resp;
	long status;

	harness_url(p, path, url, sizeof(url));
	ck_assert_msg(harness_http(&req, &resp) == 0, "POST %s: no answer (curl %d)", url,
	              resp.curl_code);
	status = resp.status;
	*out = harness_response_json(&resp);
	harness_response_free(&resp);
	return status;
}

/* ---- host routes -------------------------------------------------------------- */

START_TEST(healthz_answers_ok)
{
	struct harness_proc *p = start_echo();
	char url[256], ctype[128];
	struct harness_request req = { .url = url };
	struct harness_response resp;

	assert_get(p, "/healthz", 200, "{\"status\":\"ok\"}");
	harness_url(p, "/healthz", url, sizeof(url));
	ck_assert_int_eq(harness_http(&req, &resp), 0);
	ck_assert_ptr_nonnull(harness_response_header(&resp, "Content-Type", ctype, sizeof(ctype)));
	ck_assert_msg(strncmp(ctype, "application/json", 16) == 0, "Content-Type %s", ctype);
	harness_response_free(&resp);
	stop_expect_zero(p);
}
END_TEST

START_TEST(version_lists_relayd_abi_and_echo)
{
	struct harness_proc *p = start_echo();

	assert_get(p, "/version", 200,
	           "{\"relayd\":\"" RELAYD_VERSION "\",\"abi\":{\"major\":1,\"minor\":1},"
	           "\"plugins\":[{\"name\":\"echo\",\"version\":\"1.2.3\"}]}");
	stop_expect_zero(p);
}
END_TEST

START_TEST(plugins_shows_running_and_disabled)
{
	char *disabled = harness_printf("\n[plugin.init_fails]\n"
	                                "enabled = false\n"
	                                "path = %s/init_fails.so\n",
	                                harness_env("ABI_PLUGIN_DIR"));
	char *cfg = echo_config(NULL, disabled);
	struct harness_proc *p = harness_relayd_start(cfg);
	json_t *body = NULL;
	json_t *want_echo = json_pack("{s:s, s:s, s:s, s:[s,s,s], s:s, s:s, s:n}",
	                              "name", "echo", "version", "1.2.3",
	                              "description", ECHO_DESCRIPTION,
	                              "types", "ip", "domain", "url",
	                              "mount", "/echo", "state", "running", "error");
	const json_t *plugins, *entry;
	size_t i;
	bool saw_echo = false, saw_disabled = false;

	ck_assert_int_eq(harness_get_json(p, "/plugins", &body), 200);
	plugins = json_object_get(body, "plugins");
	ck_assert_msg(json_is_array(plugins), "/plugins has no \"plugins\" array");
	ck_assert_uint_eq(json_array_size(plugins), 2);
	json_array_foreach(plugins, i, entry) {
		const char *name = json_string_value(json_object_get(entry, "name"));

		ck_assert_ptr_nonnull(name);
		if (strcmp(name, "echo") == 0) {
			char *got = json_dumps(entry, JSON_SORT_KEYS);

			ck_assert_msg(json_equal(entry, want_echo), "echo entry: %s", got);
			free(got);
			saw_echo = true;
		} else {
			ck_assert_str_eq(name, "init_fails");
			ck_assert_str_eq(json_string_value(json_object_get(entry, "state")), "disabled");
			ck_assert_msg(json_is_null(json_object_get(entry, "error")),
			              "a disabled plugin has error null");
			saw_disabled = true;
		}
	}
	ck_assert(saw_echo && saw_disabled);
	stop_expect_zero(p);
	json_decref(want_echo);
	json_decref(body);
	free(cfg);
	free(disabled);
}
END_TEST

/* The value of the sample `<name_and_labels> <value>` in Prometheus text;
 * -1 when absent. */
static double metric_value(const char *text, const char *name_and_labels)
{
	size_t n = strlen(name_and_labels);
	const char *line = text;

	while (line != NULL && *line != '\0') {
		if (strncmp(line, name_and_labels, n) == 0 && line[n] == ' ')
			return strtod(line + n + 1, NULL);
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return -1;
}

START_TEST(metrics_count_requests_per_plugin_and_status)
{
	struct harness_proc *p = start_echo();
	char url[256], ctype[128];
	struct harness_request req = { .url = url };
	struct harness_response resp;

	for (int i = 0; i < 3; i++)
		assert_get(p, "/echo/greeting", 200, "{\"greeting\":\"hello\"}");
	ck_assert_int_eq(harness_get_json(p, "/no-such-thing", NULL), 404);
	harness_url(p, "/metrics", url, sizeof(url));
	ck_assert_int_eq(harness_http(&req, &resp), 0);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_ptr_nonnull(harness_response_header(&resp, "Content-Type", ctype, sizeof(ctype)));
	ck_assert_msg(strncmp(ctype, "text/plain", 10) == 0, "Content-Type %s", ctype);
	ck_assert_msg(metric_value(resp.body, "relayd_requests_total{plugin=\"echo\",status=\"200\"}")
	              == 3.0, "echo/200 is not 3 in:\n%s", resp.body);
	ck_assert_msg(metric_value(resp.body, "relayd_requests_total{plugin=\"-\",status=\"404\"}")
	              == 1.0, "-/404 is not 1 in:\n%s", resp.body);
	ck_assert_msg(strstr(resp.body, "# TYPE relayd_requests_total counter") != NULL,
	              "no TYPE line for relayd_requests_total");
	harness_response_free(&resp);
	stop_expect_zero(p);
}
END_TEST

/* echo_config with `workers = 2` and `listen = listen`. Caller frees. */
static char *two_worker_config(const char *listen)
{
	return harness_printf("[relayd]\n"
	                      "listen = %s\n"
	                      "workers = 2\n"
	                      "plugin_dir = %s\n"
	                      "\n"
	                      "[plugin.echo]\n"
	                      "auth = static\n",
	                      listen, harness_env("PLUGIN_DIR"));
}

/* /metrics as text (status 200 asserted). Caller frees. */
static char *metrics_text(const struct harness_proc *p)
{
	char url[256];
	struct harness_request req = { .url = url };
	struct harness_response resp;

	harness_url(p, "/metrics", url, sizeof(url));
	ck_assert_int_eq(harness_http(&req, &resp), 0);
	ck_assert_int_eq(resp.status, 200);
	char *text = strdup(resp.body);

	harness_response_free(&resp);
	ck_assert_ptr_nonnull(text);
	return text;
}

/* Each worker accepts on its own socket: 64 new connections reach both
 * (all on one of two would happen with probability 2^-63). */
START_TEST(connections_reach_every_worker)
{
	char *cfg = two_worker_config("127.0.0.1:0");
	struct harness_proc *p = harness_relayd_start(cfg);

	for (int i = 0; i < 64; i++) /* harness_http opens a new connection each time */
		assert_get(p, "/healthz", 200, "{\"status\":\"ok\"}");
	char *text = metrics_text(p);
	double w0 = metric_value(text, "relayd_worker_requests_total{worker=\"0\"}");
	double w1 = metric_value(text, "relayd_worker_requests_total{worker=\"1\"}");

	ck_assert_msg(w0 >= 1 && w1 >= 1, "worker 0: %g, worker 1: %g requests", w0, w1);
	ck_assert_msg(w0 + w1 == 65, "%g + %g requests, want 64 + this /metrics", w0, w1);
	free(text);
	stop_expect_zero(p);
	free(cfg);
}
END_TEST

/* A second relayd on a port one already listens on refuses to start rather
 * than join its SO_REUSEPORT group and take a share of its connections. */
START_TEST(second_relayd_on_the_same_port_is_refused)
{
	char *cfg = two_worker_config("127.0.0.1:0");
	struct harness_proc *first = harness_relayd_start(cfg);
	char *cfg2 = two_worker_config(first->address);
	struct harness_proc *second = NULL;
	int status = harness_relayd_run(cfg2, NULL, &second);
	char *err = harness_proc_stderr(second);
	char *want = harness_printf("cannot listen on %s", first->address);

	ck_assert_msg(status != 0 && status < 128, "exit status %d, expected 1..127", status);
	ck_assert_msg(harness_line_has(err, want, "Address already in use"), "stderr:\n%s", err);
	/* The first one still answers every new connection. */
	for (int i = 0; i < 16; i++)
		assert_get(first, "/healthz", 200, "{\"status\":\"ok\"}");
	free(want);
	free(err);
	harness_proc_free(second);
	stop_expect_zero(first);
	free(cfg2);
	free(cfg);
}
END_TEST

START_TEST(unknown_root_path_is_json_404)
{
	struct harness_proc *p = start_echo();
	json_t *body = NULL;
	const json_t *error;

	ck_assert_int_eq(harness_get_json(p, "/no/such/path", &body), 404);
	ck_assert_msg(json_is_object(body) && json_object_size(body) == 1, "404 body shape");
	error = json_object_get(body, "error");
	ck_assert_uint_eq(json_object_size(error), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(error, "code")), 404);
	ck_assert_msg(json_is_string(json_object_get(error, "message")) &&
	              json_string_length(json_object_get(error, "message")) > 0,
	              "404 error.message is a non-empty string");
	json_decref(body);
	stop_expect_zero(p);
}
END_TEST

/* ---- the echo plugin through the host ------------------------------------------ */

START_TEST(echo_observe_refer_health)
{
	struct harness_proc *p = start_echo();
	const char *obs = "[{\"type\":\"ip\",\"value\":\"1.2.3.4\"},"
	                  "{\"type\":\"domain\",\"value\":\"example.com\"}]";
	json_t *body = NULL;
	json_t *want;
	const json_t *verdicts, *refs;

	ck_assert_int_eq(post_json(p, "/echo/observe/observables", obs, &body), 200);
	verdicts = json_object_get(json_object_get(body, "data"), "verdicts");
	ck_assert_int_eq(json_integer_value(json_object_get(verdicts, "count")), 2);
	want = json_pack("{s:s, s:s}", "type", "ip", "value", "1.2.3.4");
	ck_assert(json_equal(json_object_get(json_array_get(json_object_get(verdicts, "docs"), 0),
	                                     "observable"), want));
	json_decref(want);
	json_decref(body);

	ck_assert_int_eq(post_json(p, "/echo/refer/observables", obs, &body), 200);
	refs = json_object_get(body, "data");
	ck_assert_uint_eq(json_array_size(refs), 2);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(refs, 0), "id")),
	                 "ref-echo-ip-1.2.3.4");
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(refs, 1), "id")),
	                 "ref-echo-domain-example.com");
	json_decref(body);

	ck_assert_int_eq(post_json(p, "/echo/health", "{}", &body), 200);
	want = json_pack("{s:s}", "status", "ok");
	ck_assert(json_equal(json_object_get(body, "data"), want));
	json_decref(want);
	json_decref(body);
	stop_expect_zero(p);
}
END_TEST

START_TEST(echo_fetch_relays_upstream_answer)
{
	struct harness_proc *fx = harness_fixture_start(
		"{\"routes\":[{\"method\":\"GET\",\"path\":\"/slow\",\"status\":200,"
		"\"body\":\"pong\"}]}");
	char *cfg = echo_config_upstream(fx);
	struct harness_proc *p = harness_relayd_start(cfg);

	assert_get(p, "/echo/fetch", 200, "{\"status\":200,\"body\":\"pong\"}");
	assert_get(p, "/echo/fanout?n=5", 200, "{\"n\":5,\"ok\":5,\"failed\":0}");
	stop_expect_zero(p);
	harness_proc_free(fx);
	free(cfg);
}
END_TEST

/* A loopback port nobody listens on: bound, then closed. */
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

START_TEST(echo_fetch_transport_error_is_502)
{
	char *extra = harness_printf("upstream_url = http://127.0.0.1:%d\n", closed_port());
	char *cfg = echo_config(extra, NULL);
	struct harness_proc *p = harness_relayd_start(cfg);
	json_t *body = NULL;

	ck_assert_int_eq(harness_get_json(p, "/echo/fetch", &body), 502);
	ck_assert_msg(json_is_string(json_object_get(body, "error")) &&
	              json_string_length(json_object_get(body, "error")) > 0,
	              "502 carries the transport error text");
	json_decref(body);
	stop_expect_zero(p);
	free(cfg);
	free(extra);
}
END_TEST

/* One test plugin (auth = static) behind a short deadline_ms (300). Caller frees. */
static char *deadline_config(const char *plugin)
{
	return harness_printf("[relayd]\n"
	                      "listen = 127.0.0.1:0\n"
	                      "workers = 1\n"
	                      "plugin_dir = %s\n"
	                      "deadline_ms = 300\n"
	                      "\n"
	                      "[plugin.%s]\n"
	                      "auth = static\n",
	                      harness_env("PLUGIN_DIR"), plugin);
}

/* A handler that never ends its call is answered by the host at the deadline
 * (deadline_ms plus a short grace), in the mount's envelope, and relayd
 * keeps serving. No timing is asserted: only that an answer comes. */
START_TEST(deadline_guard_answers_for_a_silent_plugin)
{
	char *cfg = deadline_config("echo");
	struct harness_proc *p = harness_relayd_start(cfg);

	assert_get(p, "/echo/never", 504,
	           "{\"code\":504,\"message\":\"The request did not complete within the deadline.\","
	           "\"reason\":\"werkzeug.exceptions.GatewayTimeout\"}");
	assert_get(p, "/healthz", 200, "{\"status\":\"ok\"}");
	stop_expect_zero(p);
	free(cfg);
}
END_TEST

/* ---- the call's CTIM bundle (tests/plugins/ctimw) --------------------------------- */

/* POSTs @p observables to ctimw's observe and asserts the answer's exact bytes. */
static void assert_ctimw_answer(const struct harness_proc *p, const char *observables,
                                const char *want_body)
{
	char url[512];
	const char *headers[] = { "Content-Type: application/json", NULL };
	struct harness_request req = { .method = "POST", .url = url, .headers = headers,
	                               .body = observables, .body_len = strlen(observables) };
	struct harness_response resp;
	harness_url(p, "/ctimw/observe/observables", url, sizeof(url));
	ck_assert_msg(harness_http(&req, &resp) == 0, "POST %s: no answer", url);
	ck_assert_int_eq(resp.status, 200);
	ck_assert_msg(strcmp(resp.body, want_body) == 0, "%s: body\n  %s\nexpected\n  %s",
	              observables, resp.body, want_body);
	harness_response_free(&resp);
}

#define CTIMW_VERDICT(type, value)                                                                 \
	"{\"type\":\"verdict\",\"disposition\":5,\"disposition_name\":\"Unknown\","                   \
	"\"observable\":{\"type\":\"" type "\",\"value\":\"" value "\"},"                              \
	"\"valid_time\":{\"start_time\":\"1970-01-01T00:00:00Z\"}}"

/* A plugin that writes its entities into host->call_ctim(call) and ends with
 * finish(call, NULL) / fail(call, NULL, …): the host sends that bundle as
 * "data" (partial data with a fatal error), none once it was cleared, and
 * none when the deadline answers for a plugin that wrote but never ended. */
START_TEST(call_bundle_is_the_answer_data)
{
	char *cfg = deadline_config("ctimw");
	struct harness_proc *p = harness_relayd_start(cfg);

	assert_ctimw_answer(p, "[{\"type\":\"ip\",\"value\":\"1.2.3.4\"},"
	                       "{\"type\":\"domain\",\"value\":\"a.example\"}]",
	                    "{\"data\":{\"verdicts\":{\"count\":2,\"docs\":["
	                    CTIMW_VERDICT("ip", "1.2.3.4") "," CTIMW_VERDICT("domain", "a.example")
	                    "]}}}");
	assert_ctimw_answer(p, "[{\"type\":\"domain\",\"value\":\"fail\"}]",
	                    "{\"data\":{\"verdicts\":{\"count\":1,\"docs\":["
	                    CTIMW_VERDICT("domain", "fail") "]}},"
	                    "\"errors\":[{\"code\":\"unknown\","
	                    "\"message\":\"ctimw failed after 1 verdicts\",\"type\":\"fatal\"}]}");
	assert_ctimw_answer(p, "[{\"type\":\"domain\",\"value\":\"clear\"}]",
	                    "{\"errors\":[{\"code\":\"unknown\","
	                    "\"message\":\"ctimw failed after 1 verdicts\",\"type\":\"fatal\"}]}");
	assert_ctimw_answer(p, "[{\"type\":\"domain\",\"value\":\"hang\"}]",
	                    "{\"errors\":[{\"code\":\"request timeout\","
	                    "\"message\":\"relayd did not get an answer within 300 ms.\","
	                    "\"type\":\"fatal\"}]}");
	assert_get(p, "/healthz", 200, "{\"status\":\"ok\"}");
	stop_expect_zero(p);
	free(cfg);
}
END_TEST

/* Requests queued behind max_upstream_inflight are handed on when a slot is
 * freed, and those still queued at their deadline get the BUSY error: a fan-out
 * of 10 against a hanging upstream with one slot ends with all 10 failed
 * (the in-flight one times out at the deadline, the queued ones are BUSY),
 * and relayd stops cleanly (under valgrind: nothing leaked, fini ran). */
START_TEST(queued_upstream_requests_are_never_stranded)
{
	struct harness_proc *fx = harness_fixture_start(
		"{\"routes\":[{\"method\":\"GET\",\"path\":\"/slow\",\"fault\":\"hang\"}]}");
	char *cfg = harness_printf("[relayd]\n"
	                           "listen = 127.0.0.1:0\n"
	                           "workers = 1\n"
	                           "plugin_dir = %s\n"
	                           "deadline_ms = 1000\n"
	                           "\n"
	                           "[plugin.echo]\n"
	                           "auth = static\n"
	                           "upstream_url = http://%s\n"
	                           "max_upstream_inflight = 1\n",
	                           harness_env("PLUGIN_DIR"), fx->address);
	struct harness_proc *p = harness_relayd_start(cfg);

	assert_get(p, "/echo/fanout?n=10", 200, "{\"n\":10,\"ok\":0,\"failed\":10}");
	assert_get(p, "/healthz", 200, "{\"status\":\"ok\"}");
	stop_expect_zero(p);
	harness_proc_free(fx);
	free(cfg);
}
END_TEST

/* ---- signals ---------------------------------------------------------------------- */

START_TEST(sigterm_when_idle_exits_zero)
{
	struct harness_proc *p = start_echo();

	assert_get(p, "/healthz", 200, "{\"status\":\"ok\"}");
	ck_assert_int_eq(harness_proc_stop(p, SIGTERM, HARNESS_STOP_TIMEOUT_MS), 0);
	harness_proc_free(p);
}
END_TEST

struct fetch_thread {
	const struct harness_proc *relayd;
	struct harness_response resp;
	int rc;
};

static void *fetch_in_thread(void *arg)
{
	struct fetch_thread *ft = arg;
	char url[256];
	struct harness_request req = { .url = url };

	harness_url(ft->relayd, "/echo/fetch", url, sizeof(url));
	ft->rc = harness_http(&req, &ft->resp);
	return NULL;
}

/* Waits (≤ 20 s) until the fixture holds `want` requests in flight. */
static bool fixture_inflight_reaches(const struct harness_proc *fx, json_int_t want)
{
	for (int i = 0; i < 1000; i++) {
		json_t *stats = harness_fixture_stats(fx);
		json_int_t now = json_integer_value(json_object_get(stats, "inflight"));

		json_decref(stats);
		if (now >= want)
			return true;
		harness_sleep_ms(20);
	}
	return false;
}

START_TEST(sigterm_drains_in_flight_request)
{
	struct harness_proc *fx = harness_fixture_start(
		"{\"routes\":[{\"method\":\"GET\",\"path\":\"/slow\",\"status\":200,"
		"\"body\":\"drained\",\"delay_ms\":1500}]}");
	char *cfg = echo_config_upstream(fx);
	struct harness_proc *p = harness_relayd_start(cfg);
	struct fetch_thread ft = { .relayd = p };
	pthread_t tid;
	json_t *body, *want;

	ck_assert_int_eq(pthread_create(&tid, NULL, fetch_in_thread, &ft), 0);
	ck_assert_msg(fixture_inflight_reaches(fx, 1), "the upstream request never arrived");
	ck_assert_int_eq(harness_proc_signal(p, SIGTERM), 0);
	ck_assert_int_eq(pthread_join(tid, NULL), 0);
	ck_assert_msg(ft.rc == 0, "in-flight request got no answer (curl %d)", ft.resp.curl_code);
	ck_assert_int_eq(ft.resp.status, 200);
	body = harness_response_json(&ft.resp);
	want = json_pack("{s:i, s:s}", "status", 200, "body", "drained");
	ck_assert_msg(json_equal(body, want), "drained answer: %s", ft.resp.body);
	ck_assert_int_eq(harness_proc_wait_exit(p, HARNESS_STOP_TIMEOUT_MS), 0);
	json_decref(body);
	json_decref(want);
	harness_response_free(&ft.resp);
	harness_proc_free(p);
	harness_proc_free(fx);
	free(cfg);
}
END_TEST

START_TEST(sighup_reloads_config)
{
	char *cfg = echo_config("greeting = hello\n", NULL);
	char *cfg2 = echo_config("greeting = bonjour\n", NULL);
	struct harness_proc *p = harness_relayd_start(cfg);
	const char *seen = "";
	json_t *body = NULL;

	assert_get(p, "/echo/greeting", 200, "{\"greeting\":\"hello\"}");
	ck_assert_int_eq(harness_relayd_rewrite_config(p, cfg2), 0);
	ck_assert_int_eq(harness_proc_signal(p, SIGHUP), 0);
	/* The reload is asynchronous: poll, bounded to 20 s. */
	for (int i = 0; i < 400; i++) {
		json_decref(body);
		body = NULL;
		ck_assert_int_eq(harness_get_json(p, "/echo/greeting", &body), 200);
		seen = json_string_value(json_object_get(body, "greeting"));
		if (seen != NULL && strcmp(seen, "bonjour") == 0)
			break;
		harness_sleep_ms(50);
	}
	ck_assert_str_eq(seen ? seen : "(none)", "bonjour");
	json_decref(body);
	assert_get(p, "/healthz", 200, "{\"status\":\"ok\"}");
	stop_expect_zero(p);
	free(cfg);
	free(cfg2);
}
END_TEST

/* ---- command line and config errors ----------------------------------------------- */

/* Runs relayd on cfg with args; asserts exit ≠ 0 (not a crash) and that
 * stderr has "<config file>:<line>:" and, when given, also `also`. */
static void assert_config_error(const char *cfg, const char *const *args, int line,
                                const char *also)
{
	struct harness_proc *p = NULL;
	int status = harness_relayd_run(cfg, args, &p);
	char *err = harness_proc_stderr(p);
	char where[PATH_MAX + 32];

	snprintf(where, sizeof(where), "%s:%d:", p->config_path, line);
	ck_assert_msg(status != 0 && status < 128, "exit status %d, expected 1..127", status);
	ck_assert_msg(harness_line_has(err, where, also), "no stderr line with '%s'%s%s in:\n%s",
	              where, also ? " and " : "", also ? also : "", err);
	free(err);
	harness_proc_free(p);
}

START_TEST(unknown_relayd_key_is_config_error)
{
	/* line 3 */
	const char *cfg_fmt = "[relayd]\nlisten = 127.0.0.1:0\nno_such_key = 1\nplugin_dir = %s\n";
	char *cfg = harness_printf(cfg_fmt, harness_env("PLUGIN_DIR"));
	const char *check[] = { "--check-config", NULL };

	assert_config_error(cfg, NULL, 3, "no_such_key");
	assert_config_error(cfg, check, 3, "no_such_key");
	free(cfg);
}
END_TEST

START_TEST(unknown_echo_key_is_config_error)
{
	char *cfg = echo_config("no_such_option = 1\n", NULL); /* line 8 */

	assert_config_error(cfg, NULL, 8, "no_such_option");
	free(cfg);
}
END_TEST

START_TEST(check_config_accepts_good_config)
{
	char *cfg = echo_config(NULL, NULL);
	const char *check[] = { "--check-config", NULL };

	ck_assert_int_eq(harness_relayd_run(cfg, check, NULL), 0);
	free(cfg);
}
END_TEST

START_TEST(unknown_plugin_is_config_error)
{
	char *cfg = echo_config(NULL, "\n[plugin.no_such_plugin]\nenabled = true\n"); /* line 9 */

	assert_config_error(cfg, NULL, 9, NULL);
	free(cfg);
}
END_TEST

START_TEST(missing_env_var_is_config_error)
{
	char *cfg = echo_config("greeting = ${RELAYD_TEST_SURELY_UNSET}\n", NULL); /* line 8 */

	unsetenv("RELAYD_TEST_SURELY_UNSET");
	assert_config_error(cfg, NULL, 8, "RELAYD_TEST_SURELY_UNSET");
	free(cfg);
}
END_TEST

START_TEST(env_var_reaches_plugin_config)
{
	char *cfg = echo_config("greeting = ${RELAYD_TEST_GREETING}\n", NULL);
	struct harness_proc *p;

	ck_assert_int_eq(setenv("RELAYD_TEST_GREETING", "hola from env", 1), 0);
	p = harness_relayd_start(cfg);
	assert_get(p, "/echo/greeting", 200, "{\"greeting\":\"hola from env\"}");
	stop_expect_zero(p);
	free(cfg);
}
END_TEST

START_TEST(version_flag_prints_version)
{
	char *cfg = echo_config(NULL, NULL);
	const char *args[] = { "--version", NULL };
	struct harness_proc *p = NULL;
	char *out;

	ck_assert_int_eq(harness_relayd_run(cfg, args, &p), 0);
	out = harness_proc_stdout(p);
	ck_assert_msg(strstr(out, RELAYD_VERSION) != NULL, "--version printed: %s", out);
	free(out);
	harness_proc_free(p);
	free(cfg);
}
END_TEST

START_TEST(plugin_help_lists_echo_schema)
{
	char *cfg = echo_config(NULL, NULL);
	const char *args[] = { "--plugin-help", "echo", NULL };
	struct harness_proc *p = NULL;
	char *out;

	ck_assert_int_eq(harness_relayd_run(cfg, args, &p), 0);
	out = harness_proc_stdout(p);
	ck_assert_msg(harness_line_has(out, "greeting", "hello"), "--plugin-help: %s", out);
	ck_assert_msg(strstr(out, "upstream_url") != NULL, "--plugin-help: %s", out);
	free(out);
	harness_proc_free(p);
	free(cfg);
}
END_TEST

START_TEST(list_plugins_shows_echo)
{
	char *cfg = echo_config(NULL, NULL);
	const char *args[] = { "--list-plugins", NULL };
	struct harness_proc *p = NULL;
	char *out;

	ck_assert_int_eq(harness_relayd_run(cfg, args, &p), 0);
	out = harness_proc_stdout(p);
	ck_assert_msg(harness_line_has(out, "echo", "1.2.3"), "--list-plugins: %s", out);
	free(out);
	harness_proc_free(p);
	free(cfg);
}
END_TEST

static Suite *host_suite(void)
{
	Suite *s = suite_create("host");
	TCase *routes = tcase_create("routes");
	TCase *echo = tcase_create("echo");
	TCase *signals = tcase_create("signals");
	TCase *cli = tcase_create("cli");
	TCase *all[] = { routes, echo, signals, cli };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		/* Generous: under valgrind each relayd start takes seconds. */
		tcase_set_timeout(all[i], 120);
		harness_tcase_fixtures(all[i]);
		suite_add_tcase(s, all[i]);
	}
	tcase_add_test(routes, healthz_answers_ok);
	tcase_add_test(routes, version_lists_relayd_abi_and_echo);
	tcase_add_test(routes, plugins_shows_running_and_disabled);
	tcase_add_test(routes, metrics_count_requests_per_plugin_and_status);
	tcase_add_test(routes, connections_reach_every_worker);
	tcase_add_test(routes, second_relayd_on_the_same_port_is_refused);
	tcase_add_test(routes, unknown_root_path_is_json_404);
	tcase_add_test(echo, echo_observe_refer_health);
	tcase_add_test(echo, echo_fetch_relays_upstream_answer);
	tcase_add_test(echo, echo_fetch_transport_error_is_502);
	tcase_add_test(echo, deadline_guard_answers_for_a_silent_plugin);
	tcase_add_test(echo, call_bundle_is_the_answer_data);
	tcase_add_test(echo, queued_upstream_requests_are_never_stranded);
	tcase_add_test(signals, sigterm_when_idle_exits_zero);
	tcase_add_test(signals, sigterm_drains_in_flight_request);
	tcase_add_test(signals, sighup_reloads_config);
	tcase_add_test(cli, unknown_relayd_key_is_config_error);
	tcase_add_test(cli, unknown_echo_key_is_config_error);
	tcase_add_test(cli, check_config_accepts_good_config);
	tcase_add_test(cli, unknown_plugin_is_config_error);
	tcase_add_test(cli, missing_env_var_is_config_error);
	tcase_add_test(cli, env_var_reaches_plugin_config);
	tcase_add_test(cli, version_flag_prints_version);
	tcase_add_test(cli, plugin_help_lists_echo_schema);
	tcase_add_test(cli, list_plugins_shows_echo);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(host_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
