/* SPDX-License-Identifier: MIT */
/* Unit tests for observables.c: exact validation messages (fixtures) and the input policy. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "observables.h"

static const char *const pulsedive_types[] = {"ip", "ipv6", "domain", "url", NULL};

static const struct relayd_relay_policy pulsedive_policy = {
	.type_case = RELAYD_TYPE_FOLD, .dedup = RELAYD_DEDUP_VALUE,
	.payload_style = RELAYD_PAYLOAD_PYTHON,
};
static const struct relayd_relay_policy spycloud_policy = {
	.type_case = RELAYD_TYPE_FOLD, .dedup = RELAYD_DEDUP_PAIR,
	.payload_style = RELAYD_PAYLOAD_JSON,
};
static const struct relayd_relay_policy gigamon_policy = {
	.type_case = RELAYD_TYPE_EXACT, .dedup = RELAYD_DEDUP_PAIR,
	.payload_style = RELAYD_PAYLOAD_JSON,
	.invalid_payload_code = "invalid payload received",
};

/* ---- helpers ------------------------------------------------------------ */

static json_t *load_fixture(const char *rel)
{
	const char *dir = getenv("FIXTURES_DIR");
	ck_assert_msg(dir != NULL, "FIXTURES_DIR is not set");
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	ck_assert_msg(j != NULL, "cannot load %s: %s", path, err.text);
	return j;
}

/* Parses body text; returns the message (caller frees) or NULL on success. */
static char *parse_message(const char *body, enum relayd_payload_style style)
{
	struct observables_list l;
	char *msg = (char *)1;
	int rc = observables_parse(body, strlen(body), style, &l, &msg);
	if (rc == RELAYD_OK) {
		ck_assert_ptr_null(msg);
		observables_list_free(&l);
		return NULL;
	}
	ck_assert_int_eq(rc, RELAYD_EINVAL);
	ck_assert_ptr_null(l.items);
	ck_assert_uint_eq(l.count, 0);
	ck_assert_ptr_nonnull(msg);
	return msg;
}

static void assert_message(const char *body, enum relayd_payload_style style, const char *want)
{
	char *msg = parse_message(body, style);
	ck_assert_msg(msg != NULL, "body %s was accepted", body);
	ck_assert_str_eq(msg, want);
	free(msg);
}

static void assert_py(const char *body, const char *dict)
{
	char want[4096];
	snprintf(want, sizeof(want), OBSERVABLES_MESSAGE_PREFIX "%s", dict);
	assert_message(body, RELAYD_PAYLOAD_PYTHON, want);
}

static void assert_js(const char *body, const char *dict)
{
	char want[4096];
	snprintf(want, sizeof(want), OBSERVABLES_MESSAGE_PREFIX "%s.", dict);
	assert_message(body, RELAYD_PAYLOAD_JSON, want);
}

static struct observables_list parse_ok(const char *body, size_t len)
{
	struct observables_list l;
	char *msg = NULL;
	int rc = observables_parse(body, len, RELAYD_PAYLOAD_PYTHON, &l, &msg);
	ck_assert_msg(rc == RELAYD_OK, "rejected: %s", msg ? msg : "(no message)");
	ck_assert_ptr_null(msg);
	return l;
}

/* "type:value|type:value" rendering of a list, for compact assertions. */
static void render(const struct observables_list *l, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < l->count; i++) {
		int n = snprintf(buf + used, cap - used, "%s%s:%s", i ? "|" : "", l->items[i].type,
		                 l->items[i].value);
		ck_assert(n > 0 && (size_t)n < cap - used);
		used += (size_t)n;
	}
}

static void assert_filtered(const char *body, const struct relayd_relay_policy *p,
                            const char *const *types, const char *want)
{
	struct observables_list in = parse_ok(body, strlen(body)), out;
	ck_assert_int_eq(observables_filter(&in, p, types, NULL, NULL, &out), RELAYD_OK);
	char got[4096];
	render(&out, got, sizeof(got));
	ck_assert_str_eq(got, want);
	observables_list_free(&out);
	observables_list_free(&in);
}

/* Runs one fixture row through parse + filter as the relay routes would and
 * compares with the row's expected body: either the errors message or an
 * empty result (nothing supported). */
