/* SPDX-License-Identifier: MIT */
/* The host's own routes: /healthz, /version, /plugins, /metrics. */
#ifndef RELAYD_HOST_ROUTES_H
#define RELAYD_HOST_ROUTES_H

#include <stdbool.h>

struct relayd_call;

/** Answers the call and returns true when its path is a host route. */
bool host_routes_handle(struct relayd_call *c);

#endif
