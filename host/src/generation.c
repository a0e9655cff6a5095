/* SPDX-License-Identifier: MIT */
/* Generations of config + plugin instances, reference counted. */
#include "generation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"

static void generation_destroy(struct generation *g)
{
	/* fini in reverse start order, like a stack of resources */
	for (size_t i = g->n_plugins; i-- > 0;)
		instance_stop(g->plugins[i]);
	for (size_t i = 0; i < g->n_plugins; i++)
		instance_free(g->plugins[i]);
	free(g->plugins);
	conf_free(g->conf);
	free(g);
}

static struct relayd_plugin_ctx *instance_new(struct generation *g, struct conf_plugin *s)
{
	struct relayd_plugin_ctx *pi = calloc(1, sizeof(*pi));
	if (!pi)
		return NULL;
	pi->name = strdup(s->name);
	pi->section = s;
	pi->conf = g->conf;
	pi->gen = g;
	pi->bg_loop = g->main_loop;
	pthread_mutex_init(&pi->timers_lock, NULL);
	pthread_mutex_init(&pi->waiters_lock, NULL);
	if (!pi->name) {
		free(pi);
		return NULL;
	}
	return pi;
}

int generation_build(struct conf *conf, struct loop *main_loop, struct generation **out,
                     char *err, size_t errlen)
{
	struct generation *g = calloc(1, sizeof(*g));
	if (!g)
		return RELAYD_ENOMEM;
	g->conf = conf;
	g->main_loop = main_loop;
	atomic_init(&g->refs, 1);
	g->plugins = calloc(conf->n_plugins ? conf->n_plugins : 1, sizeof(*g->plugins));
	if (!g->plugins) {
		free(g);
		return RELAYD_ENOMEM;
	}
	for (size_t i = 0; i < conf->n_plugins; i++) {
		struct relayd_plugin_ctx *pi = instance_new(g, &conf->plugins[i]);
		if (!pi)
			goto fail_nomem;
		g->plugins[g->n_plugins++] = pi;
		/* Names are unique because sections are, and a plugin must declare
		 * its section's name (instance_start): no duplicate can load. */
		if (instance_start(pi, err, errlen))
			goto fail;
	}
	*out = g;
	return RELAYD_OK;
fail_nomem:
	snprintf(err, errlen, "out of memory");
fail:
	g->conf = NULL; /* the caller keeps ownership of conf on failure */
	generation_destroy(g);
	return RELAYD_EINVAL;
}

void generation_retire(struct generation *g)
{
	for (size_t i = 0; i < g->n_plugins; i++)
		instance_retire(g->plugins[i]);
}

void generation_ref(struct generation *g)
{
	atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
}

static void destroy_on_main(void *arg)
{
	generation_destroy(arg);
}

void generation_unref(struct generation *g)
{
	if (atomic_fetch_sub_explicit(&g->refs, 1, memory_order_acq_rel) != 1)
		return;
	/* fini runs on the main thread, the thread init ran on. */
	if (loop_current() == g->main_loop || !g->main_loop)
		generation_destroy(g);
	else
		loop_post(g->main_loop, destroy_on_main, g);
}

struct relayd_plugin_ctx *generation_match_mount(const struct generation *g, const char *path,
                                                 const char **rest)
{
	struct relayd_plugin_ctx *best = NULL;
	for (size_t i = 0; i < g->n_plugins; i++) {
		struct relayd_plugin_ctx *pi = g->plugins[i];
		if (pi->state != INSTANCE_RUNNING)
			continue;
		size_t n = pi->mount_len;
		bool root = n == 1; /* "/" matches everything */
		if (!root && (strncmp(path, pi->mount, n) != 0 || (path[n] != '\0' && path[n] != '/')))
			continue;
		if (!best || n > best->mount_len)
			best = pi;
	}
	if (best) {
		const char *r = path + (best->mount_len == 1 ? 0 : best->mount_len);
		while (*r == '/')
			r++;
		*rest = r;
	}
	return best;
}
