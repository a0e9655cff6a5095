/* SPDX-License-Identifier: MIT */
/* Tests for sdk/src/url.c: joins, percent/form encoding, query strings, base64, SHA-256. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <relayd/sdk.h>

/* Asserts a malloc'd result and frees it. */
#define ck_assert_take_str(expr, expected)                                                   \
	do {                                                                                 \
		char *got_ = (expr);                                                         \
		ck_assert_ptr_nonnull(got_);                                                 \
		ck_assert_str_eq(got_, (expected));                                          \
		free(got_);                                                                  \
	} while (0)

START_TEST(join_inserts_exactly_one_slash)
{
	ck_assert_take_str(relayd_url_join("https://pulsedive.com/api", "info.php"),
	                   "https://pulsedive.com/api/info.php");
	ck_assert_take_str(relayd_url_join("https://pulsedive.com/api/", "/info.php"),
	                   "https://pulsedive.com/api/info.php");
	ck_assert_take_str(relayd_url_join("https://pulsedive.com/api///", "//info.php"),
	                   "https://pulsedive.com/api/info.php");
	ck_assert_take_str(relayd_url_join("https://api.spycloud.io/enterprise-v2",
	                                   "breach/data/emails/a@b.c"),
	                   "https://api.spycloud.io/enterprise-v2/breach/data/emails/a@b.c");
	ck_assert_take_str(relayd_url_join("http://127.0.0.1:8080", "x/y/"),
	                   "http://127.0.0.1:8080/x/y/");
}
END_TEST

START_TEST(join_without_path_gives_the_base)
{
	ck_assert_take_str(relayd_url_join("https://a.example/api/", NULL), "https://a.example/api");
	ck_assert_take_str(relayd_url_join("https://a.example/api/", ""), "https://a.example/api");
	ck_assert_take_str(relayd_url_join("https://a.example/api", "///"), "https://a.example/api");
	ck_assert_ptr_null(relayd_url_join(NULL, "x"));
}
END_TEST

START_TEST(pct_encode_keeps_only_unreserved)
{
	ck_assert_take_str(relayd_pct_encode("cisco.com"), "cisco.com");
	ck_assert_take_str(relayd_pct_encode("https://www.cisco.com"), "https%3A%2F%2Fwww.cisco.com");
	ck_assert_take_str(relayd_pct_encode("AZaz09_.-~"), "AZaz09_.-~");
	ck_assert_take_str(relayd_pct_encode("a b+c/d?e=f&g%h\"'"),
	                   "a%20b%2Bc%2Fd%3Fe%3Df%26g%25h%22%27");
	ck_assert_take_str(relayd_pct_encode("\xc3\xa9\x01\x7f\xff"), "%C3%A9%01%7F%FF");
	ck_assert_take_str(relayd_pct_encode(""), "");
	ck_assert_ptr_null(relayd_pct_encode(NULL));
}
END_TEST

START_TEST(path_segment_encodes_slash_and_path_keeps_it)
{
	ck_assert_take_str(relayd_pct_encode_path_segment("../a b/c"), "..%2Fa%20b%2Fc");
	ck_assert_take_str(relayd_pct_encode_path("webhooks/2017/a b+c"),
	                   "webhooks/2017/a%20b%2Bc");
	ck_assert_take_str(relayd_pct_encode_path("/x//y/"), "/x//y/");
}
END_TEST

START_TEST(form_encode_matches_quote_plus)
{
	/* pulsedive.md §3 */
	ck_assert_take_str(relayd_form_encode("http://a.b/c?d=e&f=g h"),
	                   "http%3A%2F%2Fa.b%2Fc%3Fd%3De%26f%3Dg+h");
	/* gigamon.md §5.3 */
	ck_assert_take_str(relayd_form_encode("uuid = 'aadcce2c'"), "uuid+%3D+%27aadcce2c%27");
	ck_assert_take_str(relayd_form_encode("a+b"), "a%2Bb");
}
END_TEST

/* relayd_form_decode(s) as a NUL-terminated input. */
static char *form_decode(const char *s)
{
	return relayd_form_decode(s, strlen(s));
}

