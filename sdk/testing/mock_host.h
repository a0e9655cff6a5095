/* SPDX-License-Identifier: MIT */
/* A fake relayd host for plugin unit tests: canned HTTP, fake clock, captured outcomes. */
#ifndef RELAYD_MOCK_HOST_H
#define RELAYD_MOCK_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <relayd/host.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * One mock host per test: mock_host_new() makes it the current one (now_ms,
 * uuid4 and the metric services have no context argument, so they use the
 * current mock); mock_host_free() releases it and everything it handed out
 * (calls, arenas, recorded requests, results) and makes the mock that was
 * current before it current again (free nested mocks in reverse order).
 * Single-threaded.
 *
 * Asynchrony is real but deterministic: http, offload and ratelimit_acquire
 * only queue their callback; mock_host_run() runs the queue (FIFO) until it is
 * empty. Timers fire only when the clock moves (mock_host_advance).
 */
struct mock_host;

/** The fake clock starts here: 2026-11-23T10:00:00.000Z. */
#define MOCK_HOST_START_MS INT64_C(1795428000000)

/** A request the plugin made, copied at the time of the http() call. */
struct mock_request {
	struct relayd_call *call;
	char *method;           /**< "GET" when the plugin gave NULL */
	char *url;
	char **headers;         /**< NULL-terminated copy; never NULL */
	char *body;             /**< NUL-terminated copy; "" when none */
	size_t body_len;
	char *body_file;        /**< NULL when none */
	long timeout_ms;
	char *userpwd;          /**< NULL when none */
	char *aws_sigv4;        /**< NULL when none */
	int http_version;
	size_t max_response_body;
};

/** NULL when out of memory. */
struct mock_host *mock_host_new(void);
void mock_host_free(struct mock_host *m);

/** The services table to hand to a plugin's init() and callbacks. */
const struct relayd_host *mock_host_services(struct mock_host *m);
/** The plugin context to hand to init(). */
struct relayd_plugin_ctx *mock_host_plugin_ctx(struct mock_host *m);

/* ---- config ----------------------------------------------------------- */

/** Sets (value != NULL) or removes a config value as the config file would
 *  give it; config_int reads "10", "64K", "1M"; config_bool reads
 *  true/yes/on/1 as true. Returns 0 or RELAYD_ENOMEM. */
int mock_host_set_config(struct mock_host *m, const char *key, const char *value);
/** The last config_error() as "<key>: <message>", NULL when none. */
const char *mock_host_config_error(const struct mock_host *m);

/* ---- calls ------------------------------------------------------------ */

/** A new request call (request id "req-<n>", deadline now + 30 s, entities
 *  limit 100, method "POST", path ""). Owned by the mock. NULL: out of memory. */
struct relayd_call *mock_host_call_new(struct mock_host *m);

/** Claims for call_claims (a deep copy is kept). Returns 0 or RELAYD_ENOMEM. */
int mock_call_set_claims(struct relayd_call *call, const json_t *claims);
int mock_call_set_api_key(struct relayd_call *call, const char *api_key);
void mock_call_set_entities_limit(struct relayd_call *call, int limit);
void mock_call_set_deadline_ms(struct relayd_call *call, int64_t deadline_ms);
/** Method, path below the mount and body (copied; body may be NULL). */
int mock_call_set_request(struct relayd_call *call, const char *method, const char *path,
                          const void *body, size_t len);
int mock_call_set_query(struct relayd_call *call, const char *name, const char *value);
int mock_call_set_header(struct relayd_call *call, const char *name, const char *value);
int mock_call_set_route_param(struct relayd_call *call, unsigned idx, const char *value);

/** How many times finish/fail/reply/reply_json/task_end ended the call
 *  (a correct plugin: exactly 1). */
unsigned mock_call_end_count(const struct relayd_call *call);

/**
 * The response body as the host would send it, borrowed (valid until
 * mock_host_free): {"data": …, "errors": […]} for finish/fail (errors only
 * when there is one; warnings first, then the fatal one), the body for
 * reply_json, the parsed body for a reply whose body is JSON. NULL when the
 * call has not ended or the reply body is not JSON.
 */
