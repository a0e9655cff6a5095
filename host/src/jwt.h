/* SPDX-License-Identifier: MIT */
/* SecureX bearer tokens from bytes in memory: Authorization header, JWT split, JWKS import, verification. */
#ifndef RELAYD_JWT_H
#define RELAYD_JWT_H

/*
 * Everything here works on bytes already in memory, so it is unit-testable and
 * fuzzable. Fetching and caching the JWKS is host/src/jwks.c's job; it calls,
 * per request and in this order (contracts/securex-relay.md §3.1-§3.2, §3.4):
 *
 *   auth_bearer_token(header)            -> token
 *   jwt_parts_parse(token)               -> parts   ("Wrong JWT structure")
 *   jwt_jwks_host(parts)                 -> host    (missing / not a string)
 *   jwks_host_allowed(host, allow-list)  -> else JWT_MSG_WRONG_JWKS_HOST, no fetch
 *   (fetch https://<host>/.well-known/jwks; failure -> JWT_MSG_WRONG_JWKS_HOST)
 *   jwk_set_parse(body)                  -> set     (cache it per host)
 *   jwt_parts_verify(parts, set, opts)   -> claims
 *
 * For `auth = secret` (HS256) the JWKS steps are skipped: parse, then
 * jwt_parts_verify(parts, NULL, opts) with opts.mode = JWT_MODE_HS256.
 *
 * Status convention: functions return 0 (RELAYD_OK) or a negative
 * enum relayd_status. On every failure *message is set to a static string
 * (never NULL, never to be freed): for RELAYD_EAUTH, RELAYD_ENOTFOUND and
 * RELAYD_EUPSTREAM it is the exact relay text to send after the
 * "Authorization failed: " prefix (see jwt_auth_error_text()).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>

/*
 * libjwt installs /usr/include/jwt.h, and this header shadows it in every file
 * compiled with host/src on the include path: there `#include <jwt.h>` finds
 * this file. So the part of libjwt 1.10.2's API relayd uses is declared here,
 * verbatim from its jwt.h (whose include guard is JWT_H), unless libjwt's own
 * header was included first.
 */
#ifndef JWT_H
#define JWT_H
typedef struct jwt jwt_t;
typedef enum jwt_alg {
	JWT_ALG_NONE = 0,
	JWT_ALG_HS256,
	JWT_ALG_HS384,
	JWT_ALG_HS512,
	JWT_ALG_RS256,
	JWT_ALG_RS384,
	JWT_ALG_RS512,
	JWT_ALG_ES256,
	JWT_ALG_ES384,
	JWT_ALG_ES512,
	JWT_ALG_TERM
} jwt_alg_t;
int jwt_decode(jwt_t **jwt, const char *token, const unsigned char *key, int key_len);
void jwt_free(jwt_t *jwt);
jwt_alg_t jwt_get_alg(jwt_t *jwt);
#endif

/* The texts of contracts/securex-relay.md §3.2-§3.4, without the prefix. */
#define JWT_MSG_PREFIX "Authorization failed: "
#define JWT_MSG_NO_HEADER "Authorization header is missing"
#define JWT_MSG_WRONG_TYPE "Wrong authorization type"
#define JWT_MSG_STRUCTURE "Wrong JWT structure"
#define JWT_MSG_PAYLOAD_STRUCTURE "Wrong JWT payload structure"
#define JWT_MSG_JWKS_HOST_MISSING \
	"jwks_host is missing in JWT payload. Make sure custom_jwks_host field is present in module_type"
#define JWT_MSG_WRONG_JWKS_HOST \
	"Wrong jwks_host in JWT payload. Make sure domain follows the visibility.<region>.cisco.com structure"
#define JWT_MSG_KID_NOT_FOUND "kid from JWT header not found in API response"
#define JWT_MSG_WRONG_KEY \
	"Failed to decode JWT with provided key. Make sure domain in custom_jwks_host corresponds to your SecureX instance region."
