/* SPDX-License-Identifier: MIT */
/* A small INI parser: sections, key = value lines, comments, line numbers. */
#ifndef RELAYD_INI_H
#define RELAYD_INI_H

#include <stddef.h>

/*
 * Syntax accepted by ini_parse_buffer():
 *
 *   # a comment            full-line comments start with '#' or ';'
 *   [section]              names: [A-Za-z0-9_.-]+ ; a section may appear once
 *   key = value            keys: [A-Za-z0-9_.-]+ ; whitespace around both trimmed
 *   key = value # note     inline comment: a '#' or ';' preceded by a space or a
 *                          tab ends the value ("a#b" and "http://h/#x" keep theirs)
 *
 * Blank lines are ignored, CRLF line ends and a leading UTF-8 BOM are accepted.
 * Values are taken literally: no quotes, no escapes, no multi-line values (a
 * value that must contain " #" can come from an environment variable, see
 * config.h). Lines may be as long as INI_MAX_LINE bytes.
 *
 * Errors (each with its line number): a malformed line, a key outside any
 * section, a key set twice in one section, a section header seen twice, a
 * line longer than INI_MAX_LINE, a NUL byte.
 */

/** Longest line accepted, in bytes, without its line end. */
#define INI_MAX_LINE 65536

/**
 * Called for each section header. @p section is only valid during the call.
 * Return 0 to go on, a negative relayd_status to stop parsing.
 */
typedef int (*ini_section_fn)(void *user, const char *section, int line);

/**
 * Called for each key = value line, in file order. The strings are only valid
 * during the call; @p value has its inline comment removed and is trimmed.
 * Return 0 to go on, a negative relayd_status to stop parsing.
 */
typedef int (*ini_entry_fn)(void *user, const char *section, const char *key,
                            const char *value, int line);

/**
 * Parses @p len bytes of @p buf (need not be NUL-terminated), calling
 * @p on_section (may be NULL) and @p on_entry (may be NULL) in file order.
 * Pure: no global state, everything it allocates is freed before it returns.
 *
 * Returns 0 on success;
 *   RELAYD_EINVAL on a syntax error: *err_line is its line (1-based) and
 *     @p err holds the reason, without file or line ("duplicate key 'x' …");
 *   RELAYD_ENOMEM: *err_line is 0, @p err is "out of memory";
 *   whatever non-zero value a callback returned: *err_line is the line of
 *     that callback and @p err is "" (the callback reports its own reason).
 * @p err_line and @p err may be NULL (then @p errlen is ignored).
 */
int ini_parse_buffer(const char *buf, size_t len, ini_section_fn on_section,
                     ini_entry_fn on_entry, void *user, int *err_line, char *err,
                     size_t errlen);

/**
 * Copies @p s into @p dst for quoting in an error message: bytes that are not
 * printable ASCII become '?', and text past 60 bytes is cut and ends in "...".
 * Always NUL-terminates when @p dstlen > 0.
 */
void ini_excerpt(char *dst, size_t dstlen, const char *s);

#endif
