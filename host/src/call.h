/* SPDX-License-Identifier: MIT */
/* struct relayd_call: one request (or background task) from arrival to the
 * moment its reply is sent and every async operation it started is done. */
#ifndef RELAYD_CALL_H
#define RELAYD_CALL_H

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include <relayd/plugin.h>

#include "arena.h"

#define CALL_MAGIC 0x43414c4cu /* "CALL" */
#define CALL_MAX_PARAMS 4

struct loop;
struct generation;

enum call_kind {
	CALL_HOST,   /* a host route or a host-generated error */
	CALL_RELAY,  /* a SecureX relay route */
	CALL_ROUTE,  /* a plugin's extra route */
	CALL_TASK,   /* background work, no request */
};

struct relayd_call {
	uint32_t magic;
	enum call_kind kind;
	struct loop *loop;
	struct generation *gen;            /* referenced for the call's life */
	struct relayd_plugin_ctx *pi;      /* NULL for host routes */
	struct evhttp_request *req;        /* NULL for tasks or after the client left */
	struct arena arena;

	char request_id[17];
	const char *method;
	const char *path;                  /* full decoded path */
	const char *rest;                  /* below the mount, no leading '/' or trailing '/' */
	struct evkeyvalq query;
	bool query_parsed;
	const char *body;
	size_t body_len;
	const char *params[CALL_MAX_PARAMS];
	unsigned n_params;

	json_t *claims;
	const char *api_key;
	int entities_limit;
	int64_t start_ms;
	int64_t start_mono_us;             /* for latency: immune to clock steps */
	int64_t deadline_ms;

	struct event *deadline_timer;      /* ends a call its plugin never ended */
	json_t *warnings;                  /* array of {code,message,type:"warning"} */
	struct ctim_bundle *ctim;          /* call_ctim's bundle; NULL until asked for */
	bool ended;                        /* a reply was sent (or the client left) */
	int status;                        /* for the access line */
	unsigned upstream_calls;
	int pending;                       /* async operations still running */
	int refs;                          /* 1 until replied + pending operations */
};

/** A call for an incoming request, referencing @p gen. */
struct relayd_call *call_new(struct loop *l, struct generation *gen, struct evhttp_request *req,
                             enum call_kind kind);
/** A background call for @p pi (no request). */
struct relayd_call *call_new_task(struct relayd_plugin_ctx *pi);

/** Async bookkeeping: an operation started / finished on the call. The call
 *  is freed once it has replied (or ended as a task) and nothing is pending. */
void call_hold(struct relayd_call *c);
void call_release(struct relayd_call *c);

/** Sends status + body (copied) with the given content type and headers; logs
 *  the access line and counts metrics. Later calls are logged and ignored. */
void call_send(struct relayd_call *c, int status, const char *content_type,
               const char *const *headers, const void *body, size_t len);
void call_send_json(struct relayd_call *c, int status, json_t *body /* stolen */);

/** The host's own error answer (404/405/413/…) in the mount's envelope. */
void call_send_error(struct relayd_call *c, enum relayd_envelope env, int status,
                     const char *message);

/** Arms the host's guard: if the call has not ended shortly after its
 *  deadline, it is ended with a timeout in the mount's envelope. */
void call_arm_deadline(struct relayd_call *c);

/** Ends a task call (no reply). */
void call_end_task(struct relayd_call *c);

const char *call_query_get(struct relayd_call *c, const char *name);

#endif
