/* SPDX-License-Identifier: MIT */
/* Test-only token minting: RSA test keys, their JWKS, and RS256/HS256/none tokens with any header. */
#ifndef RELAYD_TEST_JWT_MINT_H
#define RELAYD_TEST_JWT_MINT_H

/*
 * For unit tests, integration tests and the bench. Everything is signed with
 * OpenSSL directly (not libjwt), so tests can mint what libjwt refuses to:
 * any header (alg that does not match the signature, no kid, extra fields),
 * "alg":"none", corrupted signatures.
 *
 * Keys: RSA-2048 generated at run time. jwt_mint_default_key() and
 * jwt_mint_other_key() are generated once per process (thread-safe); under
 * Check's fork mode call them once in main() before srunner_run_all() so the
 * forked test processes inherit the keys instead of each generating its own.
 *
 * Ownership: every char * returned is malloc'd, free() it. Keys returned by
 * the two process-wide getters are never freed; keys from jwt_mint_key_new()
 * are the caller's (jwt_mint_key_free()). NULL means failure (allocation or
 * OpenSSL error).
 */

#include <stddef.h>

#include <jansson.h>
#include <openssl/evp.h>

/** kid of jwt_mint_default_key(): the fixtures' kid (pulsedive/jwt_valid.json). */
#define JWT_MINT_DEFAULT_KID "02B1174234C29F8EFB69911438F597FF3FFEE6B7"
/** kid of jwt_mint_other_key(). */
#define JWT_MINT_OTHER_KID "relayd-test-other-key"

struct jwt_mint_key;

/** A fresh RSA-2048 key pair with this kid (copied). Free with jwt_mint_key_free(). */
struct jwt_mint_key *jwt_mint_key_new(const char *kid);
void jwt_mint_key_free(struct jwt_mint_key *key);

/** Process-wide key with kid JWT_MINT_DEFAULT_KID, generated on first call. */
const struct jwt_mint_key *jwt_mint_default_key(void);
/** A second process-wide key (kid JWT_MINT_OTHER_KID), e.g. for "signed with another RSA key". */
const struct jwt_mint_key *jwt_mint_other_key(void);

/** The key's kid. Borrowed. */
const char *jwt_mint_key_kid(const struct jwt_mint_key *key);
/** The key pair (private + public). Borrowed. */
EVP_PKEY *jwt_mint_key_pkey(const struct jwt_mint_key *key);
/** The public key as a SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----"). malloc'd. */
char *jwt_mint_public_pem(const struct jwt_mint_key *key);

/**
 * The public key as a JWK object: {"kty":"RSA","kid":kid,"use":"sig","alg":"RS256","n":…,"e":…}
 * (n and e base64url without padding). @p kid overrides the key's own kid when
 * not NULL. New reference.
 */
json_t *jwt_mint_jwk(const struct jwt_mint_key *key, const char *kid);

/** {"keys":[jwk of keys[0], …]} as compact JSON text. malloc'd. */
char *jwt_mint_jwks_json(const struct jwt_mint_key *const *keys, size_t n);

/** How jwt_mint_token() makes the signature; independent of the header's "alg". */
enum jwt_mint_sig {
	JWT_MINT_SIG_RS256, /**< RSASSA-PKCS1-v1_5 SHA-256 with .rsa */
	JWT_MINT_SIG_HS256, /**< HMAC-SHA-256 with .secret */
	JWT_MINT_SIG_EMPTY, /**< no signature: "header.payload." */
};

struct jwt_mint_signer {
	enum jwt_mint_sig sig;
	const struct jwt_mint_key *rsa; /**< for JWT_MINT_SIG_RS256 */
	const void *secret;             /**< for JWT_MINT_SIG_HS256 */
	size_t secret_len;
};

/**
 * base64url(compact JSON of @p header) "." base64url(compact JSON of @p claims)
 * "." base64url(signature). Both objects are serialised as given (key order
 * preserved); neither is modified. malloc'd.
 */
char *jwt_mint_token(const json_t *header, const json_t *claims,
                     const struct jwt_mint_signer *signer);

/** RS256 with header {"alg":"RS256","typ":"JWT","kid":<key's kid>}. malloc'd. */
char *jwt_mint_rs256(const struct jwt_mint_key *key, const json_t *claims);

/** HS256 with header {"alg":"HS256","typ":"JWT"}. malloc'd. */
char *jwt_mint_hs256(const void *secret, size_t secret_len, const json_t *claims);

/** Unsigned: header {"alg":"none","typ":"JWT"} plus "kid" when @p kid is not NULL; empty signature. malloc'd. */
char *jwt_mint_alg_none(const json_t *claims, const char *kid);

/**
 * A copy of @p token whose signature differs in one bit of its first byte and
 * is still valid base64url (so it fails only the signature check). malloc'd;
 * NULL if @p token has no non-empty third segment.
 */
char *jwt_mint_corrupt_signature(const char *token);

/** base64url without padding of @p len bytes. malloc'd. */
char *jwt_mint_b64url(const void *data, size_t len);

/**
 * Mints from a fixture file {"header":{…},"payload":{…}} (e.g.
 * pulsedive/jwt_valid.json), signed RS256 with @p key; the fixture's header is
 * used as is (its kid is JWT_MINT_DEFAULT_KID, so use jwt_mint_default_key()).
 * malloc'd.
 */
char *jwt_mint_from_fixture(const char *path, const struct jwt_mint_key *key);

#endif
