/* SPDX-License-Identifier: MIT */
/* JSON text ↔ jansson trees on the hot path: the same results as jansson, several times faster. */
#ifndef RELAYD_JSON_H
#define RELAYD_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include <relayd/strbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Why: with jansson's own json_loadb and json_dumps, a Pulsedive observe
 * spent about half of relayd's CPU time reading and writing JSON (jansson's
 * reader takes bytes one at a time through a callback; its writer formats
 * every integer with snprintf and records every container in a hash table
 * to detect cycles). These two functions produce the same trees and the
 * same bytes from the same jansson values; tests/unit/test_json.c and the
 * fuzz_json target check that against jansson itself.
 */

/**
 * Appends the compact text of @p json to @p out: byte for byte what
 * json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY) gives (keys in insertion
 * order, "\uXXXX" escapes in upper-case hex, non-ASCII UTF-8 as is, '/' not
 * escaped). Returns RELAYD_OK; RELAYD_EINVAL when @p json is NULL, a string
 * or key is not valid UTF-8 (jansson's json_dumps fails then too) or the
 * tree is nested deeper than 2048 levels (a cycle); RELAYD_ENOMEM. On
 * failure @p out may hold part of the text.
 */
int relayd_json_append(struct relayd_strbuf *out, const json_t *json);

/**
 * Appends @p len bytes of @p s as a quoted JSON string, escaped as
 * relayd_json_append escapes strings. RELAYD_EINVAL when @p s is NULL or
 * not valid UTF-8 (nothing is appended then), RELAYD_ENOMEM. The CTIM
 * writer (ctim_doc_*) writes every string through this.
 */
int relayd_json_append_string(struct relayd_strbuf *out, const char *s, size_t len);

/** relayd_json_append into a fresh malloc'd, NUL-terminated string; NULL
 *  where json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY) gives NULL. */
char *relayd_json_dumps(const json_t *json);

/**
 * json_loadb(buffer, buflen, flags, error), faster: the same tree (objects
 * keep jansson's insertion order and last-duplicate-wins, integers and reals
 * as jansson reads them), the same acceptance, and on failure jansson's own
 * error, because anything the fast reader does not take (bad input, numbers
 * it leaves to jansson, flags other than JSON_DECODE_ANY and
 * JSON_REJECT_DUPLICATES) is read again by
 * json_loadb.
 */
json_t *relayd_json_loadb(const char *buffer, size_t buflen, size_t flags,
                          json_error_t *error);

/**
 * relayd_json_loadb for an answer of which a relay maps a few top-level
 * members: the members of a top-level object whose key is not in @p keep
 * (NULL-terminated) are checked as JSON but not built, so nothing is
 * allocated, kept or freed for them. The result is relayd_json_loadb's with
 * those members deleted, and a document relayd_json_loadb refuses is
 * refused with the same error. A top-level value that is not an object is
 * returned whole. @p keep NULL: relayd_json_loadb. With
 * JSON_REJECT_DUPLICATES every member is built first (a duplicate among
 * skipped ones must still be found), then the others are deleted.
 *
 * Why: a Pulsedive lookup answer is ~60 % properties, comments and
 * attributes that the mapping never reads.
 */
json_t *relayd_json_loadb_members(const char *buffer, size_t buflen, size_t flags,
                                  const char *const *keep, json_error_t *error);

/*
 * Building values: jansson's own constructors check UTF-8 one byte at a time
 * through a function call; these give the same results with a check that
 * skips ASCII eight bytes at a time. CTIM builders call them for every field.
 */

/** json_string(s): NULL when @p s is NULL or not valid UTF-8. */
json_t *relayd_json_string(const char *s);

/** json_stringn(s, len): NULL when @p s is NULL or not valid UTF-8. */
json_t *relayd_json_stringn(const char *s, size_t len);

/** json_object_set_new(object, key, value): steals @p value in every case;
 *  -1 when @p key is NULL or not valid UTF-8, @p object is not an object,
 *  @p value is NULL, or memory ran out. */
int relayd_json_set_new(json_t *object, const char *key, json_t *value);

/** Python's truthiness of what json.loads() gave, as the Python references
 *  test fields (`if alert['id']:`): false for NULL (absent), null, false,
 *  0, 0.0, "", [] and {}; true otherwise. */
bool relayd_json_truthy(const json_t *value);

#ifdef __cplusplus
}
#endif
#endif
