/* SPDX-License-Identifier: MIT */
/* The host-services table handed to plugins, and the pieces the rest of the
 * host shares with it (clock, relay envelopes). */
#ifndef RELAYD_SERVICES_H
#define RELAYD_SERVICES_H

#include <jansson.h>
#include <stdint.h>

#include <relayd/host.h>

struct relayd_call;

extern const struct relayd_host host_services;

int64_t services_now_ms(void);

/** Ends a relay call with {"data":…} / {"errors":[…]} (HTTP 200). */
void services_relay_finish(struct relayd_call *c, json_t *data);
void services_relay_fail(struct relayd_call *c, json_t *partial, const char *code,
                         const char *message);

#endif
