/* SPDX-License-Identifier: MIT */
/* Call authentication: securex (RS256 + JWKS), secret (HS256), static. */
#include "auth.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/ctim.h>

#include "call.h"
#include "generation.h"
#include "instance.h"
#include "jwks.h"
#include "jwt.h"
#include "services.h"
#include "token_cache.h"
#include "token_memo.h"

/* The pieces of a securex check that outlive the JWKS fetch. */
struct pending {
	struct jwt_parts parts; /* decoded only when the memo had no answer */
	const char *token;      /* the bearer token (call arena on a memo hit) */
	size_t len;
	const char *host;       /* JWKS host: from parts, or the call arena */
	const char *kid;        /* may be NULL */
	json_t *memo_claims;    /* a memo hit: claims accepted under memo_epoch */
	uint64_t memo_epoch;
	auth_done_fn done;
	void *arg;
};

static void fail(struct relayd_call *c, const char *message, auth_done_fn done, void *arg)
{
	char text[JWT_AUTH_ERROR_TEXT_MAX];
	jwt_auth_error_text(message, text, sizeof(text));
	done(c, text, arg);
}

static const char *authorization_header(struct relayd_call *c)
{
	return c->req ? evhttp_find_header(evhttp_request_get_input_headers(c->req), "Authorization")
	              : NULL;
}

static int clamp_of(const struct relayd_call *c)
{
	return c->pi->entities_clamp;
}

/* Claims in hand: the key, the entities limit, then the plugin. Only SecureX
 * tokens carry the limit; the HS256 reference read it from its environment
 * (here: entities_limit), never from the token (DECISIONS.md §3). */
static void accept_claims(struct relayd_call *c, json_t *claims, auth_done_fn done, void *arg)
{
	c->claims = claims;
	json_t *key = json_object_get(claims, "key");
	c->api_key = json_is_string(key) ? json_string_value(key) : NULL;
	const json_t *limit = c->pi->section->auth == CONF_AUTH_SECUREX
	                          ? json_object_get(claims, "CTR_ENTITIES_LIMIT")
	                          : NULL;
	c->entities_limit = ctim_entities_limit(limit, (int)c->pi->section->entities_limit,
	                                        clamp_of(c));
	done(c, NULL, arg);
}

static struct jwt_verify_opts verify_opts(struct relayd_call *c, enum jwt_mode mode)
{
	const struct conf_plugin *s = c->pi->section;
	struct jwt_verify_opts o = {
		.mode = mode,
		.audience = mode == JWT_MODE_RS256 ? c->pi->expected_aud : NULL,
		.secret = (const unsigned char *)s->secret,
		.secret_len = s->secret ? strlen(s->secret) : 0,
		.now = services_now_ms() / 1000,
		.leeway = c->gen->conf->jwt_leeway_s,
		.require_key = true,
	};
	return o;
}

/* ---- securex --------------------------------------------------------- */

/* Verifies with the key set; a token verified before under the same set
 * only has its claims re-checked (times, audience, key). */
static json_t *verify_rs256(struct relayd_call *c, struct pending *p, const struct jwk_set *set,
                            uint64_t epoch, const char **message)
{
	/* A memo hit from before a key rotation: decode the token after all. */
	if (!p->parts.token && jwt_parts_parse(p->token, p->len, &p->parts, message) != 0)
		return NULL;
	struct jwt_verify_opts o = verify_opts(c, JWT_MODE_RS256);
	json_t *claims = token_cache_get(p->parts.token, p->parts.token_len, epoch);
	if (claims) {
		if (jwt_claims_check(claims, &o, message) != 0) {
			json_decref(claims);
			return NULL;
		}
	} else {
		if (jwt_parts_verify(&p->parts, set, &o, &claims, message) != 0)
			return NULL;
		token_cache_put(p->parts.token, p->parts.token_len, epoch, claims);
	}
	token_memo_put(p->parts.token, p->parts.token_len, p->host, p->kid, epoch, claims,
	               services_now_ms());
	return claims;
}

/* The memo's claims, accepted under this very key set: only the checks that
 * depend on the clock and the config run again. */
static json_t *recheck_memo(struct relayd_call *c, struct pending *p, const char **message)
{
	struct jwt_verify_opts o = verify_opts(c, JWT_MODE_RS256);
	json_t *claims = p->memo_claims;
	p->memo_claims = NULL;
	if (jwt_claims_check(claims, &o, message) == 0)
		return claims;
	json_decref(claims);
	return NULL;
}

static void on_keys(struct relayd_call *c, const struct jwk_set *set, uint64_t epoch,
                    const char *error, void *arg)
{
	struct pending *p = arg;
	json_t *claims = NULL;
	const char *message = error;
	if (set && p->memo_claims && p->memo_epoch == epoch)
		claims = recheck_memo(c, p, &message);
	else if (set)
		claims = verify_rs256(c, p, set, epoch, &message);
	json_decref(p->memo_claims);
	p->memo_claims = NULL;
	jwt_parts_clear(&p->parts);
	if (claims)
		accept_claims(c, claims, p->done, p->arg);
	else
		fail(c, message, p->done, p->arg);
}

