/* SPDX-License-Identifier: MIT */
/* A plugin's upstream requests: deadline-capped timeouts, the plugin's
 * transport settings, max_upstream_inflight, metrics, call bookkeeping. */
#ifndef RELAYD_UPSTREAM_H
#define RELAYD_UPSTREAM_H

#include <relayd/host.h>

void upstream_start(struct relayd_call *call, const struct relayd_http_request *req,
                    relayd_http_done_fn done, void *arg);

#endif
