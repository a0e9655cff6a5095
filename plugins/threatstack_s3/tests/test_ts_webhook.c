/* SPDX-License-Identifier: MIT */
/* Tests for ts_webhook: every webhook fixture, with the exact status and error text. */
#include "ts_webhook.h"

#include <relayd/status.h>

#include "ts_envelope.h"
#include "ts_test_util.h"

static struct ts_webhook *parse_ok(const char *body, size_t len)
{
	struct ts_webhook *wh = NULL;
	struct ts_webhook_error err = {0};
	int rc = ts_webhook_parse(body, len, &wh, &err);
	ck_assert_msg(rc == RELAYD_OK, "rc %d: %s", rc, err.message ? err.message : "");
	ck_assert_ptr_null(err.message);
	return wh;
}

static struct ts_webhook *parse_fixture_ok(const char *name)
{
	size_t len;
	char *body = ts_fixture(name, &len);
	struct ts_webhook *wh = parse_ok(body, len);
	free(body);
	return wh;
}

static void expect_error(const char *body, const char *want)
{
	struct ts_webhook *wh = (struct ts_webhook *)0x1;
	struct ts_webhook_error err = {0};
	ck_assert_int_eq(ts_webhook_parse(body, strlen(body), &wh, &err), RELAYD_EINVAL);
	ck_assert_ptr_null(wh);
	ck_assert_str_eq(err.message, want);
	ts_webhook_error_clear(&err);
}

static void expect_fixture_error(const char *name, const char *want)
{
	char *body = ts_fixture(name, NULL);
	expect_error(body, want);
	free(body);
}

START_TEST(single)
{
	struct ts_webhook *wh = parse_fixture_ok("webhook_single.json");
	ck_assert_uint_eq(wh->n, 1);
	ck_assert_str_eq(wh->alerts[0].id, "587c0159a907346eccb84004");
	ck_assert_int_eq(wh->alerts[0].created_at_ms, 1484521817000LL);
	char *dump = ts_json_dump(wh->alerts[0].object);
	/* the stored webhook object: the alert element in json.dumps' layout */
	ck_assert_str_eq(dump, "{\"id\": \"587c0159a907346eccb84004\", \"title\": \"Netcat Detected!\", "
	                       "\"created_at\": 1484521817000, \"severity\": 1, \"organization_id\": "
	                       "\"545d0293b620cd090d000023\", \"server_or_region\": "
	                       "\"Threat_Stack_Demo_Ubuntu1\", \"source\": \"Host\"}");
	free(dump);
	ts_webhook_free(wh);
}
END_TEST

START_TEST(multi)
{
	struct ts_webhook *wh = parse_fixture_ok("webhook_multi.json");
	ck_assert_uint_eq(wh->n, 2);
	ck_assert_str_eq(wh->alerts[0].id, "587c0159a907346eccb84004");
	ck_assert_str_eq(wh->alerts[1].id, "587c036efc22b55ac0b72837");
	ck_assert_int_eq(wh->alerts[1].created_at_ms, 1484522350000LL);
	ck_assert_str_eq(json_string_value(json_object_get(wh->alerts[1].object, "source")),
	                 "CloudTrail");
	ts_webhook_free(wh);
}
END_TEST

START_TEST(string_numbers_are_accepted)
{
	struct ts_webhook *wh = parse_fixture_ok("webhook_string_numbers_wrapped.json");
	ck_assert_uint_eq(wh->n, 1);
	ck_assert_str_eq(wh->alerts[0].id, "56fd65138c1e0c173af5a3de");
	ck_assert_int_eq(wh->alerts[0].created_at_ms, 1459447024000LL);
	/* stored as received: the string stays a string */
	ck_assert(json_is_string(json_object_get(wh->alerts[0].object, "severity")));
	ts_webhook_free(wh);
}
END_TEST

START_TEST(flat_vendor_variant_is_one_alert)
{
	struct ts_webhook *wh = parse_fixture_ok("webhook_flat_vendor_doc_variant.json");
	ck_assert_uint_eq(wh->n, 1);
	ck_assert_str_eq(wh->alerts[0].id, "56fd65138c1e0c173af5a3de");
	ck_assert_int_eq(wh->alerts[0].created_at_ms, 1459447024000LL);
	ck_assert_ptr_eq(wh->alerts[0].object, wh->root);
	ts_webhook_free(wh);
}
END_TEST