static void check_row(const json_t *row, const json_t *expected_body, const char *label,
                      const struct relayd_relay_policy *policy, const char *const *types)
{
	const json_t *req = json_object_get(row, "request_body");
	char *body = json_is_string(req) ? strdup(json_string_value(req))
	                                 : json_dumps(req, JSON_COMPACT | JSON_ENCODE_ANY);
	ck_assert_ptr_nonnull(body);

	struct observables_list l;
	char *msg = NULL;
	int rc = observables_parse(body, strlen(body), policy->payload_style, &l, &msg);
	const json_t *errors = json_object_get(expected_body, "errors");
	if (errors) {
		const json_t *e0 = json_array_get(errors, 0);
		const char *code = policy->invalid_payload_code ? policy->invalid_payload_code
		                                                : "invalid argument";
		ck_assert_msg(rc == RELAYD_EINVAL, "%s: accepted", label);
		ck_assert_str_eq(code, json_string_value(json_object_get(e0, "code")));
		ck_assert_msg(strcmp(msg, json_string_value(json_object_get(e0, "message"))) == 0,
		              "%s: got %s", label, msg);
		free(msg);
	} else {
		ck_assert_msg(rc == RELAYD_OK, "%s: rejected: %s", label, msg);
		struct observables_list out;
		ck_assert_int_eq(observables_filter(&l, policy, types, NULL, NULL, &out), RELAYD_OK);
		/* Every "valid" row of these fixtures expects the empty result. */
		const json_t *data = json_object_get(expected_body, "data");
		ck_assert_msg(json_is_object(data) ? json_object_size(data) == 0
		                                   : json_array_size(data) == 0, "%s", label);
		ck_assert_uint_eq(out.count, 0);
		observables_list_free(&out);
		observables_list_free(&l);
	}
	free(body);
}

/* ---- fixtures ----------------------------------------------------------- */

START_TEST(pulsedive_input_validation_fixture_rows)
{
	json_t *rows = load_fixture("pulsedive/expected_input_validation_derived.json");
	ck_assert_uint_eq(json_array_size(rows), 22);
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		char label[256];
		snprintf(label, sizeof(label), "row %zu (%s, %s)", i,
		         json_string_value(json_object_get(row, "case")),
		         json_string_value(json_object_get(row, "request")));
		ck_assert_int_eq(json_integer_value(json_object_get(row, "http_status")), 200);
		check_row(row, json_object_get(row, "body"), label, &pulsedive_policy, pulsedive_types);
	}
	json_decref(rows);
}
END_TEST

static void check_json_style_fixture(const char *plugin, const struct relayd_relay_policy *p,
                                     const char *const *types)
{
	char rel[256];
	snprintf(rel, sizeof(rel), "%s/request_invalid_observables.json", plugin);
	json_t *req = load_fixture(rel);
	snprintf(rel, sizeof(rel), "%s/expected_error_invalid_payload.json", plugin);
	json_t *expected = load_fixture(rel);
	json_t *row = json_pack("{sO}", "request_body", req);
	check_row(row, expected, plugin, p, types);
	json_decref(row);
	json_decref(req);
	json_decref(expected);
}

START_TEST(spycloud_invalid_payload_fixture)
{
	static const char *const types[] = {"email", NULL};
	check_json_style_fixture("spycloud", &spycloud_policy, types);
}
END_TEST

START_TEST(gigamon_invalid_payload_fixture)
{
	static const char *const types[] = {"ip", "domain", "sha256", NULL};
	check_json_style_fixture("gigamon", &gigamon_policy, types);
}
END_TEST

/* ---- validation --------------------------------------------------------- */

START_TEST(empty_array_is_valid_and_empty)
{
	struct observables_list l = parse_ok(" [ ] \n", 6);
	ck_assert_uint_eq(l.count, 0);
	ck_assert_ptr_null(l.items);
	observables_list_free(&l);
}
END_TEST

