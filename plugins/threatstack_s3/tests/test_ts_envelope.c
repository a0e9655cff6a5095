/* SPDX-License-Identifier: MIT */
/* Tests for ts_envelope: the reference's envelopes and Python-style value rendering. */
#include "ts_envelope.h"

#include "ts_test_util.h"

static void check_repr(const char *json, const char *want)
{
	json_t *v = json_loads(json, JSON_DECODE_ANY, NULL);
	ck_assert_ptr_nonnull(v);
	char *got = ts_pyrepr(v, TS_REPR_MAX);
	ck_assert_str_eq(got, want);
	free(got);
	json_decref(v);
}

START_TEST(envelopes_match_fixtures)
{
	json_t *want = ts_fixture_json("expected_response_post_ok.json");
	ts_assert_json_eq(ts_envelope_ok(), want);
	json_decref(want);

	want = ts_fixture_json("expected_response_error_500_unexpected.json");
	ts_assert_json_eq(ts_envelope_unexpected(), want);
	json_decref(want);

	want = ts_fixture_json("expected_response_error_400_date_parse.json");
	ts_assert_json_eq(ts_envelope_error1(TS_ERR_DATE, "Unable to parse date: not-a-date"), want);
	json_decref(want);

	want = ts_fixture_json("expected_response_error_500_s3_nosuchkey.json");
	ts_assert_json_eq(ts_envelope_error1(TS_ERR_S3, "An error occurred (NoSuchKey) when calling the "
	                                                "GetObject operation: The specified key does not exist."),
	                  want);
	json_decref(want);
}
END_TEST

START_TEST(error_message_is_a_list)
{
	const char *msgs[3] = {"Unauthorized", "401", "{'error': 'bad'}"};
	json_t *env = ts_envelope_error(TS_ERR_TS_API, msgs, 3);
	char *s = json_dumps(env, JSON_SORT_KEYS | JSON_COMPACT);
	ck_assert_str_eq(s, "{\"error\":{\"message\":[\"Unauthorized\",\"401\",\"{'error': 'bad'}\"],"
	                    "\"type\":\"ThreatStackAPIError\"},\"success\":false}");
	free(s);
	json_decref(env);
}
END_TEST

START_TEST(repr_scalars_and_containers)
{
	check_repr("{\"something\": \"else\"}", "{'something': 'else'}");
	check_repr("{\"alerts\": []}", "{'alerts': []}");
	check_repr("[true, false, null, 1, -7]", "[True, False, None, 1, -7]");
	check_repr("{\"a\": {\"b\": [1, {\"c\": \"d\"}]}}", "{'a': {'b': [1, {'c': 'd'}]}}");
	check_repr("{}", "{}");
	check_repr("\"it's\"", "\"it's\"");
	check_repr("\"say \\\"hi\\\" it's\"", "'say \"hi\" it\\'s'");
	check_repr("\"tab\\there\\nback\\\\slash\"", "'tab\\there\\nback\\\\slash'");
	check_repr("\"\\u0001\\u007f\"", "'\\x01\\x7f'");
	check_repr("\"caf\\u00e9 \\u00a0\"", "'caf\xc3\xa9 \\xa0'");
	check_repr("null", "None");
}
END_TEST

START_TEST(repr_floats_like_python)
{
	check_repr("1.5", "1.5");
	check_repr("100.0", "100.0");
	check_repr("1484521817000.0", "1484521817000.0");
	check_repr("1e16", "1e+16");
	check_repr("1e15", "1000000000000000.0");
	check_repr("0.0001", "0.0001");
	check_repr("0.00001", "1e-05");
	check_repr("-2.5e-7", "-2.5e-07");
	check_repr("0.1", "0.1");
	check_repr("123456789.123", "123456789.123");
}
END_TEST

START_TEST(repr_is_truncated)
{
	json_t *v = json_string("abcdefghijklmnopqrstuvwxyz");
	char *got = ts_pyrepr(v, 10);
	ck_assert_str_eq(got, "'abcdefghi...");
	free(got);
	json_decref(v);
	/* a cut never splits a UTF-8 sequence */
	v = json_string("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9");
	got = ts_pyrepr(v, 4);
	ck_assert_str_eq(got, "'\xc3\xa9...");
	free(got);
	json_decref(v);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts_envelope");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, envelopes_match_fixtures);
	tcase_add_test(tc, error_message_is_a_list);
	tcase_add_test(tc, repr_scalars_and_containers);
	tcase_add_test(tc, repr_floats_like_python);
	tcase_add_test(tc, repr_is_truncated);
	suite_add_tcase(s, tc);
	return s;
}

TS_RUN_SUITE(suite)
