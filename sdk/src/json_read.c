/* SPDX-License-Identifier: MIT */
/* A fast JSON reader building jansson trees; jansson reads whatever it declines (see relayd/json.h). */
#include <relayd/json.h>

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "utf8.h"

/* Deeper documents are rare and jansson reads them (to its own 2048 limit):
 * the recursion here stays shallow. */
#define READ_MAX_DEPTH 256
/* Integers of up to 18 digits cannot overflow a json_int_t; longer ones go
 * to jansson, which reports "too big integer" as it should. */
#define READ_MAX_INT_DIGITS 18
/* Reals are parsed by strtod from a NUL-terminated copy of this size. */
#define READ_MAX_REAL_CHARS 64
/* The flags the fast reader honours itself; any other goes to jansson. */
#define FAST_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

struct reader {
	const unsigned char *p;
	const unsigned char *end;
	size_t flags;
	int depth;
	char *scratch; /* unescaped string bytes; grown as needed */
	size_t scratch_cap;
	const char *const *keep; /* NULL, or the top-level members to build */
};

static bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static void skip_ws(struct reader *r)
{
	while (r->p < r->end && is_ws(*r->p))
		r->p++;
}

/* The 4 hex digits after "\u" at p; -1 when they are not there. */
static long hex4(const unsigned char *p, const unsigned char *end)
{
	if (end - p < 4)
		return -1;
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hex_digit_value(p[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static size_t put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* One "\uXXXX" (or a surrogate pair of two) at r->p (on the 'u'), written to
 * out; false for anything jansson refuses (lone or mismatched surrogates,
 * bad hex, U+0000 without JSON_ALLOW_NUL). */
static bool unicode_escape(struct reader *r, char *out, size_t *n)
{
	long cp = hex4(r->p + 1, r->end);
	if (cp < 0)
		return false;
	r->p += 5;
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return false;
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u')
			return false;
		long low = hex4(r->p + 2, r->end);
		if (low < 0xDC00 || low > 0xDFFF)
			return false;
		r->p += 6;
		cp = ((cp - 0xD800) << 10) + (low - 0xDC00) + 0x10000;
	}
	if (cp == 0)
		return false;
	*n = put_utf8(out, (unsigned long)cp);
	return true;
}

static bool grow_scratch(struct reader *r, size_t need)
{
	if (need <= r->scratch_cap)
		return true;
	char *s = realloc(r->scratch, need);
	if (!s)
		return false;
	r->scratch = s;
	r->scratch_cap = need;
	return true;
}

/* Unescapes the string whose body starts at r->p (after the quote) into
 * r->scratch; r->p ends after the closing quote. The result is never longer
 * than the source (jansson's own argument: every escape shrinks). */
static bool unescape_string(struct reader *r, const char **text, size_t *len)
{
	if (!grow_scratch(r, (size_t)(r->end - r->p) + 1))
		return false;
	size_t n = 0;
	while (r->p < r->end) {
		unsigned char c = *r->p;
		if (c == '"') {
			r->p++;
			*text = r->scratch;
			*len = n;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c >= 0x80) {
			size_t k = utf8_sequence_len(r->p, (size_t)(r->end - r->p));
			if (k == 0)
				return false;
			memcpy(r->scratch + n, r->p, k);
			n += k;
			r->p += k;
			continue;
		}
		if (c != '\\') {
			r->scratch[n++] = (char)c;
			r->p++;
			continue;
		}
		if (r->end - r->p < 2)
			return false;
		char e = (char)r->p[1];
		char plain = 0;
		switch (e) {
		case '"': plain = '"'; break;
		case '\\': plain = '\\'; break;
		case '/': plain = '/'; break;
		case 'b': plain = '\b'; break;
		case 'f': plain = '\f'; break;
		case 'n': plain = '\n'; break;
		case 'r': plain = '\r'; break;
		case 't': plain = '\t'; break;
		case 'u': {
			size_t k;
			r->p++;
			if (!unicode_escape(r, r->scratch + n, &k))
				return false;
			n += k;
			continue;
		}
		default: return false;
		}
		r->scratch[n++] = plain;
		r->p += 2;
	}
	return false; /* no closing quote */
}

/* A string at r->p (on the opening quote). Most strings have no escape:
 * those are used in place, without a copy. */
static bool read_string(struct reader *r, const char **text, size_t *len)
{
	const unsigned char *start = ++r->p;
	while (r->p < r->end) {
		r->p = json_plain_ascii_end(r->p, r->end);
		if (r->p == r->end)
			break;
		unsigned char c = *r->p;
		if (c == '"') {
			*text = (const char *)start;
			*len = (size_t)(r->p - start);
			r->p++;
			return true;
		}
		if (c == '\\') {
			r->p = start;
			return unescape_string(r, text, len);
		}
		if (c < 0x20)
			return false;
		/* c >= 0x80: the only other byte json_plain_ascii_end stops at */
		size_t k = utf8_sequence_len(r->p, (size_t)(r->end - r->p));
		if (k == 0)
			return false;
		r->p += k;
	}
	return false;
}

/* The value of a real, or false when jansson must read it: too long for
 * the copy, a locale whose decimal point is not '.', or out of range. */
static bool real_value(const unsigned char *start, size_t len, double *v)
{
	char text[READ_MAX_REAL_CHARS];
	const struct lconv *lc = localeconv();
	/* jansson swaps '.' for the locale's point; with "." there is nothing
	 * to swap, otherwise jansson reads it. */
	if (len >= sizeof(text) || strcmp(lc->decimal_point, ".") != 0)
		return false;
	memcpy(text, start, len);
	text[len] = '\0';
	errno = 0;
	*v = strtod(text, NULL);
	return !((*v == HUGE_VAL || *v == -HUGE_VAL) && errno == ERANGE);
}

/* Moves past a number as jansson's lexer takes it:
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? — and says whether it is an
 * integer. False when the text is not one, or is an integer of more digits
 * than fit for sure (jansson then reports "too big integer"). */
static bool scan_number(struct reader *r, bool *is_int)
{
	if (*r->p == '-')
		r->p++;
	const unsigned char *digits = r->p;
	if (r->p < r->end && *r->p == '0') {
		r->p++;
		if (r->p < r->end && is_digit(*r->p))
			return false;
	} else if (r->p < r->end && is_digit(*r->p)) {
		while (r->p < r->end && is_digit(*r->p))
			r->p++;
	} else {
		return false;
	}
	size_t n_digits = (size_t)(r->p - digits);
	*is_int = !(r->p < r->end && (*r->p == '.' || *r->p == 'e' || *r->p == 'E'));
	if (*is_int)
		return n_digits <= READ_MAX_INT_DIGITS;
	if (*r->p == '.') {
		r->p++;
		if (r->p >= r->end || !is_digit(*r->p))
			return false;
		while (r->p < r->end && is_digit(*r->p))
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || !is_digit(*r->p))
			return false;
		while (r->p < r->end && is_digit(*r->p))
			r->p++;
	}
	return true;
}

static json_t *read_number(struct reader *r)
{
	const unsigned char *start = r->p;
	bool is_int;
	if (!scan_number(r, &is_int))
		return NULL;
	if (is_int) {
		bool negative = *start == '-';
		json_int_t v = 0;
		for (const unsigned char *d = start + negative; d < r->p; d++)
			v = v * 10 + (*d - '0');
		return json_integer(negative ? -v : v);
	}
	double v;
	return real_value(start, (size_t)(r->p - start), &v) ? json_real(v) : NULL;
}

/* read_number's checks, without the value. */
static bool skip_number(struct reader *r)
{
	const unsigned char *start = r->p;
	bool is_int;
	double v;
	if (!scan_number(r, &is_int))
		return false;
	return is_int || real_value(start, (size_t)(r->p - start), &v);
}

/* "true", "false" or "null": jansson reads a whole run of letters, so
 * "truex" is one bad token, not "true" then "x". */
static json_t *read_literal(struct reader *r)
{
	const unsigned char *start = r->p;
	while (r->p < r->end && is_alpha(*r->p))
		r->p++;
	size_t n = (size_t)(r->p - start);
	if (n == 4 && memcmp(start, "true", 4) == 0)
		return json_true();
	if (n == 5 && memcmp(start, "false", 5) == 0)
		return json_false();
	if (n == 4 && memcmp(start, "null", 4) == 0)
		return json_null();
	return NULL;
}

static json_t *read_value(struct reader *r);

static json_t *read_array(struct reader *r)
{
	json_t *array = json_array();
	if (!array)
		return NULL;
	r->p++; /* '[' */
	skip_ws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return array;
	}
	for (;;) {
		json_t *item = read_value(r);
		if (!item || json_array_append_new(array, item) != 0)
			break;
		skip_ws(r);
		if (r->p >= r->end)
			break;
		if (*r->p == ']') {
			r->p++;
			return array;
		}
		if (*r->p != ',')
			break;
		r->p++;
		skip_ws(r);
	}
	json_decref(array);
	return NULL;
}

