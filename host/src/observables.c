/* SPDX-License-Identifier: MIT */
/* SecureX observable bodies: marshmallow-exact validation messages and the per-plugin input policy. */
#include "observables.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <relayd/json.h>
#include <relayd/strbuf.h>

#include "cache.h"

#define MSG_SCHEMA "Invalid input type."
#define MSG_MISSING "Missing data for required field."
#define MSG_NULL "Field may not be null."
#define MSG_NOT_STRING "Not a valid string."
#define MSG_BLANK "Field may not be blank."
#define MSG_UNKNOWN "Unknown field."

/* ---- UTF-8 (jansson has already validated every string and key) -------- */

/* Decodes one code point at s[*i] and advances *i. A stray byte (which
 * validated input never has) decodes as itself so output stays bounded. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];
	unsigned extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
	if (extra == 0 || len - *i <= extra) {
		(*i)++;
		return c;
	}
	uint32_t cp = c & (0x3fu >> extra);
	for (unsigned k = 1; k <= extra; k++)
		cp = (cp << 6) | (s[*i + k] & 0x3fu);
	*i += extra + 1;
	return cp;
}

/* ---- Python repr() of a str -------------------------------------------- */

struct cp_range {
	uint32_t lo, hi;
};

/* Code points Python's str.isprintable() rejects (categories Cc, Cf, Co, Zl,
 * Zp, Zs other than space, and the noncharacters), so repr() escapes them.
 * Unassigned code points (Cn) are printed raw: an accepted approximation. */
static const struct cp_range py_unprintable[] = {
	{0x80, 0xa0}, {0xad, 0xad}, {0x600, 0x605}, {0x61c, 0x61c}, {0x6dd, 0x6dd},
	{0x70f, 0x70f}, {0x890, 0x891}, {0x8e2, 0x8e2}, {0x1680, 0x1680}, {0x180e, 0x180e},
	{0x2000, 0x200f}, {0x2028, 0x202f}, {0x205f, 0x2064}, {0x2066, 0x206f},
	{0x3000, 0x3000}, {0xe000, 0xf8ff}, {0xfdd0, 0xfdef}, {0xfeff, 0xfeff},
	{0xfff0, 0xfffb}, {0x110bd, 0x110bd}, {0x110cd, 0x110cd}, {0x13430, 0x13438},
	{0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0001, 0xe0001}, {0xe0020, 0xe007f},
	{0xf0000, 0x10ffff},
};

static bool py_printable(uint32_t cp)
{
	if ((cp & 0xfffe) == 0xfffe)
		return false;
	for (size_t i = 0; i < sizeof(py_unprintable) / sizeof(py_unprintable[0]); i++)
		if (cp >= py_unprintable[i].lo && cp <= py_unprintable[i].hi)
			return false;
	return true;
}

static void put_py_escape(struct relayd_strbuf *b, uint32_t cp)
{
	if (cp <= 0xff)
		relayd_strbuf_printf(b, "\\x%02x", (unsigned)cp);
	else if (cp <= 0xffff)
		relayd_strbuf_printf(b, "\\u%04x", (unsigned)cp);
	else
		relayd_strbuf_printf(b, "\\U%08x", (unsigned)cp);
}

/* repr(str): single quotes unless the text has ' and no ", escapes as CPython. */
static void put_py_str(struct relayd_strbuf *b, const char *s, size_t len)
{
	char quote = (memchr(s, '\'', len) && !memchr(s, '"', len)) ? '"' : '\'';
	const unsigned char *u = (const unsigned char *)s;
	relayd_strbuf_append_char(b, quote);
	for (size_t i = 0; i < len;) {
		size_t start = i;
		uint32_t cp = utf8_next(u, len, &i);
		if (cp == (uint32_t)quote || cp == '\\') {
			relayd_strbuf_append_char(b, '\\');
			relayd_strbuf_append_char(b, (char)cp);
		} else if (cp == '\t') {
			relayd_strbuf_append_str(b, "\\t");
		} else if (cp == '\n') {
			relayd_strbuf_append_str(b, "\\n");
		} else if (cp == '\r') {
			relayd_strbuf_append_str(b, "\\r");
		} else if (cp < 0x20 || cp == 0x7f) {
			put_py_escape(b, cp);
		} else if (cp < 0x80 || py_printable(cp)) {
			relayd_strbuf_append(b, s + start, i - start);
		} else {
			put_py_escape(b, cp);
		}
	}
	relayd_strbuf_append_char(b, quote);
}

/* ---- Python json.dumps() of a str (ensure_ascii=True) ------------------ */

