/* SPDX-License-Identifier: MIT */
/* The host-services table: what plugins may ask of relayd (host.h). */
#include "services.h"

#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <relayd/ctim.h>
#include <relayd/json.h>
#include <relayd/strbuf.h>

#include "cache.h"
#include "call.h"
#include "generation.h"
#include "http_client.h"
#include "instance.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "offload.h"
#include "ratelimit.h"
#include "upstream.h"

int64_t services_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- logging --------------------------------------------------------- */

static void svc_log(struct relayd_call *call, enum relayd_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_write(level, call && call->pi ? call->pi->name : NULL, call ? call->request_id : NULL,
	          fmt, ap);
	va_end(ap);
}

static void svc_log_plugin(struct relayd_plugin_ctx *pctx, enum relayd_log_level level,
                           const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_write(level, pctx ? pctx->name : NULL, NULL, fmt, ap);
	va_end(ap);
}

/* ---- config ---------------------------------------------------------- */

static const char *svc_config_string(struct relayd_plugin_ctx *p, const char *key)
{
	return conf_plugin_get(p->section, key);
}

/* The schema was applied at load, so these only fail for keys the plugin did
 * not declare; those read as 0 / false. */
static int64_t svc_config_int(struct relayd_plugin_ctx *p, const char *key)
{
	int64_t v = 0;
	return conf_plugin_get_int(p->section, key, &v) == RELAYD_OK ? v : 0;
}

static bool svc_config_bool(struct relayd_plugin_ctx *p, const char *key)
{
	bool v = false;
	return conf_plugin_get_bool(p->section, key, &v) == RELAYD_OK && v;
}

static char *svc_config_path(struct relayd_plugin_ctx *p, const char *key)
{
	const char *s = conf_plugin_get(p->section, key);
	return s ? conf_path_resolve(p->conf, s) : NULL;
}

static int svc_config_error(struct relayd_plugin_ctx *p, const char *key, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int line = conf_plugin_key_line(p->section, key);
	if (line <= 0)
		line = p->section->line;
	snprintf(p->init_error, sizeof(p->init_error), "%s:%d: %s: %s", p->conf->path, line, key, msg);
	return RELAYD_EINVAL;
}

/* ---- the request ----------------------------------------------------- */

static const char *svc_request_id(struct relayd_call *c) { return c->request_id; }
static const char *svc_method(struct relayd_call *c) { return c->method; }
static const char *svc_path(struct relayd_call *c) { return c->rest; }

static const char *svc_route_param(struct relayd_call *c, unsigned idx)
{
	return idx < c->n_params ? c->params[idx] : NULL;
}

static const char *svc_query(struct relayd_call *c, const char *name)
{
	return call_query_get(c, name);
}

static const char *svc_header(struct relayd_call *c, const char *name)
{
	return c->req ? evhttp_find_header(evhttp_request_get_input_headers(c->req), name) : NULL;
}

static const void *svc_body(struct relayd_call *c, size_t *len)
{
	if (len)
		*len = c->body_len;
	return c->body;
}

static const json_t *svc_claims(struct relayd_call *c) { return c->claims; }
static const char *svc_api_key(struct relayd_call *c) { return c->api_key; }
static int svc_entities_limit(struct relayd_call *c) { return c->entities_limit; }
static int64_t svc_deadline(struct relayd_call *c) { return c->deadline_ms; }
static struct relayd_plugin_ctx *svc_call_plugin(struct relayd_call *c) { return c->pi; }

/* ---- arena ----------------------------------------------------------- */

static void *svc_alloc(struct relayd_call *c, size_t n) { return arena_alloc(&c->arena, n); }
static char *svc_strdup(struct relayd_call *c, const char *s) { return arena_strdup(&c->arena, s); }

static char *svc_printf(struct relayd_call *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = arena_vprintf(&c->arena, fmt, ap);
	va_end(ap);
	return s;
}

/* ---- relay envelopes ------------------------------------------------- */

static struct ctim_bundle *svc_call_ctim(struct relayd_call *c)
{
	if (!c->ctim)
		c->ctim = ctim_bundle_new();
	return c->ctim;
}

/* The call's warnings, then @p fatal; NULL when there are none. */
static json_t *relay_errors(struct relayd_call *c, json_t *fatal)
{
	json_t *errors = c->warnings ? json_copy(c->warnings) : NULL;
	if (fatal) {
		if (!errors)
			errors = json_array();
		json_array_append_new(errors, fatal);
	}
	return errors;
}

/* Replies are a few KiB: start there rather than grow through realloc. */
#define RELAY_BODY_FIRST_CAP 8192

/* Sends 200 {"data": …, "errors": […]} written as text: "data" is @p data
 * when given (taken), else the call's bundle when @p bundle_data; "errors"
 * the warnings and @p fatal (taken). */
