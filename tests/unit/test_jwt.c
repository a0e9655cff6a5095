/* SPDX-License-Identifier: MIT */
/* Unit tests for host/src/jwt.c: bearer header, JWT parsing, JWKS import, RS256/HS256 verification, messages. */

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/pem.h>

#include <relayd/status.h>

#include "jwt.h"
#include "jwt_mint.h"

#define AUDIENCE "http://localhost"
#define NOW 1700000000
#define LEEWAY 60
#define SECRET "a-shared-secret-of-32-bytes-long!"

static const char *const allowed_hosts[] = {
	"visibility.amp.cisco.com",
	"visibility.eu.amp.cisco.com",
	"visibility.apjc.amp.cisco.com",
};

/* The JWKS the tests' "SecureX" serves: the default key only. */
static char *default_jwks;

static const char *fixtures_dir(void)
{
	const char *dir = getenv("FIXTURES_DIR");
	ck_assert_msg(dir && *dir, "FIXTURES_DIR is not set");
	return dir;
}

static json_t *load_fixture(const char *rel)
{
	char path[4096];
	json_error_t err;
	snprintf(path, sizeof(path), "%s/%s", fixtures_dir(), rel);
	json_t *doc = json_load_file(path, JSON_PRESERVE_ORDER, &err);
	ck_assert_msg(doc != NULL, "%s: %s", path, err.text);
	return doc;
}

/* jwt_valid.json's payload: key, jwks_host, aud = http://localhost. */
static json_t *valid_claims(void)
{
	json_t *doc = load_fixture("pulsedive/jwt_valid.json");
	json_t *payload = json_deep_copy(json_object_get(doc, "payload"));
	json_decref(doc);
	ck_assert_ptr_nonnull(payload);
	return payload;
}

static json_t *claims_with(const char *drop, const char *add_json)
{
	json_t *claims = valid_claims();
	if (drop)
		json_object_del(claims, drop);
	if (add_json) {
		json_error_t err;
		json_t *add = json_loads(add_json, 0, &err);
		ck_assert_msg(add != NULL, "bad test JSON %s", add_json);
		json_object_update(claims, add);
		json_decref(add);
	}
	return claims;
}

static struct jwk_set *default_set(void)
{
	struct jwk_set *set = NULL;
	const char *msg = NULL;
	ck_assert_int_eq(jwk_set_parse(default_jwks, strlen(default_jwks), &set, &msg), 0);
	ck_assert_ptr_nonnull(set);
	return set;
}

static struct jwt_verify_opts rs256_opts(void)
{
	struct jwt_verify_opts o = {
		.mode = JWT_MODE_RS256,
		.audience = AUDIENCE,
		.now = NOW,
		.leeway = LEEWAY,
		.require_key = true,
	};
	return o;
}

static struct jwt_verify_opts hs256_opts(void)
{
	struct jwt_verify_opts o = {
		.mode = JWT_MODE_HS256,
		.secret = (const unsigned char *)SECRET,
		.secret_len = strlen(SECRET),
		.now = NOW,
		.leeway = LEEWAY,
		.require_key = true,
	};
	return o;
}

/* Token with an explicit header, signed as @p signer says. */
static char *mint_with_header(const char *header_json, const json_t *claims,
                              struct jwt_mint_signer signer)
{
	json_error_t err;
	json_t *header = json_loads(header_json, JSON_PRESERVE_ORDER, &err);
	ck_assert_msg(header != NULL, "bad header JSON %s", header_json);
	char *token = jwt_mint_token(header, claims, &signer);
	json_decref(header);
	ck_assert_ptr_nonnull(token);
	return token;
}

static struct jwt_mint_signer rs256_signer(const struct jwt_mint_key *key)
{
	struct jwt_mint_signer s = {.sig = JWT_MINT_SIG_RS256, .rsa = key};
	return s;
}

static struct jwt_mint_signer hs256_signer(const void *secret, size_t len)
{
	struct jwt_mint_signer s = {.sig = JWT_MINT_SIG_HS256, .secret = secret, .secret_len = len};
	return s;
}

/* Parses and verifies @p token; returns the message, or NULL on success. */
static const char *verify_token(const char *token, const struct jwk_set *set,
                                const struct jwt_verify_opts *opts, int *status, json_t **claims)
{
	struct jwt_parts parts;
	const char *msg = NULL;
	json_t *out = NULL;
	int rc = jwt_parts_parse(token, strlen(token), &parts, &msg);
	if (rc == 0) {
		rc = jwt_parts_verify(&parts, set, opts, &out, &msg);
		jwt_parts_clear(&parts);
	}
	if (status)
		*status = rc;
	if (claims)
		*claims = out;
	else
		json_decref(out);
	if (rc == 0) {
		ck_assert_ptr_nonnull(out);
		return NULL;
	}
	ck_assert_ptr_null(out);
	ck_assert_ptr_nonnull(msg);
	return msg;
}

/* Names the table row being checked in expect_verify()'s failure messages. */
static char row_label[64];

static void expect_verify(const char *token, const struct jwt_verify_opts *opts,
                          const char *expected)
{
	struct jwk_set *set = default_set();
	const char *msg = verify_token(token, set, opts, NULL, NULL);
	if (expected)
		ck_assert_msg(msg && strcmp(msg, expected) == 0, "%s: got '%s', want '%s'", row_label,
		              msg ? msg : "(success)", expected);
	else
		ck_assert_msg(msg == NULL, "%s: got '%s', want success", row_label, msg);
	jwk_set_unref(set);
}

/* ------------------------------------------------------------------------- */
/* The host's pipeline, as jwks.c will run it, with the JWKS fetch simulated. */

enum jwks_answer { JWKS_DEFAULT, JWKS_FETCH_FAILS, JWKS_NOT_JSON };

static const char *run_pipeline(const char *authorization, enum jwks_answer jwks,
                                json_t **claims_out)
{
	const char *token = NULL;
	size_t token_len = 0;
	const char *msg = NULL;
	struct jwt_parts parts;
	struct jwk_set *set = NULL;
	json_t *claims = NULL;

	if (auth_bearer_token(authorization, &token, &token_len, &msg) != 0)
		return msg;
	if (jwt_parts_parse(token, token_len, &parts, &msg) != 0)
		return msg;
	const char *host = jwt_jwks_host(&parts, &msg);
	if (!host)
		goto done;
	if (!jwks_host_allowed(host, allowed_hosts, 3)) {
		msg = "Wrong jwks_host in JWT payload. Make sure domain follows the "
		      "visibility.<region>.cisco.com structure";
		goto done;
	}
	const char *body = jwks == JWKS_NOT_JSON ? "<html>not json</html>" : default_jwks;
	if (jwks == JWKS_FETCH_FAILS) {
		/* jwks.c answers transport failures and HTTP >= 400 with this text. */
		msg = JWT_MSG_WRONG_JWKS_HOST;
		goto done;
	}
	if (jwk_set_parse(body, strlen(body), &set, &msg) != 0)
		goto done;
	struct jwt_verify_opts opts = rs256_opts();
	if (jwt_parts_verify(&parts, set, &opts, &claims, &msg) == 0)
		msg = NULL;
done:
	jwk_set_unref(set);
	jwt_parts_clear(&parts);
	if (claims_out)
		*claims_out = claims;
	else
		json_decref(claims);
	return msg;
}

enum tok {
	TOK_LITERAL,     /* .literal is the Authorization value (NULL: no header) */
	TOK_RS256,       /* default key, header kid = its kid */
	TOK_OTHER_KEY,   /* header kid = default kid, signed by another RSA key */
	TOK_NO_KID,      /* RS256, header without kid */
	TOK_UNKNOWN_KID, /* RS256 by the default key, kid not in the JWKS */
	TOK_HS256,       /* header alg HS256 with the default kid, HMAC-signed */
};

/* One row of pulsedive/expected_auth_errors_derived.json. */
struct auth_row {
	const char *fixture_case;
	enum tok tok;
	const char *literal;
	const char *drop_claim;
	const char *add_claims;
	enum jwks_answer jwks;
	const char *expect;   /* message after the prefix; NULL = success */
	bool from_contract;   /* expect is contracts/securex-relay.md §3.4's, not the fixture's */
};

