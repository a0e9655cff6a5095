/* SPDX-License-Identifier: MIT */
/* One plugin instance: its descriptor, config section, settings, state and
 * background timers. It is the host's struct relayd_plugin_ctx. */
#ifndef RELAYD_INSTANCE_H
#define RELAYD_INSTANCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <relayd/plugin.h>

#include "config.h"
#include "loader.h"

struct loop;
struct generation;
struct cache;
struct ratelimit;

enum instance_state {
	INSTANCE_RUNNING = 0,
	INSTANCE_DISABLED,
	INSTANCE_REFUSED,
	INSTANCE_FAILED,
};

struct relayd_timer;
struct http_waiter;

struct relayd_plugin_ctx {
	char *name;
	char *file;                    /* the .so, NULL when not found/disabled */
	const struct relayd_plugin *desc; /* NULL unless loaded */
	struct loaded_plugin lp;
	enum instance_state state;
	char *error;                   /* why refused/failed, NULL otherwise */
	void *state_ptr;               /* from init */
	bool initialised;
	atomic_bool retired;           /* replaced or stopping: no new timers */

	struct conf_plugin *section;   /* borrowed from the generation's conf */
	const struct conf *conf;
	struct generation *gen;
	struct loop *bg_loop;          /* the main loop: background tasks, timers */

	const char *mount;             /* "/pulsedive", or "/" */
	size_t mount_len;
	char *expected_aud;            /* auth = securex */
	int entities_clamp;

	struct cache *cache;           /* NULL when cache_ttl_s = 0 */
	struct ratelimit *ratelimit;   /* NULL when rate_limit = 0 */

	atomic_int upstream_inflight;  /* process-wide, against max_upstream_inflight */
	pthread_mutex_t waiters_lock;  /* requests queued behind that limit */
	struct http_waiter *waiters_head, *waiters_tail;

	pthread_mutex_t timers_lock;
	struct relayd_timer *timers;   /* armed, not yet fired */
	char init_error[512];          /* set by config_error during init */
};

/** Loads, checks, applies the schema and inits. Returns 0 when the instance
 *  runs or is disabled/refused without being fatal; a negative status with
 *  @p err set when relayd must not start (config errors, required plugins). */
int instance_start(struct relayd_plugin_ctx *pi, char *err, size_t errlen);

/** Stops background work from starting again: cancels the instance's timers
 *  and refuses new ones. In-flight calls and tasks run to their end. */
void instance_retire(struct relayd_plugin_ctx *pi);

/** Calls fini (if init succeeded), cancels timers, closes the .so. */
void instance_stop(struct relayd_plugin_ctx *pi);

void instance_free(struct relayd_plugin_ctx *pi);

const char *instance_state_name(enum instance_state s);

/* Timers on the instance's background loop; safe from any thread. */
struct relayd_timer *instance_timer_add(struct relayd_plugin_ctx *pi, uint64_t ms,
                                        relayd_task_fn fn, void *arg);
void instance_timer_cancel(struct relayd_timer *t);

#endif
