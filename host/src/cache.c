/* SPDX-License-Identifier: MIT */
/* The TTL answer cache (sharded hash table + LRU lists) and the process-wide keyed hash. */
#include "cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <relayd/status.h>

#define SHARDS_LARGE 16u
#define SHARD_MIN_ENTRIES 4096u          /* below this: one shard, exact LRU */
#define SHARD_MIN_BYTES (16u << 20)      /* each shard must still hold a big answer */
#define BUCKETS_INITIAL 16u

/* ---- SipHash-2-4 (Aumasson & Bernstein), the reference algorithm --------- */

static inline uint64_t rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t load_le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#define SIPROUND                                                                       \
	do {                                                                           \
		v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32);         \
		v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2;                               \
		v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0;                               \
		v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32);         \
	} while (0)

uint64_t cache_siphash24(const unsigned char key[16], const void *data, size_t len)
{
	const unsigned char *in = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
	uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
	uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
	uint64_t v3 = 0x7465646279746573ULL ^ k1;
	size_t full = len - (len % 8);

	for (size_t i = 0; i < full; i += 8) {
		uint64_t m = load_le64(in + i);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	uint64_t last = (uint64_t)(len & 0xff) << 56;
	for (size_t i = 0; i < len % 8; i++)
		last |= (uint64_t)in[full + i] << (8 * i);
	v3 ^= last;
	SIPROUND;
	SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static unsigned char hash_key[16];
static pthread_once_t hash_key_once = PTHREAD_ONCE_INIT;

/* getrandom() cannot fail for 16 bytes once the pool is ready; if it ever
 * does (ancient kernel, seccomp), a time/pid mix still beats a fixed key. */
static void hash_key_init(void)
{
	if (getrandom(hash_key, sizeof(hash_key), 0) == (ssize_t)sizeof(hash_key))
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t a = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20);
	uint64_t b = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)&ts;
	memcpy(hash_key, &a, 8);
	memcpy(hash_key + 8, &b, 8);
}

uint64_t cache_hash(const void *data, size_t len)
{
	pthread_once(&hash_key_once, hash_key_init);
	return cache_siphash24(hash_key, data, len);
}

/* ---- the cache ----------------------------------------------------------- */

struct cache_entry {
	struct cache_entry *chain;           /* next in the same bucket */
	struct cache_entry *newer, *older;   /* LRU list of the shard */
	uint64_t hash;
	int64_t expires_ms;
	size_t key_len;
	size_t value_len;
	unsigned char data[];                /* key bytes, then value bytes */
};

struct cache_shard {
	pthread_mutex_t lock;
	struct cache_entry **buckets;
	size_t nbuckets;                     /* a power of two */
	size_t count, bytes;
	size_t max_entries, max_bytes;
	struct cache_entry *newest, *oldest;
};

struct cache {
	cache_clock_fn now_ms;
	unsigned nshards;                    /* a power of two */
	struct cache_shard shards[];
};

static int64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t entry_payload(const struct cache_entry *e)
{
	return e->key_len + e->value_len;
}

static bool shard_init(struct cache_shard *s, size_t max_entries, size_t max_bytes)
{
	s->buckets = calloc(BUCKETS_INITIAL, sizeof(*s->buckets));
	if (!s->buckets)
		return false;
	if (pthread_mutex_init(&s->lock, NULL) != 0) {
		free(s->buckets);
		s->buckets = NULL;
		return false;
	}
	s->nbuckets = BUCKETS_INITIAL;
	s->count = s->bytes = 0;
	s->max_entries = max_entries;
	s->max_bytes = max_bytes;
	s->newest = s->oldest = NULL;
	return true;
}

static void shard_destroy(struct cache_shard *s)
{
	struct cache_entry *e = s->newest;
	while (e) {
		struct cache_entry *next = e->older;
		free(e);
		e = next;
	}
	free(s->buckets);
	pthread_mutex_destroy(&s->lock);
}

