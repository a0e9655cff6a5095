/* SPDX-License-Identifier: MIT */
/* Compact JSON text from jansson trees, byte-identical to json_dumps (see relayd/json.h). */
#include <relayd/json.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>

#include "strbuf_put.h"
#include "utf8.h"

/* jansson's own parsing limit; a deeper tree can only come from a cycle
 * (which json_dumps refuses too) or from code building one on purpose. */
#define JSON_WRITE_MAX_DEPTH 2048

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

/* A quoted string: runs of bytes that need no escape (valid UTF-8
 * included) are copied at once. */
static int put_string(struct relayd_strbuf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	if (json_plain_ascii_end(p, end) == end) {
		/* Most keys and values: plain ASCII, copied in one go. */
		if (out->status != RELAYD_OK || out->len + len + 2 >= out->cap) {
			if (relayd_strbuf_reserve(out, len + 2) != RELAYD_OK)
				return out->status;
		}
		char *d = out->data + out->len;
		d[0] = '"';
		memcpy(d + 1, s, len);
		d[len + 1] = '"';
		d[len + 2] = '\0';
		out->len += len + 2;
		return RELAYD_OK;
	}
	strbuf_put_char(out, '"');
	while (p < end) {
		const unsigned char *run = p;
		for (;;) {
			p = json_plain_ascii_end(p, end);
			if (p == end || *p < 0x80)
				break;
			size_t n = utf8_sequence_len(p, (size_t)(end - p));
			if (n == 0)
				return RELAYD_EINVAL;
			p += n;
		}
		strbuf_put(out, run, (size_t)(p - run));
		if (p == end)
			break;
		char seq[6];
		strbuf_put(out, seq, escape_of(*p, seq));
		p++;
	}
	strbuf_put_char(out, '"');
	return out->status;
}

static int put_integer(struct relayd_strbuf *out, json_int_t v)
{
	strbuf_put_integer(out, v);
	return out->status;
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
	strbuf_put_char(out, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_put_char(out, ',');
		int rc = put_value(out, json_array_get(json, i), depth + 1);
		if (rc != RELAYD_OK)
			return rc;
	}
	strbuf_put_char(out, ']');
	return out->status;
}

static int put_object(struct relayd_strbuf *out, const json_t *json, int depth)
{
	strbuf_put_char(out, '{');
	bool first = true;
	/* json_object_iter walks keys in insertion order, as json_dumps does
	 * without JSON_SORT_KEYS. */
	for (void *it = json_object_iter((json_t *)json); it;
	     it = json_object_iter_next((json_t *)json, it)) {
		if (!first)
			strbuf_put_char(out, ',');
		first = false;
		int rc = put_string(out, json_object_iter_key(it), json_object_iter_key_len(it));
		if (rc != RELAYD_OK)
			return rc;
		strbuf_put_char(out, ':');
		rc = put_value(out, json_object_iter_value(it), depth + 1);
		if (rc != RELAYD_OK)
			return rc;
	}
	strbuf_put_char(out, '}');
	return out->status;
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
	case JSON_TRUE: strbuf_put(out, "true", 4); break;
	case JSON_FALSE: strbuf_put(out, "false", 5); break;
	case JSON_NULL: strbuf_put(out, "null", 4); break;
	default: return RELAYD_EINVAL;
	}
	return out->status;
}

int relayd_json_append_string(struct relayd_strbuf *out, const char *s, size_t len)
{
	if (!out || !s)
		return RELAYD_EINVAL;
	size_t before = out->len;
	int rc = put_string(out, s, len);
	if (rc == RELAYD_EINVAL && out->status == RELAYD_OK) {
		/* The bad byte came after part of the string was written. */
		out->len = before;
		if (out->data)
			out->data[before] = '\0';
	}
	return rc == RELAYD_OK ? out->status : rc;
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

/* Replies are a few KiB: start there rather than grow through realloc. */
#define DUMPS_FIRST_CAP 4096

char *relayd_json_dumps(const json_t *json)
{
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	relayd_strbuf_reserve(&b, DUMPS_FIRST_CAP);
	if (relayd_json_append(&b, json) != RELAYD_OK) {
		relayd_strbuf_free(&b);
		return NULL;
	}
	return relayd_strbuf_detach(&b, NULL);
}