static void send_relay_body(struct relayd_call *c, json_t *data, bool bundle_data, json_t *fatal)
{
	json_t *errors = relay_errors(c, fatal);
	struct relayd_strbuf out = RELAYD_STRBUF_INIT;
	int rc = relayd_strbuf_reserve(&out, RELAY_BODY_FIRST_CAP);
	relayd_strbuf_append_char(&out, '{');
	if (data || bundle_data) {
		relayd_strbuf_append_str(&out, "\"data\":");
		if (rc == RELAYD_OK)
			rc = data ? relayd_json_append(&out, data) : ctim_bundle_append_data(c->ctim, &out);
	}
	if (errors) {
		relayd_strbuf_append_str(&out, data || bundle_data ? ",\"errors\":" : "\"errors\":");
		if (rc == RELAYD_OK)
			rc = relayd_json_append(&out, errors);
	}
	relayd_strbuf_append_char(&out, '}');
	json_decref(data);
	json_decref(errors);
	if (rc == RELAYD_OK && out.status == RELAYD_OK)
		call_send(c, 200, "application/json", NULL, out.data, out.len);
	else
		call_send_json(c, 500, NULL); /* NULL body: the out-of-memory answer */
	relayd_strbuf_free(&out);
}

void services_relay_finish(struct relayd_call *c, json_t *data)
{
	send_relay_body(c, data, true, NULL);
}

/* Error texts may carry upstream bytes (reason phrases, bodies): a string
 * that is not UTF-8 is sent with those bytes as '?' rather than dropped,
 * which would turn a fatal error into an empty success. */
static json_t *text_or_null(struct relayd_call *c, const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	char *copy = arena_strdup(&c->arena, s);
	for (char *p = copy; p && *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	return json_string(copy ? copy : "(unprintable)");
}

void services_relay_fail(struct relayd_call *c, json_t *partial, const char *code,
                         const char *message)
{
	json_t *err = json_pack("{s:o, s:o, s:s}", "code", text_or_null(c, code && *code ? code : "unknown"),
	                        "message", text_or_null(c, message), "type", "fatal");
	send_relay_body(c, partial, !partial && c->ctim && !ctim_bundle_is_empty(c->ctim), err);
}

static void svc_finish(struct relayd_call *c, json_t *data)
{
	services_relay_finish(c, data);
}

static void svc_fail(struct relayd_call *c, json_t *partial, const char *code, const char *fmt,
                     ...)
{
	char *msg = NULL;
	if (fmt) { /* NULL: the reference's "message": null (pulsedive's 401 row) */
		va_list ap;
		va_start(ap, fmt);
		msg = arena_vprintf(&c->arena, fmt, ap);
		va_end(ap);
	}
	services_relay_fail(c, partial, code, msg);
}

static void svc_warn(struct relayd_call *c, const char *code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = arena_vprintf(&c->arena, fmt, ap);
	va_end(ap);
	if (!c->warnings)
		c->warnings = json_array();
	json_array_append_new(c->warnings, json_pack("{s:o, s:o, s:s}", "code", text_or_null(c, code),
	                                             "message", text_or_null(c, msg ? msg : ""),
	                                             "type", "warning"));
}

static void svc_reply(struct relayd_call *c, int status, const char *content_type,
                      const char *const *headers, const void *body, size_t len)
{
	call_send(c, status, content_type, headers, body, len);
}

static void svc_reply_json(struct relayd_call *c, int status, json_t *body)
{
	call_send_json(c, status, body);
}

/* ---- time, ids ------------------------------------------------------- */

static void svc_uuid4(char out[37])
{
	/* The SDK's generator: RAND_bytes output drawn from a per-thread pool. */
	if (ctim_uuid4(out) != RELAYD_OK)
		snprintf(out, 37, "00000000-0000-4000-8000-000000000000");
}

/* ---- offload, tasks, timers ------------------------------------------ */

struct offload_op {
	struct relayd_call *call;
	relayd_task_fn work;
	relayd_call_fn done;
	void *arg;
};

static void offload_work(void *arg)
{
	struct offload_op *op = arg;
	op->work(op->arg);
}

static void offload_done(void *arg)
{
	struct offload_op *op = arg;
	struct relayd_call *c = op->call;
	if (op->done)
		op->done(c, op->arg);
	free(op);
	call_release(c);
}

static void svc_offload(struct relayd_call *c, relayd_task_fn work, relayd_call_fn done, void *arg)
{
	struct offload_op *op = malloc(sizeof(*op));
	if (!op) {
		/* Running it here would block the loop; failing silently would lose
		 * data. Out of memory is the one case where blocking is the lesser harm. */
		work(arg);
		if (done)
			done(c, arg);
		return;
	}
	*op = (struct offload_op){c, work, done, arg};
	call_hold(c);
	if (offload_submit(c->loop, offload_work, offload_done, op) != 0) {
		free(op);
		call_release(c);
		work(arg);
		if (done)
			done(c, arg);
	}
}

static struct relayd_call *svc_task_begin(struct relayd_plugin_ctx *p)
{
	return call_new_task(p);
}

static void svc_task_end(struct relayd_call *c)
{
	call_end_task(c);
}

static struct relayd_timer *svc_timer_add(struct relayd_plugin_ctx *p, uint64_t ms,
                                          relayd_task_fn fn, void *arg)
{
	return instance_timer_add(p, ms, fn, arg);
}

static void svc_timer_cancel(struct relayd_timer *t)
{
	instance_timer_cancel(t);
}

/* ---- http ------------------------------------------------------------ */

static void svc_http(struct relayd_call *c, const struct relayd_http_request *req,
                     relayd_http_done_fn done, void *arg)
{
	upstream_start(c, req, done, arg);
}

static const char *svc_http_header(const struct relayd_http_response *resp, const char *name)
{
	return http_response_header(resp, name);
}

/* ---- cache, rate limit ----------------------------------------------- */

static void *arena_alloc_cb(void *ctx, size_t size)
{
	return arena_alloc(ctx, size);
}

static int svc_cache_get(struct relayd_call *c, const void *key, size_t klen, const void **value,
                         size_t *vlen)
{
	if (!c->pi || !c->pi->cache)
		return RELAYD_ENOTFOUND;
	void *copy = NULL;
	size_t n = 0;
	/* Copied straight into the call's arena: one copy, freed with the call. */
	if (cache_get_into(c->pi->cache, key, klen, arena_alloc_cb, &c->arena, &copy, &n) != 0)
		return RELAYD_ENOTFOUND;
	*value = copy;
	*vlen = n;
	return RELAYD_OK;
}

static void svc_cache_put(struct relayd_call *c, const void *key, size_t klen, const void *value,
                          size_t vlen, unsigned ttl_s)
{
	if (!c->pi || !c->pi->cache)
		return;
	unsigned ttl = ttl_s ? ttl_s : (unsigned)c->pi->section->cache_ttl_s;
	cache_put(c->pi->cache, key, klen, value, vlen, ttl);
}

struct rl_wait {
	struct relayd_call *call;
	relayd_ready_fn ready;
	void *arg;
};

static void rl_wait_done(evutil_socket_t fd, short what, void *arg)
{
	struct rl_wait *w = arg;
	(void)fd;
	(void)what;
	struct relayd_call *c = w->call;
	w->ready(c, RELAYD_OK, w->arg);
	free(w);
	call_release(c);
}

static void svc_ratelimit(struct relayd_call *c, const char *key, relayd_ready_fn ready, void *arg)
{
	if (!c->pi || !c->pi->ratelimit) {
		ready(c, RELAYD_OK, arg);
		return;
	}
	int64_t wait = ratelimit_reserve(c->pi->ratelimit, key ? key : "", services_now_ms(),
	                                 c->deadline_ms);
	if (wait < 0) {
		ready(c, RELAYD_ERATELIMIT, arg);
		return;
	}
	if (wait == 0) {
		ready(c, RELAYD_OK, arg);
		return;
	}
	struct rl_wait *w = malloc(sizeof(*w));
	struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)((wait % 1000) * 1000)};
	if (!w) {
		ready(c, RELAYD_ENOMEM, arg);
		return;
	}
	*w = (struct rl_wait){c, ready, arg};
	call_hold(c);
	if (event_base_once(c->loop->base, -1, EV_TIMEOUT, rl_wait_done, w, &tv) != 0) {
		free(w);
		call_release(c);
		ready(c, RELAYD_ENOMEM, arg);
	}
}