static const struct auth_row auth_rows[] = {
	{"Authorization header absent", TOK_LITERAL, NULL, NULL, NULL, JWKS_DEFAULT,
	 "Authorization header is missing", false},
	{"Authorization: \"Basic abc\" (scheme is not bearer, case-insensitive compare)",
	 TOK_LITERAL, "Basic abc", NULL, NULL, JWKS_DEFAULT, "Wrong authorization type", false},
	{"Authorization: \"Bearer\" (one word only) -- unhandled in reference", TOK_LITERAL,
	 "Bearer", NULL, NULL, JWKS_DEFAULT, "Wrong authorization type", true},
	{"Authorization: \"Bearer a b\" (three words) -- unhandled in reference", TOK_LITERAL,
	 "Bearer a b", NULL, NULL, JWKS_DEFAULT, "Wrong JWT structure", true},
	{"token is not a JWT (\"abc\")", TOK_LITERAL, "Bearer abc", NULL, NULL, JWKS_DEFAULT,
	 "Wrong JWT structure", false},
	{"claims lack jwks_host", TOK_RS256, NULL, "jwks_host", NULL, JWKS_DEFAULT,
	 "jwks_host is missing in JWT payload. Make sure custom_jwks_host field is present in "
	 "module_type",
	 false},
	{"JWKS fetch: connection error", TOK_RS256, NULL, NULL, NULL, JWKS_FETCH_FAILS,
	 "Wrong jwks_host in JWT payload. Make sure domain follows the "
	 "visibility.<region>.cisco.com structure",
	 false},
	{"JWKS fetch: HTTP error status", TOK_RS256, NULL, NULL, NULL, JWKS_FETCH_FAILS,
	 "Wrong jwks_host in JWT payload. Make sure domain follows the "
	 "visibility.<region>.cisco.com structure",
	 false},
	{"JWKS fetch: body is not JSON", TOK_RS256, NULL, NULL, NULL, JWKS_NOT_JSON,
	 "Wrong jwks_host in JWT payload. Make sure domain follows the "
	 "visibility.<region>.cisco.com structure",
	 false},
	{"JWT header has no kid", TOK_NO_KID, NULL, NULL, NULL, JWKS_DEFAULT,
	 "Wrong JWT payload structure", false},
	{"kid not present in JWKS", TOK_UNKNOWN_KID, NULL, NULL, NULL, JWKS_DEFAULT,
	 "kid from JWT header not found in API response", false},
	{"signed with another RSA key", TOK_OTHER_KEY, NULL, NULL, NULL, JWKS_DEFAULT,
	 "Failed to decode JWT with provided key. Make sure domain in custom_jwks_host "
	 "corresponds to your SecureX instance region.",
	 false},
	{"aud differs from relay base URL", TOK_RS256, NULL, NULL, "{\"aud\":\"http://other\"}",
	 JWKS_DEFAULT, "Wrong configuration-token-audience", false},
	{"aud claim missing -- unhandled in reference", TOK_RS256, NULL, "aud", NULL, JWKS_DEFAULT,
	 "Wrong configuration-token-audience", true},
	{"exp in the past -- unhandled in reference", TOK_RS256, NULL, NULL, "{\"exp\":1000}",
	 JWKS_DEFAULT, "Token has expired", true},
	{"HS256-signed token -- unhandled in reference", TOK_HS256, NULL, NULL, NULL, JWKS_DEFAULT,
	 "Failed to decode JWT with provided key. Make sure domain in custom_jwks_host "
	 "corresponds to your SecureX instance region.",
	 true},
	{"claims lack key", TOK_RS256, NULL, "key", NULL, JWKS_DEFAULT, "Wrong JWT payload structure",
	 false},
	{"CTR_ENTITIES_LIMIT claim is null (TypeError mapped to the kid message)", TOK_RS256, NULL,
	 NULL, "{\"CTR_ENTITIES_LIMIT\":null}", JWKS_DEFAULT, NULL, true},
};
#define AUTH_ROWS (sizeof(auth_rows) / sizeof(auth_rows[0]))

static char *bearer(char *token)
{
	size_t n = strlen(token) + 8;
	char *h = malloc(n);
	ck_assert_ptr_nonnull(h);
	snprintf(h, n, "Bearer %s", token);
	free(token);
	return h;
}

static char *row_authorization(const struct auth_row *row)
{
	if (row->tok == TOK_LITERAL)
		return row->literal ? strdup(row->literal) : NULL;
	json_t *claims = claims_with(row->drop_claim, row->add_claims);
	char *token = NULL;
	const struct jwt_mint_key *key = jwt_mint_default_key();
	switch (row->tok) {
	case TOK_RS256:
		token = jwt_mint_rs256(key, claims);
		break;
	case TOK_OTHER_KEY:
		token = mint_with_header("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"" JWT_MINT_DEFAULT_KID
		                         "\"}",
		                         claims, rs256_signer(jwt_mint_other_key()));
		break;
	case TOK_NO_KID:
		token = mint_with_header("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", claims, rs256_signer(key));
		break;
	case TOK_UNKNOWN_KID:
		token = mint_with_header("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"unknown-kid\"}",
		                         claims, rs256_signer(key));
		break;
	case TOK_HS256:
		token = mint_with_header("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"" JWT_MINT_DEFAULT_KID
		                         "\"}",
		                         claims, hs256_signer(SECRET, strlen(SECRET)));
		break;
	case TOK_LITERAL:
		break;
	}
	json_decref(claims);
	ck_assert_ptr_nonnull(token);
	return bearer(token);
}

static json_t *fixture_row(json_t *rows, const char *name)
{
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		if (strcmp(json_string_value(json_object_get(row, "case")), name) == 0)
			return row;
	}
	return NULL;
}

START_TEST(test_derived_fixture_row)
{
	const struct auth_row *row = &auth_rows[_i];
	json_t *rows = load_fixture("pulsedive/expected_auth_errors_derived.json");
	json_t *fx = fixture_row(rows, row->fixture_case);
	ck_assert_msg(fx != NULL, "fixture has no case '%s'", row->fixture_case);

	long status = json_integer_value(json_object_get(fx, "http_status"));
	json_t *err = json_array_get(json_object_get(json_object_get(fx, "body"), "errors"), 0);
	if (row->from_contract) {
		/* §3.4 overrides exactly the reference's HTTP-500 rows and the null-limit row. */
		ck_assert_msg(status == 500 || strstr(row->fixture_case, "CTR_ENTITIES_LIMIT"),
		              "row '%s' is not one §3.4 overrides", row->fixture_case);
	} else {
		char full[JWT_AUTH_ERROR_TEXT_MAX];
		ck_assert_int_eq(status, 200);
		ck_assert_str_eq(json_string_value(json_object_get(err, "code")), "authorization error");
		ck_assert_str_eq(json_string_value(json_object_get(err, "type")), "fatal");
		ck_assert_int_eq(jwt_auth_error_text(row->expect, full, sizeof(full)), 0);
		ck_assert_str_eq(json_string_value(json_object_get(err, "message")), full);
	}

	char *authorization = row_authorization(row);
	json_t *claims = NULL;
	const char *msg = run_pipeline(authorization, row->jwks, &claims);
	if (row->expect) {
		ck_assert_msg(msg != NULL, "'%s': succeeded, want '%s'", row->fixture_case, row->expect);
		ck_assert_str_eq(msg, row->expect);
		ck_assert_ptr_null(claims);
	} else {
		ck_assert_msg(msg == NULL, "'%s': got '%s'", row->fixture_case, msg);
		ck_assert_ptr_nonnull(claims);
		ck_assert(json_is_null(json_object_get(claims, "CTR_ENTITIES_LIMIT")));
	}
	json_decref(claims);
	free(authorization);
	json_decref(rows);
}
END_TEST

