/* SPDX-License-Identifier: MIT */
/* Small helpers every plugin needs: URLs and encodings, upstream failure mapping, fan-out. */
#ifndef RELAYD_SDK_H
#define RELAYD_SDK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include <relayd/host.h>
#include <relayd/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- URLs and encodings (sdk/src/url.c) --------------------------------
 * Every function here returns a malloc'd, NUL-terminated string the caller
 * frees with free(), or NULL when an argument is NULL or memory ran out. */

/**
 * Joins a base URL and a relative path (DECISIONS.md §5): trailing '/' are
 * removed from @p base, leading '/' from @p path, and exactly one '/' goes
 * between them. A NULL or empty @p path (after stripping) gives the base
 * without its trailing '/'.
 * relayd_url_join("https://pulsedive.com/api/", "/info.php")
 *   → "https://pulsedive.com/api/info.php"
 */
char *relayd_url_join(const char *base, const char *path);

/**
 * Percent-encodes every byte except A–Z a–z 0–9 '_' '.' '-' '~' as %XX with
 * upper-case hex (RFC 3986 unreserved set; contracts/securex-relay.md §2.4).
 * '/' becomes %2F, ' ' becomes %20.
 */
char *relayd_pct_encode(const char *s);

/** One path segment taken from user data: same set as relayd_pct_encode
 *  (so '/' inside the value is %2F and cannot add a segment). */
char *relayd_pct_encode_path_segment(const char *s);

/** A path of several segments (e.g. an S3 object key): each segment is encoded
 *  as by relayd_pct_encode_path_segment, the '/' between them are kept. */
char *relayd_pct_encode_path(const char *s);

/** application/x-www-form-urlencoded as Python's quote_plus(s, safe=''):
 *  like relayd_pct_encode, but ' ' becomes '+'. */
char *relayd_form_encode(const char *s);

/** Decodes @p len bytes of application/x-www-form-urlencoded text (one name
 *  or value): '+' becomes ' ' and %XX the byte XX (hex, either case). NULL
 *  when a '%' is not followed by two hex digits, when it encodes a NUL (the
 *  result is a C string), or when memory runs out. */
char *relayd_form_decode(const char *s, size_t len);

/**
 * relayd_url_join(base, path) followed by "?k1=v1&k2=v2…" from @p kv_pairs,
 * a NULL-terminated array of alternating names and values
 * ({"indicator", v, "key", k, NULL}). Names and values are encoded with
 * relayd_pct_encode; an empty value gives "name=" (a NULL value does too, and
 * ends the array). No '?' when kv_pairs is NULL or empty. Pairs are kept in the
 * order given (sort them first for SigV4).
 */
char *relayd_url_with_query(const char *base, const char *path,
                            const char *const *kv_pairs);

/** As relayd_url_with_query, but names and values are form-encoded
 *  (relayd_form_encode: ' ' → '+'), as the Python references send them. */
char *relayd_url_with_form(const char *base, const char *path,
                           const char *const *kv_pairs);

/** Standard base64 (RFC 4648 §4: '+', '/', '=' padding) of @p len bytes. */
char *relayd_base64_encode(const void *data, size_t len);

/** Lower-case hex SHA-256 of @p len bytes into @p out (64 digits + NUL).
 *  Returns RELAYD_OK, or RELAYD_EINVAL when data is NULL with len > 0 or out
 *  is NULL, or RELAYD_ENOMEM when OpenSSL fails. */
int relayd_hex_sha256(const void *data, size_t len, char out[65]);

/* ---- upstream failures (sdk/src/relay_errors.c) ------------------------
 * Each relayd_fail_* below ends the call with host->fail (HTTP 200, one fatal
 * error in the "errors" envelope) and steals @p partial (NULL: the call's
 * CTIM bundle is the partial data when it holds entities, see host->fail).
 * The texts are those of DECISIONS.md §9; <Provider> is the display name. */

/** How the TLS row of a contract words its error (DECISIONS.md §6, §9). */
enum relayd_tls_wording {
	/** error_text as the host gives it ("self signed certificate"): spycloud */
	RELAYD_TLS_AS_IS = 0,
	/** first letter upper-cased ("Self signed certificate"): pulsedive */
	RELAYD_TLS_CAPITALIZE = 1u << 0,
	/** everything after the first letter lower-cased: gigamon */
	RELAYD_TLS_LOWER_REST = 1u << 1,
	/** a '.' appended unless the text ends with one: gigamon */
	RELAYD_TLS_PERIOD = 1u << 2,
};

/** What a plugin's contract says about transport failures. */
struct relayd_upstream_style {
	const char *provider;   /**< display name: "Pulsedive", "SpyCloud", … */
	const char *tls_code;   /**< code for TLS failures; NULL: "unknown" */
	unsigned tls_wording;   /**< relayd_tls_wording flags */
};

/**
 * The relay code for an HTTP status the plugin does not map itself: the
 * response's reason phrase lower-cased ("Too Many Requests" → "too many
 * requests", "NOT FOUND" → "not found"); an empty or missing phrase, or a
 * response without HTTP status, gives "unknown". Returns a string allocated
 * from the call's arena (host->call_strdup), or the static "unknown".
 */