START_TEST(reference_errors)
{
	expect_fixture_error("webhook_invalid_no_alerts_key.json",
	                     "Webhook lacks alerts: {'something': 'else'}");
	expect_fixture_error("webhook_invalid_empty_alerts.json", "Webhook lacks alerts: {'alerts': []}");
	expect_fixture_error("webhook_invalid_alert_missing_id.json",
	                     "alert lacks 'id' field: {'alerts': [{'title': 'no id here', "
	                     "'created_at': 1484521817000, 'severity': 2}]}");
	expect_fixture_error("webhook_invalid_alert_missing_created_at.json",
	                     "alert lacks 'created_at' field: {'alerts': [{'id': "
	                     "'587c0159a907346eccb84004', 'title': 'no created_at', 'severity': 2}]}");
	expect_fixture_error("webhook_invalid_second_alert_missing_created_at.json",
	                     "alert lacks 'created_at' field: {'alerts': [{'id': "
	                     "'587c0159a907346eccb84004', 'created_at': 1484521817000}, {'id': "
	                     "'587c036efc22b55ac0b72837'}]}");
	expect_error("null", "No webhook data found in request: None");
}
END_TEST

START_TEST(lacks_alerts_envelope_matches_fixture)
{
	struct ts_webhook *wh = NULL;
	struct ts_webhook_error err = {0};
	char *body = ts_fixture("webhook_invalid_no_alerts_key.json", NULL);
	ck_assert_int_eq(ts_webhook_parse(body, strlen(body), &wh, &err), RELAYD_EINVAL);
	json_t *want = ts_fixture_json("expected_response_error_400_webhook_lacks_alerts.json");
	ts_assert_json_eq(ts_envelope_error1(TS_ERR_WEBHOOK, err.message), want);
	json_decref(want);
	ts_webhook_error_clear(&err);
	free(body);
}
END_TEST

START_TEST(not_json)
{
	struct ts_webhook *wh = NULL;
	struct ts_webhook_error err = {0};
	size_t len;
	char *body = ts_fixture("webhook_invalid_not_json.txt", &len);
	ck_assert_int_eq(ts_webhook_parse(body, len, &wh, &err), RELAYD_EINVAL);
	ck_assert_str_eq(err.message, "Failed to decode JSON object: invalid token near 'this'");
	ts_webhook_error_clear(&err);
	free(body);
	ck_assert_int_eq(ts_webhook_parse("", 0, &wh, &err), RELAYD_EINVAL);
	ck_assert_str_eq(err.message, "Failed to decode JSON object: unexpected token near end of file");
	ts_webhook_error_clear(&err);
	ck_assert_int_eq(ts_webhook_parse(NULL, 0, &wh, &err), RELAYD_EINVAL);
	ts_webhook_error_clear(&err);
}
END_TEST

START_TEST(not_an_object)
{
	expect_error("[1, 2]", "Webhook lacks alerts: [1, 2]");
	expect_error("\"x\"", "Webhook lacks alerts: 'x'");
	expect_error("{\"alerts\": 5}", "Webhook lacks alerts: {'alerts': 5}");
	expect_error("{\"alerts\": {\"id\": 1}}", "Webhook lacks alerts: {'alerts': {'id': 1}}");
	expect_error("{\"alerts\": [5]}", "alert lacks 'id' field: {'alerts': [5]}");
}
END_TEST

START_TEST(ids_are_validated)
{
	expect_error("{\"alerts\": [{\"id\": \"../../etc/passwd\", \"created_at\": 1}]}",
	             "alert has invalid 'id' field: {'alerts': [{'id': '../../etc/passwd', "
	             "'created_at': 1}]}");
	expect_error("{\"alerts\": [{\"id\": \"587C0159A907346ECCB84004\", \"created_at\": 1}]}",
	             "alert has invalid 'id' field: {'alerts': [{'id': '587C0159A907346ECCB84004', "
	             "'created_at': 1}]}");
	expect_error("{\"alerts\": [{\"id\": 12345, \"created_at\": 1}]}",
	             "alert has invalid 'id' field: {'alerts': [{'id': 12345, 'created_at': 1}]}");
	expect_error("{\"alerts\": [{\"id\": \"\", \"created_at\": 1}]}",
	             "alert lacks 'id' field: {'alerts': [{'id': '', 'created_at': 1}]}");
}
END_TEST

