/* SPDX-License-Identifier: MIT */
/* Tests for host/src/log.c: exact lines in both formats, escaping, levels, access lines. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define TS "2026-11-23T10:00:00.123Z"

static char captured[8192];
static size_t sink_calls;

static void capture_sink(const char *line, size_t len, void *arg)
{
	(void)arg;
	size_t used = strlen(captured);
	ck_assert_uint_lt(used + len, sizeof captured);
	memcpy(captured + used, line, len);
	captured[used + len] = '\0';
	sink_calls++;
}

static int64_t fixed_clock(void)
{
	return INT64_C(1795428000123); /* 2026-11-23T10:00:00.123Z */
}

static void setup(void)
{
	captured[0] = '\0';
	sink_calls = 0;
	ck_assert_int_eq(log_init(LOG_FORMAT_LOGFMT, RELAYD_LOG_INFO), 0);
	log_set_sink(capture_sink, NULL);
	log_set_clock(fixed_clock);
}

static void teardown(void)
{
	log_set_sink(NULL, NULL);
	log_set_clock(NULL);
}

START_TEST(logfmt_line_with_plugin_and_request)
{
	log_emit(RELAYD_LOG_INFO, "pulsedive", "8f1c-22", "lookup %s took %d ms", "cisco.com", 12);
	ck_assert_str_eq(captured, "ts=" TS " level=info plugin=pulsedive req=8f1c-22 "
	                           "msg=\"lookup cisco.com took 12 ms\"\n");
	ck_assert_uint_eq(sink_calls, 1);
}
END_TEST

START_TEST(logfmt_line_without_plugin_or_request)
{
	log_emit(RELAYD_LOG_ERROR, NULL, NULL, "listen failed");
	log_emit(RELAYD_LOG_WARN, NULL, "r1", "%s", "");
	ck_assert_str_eq(captured, "ts=" TS " level=error msg=\"listen failed\"\n"
	                           "ts=" TS " level=warn req=r1 msg=\"\"\n");
}
END_TEST

START_TEST(logfmt_escapes_values)
{
	log_emit(RELAYD_LOG_INFO, "a b", "x=y", "say \"hi\" \\ back\nnext\ttab\r\x01\x7f end");
	ck_assert_str_eq(captured, "ts=" TS " level=info plugin=\"a b\" req=\"x=y\" "
	                           "msg=\"say \\\"hi\\\" \\\\ back\\nnext\\ttab\\r\\u0001\\u007f end\"\n");
	captured[0] = '\0';
	log_emit(RELAYD_LOG_INFO, "", "caf\xc3\xa9", "ok");
	ck_assert_str_eq(captured, "ts=" TS " level=info plugin=\"\" req=caf\xc3\xa9 msg=\"ok\"\n");
	captured[0] = '\0';
	log_emit(RELAYD_LOG_INFO, "q\"", "back\\slash", "ok");
	ck_assert_str_eq(captured, "ts=" TS " level=info plugin=\"q\\\"\" req=\"back\\\\slash\" "
	                           "msg=\"ok\"\n");
}
END_TEST

