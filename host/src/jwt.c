/* SPDX-License-Identifier: MIT */
/* SecureX bearer tokens from bytes in memory: Authorization header, JWT split, JWKS import, verification. */

#include "jwt.h"

#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <relayd/json.h>
#include <relayd/status.h>

/* Bounds for an imported RSA modulus: SecureX keys are 2048 bits; the upper
 * bound keeps a hostile JWKS from making every verification expensive. */
#define JWK_RSA_MIN_BITS 2048
#define JWK_RSA_MAX_BITS 8192

static int fail(const char **message, const char *text, int status)
{
	if (message)
		*message = text;
	return status;
}

/* ------------------------------------------------------------------------- */
/* Authorization header                                                      */

/* ASCII whitespace, as Python's str.split() sees it in a latin-1 header. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int auth_bearer_token(const char *authorization_header, const char **token, size_t *token_len,
                      const char **message)
{
	const char *word[2] = {NULL, NULL};
	size_t word_len[2] = {0, 0};
	size_t words = 0;

	if (!authorization_header)
		return fail(message, JWT_MSG_NO_HEADER, RELAYD_EAUTH);
	for (const char *p = authorization_header; *p;) {
		while (*p && is_space(*p))
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && !is_space(*p))
			p++;
		if (words < 2) {
			word[words] = start;
			word_len[words] = (size_t)(p - start);
		}
		words++;
		if (words > 2)
			break; /* three words are enough to decide */
	}
	if (words == 0 || word_len[0] != 6 || strncasecmp(word[0], "bearer", 6) != 0)
		return fail(message, JWT_MSG_WRONG_TYPE, RELAYD_EAUTH);
	if (words == 1)
		return fail(message, JWT_MSG_WRONG_TYPE, RELAYD_EAUTH);
	if (words > 2)
		return fail(message, JWT_MSG_STRUCTURE, RELAYD_EAUTH);
	if (token)
		*token = word[1];
	if (token_len)
		*token_len = word_len[1];
	return RELAYD_OK;
}

/* ------------------------------------------------------------------------- */
/* base64url                                                                 */

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Strict base64url (RFC 4648 §5): only the URL-safe alphabet, and '=' only as
 * correct padding at the end. Being stricter than libjwt's decoder guarantees
 * that whatever we accept, libjwt decodes to the same bytes.
 * Returns a malloc'd buffer (NUL-terminated for convenience) or NULL;
 * *err = RELAYD_EAUTH for bad input, RELAYD_ENOMEM otherwise.
 */
static unsigned char *b64url_decode(const char *src, size_t len, size_t *out_len, int *err)
{
	size_t pad = 0;

	while (pad < 2 && len > 0 && src[len - 1] == '=') {
		len--;
		pad++;
	}
	*err = RELAYD_EAUTH;
	if (pad > 0 && (len + pad) % 4 != 0)
		return NULL;
	if (len % 4 == 1)
		return NULL;
	unsigned char *out = malloc(len / 4 * 3 + 3);
	if (!out) {
		*err = RELAYD_ENOMEM;
		return NULL;
	}
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value((unsigned char)src[i]);
		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	out[o] = '\0';
	*out_len = o;
	*err = RELAYD_OK;
	return out;
}

/* Decodes one segment into a JSON object; NULL with *err on failure. */
static json_t *decode_json_segment(const char *src, size_t len, int *err)
{
	size_t n = 0;
	unsigned char *raw = b64url_decode(src, len, &n, err);
	if (!raw)
		return NULL;
	json_error_t jerr;
	/* Duplicate keys rejected: libjwt re-parses the same bytes with its own
	 * flags, and the two must never disagree about which "alg" or "aud" counts. */
	json_t *obj = relayd_json_loadb((const char *)raw, n, JSON_REJECT_DUPLICATES, &jerr);
	free(raw);
	if (!obj || !json_is_object(obj)) {
		json_decref(obj);
		*err = RELAYD_EAUTH;
		return NULL;
	}
	return obj;
}

/* ------------------------------------------------------------------------- */
/* Token parts                                                               */

