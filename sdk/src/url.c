/* SPDX-License-Identifier: MIT */
/* URL building and the encodings plugins need (percent, form, base64, hex SHA-256). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <relayd/sdk.h>
#include <relayd/strbuf.h>

#include "hex.h"

static const char hex_upper[] = "0123456789ABCDEF";

/* RFC 3986 unreserved characters: the only bytes a relay never encodes. */
static bool is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-' || c == '~';
}

enum encode_mode {
	ENCODE_ALL,       /* everything but unreserved */
	ENCODE_KEEP_SLASH, /* ditto, '/' kept (multi-segment paths) */
	ENCODE_FORM,      /* ditto, ' ' as '+' */
};

static void append_encoded(struct relayd_strbuf *b, const char *s, enum encode_mode mode)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (is_unreserved(*p) || (mode == ENCODE_KEEP_SLASH && *p == '/')) {
			relayd_strbuf_append_char(b, (char)*p);
		} else if (mode == ENCODE_FORM && *p == ' ') {
			relayd_strbuf_append_char(b, '+');
		} else {
			char esc[3] = {'%', hex_upper[*p >> 4], hex_upper[*p & 0x0f]};
			relayd_strbuf_append(b, esc, sizeof esc);
		}
	}
}

static char *encode(const char *s, enum encode_mode mode)
{
	if (!s)
		return NULL;
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	relayd_strbuf_reserve(&b, strlen(s));
	append_encoded(&b, s, mode);
	return relayd_strbuf_detach(&b, NULL);
}

char *relayd_pct_encode(const char *s)
{
	return encode(s, ENCODE_ALL);
}

char *relayd_pct_encode_path_segment(const char *s)
{
	return encode(s, ENCODE_ALL);
}

char *relayd_pct_encode_path(const char *s)
{
	return encode(s, ENCODE_KEEP_SLASH);
}

char *relayd_form_encode(const char *s)
{
	return encode(s, ENCODE_FORM);
}

char *relayd_form_decode(const char *s, size_t len)
{
	if (!s && len > 0)
		return NULL;
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] != '%') {
			out[o++] = s[i];
		} else {
			int hi = len - i > 2 ? hex_digit_value((unsigned char)s[i + 1]) : -1;
			int lo = len - i > 2 ? hex_digit_value((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi | lo) == 0) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	out[o] = '\0';
	return out;
}

static void append_joined(struct relayd_strbuf *b, const char *base, const char *path)
{
	size_t blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	relayd_strbuf_append(b, base, blen);
	if (!path)
		return;
	while (*path == '/')
		path++;
	if (*path == '\0')
		return;
	relayd_strbuf_append_char(b, '/');
	relayd_strbuf_append(b, path, strlen(path));
}

char *relayd_url_join(const char *base, const char *path)
{
	if (!base)
		return NULL;
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	append_joined(&b, base, path);
	return relayd_strbuf_detach(&b, NULL);
}

static char *url_with_pairs(const char *base, const char *path, const char *const *kv,
                            enum encode_mode mode)
{
	if (!base)
		return NULL;
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	append_joined(&b, base, path);
	for (size_t i = 0; kv && kv[i]; i += 2) {
		relayd_strbuf_append_char(&b, i == 0 ? '?' : '&');
		append_encoded(&b, kv[i], mode);
		relayd_strbuf_append_char(&b, '=');
		if (kv[i + 1])
			append_encoded(&b, kv[i + 1], mode);
		else
			break; /* a NULL value also ends the array */
	}
	return relayd_strbuf_detach(&b, NULL);
}

char *relayd_url_with_query(const char *base, const char *path, const char *const *kv_pairs)
{
	return url_with_pairs(base, path, kv_pairs, ENCODE_ALL);
}

char *relayd_url_with_form(const char *base, const char *path, const char *const *kv_pairs)
{
	return url_with_pairs(base, path, kv_pairs, ENCODE_FORM);
}

char *relayd_base64_encode(const void *data, size_t len)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	if (!data && len > 0)
		return NULL;
	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	const unsigned char *in = data;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	size_t i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

int relayd_hex_sha256(const void *data, size_t len, char out[65])
{
	static const char hex_lower[] = "0123456789abcdef";
	if (!out || (!data && len > 0))
		return RELAYD_EINVAL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	/* EVP_Digest accepts NULL data only with len 0, but give it a real pointer. */
	if (!EVP_Digest(data ? data : "", len, md, &md_len, EVP_sha256(), NULL) || md_len != 32)
		return RELAYD_ENOMEM;
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex_lower[md[i] >> 4];
		out[2 * i + 1] = hex_lower[md[i] & 0x0f];
	}
	out[64] = '\0';
	return RELAYD_OK;
}
