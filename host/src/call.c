/* SPDX-License-Identifier: MIT */
/* Call lifetime, replies, the access line and request metrics. */
#include "call.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <relayd/ctim.h>
#include <relayd/json.h>

#include "generation.h"
#include "instance.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "services.h"

static __thread uint64_t id_state;

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Request ids only need to be unique in the logs: xorshift seeded once per
 * thread from the kernel is plenty and never blocks. */
static void new_request_id(char out[17])
{
	if (!id_state) {
		if (getrandom(&id_state, sizeof(id_state), 0) != sizeof(id_state) || !id_state)
			id_state = 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)out;
	}
	id_state ^= id_state << 13;
	id_state ^= id_state >> 7;
	id_state ^= id_state << 17;
	snprintf(out, 17, "%016llx", (unsigned long long)id_state);
}

static void on_client_gone(struct evhttp_connection *evcon, void *arg)
{
	struct relayd_call *c = arg;
	(void)evcon;
	/* libevent frees the request with the connection: never touch it again. */
	c->req = NULL;
}

/* A reply counts as in flight until evhttp has written it: a drain that
 * stopped the loop earlier would close the connection on it. Exactly one of
 * the two callbacks below runs. */
static void on_reply_written(struct evhttp_request *req, void *arg)
{
	struct relayd_call *c = arg;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	if (evcon)
		evhttp_connection_set_closecb(evcon, NULL, NULL);
	call_release(c);
}

static void on_reply_conn_closed(struct evhttp_connection *evcon, void *arg)
{
	(void)evcon;
	call_release(arg);
}

static void hold_until_written(struct relayd_call *c, struct evhttp_request *req)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	call_hold(c);
	evhttp_request_set_on_complete_cb(req, on_reply_written, c);
	if (evcon)
		evhttp_connection_set_closecb(evcon, on_reply_conn_closed, c);
}

static struct relayd_call *call_alloc(struct loop *l, struct generation *gen, enum call_kind kind)
{
	struct relayd_call *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->magic = CALL_MAGIC;
	c->kind = kind;
	c->loop = l;
	loop_call_started(l);
	c->gen = gen;
	if (gen)
		generation_ref(gen);
	c->refs = 1;
	c->start_ms = services_now_ms();
	c->start_mono_us = mono_us();
	c->deadline_ms = c->start_ms + (gen ? gen->conf->deadline_ms : 30000);
	TAILQ_INIT(&c->query);
	new_request_id(c->request_id);
	return c;
}

struct relayd_call *call_new(struct loop *l, struct generation *gen, struct evhttp_request *req,
                             enum call_kind kind)
{
	struct relayd_call *c = call_alloc(l, gen, kind);
	if (!c)
		return NULL;
	c->req = req;
	call_query_get(c, ""); /* parse now: the request may be gone when a plugin asks */
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	if (evcon)
		evhttp_connection_set_closecb(evcon, on_client_gone, c);
	return c;
}

struct relayd_call *call_new_task(struct relayd_plugin_ctx *pi)
{
	struct relayd_call *c = call_alloc(pi->bg_loop, pi->gen, CALL_TASK);
	if (!c)
		return NULL;
	c->pi = pi;
	c->method = "";
	c->path = "";
	c->rest = "";
	/* A task has no request deadline; its HTTP calls use timeout_ms alone. */
	c->deadline_ms = INT64_MAX;
	return c;
}

static void call_free(struct relayd_call *c)
{
	if (c->deadline_timer)
		event_free(c->deadline_timer);
	if (c->req) {
		struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
		if (evcon)
			evhttp_connection_set_closecb(evcon, NULL, NULL);
	}
	json_decref(c->claims);
	json_decref(c->warnings);
	ctim_bundle_free(c->ctim);
	if (c->query_parsed)
		evhttp_clear_headers(&c->query);
	arena_release(&c->arena);
	struct generation *g = c->gen;
	struct loop *l = c->loop;
	c->magic = 0;
	free(c);
	loop_call_ended(l);
	if (g)
		generation_unref(g);
}

void call_hold(struct relayd_call *c)
{
	c->pending++;
	c->refs++;
}

void call_release(struct relayd_call *c)
{
	if (c->pending > 0)
		c->pending--;
	if (--c->refs == 0)
		call_free(c);
}

static const char *plugin_label(const struct relayd_call *c)
{
	return c->pi ? c->pi->name : "-";
}

static void account(struct relayd_call *c, size_t bytes)
{
	double seconds = (double)(mono_us() - c->start_mono_us) / 1e6;
	char status[8];
	snprintf(status, sizeof(status), "%d", c->status);
	metrics_request(plugin_label(c), status, seconds);
	log_access(c->request_id, c->method, c->path, plugin_label(c), c->status,
	           seconds * 1000.0, c->upstream_calls, bytes);
}