void jwt_parts_clear(struct jwt_parts *parts)
{
	if (!parts)
		return;
	json_decref(parts->header);
	json_decref(parts->payload);
	free(parts->token);
	memset(parts, 0, sizeof(*parts));
}

/* Finds the two dots of header.payload.signature; false for any other count. */
static bool split_segments(const char *token, size_t len, size_t *dot1, size_t *dot2)
{
	size_t dots = 0;
	for (size_t i = 0; i < len; i++) {
		if (token[i] != '.')
			continue;
		if (dots == 0)
			*dot1 = i;
		else if (dots == 1)
			*dot2 = i;
		dots++;
	}
	return dots == 2;
}

int jwt_parts_parse(const char *token, size_t len, struct jwt_parts *out, const char **message)
{
	size_t dot1 = 0, dot2 = 0;
	int err = RELAYD_EAUTH;

	if (!out)
		return fail(message, JWT_MSG_BAD_OPTIONS, RELAYD_EINVAL);
	memset(out, 0, sizeof(*out));
	if (!token || len == 0 || len > JWT_TOKEN_MAX || memchr(token, '\0', len))
		return fail(message, JWT_MSG_STRUCTURE, RELAYD_EAUTH);
	if (!split_segments(token, len, &dot1, &dot2))
		return fail(message, JWT_MSG_STRUCTURE, RELAYD_EAUTH);

	struct jwt_parts p = {0};
	p.header = decode_json_segment(token, dot1, &err);
	if (!p.header)
		goto failed;
	p.payload = decode_json_segment(token + dot1 + 1, dot2 - dot1 - 1, &err);
	if (!p.payload)
		goto failed;
	/* The signature is only verified later, but PyJWT's unverified decode
	 * already rejected a signature that is not base64url: same answer here. */
	size_t sig_len = 0;
	unsigned char *sig = b64url_decode(token + dot2 + 1, len - dot2 - 1, &sig_len, &err);
	if (!sig)
		goto failed;
	free(sig);
	p.token = strndup(token, len);
	if (!p.token) {
		err = RELAYD_ENOMEM;
		goto failed;
	}
	p.token_len = len;
	*out = p;
	return RELAYD_OK;

failed:
	jwt_parts_clear(&p);
	if (err == RELAYD_ENOMEM)
		return fail(message, JWT_MSG_NOMEM, RELAYD_ENOMEM);
	return fail(message, JWT_MSG_STRUCTURE, RELAYD_EAUTH);
}

static const char *object_string(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

const char *jwt_parts_alg(const struct jwt_parts *parts)
{
	return parts ? object_string(parts->header, "alg") : NULL;
}

const char *jwt_parts_kid(const struct jwt_parts *parts)
{
	return parts ? object_string(parts->header, "kid") : NULL;
}

json_t *jwt_parts_claim(const struct jwt_parts *parts, const char *name)
{
	if (!parts || !name)
		return NULL;
	return json_object_get(parts->payload, name);
}

/* Python truthiness of a JSON value, for the reference's `assert jwks_host`. */
static bool json_truthy(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
	case JSON_FALSE:
		return false;
	case JSON_STRING:
		return json_string_length(v) > 0;
	case JSON_INTEGER:
		return json_integer_value(v) != 0;
	case JSON_REAL:
		return json_real_value(v) != 0.0;
	case JSON_ARRAY:
		return json_array_size(v) > 0;
	case JSON_OBJECT:
		return json_object_size(v) > 0;
	default:
		return true;
	}
}

const char *jwt_jwks_host(const struct jwt_parts *parts, const char **message)
{
	json_t *v = jwt_parts_claim(parts, "jwks_host");
	if (!v || !json_truthy(v)) {
		fail(message, JWT_MSG_JWKS_HOST_MISSING, RELAYD_EAUTH);
		return NULL;
	}
	const char *host = json_string_value(v);
	/* A number or list became a bogus URL in the reference: a failed fetch. */
	if (!host || strlen(host) != json_string_length(v)) {
		fail(message, JWT_MSG_WRONG_JWKS_HOST, RELAYD_EAUTH);
		return NULL;
	}
	return host;
}

/* ------------------------------------------------------------------------- */
/* jwks_host allow-list                                                      */

struct host_port {
	const char *name;
	size_t name_len;
	long port;
};

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.';
}

