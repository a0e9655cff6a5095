/* SPDX-License-Identifier: MIT */
/* Fixture server routes: parse a routes JSON document and match requests against it. */
#include "fixture_routes.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/http.h>
#include <jansson.h>

#define FX_MAX_BODY_FILE (64L * 1024 * 1024)

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static void free_kvs(struct fx_kv *kvs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kvs[i].name);
		free(kvs[i].value);
	}
	free(kvs);
}

static void route_clear(struct fx_route *r, void (*runtime_free)(void *))
{
	free(r->method);
	free(r->path);
	free_kvs(r->query, r->nquery);
	free(r->reason);
	free_kvs(r->headers, r->nheaders);
	free(r->body);
	if (r->runtime != NULL && runtime_free != NULL)
		runtime_free(r->runtime);
}

static void table_free(struct fx_route_table *t)
{
	for (size_t i = 0; i < t->nroutes; i++)
		route_clear(&t->routes[i], t->runtime_free);
	free(t->routes);
	free(t);
}

struct fx_route_table *fx_route_table_new_empty(void)
{
	struct fx_route_table *t = calloc(1, sizeof(*t));

	if (t != NULL)
		t->refs = 1;
	return t;
}

void fx_route_table_ref(struct fx_route_table *table)
{
	table->refs++;
}

void fx_route_table_unref(struct fx_route_table *table)
{
	if (table == NULL)
		return;
	if (--table->refs == 0)
		table_free(table);
}

/* Read a whole file into a malloc'd buffer; a NUL follows the data for convenience. */
static char *read_file(const char *path, size_t *len_out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (f == NULL) {
		set_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		set_err(err, errlen, "%s: cannot determine size", path);
		goto out;
	}
	if (size > FX_MAX_BODY_FILE) {
		set_err(err, errlen, "%s: larger than %ld bytes", path, FX_MAX_BODY_FILE);
		goto out;
	}
	buf = malloc((size_t)size + 1);
	if (buf == NULL) {
		set_err(err, errlen, "%s: out of memory", path);
		goto out;
	}
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		set_err(err, errlen, "%s: short read", path);
		free(buf);
		buf = NULL;
		goto out;
	}
	buf[size] = '\0';
	*len_out = (size_t)size;
out:
	fclose(f);
	return buf;
}

static int parse_string_map(json_t *obj, const char *what, size_t idx, struct fx_kv **out,
	size_t *nout, char *err, size_t errlen)
{
	const char *key;
	json_t *val;
	size_t n = 0;

	if (!json_is_object(obj)) {
		set_err(err, errlen, "routes[%zu].%s: must be an object", idx, what);
		return -1;
	}
	*out = calloc(json_object_size(obj) + 1, sizeof(**out));
	if (*out == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	json_object_foreach(obj, key, val) {
		if (!json_is_string(val)) {
			set_err(err, errlen, "routes[%zu].%s.%s: must be a string", idx, what, key);
			*nout = n;
			return -1;
		}
		(*out)[n].name = strdup(key);
		(*out)[n].value = strdup(json_string_value(val));
		n++;
		if ((*out)[n - 1].name == NULL || (*out)[n - 1].value == NULL) {
			*nout = n;
			set_err(err, errlen, "out of memory");
			return -1;
		}
	}
	*nout = n;
	return 0;
}

static int parse_fault(const char *s, enum fx_fault *out)
{
	static const struct {
		const char *name;
		enum fx_fault fault;
	} names[] = {
		{"none", FX_FAULT_NONE}, {"reset", FX_FAULT_RESET}, {"hang", FX_FAULT_HANG},
		{"truncate", FX_FAULT_TRUNCATE}, {"invalid_json", FX_FAULT_INVALID_JSON},
		{"close", FX_FAULT_CLOSE},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].fault;
			return 0;
		}
	}
	return -1;
}

