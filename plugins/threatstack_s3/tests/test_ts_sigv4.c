/* SPDX-License-Identifier: MIT */
/* Tests for ts_sigv4: encodings, canonical query, and AWS's published SigV4 S3 signature vectors. */
#include "ts_sigv4.h"

#include <relayd/status.h>

#include "ts_test_util.h"

#define AKID "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define HOST "examplebucket.s3.amazonaws.com"
#define DATE "20130524T000000Z"

static void check_enc(const char *in, bool keep_slash, const char *want)
{
	char *got = ts_uri_encode(in, keep_slash);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(uri_encoding)
{
	check_enc("test$file.text", true, "test%24file.text");
	check_enc("a b+c", false, "a%20b%2Bc");
	check_enc("A-Z_a.z~0", false, "A-Z_a.z~0");
	check_enc("a/b", false, "a%2Fb");
	check_enc("a/b", true, "a/b");
	check_enc("caf\xc3\xa9", false, "caf%C3%A9");
	check_enc("=&?%", false, "%3D%26%3F%25");
	check_enc("", false, "");
}
END_TEST

START_TEST(key_paths)
{
	char *p = ts_key_path_encode("webhooks/2017/01/15/23/10/587c0159a907346eccb84004");
	ck_assert_str_eq(p, "/webhooks/2017/01/15/23/10/587c0159a907346eccb84004");
	free(p);
	p = ts_key_path_encode("odd prefix+/alerts/58");
	ck_assert_str_eq(p, "/odd%20prefix%2B/alerts/58");
	free(p);
}
END_TEST

START_TEST(canonical_query_sorted_and_encoded)
{
	struct ts_query_param unsorted[] = {{"prefix", "J"}, {"max-keys", "2"}};
	char *q = ts_canonical_query(unsorted, 2);
	ck_assert_str_eq(q, "max-keys=2&prefix=J");
	free(q);

	struct ts_query_param list[] = {
	    {"prefix", "webhooks/2017/"},
	    {"list-type", "2"},
	    {"continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="},
	};
	q = ts_canonical_query(list, 3);
	ck_assert_str_eq(q, "continuation-token=1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D"
	                    "&list-type=2&prefix=webhooks%2F2017%2F");
	free(q);

	struct ts_query_param empty[] = {{"lifecycle", NULL}};
	q = ts_canonical_query(empty, 1);
	ck_assert_str_eq(q, "lifecycle=");
	free(q);

	q = ts_canonical_query(NULL, 0);
	ck_assert_str_eq(q, "");
	free(q);

	/* same name twice: sorted by value */
	struct ts_query_param dup[] = {{"a", "2"}, {"a", "1"}};
	q = ts_canonical_query(dup, 2);
	ck_assert_str_eq(q, "a=1&a=2");
	free(q);
}
END_TEST

START_TEST(payload_hashes)
{
	char h[65];
	ts_sha256_hex("", 0, h);
	ck_assert_str_eq(h, TS_EMPTY_SHA256);
	ts_sha256_hex(NULL, 0, h);
	ck_assert_str_eq(h, TS_EMPTY_SHA256);
	ts_sha256_hex("Welcome to Amazon S3.", 21, h);
	ck_assert_str_eq(h, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
}
END_TEST

static void check_signature(const struct ts_sigv4_input *in, const char *want)
{
	char sig[65];
	ck_assert_int_eq(ts_sigv4_signature(in, sig), RELAYD_OK);
	ck_assert_str_eq(sig, want);
}

/* AWS, "Signature Calculations for the Authorization Header", example: GET Object. */
START_TEST(vector_get_object)
{
	struct ts_sigv4_header h[] = {
	    {"Host", HOST},
	    {"Range", "bytes=0-9"},
	    {"x-amz-content-sha256", TS_EMPTY_SHA256},
	    {"x-amz-date", DATE},
	};
	struct ts_sigv4_input in = {
	    .method = "GET", .canonical_uri = "/test.txt", .canonical_query = "",
	    .headers = h, .n_headers = 4, .payload_hash = TS_EMPTY_SHA256, .amz_date = DATE,
	    .region = "us-east-1", .service = "s3", .secret_key = SECRET,
	};
	char *creq = ts_sigv4_canonical_request(&in);
	ck_assert_str_eq(creq, "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\n"
	                       "range:bytes=0-9\nx-amz-content-sha256:" TS_EMPTY_SHA256 "\n"
	                       "x-amz-date:20130524T000000Z\n\n"
	                       "host;range;x-amz-content-sha256;x-amz-date\n" TS_EMPTY_SHA256);
	free(creq);
	char *sts = ts_sigv4_string_to_sign(&in);
	ck_assert_str_eq(sts, "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
	                      "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
	free(sts);
	check_signature(&in, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}
END_TEST

/* Example: PUT Object — the key needs per-segment encoding ($ → %24). */
START_TEST(vector_put_object)
{
	char hash[65];
	ts_sha256_hex("Welcome to Amazon S3.", 21, hash);
	char *uri = ts_key_path_encode("test$file.text");
	struct ts_sigv4_header h[] = {
	    {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
	    {"Host", HOST},
	    {"x-amz-content-sha256", hash},
	    {"x-amz-date", DATE},
	    {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
	};
	struct ts_sigv4_input in = {
	    .method = "PUT", .canonical_uri = uri, .canonical_query = "",
	    .headers = h, .n_headers = 5, .payload_hash = hash, .amz_date = DATE,
	    .region = "us-east-1", .service = "s3", .secret_key = SECRET,
	};
	check_signature(&in, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
	free(uri);
}
END_TEST

/* Example: GET Bucket Lifecycle — an empty query value. */
START_TEST(vector_get_lifecycle)
{
	struct ts_query_param qp[] = {{"lifecycle", ""}};
	char *query = ts_canonical_query(qp, 1);
	struct ts_sigv4_header h[] = {
	    {"Host", HOST},
	    {"x-amz-content-sha256", TS_EMPTY_SHA256},
	    {"x-amz-date", DATE},
	};
	struct ts_sigv4_input in = {
	    .method = "GET", .canonical_uri = "/", .canonical_query = query,
	    .headers = h, .n_headers = 3, .payload_hash = TS_EMPTY_SHA256, .amz_date = DATE,
	    .region = "us-east-1", .service = "s3", .secret_key = SECRET,
	};
	check_signature(&in, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
	free(query);
}
END_TEST

/* Example: List Objects — parameters handed over unsorted (contract §13). */
START_TEST(vector_list_objects)
{
	struct ts_query_param qp[] = {{"prefix", "J"}, {"max-keys", "2"}};
	char *query = ts_canonical_query(qp, 2);
	struct ts_sigv4_header h[] = {
	    {"x-amz-date", DATE},
	    {"x-amz-content-sha256", TS_EMPTY_SHA256},
	    {"host", HOST},
	};
	struct ts_sigv4_input in = {
	    .method = "GET", .canonical_uri = "/", .canonical_query = query,
	    .headers = h, .n_headers = 3, .payload_hash = TS_EMPTY_SHA256, .amz_date = DATE,
	    .region = "us-east-1", .service = "s3", .secret_key = SECRET,
	};
	check_signature(&in, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
	free(query);
}
END_TEST

START_TEST(signature_needs_a_date)
{
	struct ts_sigv4_input in = {
	    .method = "GET", .canonical_uri = "/", .canonical_query = "", .headers = NULL,
	    .n_headers = 0, .payload_hash = TS_EMPTY_SHA256, .amz_date = "2013",
	    .region = "us-east-1", .service = "s3", .secret_key = SECRET,
	};
	char sig[65];
	ck_assert_int_eq(ts_sigv4_signature(&in, sig), RELAYD_EINVAL);
	(void)AKID;
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts_sigv4");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, uri_encoding);
	tcase_add_test(tc, key_paths);
	tcase_add_test(tc, canonical_query_sorted_and_encoded);
	tcase_add_test(tc, payload_hashes);
	tcase_add_test(tc, vector_get_object);
	tcase_add_test(tc, vector_put_object);
	tcase_add_test(tc, vector_get_lifecycle);
	tcase_add_test(tc, vector_list_objects);
	tcase_add_test(tc, signature_needs_a_date);
	suite_add_tcase(s, tc);
	return s;
}

TS_RUN_SUITE(suite)