static bool is_ipv6_char(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') ||
	       c == ':' || c == '.';
}

/* ":port" in 1..65535 written canonically (no sign, no leading zero), or "" (443). */
static bool parse_port(const char *s, long *port)
{
	if (*s == '\0') {
		*port = 443;
		return true;
	}
	if (*s != ':' || s[1] < '1' || s[1] > '9')
		return false;
	long v = 0;
	size_t digits = 0;
	for (s++; *s; s++, digits++) {
		if (*s < '0' || *s > '9' || digits >= 5)
			return false;
		v = v * 10 + (*s - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*port = v;
	return true;
}

/* Splits "name[:port]" or "[v6][:port]"; false for anything that is not one. */
static bool parse_host_port(const char *s, struct host_port *hp)
{
	const char *end;

	if (!s || !*s)
		return false;
	if (*s == '[') {
		end = strchr(s, ']');
		if (!end || end == s + 1)
			return false;
		for (const char *p = s + 1; p < end; p++)
			if (!is_ipv6_char(*p))
				return false;
		hp->name = s;
		hp->name_len = (size_t)(end + 1 - s);
		return parse_port(end + 1, &hp->port);
	}
	end = s;
	while (*end && *end != ':') {
		if (!is_name_char(*end))
			return false;
		end++;
	}
	size_t n = (size_t)(end - s);
	/* No empty labels at either end: "visibility.amp.cisco.com." would be a
	 * different string naming the same host. */
	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return false;
	hp->name = s;
	hp->name_len = n;
	return parse_port(end, &hp->port);
}

bool jwks_host_allowed(const char *host, const char *const *allowed, size_t n)
{
	struct host_port want;

	if (!parse_host_port(host, &want) || !allowed)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct host_port ok;
		if (!parse_host_port(allowed[i], &ok))
			continue;
		if (ok.port == want.port && ok.name_len == want.name_len &&
		    strncasecmp(ok.name, want.name, want.name_len) == 0)
			return true;
	}
	return false;
}

/* ------------------------------------------------------------------------- */
/* JWKS                                                                      */

struct jwk_set {
	atomic_int refs;
	size_t count;
	struct jwk keys[];
};

static void jwk_clear(struct jwk *k)
{
	free(k->kid);
	EVP_PKEY_free(k->pkey);
	free(k->pem);
	memset(k, 0, sizeof(*k));
}

/* Decodes a base64url big-endian integer member of a JWK into a BIGNUM. */
static BIGNUM *jwk_bignum(const json_t *jwk, const char *name, int *err)
{
	const char *s = object_string(jwk, name);
	*err = RELAYD_EAUTH;
	if (!s || !*s)
		return NULL;
	size_t n = 0;
	/* Nothing usable is longer than an 8192-bit modulus; don't decode more. */
	if (strlen(s) > (JWK_RSA_MAX_BITS / 8 + 1) * 4 / 3 + 4)
		return NULL;
	unsigned char *raw = b64url_decode(s, strlen(s), &n, err);
	if (!raw)
		return NULL;
	BIGNUM *bn = n > 0 ? BN_bin2bn(raw, (int)n, NULL) : NULL;
	free(raw);
	if (!bn && n > 0)
		*err = RELAYD_ENOMEM;
	else if (!bn)
		*err = RELAYD_EAUTH;
	return bn;
}

static EVP_PKEY *rsa_public_key(const BIGNUM *n, const BIGNUM *e)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (!bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		goto done;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		pkey = NULL;
done:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

static char *public_key_pem(EVP_PKEY *pkey, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL;
	char *data = NULL;

	if (bio && PEM_write_bio_PUBKEY(bio, pkey) == 1) {
		long n = BIO_get_mem_data(bio, &data);
		if (n > 0 && data) {
			pem = strndup(data, (size_t)n);
			if (pem)
				*len = (size_t)n;
		}
	}
	BIO_free(bio);
	return pem;
}

/*
 * Imports one RSA JWK into @p k. Returns RELAYD_OK, RELAYD_ENOTFOUND when the
 * entry is to be skipped (not RSA, bad or weak n/e), or RELAYD_ENOMEM.
 */
static int jwk_import_rsa(const json_t *jwk, const char *kid, struct jwk *k)
{
	const char *kty = object_string(jwk, "kty");
	int err = RELAYD_OK;
	int rc = RELAYD_ENOTFOUND;

	if (!kty || strcmp(kty, "RSA") != 0)
		return RELAYD_ENOTFOUND;
	BIGNUM *n = jwk_bignum(jwk, "n", &err);
	BIGNUM *e = n ? jwk_bignum(jwk, "e", &err) : NULL;
	if (!n || !e) {
		rc = err == RELAYD_ENOMEM ? RELAYD_ENOMEM : RELAYD_ENOTFOUND;
		goto done;
	}
	/* An even or 1-bit exponent is no RSA key; e over 64 bits is refused by
	 * OpenSSL for large moduli anyway. */
	if (BN_num_bits(n) < JWK_RSA_MIN_BITS || BN_num_bits(n) > JWK_RSA_MAX_BITS ||
	    !BN_is_odd(e) || BN_num_bits(e) < 2 || BN_num_bits(e) > 64)
		goto done;
	k->pkey = rsa_public_key(n, e);
	if (!k->pkey)
		goto done;
	k->pem = public_key_pem(k->pkey, &k->pem_len);
	k->kid = strdup(kid);
	if (!k->pem || !k->kid) {
		jwk_clear(k);
		rc = RELAYD_ENOMEM;
		goto done;
	}
	rc = RELAYD_OK;
done:
	BN_free(n);
	BN_free(e);
	return rc;
}

int jwk_set_parse(const char *body, size_t len, struct jwk_set **out, const char **message)
{
	json_error_t jerr;

	if (!out)
		return fail(message, JWT_MSG_BAD_OPTIONS, RELAYD_EINVAL);
	*out = NULL;
	json_t *doc = body ? relayd_json_loadb(body, len, JSON_DECODE_ANY, &jerr) : NULL;
	if (!doc)
		return fail(message, JWT_MSG_WRONG_JWKS_HOST, RELAYD_EUPSTREAM);
	json_t *keys = json_object_get(doc, "keys");
	if (!json_is_object(doc) || !json_is_array(keys)) {
		json_decref(doc);
		return fail(message, JWT_MSG_PAYLOAD_STRUCTURE, RELAYD_EAUTH);
	}
	/* Every entry needs a string kid, even the ones skipped later: the
	 * reference read jwk['kid'] before looking at the key type. */
	size_t total = json_array_size(keys);
	for (size_t i = 0; i < total; i++) {
		json_t *jwk = json_array_get(keys, i);
		if (!json_is_object(jwk) || !object_string(jwk, "kid")) {
			json_decref(doc);
			return fail(message, JWT_MSG_PAYLOAD_STRUCTURE, RELAYD_EAUTH);
		}
	}
	struct jwk_set *set = calloc(1, sizeof(*set) + total * sizeof(set->keys[0]));
	if (!set) {
		json_decref(doc);
		return fail(message, JWT_MSG_NOMEM, RELAYD_ENOMEM);
	}
	atomic_init(&set->refs, 1);
	for (size_t i = 0; i < total; i++) {
		json_t *jwk = json_array_get(keys, i);
		int rc = jwk_import_rsa(jwk, object_string(jwk, "kid"), &set->keys[set->count]);
		if (rc == RELAYD_OK)
			set->count++;
		else if (rc == RELAYD_ENOMEM) {
			json_decref(doc);
			jwk_set_unref(set);
			return fail(message, JWT_MSG_NOMEM, RELAYD_ENOMEM);
		}
	}
	json_decref(doc);
	*out = set;
	return RELAYD_OK;
}

struct jwk_set *jwk_set_ref(struct jwk_set *set)
{
	if (set)
		atomic_fetch_add_explicit(&set->refs, 1, memory_order_relaxed);
	return set;
}

void jwk_set_unref(struct jwk_set *set)
{
	if (!set || atomic_fetch_sub_explicit(&set->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (size_t i = 0; i < set->count; i++)
		jwk_clear(&set->keys[i]);
	free(set);
}

size_t jwk_set_count(const struct jwk_set *set)
{
	return set ? set->count : 0;
}

const struct jwk *jwk_set_find(const struct jwk_set *set, const char *kid)
{
	if (!set || !kid)
		return NULL;
	/* From the end: a repeated kid means the later entry, as in the
	 * reference's dict. */
	for (size_t i = set->count; i > 0; i--)
		if (strcmp(set->keys[i - 1].kid, kid) == 0)
			return &set->keys[i - 1];
	return NULL;
}

/* ------------------------------------------------------------------------- */
/* Verification                                                              */

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_sub_overflow(a, b, &r))
		return b < 0 ? INT64_MAX : INT64_MIN;
	return r;
}

/* A NumericDate as PyJWT's int() reads it: reals truncate toward zero. */
static bool numeric_date(const json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d >= 9.2e18)
			*out = INT64_MAX;
		else if (d <= -9.2e18)
			*out = INT64_MIN;
		else
			*out = (int64_t)d;
		return true;
	}
	return false;
}

