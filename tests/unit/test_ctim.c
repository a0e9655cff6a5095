/* SPDX-License-Identifier: MIT */
/* Tests for the CTIM builder (sdk/src/ctim.c): ids, times, entities, bundle, limit. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/ctim.h>

/* ---- helpers ------------------------------------------------------------ */

static json_t *load_fixture(const char *rel)
{
	const char *dir = getenv("FIXTURES_DIR");
	char path[1024];
	json_error_t e;

	ck_assert_msg(dir != NULL, "FIXTURES_DIR is not set");
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	json_t *j = json_load_file(path, 0, &e);
	ck_assert_msg(j != NULL, "%s: %s (line %d)", path, e.text, e.line);
	return j;
}

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	ck_assert_msg(j != NULL, "bad test JSON: %s at %d:%d", e.text, e.line, e.column);
	return j;
}

/* Asserts equality and shows both sides (keys sorted) when they differ. */
static void assert_json_eq(const json_t *got, const json_t *want)
{
	if (json_equal(got, want))
		return;
	char *g = json_dumps(got, JSON_SORT_KEYS | JSON_COMPACT);
	char *w = json_dumps(want, JSON_SORT_KEYS | JSON_COMPACT);
	fprintf(stderr, "got:  %s\nwant: %s\n", g ? g : "(null)", w ? w : "(null)");
	free(g);
	free(w);
	ck_abort_msg("JSON differs (see stderr)");
}

static int64_t t(const char *text)
{
	int64_t us = 0;
	ck_assert_msg(ctim_time_parse(text, &us) == 0, "cannot parse '%s'", text);
	return us;
}

/* Pulsedive's "3 × 365 / 12 days" after stamp_seen: 91 days 6 hours. */
#define PD_VALIDITY_US ((int64_t)(91 * 86400 + 6 * 3600) * 1000000)

static const char *dump_compact(const json_t *j, char *buf, size_t len)
{
	char *s = json_dumps(j, JSON_COMPACT);
	snprintf(buf, len, "%s", s ? s : "(null)");
	free(s);
	return buf;
}

/* ---- ids ----------------------------------------------------------------- */

START_TEST(uuid5_vectors)
{
	static const struct { const char *ns, *name, *want; } v[] = {
		/* contracts/pulsedive.md §6 and the fixture ids */
		{ CTIM_NS_X500, "found in threat feeds", "de577757-b53c-5b49-8e8d-508420e9f63b" },
		{ CTIM_NS_X500, "registration recently updated", "0218c770-4b29-5e6b-8fa0-dc4d4d39196a" },
		{ CTIM_NS_X500, "Kraken Botnet", "8bd23440-9fd1-59b0-93c3-02895c9dfe63" },
		{ CTIM_NS_X500, "JS Crypto Miner", "b9732131-1212-5e2a-8ba2-17b15e296282" },
		{ CTIM_NS_X500, "BBcan177 DNSBL", "ffaee398-3b7a-5626-a5a5-1675e2575dd1" },
		/* contracts/spycloud.md §4.5: catalog id as text */
		{ CTIM_NS_X500, "17551", "5dc84da0-3f5f-5d29-a58f-4c735c6fe393" },
		{ CTIM_NS_X500, "17494", "16df0084-14f8-5b10-98db-79797ad8cc1d" },
		/* Python's uuid.uuid5(uuid.NAMESPACE_DNS, "python.org"), upper-case namespace */
		{ "6BA7B810-9DAD-11D1-80B4-00C04FD430C8", "python.org",
		  "886313e1-3b8a-5372-9b90-0c9aee199e5d" },
	};
	char out[CTIM_UUID_SIZE];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		ck_assert_int_eq(ctim_uuid5(out, v[i].ns, v[i].name), 0);
		ck_assert_str_eq(out, v[i].want);
	}
}
END_TEST

START_TEST(uuid5_rejects_bad_namespace)
{
	char out[CTIM_UUID_SIZE];

	ck_assert_int_eq(ctim_uuid5(out, "6ba7b814-9dad-11d1-80b4-00c04fd430c", "x"), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_uuid5(out, "6ba7b814x9dad-11d1-80b4-00c04fd430c8", "x"), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_uuid5(out, "6ba7b814-9dad-11d1-80b4-00c04fd430cg", "x"), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_uuid5(out, NULL, "x"), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_uuid5(out, CTIM_NS_X500, NULL), RELAYD_EINVAL);
}
END_TEST

static void assert_uuid4_shape(const char *u)
{
	ck_assert_uint_eq(strlen(u), 36);
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23)
			ck_assert_int_eq(u[i], '-');
		else
			ck_assert_msg(strchr("0123456789abcdef", u[i]) != NULL, "bad char in %s", u);
	}
	ck_assert_int_eq(u[14], '4');
	ck_assert_msg(strchr("89ab", u[19]) != NULL, "bad variant in %s", u);
}

START_TEST(uuid4_random_shape)
{
	char a[CTIM_UUID_SIZE], b[CTIM_UUID_SIZE];

	ck_assert_int_eq(ctim_uuid4(a), 0);
	ck_assert_int_eq(ctim_uuid4(b), 0);
	assert_uuid4_shape(a);
	assert_uuid4_shape(b);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(uuid4_sequence_counts)
{
	uint64_t n = 0;
	char out[CTIM_UUID_SIZE];

	ck_assert_int_eq(ctim_uuid4_sequence(&n, out), 0);
	ck_assert_str_eq(out, "00000000-0000-0000-0000-000000000001");
	n = 9;
	ck_assert_int_eq(ctim_uuid4_sequence(&n, out), 0);
	ck_assert_str_eq(out, "00000000-0000-0000-0000-00000000000a");
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(ctim_uuid4_sequence(NULL, out), RELAYD_EINVAL);
}
END_TEST

START_TEST(transient_ids)
{
	char id[CTIM_ID_SIZE];
	char small[20];
	uint64_t n = 0;
	struct ctim_ctx c = { .schema_version = "1.0.22", .uuid4 = ctim_uuid4_sequence,
	                      .uuid4_arg = &n };

	ck_assert_int_eq(ctim_transient_id(id, sizeof id, "sighting"), 0);
	ck_assert_int_eq(strncmp(id, "transient:sighting-", 19), 0);
	assert_uuid4_shape(id + 19);
	ck_assert_int_eq(ctim_transient_id(small, sizeof small, "sighting"), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_transient_id(id, sizeof id, ""), RELAYD_EINVAL);

	ck_assert_int_eq(ctim_transient_id_v5(id, sizeof id, "indicator", "Kraken Botnet"), 0);
	ck_assert_str_eq(id, "transient:indicator-8bd23440-9fd1-59b0-93c3-02895c9dfe63");

	ck_assert_int_eq(ctim_new_id(&c, id, sizeof id, "relationship"), 0);
	ck_assert_str_eq(id, "transient:relationship-00000000-0000-0000-0000-000000000001");
	/* the longest CTIM type fits CTIM_ID_SIZE */
	ck_assert_uint_lt(strlen(id), CTIM_ID_SIZE);
}
END_TEST

/* ---- times ------------------------------------------------------------------ */

START_TEST(time_format_precisions)
{
	static const struct { int64_t us; enum ctim_time_precision p; const char *want; } v[] = {
		{ INT64_C(1585666056000000), CTIM_TIME_SECONDS, "2020-03-31T14:47:36Z" },
		{ INT64_C(1585666056000000), CTIM_TIME_MILLIS, "2020-03-31T14:47:36.000Z" },
		{ INT64_C(1585666056000000), CTIM_TIME_MICROS, "2020-03-31T14:47:36.000000Z" },
		{ INT64_C(1585666056123456), CTIM_TIME_SECONDS, "2020-03-31T14:47:36Z" },
		{ INT64_C(1585666056123456), CTIM_TIME_MILLIS, "2020-03-31T14:47:36.123Z" },
		{ INT64_C(1585666056123456), CTIM_TIME_MICROS, "2020-03-31T14:47:36.123456Z" },
		{ INT64_C(1585666056999999), CTIM_TIME_MILLIS, "2020-03-31T14:47:36.999Z" },
		{ 0, CTIM_TIME_SECONDS, "1970-01-01T00:00:00Z" },
		{ -1, CTIM_TIME_MICROS, "1969-12-31T23:59:59.999999Z" },
		{ -1, CTIM_TIME_SECONDS, "1969-12-31T23:59:59Z" },
		{ INT64_C(951782400000000), CTIM_TIME_SECONDS, "2000-02-29T00:00:00Z" },
		{ INT64_C(253402300799000000), CTIM_TIME_SECONDS, "9999-12-31T23:59:59Z" },
		{ INT64_C(-62167219200000000), CTIM_TIME_SECONDS, "0000-01-01T00:00:00Z" },
	};
	char out[CTIM_TIME_SIZE];

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		ck_assert_int_eq(ctim_time_format(out, sizeof out, v[i].us, v[i].p), 0);
		ck_assert_str_eq(out, v[i].want);
	}
}
END_TEST