/* ---- checking a value without building it (relayd_json_loadb_members) ---- */

static bool skip_value(struct reader *r);

/* The elements of an array or the members of an object, after the opening
 * bracket, up to and with the closing one. */
static bool skip_items(struct reader *r, unsigned char close, bool members)
{
	skip_ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return true;
	}
	for (;;) {
		if (members) {
			const char *key;
			size_t key_len;
			if (r->p >= r->end || *r->p != '"' || !read_string(r, &key, &key_len) ||
			    memchr(key, '\0', key_len))
				return false;
			skip_ws(r);
			if (r->p >= r->end || *r->p != ':')
				return false;
			r->p++;
			skip_ws(r);
		}
		if (!skip_value(r))
			return false;
		skip_ws(r);
		if (r->p >= r->end)
			return false;
		if (*r->p == close) {
			r->p++;
			return true;
		}
		if (*r->p != ',')
			return false;
		r->p++;
		skip_ws(r);
	}
}

/* Accepts exactly what read_value accepts, building nothing (the literals
 * are jansson's singletons, which cost no allocation). */
static bool skip_value(struct reader *r)
{
	if (r->p >= r->end || ++r->depth > READ_MAX_DEPTH)
		return false;
	bool ok;
	unsigned char c = *r->p;
	if (c == '{' || c == '[') {
		r->p++;
		ok = skip_items(r, c == '{' ? '}' : ']', c == '{');
	} else if (c == '"') {
		const char *text;
		size_t len;
		ok = read_string(r, &text, &len) && !memchr(text, '\0', len);
	} else if (c == '-' || is_digit(c)) {
		ok = skip_number(r);
	} else {
		ok = read_literal(r) != NULL;
	}
	r->depth--;
	return ok;
}