START_TEST(test_derived_fixture_fully_covered)
{
	json_t *rows = load_fixture("pulsedive/expected_auth_errors_derived.json");
	size_t i;
	json_t *fx;
	ck_assert_int_eq(json_array_size(rows), AUTH_ROWS);
	json_array_foreach(rows, i, fx) {
		const char *name = json_string_value(json_object_get(fx, "case"));
		bool found = false;
		for (size_t j = 0; j < AUTH_ROWS; j++)
			found = found || strcmp(auth_rows[j].fixture_case, name) == 0;
		ck_assert_msg(found, "no test row for fixture case '%s'", name);
	}
	json_decref(rows);
}
END_TEST

/* SpyCloud and Gigamon carry the same texts; every one must be one of ours. */
START_TEST(test_other_relays_messages)
{
	static const char *const files[] = {"spycloud/expected_auth_errors.json",
	                                    "gigamon/expected_auth_errors.json"};
	static const char *const ours[] = {
		JWT_MSG_NO_HEADER,        JWT_MSG_WRONG_TYPE,         JWT_MSG_WRONG_JWKS_HOST,
		JWT_MSG_PAYLOAD_STRUCTURE, JWT_MSG_JWKS_HOST_MISSING, JWT_MSG_WRONG_KEY,
		JWT_MSG_STRUCTURE,        JWT_MSG_WRONG_AUDIENCE,     JWT_MSG_KID_NOT_FOUND,
	};
	for (size_t f = 0; f < 2; f++) {
		json_t *doc = load_fixture(files[f]);
		const char *name;
		json_t *body;
		size_t matched = 0;
		json_object_foreach(doc, name, body) {
			/* A plugin-side upstream error, not a token check. */
			if (strcmp(name, "non_latin1_api_key") == 0)
				continue;
			const char *m = json_string_value(
				json_object_get(json_array_get(json_object_get(body, "errors"), 0), "message"));
			bool found = false;
			for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++) {
				char full[JWT_AUTH_ERROR_TEXT_MAX];
				ck_assert_int_eq(jwt_auth_error_text(ours[i], full, sizeof(full)), 0);
				found = found || strcmp(full, m) == 0;
			}
			ck_assert_msg(found, "%s: '%s' is not one of jwt.h's texts", files[f], m);
			matched++;
		}
		ck_assert_uint_eq(matched, 9);
		json_decref(doc);
	}
}
END_TEST

/* ------------------------------------------------------------------------- */
/* Authorization header                                                      */

struct bearer_row {
	const char *header;
	int status;
	const char *expect; /* message, or the token on success */
};

static const struct bearer_row bearer_rows[] = {
	{NULL, RELAYD_EAUTH, "Authorization header is missing"},
	{"", RELAYD_EAUTH, "Wrong authorization type"},
	{"  \t ", RELAYD_EAUTH, "Wrong authorization type"},
	{"Basic abc", RELAYD_EAUTH, "Wrong authorization type"},
	{"Basic a b", RELAYD_EAUTH, "Wrong authorization type"},
	{"Bearerx abc", RELAYD_EAUTH, "Wrong authorization type"},
	{"Bear abc", RELAYD_EAUTH, "Wrong authorization type"},
	{"Bearer", RELAYD_EAUTH, "Wrong authorization type"},
	{"  Bearer  ", RELAYD_EAUTH, "Wrong authorization type"},
	{"Bearer a b", RELAYD_EAUTH, "Wrong JWT structure"},
	{"Bearer a b c d", RELAYD_EAUTH, "Wrong JWT structure"},
	{"Bearer abc", 0, "abc"},
	{"bearer abc", 0, "abc"},
	{"BEARER abc", 0, "abc"},
	{"bEaReR x.y.z", 0, "x.y.z"},
	{"  Bearer \t tok  \r\n", 0, "tok"},
	{"\tBearer\ttok", 0, "tok"},
};

/* Small tables loop inside one test (a fork per row is slow under ASan);
 * every assertion names its row. */
START_TEST(test_bearer)
{
	for (size_t i = 0; i < sizeof(bearer_rows) / sizeof(bearer_rows[0]); i++) {
		const struct bearer_row *row = &bearer_rows[i];
		const char *token = NULL;
		size_t len = 0;
		const char *msg = NULL;
		int rc = auth_bearer_token(row->header, &token, &len, &msg);
		ck_assert_msg(rc == row->status, "row %zu: rc %d", i, rc);
		if (rc == 0)
			ck_assert_msg(len == strlen(row->expect) && strncmp(token, row->expect, len) == 0,
			              "row %zu: token '%.*s'", i, (int)len, token);
		else
			ck_assert_msg(strcmp(msg, row->expect) == 0, "row %zu: '%s'", i, msg);
	}
}
END_TEST

/* ------------------------------------------------------------------------- */
/* Parsing without verifying                                                 */

/* base64url of {"alg":"RS256","kid":"k"} and {"a":1}. */
#define H_OK "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ"
#define P_OK "eyJhIjoxfQ"

struct parse_row {
	const char *token;
	size_t len; /* 0: strlen */
	bool ok;
};

static const struct parse_row parse_rows[] = {
	{"abc", 0, false},
	{"", 0, false},
	{"a.b", 0, false},
	{H_OK "." P_OK, 0, false},
	{H_OK "." P_OK ".c.d", 0, false},
	{"..", 0, false},
	{H_OK ".." , 0, false},          /* empty payload */
	{"." P_OK ".", 0, false},         /* empty header */
	{"bm90IGpzb24." P_OK ".", 0, false}, /* header "not json" */
	{"WzFd." P_OK ".", 0, false},     /* header [1] */
	{H_OK ".Ingi.", 0, false},         /* payload "x" (a JSON string) */
	{H_OK ".WzFd.", 0, false},         /* payload [1] */
	{H_OK "." P_OK "+.", 0, false},     /* '+' is not base64url */
	{H_OK "." P_OK ".ab/c", 0, false},  /* '/' in the signature */
	{H_OK "." P_OK ".a", 0, false},     /* 1 char: impossible length */
	{H_OK "." P_OK ".ab=", 0, false},   /* bad padding */
	{H_OK "." P_OK ".a b", 0, false},
	/* {"a":1,"a":2}: duplicate keys */
	{H_OK ".eyJhIjoxLCJhIjoyfQ.", 0, false},
	{H_OK "." P_OK ".\0x", sizeof(H_OK "." P_OK ".\0x") - 1, false},
	{H_OK "." P_OK ".", 0, true},
	{H_OK "." P_OK ".c2ln", 0, true},
	{H_OK "." P_OK ".c2lnbg==", 0, true}, /* correct padding tolerated */
	{H_OK "." P_OK "==.c2lnbg", 0, true},  /* padded payload (10 + 2 chars) */
	{H_OK "." P_OK "=.c2lnbg", 0, false},  /* half the padding */
	{H_OK "." P_OK "===.c2lnbg", 0, false},
};

static void check_parse_row(size_t i)
{
	const struct parse_row *row = &parse_rows[i];
	struct jwt_parts parts;
	const char *msg = NULL;
	size_t len = row->len ? row->len : strlen(row->token);
	int rc = jwt_parts_parse(row->token, len, &parts, &msg);
	if (row->ok) {
		ck_assert_msg(rc == 0, "row %zu: '%s' rejected", i, row->token);
		ck_assert_str_eq(jwt_parts_alg(&parts), "RS256");
		ck_assert_str_eq(jwt_parts_kid(&parts), "k");
		ck_assert_int_eq(json_integer_value(jwt_parts_claim(&parts, "a")), 1);
		ck_assert_ptr_null(jwt_parts_claim(&parts, "b"));
		ck_assert_str_eq(parts.token, row->token);
		ck_assert_uint_eq(parts.token_len, len);
		jwt_parts_clear(&parts);
		jwt_parts_clear(&parts); /* twice is harmless */
	} else {
		ck_assert_msg(rc == RELAYD_EAUTH, "row %zu: '%s' parsed", i, row->token);
		ck_assert_str_eq(msg, "Wrong JWT structure");
		ck_assert_ptr_null(parts.header);
		ck_assert_ptr_null(parts.payload);
		ck_assert_ptr_null(parts.token);
	}
}

