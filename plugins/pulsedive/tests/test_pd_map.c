/* SPDX-License-Identifier: MIT */
/* Unit tests of the pure mapping and refer builders against the pulsedive fixtures. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <relayd/ctim.h>

#include "pd_test_util.h"
#include "pulsedive.h"
#include "pulsedive_map.h"
#include "pulsedive_refer.h"

/* 2026-11-23T10:00:00Z, the mock host's clock. */
#define NOW_US (INT64_C(1795428000000) * 1000)
/* 2019-07-01T00:00:00Z: the links fixture's 2019-06-22 link is then recent. */
#define JULY_2019_US (INT64_C(1561939200) * 1000000)

static uint64_t counter;
static const struct ctim_ctx seq_ctx = {
    .schema_version = PD_SCHEMA_VERSION,
    .precision = CTIM_TIME_SECONDS,
    .uuid4 = ctim_uuid4_sequence,
    .uuid4_arg = &counter,
};

/* Maps @p lookup (with @p relations) and returns the response body {"data": …}. */
static json_t *map_body(const json_t *lookup, const json_t *relations, bool with_sightings,
                        int limit)
{
	struct pd_map_opts o = {.ctim = &seq_ctx, .limit = limit};
	struct ctim_bundle *b = ctim_bundle_new();
	counter = 0;
	ck_assert_int_eq(pd_map_observe(&o, lookup, relations, with_sightings, b), 0);
	json_t *body = json_pack("{s:o}", "data", ctim_bundle_to_data(b));
	ctim_bundle_free(b);
	pd_assert_ctim_ok(body);
	return body;
}

static json_t *kind_docs(const json_t *body, const char *kind)
{
	return json_object_get(json_object_get(json_object_get(body, "data"), kind), "docs");
}

START_TEST(full_derived_field_by_field)
{
	json_t *lookup = pd_fixture_json("upstream_info_parkingcrew_net.json");
	json_t *want = pd_fixture_json("expected_observe_parkingcrew_net_full_derived.json");
	json_t *got = map_body(lookup, NULL, true, 100);

	/* Everything but relationships: exact, ids included (uuid4 as a counter). */
	const char *kinds[] = {"verdicts", "judgements", "indicators", "sightings"};
	for (size_t k = 0; k < 4; k++)
		pd_assert_json_eq(json_object_get(json_object_get(got, "data"), kinds[k]),
		                  json_object_get(json_object_get(want, "data"), kinds[k]), kinds[k]);

	/* Relationships: same (source_ref, target_ref, type) set, ids 7..b. */
	json_t *g = json_deep_copy(kind_docs(got, "relationships"));
	json_t *w = json_deep_copy(kind_docs(want, "relationships"));
	ck_assert_int_eq(json_array_size(g), 5);
	static const char *const rel_ids[] = {
	    "transient:relationship-00000000-0000-0000-0000-000000000007",
	    "transient:relationship-00000000-0000-0000-0000-000000000008",
	    "transient:relationship-00000000-0000-0000-0000-000000000009",
	    "transient:relationship-00000000-0000-0000-0000-00000000000a",
	    "transient:relationship-00000000-0000-0000-0000-00000000000b"};
	bool seen[5] = {false};
	for (size_t i = 0; i < 5; i++) {
		const char *id = json_string_value(json_object_get(json_array_get(g, i), "id"));
		ck_assert_str_eq(id, rel_ids[i]);
		json_object_del(json_array_get(g, i), "id");
		json_object_del(json_array_get(w, i), "id");
	}
	for (size_t i = 0; i < 5; i++) {
		bool found = false;
		for (size_t j = 0; j < 5 && !found; j++) {
			if (!seen[j] && json_equal(json_array_get(g, i), json_array_get(w, j))) {
				seen[j] = true;
				found = true;
			}
		}
		ck_assert_msg(found, "relationship %zu has no match in the fixture", i);
	}
	ck_assert_int_eq(json_integer_value(json_object_get(
	                     json_object_get(json_object_get(got, "data"), "relationships"), "count")),
	                 5);
	json_decref(g);
	json_decref(w);
	json_decref(got);
	json_decref(want);
	json_decref(lookup);
}
END_TEST

