/* SPDX-License-Identifier: MIT */
/* Tests for ts_keys: key layout (expected_s3_keys.tsv), ids, ISO 8601 dates, range prefixes (date_range_cases.tsv). */
#include "ts_keys.h"

#include <relayd/status.h>

#include "ts_test_util.h"

/* Splits a TSV line in place into at most max fields. */
static size_t split_tabs(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *p = line;
	/* strtok_r would merge empty fields; walk by hand. */
	while (n < max) {
		fields[n++] = p;
		char *tab = strchr(p, '\t');
		if (!tab)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	return n;
}

START_TEST(keys_match_fixture)
{
	char *data = ts_fixture("expected_s3_keys.tsv", NULL);
	char *save = NULL;
	int rows = 0;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		char *f[5];
		ck_assert_uint_eq(split_tabs(line, f, 5), 5);
		char prefix[TS_PREFIX_MAX], wk[TS_KEY_MAX], ak[TS_KEY_MAX];
		char *end;
		long long ms = strtoll(f[1], &end, 10);
		ck_assert(*end == '\0');
		ck_assert_int_eq(ts_prefix_normalise(f[2], prefix, sizeof(prefix)), RELAYD_OK);
		ck_assert_int_eq(ts_key_webhook(prefix, f[0], ms, wk, sizeof(wk)), RELAYD_OK);
		ck_assert_int_eq(ts_key_alert(prefix, f[0], ak, sizeof(ak)), RELAYD_OK);
		ck_assert_str_eq(wk, f[3]);
		ck_assert_str_eq(ak, f[4]);
		/* and the webhook key parses back to its minute */
		int64_t minute;
		char id[TS_ID_LEN + 1];
		ck_assert_int_eq(ts_key_parse_webhook(prefix, wk, &minute, id), RELAYD_OK);
		ck_assert_int_eq(minute, ms / 60000 * 60);
		ck_assert_str_eq(id, f[0]);
		rows++;
	}
	ck_assert_int_eq(rows, 8);
	free(data);
}
END_TEST

START_TEST(ids)
{
	ck_assert(ts_id_valid("587c0159a907346eccb84004"));
	ck_assert(!ts_id_valid("587c0159a907346eccb8400"));
	ck_assert(!ts_id_valid("587c0159a907346eccb840045"));
	ck_assert(!ts_id_valid("587C0159A907346ECCB84004"));
	ck_assert(!ts_id_valid("587c0159a907346eccb8400g"));
	ck_assert(!ts_id_valid("../../../../etc/passwd.."));
	ck_assert(!ts_id_valid(""));
	ck_assert(!ts_id_valid(NULL));
}
END_TEST

START_TEST(prefix_normalise)
{
	char out[TS_PREFIX_MAX];
	ck_assert_int_eq(ts_prefix_normalise("/a/b/", out, sizeof(out)), RELAYD_OK);
	ck_assert_str_eq(out, "a/b");
	ck_assert_int_eq(ts_prefix_normalise("threatstack", out, sizeof(out)), RELAYD_OK);
	ck_assert_str_eq(out, "threatstack");
	ck_assert_int_eq(ts_prefix_normalise(NULL, out, sizeof(out)), RELAYD_OK);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(ts_prefix_normalise("///", out, sizeof(out)), RELAYD_OK);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(ts_prefix_normalise("a//b", out, sizeof(out)), RELAYD_EINVAL);
	ck_assert_int_eq(ts_prefix_normalise("a/../b", out, sizeof(out)), RELAYD_EINVAL);
	ck_assert_int_eq(ts_prefix_normalise("./a", out, sizeof(out)), RELAYD_EINVAL);
	ck_assert_int_eq(ts_prefix_normalise("abc", out, 3), RELAYD_EINVAL);
}
END_TEST

