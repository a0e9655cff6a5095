/* SPDX-License-Identifier: MIT */
/* The Threat Stack API v1 as the archive uses it: URLs, headers, and what an answer means. */
#include "ts_tsapi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/host.h>

#include "ts_envelope.h"

char *ts_url_join(const char *base, const char *path)
{
	size_t bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	while (*path == '/')
		path++;
	size_t n = bl + 1 + strlen(path) + 1;
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "%.*s/%s", (int)bl, base, path);
	return out;
}

char *ts_tsapi_alert_url(const char *base, const char *id)
{
	char path[64];
	snprintf(path, sizeof(path), "alerts/%s", id);
	return ts_url_join(base, path);
}

char *ts_tsapi_status_url(const char *base)
{
	return ts_url_join(base, "alerts?count=1");
}

size_t ts_tsapi_headers(const char *key, const char *org, const char **out, char storage[][1100])
{
	size_t n = 0;
	int w;

	w = snprintf(storage[n], 1100, "Authorization: %s", key ? key : "");
	if (w > 0 && w < 1100)
		out[n] = storage[n], n++;
	if (org && org[0]) {
		w = snprintf(storage[n], 1100, "Organization: %s", org);
		if (w > 0 && w < 1100)
			out[n] = storage[n], n++;
	}
	snprintf(storage[n], 1100, "Accept: application/json");
	out[n] = storage[n];
	n++;
	out[n] = NULL;
	return n;
}

enum ts_tsapi_verdict ts_tsapi_classify(int http_error, long status)
{
	if (http_error != RELAYD_HTTP_OK)
		return TS_TSAPI_RETRY;
	if (status >= 200 && status < 300)
		return TS_TSAPI_OK;
	if (status == 404)
		return TS_TSAPI_DROP;
	if (status == 401 || status == 403)
		return TS_TSAPI_AUTH;
	return TS_TSAPI_RETRY;
}

json_t *ts_tsapi_error_envelope(int http_error, long status, const char *reason,
                                const char *content_type, const char *body, size_t len,
                                const char *error_text)
{
	char code[24];

	if (http_error != RELAYD_HTTP_OK)
		return ts_envelope_error1(TS_ERR_TS_REQUEST,
		                          error_text && error_text[0] ? error_text
		                                                      : "Failure to communicate with Threat Stack");
	snprintf(code, sizeof(code), "%ld", status);
	if (!reason)
		reason = "";
	if (content_type && strstr(content_type, "application/json")) {
		json_t *parsed = json_loadb(body ? body : "", body ? len : 0, JSON_DECODE_ANY, NULL);
		if (parsed) {
			char *repr = ts_pyrepr(parsed, TS_REPR_MAX);
			json_decref(parsed);
			if (!repr)
				return NULL;
			const char *msgs[3] = {reason, code, repr};
			json_t *env = ts_envelope_error(TS_ERR_TS_API, msgs, 3);
			free(repr);
			return env;
		}
		/* resp.json() would raise: the reference's catch-all. */
		return ts_envelope_unexpected();
	}
	const char *msgs[2] = {reason, code};
	return ts_envelope_error(TS_ERR_TS_REQUEST, msgs, 2);
}