#define JWT_MSG_WRONG_SECRET "Failed to decode JWT with provided key"
#define JWT_MSG_WRONG_AUDIENCE "Wrong configuration-token-audience"
#define JWT_MSG_EXPIRED "Token has expired"
/* relayd's own text: the reference crashed (PyJWT ImmatureSignatureError). */
#define JWT_MSG_NOT_YET_VALID "Token is not yet valid"
#define JWT_MSG_SECRET_MISSING "<SECRET_KEY> is missing"
/* Not relay texts: internal failures (the caller answers them as it sees fit). */
#define JWT_MSG_NOMEM "Out of memory"
#define JWT_MSG_BAD_OPTIONS "Invalid token verification options"

/** Longest token jwt_parts_parse() accepts; longer is "Wrong JWT structure". */
#define JWT_TOKEN_MAX 65536

/* ------------------------------------------------------------------------- */
/* 1. Authorization header                                                   */

/**
 * Finds the bearer token in an Authorization header value (§3.1 + §3.4).
 * The value is split on ASCII whitespace; it must be exactly "<bearer> <token>"
 * with the scheme compared case-insensitively.
 *
 * @param authorization_header the header value, NUL-terminated, or NULL if absent
 * @param token      out: start of the token inside @p authorization_header (borrowed)
 * @param token_len  out: its length (the token is not NUL-terminated there)
 * @param message    out: the relay text on failure
 * @return 0; RELAYD_EAUTH with
 *         JWT_MSG_NO_HEADER  when the header is NULL,
 *         JWT_MSG_WRONG_TYPE when it is empty, the scheme is not bearer, or
 *                            there is only one word,
 *         JWT_MSG_STRUCTURE  for "Bearer a b" (three words or more).
 */
int auth_bearer_token(const char *authorization_header, const char **token, size_t *token_len,
                      const char **message);

/* ------------------------------------------------------------------------- */
/* 2. The token, decoded but not verified                                    */

/** A token split into its decoded parts. All members are owned by the struct. */
struct jwt_parts {
	json_t *header;   /**< decoded JOSE header, a JSON object */
	json_t *payload;  /**< decoded claims, a JSON object */
	char *token;      /**< NUL-terminated copy of the raw token (what libjwt verifies) */
	size_t token_len; /**< strlen(token) */
};

/**
 * Splits @p token into header.payload.signature and base64url-decodes all
 * three (strict RFC 4648 §5 alphabet; correct '=' padding is tolerated).
 * Header and payload must be JSON objects without duplicate keys (rejecting
 * duplicates keeps this parser and libjwt's from reading different claims).
 *
 * @param out filled on success; on failure it is left zeroed. Release with
 *            jwt_parts_clear().
 * @return 0; RELAYD_EAUTH with JWT_MSG_STRUCTURE for anything that is not such
 *         a token (wrong segment count, bad base64url, not a JSON object, empty,
 *         longer than JWT_TOKEN_MAX, NUL inside); RELAYD_ENOMEM.
 */
int jwt_parts_parse(const char *token, size_t len, struct jwt_parts *out, const char **message);

/** Frees what @p parts owns and zeroes it. Safe on a zeroed or already cleared struct. */
void jwt_parts_clear(struct jwt_parts *parts);

/** Header "alg" if it is a string, else NULL. Borrowed from @p parts. */
const char *jwt_parts_alg(const struct jwt_parts *parts);

/** Header "kid" if it is a string, else NULL. Borrowed from @p parts. */
const char *jwt_parts_kid(const struct jwt_parts *parts);

/** Claim @p name from the (unverified) payload, or NULL. Borrowed from @p parts. */
json_t *jwt_parts_claim(const struct jwt_parts *parts, const char *name);

/**
 * Claim "jwks_host" from the unverified payload, for the caller to check
 * against the allow-list before fetching anything.
 *
 * @return the host (borrowed from @p parts), or NULL with *message =
 *         JWT_MSG_JWKS_HOST_MISSING when the claim is absent, null, false or ""
 *         (the reference asserted it was truthy), or JWT_MSG_WRONG_JWKS_HOST
 *         when it is some other non-string (a number, list, object, true).
 */