/* ---- metrics --------------------------------------------------------- */

static void svc_metric_add(const char *name, const char *labels, double delta)
{
	metrics_counter_add(name, labels, delta);
}

static void svc_metric_set(const char *name, const char *labels, double value)
{
	metrics_gauge_set(name, labels, value);
}

static bool svc_listen_is_loopback(struct relayd_plugin_ctx *p)
{
	return conf_listen_is_loopback(p->conf);
}

const struct relayd_host host_services = {
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
	.call_request_id = svc_request_id,
	.call_method = svc_method,
	.call_path = svc_path,
	.call_route_param = svc_route_param,
	.call_query = svc_query,
	.call_header = svc_header,
	.call_body = svc_body,
	.call_claims = svc_claims,
	.call_api_key = svc_api_key,
	.call_entities_limit = svc_entities_limit,
	.call_deadline_ms = svc_deadline,
	.call_plugin = svc_call_plugin,
	.call_alloc = svc_alloc,
	.call_strdup = svc_strdup,
	.call_printf = svc_printf,
	.finish = svc_finish,
	.fail = svc_fail,
	.warn = svc_warn,
	.reply = svc_reply,
	.reply_json = svc_reply_json,
	.http = svc_http,
	.http_header = svc_http_header,
	.now_ms = services_now_ms,
	.uuid4 = svc_uuid4,
	.offload = svc_offload,
	.task_begin = svc_task_begin,
	.task_end = svc_task_end,
	.timer_add = svc_timer_add,
	.timer_cancel = svc_timer_cancel,
	.cache_get = svc_cache_get,
	.cache_put = svc_cache_put,
	.ratelimit_acquire = svc_ratelimit,
	.metric_add = svc_metric_add,
	.metric_set = svc_metric_set,
	.listen_is_loopback = svc_listen_is_loopback,
	.call_ctim = svc_call_ctim,
};
