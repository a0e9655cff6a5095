/* SPDX-License-Identifier: MIT */
/* Tests for host/src/metrics.c: exact Prometheus text, type rules, exact sums under threads. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>

#include "metrics.h"

static void setup(void)
{
	metrics_reset();
}

static void teardown(void)
{
	metrics_reset();
}

static void assert_render(const char *expected)
{
	char *text = metrics_render();
	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, expected);
	free(text);
}

#define PD200 "plugin=\"pulsedive\",status=\"200\""

START_TEST(empty_registry_renders_nothing)
{
	assert_render("");
}
END_TEST

START_TEST(counters_gauges_histograms_sorted)
{
	ck_assert_int_eq(metrics_gauge_set("relayd_spool_depth", NULL, 7), 0);
	ck_assert_int_eq(metrics_counter_add("relayd_requests_total", PD200, 1), 0);
	ck_assert_int_eq(metrics_counter_add("relayd_requests_total", "plugin=\"-\",status=\"404\"", 1),
	                 0);
	ck_assert_int_eq(metrics_counter_add("relayd_requests_total", PD200, 1), 0);
	ck_assert_int_eq(metrics_gauge_set("relayd_spool_depth", "", 3), 0);
	/* exact binary fractions so _sum prints exactly; 0.25 sits on a bound (le is <=) */
	ck_assert_int_eq(metrics_observe("relayd_request_duration_seconds", PD200, 0.001953125), 0);
	ck_assert_int_eq(metrics_observe("relayd_request_duration_seconds", PD200, 0.25), 0);
	ck_assert_int_eq(metrics_observe("relayd_request_duration_seconds", PD200, 20), 0);
	assert_render(
	    "# TYPE relayd_request_duration_seconds histogram\n"
	    "relayd_request_duration_seconds_bucket{" PD200 ",le=\"0.005\"} 1\n"
	    "relayd_request_duration_seconds_bucket{" PD200 ",le=\"0.01\"} 1\n"
	    "relayd_request_duration_seconds_bucket{" PD200 ",le=\"0.025\"} 1\n"
	    "relayd_request_duration_seconds_bucket{" PD200 ",le=\"0.05\"} 1\n"
	    "relayd_request_duration_seconds_bucket{" PD200 ",le=\"0.1\"} 1\n"
	    "relayd_request_duration_seconds_bucket{" PD200 ",le=\"0.25\"} 2\n"
	    "relayd_request_duration_seconds_bucket{" PD200 ",le=\"0.5\"} 2\n"
	    "relayd_request_duration_seconds_bucket{" PD200 ",le=\"1\"} 2\n"
	    "relayd_request_duration_seconds_bucket{" PD200 ",le=\"2.5\"} 2\n"
	    "relayd_request_duration_seconds_bucket{" PD200 ",le=\"5\"} 2\n"
	    "relayd_request_duration_seconds_bucket{" PD200 ",le=\"10\"} 2\n"
	    "relayd_request_duration_seconds_bucket{" PD200 ",le=\"+Inf\"} 3\n"
	    "relayd_request_duration_seconds_sum{" PD200 "} 20.251953125\n"
	    "relayd_request_duration_seconds_count{" PD200 "} 3\n"
	    "# TYPE relayd_requests_total counter\n"
	    "relayd_requests_total{plugin=\"-\",status=\"404\"} 1\n"
	    "relayd_requests_total{" PD200 "} 2\n"
	    "# TYPE relayd_spool_depth gauge\n"
	    "relayd_spool_depth 3\n");
}
END_TEST

START_TEST(histogram_without_labels)
{
	ck_assert_int_eq(metrics_observe("h_seconds", NULL, 0.5), 0);
	assert_render("# TYPE h_seconds histogram\n"
	              "h_seconds_bucket{le=\"0.005\"} 0\n"
	              "h_seconds_bucket{le=\"0.01\"} 0\n"
	              "h_seconds_bucket{le=\"0.025\"} 0\n"
	              "h_seconds_bucket{le=\"0.05\"} 0\n"
	              "h_seconds_bucket{le=\"0.1\"} 0\n"
	              "h_seconds_bucket{le=\"0.25\"} 0\n"
	              "h_seconds_bucket{le=\"0.5\"} 1\n"
	              "h_seconds_bucket{le=\"1\"} 1\n"
	              "h_seconds_bucket{le=\"2.5\"} 1\n"
	              "h_seconds_bucket{le=\"5\"} 1\n"
	              "h_seconds_bucket{le=\"10\"} 1\n"
	              "h_seconds_bucket{le=\"+Inf\"} 1\n"
	              "h_seconds_sum 0.5\n"
	              "h_seconds_count 1\n");
}
END_TEST

