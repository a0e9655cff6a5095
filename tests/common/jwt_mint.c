/* SPDX-License-Identifier: MIT */
/* Test-only token minting: RSA test keys, their JWKS, and RS256/HS256/none tokens with any header. */

#include "jwt_mint.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

struct jwt_mint_key {
	char *kid;
	EVP_PKEY *pkey;
};

struct jwt_mint_key *jwt_mint_key_new(const char *kid)
{
	struct jwt_mint_key *key = calloc(1, sizeof(*key));
	if (!key)
		return NULL;
	key->kid = strdup(kid ? kid : "");
	key->pkey = EVP_RSA_gen(2048);
	if (!key->kid || !key->pkey) {
		jwt_mint_key_free(key);
		return NULL;
	}
	return key;
}

void jwt_mint_key_free(struct jwt_mint_key *key)
{
	if (!key)
		return;
	free(key->kid);
	EVP_PKEY_free(key->pkey);
	free(key);
}

static pthread_once_t default_once = PTHREAD_ONCE_INIT;
static pthread_once_t other_once = PTHREAD_ONCE_INIT;
static struct jwt_mint_key *default_key;
static struct jwt_mint_key *other_key;

static void make_default_key(void)
{
	default_key = jwt_mint_key_new(JWT_MINT_DEFAULT_KID);
}

static void make_other_key(void)
{
	other_key = jwt_mint_key_new(JWT_MINT_OTHER_KID);
}

const struct jwt_mint_key *jwt_mint_default_key(void)
{
	pthread_once(&default_once, make_default_key);
	return default_key;
}

const struct jwt_mint_key *jwt_mint_other_key(void)
{
	pthread_once(&other_once, make_other_key);
	return other_key;
}

const char *jwt_mint_key_kid(const struct jwt_mint_key *key)
{
	return key ? key->kid : NULL;
}

EVP_PKEY *jwt_mint_key_pkey(const struct jwt_mint_key *key)
{
	return key ? key->pkey : NULL;
}

char *jwt_mint_public_pem(const struct jwt_mint_key *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	char *pem = NULL;

	if (bio && key && PEM_write_bio_PUBKEY(bio, key->pkey) == 1) {
		long n = BIO_get_mem_data(bio, &data);
		if (n > 0)
			pem = strndup(data, (size_t)n);
	}
	BIO_free(bio);
	return pem;
}

char *jwt_mint_b64url(const void *data, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *in = data;
	char *out = malloc(len / 3 * 4 + 5);
	size_t o = 0;

	if (!out)
		return NULL;
	size_t i = 0;
	for (; i + 3 <= len; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
	return out;
}

/* base64url of a BIGNUM parameter of the key (big-endian, no leading zeros). */
static char *bn_param_b64url(EVP_PKEY *pkey, const char *name)
{
	BIGNUM *bn = NULL;
	char *out = NULL;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return NULL;
	int n = BN_num_bytes(bn);
	unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
	if (buf && BN_bn2bin(bn, buf) == n)
		out = jwt_mint_b64url(buf, (size_t)n);
	free(buf);
	BN_free(bn);
	return out;
}

json_t *jwt_mint_jwk(const struct jwt_mint_key *key, const char *kid)
{
	if (!key)
		return NULL;
	char *n = bn_param_b64url(key->pkey, OSSL_PKEY_PARAM_RSA_N);
	char *e = bn_param_b64url(key->pkey, OSSL_PKEY_PARAM_RSA_E);
	json_t *jwk = NULL;
	if (n && e)
		jwk = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "kty", "RSA", "kid",
		                kid ? kid : key->kid, "use", "sig", "alg", "RS256", "n", n, "e", e);
	free(n);
	free(e);
	return jwk;
}

char *jwt_mint_jwks_json(const struct jwt_mint_key *const *keys, size_t n)
{
	json_t *list = json_array();
	char *text = NULL;

	if (!list)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_t *jwk = jwt_mint_jwk(keys[i], NULL);
		if (!jwk || json_array_append_new(list, jwk) != 0)
			goto done;
	}
	json_t *doc = json_pack("{s:O}", "keys", list);
	if (doc)
		text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
done:
	json_decref(list);
	return text;
}

static char *b64url_json(const json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text)
		return NULL;
	char *out = jwt_mint_b64url(text, strlen(text));
	free(text);
	return out;
}

static unsigned char *sign_rs256(EVP_PKEY *pkey, const char *input, size_t *sig_len)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t len = 0;

	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(md, NULL, &len, (const unsigned char *)input, strlen(input)) != 1)
		goto done;
	sig = malloc(len);
	if (sig && EVP_DigestSign(md, sig, &len, (const unsigned char *)input, strlen(input)) != 1) {
		free(sig);
		sig = NULL;
	}
	*sig_len = len;