START_TEST(test_parse)
{
	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++)
		check_parse_row(i);
}
END_TEST

START_TEST(test_parse_too_long)
{
	size_t n = JWT_TOKEN_MAX + 1;
	char *big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, 'A', n);
	big[n] = '\0';
	memcpy(big, H_OK "." P_OK ".", sizeof(H_OK "." P_OK ".") - 1);
	struct jwt_parts parts;
	const char *msg = NULL;
	ck_assert_int_eq(jwt_parts_parse(big, n, &parts, &msg), RELAYD_EAUTH);
	ck_assert_str_eq(msg, "Wrong JWT structure");
	/* JWT_TOKEN_MAX itself is accepted (when the signature's length is valid). */
	size_t ok_len = JWT_TOKEN_MAX;
	if ((ok_len - (sizeof(H_OK "." P_OK ".") - 1)) % 4 == 1)
		ok_len--;
	ck_assert_int_eq(jwt_parts_parse(big, ok_len, &parts, &msg), 0);
	ck_assert_uint_eq(parts.token_len, ok_len);
	jwt_parts_clear(&parts);
	free(big);
}
END_TEST

/* jwks_host claim: missing/falsy vs. not a string. */
struct jwks_host_row {
	const char *claims;
	const char *host;   /* expected host, or NULL */
	const char *expect; /* message when NULL */
};

static const struct jwks_host_row jwks_host_rows[] = {
	{"{}", NULL, JWT_MSG_JWKS_HOST_MISSING},
	{"{\"jwks_host\":null}", NULL, JWT_MSG_JWKS_HOST_MISSING},
	{"{\"jwks_host\":\"\"}", NULL, JWT_MSG_JWKS_HOST_MISSING},
	{"{\"jwks_host\":false}", NULL, JWT_MSG_JWKS_HOST_MISSING},
	{"{\"jwks_host\":0}", NULL, JWT_MSG_JWKS_HOST_MISSING},
	{"{\"jwks_host\":12}", NULL, JWT_MSG_WRONG_JWKS_HOST},
	{"{\"jwks_host\":[\"a\"]}", NULL, JWT_MSG_WRONG_JWKS_HOST},
	{"{\"jwks_host\":true}", NULL, JWT_MSG_WRONG_JWKS_HOST},
	{"{\"jwks_host\":\"visibility.amp.cisco.com\"}", "visibility.amp.cisco.com", NULL},
};

static void check_jwks_host_row(size_t i)
{
	const struct jwks_host_row *row = &jwks_host_rows[i];
	json_t *claims = json_loads(row->claims, 0, NULL);
	ck_assert_ptr_nonnull(claims);
	struct jwt_mint_signer s = {.sig = JWT_MINT_SIG_EMPTY};
	char *token = mint_with_header("{\"alg\":\"RS256\"}", claims, s);
	struct jwt_parts parts;
	const char *msg = NULL;
	ck_assert_int_eq(jwt_parts_parse(token, strlen(token), &parts, &msg), 0);
	msg = NULL;
	const char *host = jwt_jwks_host(&parts, &msg);
	if (row->host)
		ck_assert_msg(host && strcmp(host, row->host) == 0, "row %zu", i);
	else
		ck_assert_msg(!host && msg && strcmp(msg, row->expect) == 0, "row %zu: '%s'", i, msg);
	jwt_parts_clear(&parts);
	json_decref(claims);
	free(token);
}

START_TEST(test_jwks_host_claim)
{
	for (size_t i = 0; i < sizeof(jwks_host_rows) / sizeof(jwks_host_rows[0]); i++)
		check_jwks_host_row(i);
}
END_TEST

/* ------------------------------------------------------------------------- */
/* Allow-list                                                                */

struct allow_row {
	const char *host;
	bool allowed;
};

static const char *const allow_list[] = {
	"visibility.amp.cisco.com", "visibility.eu.amp.cisco.com", "127.0.0.1:8443",
	"[::1]:9443", "not a host", "",
};

static const struct allow_row allow_rows[] = {
	{"visibility.amp.cisco.com", true},
	{"VISIBILITY.AMP.CISCO.COM", true},
	{"visibility.amp.cisco.com:443", true},
	{"visibility.eu.amp.cisco.com", true},
	{"visibility.apjc.amp.cisco.com", false},
	{"visibility.amp.cisco.com:8443", false},
	{"visibility.amp.cisco.com.", false},
	{"visibility.amp.cisco.com.evil.com", false},
	{"evil.com/visibility.amp.cisco.com", false},
	{"visibility.amp.cisco.com@evil.com", false},
	{"visibility.amp.cisco.com/x", false},
	{"visibility.amp.cisco.com:", false},
	{"visibility.amp.cisco.com:0", false},
	{"visibility.amp.cisco.com:00443", false},
	{"visibility.amp.cisco.com:+443", false},
	{"visibility.amp.cisco.com:443x", false},
	{" visibility.amp.cisco.com", false},
	{"amp.cisco.com", false},
	{"127.0.0.1:8443", true},
	{"127.0.0.1", false},
	{"127.0.0.1:8444", false},
	{"[::1]:9443", true},
	{"[::1]", false},
	{"[::1", false},
	{"not a host", false},
	{"", false},
	{NULL, false},
};

START_TEST(test_allow_list)
{
	for (size_t i = 0; i < sizeof(allow_rows) / sizeof(allow_rows[0]); i++) {
		const struct allow_row *row = &allow_rows[i];
		ck_assert_msg(jwks_host_allowed(row->host, allow_list, 6) == row->allowed, "'%s'",
		              row->host ? row->host : "(null)");
	}
}
END_TEST

START_TEST(test_allow_list_empty)
{
	ck_assert(!jwks_host_allowed("visibility.amp.cisco.com", NULL, 0));
	ck_assert(!jwks_host_allowed("visibility.amp.cisco.com", allow_list, 0));
}
END_TEST

/* ------------------------------------------------------------------------- */
/* JWKS                                                                      */

struct jwks_row {
	const char *body;
	int status;
	const char *expect;
	size_t count;
};

static const struct jwks_row jwks_rows[] = {
	{"<html>nope</html>", RELAYD_EUPSTREAM, JWT_MSG_WRONG_JWKS_HOST, 0},
	{"", RELAYD_EUPSTREAM, JWT_MSG_WRONG_JWKS_HOST, 0},
	{"{\"keys\":[}", RELAYD_EUPSTREAM, JWT_MSG_WRONG_JWKS_HOST, 0},
	{"[]", RELAYD_EAUTH, JWT_MSG_PAYLOAD_STRUCTURE, 0},
	{"\"keys\"", RELAYD_EAUTH, JWT_MSG_PAYLOAD_STRUCTURE, 0},
	{"{}", RELAYD_EAUTH, JWT_MSG_PAYLOAD_STRUCTURE, 0},
	{"{\"keys\":{}}", RELAYD_EAUTH, JWT_MSG_PAYLOAD_STRUCTURE, 0},
	{"{\"keys\":null}", RELAYD_EAUTH, JWT_MSG_PAYLOAD_STRUCTURE, 0},
	{"{\"keys\":[1]}", RELAYD_EAUTH, JWT_MSG_PAYLOAD_STRUCTURE, 0},
	{"{\"keys\":[{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}", RELAYD_EAUTH,
	 JWT_MSG_PAYLOAD_STRUCTURE, 0},
	{"{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\"}]}", RELAYD_EAUTH, JWT_MSG_PAYLOAD_STRUCTURE,
	 0},
	{"{\"keys\":[{\"kid\":7,\"kty\":\"RSA\"}]}", RELAYD_EAUTH, JWT_MSG_PAYLOAD_STRUCTURE, 0},
	{"{\"keys\":[]}", 0, NULL, 0},
	/* Skipped: not RSA, no n, bad base64url, too small, even exponent. */
	{"{\"keys\":[{\"kid\":\"a\",\"kty\":\"EC\",\"x\":\"AA\",\"y\":\"AA\"},"
	 "{\"kid\":\"b\",\"kty\":\"RSA\",\"e\":\"AQAB\"},"
	 "{\"kid\":\"c\",\"kty\":\"RSA\",\"n\":\"!!\",\"e\":\"AQAB\"},"
	 "{\"kid\":\"d\",\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
	 "{\"kid\":\"e\",\"kty\":\"oct\",\"k\":\"AQAB\"}]}",
	 0, NULL, 0},
};

