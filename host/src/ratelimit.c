/* SPDX-License-Identifier: MIT */
/* Per-key token buckets (GCRA form) keyed by salted SHA-256 digests, with idle-key expiry. */
#include "ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <openssl/crypto.h>

#define DIGEST_LEN 32
#define BUCKETS_INITIAL 64u
#define SWEEP_BUCKETS_PER_CALL 2u
/* Float sums of 1000/rate drift by far less than this; without it a wait of
 * 100.00000001 ms would round up to 101. */
#define ROUNDING_SLACK_MS 1e-6

/*
 * Generic cell rate algorithm, the token bucket written as one number per
 * key: `full_at` is when the bucket would hold `burst` tokens again. Taking a
 * token moves full_at = max(full_at, now) + interval; the token may be used
 * once full_at - burst * interval <= now. A reservation is just a full_at
 * that already counts the reserved token.
 */
struct rl_entry {
	struct rl_entry *next;
	unsigned char digest[DIGEST_LEN];
	double full_at_ms;
};

struct ratelimit {
	pthread_mutex_t lock;
	double interval_ms;        /* 0: unlimited */
	double burst_ms;           /* burst * interval_ms */
	unsigned char salt[32];
	EVP_MD *sha256;            /* fetched once */
	struct rl_entry **buckets;
	size_t nbuckets;           /* a power of two */
	size_t count;
	size_t sweep_cursor;
};

struct ratelimit *ratelimit_new(double rate_per_s, unsigned burst)
{
	if (!isfinite(rate_per_s) || rate_per_s < 0)
		return NULL;
	struct ratelimit *rl = calloc(1, sizeof(*rl));
	if (!rl)
		return NULL;
	rl->buckets = calloc(BUCKETS_INITIAL, sizeof(*rl->buckets));
	rl->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!rl->buckets || !rl->sha256 || pthread_mutex_init(&rl->lock, NULL) != 0) {
		EVP_MD_free(rl->sha256);
		free(rl->buckets);
		free(rl);
		return NULL;
	}
	rl->nbuckets = BUCKETS_INITIAL;
	if (rate_per_s > 0) {
		rl->interval_ms = 1000.0 / rate_per_s;
		rl->burst_ms = (double)(burst ? burst : 1u) * rl->interval_ms;
	}
	/* A predictable salt would only make digests comparable across
	 * processes; it never weakens the limiter, so a short read is tolerated. */
	if (getrandom(rl->salt, sizeof(rl->salt), 0) != (ssize_t)sizeof(rl->salt))
		memset(rl->salt, 0x5a, sizeof(rl->salt));
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	for (size_t i = 0; i < rl->nbuckets; i++) {
		struct rl_entry *e = rl->buckets[i];
		while (e) {
			struct rl_entry *next = e->next;
			free(e);
			e = next;
		}
	}
	free(rl->buckets);
	EVP_MD_free(rl->sha256);
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* The key is an upstream API key: only SHA-256(salt || key) is kept. Short
 * keys (all real API keys) are hashed from the stack; the digest object is
 * fetched once in ratelimit_new because a fetch per call costs more than the
 * hash itself. */
static bool key_digest(const struct ratelimit *rl, const char *key,
                       unsigned char out[DIGEST_LEN])
{
	unsigned char stack[512];
	unsigned int len = 0;
	size_t klen = key ? strlen(key) : 0;
	size_t total = sizeof(rl->salt) + klen;
	unsigned char *buf = total <= sizeof(stack) ? stack : malloc(total);
	if (!buf)
		return false;
	memcpy(buf, rl->salt, sizeof(rl->salt));
	if (klen)
		memcpy(buf + sizeof(rl->salt), key, klen);
	bool ok = EVP_Digest(buf, total, out, &len, rl->sha256, NULL) == 1 && len == DIGEST_LEN;
	OPENSSL_cleanse(buf, total);
	if (buf != stack)
		free(buf);
	return ok;
}

static size_t bucket_index(const struct ratelimit *rl, const unsigned char *digest)
{
	uint64_t h;
	memcpy(&h, digest, sizeof(h));
	return (size_t)(h & (rl->nbuckets - 1));
}

static struct rl_entry *find_entry(struct ratelimit *rl, const unsigned char *digest)
{
	for (struct rl_entry *e = rl->buckets[bucket_index(rl, digest)]; e; e = e->next)
		if (memcmp(e->digest, digest, DIGEST_LEN) == 0)
			return e;
	return NULL;
}

