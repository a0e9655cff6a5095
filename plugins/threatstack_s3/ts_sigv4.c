/* SPDX-License-Identifier: MIT */
/* SigV4 canonical pieces relayd builds for libcurl 7.88 (query, key path, payload hash) and a reference signer. */
#include "ts_sigv4.h"

#include <relayd/sdk.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <relayd/status.h>
#include <relayd/strbuf.h>

/* The SDK's encoders use exactly SigV4's set: RFC 3986 unreserved bytes kept,
 * everything else %XX in upper-case hex. */
char *ts_uri_encode(const char *s, bool keep_slash)
{
	return keep_slash ? relayd_pct_encode_path(s) : relayd_pct_encode(s);
}

char *ts_key_path_encode(const char *key)
{
	char *enc = ts_uri_encode(key, true);
	if (!enc)
		return NULL;
	size_t n = strlen(enc);
	char *out = malloc(n + 2);
	if (out) {
		out[0] = '/';
		memcpy(out + 1, enc, n + 1);
	}
	free(enc);
	return out;
}

struct enc_pair {
	char *name;
	char *value;
};

static int cmp_pair(const void *a, const void *b)
{
	const struct enc_pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->value, y->value);
}

char *ts_canonical_query(const struct ts_query_param *params, size_t n)
{
	struct enc_pair *pairs = calloc(n ? n : 1, sizeof(*pairs));
	char *out = NULL;
	size_t total = 1;

	if (!pairs)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *v = params[i].value ? params[i].value : "";
		pairs[i].name = ts_uri_encode(params[i].name, false);
		pairs[i].value = ts_uri_encode(v, false);
		if (!pairs[i].name || !pairs[i].value)
			goto done;
		total += strlen(pairs[i].name) + strlen(pairs[i].value) + 2;
	}
	qsort(pairs, n, sizeof(*pairs), cmp_pair);
	out = malloc(total);
	if (!out)
		goto done;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(out + o, total - o, "%s%s=%s", i ? "&" : "", pairs[i].name,
		                 pairs[i].value);
		o += (size_t)w;
	}
	out[o] = '\0';
done:
	for (size_t i = 0; i < n; i++) {
		free(pairs[i].name);
		free(pairs[i].value);
	}
	free(pairs);
	return out;
}

static void to_hex(const unsigned char *d, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void ts_sha256_hex(const void *data, size_t len, char out[65])
{
	/* The SDK's digest; "" when it fails (out of memory), which S3 refuses
	 * like any bad signature, so the delivery is retried. */
	if (relayd_hex_sha256(data ? data : "", len, out) != RELAYD_OK)
		out[0] = '\0';
}

struct lc_header {
	char name[128];
	const char *value;
};

static int cmp_header(const void *a, const void *b)
{
	return strcmp(((const struct lc_header *)a)->name, ((const struct lc_header *)b)->name);
}

char *ts_sigv4_canonical_request(const struct ts_sigv4_input *in)
{
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	struct lc_header *hs = calloc(in->n_headers ? in->n_headers : 1, sizeof(*hs));

	if (!hs)
		return NULL;
	for (size_t i = 0; i < in->n_headers; i++) {
		size_t j = 0;
		for (; in->headers[i].name[j] && j < sizeof(hs[i].name) - 1; j++)
			hs[i].name[j] = (char)tolower((unsigned char)in->headers[i].name[j]);
		hs[i].name[j] = '\0';
		hs[i].value = in->headers[i].value;
	}
	qsort(hs, in->n_headers, sizeof(*hs), cmp_header);

	relayd_strbuf_append_str(&b, in->method);
	relayd_strbuf_append_str(&b, "\n");
	relayd_strbuf_append_str(&b, in->canonical_uri);
	relayd_strbuf_append_str(&b, "\n");
	relayd_strbuf_append_str(&b, in->canonical_query ? in->canonical_query : "");
	relayd_strbuf_append_str(&b, "\n");
	for (size_t i = 0; i < in->n_headers; i++) {
		const char *v = hs[i].value;
		size_t vn = strlen(v);
		while (vn && isspace((unsigned char)*v)) {
			v++;
			vn--;
		}
		while (vn && isspace((unsigned char)v[vn - 1]))
			vn--;
		relayd_strbuf_append_str(&b, hs[i].name);
		relayd_strbuf_append_str(&b, ":");
		relayd_strbuf_append(&b, v, vn);
		relayd_strbuf_append_str(&b, "\n");
	}
	relayd_strbuf_append_str(&b, "\n");
	for (size_t i = 0; i < in->n_headers; i++) {
		if (i)
			relayd_strbuf_append_str(&b, ";");
		relayd_strbuf_append_str(&b, hs[i].name);
	}
	relayd_strbuf_append_str(&b, "\n");
	relayd_strbuf_append_str(&b, in->payload_hash);
	free(hs);
	return relayd_strbuf_detach(&b, NULL);
}

char *ts_sigv4_string_to_sign(const struct ts_sigv4_input *in)
{
	char hash[65];
	char *creq = ts_sigv4_canonical_request(in);
	if (!creq)
		return NULL;
	ts_sha256_hex(creq, strlen(creq), hash);
	free(creq);

	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	/* The scope's date is the first 8 characters of amz_date (YYYYMMDD). */
	relayd_strbuf_printf(&b, "AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", in->amz_date,
	                     in->amz_date, in->region, in->service, hash);
	return relayd_strbuf_detach(&b, NULL);
}

static bool hmac(const void *key, size_t key_len, const char *msg, unsigned char out[32])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	/* A separate output buffer: callers chain k = HMAC(k, msg). */
	if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg, strlen(msg), md, &n) ||
	    n != 32)
		return false;
	memcpy(out, md, 32);
	return true;
}

int ts_sigv4_signature(const struct ts_sigv4_input *in, char out[65])
{
	char date[9];
	char secret[256];
	unsigned char k[32];

	if (!in->amz_date || strlen(in->amz_date) != 16)
		return RELAYD_EINVAL;
	int n = snprintf(secret, sizeof(secret), "AWS4%s", in->secret_key);
	if (n < 0 || (size_t)n >= sizeof(secret))
		return RELAYD_EINVAL;
	memcpy(date, in->amz_date, 8);
	date[8] = '\0';
	char *sts = ts_sigv4_string_to_sign(in);
	if (!sts)
		return RELAYD_ENOMEM;
	bool ok = hmac(secret, (size_t)n, date, k) && hmac(k, 32, in->region, k) &&
	          hmac(k, 32, in->service, k) && hmac(k, 32, "aws4_request", k) &&
	          hmac(k, 32, sts, k);
	free(sts);
	if (!ok)
		return RELAYD_EINVAL;
	to_hex(k, 32, out);
	return RELAYD_OK;
}