START_TEST(long_lines_are_whole)
{
	char big[5000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	log_emit(RELAYD_LOG_INFO, NULL, NULL, "%s", big);
	ck_assert_uint_eq(sink_calls, 1);
	ck_assert_uint_eq(strlen(captured), strlen("ts=" TS " level=info msg=\"\"\n") + 4999);
	ck_assert_int_eq(captured[strlen(captured) - 2], '"');
}
END_TEST

START_TEST(level_filter)
{
	ck_assert_int_eq(log_init(LOG_FORMAT_LOGFMT, RELAYD_LOG_WARN), 0);
	log_emit(RELAYD_LOG_DEBUG, NULL, NULL, "d");
	log_emit(RELAYD_LOG_INFO, NULL, NULL, "i");
	log_emit(RELAYD_LOG_WARN, NULL, NULL, "w");
	log_emit(RELAYD_LOG_ERROR, NULL, NULL, "e");
	ck_assert_str_eq(captured, "ts=" TS " level=warn msg=\"w\"\n"
	                           "ts=" TS " level=error msg=\"e\"\n");
	ck_assert(!log_enabled(RELAYD_LOG_INFO));
	ck_assert(log_enabled(RELAYD_LOG_WARN));
	ck_assert_int_eq(log_init(LOG_FORMAT_LOGFMT, RELAYD_LOG_DEBUG), 0);
	ck_assert(log_enabled(RELAYD_LOG_DEBUG));
	captured[0] = '\0';
	log_emit(RELAYD_LOG_DEBUG, NULL, NULL, "d");
	ck_assert_str_eq(captured, "ts=" TS " level=debug msg=\"d\"\n");
	ck_assert_int_eq(log_init(LOG_FORMAT_LOGFMT, RELAYD_LOG_ERROR), 0);
	captured[0] = '\0';
	log_access("r", "GET", "/", NULL, 200, 1, 0, 0);
	ck_assert_str_eq(captured, "");
}
END_TEST

START_TEST(init_rejects_unknown_names)
{
	ck_assert_int_eq(log_init((enum log_format)7, RELAYD_LOG_INFO), RELAYD_EINVAL);
	ck_assert_int_eq(log_init(LOG_FORMAT_JSON, (enum relayd_log_level)9), RELAYD_EINVAL);
	ck_assert_int_eq(log_init(LOG_FORMAT_JSON, (enum relayd_log_level)-1), RELAYD_EINVAL);
	/* nothing changed: still logfmt at info */
	log_emit(RELAYD_LOG_INFO, NULL, NULL, "x");
	log_emit(RELAYD_LOG_DEBUG, NULL, NULL, "hidden");
	ck_assert_str_eq(captured, "ts=" TS " level=info msg=\"x\"\n");
	enum relayd_log_level lvl = RELAYD_LOG_ERROR;
	ck_assert_int_eq(log_level_parse("debug", &lvl), 0);
	ck_assert_int_eq(lvl, RELAYD_LOG_DEBUG);
	ck_assert_int_eq(log_level_parse(NULL, &lvl), RELAYD_EINVAL);
	ck_assert_str_eq(log_level_name(RELAYD_LOG_WARN), "warn");
	enum log_format fmt = LOG_FORMAT_LOGFMT;
	ck_assert_int_eq(log_format_parse("json", &fmt), 0);
	ck_assert_int_eq(fmt, LOG_FORMAT_JSON);
	ck_assert_int_eq(log_format_parse("logfmt", &fmt), 0);
	ck_assert_int_eq(fmt, LOG_FORMAT_LOGFMT);
	ck_assert_int_eq(log_format_parse("xml", &fmt), RELAYD_EINVAL);
	ck_assert_int_eq(log_format_parse(NULL, &fmt), RELAYD_EINVAL);
}
END_TEST

START_TEST(json_lines)
{
	ck_assert_int_eq(log_init(LOG_FORMAT_JSON, RELAYD_LOG_INFO), 0);
	log_emit(RELAYD_LOG_INFO, "pulsedive", "8f1c-22", "lookup %s", "cisco.com");
	log_emit(RELAYD_LOG_ERROR, NULL, NULL, "say \"hi\" \\ back\nnext\ttab\x01");
	log_emit(RELAYD_LOG_WARN, NULL, NULL, "bad \xff utf8");
	ck_assert_str_eq(captured,
	                 "{\"ts\":\"" TS "\",\"level\":\"info\",\"plugin\":\"pulsedive\","
	                 "\"req\":\"8f1c-22\",\"msg\":\"lookup cisco.com\"}\n"
	                 "{\"ts\":\"" TS "\",\"level\":\"error\",\"msg\":\"say \\\"hi\\\" \\\\ back"
	                 "\\nnext\\ttab\\u0001\"}\n"
	                 "{\"ts\":\"" TS "\",\"level\":\"warn\",\"msg\":\"bad ? utf8\"}\n");
	ck_assert_uint_eq(sink_calls, 3);
}
END_TEST

START_TEST(access_line_logfmt)
{
	log_access("r-1", "POST", "/pulsedive/observe/observables", "pulsedive", 200, 12.3456, 2,
	           345);
	log_access("r-2", "GET", "/no where", NULL, 404, 0.2, 0, 0);
	ck_assert_str_eq(captured,
	                 "ts=" TS " level=info plugin=pulsedive req=r-1 msg=\"access\" method=POST "
	                 "path=/pulsedive/observe/observables status=200 latency_ms=12.346 "
	                 "upstream_calls=2 bytes=345\n"
	                 "ts=" TS " level=info plugin=- req=r-2 msg=\"access\" method=GET "
	                 "path=\"/no where\" status=404 latency_ms=0.200 upstream_calls=0 bytes=0\n");
}
END_TEST

START_TEST(access_line_json)
{
	ck_assert_int_eq(log_init(LOG_FORMAT_JSON, RELAYD_LOG_INFO), 0);
	log_access("r-1", "POST", "/pulsedive/health", "pulsedive", 200, 12.3456, 1, 27);
	ck_assert_str_eq(captured, "{\"ts\":\"" TS "\",\"level\":\"info\",\"plugin\":\"pulsedive\","
	                           "\"req\":\"r-1\",\"msg\":\"access\",\"method\":\"POST\",\"path\":"
	                           "\"/pulsedive/health\",\"status\":200,\"latency_ms\":12.346,"
	                           "\"upstream_calls\":1,\"bytes\":27}\n");
}
END_TEST

START_TEST(redact_hides_everything)
{
	ck_assert_str_eq(log_redact("sk-12345"), "(secret)");
	ck_assert_str_eq(log_redact(NULL), "(secret)");
	log_emit(RELAYD_LOG_INFO, "spycloud", NULL, "api_key=%s", log_redact("sk-12345"));
	ck_assert_str_eq(captured, "ts=" TS " level=info plugin=spycloud msg=\"api_key=(secret)\"\n");
}
END_TEST

/* Timestamps before the epoch and at a leap day still format. */
static int64_t leap_clock(void)
{
	return INT64_C(1709164800999); /* 2024-02-29T00:00:00.999Z */
}

static int64_t before_epoch_clock(void)
{
	return -1;
}

START_TEST(timestamps)
{
	log_set_clock(leap_clock);
	log_emit(RELAYD_LOG_INFO, NULL, NULL, "a");
	log_set_clock(before_epoch_clock);
	log_emit(RELAYD_LOG_INFO, NULL, NULL, "b");
	ck_assert_str_eq(captured, "ts=2024-02-29T00:00:00.999Z level=info msg=\"a\"\n"
	                           "ts=1969-12-31T23:59:59.999Z level=info msg=\"b\"\n");
}
END_TEST

START_TEST(stderr_gets_one_line)
{
	log_set_sink(NULL, NULL);
	FILE *tmp = tmpfile();
	ck_assert_ptr_nonnull(tmp);
	int saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fileno(tmp), STDERR_FILENO), 0);
	log_emit(RELAYD_LOG_WARN, "gigamon", NULL, "x=%d", 1);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	char buf[256] = {0};
	rewind(tmp);
	size_t n = fread(buf, 1, sizeof buf - 1, tmp);
	fclose(tmp);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "ts=" TS " level=warn plugin=gigamon msg=\"x=1\"\n");
}
END_TEST

