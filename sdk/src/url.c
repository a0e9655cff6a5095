/* SPDX-License-Identifier: MIT */
/* URL building and the encodings plugins need (percent, form, base64, hex SHA-256). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <relayd/sdk.h>

static const char hex_upper[] = "0123456789ABCDEF";

/* RFC 3986 unreserved characters: the only bytes a relay never encodes. */
static bool is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-' || c == '~';
}

/* A growable string; every append keeps it NUL-terminated. */
struct strbuf {
	char *s;
	size_t len;
	size_t cap;
	bool failed;
};

static void sb_reserve(struct strbuf *b, size_t extra)
{
	if (b->failed)
		return;
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		b->failed = true;
		return;
	}
	b->s = s;
	b->s[b->len] = '\0';
	b->cap = cap;
}

static void sb_append(struct strbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	if (b->failed)
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void sb_putc(struct strbuf *b, char c)
{
	sb_append(b, &c, 1);
}

/* Hands the string to the caller, or NULL (and frees) when anything failed. */
static char *sb_finish(struct strbuf *b)
{
	if (b->failed) {
		free(b->s);
		return NULL;
	}
	if (!b->s)
		return strdup("");
	return b->s;
}

enum encode_mode {
	ENCODE_ALL,       /* everything but unreserved */
	ENCODE_KEEP_SLASH, /* ditto, '/' kept (multi-segment paths) */
	ENCODE_FORM,      /* ditto, ' ' as '+' */
};

static void sb_encode(struct strbuf *b, const char *s, enum encode_mode mode)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (is_unreserved(*p) || (mode == ENCODE_KEEP_SLASH && *p == '/')) {
			sb_putc(b, (char)*p);
		} else if (mode == ENCODE_FORM && *p == ' ') {
			sb_putc(b, '+');
		} else {
			char esc[3] = {'%', hex_upper[*p >> 4], hex_upper[*p & 0x0f]};
			sb_append(b, esc, sizeof esc);
		}
	}
}

static char *encode(const char *s, enum encode_mode mode)
{
	if (!s)
		return NULL;
	struct strbuf b = {0};
	sb_reserve(&b, strlen(s));
	sb_encode(&b, s, mode);
	return sb_finish(&b);
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

static void sb_join(struct strbuf *b, const char *base, const char *path)
{
	size_t blen = strlen(base);
	while (blen > 0 && base[blen - 1] == '/')
		blen--;
	sb_append(b, base, blen);
	if (!path)
		return;
	while (*path == '/')
		path++;
	if (*path == '\0')
		return;
	sb_putc(b, '/');
	sb_append(b, path, strlen(path));
}

char *relayd_url_join(const char *base, const char *path)
{
	if (!base)
		return NULL;
	struct strbuf b = {0};
	sb_join(&b, base, path);
	return sb_finish(&b);
}

static char *url_with_pairs(const char *base, const char *path, const char *const *kv,
                            enum encode_mode mode)
{
	if (!base)
		return NULL;
	struct strbuf b = {0};
	sb_join(&b, base, path);
	for (size_t i = 0; kv && kv[i]; i += 2) {
		sb_putc(&b, i == 0 ? '?' : '&');
		sb_encode(&b, kv[i], mode);
		sb_putc(&b, '=');
		if (kv[i + 1])
			sb_encode(&b, kv[i + 1], mode);
		else
			break; /* a NULL value also ends the array */
	}
	return sb_finish(&b);
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
