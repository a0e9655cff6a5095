/* SPDX-License-Identifier: MIT */
/* The reference's JSON envelopes and the Python-style rendering of its error texts. */
#ifndef TS_ENVELOPE_H
#define TS_ENVELOPE_H

#include <stddef.h>

#include <jansson.h>

/* error.type values: the reference's exception class names. */
#define TS_ERR_WEBHOOK "S3ViewWebhookDataError"
#define TS_ERR_DATE "S3ViewDateParseError"
#define TS_ERR_S3 "S3ClientError"
#define TS_ERR_TS_API "ThreatStackAPIError"
#define TS_ERR_TS_REQUEST "ThreatStackRequestError"
#define TS_ERR_UNEXPECTED "UnexpectedException"
/* Not in the reference: relayd's optional webhook authentication. */
#define TS_ERR_AUTH "WebhookAuthError"

/* The longest rendering of a request value echoed in an error message; the
 * reference echoes the whole webhook, relayd stops here and appends "...". */
#define TS_REPR_MAX 1024

/** {"success": true}. New reference, NULL on ENOMEM. */
json_t *ts_envelope_ok(void);

/** {"success": false, "error": {"type": type, "message": [messages…]}}.
 *  message is a list, as the reference builds it from exception args. */
json_t *ts_envelope_error(const char *type, const char *const *messages, size_t n);

/** ts_envelope_error with one message. */
json_t *ts_envelope_error1(const char *type, const char *message);

/** {"success": false, "error": {"type": "UnexpectedException",
 *  "message": "An unexpected error has occurred."}} (message is a string). */
json_t *ts_envelope_unexpected(void);

/**
 * Python 3's str() of the value json.loads() would have produced for @p v
 * ({'a': 1, 'b': [True, None]}), cut at @p max_len bytes with "..." appended.
 * Returns a malloc'd string (caller frees), NULL on ENOMEM.
 */
char *ts_pyrepr(const json_t *v, size_t max_len);

#endif
