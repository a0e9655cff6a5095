/* SPDX-License-Identifier: MIT */
/* libFuzzer target for host/src/jwt.c: bytes as an Authorization header, a token and a JWKS body. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>

#include "jwt.h"

/*
 * A fixed RSA-2048 public key (kid "fuzz-kid"). The seed corpus in
 * tests/fuzz/corpus/jwt/ holds tokens signed with its private key (made once
 * with tests/common/jwt_mint.c and not kept), so mutations start from tokens
 * that reach the signature, time, audience and key checks.
 */
static const char fuzz_jwks[] =
	"{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"fuzz-kid\",\"use\":\"sig\",\"alg\":\"RS256\",\""
	"n\":\"xjszWMi0AIFCzTHbD83SUb__prT-uD3fhMh5It9FGSsxNs_59guxBoFqr93Rfjb2GSSg6fp8ovgnf8"
	"ippp9HSO1A1useQUfelF9NIjoVe-nv0-L70NvzQJqqzRwoQqi3xlHjkDzmpLiMIZzCZFJ-7uMVCu6hhSNAXu"
	"W1cC0bl_EgZKUhKi2F0QjfAYc1d0VLuflF-cherIbUj7sHs2u4OVeKOS7QLJq8rJAFEIRtplyZxNElvRfB8N"
	"sVNSyHyxE_ZJpvbnaXEx_-72awl6nRYmWY84zgcVgICOgDR2WmaqAAW_iOUs_QTNX4_NwohQx-gPbJBnVWAK"
	"F4XOL0AvKiLw\",\"e\":\"AQAB\"}]}";

/* HS256 seeds are signed with this secret. */
static const char fuzz_secret[] = "fuzz-secret-fuzz-secret-fuzz-sec";

static const char *const allowed[] = {"visibility.amp.cisco.com", "x:8443", "[::1]:9443"};

static struct jwk_set *fixed_set(void)
{
	static struct jwk_set *set;
	const char *msg = NULL;
	if (!set && jwk_set_parse(fuzz_jwks, strlen(fuzz_jwks), &set, &msg) != 0)
		abort();
	return set;
}

/* Every failure must come with a message; a success must be a real RS256/HS256 token. */
static void verify_as(const struct jwt_parts *parts, enum jwt_mode mode)
{
	struct jwt_verify_opts opts = {
		.mode = mode,
		.audience = "http://localhost",
		.secret = (const unsigned char *)fuzz_secret,
		.secret_len = sizeof(fuzz_secret) - 1,
		.now = 1700000000,
		.leeway = 60,
		.require_key = true,
	};
	json_t *claims = NULL;
	const char *msg = NULL;
	int rc = jwt_parts_verify(parts, fixed_set(), &opts, &claims, &msg);
	if (rc != RELAYD_OK) {
		if (!msg || claims)
			abort();
		return;
	}
	const char *alg = jwt_parts_alg(parts);
	if (!claims || !alg || strcmp(alg, mode == JWT_MODE_RS256 ? "RS256" : "HS256") != 0 ||
	    !json_is_string(json_object_get(claims, "key")))
		abort();
	json_decref(claims);
}

static void check_token(const char *token, size_t len)
{
	struct jwt_parts parts;
	const char *msg = NULL;
	if (jwt_parts_parse(token, len, &parts, &msg) != RELAYD_OK) {
		if (!msg || parts.header || parts.payload || parts.token)
			abort();
		return;
	}
	(void)jwt_parts_kid(&parts);
	const char *host = jwt_jwks_host(&parts, &msg);
	if (host)
		(void)jwks_host_allowed(host, allowed, sizeof(allowed) / sizeof(allowed[0]));
	else if (!msg)
		abort();
	verify_as(&parts, JWT_MODE_RS256);
	verify_as(&parts, JWT_MODE_HS256);
	jwt_parts_clear(&parts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	const char *token = NULL;
	size_t token_len = 0;
	const char *msg = NULL;
	if (auth_bearer_token(text, &token, &token_len, &msg) == RELAYD_OK)
		check_token(token, token_len);
	else if (!msg)
		abort();

	check_token((const char *)data, size);

	struct jwk_set *set = NULL;
	if (jwk_set_parse((const char *)data, size, &set, &msg) == RELAYD_OK) {
		for (size_t i = 0; i < jwk_set_count(set); i++)
			(void)jwk_set_find(set, "fuzz-kid");
		jwk_set_unref(set);
	}
	(void)jwks_host_allowed(text, allowed, sizeof(allowed) / sizeof(allowed[0]));
	free(text);
	return 0;
}
