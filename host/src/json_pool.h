/* SPDX-License-Identifier: MIT */
/* Per-thread recycling of jansson's small allocations. */
#ifndef RELAYD_JSON_POOL_H
#define RELAYD_JSON_POOL_H

#include <stdbool.h>

/**
 * Installs the pool as jansson's allocator (json_set_alloc_funcs). Call it
 * first thing in main, before anything allocates a jansson value. Returns
 * whether the pool is in use: builds with AddressSanitizer keep jansson on
 * plain malloc so use-after-free of a JSON value is still caught.
 *
 * Every block the pool hands out is an ordinary malloc block, so memory that
 * jansson gives away (json_dumps's text) may be released with free() as
 * jansson documents, and the pool's free takes blocks from plain malloc.
 */
bool json_pool_install(void);

/** How many blocks the calling thread keeps for reuse (for tests). */
unsigned long json_pool_thread_cached(void);

#endif
