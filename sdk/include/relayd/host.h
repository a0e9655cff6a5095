/* SPDX-License-Identifier: MIT */
/* The host-services table: everything a plugin may ask of relayd. */
#ifndef RELAYD_HOST_H
#define RELAYD_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <relayd/status.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define RELAYD_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define RELAYD_PRINTF(fmt, args)
#endif

/**
 * A plugin instance, as the host sees it: its config section, its log tag,
 * its background loop. Handed to init(); valid until fini() returns.
 */
struct relayd_plugin_ctx;

/**
 * A unit of work: one client request, or a background task begun with
 * relayd_host::task_begin. Every call belongs to one event loop (one thread);
 * callbacks for it (HTTP, offload, rate limit) run on that loop.
 *
 * A request call ends with exactly one of finish / fail / reply / reply_json;
 * a second one is logged and ignored. Its memory (call_alloc) is released
 * after the reply is sent and every request it started has completed.
 */
struct relayd_call;
struct ctim_bundle;

enum relayd_log_level {
	RELAYD_LOG_ERROR = 0,
	RELAYD_LOG_WARN = 1,
	RELAYD_LOG_INFO = 2,
	RELAYD_LOG_DEBUG = 3,
};

/* ---- async HTTP ------------------------------------------------------- */

/** Why a request produced no HTTP status. */
enum relayd_http_error {
	RELAYD_HTTP_OK = 0,         /**< an HTTP answer arrived (any status) */
	RELAYD_HTTP_TIMEOUT,        /**< no complete answer within the timeout */
	RELAYD_HTTP_CONNECT,        /**< refused, reset, DNS failure, proxy failure */
	RELAYD_HTTP_TLS,            /**< certificate verification failed */
	RELAYD_HTTP_TOO_LARGE,      /**< body exceeded max_response_body */
	RELAYD_HTTP_BUSY,           /**< max_upstream_inflight reached and the deadline passed */
	RELAYD_HTTP_INTERNAL,       /**< anything else (error_text says what) */
};

/** One upstream request. All pointers are borrowed for the duration of the
 *  http() call only: the host copies what it needs. */
struct relayd_http_request {
	const char *method;           /**< "GET" (default when NULL), "POST", "PUT", … */
	const char *url;              /**< absolute URL */
	const char *const *headers;   /**< "Name: value" strings, NULL-terminated; may be NULL */
	const void *body;             /**< request body from memory, or NULL */
	size_t body_len;
	const char *body_file;        /**< request body streamed from this file (instead of body) */
	long timeout_ms;              /**< 0: the plugin's timeout_ms; always capped by the call's deadline */
	const char *userpwd;          /**< "user:password" for the credentials, or NULL */
	const char *aws_sigv4;        /**< CURLOPT_AWS_SIGV4 provider string, e.g. "aws:amz:us-east-1:s3" */
	int http_version;             /**< 0: libcurl's default; 11: pin HTTP/1.1 (reason phrases) */
	size_t max_response_body;     /**< 0: the plugin's max_response_body */
};

/** The outcome of one upstream request; valid only inside the done callback. */
struct relayd_http_response {
	enum relayd_http_error error; /**< RELAYD_HTTP_OK when status is set */
	long status;                  /**< HTTP status, 0 when error != RELAYD_HTTP_OK */
	const char *reason;           /**< status-line reason phrase ("" when none) */
	const char *body;             /**< NUL-terminated copy of the body (may contain NULs) */
	size_t body_len;
	const char *error_text;       /**< human text for error; TLS failures in OpenSSL 1.1 wording */
	long timeout_ms;              /**< the timeout that applied (for "did not answer within N ms") */
	const void *priv;             /**< host-private: headers (use relayd_host::http_header) */
};

typedef void (*relayd_http_done_fn)(struct relayd_call *call,
                                    const struct relayd_http_response *resp, void *arg);
typedef void (*relayd_task_fn)(void *arg);
typedef void (*relayd_call_fn)(struct relayd_call *call, void *arg);
typedef void (*relayd_ready_fn)(struct relayd_call *call, int status, void *arg);

struct relayd_timer;

