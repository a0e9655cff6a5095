/* SPDX-License-Identifier: MIT */
/* bench_mint: one RS256 test key for a bench run — its JWKS file and a bearer token signed with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "jwt_mint.h"

/*
 * usage: bench_mint JWKS_OUT TOKEN_OUT AUD JWKS_HOST [KEY [LIFETIME_S]]
 *
 * Generates an RSA-2048 key (kid JWT_MINT_DEFAULT_KID, the fixtures' kid),
 * writes {"keys":[<its JWK>]} to JWKS_OUT (the fixture server serves it at
 * /.well-known/jwks) and to TOKEN_OUT one RS256 token with the claims a
 * SecureX relay expects: key, jwks_host, aud, iat, exp (now + LIFETIME_S,
 * default 3600, so a bench run never sees it expire).
 * Exit 0, or 1 with a message on stderr.
 */

#define DEFAULT_LIFETIME_S 3600L

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		fprintf(stderr, "bench_mint: %s: %s\n", path, strerror(errno));
		return -1;
	}
	int ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
	if (fclose(f) != 0 || !ok) {
		fprintf(stderr, "bench_mint: %s: write failed\n", path);
		return -1;
	}
	return 0;
}

/* A positive number of seconds, or -1. */
static long parse_seconds(const char *text)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v <= 0)
		return -1;
	return v;
}

static char *mint_token(const struct jwt_mint_key *key, const char *aud, const char *jwks_host,
                        const char *api_key, long lifetime_s)
{
	json_int_t now = (json_int_t)time(NULL);
	json_t *claims = json_pack("{s:s, s:s, s:s, s:I, s:I}", "key", api_key, "jwks_host",
	                           jwks_host, "aud", aud, "iat", now,
	                           "exp", now + (json_int_t)lifetime_s);
	char *token;

	if (claims == NULL)
		return NULL;
	token = jwt_mint_rs256(key, claims);
	json_decref(claims);
	return token;
}

int main(int argc, char **argv)
{
	long lifetime_s = DEFAULT_LIFETIME_S;
	int rc = 1;

	if (argc < 5 || argc > 7) {
		fprintf(stderr, "usage: bench_mint JWKS_OUT TOKEN_OUT AUD JWKS_HOST [KEY [LIFETIME_S]]\n");
		return 2;
	}
	if (argc == 7 && (lifetime_s = parse_seconds(argv[6])) < 0) {
		fprintf(stderr, "bench_mint: LIFETIME_S must be a positive integer, got '%s'\n", argv[6]);
		return 2;
	}
	const char *api_key = argc >= 6 ? argv[5] : "bench-api-key";
	const struct jwt_mint_key *key = jwt_mint_default_key();
	const struct jwt_mint_key *keys[] = {key};
	char *jwks = key ? jwt_mint_jwks_json(keys, 1) : NULL;
	char *token = key ? mint_token(key, argv[3], argv[4], api_key, lifetime_s) : NULL;

	if (jwks == NULL || token == NULL)
		fprintf(stderr, "bench_mint: key generation or signing failed\n");
	else if (write_text(argv[1], jwks) == 0 && write_text(argv[2], token) == 0)
		rc = 0;
	free(jwks);
	free(token);
	return rc;
}
