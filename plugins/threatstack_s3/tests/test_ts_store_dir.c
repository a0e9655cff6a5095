/* SPDX-License-Identifier: MIT */
/* Tests for the dir backend's blocking halves: atomic put, get, sorted prefix listing, key checks. */
#include "ts_store.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <relayd/status.h>

#include "ts_test_util.h"

static char root[256];

static void setup(void)
{
	snprintf(root, sizeof(root), "/tmp/ts_store_dir_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(root));
}

static void rm_rf(const char *path)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
}

static void teardown(void)
{
	rm_rf(root);
}

static void put(const char *key, const char *body)
{
	int e = 0;
	ck_assert_int_eq(ts_dir_put_sync(root, key, body, strlen(body), &e), RELAYD_OK);
	ck_assert_int_eq(e, 0);
}

/* Counts entries whose name starts with '.' under dir (temp files left behind). */
static int hidden_files(const char *dir)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

START_TEST(put_then_get)
{
	put("alerts/58/7c/587c0159a907346eccb84004", "{\"id\": \"587c0159a907346eccb84004\"}");
	char *body;
	size_t len;
	ck_assert_int_eq(ts_dir_get_sync(root, "alerts/58/7c/587c0159a907346eccb84004", &body, &len),
	                 RELAYD_OK);
	ck_assert_str_eq(body, "{\"id\": \"587c0159a907346eccb84004\"}");
	ck_assert_uint_eq(len, strlen(body));
	free(body);
	/* re-putting overwrites (idempotent keys) and leaves no temp file */
	put("alerts/58/7c/587c0159a907346eccb84004", "{}");
	ck_assert_int_eq(ts_dir_get_sync(root, "alerts/58/7c/587c0159a907346eccb84004", &body, &len),
	                 RELAYD_OK);
	ck_assert_str_eq(body, "{}");
	free(body);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/alerts/58/7c", root);
	ck_assert_int_eq(hidden_files(dir), 0);
	struct stat st;
	snprintf(dir, sizeof(dir), "%s/alerts/58/7c/587c0159a907346eccb84004", root);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0640);
}
END_TEST

START_TEST(get_missing)
{
	char *body = (char *)1;
	size_t len = 9;
	ck_assert_int_eq(ts_dir_get_sync(root, "alerts/de/ad/deadbeefdeadbeefdeadbeef", &body, &len),
	                 RELAYD_ENOTFOUND);
	ck_assert_ptr_null(body);
	put("alerts/de/ad/x", "1");
	/* a folder is not an object */
	ck_assert_int_eq(ts_dir_get_sync(root, "alerts/de", &body, &len), RELAYD_ENOTFOUND);
	/* a path through a file */
	ck_assert_int_eq(ts_dir_get_sync(root, "alerts/de/ad/x/y", &body, &len), RELAYD_ENOTFOUND);
}
END_TEST

START_TEST(bad_keys)
{
	const char *bad[] = {"", "/abs", "a//b", "a/../b", "..", "a/.hidden", ".tmp-x", "a/", "./a"};
	int e;
	char *body;
	size_t len;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(!ts_dir_key_valid(bad[i]), "%s", bad[i]);
		ck_assert_int_eq(ts_dir_put_sync(root, bad[i], "x", 1, &e), RELAYD_EINVAL);
		ck_assert_int_eq(ts_dir_get_sync(root, bad[i], &body, &len), RELAYD_EINVAL);
	}
	ck_assert(ts_dir_key_valid("webhooks/2017/01/15/23/10/587c0159a907346eccb84004"));
	char **keys;
	size_t n;
	ck_assert_int_eq(ts_dir_list_sync(root, "../", &keys, &n), RELAYD_EINVAL);
	ck_assert_int_eq(ts_dir_list_sync(root, "/etc", &keys, &n), RELAYD_EINVAL);
}
END_TEST

START_TEST(list_by_prefix_sorted)
{
	put("webhooks/2017/01/15/23/19/587c036efc22b55ac0b72837", "b");
	put("webhooks/2017/01/15/23/10/587c0159a907346eccb84004", "a");
	put("webhooks/2017/01/16/00/00/587c0159a907346eccb84005", "c");
	put("webhooks/2016/12/31/23/59/587c0159a907346eccb84006", "d");
	put("alerts/58/7c/587c0159a907346eccb84004", "e");
	char **keys;
	size_t n;

	ck_assert_int_eq(ts_dir_list_sync(root, "webhooks/2017/01/15/", &keys, &n), RELAYD_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(keys[0], "webhooks/2017/01/15/23/10/587c0159a907346eccb84004");
	ck_assert_str_eq(keys[1], "webhooks/2017/01/15/23/19/587c036efc22b55ac0b72837");
	ts_keys_free(keys, n);

	ck_assert_int_eq(ts_dir_list_sync(root, "webhooks/", &keys, &n), RELAYD_OK);
	ck_assert_uint_eq(n, 4);
	ck_assert_str_eq(keys[0], "webhooks/2016/12/31/23/59/587c0159a907346eccb84006");
	ck_assert_str_eq(keys[3], "webhooks/2017/01/16/00/00/587c0159a907346eccb84005");
	ts_keys_free(keys, n);

	/* a prefix that stops inside a segment, as S3 allows */
	ck_assert_int_eq(ts_dir_list_sync(root, "webhooks/2017/01/1", &keys, &n), RELAYD_OK);
	ck_assert_uint_eq(n, 3);
	ts_keys_free(keys, n);

	ck_assert_int_eq(ts_dir_list_sync(root, "webhooks/2018/", &keys, &n), RELAYD_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(keys);

	ck_assert_int_eq(ts_dir_list_sync(root, "", &keys, &n), RELAYD_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(keys[0], "alerts/58/7c/587c0159a907346eccb84004");
	ts_keys_free(keys, n);
}
END_TEST

START_TEST(list_skips_temp_files)
{
	put("webhooks/2017/01/15/23/10/587c0159a907346eccb84004", "a");
	char tmp[512];
	snprintf(tmp, sizeof(tmp), "%s/webhooks/2017/01/15/23/10/.tmp-abc", root);
	FILE *f = fopen(tmp, "w");
	ck_assert_ptr_nonnull(f);
	fclose(f);
	char **keys;
	size_t n;
	ck_assert_int_eq(ts_dir_list_sync(root, "webhooks/", &keys, &n), RELAYD_OK);
	ck_assert_uint_eq(n, 1);
	ts_keys_free(keys, n);
}
END_TEST

START_TEST(put_fails_cleanly)
{
	int e = 0;
	/* a file where a folder must go */
	put("webhooks/file", "x");
	ck_assert_int_eq(ts_dir_put_sync(root, "webhooks/file/x", "y", 1, &e), RELAYD_EIO);
	ck_assert_int_ne(e, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts_store_dir");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, put_then_get);
	tcase_add_test(tc, get_missing);
	tcase_add_test(tc, bad_keys);
	tcase_add_test(tc, list_by_prefix_sorted);
	tcase_add_test(tc, list_skips_temp_files);
	tcase_add_test(tc, put_fails_cleanly);
	suite_add_tcase(s, tc);
	return s;
}

TS_RUN_SUITE(suite)
