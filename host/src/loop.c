/* SPDX-License-Identifier: MIT */
/* Event loops and the cross-thread post queue. */
#include "loop.h"

#include <event2/thread.h>
#include <stdlib.h>

#include "http_client.h"

struct loop_post {
	struct loop_post *next;
	loop_fn fn;
	void *arg;
};

static __thread struct loop *current_loop;

int loop_global_init(void)
{
	return evthread_use_pthreads();
}

struct loop *loop_current(void)
{
	return current_loop;
}

void loop_set_current(struct loop *l)
{
	current_loop = l;
}

/* Drains the queue in batches: taking the whole list under the lock keeps
 * the critical section short when many posts arrive at once. */
/* Returns whether anything ran. */
static bool run_queue(struct loop *l)
{
	pthread_mutex_lock(&l->lock);
	struct loop_post *p = l->head;
	l->head = l->tail = NULL;
	pthread_mutex_unlock(&l->lock);
	bool ran = p != NULL;
	while (p) {
		struct loop_post *next = p->next;
		p->fn(p->arg);
		free(p);
		p = next;
	}
	return ran;
}

static void on_wakeup(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run_queue(arg);
}

/* epoll's changelist: a socket whose interest flips several times in one
 * loop pass (evhttp turns reading off and on around each request, curl moves
 * its sockets between IN and OUT) costs one epoll_ctl instead of one per
 * flip; about a tenth less CPU for a pulsedive observe under load. The one
 * case the changelist gets wrong, a dup()ed fd, does not occur here. */
static struct event_base *new_event_base(void)
{
	struct event_config *cfg = event_config_new();
	if (!cfg)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	struct event_base *base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

struct loop *loop_new(int index)
{
	struct loop *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->index = index;
	pthread_mutex_init(&l->lock, NULL);
	l->base = new_event_base();
	if (!l->base)
		goto fail;
	l->wakeup = event_new(l->base, -1, 0, on_wakeup, l);
	if (!l->wakeup)
		goto fail;
	l->http = http_client_new(l);
	if (!l->http)
		goto fail;
	return l;
fail:
	loop_free(l);
	return NULL;
}

void loop_free(struct loop *l)
{
	if (!l)
		return;
	/* Queued work may still use the HTTP client: run it first. */
	while (run_queue(l))
		;
	if (l->http)
		http_client_free(l->http);
	if (l->wakeup)
		event_free(l->wakeup);
	if (l->base)
		event_base_free(l->base);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

int loop_post(struct loop *l, loop_fn fn, void *arg)
{
	struct loop_post *p = malloc(sizeof(*p));
	if (!p)
		return -1;
	p->next = NULL;
	p->fn = fn;
	p->arg = arg;
	pthread_mutex_lock(&l->lock);
	if (l->tail)
		l->tail->next = p;
	else
		l->head = p;
	l->tail = p;
	pthread_mutex_unlock(&l->lock);
	event_active(l->wakeup, EV_READ, 0);
	return 0;
}

void loop_call_started(struct loop *l)
{
	atomic_fetch_add(&l->calls, 1);
}

void loop_call_ended(struct loop *l)
{
	if (atomic_fetch_sub(&l->calls, 1) == 1 && l->draining)
		event_base_loopexit(l->base, NULL);
}

void loop_drain(struct loop *l)
{
	l->draining = true;
	if (atomic_load(&l->calls) == 0)
		event_base_loopexit(l->base, NULL);
}

bool loop_run_posted(struct loop *l)
{
	return run_queue(l);
}