/* PyJWT's order: nbf, then exp. */
static int check_times(const json_t *claims, const struct jwt_verify_opts *opts,
                       const char **message)
{
	int64_t leeway = opts->leeway > 0 ? opts->leeway : 0;
	int64_t t;
	json_t *nbf = json_object_get(claims, "nbf");
	json_t *exp = json_object_get(claims, "exp");

	if (nbf) {
		if (!numeric_date(nbf, &t))
			return fail(message, JWT_MSG_STRUCTURE, RELAYD_EAUTH);
		if (t > sat_add(opts->now, leeway))
			return fail(message, JWT_MSG_NOT_YET_VALID, RELAYD_EAUTH);
	}
	if (exp) {
		if (!numeric_date(exp, &t))
			return fail(message, JWT_MSG_STRUCTURE, RELAYD_EAUTH);
		if (t <= sat_sub(opts->now, leeway))
			return fail(message, JWT_MSG_EXPIRED, RELAYD_EAUTH);
	}
	return RELAYD_OK;
}

/* PyJWT's _validate_aud: a string, or a list of strings only, containing it. */
static int check_audience(const json_t *claims, const char *audience, const char **message)
{
	json_t *aud = json_object_get(claims, "aud");

	if (json_is_string(aud)) {
		if (strcmp(json_string_value(aud), audience) == 0 &&
		    json_string_length(aud) == strlen(audience))
			return RELAYD_OK;
		return fail(message, JWT_MSG_WRONG_AUDIENCE, RELAYD_EAUTH);
	}
	if (!json_is_array(aud))
		return fail(message, JWT_MSG_WRONG_AUDIENCE, RELAYD_EAUTH);
	bool found = false;
	size_t i;
	json_t *item;
	json_array_foreach(aud, i, item) {
		if (!json_is_string(item))
			return fail(message, JWT_MSG_WRONG_AUDIENCE, RELAYD_EAUTH);
		if (json_string_length(item) == strlen(audience) &&
		    strcmp(json_string_value(item), audience) == 0)
			found = true;
	}
	return found ? RELAYD_OK : fail(message, JWT_MSG_WRONG_AUDIENCE, RELAYD_EAUTH);
}