START_TEST(limit_1_matches_fixture)
{
	json_t *lookup = pd_fixture_json("upstream_info_parkingcrew_net.json");
	json_t *want = pd_fixture_json("expected_observe_parkingcrew_net_limit_1.json");
	json_t *got = map_body(lookup, NULL, true, 1);
	json_t *gs = pd_strip_ids(json_object_get(got, "data"), false);
	json_t *ws = pd_strip_ids(json_object_get(want, "data"), false);
	pd_assert_json_eq(gs, ws, "limit 1");
	/* The surviving sighting's relationship points at the surviving indicator. */
	const json_t *rel = json_array_get(kind_docs(got, "relationships"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(rel, "target_ref")),
	                 "transient:indicator-de577757-b53c-5b49-8e8d-508420e9f63b");
	ck_assert_str_eq(json_string_value(json_object_get(rel, "source_ref")),
	                 json_string_value(json_object_get(
	                     json_array_get(kind_docs(got, "sightings"), 0), "id")));
	ck_assert(!pd_map_wants_links(lookup, 1));
	json_decref(gs);
	json_decref(ws);
	json_decref(got);
	json_decref(want);
	json_decref(lookup);
}
END_TEST

START_TEST(observe_fixture_with_old_links)
{
	json_t *lookup = pd_fixture_json("upstream_info_parkingcrew_net.json");
	json_t *links = pd_fixture_json("upstream_links_active_dns.json");
	json_t *want = pd_fixture_json("expected_observe_parkingcrew_net.json");
	json_t *relations = NULL;
	ck_assert(pd_map_wants_links(lookup, 100));
	ck_assert_int_eq(pd_map_relations(lookup, links, NOW_US, &relations), 0);
	ck_assert_int_eq(json_array_size(relations), 0); /* 2019 link: older than 90 days */
	json_t *got = map_body(lookup, relations, true, 100);
	pd_drop_active_dns(json_object_get(want, "data"));
	json_t *gs = pd_strip_ids(json_object_get(got, "data"), true);
	json_t *ws = pd_strip_ids(json_object_get(want, "data"), true);
	pd_assert_json_eq(gs, ws, "observe parkingcrew.net");
	json_decref(gs);
	json_decref(ws);
	json_decref(got);
	json_decref(want);
	json_decref(relations);
	json_decref(links);
	json_decref(lookup);
}
END_TEST

START_TEST(active_dns_recent_link)
{
	json_t *lookup = pd_fixture_json("upstream_info_parkingcrew_net.json");
	json_t *links = pd_fixture_json("upstream_links_active_dns.json");
	json_t *relations = NULL;
	ck_assert_int_eq(pd_map_relations(lookup, links, JULY_2019_US, &relations), 0);
	json_t *want = json_loads(
	    "[{\"origin\":\"Pulsedive Enrichment Module\",\"relation\":\"Resolved_To\","
	    "\"source\":{\"type\":\"domain\",\"value\":\"parkingcrew.net\"},"
	    "\"related\":{\"type\":\"ip\",\"value\":\"187.191.98.202\"}}]",
	    0, NULL);
	pd_assert_json_eq(relations, want, "relations");

	json_t *got = map_body(lookup, relations, true, 100);
	json_t *sightings = kind_docs(got, "sightings");
	ck_assert_int_eq(json_array_size(sightings), 6);
	json_t *dns = json_array_get(sightings, 5);
	json_t *want_dns = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:[{s:s, s:s}], s:{s:s, s:s}, s:O}", "id",
	    "transient:sighting-00000000-0000-0000-0000-000000000007", "type", "sighting",
	    "schema_version", "1.0.22", "source", "Pulsedive", "source_uri",
	    "https://pulsedive.com/indicator/?iid=118", "count", 1, "confidence", "Medium",
	    "observables", "type", "domain", "value", "parkingcrew.net", "observed_time",
	    "start_time", "2020-03-31T14:47:36Z", "end_time", "2020-03-31T14:47:36Z", "relations",
	    want);
	json_object_set_new(want_dns, "description", json_string("Active DNS"));
	pd_assert_json_eq(dns, want_dns, "Active DNS sighting");
	/* No relationship for it: still 5. */
	ck_assert_int_eq(json_array_size(kind_docs(got, "relationships")), 5);
	json_decref(got);

	/* The limit counts it: 5 item sightings + Active DNS need 6. */
	got = map_body(lookup, relations, true, 5);
	ck_assert_int_eq(json_array_size(kind_docs(got, "sightings")), 5);
	ck_assert(!pd_map_wants_links(lookup, 5));
	ck_assert(pd_map_wants_links(lookup, 6));
	json_decref(got);
	got = map_body(lookup, relations, true, 6);
	ck_assert_int_eq(json_array_size(kind_docs(got, "sightings")), 6);
	json_decref(got);

	json_decref(want_dns);
	json_decref(want);
	json_decref(relations);
	json_decref(links);
	json_decref(lookup);
}
END_TEST