static void check_jwks_row(size_t i)
{
	const struct jwks_row *row = &jwks_rows[i];
	struct jwk_set *set = (struct jwk_set *)1;
	const char *msg = NULL;
	int rc = jwk_set_parse(row->body, strlen(row->body), &set, &msg);
	ck_assert_msg(rc == row->status, "row %zu: rc %d", i, rc);
	if (rc == 0) {
		ck_assert_ptr_nonnull(set);
		ck_assert_msg(jwk_set_count(set) == row->count, "row %zu", i);
		ck_assert_ptr_null(jwk_set_find(set, "a"));
		jwk_set_unref(set);
	} else {
		ck_assert_ptr_null(set);
		ck_assert_msg(strcmp(msg, row->expect) == 0, "row %zu: '%s'", i, msg);
	}
}

START_TEST(test_jwks_parse)
{
	for (size_t i = 0; i < sizeof(jwks_rows) / sizeof(jwks_rows[0]); i++)
		check_jwks_row(i);
}
END_TEST

START_TEST(test_jwks_fixture)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/pulsedive/upstream_jwks.json", fixtures_dir());
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	char body[8192];
	size_t n = fread(body, 1, sizeof(body), f);
	fclose(f);
	ck_assert_uint_gt(n, 0);

	struct jwk_set *set = NULL;
	const char *msg = NULL;
	ck_assert_int_eq(jwk_set_parse(body, n, &set, &msg), 0);
	ck_assert_uint_eq(jwk_set_count(set), 1);
	const struct jwk *k = jwk_set_find(set, "02B1174234C29F8EFB69911438F597FF3FFEE6B7");
	ck_assert_ptr_nonnull(k);
	ck_assert_str_eq(k->kid, "02B1174234C29F8EFB69911438F597FF3FFEE6B7");
	ck_assert_int_eq(EVP_PKEY_get_bits(k->pkey), 4096);
	ck_assert(strncmp(k->pem, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
	ck_assert_uint_eq(k->pem_len, strlen(k->pem));
	ck_assert_ptr_null(jwk_set_find(set, "02b1174234c29f8efb69911438f597ff3ffee6b7"));
	ck_assert_ptr_null(jwk_set_find(set, NULL));

	/* Refcount: two references, two unrefs. */
	ck_assert_ptr_eq(jwk_set_ref(set), set);
	jwk_set_unref(set);
	ck_assert_ptr_nonnull(jwk_set_find(set, "02B1174234C29F8EFB69911438F597FF3FFEE6B7"));
	jwk_set_unref(set);
	jwk_set_unref(NULL);
	ck_assert_ptr_null(jwk_set_ref(NULL));
}
END_TEST

/* The exported JWK round-trips to the same public key PEM. */
START_TEST(test_jwks_mint_roundtrip)
{
	struct jwk_set *set = default_set();
	const struct jwk *k = jwk_set_find(set, JWT_MINT_DEFAULT_KID);
	ck_assert_ptr_nonnull(k);
	char *pem = jwt_mint_public_pem(jwt_mint_default_key());
	ck_assert_str_eq(k->pem, pem);
	ck_assert_int_eq(EVP_PKEY_eq(k->pkey, jwt_mint_key_pkey(jwt_mint_default_key())), 1);
	free(pem);
	jwk_set_unref(set);
}
END_TEST

/* Weak keys are skipped: a real 1024-bit RSA key never becomes usable. */
START_TEST(test_jwks_rejects_small_key)
{
	/* jwt_mint_key_new makes 2048 bits; build a 1024-bit JWK by hand. */
	EVP_PKEY *pk = EVP_RSA_gen(1024);
	ck_assert_ptr_nonnull(pk);
	BIGNUM *n = NULL;
	ck_assert_int_eq(EVP_PKEY_get_bn_param(pk, "n", &n), 1);
	unsigned char buf[128];
	ck_assert_int_eq(BN_bn2bin(n, buf), 128);
	char *n64 = jwt_mint_b64url(buf, 128);
	char body[1024];
	snprintf(body, sizeof(body), "{\"keys\":[{\"kid\":\"small\",\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"}]}",
	         n64);
	struct jwk_set *set = NULL;
	const char *msg = NULL;
	ck_assert_int_eq(jwk_set_parse(body, strlen(body), &set, &msg), 0);
	ck_assert_uint_eq(jwk_set_count(set), 0);
	jwk_set_unref(set);
	free(n64);
	BN_free(n);
	EVP_PKEY_free(pk);
}
END_TEST

/* A repeated kid: the later entry wins, as in the reference's dict. */
START_TEST(test_jwks_duplicate_kid)
{
	const struct jwt_mint_key *keys[] = {jwt_mint_default_key(), jwt_mint_other_key()};
	json_t *a = jwt_mint_jwk(keys[0], "dup");
	json_t *b = jwt_mint_jwk(keys[1], "dup");
	json_t *doc = json_pack("{s:[o,o]}", "keys", a, b);
	char *body = json_dumps(doc, JSON_COMPACT);
	struct jwk_set *set = NULL;
	const char *msg = NULL;
	ck_assert_int_eq(jwk_set_parse(body, strlen(body), &set, &msg), 0);
	ck_assert_uint_eq(jwk_set_count(set), 2);

	json_t *claims = valid_claims();
	char *token = mint_with_header("{\"alg\":\"RS256\",\"kid\":\"dup\"}", claims,
	                               rs256_signer(jwt_mint_other_key()));
	struct jwt_verify_opts opts = rs256_opts();
	ck_assert_ptr_null(verify_token(token, set, &opts, NULL, NULL));
	free(token);
	token = mint_with_header("{\"alg\":\"RS256\",\"kid\":\"dup\"}", claims,
	                         rs256_signer(jwt_mint_default_key()));
	ck_assert_str_eq(verify_token(token, set, &opts, NULL, NULL), JWT_MSG_WRONG_KEY);
	free(token);
	json_decref(claims);
	jwk_set_unref(set);
	free(body);
	json_decref(doc);
}
END_TEST

/* ------------------------------------------------------------------------- */
/* Verification                                                              */

START_TEST(test_valid_token_claims)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/pulsedive/jwt_valid_limit_1.json", fixtures_dir());
	char *token = jwt_mint_from_fixture(path, jwt_mint_default_key());
	ck_assert_ptr_nonnull(token);
	struct jwk_set *set = default_set();
	struct jwt_verify_opts opts = rs256_opts();
	json_t *claims = NULL;
	int status = -99;
	ck_assert_ptr_null(verify_token(token, set, &opts, &status, &claims));
	ck_assert_int_eq(status, 0);
	ck_assert_str_eq(json_string_value(json_object_get(claims, "key")), "my_key_for_pulsedive");
	ck_assert_int_eq(json_integer_value(json_object_get(claims, "CTR_ENTITIES_LIMIT")), 1);
	ck_assert_str_eq(json_string_value(json_object_get(claims, "jwks_host")),
	                 "visibility.amp.cisco.com");
	ck_assert_uint_eq(json_object_size(claims), 4);
	json_decref(claims);
	jwk_set_unref(set);
	free(token);
}
END_TEST

START_TEST(test_missing_key_fixture)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/pulsedive/jwt_missing_key_claim.json", fixtures_dir());
	char *token = jwt_mint_from_fixture(path, jwt_mint_default_key());
	ck_assert_ptr_nonnull(token);
	struct jwt_verify_opts opts = rs256_opts();
	expect_verify(token, &opts, "Wrong JWT payload structure");
	opts.require_key = false;
	expect_verify(token, &opts, NULL);
	free(token);
}
END_TEST