/* A token this thread accepted before: its host and kid without decoding
 * it. Copies go to the call's arena, since a JWKS fetch may come between. */
static bool from_memo(struct relayd_call *c, struct pending *p)
{
	struct token_memo_hit hit;
	if (!token_memo_get(p->token, p->len, services_now_ms(), &hit))
		return false;
	char *token = arena_alloc(&c->arena, p->len + 1);
	char *host = arena_strdup(&c->arena, hit.host);
	char *kid = hit.kid ? arena_strdup(&c->arena, hit.kid) : NULL;
	if (!token || !host || (hit.kid && !kid)) {
		json_decref(hit.claims); /* out of memory: decode it as usual */
		return false;
	}
	memcpy(token, p->token, p->len);
	token[p->len] = '\0';
	p->token = token;
	p->host = host;
	p->kid = kid;
	p->memo_claims = hit.claims;
	p->memo_epoch = hit.epoch;
	return true;
}

/* Decodes the token for its JWKS host and kid; NULL host with *message. */
static void from_token(struct pending *p, const char **message)
{
	if (jwt_parts_parse(p->token, p->len, &p->parts, message) != 0)
		return;
	p->host = jwt_jwks_host(&p->parts, message);
	p->kid = jwt_parts_kid(&p->parts);
}

static void auth_securex(struct relayd_call *c, const char *token, size_t len, auth_done_fn done,
                         void *arg)
{
	struct pending *p = arena_alloc(&c->arena, sizeof(*p));
	const char *message = NULL;
	if (!p) {
		fail(c, JWT_MSG_NOMEM, done, arg);
		return;
	}
	*p = (struct pending){.token = token, .len = len, .done = done, .arg = arg};
	if (!from_memo(c, p))
		from_token(p, &message);
	const struct conf *conf = c->gen->conf;
	if (p->host && !jwks_host_allowed(p->host, (const char *const *)conf->jwks_allowed_hosts,
	                                  conf->n_jwks_allowed_hosts)) {
		p->host = NULL; /* never fetch from a host an unverified token names */
		message = JWT_MSG_WRONG_JWKS_HOST;
	}
	if (!p->host) {
		json_decref(p->memo_claims);
		jwt_parts_clear(&p->parts);
		fail(c, message, done, arg);
		return;
	}
	jwks_get(c, p->host, p->kid, on_keys, p);
}

/* ---- secret and static ----------------------------------------------- */

static void auth_secret(struct relayd_call *c, const char *token, size_t len, auth_done_fn done,
                        void *arg)
{
	struct jwt_parts parts;
	const char *message = NULL;
	json_t *claims = NULL;
	if (jwt_parts_parse(token, len, &parts, &message) != 0) {
		fail(c, message, done, arg);
		return;
	}
	struct jwt_verify_opts o = verify_opts(c, JWT_MODE_HS256);
	int rc = jwt_parts_verify(&parts, NULL, &o, &claims, &message);
	jwt_parts_clear(&parts);
	if (rc != 0)
		fail(c, message, done, arg);
	else
		accept_claims(c, claims, done, arg);
}

static bool tokens_equal(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);
	/* Length is not secret; the bytes are compared in constant time. */
	return alen == blen && CRYPTO_memcmp(a, b, alen) == 0;
}

static void auth_static(struct relayd_call *c, auth_done_fn done, void *arg)
{
	const struct conf_plugin *s = c->pi->section;
	if (s->client_token && *s->client_token) {
		const char *token = NULL, *message = NULL;
		size_t len = 0;
		if (auth_bearer_token(authorization_header(c), &token, &len, &message) != 0) {
			fail(c, message, done, arg);
			return;
		}
		if (!tokens_equal(token, len, s->client_token)) {
			fail(c, JWT_MSG_WRONG_SECRET, done, arg);
			return;
		}
	}
	c->api_key = s->api_key;
	c->entities_limit = ctim_entities_limit(NULL, (int)s->entities_limit, clamp_of(c));
	done(c, NULL, arg);
}

void auth_call(struct relayd_call *c, auth_done_fn done, void *arg)
{
	const struct conf_plugin *s = c->pi->section;
	if (s->auth == CONF_AUTH_STATIC) {
		auth_static(c, done, arg);
		return;
	}
	const char *token = NULL, *message = NULL;
	size_t len = 0;
	if (auth_bearer_token(authorization_header(c), &token, &len, &message) != 0) {
		fail(c, message, done, arg);
		return;
	}
	if (s->auth == CONF_AUTH_SECRET)
		auth_secret(c, token, len, done, arg);
	else
		auth_securex(c, token, len, done, arg);
}
