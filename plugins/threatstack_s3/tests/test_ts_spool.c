/* SPDX-License-Identifier: MIT */
/* Tests for ts_spool: records, durable files, replay after a restart, the size limit, dead letters, backoff. */
#include "ts_spool.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <relayd/status.h>

#include "ts_test_util.h"

#define ID1 "587c0159a907346eccb84004"
#define ID2 "587c036efc22b55ac0b72837"
#define ID3 "56fd65138c1e0c173af5a3de"

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/ts_spool_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_record(const char *id, int64_t spooled_at)
{
	json_t *alert = json_pack("{s:s,s:I}", "id", id, "created_at", (json_int_t)1484521817000LL);
	char *data = ts_spool_record_build(id, 1484521817000LL, spooled_at, alert);
	json_decref(alert);
	struct ts_spool_item it = {.id = id, .data = data, .len = strlen(data)};
	ck_assert_uint_eq(ts_spool_write_sync(dir, &it, 1), 1);
	ck_assert_int_eq(it.rc, RELAYD_OK);
	free(data);
}

/* Sets a file's mtime (the spool orders a replay by it). */
static void set_mtime(const char *id, time_t t)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s.json", dir, id);
	struct timeval tv[2] = {{t, 0}, {t, 0}};
	ck_assert_int_eq(utimes(path, tv), 0);
}