START_TEST(time_format_rejects)
{
	char out[CTIM_TIME_SIZE];
	char small[21]; /* exactly "1970-01-01T00:00:00Z" and its NUL */

	ck_assert_int_eq(ctim_time_format(small, sizeof small, 0, CTIM_TIME_SECONDS), 0);
	ck_assert_str_eq(small, "1970-01-01T00:00:00Z");
	ck_assert_int_eq(ctim_time_format(small, 20, 0, CTIM_TIME_SECONDS), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_time_format(small, sizeof small, 0, CTIM_TIME_MILLIS), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_time_format(out, sizeof out, INT64_C(253402300800000000),
	                                  CTIM_TIME_SECONDS), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_time_format(out, sizeof out, INT64_C(-62167219200000001),
	                                  CTIM_TIME_SECONDS), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_time_format(out, sizeof out, 0, (enum ctim_time_precision)7),
	                 RELAYD_EINVAL);
}
END_TEST

START_TEST(time_parse_accepts)
{
	static const struct { const char *in; int64_t want; } v[] = {
		{ "2020-03-31 14:47:36", INT64_C(1585666056000000) },   /* pulsedive */
		{ "2020-03-31T14:47:36Z", INT64_C(1585666056000000) },
		{ "2020-03-31T14:47:36", INT64_C(1585666056000000) },
		{ "2020-03-31t14:47:36z", INT64_C(1585666056000000) },
		{ "2020-03-31T14:47:36.000Z", INT64_C(1585666056000000) },
		{ "2020-03-31T14:47:36.000000Z", INT64_C(1585666056000000) },
		{ "2020-05-04T21:42:01.961Z", INT64_C(1588628521961000) }, /* gigamon */
		{ "2020-03-31T14:47:36.1Z", INT64_C(1585666056100000) },
		{ "2020-03-31T14:47:36.123456789Z", INT64_C(1585666056123456) },
		{ "2020-03-31T16:47:36+02:00", INT64_C(1585666056000000) },
		{ "2020-03-31T16:47:36.5+0200", INT64_C(1585666056500000) },
		{ "2020-03-31T09:17:36-05:30", INT64_C(1585666056000000) },
		{ "2020-03-31T19:47:36+05", INT64_C(1585666056000000) },
		{ "2020-04-16", INT64_C(1586995200000000) },
		{ "2020-02-29 00:00:00", INT64_C(1582934400000000) },
		{ "1969-12-31T23:59:59Z", -1000000 },
		{ "1970-01-01T00:00:00Z", 0 },
	};

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		int64_t us = 42;
		ck_assert_msg(ctim_time_parse(v[i].in, &us) == 0, "rejected '%s'", v[i].in);
		ck_assert_msg(us == v[i].want, "'%s' → %lld, want %lld", v[i].in, (long long)us,
		              (long long)v[i].want);
	}
}
END_TEST

START_TEST(time_parse_rejects)
{
	static const char *const bad[] = {
		"", "2020", "2020-3-31", "2020-03-31T", "2020-03-31T14:47", "2020-13-01",
		"2020-00-10", "2020-02-30", "2019-02-29", "2020-04-31", "2020-03-00",
		"2020-03-31T24:00:00Z", "2020-03-31T14:60:00Z", "2020-03-31T14:47:60Z",
		"2020-03-31T14:47:36Zx", "2020-03-31T14:47:36.Z", "2020-03-31T14:47:36 ",
		"2020-03-31T14:47:36+2", "2020-03-31T14:47:36+24:00", "2020-03-31T14:47:36+02:60",
		"2020-03-31X14:47:36", " 2020-03-31", "2020-03-31Z", "20a0-03-31",
		"2020-03-31T14:47:36.1234567890Z",
	};
	int64_t us = 42;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(ctim_time_parse(bad[i], &us) == RELAYD_EINVAL, "accepted '%s'", bad[i]);
	ck_assert_int_eq(us, 42);
	ck_assert_int_eq(ctim_time_parse(NULL, &us), RELAYD_EINVAL);
}
END_TEST

START_TEST(time_round_trip)
{
	static const int64_t samples[] = { 0, 1, -1, INT64_C(1585666056123456),
		                           INT64_C(-86400000001), INT64_C(4102444799999999) };
	static const int64_t unit[] = { 1000000, 1000, 1 };
	char out[CTIM_TIME_SIZE];

	for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
		for (int p = CTIM_TIME_SECONDS; p <= CTIM_TIME_MICROS; p++) {
			int64_t back = 0, s = samples[i], u = unit[p];
			/* formatting truncates toward the earlier instant */
			int64_t want = (s / u - ((s % u) < 0)) * u;
			ck_assert_int_eq(ctim_time_format(out, sizeof out, s, p), 0);
			ck_assert_int_eq(ctim_time_parse(out, &back), 0);
			ck_assert_msg(back == want, "%s → %lld, want %lld", out, (long long)back,
			              (long long)want);
		}
	}
	/* the pulsedive validity window of contracts/pulsedive.md §5 */
	ck_assert_int_eq(ctim_time_format(out, sizeof out, t("2020-03-31 14:47:36") + PD_VALIDITY_US,
	                                  CTIM_TIME_SECONDS), 0);
	ck_assert_str_eq(out, "2020-06-30T20:47:36Z");
}
END_TEST

