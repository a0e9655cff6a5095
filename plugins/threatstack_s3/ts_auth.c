/* SPDX-License-Identifier: MIT */
/* Optional webhook authentication (not in the reference): a shared-secret header and/or Basic auth. */
#include "ts_auth.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <relayd/status.h>

static bool set(const char *s)
{
	return s && s[0];
}

bool ts_auth_enabled(const struct ts_auth *auth)
{
	return set(auth->secret) || set(auth->basic_user);
}

/* Compares digests so neither the length nor the content leaks through timing. */
static bool same_secret(const void *a, size_t an, const void *b, size_t bn)
{
	unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
	SHA256(a, an, da);
	SHA256(b, bn, db);
	return CRYPTO_memcmp(da, db, sizeof(da)) == 0;
}

static bool basic_ok(const struct ts_auth *auth, const char *authorization)
{
	if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0)
		return false;
	const char *b64 = authorization + 6;
	while (*b64 == ' ')
		b64++;
	size_t n = strlen(b64);
	while (n && b64[n - 1] == ' ')
		n--;
	if (n == 0 || n % 4 != 0 || n > 4096)
		return false;
	unsigned char *raw = malloc(n / 4 * 3 + 1);
	if (!raw)
		return false;
	int len = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
	bool ok = false;
	if (len >= 0) {
		/* EVP_DecodeBlock counts the padding as zero bytes. */
		if (b64[n - 1] == '=')
			len--;
		if (b64[n - 2] == '=')
			len--;
		const char *pw = set(auth->basic_password) ? auth->basic_password : "";
		size_t ul = strlen(auth->basic_user), pl = strlen(pw);
		size_t want_len = ul + 1 + pl;
		char *want = malloc(want_len + 1);
		if (want) {
			memcpy(want, auth->basic_user, ul);
			want[ul] = ':';
			memcpy(want + ul + 1, pw, pl);
			ok = same_secret(raw, (size_t)len, want, want_len);
			OPENSSL_cleanse(want, want_len);
			free(want);
		}
	}
	OPENSSL_cleanse(raw, n / 4 * 3 + 1);
	free(raw);
	return ok;
}

int ts_auth_check(const struct ts_auth *auth, const char *secret_value, const char *authorization)
{
	if (!ts_auth_enabled(auth))
		return RELAYD_OK;
	if (set(auth->secret) && secret_value &&
	    same_secret(secret_value, strlen(secret_value), auth->secret, strlen(auth->secret)))
		return RELAYD_OK;
	if (set(auth->basic_user) && basic_ok(auth, authorization))
		return RELAYD_OK;
	return RELAYD_EAUTH;
}
