/* SPDX-License-Identifier: MIT */
/* Routing from evhttp to host routes, relay routes and plugin routes. */
#include "router.h"

#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "generation.h"
#include "host_routes.h"
#include "instance.h"
#include "log.h"
#include "loop.h"
#include "relay_routes.h"
#include "server.h"

static const char *method_name(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "UNKNOWN";
}

/* Compares one pattern segment by segment; "*" takes any one segment. */
static bool pattern_matches(const char *pattern, const char *rest, const char **params,
                            unsigned max_params, unsigned *n_params, char *scratch)
{
	unsigned n = 0;
	const char *p = pattern, *r = rest;
	char *out = scratch;
	for (;;) {
		const char *pe = strchr(p, '/'), *re = strchr(r, '/');
		size_t pl = pe ? (size_t)(pe - p) : strlen(p);
		size_t rl = re ? (size_t)(re - r) : strlen(r);
		if (pl == 1 && p[0] == '*') {
			if (rl == 0 || n >= max_params)
				return false;
			memcpy(out, r, rl);
			out[rl] = '\0';
			params[n++] = out;
			out += rl + 1;
		} else if (pl != rl || strncmp(p, r, pl) != 0) {
			return false;
		}
		if (!pe || !re) {
			if (pe || re)
				return false;
			*n_params = n;
			return true;
		}
		p = pe + 1;
		r = re + 1;
	}
}

static bool method_is(const char *route_method, const char *method)
{
	return strcmp(route_method, method) == 0 ||
	       (strcmp(route_method, "GET") == 0 && strcmp(method, "HEAD") == 0);
}

enum route_match router_match(const struct relayd_route *routes, const char *rest,
                              const char *method, const struct relayd_route **found,
                              const char **params, unsigned max_params, unsigned *n_params,
                              char *scratch)
{
	enum route_match best = ROUTE_NONE;
	*n_params = 0;
	if (!routes)
		return ROUTE_NONE;
	/* Two passes: exact paths first, then patterns. */
	for (int pass = 0; pass < 2; pass++) {
		for (const struct relayd_route *r = routes; r->method; r++) {
			bool is_pattern = strchr(r->path, '*') != NULL;
			if (is_pattern != (pass == 1))
				continue;
			unsigned n = 0;
			bool hit = is_pattern
			               ? pattern_matches(r->path, rest, params, max_params, &n, scratch)
			               : strcmp(r->path, rest) == 0;
			if (!hit)
				continue;
			if (method_is(r->method, method)) {
				*found = r;
				*n_params = n;
				return ROUTE_FOUND;
			}
			best = ROUTE_WRONG_METHOD;
		}
		if (best != ROUTE_NONE)
			return best;
	}
	return best;
}

static const struct {
	const char *path;
	const char *method;
	enum relay_route_kind kind;
} relay_table[] = {
	{"health", "POST", RELAY_HEALTH},
	{"observe/observables", "POST", RELAY_OBSERVE},
	{"refer/observables", "POST", RELAY_REFER},
	{"deliberate/observables", "POST", RELAY_DELIBERATE},
	{"respond/observables", "POST", RELAY_RESPOND},
	{"respond/trigger", "POST", RELAY_RESPOND_TRIGGER},
	{"version", "POST", RELAY_VERSION},
	{"watchdog", "GET", RELAY_WATCHDOG},
};

enum route_match router_match_relay(const char *rest, const char *method,
                                    enum relay_route_kind *kind)
{
	for (size_t i = 0; i < sizeof(relay_table) / sizeof(relay_table[0]); i++) {
		if (strcmp(relay_table[i].path, rest) != 0)
			continue;
		if (!method_is(relay_table[i].method, method))
			return ROUTE_WRONG_METHOD;
		*kind = relay_table[i].kind;
		return ROUTE_FOUND;
	}
	return ROUTE_NONE;
}

static bool is_relay_plugin(const struct relayd_plugin *d)
{
	return d->observe || d->refer || d->health;
}

/* Decoded path with one trailing '/' dropped (Flask's strict_slashes=False). */
static char *normalised_path(struct relayd_call *c, struct evhttp_request *req)
{
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *raw = uri ? evhttp_uri_get_path(uri) : NULL;
	if (!raw || !*raw)
		raw = "/";
	size_t n = 0;
	char *dec = evhttp_uridecode(raw, 0, &n);
	if (!dec)
		return NULL;
	if (n > 1 && dec[n - 1] == '/')
		dec[--n] = '\0';
	char *p = arena_memdup(&c->arena, dec, n);
	free(dec);
	return p;
}

static bool read_body(struct relayd_call *c, struct evhttp_request *req, uint64_t limit)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	if (len > limit)
		return false;
	char *b = arena_alloc(&c->arena, len + 1);
	if (!b)
		return false;
	evbuffer_remove(in, b, len);
	b[len] = '\0';
	c->body = b;
	c->body_len = len;
	return true;
}

static void dispatch_plugin(struct relayd_call *c, struct evhttp_request *req)
{
	struct relayd_plugin_ctx *pi = c->pi;
	const struct relayd_plugin *d = pi->desc;
	const struct relayd_route *route = NULL;
	char *scratch = arena_alloc(&c->arena, strlen(c->rest) + 1);
	enum route_match m = router_match(d->routes, c->rest, c->method, &route, c->params,
	                                  CALL_MAX_PARAMS, &c->n_params, scratch);
	enum relay_route_kind relay = RELAY_NONE;
	if (m == ROUTE_NONE && is_relay_plugin(d))
		m = router_match_relay(c->rest, c->method, &relay);
	if (m == ROUTE_NONE) {
		call_send_error(c, d->envelope, 404,
		                "The requested URL was not found on the server. If you entered the URL "
		                "manually please check your spelling and try again.");
		return;
	}
	if (m == ROUTE_WRONG_METHOD) {
		call_send_error(c, d->envelope, 405, "The method is not allowed for the requested URL.");
		return;
	}
	if (!read_body(c, req, pi->section->max_body)) {
		call_send_error(c, d->envelope, 413,
		                "The data value transmitted exceeds the capacity limit.");
		return;
	}
	call_arm_deadline(c);
	if (route) {
		c->kind = CALL_ROUTE;
		relay_routes_extra(c, route);
	} else {
		c->kind = CALL_RELAY;
		relay_routes_handle(c, relay);
	}
}

void router_dispatch(struct loop *l, struct evhttp_request *req)
{
	struct generation *g = server_current_generation();
	struct relayd_call *c = call_new(l, g, req, CALL_HOST);
	generation_unref(g); /* the call holds its own reference */
	if (!c) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	c->method = method_name(evhttp_request_get_command(req));
	char *path = normalised_path(c, req);
	if (!path) {
		c->path = "-";
		call_send_error(c, ROUTER_ENVELOPE_HOST, 400, "Malformed URL path.");
		return;
	}
	c->path = path;
	if (host_routes_handle(c))
		return;
	const char *rest = NULL;
	c->pi = generation_match_mount(c->gen, path, &rest);
	if (!c->pi) {
		call_send_error(c, ROUTER_ENVELOPE_HOST, 404, "Not found.");
		return;
	}
	c->rest = rest;
	dispatch_plugin(c, req);
}