/* ---- enums and limit ---------------------------------------------------------- */

START_TEST(disposition_names)
{
	ck_assert_str_eq(ctim_disposition_name(1), "Clean");
	ck_assert_str_eq(ctim_disposition_name(2), "Malicious");
	ck_assert_str_eq(ctim_disposition_name(3), "Suspicious");
	ck_assert_str_eq(ctim_disposition_name(4), "Common");
	ck_assert_str_eq(ctim_disposition_name(5), "Unknown");
	ck_assert_ptr_null(ctim_disposition_name(0));
	ck_assert_ptr_null(ctim_disposition_name(6));
	ck_assert_ptr_null(ctim_disposition_name(-1));
}
END_TEST

START_TEST(enum_predicates)
{
	ck_assert(ctim_is_confidence("Info") && ctim_is_confidence("Unknown") &&
	          ctim_is_confidence("None"));
	ck_assert(!ctim_is_confidence("Critical") && !ctim_is_confidence("medium") &&
	          !ctim_is_confidence(NULL));
	ck_assert(ctim_is_severity("Critical") && ctim_is_severity("Medium"));
	ck_assert(!ctim_is_severity("Severe") && !ctim_is_severity(""));
	ck_assert(ctim_is_tlp("white") && ctim_is_tlp("red") && ctim_is_tlp("amber") &&
	          ctim_is_tlp("green"));
	ck_assert(!ctim_is_tlp("White") && !ctim_is_tlp("clear"));
}
END_TEST

START_TEST(entities_limit_table)
{
	static const struct { const char *claim; int clamped, unclamped; } v[] = {
		{ "3", 3, 3 },             { "\"3\"", 3, 3 },         { "2.9", 2, 2 },
		{ "true", 1, 1 },          { "false", 100, 100 },     { "null", 100, 100 },
		{ "[]", 100, 100 },        { "[3]", 100, 100 },       { "{}", 100, 100 },
		{ "\"x\"", 100, 100 },     { "\"\"", 100, 100 },      { "\"2.9\"", 100, 100 },
		{ "0", 100, 100 },         { "-1", 100, 100 },        { "\"-1\"", 100, 100 },
		{ "0.5", 100, 100 },       { "-0.5", 100, 100 },      { "5000", 1000, 5000 },
		{ "\"5000\"", 1000, 5000 }, { "1000", 1000, 1000 },   { "1001", 1000, 1001 },
		{ "\" 7 \"", 7, 7 },        { "\"+7\"", 7, 7 },        { "\"1_000\"", 1000, 1000 },
		{ "\"1__0\"", 100, 100 },   { "\"_1\"", 100, 100 },    { "\"1_\"", 100, 100 },
		{ "\"3x\"", 100, 100 },     { "1e3", 1000, 1000 },
		{ "9999999999", 1000, 2147483647 },
		{ "\"99999999999999999999\"", 1000, 2147483647 },
		{ "1e300", 1000, 2147483647 },
	};

	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		json_error_t e;
		json_t *claim = json_loads(v[i].claim, JSON_DECODE_ANY, &e);
		ck_assert_msg(claim != NULL, "bad claim %s", v[i].claim);
		ck_assert_msg(ctim_entities_limit(claim, 100, 1000) == v[i].clamped,
		              "%s clamp 1000 → %d, want %d", v[i].claim,
		              ctim_entities_limit(claim, 100, 1000), v[i].clamped);
		ck_assert_msg(ctim_entities_limit(claim, 100, 0) == v[i].unclamped,
		              "%s no clamp → %d, want %d", v[i].claim,
		              ctim_entities_limit(claim, 100, 0), v[i].unclamped);
		json_decref(claim);
	}
	/* claim missing */
	ck_assert_int_eq(ctim_entities_limit(NULL, 100, 1000), 100);
	ck_assert_int_eq(ctim_entities_limit(NULL, 50, 0), 50);
}
END_TEST

/* ---- entities vs contracts/securex-relay.md §7 --------------------------------- */

static const struct ctim_ctx pd_base = { .schema_version = "1.0.22",
	                                 .precision = CTIM_TIME_SECONDS };

START_TEST(verdict_matches_contract)
{
	json_t *obs = ctim_observable("domain", "parkingcrew.net");
	int64_t seen = t("2020-03-31 14:47:36");
	json_t *v = ctim_verdict_new(&pd_base, obs, 3, ctim_span(seen, seen + PD_VALIDITY_US));
	json_t *want = parse(
		"{\"type\": \"verdict\", \"disposition\": 3, \"disposition_name\": \"Suspicious\","
		" \"observable\": {\"type\": \"domain\", \"value\": \"parkingcrew.net\"},"
		" \"valid_time\": {\"start_time\": \"2020-03-31T14:47:36Z\","
		" \"end_time\": \"2020-06-30T20:47:36Z\"}}");

	assert_json_eq(v, want);
	ck_assert_ptr_null(ctim_verdict_new(&pd_base, obs, 0, ctim_from(seen)));
	ck_assert_ptr_null(ctim_verdict_new(&pd_base, obs, 6, ctim_from(seen)));
	json_decref(v);
	json_decref(want);
	json_decref(obs);
}
END_TEST

START_TEST(judgement_matches_contract)
{
	uint64_t n = 0;
	struct ctim_ctx c = pd_base;
	c.uuid4 = ctim_uuid4_sequence;
	c.uuid4_arg = &n;
	json_t *obs = ctim_observable("domain", "parkingcrew.net");
	int64_t seen = t("2020-03-31 14:47:36");
	struct ctim_range valid = ctim_span(seen, seen + PD_VALIDITY_US);

	json_t *j = ctim_judgement_new(&c, obs, 3, "Medium", "Medium", 85, "Pulsedive", valid);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(ctim_set_string(j, "source_uri", "https://pulsedive.com/indicator/?iid=118"), 0);
	ck_assert_int_eq(ctim_set_tlp(j, "white"), 0);
	json_t *want = parse(
		"{\"id\": \"transient:judgement-00000000-0000-0000-0000-000000000001\", \"type\": \"judgement\","
		" \"schema_version\": \"1.0.22\", \"source\": \"Pulsedive\","
		" \"source_uri\": \"https://pulsedive.com/indicator/?iid=118\","
		" \"observable\": {\"type\": \"domain\", \"value\": \"parkingcrew.net\"},"
		" \"disposition\": 3, \"disposition_name\": \"Suspicious\", \"severity\": \"Medium\","
		" \"confidence\": \"Medium\", \"priority\": 85, \"tlp\": \"white\","
		" \"valid_time\": {\"start_time\": \"2020-03-31T14:47:36Z\", \"end_time\": \"2020-06-30T20:47:36Z\"}}");
	assert_json_eq(j, want);

	/* invalid enums, priority and disposition give NULL, not a half-built entity */
	ck_assert_ptr_null(ctim_judgement_new(&c, obs, 3, "Severe", "Medium", 85, "P", valid));
	ck_assert_ptr_null(ctim_judgement_new(&c, obs, 3, "Medium", "Critical", 85, "P", valid));
	ck_assert_ptr_null(ctim_judgement_new(&c, obs, 3, "Medium", "Medium", 101, "P", valid));
	ck_assert_ptr_null(ctim_judgement_new(&c, obs, 3, "Medium", "Medium", -1, "P", valid));
	ck_assert_ptr_null(ctim_judgement_new(&c, obs, 9, "Medium", "Medium", 85, "P", valid));
	ck_assert_ptr_null(ctim_judgement_new(&c, obs, 3, "Medium", "Medium", 85, NULL, valid));
	json_decref(j);
	json_decref(want);
	json_decref(obs);
}
END_TEST

