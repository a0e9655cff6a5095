/* SPDX-License-Identifier: MIT */
/* The archive's key layout, alert ids, ISO 8601 dates and the prefixes a date range needs. */
#ifndef TS_KEYS_H
#define TS_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TS_ID_LEN 24
#define TS_KEY_MAX 512
#define TS_PREFIX_MAX 256
/* created_at must lie in [1 ms, 9999-12-31T23:59:59.999Z]: the key has a 4-digit year. */
#define TS_CREATED_AT_MAX_MS INT64_C(253402300799999)
/* Above this many prefixes a range query lists all of [P/]webhooks/ instead. */
#define TS_RANGE_MAX_PREFIXES 256

/** True when @p id is exactly 24 lowercase hex characters (a Threat Stack ObjectId). */
bool ts_id_valid(const char *id);

/**
 * Normalises a configured key prefix: strips leading and trailing '/'.
 * Empty segments ("a//b"), "." and ".." segments are refused.
 * Returns 0, or RELAYD_EINVAL (bad prefix or too long for @p out).
 */
int ts_prefix_normalise(const char *raw, char *out, size_t out_size);

/** "[P/]webhooks/YYYY/MM/DD/HH/MM/<id>", UTC, minute truncation.
 *  Returns 0, or RELAYD_EINVAL (bad id, created_at out of range, too long). */
int ts_key_webhook(const char *prefix, const char *id, int64_t created_at_ms,
                   char *out, size_t out_size);

/** "[P/]alerts/<id[0:2]>/<id[2:4]>/<id>". Returns 0 or RELAYD_EINVAL. */
int ts_key_alert(const char *prefix, const char *id, char *out, size_t out_size);

/** "[P/]webhooks/" (with the trailing '/'). Returns 0 or RELAYD_EINVAL. */
int ts_key_webhooks_root(const char *prefix, char *out, size_t out_size);

/**
 * Parses a webhook key back: the minute it names (seconds since the epoch)
 * and the alert id (copied into id_out). Returns 0, or RELAYD_EINVAL for a key
 * that is not exactly "[P/]webhooks/YYYY/MM/DD/HH/MM/<24 hex>".
 */
int ts_key_parse_webhook(const char *prefix, const char *key, int64_t *minute_s,
                         char id_out[TS_ID_LEN + 1]);

/**
 * Parses an ISO 8601 date the way Python's iso8601 0.1 parse_date() does:
 * YYYY[-MM[-DD]] (or YYYYMMDD), optional 'T' or ' ' then HH[[:]MM[[:]SS[.fff]]],
 * optional Z or ±HH[[:]MM]; no zone means UTC; fractions are truncated to µs.
 * Returns 0 with *us_out = µs since the epoch, or RELAYD_EINVAL.
 */
int ts_date_parse(const char *s, int64_t *us_out);

/** True when the webhook minute (seconds since the epoch) lies strictly between
 *  start and end (µs), as the reference compares: start < t < end. */
bool ts_range_contains(int64_t start_us, int64_t end_us, int64_t minute_s);

/** A list of key prefixes; every item ends with '/'. */
struct ts_prefix_list {
	char **items;
	size_t n;
};

/**
 * The fewest "[P/]webhooks/YYYY/", ".../MM/", ".../DD/" and ".../HH/" prefixes
 * that together hold every minute t with start < t < end (the hour prefixes of
 * the partial first and last hours are listed whole; filter with
 * ts_range_contains). An empty range gives n = 0; a range needing more than
 * TS_RANGE_MAX_PREFIXES gives the single root "[P/]webhooks/".
 * Returns 0 or RELAYD_ENOMEM / RELAYD_EINVAL; clear @p out with ts_prefix_list_clear.
 */
int ts_range_prefixes(const char *prefix, int64_t start_us, int64_t end_us,
                      struct ts_prefix_list *out);

/** Frees the items and zeroes @p list. */
void ts_prefix_list_clear(struct ts_prefix_list *list);

/** Days since 1970-01-01 for a proleptic Gregorian date (no range checks). */
int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d);

/** The civil date of a day number (inverse of ts_days_from_civil). */
void ts_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
