/* SPDX-License-Identifier: MIT */
/* The offload thread pool. */
#include "offload.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct job {
	struct job *next;
	struct loop *loop;
	loop_fn work, done;
	void *arg;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *head, *tail;
	pthread_t *threads;
	unsigned n;
	bool stopping;
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, NULL, 0, false};

static void *worker_main(void *unused)
{
	(void)unused;
	for (;;) {
		pthread_mutex_lock(&pool.lock);
		while (!pool.head && !pool.stopping)
			pthread_cond_wait(&pool.cond, &pool.lock);
		struct job *j = pool.head;
		if (j) {
			pool.head = j->next;
			if (!pool.head)
				pool.tail = NULL;
		}
		pthread_mutex_unlock(&pool.lock);
		if (!j)
			return NULL; /* stopping and drained */
		j->work(j->arg);
		if (j->done)
			loop_post(j->loop, j->done, j->arg);
		free(j);
	}
}

int offload_start(unsigned threads)
{
	pool.threads = calloc(threads, sizeof(*pool.threads));
	if (!pool.threads)
		return -1;
	pool.stopping = false;
	for (unsigned i = 0; i < threads; i++) {
		if (pthread_create(&pool.threads[i], NULL, worker_main, NULL) != 0)
			break;
		pool.n++;
	}
	return pool.n ? 0 : -1;
}

void offload_stop(void)
{
	pthread_mutex_lock(&pool.lock);
	pool.stopping = true;
	pthread_cond_broadcast(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
	for (unsigned i = 0; i < pool.n; i++)
		pthread_join(pool.threads[i], NULL);
	free(pool.threads);
	pool.threads = NULL;
	pool.n = 0;
}

int offload_submit(struct loop *l, loop_fn work, loop_fn done, void *arg)
{
	struct job *j = malloc(sizeof(*j));
	if (!j)
		return -1;
	*j = (struct job){NULL, l, work, done, arg};
	pthread_mutex_lock(&pool.lock);
	if (pool.stopping || pool.n == 0) {
		/* No thread will take it: the caller runs the work itself. */
		pthread_mutex_unlock(&pool.lock);
		free(j);
		return -1;
	}
	if (pool.tail)
		pool.tail->next = j;
	else
		pool.head = j;
	pool.tail = j;
	pthread_cond_signal(&pool.cond);
	pthread_mutex_unlock(&pool.lock);
	return 0;
}