START_TEST(valid_body_keeps_order_and_exact_values)
{
	const char *body = "[{\"type\":\"IP\",\"value\":\" 1.1.1.1 \"},"
	                   "{\"value\":\"caf\\u00e9.example\",\"type\":\"domain\"}]";
	struct observables_list l = parse_ok(body, strlen(body));
	ck_assert_uint_eq(l.count, 2);
	ck_assert_str_eq(l.items[0].type, "IP");
	ck_assert_str_eq(l.items[0].value, " 1.1.1.1 ");
	ck_assert_str_eq(l.items[1].type, "domain");
	ck_assert_str_eq(l.items[1].value, "caf\xc3\xa9.example");
	observables_list_free(&l);
	ck_assert_ptr_null(l.items);
	ck_assert_uint_eq(l.count, 0);
}
END_TEST

START_TEST(whole_body_schema_errors)
{
	static const char *const bodies[] = {
		"", " ", "null", "{}", "{\"type\":\"ip\",\"value\":\"1\"}", "\"[]\"", "5", "true",
		"[{", "[] x", "[1,]", "[\"\\u0000\"]", "[\"\\ud800\"]", "[99999999999999999999]",
		"[NaN]", "[1e400]", "\xef\xbb\xbf[]",
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		assert_py(bodies[i], "{'_schema': ['Invalid input type.']}");
		assert_js(bodies[i], "{\"_schema\": [\"Invalid input type.\"]}");
	}
	/* NULL body with length 0 is the empty body. */
	struct observables_list l;
	char *msg = NULL;
	ck_assert_int_eq(observables_parse(NULL, 0, RELAYD_PAYLOAD_PYTHON, &l, &msg), RELAYD_EINVAL);
	ck_assert_str_eq(msg, OBSERVABLES_MESSAGE_PREFIX "{'_schema': ['Invalid input type.']}");
	free(msg);
}
END_TEST

START_TEST(non_utf8_body_is_schema_error)
{
	assert_py("[{\"type\":\"ip\",\"value\":\"\xff\xfe\"}]", "{'_schema': ['Invalid input type.']}");
	assert_py("[{\"type\":\"ip\",\"value\":\"\xc3\x28\"}]", "{'_schema': ['Invalid input type.']}");
	/* Overlong encoding of '/' */
	assert_py("[{\"type\":\"ip\",\"value\":\"\xc0\xaf\"}]", "{'_schema': ['Invalid input type.']}");
}
END_TEST

START_TEST(field_errors_per_kind)
{
	assert_py("[{\"type\":\"ip\",\"value\":null}]", "{0: {'value': ['Field may not be null.']}}");
	assert_py("[{\"type\":\"ip\",\"value\":true}]", "{0: {'value': ['Not a valid string.']}}");
	assert_py("[{\"type\":\"ip\",\"value\":false}]", "{0: {'value': ['Not a valid string.']}}");
	assert_py("[{\"type\":\"ip\",\"value\":1.5}]", "{0: {'value': ['Not a valid string.']}}");
	assert_py("[{\"type\":\"ip\",\"value\":[]}]", "{0: {'value': ['Not a valid string.']}}");
	assert_py("[{\"type\":\"ip\",\"value\":{}}]", "{0: {'value': ['Not a valid string.']}}");
	assert_py("[{\"type\":\"\",\"value\":\"x\"}]", "{0: {'type': ['Field may not be blank.']}}");
	assert_py("[{\"type\":\"ip\"}]", "{0: {'value': ['Missing data for required field.']}}");
	assert_py("[{}]", "{0: {'type': ['Missing data for required field.'], "
	                  "'value': ['Missing data for required field.']}}");
	assert_py("[null]", "{0: {'_schema': ['Invalid input type.']}}");
	assert_py("[[]]", "{0: {'_schema': ['Invalid input type.']}}");
	assert_py("[7]", "{0: {'_schema': ['Invalid input type.']}}");
	/* Whitespace is not blank: only "" is. */
	char *msg = parse_message("[{\"type\":\" \",\"value\":\" \"}]", RELAYD_PAYLOAD_PYTHON);
	ck_assert_ptr_null(msg);
}
END_TEST

