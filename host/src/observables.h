/* SPDX-License-Identifier: MIT */
/* SecureX observable bodies: validation with the reference's exact messages, then the plugin's input policy. */
#ifndef RELAYD_OBSERVABLES_H
#define RELAYD_OBSERVABLES_H

#include <stdbool.h>
#include <stddef.h>

#include <relayd/plugin.h>

/** Observables in request order. The list owns every string and the array. */
struct observables_list {
	struct relayd_observable *items;
	size_t count;
};

/** The text every validation message starts with. */
#define OBSERVABLES_MESSAGE_PREFIX "Invalid JSON payload received. "

/**
 * Messages stop listing further invalid elements once they pass this many
 * bytes (the dict stays well formed); the reference has no cap, but a 1 MiB
 * body of bad elements would otherwise produce a ~40 MiB message.
 */
#define OBSERVABLES_MESSAGE_SOFT_MAX 65536

/**
 * Validates a body as marshmallow's ObservableSchema(many=True) does
 * (contracts/securex-relay.md §4): a JSON array of objects with exactly the
 * keys "type" and "value", both non-empty strings.
 *
 * On success returns RELAYD_OK, fills *out (the caller frees it with
 * observables_list_free; an empty array gives count 0, items NULL) and sets
 * *message to NULL.
 *
 * On invalid input returns RELAYD_EINVAL, leaves *out empty and sets
 * *message to a malloc'd text the caller frees, e.g. for PYTHON style
 *   Invalid JSON payload received. {0: {'value': ['Field may not be blank.']}}
 * and for JSON style
 *   Invalid JSON payload received. {"0": {"value": ["Field may not be blank."]}}.
 * Every problem is reported, keyed by element index (ascending), then per
 * element 'type', 'value', then unknown keys in the order they appear in the
 * body (marshmallow's own order for several unknown keys is a Python set's,
 * i.e. random; input order is the deterministic choice). Per field:
 * missing → 'Missing data for required field.', null → 'Field may not be
 * null.', not a string → 'Not a valid string.', "" → 'Field may not be
 * blank.', extra key → 'Unknown field.', element not an object →
 * {'_schema': ['Invalid input type.']}.
 *
 * A body that is empty, not JSON, not UTF-8, nested deeper than jansson's
 * 2048 levels, or not an array gives {'_schema': ['Invalid input type.']}.
 * Deviations (Python's json would accept these): "\u0000" inside a string,
 * lone surrogate escapes, integers beyond 64 bits, reals beyond double range
 * (1e400), NaN/Infinity and a leading UTF-8 BOM also give the _schema
 * message, because the values must be C strings and jansson refuses the rest.
 *
 * Returns RELAYD_ENOMEM (nothing allocated) when out of memory and
 * RELAYD_EINVAL with *message NULL when out or message is NULL.
 */
int observables_parse(const char *body, size_t len, enum relayd_payload_style style,
                      struct observables_list *out, char **message);

/** A plugin's extra filter (relayd_plugin::supports); state is handed back. */
typedef bool (*observables_supports_fn)(void *state, const char *type, const char *value);

/**
 * Applies a plugin's input policy (DECISIONS.md §4) to a validated list, in
 * this order, writing the survivors to *out (caller frees with
 * observables_list_free; *in is not changed):
 *   1. RELAYD_TYPE_FOLD: the type is ASCII lower-cased (the supported types
 *      are ASCII; Python's full Unicode lower() can only differ on input that
 *      no supported type matches either way). RELAYD_TYPE_EXACT: as received.
 *   2. The type must equal one of `types` (NULL-terminated; NULL = any type),
 *      and supports(state, type, value) must return true when supports is
 *      not NULL. Others are dropped silently.
 *   3. Duplicates are dropped. RELAYD_DEDUP_VALUE (Pulsedive's
 *      `observables[value] = type`, a Python dict): one entry per distinct
 *      value, at the position of its first surviving occurrence, carrying
 *      the type of its last surviving occurrence. RELAYD_DEDUP_PAIR: one
 *      entry per distinct (type, value), the first occurrence kept.
 * Values are compared byte for byte and copied exactly as received.
 * Linear time (a keyed hash table). Returns RELAYD_OK, RELAYD_EINVAL for NULL
 * in/policy/out, RELAYD_ENOMEM (then *out is empty).
 */
int observables_filter(const struct observables_list *in, const struct relayd_relay_policy *policy,
                       const char *const *types, observables_supports_fn supports, void *state,
                       struct observables_list *out);

/** Frees the strings and the array, and empties the list. NULL is a no-op. */
void observables_list_free(struct observables_list *list);

#endif