static int parse_path(json_t *v, struct fx_route *r, size_t idx, char *err, size_t errlen)
{
	const char *p = json_string_value(v);
	size_t len;

	if (p == NULL || p[0] != '/') {
		set_err(err, errlen, "routes[%zu].path: must be a string starting with /", idx);
		return -1;
	}
	len = strlen(p);
	r->prefix = p[len - 1] == '*';
	r->path_len = r->prefix ? len - 1 : len;
	r->path = strndup(p, r->path_len);
	if (r->path == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int parse_method(json_t *v, struct fx_route *r, size_t idx, char *err, size_t errlen)
{
	const char *m = json_string_value(v);

	if (m == NULL || m[0] == '\0') {
		set_err(err, errlen, "routes[%zu].method: must be a non-empty string", idx);
		return -1;
	}
	r->method = strdup(m);
	if (r->method == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	for (char *c = r->method; *c != '\0'; c++) {
		if (*c >= 'a' && *c <= 'z')
			*c = (char)(*c - 'a' + 'A');
	}
	return 0;
}

/* Non-negative integer member; `max` bounds it so later arithmetic cannot overflow. */
static int parse_int(json_t *v, const char *what, size_t idx, long min, long max, long *out,
	char *err, size_t errlen)
{
	json_int_t n;

	if (!json_is_integer(v)) {
		set_err(err, errlen, "routes[%zu].%s: must be an integer", idx, what);
		return -1;
	}
	n = json_integer_value(v);
	if (n < min || n > max) {
		set_err(err, errlen, "routes[%zu].%s: must be between %ld and %ld", idx, what, min,
			max);
		return -1;
	}
	*out = (long)n;
	return 0;
}

static int parse_barrier(json_t *v, struct fx_route *r, size_t idx, char *err, size_t errlen)
{
	json_t *count = json_object_get(v, "count");
	json_t *timeout = json_object_get(v, "timeout_ms");
	long n = 0;

	if (!json_is_object(v) || count == NULL) {
		set_err(err, errlen, "routes[%zu].barrier: must be an object with count", idx);
		return -1;
	}
	if (json_object_size(v) != (timeout != NULL ? 2u : 1u)) {
		set_err(err, errlen, "routes[%zu].barrier: only count and timeout_ms are allowed",
			idx);
		return -1;
	}
	if (parse_int(count, "barrier.count", idx, 1, 1000000, &n, err, errlen) != 0)
		return -1;
	r->barrier_count = (unsigned)n;
	r->barrier_timeout_ms = 30000;
	if (timeout != NULL && parse_int(timeout, "barrier.timeout_ms", idx, 1, 86400000L,
		&r->barrier_timeout_ms, err, errlen) != 0)
		return -1;
	return 0;
}

static char *join_path(const char *base_dir, const char *file)
{
	size_t n;
	char *out;

	if (file[0] == '/' || base_dir == NULL || base_dir[0] == '\0')
		return strdup(file);
	n = strlen(base_dir) + 1 + strlen(file) + 1;
	out = malloc(n);
	if (out != NULL)
		snprintf(out, n, "%s/%s", base_dir, file);
	return out;
}

/* Exactly one of body, body_file, body_json may be present; none means an empty body. */
static int parse_body(json_t *route, struct fx_route *r, size_t idx, const char *base_dir,
	char *err, size_t errlen)
{
	json_t *body = json_object_get(route, "body");
	json_t *file = json_object_get(route, "body_file");
	json_t *bjson = json_object_get(route, "body_json");
	int present = (body != NULL) + (file != NULL) + (bjson != NULL);

	if (present > 1) {
		set_err(err, errlen, "routes[%zu]: use only one of body, body_file, body_json", idx);
		return -1;
	}
	if (body != NULL) {
		if (!json_is_string(body)) {
			set_err(err, errlen, "routes[%zu].body: must be a string", idx);
			return -1;
		}
		r->body_len = json_string_length(body);
		r->body = malloc(r->body_len + 1);
		if (r->body == NULL)
			goto oom;
		memcpy(r->body, json_string_value(body), r->body_len + 1);
	} else if (file != NULL) {
		char *path;

		if (!json_is_string(file)) {
			set_err(err, errlen, "routes[%zu].body_file: must be a string", idx);
			return -1;
		}
		path = join_path(base_dir, json_string_value(file));
		if (path == NULL)
			goto oom;
		r->body = read_file(path, &r->body_len, err, errlen);
		free(path);
		if (r->body == NULL)
			return -1;
	} else if (bjson != NULL) {
		r->body = json_dumps(bjson, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
		if (r->body == NULL)
			goto oom;
		r->body_len = strlen(r->body);
	}
	return 0;
oom:
	set_err(err, errlen, "out of memory");
	return -1;
}

static bool has_header(const struct fx_route *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->headers[i].name, name) == 0)
			return true;
	}
	return false;
}

/* body_json without a Content-Type would otherwise get the server default; say JSON. */
static int add_json_content_type(struct fx_route *r)
{
	struct fx_kv *grown = realloc(r->headers, (r->nheaders + 1) * sizeof(*grown));

	if (grown == NULL)
		return -1;
	r->headers = grown;
	grown[r->nheaders].name = strdup("Content-Type");
	grown[r->nheaders].value = strdup("application/json");
	r->nheaders++;
	return grown[r->nheaders - 1].name && grown[r->nheaders - 1].value ? 0 : -1;
}

static bool known_key(const char *key)
{
	static const char *const keys[] = {"method", "path", "query", "status", "reason",
		"headers", "body", "body_file", "body_json", "delay_ms", "fault", "barrier",
		"comment"};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i]) == 0)
			return true;
	}
	return false;
}

