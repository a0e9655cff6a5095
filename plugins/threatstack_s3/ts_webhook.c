/* SPDX-License-Identifier: MIT */
/* Parses and validates a Threat Stack webhook body, with the reference's error texts. */
#include "ts_webhook.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>
#include <relayd/json.h>

#include "ts_envelope.h"

void ts_webhook_free(struct ts_webhook *wh)
{
	if (!wh)
		return;
	json_decref(wh->root);
	free(wh->alerts);
	free(wh);
}

void ts_webhook_error_clear(struct ts_webhook_error *err)
{
	free(err->message);
	err->message = NULL;
}

char *ts_json_dump(const json_t *v)
{
	return json_dumps(v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
}

int ts_json_int_field(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return RELAYD_OK;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (!isfinite(d) || d != floor(d) || fabs(d) > 9.0e15)
			return RELAYD_EINVAL;
		*out = (int64_t)d;
		return RELAYD_OK;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		size_t n = json_string_length(v);
		if (n == 0 || n > 18)
			return RELAYD_EINVAL;
		int64_t acc = 0;
		for (size_t i = 0; i < n; i++) {
			if (s[i] < '0' || s[i] > '9')
				return RELAYD_EINVAL;
			acc = acc * 10 + (s[i] - '0');
		}
		*out = acc;
		return RELAYD_OK;
	}
	return RELAYD_EINVAL;
}

static int fail_with(struct ts_webhook_error *err, const char *what, const json_t *root)
{
	char *repr = ts_pyrepr(root, TS_REPR_MAX);
	if (!repr)
		return RELAYD_ENOMEM;
	size_t n = strlen(what) + strlen(repr) + 3;
	err->message = malloc(n);
	if (!err->message) {
		free(repr);
		return RELAYD_ENOMEM;
	}
	snprintf(err->message, n, "%s: %s", what, repr);
	free(repr);
	return RELAYD_EINVAL;
}

/* Checks one alert element; on failure sets err from root and returns EINVAL. */
static int validate_alert(const json_t *alert, const json_t *root, struct ts_alert *out,
                          struct ts_webhook_error *err)
{
	const json_t *id = json_is_object(alert) ? json_object_get(alert, "id") : NULL;
	const json_t *created = json_is_object(alert) ? json_object_get(alert, "created_at") : NULL;
	int64_t ms;

	if (!relayd_json_truthy(id))
		return fail_with(err, "alert lacks 'id' field", root);
	if (!relayd_json_truthy(created))
		return fail_with(err, "alert lacks 'created_at' field", root);
	if (!json_is_string(id) || !ts_id_valid(json_string_value(id)))
		return fail_with(err, "alert has invalid 'id' field", root);
	if (ts_json_int_field(created, &ms) != RELAYD_OK || ms < 1 || ms > TS_CREATED_AT_MAX_MS)
		return fail_with(err, "alert has invalid 'created_at' field", root);
	memcpy(out->id, json_string_value(id), TS_ID_LEN + 1);
	out->created_at_ms = ms;
	out->object = (json_t *)alert;
	return RELAYD_OK;
}

static int set_message(struct ts_webhook_error *err, const char *fmt, const char *arg)
{
	size_t n = strlen(fmt) + strlen(arg) + 1;
	err->message = malloc(n);
	if (!err->message)
		return RELAYD_ENOMEM;
	snprintf(err->message, n, fmt, arg);
	return RELAYD_EINVAL;
}

int ts_webhook_parse(const void *body, size_t len, struct ts_webhook **out,
                     struct ts_webhook_error *err)
{
	json_error_t jerr;
	int rc;

	*out = NULL;
	err->message = NULL;
	json_t *root = json_loadb(body ? body : "", body ? len : 0, JSON_DECODE_ANY, &jerr);
	if (!root)
		return set_message(err, "Failed to decode JSON object: %s", jerr.text);
	if (json_is_null(root)) {
		json_decref(root);
		return set_message(err, "%s", "No webhook data found in request: None");
	}

	/* The list of alert elements: root["alerts"], or root itself when it is
	 * an un-wrapped alert (no "alerts" key at all, but an id and a created_at). */
	const json_t *alerts = json_is_object(root) ? json_object_get(root, "alerts") : NULL;
	bool flat = json_is_object(root) && !alerts && relayd_json_truthy(json_object_get(root, "id")) &&
	            relayd_json_truthy(json_object_get(root, "created_at"));
	size_t n = flat ? 1 : (json_is_array(alerts) ? json_array_size(alerts) : 0);
	if (n == 0) {
		rc = fail_with(err, "Webhook lacks alerts", root);
		json_decref(root);
		return rc;
	}

	struct ts_webhook *wh = calloc(1, sizeof(*wh));
	struct ts_alert *list = calloc(n, sizeof(*list));
	if (!wh || !list) {
		free(wh);
		free(list);
		json_decref(root);
		return RELAYD_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *alert = flat ? root : json_array_get(alerts, i);
		rc = validate_alert(alert, root, &list[i], err);
		if (rc != RELAYD_OK) {
			free(list);
			free(wh);
			json_decref(root);
			return rc;
		}
	}
	wh->root = root;
	wh->alerts = list;
	wh->n = n;
	*out = wh;
	return RELAYD_OK;
}
