/* SPDX-License-Identifier: MIT */
/* SecureX relay routes: /health, /observe|refer|deliberate|respond/observables,
 * /respond/trigger, /version, /watchdog. */
#include "relay_routes.h"

#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "call.h"
#include "instance.h"
#include "observables.h"
#include "services.h"

#define DEFAULT_INVALID_CODE "invalid argument"
#define DEFAULT_WATCHDOG_MESSAGE "Invalid Health Check"

/* What survives validation and filtering, kept until the plugin runs. */
struct relay_request {
	enum relay_route_kind kind;
	struct relayd_observable *obs;
	size_t n;
};

static json_t *empty_result(enum relay_route_kind kind)
{
	return kind == RELAY_REFER || kind == RELAY_RESPOND ? json_array() : json_object();
}

static relayd_relay_fn callback_for(const struct relayd_plugin *d, enum relay_route_kind kind)
{
	switch (kind) {
	case RELAY_OBSERVE: return d->observe;
	case RELAY_REFER: return d->refer;
	case RELAY_HEALTH: return d->health;
	default: return NULL; /* deliberate/respond: no ABI 1.0 callback yet */
	}
}

static void run_plugin(struct relayd_call *c, const char *auth_error, void *arg)
{
	struct relay_request *r = arg;
	if (c->ended)
		return; /* the deadline guard answered while auth waited */
	if (auth_error) {
		services_relay_fail(c, NULL, "authorization error", auth_error);
		return;
	}
	relayd_relay_fn fn = callback_for(c->pi->desc, r->kind);
	if (!fn) {
		services_relay_finish(c, empty_result(r->kind));
		return;
	}
	fn(c->pi->state_ptr, c, r->obs, r->n);
}

static bool route_needs_auth(const struct relayd_relay_policy *p, enum relay_route_kind kind,
                             size_t remaining)
{
	if (kind == RELAY_HEALTH)
		return true;
	enum relayd_route_auth mode = kind == RELAY_REFER ? p->refer_auth : RELAYD_AUTH_REQUIRED;
	if (mode == RELAYD_AUTH_NONE)
		return false;
	if (remaining > 0)
		return true;
	/* Nothing supported is left: the reference answers the empty result
	 * without looking at the token, unless the plugin says otherwise. */
	return mode == RELAYD_AUTH_REQUIRED && p->auth_when_empty;
}

static void handle_observables(struct relayd_call *c, struct relay_request *r)
{
	const struct relayd_plugin *d = c->pi->desc;
	char *message = NULL;
	struct observables_list list;
	if (observables_parse(c->body, c->body_len, d->policy.payload_style, &list, &message) != 0) {
		const char *code = d->policy.invalid_payload_code ? d->policy.invalid_payload_code
		                                                  : DEFAULT_INVALID_CODE;
		services_relay_fail(c, NULL, code, message ? message : "Invalid JSON payload received.");
		free(message);
		return;
	}
	struct observables_list kept = {0};
	int rc = observables_filter(&list, &d->policy, d->types, d->supports, c->pi->state_ptr,
	                            &kept);
	observables_list_free(&list);
	if (rc != 0) {
		services_relay_fail(c, NULL, "internal error", "out of memory");
		return;
	}
	r->n = kept.count;
	r->obs = arena_alloc(&c->arena, (kept.count ? kept.count : 1) * sizeof(*r->obs));
	for (size_t i = 0; i < kept.count && r->obs; i++) {
		r->obs[i].type = arena_strdup(&c->arena, kept.items[i].type);
		r->obs[i].value = arena_strdup(&c->arena, kept.items[i].value);
	}
	observables_list_free(&kept);
	if (r->n == 0 && !route_needs_auth(&d->policy, r->kind, 0)) {
		services_relay_finish(c, empty_result(r->kind));
		return;
	}
	if (route_needs_auth(&d->policy, r->kind, r->n))
		auth_call(c, run_plugin, r);
	else
		run_plugin(c, NULL, r);
}

static void watchdog(struct relayd_call *c)
{
	const char *v = c->req ? evhttp_find_header(evhttp_request_get_input_headers(c->req),
	                                            "Health-Check")
	                       : NULL;
	if (v) {
		services_relay_finish(c, json_string(v));
		return;
	}
	const char *msg = c->pi->desc->policy.watchdog_message;
	services_relay_fail(c, NULL, "health check failed", msg ? msg : DEFAULT_WATCHDOG_MESSAGE);
}

void relay_routes_handle(struct relayd_call *c, enum relay_route_kind kind)
{
	struct relay_request *r = arena_alloc(&c->arena, sizeof(*r));
	if (!r) {
		services_relay_fail(c, NULL, "internal error", "out of memory");
		return;
	}
	r->kind = kind;
	switch (kind) {
	case RELAY_VERSION:
		call_send_json(c, 200, json_pack("{s:s}", "version", c->pi->desc->version));
		return;
	case RELAY_WATCHDOG:
		watchdog(c);
		return;
	case RELAY_RESPOND_TRIGGER:
		/* No plugin offers response actions in ABI 1.0: nothing was run. */
		services_relay_finish(c, json_pack("{s:s}", "status", "failure"));
		return;
	case RELAY_HEALTH:
		auth_call(c, run_plugin, r);
		return;
	default:
		handle_observables(c, r);
		return;
	}
}

static void run_route(struct relayd_call *c, const char *auth_error, void *arg)
{
	const struct relayd_route *route = arg;
	if (c->ended)
		return; /* the deadline guard answered while auth waited */
	if (auth_error) {
		call_send_error(c, c->pi->desc->envelope, 401, auth_error);
		return;
	}
	route->handler(c->pi->state_ptr, c);
}

void relay_routes_extra(struct relayd_call *c, const struct relayd_route *route)
{
	if (route->auth == RELAYD_AUTH_NONE)
		run_route(c, NULL, (void *)route);
	else
		auth_call(c, run_route, (void *)route);
}