static void put_json_str(struct relayd_strbuf *b, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	relayd_strbuf_append_char(b, '"');
	for (size_t i = 0; i < len;) {
		uint32_t cp = utf8_next(u, len, &i);
		switch (cp) {
		case '"': relayd_strbuf_append_str(b, "\\\""); break;
		case '\\': relayd_strbuf_append_str(b, "\\\\"); break;
		case '\n': relayd_strbuf_append_str(b, "\\n"); break;
		case '\r': relayd_strbuf_append_str(b, "\\r"); break;
		case '\t': relayd_strbuf_append_str(b, "\\t"); break;
		case '\b': relayd_strbuf_append_str(b, "\\b"); break;
		case '\f': relayd_strbuf_append_str(b, "\\f"); break;
		default:
			if (cp < 0x20 || (cp >= 0x80 && cp <= 0xffff)) {
				relayd_strbuf_printf(b, "\\u%04x", (unsigned)cp);
			} else if (cp > 0xffff) {
				uint32_t v = cp - 0x10000;
				relayd_strbuf_printf(b, "\\u%04x\\u%04x", (unsigned)(0xd800 + (v >> 10)),
				                     (unsigned)(0xdc00 + (v & 0x3ff)));
			} else {
				relayd_strbuf_append_char(b, (char)cp);
			}
		}
	}
	relayd_strbuf_append_char(b, '"');
}

/* ---- the error dict ---------------------------------------------------- */

static void put_str(struct relayd_strbuf *b, enum relayd_payload_style style, const char *s, size_t len)
{
	if (style == RELAYD_PAYLOAD_JSON)
		put_json_str(b, s, len);
	else
		put_py_str(b, s, len);
}

/* `'field': ['message']` */
static void put_field_error(struct relayd_strbuf *b, enum relayd_payload_style style, const char *field,
                            size_t field_len, const char *msg)
{
	put_str(b, style, field, field_len);
	relayd_strbuf_append_str(b, ": [");
	put_str(b, style, msg, strlen(msg));
	relayd_strbuf_append_char(b, ']');
}

/* Python prints the list index as an int key; json.dumps turns it into a string. */
static void put_index_key(struct relayd_strbuf *b, enum relayd_payload_style style, size_t index)
{
	relayd_strbuf_printf(b, style == RELAYD_PAYLOAD_JSON ? "\"%zu\": " : "%zu: ", index);
}

static char *finish_message(struct relayd_strbuf *b, enum relayd_payload_style style)
{
	if (style == RELAYD_PAYLOAD_JSON)
		relayd_strbuf_append_char(b, '.');
	return relayd_strbuf_detach(b, NULL);
}

static char *schema_message(enum relayd_payload_style style)
{
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	relayd_strbuf_append_str(&b, OBSERVABLES_MESSAGE_PREFIX "{");
	put_field_error(&b, style, "_schema", 7, MSG_SCHEMA);
	relayd_strbuf_append_char(&b, '}');
	return finish_message(&b, style);
}

/* What marshmallow's required, non-null String field with a non-empty
 * validator says about one key of an element; NULL when it is fine. */
static const char *field_problem(const json_t *element, const char *name)
{
	const json_t *v = json_object_get(element, name);
	if (!v)
		return MSG_MISSING;
	if (json_is_null(v))
		return MSG_NULL;
	if (!json_is_string(v))
		return MSG_NOT_STRING;
	if (json_string_length(v) == 0)
		return MSG_BLANK;
	return NULL;
}

static bool is_known_key(const char *key)
{
	return strcmp(key, "type") == 0 || strcmp(key, "value") == 0;
}

static size_t known_keys_present(const json_t *element)
{
	return (json_object_get(element, "type") ? 1u : 0u) +
	       (json_object_get(element, "value") ? 1u : 0u);
}

static bool element_is_valid(const json_t *element)
{
	return json_is_object(element) && !field_problem(element, "type") &&
	       !field_problem(element, "value") &&
	       json_object_size(element) == known_keys_present(element);
}

/* `{'type': [...], 'value': [...], 'x': ['Unknown field.']}` for one element,
 * unknown keys in body order, stopping early past the soft cap. */
