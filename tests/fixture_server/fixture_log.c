/* SPDX-License-Identifier: MIT */
/* Fixture server request log: a bounded ring of the last requests, rendered for GET /__log. */
#include "fixture_log.h"

#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/http.h>

/*
 * One request in a single allocation: "method\0path\0query\0" then nheaders pairs
 * "name\0value\0" then body_len raw bytes. One malloc per request keeps logging cheap under
 * the benchmark's request rate.
 */
struct fx_log_entry {
	char *blob;
	size_t nheaders;
	size_t body_len;
	int has_query;
};

struct fx_log {
	struct fx_log_entry *ring;
	size_t capacity;
	size_t max_body;
	size_t next;  /* slot the next entry goes to */
	size_t count; /* entries held, <= capacity */
};

struct fx_log *fx_log_new(size_t capacity, size_t max_body)
{
	struct fx_log *log = calloc(1, sizeof(*log));

	if (log == NULL || capacity == 0)
		goto fail;
	log->ring = calloc(capacity, sizeof(*log->ring));
	if (log->ring == NULL)
		goto fail;
	log->capacity = capacity;
	log->max_body = max_body;
	return log;
fail:
	free(log);
	return NULL;
}

void fx_log_clear(struct fx_log *log)
{
	for (size_t i = 0; i < log->capacity; i++) {
		free(log->ring[i].blob);
		log->ring[i].blob = NULL;
	}
	log->next = 0;
	log->count = 0;
}

void fx_log_free(struct fx_log *log)
{
	if (log == NULL)
		return;
	fx_log_clear(log);
	free(log->ring);
	free(log);
}

static char *put_str(char *dst, const char *s)
{
	size_t n = strlen(s) + 1;

	memcpy(dst, s, n);
	return dst + n;
}

int fx_log_append(struct fx_log *log, const char *method, const char *path, const char *query,
	const struct evkeyvalq *headers, struct evbuffer *body)
{
	size_t size = strlen(method) + strlen(path) + (query ? strlen(query) : 0) + 3;
	size_t nheaders = 0;
	size_t body_len = body ? evbuffer_get_length(body) : 0;
	struct fx_log_entry *slot;
	const struct evkeyval *kv;
	char *blob;
	char *p;

	if (body_len > log->max_body)
		body_len = log->max_body;
	TAILQ_FOREACH(kv, headers, next) {
		size += strlen(kv->key) + strlen(kv->value) + 2;
		nheaders++;
	}
	size += body_len;
	blob = malloc(size);
	if (blob == NULL)
		return -1;
	p = put_str(blob, method);
	p = put_str(p, path);
	p = put_str(p, query ? query : "");
	TAILQ_FOREACH(kv, headers, next) {
		p = put_str(p, kv->key);
		p = put_str(p, kv->value);
	}
	if (body_len > 0 && evbuffer_copyout(body, p, body_len) != (ev_ssize_t)body_len) {
		free(blob);
		return -1;
	}
	slot = &log->ring[log->next];
	free(slot->blob);
	slot->blob = blob;
	slot->nheaders = nheaders;
	slot->body_len = body_len;
	slot->has_query = query != NULL;
	log->next = (log->next + 1) % log->capacity;
	if (log->count < log->capacity)
		log->count++;
	return 0;
}

json_t *fx_json_text(const char *s, size_t len)
{
	json_t *str = json_stringn(s, len);
	char *copy;

	if (str != NULL)
		return str;
	copy = malloc(len + 1);
	if (copy == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		copy[i] = (unsigned char)s[i] >= 0x80 ? '?' : s[i];
	str = json_stringn(copy, len);
	free(copy);
	return str;
}

/* Repeated header names are joined with ", " as HTTP allows. */
static int add_header(json_t *obj, const char *name, const char *value)
{
	json_t *prev = json_object_get(obj, name);
	json_t *v;

	if (prev != NULL) {
		size_t n = json_string_length(prev) + 2 + strlen(value);
		char *joined = malloc(n + 1);
		int rc;

		if (joined == NULL)
			return -1;
		memcpy(joined, json_string_value(prev), json_string_length(prev));
		memcpy(joined + json_string_length(prev), ", ", 2);
		memcpy(joined + json_string_length(prev) + 2, value, strlen(value) + 1);
		rc = json_object_set_new(obj, name, fx_json_text(joined, n));
		free(joined);
		return rc;
	}
	v = fx_json_text(value, strlen(value));
	return json_object_set_new(obj, name, v);
}

/* Decoded query parameters; the first occurrence of a name wins, as route matching does. */
static json_t *decoded_query(const char *query)
{
	struct evkeyvalq params;
	json_t *obj = json_object();
	const struct evkeyval *kv;

	if (obj == NULL || query[0] == '\0')
		return obj;
	TAILQ_INIT(&params);
	if (evhttp_parse_query_str(query, &params) == 0) {
		TAILQ_FOREACH(kv, &params, next) {
			json_t *key = fx_json_text(kv->key, strlen(kv->key));

			if (key != NULL && json_object_get(obj, json_string_value(key)) == NULL)
				json_object_set_new(obj, json_string_value(key),
					fx_json_text(kv->value, strlen(kv->value)));
			json_decref(key);
		}
	}
	evhttp_clear_headers(&params);
	return obj;
}

static json_t *entry_to_json(const struct fx_log_entry *e)
{
	const char *method = e->blob;
	const char *path = method + strlen(method) + 1;
	const char *query = path + strlen(path) + 1;
	const char *p = query + strlen(query) + 1;
	json_t *headers = json_object();
	json_t *obj;

	for (size_t i = 0; headers != NULL && i < e->nheaders; i++) {
		const char *name = p;
		const char *value = name + strlen(name) + 1;
		json_t *key = fx_json_text(name, strlen(name));

		if (key != NULL)
			add_header(headers, json_string_value(key), value);
		json_decref(key);
		p = value + strlen(value) + 1;
	}
	obj = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}",
		"method", fx_json_text(method, strlen(method)),
		"path", fx_json_text(path, strlen(path)),
		"query", decoded_query(query),
		"query_string", e->has_query ? fx_json_text(query, strlen(query)) : json_null(),
		"headers", headers,
		"body", fx_json_text(p, e->body_len));
	return obj;
}

json_t *fx_log_to_json(const struct fx_log *log)
{
	json_t *arr = json_array();
	size_t first = (log->next + log->capacity - log->count) % log->capacity;

	for (size_t i = 0; arr != NULL && i < log->count; i++) {
		json_t *e = entry_to_json(&log->ring[(first + i) % log->capacity]);

		if (e == NULL || json_array_append_new(arr, e) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}