struct cache *cache_new(size_t max_entries, size_t max_bytes, cache_clock_fn now_ms)
{
	if (max_entries == 0 || max_bytes == 0)
		return NULL;
	unsigned nshards = (max_entries >= SHARD_MIN_ENTRIES && max_bytes >= SHARD_MIN_BYTES)
	                       ? SHARDS_LARGE : 1u;
	struct cache *c = calloc(1, sizeof(*c) + nshards * sizeof(struct cache_shard));
	if (!c)
		return NULL;
	c->now_ms = now_ms ? now_ms : monotonic_ms;
	c->nshards = nshards;
	for (unsigned i = 0; i < nshards; i++) {
		if (!shard_init(&c->shards[i], max_entries / nshards, max_bytes / nshards)) {
			for (unsigned j = 0; j < i; j++)
				shard_destroy(&c->shards[j]);
			free(c);
			return NULL;
		}
	}
	return c;
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nshards; i++)
		shard_destroy(&c->shards[i]);
	free(c);
}

/* The top bits pick the shard, the low bits the bucket, so the two choices
 * stay independent. */
static struct cache_shard *shard_for(struct cache *c, uint64_t hash)
{
	return &c->shards[(hash >> 56) & (c->nshards - 1)];
}

static struct cache_entry **bucket_for(struct cache_shard *s, uint64_t hash)
{
	return &s->buckets[hash & (s->nbuckets - 1)];
}

