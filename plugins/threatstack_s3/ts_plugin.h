/* SPDX-License-Identifier: MIT */
/* The plugin instance's state, shared by the descriptor, the routes and the delivery loop. */
#ifndef TS_PLUGIN_H
#define TS_PLUGIN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <relayd/host.h>

#include "ts_auth.h"
#include "ts_keys.h"
#include "ts_spool.h"
#include "ts_store.h"

#define TS_METRIC_SPOOL_DEPTH "relayd_spool_depth"
#define TS_METRIC_REJECTED "relayd_threatstack_rejected_total"
#define TS_METRIC_DELIVERED "relayd_threatstack_delivered_total"
#define TS_METRIC_FAILURES "relayd_threatstack_delivery_failures_total"

enum ts_drain_state {
	TS_DRAIN_IDLE = 0,  /**< nothing queued, no timer */
	TS_DRAIN_SCHEDULED, /**< a 0 ms timer will start a run */
	TS_DRAIN_RUNNING,   /**< a background task is delivering */
	TS_DRAIN_BACKOFF,   /**< waiting for the retry timer */
};

/** Counters shown by GET …/status (guarded by ts_plugin.mu). */
struct ts_delivery_stats {
	uint64_t delivered;
	uint64_t failures;          /**< attempts that ended in a retry */
	uint64_t rejected_not_found;
	uint64_t expired;           /**< moved to dead/ after spool_max_age_s */
	uint64_t corrupt;           /**< unreadable spool files moved to dead/ */
	bool threatstack_auth_failing;
	char last_error[384];       /**< "" when the last attempt succeeded */
	int64_t last_error_ms;
};

struct ts_plugin {
	const struct relayd_host *host;
	struct relayd_plugin_ctx *pctx;

	/* configuration (immutable after init) */
	char *ts_url;
	char *ts_key;
	char *ts_org;
	char prefix[TS_PREFIX_MAX];
	uint64_t retry_min_ms;
	uint64_t retry_max_ms;
	struct ts_auth auth;   /* points into the strings below */
	char *auth_secret;
	char *auth_header;
	char *auth_user;
	char *auth_password;

	struct ts_store *store;
	struct ts_spool *spool;

	/* delivery loop (guarded by mu) */
	pthread_mutex_t mu;
	enum ts_drain_state drain;
	struct relayd_timer *timer;
	unsigned attempt;
	bool stopping;
	unsigned rng;
	struct ts_delivery_stats stats;
};

/** Wakes the delivery loop after alerts were spooled (any thread). */
void ts_delivery_kick(struct ts_plugin *p);

/** Stops the delivery loop (from fini): nothing new is scheduled and a
 *  running task stops at its next step. The pending timer is left to the host,
 *  which has already cancelled it when it retired the instance. Spooled alerts
 *  stay on disk for the next start. */
void ts_delivery_stop(struct ts_plugin *p);

/** A consistent copy of the counters. */
void ts_delivery_stats_get(struct ts_plugin *p, struct ts_delivery_stats *out);

/** Publishes relayd_spool_depth. */
void ts_delivery_publish_depth(struct ts_plugin *p);

#endif