START_TEST(key_bounds)
{
	char k[TS_KEY_MAX];
	const char *id = "587c0159a907346eccb84004";
	ck_assert_int_eq(ts_key_webhook("", id, 0, k, sizeof(k)), RELAYD_EINVAL);
	ck_assert_int_eq(ts_key_webhook("", id, 1, k, sizeof(k)), RELAYD_OK);
	ck_assert_str_eq(k, "webhooks/1970/01/01/00/00/587c0159a907346eccb84004");
	ck_assert_int_eq(ts_key_webhook("", id, TS_CREATED_AT_MAX_MS, k, sizeof(k)), RELAYD_OK);
	ck_assert_str_eq(k, "webhooks/9999/12/31/23/59/587c0159a907346eccb84004");
	ck_assert_int_eq(ts_key_webhook("", id, TS_CREATED_AT_MAX_MS + 1, k, sizeof(k)), RELAYD_EINVAL);
	/* leap day */
	ck_assert_int_eq(ts_key_webhook("", id, 951782400000LL, k, sizeof(k)), RELAYD_OK);
	ck_assert_str_eq(k, "webhooks/2000/02/29/00/00/587c0159a907346eccb84004");
	ck_assert_int_eq(ts_key_webhook("", "bad", 1, k, sizeof(k)), RELAYD_EINVAL);
	ck_assert_int_eq(ts_key_webhook("", id, 1, k, 20), RELAYD_EINVAL);
	ck_assert_int_eq(ts_key_webhooks_root("p", k, sizeof(k)), RELAYD_OK);
	ck_assert_str_eq(k, "p/webhooks/");
}
END_TEST

START_TEST(parse_webhook_key_rejects)
{
	int64_t m;
	char id[TS_ID_LEN + 1];
	const char *bad[] = {
	    "webhooks/2017/01/15/23/10/587c0159a907346eccb8400",
	    "webhooks/2017/01/15/23/10/587c0159a907346eccb84004/x",
	    "webhooks/2017/1/15/23/10/587c0159a907346eccb84004",
	    "webhooks/2017/13/15/23/10/587c0159a907346eccb84004",
	    "webhooks/2017/02/29/23/10/587c0159a907346eccb84004",
	    "webhooks/2017/01/15/24/10/587c0159a907346eccb84004",
	    "webhooks/2017/01/15/23/60/587c0159a907346eccb84004",
	    "alerts/58/7c/587c0159a907346eccb84004",
	    "p/webhooks/2017/01/15/23/10/587c0159a907346eccb84004",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ts_key_parse_webhook("", bad[i], &m, id) == RELAYD_EINVAL, "%s", bad[i]);
	ck_assert_int_eq(ts_key_parse_webhook("p", "p/webhooks/2017/01/15/23/10/587c0159a907346eccb84004",
	                                      &m, id),
	                 RELAYD_OK);
	ck_assert_int_eq(m, 1484521800);
}
END_TEST

static int64_t date_us(const char *s)
{
	int64_t us = 0;
	ck_assert_msg(ts_date_parse(s, &us) == RELAYD_OK, "refused: %s", s);
	return us;
}

START_TEST(dates_accepted)
{
	const int64_t base = INT64_C(1484438400) * 1000000; /* 2017-01-15T00:00:00Z */
	ck_assert_int_eq(date_us("2017-01-15"), base);
	ck_assert_int_eq(date_us("20170115"), base);
	ck_assert_int_eq(date_us("2017-1-15"), base);
	ck_assert_int_eq(date_us("2017-01-15T00:00:00Z"), base);
	ck_assert_int_eq(date_us("2017-01-15T23:10:00Z"), base + INT64_C(83400) * 1000000);
	ck_assert_int_eq(date_us("2017-01-15 23:10:00"), base + INT64_C(83400) * 1000000);
	ck_assert_int_eq(date_us("2017-01-15T23:10"), base + INT64_C(83400) * 1000000);
	ck_assert_int_eq(date_us("2017-01-15T2310"), base + INT64_C(83400) * 1000000);
	ck_assert_int_eq(date_us("2017-01-15T23"), base + INT64_C(82800) * 1000000);
	ck_assert_int_eq(date_us("2017-01-15T18:00:00-05:00"), base + INT64_C(82800) * 1000000);
	ck_assert_int_eq(date_us("2017-01-15T18:00:00-0500"), base + INT64_C(82800) * 1000000);
	ck_assert_int_eq(date_us("2017-01-16T04:30:00+05:30"), base + INT64_C(82800) * 1000000);
	ck_assert_int_eq(date_us("2017-01-16T04:00:00+05"), base + INT64_C(82800) * 1000000);
	ck_assert_int_eq(date_us("2017-01-15T00:00:00.123456789Z"), base + 123456);
	ck_assert_int_eq(date_us("2017-01-15T00:00:00,5"), base + 500000);
	ck_assert_int_eq(date_us("2017-01-15T00:00:5"), base + 5000000);
	ck_assert_int_eq(date_us("2017"), INT64_C(1483228800) * 1000000);
	ck_assert_int_eq(date_us("2017-02"), INT64_C(1485907200) * 1000000);
	ck_assert_int_eq(date_us("1969-12-31T23:59:59Z"), -1000000);
	ck_assert_int_eq(date_us("2017-01-15\n"), base);
}
END_TEST