START_TEST(form_decode_reverses_form_encode)
{
	const char *texts[] = { "http://a.b/c?d=e&f=g h", "uuid = 'aadcce2c'", "a+b", "",
	                        "caf\xc3\xa9 \xe2\x82\xac%", "~-._" };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *enc = relayd_form_encode(texts[i]);
		char *dec = relayd_form_decode(enc, strlen(enc));

		ck_assert_str_eq(dec, texts[i]);
		free(dec);
		free(enc);
	}
	/* Either case of hex; bytes past len are not read. */
	ck_assert_take_str(form_decode("%e2%82%AC+x"), "\xe2\x82\xac x");
	ck_assert_take_str(relayd_form_decode("ab%41cd", 5), "abA");
}
END_TEST

START_TEST(form_decode_refuses_bad_escapes_and_nul)
{
	const char *bad[] = { "%", "%4", "a%4", "%G1", "%1g", "%00", "x%00y", "% 1" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(form_decode(bad[i]) == NULL, "%s decoded", bad[i]);
	/* The escape is cut off by len even though the bytes follow. */
	ck_assert_ptr_null(relayd_form_decode("a%41", 3));
	ck_assert_ptr_null(relayd_form_decode(NULL, 1));
	ck_assert_take_str(relayd_form_decode(NULL, 0), "");
}
END_TEST

START_TEST(url_with_form_builds_pulsedive_lookup)
{
	const char *kv[] = {"indicator", "http://a.b/c?d=e&f=g h", "key", "K1", NULL};
	ck_assert_take_str(relayd_url_with_form("https://pulsedive.com/api/", "info.php", kv),
	                   "https://pulsedive.com/api/info.php"
	                   "?indicator=http%3A%2F%2Fa.b%2Fc%3Fd%3De%26f%3Dg+h&key=K1");
	const char *links[] = {"indicator", "parkingcrew.net", "key", "K1", "get", "links", NULL};
	ck_assert_take_str(relayd_url_with_form("https://pulsedive.com/api", "info.php", links),
	                   "https://pulsedive.com/api/info.php"
	                   "?indicator=parkingcrew.net&key=K1&get=links");
}
END_TEST

START_TEST(url_with_query_encodes_rfc3986)
{
	const char *kv[] = {"continuation-token", "", "list-type", "2", "prefix", "webhooks/2017 x",
	                    NULL};
	ck_assert_take_str(relayd_url_with_query("http://127.0.0.1:4568/bucket", NULL, kv),
	                   "http://127.0.0.1:4568/bucket"
	                   "?continuation-token=&list-type=2&prefix=webhooks%2F2017%20x");
	ck_assert_take_str(relayd_url_with_query("https://a.example/", "x", NULL),
	                   "https://a.example/x");
	const char *none[] = {NULL};
	ck_assert_take_str(relayd_url_with_query("https://a.example/", "x", none),
	                   "https://a.example/x");
	const char *null_value[] = {"a", NULL, "ignored", "x", NULL};
	ck_assert_take_str(relayd_url_with_query("https://a.example", "x", null_value),
	                   "https://a.example/x?a=");
}
END_TEST

START_TEST(base64_rfc4648_vectors)
{
	static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
	                                  "Zm9vYmFy"};
	for (size_t i = 0; i < sizeof in / sizeof in[0]; i++)
		ck_assert_take_str(relayd_base64_encode(in[i], strlen(in[i])), out[i]);
	/* '+' and '/' of the standard alphabet, binary input with NULs */
	ck_assert_take_str(relayd_base64_encode("\xfb\xff\x00\xfe", 4), "+/8A/g==");
	ck_assert_ptr_null(relayd_base64_encode(NULL, 3));
}
END_TEST

/* pulsedive.md §7: the search query whose base64 is the refer link. */
static char *pulsedive_search_url(const char *value)
{
	char query[1024];
	snprintf(query, sizeof query,
	         "{\"type\":[\"artifact\", \"domain\",\"ip\",\"ipv6\",\"url\"],\"risk\":[\"unknown\","
	         "\"none\",\"low\",\"medium\",\"high\",\"critical\",\"retired\"],\"lastseen\":"
	         "[\"all\"],\"indicator\":[{\"raw\":{\"type\":\"indicator\",\"value\":\"%s\"}, "
	         "\"htmlsafe\":{\"type\":\"indicator\",\"value\":\"%s\"},\"exact\":true}],"
	         "\"attribute\":[],\"property\":[],\"threat\":[], \"feed\":[]}",
	         value, value);
	char *b64 = relayd_base64_encode(query, strlen(query));
	ck_assert_ptr_nonnull(b64);
	char *url = NULL;
	ck_assert_int_ge(asprintf(&url, "https://pulsedive.com/browse/?q=%s", b64), 0);
	free(b64);
	return url;
}