static bool is_kept(const char *const *keep, const char *key, size_t key_len)
{
	for (; *keep; keep++)
		if (strlen(*keep) == key_len && memcmp(*keep, key, key_len) == 0)
			return true;
	return false;
}

static bool read_member(struct reader *r, json_t *object)
{
	const char *key;
	size_t key_len;
	if (r->p >= r->end || *r->p != '"' || !read_string(r, &key, &key_len))
		return false;
	/* The key may live in r->scratch, which the value can reuse: keep a
	 * copy when it was unescaped (rare), on the stack when small. */
	char small[128];
	char *copy = NULL;
	if (key == r->scratch) {
		copy = key_len < sizeof(small) ? small : malloc(key_len + 1);
		if (!copy)
			return false;
		memcpy(copy, key, key_len);
		key = copy;
	}
	bool ok = memchr(key, '\0', key_len) == NULL; /* jansson refuses NUL in keys */
	if (r->flags & JSON_REJECT_DUPLICATES)
		ok = ok && json_object_getn(object, key, key_len) == NULL;
	skip_ws(r);
	ok = ok && r->p < r->end && *r->p == ':';
	json_t *value = NULL;
	if (ok) {
		r->p++;
		skip_ws(r);
		if (r->keep && r->depth == 1 && !is_kept(r->keep, key, key_len)) {
			ok = skip_value(r);
		} else {
			value = read_value(r);
			ok = value && json_object_setn_new_nocheck(object, key, key_len, value) == 0;
		}
	}
	if (copy && copy != small)
		free(copy);
	return ok;
}