START_TEST(relations_for_ip_and_other_types)
{
	json_t *ip = json_pack("{s:s, s:s}", "type", "ip", "indicator", "89.31.143.1");
	json_t *links = json_loads(
	    "{\"Active DNS\":[{\"type\":\"domain\",\"indicator\":\"zyc.ru\",\"stamp_linked\":"
	    "\"2026-11-01 00:00:00\"},{\"type\":\"ip\",\"indicator\":\"1.2.3.4\",\"stamp_linked\":"
	    "\"2026-11-01 00:00:00\"},\"junk\",{\"type\":\"domain\",\"indicator\":\"old.ru\","
	    "\"stamp_linked\":\"2026-08-25 10:00:00\"}],\"Related URLs\":[{\"x\":1}]}",
	    0, NULL);
	json_t *rel = NULL;
	ck_assert_int_eq(pd_map_relations(ip, links, NOW_US, &rel), 0);
	json_t *want = json_loads(
	    "[{\"origin\":\"Pulsedive Enrichment Module\",\"relation\":\"Resolved_To\","
	    "\"source\":{\"type\":\"domain\",\"value\":\"zyc.ru\"},"
	    "\"related\":{\"type\":\"ip\",\"value\":\"89.31.143.1\"}}]",
	    0, NULL);
	/* 2026-08-25T10:00:00Z is exactly 90 days before now: not "less than". */
	pd_assert_json_eq(rel, want, "ip relations");
	json_decref(rel);
	json_decref(want);

	json_t *v6 = json_pack("{s:s, s:s}", "type", "ipv6", "indicator", "2a02::1");
	ck_assert_int_eq(pd_map_relations(v6, links, NOW_US, &rel), 0);
	ck_assert_int_eq(json_array_size(rel), 0);
	json_decref(rel);

	/* A link without type is a broken answer. */
	json_t *broken = json_loads("{\"Active DNS\":[{\"indicator\":\"x\"}]}", 0, NULL);
	ck_assert_int_eq(pd_map_relations(ip, broken, NOW_US, &rel), RELAYD_EINVAL);
	ck_assert_ptr_null(rel);
	json_decref(broken);
	json_decref(v6);
	json_decref(links);
	json_decref(ip);
}
END_TEST

/* A copy of the parkingcrew answer with one change applied by @p edit. */
static json_t *edited(void (*edit)(json_t *))
{
	json_t *j = pd_fixture_json("upstream_info_parkingcrew_net.json");
	edit(j);
	return j;
}

static void no_risk(json_t *j) { json_object_del(j, "risk"); }
static void bad_risk(json_t *j) { json_object_set_new(j, "risk", json_string("severe")); }
static void no_stamp_retired(json_t *j) { json_object_del(j, "stamp_retired"); }
static void no_retired(json_t *j) { json_object_del(j, "retired"); }
static void no_rfid(json_t *j) { json_object_del(json_array_get(json_object_get(j, "riskfactors"), 1), "rfid"); }
static void bad_stamp(json_t *j) { json_object_set_new(json_array_get(json_object_get(j, "threats"), 0), "stamp_linked", json_string("yesterday")); }
static void no_org(json_t *j) { json_object_del(json_array_get(json_object_get(j, "feeds"), 0), "organization"); }
static void no_iid(json_t *j) { json_object_del(j, "iid"); }
static void threats_not_list(json_t *j) { json_object_set_new(j, "threats", json_string("x")); }

