/* SPDX-License-Identifier: MIT */
/* DECISIONS.md §6: one worker loop keeps 200 upstream requests in flight at once (a barrier proves it, not a clock). */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "harness.h"

#define INFLIGHT 200
/* The fixture answers when INFLIGHT requests are held or after this long; a
 * loop that blocks gets there with max_inflight 1. */
#define BARRIER_TIMEOUT_MS 30000
/* Longer than the barrier, so a blocking relayd shows up as a wrong count,
 * not as a timeout. */
#define CLIENT_TIMEOUT_MS 90000

static char *barrier_routes(void)
{
	return harness_printf("{\"routes\":[{\"method\":\"GET\",\"path\":\"/slow\",\"status\":200,"
	                      "\"body\":\"ok\",\"barrier\":{\"count\":%d,\"timeout_ms\":%d}}]}",
	                      INFLIGHT, BARRIER_TIMEOUT_MS);
}

/* workers = 1: everything runs on one loop. Timeouts and the deadline are
 * above the barrier's bound so nothing upstream is cut short. */
static char *one_worker_config(const struct harness_proc *fixture)
{
	return harness_printf("[relayd]\n"
	                      "listen = 127.0.0.1:0\n"
	                      "workers = 1\n"
	                      "plugin_dir = %s\n"
	                      "deadline_ms = %d\n"
	                      "\n"
	                      "[plugin.echo]\n"
	                      "auth = static\n"
	                      "max_upstream_inflight = 256\n"
	                      "timeout_ms = %d\n"
	                      "upstream_url = http://%s\n",
	                      harness_env("PLUGIN_DIR"), CLIENT_TIMEOUT_MS, CLIENT_TIMEOUT_MS,
	                      fixture->address);
}

static double wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_int_t fixture_max_inflight(const struct harness_proc *fx)
{
	json_t *stats = harness_fixture_stats(fx);
	json_int_t max = json_integer_value(json_object_get(stats, "max_inflight"));

	json_decref(stats);
	return max;
}

/* 200 clients, one upstream request each. */
START_TEST(two_hundred_clients_in_flight_on_one_worker)
{
	char *routes = barrier_routes();
	struct harness_proc *fx = harness_fixture_start(routes);
	char *cfg = one_worker_config(fx);
	struct harness_proc *p = harness_relayd_start(cfg);
	struct harness_response *resps = calloc(INFLIGHT, sizeof(*resps));
	char url[256];
	struct harness_request req = { .url = url, .timeout_ms = CLIENT_TIMEOUT_MS };
	json_t *want = json_pack("{s:i, s:s}", "status", 200, "body", "ok");
	double t0, elapsed;
	size_t answered, good = 0;

	ck_assert_ptr_nonnull(resps);
	harness_url(p, "/echo/fetch", url, sizeof(url));
	t0 = wall_seconds();
	answered = harness_http_parallel(&req, INFLIGHT, resps);
	elapsed = wall_seconds() - t0;
	for (size_t i = 0; i < INFLIGHT; i++) {
		json_t *body = harness_response_json(&resps[i]);

		if (resps[i].status == 200 && json_equal(body, want))
			good++;
		json_decref(body);
		harness_response_free(&resps[i]);
	}
	printf("loop_nonblocking: %d clients through 1 worker: %.3f s wall, "
	       "fixture max_inflight %lld\n", INFLIGHT, elapsed, (long long)fixture_max_inflight(fx));
	ck_assert_uint_eq(answered, INFLIGHT);
	ck_assert_uint_eq(good, INFLIGHT);
	ck_assert_int_eq(fixture_max_inflight(fx), INFLIGHT);
	ck_assert_int_eq(harness_proc_stop(p, SIGTERM, HARNESS_STOP_TIMEOUT_MS), 0);

	json_decref(want);
	free(resps);
	harness_proc_free(p);
	harness_proc_free(fx);
	free(cfg);
	free(routes);
}
END_TEST

/* One client whose call fans out to 200 upstream requests at once. */
START_TEST(one_call_fans_out_two_hundred)
{
	char *routes = barrier_routes();
	struct harness_proc *fx = harness_fixture_start(routes);
	char *cfg = one_worker_config(fx);
	struct harness_proc *p = harness_relayd_start(cfg);
	char url[256];
	struct harness_request req = { .url = url, .timeout_ms = CLIENT_TIMEOUT_MS };
	struct harness_response resp;
	json_t *body, *want = json_pack("{s:i, s:i, s:i}", "n", INFLIGHT, "ok", INFLIGHT,
	                                "failed", 0);
	char path[64];
	double t0;

	snprintf(path, sizeof(path), "/echo/fanout?n=%d", INFLIGHT);
	harness_url(p, path, url, sizeof(url));
	t0 = wall_seconds();
	ck_assert_int_eq(harness_http(&req, &resp), 0);
	printf("loop_nonblocking: fanout of %d on 1 worker: %.3f s wall\n", INFLIGHT,
	       wall_seconds() - t0);
	ck_assert_int_eq(resp.status, 200);
	body = harness_response_json(&resp);
	ck_assert_msg(json_equal(body, want), "fanout answer: %s", resp.body);
	ck_assert_int_eq(fixture_max_inflight(fx), INFLIGHT);
	ck_assert_int_eq(harness_proc_stop(p, SIGTERM, HARNESS_STOP_TIMEOUT_MS), 0);

	json_decref(body);
	json_decref(want);
	harness_response_free(&resp);
	harness_proc_free(p);
	harness_proc_free(fx);
	free(cfg);
	free(routes);
}
END_TEST

static Suite *loop_suite(void)
{
	Suite *s = suite_create("loop_nonblocking");
	TCase *tc = tcase_create("barrier");

	/* Bounded by the barrier (30 s) plus start-up and teardown. */
	tcase_set_timeout(tc, 150);
	harness_tcase_fixtures(tc);
	tcase_add_test(tc, two_hundred_clients_in_flight_on_one_worker);
	tcase_add_test(tc, one_call_fans_out_two_hundred);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(loop_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