START_TEST(several_problems_in_marshmallow_order)
{
	const char *body = "[{\"value\":\"\",\"x\":1,\"type\":5,\"a\":null},"
	                   "\"s\",{\"type\":\"ip\",\"value\":\"1\"},{},"
	                   "{\"type\":\"ip\",\"value\":\"1\",\"z\":0,\"b\":0}]";
	assert_py(body, "{0: {'type': ['Not a valid string.'], 'value': ['Field may not be blank.'], "
	                "'x': ['Unknown field.'], 'a': ['Unknown field.']}, "
	                "1: {'_schema': ['Invalid input type.']}, "
	                "3: {'type': ['Missing data for required field.'], "
	                "'value': ['Missing data for required field.']}, "
	                "4: {'z': ['Unknown field.'], 'b': ['Unknown field.']}}");
	assert_js(body, "{\"0\": {\"type\": [\"Not a valid string.\"], "
	                "\"value\": [\"Field may not be blank.\"], "
	                "\"x\": [\"Unknown field.\"], \"a\": [\"Unknown field.\"]}, "
	                "\"1\": {\"_schema\": [\"Invalid input type.\"]}, "
	                "\"3\": {\"type\": [\"Missing data for required field.\"], "
	                "\"value\": [\"Missing data for required field.\"]}, "
	                "\"4\": {\"z\": [\"Unknown field.\"], \"b\": [\"Unknown field.\"]}}");
}
END_TEST

START_TEST(duplicate_keys_last_value_wins)
{
	/* Python's json keeps the last value of a repeated key; so does jansson. */
	const char *body = "[{\"type\":\"ip\",\"value\":\"\",\"value\":\"2.2.2.2\"}]";
	struct observables_list l = parse_ok(body, strlen(body));
	ck_assert_str_eq(l.items[0].value, "2.2.2.2");
	observables_list_free(&l);
	assert_py("[{\"type\":\"ip\",\"value\":\"2\",\"value\":\"\"}]",
	          "{0: {'value': ['Field may not be blank.']}}");
}
END_TEST

START_TEST(unknown_key_names_are_quoted_like_python)
{
	assert_py("[{\"type\":\"ip\",\"value\":\"1\",\"it's\":1}]", "{0: {\"it's\": ['Unknown field.']}}");
	assert_py("[{\"type\":\"ip\",\"value\":\"1\",\"a\\\"b'c\":1}]",
	          "{0: {'a\"b\\'c': ['Unknown field.']}}");
	assert_py("[{\"type\":\"ip\",\"value\":\"1\",\"q\\\"\":1}]", "{0: {'q\"': ['Unknown field.']}}");
	assert_py("[{\"type\":\"ip\",\"value\":\"1\",\"b\\\\s\\t\\n\\r\\u0001\\u007f\":1}]",
	          "{0: {'b\\\\s\\t\\n\\r\\x01\\x7f': ['Unknown field.']}}");
	/* Printable non-ASCII stays; separators, NBSP, soft hyphen, BOM, private use are escaped. */
	assert_py("[{\"type\":\"ip\",\"value\":\"1\",\"\\u00e9\\u2028\\u00a0\\u00ad\\ufeff\\ue000\\u0085\":1}]",
	          "{0: {'\xc3\xa9\\u2028\\xa0\\xad\\ufeff\\ue000\\x85': ['Unknown field.']}}");
	assert_py("[{\"type\":\"ip\",\"value\":\"1\",\"\\ud83d\\ude00\\udb80\\udc00\":1}]",
	          "{0: {'\xf0\x9f\x98\x80\\U000f0000': ['Unknown field.']}}");
	assert_py("[{\"type\":\"ip\",\"value\":\"1\",\"\":1}]", "{0: {'': ['Unknown field.']}}");
}
END_TEST

START_TEST(unknown_key_names_are_quoted_like_json_dumps)
{
	assert_js("[{\"type\":\"ip\",\"value\":\"1\",\"it's \\\"x\\\"\":1}]",
	          "{\"0\": {\"it's \\\"x\\\"\": [\"Unknown field.\"]}}");
	assert_js("[{\"type\":\"ip\",\"value\":\"1\",\"\\\\\\b\\f\\n\\r\\t\\u0001\\u007f\":1}]",
	          "{\"0\": {\"\\\\\\b\\f\\n\\r\\t\\u0001\x7f\": [\"Unknown field.\"]}}");
	assert_js("[{\"type\":\"ip\",\"value\":\"1\",\"\\u00e9\\u2028\\ud83d\\ude00\":1}]",
	          "{\"0\": {\"\\u00e9\\u2028\\ud83d\\ude00\": [\"Unknown field.\"]}}");
}
END_TEST

