/* SPDX-License-Identifier: MIT */
/* Tests for the CTIM writer (sdk/src/ctim_doc.c) and the text-backed bundle (sdk/src/ctim_bundle.c). */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/ctim.h>
#include <relayd/strbuf.h>

static const struct ctim_ctx base = {.schema_version = "1.0.22", .precision = CTIM_TIME_SECONDS};

/* A context whose uuid4s count from 1, so two builds draw the same ids. */
static struct ctim_ctx counting(uint64_t *n)
{
	struct ctim_ctx c = base;
	*n = 0;
	c.uuid4 = ctim_uuid4_sequence;
	c.uuid4_arg = n;
	return c;
}

/* The bundle's data text, exactly. */
static char *data_text(const struct ctim_bundle *b)
{
	struct relayd_strbuf t = RELAYD_STRBUF_INIT;
	ck_assert_int_eq(ctim_bundle_append_data(b, &t), RELAYD_OK);
	return relayd_strbuf_detach(&t, NULL);
}

/* Asserts both bundles send the same data (as values) and that it is valid CTIM. */
static void assert_same_data(const struct ctim_bundle *got, const struct ctim_bundle *want)
{
	char *g = data_text(got), *w = data_text(want);
	json_error_t e;
	json_t *gj = json_loads(g, JSON_REJECT_DUPLICATES, &e);
	ck_assert_msg(gj != NULL, "writer text is not JSON: %s in %s", e.text, g);
	json_t *wj = json_loads(w, 0, &e);
	ck_assert_msg(json_equal(gj, wj), "got:  %s\nwant: %s", g, w);
	char err[256];
	ck_assert_msg(ctim_check_data(gj, err, sizeof err) == RELAYD_OK, "%s", err);
	json_decref(gj);
	json_decref(wj);
	free(g);
	free(w);
}

/* ---- the writer gives what the constructors and setters give ------------------ */

static const struct ctim_obs obs = {"domain", "parkingcrew.net"};

static void build_with_values(struct ctim_bundle *b, const struct ctim_ctx *c)
{
	json_t *o = ctim_observable(obs.type, obs.value);
	json_t *v = ctim_verdict_new(c, o, 3, ctim_span(0, 1000000));
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_VERDICT, v), RELAYD_OK);

	json_t *j = ctim_judgement_new(c, o, 2, "High", "Medium", 85, "Pulsedive", ctim_from(5000000));
	ck_assert_int_eq(ctim_set_string(j, "source_uri", "https://pulsedive.com/indicator/?iid=1"), 0);
	ck_assert_int_eq(ctim_set_tlp(j, "white"), 0);
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_JUDGEMENT, j), RELAYD_OK);

	json_t *i = ctim_indicator_new(c, "transient:indicator-x", "Pulsedive", ctim_from(0));
	ck_assert_int_eq(ctim_set_string(i, "title", "Threat: \"Kraken\"\n\u00e9"), 0);
	ck_assert_int_eq(ctim_add_tag(i, "malware"), 0);
	ck_assert_int_eq(ctim_set_severity(i, "Low"), 0);
	ck_assert_int_eq(ctim_set_boolean(i, "internal", false), 0);
	ck_assert_int_eq(ctim_add_external_reference(i, "Pulsedive", NULL, "https://x/", "e1"), 0);
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_INDICATOR, i), RELAYD_OK);

	json_t *s = ctim_sighting_new(c, 1, "Medium", ctim_at(-86400000000));
	ck_assert_int_eq(ctim_set_string(s, "source", "Pulsedive"), 0);
	ck_assert_int_eq(ctim_add_observable(s, o), 0);
	json_t *rel = ctim_observable("ip", "185.53.179.29");
	ck_assert_int_eq(ctim_add_relation(s, "Pulsedive Enrichment Module", "Resolved_To", o, rel), 0);
	json_decref(rel);
	ck_assert_int_eq(ctim_set_integer(s, "offset", -7), 0);
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_SIGHTING, s), RELAYD_OK);

	json_t *r = ctim_relationship_new(c, "sighting-of", "transient:sighting-a", "transient:indicator-x");
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_RELATIONSHIP, r), RELAYD_OK);
	json_decref(o);
}

