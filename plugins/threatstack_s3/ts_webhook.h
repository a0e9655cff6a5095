/* SPDX-License-Identifier: MIT */
/* Parses and validates a Threat Stack webhook body, with the reference's error texts. */
#ifndef TS_WEBHOOK_H
#define TS_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ts_keys.h"

/** One validated alert of a webhook. */
struct ts_alert {
	char id[TS_ID_LEN + 1];
	int64_t created_at_ms;
	json_t *object; /**< the alert element as received (borrowed from the webhook) */
};

/** A validated webhook: at least one alert, every one valid. */
struct ts_webhook {
	json_t *root;            /**< the parsed body (owned) */
	struct ts_alert *alerts; /**< n items (owned) */
	size_t n;
};

/** Why a body was refused: always HTTP 400 with type S3ViewWebhookDataError. */
struct ts_webhook_error {
	char *message; /**< malloc'd; the reference's text where it has one */
};

/**
 * Parses @p body (any Content-Type, like the reference's get_json(force=True))
 * and validates every alert before anything else happens:
 *  - not JSON → "Failed to decode JSON object: <reason>"
 *  - JSON null → "No webhook data found in request: None"
 *  - no or empty "alerts" → "Webhook lacks alerts: <body>" — except that a
 *    top-level object with no "alerts" key but a truthy "id" and "created_at"
 *    is taken as a one-alert batch (the vendor article's un-wrapped form)
 *  - an alert whose id / created_at is falsy → "alert lacks 'id' field: <body>" /
 *    "alert lacks 'created_at' field: <body>"
 *  - id not 24 lowercase hex → "alert has invalid 'id' field: <body>"
 *  - created_at not an integer (number or numeric string) in 1..9999-12-31 →
 *    "alert has invalid 'created_at' field: <body>"
 * <body> is the Python rendering of the parsed body (ts_pyrepr, TS_REPR_MAX).
 * Returns 0 with *out set (free with ts_webhook_free), RELAYD_EINVAL with
 * err->message set (free with ts_webhook_error_clear), or RELAYD_ENOMEM.
 */
int ts_webhook_parse(const void *body, size_t len, struct ts_webhook **out,
                     struct ts_webhook_error *err);

void ts_webhook_free(struct ts_webhook *wh);
void ts_webhook_error_clear(struct ts_webhook_error *err);

/**
 * Reads created_at (or severity) as the reference would use it: a JSON
 * integer, an integral real, or a string of ASCII digits (no sign, no spaces).
 * Returns 0 with *out set, or RELAYD_EINVAL.
 */
int ts_json_int_field(const json_t *v, int64_t *out);

/** The body relayd stores for a JSON value: Python json.dumps' layout
 *  ({"a": 1, "b": [1, 2]}, ASCII with \u escapes). malloc'd, NULL on ENOMEM. */
char *ts_json_dump(const json_t *v);

#endif