const char *relayd_reason_code(const struct relayd_host *host, struct relayd_call *call,
                               const struct relayd_http_response *resp);

/**
 * Ends the call for a failed upstream request:
 *   RELAYD_HTTP_TIMEOUT   request timeout / "<Provider> did not answer within <N> ms."
 *   RELAYD_HTTP_CONNECT   unknown / "Unable to reach <Provider>: <error_text>"
 *   RELAYD_HTTP_TLS       style->tls_code / "Unable to verify SSL certificate: <error_text
 *                         worded by style->tls_wording>"
 *   RELAYD_HTTP_TOO_LARGE unknown / "<Provider> answered with more data than max_response_body allows."
 *   RELAYD_HTTP_BUSY      too many requests / "Too many requests to <Provider> in flight
 *                         (relayd max_upstream_inflight); try again later."
 *   RELAYD_HTTP_INTERNAL  unknown / "Request to <Provider> failed: <error_text>"
 *   RELAYD_HTTP_OK        (an HTTP status the plugin did not handle)
 *                         relayd_reason_code / "<Provider> answered with HTTP status <N>."
 * A plugin whose contract words the unexpected-status message itself (e.g.
 * pulsedive's body "error" text) calls relayd_fail_upstream_status instead.
 */
void relayd_fail_upstream_style(const struct relayd_host *host, struct relayd_call *call,
                                json_t *partial, const struct relayd_upstream_style *style,
                                const struct relayd_http_response *resp);

/** relayd_fail_upstream_style with tls_code "unknown" and RELAYD_TLS_AS_IS. */
void relayd_fail_upstream(const struct relayd_host *host, struct relayd_call *call,
                          json_t *partial, const char *provider_display_name,
                          const struct relayd_http_response *resp);

/**
 * Ends the call for an HTTP status: code = relayd_reason_code(resp), message
 * = @p message, or a JSON null message when @p message is NULL (pulsedive's
 * body without "error", pulsedive.md §3.2; needs the host's fail to map a
 * NULL fmt to "message": null).
 */
void relayd_fail_upstream_status(const struct relayd_host *host, struct relayd_call *call,
                                 json_t *partial, const struct relayd_http_response *resp,
                                 const char *message);

/** unknown / "<Provider> answered with invalid JSON." */
void relayd_fail_invalid_json(const struct relayd_host *host, struct relayd_call *call,
                              json_t *partial, const char *provider_display_name);

/** relayd's own rate_limit would wait past the deadline (ratelimit_acquire
 *  gave RELAYD_ERATELIMIT): too many requests /
 *  "Too many requests to <Provider> (relayd rate_limit); try again later." */
void relayd_fail_rate_limited(const struct relayd_host *host, struct relayd_call *call,
                              json_t *partial, const char *provider_display_name);

/* ---- fan-out (sdk/src/gather.c) ----------------------------------------
 * Start N upstream requests, continue once when all are done:
 *
 *   struct relayd_gather *g = relayd_gather_new(host, call, all_done, st);
 *   for (i = 0; i < n; i++)
 *           relayd_gather_http(g, &req[i], one_done, &st->item[i]);
 *   relayd_gather_start(g);
 *
 * Each request's own done callback runs first (it may add more requests to
 * the same gather: a second round); all_done(call, arg) runs exactly once,
 * after relayd_gather_start, when no request and no hold is pending. It may
 * run inside relayd_gather_start (all requests already done) or inside the
 * host's http() (a request that cannot start). all_done fires even when a
 * done callback has already ended the call (a fatal error): keep a flag in
 * your own state. Everything runs on the call's loop: a gather is not
 * thread-safe. */

struct relayd_gather;

/** Allocated from the call's arena (never freed by hand); NULL when out of
 *  memory. The gather begins held: all_done cannot fire before _start. */
struct relayd_gather *relayd_gather_new(const struct relayd_host *host,
                                        struct relayd_call *call,
                                        relayd_call_fn all_done, void *arg);

/** Starts one request counted by @p g; @p done (may be NULL) runs with @p arg
 *  before the count drops. Out of memory: done runs at once with
 *  RELAYD_HTTP_INTERNAL and nothing is counted. */
void relayd_gather_http(struct relayd_gather *g, const struct relayd_http_request *req,
                        relayd_http_done_fn done, void *arg);

/** Counts one pending thing that is not an HTTP request (an offload, a rate
 *  limit wait, a second round being prepared); pair with relayd_gather_release. */
void relayd_gather_hold(struct relayd_gather *g);

/** Drops one hold; fires all_done when it was the last pending thing. */
void relayd_gather_release(struct relayd_gather *g);

/** Releases the initial hold of relayd_gather_new: call it once, after the
 *  first round is queued. */
void relayd_gather_start(struct relayd_gather *g);

/** Requests and holds still pending (the initial hold counts until _start). */
unsigned relayd_gather_pending(const struct relayd_gather *g);

#ifdef __cplusplus
}
#endif
#endif