START_TEST(request_and_upstream_helpers)
{
	metrics_request("pulsedive", "200", 0.0078125);
	metrics_request(NULL, "404", 0.0001);
	metrics_upstream("we\"ird", "timeout");
	char *text = metrics_render();
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(strstr(text, "relayd_requests_total{plugin=\"-\",status=\"404\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "relayd_requests_total{" PD200 "} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "relayd_request_duration_seconds_bucket{" PD200
	                                   ",le=\"0.005\"} 0\nrelayd_request_duration_seconds_bucket{"
	                                   PD200 ",le=\"0.01\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "relayd_request_duration_seconds_sum{" PD200
	                                   "} 0.0078125\n"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE relayd_upstream_requests_total counter\n"
	                                   "relayd_upstream_requests_total{plugin=\"we\\\"ird\","
	                                   "status=\"timeout\"} 1\n"));
	free(text);
}
END_TEST

START_TEST(label_escape)
{
	char *e = metrics_label_escape("a\\b\"c\nd");
	ck_assert_str_eq(e, "a\\\\b\\\"c\\nd");
	free(e);
	e = metrics_label_escape(NULL);
	ck_assert_str_eq(e, "");
	free(e);
}
END_TEST

START_TEST(type_and_argument_rules)
{
	ck_assert_int_eq(metrics_counter_add("x_total", NULL, 1), 0);
	ck_assert_int_eq(metrics_gauge_set("x_total", NULL, 1), RELAYD_EINVAL);
	ck_assert_int_eq(metrics_gauge_set("x_total", "a=\"b\"", 1), RELAYD_EINVAL);
	ck_assert_int_eq(metrics_observe("x_total", NULL, 1), RELAYD_EINVAL);
	ck_assert_int_eq(metrics_counter_add("x_total", NULL, -1), RELAYD_EINVAL);
	ck_assert_int_eq(metrics_counter_add("x_total", NULL, NAN), RELAYD_EINVAL);
	ck_assert_int_eq(metrics_observe("h", NULL, NAN), RELAYD_EINVAL);
	ck_assert_int_eq(metrics_counter_add("1abc", NULL, 1), RELAYD_EINVAL);
	ck_assert_int_eq(metrics_counter_add("a-b", NULL, 1), RELAYD_EINVAL);
	ck_assert_int_eq(metrics_counter_add("", NULL, 1), RELAYD_EINVAL);
	ck_assert_int_eq(metrics_counter_add(NULL, NULL, 1), RELAYD_EINVAL);
	ck_assert_int_eq(metrics_counter_add("ns:sub_total9", NULL, 0), 0);
	assert_render("# TYPE ns:sub_total9 counter\nns:sub_total9 0\n"
	              "# TYPE x_total counter\nx_total 1\n");
}
END_TEST

START_TEST(number_formats)
{
	metrics_gauge_set("g", "k=\"a\"", 0.1);
	metrics_gauge_set("g", "k=\"b\"", 1e20);
	metrics_gauge_set("g", "k=\"c\"", -2);
	metrics_gauge_set("g", "k=\"d\"", 1.5);
	metrics_gauge_set("g", "k=\"e\"", NAN);
	metrics_gauge_set("g", "k=\"f\"", INFINITY);
	metrics_gauge_set("g", "k=\"g\"", -INFINITY);
	metrics_gauge_set("g", "k=\"h\"", 1.0 / 3.0);
	assert_render("# TYPE g gauge\n"
	              "g{k=\"a\"} 0.1\n"
	              "g{k=\"b\"} 1e+20\n"
	              "g{k=\"c\"} -2\n"
	              "g{k=\"d\"} 1.5\n"
	              "g{k=\"e\"} NaN\n"
	              "g{k=\"f\"} +Inf\n"
	              "g{k=\"g\"} -Inf\n"
	              "g{k=\"h\"} 0.33333333333333331\n");
}
END_TEST

/* 8 threads add to a shared counter, a shared histogram and a series of
 * their own (created concurrently); every sum must be exact. */
#define THREADS 8
#define ADDS 20000

static void *hammer(void *arg)
{
	char labels[32];
	snprintf(labels, sizeof labels, "t=\"%d\"", (int)(intptr_t)arg);
	for (int i = 0; i < ADDS; i++) {
		metrics_counter_add("shared_total", NULL, 1);
		metrics_counter_add("own_total", labels, 0.5);
		metrics_observe("lat_seconds", "p=\"x\"", (i % 2) ? 0.0625 : 3);
	}
	return NULL;
}

START_TEST(concurrent_updates_sum_exactly)
{
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, (void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	char *text = metrics_render();
	ck_assert_ptr_nonnull(text);
	char want[128];
	snprintf(want, sizeof want, "shared_total %d\n", THREADS * ADDS);
	ck_assert_ptr_nonnull(strstr(text, want));
	for (int i = 0; i < THREADS; i++) {
		snprintf(want, sizeof want, "own_total{t=\"%d\"} %d\n", i, ADDS / 2);
		ck_assert_msg(strstr(text, want) != NULL, "missing %s", want);
	}
	snprintf(want, sizeof want, "lat_seconds_bucket{p=\"x\",le=\"0.1\"} %d\n", THREADS * ADDS / 2);
	ck_assert_ptr_nonnull(strstr(text, want));
	snprintf(want, sizeof want, "lat_seconds_count{p=\"x\"} %d\n", THREADS * ADDS);
	ck_assert_ptr_nonnull(strstr(text, want));
	/* 80,000 × 3 + 80,000 × 0.0625 = 245,000: exact in binary */
	ck_assert_ptr_nonnull(strstr(text, "lat_seconds_sum{p=\"x\"} 245000\n"));
	ck_assert_ptr_nonnull(strstr(text, "# TYPE own_total counter\n"));
	free(text);
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("render");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, empty_registry_renders_nothing);
	tcase_add_test(tc, counters_gauges_histograms_sorted);
	tcase_add_test(tc, histogram_without_labels);
	tcase_add_test(tc, request_and_upstream_helpers);
	tcase_add_test(tc, label_escape);
	tcase_add_test(tc, type_and_argument_rules);
	tcase_add_test(tc, number_formats);
	suite_add_tcase(s, tc);
	tc = tcase_create("threads");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, concurrent_updates_sum_exactly);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