START_TEST(created_at_forms)
{
	const char *id = "587c0159a907346eccb84004";
	char body[256];
	struct {
		const char *value;
		long long want; /* -1: invalid, 0: lacks */
	} cases[] = {
	    {"1484521817000", 1484521817000LL},   {"\"1484521817000\"", 1484521817000LL},
	    {"1484521817000.0", 1484521817000LL}, {"0", 0},
	    {"\"\"", 0},                          {"null", 0},
	    {"false", 0},                         {"-5", -1},
	    {"1.5", -1},                          {"\"12a\"", -1},
	    {"\" 12\"", -1},                      {"\"-12\"", -1},
	    {"true", -1},                         {"253402300800000", -1},
	    {"253402300799999", 253402300799999LL}, {"[1]", -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(body, sizeof(body), "{\"alerts\": [{\"id\": \"%s\", \"created_at\": %s}]}", id,
		         cases[i].value);
		struct ts_webhook *wh = NULL;
		struct ts_webhook_error err = {0};
		int rc = ts_webhook_parse(body, strlen(body), &wh, &err);
		if (cases[i].want > 0) {
			ck_assert_msg(rc == RELAYD_OK, "%s: %s", cases[i].value, err.message);
			ck_assert_int_eq(wh->alerts[0].created_at_ms, cases[i].want);
			ts_webhook_free(wh);
		} else {
			ck_assert_msg(rc == RELAYD_EINVAL, "%s accepted", cases[i].value);
			const char *prefix = cases[i].want == 0 ? "alert lacks 'created_at' field: "
			                                        : "alert has invalid 'created_at' field: ";
			ck_assert_msg(strncmp(err.message, prefix, strlen(prefix)) == 0, "%s: %s",
			              cases[i].value, err.message);
			ts_webhook_error_clear(&err);
		}
	}
}
END_TEST

START_TEST(duplicate_keys_last_wins)
{
	const char *body = "{\"alerts\": [{\"id\": \"x\", \"id\": \"587c0159a907346eccb84004\", "
	                   "\"created_at\": 1}]}";
	struct ts_webhook *wh = parse_ok(body, strlen(body));
	ck_assert_str_eq(wh->alerts[0].id, "587c0159a907346eccb84004");
	ts_webhook_free(wh);
}
END_TEST

START_TEST(json_int_field)
{
	int64_t v;
	json_t *j = json_string("3");
	ck_assert_int_eq(ts_json_int_field(j, &v), RELAYD_OK);
	ck_assert_int_eq(v, 3);
	json_decref(j);
	j = json_string("1234567890123456789");
	ck_assert_int_eq(ts_json_int_field(j, &v), RELAYD_EINVAL);
	json_decref(j);
	j = json_real(1e300);
	ck_assert_int_eq(ts_json_int_field(j, &v), RELAYD_EINVAL);
	json_decref(j);
}
END_TEST

START_TEST(dump_is_ascii_like_python)
{
	json_t *v = json_pack("{s:s,s:[i,b]}", "t", "caf\xc3\xa9", "a", 1, 0);
	char *s = ts_json_dump(v);
	ck_assert_str_eq(s, "{\"t\": \"caf\\u00E9\", \"a\": [1, false]}");
	free(s);
	json_decref(v);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts_webhook");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, single);
	tcase_add_test(tc, multi);
	tcase_add_test(tc, string_numbers_are_accepted);
	tcase_add_test(tc, flat_vendor_variant_is_one_alert);
	tcase_add_test(tc, reference_errors);
	tcase_add_test(tc, lacks_alerts_envelope_matches_fixture);
	tcase_add_test(tc, not_json);
	tcase_add_test(tc, not_an_object);
	tcase_add_test(tc, ids_are_validated);
	tcase_add_test(tc, created_at_forms);
	tcase_add_test(tc, duplicate_keys_last_wins);
	tcase_add_test(tc, json_int_field);
	tcase_add_test(tc, dump_is_ascii_like_python);
	suite_add_tcase(s, tc);
	return s;
}

TS_RUN_SUITE(suite)
