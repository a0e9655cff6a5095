/* SPDX-License-Identifier: MIT */
/* SigV4 canonical pieces relayd builds for libcurl 7.88 (query, key path, payload hash) and a reference signer. */
#ifndef TS_SIGV4_H
#define TS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>

/** SHA-256 of the empty body, hex. */
#define TS_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/**
 * RFC 3986 encoding as SigV4 wants it: every byte outside A-Za-z0-9-._~ becomes
 * %XX (upper-case hex); '/' is kept only when @p keep_slash.
 * Returns a malloc'd string, NULL on ENOMEM.
 */
char *ts_uri_encode(const char *s, bool keep_slash);

/** An S3 object key as a canonical URI path: "/" + each segment encoded once. */
char *ts_key_path_encode(const char *key);

struct ts_query_param {
	const char *name;
	const char *value; /**< NULL or "" gives "name=" */
};

/**
 * The canonical query string: names and values encoded (ts_uri_encode, '/' as
 * %2F), pairs sorted by encoded name then value, joined with '&'. libcurl 7.88
 * signs the query as written, so relayd puts exactly this in the URL.
 * Returns a malloc'd string ("" for n = 0), NULL on ENOMEM.
 */
char *ts_canonical_query(const struct ts_query_param *params, size_t n);

/** Hex SHA-256 of data (the x-amz-content-sha256 value). out gets 64 chars + NUL
 *  ("" in the unlikely case the digest fails: S3 then refuses the request). */
void ts_sha256_hex(const void *data, size_t len, char out[65]);

struct ts_sigv4_header {
	const char *name;  /**< any case; lower-cased for signing */
	const char *value; /**< trimmed for signing */
};

/** What a signature covers. Strings are borrowed. */
struct ts_sigv4_input {
	const char *method;          /**< "GET", "PUT" */
	const char *canonical_uri;   /**< already encoded, e.g. "/test%24file.text" */
	const char *canonical_query; /**< already canonical, "" for none */
	const struct ts_sigv4_header *headers; /**< the signed headers, incl. host and x-amz-date */
	size_t n_headers;
	const char *payload_hash;    /**< hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
	const char *amz_date;        /**< "YYYYMMDDTHHMMSSZ" */
	const char *region;
	const char *service;         /**< "s3" */
	const char *secret_key;
};

/** The canonical request text (malloc'd, NULL on ENOMEM). */
char *ts_sigv4_canonical_request(const struct ts_sigv4_input *in);

/** The string to sign (malloc'd, NULL on ENOMEM). */
char *ts_sigv4_string_to_sign(const struct ts_sigv4_input *in);

/** The hex signature. Returns 0, RELAYD_EINVAL or RELAYD_ENOMEM. */
int ts_sigv4_signature(const struct ts_sigv4_input *in, char out[65]);

#endif
