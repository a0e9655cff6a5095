/* SPDX-License-Identifier: MIT */
/* Plugin instance lifecycle: find, load, check, configure, init, fini. */
#include "instance.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "log.h"
#include "loop.h"
#include "ratelimit.h"
#include "services.h"

#define DEFAULT_CLAMP 1000

const char *instance_state_name(enum instance_state s)
{
	switch (s) {
	case INSTANCE_RUNNING: return "running";
	case INSTANCE_DISABLED: return "disabled";
	case INSTANCE_REFUSED: return "refused";
	case INSTANCE_FAILED: return "failed";
	}
	return "unknown";
}

/* A refusal is fatal only for required plugins; either way it is logged as
 * one line naming the file and the reason. */
static int refuse(struct relayd_plugin_ctx *pi, enum instance_state st, const char *reason,
                  char *err, size_t errlen)
{
	pi->state = st;
	free(pi->error);
	pi->error = strdup(reason);
	log_emit(RELAYD_LOG_ERROR, pi->name, NULL, "plugin refused file=%s reason=\"%s\"",
	         pi->file ? pi->file : "-", reason);
	if (!pi->section->required)
		return RELAYD_OK;
	snprintf(err, errlen, "%s:%d: [plugin.%s] is required but was refused: %s",
	         pi->conf->path, pi->section->line, pi->name, reason);
	return RELAYD_EINVAL;
}

static int setup_helpers(struct relayd_plugin_ctx *pi)
{
	const struct conf_plugin *s = pi->section;
	if (s->cache_ttl_s > 0) {
		pi->cache = cache_new(100000, 256u << 20, services_now_ms);
		if (!pi->cache)
			return RELAYD_ENOMEM;
	}
	if (s->rate_limit > 0) {
		pi->ratelimit = ratelimit_new((double)s->rate_limit, (unsigned)s->rate_burst);
		if (!pi->ratelimit)
			return RELAYD_ENOMEM;
	}
	return RELAYD_OK;
}

static int load_descriptor(struct relayd_plugin_ctx *pi, char *err, size_t errlen)
{
	char looked[1024], reason[512];
	pi->file = loader_find(pi->conf->plugin_dir, pi->name, pi->section->path, looked,
	                       sizeof(looked));
	if (!pi->file) {
		snprintf(err, errlen, "%s:%d: [plugin.%s]: no plugin file found (looked for %s)",
		         pi->conf->path, pi->section->line, pi->name, looked);
		return RELAYD_ENOTFOUND;
	}
	if (loader_open(pi->file, &pi->lp, reason, sizeof(reason)) != RELAYD_OK)
		return refuse(pi, INSTANCE_REFUSED, reason, err, errlen) ? RELAYD_EINVAL : 1;
	pi->desc = pi->lp.desc;
	if (strcmp(pi->desc->name, pi->name) != 0) {
		snprintf(reason, sizeof(reason), "file declares plugin '%s', section is [plugin.%s]",
		         pi->desc->name, pi->name);
		return refuse(pi, INSTANCE_REFUSED, reason, err, errlen) ? RELAYD_EINVAL : 1;
	}
	return RELAYD_OK;
}

/* Relay routes and routes with auth verify tokens; a plugin that has only
 * auth-free routes (a webhook receiver) needs no audience. */
static bool instance_verifies_tokens(const struct relayd_plugin *d)
{
	if (d->observe || d->refer || d->health)
		return true;
	for (const struct relayd_route *r = d->routes; r && r->method; r++)
		if (r->auth != RELAYD_AUTH_NONE)
			return true;
	return false;
}

int instance_start(struct relayd_plugin_ctx *pi, char *err, size_t errlen)
{
	pi->mount = pi->section->mount;
	pi->mount_len = strlen(pi->mount);
	if (!pi->section->enabled) {
		pi->state = INSTANCE_DISABLED;
		return RELAYD_OK;
	}
	int rc = load_descriptor(pi, err, errlen);
	if (rc != RELAYD_OK)
		return rc > 0 ? RELAYD_OK : rc;
	/* Unknown or mistyped keys are config errors, never mere refusals. */
	rc = conf_plugin_apply_schema(pi->section, pi->desc->config, pi->conf->path, err, errlen);
	if (rc)
		return rc;
	if (instance_verifies_tokens(pi->desc)) {
		rc = conf_plugin_check_audience(pi->conf, pi->section, err, errlen);
		if (rc)
			return rc;
	}
	pi->expected_aud = conf_expected_audience(pi->conf, pi->section);
	pi->entities_clamp = pi->desc->policy.entities_clamp > 0 ? pi->desc->policy.entities_clamp
	                                                         : DEFAULT_CLAMP;
	if (setup_helpers(pi))
		return refuse(pi, INSTANCE_FAILED, "out of memory", err, errlen);
	rc = pi->desc->init(&host_services, pi, &pi->state_ptr);
	if (rc != RELAYD_OK) {
		if (pi->init_error[0]) {
			/* config_error already gave file:line: that is a config error. */
			snprintf(err, errlen, "%s", pi->init_error);
			return RELAYD_EINVAL;
		}
		char reason[600];
		snprintf(reason, sizeof(reason), "init failed: %s", relayd_strstatus(rc));
		return refuse(pi, INSTANCE_REFUSED, reason, err, errlen);
	}
	pi->initialised = true;
	pi->state = INSTANCE_RUNNING;
	return RELAYD_OK;
}

