/* SPDX-License-Identifier: MIT */
/* The durable on-disk spool of accepted alerts: one fsync'd file per alert, its in-memory queue and the retry backoff. */
#ifndef TS_SPOOL_H
#define TS_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "ts_keys.h"

/* ---- record format: one JSON file "<spool_dir>/<id>.json" -------------- */

/** A spool record, parsed. */
struct ts_spool_record {
	char id[TS_ID_LEN + 1];
	int64_t created_at_ms;
	int64_t spooled_at_ms;
	json_t *alert; /**< the webhook's alert element (owned reference) */
};

/** {"id": …, "created_at": ms, "spooled_at": ms, "alert": {…}} as a malloc'd
 *  string, NULL on ENOMEM. */
char *ts_spool_record_build(const char *id, int64_t created_at_ms, int64_t spooled_at_ms,
                            const json_t *alert);

/** Returns 0 (release rec->alert with json_decref) or RELAYD_EINVAL. */
int ts_spool_record_parse(const char *data, size_t len, struct ts_spool_record *rec);

/* ---- blocking file operations (run them through host->offload) --------- */

/** One file to write. */
struct ts_spool_item {
	const char *id;
	const char *data;
	size_t len;
	int rc;     /**< out: 0 or RELAYD_EIO */
	int err_no; /**< out: errno of a failure (ENOSPC, …) */
};

/** Creates dir and dir/dead. Returns 0 or RELAYD_EIO. */
int ts_spool_dir_prepare(const char *dir);

/** Writes every item (temp file, fsync, rename) then fsyncs the folder once.
 *  Sets each item's rc. Returns the number written. */
size_t ts_spool_write_sync(const char *dir, struct ts_spool_item *items, size_t n);

/** Reads dir/<id>.json. Returns 0, RELAYD_ENOTFOUND or RELAYD_EIO (malloc'd *data). */
int ts_spool_read_sync(const char *dir, const char *id, char **data, size_t *len);

/** Removes dir/<id>.json (a missing file is fine). Returns 0 or RELAYD_EIO. */
int ts_spool_remove_sync(const char *dir, const char *id);

/** Moves dir/<id>.json to dir/dead/<id>.json. Returns 0 or RELAYD_EIO. */
int ts_spool_move_dead_sync(const char *dir, const char *id);

/* ---- the queue --------------------------------------------------------- */

struct ts_spool_entry {
	char id[TS_ID_LEN + 1];
	uint64_t bytes;
	int64_t spooled_at_ms;
};

struct ts_spool_stats {
	size_t depth;
	uint64_t bytes;
	int64_t oldest_s; /**< age of the oldest entry, 0 when empty */
};

/** The spool; its queue is safe to use from any thread. */
struct ts_spool;

/** NULL on ENOMEM. max_age_s <= 0 disables expiry. */
struct ts_spool *ts_spool_new(const char *dir, uint64_t max_bytes, int64_t max_age_s);
void ts_spool_free(struct ts_spool *sp);
const char *ts_spool_dir(const struct ts_spool *sp);
int64_t ts_spool_max_age_ms(const struct ts_spool *sp);

/**
 * Creates the folders, deletes temp files a crash left behind and queues every
 * "<id>.json" oldest first (by mtime, then id). Blocking: call it from init.
 * Returns 0 or RELAYD_EIO / RELAYD_ENOMEM.
 */
int ts_spool_open(struct ts_spool *sp);

/** Reserves room for @p bytes more. Returns 0, or RELAYD_EBUSY when the spool
 *  would pass max_bytes (the webhook then gets 507). */
int ts_spool_reserve(struct ts_spool *sp, uint64_t bytes);
void ts_spool_release(struct ts_spool *sp, uint64_t bytes);

/** Queues (or refreshes) an entry whose file is durable. Returns 0 or RELAYD_ENOMEM. */
int ts_spool_add(struct ts_spool *sp, const char *id, uint64_t bytes, int64_t spooled_at_ms);

/** Copies the oldest entry into *out. False when the queue is empty. */
bool ts_spool_peek(struct ts_spool *sp, struct ts_spool_entry *out);

/** Drops an entry from the queue (no file I/O). */
void ts_spool_forget(struct ts_spool *sp, const char *id);

void ts_spool_stats(struct ts_spool *sp, int64_t now_ms, struct ts_spool_stats *out);

/* ---- backoff ------------------------------------------------------------ */

/**
 * Delay before retry number @p attempt (0 = first retry): min_ms doubled per
 * attempt, capped at max_ms, times a jitter factor 0.8 + 0.4 × @p jitter01
 * (±20 %), then clamped to [1, max_ms].
 */
uint64_t ts_backoff_ms(uint64_t min_ms, uint64_t max_ms, unsigned attempt, double jitter01);

#endif
