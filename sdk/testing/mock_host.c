/* SPDX-License-Identifier: MIT */
/* A fake struct relayd_host for plugin unit tests: everything deterministic and inspectable. */
#include "mock_host.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <relayd/ctim.h>
#include <relayd/plugin.h>

#define MOCK_RUN_LIMIT 1000000u
#define MOCK_DEFAULT_DEADLINE_MS 30000
#define MOCK_DEFAULT_TIMEOUT_MS 10000

/* ---- small containers -------------------------------------------------- */

/* A growable array of pointers; the owner knows how to free the items. */
struct ptrvec {
	void **items;
	size_t len;
	size_t cap;
};

static int vec_push(struct ptrvec *v, void *item)
{
	if (v->len == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		void **items = realloc(v->items, cap * sizeof *items);
		if (!items)
			return RELAYD_ENOMEM;
		v->items = items;
		v->cap = cap;
	}
	v->items[v->len++] = item;
	return RELAYD_OK;
}

static void vec_free(struct ptrvec *v, void (*free_item)(void *))
{
	for (size_t i = 0; free_item && i < v->len; i++)
		free_item(v->items[i]);
	free(v->items);
	*v = (struct ptrvec){0};
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Copies a NULL-terminated string array; the copy is never NULL (an empty
 * array for NULL) unless memory ran out. */
static char **strv_dup(const char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	char **out = calloc(n + 1, sizeof *out);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		out[i] = strdup(v[i]);
		if (!out[i]) {
			for (size_t j = 0; j < i; j++)
				free(out[j]);
			free(out);
			return NULL;
		}
	}
	return out;
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The value of a "Name: value" header, or NULL. */
static const char *strv_header(char *const *headers, const char *name)
{
	size_t nlen = strlen(name);
	for (size_t i = 0; headers && headers[i]; i++) {
		const char *h = headers[i];
		if (strncasecmp(h, name, nlen) == 0 && h[nlen] == ':') {
			const char *v = h + nlen + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
	}
	return NULL;
}

/* A name → value pair (config, query, request headers, route params, metrics). */
struct pair {
	char *name;
	char *value;
	double number;
};

static void pair_free(void *p)
{
	struct pair *pr = p;
	free(pr->name);
	free(pr->value);
	free(pr);
}

static struct pair *pairs_find(const struct ptrvec *v, const char *name, bool ignore_case)
{
	for (size_t i = 0; i < v->len; i++) {
		struct pair *p = v->items[i];
		if (ignore_case ? strcasecmp(p->name, name) == 0 : strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

static int pairs_set(struct ptrvec *v, const char *name, const char *value, bool ignore_case)
{
	struct pair *p = pairs_find(v, name, ignore_case);
	char *copy = dup_or_null(value);
	if (value && !copy)
		return RELAYD_ENOMEM;
	if (p) {
		free(p->value);
		p->value = copy;
		return RELAYD_OK;
	}
	p = calloc(1, sizeof *p);
	if (!p || !(p->name = strdup(name)) || vec_push(v, p) != RELAYD_OK) {
		if (p)
			free(p->name);
		free(p);
		free(copy);
		return RELAYD_ENOMEM;
	}
	p->value = copy;
	return RELAYD_OK;
}

/* ---- the mock's objects ------------------------------------------------ */

struct relayd_plugin_ctx {
	struct mock_host *m;
};

enum call_end {
	END_NONE = 0,
	END_ENVELOPE, /* finish or fail */
	END_REPLY,
	END_TASK,
};

struct relayd_call {
	struct mock_host *m;
	bool is_task;
	char request_id[32];
	char *method;
	char *path;
	void *body;
	size_t body_len;
	struct ptrvec query;   /* struct pair */
	struct ptrvec headers; /* struct pair */
	struct ptrvec params;  /* struct pair, name = decimal index */
	json_t *claims;
	char *api_key;
	int entities_limit;
	int64_t deadline_ms;
	struct ptrvec arena;    /* malloc'd blocks from call_alloc */
	json_t *warnings;       /* array of {code, message, type} */
	struct ctim_bundle *ctim; /* call_ctim's bundle, NULL until asked for */
	unsigned end_count;
	enum call_end end;
	json_t *result;
	int http_status;
	char *reply_body;
	size_t reply_len;
	char *reply_type;
	char **reply_headers;
};

struct canned_answer {
	char *method;
	char *url;
	enum relayd_http_error error;
	long status;
	char *reason;
	char *body;
	size_t body_len;
	char *error_text;
	char **headers;
	bool used;
};

enum event_kind { EV_HTTP, EV_OFFLOAD, EV_READY };

/* One queued callback with the data it needs, copied when it was queued. */
struct event {
	enum event_kind kind;
	struct relayd_call *call;
	void *arg;
	relayd_http_done_fn http_done;
	relayd_task_fn work;
	relayd_call_fn call_done;
	relayd_ready_fn ready;
	int ready_status;
	struct relayd_http_response resp;
	char *reason;
	char *body;
	char *error_text;
	char **headers;
};

struct relayd_timer {
	struct mock_host *m;
	int64_t due_ms;
	uint64_t seq;
	relayd_task_fn fn;
	void *arg;
	bool done; /* fired or cancelled */
	bool fired;
};

struct cache_entry {
	void *key;
	size_t key_len;
	void *value;
	size_t value_len;
	int64_t expires_ms;
};

struct mock_host {
	struct relayd_host services;
	struct mock_host *previous; /* the mock that was current before this one */
	struct relayd_plugin_ctx pctx;
	int64_t now_ms;
	uint64_t uuid_counter;
	unsigned call_counter;
	uint64_t timer_seq;
	int ratelimit_status;
	size_t ratelimit_count;
	char *config_error;
	struct ptrvec config;   /* struct pair */
	struct ptrvec calls;    /* struct relayd_call */
	struct ptrvec answers;  /* struct canned_answer */
	struct ptrvec requests; /* struct mock_request */
	struct ptrvec queue;    /* struct event, FIFO from queue_head */
	size_t queue_head;
	struct ptrvec timers;   /* struct relayd_timer */
	struct ptrvec cache;    /* struct cache_entry */
	struct ptrvec metrics;  /* struct pair: name = "name{labels}", number */
	struct ptrvec logs;     /* char * */
};

/* now_ms, uuid4 and metric_* carry no context: they use the live mock. */
static struct mock_host *current_mock;

/* ---- logging ----------------------------------------------------------- */

static const char *level_name(enum relayd_log_level level)
{
	switch (level) {
	case RELAYD_LOG_ERROR: return "error";
	case RELAYD_LOG_WARN: return "warn";
	case RELAYD_LOG_INFO: return "info";
	default: return "debug";
	}
}

static void record_logv(struct mock_host *m, enum relayd_log_level level, const char *fmt,
                        va_list ap)
{
	char *text = NULL;
	if (vasprintf(&text, fmt, ap) < 0)
		return;
	char *line = NULL;
	if (asprintf(&line, "%s: %s", level_name(level), text) >= 0 &&
	    vec_push(&m->logs, line) != RELAYD_OK)
		free(line);
	free(text);
}

static void record_log(struct mock_host *m, enum relayd_log_level level, const char *fmt, ...)
    RELAYD_PRINTF(3, 4);
static void record_log(struct mock_host *m, enum relayd_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	record_logv(m, level, fmt, ap);
	va_end(ap);
}

static void svc_log(struct relayd_call *call, enum relayd_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	record_logv(call->m, level, fmt, ap);
	va_end(ap);
}

static void svc_log_plugin(struct relayd_plugin_ctx *pctx, enum relayd_log_level level,
                           const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	record_logv(pctx->m, level, fmt, ap);
	va_end(ap);
}

/* ---- config ------------------------------------------------------------ */

static const char *config_value(struct relayd_plugin_ctx *pctx, const char *key)
{
	struct pair *p = pairs_find(&pctx->m->config, key, false);
	return p ? p->value : NULL;
}

static const char *svc_config_string(struct relayd_plugin_ctx *pctx, const char *key)
{
	return config_value(pctx, key);
}

static int64_t svc_config_int(struct relayd_plugin_ctx *pctx, const char *key)
{
	const char *v = config_value(pctx, key);
	if (!v)
		return 0;
	char *end = NULL;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || end == v)
		return 0;
	switch (*end) {
	case 'K': case 'k': return (int64_t)n * 1024;
	case 'M': case 'm': return (int64_t)n * 1024 * 1024;
	case 'G': case 'g': return (int64_t)n * 1024 * 1024 * 1024;
	default: return (int64_t)n;
	}
}

static bool svc_config_bool(struct relayd_plugin_ctx *pctx, const char *key)
{
	const char *v = config_value(pctx, key);
	return v && (strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
	             strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0);
}

static char *svc_config_path(struct relayd_plugin_ctx *pctx, const char *key)
{
	return dup_or_null(config_value(pctx, key));
}

static int svc_config_error(struct relayd_plugin_ctx *pctx, const char *key, const char *fmt,
                            ...)
{
	struct mock_host *m = pctx->m;
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(&text, fmt, ap);
	va_end(ap);
	free(m->config_error);
	m->config_error = NULL;
	if (rc >= 0 && asprintf(&m->config_error, "%s: %s", key, text) < 0)
		m->config_error = NULL;
	free(text);
	return RELAYD_EINVAL;
}

int mock_host_set_config(struct mock_host *m, const char *key, const char *value)
{
	if (!value) {
		for (size_t i = 0; i < m->config.len; i++) {
			struct pair *p = m->config.items[i];
			if (strcmp(p->name, key) == 0) {
				pair_free(p);
				m->config.items[i] = m->config.items[--m->config.len];
				break;
			}
		}
		return RELAYD_OK;
	}
	return pairs_set(&m->config, key, value, false);
}

const char *mock_host_config_error(const struct mock_host *m)
{
	return m->config_error;
}

/* ---- the call's request ------------------------------------------------ */

static const char *svc_call_request_id(struct relayd_call *call)
{
	return call->is_task ? NULL : call->request_id;
}

static const char *svc_call_method(struct relayd_call *call)
{
	return call->method;
}

static const char *svc_call_path(struct relayd_call *call)
{
	return call->path;
}

static const char *svc_call_route_param(struct relayd_call *call, unsigned idx)
{
	char name[16];
	snprintf(name, sizeof name, "%u", idx);
	struct pair *p = pairs_find(&call->params, name, false);
	return p ? p->value : NULL;
}

static const char *svc_call_query(struct relayd_call *call, const char *name)
{
	struct pair *p = pairs_find(&call->query, name, false);
	return p ? p->value : NULL;
}

static const char *svc_call_header(struct relayd_call *call, const char *name)
{
	struct pair *p = pairs_find(&call->headers, name, true);
	return p ? p->value : NULL;
}

static const void *svc_call_body(struct relayd_call *call, size_t *len)
{
	if (len)
		*len = call->body_len;
	return call->body;
}

static const json_t *svc_call_claims(struct relayd_call *call)
{
	return call->claims;
}

static const char *svc_call_api_key(struct relayd_call *call)
{
	return call->api_key;
}

static int svc_call_entities_limit(struct relayd_call *call)
{
	return call->entities_limit;
}

static int64_t svc_call_deadline_ms(struct relayd_call *call)
{
	return call->deadline_ms;
}

static struct relayd_plugin_ctx *svc_call_plugin(struct relayd_call *call)
{
	return &call->m->pctx;
}

/* ---- the arena --------------------------------------------------------- */

static void *svc_call_alloc(struct relayd_call *call, size_t size)
{
	/* Zeroed, like a fresh arena page; size 0 still gives a unique pointer. */
	void *p = calloc(1, size ? size : 1);
	if (!p)
		return NULL;
	if (vec_push(&call->arena, p) != RELAYD_OK) {
		free(p);
		return NULL;
	}
	return p;
}

static char *svc_call_strdup(struct relayd_call *call, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *p = svc_call_alloc(call, n);
	if (p)
		memcpy(p, s, n);
	return p;
}

static char *svc_call_printf(struct relayd_call *call, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return NULL;
	char *p = svc_call_strdup(call, text);
	free(text);
	return p;
}

/* ---- ending a call ----------------------------------------------------- */

/* Counts every end; only the first one produces the answer, as in the host. */
static bool begin_end(struct relayd_call *call, const char *what)
{
	call->end_count++;
	if (call->end_count == 1)
		return true;
	record_log(call->m, RELAYD_LOG_ERROR, "%s: call %s already ended; ignored", what,
	           call->request_id);
	return false;
}

static json_t *error_object(const char *code, const char *fmt, va_list ap, const char *type)
{
	json_t *message = json_null();
	if (fmt) {
		char *text = NULL;
		if (vasprintf(&text, fmt, ap) >= 0) {
			message = json_string(text);
			free(text);
		}
	}
	return json_pack("{s:s?, s:o, s:s}", "code", code, "message", message, "type", type);
}

static struct ctim_bundle *svc_call_ctim(struct relayd_call *call)
{
	if (!call->ctim)
		call->ctim = ctim_bundle_new();
	return call->ctim;
}

static void svc_finish(struct relayd_call *call, json_t *data)
{
	if (!begin_end(call, "finish")) {
		json_decref(data);
		return;
	}
	call->end = END_ENVELOPE;
	call->http_status = 200;
	call->result = json_object();
	/* As the host: no data means the call's bundle ({} when none). */
	if (!data)
		data = call->ctim ? ctim_bundle_to_data(call->ctim) : json_object();
	json_object_set_new(call->result, "data", data ? data : json_null());
	if (json_array_size(call->warnings) > 0)
		json_object_set_new(call->result, "errors", json_copy(call->warnings));
}

static void svc_fail(struct relayd_call *call, json_t *partial, const char *code,
                     const char *fmt, ...)
{
	if (!begin_end(call, "fail")) {
		json_decref(partial);
		return;
	}
	call->end = END_ENVELOPE;
	call->http_status = 200;
	call->result = json_object();
	if (!partial && call->ctim && !ctim_bundle_is_empty(call->ctim))
		partial = ctim_bundle_to_data(call->ctim);
	if (partial)
		json_object_set_new(call->result, "data", partial);
	va_list ap;
	va_start(ap, fmt);
	/* As the host: an empty code falls back to "unknown" (securex-relay.md §5.2). */
	json_t *err = error_object(code && *code ? code : "unknown", fmt, ap, "fatal");
	va_end(ap);
	json_t *errors = json_copy(call->warnings);
	json_array_append_new(errors, err);
	json_object_set_new(call->result, "errors", errors);
}

static void svc_warn(struct relayd_call *call, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	json_array_append_new(call->warnings, error_object(code, fmt, ap, "warning"));
	va_end(ap);
}

static void svc_reply(struct relayd_call *call, int status, const char *content_type,
                      const char *const *headers, const void *body, size_t len)
{
	if (!begin_end(call, "reply"))
		return;
	call->end = END_REPLY;
	call->http_status = status;
	call->reply_type = dup_or_null(content_type);
	call->reply_headers = strv_dup(headers);
	call->reply_body = malloc(len + 1);
	if (call->reply_body) {
		if (len)
			memcpy(call->reply_body, body, len);
		call->reply_body[len] = '\0';
		call->reply_len = len;
		call->result = json_loadb(call->reply_body, len, JSON_DECODE_ANY, NULL);
	}
}

static void svc_reply_json(struct relayd_call *call, int status, json_t *body)
{
	if (!begin_end(call, "reply_json")) {
		json_decref(body);
		return;
	}
	call->end = END_REPLY;
	call->http_status = status;
	call->reply_type = strdup("application/json");
	call->result = body;
	call->reply_body = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
	call->reply_len = call->reply_body ? strlen(call->reply_body) : 0;
}

/* ---- the queue --------------------------------------------------------- */

static void event_free(void *p)
{
	struct event *ev = p;
	if (!ev)
		return;
	free(ev->reason);
	free(ev->body);
	free(ev->error_text);
	strv_free(ev->headers);
	free(ev);
}

static void enqueue(struct mock_host *m, struct event *ev)
{
	if (vec_push(&m->queue, ev) != RELAYD_OK) {
		/* Tests run with plenty of memory; losing a callback would hang a
		 * plugin silently, so say it loudly. */
		fprintf(stderr, "mock_host: out of memory queueing a callback\n");
		event_free(ev);
	}
}

static void run_event(struct event *ev)
{
	switch (ev->kind) {
	case EV_HTTP:
		if (ev->http_done)
			ev->http_done(ev->call, &ev->resp, ev->arg);
		break;
	case EV_OFFLOAD:
		if (ev->work)
			ev->work(ev->arg);
		if (ev->call_done)
			ev->call_done(ev->call, ev->arg);
		break;
	case EV_READY:
		if (ev->ready)
			ev->ready(ev->call, ev->ready_status, ev->arg);
		break;
	}
}

size_t mock_host_run(struct mock_host *m)
{
	size_t ran = 0;
	while (m->queue_head < m->queue.len) {
		if (ran == MOCK_RUN_LIMIT) {
			fprintf(stderr, "mock_host: stopped after %u callbacks\n", MOCK_RUN_LIMIT);
			break;
		}
		struct event *ev = m->queue.items[m->queue_head];
		m->queue.items[m->queue_head++] = NULL;
		run_event(ev);
		event_free(ev);
		ran++;
	}
	if (m->queue_head == m->queue.len) {
		m->queue.len = 0;
		m->queue_head = 0;
	}
	return ran;
}

size_t mock_host_pending(const struct mock_host *m)
{
	return m->queue.len - m->queue_head;
}

/* ---- HTTP -------------------------------------------------------------- */

static void answer_free(void *p)
{
	struct canned_answer *a = p;
	free(a->method);
	free(a->url);
	free(a->reason);
	free(a->body);
	free(a->error_text);
	strv_free(a->headers);
	free(a);
}

static void request_free(void *p)
{
	struct mock_request *r = p;
	free(r->method);
	free(r->url);
	strv_free(r->headers);
	free(r->body);
	free(r->body_file);
	free(r->userpwd);
	free(r->aws_sigv4);
	free(r);
}

static int add_answer(struct mock_host *m, struct canned_answer *a)
{
	if (!a->method || !a->url || !a->reason || !a->body || !a->headers ||
	    vec_push(&m->answers, a) != RELAYD_OK) {
		answer_free(a);
		return RELAYD_ENOMEM;
	}
	return RELAYD_OK;
}

static struct canned_answer *answer_new(const char *method, const char *url)
{
	struct canned_answer *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->method = strdup(method ? method : "GET");
	a->url = dup_or_null(url);
	return a;
}

static int answer_with_body(struct mock_host *m, const char *method, const char *url,
                            long status, const char *reason, char *body_take, size_t body_len,
                            const char *const *headers)
{
	struct canned_answer *a = answer_new(method, url);
	if (!a) {
		free(body_take);
		return RELAYD_ENOMEM;
	}
	a->error = RELAYD_HTTP_OK;
	a->status = status;
	a->reason = strdup(reason ? reason : "");
	a->body = body_take;
	a->body_len = body_len;
	a->headers = strv_dup(headers);
	return add_answer(m, a);
}

int mock_host_http_answer(struct mock_host *m, const char *method, const char *url, long status,
                          const char *reason, const char *body, const char *const *headers)
{
	char *copy = strdup(body ? body : "");
	if (!copy)
		return RELAYD_ENOMEM;
	return answer_with_body(m, method, url, status, reason, copy, strlen(copy), headers);
}

int mock_host_http_answer_file(struct mock_host *m, const char *method, const char *url,
                               long status, const char *reason, const char *path,
                               const char *const *headers)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return RELAYD_EIO;
	char *buf = NULL;
	size_t len = 0;
	size_t cap = 0;
	int rc = RELAYD_OK;
	for (;;) {
		if (cap - len < 4096) {
			char *grown = realloc(buf, cap + 65536 + 1);
			if (!grown) {
				rc = RELAYD_ENOMEM;
				break;
			}
			buf = grown;
			cap += 65536;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f))
				rc = RELAYD_EIO;
			break;
		}
	}
	fclose(f);
	if (rc != RELAYD_OK) {
		free(buf);
		return rc;
	}
	if (!buf && !(buf = malloc(1)))
		return RELAYD_ENOMEM;
	buf[len] = '\0';
	return answer_with_body(m, method, url, status, reason, buf, len, headers);
}

int mock_host_http_error(struct mock_host *m, const char *method, const char *url,
                         enum relayd_http_error error, const char *error_text)
{
	struct canned_answer *a = answer_new(method, url);
	if (!a)
		return RELAYD_ENOMEM;
	a->error = error;
	a->reason = strdup("");
	a->body = strdup("");
	a->error_text = dup_or_null(error_text);
	a->headers = strv_dup(NULL);
	return add_answer(m, a);
}

/* The first unused answer for method + URL, else the last one (it sticks). */
static struct canned_answer *find_answer(struct mock_host *m, const char *method,
                                         const char *url)
{
	struct canned_answer *last = NULL;
	for (size_t i = 0; i < m->answers.len; i++) {
		struct canned_answer *a = m->answers.items[i];
		if (strcmp(a->method, method) != 0 || strcmp(a->url, url) != 0)
			continue;
		if (!a->used) {
			a->used = true;
			return a;
		}
		last = a;
	}
	return last;
}

static struct mock_request *record_request(struct mock_host *m, struct relayd_call *call,
                                           const struct relayd_http_request *req,
                                           const char *method)
{
	struct mock_request *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->call = call;
	r->method = strdup(method);
	r->url = strdup(req->url ? req->url : "");
	r->headers = strv_dup(req->headers);
	r->body = malloc(req->body_len + 1);
	if (r->body) {
		if (req->body && req->body_len)
			memcpy(r->body, req->body, req->body_len);
		r->body_len = req->body ? req->body_len : 0;
		r->body[r->body_len] = '\0';
	}
	r->body_file = dup_or_null(req->body_file);
	r->timeout_ms = req->timeout_ms;
	r->userpwd = dup_or_null(req->userpwd);
	r->aws_sigv4 = dup_or_null(req->aws_sigv4);
	r->http_version = req->http_version;
	r->max_response_body = req->max_response_body;
	if (!r->method || !r->url || !r->headers || !r->body || vec_push(&m->requests, r) != 0) {
		request_free(r);
		return NULL;
	}
	return r;
}

/* The timeout the host would report: the request's, else the plugin's timeout_ms. */
static long effective_timeout(struct mock_host *m, const struct relayd_http_request *req)
{
	if (req->timeout_ms > 0)
		return req->timeout_ms;
	int64_t configured = svc_config_int(&m->pctx, "timeout_ms");
	return configured > 0 ? (long)configured : MOCK_DEFAULT_TIMEOUT_MS;
}

static void fill_response(struct event *ev, const struct canned_answer *a, const char *method,
                          const char *url)
{
	if (a) {
		ev->resp.error = a->error;
		ev->resp.status = a->error == RELAYD_HTTP_OK ? a->status : 0;
		ev->reason = strdup(a->reason);
		ev->body = malloc(a->body_len + 1);
		if (ev->body) {
			memcpy(ev->body, a->body, a->body_len + 1);
			ev->resp.body_len = a->body_len;
		}
		ev->error_text = dup_or_null(a->error_text);
		ev->headers = strv_dup((const char *const *)a->headers);
	} else {
		ev->resp.error = RELAYD_HTTP_CONNECT;
		ev->reason = strdup("");
		ev->body = strdup("");
		if (asprintf(&ev->error_text, "mock_host: no answer for %s %s", method, url) < 0)
			ev->error_text = NULL;
		ev->headers = strv_dup(NULL);
	}
	ev->resp.reason = ev->reason ? ev->reason : "";
	ev->resp.body = ev->body ? ev->body : "";
	ev->resp.error_text = ev->error_text;
	ev->resp.priv = ev->headers;
}

static void svc_http(struct relayd_call *call, const struct relayd_http_request *req,
                     relayd_http_done_fn done, void *arg)
{
	struct mock_host *m = call->m;
	const char *method = req->method ? req->method : "GET";
	const char *url = req->url ? req->url : "";
	struct event *ev = calloc(1, sizeof *ev);
	if (!ev) {
		fprintf(stderr, "mock_host: out of memory in http()\n");
		return;
	}
	ev->kind = EV_HTTP;
	ev->call = call;
	ev->http_done = done;
	ev->arg = arg;
	if (!record_request(m, call, req, method))
		fprintf(stderr, "mock_host: out of memory recording a request\n");
	struct canned_answer *a = find_answer(m, method, url);
	if (!a)
		record_log(m, RELAYD_LOG_WARN, "mock_host: no answer for %s %s", method, url);
	fill_response(ev, a, method, url);
	ev->resp.timeout_ms = effective_timeout(m, req);
	enqueue(m, ev);
}

static const char *svc_http_header(const struct relayd_http_response *resp, const char *name)
{
	return strv_header((char *const *)resp->priv, name);
}

size_t mock_host_request_count(const struct mock_host *m)
{
	return m->requests.len;
}

const struct mock_request *mock_host_request(const struct mock_host *m, size_t i)
{
	return i < m->requests.len ? m->requests.items[i] : NULL;
}

const struct mock_request *mock_host_find_request(const struct mock_host *m, const char *method,
                                                  const char *url)
{
	for (size_t i = 0; i < m->requests.len; i++) {
		const struct mock_request *r = m->requests.items[i];
		if (strcmp(r->method, method) == 0 && strcmp(r->url, url) == 0)
			return r;
	}
	return NULL;
}

const char *mock_request_header(const struct mock_request *r, const char *name)
{
	return strv_header(r->headers, name);
}

/* ---- time and ids ------------------------------------------------------ */

static int64_t svc_now_ms(void)
{
	return current_mock ? current_mock->now_ms : MOCK_HOST_START_MS;
}

static void svc_uuid4(char out[37])
{
	uint64_t n = current_mock ? ++current_mock->uuid_counter : 0;
	snprintf(out, 37, "00000000-0000-4000-8000-%012" PRIx64, n & UINT64_C(0xffffffffffff));
}

void mock_host_set_now(struct mock_host *m, int64_t now_ms)
{
	m->now_ms = now_ms;
}

/* ---- offload, tasks, timers -------------------------------------------- */

static void svc_offload(struct relayd_call *call, relayd_task_fn work, relayd_call_fn done,
                        void *arg)
{
	struct event *ev = calloc(1, sizeof *ev);
	if (!ev) {
		fprintf(stderr, "mock_host: out of memory in offload()\n");
		return;
	}
	*ev = (struct event){.kind = EV_OFFLOAD, .call = call, .work = work, .call_done = done,
	                     .arg = arg};
	enqueue(call->m, ev);
}

static void call_free(void *p)
{
	struct relayd_call *call = p;
	free(call->method);
	free(call->path);
	free(call->body);
	vec_free(&call->query, pair_free);
	vec_free(&call->headers, pair_free);
	vec_free(&call->params, pair_free);
	json_decref(call->claims);
	free(call->api_key);
	vec_free(&call->arena, free);
	json_decref(call->warnings);
	ctim_bundle_free(call->ctim);
	json_decref(call->result);
	free(call->reply_body);
	free(call->reply_type);
	strv_free(call->reply_headers);
	free(call);
}

static struct relayd_call *call_new(struct mock_host *m, bool is_task)
{
	struct relayd_call *call = calloc(1, sizeof *call);
	if (!call)
		return NULL;
	call->m = m;
	call->is_task = is_task;
	snprintf(call->request_id, sizeof call->request_id, "req-%u", ++m->call_counter);
	call->method = strdup(is_task ? "" : "POST");
	call->path = strdup("");
	call->entities_limit = 100;
	call->deadline_ms = m->now_ms + MOCK_DEFAULT_DEADLINE_MS;
	call->warnings = json_array();
	if (!call->method || !call->path || !call->warnings || vec_push(&m->calls, call) != 0) {
		call_free(call);
		return NULL;
	}
	return call;
}

static struct relayd_call *svc_task_begin(struct relayd_plugin_ctx *pctx)
{
	return call_new(pctx->m, true);
}

static void svc_task_end(struct relayd_call *call)
{
	if (begin_end(call, "task_end"))
		call->end = END_TASK;
}

static struct relayd_timer *svc_timer_add(struct relayd_plugin_ctx *pctx, uint64_t ms,
                                          relayd_task_fn fn, void *arg)
{
	struct mock_host *m = pctx->m;
	struct relayd_timer *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	*t = (struct relayd_timer){.m = m, .due_ms = m->now_ms + (int64_t)ms,
	                           .seq = ++m->timer_seq, .fn = fn, .arg = arg};
	if (vec_push(&m->timers, t) != RELAYD_OK) {
		free(t);
		return NULL;
	}
	return t;
}

static void svc_timer_cancel(struct relayd_timer *timer)
{
	if (!timer)
		return;
	/* The real host frees a timer when it fires, so cancelling one then is a
	 * use after free there; here the handle stays valid and the bug is logged. */
	if (timer->fired)
		record_log(timer->m, RELAYD_LOG_ERROR, "timer_cancel on a timer that already fired");
	timer->done = true;
}

static struct relayd_timer *next_due_timer(struct mock_host *m, int64_t until)
{
	struct relayd_timer *best = NULL;
	for (size_t i = 0; i < m->timers.len; i++) {
		struct relayd_timer *t = m->timers.items[i];
		if (t->done || t->due_ms > until)
			continue;
		if (!best || t->due_ms < best->due_ms ||
		    (t->due_ms == best->due_ms && t->seq < best->seq))
			best = t;
	}
	return best;
}

size_t mock_host_advance(struct mock_host *m, int64_t ms)
{
	int64_t until = m->now_ms + ms;
	size_t fired = 0;
	struct relayd_timer *t;
	while (fired < MOCK_RUN_LIMIT && (t = next_due_timer(m, until)) != NULL) {
		/* The clock shows the timer's own due time while it runs. */
		if (t->due_ms > m->now_ms)
			m->now_ms = t->due_ms;
		t->done = true;
		t->fired = true;
		t->fn(t->arg);
		fired++;
		mock_host_run(m);
	}
	m->now_ms = until;
	return fired;
}

/* ---- cache and rate limit ---------------------------------------------- */

static void cache_entry_free(void *p)
{
	struct cache_entry *e = p;
	free(e->key);
	free(e->value);
	free(e);
}

static struct cache_entry *cache_find(struct mock_host *m, const void *key, size_t key_len,
                                      size_t *index)
{
	for (size_t i = 0; i < m->cache.len; i++) {
		struct cache_entry *e = m->cache.items[i];
		if (e->key_len == key_len && memcmp(e->key, key, key_len) == 0) {
			if (index)
				*index = i;
			return e;
		}
	}
	return NULL;
}

static int svc_cache_get(struct relayd_call *call, const void *key, size_t key_len,
                         const void **value, size_t *value_len)
{
	struct cache_entry *e = cache_find(call->m, key, key_len, NULL);
	if (!e || e->expires_ms <= call->m->now_ms)
		return RELAYD_ENOTFOUND;
	/* One extra NUL so a cached JSON text can be parsed in place. */
	char *copy = svc_call_alloc(call, e->value_len + 1);
	if (!copy)
		return RELAYD_ENOMEM;
	memcpy(copy, e->value, e->value_len);
	*value = copy;
	*value_len = e->value_len;
	return RELAYD_OK;
}

static void svc_cache_put(struct relayd_call *call, const void *key, size_t key_len,
                          const void *value, size_t value_len, unsigned ttl_s)
{
	struct mock_host *m = call->m;
	int64_t ttl = ttl_s ? (int64_t)ttl_s : svc_config_int(&m->pctx, "cache_ttl_s");
	if (ttl <= 0)
		return;
	struct cache_entry *e = calloc(1, sizeof *e);
	if (!e)
		return;
	e->key = malloc(key_len ? key_len : 1);
	e->value = malloc(value_len ? value_len : 1);
	if (!e->key || !e->value) {
		cache_entry_free(e);
		return;
	}
	memcpy(e->key, key, key_len);
	memcpy(e->value, value, value_len);
	e->key_len = key_len;
	e->value_len = value_len;
	e->expires_ms = m->now_ms + ttl * 1000;
	size_t index;
	struct cache_entry *old = cache_find(m, key, key_len, &index);
	if (old) {
		cache_entry_free(old);
		m->cache.items[index] = e;
	} else if (vec_push(&m->cache, e) != RELAYD_OK) {
		cache_entry_free(e);
	}
}

static void svc_ratelimit_acquire(struct relayd_call *call, const char *key,
                                  relayd_ready_fn ready, void *arg)
{
	(void)key;
	struct mock_host *m = call->m;
	m->ratelimit_count++;
	struct event *ev = calloc(1, sizeof *ev);
	if (!ev) {
		fprintf(stderr, "mock_host: out of memory in ratelimit_acquire()\n");
		return;
	}
	*ev = (struct event){.kind = EV_READY, .call = call, .ready = ready, .arg = arg,
	                     .ready_status = m->ratelimit_status};
	enqueue(m, ev);
}

void mock_host_set_ratelimit(struct mock_host *m, int status)
{
	m->ratelimit_status = status;
}

size_t mock_host_ratelimit_count(const struct mock_host *m)
{
	return m->ratelimit_count;
}

/* ---- metrics ----------------------------------------------------------- */

static struct pair *metric_series(struct mock_host *m, const char *name, const char *labels,
                                  bool create)
{
	char *key = NULL;
	if (asprintf(&key, "%s{%s}", name, labels ? labels : "") < 0)
		return NULL;
	struct pair *p = pairs_find(&m->metrics, key, false);
	if (!p && create && pairs_set(&m->metrics, key, NULL, false) == RELAYD_OK)
		p = pairs_find(&m->metrics, key, false);
	free(key);
	return p;
}

static void svc_metric_add(const char *name, const char *labels, double delta)
{
	struct pair *p = current_mock ? metric_series(current_mock, name, labels, true) : NULL;
	if (p)
		p->number += delta;
}

static void svc_metric_set(const char *name, const char *labels, double value)
{
	struct pair *p = current_mock ? metric_series(current_mock, name, labels, true) : NULL;
	if (p)
		p->number = value;
}

double mock_host_metric(const struct mock_host *m, const char *name, const char *labels)
{
	struct pair *p = metric_series((struct mock_host *)m, name, labels, false);
	return p ? p->number : 0.0;
}

/* ---- logs -------------------------------------------------------------- */

size_t mock_host_log_count(const struct mock_host *m)
{
	return m->logs.len;
}

const char *mock_host_log(const struct mock_host *m, size_t i)
{
	return i < m->logs.len ? m->logs.items[i] : NULL;
}

bool mock_host_log_contains(const struct mock_host *m, const char *needle)
{
	for (size_t i = 0; i < m->logs.len; i++)
		if (strstr(m->logs.items[i], needle))
			return true;
	return false;
}

/* ---- the mock itself --------------------------------------------------- */

static const struct relayd_host services_template = {
    .abi_major = RELAYD_ABI_MAJOR,
    .abi_minor = RELAYD_ABI_MINOR,
    .struct_size = sizeof(struct relayd_host),
    .log = svc_log,
    .log_plugin = svc_log_plugin,
    .config_string = svc_config_string,
    .config_int = svc_config_int,
    .config_bool = svc_config_bool,
    .config_path = svc_config_path,
    .config_error = svc_config_error,
    .call_request_id = svc_call_request_id,
    .call_method = svc_call_method,
    .call_path = svc_call_path,
    .call_route_param = svc_call_route_param,
    .call_query = svc_call_query,
    .call_header = svc_call_header,
    .call_body = svc_call_body,
    .call_claims = svc_call_claims,
    .call_api_key = svc_call_api_key,
    .call_entities_limit = svc_call_entities_limit,
    .call_deadline_ms = svc_call_deadline_ms,
    .call_plugin = svc_call_plugin,
    .call_alloc = svc_call_alloc,
    .call_strdup = svc_call_strdup,
    .call_printf = svc_call_printf,
    .finish = svc_finish,
    .fail = svc_fail,
    .warn = svc_warn,
    .reply = svc_reply,
    .reply_json = svc_reply_json,
    .http = svc_http,
    .http_header = svc_http_header,
    .now_ms = svc_now_ms,
    .uuid4 = svc_uuid4,
    .offload = svc_offload,
    .task_begin = svc_task_begin,
    .task_end = svc_task_end,
    .timer_add = svc_timer_add,
    .timer_cancel = svc_timer_cancel,
    .cache_get = svc_cache_get,
    .cache_put = svc_cache_put,
    .ratelimit_acquire = svc_ratelimit_acquire,
    .metric_add = svc_metric_add,
    .metric_set = svc_metric_set,
    .call_ctim = svc_call_ctim,
};

struct mock_host *mock_host_new(void)
{
	struct mock_host *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->services = services_template;
	m->pctx.m = m;
	m->now_ms = MOCK_HOST_START_MS;
	m->ratelimit_status = RELAYD_OK;
	m->previous = current_mock;
	current_mock = m;
	return m;
}

void mock_host_free(struct mock_host *m)
{
	if (!m)
		return;
	/* Callbacks never run still own their copies. */
	for (size_t i = m->queue_head; i < m->queue.len; i++)
		event_free(m->queue.items[i]);
	vec_free(&m->queue, NULL);
	vec_free(&m->calls, call_free);
	vec_free(&m->answers, answer_free);
	vec_free(&m->requests, request_free);
	vec_free(&m->timers, free);
	vec_free(&m->cache, cache_entry_free);
	vec_free(&m->metrics, pair_free);
	vec_free(&m->logs, free);
	vec_free(&m->config, pair_free);
	free(m->config_error);
	/* A mock made and freed inside a test hands "current" back. */
	if (current_mock == m)
		current_mock = m->previous;
	free(m);
}

const struct relayd_host *mock_host_services(struct mock_host *m)
{
	return &m->services;
}

struct relayd_plugin_ctx *mock_host_plugin_ctx(struct mock_host *m)
{
	return &m->pctx;
}

/* ---- test-side call setup and outcome ---------------------------------- */

struct relayd_call *mock_host_call_new(struct mock_host *m)
{
	return call_new(m, false);
}

int mock_call_set_claims(struct relayd_call *call, const json_t *claims)
{
	json_t *copy = NULL;
	if (claims && !(copy = json_deep_copy(claims)))
		return RELAYD_ENOMEM;
	json_decref(call->claims);
	call->claims = copy;
	return RELAYD_OK;
}

int mock_call_set_api_key(struct relayd_call *call, const char *api_key)
{
	char *copy = dup_or_null(api_key);
	if (api_key && !copy)
		return RELAYD_ENOMEM;
	free(call->api_key);
	call->api_key = copy;
	return RELAYD_OK;
}

void mock_call_set_entities_limit(struct relayd_call *call, int limit)
{
	call->entities_limit = limit;
}

void mock_call_set_deadline_ms(struct relayd_call *call, int64_t deadline_ms)
{
	call->deadline_ms = deadline_ms;
}

int mock_call_set_request(struct relayd_call *call, const char *method, const char *path,
                          const void *body, size_t len)
{
	char *m = strdup(method ? method : "GET");
	char *p = strdup(path ? path : "");
	char *b = NULL;
	if (body && (b = malloc(len + 1)) != NULL) {
		memcpy(b, body, len);
		b[len] = '\0';
	}
	if (!m || !p || (body && !b)) {
		free(m);
		free(p);
		free(b);
		return RELAYD_ENOMEM;
	}
	free(call->method);
	free(call->path);
	free(call->body);
	call->method = m;
	call->path = p;
	call->body = b;
	call->body_len = body ? len : 0;
	return RELAYD_OK;
}

int mock_call_set_query(struct relayd_call *call, const char *name, const char *value)
{
	return pairs_set(&call->query, name, value, false);
}

int mock_call_set_header(struct relayd_call *call, const char *name, const char *value)
{
	return pairs_set(&call->headers, name, value, true);
}

int mock_call_set_route_param(struct relayd_call *call, unsigned idx, const char *value)
{
	char name[16];
	snprintf(name, sizeof name, "%u", idx);
	return pairs_set(&call->params, name, value, false);
}

unsigned mock_call_end_count(const struct relayd_call *call)
{
	return call->end_count;
}

json_t *mock_host_result(struct mock_host *m, struct relayd_call *call)
{
	(void)m;
	return call->result;
}

char *mock_host_result_dump(struct mock_host *m, struct relayd_call *call)
{
	json_t *result = mock_host_result(m, call);
	return result ? json_dumps(result, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
}

int mock_call_http_status(const struct relayd_call *call)
{
	return call->http_status;
}

const char *mock_call_reply_body(const struct relayd_call *call, size_t *len)
{
	if (len)
		*len = call->reply_len;
	return call->reply_body;
}

const char *mock_call_reply_content_type(const struct relayd_call *call)
{
	return call->reply_type;
}

const char *mock_call_reply_header(const struct relayd_call *call, const char *name)
{
	return strv_header(call->reply_headers, name);
}
