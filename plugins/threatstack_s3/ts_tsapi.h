/* SPDX-License-Identifier: MIT */
/* The Threat Stack API v1 as the archive uses it: URLs, headers, and what an answer means. */
#ifndef TS_TSAPI_H
#define TS_TSAPI_H

#include <stddef.h>

#include <jansson.h>

/** Joins a base URL and a relative path with exactly one '/' (DECISIONS.md §5).
 *  malloc'd, NULL on ENOMEM. */
char *ts_url_join(const char *base, const char *path);

/** "<base>/alerts/<id>" (id must be valid; it is hex, so needs no encoding). */
char *ts_tsapi_alert_url(const char *base, const char *id);

/** "<base>/alerts?count=1", the reference's reachability check. */
char *ts_tsapi_status_url(const char *base);

/** Request headers: "Authorization: <key>", optional "Organization: <org>",
 *  "Accept: application/json". Fills @p out (at least 4 slots) NULL-terminated
 *  with pointers into @p storage (at least 3 × 1100 bytes); too-long values
 *  are left out. Returns the number of headers. */
size_t ts_tsapi_headers(const char *key, const char *org, const char **out, char storage[][1100]);

/** What the delivery loop does with an answer about one alert. */
enum ts_tsapi_verdict {
	TS_TSAPI_OK = 0,     /**< 2xx: store the detail */
	TS_TSAPI_RETRY = 1,  /**< 5xx, 429, other 4xx, timeout, connection/TLS error: back off */
	TS_TSAPI_DROP = 2,   /**< 404: forged or deleted id; count it and drop it */
	TS_TSAPI_AUTH = 3,   /**< 401/403: our key is wrong; keep the alert, report it */
};

/** @p http_error is enum relayd_http_error (0 = an answer arrived). */
enum ts_tsapi_verdict ts_tsapi_classify(int http_error, long status);

/**
 * The reference's envelope for a failed Threat Stack call (GET /status):
 *  - no answer → ThreatStackRequestError [error_text]
 *  - non-2xx with a JSON Content-Type → ThreatStackAPIError [reason, "<status>", <body as Python repr>]
 *  - non-2xx otherwise → ThreatStackRequestError [reason, "<status>"]
 * New reference, NULL on ENOMEM.
 */
json_t *ts_tsapi_error_envelope(int http_error, long status, const char *reason,
                                const char *content_type, const char *body, size_t len,
                                const char *error_text);

#endif
