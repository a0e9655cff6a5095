/* SPDX-License-Identifier: MIT */
/* Plugin upstream requests on top of the per-loop HTTP client. */
#include "upstream.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "http_client.h"
#include "instance.h"
#include "loop.h"
#include "metrics.h"
#include "services.h"

struct http_waiter {
	struct http_waiter *next;
	struct relayd_call *call;
	struct relayd_http_request req; /* deep copy in the call's arena */
	relayd_http_done_fn done;
	void *arg;
};

struct upstream_op {
	struct relayd_call *call;
	relayd_http_done_fn done;
	void *arg;
	bool counted; /* holds a max_upstream_inflight slot */
};

static void pump_waiters(struct relayd_plugin_ctx *pi);

static void deliver_error(struct relayd_call *call, enum relayd_http_error err, const char *text,
                          long timeout_ms, relayd_http_done_fn done, void *arg)
{
	struct relayd_http_response resp = {.error = err, .reason = "", .body = "",
	                                    .error_text = text, .timeout_ms = timeout_ms};
	done(call, &resp, arg);
}

/* A slot is given back in one place, which also hands it on: a queued
 * request must never wait for an unrelated completion. */
static void release_slot(struct relayd_plugin_ctx *pi)
{
	atomic_fetch_sub(&pi->upstream_inflight, 1);
	pump_waiters(pi);
}

static void on_done(const struct relayd_http_response *resp, void *arg)
{
	struct upstream_op *op = arg;
	struct relayd_call *call = op->call;
	struct relayd_plugin_ctx *pi = call->pi;
	char labels[160], status[16];
	if (resp->error == RELAYD_HTTP_OK)
		snprintf(status, sizeof(status), "%ld", resp->status);
	else
		snprintf(status, sizeof(status), "error");
	snprintf(labels, sizeof(labels), "plugin=\"%s\",status=\"%s\"", pi->name, status);
	metrics_counter_add("relayd_upstream_requests_total", labels, 1);
	bool counted = op->counted;
	op->done(call, resp, op->arg);
	free(op);
	if (counted)
		release_slot(pi);
	call_release(call);
}

static long effective_timeout(struct relayd_call *call, const struct relayd_http_request *req)
{
	long t = req->timeout_ms > 0 ? req->timeout_ms : (long)call->pi->section->timeout_ms;
	int64_t left = call->deadline_ms - services_now_ms();
	if (left < t)
		t = left > 0 ? (long)left : 0;
	return t;
}

static void launch(struct relayd_call *call, const struct relayd_http_request *req,
                   relayd_http_done_fn done, void *arg, bool counted)
{
	struct relayd_plugin_ctx *pi = call->pi;
	long timeout = effective_timeout(call, req);
	if (timeout <= 0) {
		if (counted)
			release_slot(pi);
		deliver_error(call, RELAYD_HTTP_TIMEOUT, "the call's deadline has passed",
		              (long)pi->section->timeout_ms, done, arg);
		call_release(call);
		return;
	}
	struct upstream_op *op = malloc(sizeof(*op));
	if (!op) {
		if (counted)
			release_slot(pi);
		deliver_error(call, RELAYD_HTTP_INTERNAL, "out of memory", timeout, done, arg);
		call_release(call);
		return;
	}
	*op = (struct upstream_op){call, done, arg, counted};
	const struct conf *conf = pi->conf;
	struct http_settings s = {
		.timeout_ms = timeout,
		.proxy = pi->section->proxy ? pi->section->proxy : conf->proxy,
		.no_proxy = conf->no_proxy,
		.ca_file = pi->section->ca_file ? pi->section->ca_file : conf->ca_file,
		.max_response_body = pi->section->max_response_body,
		.user_agent = "relayd/" RELAYD_VERSION,
	};
	call->upstream_calls++;
	http_client_start(call->loop->http, req, &s, on_done, op);
}

static const char *arena_dup(struct relayd_call *c, const char *s)
{
	return arena_strdup(&c->arena, s);
}

static int copy_request(struct relayd_call *c, struct relayd_http_request *dst,
                        const struct relayd_http_request *src)
{
	*dst = *src;
	dst->method = arena_dup(c, src->method);
	dst->url = arena_dup(c, src->url);
	dst->body_file = arena_dup(c, src->body_file);
	dst->userpwd = arena_dup(c, src->userpwd);
	dst->aws_sigv4 = arena_dup(c, src->aws_sigv4);
	if (src->body)
		dst->body = arena_memdup(&c->arena, src->body, src->body_len);
	if (src->headers) {
		size_t n = 0;
		while (src->headers[n])
			n++;
		const char **h = arena_alloc(&c->arena, (n + 1) * sizeof(*h));
		if (!h)
			return -1;
		for (size_t i = 0; i < n; i++)
			h[i] = arena_dup(c, src->headers[i]);
		dst->headers = h;
	}
	return 0;
}

static void start_waiter(void *arg)
{
	struct http_waiter *w = arg;
	struct relayd_call *call = w->call;
	if (services_now_ms() >= call->deadline_ms) {
		/* Waited for a slot until the deadline: host.h's BUSY, not a timeout. */
		release_slot(call->pi);
		deliver_error(call, RELAYD_HTTP_BUSY, "max_upstream_inflight reached until the deadline",
		              (long)call->pi->section->timeout_ms, w->done, w->arg);
		call_release(call);
		return;
	}
	launch(call, &w->req, w->done, w->arg, true);
}

/* Hands freed slots to queued requests, each on its own call's loop. */
static void pump_waiters(struct relayd_plugin_ctx *pi)
{
	int64_t max = pi->section->max_upstream_inflight;
	for (;;) {
		pthread_mutex_lock(&pi->waiters_lock);
		struct http_waiter *w = pi->waiters_head;
		if (!w || atomic_load(&pi->upstream_inflight) >= max) {
			pthread_mutex_unlock(&pi->waiters_lock);
			return;
		}
		pi->waiters_head = w->next;
		if (!pi->waiters_head)
			pi->waiters_tail = NULL;
		atomic_fetch_add(&pi->upstream_inflight, 1);
		pthread_mutex_unlock(&pi->waiters_lock);
		loop_post(w->call->loop, start_waiter, w);
	}
}

static bool queue_behind_limit(struct relayd_call *call, const struct relayd_http_request *req,
                               relayd_http_done_fn done, void *arg)
{
	struct relayd_plugin_ctx *pi = call->pi;
	int64_t max = pi->section->max_upstream_inflight;
	pthread_mutex_lock(&pi->waiters_lock);
	if (atomic_load(&pi->upstream_inflight) < max) {
		atomic_fetch_add(&pi->upstream_inflight, 1);
		pthread_mutex_unlock(&pi->waiters_lock);
		return false;
	}
	struct http_waiter *w = arena_alloc(&call->arena, sizeof(*w));
	if (!w || copy_request(call, &w->req, req)) {
		pthread_mutex_unlock(&pi->waiters_lock);
		atomic_fetch_add(&pi->upstream_inflight, 1); /* go over the limit rather than drop */
		return false;
	}
	w->call = call;
	w->done = done;
	w->arg = arg;
	w->next = NULL;
	if (pi->waiters_tail)
		pi->waiters_tail->next = w;
	else
		pi->waiters_head = w;
	pi->waiters_tail = w;
	pthread_mutex_unlock(&pi->waiters_lock);
	return true;
}

void upstream_start(struct relayd_call *call, const struct relayd_http_request *req,
                    relayd_http_done_fn done, void *arg)
{
	call_hold(call);
	if (queue_behind_limit(call, req, done, arg))
		return;
	launch(call, req, done, arg, true);
}
