/* SPDX-License-Identifier: MIT */
/* Pulsedive upstream requests: URLs, headers, answer cache, rate limit, status handling. */
#ifndef PULSEDIVE_API_H
#define PULSEDIVE_API_H

#include <stdbool.h>

#include <jansson.h>

#include <relayd/host.h>

/** Header every Pulsedive request carries (contracts/securex-relay.md §1). */
#define PD_USER_AGENT \
	"User-Agent: SecureX Threat Response Integrations <tr-integrations-support@cisco.com>"
/** Message of the `key error` code (contracts/pulsedive.md §3.1). */
#define PD_KEY_ERROR_MESSAGE "The data structure of Pulsedive API has changed. The module is broken."
/** Message when an upstream error body is not JSON (contracts/pulsedive.md §3.2). */
#define PD_API_ERROR_MESSAGE "The Pulsedive API error."

/** The three info.php queries (contracts/pulsedive.md §3). */
enum pd_query {
	PD_QUERY_LOOKUP, /**< indicator=<v>&key=<k> */
	PD_QUERY_LINKS,  /**< indicator=<v>&key=<k>&get=links */
	PD_QUERY_HEALTH, /**< iid=2&key=<k> */
};

/** Why an upstream exchange is fatal for the call. */
enum pd_failure_kind {
	PD_FAIL_NONE = 0,
	PD_FAIL_TRANSPORT,    /**< no HTTP answer (timeout, connect, TLS, too large, busy) */
	PD_FAIL_STATUS,       /**< an HTTP status other than 200 / 400 / 404 / 406 */
	PD_FAIL_INVALID_JSON, /**< 200 whose body is not a JSON object */
	PD_FAIL_KEY,          /**< the answer lacks a field the mapping needs */
	PD_FAIL_RATE_LIMITED, /**< relayd's own rate_limit refused (DECISIONS.md §9) */
	PD_FAIL_NO_KEY,       /**< the call has no API key (host bug; defensive) */
	PD_FAIL_NO_MEMORY,    /**< out of memory */
};

/** A fatal outcome, copied out of the HTTP callback so it can be reported
 *  later. Strings live in the call's arena. */
struct pd_failure {
	enum pd_failure_kind kind;
	enum relayd_http_error error; /**< TRANSPORT: why no answer */
	long status;                  /**< STATUS: the HTTP status */
	const char *reason;           /**< STATUS: status-line reason phrase ("" when none) */
	const char *error_text;       /**< TRANSPORT: the host's text */
	long timeout_ms;              /**< TRANSPORT: the timeout that applied */
	const char *message;          /**< STATUS: upstream "error" text; NULL → JSON null */
};

/** What one query came to. */
enum pd_outcome {
	PD_FOUND,     /**< 200 with a non-empty JSON object */
	PD_NOT_FOUND, /**< 400 / 404 / 406, or 200 with {} ("nothing known") */
	PD_FAILED,    /**< fatal: see failure */
};

struct pd_answer {
	enum pd_outcome outcome;
	json_t *json;              /**< PD_FOUND: the object; the done callback owns this reference */
	struct pd_failure failure; /**< PD_FAILED */
	bool from_cache;           /**< answered by host->cache_get */
};

/** done(call, answer, arg): runs exactly once, on the call's loop, possibly
 *  before pd_api_get returns (cache hit, rate limit off). */
typedef void (*pd_answer_fn)(struct relayd_call *call, struct pd_answer *answer, void *arg);

/**
 * The info.php URL of a query: <base_url>/info.php?<params> form-encoded in
 * the reference's order. @p indicator is ignored for PD_QUERY_HEALTH.
 * malloc'd (caller frees), or NULL when out of memory.
 */
char *pd_api_url(const char *base_url, enum pd_query query, const char *indicator,
                 const char *api_key);

/**
 * The cache key of a query: hex SHA-256 of base URL, query kind, API key and
 * indicator (so a key never sees another key's answers and the key itself is
 * not kept in the cache). 0, or a negative relayd_status.
 */
int pd_api_cache_key(const char *base_url, enum pd_query query, const char *indicator,
                     const char *api_key, char out[65]);

/**
 * Classifies an HTTP response as contracts/pulsedive.md §3.2 says. Fills
 * @p out (json owned by the caller when PD_FOUND: only the top-level
 * @p members of the answer, see relayd_json_loadb_members); strings are
 * copied into the call's arena.
 */
void pd_api_classify(const struct relayd_host *host, struct relayd_call *call,
                     const struct relayd_http_response *resp, const char *const *members,
                     struct pd_answer *out);

/**
 * Runs one query for @p call: answer cache (lookup and links only; positive
 * and negative answers are stored with the plugin's cache_ttl_s), then
 * host->ratelimit_acquire keyed by the API key, then the GET (HTTP/1.1
 * pinned so reason phrases map), then pd_api_classify.
 */
void pd_api_get(const struct relayd_host *host, const char *base_url, struct relayd_call *call,
                enum pd_query query, const char *indicator, pd_answer_fn done, void *arg);

/** Ends @p call with the relay error for @p f, stealing @p partial (may be NULL). */
void pd_api_fail(const struct relayd_host *host, struct relayd_call *call, json_t *partial,
                 const struct pd_failure *f);

#endif