START_TEST(key_errors)
{
	json_t *missing = pd_fixture_json("upstream_info_missing_risk.json");
	ck_assert_int_eq(pd_map_check_lookup(missing), RELAYD_EINVAL);
	json_decref(missing);
	void (*edits[])(json_t *) = {no_risk, bad_risk, no_stamp_retired, no_retired, no_rfid,
	                             bad_stamp, no_org, no_iid, threats_not_list};
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		json_t *j = edited(edits[i]);
		ck_assert_msg(pd_map_check_lookup(j) == RELAYD_EINVAL, "edit %zu accepted", i);
		struct ctim_bundle *b = ctim_bundle_new();
		struct pd_map_opts o = {.ctim = &seq_ctx, .limit = 100};
		ck_assert_int_eq(pd_map_observe(&o, j, NULL, true, b), RELAYD_EINVAL);
		ck_assert(ctim_bundle_is_empty(b));
		ctim_bundle_free(b);
		json_decref(j);
	}
	json_t *ok = pd_fixture_json("upstream_health_ok.json"); /* no lists at all */
	ck_assert_int_eq(pd_map_check_lookup(ok), 0);
	json_decref(ok);
}
END_TEST

START_TEST(retired_none_and_retired_stamp)
{
	json_t *j = pd_fixture_json("upstream_info_parkingcrew_net.json");
	json_object_set_new(j, "risk", json_string("none"));
	json_object_set_new(j, "stamp_retired", json_string("2020-04-02 01:02:03"));
	json_t *got = map_body(j, NULL, true, 100);
	const json_t *v = json_array_get(kind_docs(got, "verdicts"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "disposition")), 5);
	ck_assert_str_eq(json_string_value(json_object_get(v, "disposition_name")), "Unknown");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(v, "valid_time"), "end_time")),
	                 "2020-04-02T01:02:03Z");
	const json_t *jd = json_array_get(kind_docs(got, "judgements"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(jd, "severity")), "Unknown");
	/* Threat indicators read risk directly: "None". */
	const json_t *threat = json_array_get(kind_docs(got, "indicators"), 2);
	ck_assert_str_eq(json_string_value(json_object_get(threat, "severity")), "None");
	const json_t *s0 = json_array_get(kind_docs(got, "sightings"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(s0, "severity")), "Unknown");
	json_decref(got);

	/* Not retired: plain "none" row. */
	json_object_set_new(j, "retired", json_integer(0));
	got = map_body(j, NULL, true, 100);
	v = json_array_get(kind_docs(got, "verdicts"), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(v, "disposition")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(v, "disposition_name")), "Clean");
	json_decref(got);
	json_decref(j);
}
END_TEST

START_TEST(risk_table)
{
	const char *risks[] = {"none", "unknown", "retired", "low", "medium", "high", "critical"};
	const int disp[] = {1, 5, 5, 3, 3, 2, 2};
	const char *sev[] = {"None", "Unknown", "Unknown", "Low", "Medium", "High", "High"};
	for (size_t i = 0; i < 7; i++) {
		const struct pd_risk_row *r = pd_risk_row(risks[i]);
		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(r->disposition, disp[i]);
		ck_assert_str_eq(r->severity, sev[i]);
	}
	ck_assert_ptr_null(pd_risk_row("Medium"));
	ck_assert_ptr_null(pd_risk_row(NULL));
}
END_TEST

START_TEST(feed_titles_and_sorting)
{
	char *t = pd_map_feed_title("ZeroDot1's Bad IPs Feed");
	ck_assert_str_eq(t, "Feed: ZeroDot1's Bad IPs ");
	free(t);
	t = pd_map_feed_title("FeedFeed Feeds");
	ck_assert_str_eq(t, "Feed:  s");
	free(t);

	/* Ties keep upstream order; newest first otherwise. */
	json_t *j = pd_fixture_json("upstream_info_parkingcrew_net.json");
	json_t *threats = json_loads(
	    "[{\"tid\":1,\"name\":\"A\",\"category\":\"c\",\"stamp_linked\":\"2019-01-01 00:00:00\"},"
	    "{\"tid\":2,\"name\":\"B\",\"category\":\"c\",\"stamp_linked\":\"2020-01-01 00:00:00\"},"
	    "{\"tid\":3,\"name\":\"C\",\"category\":\"c\",\"stamp_linked\":\"2019-01-01 00:00:00\"}]",
	    0, NULL);
	json_object_set_new(j, "threats", threats);
	json_object_set_new(j, "riskfactors", json_array());
	json_object_set_new(j, "feeds", json_array());
	json_t *got = map_body(j, NULL, true, 100);
	const char *order[] = {"Threat: B", "Threat: A", "Threat: C"};
	for (size_t i = 0; i < 3; i++)
		ck_assert_str_eq(json_string_value(json_object_get(
		                     json_array_get(kind_docs(got, "indicators"), i), "title")),
		                 order[i]);
	json_decref(got);
	json_decref(j);
}
END_TEST

