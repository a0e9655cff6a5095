/* SPDX-License-Identifier: MIT */
/* An event loop: one libevent base, one curl multi handle, and a queue that
 * other threads post work into. Every worker thread owns one; so does main. */
#ifndef RELAYD_LOOP_H
#define RELAYD_LOOP_H

#include <event2/event.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct http_client;

typedef void (*loop_fn)(void *arg);

struct loop {
	struct event_base *base;
	struct http_client *http;
	int index;                 /* worker number, -1 for the main loop */
	pthread_mutex_t lock;      /* guards the post queue */
	struct loop_post *head, *tail;
	struct event *wakeup;      /* activated (thread-safely) when the queue gains work */
	atomic_int calls;          /* calls alive on this loop (task_begin may add from any thread) */
	bool draining;             /* exit the loop once calls reaches 0 */
};

/** Bookkeeping for graceful shutdown; loop thread only. */
void loop_call_started(struct loop *l);
void loop_call_ended(struct loop *l);
/** Stop when the last call ends (now, if none is alive). Loop thread only. */
void loop_drain(struct loop *l);

/** Call once before any loop exists: makes libevent thread-aware. */
int loop_global_init(void);

struct loop *loop_new(int index);
void loop_free(struct loop *l);

/** Runs fn(arg) on l's thread at its next turn. Safe from any thread. */
int loop_post(struct loop *l, loop_fn fn, void *arg);

/** Runs what was posted to l, on the calling thread (shutdown only);
 *  returns whether anything ran. */
bool loop_run_posted(struct loop *l);

/** The loop of the calling thread (NULL on a thread without one). */
struct loop *loop_current(void);
void loop_set_current(struct loop *l);

#endif
