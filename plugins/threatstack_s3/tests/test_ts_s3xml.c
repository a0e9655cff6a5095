/* SPDX-License-Identifier: MIT */
/* Tests for ts_s3xml: the fixture ListObjectsV2 pages and error document, entities, malformed input. */
#include "ts_s3xml.h"

#include <relayd/status.h>

#include "ts_test_util.h"

START_TEST(list_page)
{
	size_t len;
	char *xml = ts_fixture("s3_list_objects_v2_response_synthetic.xml", &len);
	struct ts_s3_list l;
	ck_assert_int_eq(ts_s3xml_parse_list(xml, len, &l), RELAYD_OK);
	ck_assert_uint_eq(l.n_keys, 2);
	ck_assert_str_eq(l.keys[0], "webhooks/2017/01/15/23/10/587c0159a907346eccb84004");
	ck_assert_str_eq(l.keys[1], "webhooks/2017/01/15/23/19/587c036efc22b55ac0b72837");
	ck_assert(!l.is_truncated);
	ck_assert_ptr_null(l.next_token);
	ts_s3_list_clear(&l);
	free(xml);
}
END_TEST

START_TEST(truncated_page)
{
	size_t len;
	char *xml = ts_fixture("s3_list_objects_v2_response_truncated_synthetic.xml", &len);
	struct ts_s3_list l;
	ck_assert_int_eq(ts_s3xml_parse_list(xml, len, &l), RELAYD_OK);
	ck_assert_uint_eq(l.n_keys, 1);
	ck_assert_str_eq(l.keys[0], "webhooks/2017/01/15/23/10/587c0159a907346eccb84004");
	ck_assert(l.is_truncated);
	ck_assert_str_eq(l.next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
	ts_s3_list_clear(&l);
	free(xml);
}
END_TEST

START_TEST(empty_page)
{
	size_t len;
	char *xml = ts_fixture("s3_list_objects_v2_response_empty_synthetic.xml", &len);
	struct ts_s3_list l;
	ck_assert_int_eq(ts_s3xml_parse_list(xml, len, &l), RELAYD_OK);
	ck_assert_uint_eq(l.n_keys, 0);
	ck_assert(!l.is_truncated);
	ts_s3_list_clear(&l);
	free(xml);
}
END_TEST

START_TEST(error_document)
{
	size_t len;
	char *xml = ts_fixture("s3_error_nosuchkey_synthetic.xml", &len);
	struct ts_s3_error e;
	ck_assert_int_eq(ts_s3xml_parse_error(xml, len, &e), RELAYD_OK);
	ck_assert_str_eq(e.code, "NoSuchKey");
	ck_assert_str_eq(e.message, "The specified key does not exist.");
	ck_assert(!ts_s3_error_retryable(404, e.code));
	free(xml);
}
END_TEST

START_TEST(entities_in_keys)
{
	const char *xml = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents>"
	                  "<Key>a&amp;b&lt;c&gt;&quot;&apos;&#65;&#x42;&#xe9;</Key></Contents>"
	                  "</ListBucketResult>";
	struct ts_s3_list l;
	ck_assert_int_eq(ts_s3xml_parse_list(xml, strlen(xml), &l), RELAYD_OK);
	ck_assert_uint_eq(l.n_keys, 1);
	ck_assert_str_eq(l.keys[0], "a&b<c>\"'AB\xc3\xa9");
	ts_s3_list_clear(&l);
}
END_TEST

START_TEST(malformed)
{
	const char *bad[] = {
	    "",
	    "<Error><Code>x</Code></Error>",
	    "<ListBucketResult><Contents><Key>a</Key></Contents>",
	    "<ListBucketResult><Contents><Key>a</Contents></ListBucketResult>",
	    "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
	    "<ListBucketResult><Contents><Key>a&bogus;</Key></Contents></ListBucketResult>",
	    "<ListBucketResult><Contents><Key>a&#0;</Key></Contents></ListBucketResult>",
	    "<ListBucketResult><Contents><Key>a&#xd800;</Key></Contents></ListBucketResult>",
	    "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
	    "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>"
	    "</NextContinuationToken></ListBucketResult>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ts_s3_list l;
		ck_assert_msg(ts_s3xml_parse_list(bad[i], strlen(bad[i]), &l) == RELAYD_EINVAL, "%s",
		              bad[i]);
		ts_s3_list_clear(&l);
	}
	struct ts_s3_error e;
	ck_assert_int_eq(ts_s3xml_parse_error("<Error><Message>m</Message></Error>", 34, &e),
	                 RELAYD_EINVAL);
	ck_assert_int_eq(ts_s3xml_parse_error("not xml", 7, &e), RELAYD_EINVAL);
	ck_assert_int_eq(ts_s3xml_parse_error(NULL, 0, &e), RELAYD_EINVAL);
}
END_TEST

START_TEST(attributes_and_bounds)
{
	/* the scanner must not read past len: cut the document mid-tag */
	const char *xml = "<ListBucketResult xmlns=\"x\"><IsTruncated>false</IsTruncated>"
	                  "<Contents><Key>k1</Key></Contents></ListBucketResult>";
	struct ts_s3_list l;
	ck_assert_int_eq(ts_s3xml_parse_list(xml, strlen(xml), &l), RELAYD_OK);
	ck_assert_uint_eq(l.n_keys, 1);
	ck_assert_str_eq(l.keys[0], "k1");
	ts_s3_list_clear(&l);
	for (size_t cut = 0; cut < strlen(xml) - 1; cut++) {
		char *copy = malloc(cut ? cut : 1);
		memcpy(copy, xml, cut);
		ck_assert_int_eq(ts_s3xml_parse_list(copy, cut, &l), RELAYD_EINVAL);
		ts_s3_list_clear(&l);
		free(copy);
	}
}
END_TEST

START_TEST(retryable_codes)
{
	ck_assert(ts_s3_error_retryable(500, "InternalError"));
	ck_assert(ts_s3_error_retryable(503, "SlowDown"));
	ck_assert(ts_s3_error_retryable(429, ""));
	ck_assert(ts_s3_error_retryable(400, "RequestTimeout"));
	ck_assert(ts_s3_error_retryable(403, "RequestTimeTooSkewed"));
	ck_assert(!ts_s3_error_retryable(403, "AccessDenied"));
	ck_assert(!ts_s3_error_retryable(404, "NoSuchBucket"));
	ck_assert(!ts_s3_error_retryable(400, "AuthorizationHeaderMalformed"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts_s3xml");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, list_page);
	tcase_add_test(tc, truncated_page);
	tcase_add_test(tc, empty_page);
	tcase_add_test(tc, error_document);
	tcase_add_test(tc, entities_in_keys);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, attributes_and_bounds);
	tcase_add_test(tc, retryable_codes);
	suite_add_tcase(s, tc);
	return s;
}

TS_RUN_SUITE(suite)
