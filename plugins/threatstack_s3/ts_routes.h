/* SPDX-License-Identifier: MIT */
/* The archive's HTTP routes under the mount: POST/GET api/v1/s3/alert, GET api/v1/s3/alert/<id>, GET api/v1/s3/status. */
#ifndef TS_ROUTES_H
#define TS_ROUTES_H

#include <relayd/host.h>

/* state is the struct ts_plugin from init. Each ends the call with reply/reply_json. */
void ts_route_post_alert(void *state, struct relayd_call *call);
void ts_route_get_alerts(void *state, struct relayd_call *call);
void ts_route_get_alert(void *state, struct relayd_call *call);
void ts_route_status(void *state, struct relayd_call *call);

#endif
