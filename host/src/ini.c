/* SPDX-License-Identifier: MIT */
/* A small INI parser: sections, key = value lines, comments, line numbers. */

/*
 * Why not libinih (DECISIONS.md §1): Debian 12's libinih 55 is built with
 * INI_HANDLER_LINENO=0 (handlers get no line number, and every config error
 * must say file:line) and INI_MAX_LINE=200 (a JWT secret or a long URL with a
 * query string overflows it, and inih silently splits such a line). It also
 * accepts duplicate keys and keys before any section, which relayd rejects.
 * A parser this size is cheaper to own, and it has its own fuzz target.
 */

#include "ini.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>

/* ---- a set of (scope, name) pairs, to find duplicates in O(1) ----------- */

struct name_slot {
	const char *scope; /* the section for keys; NULL for section names */
	const char *name;  /* NULL: empty slot */
	int line;
};

struct name_set {
	struct name_slot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t used;
};

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t slot_hash(const char *scope, const char *name)
{
	uint64_t h = 14695981039346656037ull;
	if (scope) {
		h = fnv1a(h, scope);
		h ^= 0xff; /* separates ("ab","c") from ("a","bc") */
		h *= 1099511628211ull;
	}
	return fnv1a(h, name);
}

static bool same_scope(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static struct name_slot *set_lookup(struct name_slot *slots, size_t cap, const char *scope,
                                    const char *name)
{
	size_t i = (size_t)slot_hash(scope, name) & (cap - 1);
	while (slots[i].name) {
		if (same_scope(slots[i].scope, scope) && strcmp(slots[i].name, name) == 0)
			return &slots[i];
		i = (i + 1) & (cap - 1);
	}
	return &slots[i];
}

static int set_grow(struct name_set *set)
{
	size_t cap = set->cap ? set->cap * 2 : 64;
	struct name_slot *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return RELAYD_ENOMEM;
	for (size_t i = 0; i < set->cap; i++) {
		if (set->slots[i].name)
			*set_lookup(slots, cap, set->slots[i].scope, set->slots[i].name) = set->slots[i];
	}
	free(set->slots);
	set->slots = slots;
	set->cap = cap;
	return RELAYD_OK;
}

/* Adds (scope, name) seen on @p line. Returns 0 when new, the line of the
 * first occurrence (> 0) when already there, or RELAYD_ENOMEM. */
static int set_add(struct name_set *set, const char *scope, const char *name, int line)
{
	if ((set->used + 1) * 2 > set->cap) {
		int rc = set_grow(set);
		if (rc)
			return rc;
	}
	struct name_slot *slot = set_lookup(set->slots, set->cap, scope, name);
	if (slot->name)
		return slot->line;
	slot->scope = scope;
	slot->name = name;
	slot->line = line;
	set->used++;
	return 0;
}

/* ---- lines -------------------------------------------------------------- */

struct parser {
	ini_section_fn on_section;
	ini_entry_fn on_entry;
	void *user;
	const char *section; /* points into the working copy; NULL before the first */
	struct name_set names;
	char *err;
	size_t errlen;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static char *trim(char *s)
{
	while (is_blank(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

static bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '-';
}

static bool is_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!is_name_char(*s))
			return false;
	}
	return true;
}

static bool is_comment_start(char c)
{
	return c == '#' || c == ';';
}

void ini_excerpt(char *dst, size_t dstlen, const char *s)
{
	enum { MAX_SHOWN = 60 };
	if (!dst || dstlen == 0)
		return;
	size_t n = 0;
	for (; s && s[n] && n < MAX_SHOWN && n + 1 < dstlen; n++) {
		unsigned char c = (unsigned char)s[n];
		dst[n] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[n] = '\0';
	if (s && s[n] && dstlen > 4) {
		size_t at = n + 3 < dstlen ? n : dstlen - 4;
		memcpy(dst + at, "...", 4);
	}
}

static int syntax_error(struct parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int syntax_error(struct parser *p, const char *fmt, ...)
{
	if (p->err && p->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	return RELAYD_EINVAL;
}

/* Room for an excerpt of user text in a message (see ini_excerpt). */
#define EXCERPT_SIZE 72

static int parse_section(struct parser *p, char *s, int line)
{
	char shown[EXCERPT_SIZE];
	char *close = strchr(s, ']');
	if (!close) {
		ini_excerpt(shown, sizeof(shown), s);
		return syntax_error(p, "malformed section header '%s' (missing ']')", shown);
	}
	*close = '\0';
	char *rest = trim(close + 1);
	if (*rest && !is_comment_start(*rest)) {
		ini_excerpt(shown, sizeof(shown), rest);
		return syntax_error(p, "unexpected text '%s' after section header", shown);
	}
	char *name = trim(s + 1);
	if (!is_name(name)) {
		ini_excerpt(shown, sizeof(shown), name);
		return syntax_error(p, "invalid section name '%s' (expected [A-Za-z0-9_.-]+)", shown);
	}
	int first = set_add(&p->names, NULL, name, line);
	if (first < 0)
		return first;
	if (first > 0) {
		ini_excerpt(shown, sizeof(shown), name);
		return syntax_error(p, "duplicate section [%s] (first on line %d)", shown, first);
	}
	p->section = name;
	return p->on_section ? p->on_section(p->user, name, line) : 0;
}

/* Cuts the value at the first '#' or ';' that follows a space or a tab.
 * v[0] is the character right after '=', so "k=#v" keeps "#v" while
 * "k = #note" is an empty value with a comment. */
static void strip_inline_comment(char *v)
{
	if (!v[0])
		return;
	for (size_t i = 1; v[i]; i++) {
		if (is_comment_start(v[i]) && is_blank(v[i - 1])) {
			v[i] = '\0';
			return;
		}
	}
}

static int parse_entry(struct parser *p, char *s, int line)
{
	char shown[EXCERPT_SIZE];
	char *eq = strchr(s, '=');
	if (!eq) {
		ini_excerpt(shown, sizeof(shown), s);
		return syntax_error(
		    p, "malformed line '%s' (expected 'key = value', '[section]' or a comment)", shown);
	}
	*eq = '\0';
	char *key = trim(s);
	char *value = eq + 1;
	strip_inline_comment(value);
	value = trim(value);
	ini_excerpt(shown, sizeof(shown), key);
	if (!*key)
		return syntax_error(p, "missing key before '='");
	if (!is_name(key))
		return syntax_error(p, "invalid key '%s' (expected [A-Za-z0-9_.-]+)", shown);
	if (!p->section)
		return syntax_error(p, "key '%s' outside any section", shown);
	int first = set_add(&p->names, p->section, key, line);
	if (first < 0)
		return first;
	if (first > 0)
		return syntax_error(p, "duplicate key '%s' in [%s] (first set on line %d)", shown,
		                    p->section, first);
	return p->on_entry ? p->on_entry(p->user, p->section, key, value, line) : 0;
}

static int parse_line(struct parser *p, char *raw, int line)
{
	char *s = trim(raw);
	if (!*s || is_comment_start(*s))
		return 0;
	if (*s == '[')
		return parse_section(p, s, line);
	return parse_entry(p, s, line);
}

/* ---- the buffer --------------------------------------------------------- */

static void set_error(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

int ini_parse_buffer(const char *buf, size_t len, ini_section_fn on_section,
                     ini_entry_fn on_entry, void *user, int *err_line, char *err,
                     size_t errlen)
{
	int line_storage;
	if (!err_line)
		err_line = &line_storage;
	*err_line = 0;
	set_error(err, errlen, "");
	if (!buf)
		len = 0;
	/* A working copy we can cut into NUL-terminated lines in place; keys and
	 * section names in the duplicate set point into it. */
	char *text = malloc(len + 1);
	if (!text) {
		set_error(err, errlen, "out of memory");
		return RELAYD_ENOMEM;
	}
	if (len)
		memcpy(text, buf, len);
	text[len] = '\0';

	struct parser p = {.on_section = on_section, .on_entry = on_entry, .user = user,
	                   .err = err, .errlen = errlen};
	size_t pos = 0;
	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		pos = 3;
	int rc = 0;
	for (int line = 1; pos < len && rc == 0; line++) {
		char *start = text + pos;
		char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		pos += n + (nl ? 1 : 0);
		if (n > 0 && start[n - 1] == '\r')
			n--;
		start[n] = '\0';
		*err_line = line;
		if (line == INT_MAX) {
			set_error(err, errlen, "too many lines");
			rc = RELAYD_EINVAL;
		} else if (n > INI_MAX_LINE) {
			if (err && errlen)
				snprintf(err, errlen, "line too long (over %d bytes)", INI_MAX_LINE);
			rc = RELAYD_EINVAL;
		} else if (strlen(start) != n) {
			set_error(err, errlen, "line contains a NUL byte");
			rc = RELAYD_EINVAL;
		} else {
			rc = parse_line(&p, start, line);
		}
	}
	if (rc == RELAYD_ENOMEM) {
		*err_line = 0;
		set_error(err, errlen, "out of memory");
	}
	if (rc == 0)
		*err_line = 0;
	free(p.names.slots);
	free(text);
	return rc;
}