START_TEST(indicator_matches_contract)
{
	char id[CTIM_ID_SIZE];

	ck_assert_int_eq(ctim_transient_id_v5(id, sizeof id, "indicator", "Kraken Botnet"), 0);
	json_t *ind = ctim_indicator_new(&pd_base, id, "Pulsedive", ctim_from(t("2019-01-01 04:01:30")));
	ck_assert_ptr_nonnull(ind);
	ck_assert_int_eq(ctim_set_string(ind, "source", "Pulsedive"), 0);
	ck_assert_int_eq(ctim_set_string(ind, "title", "Threat: Kraken Botnet"), 0);
	ck_assert_int_eq(ctim_set_string(ind, "short_description", "Threat: Kraken Botnet"), 0);
	ck_assert_int_eq(ctim_set_severity(ind, "Medium"), 0);
	ck_assert_int_eq(ctim_add_tag(ind, "malware"), 0);
	ck_assert_int_eq(ctim_set_tlp(ind, "white"), 0);
	ck_assert_int_eq(ctim_set_string(ind, "source_uri", "https://pulsedive.com/threat/?tid=9"), 0);
	json_t *want = parse(
		"{\"id\": \"transient:indicator-8bd23440-9fd1-59b0-93c3-02895c9dfe63\", \"type\": \"indicator\","
		" \"schema_version\": \"1.0.22\", \"source\": \"Pulsedive\", \"producer\": \"Pulsedive\","
		" \"title\": \"Threat: Kraken Botnet\", \"short_description\": \"Threat: Kraken Botnet\","
		" \"severity\": \"Medium\", \"tags\": [\"malware\"], \"tlp\": \"white\","
		" \"source_uri\": \"https://pulsedive.com/threat/?tid=9\","
		" \"valid_time\": {\"start_time\": \"2019-01-01T04:01:30Z\"}}");
	assert_json_eq(ind, want);
	ck_assert_str_eq(ctim_entity_id(ind), id);
	json_decref(ind);
	json_decref(want);

	/* without an id: a random transient one */
	ind = ctim_indicator_new(&pd_base, NULL, "Pulsedive", ctim_from(0));
	ck_assert_int_eq(strncmp(ctim_entity_id(ind), "transient:indicator-", 20), 0);
	json_decref(ind);
	ck_assert_ptr_null(ctim_indicator_new(&pd_base, NULL, NULL, ctim_from(0)));
}
END_TEST

START_TEST(sighting_matches_contract)
{
	uint64_t n = 1;
	struct ctim_ctx c = pd_base;
	c.uuid4 = ctim_uuid4_sequence;
	c.uuid4_arg = &n;
	json_t *obs = ctim_observable("domain", "parkingcrew.net");

	json_t *s = ctim_sighting_new(&c, 1, "Medium", ctim_at(t("2020-03-31 14:47:36")));
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(ctim_set_string(s, "source", "Pulsedive"), 0);
	ck_assert_int_eq(ctim_set_string(s, "source_uri", "https://pulsedive.com/indicator/?iid=118"), 0);
	ck_assert_int_eq(ctim_set_string(s, "description", "found in threat feeds"), 0);
	ck_assert_int_eq(ctim_set_severity(s, "Medium"), 0);
	ck_assert_int_eq(ctim_add_observable(s, obs), 0);
	json_t *want = parse(
		"{\"id\": \"transient:sighting-00000000-0000-0000-0000-000000000002\", \"type\": \"sighting\","
		" \"schema_version\": \"1.0.22\", \"source\": \"Pulsedive\","
		" \"source_uri\": \"https://pulsedive.com/indicator/?iid=118\", \"confidence\": \"Medium\","
		" \"count\": 1, \"description\": \"found in threat feeds\", \"severity\": \"Medium\","
		" \"observables\": [{\"type\": \"domain\", \"value\": \"parkingcrew.net\"}],"
		" \"observed_time\": {\"start_time\": \"2020-03-31T14:47:36Z\", \"end_time\": \"2020-03-31T14:47:36Z\"}}");
	assert_json_eq(s, want);
	ck_assert_ptr_null(ctim_sighting_new(&c, -1, "Medium", ctim_at(0)));
	ck_assert_ptr_null(ctim_sighting_new(&c, 1, "Critical", ctim_at(0)));
	json_decref(s);
	json_decref(want);
	json_decref(obs);
}
END_TEST

START_TEST(relationship_and_relation_match_contract)
{
	uint64_t n = 7;
	struct ctim_ctx c = pd_base;
	c.uuid4 = ctim_uuid4_sequence;
	c.uuid4_arg = &n;

	json_t *r = ctim_relationship_new(&c, "member-of",
		"transient:sighting-00000000-0000-0000-0000-000000000006",
		"transient:indicator-ffaee398-3b7a-5626-a5a5-1675e2575dd1");
	ck_assert_int_eq(ctim_set_tlp(r, "white"), 0);
	json_t *want = parse(
		"{\"id\": \"transient:relationship-00000000-0000-0000-0000-000000000008\", \"type\": \"relationship\","
		" \"schema_version\": \"1.0.22\", \"tlp\": \"white\", \"relationship_type\": \"member-of\","
		" \"source_ref\": \"transient:sighting-00000000-0000-0000-0000-000000000006\","
		" \"target_ref\": \"transient:indicator-ffaee398-3b7a-5626-a5a5-1675e2575dd1\"}");
	assert_json_eq(r, want);
	json_decref(r);
	json_decref(want);
	ck_assert_ptr_null(ctim_relationship_new(&c, "member-of", NULL, "x"));

	/* the observed relation inside a sighting's "relations" */
	json_t *s = json_object();
	json_t *src = ctim_observable("domain", "zyc.ru");
	json_t *rel = ctim_observable("ip", "194.58.112.174");
	ck_assert_int_eq(ctim_add_relation(s, "Pulsedive Enrichment Module", "Resolved_To", src, rel), 0);
	want = parse("{\"relations\": [{\"origin\": \"Pulsedive Enrichment Module\", \"relation\": \"Resolved_To\","
	             " \"source\": {\"type\": \"domain\", \"value\": \"zyc.ru\"},"
	             " \"related\": {\"type\": \"ip\", \"value\": \"194.58.112.174\"}}]}");
	assert_json_eq(s, want);
	/* copies: changing the caller's observable leaves the relation alone */
	json_object_set_new(src, "value", json_string("other"));
	assert_json_eq(s, want);
	ck_assert_int_eq(ctim_add_relation(s, "o", "r", src, NULL), RELAYD_EINVAL);
	json_decref(s);
	json_decref(want);
	json_decref(src);
	json_decref(rel);
}
END_TEST