static void lru_unlink(struct cache_shard *s, struct cache_entry *e)
{
	if (e->newer)
		e->newer->older = e->older;
	else
		s->newest = e->older;
	if (e->older)
		e->older->newer = e->newer;
	else
		s->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void lru_push_newest(struct cache_shard *s, struct cache_entry *e)
{
	e->newer = NULL;
	e->older = s->newest;
	if (s->newest)
		s->newest->newer = e;
	s->newest = e;
	if (!s->oldest)
		s->oldest = e;
}

/* Finds key; *link_out is the pointer that points at the entry (for unlinking). */
static struct cache_entry *shard_find(struct cache_shard *s, uint64_t hash, const void *key,
                                      size_t key_len, struct cache_entry ***link_out)
{
	struct cache_entry **link = bucket_for(s, hash);
	for (struct cache_entry *e = *link; e; link = &e->chain, e = e->chain) {
		if (e->hash == hash && e->key_len == key_len &&
		    (key_len == 0 || memcmp(e->data, key, key_len) == 0)) {
			if (link_out)
				*link_out = link;
			return e;
		}
	}
	return NULL;
}

/* Removes e from its bucket and the LRU list; the caller frees it (outside the lock). */
static void shard_remove(struct cache_shard *s, struct cache_entry *e)
{
	struct cache_entry **link = bucket_for(s, e->hash);
	while (*link != e)
		link = &(*link)->chain;
	*link = e->chain;
	lru_unlink(s, e);
	s->count--;
	s->bytes -= entry_payload(e);
}

/* Doubling keeps chains short; on allocation failure the table keeps working
 * with longer chains. */
static void shard_maybe_grow(struct cache_shard *s)
{
	if (s->count <= s->nbuckets || s->nbuckets >= ((size_t)1 << 30))
		return;
	size_t n = s->nbuckets * 2;
	struct cache_entry **b = calloc(n, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct cache_entry *e = s->buckets[i];
		while (e) {
			struct cache_entry *next = e->chain;
			size_t j = e->hash & (n - 1);
			e->chain = b[j];
			b[j] = e;
			e = next;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = n;
}

/* Evicted entries are chained through ->chain into *freelist so they are
 * freed after the lock is dropped. */
static void shard_make_room(struct cache_shard *s, size_t payload, struct cache_entry **freelist)
{
	while (s->oldest &&
	       (s->count + 1 > s->max_entries || s->bytes + payload > s->max_bytes)) {
		struct cache_entry *victim = s->oldest;
		shard_remove(s, victim);
		victim->chain = *freelist;
		*freelist = victim;
	}
}

static void free_chain(struct cache_entry *e)
{
	while (e) {
		struct cache_entry *next = e->chain;
		free(e);
		e = next;
	}
}

static void *malloc_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

int cache_get_into(struct cache *c, const void *key, size_t key_len, cache_alloc_fn alloc,
                   void *alloc_ctx, void **copy, size_t *len)
{
	if (copy)
		*copy = NULL;
	if (len)
		*len = 0;
	if (!c || (!key && key_len) || !alloc || !copy || !len)
		return RELAYD_EINVAL;

	uint64_t hash = cache_hash(key, key_len);
	int64_t now = c->now_ms();
	struct cache_shard *s = shard_for(c, hash);
	struct cache_entry *stale = NULL;
	int rc = RELAYD_ENOTFOUND;

	pthread_mutex_lock(&s->lock);
	struct cache_entry *e = shard_find(s, hash, key, key_len, NULL);
	if (e && now >= e->expires_ms) {
		shard_remove(s, e);
		stale = e;
	} else if (e) {
		lru_unlink(s, e);
		lru_push_newest(s, e);
		unsigned char *out = alloc(alloc_ctx, e->value_len + 1);
		if (out) {
			memcpy(out, e->data + e->key_len, e->value_len);
			out[e->value_len] = '\0';
			*copy = out;
			*len = e->value_len;
			rc = RELAYD_OK;
		} else {
			rc = RELAYD_ENOMEM;
		}
	}
	pthread_mutex_unlock(&s->lock);
	free(stale);
	return rc;
}

int cache_get(struct cache *c, const void *key, size_t key_len, void **copy, size_t *len)
{
	return cache_get_into(c, key, key_len, malloc_alloc, NULL, copy, len);
}

/* Drops any entry under key (used when a put cannot store the new value, so
 * a stale older answer does not outlive the one that replaced it). */
static void cache_delete(struct cache *c, uint64_t hash, const void *key, size_t key_len)
{
	struct cache_shard *s = shard_for(c, hash);
	pthread_mutex_lock(&s->lock);
	struct cache_entry *old = shard_find(s, hash, key, key_len, NULL);
	if (old)
		shard_remove(s, old);
	pthread_mutex_unlock(&s->lock);
	free(old);
}

int cache_put(struct cache *c, const void *key, size_t key_len, const void *value,
              size_t value_len, unsigned ttl_s)
{
	if (!c || (!key && key_len) || (!value && value_len) || ttl_s == 0)
		return RELAYD_EINVAL;
	uint64_t hash = cache_hash(key, key_len);
	struct cache_shard *s = shard_for(c, hash);
	if (key_len > s->max_bytes || value_len > s->max_bytes - key_len) {
		cache_delete(c, hash, key, key_len);
		return RELAYD_EINVAL;
	}

	/* Build the entry before taking the lock: allocation and copying are the
	 * slow part and need no shared state. */
	struct cache_entry *e = malloc(sizeof(*e) + key_len + value_len);
	if (!e) {
		cache_delete(c, hash, key, key_len);
		return RELAYD_ENOMEM;
	}
	if (key_len)
		memcpy(e->data, key, key_len);
	if (value_len)
		memcpy(e->data + key_len, value, value_len);
	e->hash = hash;
	e->key_len = key_len;
	e->value_len = value_len;
	e->expires_ms = c->now_ms() + (int64_t)ttl_s * 1000;
	e->chain = e->newer = e->older = NULL;

	struct cache_entry *freelist = NULL;
	pthread_mutex_lock(&s->lock);
	struct cache_entry *old = shard_find(s, hash, key, key_len, NULL);
	if (old) {
		shard_remove(s, old);
		old->chain = freelist;
		freelist = old;
	}
	shard_make_room(s, entry_payload(e), &freelist);
	struct cache_entry **bucket = bucket_for(s, hash);
	e->chain = *bucket;
	*bucket = e;
	lru_push_newest(s, e);
	s->count++;
	s->bytes += entry_payload(e);
	shard_maybe_grow(s);
	pthread_mutex_unlock(&s->lock);

	free_chain(freelist);
	return RELAYD_OK;
}

void cache_stats(struct cache *c, size_t *entries, size_t *bytes)
{
	size_t n = 0, b = 0;
	for (unsigned i = 0; c && i < c->nshards; i++) {
		struct cache_shard *s = &c->shards[i];
		pthread_mutex_lock(&s->lock);
		n += s->count;
		b += s->bytes;
		pthread_mutex_unlock(&s->lock);
	}
	if (entries)
		*entries = n;
	if (bytes)
		*bytes = b;
}