done:
	EVP_MD_CTX_free(md);
	return sig;
}

static unsigned char *sign_hs256(const void *secret, size_t secret_len, const char *input,
                                 size_t *sig_len)
{
	unsigned char *sig = malloc(EVP_MAX_MD_SIZE);
	unsigned int len = 0;

	if (!sig)
		return NULL;
	if (secret_len > (size_t)INT32_MAX ||
	    !HMAC(EVP_sha256(), secret ? secret : "", (int)secret_len,
	          (const unsigned char *)input, strlen(input), sig, &len)) {
		free(sig);
		return NULL;
	}
	*sig_len = len;
	return sig;
}

char *jwt_mint_token(const json_t *header, const json_t *claims,
                     const struct jwt_mint_signer *signer)
{
	char *h = b64url_json(header);
	char *p = b64url_json(claims);
	char *input = NULL;
	char *sig_text = NULL;
	char *token = NULL;
	unsigned char *sig = NULL;
	size_t sig_len = 0;

	if (!h || !p || !signer)
		goto done;
	size_t input_len = strlen(h) + 1 + strlen(p);
	input = malloc(input_len + 1);
	if (!input)
		goto done;
	snprintf(input, input_len + 1, "%s.%s", h, p);
	switch (signer->sig) {
	case JWT_MINT_SIG_RS256:
		if (!signer->rsa)
			goto done;
		sig = sign_rs256(signer->rsa->pkey, input, &sig_len);
		break;
	case JWT_MINT_SIG_HS256:
		sig = sign_hs256(signer->secret, signer->secret_len, input, &sig_len);
		break;
	case JWT_MINT_SIG_EMPTY:
		sig = malloc(1);
		sig_len = 0;
		break;
	}
	if (!sig)
		goto done;
	sig_text = jwt_mint_b64url(sig, sig_len);
	if (!sig_text)
		goto done;
	size_t token_len = input_len + 1 + strlen(sig_text);
	token = malloc(token_len + 1);
	if (token)
		snprintf(token, token_len + 1, "%s.%s", input, sig_text);
done:
	free(h);
	free(p);
	free(input);
	free(sig);
	free(sig_text);
	return token;
}

char *jwt_mint_rs256(const struct jwt_mint_key *key, const json_t *claims)
{
	if (!key)
		return NULL;
	json_t *header = json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "kid", key->kid);
	struct jwt_mint_signer signer = {.sig = JWT_MINT_SIG_RS256, .rsa = key};
	char *token = header ? jwt_mint_token(header, claims, &signer) : NULL;
	json_decref(header);
	return token;
}

char *jwt_mint_hs256(const void *secret, size_t secret_len, const json_t *claims)
{
	json_t *header = json_pack("{s:s, s:s}", "alg", "HS256", "typ", "JWT");
	struct jwt_mint_signer signer = {
		.sig = JWT_MINT_SIG_HS256, .secret = secret, .secret_len = secret_len};
	char *token = header ? jwt_mint_token(header, claims, &signer) : NULL;
	json_decref(header);
	return token;
}

char *jwt_mint_alg_none(const json_t *claims, const char *kid)
{
	json_t *header = json_pack("{s:s, s:s}", "alg", "none", "typ", "JWT");
	struct jwt_mint_signer signer = {.sig = JWT_MINT_SIG_EMPTY};
	char *token = NULL;

	if (header && kid && json_object_set_new(header, "kid", json_string(kid)) != 0)
		goto done;
	if (header)
		token = jwt_mint_token(header, claims, &signer);
done:
	json_decref(header);
	return token;
}

char *jwt_mint_corrupt_signature(const char *token)
{
	const char *dot = token ? strrchr(token, '.') : NULL;
	if (!dot || dot[1] == '\0')
		return NULL;
	char *copy = strdup(token);
	if (!copy)
		return NULL;
	/* Flipping 'A'<->'B' changes one bit of the first signature byte and keeps
	 * the text valid base64url. */
	char *c = copy + (dot - token) + 1;
	*c = *c == 'A' ? 'B' : 'A';
	return copy;
}

char *jwt_mint_from_fixture(const char *path, const struct jwt_mint_key *key)
{
	json_error_t err;
	json_t *doc = json_load_file(path, JSON_PRESERVE_ORDER, &err);
	char *token = NULL;

	if (!doc)
		return NULL;
	json_t *header = json_object_get(doc, "header");
	json_t *payload = json_object_get(doc, "payload");
	struct jwt_mint_signer signer = {.sig = JWT_MINT_SIG_RS256, .rsa = key};
	if (json_is_object(header) && json_is_object(payload) && key)
		token = jwt_mint_token(header, payload, &signer);
	json_decref(doc);
	return token;
}