void call_send(struct relayd_call *c, int status, const char *content_type,
               const char *const *headers, const void *body, size_t len)
{
	if (c->ended) {
		log_emit(RELAYD_LOG_ERROR, plugin_label(c), c->request_id,
		         "call ended twice; the second reply (status %d) is dropped", status);
		return;
	}
	c->ended = true;
	c->status = status;
	if (c->req) {
		struct evhttp_request *req = c->req;
		struct evkeyvalq *out = evhttp_request_get_output_headers(req);
		evhttp_add_header(out, "Content-Type", content_type ? content_type : "application/json");
		for (const char *const *h = headers; h && *h; h++) {
			const char *colon = strchr(*h, ':');
			if (!colon)
				continue;
			char name[128];
			size_t n = (size_t)(colon - *h);
			if (n >= sizeof(name))
				continue;
			memcpy(name, *h, n);
			name[n] = '\0';
			const char *v = colon + 1;
			while (*v == ' ')
				v++;
			evhttp_add_header(out, name, v);
		}
		struct evbuffer *buf = evbuffer_new();
		if (buf && len)
			evbuffer_add(buf, body, len);
		c->req = NULL;
		hold_until_written(c, req);
		evhttp_send_reply(req, status, NULL, buf);
		if (buf)
			evbuffer_free(buf);
	}
	account(c, len);
	call_release(c);
}

void call_send_json(struct relayd_call *c, int status, json_t *body)
{
	char *text = body ? relayd_json_dumps(body) : NULL;
	json_decref(body);
	if (!text) {
		static const char oom[] = "{\"error\":\"out of memory\"}";
		call_send(c, 500, "application/json", NULL, oom, sizeof(oom) - 1);
		return;
	}
	call_send(c, status, "application/json", NULL, text, strlen(text));
	free(text);
}

static const char *flask_reason(int status)
{
	switch (status) {
	case 400: return "werkzeug.exceptions.BadRequest";
	case 401: return "werkzeug.exceptions.Unauthorized";
	case 404: return "werkzeug.exceptions.NotFound";
	case 405: return "werkzeug.exceptions.MethodNotAllowed";
	case 413: return "werkzeug.exceptions.RequestEntityTooLarge";
	case 503: return "werkzeug.exceptions.ServiceUnavailable";
	case 504: return "werkzeug.exceptions.GatewayTimeout";
	default: return "werkzeug.exceptions.InternalServerError";
	}
}

void call_send_error(struct relayd_call *c, enum relayd_envelope env, int status,
                     const char *message)
{
	json_t *body;
	switch (env) {
	case RELAYD_ENVELOPE_RELAY:
		body = json_pack("{s:i, s:s, s:s}", "code", status, "message", message, "reason",
		                 flask_reason(status));
		break;
	case RELAYD_ENVELOPE_SUCCESS:
		body = json_pack("{s:b, s:{s:i, s:s}}", "success", 0, "error", "code", status,
		                 "message", message);
		break;
	case RELAYD_ENVELOPE_CTS:
		body = json_pack("{s:s}", "error", message);
		break;
	default:
		body = json_pack("{s:{s:i, s:s}}", "error", "code", status, "message", message);
		break;
	}
	call_send_json(c, status, body);
}

/* Upstream timeouts are capped by the deadline, so a plugin normally fails
 * first with its own message; the guard waits this much longer. */
#define DEADLINE_GRACE_MS 250

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct relayd_call *c = arg;
	(void)fd;
	(void)what;
	if (c->ended)
		return;
	int64_t ms = c->gen ? c->gen->conf->deadline_ms : 0;
	log_emit(RELAYD_LOG_ERROR, plugin_label(c), c->request_id,
	         "the plugin did not answer within deadline_ms (%lld ms); answering for it",
	         (long long)ms);
	if (c->kind == CALL_RELAY) {
		char msg[160];
		snprintf(msg, sizeof(msg), "relayd did not get an answer within %lld ms.", (long long)ms);
		/* What a stuck plugin wrote so far is not an answer it gave. */
		ctim_bundle_clear(c->ctim);
		services_relay_fail(c, NULL, "request timeout", msg);
	} else {
		call_send_error(c, c->pi ? c->pi->desc->envelope : RELAYD_ENVELOPE_RELAY, 504,
		                "The request did not complete within the deadline.");
	}
}

void call_arm_deadline(struct relayd_call *c)
{
	int64_t left = c->deadline_ms - services_now_ms() + DEADLINE_GRACE_MS;
	if (left < 0)
		left = 0;
	c->deadline_timer = evtimer_new(c->loop->base, on_deadline, c);
	struct timeval tv = {(time_t)(left / 1000), (suseconds_t)((left % 1000) * 1000)};
	if (c->deadline_timer)
		evtimer_add(c->deadline_timer, &tv);
}

void call_end_task(struct relayd_call *c)
{
	if (c->kind != CALL_TASK) {
		/* A request must be answered, not dropped: answer for the plugin. */
		log_emit(RELAYD_LOG_ERROR, plugin_label(c), c->request_id,
		         "task_end on a request call; answering 500");
		call_send_error(c, c->pi ? c->pi->desc->envelope : RELAYD_ENVELOPE_RELAY, 500,
		                "The plugin ended the request without an answer.");
		return;
	}
	if (c->ended)
		return;
	c->ended = true;
	call_release(c);
}

const char *call_query_get(struct relayd_call *c, const char *name)
{
	if (!c->query_parsed) {
		c->query_parsed = true;
		const char *q = c->req ? evhttp_uri_get_query(evhttp_request_get_evhttp_uri(c->req))
		                       : NULL;
		if (q)
			evhttp_parse_query_str(q, &c->query);
	}
	return evhttp_find_header(&c->query, name);
}
