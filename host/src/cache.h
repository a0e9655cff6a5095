/* SPDX-License-Identifier: MIT */
/* The TTL answer cache behind relayd_host::cache_get/cache_put, and the keyed hash it uses. */
#ifndef RELAYD_CACHE_H
#define RELAYD_CACHE_H

#include <stddef.h>
#include <stdint.h>

/**
 * A process-wide, thread-safe cache of byte values keyed by bytes.
 *
 * - Keys and values are copied in on put and copied out on get; the cache
 *   never hands out pointers into itself.
 * - Every entry has a TTL in whole seconds, measured with the clock given to
 *   cache_new(). An entry stored at t with ttl_s is returned while
 *   now < t + ttl_s * 1000 and never after.
 * - Limits: at most max_entries entries and max_bytes bytes of keys + values
 *   (payload only, bookkeeping not counted). A put that would exceed either
 *   evicts least recently used entries (a hit counts as a use) first.
 * - Large caches (max_entries >= 4096 and max_bytes >= 16 MiB) are split into
 *   16 shards by key hash, each with its own lock, its own LRU order and a
 *   16th of both limits (so one value can be at most max_bytes / 16); smaller
 *   caches are one shard, so their eviction order is exactly LRU. Either way
 *   the totals never exceed the limits.
 */
struct cache;

/** Milliseconds from any fixed origin; injected so tests can drive time. */
typedef int64_t (*cache_clock_fn)(void);

/** Allocator used by cache_get_into (e.g. the call arena); returns NULL on failure. */
typedef void *(*cache_alloc_fn)(void *ctx, size_t size);

/**
 * Creates a cache. max_entries and max_bytes must be > 0. now_ms == NULL
 * uses CLOCK_MONOTONIC. Returns NULL on bad arguments or out of memory.
 * Free with cache_free().
 */
struct cache *cache_new(size_t max_entries, size_t max_bytes, cache_clock_fn now_ms);

/** Frees the cache and every entry. NULL is a no-op. */
void cache_free(struct cache *c);

/**
 * Looks key up. On a hit returns RELAYD_OK with *copy = a malloc'd copy of
 * the value (the caller frees it; one NUL byte is appended after value_len
 * bytes so text values can be used as strings) and *len its length.
 * Returns RELAYD_ENOTFOUND on a miss or an expired entry (*copy = NULL,
 * *len = 0), RELAYD_ENOMEM when the copy cannot be made, RELAYD_EINVAL on
 * NULL arguments.
 */
int cache_get(struct cache *c, const void *key, size_t key_len, void **copy, size_t *len);

/**
 * As cache_get, but the copy (value_len + 1 bytes, NUL-terminated) comes
 * from alloc(alloc_ctx, size) and is owned by whoever owns that allocator.
 */
int cache_get_into(struct cache *c, const void *key, size_t key_len, cache_alloc_fn alloc,
                   void *alloc_ctx, void **copy, size_t *len);

/**
 * Stores a copy of value under key for ttl_s seconds, replacing any entry
 * with the same key (its TTL restarts). Returns RELAYD_OK; RELAYD_EINVAL for
 * NULL arguments, ttl_s == 0, or an entry larger than one shard's byte
 * limit (nothing is stored and an older entry under the key is removed);
 * RELAYD_ENOMEM when out of memory (an older entry under key is removed).
 */
int cache_put(struct cache *c, const void *key, size_t key_len, const void *value,
              size_t value_len, unsigned ttl_s);

/** Current totals over all shards (expired entries not yet removed included). */
void cache_stats(struct cache *c, size_t *entries, size_t *bytes);

/**
 * SipHash-2-4 of data under a key drawn from getrandom() once per process.
 * Unpredictable to clients, so it is safe for tables keyed by request data
 * (observables_filter uses it too). Not stable across processes.
 */
uint64_t cache_hash(const void *data, size_t len);

/** SipHash-2-4 with an explicit 16-byte key (exposed for the test vectors). */
uint64_t cache_siphash24(const unsigned char key[16], const void *data, size_t len);

#endif