/* An entry whose bucket is full again carries no information: a fresh entry
 * would behave identically, so it can be dropped. */
static void sweep_bucket(struct ratelimit *rl, size_t idx, double now)
{
	struct rl_entry **link = &rl->buckets[idx];
	while (*link) {
		struct rl_entry *e = *link;
		if (e->full_at_ms <= now) {
			*link = e->next;
			free(e);
			rl->count--;
		} else {
			link = &e->next;
		}
	}
}

static void sweep_some(struct ratelimit *rl, double now)
{
	for (unsigned i = 0; i < SWEEP_BUCKETS_PER_CALL; i++) {
		sweep_bucket(rl, rl->sweep_cursor, now);
		rl->sweep_cursor = (rl->sweep_cursor + 1) & (rl->nbuckets - 1);
	}
}

static void grow(struct ratelimit *rl)
{
	size_t n = rl->nbuckets * 2;
	struct rl_entry **b = calloc(n, sizeof(*b));
	if (!b)
		return; /* longer chains, still correct */
	size_t old_n = rl->nbuckets;
	struct rl_entry **old = rl->buckets;
	rl->buckets = b;
	rl->nbuckets = n;
	for (size_t i = 0; i < old_n; i++) {
		struct rl_entry *e = old[i];
		while (e) {
			struct rl_entry *next = e->next;
			size_t j = bucket_index(rl, e->digest);
			e->next = b[j];
			b[j] = e;
			e = next;
		}
	}
	free(old);
	rl->sweep_cursor = 0;
}

/* Sweeps everything before growing; grows only if at least half the
 * buckets stay in use, so a full sweep costs at most one per nbuckets/2
 * inserts (amortised O(1)). */
static void make_room(struct ratelimit *rl, double now)
{
	if (rl->count < rl->nbuckets)
		return;
	for (size_t i = 0; i < rl->nbuckets; i++)
		sweep_bucket(rl, i, now);
	if (rl->count > rl->nbuckets / 2)
		grow(rl);
}

static struct rl_entry *insert_entry(struct ratelimit *rl, const unsigned char *digest,
                                     double now)
{
	make_room(rl, now);
	struct rl_entry *e = malloc(sizeof(*e));
	if (!e)
		return NULL;
	memcpy(e->digest, digest, DIGEST_LEN);
	e->full_at_ms = now;
	size_t idx = bucket_index(rl, digest);
	e->next = rl->buckets[idx];
	rl->buckets[idx] = e;
	rl->count++;
	return e;
}

/* Whole ms to wait until the reserved token is usable (0 when it already is). */
static double wait_for(const struct ratelimit *rl, double full_at_after, double now)
{
	double wait = full_at_after - rl->burst_ms - now;
	if (wait <= ROUNDING_SLACK_MS)
		return 0;
	return ceil(wait - ROUNDING_SLACK_MS);
}

int64_t ratelimit_reserve(struct ratelimit *rl, const char *key, int64_t now_ms,
                          int64_t deadline_ms)
{
	if (!rl)
		return -1;
	if (rl->interval_ms == 0)
		return 0;
	unsigned char digest[DIGEST_LEN];
	if (!key_digest(rl, key, digest))
		return -1;

	double now = (double)now_ms;
	int64_t result;
	pthread_mutex_lock(&rl->lock);
	sweep_some(rl, now);
	struct rl_entry *e = find_entry(rl, digest);
	double full_at = e ? e->full_at_ms : now;
	double after = (full_at > now ? full_at : now) + rl->interval_ms;
	double wait = wait_for(rl, after, now);
	/* Unsigned difference: exact for any deadline >= now, no overflow. */
	bool past = wait > 0 && (deadline_ms < now_ms ||
	                         wait > (double)((uint64_t)deadline_ms - (uint64_t)now_ms));
	if (past) {
		result = -1;
	} else {
		if (!e)
			e = insert_entry(rl, digest, now);
		if (e) {
			e->full_at_ms = after;
			result = (int64_t)wait;
		} else {
			result = -1;
		}
	}
	pthread_mutex_unlock(&rl->lock);
	return result;
}

size_t ratelimit_key_count(struct ratelimit *rl)
{
	if (!rl)
		return 0;
	pthread_mutex_lock(&rl->lock);
	size_t n = rl->count;
	pthread_mutex_unlock(&rl->lock);
	return n;
}