const char *jwt_jwks_host(const struct jwt_parts *parts, const char **message);

/**
 * Whether @p host (a jwks_host claim, "name" or "name:port", IPv6 as
 * "[addr]:port") names one of @p allowed (same syntax). Names compare
 * case-insensitively; a missing port means 443, so "x" and "x:443" match.
 * Anything else in @p host (paths, '@', spaces, trailing dots, bad ports) makes
 * it not allowed. NULL @p host → false.
 */
bool jwks_host_allowed(const char *host, const char *const *allowed, size_t n);

/* ------------------------------------------------------------------------- */
/* 3. JWKS                                                                   */

/** One usable RSA key of a JWKS. Read-only after jwk_set_parse(). */
struct jwk {
	char *kid;      /**< the JWK's "kid" */
	EVP_PKEY *pkey; /**< RSA public key (for callers that verify with OpenSSL) */
	char *pem;      /**< the same key as a SubjectPublicKeyInfo PEM, NUL-terminated */
	size_t pem_len; /**< strlen(pem): what libjwt's jwt_decode() is handed */
};

/**
 * The RSA keys of one JWKS document, by kid. Immutable once built, so any
 * number of threads may call jwk_set_find() and jwt_parts_verify() on it at
 * the same time. Reference-counted: jwk_set_parse() returns one reference;
 * jwk_set_ref()/jwk_set_unref() are atomic, and the last unref frees it.
 */
struct jwk_set;

/**
 * Builds a key set from the body of GET https://<jwks_host>/.well-known/jwks,
 * i.e. {"keys":[{"kty":"RSA","kid":"…","n":"…","e":"…",…},…]}.
 *
 * Rules, after the reference (contracts/securex-relay.md §3.2 step 4):
 * every entry of "keys" must be an object with a string "kid" (checked before
 * the key type, as the reference did); entries whose "kty" is not "RSA", or
 * whose "n"/"e" are missing, not base64url or give a modulus under 2048 bits,
 * are skipped (the reference crashed on them); an empty "keys" array is a valid
 * empty set. When a kid repeats, the later entry wins.
 *
 * @param out receives the new set (one reference) on success, NULL otherwise
 * @return 0;
 *   RELAYD_EUPSTREAM with JWT_MSG_WRONG_JWKS_HOST when @p body is not JSON
 *     (the caller may also use that text for transport failures);
 *   RELAYD_EAUTH with JWT_MSG_PAYLOAD_STRUCTURE when the JSON is not an object,
 *     "keys" is missing or not an array, or an entry is not an object with a
 *     string "kid";
 *   RELAYD_ENOMEM.
 */
int jwk_set_parse(const char *body, size_t len, struct jwk_set **out, const char **message);

/** Adds a reference; returns @p set. NULL-safe. */
struct jwk_set *jwk_set_ref(struct jwk_set *set);

/** Drops a reference; the last one frees the set and its keys. NULL-safe. */
void jwk_set_unref(struct jwk_set *set);

/** Number of usable RSA keys in @p set (0 for NULL). */
size_t jwk_set_count(const struct jwk_set *set);

/** The key with this kid, or NULL. Borrowed: valid while @p set is referenced. */
const struct jwk *jwk_set_find(const struct jwk_set *set, const char *kid);

/* ------------------------------------------------------------------------- */
/* 4. Verification                                                           */

enum jwt_mode {
	JWT_MODE_RS256 = 0, /**< auth = securex: RS256 with a key from the JWKS, aud checked */
	JWT_MODE_HS256 = 1, /**< auth = secret: HS256 with a shared secret */
};