START_TEST(setters_omit_and_validate)
{
	json_t *e = json_object();

	ck_assert_int_eq(ctim_set_string(e, "title", "x"), 0);
	ck_assert_int_eq(ctim_set_string(e, "title", NULL), 0);
	ck_assert_ptr_null(json_object_get(e, "title"));
	ck_assert_int_eq(ctim_set_severity(e, "Severe"), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_set_confidence(e, "Critical"), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_set_tlp(e, "White"), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_set_severity(e, NULL), 0);
	ck_assert_int_eq(ctim_set_confidence(e, "High"), 0);
	ck_assert_int_eq(ctim_set_boolean(e, "internal", false), 0);
	ck_assert_int_eq(ctim_set_integer(e, "priority", 85), 0);
	ck_assert_int_eq(ctim_set_time_range(&pd_base, e, "valid_time", ctim_from(0)), 0);
	ck_assert_int_eq(ctim_set_string(NULL, "title", "x"), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_add_tag(e, NULL), RELAYD_EINVAL);
	json_t *want = parse("{\"confidence\": \"High\", \"internal\": false, \"priority\": 85,"
	                     " \"valid_time\": {\"start_time\": \"1970-01-01T00:00:00Z\"}}");
	assert_json_eq(e, want);
	/* an array field that exists with another type is not replaced */
	ck_assert_int_eq(ctim_set_string(e, "tags", "oops"), 0);
	ck_assert_ptr_null(ctim_array_field(e, "tags"));
	ck_assert_int_eq(ctim_add_tag(e, "x"), RELAYD_EINVAL);
	json_decref(e);
	json_decref(want);
}
END_TEST

/* ---- whole fixtures built with the builder -------------------------------------- */

struct pd_item {
	const char *name;       /* uuid5 name */
	const char *title;      /* title, short_description, sighting description */
	const char *producer;
	const char *linked;     /* stamp_linked, NULL for a riskfactor */
	const char *tag;
	const char *uri;        /* NULL: the indicator page */
	bool severity;          /* riskfactors and threats carry the indicator's severity */
};

static json_t *pd_indicator(const struct ctim_ctx *c, const struct pd_item *it,
                            struct ctim_range valid)
{
	char id[CTIM_ID_SIZE];

	ck_assert_int_eq(ctim_transient_id_v5(id, sizeof id, "indicator", it->name), 0);
	json_t *ind = ctim_indicator_new(c, id, it->producer,
	                                 it->linked ? ctim_from(t(it->linked)) : valid);
	ck_assert_ptr_nonnull(ind);
	ck_assert_int_eq(ctim_set_string(ind, "source", "Pulsedive"), 0);
	ck_assert_int_eq(ctim_set_string(ind, "title", it->title), 0);
	ck_assert_int_eq(ctim_set_string(ind, "short_description", it->title), 0);
	ck_assert_int_eq(ctim_set_tlp(ind, "white"), 0);
	if (it->linked != NULL) {
		ck_assert_int_eq(ctim_add_tag(ind, it->tag), 0);
		ck_assert_int_eq(ctim_set_string(ind, "source_uri", it->uri), 0);
	}
	if (it->linked != NULL && it->severity)
		ck_assert_int_eq(ctim_set_severity(ind, "Medium"), 0);
	return ind;
}

START_TEST(pulsedive_full_fixture_rebuilt)
{
	static const struct pd_item items[] = {
		{ "found in threat feeds", "found in threat feeds", "Pulsedive", NULL, NULL, NULL, true },
		{ "registration recently updated", "registration recently updated", "Pulsedive", NULL,
		  NULL, NULL, true },
		{ "Kraken Botnet", "Threat: Kraken Botnet", "Pulsedive", "2019-01-01 04:01:30", "malware",
		  "https://pulsedive.com/threat/?tid=9", true },
		{ "JS Crypto Miner", "Threat: JS Crypto Miner", "Pulsedive", "2018-08-06 03:44:07",
		  "abuse", "https://pulsedive.com/threat/?tid=108", true },
		{ "BBcan177 DNSBL", "Feed: BBcan177 DNSBL", "BBcan177", "2020-02-10 07:41:05", "general",
		  "https://pulsedive.com/feed/?fid=13", false },
	};
	/* the fixture's relationship order (set iteration in the reference): sighting index, type */
	static const struct { int item; const char *type; } rels[] = {
		{ 0, "sighting-of" }, { 4, "member-of" }, { 2, "sighting-of" }, { 1, "sighting-of" },
		{ 3, "sighting-of" },
	};
	static const char page[] = "https://pulsedive.com/indicator/?iid=118";
	uint64_t n = 0;
	struct ctim_ctx c = pd_base;
	c.uuid4 = ctim_uuid4_sequence;
	c.uuid4_arg = &n;
	json_t *obs = ctim_observable("domain", "parkingcrew.net");
	int64_t seen = t("2020-03-31 14:47:36");
	struct ctim_range valid = ctim_span(seen, seen + PD_VALIDITY_US);
	struct ctim_bundle *b = ctim_bundle_new();
	char sighting_ids[5][CTIM_ID_SIZE];
	char indicator_ids[5][CTIM_ID_SIZE];

	ck_assert_int_eq(ctim_bundle_add(b, CTIM_VERDICT, ctim_verdict_new(&c, obs, 3, valid)), 0);
	json_t *j = ctim_judgement_new(&c, obs, 3, "Medium", "Medium", 85, "Pulsedive", valid);
	ck_assert_int_eq(ctim_set_string(j, "source_uri", page), 0);
	ck_assert_int_eq(ctim_set_tlp(j, "white"), 0);
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_JUDGEMENT, j), 0);
	for (int i = 0; i < 5; i++) {
		json_t *ind = pd_indicator(&c, &items[i], valid);
		snprintf(indicator_ids[i], CTIM_ID_SIZE, "%s", ctim_entity_id(ind));
		ck_assert_int_eq(ctim_bundle_add(b, CTIM_INDICATOR, ind), 0);
	}
	for (int i = 0; i < 5; i++) {
		const struct pd_item *it = &items[i];
		json_t *s = ctim_sighting_new(&c, 1, "Medium",
		                              ctim_at(it->linked ? t(it->linked) : seen));
		ck_assert_int_eq(ctim_set_string(s, "source", "Pulsedive"), 0);
		ck_assert_int_eq(ctim_set_string(s, "source_uri", it->uri ? it->uri : page), 0);
		ck_assert_int_eq(ctim_set_string(s, "description", it->title), 0);
		ck_assert_int_eq(ctim_add_observable(s, obs), 0);
		if (it->severity)
			ck_assert_int_eq(ctim_set_severity(s, "Medium"), 0);
		snprintf(sighting_ids[i], CTIM_ID_SIZE, "%s", ctim_entity_id(s));
		ck_assert_int_eq(ctim_bundle_add(b, CTIM_SIGHTING, s), 0);
	}
	for (int i = 0; i < 5; i++) {
		json_t *r = ctim_relationship_new(&c, rels[i].type, sighting_ids[rels[i].item],
		                                  indicator_ids[rels[i].item]);
		ck_assert_int_eq(ctim_set_tlp(r, "white"), 0);
		ck_assert_int_eq(ctim_bundle_add(b, CTIM_RELATIONSHIP, r), 0);
	}

	json_t *fixture = load_fixture("pulsedive/expected_observe_parkingcrew_net_full_derived.json");
	json_t *data = ctim_bundle_to_data(b);
	assert_json_eq(data, json_object_get(fixture, "data"));
	json_t *body = ctim_response(b, NULL);
	assert_json_eq(body, fixture);
	json_decref(body);
	json_decref(data);
	json_decref(fixture);
	json_decref(obs);
	ctim_bundle_free(b);
}
END_TEST