static json_t *load_fixture(const char *rel)
{
	const char *dir = getenv("FIXTURES_DIR");
	ck_assert_msg(dir != NULL, "FIXTURES_DIR is not set");
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);
	ck_assert_msg(j != NULL, "%s: %s", path, err.text);
	return j;
}

START_TEST(base64_reproduces_pulsedive_refer_links)
{
	json_t *refer = load_fixture("pulsedive/expected_refer_cisco_com.json");
	const char *want = json_string_value(
	    json_object_get(json_array_get(json_object_get(refer, "data"), 0), "url"));
	ck_assert_ptr_nonnull(want);
	ck_assert_take_str(pulsedive_search_url("cisco.com"), want);
	json_decref(refer);

	json_t *mapping = load_fixture("pulsedive/expected_upstream_status_mapping_derived.json");
	json_t *row = json_array_get(mapping, 2); /* 404 on refer: the search link only */
	const char *want_ip = json_string_value(json_object_get(
	    json_array_get(json_object_get(json_object_get(row, "body"), "data"), 0), "url"));
	ck_assert_ptr_nonnull(want_ip);
	ck_assert_take_str(pulsedive_search_url("1.1.1.1"), want_ip);
	json_decref(mapping);
}
END_TEST

START_TEST(hex_sha256_vectors)
{
	char out[65];
	ck_assert_int_eq(relayd_hex_sha256("", 0, out), RELAYD_OK);
	ck_assert_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_int_eq(relayd_hex_sha256(NULL, 0, out), RELAYD_OK);
	ck_assert_str_eq(out, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	ck_assert_int_eq(relayd_hex_sha256("abc", 3, out), RELAYD_OK);
	ck_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(relayd_hex_sha256(NULL, 1, out), RELAYD_EINVAL);
	ck_assert_int_eq(relayd_hex_sha256("abc", 3, NULL), RELAYD_EINVAL);
}
END_TEST

START_TEST(strstatus_names)
{
	ck_assert_str_eq(relayd_strstatus(RELAYD_OK), "ok");
	ck_assert_str_eq(relayd_strstatus(RELAYD_EINVAL), "invalid argument");
	ck_assert_str_eq(relayd_strstatus(RELAYD_ENOMEM), "out of memory");
	ck_assert_str_eq(relayd_strstatus(RELAYD_ETIMEDOUT), "timed out");
	ck_assert_str_eq(relayd_strstatus(RELAYD_EBUSY), "busy");
	ck_assert_str_eq(relayd_strstatus(-999), "unknown status");
}
END_TEST

static Suite *url_suite(void)
{
	Suite *s = suite_create("url");
	TCase *tc = tcase_create("join");
	tcase_add_test(tc, join_inserts_exactly_one_slash);
	tcase_add_test(tc, join_without_path_gives_the_base);
	suite_add_tcase(s, tc);
	tc = tcase_create("encode");
	tcase_add_test(tc, pct_encode_keeps_only_unreserved);
	tcase_add_test(tc, path_segment_encodes_slash_and_path_keeps_it);
	tcase_add_test(tc, form_encode_matches_quote_plus);
	tcase_add_test(tc, form_decode_reverses_form_encode);
	tcase_add_test(tc, form_decode_refuses_bad_escapes_and_nul);
	suite_add_tcase(s, tc);
	tc = tcase_create("query");
	tcase_add_test(tc, url_with_form_builds_pulsedive_lookup);
	tcase_add_test(tc, url_with_query_encodes_rfc3986);
	suite_add_tcase(s, tc);
	tc = tcase_create("base64_sha256");
	tcase_add_test(tc, base64_rfc4648_vectors);
	tcase_add_test(tc, base64_reproduces_pulsedive_refer_links);
	tcase_add_test(tc, hex_sha256_vectors);
	suite_add_tcase(s, tc);
	tc = tcase_create("status");
	tcase_add_test(tc, strstatus_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(url_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
