/* SPDX-License-Identifier: MIT */
/* The per-thread memo of accepted tokens (see token_memo.h). */
#include "token_memo.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* A handful of module instances call one relayd: 64 slots per thread,
 * direct-mapped, a new token simply replaces the one in its slot. */
#define MEMO_SLOTS 64u
/* Shorter than token_cache's 300 s, which decides how often a signature is
 * verified again: a memo entry filled from a token_cache hit can delay that
 * by at most this much. */
#define TOKEN_MEMO_TTL_MS (60 * 1000)
/* SecureX tokens are about 1 KiB; longer ones are not remembered. */
#define MEMO_MAX_TOKEN 8192u

struct memo_entry {
	char *token; /* NULL: empty slot */
	size_t len;
	char *host;
	char *kid;
	uint64_t epoch;
	json_t *claims;
	int64_t stored_ms;
};

struct memo {
	struct memo_entry slot[MEMO_SLOTS];
	bool registered;
};

static __thread struct memo memo;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static bool key_ok;

static void entry_clear(struct memo_entry *e)
{
	free(e->token);
	free(e->host);
	free(e->kid);
	json_decref(e->claims);
	*e = (struct memo_entry){0};
}

void token_memo_clear(void)
{
	for (unsigned i = 0; i < MEMO_SLOTS; i++)
		entry_clear(&memo.slot[i]);
}

static void clear_at_exit(void *unused)
{
	(void)unused;
	token_memo_clear();
}

static void make_key(void)
{
	key_ok = pthread_key_create(&exit_key, clear_at_exit) == 0;
}

static bool arm_thread_exit(void)
{
	if (memo.registered)
		return true;
	pthread_once(&key_once, make_key);
	if (!key_ok || pthread_setspecific(exit_key, &memo) != 0)
		return false;
	memo.registered = true;
	return true;
}

/* The slot of a token: FNV-1a over its length and last 16 bytes, which are
 * signature bytes (the first ones are a header every token shares). */
static struct memo_entry *slot_of(const char *token, size_t len)
{
	uint64_t h = 1469598103934665603u ^ len;
	size_t from = len > 16 ? len - 16 : 0;
	for (size_t i = from; i < len; i++)
		h = (h ^ (unsigned char)token[i]) * 1099511628211u;
	return &memo.slot[h % MEMO_SLOTS];
}

bool token_memo_get(const char *token, size_t len, int64_t now_ms, struct token_memo_hit *hit)
{
	struct memo_entry *e = slot_of(token, len);
	/* Constant-time comparison: the token is a credential. */
	if (!e->token || e->len != len || CRYPTO_memcmp(e->token, token, len) != 0)
		return false;
	if (now_ms - e->stored_ms >= TOKEN_MEMO_TTL_MS || now_ms < e->stored_ms) {
		entry_clear(e);
		return false;
	}
	*hit = (struct token_memo_hit){
	    .host = e->host, .kid = e->kid, .epoch = e->epoch, .claims = json_incref(e->claims)};
	return true;
}

void token_memo_put(const char *token, size_t len, const char *host, const char *kid,
                    uint64_t epoch, json_t *claims, int64_t now_ms)
{
	if (!token || !host || !claims || len > MEMO_MAX_TOKEN || !arm_thread_exit())
		return;
	struct memo_entry *e = slot_of(token, len);
	entry_clear(e);
	struct memo_entry n = {
	    .token = malloc(len),
	    .len = len,
	    .host = strdup(host),
	    .kid = kid ? strdup(kid) : NULL,
	    .epoch = epoch,
	    .claims = json_incref(claims),
	    .stored_ms = now_ms,
	};
	if (!n.token || !n.host || (kid && !n.kid)) {
		entry_clear(&n);
		return;
	}
	memcpy(n.token, token, len);
	*e = n;
}
