/* SPDX-License-Identifier: MIT */
/* Tokens whose RS256 signature was verified, so a token seen again costs a
 * hash and a claims re-check instead of libjwt's ~0.5 ms key parse. */
#ifndef RELAYD_TOKEN_CACHE_H
#define RELAYD_TOKEN_CACHE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

int token_cache_init(void);
void token_cache_shutdown(void);

/** The claims (a new object) of a token verified under key-set @p epoch, or
 *  NULL. The caller re-checks times, audience and key (jwt_claims_check). */
json_t *token_cache_get(const char *token, size_t len, uint64_t epoch);

/** Remembers that @p token verified under @p epoch with these claims. */
void token_cache_put(const char *token, size_t len, uint64_t epoch, const json_t *claims);

#endif