START_TEST(dates_refused)
{
	const char *bad[] = {
	    "not-a-date", "", "None", "201701", "17-01-15", "2017-13-01", "2017-02-29",
	    "2017-01-15T24:00:00Z", "2017-01-15T23:60:00Z", "2017-01-15T23:59:60Z",
	    "2017-01-15T23:59:59ZZ", "2017-01-15T23:59:59+24:00", "2017-01-15X", "0000-01-01",
	    "2017-01-15T", "2017-01-15T23:59:59.", "2017-01-15T1", " 2017-01-15", "2017-01-15 ",
	    "2017-01-15T23:10:00Z\n\n",
	};
	int64_t us;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(ts_date_parse(bad[i], &us) == RELAYD_EINVAL, "accepted: '%s'", bad[i]);
	ck_assert_int_eq(ts_date_parse(NULL, &us), RELAYD_EINVAL);
}
END_TEST

/* A fake bucket with the two keys date_range_cases.tsv names, listed by prefix. */
static const char *stored[] = {
    "webhooks/2017/01/15/23/10/587c0159a907346eccb84004",
    "webhooks/2017/01/15/23/19/587c036efc22b55ac0b72837",
};

static void range_ids(const char *start, const char *end, char *out, size_t out_size)
{
	struct ts_prefix_list pl;
	int64_t s = date_us(start), e = date_us(end);
	ck_assert_int_eq(ts_range_prefixes("", s, e, &pl), RELAYD_OK);
	out[0] = '\0';
	for (size_t k = 0; k < sizeof(stored) / sizeof(stored[0]); k++) {
		bool listed = false;
		for (size_t i = 0; i < pl.n; i++)
			listed = listed || strncmp(stored[k], pl.items[i], strlen(pl.items[i])) == 0;
		int64_t minute;
		char id[TS_ID_LEN + 1];
		ck_assert_int_eq(ts_key_parse_webhook("", stored[k], &minute, id), RELAYD_OK);
		bool in = ts_range_contains(s, e, minute);
		/* every key in range lies under a listed prefix */
		ck_assert_msg(!in || listed, "%s in range but not listed", stored[k]);
		if (in && listed) {
			if (out[0])
				strncat(out, ",", out_size - strlen(out) - 1);
			strncat(out, id, out_size - strlen(out) - 1);
		}
	}
	ts_prefix_list_clear(&pl);
}

START_TEST(range_cases_match_fixture)
{
	char *data = ts_fixture("date_range_cases.tsv", NULL);
	char *save = NULL;
	int rows = 0;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		char *f[4];
		ck_assert_uint_eq(split_tabs(line, f, 4), 4);
		char got[128];
		range_ids(f[0], f[1], got, sizeof(got));
		ck_assert_msg(strcmp(got, f[2]) == 0, "%s..%s: got '%s', want '%s' (%s)", f[0], f[1], got,
		              f[2], f[3]);
		rows++;
	}
	ck_assert_int_eq(rows, 6);
	free(data);
}
END_TEST