/*
 * libjwt 1.10.2 takes the algorithm from the token header; the caller has
 * already required the expected one, and the result is checked once more so
 * a disagreement between the two header parsers can never slip through.
 */
static int libjwt_verify(const char *token, const unsigned char *key, size_t key_len,
                         jwt_alg_t expected)
{
	jwt_t *jwt = NULL;

	if (key_len == 0 || key_len > INT_MAX)
		return RELAYD_EAUTH;
	int rc = jwt_decode(&jwt, token, key, (int)key_len);
	if (rc != 0 || !jwt) {
		jwt_free(jwt);
		return rc == ENOMEM ? RELAYD_ENOMEM : RELAYD_EAUTH;
	}
	jwt_alg_t alg = jwt_get_alg(jwt);
	jwt_free(jwt);
	return alg == expected ? RELAYD_OK : RELAYD_EAUTH;
}

/* Steps 1-4 of RS256: kid, key, algorithm, signature. */
static int verify_rs256_signature(const struct jwt_parts *parts, const struct jwk_set *set,
                                  const char **message)
{
	const char *kid = jwt_parts_kid(parts);
	if (!kid)
		return fail(message, JWT_MSG_PAYLOAD_STRUCTURE, RELAYD_EAUTH);
	const struct jwk *key = jwk_set_find(set, kid);
	if (!key)
		return fail(message, JWT_MSG_KID_NOT_FOUND, RELAYD_ENOTFOUND);
	const char *alg = jwt_parts_alg(parts);
	if (!alg || strcmp(alg, "RS256") != 0)
		return fail(message, JWT_MSG_WRONG_KEY, RELAYD_EAUTH);
	int rc = libjwt_verify(parts->token, (const unsigned char *)key->pem, key->pem_len,
	                       JWT_ALG_RS256);
	if (rc == RELAYD_ENOMEM)
		return fail(message, JWT_MSG_NOMEM, rc);
	if (rc != RELAYD_OK)
		return fail(message, JWT_MSG_WRONG_KEY, RELAYD_EAUTH);
	return RELAYD_OK;
}