/* Many threads logging at once: every sink call is exactly one whole line. */
#define THREADS 4
#define LINES_PER_THREAD 500

static size_t whole_lines;
static size_t broken_lines;

static void counting_sink(const char *line, size_t len, void *arg)
{
	(void)arg;
	const char *nl = memchr(line, '\n', len);
	if (nl == line + len - 1 && strncmp(line, "ts=", 3) == 0)
		whole_lines++;
	else
		broken_lines++;
}

static void *log_many(void *arg)
{
	const char *name = arg;
	for (int i = 0; i < LINES_PER_THREAD; i++)
		log_emit(RELAYD_LOG_INFO, name, NULL, "line %d of a thread", i);
	return NULL;
}

START_TEST(concurrent_lines_stay_whole)
{
	whole_lines = broken_lines = 0;
	log_set_sink(counting_sink, NULL);
	pthread_t t[THREADS];
	static const char *const names[THREADS] = {"t0", "t1", "t2", "t3"};
	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, log_many, (void *)names[i]), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	ck_assert_uint_eq(whole_lines, THREADS * LINES_PER_THREAD);
	ck_assert_uint_eq(broken_lines, 0);
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("logfmt");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, logfmt_line_with_plugin_and_request);
	tcase_add_test(tc, logfmt_line_without_plugin_or_request);
	tcase_add_test(tc, logfmt_escapes_values);
	tcase_add_test(tc, long_lines_are_whole);
	tcase_add_test(tc, timestamps);
	suite_add_tcase(s, tc);
	tc = tcase_create("levels");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, level_filter);
	tcase_add_test(tc, init_rejects_unknown_names);
	suite_add_tcase(s, tc);
	tc = tcase_create("json");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, json_lines);
	suite_add_tcase(s, tc);
	tc = tcase_create("access");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, access_line_logfmt);
	tcase_add_test(tc, access_line_json);
	tcase_add_test(tc, redact_hides_everything);
	suite_add_tcase(s, tc);
	tc = tcase_create("output");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, stderr_gets_one_line);
	tcase_add_test(tc, concurrent_lines_stay_whole);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