START_TEST(spycloud_fixture_entities_rebuilt)
{
	static const struct ctim_ctx sc = { .schema_version = "1.0.17",
		                            .precision = CTIM_TIME_MICROS };
	static const char *const columns[] = { "city", "infected_path", "infected_time", "country",
		                               "isp", "email", "password", "target_url",
		                               "password_plaintext", "password_type", NULL };
	static const char *const cells[] = { "()", "C:/Users/Usama/AppData/Local/Temp/6210230526.exe",
		                             "2020-03-26 16:56:49", "()", "()", "admin@example.org",
		                             "test123", "http://localhost:3000/en/session", "test123",
		                             "plaintext", NULL };
	static const char *const tags[] = { "username", "city", "target_url", "infected_time",
		                            "user_browser", "country", "ip_addresses", "isp",
		                            "infected_path", "postal_code", "password", "email",
		                            "infected_machine_id", NULL };
	static const char catalog[] =
		"https://portal.spycloud.com/breach/catalog/3a7fc3d4-2f57-4076-951c-287332a4d1f8";
	json_t *fixture = load_fixture("spycloud/expected_observe_success.json");
	json_t *want_s = json_array_get(json_object_get(json_object_get(json_object_get(fixture, "data"),
	                                                "sightings"), "docs"), 0);
	json_t *want_i = json_array_get(json_object_get(json_object_get(json_object_get(fixture, "data"),
	                                                "indicators"), "docs"), 0);
	json_t *email = ctim_observable("email", "admin@example.org");
	int64_t published = t("2020-04-16T00:00:00Z");

	json_t *s = ctim_sighting_new(&sc, 1, "High", ctim_at(published));
	ck_assert_int_eq(ctim_set_string(s, "title", "Reported to Spycloud"), 0);
	ck_assert_int_eq(ctim_set_boolean(s, "internal", false), 0);
	ck_assert_int_eq(ctim_set_string(s, "source", "Spycloud"), 0);
	ck_assert_int_eq(ctim_set_string(s, "description", "Present in Vidar Stealer"), 0);
	ck_assert_int_eq(ctim_set_string(s, "source_uri", catalog), 0);
	ck_assert_int_eq(ctim_set_severity(s, "High"), 0);
	ck_assert_int_eq(ctim_add_external_id(s, "90f9c47d-c86d-400f-9a57-38fed22b5fad"), 0);
	ck_assert_int_eq(ctim_add_external_id(s, "17551"), 0);
	ck_assert_int_eq(ctim_add_external_id(s, "0bb046a5-2ef2-4ec3-abbe-ba76f5b78e6c"), 0);
	ck_assert_int_eq(ctim_add_observable(s, email), 0);
	json_t *target = ctim_add_target(&sc, s, "email", ctim_at(published));
	ck_assert_ptr_nonnull(target);
	ck_assert_int_eq(ctim_add_observable(target, email), 0);
	ck_assert_ptr_nonnull(ctim_array_field(s, "relations"));
	json_t *table = ctim_set_data_table(s);
	ck_assert_ptr_nonnull(table);
	for (int i = 0; columns[i] != NULL; i++)
		ck_assert_int_eq(ctim_table_add_column(table, columns[i], "string"), 0);
	json_t *row = ctim_table_add_row(table);
	for (int i = 0; cells[i] != NULL; i++)
		ck_assert_int_eq(json_array_append_new(row, json_string(cells[i])), 0);
	/* the expected file has its ids stripped (fixtures/spycloud/INDEX.md) */
	ck_assert_int_eq(strncmp(ctim_entity_id(s), "transient:sighting-", 19), 0);
	json_object_del(s, "id");
	assert_json_eq(s, want_s);

	char id[CTIM_ID_SIZE];
	ck_assert_int_eq(ctim_transient_id_v5(id, sizeof id, "indicator", "17551"), 0);
	ck_assert_str_eq(id, "transient:indicator-5dc84da0-3f5f-5d29-a58f-4c735c6fe393");
	json_t *ind = ctim_indicator_new(&sc, id, "Spycloud", ctim_from(published));
	ck_assert_int_eq(ctim_set_confidence(ind, "Low"), 0);
	ck_assert_int_eq(ctim_set_string(ind, "title", "Vidar Stealer"), 0);
	ck_assert_int_eq(ctim_set_string(ind, "short_description", "Vidar Stealer"), 0);
	ck_assert_int_eq(ctim_set_string(ind, "description", "test description for 17551"), 0);
	ck_assert_int_eq(ctim_add_external_id(ind, "17551"), 0);
	ck_assert_int_eq(ctim_add_external_id(ind, "3a7fc3d4-2f57-4076-951c-287332a4d1f8"), 0);
	ck_assert_int_eq(ctim_add_external_reference(ind, "Spycloud", "test site description for 17551",
	                                             "n/a", NULL), 0);
	ck_assert_int_eq(ctim_add_external_reference(ind, "Spycloud", "test description for 17551",
	                                             catalog, "3a7fc3d4-2f57-4076-951c-287332a4d1f8"), 0);
	for (int i = 0; tags[i] != NULL; i++)
		ck_assert_int_eq(ctim_add_tag(ind, tags[i]), 0);
	json_object_del(ind, "id");
	assert_json_eq(ind, want_i);

	json_decref(s);
	json_decref(ind);
	json_decref(email);
	json_decref(fixture);
}
END_TEST