static void build_with_writer(struct ctim_bundle *b, const struct ctim_ctx *c)
{
	struct ctim_doc d;
	ctim_write_verdict(&d, b, c, obs, 3, ctim_span(0, 1000000));
	ck_assert_str_eq(ctim_doc_id(&d), "");
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_OK);

	ctim_write_judgement(&d, b, c, obs, 2, "High", "Medium", 85, "Pulsedive", ctim_from(5000000));
	ctim_doc_string(&d, "source_uri", "https://pulsedive.com/indicator/?iid=1");
	ctim_doc_tlp(&d, "white");
	ck_assert_str_eq(ctim_doc_id(&d), "transient:judgement-00000000-0000-0000-0000-000000000001");
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_OK);

	ctim_write_indicator(&d, b, c, "transient:indicator-x", "Pulsedive", ctim_from(0));
	ctim_doc_string(&d, "title", "Threat: \"Kraken\"\n\u00e9");
	ctim_doc_open_array(&d, "tags");
	ctim_doc_string(&d, NULL, "malware");
	ctim_doc_close(&d);
	ctim_doc_severity(&d, "Low");
	ctim_doc_boolean(&d, "internal", false);
	ctim_doc_open_array(&d, "external_references");
	ctim_doc_external_reference(&d, "Pulsedive", NULL, "https://x/", "e1");
	ctim_doc_close(&d);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_OK);

	ctim_write_sighting(&d, b, c, 1, "Medium", ctim_at(-86400000000));
	ctim_doc_string(&d, "source", "Pulsedive");
	ctim_doc_open_array(&d, "observables");
	ctim_doc_observable(&d, NULL, obs);
	ctim_doc_close(&d);
	ctim_doc_open_array(&d, "relations");
	ctim_doc_relation(&d, "Pulsedive Enrichment Module", "Resolved_To", obs,
	                  (struct ctim_obs){"ip", "185.53.179.29"});
	ctim_doc_close(&d);
	ctim_doc_integer(&d, "offset", -7);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_OK);

	ctim_write_relationship(&d, b, c, "sighting-of", "transient:sighting-a", "transient:indicator-x");
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_OK);
}

START_TEST(writer_gives_what_the_constructors_give)
{
	uint64_t n1, n2;
	struct ctim_ctx c1 = counting(&n1), c2 = counting(&n2);
	struct ctim_bundle *values = ctim_bundle_new(), *written = ctim_bundle_new();
	build_with_values(values, &c1);
	build_with_writer(written, &c2);
	for (int k = 0; k < CTIM_KIND_COUNT; k++)
		ck_assert_uint_eq(ctim_bundle_count(written, (enum ctim_kind)k), 1);
	assert_same_data(written, values);
	ck_assert_uint_eq(n1, n2); /* the same ids drawn in the same order */
	ctim_bundle_free(values);
	ctim_bundle_free(written);
}
END_TEST

START_TEST(data_text_is_exact)
{
	struct ctim_bundle *b = ctim_bundle_new();
	struct ctim_doc d;
	char *text = data_text(b);
	ck_assert_str_eq(text, "{}");
	free(text);
	text = data_text(NULL);
	ck_assert_str_eq(text, "{}");
	free(text);

	ctim_write_indicator(&d, b, &base, "transient:indicator-1", "P", ctim_from(0));
	json_t *extra = json_pack("{s:[i,b,n]}", "k", 1, 1);
	ctim_doc_json(&d, "x", extra);
	json_decref(extra);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_OK);
	ctim_write_indicator(&d, b, &base, "transient:indicator-2", "Q", ctim_span(0, 1000000));
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_OK);
	text = data_text(b);
	ck_assert_str_eq(text,
		"{\"indicators\":{\"count\":2,\"docs\":["
		"{\"id\":\"transient:indicator-1\",\"type\":\"indicator\",\"schema_version\":\"1.0.22\","
		"\"producer\":\"P\",\"valid_time\":{\"start_time\":\"1970-01-01T00:00:00Z\"},"
		"\"x\":{\"k\":[1,true,null]}},"
		"{\"id\":\"transient:indicator-2\",\"type\":\"indicator\",\"schema_version\":\"1.0.22\","
		"\"producer\":\"Q\",\"valid_time\":{\"start_time\":\"1970-01-01T00:00:00Z\","
		"\"end_time\":\"1970-01-01T00:00:01Z\"}}]}}");
	free(text);
	ctim_bundle_free(b);
}
END_TEST

/* ---- failures leave the bundle as it was ------------------------------------------ */

/* Starts a sighting in b, runs one bad step, and checks that the doc
 * fails with @p want and the bundle's text and counts did not change. */