static int verify_hs256_signature(const struct jwt_parts *parts,
                                  const struct jwt_verify_opts *opts, const char **message)
{
	if (!opts->secret || opts->secret_len == 0)
		return fail(message, JWT_MSG_SECRET_MISSING, RELAYD_EINVAL);
	const char *alg = jwt_parts_alg(parts);
	if (!alg || strcmp(alg, "HS256") != 0)
		return fail(message, JWT_MSG_WRONG_SECRET, RELAYD_EAUTH);
	int rc = libjwt_verify(parts->token, opts->secret, opts->secret_len, JWT_ALG_HS256);
	if (rc == RELAYD_ENOMEM)
		return fail(message, JWT_MSG_NOMEM, rc);
	if (rc != RELAYD_OK)
		return fail(message, JWT_MSG_WRONG_SECRET, RELAYD_EAUTH);
	return RELAYD_OK;
}

int jwt_parts_verify(const struct jwt_parts *parts, const struct jwk_set *set,
                     const struct jwt_verify_opts *opts, json_t **claims, const char **message)
{
	int rc;

	if (!parts || !parts->token || !parts->header || !parts->payload || !opts || !claims)
		return fail(message, JWT_MSG_BAD_OPTIONS, RELAYD_EINVAL);
	switch (opts->mode) {
	case JWT_MODE_RS256:
		if (!set || !opts->audience)
			return fail(message, JWT_MSG_BAD_OPTIONS, RELAYD_EINVAL);
		rc = verify_rs256_signature(parts, set, message);
		break;
	case JWT_MODE_HS256:
		rc = verify_hs256_signature(parts, opts, message);
		break;
	default:
		return fail(message, JWT_MSG_BAD_OPTIONS, RELAYD_EINVAL);
	}
	if (rc != RELAYD_OK)
		return rc;
	rc = jwt_claims_check(parts->payload, opts, message);
	if (rc != RELAYD_OK)
		return rc;
	*claims = json_incref(parts->payload);
	return RELAYD_OK;
}

int jwt_claims_check(const json_t *claims, const struct jwt_verify_opts *opts,
                     const char **message)
{
	if (!json_is_object(claims) || !opts)
		return fail(message, JWT_MSG_BAD_OPTIONS, RELAYD_EINVAL);
	int rc = check_times(claims, opts, message);
	if (rc != RELAYD_OK)
		return rc;
	if (opts->audience) {
		rc = check_audience(claims, opts->audience, message);
		if (rc != RELAYD_OK)
			return rc;
	}
	if (opts->require_key && !json_is_string(json_object_get(claims, "key")))
		return fail(message, JWT_MSG_PAYLOAD_STRUCTURE, RELAYD_EAUTH);
	return RELAYD_OK;
}

int jwt_auth_error_text(const char *message, char *buf, size_t size)
{
	if (!buf || size == 0)
		return RELAYD_EINVAL;
	int n = snprintf(buf, size, "%s%s", JWT_MSG_PREFIX, message ? message : "");
	return n >= 0 && (size_t)n < size ? RELAYD_OK : RELAYD_EINVAL;
}