json_t *mock_host_result(struct mock_host *m, struct relayd_call *call);
/** mock_host_result as compact JSON with sorted keys (malloc'd; free it), or NULL. */
char *mock_host_result_dump(struct mock_host *m, struct relayd_call *call);
/** HTTP status of the answer (200 for finish/fail), 0 before the call ends. */
int mock_call_http_status(const struct relayd_call *call);
/** Body bytes and content type of a reply()/reply_json() answer. */
const char *mock_call_reply_body(const struct relayd_call *call, size_t *len);
const char *mock_call_reply_content_type(const struct relayd_call *call);
/** A reply() header's value (case-insensitive name), NULL when absent. */
const char *mock_call_reply_header(const struct relayd_call *call, const char *name);

/* ---- upstream HTTP ----------------------------------------------------- */

/**
 * Canned answer for method + exact URL (query included). Several answers for
 * the same method + URL are used in the order given; the last one then keeps
 * answering. @p headers: "Name: value" strings, NULL-terminated, may be NULL.
 * A request with no canned answer gets RELAYD_HTTP_CONNECT with error_text
 * "mock_host: no answer for <METHOD> <url>". Returns 0 or RELAYD_ENOMEM.
 */
int mock_host_http_answer(struct mock_host *m, const char *method, const char *url, long status,
                          const char *reason, const char *body, const char *const *headers);
/** As mock_host_http_answer with the body read from a file (e.g. a fixture).
 *  Returns 0, RELAYD_EIO when the file cannot be read, or RELAYD_ENOMEM. */
int mock_host_http_answer_file(struct mock_host *m, const char *method, const char *url,
                               long status, const char *reason, const char *path,
                               const char *const *headers);
/** A transport failure for method + URL (timeout, TLS, …). Returns 0 or RELAYD_ENOMEM. */
int mock_host_http_error(struct mock_host *m, const char *method, const char *url,
                         enum relayd_http_error error, const char *error_text);

size_t mock_host_request_count(const struct mock_host *m);
/** The i-th request made (0-based), NULL past the end. */
const struct mock_request *mock_host_request(const struct mock_host *m, size_t i);
/** The first request with this method and URL, NULL when none. */
const struct mock_request *mock_host_find_request(const struct mock_host *m, const char *method,
                                                  const char *url);
/** A recorded request's header value (case-insensitive name), NULL when absent. */
const char *mock_request_header(const struct mock_request *r, const char *name);

/* ---- the loop, the clock, rate limits ---------------------------------- */

/** Runs queued callbacks (HTTP answers, offload, rate limit) until none is
 *  left; returns how many ran. Stops after 1,000,000 (a plugin in a loop). */
size_t mock_host_run(struct mock_host *m);
/** Callbacks queued and not yet run. */
size_t mock_host_pending(const struct mock_host *m);

void mock_host_set_now(struct mock_host *m, int64_t now_ms);
/** Moves the clock by @p ms, firing due timers in due order (running the
 *  queue after each); returns how many timers fired. timer_cancel on a timer
 *  that already fired (freed by the real host) logs an error line. */
size_t mock_host_advance(struct mock_host *m, int64_t ms);

/** What ratelimit_acquire hands to ready(): RELAYD_OK (default) or
 *  RELAYD_ERATELIMIT. */
void mock_host_set_ratelimit(struct mock_host *m, int status);
/** How many times ratelimit_acquire was called. */
size_t mock_host_ratelimit_count(const struct mock_host *m);

/* ---- what the plugin reported ------------------------------------------ */

/** Value of counter/gauge name{labels} (labels may be NULL), 0 when never set. */
double mock_host_metric(const struct mock_host *m, const char *name, const char *labels);

/** Captured log lines, "<level>: <text>" (level error|warn|info|debug). */
size_t mock_host_log_count(const struct mock_host *m);
const char *mock_host_log(const struct mock_host *m, size_t i);
/** True when some log line contains @p needle. */
bool mock_host_log_contains(const struct mock_host *m, const char *needle);

#ifdef __cplusplus
}
#endif
#endif