START_TEST(gigamon_fixture_entities_rebuilt)
{
	static const struct ctim_ctx gg = { .schema_version = "1.0.17",
		                            .precision = CTIM_TIME_MILLIS };
	static const char src[] = "Gigamon ThreatINSIGHT";
	static const char rule[] = "5b7d1cc6-21b1-4be2-ba4d-4cafe6ad8947";
	static const char rule_url[] =
		"https://portal.icebrg.io/detections/rules/5b7d1cc6-21b1-4be2-ba4d-4cafe6ad8947";
	static const char event[] = "aadcce2c-7962-425a-816c-5076f86968f4";
	static const char event_url[] =
		"https://portal.icebrg.io/search?query=uuid+%3D+%27aadcce2c-7962-425a-816c-5076f86968f4%27";
	json_t *fixture = load_fixture("gigamon/expected_observe_observables.json");
	json_t *data = json_object_get(fixture, "data");
	json_t *sdocs = json_object_get(json_object_get(data, "sightings"), "docs");
	json_t *idocs = json_object_get(json_object_get(data, "indicators"), "docs");

	/* indicator: deterministic id from the rule uuid */
	char id[CTIM_ID_SIZE];
	snprintf(id, sizeof id, "transient:indicator-%s", rule);
	json_t *ind = ctim_indicator_new(&gg, id, src, ctim_from(t("2020-05-04T21:39:41.696Z")));
	ck_assert_int_eq(ctim_set_string(ind, "source", src), 0);
	ck_assert_int_eq(ctim_set_confidence(ind, "Low"), 0);
	ck_assert_int_eq(ctim_set_severity(ind, "Medium"), 0);
	ck_assert_int_eq(ctim_set_string(ind, "description",
		"This logic is intended to detect suspicious executable files downloaded over HTTP..."), 0);
	ck_assert_int_eq(ctim_set_string(ind, "title", "Suspicious Executable File"), 0);
	ck_assert_int_eq(ctim_set_string(ind, "short_description", "Suspicious Executable File"), 0);
	ck_assert_int_eq(ctim_set_string(ind, "source_uri", rule_url), 0);
	ck_assert_int_eq(ctim_add_external_id(ind, rule), 0);
	ck_assert_int_eq(ctim_add_external_reference(ind, src,
		"- Represents the UUID of the given rule.\n- Links to a UI page describing that specific "
		"rule along with providing some summary over its history.", rule_url, rule), 0);
	ck_assert_int_eq(ctim_add_tag(ind, "Attack:Installation"), 0);
	assert_json_eq(ind, json_array_get(idocs, 0));
	json_decref(ind);

	/* sighting 0: relations, sensor, targets with three observables, millisecond times */
	int64_t when = t("2020-05-04T21:42:01.961Z");
	json_t *s = ctim_sighting_new(&gg, 1, "High", ctim_at(when));
	ck_assert_int_eq(ctim_set_boolean(s, "internal", true), 0);
	ck_assert_int_eq(ctim_set_string(s, "source", src), 0);
	ck_assert_int_eq(ctim_set_string(s, "description", "- Event: `PE`"), 0);
	ck_assert_int_eq(ctim_add_external_id(s, event), 0);
	ck_assert_int_eq(ctim_add_external_reference(s, src,
		"- Represents the UUID of the given event.\n- Links to a UI search page querying for "
		"that particular event by its UUID.", event_url, event), 0);
	json_t *hash = ctim_observable("sha256",
		"9ffc7e4333d3be11b244d5f83b02ebcd194a671539f7faf1b5597d9209cc25c3");
	ck_assert_int_eq(ctim_add_observable(s, hash), 0);
	json_t *a = ctim_observable("ip", "10.1.70.100"), *b = ctim_observable("ip", "10.1.70.2");
	ck_assert_int_eq(ctim_add_relation(s, src, "Connected_To", a, b), 0);
	ck_assert_int_eq(ctim_set_string(s, "sensor", "snsr"), 0);
	ck_assert_int_eq(ctim_set_string(s, "source_uri", event_url), 0);
	json_t *target = ctim_add_target(&gg, s, "endpoint", ctim_at(when));
	json_t *host = ctim_observable("hostname", "FinanceWks008");
	json_t *mac = ctim_observable("mac_address", "00:15:5d:00:04:0e");
	ck_assert_int_eq(ctim_add_observable(target, a), 0);
	ck_assert_int_eq(ctim_add_observable(target, host), 0);
	ck_assert_int_eq(ctim_add_observable(target, mac), 0);
	json_t *want = json_array_get(sdocs, 0);
	ck_assert_int_eq(ctim_set_string(s, "id", ctim_entity_id(want)), 0); /* fix the random id */
	assert_json_eq(s, want);
	json_decref(s);

	/* sighting 2's data table: integer cells and the bullet column names */
	static const struct { const char *name, *type; } cols[] = {
		{ "Detection Summary", "string" }, { "Impacted Devices", "integer" },
		{ "Indicator Values", "integer" }, { "Event Summary", "string" },
		{ "\xe2\x80\xa2 method", "string" }, { "\xe2\x80\xa2 status_code", "integer" },
		{ "\xe2\x80\xa2 status_msg", "string" }, { "\xe2\x80\xa2 files", "integer" },
	};
	json_t *holder = json_object();
	json_t *table = ctim_set_data_table(holder);
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		ck_assert_int_eq(ctim_table_add_column(table, cols[i].name, cols[i].type), 0);
	json_t *row = ctim_table_add_row(table);
	json_array_append_new(row, json_string(" "));
	json_array_append_new(row, json_integer(1));
	json_array_append_new(row, json_integer(3));
	json_array_append_new(row, json_string(" "));
	json_array_append_new(row, json_string("POST"));
	json_array_append_new(row, json_integer(200));
	json_array_append_new(row, json_string("OK"));
	json_array_append_new(row, json_integer(1));
	assert_json_eq(table, json_object_get(json_array_get(sdocs, 2), "data"));
	ck_assert_int_eq(ctim_table_add_column(NULL, "x", "string"), RELAYD_EINVAL);
	ck_assert_ptr_null(ctim_table_add_row(NULL));

	json_decref(holder);
	json_decref(hash);
	json_decref(a);
	json_decref(b);
	json_decref(host);
	json_decref(mac);
	json_decref(fixture);
}
END_TEST

/* ---- bundle and envelopes --------------------------------------------------------- */

