/* SPDX-License-Identifier: MIT */
/* Tests for sdk/src/gather.c on top of the mock host: counting, rounds, holds, early callbacks. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/sdk.h>

#include "mock_host.h"

/* What the callbacks saw, in order: "d:<n>" for a request's done, "all". */
struct trace {
	char log[512];
	unsigned all_done;
	struct relayd_gather *g;
	const struct relayd_host *host;
	bool second_round_added;
};

static void trace_add(struct trace *t, const char *what)
{
	size_t len = strlen(t->log);
	snprintf(t->log + len, sizeof t->log - len, "%s%s", len ? " " : "", what);
}

static void on_all_done(struct relayd_call *call, void *arg)
{
	(void)call;
	struct trace *t = arg;
	t->all_done++;
	trace_add(t, "all");
}

/* Records "d:<status>" (or "d:e<error>") for each request. */
static void on_one_done(struct relayd_call *call, const struct relayd_http_response *resp,
                        void *arg)
{
	(void)call;
	struct trace *t = arg;
	char what[32];
	if (resp->error == RELAYD_HTTP_OK)
		snprintf(what, sizeof what, "d:%ld", resp->status);
	else
		snprintf(what, sizeof what, "d:e%d", (int)resp->error);
	trace_add(t, what);
}

static struct mock_host *m;
static const struct relayd_host *host;
static struct relayd_call *call;

static void setup(void)
{
	m = mock_host_new();
	ck_assert_ptr_nonnull(m);
	host = mock_host_services(m);
	call = mock_host_call_new(m);
	ck_assert_ptr_nonnull(call);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", "http://u/1", 200, "OK", "{}", NULL), 0);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", "http://u/2", 404, "Not Found", "", NULL),
	                 0);
	ck_assert_int_eq(mock_host_http_answer(m, "GET", "http://u/3", 500, "", "", NULL), 0);
}

static void teardown(void)
{
	mock_host_free(m);
	m = NULL;
}

static void get(struct relayd_gather *g, const char *url, struct trace *t)
{
	const struct relayd_http_request req = {.url = url};
	relayd_gather_http(g, &req, on_one_done, t);
}

START_TEST(all_done_fires_once_after_every_request)
{
	struct trace t = {0};
	struct relayd_gather *g = relayd_gather_new(host, call, on_all_done, &t);
	ck_assert_ptr_nonnull(g);
	get(g, "http://u/1", &t);
	get(g, "http://u/2", &t);
	get(g, "http://u/3", &t);
	relayd_gather_start(g);
	ck_assert_uint_eq(relayd_gather_pending(g), 3);
	ck_assert_str_eq(t.log, "");
	ck_assert_uint_eq(mock_host_run(m), 3);
	/* all_done ran inside the last done, after it: the trace order proves it. */
	ck_assert_str_eq(t.log, "d:200 d:404 d:500 all");
	ck_assert_uint_eq(t.all_done, 1);
	ck_assert_uint_eq(relayd_gather_pending(g), 0);
	ck_assert_uint_eq(mock_host_request_count(m), 3);
}
END_TEST

START_TEST(no_request_fires_on_start)
{
	struct trace t = {0};
	struct relayd_gather *g = relayd_gather_new(host, call, on_all_done, &t);
	ck_assert_uint_eq(t.all_done, 0);
	relayd_gather_start(g);
	ck_assert_uint_eq(t.all_done, 1);
	relayd_gather_start(g); /* a second start is ignored */
	ck_assert_uint_eq(t.all_done, 1);
	ck_assert_uint_eq(mock_host_run(m), 0);
	ck_assert_uint_eq(t.all_done, 1);
}
END_TEST

START_TEST(requests_finished_before_start_fire_in_start)
{
	struct trace t = {0};
	struct relayd_gather *g = relayd_gather_new(host, call, on_all_done, &t);
	get(g, "http://u/1", &t);
	get(g, "http://u/2", &t);
	ck_assert_uint_eq(mock_host_run(m), 2);
	ck_assert_str_eq(t.log, "d:200 d:404");
	ck_assert_uint_eq(t.all_done, 0);
	ck_assert_uint_eq(relayd_gather_pending(g), 1); /* the initial hold */
	relayd_gather_start(g);
	ck_assert_str_eq(t.log, "d:200 d:404 all");
}
END_TEST

/* The first answer starts a second round from inside its done callback. */
static void first_round_done(struct relayd_call *c, const struct relayd_http_response *resp,
                             void *arg)
{
	struct trace *t = arg;
	on_one_done(c, resp, t);
	if (!t->second_round_added) {
		t->second_round_added = true;
		get(t->g, "http://u/3", t);
		get(t->g, "http://u/2", t);
	}
}