/* Claims edits on a valid RS256 token, and the RS256-mode answer. */
struct claims_row {
	const char *drop;
	const char *add;
	const char *expect; /* NULL = success */
};

static const struct claims_row claims_rows[] = {
	{NULL, NULL, NULL},
	/* aud */
	{"aud", NULL, "Wrong configuration-token-audience"},
	{NULL, "{\"aud\":\"http://localhost/\"}", "Wrong configuration-token-audience"},
	{NULL, "{\"aud\":\"HTTP://LOCALHOST\"}", "Wrong configuration-token-audience"},
	{NULL, "{\"aud\":\"\"}", "Wrong configuration-token-audience"},
	{NULL, "{\"aud\":null}", "Wrong configuration-token-audience"},
	{NULL, "{\"aud\":7}", "Wrong configuration-token-audience"},
	{NULL, "{\"aud\":{\"a\":\"http://localhost\"}}", "Wrong configuration-token-audience"},
	{NULL, "{\"aud\":[]}", "Wrong configuration-token-audience"},
	{NULL, "{\"aud\":[\"http://a\",\"http://b\"]}", "Wrong configuration-token-audience"},
	{NULL, "{\"aud\":[\"http://a\",\"http://localhost\"]}", NULL},
	{NULL, "{\"aud\":[\"http://localhost\"]}", NULL},
	/* PyJWT: any non-string member makes the claim invalid. */
	{NULL, "{\"aud\":[\"http://localhost\",1]}", "Wrong configuration-token-audience"},
	/* exp / nbf: leeway 60 around NOW */
	{NULL, "{\"exp\":1699999941}", NULL},                /* now - leeway + 1 */
	{NULL, "{\"exp\":1699999940}", "Token has expired"}, /* now - leeway: PyJWT's <= */
	{NULL, "{\"exp\":1699999939}", "Token has expired"}, /* now - leeway - 1 */
	{NULL, "{\"exp\":1699999941.5}", NULL},
	{NULL, "{\"exp\":1699999940.9}", "Token has expired"}, /* int() truncates */
	{NULL, "{\"exp\":1e300}", NULL},
	{NULL, "{\"exp\":-1e300}", "Token has expired"},
	{NULL, "{\"exp\":\"1800000000\"}", "Wrong JWT structure"},
	{NULL, "{\"exp\":null}", "Wrong JWT structure"},
	{NULL, "{\"exp\":true}", "Wrong JWT structure"},
	{NULL, "{\"nbf\":1700000060}", NULL},                     /* now + leeway */
	{NULL, "{\"nbf\":1700000061}", "Token is not yet valid"}, /* now + leeway + 1 */
	{NULL, "{\"nbf\":\"0\"}", "Wrong JWT structure"},
	/* nbf is checked before exp, exp before aud, aud before key (PyJWT, then the relay). */
	{NULL, "{\"nbf\":1800000000,\"exp\":1000}", "Token is not yet valid"},
	{"aud", "{\"exp\":1000}", "Token has expired"},
	{"key", "{\"aud\":\"x\"}", "Wrong configuration-token-audience"},
	/* key */
	{"key", NULL, "Wrong JWT payload structure"},
	{NULL, "{\"key\":null}", "Wrong JWT payload structure"},
	{NULL, "{\"key\":42}", "Wrong JWT payload structure"},
	{NULL, "{\"key\":\"\"}", NULL},
	/* Other claims pass through untouched. */
	{NULL, "{\"CTR_ENTITIES_LIMIT\":null}", NULL},
	{NULL, "{\"CTR_ENTITIES_LIMIT\":[1]}", NULL},
	{NULL, "{\"iat\":\"whenever\"}", NULL},
};

START_TEST(test_claims)
{
	for (size_t i = 0; i < sizeof(claims_rows) / sizeof(claims_rows[0]); i++) {
		const struct claims_row *row = &claims_rows[i];
		json_t *claims = claims_with(row->drop, row->add);
		char *token = jwt_mint_rs256(jwt_mint_default_key(), claims);
		struct jwt_verify_opts opts = rs256_opts();
		snprintf(row_label, sizeof(row_label), "claims row %zu", i);
		expect_verify(token, &opts, row->expect);
		free(token);
		json_decref(claims);
	}
}
END_TEST

START_TEST(test_leeway_zero)
{
	json_t *claims = claims_with(NULL, "{\"exp\":1700000001,\"nbf\":1700000000}");
	char *token = jwt_mint_rs256(jwt_mint_default_key(), claims);
	struct jwt_verify_opts opts = rs256_opts();
	opts.leeway = 0;
	expect_verify(token, &opts, NULL);
	opts.now = NOW + 1;
	expect_verify(token, &opts, "Token has expired");
	opts.now = NOW - 1;
	expect_verify(token, &opts, "Token is not yet valid");
	/* A negative leeway counts as 0. */
	opts.now = NOW;
	opts.leeway = -100;
	expect_verify(token, &opts, NULL);
	free(token);
	json_decref(claims);
}
END_TEST

/* Header variants in RS256 mode: kid, alg, signature. */
struct header_row {
	const char *header;
	enum jwt_mint_sig sig;
	int key; /* 0: default key / SECRET, 1: other key, 2: default key's public PEM as HMAC secret */
	int status;
	const char *expect;
};

#define KID "\"kid\":\"" JWT_MINT_DEFAULT_KID "\""

static const struct header_row header_rows[] = {
	{"{\"alg\":\"RS256\",\"typ\":\"JWT\"," KID "}", JWT_MINT_SIG_RS256, 0, 0, NULL},
	{"{\"alg\":\"RS256\"," KID "}", JWT_MINT_SIG_RS256, 0, 0, NULL},
	{"{\"alg\":\"RS256\",\"typ\":\"JWT\"}", JWT_MINT_SIG_RS256, 0, RELAYD_EAUTH,
	 "Wrong JWT payload structure"},
	{"{\"alg\":\"RS256\",\"kid\":null}", JWT_MINT_SIG_RS256, 0, RELAYD_EAUTH,
	 "Wrong JWT payload structure"},
	{"{\"alg\":\"RS256\",\"kid\":1}", JWT_MINT_SIG_RS256, 0, RELAYD_EAUTH,
	 "Wrong JWT payload structure"},
	{"{\"alg\":\"RS256\",\"kid\":\"nope\"}", JWT_MINT_SIG_RS256, 0, RELAYD_ENOTFOUND,
	 "kid from JWT header not found in API response"},
	/* kid is looked up before alg: an unknown kid wins over a bad alg. */
	{"{\"alg\":\"none\",\"kid\":\"nope\"}", JWT_MINT_SIG_EMPTY, 0, RELAYD_ENOTFOUND,
	 "kid from JWT header not found in API response"},
	{"{\"alg\":\"none\"," KID "}", JWT_MINT_SIG_EMPTY, 0, RELAYD_EAUTH, JWT_MSG_WRONG_KEY},
	{"{\"alg\":\"None\"," KID "}", JWT_MINT_SIG_EMPTY, 0, RELAYD_EAUTH, JWT_MSG_WRONG_KEY},
	{"{\"alg\":\"none\"," KID "}", JWT_MINT_SIG_RS256, 0, RELAYD_EAUTH, JWT_MSG_WRONG_KEY},
	{"{" KID "}", JWT_MINT_SIG_RS256, 0, RELAYD_EAUTH, JWT_MSG_WRONG_KEY},
	{"{\"alg\":null," KID "}", JWT_MINT_SIG_RS256, 0, RELAYD_EAUTH, JWT_MSG_WRONG_KEY},
	{"{\"alg\":\"rs256\"," KID "}", JWT_MINT_SIG_RS256, 0, RELAYD_EAUTH, JWT_MSG_WRONG_KEY},
	{"{\"alg\":\"RS512\"," KID "}", JWT_MINT_SIG_RS256, 0, RELAYD_EAUTH, JWT_MSG_WRONG_KEY},
	{"{\"alg\":\"PS256\"," KID "}", JWT_MINT_SIG_RS256, 0, RELAYD_EAUTH, JWT_MSG_WRONG_KEY},
	{"{\"alg\":\"HS256\"," KID "}", JWT_MINT_SIG_HS256, 0, RELAYD_EAUTH, JWT_MSG_WRONG_KEY},
	/* The classic confusion: HMAC keyed with the RSA public key's PEM. */
	{"{\"alg\":\"HS256\",\"typ\":\"JWT\"," KID "}", JWT_MINT_SIG_HS256, 2, RELAYD_EAUTH,
	 JWT_MSG_WRONG_KEY},
	{"{\"alg\":\"RS256\"," KID "}", JWT_MINT_SIG_RS256, 1, RELAYD_EAUTH, JWT_MSG_WRONG_KEY},
	{"{\"alg\":\"RS256\"," KID "}", JWT_MINT_SIG_EMPTY, 0, RELAYD_EAUTH, JWT_MSG_WRONG_KEY},
	/* libjwt refuses a typ other than JWT; we answer the signature text. */
	{"{\"alg\":\"RS256\",\"typ\":\"JOSE\"," KID "}", JWT_MINT_SIG_RS256, 0, RELAYD_EAUTH,
	 JWT_MSG_WRONG_KEY},
};

