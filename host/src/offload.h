/* SPDX-License-Identifier: MIT */
/* A small thread pool for blocking work (fsync, file writes, index builds):
 * work runs on a pool thread, its completion is posted back to a loop. */
#ifndef RELAYD_OFFLOAD_H
#define RELAYD_OFFLOAD_H

#include "loop.h"

int offload_start(unsigned threads);
/** Lets queued work finish, then joins the threads. */
void offload_stop(void);

/** work(arg) on a pool thread, then done(arg) on @p l. */
int offload_submit(struct loop *l, loop_fn work, loop_fn done, void *arg);

#endif
