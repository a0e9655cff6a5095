/* SPDX-License-Identifier: MIT */
/* Fixture server routes: parse a routes JSON document and match requests against it. */
#ifndef FIXTURE_ROUTES_H
#define FIXTURE_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/keyvalq_struct.h>

/** What a route does instead of (or while) answering. */
enum fx_fault {
	FX_FAULT_NONE = 0,     /**< answer normally */
	FX_FAULT_RESET,        /**< close with RST (SO_LINGER 0), no answer */
	FX_FAULT_HANG,         /**< never answer; the client has to give up */
	FX_FAULT_TRUNCATE,     /**< Content-Length larger than the body, then close */
	FX_FAULT_INVALID_JSON, /**< status 200, body `{"truncated": ` */
	FX_FAULT_CLOSE,        /**< clean close (FIN) without an answer */
};

/** One name/value pair (a query parameter or a response header). */
struct fx_kv {
	char *name;
	char *value;
};

/** One route of a routes file. Every pointer is owned by the route table. */
struct fx_route {
	char *method;            /**< upper-case method, or NULL for any */
	char *path;              /**< exact path, or the prefix when `prefix` is set */
	size_t path_len;
	bool prefix;             /**< the JSON path ended in `*` */
	struct fx_kv *query;     /**< query parameters that must all be equal */
	size_t nquery;
	int status;
	char *reason;            /**< status-line phrase; NULL = standard phrase, "" allowed */
	struct fx_kv *headers;   /**< response headers, in file order */
	size_t nheaders;
	char *body;              /**< response body (not NUL-terminated data; len below) */
	size_t body_len;
	long delay_ms;
	enum fx_fault fault;
	unsigned barrier_count;  /**< 0 = no barrier */
	long barrier_timeout_ms;
	void *runtime;           /**< owned by the server; freed by the table's runtime_free */
};

/** A parsed routes document, reference counted so held requests outlive a swap. */
struct fx_route_table {
	struct fx_route *routes;
	size_t nroutes;
	unsigned refs;
	/** Frees route->runtime for every route with a non-NULL runtime; may be NULL. */
	void (*runtime_free)(void *runtime);
};

/** The parts of a request that routes are matched on. */
struct fx_request_view {
	const char *method;      /**< upper-case method name */
	const char *path;        /**< raw (still percent-encoded) path */
	const char *query;       /**< raw query string, or NULL */
	struct evkeyvalq params; /**< decoded query, filled on first need */
	bool params_parsed;
};

/**
 * Parse a routes document.
 * @param text      JSON text (need not be NUL-terminated)
 * @param base_dir  directory that relative `body_file` paths are resolved against, or NULL for
 *                  the current directory
 * @param err       receives a one-line reason on failure
 * @return a table with one reference (release with fx_route_table_unref), or NULL.
 */
struct fx_route_table *fx_route_table_parse(const char *text, size_t len, const char *base_dir,
	char *err, size_t errlen);

/** Read and parse a routes file; relative body files resolve against its directory. */
struct fx_route_table *fx_route_table_load(const char *path, char *err, size_t errlen);

/** An empty table (every request is a 404), with one reference. NULL on allocation failure. */
struct fx_route_table *fx_route_table_new_empty(void);

/** Take one more reference. */
void fx_route_table_ref(struct fx_route_table *table);

/** Drop one reference; frees the table with the last one. NULL is ignored. */
void fx_route_table_unref(struct fx_route_table *table);

/** Find the first route that matches; NULL when none does. Parses view->params lazily. */
const struct fx_route *fx_route_match(const struct fx_route_table *table,
	struct fx_request_view *view);

/** Release view->params if they were parsed. */
void fx_request_view_clear(struct fx_request_view *view);

#endif
