/* SPDX-License-Identifier: MIT */
/* Per-thread memo of accepted SecureX tokens, in front of token_cache. */
#ifndef RELAYD_TOKEN_MEMO_H
#define RELAYD_TOKEN_MEMO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why: a SecureX module sends the same token with every request. Even with
 * token_cache, each request decoded it (three base64url segments, two JSON
 * documents), hashed it with SHA-256, took the cache's lock and parsed the
 * cached claims: about 6 % of a pulsedive observe. A worker thread keeps the
 * exact bytes of the tokens it accepted with what auth needs to accept them
 * again: the JWKS host and kid (to get the key set), the key-set epoch they
 * verified under, and the claims, which auth still re-checks (times,
 * audience, key) on every request. */

/** What a memo hit gives; host and kid are borrowed until the next
 *  token_memo call on this thread (copy them before waiting on anything). */
struct token_memo_hit {
	const char *host;
	const char *kid;  /**< NULL when the token has none */
	uint64_t epoch;
	json_t *claims;   /**< a new reference: the caller releases it */
};

/** A hit for exactly these token bytes, remembered less than
 *  TOKEN_MEMO_TTL_MS before @p now_ms on this thread; false otherwise. */
bool token_memo_get(const char *token, size_t len, int64_t now_ms, struct token_memo_hit *hit);

/** Remembers a token accepted under @p epoch (claims are referenced, not
 *  copied; nobody modifies accepted claims). Silently skipped when memory is
 *  short or the token is too long to be worth keeping. */
void token_memo_put(const char *token, size_t len, const char *host, const char *kid,
                    uint64_t epoch, json_t *claims, int64_t now_ms);

/** Forgets everything this thread remembers (tests; thread exit does it too). */
void token_memo_clear(void);

#endif