static void put_element_errors(struct relayd_strbuf *b, enum relayd_payload_style style,
                               const json_t *element)
{
	relayd_strbuf_append_char(b, '{');
	if (!json_is_object(element)) {
		put_field_error(b, style, "_schema", 7, MSG_SCHEMA);
		relayd_strbuf_append_char(b, '}');
		return;
	}
	bool first = true;
	static const char *const known[] = {"type", "value"};
	for (size_t k = 0; k < 2; k++) {
		const char *msg = field_problem(element, known[k]);
		if (!msg)
			continue;
		if (!first)
			relayd_strbuf_append_str(b, ", ");
		put_field_error(b, style, known[k], strlen(known[k]), msg);
		first = false;
	}
	const char *key;
	size_t key_len;
	json_t *value;
	json_object_keylen_foreach((json_t *)element, key, key_len, value) {
		(void)value;
		if (is_known_key(key))
			continue;
		if (!first && b->len > OBSERVABLES_MESSAGE_SOFT_MAX)
			break;
		if (!first)
			relayd_strbuf_append_str(b, ", ");
		put_field_error(b, style, key, key_len, MSG_UNKNOWN);
		first = false;
	}
	relayd_strbuf_append_char(b, '}');
}

static char *elements_message(enum relayd_payload_style style, const json_t *array)
{
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	relayd_strbuf_append_str(&b, OBSERVABLES_MESSAGE_PREFIX "{");
	bool first = true;
	size_t n = json_array_size(array);
	for (size_t i = 0; i < n; i++) {
		const json_t *element = json_array_get(array, i);
		if (element_is_valid(element))
			continue;
		if (!first && b.len > OBSERVABLES_MESSAGE_SOFT_MAX)
			break;
		if (!first)
			relayd_strbuf_append_str(&b, ", ");
		put_index_key(&b, style, i);
		put_element_errors(&b, style, element);
		first = false;
	}
	relayd_strbuf_append_char(&b, '}');
	return finish_message(&b, style);
}

/* ---- lists ------------------------------------------------------------- */

void observables_list_free(struct observables_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		/* The list owns these; relayd_observable only shows them as const. */
		free((char *)list->items[i].type);
		free((char *)list->items[i].value);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

static char *dup_json_string(const json_t *s)
{
	size_t n = json_string_length(s);
	char *p = malloc(n + 1);
	if (p) {
		memcpy(p, json_string_value(s), n);
		p[n] = '\0';
	}
	return p;
}

static int list_from_array(const json_t *array, struct observables_list *out)
{
	size_t n = json_array_size(array);
	if (n == 0)
		return RELAYD_OK;
	out->items = calloc(n, sizeof(*out->items));
	if (!out->items)
		return RELAYD_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const json_t *element = json_array_get(array, i);
		char *type = dup_json_string(json_object_get(element, "type"));
		char *value = dup_json_string(json_object_get(element, "value"));
		if (!type || !value) {
			free(type);
			free(value);
			observables_list_free(out);
			return RELAYD_ENOMEM;
		}
		out->items[i].type = type;
		out->items[i].value = value;
		out->count = i + 1;
	}
	return RELAYD_OK;
}

static bool all_elements_valid(const json_t *array)
{
	size_t n = json_array_size(array);
	for (size_t i = 0; i < n; i++)
		if (!element_is_valid(json_array_get(array, i)))
			return false;
	return true;
}

int observables_parse(const char *body, size_t len, enum relayd_payload_style style,
                      struct observables_list *out, char **message)
{
	if (message)
		*message = NULL;
	if (!out || !message)
		return RELAYD_EINVAL;
	out->items = NULL;
	out->count = 0;

	/* jansson stops at JSON_PARSER_MAX_DEPTH (2048) levels, so a deeply
	 * nested body fails here instead of recursing without bound. */
	json_error_t err;
	json_t *root = (body && len) ? relayd_json_loadb(body, len, 0, &err) : NULL;
	if (!json_is_array(root)) {
		json_decref(root);
		*message = schema_message(style);
		return *message ? RELAYD_EINVAL : RELAYD_ENOMEM;
	}
	int rc;
	if (all_elements_valid(root)) {
		rc = list_from_array(root, out);
	} else {
		*message = elements_message(style, root);
		rc = *message ? RELAYD_EINVAL : RELAYD_ENOMEM;
	}
	json_decref(root);
	return rc;
}

/* ---- the input policy -------------------------------------------------- */

/* Open addressing over indexes into the output list; slots hold index + 1. */
struct dedup {
	size_t *slots;
	uint64_t *hashes; /* per output index */
	size_t mask;
};

static bool dedup_init(struct dedup *d, size_t max_items)
{
	size_t cap = 8;
	while (cap < max_items * 2)
		cap *= 2;
	d->slots = calloc(cap, sizeof(*d->slots));
	d->hashes = calloc(max_items ? max_items : 1, sizeof(*d->hashes));
	d->mask = cap - 1;
	return d->slots && d->hashes;
}

static void dedup_destroy(struct dedup *d)
{
	free(d->slots);
	free(d->hashes);
}

