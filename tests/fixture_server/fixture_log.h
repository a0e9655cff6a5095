/* SPDX-License-Identifier: MIT */
/* Fixture server request log: a bounded ring of the last requests, rendered for GET /__log. */
#ifndef FIXTURE_LOG_H
#define FIXTURE_LOG_H

#include <stddef.h>

#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>

struct fx_log;

/**
 * A ring that keeps the last `capacity` requests; bodies beyond `max_body` bytes are cut.
 * @return a log to free with fx_log_free, or NULL on allocation failure.
 */
struct fx_log *fx_log_new(size_t capacity, size_t max_body);

/** Free the log and every entry. NULL is ignored. */
void fx_log_free(struct fx_log *log);

/**
 * Record one request, dropping the oldest entry when full. Everything is copied; `query` may
 * be NULL, `body` may be NULL or empty and is not drained.
 * @return 0, or -1 on allocation failure (nothing recorded).
 */
int fx_log_append(struct fx_log *log, const char *method, const char *path, const char *query,
	const struct evkeyvalq *headers, struct evbuffer *body);

/** Drop every entry. */
void fx_log_clear(struct fx_log *log);

/**
 * Render the entries, oldest first:
 * [{"method","path","query":{decoded params},"query_string","headers":{…},"body"}].
 * @return a new reference, or NULL on allocation failure.
 */
json_t *fx_log_to_json(const struct fx_log *log);

/**
 * A JSON string from bytes that may not be UTF-8: invalid input has its non-ASCII bytes
 * replaced by '?'. @return a new reference, or NULL on allocation failure.
 */
json_t *fx_json_text(const char *s, size_t len);

#endif
