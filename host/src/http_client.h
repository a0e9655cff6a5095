/* SPDX-License-Identifier: MIT */
/* Async upstream HTTP: libcurl multi driven by one loop's event_base
 * (socket and timer callbacks; nothing polls, nothing blocks). */
#ifndef RELAYD_HTTP_CLIENT_H
#define RELAYD_HTTP_CLIENT_H

#include <stddef.h>

#include <relayd/host.h>

struct loop;
struct http_client;

/** Transport settings resolved by the caller (plugin config + call deadline). */
struct http_settings {
	long timeout_ms;            /**< whole-transfer timeout, > 0 */
	const char *proxy;          /**< NULL: no proxy (the environment is ignored) */
	const char *no_proxy;
	const char *ca_file;        /**< NULL: the system bundle */
	size_t max_response_body;   /**< 0: unlimited */
	const char *user_agent;     /**< default when the request sets none */
};

/** Runs on the client's loop, exactly once per http_client_start. resp and
 *  everything it points to is valid only during the callback. */
typedef void (*http_client_cb)(const struct relayd_http_response *resp, void *arg);

struct http_client *http_client_new(struct loop *l);
/** Aborts transfers still running; their callbacks are not called. */
void http_client_free(struct http_client *c);

/** Ends every running transfer now, calling its callback with an
 *  RELAYD_HTTP_INTERNAL error saying @p why (shutdown of background work). */
void http_client_abort(struct http_client *c, const char *why);

/** Starts req; cb runs later on the loop, even when the request cannot start. */
void http_client_start(struct http_client *c, const struct relayd_http_request *req,
                       const struct http_settings *s, http_client_cb cb, void *arg);

/** Header lookup for a response produced by this module. */
const char *http_response_header(const struct relayd_http_response *resp, const char *name);

/** OpenSSL 1.1 wording for an X509 verify result (DECISIONS.md §6). */
const char *http_tls_reason(long verify_result);

/** Transfers currently running on this client. */
size_t http_client_running(const struct http_client *c);

#endif