/**
 * The services table. Append only: a new member goes at the end and bumps
 * RELAYD_ABI_MINOR; a plugin built for a newer minor checks struct_size
 * before it uses a member that may be missing.
 *
 * Threading: call-scoped services run on the call's loop and must be used
 * from it. Plugin-scoped ones (log_plugin, config_*, metric_*, cache_*,
 * timer_*, task_begin) may be used from any loop.
 */
struct relayd_host {
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t struct_size;

	/* -- logging: tagged with the plugin name (and request id for a call) */
	void (*log)(struct relayd_call *call, enum relayd_log_level level,
	            const char *fmt, ...) RELAYD_PRINTF(3, 4);
	void (*log_plugin)(struct relayd_plugin_ctx *pctx, enum relayd_log_level level,
	                   const char *fmt, ...) RELAYD_PRINTF(3, 4);

	/* -- typed config: the host validated every key against the schema and
	 *    applied defaults, so a schema key always has a value (NULL only for
	 *    an optional string without default). Pointers live as long as pctx. */
	const char *(*config_string)(struct relayd_plugin_ctx *pctx, const char *key);
	int64_t (*config_int)(struct relayd_plugin_ctx *pctx, const char *key);
	bool (*config_bool)(struct relayd_plugin_ctx *pctx, const char *key);
	/** A path value resolved against the config file's folder (malloc'd). */
	char *(*config_path)(struct relayd_plugin_ctx *pctx, const char *key);
	/** Report a bad value during init as "<file>:<line>: <key>: <message>";
	 *  returns RELAYD_EINVAL so init can `return host->config_error(...)`. */
	int (*config_error)(struct relayd_plugin_ctx *pctx, const char *key,
	                    const char *fmt, ...) RELAYD_PRINTF(3, 4);

	/* -- the request of a call (NULL / 0 for a background task) */
	const char *(*call_request_id)(struct relayd_call *call);
	const char *(*call_method)(struct relayd_call *call);
	/** Path below the mount, without leading '/', query or trailing '/'. */
	const char *(*call_path)(struct relayd_call *call);
	/** Value of the '*' segment number idx of the matched route pattern. */
	const char *(*call_route_param)(struct relayd_call *call, unsigned idx);
	/** Decoded query parameter, NULL when absent. */
	const char *(*call_query)(struct relayd_call *call, const char *name);
	const char *(*call_header)(struct relayd_call *call, const char *name);
	const void *(*call_body)(struct relayd_call *call, size_t *len);
	/** Verified token claims (securex/secret), NULL otherwise. */
	const json_t *(*call_claims)(struct relayd_call *call);
	/** The upstream API key: claim `key`, or `api_key` for auth = static. */
	const char *(*call_api_key)(struct relayd_call *call);
	/** The entities limit for this call (token, then config; clamped). */
	int (*call_entities_limit)(struct relayd_call *call);
	/** Absolute deadline of the call, in now_ms() time. */
	int64_t (*call_deadline_ms)(struct relayd_call *call);
	struct relayd_plugin_ctx *(*call_plugin)(struct relayd_call *call);

	/* -- per-call arena, released when the call ends */
	void *(*call_alloc)(struct relayd_call *call, size_t size);
	char *(*call_strdup)(struct relayd_call *call, const char *s);
	char *(*call_printf)(struct relayd_call *call, const char *fmt, ...) RELAYD_PRINTF(2, 3);

	/* -- ending a relay call (SecureX envelopes) */
	/** 200 {"data": data, "errors": [warnings…]}; steals data. NULL data:
	 *  the call's CTIM bundle (call_ctim; {} when nothing was written). */
	void (*finish)(struct relayd_call *call, json_t *data);
	/** 200 {"data": partial?, "errors": [warnings…, {code, message, fatal}]};
	 *  steals partial. NULL partial: the call's CTIM bundle when it holds
	 *  entities, else no "data" key. */
	void (*fail)(struct relayd_call *call, json_t *partial, const char *code,
	             const char *fmt, ...) RELAYD_PRINTF(4, 5);
	/** A non-fatal {code, message, "warning"} sent with finish/fail. */
	void (*warn)(struct relayd_call *call, const char *code, const char *fmt, ...)
	    RELAYD_PRINTF(3, 4);