static char *nested(size_t depth, const char *inner)
{
	size_t il = strlen(inner);
	char *b = malloc(2 * depth + il + 1);
	ck_assert_ptr_nonnull(b);
	memset(b, '[', depth);
	memcpy(b + depth, inner, il);
	memset(b + depth + il, ']', depth);
	b[2 * depth + il] = '\0';
	return b;
}

START_TEST(deep_nesting_is_bounded)
{
	char *b = nested(10000, "");
	assert_py(b, "{'_schema': ['Invalid input type.']}");
	free(b);
	b = nested(100000, "{\"type\":\"ip\",\"value\":\"1\"}");
	assert_py(b, "{'_schema': ['Invalid input type.']}");
	free(b);
	/* Within jansson's 2048 levels: parsed; the element is not an object. */
	b = nested(2000, "");
	assert_py(b, "{0: {'_schema': ['Invalid input type.']}}");
	free(b);
	/* Deep objects under a valid key are still "not a string". */
	char *deep = nested(1500, "");
	size_t n = strlen(deep) + 64;
	char *body = malloc(n);
	snprintf(body, n, "[{\"type\":\"ip\",\"value\":%s}]", deep);
	assert_py(body, "{0: {'value': ['Not a valid string.']}}");
	free(body);
	free(deep);
}
END_TEST

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A 10 MB valid body: parse + filter must be linear. Prints the time (no
 * timing assertion); all entries share 1000 values to exercise dedup. */
START_TEST(ten_megabyte_body)
{
	size_t cap = 11u << 20, used = 0, n = 0;
	char *b = malloc(cap);
	ck_assert_ptr_nonnull(b);
	b[used++] = '[';
	while (used < (10u << 20)) {
		int w = snprintf(b + used, cap - used, "%s{\"type\":\"%s\",\"value\":\"10.0.%zu.%zu\"}",
		                 n ? "," : "", (n % 3) ? "IP" : "domain", (n / 100) % 10, n % 100);
		ck_assert(w > 0 && (size_t)w < cap - used);
		used += (size_t)w;
		n++;
	}
	b[used++] = ']';
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct observables_list l = parse_ok(b, used), out;
	double parse_s = seconds_since(&t0);
	ck_assert_uint_eq(l.count, n);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(observables_filter(&l, &pulsedive_policy, pulsedive_types, NULL, NULL, &out),
	                 RELAYD_OK);
	double filter_s = seconds_since(&t0);
	ck_assert_uint_eq(out.count, 1000);
	ck_assert_str_eq(out.items[0].value, "10.0.0.0");
	printf("ten_megabyte_body: %zu elements, %zu bytes: parse %.3f s, filter %.3f s\n", n, used,
	       parse_s, filter_s);
	observables_list_free(&out);
	observables_list_free(&l);
	free(b);
}
END_TEST

START_TEST(message_is_capped_for_huge_invalid_bodies)
{
	size_t count = 200000;
	char *b = malloc(count * 2 + 2);
	ck_assert_ptr_nonnull(b);
	b[0] = '[';
	for (size_t i = 0; i < count; i++) {
		b[1 + 2 * i] = '1';
		b[2 + 2 * i] = i + 1 < count ? ',' : ']';
	}
	b[count * 2 + 1] = '\0';
	char *msg = parse_message(b, RELAYD_PAYLOAD_PYTHON);
	ck_assert_ptr_nonnull(msg);
	size_t ml = strlen(msg);
	ck_assert(ml > OBSERVABLES_MESSAGE_SOFT_MAX);
	ck_assert(ml < OBSERVABLES_MESSAGE_SOFT_MAX + 200);
	const char *head = OBSERVABLES_MESSAGE_PREFIX "{0: {'_schema': ['Invalid input type.']}, 1: ";
	ck_assert(strncmp(msg, head, strlen(head)) == 0);
	ck_assert_str_eq(msg + ml - 2, "}}");
	free(msg);
	msg = parse_message(b, RELAYD_PAYLOAD_JSON);
	ml = strlen(msg);
	ck_assert_str_eq(msg + ml - 3, "}}.");
	free(msg);
	free(b);
}
END_TEST