static void assert_step_fails(void (*bad_step)(struct ctim_doc *), int want)
{
	struct ctim_bundle *b = ctim_bundle_new();
	struct ctim_doc d;
	ctim_write_sighting(&d, b, &base, 1, "High", ctim_at(0));
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_OK);
	char *before = data_text(b);

	ctim_write_sighting(&d, b, &base, 2, "Low", ctim_at(0));
	bad_step(&d);
	/* later steps do nothing and report the first failure */
	ck_assert_int_eq(ctim_doc_string(&d, "source", "S"), want);
	ck_assert_int_eq(ctim_doc_end(&d), want);

	char *after = data_text(b);
	ck_assert_str_eq(after, before);
	ck_assert_uint_eq(ctim_bundle_count(b, CTIM_SIGHTING), 1);
	/* the bundle takes entities again */
	ctim_write_sighting(&d, b, &base, 3, "Low", ctim_at(0));
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_OK);
	ck_assert_uint_eq(ctim_bundle_count(b, CTIM_SIGHTING), 2);
	free(before);
	free(after);
	ctim_bundle_free(b);
}

static void bad_enum(struct ctim_doc *d) { ctim_doc_severity(d, "Severe"); }
static void bad_utf8(struct ctim_doc *d) { ctim_doc_string(d, "title", "caf\xc3"); }
static void field_in_array(struct ctim_doc *d)
{
	ctim_doc_open_array(d, "tags");
	ctim_doc_string(d, "tag", "x");
}
static void no_field_in_object(struct ctim_doc *d) { ctim_doc_string(d, NULL, "x"); }
static void too_many_closes(struct ctim_doc *d) { ctim_doc_close(d); }
static void half_observable(struct ctim_doc *d)
{
	ctim_doc_observable(d, "observable", (struct ctim_obs){"ip", NULL});
}
static void too_deep(struct ctim_doc *d)
{
	for (int i = 0; i < CTIM_DOC_MAX_DEPTH + 1; i++)
		ctim_doc_open_array(d, i == 0 ? "deep" : NULL);
}
static void aborted(struct ctim_doc *d) { ctim_doc_abort(d); }

START_TEST(a_failed_step_removes_the_entity)
{
	assert_step_fails(bad_enum, RELAYD_EINVAL);
	assert_step_fails(bad_utf8, RELAYD_EINVAL);
	assert_step_fails(field_in_array, RELAYD_EINVAL);
	assert_step_fails(no_field_in_object, RELAYD_EINVAL);
	assert_step_fails(too_many_closes, RELAYD_EINVAL);
	assert_step_fails(half_observable, RELAYD_EINVAL);
	assert_step_fails(too_deep, RELAYD_EINVAL);
	assert_step_fails(aborted, RELAYD_EINVAL);
}
END_TEST

START_TEST(a_container_left_open_fails_at_the_end)
{
	struct ctim_bundle *b = ctim_bundle_new();
	struct ctim_doc d;
	ctim_write_sighting(&d, b, &base, 1, "High", ctim_at(0));
	ck_assert_int_eq(ctim_doc_open_object(&d, "data"), RELAYD_OK);
	ck_assert_int_eq(ctim_doc_string(&d, "k", "v"), RELAYD_OK);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_EINVAL);
	ck_assert(ctim_bundle_is_empty(b));
	ctim_bundle_free(b);
}
END_TEST

START_TEST(bad_starts_write_nothing)
{
	struct ctim_bundle *b = ctim_bundle_new();
	struct ctim_doc d;
	const struct ctim_ctx no_schema = {.precision = CTIM_TIME_SECONDS};

	ck_assert_int_eq(ctim_write_verdict(&d, b, &base, obs, 6, ctim_from(0)), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_write_judgement(&d, b, &base, obs, 1, "High", "Sure", 85, "S",
	                                      ctim_from(0)), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_write_judgement(&d, b, &base, obs, 1, "High", "High", 101, "S",
	                                      ctim_from(0)), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_write_sighting(&d, b, &base, -1, "High", ctim_at(0)), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_write_sighting(&d, b, &no_schema, 1, "High", ctim_at(0)), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_write_indicator(&d, b, &base, NULL, NULL, ctim_from(0)), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_write_relationship(&d, b, &base, "x", NULL, "y"), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_write_sighting(&d, NULL, &base, 1, "High", ctim_at(0)), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_EINVAL);
	/* a year the time format cannot write */
	ck_assert_int_eq(ctim_write_sighting(&d, b, &base, 1, "High", ctim_at(INT64_MAX)), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_EINVAL);
	ck_assert(ctim_bundle_is_empty(b));
	char *text = data_text(b);
	ck_assert_str_eq(text, "{}");
	free(text);
	ctim_bundle_free(b);
}
END_TEST