static json_t *read_object(struct reader *r)
{
	json_t *object = json_object();
	if (!object)
		return NULL;
	r->p++; /* '{' */
	skip_ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return object;
	}
	for (;;) {
		if (!read_member(r, object))
			break;
		skip_ws(r);
		if (r->p >= r->end)
			break;
		if (*r->p == '}') {
			r->p++;
			return object;
		}
		if (*r->p != ',')
			break;
		r->p++;
		skip_ws(r);
	}
	json_decref(object);
	return NULL;
}

static json_t *read_string_value(struct reader *r)
{
	const char *text;
	size_t len;
	if (!read_string(r, &text, &len))
		return NULL;
	if (memchr(text, '\0', len)) /* only JSON_ALLOW_NUL takes it; jansson decides */
		return NULL;
	return json_stringn_nocheck(text, len);
}

static json_t *read_value(struct reader *r)
{
	if (r->p >= r->end || ++r->depth > READ_MAX_DEPTH)
		return NULL;
	json_t *v;
	unsigned char c = *r->p;
	if (c == '{')
		v = read_object(r);
	else if (c == '[')
		v = read_array(r);
	else if (c == '"')
		v = read_string_value(r);
	else if (c == '-' || is_digit(c))
		v = read_number(r);
	else
		v = read_literal(r);
	r->depth--;
	return v;
}

static json_t *read_document(struct reader *r)
{
	skip_ws(r);
	if (r->p >= r->end)
		return NULL;
	if (!(r->flags & JSON_DECODE_ANY) && *r->p != '{' && *r->p != '[')
		return NULL;
	json_t *doc = read_value(r);
	if (!doc)
		return NULL;
	skip_ws(r);
	if (r->p != r->end) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* Deletes the top-level members of @p doc that are not in @p keep. */
static void drop_members(json_t *doc, const char *const *keep)
{
	const char *key;
	size_t key_len;
	json_t *value;
	void *tmp;
	if (!json_is_object(doc))
		return;
	json_object_keylen_foreach_safe(doc, tmp, key, key_len, value) {
		if (!is_kept(keep, key, key_len))
			json_object_deln(doc, key, key_len);
	}
}

/* The fast reader, then jansson for what it does not take (with the members
 * jansson built and relayd does not want dropped afterwards). */
static json_t *load(const char *buffer, size_t buflen, size_t flags, const char *const *keep,
                    json_error_t *error)
{
	json_t *doc = NULL;
	if (buffer && !(flags & ~(size_t)FAST_FLAGS)) {
		struct reader r = {
		    .p = (const unsigned char *)buffer,
		    .end = (const unsigned char *)buffer + buflen,
		    .flags = flags,
		    /* A duplicate among skipped members would go unseen: build
		     * them all and drop them below. */
		    .keep = flags & JSON_REJECT_DUPLICATES ? NULL : keep,
		};
		doc = read_document(&r);
		free(r.scratch);
	}
	if (!doc) {
		doc = json_loadb(buffer, buflen, flags, error);
		if (doc && keep)
			drop_members(doc, keep);
		return doc;
	}
	if (keep && (flags & JSON_REJECT_DUPLICATES))
		drop_members(doc, keep);
	if (error) {
		/* What json_loadb leaves in it on success. */
		memset(error, 0, sizeof(*error));
		error->line = -1;
		error->column = -1;
		error->position = (int)buflen;
		snprintf(error->source, sizeof(error->source), "%s", "<buffer>");
	}
	return doc;
}

json_t *relayd_json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error)
{
	return load(buffer, buflen, flags, NULL, error);
}

json_t *relayd_json_loadb_members(const char *buffer, size_t buflen, size_t flags,
                                  const char *const *keep, json_error_t *error)
{
	return load(buffer, buflen, flags, keep, error);
}
