/* SPDX-License-Identifier: MIT */
/* The reference's JSON envelopes and the Python-style rendering of its error texts. */
#include "ts_envelope.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>
#include <relayd/strbuf.h>

json_t *ts_envelope_ok(void)
{
	return json_pack("{s:b}", "success", 1);
}

json_t *ts_envelope_error(const char *type, const char *const *messages, size_t n)
{
	json_t *list = json_array();
	if (!list)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(list, json_string(messages[i] ? messages[i] : "")) != 0) {
			json_decref(list);
			return NULL;
		}
	}
	return json_pack("{s:b,s:{s:s,s:o}}", "success", 0, "error", "type", type, "message", list);
}

json_t *ts_envelope_error1(const char *type, const char *message)
{
	return ts_envelope_error(type, &message, 1);
}

json_t *ts_envelope_unexpected(void)
{
	return json_pack("{s:b,s:{s:s,s:s}}", "success", 0, "error", "type", TS_ERR_UNEXPECTED,
	                 "message", "An unexpected error has occurred.");
}

/* ---- Python repr ------------------------------------------------------- */

struct repr_buf {
	struct relayd_strbuf s;
	size_t max_len;
	bool truncated;
};

static void buf_put(struct repr_buf *b, const char *s, size_t n)
{
	if (b->truncated)
		return;
	/* Keep a little past max_len so the cut can land on a character boundary. */
	if (b->s.len + n > b->max_len + 8) {
		n = b->max_len + 8 - b->s.len;
		b->truncated = true;
	}
	relayd_strbuf_append(&b->s, s, n);
}

static void buf_puts(struct repr_buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* Python picks single quotes unless the text has ' and no ". */
static void repr_string(struct repr_buf *b, const char *s, size_t n)
{
	bool has_single = memchr(s, '\'', n) != NULL;
	bool has_double = memchr(s, '"', n) != NULL;
	char quote = (has_single && !has_double) ? '"' : '\'';
	char esc[8];

	buf_put(b, &quote, 1);
	for (size_t i = 0; i < n && !b->truncated; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\') {
			buf_puts(b, "\\\\");
		} else if (c == (unsigned char)quote) {
			esc[0] = '\\';
			esc[1] = quote;
			buf_put(b, esc, 2);
		} else if (c == '\n') {
			buf_puts(b, "\\n");
		} else if (c == '\r') {
			buf_puts(b, "\\r");
		} else if (c == '\t') {
			buf_puts(b, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\x%02x", c);
			buf_puts(b, esc);
		} else if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] <= 0xa0) {
			/* U+0080..U+00A0 are not printable for Python: \x80..\xa0. */
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)s[i + 1]);
			buf_puts(b, esc);
			i++;
		} else {
			buf_put(b, (const char *)&s[i], 1);
		}
	}
	buf_put(b, &quote, 1);
}

/* Python's repr(float): the shortest digits that round-trip, positional
 * notation for exponents -4..15, otherwise d.ddde+XX; always a '.' or 'e'. */
static void repr_real(struct repr_buf *b, double v)
{
	char digits[40];
	char out[64];

	if (isnan(v)) {
		buf_puts(b, "nan");
		return;
	}
	if (isinf(v)) {
		buf_puts(b, v < 0 ? "-inf" : "inf");
		return;
	}
	int prec = 1;
	for (; prec <= 17; prec++) {
		snprintf(digits, sizeof(digits), "%.*e", prec - 1, v);
		if (strtod(digits, NULL) == v)
			break;
	}
	/* digits: [-]d[.ddd]e±XX */
	const char *p = digits;
	bool neg = *p == '-';
	if (neg)
		p++;
	char mant[24];
	size_t m = 0;
	for (; *p && *p != 'e' && m < sizeof(mant) - 1; p++)
		if (*p != '.')
			mant[m++] = *p;
	mant[m] = '\0';
	long exp = (*p == 'e') ? strtol(p + 1, NULL, 10) : 0;
	while (m > 1 && mant[m - 1] == '0')
		mant[--m] = '\0';

	size_t o = 0;
	if (neg)
		out[o++] = '-';
	if (exp >= -5 + 1 && exp < 16) {
		if (exp < 0) {
			out[o++] = '0';
			out[o++] = '.';
			for (long z = -1; z > exp; z--)
				out[o++] = '0';
			for (size_t i = 0; i < m; i++)
				out[o++] = mant[i];
		} else {
			for (long i = 0; i <= exp; i++)
				out[o++] = (size_t)i < m ? mant[i] : '0';
			out[o++] = '.';
			if ((size_t)exp + 1 < m) {
				for (size_t i = (size_t)exp + 1; i < m; i++)
					out[o++] = mant[i];
			} else {
				out[o++] = '0';
			}
		}
		out[o] = '\0';
	} else {
		out[o++] = mant[0];
		if (m > 1) {
			out[o++] = '.';
			for (size_t i = 1; i < m; i++)
				out[o++] = mant[i];
		}
		snprintf(out + o, sizeof(out) - o, "e%c%02ld", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	}
	buf_puts(b, out);
}

static void repr_value(struct repr_buf *b, const json_t *v, int depth)
{
	char num[32];

	if (depth > 64) {
		/* Python would recurse further; nobody needs to read that deep. */
		buf_puts(b, "...");
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *val;
		bool first = true;
		buf_puts(b, "{");
		json_object_foreach((json_t *)v, key, val) {
			if (!first)
				buf_puts(b, ", ");
			first = false;
			repr_string(b, key, strlen(key));
			buf_puts(b, ": ");
			repr_value(b, val, depth + 1);
			if (b->truncated)
				break;
		}
		buf_puts(b, "}");
		break;
	}
	case JSON_ARRAY: {
		size_t i;
		json_t *val;
		buf_puts(b, "[");
		json_array_foreach(v, i, val) {
			if (i)
				buf_puts(b, ", ");
			repr_value(b, val, depth + 1);
			if (b->truncated)
				break;
		}
		buf_puts(b, "]");
		break;
	}
	case JSON_STRING:
		repr_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		buf_puts(b, num);
		break;
	case JSON_REAL:
		repr_real(b, json_real_value(v));
		break;
	case JSON_TRUE:
		buf_puts(b, "True");
		break;
	case JSON_FALSE:
		buf_puts(b, "False");
		break;
	case JSON_NULL:
	default:
		buf_puts(b, "None");
		break;
	}
}

char *ts_pyrepr(const json_t *v, size_t max_len)
{
	struct repr_buf b = {.s = RELAYD_STRBUF_INIT, .max_len = max_len};

	if (!v)
		buf_puts(&b, "None");
	else
		repr_value(&b, v, 0);
	if (b.s.status == RELAYD_OK && b.s.len > max_len) {
		size_t cut = max_len;
		/* Back up to the first byte of a UTF-8 sequence. */
		while (cut > 0 && ((unsigned char)b.s.data[cut] & 0xc0) == 0x80)
			cut--;
		b.s.len = cut;
		relayd_strbuf_append_str(&b.s, "...");
	}
	return relayd_strbuf_detach(&b.s, NULL);
}