/* ---- timers ---------------------------------------------------------- */

struct relayd_timer {
	struct relayd_timer *next;
	struct relayd_plugin_ctx *pi;
	struct loop *loop;         /* the background loop: arm, fire, cancel all run there */
	struct event *ev;
	uint64_t ms;
	relayd_task_fn fn;
	void *arg;
	atomic_bool cancelled;
};

/* Returns whether t was still armed: a timer is unlinked exactly once, by
 * whichever of firing and cancelling comes first. */
static bool timer_unlink(struct relayd_timer *t)
{
	struct relayd_plugin_ctx *pi = t->pi;
	bool found = false;
	pthread_mutex_lock(&pi->timers_lock);
	for (struct relayd_timer **p = &pi->timers; *p; p = &(*p)->next) {
		if (*p == t) {
			*p = t->next;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&pi->timers_lock);
	return found;
}

static void timer_fire(evutil_socket_t fd, short what, void *arg)
{
	struct relayd_timer *t = arg;
	(void)fd;
	(void)what;
	/* Cancelled or retired: whoever unlinks it frees it through the queue
	 * (t->pi may be gone by then, so it is not touched here). */
	if (atomic_load(&t->cancelled) || !timer_unlink(t))
		return;
	relayd_task_fn fn = t->fn;
	void *farg = t->arg;
	event_free(t->ev);
	free(t);
	fn(farg);
}

/* Arm and cancel both go through the loop's queue, which is FIFO: an arm
 * always runs before the cancel that follows it, whatever thread asked. */
static void timer_arm(void *arg)
{
	struct relayd_timer *t = arg;
	if (atomic_load(&t->cancelled))
		return;
	t->ev = evtimer_new(t->loop->base, timer_fire, t);
	struct timeval tv = {(time_t)(t->ms / 1000), (suseconds_t)((t->ms % 1000) * 1000)};
	if (t->ev)
		evtimer_add(t->ev, &tv);
}

struct relayd_timer *instance_timer_add(struct relayd_plugin_ctx *pi, uint64_t ms,
                                        relayd_task_fn fn, void *arg)
{
	if (atomic_load(&pi->retired))
		return NULL; /* a retired instance's background work must wind down */
	struct relayd_timer *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->pi = pi;
	t->loop = pi->bg_loop;
	t->ms = ms;
	t->fn = fn;
	t->arg = arg;
	atomic_init(&t->cancelled, false);
	pthread_mutex_lock(&pi->timers_lock);
	t->next = pi->timers;
	pi->timers = t;
	pthread_mutex_unlock(&pi->timers_lock);
	if (loop_post(t->loop, timer_arm, t) != 0) {
		timer_unlink(t);
		free(t);
		return NULL;
	}
	return t;
}

static void timer_cancel_on_loop(void *arg)
{
	struct relayd_timer *t = arg;
	if (t->ev)
		event_free(t->ev);
	free(t);
}

void instance_timer_cancel(struct relayd_timer *t)
{
	/* Only a timer that has not fired may be cancelled (host.h). */
	if (!t || !timer_unlink(t))
		return;
	atomic_store(&t->cancelled, true);
	loop_post(t->loop, timer_cancel_on_loop, t);
}

static void cancel_all_timers(struct relayd_plugin_ctx *pi)
{
	while (pi->timers)
		instance_timer_cancel(pi->timers);
}

/* Retiring disarms timers but keeps them linked and allocated: the plugin's
 * fini may still cancel its own, and instance_stop frees the rest after fini
 * through the loop queue (after any arm still queued for them). */
void instance_retire(struct relayd_plugin_ctx *pi)
{
	atomic_store(&pi->retired, true);
	pthread_mutex_lock(&pi->timers_lock);
	for (struct relayd_timer *t = pi->timers; t; t = t->next)
		atomic_store(&t->cancelled, true);
	pthread_mutex_unlock(&pi->timers_lock);
}

void instance_stop(struct relayd_plugin_ctx *pi)
{
	if (pi->initialised && pi->desc->fini)
		pi->desc->fini(pi->state_ptr);
	pi->initialised = false;
	cancel_all_timers(pi);
	/* dlclose is skipped on purpose: libraries a plugin pulls in (OpenSSL,
	 * curl) do not always unload cleanly (STYLE.md 8.9). The handle is kept
	 * so a reload re-uses the mapping. */
}

void instance_free(struct relayd_plugin_ctx *pi)
{
	if (!pi)
		return;
	if (pi->cache)
		cache_free(pi->cache);
	if (pi->ratelimit)
		ratelimit_free(pi->ratelimit);
	pthread_mutex_destroy(&pi->timers_lock);
	pthread_mutex_destroy(&pi->waiters_lock);
	free(pi->expected_aud);
	free(pi->error);
	free(pi->file);
	free(pi->name);
	free(pi);
}