START_TEST(an_open_doc_holds_its_bundle)
{
	struct ctim_bundle *b = ctim_bundle_new();
	struct ctim_doc d, other;
	ck_assert_int_eq(ctim_write_sighting(&d, b, &base, 1, "High", ctim_at(0)), RELAYD_OK);
	/* no second entity, of any kind, while one is being written */
	ck_assert_int_eq(ctim_write_verdict(&other, b, &base, obs, 1, ctim_from(0)), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_doc_end(&other), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_VERDICT, ctim_verdict_new(&base, NULL, 1, ctim_from(0))),
	                 RELAYD_EINVAL);
	json_t *o = ctim_observable("ip", "1.1.1.1");
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_VERDICT, ctim_verdict_new(&base, o, 1, ctim_from(0))),
	                 RELAYD_EINVAL);
	/* the data leaves out the entity being written: still valid JSON */
	ctim_doc_string(&d, "source", "S");
	char *text = data_text(b);
	ck_assert_str_eq(text, "{}");
	free(text);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_OK);
	/* and steps after the end do nothing */
	ck_assert_int_eq(ctim_doc_string(&d, "late", "x"), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_EINVAL);
	ck_assert_int_eq(ctim_bundle_add(b, CTIM_VERDICT, ctim_verdict_new(&base, o, 1, ctim_from(0))),
	                 RELAYD_OK);
	ck_assert_uint_eq(ctim_bundle_count(b, CTIM_SIGHTING), 1);
	ck_assert_uint_eq(ctim_bundle_count(b, CTIM_VERDICT), 1);
	/* a second sighting left open: the first one is sent, the open one is not */
	ctim_write_sighting(&d, b, &base, 2, "Low", ctim_at(0));
	text = data_text(b);
	json_t *data = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	ck_assert_msg(data != NULL, "not JSON: %s", text);
	ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(data, "sightings"), "docs")), 1);
	json_decref(data);
	free(text);
	ctim_doc_abort(&d);
	json_decref(o);
	ctim_bundle_free(b);
}
END_TEST

/* CTIM ids may be URLs: an indicator's given id has no length limit. */
START_TEST(a_given_id_of_any_length)
{
	struct ctim_bundle *b = ctim_bundle_new();
	struct ctim_doc d;
	char id[300];
	memset(id, 'x', sizeof id - 1);
	memcpy(id, "https://intel.example/ctia/indicator/indicator-", 47);
	id[sizeof id - 1] = '\0';
	ck_assert_int_eq(ctim_write_indicator(&d, b, &base, id, "P", ctim_from(0)), RELAYD_OK);
	ck_assert_str_eq(ctim_doc_id(&d), id);
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_OK);
	json_t *data = ctim_bundle_to_data(b);
	json_t *doc = json_array_get(json_object_get(json_object_get(data, "indicators"), "docs"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "id")), id);
	char err[256];
	ck_assert_msg(ctim_check_data(data, err, sizeof err) == RELAYD_OK, "%s", err);
	json_decref(data);
	ctim_bundle_free(b);
}
END_TEST

START_TEST(to_data_parses_the_text)
{
	struct ctim_bundle *b = ctim_bundle_new();
	struct ctim_doc d;
	ctim_write_relationship(&d, b, &base, "member-of", "a", "b");
	ck_assert_int_eq(ctim_doc_end(&d), RELAYD_OK);
	json_t *data = ctim_bundle_to_data(b);
	json_t *docs = json_object_get(json_object_get(data, "relationships"), "docs");
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(data, "relationships"), "count")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(docs, 0), "relationship_type")),
	                 "member-of");
	ck_assert_ptr_null(ctim_bundle_to_data(NULL));
	json_decref(data);
	ctim_bundle_free(b);
}
END_TEST

static Suite *ctim_doc_suite(void)
{
	Suite *s = suite_create("ctim_doc");
	TCase *tc = tcase_create("writer");
	tcase_add_test(tc, writer_gives_what_the_constructors_give);
	tcase_add_test(tc, data_text_is_exact);
	tcase_add_test(tc, a_failed_step_removes_the_entity);
	tcase_add_test(tc, a_container_left_open_fails_at_the_end);
	tcase_add_test(tc, bad_starts_write_nothing);
	tcase_add_test(tc, an_open_doc_holds_its_bundle);
	tcase_add_test(tc, a_given_id_of_any_length);
	tcase_add_test(tc, to_data_parses_the_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ctim_doc_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