START_TEST(head_only_when_links_failed)
{
	json_t *lookup = pd_fixture_json("upstream_info_parkingcrew_net.json");
	json_t *got = map_body(lookup, NULL, false, 100);
	json_t *data = json_object_get(got, "data");
	ck_assert_int_eq(json_object_size(data), 3);
	ck_assert_ptr_null(json_object_get(data, "sightings"));
	ck_assert_ptr_null(json_object_get(data, "relationships"));
	ck_assert_int_eq(json_array_size(kind_docs(got, "indicators")), 5);
	json_decref(got);
	json_decref(lookup);
}
END_TEST

START_TEST(refer_search_matches_fixture)
{
	json_t *want = pd_fixture_json("expected_refer_cisco_com.json");
	json_t *s = pd_refer_search("domain", "cisco.com");
	pd_assert_json_eq(s, json_array_get(json_object_get(want, "data"), 0), "search");
	json_decref(s);

	json_t *lookup = pd_fixture_json("upstream_info_parkingcrew_net.json");
	json_t *b = NULL;
	ck_assert_int_eq(pd_refer_browse(lookup, &b), 0);
	pd_assert_json_eq(b, json_array_get(json_object_get(want, "data"), 1), "browse");
	json_decref(b);
	json_object_del(lookup, "iid");
	ck_assert_int_eq(pd_refer_browse(lookup, &b), RELAYD_EINVAL);
	json_decref(lookup);
	json_decref(want);

	/* The status-mapping fixture's IP search reference. */
	json_t *map = pd_fixture_json("expected_upstream_status_mapping_derived.json");
	json_t *ip = pd_refer_search("ip", "1.1.1.1");
	pd_assert_json_eq(ip,
	                  json_array_get(json_object_get(json_object_get(json_array_get(map, 2), "body"),
	                                                 "data"),
	                                 0),
	                  "ip search");
	json_decref(ip);
	json_decref(map);
}
END_TEST

START_TEST(refer_texts_and_escaping)
{
	json_t *s = pd_refer_search("url", "http://a.b/c?d=\"e\"");
	ck_assert_str_eq(json_string_value(json_object_get(s, "id")),
	                 "ref-pulsedive-search-url-http%3A%2F%2Fa.b%2Fc%3Fd%3D%22e%22");
	ck_assert_str_eq(json_string_value(json_object_get(s, "title")), "Search for this URL");
	ck_assert_str_eq(json_string_value(json_object_get(s, "description")),
	                 "Lookup this URL on Pulsedive");
	/* The decoded query is valid JSON carrying the value. */
	const char *url = json_string_value(json_object_get(s, "url"));
	ck_assert(strncmp(url, "https://pulsedive.com/browse/?q=", 32) == 0);
	json_decref(s);
	ck_assert_str_eq(pd_refer_human_type("ipv6"), "IPv6");
	ck_assert_str_eq(pd_refer_human_type("ip"), "IP");
	ck_assert_str_eq(pd_refer_human_type("artifact"), "artifact");
}
END_TEST

static Suite *map_suite(void)
{
	Suite *s = suite_create("pulsedive_map");
	TCase *tc = tcase_create("map");
	tcase_add_test(tc, full_derived_field_by_field);
	tcase_add_test(tc, limit_1_matches_fixture);
	tcase_add_test(tc, observe_fixture_with_old_links);
	tcase_add_test(tc, active_dns_recent_link);
	tcase_add_test(tc, relations_for_ip_and_other_types);
	tcase_add_test(tc, key_errors);
	tcase_add_test(tc, retired_none_and_retired_stamp);
	tcase_add_test(tc, risk_table);
	tcase_add_test(tc, feed_titles_and_sorting);
	tcase_add_test(tc, head_only_when_links_failed);
	tcase_add_test(tc, refer_search_matches_fixture);
	tcase_add_test(tc, refer_texts_and_escaping);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(map_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
