/* SPDX-License-Identifier: MIT */
/* Request routing (DECISIONS.md §4): host routes, then the longest mount,
 * then inside the mount exact routes before patterns. */
#ifndef RELAYD_ROUTER_H
#define RELAYD_ROUTER_H

#include <event2/http.h>
#include <stdbool.h>

#include <relayd/plugin.h>

struct loop;
struct generation;

/** Envelope of the host's own routes: {"error":{"code":N,"message":"…"}}. */
#define ROUTER_ENVELOPE_HOST ((enum relayd_envelope)100)

enum route_match {
	ROUTE_NONE = 0,     /**< no route has this path */
	ROUTE_FOUND,        /**< path and method match */
	ROUTE_WRONG_METHOD, /**< a route has this path, none with this method */
};

/** Matches @p rest (below the mount) against @p routes. Exact paths win over
 *  patterns; "*" segments' values go to params (pointers into @p scratch,
 *  which must hold strlen(rest)+1 bytes). */
enum route_match router_match(const struct relayd_route *routes, const char *rest,
                              const char *method, const struct relayd_route **found,
                              const char **params, unsigned max_params, unsigned *n_params,
                              char *scratch);

/** The relay routes a SecureX plugin receives (health, observe/observables, …). */
enum relay_route_kind {
	RELAY_HEALTH, RELAY_OBSERVE, RELAY_REFER, RELAY_DELIBERATE, RELAY_RESPOND,
	RELAY_RESPOND_TRIGGER, RELAY_VERSION, RELAY_WATCHDOG, RELAY_NONE,
};
enum route_match router_match_relay(const char *rest, const char *method,
                                    enum relay_route_kind *kind);

/** The evhttp general callback: routes one request of @p l. */
void router_dispatch(struct loop *l, struct evhttp_request *req);

#endif