START_TEST(second_round_from_a_done_callback)
{
	struct trace t = {0};
	t.g = relayd_gather_new(host, call, on_all_done, &t);
	const struct relayd_http_request req = {.url = "http://u/1"};
	relayd_gather_http(t.g, &req, first_round_done, &t);
	relayd_gather_start(t.g);
	ck_assert_uint_eq(mock_host_run(m), 3);
	ck_assert_str_eq(t.log, "d:200 d:500 d:404 all");
	ck_assert_uint_eq(t.all_done, 1);
}
END_TEST

START_TEST(hold_keeps_all_done_back)
{
	struct trace t = {0};
	struct relayd_gather *g = relayd_gather_new(host, call, on_all_done, &t);
	get(g, "http://u/1", &t);
	relayd_gather_hold(g);
	relayd_gather_start(g);
	mock_host_run(m);
	ck_assert_str_eq(t.log, "d:200");
	ck_assert_uint_eq(relayd_gather_pending(g), 1);
	relayd_gather_release(g);
	ck_assert_str_eq(t.log, "d:200 all");
	relayd_gather_release(g); /* more releases than holds: ignored */
	ck_assert_uint_eq(t.all_done, 1);
	ck_assert_uint_eq(relayd_gather_pending(g), 0);
}
END_TEST

/* A host whose http() answers before returning, as the real one may when a
 * request cannot start. */
static struct relayd_host sync_host;

static void sync_http(struct relayd_call *c, const struct relayd_http_request *req,
                      relayd_http_done_fn done, void *arg)
{
	(void)req;
	const struct relayd_http_response resp = {
	    .error = RELAYD_HTTP_BUSY, .reason = "", .body = "", .error_text = "busy"};
	done(c, &resp, arg);
}

START_TEST(done_before_http_returns_is_counted)
{
	sync_host = *host;
	sync_host.http = sync_http;
	struct trace t = {0};
	struct relayd_gather *g = relayd_gather_new(&sync_host, call, on_all_done, &t);
	get(g, "http://u/1", &t);
	get(g, "http://u/2", &t);
	ck_assert_str_eq(t.log, "d:e5 d:e5");
	ck_assert_uint_eq(t.all_done, 0);
	relayd_gather_start(g);
	ck_assert_str_eq(t.log, "d:e5 d:e5 all");
}
END_TEST

START_TEST(transport_errors_count_like_answers)
{
	ck_assert_int_eq(mock_host_http_error(m, "GET", "http://u/t", RELAYD_HTTP_TIMEOUT, NULL), 0);
	struct trace t = {0};
	struct relayd_gather *g = relayd_gather_new(host, call, on_all_done, &t);
	get(g, "http://u/t", &t);
	get(g, "http://nowhere/", &t); /* no canned answer: RELAYD_HTTP_CONNECT */
	relayd_gather_start(g);
	mock_host_run(m);
	ck_assert_str_eq(t.log, "d:e1 d:e2 all");
}
END_TEST

/* all_done typically ends the call; the call must end exactly once. */
static void finish_call(struct relayd_call *c, void *arg)
{
	(void)arg;
	host->finish(c, json_pack("{s:i}", "n", 3));
}

START_TEST(all_done_ends_the_call_once)
{
	struct relayd_gather *g = relayd_gather_new(host, call, finish_call, NULL);
	const struct relayd_http_request req = {.url = "http://u/1"};
	for (int i = 0; i < 3; i++)
		relayd_gather_http(g, &req, NULL, NULL);
	relayd_gather_start(g);
	mock_host_run(m);
	ck_assert_uint_eq(mock_call_end_count(call), 1);
	char *dump = mock_host_result_dump(m, call);
	ck_assert_str_eq(dump, "{\"data\":{\"n\":3}}");
	free(dump);
}
END_TEST

START_TEST(new_rejects_missing_arguments)
{
	ck_assert_ptr_null(relayd_gather_new(host, call, NULL, NULL));
	ck_assert_ptr_null(relayd_gather_new(NULL, call, on_all_done, NULL));
	ck_assert_ptr_null(relayd_gather_new(host, NULL, on_all_done, NULL));
}
END_TEST

static Suite *gather_suite(void)
{
	Suite *s = suite_create("gather");
	TCase *tc = tcase_create("gather");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, all_done_fires_once_after_every_request);
	tcase_add_test(tc, no_request_fires_on_start);
	tcase_add_test(tc, requests_finished_before_start_fire_in_start);
	tcase_add_test(tc, second_round_from_a_done_callback);
	tcase_add_test(tc, hold_keeps_all_done_back);
	tcase_add_test(tc, done_before_http_returns_is_counted);
	tcase_add_test(tc, transport_errors_count_like_answers);
	tcase_add_test(tc, all_done_ends_the_call_once);
	tcase_add_test(tc, new_rejects_missing_arguments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(gather_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
