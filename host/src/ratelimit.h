/* SPDX-License-Identifier: MIT */
/* Per-key token buckets with reservations: the arithmetic behind relayd_host::ratelimit_acquire. */
#ifndef RELAYD_RATELIMIT_H
#define RELAYD_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

/**
 * One token bucket per key (a plugin's upstream API key): it holds at most
 * `burst` tokens and refills at `rate_per_s`. A caller that finds the bucket
 * empty reserves the next free token and is told how long to wait for it, so
 * waiting callers are served in order, one every 1000 / rate_per_s ms.
 *
 * Pure computation: nothing here sleeps or reads a clock; the caller passes
 * `now` (any millisecond clock, the same one every time). Thread-safe.
 *
 * Keys are never stored: the table holds a salted SHA-256 of each key (salt
 * drawn once per table from getrandom()). A key's state is dropped as soon as
 * its bucket would be full again, which is exactly when forgetting it changes
 * nothing, so memory follows the number of recently busy keys.
 */
struct ratelimit;

/**
 * rate_per_s: tokens per second (> 0), or 0 for "unlimited" (every reserve
 * returns 0). burst: bucket size; 0 counts as 1. Returns NULL for a negative
 * or non-finite rate, or when out of memory. Free with ratelimit_free().
 */
struct ratelimit *ratelimit_new(double rate_per_s, unsigned burst);

/** Frees the table. NULL is a no-op. */
void ratelimit_free(struct ratelimit *rl);

/**
 * Takes one token for key (NULL counts as "").
 * Returns 0 when a token is available now (it is taken, whatever the
 * deadline: there is nothing to wait for); N > 0 when the next token is free
 * at now_ms + N (it is reserved for this caller, who should proceed after
 * N ms); -1 when that wait would end after deadline_ms (nothing is taken or
 * reserved; pass INT64_MAX for no deadline). Waits are rounded up to whole
 * ms. Also -1 if a new key cannot be tracked for lack of memory (fail closed).
 */
int64_t ratelimit_reserve(struct ratelimit *rl, const char *key, int64_t now_ms,
                          int64_t deadline_ms);

/** How many keys currently have state (for tests and metrics). */
size_t ratelimit_key_count(struct ratelimit *rl);

#endif