/** What jwt_parts_verify() checks. Borrowed for the duration of the call. */
struct jwt_verify_opts {
	enum jwt_mode mode;
	/** Expected "aud" (exact, case-sensitive). Required in RS256 mode; in HS256
	 *  mode NULL skips the audience check (the HS256 reference had none). */
	const char *audience;
	/** HS256 mode only: the shared secret. NULL or empty → JWT_MSG_SECRET_MISSING. */
	const unsigned char *secret;
	size_t secret_len;
	int64_t now;      /**< current time, seconds since the epoch */
	int64_t leeway;   /**< seconds of clock skew allowed for exp and nbf (≥ 0) */
	bool require_key; /**< claim "key" must be present and a string */
};

/**
 * Verifies a parsed token, in the reference's order (§3.2 steps 4-6):
 *
 * RS256 mode (@p set required):
 *   1. header "kid" missing or not a string    → JWT_MSG_PAYLOAD_STRUCTURE
 *   2. kid not in @p set                       → RELAYD_ENOTFOUND, JWT_MSG_KID_NOT_FOUND
 *                                                (the caller may refresh the JWKS once)
 *   3. header "alg" not exactly "RS256"        → JWT_MSG_WRONG_KEY (checked before libjwt
 *                                                sees the token: no HS/RS confusion, no "none")
 *   4. libjwt jwt_decode() with the key's PEM fails, or reports another alg
 *                                              → JWT_MSG_WRONG_KEY
 *   5. "nbf" / "exp" present but not a number  → JWT_MSG_STRUCTURE (PyJWT's DecodeError)
 *      nbf > now + leeway                      → JWT_MSG_NOT_YET_VALID
 *      exp <= now - leeway                     → JWT_MSG_EXPIRED
 *   6. "aud" missing, not a string or a list of strings, or not equal to /
 *      not containing opts->audience          → JWT_MSG_WRONG_AUDIENCE
 *   7. require_key and "key" missing or not a string → JWT_MSG_PAYLOAD_STRUCTURE
 *
 * HS256 mode (@p set ignored, may be NULL): no kid or JWKS steps; header alg not
 * exactly "HS256" (RS256, none, …) or a bad signature → JWT_MSG_WRONG_SECRET;
 * then 5, 6 (only when opts->audience is set) and 7.
 *
 * @param claims receives a new reference to the verified claims object on
 *               success (it is parts->payload, shared: do not modify it);
 *               untouched on failure.
 * @return 0; RELAYD_EAUTH or RELAYD_ENOTFOUND with the relay text;
 *         RELAYD_EINVAL with JWT_MSG_SECRET_MISSING (HS256 without a secret) or
 *         JWT_MSG_BAD_OPTIONS (NULL arguments, RS256 without audience or set);
 *         RELAYD_ENOMEM.
 */
int jwt_parts_verify(const struct jwt_parts *parts, const struct jwk_set *set,
                     const struct jwt_verify_opts *opts, json_t **claims, const char **message);

/**
 * Steps 5-7 of jwt_parts_verify() alone (times, audience when set, "key"), on
 * claims whose signature was verified earlier. For a cache of verified tokens:
 * jwt_parts_verify() costs ~0.6 ms (libjwt re-reads the PEM key on every call),
 * this a microsecond, and exp/nbf must be re-checked against the current time.
 * @return 0, or RELAYD_EAUTH with the relay text; RELAYD_EINVAL with
 *         JWT_MSG_BAD_OPTIONS for NULL arguments or claims that are not an object.
 */
int jwt_claims_check(const json_t *claims, const struct jwt_verify_opts *opts,
                     const char **message);

/**
 * Writes the full relay error message, JWT_MSG_PREFIX + @p message, into @p buf
 * (always NUL-terminated when @p size > 0).
 * @return 0, or RELAYD_EINVAL if @p buf is too small (then it holds a truncated text).
 */
int jwt_auth_error_text(const char *message, char *buf, size_t size);

/** Size of a buffer that holds jwt_auth_error_text() of any JWT_MSG_* text. */
#define JWT_AUTH_ERROR_TEXT_MAX 256

#endif
