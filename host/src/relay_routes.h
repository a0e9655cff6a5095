/* SPDX-License-Identifier: MIT */
/* The SecureX relay routes every relay plugin receives (contracts/securex-relay.md
 * §2): body validation, type filtering, auth, then the plugin's callback. */
#ifndef RELAYD_RELAY_ROUTES_H
#define RELAYD_RELAY_ROUTES_H

#include <relayd/plugin.h>

#include "router.h"

struct relayd_call;

void relay_routes_handle(struct relayd_call *c, enum relay_route_kind kind);

/** A plugin's extra route: auth when the route asks for it, then its handler. */
void relay_routes_extra(struct relayd_call *c, const struct relayd_route *route);

#endif
