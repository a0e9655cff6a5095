/* SPDX-License-Identifier: MIT */
/* Structured logging: one logfmt or JSON line per event on stderr, level filter, access lines. */
#ifndef RELAYD_HOST_LOG_H
#define RELAYD_HOST_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <relayd/host.h>

/*
 * Line shapes (keys in this order; plugin and req only when known):
 *   logfmt: ts=2026-11-23T10:00:00.123Z level=info plugin=pulsedive req=abc msg="text"
 *   json:   {"ts":"2026-11-23T10:00:00.123Z","level":"info","plugin":"pulsedive","req":"abc","msg":"text"}
 * logfmt values are bare when they are non-empty and hold only printable
 * ASCII other than space, '"', '=' and '\'; otherwise they are quoted with
 * \" \\ \n \r \t and \u00XX escapes (bytes >= 0x80 pass unchanged). msg is
 * always quoted.
 *
 * Secrets: tokens, API keys, client_token, HS256 secrets and every config
 * value whose schema item is flagged RELAYD_CFG_SECRET are never passed to
 * this logger. Code that must name such a value logs log_redact(value).
 *
 * Thread-safety: log_write/log_emit/log_access may run on any thread; each
 * line is built in memory and written with one write(2) (or one sink call,
 * under a mutex). log_init, log_set_sink and log_set_clock are for start-up
 * and tests, before other threads log.
 */

enum log_format {
	LOG_FORMAT_LOGFMT = 0,
	LOG_FORMAT_JSON = 1,
};

/** Sets format and level (defaults: logfmt, info). Returns 0, or
 *  RELAYD_EINVAL (nothing changed) for a value outside the enums. */
int log_init(enum log_format format, enum relayd_log_level level);

/** Parses "logfmt" | "json"; returns 0 and sets *format, or RELAYD_EINVAL. */
int log_format_parse(const char *name, enum log_format *format);
/** Parses a level name; returns 0 and sets *level, or RELAYD_EINVAL. */
int log_level_parse(const char *name, enum relayd_log_level *level);
/** "error", "warn", "info", "debug". */
const char *log_level_name(enum relayd_log_level level);

/** True when a line at @p level would be written (cheap: one atomic load). */
bool log_enabled(enum relayd_log_level level);

/** One line at @p level; plugin and request_id may be NULL. */
void log_write(enum relayd_log_level level, const char *plugin, const char *request_id,
               const char *fmt, va_list ap) RELAYD_PRINTF(4, 0);
void log_emit(enum relayd_log_level level, const char *plugin, const char *request_id,
              const char *fmt, ...) RELAYD_PRINTF(4, 5);

/**
 * The one access line per request, level info, msg "access":
 *   ts=… level=info plugin=<plugin|-> req=<id> msg="access" method=POST
 *   path=/x status=200 latency_ms=1.234 upstream_calls=2 bytes=345
 * (JSON: the same keys, numbers as numbers). plugin NULL or "" → "-";
 * latency_ms is written with 3 decimals.
 */
void log_access(const char *request_id, const char *method, const char *path,
                const char *plugin, int status, double latency_ms, unsigned upstream_calls,
                uint64_t bytes);

/** Always the static string "(secret)", whatever @p value is: the one way
 *  to mention a secret in a log line. */
const char *log_redact(const char *value);

/** Test hook: each finished line (with its '\n') goes to fn instead of
 *  stderr. NULL restores stderr. */
typedef void (*log_sink_fn)(const char *line, size_t len, void *arg);
void log_set_sink(log_sink_fn fn, void *arg);

/** Test hook: the clock for ts, ms since the epoch. NULL restores the real one. */
typedef int64_t (*log_clock_fn)(void);
void log_set_clock(log_clock_fn fn);

#endif
