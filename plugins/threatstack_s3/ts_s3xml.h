/* SPDX-License-Identifier: MIT */
/* A small scanner for the two S3 XML documents relayd reads: ListObjectsV2 pages and <Error>. */
#ifndef TS_S3XML_H
#define TS_S3XML_H

#include <stdbool.h>
#include <stddef.h>

/** One ListObjectsV2 page. */
struct ts_s3_list {
	char **keys;      /**< n_keys decoded <Contents><Key> values, in document order */
	size_t n_keys;
	bool is_truncated;
	char *next_token; /**< decoded <NextContinuationToken>, NULL when absent */
};

/**
 * Parses a <ListBucketResult>. A page without <Contents> is an empty page.
 * Returns 0, RELAYD_EINVAL (not a ListBucketResult, malformed element, or
 * IsTruncated=true without a token) or RELAYD_ENOMEM. Clear with ts_s3_list_clear,
 * also after a failure.
 */
int ts_s3xml_parse_list(const char *xml, size_t len, struct ts_s3_list *out);

void ts_s3_list_clear(struct ts_s3_list *list);

/** An S3 <Error> document. */
struct ts_s3_error {
	char code[64];     /**< "NoSuchKey", … ("" when absent) */
	char message[512]; /**< "The specified key does not exist." (cut to fit) */
};

/** Parses an <Error>. Returns 0 or RELAYD_EINVAL (no <Error>/<Code>). */
int ts_s3xml_parse_error(const char *xml, size_t len, struct ts_s3_error *out);

/**
 * Whether an S3 failure is worth retrying: true for HTTP 5xx, 429 and the
 * throttling / clock-skew / internal codes; false for everything else
 * (NoSuchKey, AccessDenied, NoSuchBucket, …).
 */
bool ts_s3_error_retryable(long http_status, const char *code);

/** Decodes the five XML entities and &#N; / &#xN; (as UTF-8). malloc'd, NULL
 *  on ENOMEM or a malformed reference. */
char *ts_xml_unescape(const char *s, size_t len);

#endif