static uint64_t observable_hash(enum relayd_dedup mode, const char *type, const char *value)
{
	uint64_t h = cache_hash(value, strlen(value));
	if (mode == RELAYD_DEDUP_PAIR)
		h ^= cache_hash(type, strlen(type)) * 0x9e3779b97f4a7c15ULL;
	return h;
}

static bool same_observable(enum relayd_dedup mode, const struct relayd_observable *o,
                            const char *type, const char *value)
{
	return strcmp(o->value, value) == 0 &&
	       (mode == RELAYD_DEDUP_VALUE || strcmp(o->type, type) == 0);
}

/* Returns the slot for (type, value): either holding its index + 1 or empty. */
static size_t *dedup_slot(struct dedup *d, enum relayd_dedup mode,
                          const struct observables_list *outl, uint64_t h, const char *type,
                          const char *value)
{
	for (size_t i = h & d->mask;; i = (i + 1) & d->mask) {
		size_t *slot = &d->slots[i];
		if (*slot == 0)
			return slot;
		size_t idx = *slot - 1;
		if (d->hashes[idx] == h && same_observable(mode, &outl->items[idx], type, value))
			return slot;
	}
}

static bool type_matches(const char *type, const char *supported, bool fold)
{
	if (!fold)
		return strcmp(type, supported) == 0;
	for (; *type && *supported; type++, supported++) {
		unsigned char c = (unsigned char)*type;
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (c != (unsigned char)*supported)
			return false;
	}
	return *type == '\0' && *supported == '\0';
}

static bool type_supported(const char *type, const char *const *types, bool fold)
{
	if (!types)
		return true;
	for (size_t i = 0; types[i]; i++)
		if (type_matches(type, types[i], fold))
			return true;
	return false;
}

static char *dup_type(const char *type, bool fold)
{
	char *t = strdup(type);
	if (t && fold)
		for (char *p = t; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	return t;
}

/* Adds one surviving observable (type already folded, owned by the caller
 * until this returns true). */
static bool keep_observable(struct dedup *d, enum relayd_dedup mode,
                            struct observables_list *out, char *type, const char *value)
{
	uint64_t h = observable_hash(mode, type, value);
	size_t *slot = dedup_slot(d, mode, out, h, type, value);
	if (*slot) {
		struct relayd_observable *o = &out->items[*slot - 1];
		if (mode == RELAYD_DEDUP_VALUE) {
			/* Python dict: the key keeps its first position, the value is the last written. */
			free((char *)o->type);
			o->type = type;
		} else {
			free(type);
		}
		return true;
	}
	char *v = strdup(value);
	if (!v)
		return false;
	out->items[out->count].type = type;
	out->items[out->count].value = v;
	d->hashes[out->count] = h;
	out->count++;
	*slot = out->count;
	return true;
}

int observables_filter(const struct observables_list *in, const struct relayd_relay_policy *policy,
                       const char *const *types, observables_supports_fn supports, void *state,
                       struct observables_list *out)
{
	if (!out)
		return RELAYD_EINVAL;
	out->items = NULL;
	out->count = 0;
	if (!in || !policy)
		return RELAYD_EINVAL;
	if (in->count == 0)
		return RELAYD_OK;

	bool fold = policy->type_case == RELAYD_TYPE_FOLD;
	enum relayd_dedup mode = policy->dedup == RELAYD_DEDUP_PAIR ? RELAYD_DEDUP_PAIR
	                                                            : RELAYD_DEDUP_VALUE;
	struct dedup d;
	out->items = calloc(in->count, sizeof(*out->items));
	if (!out->items || !dedup_init(&d, in->count)) {
		if (out->items)
			dedup_destroy(&d);
		free(out->items);
		out->items = NULL;
		return RELAYD_ENOMEM;
	}
	int rc = RELAYD_OK;
	for (size_t i = 0; i < in->count; i++) {
		const struct relayd_observable *o = &in->items[i];
		if (!type_supported(o->type, types, fold))
			continue;
		char *type = dup_type(o->type, fold);
		if (!type) {
			rc = RELAYD_ENOMEM;
			break;
		}
		if (supports && !supports(state, type, o->value)) {
			free(type);
			continue;
		}
		if (!keep_observable(&d, mode, out, type, o->value)) {
			free(type);
			rc = RELAYD_ENOMEM;
			break;
		}
	}
	dedup_destroy(&d);
	/* On failure, or with no survivors, *out is left empty (items NULL). */
	if (rc != RELAYD_OK || out->count == 0)
		observables_list_free(out);
	return rc;
}