START_TEST(null_arguments)
{
	struct observables_list l;
	char *msg;
	ck_assert_int_eq(observables_parse("[]", 2, RELAYD_PAYLOAD_PYTHON, NULL, &msg), RELAYD_EINVAL);
	ck_assert_ptr_null(msg);
	ck_assert_int_eq(observables_parse("[]", 2, RELAYD_PAYLOAD_PYTHON, &l, NULL), RELAYD_EINVAL);
	ck_assert_int_eq(observables_filter(NULL, &pulsedive_policy, NULL, NULL, NULL, &l),
	                 RELAYD_EINVAL);
	ck_assert_uint_eq(l.count, 0);
	observables_list_free(NULL);
}
END_TEST

/* ---- policy ------------------------------------------------------------- */

static const char *const policy_types[] = {"ip", "domain", "url", NULL};
static const char *policy_body =
	"[{\"type\":\"IP\",\"value\":\"a\"},{\"type\":\"domain\",\"value\":\"b\"},"
	"{\"type\":\"sha256\",\"value\":\"a\"},{\"type\":\"DOMAIN\",\"value\":\"a\"},"
	"{\"type\":\"url\",\"value\":\"c\"},{\"type\":\"ip\",\"value\":\"b\"},"
	"{\"type\":\"ip\",\"value\":\"B\"},{\"type\":\"url\",\"value\":\"c\"}]";

START_TEST(fold_and_dedup_by_value)
{
	/* a: first seen at 0, last supported type domain; b: at 1, type ip. */
	assert_filtered(policy_body, &pulsedive_policy, policy_types,
	                "domain:a|ip:b|url:c|ip:B");
}
END_TEST

START_TEST(fold_and_dedup_by_pair)
{
	assert_filtered(policy_body, &spycloud_policy, policy_types,
	                "ip:a|domain:b|domain:a|url:c|ip:b|ip:B");
}
END_TEST

START_TEST(exact_and_dedup_by_pair)
{
	assert_filtered(policy_body, &gigamon_policy, policy_types, "domain:b|url:c|ip:b|ip:B");
}
END_TEST

START_TEST(exact_and_dedup_by_value)
{
	struct relayd_relay_policy p = {.type_case = RELAYD_TYPE_EXACT, .dedup = RELAYD_DEDUP_VALUE};
	/* b: first at 1 (domain), last type ip. */
	assert_filtered(policy_body, &p, policy_types, "ip:b|url:c|ip:B");
}
END_TEST

START_TEST(unsupported_types_dropped_and_null_types_means_any)
{
	assert_filtered("[{\"type\":\"sha256\",\"value\":\"x\"},{\"type\":\"Ip\",\"value\":\"y\"}]",
	                &pulsedive_policy, policy_types, "ip:y");
	assert_filtered("[{\"type\":\"sha256\",\"value\":\"x\"},{\"type\":\"Ip\",\"value\":\"y\"}]",
	                &pulsedive_policy, NULL, "sha256:x|ip:y");
	/* Folding is ASCII only: a non-ASCII letter never matches. */
	assert_filtered("[{\"type\":\"\\u0130p\",\"value\":\"x\"}]", &pulsedive_policy, policy_types,
	                "");
	assert_filtered("[]", &pulsedive_policy, policy_types, "");
}
END_TEST

static bool not_private(void *state, const char *type, const char *value)
{
	int *calls = state;
	(*calls)++;
	ck_assert_str_eq(type, "ip"); /* supports() sees the folded type */
	return strncmp(value, "10.", 3) != 0;
}