static char *mint_header_row(const struct header_row *row, const json_t *claims)
{
	struct jwt_mint_signer s = {.sig = row->sig};
	char *pem = NULL;
	if (row->sig == JWT_MINT_SIG_RS256)
		s.rsa = row->key == 1 ? jwt_mint_other_key() : jwt_mint_default_key();
	if (row->sig == JWT_MINT_SIG_HS256) {
		if (row->key == 2) {
			pem = jwt_mint_public_pem(jwt_mint_default_key());
			s.secret = pem;
			s.secret_len = strlen(pem);
		} else {
			s.secret = SECRET;
			s.secret_len = strlen(SECRET);
		}
	}
	char *token = mint_with_header(row->header, claims, s);
	free(pem);
	return token;
}

START_TEST(test_header)
{
	struct jwk_set *set = default_set();
	json_t *claims = valid_claims();
	for (size_t i = 0; i < sizeof(header_rows) / sizeof(header_rows[0]); i++) {
		const struct header_row *row = &header_rows[i];
		char *token = mint_header_row(row, claims);
		struct jwt_verify_opts opts = rs256_opts();
		int status = -99;
		const char *msg = verify_token(token, set, &opts, &status, NULL);
		ck_assert_msg(status == row->status, "header row %zu: status %d", i, status);
		if (row->expect)
			ck_assert_msg(msg && strcmp(msg, row->expect) == 0, "header row %zu: '%s'", i, msg);
		else
			ck_assert_msg(msg == NULL, "header row %zu: '%s'", i, msg);
		free(token);
	}
	json_decref(claims);
	jwk_set_unref(set);
}
END_TEST

/* The guard matters: libjwt alone accepts the confused token and alg none. */
START_TEST(test_libjwt_alone_would_accept)
{
	json_t *claims = valid_claims();
	char *pem = jwt_mint_public_pem(jwt_mint_default_key());
	char *confused = mint_with_header("{\"alg\":\"HS256\",\"kid\":\"" JWT_MINT_DEFAULT_KID "\"}",
	                                  claims, hs256_signer(pem, strlen(pem)));
	jwt_t *jwt = NULL;
	ck_assert_int_eq(jwt_decode(&jwt, confused, (const unsigned char *)pem, (int)strlen(pem)), 0);
	ck_assert_int_eq(jwt_get_alg(jwt), JWT_ALG_HS256);
	jwt_free(jwt);
	jwt = NULL;

	char *none = jwt_mint_alg_none(claims, JWT_MINT_DEFAULT_KID);
	ck_assert_int_eq(jwt_decode(&jwt, none, NULL, 0), 0);
	jwt_free(jwt);

	struct jwt_verify_opts opts = rs256_opts();
	expect_verify(confused, &opts, JWT_MSG_WRONG_KEY);
	expect_verify(none, &opts, JWT_MSG_WRONG_KEY);
	free(none);
	free(confused);
	free(pem);
	json_decref(claims);
}
END_TEST

START_TEST(test_corrupted_signature)
{
	json_t *claims = valid_claims();
	char *token = jwt_mint_rs256(jwt_mint_default_key(), claims);
	char *bad = jwt_mint_corrupt_signature(token);
	ck_assert_ptr_nonnull(bad);
	ck_assert_str_ne(bad, token);
	ck_assert_uint_eq(strlen(bad), strlen(token));
	struct jwt_verify_opts opts = rs256_opts();
	expect_verify(token, &opts, NULL);
	expect_verify(bad, &opts, JWT_MSG_WRONG_KEY);

	/* Payload swapped under a valid signature. */
	json_t *other = claims_with(NULL, "{\"key\":\"stolen\"}");
	char *token2 = jwt_mint_rs256(jwt_mint_default_key(), other);
	char spliced[8192];
	const char *sig = strrchr(token, '.');
	size_t head = (size_t)(strrchr(token2, '.') - token2);
	ck_assert_uint_lt(head + strlen(sig) + 1, sizeof(spliced));
	snprintf(spliced, sizeof(spliced), "%.*s%s", (int)head, token2, sig);
	expect_verify(spliced, &opts, JWT_MSG_WRONG_KEY);
	free(token2);
	json_decref(other);
	free(bad);
	free(token);
	json_decref(claims);
}
END_TEST

START_TEST(test_bad_options)
{
	json_t *claims = valid_claims();
	char *token = jwt_mint_rs256(jwt_mint_default_key(), claims);
	struct jwk_set *set = default_set();
	struct jwt_parts parts;
	const char *msg = NULL;
	json_t *out = NULL;
	ck_assert_int_eq(jwt_parts_parse(token, strlen(token), &parts, &msg), 0);
	struct jwt_verify_opts opts = rs256_opts();
	opts.audience = NULL;
	ck_assert_int_eq(jwt_parts_verify(&parts, set, &opts, &out, &msg), RELAYD_EINVAL);
	ck_assert_str_eq(msg, JWT_MSG_BAD_OPTIONS);
	opts = rs256_opts();
	ck_assert_int_eq(jwt_parts_verify(&parts, NULL, &opts, &out, &msg), RELAYD_EINVAL);
	ck_assert_int_eq(jwt_parts_verify(&parts, set, NULL, &out, &msg), RELAYD_EINVAL);
	ck_assert_int_eq(jwt_parts_verify(&parts, set, &opts, NULL, &msg), RELAYD_EINVAL);
	opts.mode = (enum jwt_mode)7;
	ck_assert_int_eq(jwt_parts_verify(&parts, set, &opts, &out, &msg), RELAYD_EINVAL);
	ck_assert_ptr_null(out);
	jwt_parts_clear(&parts);
	ck_assert_int_eq(jwt_parts_verify(&parts, set, &opts, &out, &msg), RELAYD_EINVAL);
	jwk_set_unref(set);
	free(token);
	json_decref(claims);
}
END_TEST

/* ------------------------------------------------------------------------- */
/* HS256 mode (auth = secret)                                                */