static int parse_route(json_t *route, size_t idx, const char *base_dir, struct fx_route *r,
	char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	long status = 200;

	if (!json_is_object(route)) {
		set_err(err, errlen, "routes[%zu]: must be an object", idx);
		return -1;
	}
	json_object_foreach(route, key, v) {
		if (!known_key(key)) {
			set_err(err, errlen, "routes[%zu]: unknown key \"%s\"", idx, key);
			return -1;
		}
	}
	if (parse_path(json_object_get(route, "path"), r, idx, err, errlen) != 0)
		return -1;
	if ((v = json_object_get(route, "method")) != NULL &&
		parse_method(v, r, idx, err, errlen) != 0)
		return -1;
	if ((v = json_object_get(route, "query")) != NULL &&
		parse_string_map(v, "query", idx, &r->query, &r->nquery, err, errlen) != 0)
		return -1;
	if ((v = json_object_get(route, "headers")) != NULL &&
		parse_string_map(v, "headers", idx, &r->headers, &r->nheaders, err, errlen) != 0)
		return -1;
	if ((v = json_object_get(route, "status")) != NULL &&
		parse_int(v, "status", idx, 100, 599, &status, err, errlen) != 0)
		return -1;
	r->status = (int)status;
	if ((v = json_object_get(route, "reason")) != NULL) {
		if (!json_is_string(v) || strpbrk(json_string_value(v), "\r\n") != NULL) {
			set_err(err, errlen, "routes[%zu].reason: must be a one-line string", idx);
			return -1;
		}
		r->reason = strdup(json_string_value(v));
		if (r->reason == NULL)
			goto oom;
	}
	if ((v = json_object_get(route, "delay_ms")) != NULL &&
		parse_int(v, "delay_ms", idx, 0, 86400000L, &r->delay_ms, err, errlen) != 0)
		return -1;
	if ((v = json_object_get(route, "fault")) != NULL &&
		(!json_is_string(v) || parse_fault(json_string_value(v), &r->fault) != 0)) {
		set_err(err, errlen,
			"routes[%zu].fault: must be one of none, reset, hang, truncate, "
			"invalid_json, close", idx);
		return -1;
	}
	if ((v = json_object_get(route, "barrier")) != NULL &&
		parse_barrier(v, r, idx, err, errlen) != 0)
		return -1;
	if (parse_body(route, r, idx, base_dir, err, errlen) != 0)
		return -1;
	if (json_object_get(route, "body_json") != NULL && !has_header(r, "Content-Type") &&
		add_json_content_type(r) != 0)
		goto oom;
	return 0;
oom:
	set_err(err, errlen, "out of memory");
	return -1;
}

struct fx_route_table *fx_route_table_parse(const char *text, size_t len, const char *base_dir,
	char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	json_t *routes;
	struct fx_route_table *t = NULL;

	if (doc == NULL) {
		set_err(err, errlen, "invalid JSON at line %d column %d: %s", jerr.line,
			jerr.column, jerr.text);
		return NULL;
	}
	routes = json_object_get(doc, "routes");
	if (!json_is_array(routes) || json_object_size(doc) != 1) {
		set_err(err, errlen, "the document must be {\"routes\": [ ... ]}");
		goto out;
	}
	t = fx_route_table_new_empty();
	if (t == NULL || (t->routes = calloc(json_array_size(routes) + 1,
		sizeof(*t->routes))) == NULL) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < json_array_size(routes); i++) {
		t->nroutes = i + 1;
		if (parse_route(json_array_get(routes, i), i, base_dir, &t->routes[i], err,
			errlen) != 0)
			goto fail;
	}
	goto out;
fail:
	fx_route_table_unref(t);
	t = NULL;
out:
	json_decref(doc);
	return t;
}

struct fx_route_table *fx_route_table_load(const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	char *text = read_file(path, &len, err, errlen);
	char *dir;
	char *slash;
	struct fx_route_table *t;

	if (text == NULL)
		return NULL;
	dir = strdup(path);
	if (dir == NULL) {
		free(text);
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL)
		dir[0] = '\0';
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	t = fx_route_table_parse(text, len, dir, err, errlen);
	free(dir);
	free(text);
	return t;
}

static const char *view_param(struct fx_request_view *view, const char *name)
{
	if (!view->params_parsed) {
		TAILQ_INIT(&view->params);
		view->params_parsed = true;
		/* A malformed query simply matches no query constraint. */
		if (view->query != NULL && evhttp_parse_query_str(view->query, &view->params) != 0)
			evhttp_clear_headers(&view->params);
	}
	/* evhttp_find_header compares names case-insensitively; query names are not. */
	for (struct evkeyval *kv = TAILQ_FIRST(&view->params); kv != NULL;
		kv = TAILQ_NEXT(kv, next)) {
		if (strcmp(kv->key, name) == 0)
			return kv->value;
	}
	return NULL;
}

static bool route_matches(const struct fx_route *r, struct fx_request_view *view)
{
	if (r->method != NULL && strcmp(r->method, view->method) != 0)
		return false;
	if (r->prefix) {
		if (strncmp(view->path, r->path, r->path_len) != 0)
			return false;
	} else if (strcmp(view->path, r->path) != 0) {
		return false;
	}
	for (size_t i = 0; i < r->nquery; i++) {
		const char *got = view_param(view, r->query[i].name);

		if (got == NULL || strcmp(got, r->query[i].value) != 0)
			return false;
	}
	return true;
}

const struct fx_route *fx_route_match(const struct fx_route_table *table,
	struct fx_request_view *view)
{
	for (size_t i = 0; i < table->nroutes; i++) {
		if (route_matches(&table->routes[i], view))
			return &table->routes[i];
	}
	return NULL;
}

void fx_request_view_clear(struct fx_request_view *view)
{
	if (view->params_parsed)
		evhttp_clear_headers(&view->params);
	view->params_parsed = false;
}