START_TEST(supports_callback_filters_after_type_check)
{
	const char *body = "[{\"type\":\"IP\",\"value\":\"10.0.0.1\"},{\"type\":\"md5\",\"value\":\"x\"},"
	                   "{\"type\":\"ip\",\"value\":\"8.8.8.8\"},{\"type\":\"Ip\",\"value\":\"8.8.8.8\"}]";
	struct observables_list in = parse_ok(body, strlen(body)), out;
	int calls = 0;
	ck_assert_int_eq(observables_filter(&in, &pulsedive_policy, policy_types, not_private, &calls,
	                                    &out), RELAYD_OK);
	ck_assert_int_eq(calls, 3);
	ck_assert_uint_eq(out.count, 1);
	ck_assert_str_eq(out.items[0].type, "ip");
	ck_assert_str_eq(out.items[0].value, "8.8.8.8");
	observables_list_free(&out);
	observables_list_free(&in);
}
END_TEST

START_TEST(values_are_case_sensitive_and_exact)
{
	assert_filtered("[{\"type\":\"domain\",\"value\":\"A.com\"},{\"type\":\"domain\",\"value\":\"a.com\"},"
	                "{\"type\":\"domain\",\"value\":\"a.com \"}]",
	                &pulsedive_policy, policy_types, "domain:A.com|domain:a.com|domain:a.com ");
}
END_TEST

/* Many distinct values: exercises table growth and collision handling. */
START_TEST(many_distinct_values)
{
	size_t n = 50000, cap = n * 48 + 16, used = 0;
	char *b = malloc(cap);
	b[used++] = '[';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(b + used, cap - used, "%s{\"type\":\"ip\",\"value\":\"v%zu\"}",
		                 i ? "," : "", i % (n / 2));
		used += (size_t)w;
	}
	b[used++] = ']';
	struct observables_list in = parse_ok(b, used), out;
	ck_assert_int_eq(observables_filter(&in, &spycloud_policy, policy_types, NULL, NULL, &out),
	                 RELAYD_OK);
	ck_assert_uint_eq(out.count, n / 2);
	for (size_t i = 0; i < out.count; i++) {
		char want[32];
		snprintf(want, sizeof(want), "v%zu", i);
		ck_assert_str_eq(out.items[i].value, want);
	}
	observables_list_free(&out);
	observables_list_free(&in);
	free(b);
}
END_TEST

static Suite *observables_suite(void)
{
	Suite *s = suite_create("observables");
	TCase *fx = tcase_create("fixtures");
	tcase_add_test(fx, pulsedive_input_validation_fixture_rows);
	tcase_add_test(fx, spycloud_invalid_payload_fixture);
	tcase_add_test(fx, gigamon_invalid_payload_fixture);
	suite_add_tcase(s, fx);

	TCase *v = tcase_create("validation");
	tcase_set_timeout(v, 120);
	tcase_add_test(v, empty_array_is_valid_and_empty);
	tcase_add_test(v, valid_body_keeps_order_and_exact_values);
	tcase_add_test(v, whole_body_schema_errors);
	tcase_add_test(v, non_utf8_body_is_schema_error);
	tcase_add_test(v, field_errors_per_kind);
	tcase_add_test(v, several_problems_in_marshmallow_order);
	tcase_add_test(v, duplicate_keys_last_value_wins);
	tcase_add_test(v, unknown_key_names_are_quoted_like_python);
	tcase_add_test(v, unknown_key_names_are_quoted_like_json_dumps);
	tcase_add_test(v, deep_nesting_is_bounded);
	tcase_add_test(v, ten_megabyte_body);
	tcase_add_test(v, message_is_capped_for_huge_invalid_bodies);
	tcase_add_test(v, null_arguments);
	suite_add_tcase(s, v);

	TCase *p = tcase_create("policy");
	tcase_set_timeout(p, 60);
	tcase_add_test(p, fold_and_dedup_by_value);
	tcase_add_test(p, fold_and_dedup_by_pair);
	tcase_add_test(p, exact_and_dedup_by_pair);
	tcase_add_test(p, exact_and_dedup_by_value);
	tcase_add_test(p, unsupported_types_dropped_and_null_types_means_any);
	tcase_add_test(p, supports_callback_filters_after_type_check);
	tcase_add_test(p, values_are_case_sensitive_and_exact);
	tcase_add_test(p, many_distinct_values);
	suite_add_tcase(s, p);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(observables_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