START_TEST(test_hs256)
{
	json_t *claims = valid_claims();
	json_t *no_key = claims_with("key", NULL);
	json_t *expired = claims_with(NULL, "{\"exp\":1000}");
	struct jwt_verify_opts opts = hs256_opts();

	char *ok = jwt_mint_hs256(SECRET, strlen(SECRET), claims);
	expect_verify(ok, &opts, NULL);
	/* No JWKS involved: a NULL set is fine. */
	ck_assert_ptr_null(verify_token(ok, NULL, &opts, NULL, NULL));

	char *wrong = jwt_mint_hs256("another-secret-another-secret-xx", 32, claims);
	expect_verify(wrong, &opts, "Failed to decode JWT with provided key");
	char *bad = jwt_mint_corrupt_signature(ok);
	expect_verify(bad, &opts, "Failed to decode JWT with provided key");
	char *rs = jwt_mint_rs256(jwt_mint_default_key(), claims);
	expect_verify(rs, &opts, "Failed to decode JWT with provided key");
	char *none = jwt_mint_alg_none(claims, NULL);
	expect_verify(none, &opts, "Failed to decode JWT with provided key");
	char *nokey = jwt_mint_hs256(SECRET, strlen(SECRET), no_key);
	expect_verify(nokey, &opts, "Wrong JWT payload structure");
	char *exp = jwt_mint_hs256(SECRET, strlen(SECRET), expired);
	expect_verify(exp, &opts, "Token has expired");

	/* aud is ignored unless an audience is configured. */
	json_t *odd_aud = claims_with(NULL, "{\"aud\":\"http://elsewhere\"}");
	char *aud = jwt_mint_hs256(SECRET, strlen(SECRET), odd_aud);
	expect_verify(aud, &opts, NULL);
	opts.audience = AUDIENCE;
	expect_verify(aud, &opts, "Wrong configuration-token-audience");
	expect_verify(ok, &opts, NULL);

	opts = hs256_opts();
	opts.secret = NULL;
	int status = 0;
	struct jwk_set *set = default_set();
	ck_assert_str_eq(verify_token(ok, set, &opts, &status, NULL), "<SECRET_KEY> is missing");
	ck_assert_int_eq(status, RELAYD_EINVAL);
	jwk_set_unref(set);

	free(aud);
	json_decref(odd_aud);
	free(exp);
	free(nokey);
	free(none);
	free(rs);
	free(bad);
	free(wrong);
	free(ok);
	json_decref(expired);
	json_decref(no_key);
	json_decref(claims);
}
END_TEST

/* ------------------------------------------------------------------------- */
/* Shared set, many threads                                                  */

struct thread_arg {
	const struct jwk_set *set;
	const char *good;
	const char *bad;
	int failures;
};

static void *verify_many(void *p)
{
	struct thread_arg *a = p;
	struct jwt_verify_opts opts = rs256_opts();
	for (int i = 0; i < 50; i++) {
		struct jwt_parts parts;
		const char *msg = NULL;
		json_t *claims = NULL;
		const char *t = i % 2 ? a->good : a->bad;
		if (jwt_parts_parse(t, strlen(t), &parts, &msg) != 0) {
			a->failures++;
			continue;
		}
		int rc = jwt_parts_verify(&parts, a->set, &opts, &claims, &msg);
		if ((rc == 0) != (i % 2 == 1))
			a->failures++;
		json_decref(claims);
		jwt_parts_clear(&parts);
	}
	return NULL;
}

START_TEST(test_threads_share_set)
{
	json_t *claims = valid_claims();
	char *good = jwt_mint_rs256(jwt_mint_default_key(), claims);
	char *bad = jwt_mint_corrupt_signature(good);
	struct jwk_set *set = default_set();
	pthread_t th[4];
	struct thread_arg args[4];
	for (int i = 0; i < 4; i++) {
		args[i] = (struct thread_arg){.set = jwk_set_ref(set), .good = good, .bad = bad};
		ck_assert_int_eq(pthread_create(&th[i], NULL, verify_many, &args[i]), 0);
	}
	jwk_set_unref(set); /* the threads' references keep it alive */
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_int_eq(args[i].failures, 0);
		jwk_set_unref((struct jwk_set *)args[i].set);
	}
	free(bad);
	free(good);
	json_decref(claims);
}
END_TEST

/* The post-signature checks alone, as a verified-token cache re-runs them. */
START_TEST(test_claims_check)
{
	json_t *claims = claims_with(NULL, "{\"exp\":1700000100}");
	struct jwt_verify_opts opts = rs256_opts();
	const char *msg = NULL;
	ck_assert_int_eq(jwt_claims_check(claims, &opts, &msg), 0);
	opts.now = 1700000160;
	ck_assert_int_eq(jwt_claims_check(claims, &opts, &msg), RELAYD_EAUTH);
	ck_assert_str_eq(msg, "Token has expired");
	opts = rs256_opts();
	opts.audience = "https://relay.example.com/pulsedive";
	ck_assert_int_eq(jwt_claims_check(claims, &opts, &msg), RELAYD_EAUTH);
	ck_assert_str_eq(msg, "Wrong configuration-token-audience");
	opts = rs256_opts();
	json_object_del(claims, "key");
	ck_assert_int_eq(jwt_claims_check(claims, &opts, &msg), RELAYD_EAUTH);
	ck_assert_str_eq(msg, "Wrong JWT payload structure");
	json_t *list = json_array();
	ck_assert_int_eq(jwt_claims_check(list, &opts, &msg), RELAYD_EINVAL);
	ck_assert_int_eq(jwt_claims_check(claims, NULL, &msg), RELAYD_EINVAL);
	json_decref(list);
	json_decref(claims);
}
END_TEST

START_TEST(test_error_text)
{
	char buf[JWT_AUTH_ERROR_TEXT_MAX];
	ck_assert_int_eq(jwt_auth_error_text(JWT_MSG_WRONG_KEY, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "Authorization failed: Failed to decode JWT with provided key. Make "
	                      "sure domain in custom_jwks_host corresponds to your SecureX instance "
	                      "region.");
	ck_assert_int_eq(jwt_auth_error_text("Token has expired", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "Authorization failed: Token has expired");
	char small[10];
	ck_assert_int_eq(jwt_auth_error_text("Token has expired", small, sizeof(small)),
	                 RELAYD_EINVAL);
	ck_assert_str_eq(small, "Authoriza");
	ck_assert_int_eq(jwt_auth_error_text("x", NULL, 0), RELAYD_EINVAL);
}
END_TEST

static Suite *jwt_suite(void)
{
	Suite *s = suite_create("jwt");
	TCase *tc;

	tc = tcase_create("fixtures");
	tcase_add_loop_test(tc, test_derived_fixture_row, 0, AUTH_ROWS);
	tcase_add_test(tc, test_derived_fixture_fully_covered);
	tcase_add_test(tc, test_other_relays_messages);
	suite_add_tcase(s, tc);

	tc = tcase_create("bearer");
	tcase_add_test(tc, test_bearer);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_parse_too_long);
	tcase_add_test(tc, test_jwks_host_claim);
	suite_add_tcase(s, tc);

	tc = tcase_create("allow_list");
	tcase_add_test(tc, test_allow_list);
	tcase_add_test(tc, test_allow_list_empty);
	suite_add_tcase(s, tc);

	tc = tcase_create("jwks");
	tcase_add_test(tc, test_jwks_parse);
	tcase_add_test(tc, test_jwks_fixture);
	tcase_add_test(tc, test_jwks_mint_roundtrip);
	tcase_add_test(tc, test_jwks_rejects_small_key);
	tcase_add_test(tc, test_jwks_duplicate_kid);
	suite_add_tcase(s, tc);

	tc = tcase_create("verify");
	tcase_add_test(tc, test_valid_token_claims);
	tcase_add_test(tc, test_missing_key_fixture);
	tcase_add_test(tc, test_claims);
	tcase_add_test(tc, test_leeway_zero);
	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_libjwt_alone_would_accept);
	tcase_add_test(tc, test_corrupted_signature);
	tcase_add_test(tc, test_bad_options);
	tcase_add_test(tc, test_hs256);
	tcase_add_test(tc, test_threads_share_set);
	tcase_add_test(tc, test_claims_check);
	tcase_add_test(tc, test_error_text);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* Generate the keys once, before Check forks a process per test. */
	const struct jwt_mint_key *keys[] = {jwt_mint_default_key()};
	if (!keys[0] || !jwt_mint_other_key()) {
		fprintf(stderr, "test key generation failed\n");
		return EXIT_FAILURE;
	}
	default_jwks = jwt_mint_jwks_json(keys, 1);
	if (!default_jwks) {
		fprintf(stderr, "JWKS export failed\n");
		return EXIT_FAILURE;
	}
	SRunner *sr = srunner_create(jwt_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(default_jwks);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
