/* SPDX-License-Identifier: MIT */
/* A generation: one loaded config and the plugin instances built from it.
 * SIGHUP builds a new one; the old one lives until its last call ends. */
#ifndef RELAYD_GENERATION_H
#define RELAYD_GENERATION_H

#include <stdatomic.h>
#include <stddef.h>

#include "config.h"
#include "instance.h"

struct loop;

struct generation {
	struct conf *conf;
	struct relayd_plugin_ctx **plugins; /* in config order */
	size_t n_plugins;
	atomic_int refs;
	struct loop *main_loop;
};

/** Loads plugins for @p conf (taken on success). Returns 0, or a negative
 *  status with "<file>:<line>: <reason>" in @p err when relayd must not
 *  start (or, on reload, must keep the old generation). */
int generation_build(struct conf *conf, struct loop *main_loop, struct generation **out,
                     char *err, size_t errlen);

/** Retires every instance (no new background work); before the last unref. */
void generation_retire(struct generation *g);

void generation_ref(struct generation *g);
/** Drops a reference; the last one stops the plugins on the main loop. */
void generation_unref(struct generation *g);

/** The running instance mounted at the longest mount matching @p path on a
 *  segment boundary, or NULL. *rest points after the mount (no leading '/'). */
struct relayd_plugin_ctx *generation_match_mount(const struct generation *g, const char *path,
                                                 const char **rest);

#endif