START_TEST(bundle_omits_empty_kinds_in_order)
{
	struct ctim_bundle *b = ctim_bundle_new();
	uint64_t n = 0;
	struct ctim_ctx c = pd_base;
	c.uuid4 = ctim_uuid4_sequence;
	c.uuid4_arg = &n;
	char buf[1024];

	json_t *data = ctim_bundle_to_data(b);
	ck_assert_str_eq(dump_compact(data, buf, sizeof buf), "{}");
	json_decref(data);
	ck_assert(ctim_bundle_is_empty(b));

	ck_assert_int_eq(ctim_bundle_add(b, CTIM_RELATIONSHIP, ctim_relationship_new(&c, "sighting-of", "a", "b")), 0);
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_SIGHTING, ctim_sighting_new(&c, 2, "High", ctim_at(0))), 0);
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_SIGHTING, ctim_sighting_new(&c, 3, "Low", ctim_at(0))), 0);
	ck_assert_uint_eq(ctim_bundle_count(b, CTIM_SIGHTING), 2);
	ck_assert_uint_eq(ctim_bundle_count(b, CTIM_RELATIONSHIP), 1);
	ck_assert_uint_eq(ctim_bundle_count(b, CTIM_VERDICT), 0);
	ck_assert_uint_eq(ctim_bundle_count(b, CTIM_KIND_COUNT), 0);
	ck_assert(!ctim_bundle_is_empty(b));

	/* a doc whose type is not the kind's is refused (and released) */
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_INDICATOR, ctim_sighting_new(&c, 1, "Low", ctim_at(0))),
	                 RELAYD_EINVAL);
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_INDICATOR, NULL), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_bundle_add(b, (enum ctim_kind)9, json_pack("{s:s}", "type", "x")),
	                 RELAYD_EINVAL);
	ck_assert_uint_eq(ctim_bundle_count(b, CTIM_INDICATOR), 0);

	data = ctim_bundle_to_data(b);
	ck_assert_str_eq(dump_compact(data, buf, sizeof buf),
		"{\"sightings\":{\"count\":2,\"docs\":["
		"{\"id\":\"transient:sighting-00000000-0000-0000-0000-000000000002\",\"type\":\"sighting\","
		"\"schema_version\":\"1.0.22\",\"count\":2,\"confidence\":\"High\","
		"\"observed_time\":{\"start_time\":\"1970-01-01T00:00:00Z\",\"end_time\":\"1970-01-01T00:00:00Z\"}},"
		"{\"id\":\"transient:sighting-00000000-0000-0000-0000-000000000003\",\"type\":\"sighting\","
		"\"schema_version\":\"1.0.22\",\"count\":3,\"confidence\":\"Low\","
		"\"observed_time\":{\"start_time\":\"1970-01-01T00:00:00Z\",\"end_time\":\"1970-01-01T00:00:00Z\"}}]},"
		"\"relationships\":{\"count\":1,\"docs\":["
		"{\"id\":\"transient:relationship-00000000-0000-0000-0000-000000000001\",\"type\":\"relationship\","
		"\"schema_version\":\"1.0.22\",\"relationship_type\":\"sighting-of\",\"source_ref\":\"a\","
		"\"target_ref\":\"b\"}]}}");
	json_decref(data);
	ctim_bundle_free(b);
	ctim_bundle_free(NULL);
}
END_TEST

START_TEST(kind_names)
{
	enum ctim_kind k;

	ck_assert_str_eq(ctim_kind_name(CTIM_VERDICT), "verdicts");
	ck_assert_str_eq(ctim_kind_name(CTIM_RELATIONSHIP), "relationships");
	ck_assert_str_eq(ctim_kind_type(CTIM_JUDGEMENT), "judgement");
	ck_assert_ptr_null(ctim_kind_name(CTIM_KIND_COUNT));
	ck_assert_int_eq(ctim_kind_from_name("indicators", &k), 0);
	ck_assert_int_eq(k, CTIM_INDICATOR);
	ck_assert_int_eq(ctim_kind_from_name("indicator", &k), RELAYD_EINVAL);
}
END_TEST

START_TEST(errors_and_response)
{
	char buf[512];
	json_t *e = ctim_error("too many requests", "slow down", NULL);
	ck_assert_str_eq(dump_compact(e, buf, sizeof buf),
	                 "{\"code\":\"too many requests\",\"message\":\"slow down\",\"type\":\"fatal\"}");
	json_decref(e);
	e = ctim_error("", NULL, "warning");
	ck_assert_str_eq(dump_compact(e, buf, sizeof buf),
	                 "{\"code\":\"unknown\",\"message\":null,\"type\":\"warning\"}");
	json_decref(e);

	struct ctim_bundle *b = ctim_bundle_new();
	json_t *errors = json_array();

	json_t *body = ctim_response(b, NULL);
	ck_assert_str_eq(dump_compact(body, buf, sizeof buf), "{\"data\":{}}");
	json_decref(body);
	body = ctim_response(NULL, errors); /* empty errors array: not sent */
	ck_assert_str_eq(dump_compact(body, buf, sizeof buf), "{\"data\":{}}");
	json_decref(body);

	json_array_append_new(errors, ctim_error("unknown", "boom", "fatal"));
	body = ctim_response(b, errors);
	ck_assert_str_eq(dump_compact(body, buf, sizeof buf),
	                 "{\"errors\":[{\"code\":\"unknown\",\"message\":\"boom\",\"type\":\"fatal\"}]}");
	json_decref(body);

	json_t *obs = ctim_observable("ip", "1.1.1.1");
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_VERDICT, ctim_verdict_new(&pd_base, obs, 1, ctim_from(0))), 0);
	body = ctim_response(b, errors);
	ck_assert_str_eq(dump_compact(body, buf, sizeof buf),
		"{\"data\":{\"verdicts\":{\"count\":1,\"docs\":[{\"type\":\"verdict\",\"disposition\":1,"
		"\"disposition_name\":\"Clean\",\"observable\":{\"type\":\"ip\",\"value\":\"1.1.1.1\"},"
		"\"valid_time\":{\"start_time\":\"1970-01-01T00:00:00Z\"}}]}},"
		"\"errors\":[{\"code\":\"unknown\",\"message\":\"boom\",\"type\":\"fatal\"}]}");
	json_decref(body);
	json_decref(obs);
	json_decref(errors);
	ctim_bundle_free(b);
}
END_TEST

static Suite *ctim_suite(void)
{
	Suite *s = suite_create("ctim");
	TCase *ids = tcase_create("ids");
	tcase_add_test(ids, uuid5_vectors);
	tcase_add_test(ids, uuid5_rejects_bad_namespace);
	tcase_add_test(ids, uuid4_random_shape);
	tcase_add_test(ids, uuid4_sequence_counts);
	tcase_add_test(ids, transient_ids);
	suite_add_tcase(s, ids);

	TCase *times = tcase_create("times");
	tcase_add_test(times, time_format_precisions);
	tcase_add_test(times, time_format_rejects);
	tcase_add_test(times, time_parse_accepts);
	tcase_add_test(times, time_parse_rejects);
	tcase_add_test(times, time_round_trip);
	suite_add_tcase(s, times);

	TCase *enums = tcase_create("enums");
	tcase_add_test(enums, disposition_names);
	tcase_add_test(enums, enum_predicates);
	tcase_add_test(enums, entities_limit_table);
	suite_add_tcase(s, enums);

	TCase *entities = tcase_create("entities");
	tcase_add_test(entities, verdict_matches_contract);
	tcase_add_test(entities, judgement_matches_contract);
	tcase_add_test(entities, indicator_matches_contract);
	tcase_add_test(entities, sighting_matches_contract);
	tcase_add_test(entities, relationship_and_relation_match_contract);
	tcase_add_test(entities, setters_omit_and_validate);
	suite_add_tcase(s, entities);

	TCase *fixtures = tcase_create("fixtures");
	tcase_add_test(fixtures, pulsedive_full_fixture_rebuilt);
	tcase_add_test(fixtures, spycloud_fixture_entities_rebuilt);
	tcase_add_test(fixtures, gigamon_fixture_entities_rebuilt);
	suite_add_tcase(s, fixtures);

	TCase *bundle = tcase_create("bundle");
	tcase_add_test(bundle, bundle_omits_empty_kinds_in_order);
	tcase_add_test(bundle, kind_names);
	tcase_add_test(bundle, errors_and_response);
	suite_add_tcase(s, bundle);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ctim_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
