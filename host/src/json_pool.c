/* SPDX-License-Identifier: MIT */
/* Per-thread free lists for jansson's small blocks (see json_pool.h).
 *
 * Why: a Pulsedive observe makes and frees about 1,100 jansson blocks; in a
 * profile, glibc's malloc and free (its per-thread cache holds only 7 blocks
 * of a size, so bursts of frees go to the shared bins and consolidation)
 * were 29 % of relayd's instructions. Freed blocks are kept here, per
 * thread and by size, and handed out again.
 *
 * A block's size class comes from malloc_usable_size, not from a header, so
 * pool blocks stay ordinary malloc blocks: free() of one is correct (that is
 * how callers release json_dumps's text) and the pool's free accepts blocks
 * malloc'd before it was installed. A thread's blocks are released when it
 * exits; each class is capped so a burst cannot pin memory for ever. */
#include "json_pool.h"

#include <malloc.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#include <jansson.h>

/* Classes are glibc's usable sizes for small chunks: 24, 40, 56, … 248. */
#define POOL_MIN 24u
#define POOL_STEP 16u
#define POOL_CLASSES 15u
#define POOL_MAX (POOL_MIN + POOL_STEP * (POOL_CLASSES - 1))
/* Per thread: up to 4,096 blocks of each of the four smallest classes
 * (jansson's values, pairs and short strings), 1,024 of the others: at most
 * about 2.7 MiB a thread, plus ~220 KiB of slot arrays. */
#define POOL_CAP_SMALL 4096u
#define POOL_CAP_LARGE 1024u

/* A class's free blocks are kept as an array of pointers, not as a list
 * threaded through the blocks: popping from a list reads the block's first
 * word, and a block freed one upstream round trip ago is no longer in the
 * cache, so every allocation waited for memory (pool_malloc was ~9 % of
 * relayd's CPU at 50 ms upstream latency, almost all on that load). The
 * array's top stays cached; the block itself is then only written by
 * jansson, which does not stall the way a dependent load does. */
struct block_stack {
	void **slots; /* cap_of(class) entries, allocated on the first free */
	unsigned count;
};

struct thread_pool {
	struct block_stack stack[POOL_CLASSES];
	bool registered; /* the exit destructor is armed */
	bool exited;     /* after the destructor: frees go straight to free() */
};

static __thread struct thread_pool pool;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static bool key_ok;

static unsigned cap_of(unsigned k)
{
	return k < 4 ? POOL_CAP_SMALL : POOL_CAP_LARGE;
}

static void release_thread_pool(void *unused)
{
	(void)unused;
	for (unsigned k = 0; k < POOL_CLASSES; k++) {
		struct block_stack *st = &pool.stack[k];
		while (st->count > 0)
			free(st->slots[--st->count]);
		free(st->slots);
		st->slots = NULL;
	}
	pool.exited = true;
}

static void make_key(void)
{
	key_ok = pthread_key_create(&exit_key, release_thread_pool) == 0;
}

/* The first block a thread keeps arms the release of its stacks at exit. */
static bool arm_thread_exit(void)
{
	if (pool.registered)
		return true;
	pthread_once(&key_once, make_key);
	if (!key_ok || pthread_setspecific(exit_key, &pool) != 0)
		return false;
	pool.registered = true;
	return true;
}

static void *pool_malloc(size_t size)
{
	if (size > POOL_MAX)
		return malloc(size);
	unsigned k = size <= POOL_MIN ? 0 : (unsigned)((size - POOL_MIN + POOL_STEP - 1) / POOL_STEP);
	struct block_stack *st = &pool.stack[k];
	if (st->count > 0)
		return st->slots[--st->count];
	return malloc(POOL_MIN + POOL_STEP * k);
}

/* Room for one more block of class k, making the class's array if need be. */
static bool stack_has_room(unsigned k)
{
	struct block_stack *st = &pool.stack[k];
	if (st->slots)
		return st->count < cap_of(k);
	if (!arm_thread_exit())
		return false;
	st->slots = malloc(cap_of(k) * sizeof(*st->slots));
	return st->slots != NULL;
}

static void pool_free(void *p)
{
	if (!p)
		return;
	size_t usable = malloc_usable_size(p);
	if (usable < POOL_MIN || pool.exited) {
		free(p);
		return;
	}
	unsigned k = (unsigned)((usable - POOL_MIN) / POOL_STEP);
	if (k >= POOL_CLASSES || !stack_has_room(k)) {
		free(p);
		return;
	}
	struct block_stack *st = &pool.stack[k];
	st->slots[st->count++] = p;
}

unsigned long json_pool_thread_cached(void)
{
	unsigned long n = 0;
	for (unsigned k = 0; k < POOL_CLASSES; k++)
		n += pool.stack[k].count;
	return n;
}

#if defined(__SANITIZE_ADDRESS__)
#define POOL_ENABLED 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ENABLED 0
#endif
#endif
#ifndef POOL_ENABLED
#define POOL_ENABLED 1
#endif

bool json_pool_install(void)
{
	if (!POOL_ENABLED)
		return false;
	json_set_alloc_funcs(pool_malloc, pool_free);
	return true;
}