static void expect_prefixes(const char *pfx, const char *start, const char *end,
                            const char *const *want, size_t n)
{
	struct ts_prefix_list pl;
	ck_assert_int_eq(ts_range_prefixes(pfx, date_us(start), date_us(end), &pl), RELAYD_OK);
	ck_assert_msg(pl.n == n, "%s..%s: %zu prefixes, want %zu (first %s)", start, end, pl.n, n,
	              pl.n ? pl.items[0] : "-");
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(pl.items[i], want[i]);
	ts_prefix_list_clear(&pl);
}

START_TEST(range_prefixes_are_minimal)
{
	const char *day[] = {"webhooks/2017/01/15/"};
	expect_prefixes("", "2017-01-15T00:00:00Z", "2017-01-16T00:00:00Z", day, 1);
	const char *hour[] = {"webhooks/2017/01/15/23/"};
	expect_prefixes("", "2017-01-15T23:09:59Z", "2017-01-15T23:19:00Z", hour, 1);
	const char *two_hours[] = {"webhooks/2017/01/15/22/", "webhooks/2017/01/15/23/"};
	expect_prefixes("", "2017-01-15T22:30:00Z", "2017-01-15T23:30:00Z", two_hours, 2);
	/* start on a minute boundary excludes that minute; end excludes its own */
	const char *one[] = {"webhooks/2017/01/15/23/"};
	expect_prefixes("", "2017-01-15T22:59:00Z", "2017-01-16T00:00:00Z", one, 1);
	const char *mixed[] = {
	    "webhooks/2016/12/31/22/", "webhooks/2016/12/31/23/", "webhooks/2017/",
	    "webhooks/2018/01/",       "webhooks/2018/02/01/00/",
	};
	expect_prefixes("", "2016-12-31T22:30:00Z", "2018-02-01T01:00:00Z", mixed, 5);
	const char *prefixed[] = {"a/b/webhooks/2017/01/15/"};
	expect_prefixes("a/b", "2017-01-14T23:59:00Z", "2017-01-16T00:00:00Z", prefixed, 1);
	const char *month_days[] = {"webhooks/2017/02/27/", "webhooks/2017/02/28/", "webhooks/2017/03/"};
	expect_prefixes("", "2017-02-26T23:59:00Z", "2017-04-01T00:00:00Z", month_days, 3);
	expect_prefixes("", "2017-01-15T23:10:00Z", "2017-01-15T23:10:00Z", NULL, 0);
	expect_prefixes("", "2017-01-15T23:10:00Z", "2017-01-15T23:11:00Z", NULL, 0);
	expect_prefixes("", "2018-01-01", "2017-01-01", NULL, 0);
	expect_prefixes("", "1900-01-01", "1970-01-01", NULL, 0);
	const char *root[] = {"webhooks/"};
	expect_prefixes("", "1970-01-01", "9999-12-31T23:59:59Z", root, 1);
	const char *epoch[] = {"webhooks/1970/01/01/00/"};
	expect_prefixes("", "1900-01-01", "1970-01-01T00:30:00Z", epoch, 1);
}
END_TEST

START_TEST(civil_round_trip)
{
	for (int64_t d = -800000; d <= 3000000; d += 997) {
		int64_t y;
		unsigned m, dd;
		ts_civil_from_days(d, &y, &m, &dd);
		ck_assert_int_eq(ts_days_from_civil(y, m, dd), d);
	}
	ck_assert_int_eq(ts_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(ts_days_from_civil(2000, 3, 1), 11017);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts_keys");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, keys_match_fixture);
	tcase_add_test(tc, ids);
	tcase_add_test(tc, prefix_normalise);
	tcase_add_test(tc, key_bounds);
	tcase_add_test(tc, parse_webhook_key_rejects);
	tcase_add_test(tc, dates_accepted);
	tcase_add_test(tc, dates_refused);
	tcase_add_test(tc, range_cases_match_fixture);
	tcase_add_test(tc, range_prefixes_are_minimal);
	tcase_add_test(tc, civil_round_trip);
	suite_add_tcase(s, tc);
	return s;
}

TS_RUN_SUITE(suite)