START_TEST(record_round_trip)
{
	json_t *alert = json_pack("{s:s,s:s}", "id", ID1, "created_at", "1484521817000");
	char *data = ts_spool_record_build(ID1, 1484521817000LL, 1700000000000LL, alert);
	ck_assert_str_eq(data, "{\"id\": \"" ID1 "\", \"created_at\": 1484521817000, \"spooled_at\": "
	                       "1700000000000, \"alert\": {\"id\": \"" ID1 "\", \"created_at\": "
	                       "\"1484521817000\"}}");
	struct ts_spool_record rec;
	ck_assert_int_eq(ts_spool_record_parse(data, strlen(data), &rec), RELAYD_OK);
	ck_assert_str_eq(rec.id, ID1);
	ck_assert_int_eq(rec.created_at_ms, 1484521817000LL);
	ck_assert_int_eq(rec.spooled_at_ms, 1700000000000LL);
	ck_assert(json_equal(rec.alert, alert));
	json_decref(rec.alert);
	json_decref(alert);
	free(data);

	const char *bad[] = {"", "{}", "{\"id\": \"x\", \"created_at\": 1, \"spooled_at\": 1, \"alert\": {}}",
	                     "{\"id\": \"" ID1 "\", \"created_at\": 0, \"spooled_at\": 1, \"alert\": {}}",
	                     "{\"id\": \"" ID1 "\", \"created_at\": 1, \"spooled_at\": 1}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(ts_spool_record_parse(bad[i], strlen(bad[i]), &rec), RELAYD_EINVAL);
}
END_TEST

START_TEST(write_read_remove)
{
	ck_assert_int_eq(ts_spool_dir_prepare(dir), RELAYD_OK);
	write_record(ID1, 1);
	char *data;
	size_t len;
	ck_assert_int_eq(ts_spool_read_sync(dir, ID1, &data, &len), RELAYD_OK);
	struct ts_spool_record rec;
	ck_assert_int_eq(ts_spool_record_parse(data, len, &rec), RELAYD_OK);
	ck_assert_str_eq(rec.id, ID1);
	json_decref(rec.alert);
	free(data);
	ck_assert_int_eq(ts_spool_remove_sync(dir, ID1), RELAYD_OK);
	ck_assert_int_eq(ts_spool_read_sync(dir, ID1, &data, &len), RELAYD_ENOTFOUND);
	/* removing twice is fine */
	ck_assert_int_eq(ts_spool_remove_sync(dir, ID1), RELAYD_OK);
	ck_assert_int_eq(ts_spool_read_sync(dir, "../x", &data, &len), RELAYD_ENOTFOUND);
}
END_TEST

START_TEST(write_reports_errors)
{
	struct ts_spool_item items[2] = {
	    {.id = ID1, .data = "{}", .len = 2},
	    {.id = "bad", .data = "{}", .len = 2},
	};
	ck_assert_uint_eq(ts_spool_write_sync(dir, items, 2), 1);
	ck_assert_int_eq(items[0].rc, RELAYD_OK);
	ck_assert_int_eq(items[1].rc, RELAYD_EIO);
	char missing[300];
	snprintf(missing, sizeof(missing), "%s/nope", dir);
	struct ts_spool_item one = {.id = ID2, .data = "{}", .len = 2};
	ck_assert_uint_eq(ts_spool_write_sync(missing, &one, 1), 0);
	ck_assert_int_eq(one.rc, RELAYD_EIO);
	ck_assert_int_eq(one.err_no, ENOENT);
}
END_TEST

START_TEST(replay_after_restart)
{
	ck_assert_int_eq(ts_spool_dir_prepare(dir), RELAYD_OK);
	write_record(ID1, 1);
	write_record(ID2, 2);
	write_record(ID3, 3);
	set_mtime(ID1, 1500000300);
	set_mtime(ID2, 1500000100);
	set_mtime(ID3, 1500000200);
	/* a crash between mkstemp and rename leaves a temp file */
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s/.tmp-" ID1 "-abcdef", dir);
	FILE *f = fopen(tmp, "w");
	fputs("partial", f);
	fclose(f);

	struct ts_spool *sp = ts_spool_new(dir, 1 << 20, 3600);
	ck_assert_int_eq(ts_spool_open(sp), RELAYD_OK);
	ck_assert_int_eq(access(tmp, F_OK), -1);
	struct ts_spool_stats st;
	ts_spool_stats(sp, 1500000400000LL, &st);
	ck_assert_uint_eq(st.depth, 3);
	ck_assert_int_eq(st.oldest_s, 300);
	ck_assert_uint_gt(st.bytes, 0);

	/* oldest first */
	struct ts_spool_entry e;
	ck_assert(ts_spool_peek(sp, &e));
	ck_assert_str_eq(e.id, ID2);
	ck_assert_int_eq(e.spooled_at_ms, 1500000100000LL);
	ts_spool_forget(sp, ID2);
	ck_assert(ts_spool_peek(sp, &e));
	ck_assert_str_eq(e.id, ID3);
	ts_spool_forget(sp, ID3);
	ts_spool_forget(sp, ID3);
	ck_assert(ts_spool_peek(sp, &e));
	ck_assert_str_eq(e.id, ID1);
	ts_spool_forget(sp, ID1);
	ck_assert(!ts_spool_peek(sp, &e));
	ts_spool_stats(sp, 1500000400000LL, &st);
	ck_assert_uint_eq(st.depth, 0);
	ck_assert_uint_eq(st.bytes, 0);
	ck_assert_int_eq(st.oldest_s, 0);
	ts_spool_free(sp);
}
END_TEST

START_TEST(size_limit_and_dedup)
{
	struct ts_spool *sp = ts_spool_new(dir, 100, 0);
	ck_assert_int_eq(ts_spool_open(sp), RELAYD_OK);
	ck_assert_int_eq(ts_spool_reserve(sp, 60), RELAYD_OK);
	ck_assert_int_eq(ts_spool_reserve(sp, 41), RELAYD_EBUSY);
	ck_assert_int_eq(ts_spool_add(sp, ID1, 60, 10), RELAYD_OK);
	ts_spool_release(sp, 60);
	ck_assert_int_eq(ts_spool_reserve(sp, 40), RELAYD_OK);
	ts_spool_release(sp, 40);
	ck_assert_int_eq(ts_spool_reserve(sp, 41), RELAYD_EBUSY);
	/* a re-posted alert replaces its entry, it does not add one */
	ck_assert_int_eq(ts_spool_add(sp, ID1, 30, 20), RELAYD_OK);
	struct ts_spool_stats st;
	ts_spool_stats(sp, 20000, &st);
	ck_assert_uint_eq(st.depth, 1);
	ck_assert_uint_eq(st.bytes, 30);
	ck_assert_int_eq(st.oldest_s, 19);
	ck_assert_int_eq(ts_spool_reserve(sp, 70), RELAYD_OK);
	ck_assert_int_eq(ts_spool_add(sp, "nope", 1, 1), RELAYD_EINVAL);
	ck_assert_int_eq(ts_spool_max_age_ms(sp), 0);
	ts_spool_free(sp);
}
END_TEST

START_TEST(dead_letters)
{
	ck_assert_int_eq(ts_spool_dir_prepare(dir), RELAYD_OK);
	write_record(ID1, 1);
	ck_assert_int_eq(ts_spool_move_dead_sync(dir, ID1), RELAYD_OK);
	char path[512];
	snprintf(path, sizeof(path), "%s/dead/" ID1 ".json", dir);
	ck_assert_int_eq(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/" ID1 ".json", dir);
	ck_assert_int_eq(access(path, F_OK), -1);
	/* dead letters are not replayed */
	struct ts_spool *sp = ts_spool_new(dir, 1 << 20, 1);
	ck_assert_int_eq(ts_spool_open(sp), RELAYD_OK);
	struct ts_spool_entry e;
	ck_assert(!ts_spool_peek(sp, &e));
	ck_assert_int_eq(ts_spool_max_age_ms(sp), 1000);
	ts_spool_free(sp);
}
END_TEST

START_TEST(backoff)
{
	ck_assert_uint_eq(ts_backoff_ms(1000, 60000, 0, 0.5), 1000);
	ck_assert_uint_eq(ts_backoff_ms(1000, 60000, 1, 0.5), 2000);
	ck_assert_uint_eq(ts_backoff_ms(1000, 60000, 5, 0.5), 32000);
	ck_assert_uint_eq(ts_backoff_ms(1000, 60000, 6, 0.5), 60000);
	ck_assert_uint_eq(ts_backoff_ms(1000, 60000, 60, 0.5), 60000);
	ck_assert_uint_eq(ts_backoff_ms(1000, 60000, 0, 0.0), 800);
	ck_assert_uint_eq(ts_backoff_ms(1000, 60000, 0, 1.0), 1200);
	ck_assert_uint_eq(ts_backoff_ms(1000, 60000, 9, 1.0), 60000);
	ck_assert_uint_eq(ts_backoff_ms(1000, 60000, 9, 0.0), 48000);
	ck_assert_uint_eq(ts_backoff_ms(0, 0, 3, 0.0), 1);
	ck_assert_uint_eq(ts_backoff_ms(5, 3, 0, 0.5), 5);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts_spool");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, record_round_trip);
	tcase_add_test(tc, write_read_remove);
	tcase_add_test(tc, write_reports_errors);
	tcase_add_test(tc, replay_after_restart);
	tcase_add_test(tc, size_limit_and_dedup);
	tcase_add_test(tc, dead_letters);
	tcase_add_test(tc, backoff);
	suite_add_tcase(s, tc);
	return s;
}

TS_RUN_SUITE(suite)
