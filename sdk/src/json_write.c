/* SPDX-License-Identifier: MIT */
/* Compact JSON text from jansson trees, byte-identical to json_dumps (see relayd/json.h). */
#include <relayd/json.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>

#include "utf8.h"

/* jansson's own parsing limit; a deeper tree can only come from a cycle
 * (which json_dumps refuses too) or from code building one on purpose. */
#define JSON_WRITE_MAX_DEPTH 2048

static bool ascii_plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* The escape json_dumps writes for an ASCII byte that needs one. */
static size_t escape_of(unsigned char c, char seq[6])
{
	static const char hex[] = "0123456789ABCDEF";
	char short_form = 0;
	switch (c) {
	case '"': short_form = '"'; break;
	case '\\': short_form = '\\'; break;
	case '\b': short_form = 'b'; break;
	case '\f': short_form = 'f'; break;
	case '\n': short_form = 'n'; break;
	case '\r': short_form = 'r'; break;
	case '\t': short_form = 't'; break;
	default: break;
	}
	seq[0] = '\\';
	if (short_form) {
		seq[1] = short_form;
		return 2;
	}
	seq[1] = 'u';
	seq[2] = '0';
	seq[3] = '0';
	seq[4] = hex[c >> 4];
	seq[5] = hex[c & 0xF];
	return 6;
}

/* A quoted string: runs of bytes that need no escape are copied at once. */
static int put_string(struct relayd_strbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	const unsigned char *run = p;
	relayd_strbuf_append_char(out, '"');
	while (p < end) {
		if (ascii_plain(*p)) {
			p++;
			continue;
		}
		if (*p >= 0x80) {
			size_t n = utf8_sequence_len(p, (size_t)(end - p));
			if (n == 0)
				return RELAYD_EINVAL;
			p += n;
			continue;
		}
		char seq[6];
		relayd_strbuf_append(out, run, (size_t)(p - run));
		relayd_strbuf_append(out, seq, escape_of(*p, seq));
		run = ++p;
	}
	relayd_strbuf_append(out, run, (size_t)(p - run));
	return relayd_strbuf_append_char(out, '"');
}

static int put_integer(struct relayd_strbuf *out, json_int_t v)
{
	char digits[24];
	char *end = digits + sizeof(digits);
	char *p = end;
	/* Through unsigned: -LLONG_MIN does not fit a json_int_t. */
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return relayd_strbuf_append(out, p, (size_t)(end - p));
}

/* Reals are rare in relay answers and jansson's "%.17g" with its exponent
 * clean-up is the format to match, so jansson writes them. */
static int put_real(struct relayd_strbuf *out, const json_t *json)
{
	char *text = json_dumps(json, JSON_ENCODE_ANY);
	if (!text)
		return RELAYD_ENOMEM;
	relayd_strbuf_append_str(out, text);
	free(text);
	return out->status;
}

static int put_value(struct relayd_strbuf *out, const json_t *json, int depth);

static int put_array(struct relayd_strbuf *out, const json_t *json, int depth)
{
	size_t n = json_array_size(json);
	relayd_strbuf_append_char(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			relayd_strbuf_append_char(out, ',');
		int rc = put_value(out, json_array_get(json, i), depth + 1);
		if (rc != RELAYD_OK)
			return rc;
	}
	return relayd_strbuf_append_char(out, ']');
}

static int put_object(struct relayd_strbuf *out, const json_t *json, int depth)
{
	relayd_strbuf_append_char(out, '{');
	bool first = true;
	/* json_object_iter walks keys in insertion order, as json_dumps does
	 * without JSON_SORT_KEYS. */
	for (void *it = json_object_iter((json_t *)json); it;
	     it = json_object_iter_next((json_t *)json, it)) {
		if (!first)
			relayd_strbuf_append_char(out, ',');
		first = false;
		int rc = put_string(out, json_object_iter_key(it), json_object_iter_key_len(it));
		if (rc != RELAYD_OK)
			return rc;
		relayd_strbuf_append_char(out, ':');
		rc = put_value(out, json_object_iter_value(it), depth + 1);
		if (rc != RELAYD_OK)
			return rc;
	}
	return relayd_strbuf_append_char(out, '}');
}

static int put_value(struct relayd_strbuf *out, const json_t *json, int depth)
{
	if (!json || depth > JSON_WRITE_MAX_DEPTH)
		return RELAYD_EINVAL;
	switch (json_typeof(json)) {
	case JSON_OBJECT: return put_object(out, json, depth);
	case JSON_ARRAY: return put_array(out, json, depth);
	case JSON_STRING: return put_string(out, json_string_value(json), json_string_length(json));
	case JSON_INTEGER: return put_integer(out, json_integer_value(json));
	case JSON_REAL: return put_real(out, json);
	case JSON_TRUE: return relayd_strbuf_append(out, "true", 4);
	case JSON_FALSE: return relayd_strbuf_append(out, "false", 5);
	case JSON_NULL: return relayd_strbuf_append(out, "null", 4);
	}
	return RELAYD_EINVAL;
}

int relayd_json_append(struct relayd_strbuf *out, const json_t *json)
{
	if (!out)
		return RELAYD_EINVAL;
	int rc = put_value(out, json, 0);
	if (rc == RELAYD_OK && out->status != RELAYD_OK)
		rc = out->status;
	return rc;
}

char *relayd_json_dumps(const json_t *json)
{
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	if (relayd_json_append(&b, json) != RELAYD_OK) {
		relayd_strbuf_free(&b);
		return NULL;
	}
	return relayd_strbuf_detach(&b, NULL);
}