	/* -- ending an extra-route call (any envelope) */
	/** headers: "Name: value" strings, NULL-terminated, may be NULL. */
	void (*reply)(struct relayd_call *call, int status, const char *content_type,
	              const char *const *headers, const void *body, size_t len);
	/** application/json; steals body. */
	void (*reply_json)(struct relayd_call *call, int status, json_t *body);

	/* -- async HTTP (libcurl multi on the call's loop) */
	/** Starts the request; done runs on the call's loop exactly once, with
	 *  error set when the request could not be made. It may run before http()
	 *  returns (deadline already passed), so count pending work before calling. */
	void (*http)(struct relayd_call *call, const struct relayd_http_request *req,
	             relayd_http_done_fn done, void *arg);
	/** A response header's value (case-insensitive name), NULL when absent. */
	const char *(*http_header)(const struct relayd_http_response *resp, const char *name);

	/* -- time and ids */
	int64_t (*now_ms)(void);           /**< wall clock, ms since the epoch (UTC) */
	void (*uuid4)(char out[37]);       /**< random v4 UUID, lower case */

	/* -- blocking work off the loop */
	/** work(arg) runs on the host's thread pool, then done(call, arg) on the
	 *  call's loop. For fsync, file writes, index builds. */
	void (*offload)(struct relayd_call *call, relayd_task_fn work,
	                relayd_call_fn done, void *arg);

	/* -- background work without a client request */
	/** A call on the plugin's background loop with no request; HTTP, offload
	 *  and timers work on it. End it with task_end. */
	struct relayd_call *(*task_begin)(struct relayd_plugin_ctx *pctx);
	void (*task_end)(struct relayd_call *call);
	/** fn(arg) runs once on the plugin's background loop after ms. */
	struct relayd_timer *(*timer_add)(struct relayd_plugin_ctx *pctx, uint64_t ms,
	                                  relayd_task_fn fn, void *arg);
	/** Cancels a timer that has not fired yet (a fired timer is freed by the
	 *  host). When an instance is retired (reload, shutdown) its pending timers
	 *  stop firing before fini; fini may still cancel them, or leave them to the
	 *  host, which frees them after fini. */
	void (*timer_cancel)(struct relayd_timer *timer);

	/* -- answer cache (per plugin, process-wide, TTL; off when cache_ttl_s = 0) */
	/** Copies the value into the call's arena; RELAYD_ENOTFOUND on a miss. */
	int (*cache_get)(struct relayd_call *call, const void *key, size_t key_len,
	                 const void **value, size_t *value_len);
	/** ttl_s = 0: the plugin's cache_ttl_s (and nothing is stored when that is 0). */
	void (*cache_put)(struct relayd_call *call, const void *key, size_t key_len,
	                  const void *value, size_t value_len, unsigned ttl_s);

	/* -- rate limit (per plugin, per key; off when rate_limit = 0) */
	/** ready(call, RELAYD_OK) when a token is had, ready(call, RELAYD_ERATELIMIT)
	 *  when waiting would pass the call's deadline. May run before returning. */
	void (*ratelimit_acquire)(struct relayd_call *call, const char *key,
	                          relayd_ready_fn ready, void *arg);

	/* -- metrics (Prometheus text at /metrics) */
	/** Adds delta to counter name{labels}; labels like `reason="x"` or NULL. */
	void (*metric_add)(const char *name, const char *labels, double delta);
	/** Sets gauge name{labels}. */
	void (*metric_set)(const char *name, const char *labels, double value);

	/* -- deployment facts */
	/** Whether relayd listens on loopback only (plugins with auth-free routes
	 *  warn when it does not). */
	bool (*listen_is_loopback)(struct relayd_plugin_ctx *pctx);

	/* ABI 1.0 ends here; append below. */

	/* -- ABI 1.1 */
	/** The call's CTIM bundle: host-owned, made on first use, freed with the
	 *  call; NULL when out of memory. Write entities into it with
	 *  ctim_write_* (text, no jansson trees) or ctim_bundle_add, then end
	 *  the call with finish(call, NULL) or fail(call, NULL, …). */
	struct ctim_bundle *(*call_ctim)(struct relayd_call *call);
};

#ifdef __cplusplus
}
#endif
#endif
