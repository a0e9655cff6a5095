/* SPDX-License-Identifier: MIT */
/* The verified-token cache (see token_cache.h). */
#include "token_cache.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/json.h>

#include "cache.h"
#include "services.h"

/* Bounded: SecureX sends one token per module instance, so a few thousand
 * covers any deployment; a forger filling it only evicts, never passes. */
#define TOKEN_CACHE_ENTRIES 8192
#define TOKEN_CACHE_BYTES (16u << 20)
/* Re-verify the signature now and then even for a busy token. */
#define TOKEN_CACHE_TTL_S 300

static struct cache *tokens;

int token_cache_init(void)
{
	tokens = cache_new(TOKEN_CACHE_ENTRIES, TOKEN_CACHE_BYTES, services_now_ms);
	return tokens ? 0 : -1;
}

void token_cache_shutdown(void)
{
	cache_free(tokens);
	tokens = NULL;
}

/* The key binds the token bytes (signature included) to the key set that
 * verified them: a new JWKS fetch means a new epoch and no stale hits. */
static void make_key(const char *token, size_t len, uint64_t epoch,
                     unsigned char key[sizeof(uint64_t) + SHA256_DIGEST_LENGTH])
{
	memcpy(key, &epoch, sizeof(epoch));
	SHA256((const unsigned char *)token, len, key + sizeof(epoch));
}

json_t *token_cache_get(const char *token, size_t len, uint64_t epoch)
{
	if (!tokens)
		return NULL;
	unsigned char key[sizeof(uint64_t) + SHA256_DIGEST_LENGTH];
	make_key(token, len, epoch, key);
	void *text = NULL;
	size_t n = 0;
	if (cache_get(tokens, key, sizeof(key), &text, &n) != 0)
		return NULL;
	json_t *claims = relayd_json_loadb(text, n, 0, NULL);
	free(text);
	return claims;
}

void token_cache_put(const char *token, size_t len, uint64_t epoch, const json_t *claims)
{
	if (!tokens)
		return;
	char *text = relayd_json_dumps(claims);
	if (!text)
		return;
	unsigned char key[sizeof(uint64_t) + SHA256_DIGEST_LENGTH];
	make_key(token, len, epoch, key);
	cache_put(tokens, key, sizeof(key), text, strlen(text), TOKEN_CACHE_TTL_S);
	free(text);
}
