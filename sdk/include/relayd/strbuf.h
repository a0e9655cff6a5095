/* SPDX-License-Identifier: MIT */
/* A growable byte string: the one buffer the host, the SDK and plugins append to. */
#ifndef RELAYD_STRBUF_H
#define RELAYD_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Bytes in @c data[0 .. len), always followed by a NUL once anything was
 * appended (so text can be used as a C string). Failures are sticky: after
 * one append runs out of memory (or would overflow @c limit), @c status is
 * RELAYD_ENOMEM and every later append does nothing, so a writer appends
 * freely and checks once at the end.
 *
 *   struct relayd_strbuf b = RELAYD_STRBUF_INIT;
 *   relayd_strbuf_append_str(&b, "a=");
 *   relayd_strbuf_printf(&b, "%d", 42);
 *   if (b.status != RELAYD_OK) …;
 *   char *text = relayd_strbuf_detach(&b, NULL);   // free() it
 */
struct relayd_strbuf {
	char *data;   /**< malloc'd; NULL until the first append */
	size_t len;   /**< bytes used, not counting the NUL */
	size_t cap;   /**< bytes allocated */
	size_t limit; /**< 0: unlimited; else appends past @c limit bytes fail */
	int status;   /**< RELAYD_OK, or RELAYD_ENOMEM after a failed append */
};

#define RELAYD_STRBUF_INIT {0}

/** Makes room for @p extra more bytes (plus the NUL, which it writes, so a
 *  reserved but empty buffer is already ""). RELAYD_OK or
 *  RELAYD_ENOMEM (sticky). */
int relayd_strbuf_reserve(struct relayd_strbuf *b, size_t extra);

/** Appends @p len bytes (which may contain NULs). */
int relayd_strbuf_append(struct relayd_strbuf *b, const void *data, size_t len);

/** Appends a C string. */
int relayd_strbuf_append_str(struct relayd_strbuf *b, const char *s);

/** Appends one byte. */
int relayd_strbuf_append_char(struct relayd_strbuf *b, char c);

/** Appends printf-formatted text. */
int relayd_strbuf_printf(struct relayd_strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int relayd_strbuf_vprintf(struct relayd_strbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/** Empties the buffer (keeps the memory and a sticky failure). */
void relayd_strbuf_clear(struct relayd_strbuf *b);

/**
 * Hands the bytes to the caller (free() them) and resets @p b to empty.
 * Returns "" in a fresh allocation when nothing was appended, NULL when an
 * append had failed (the bytes are freed then) or memory ran out.
 * @p len (may be NULL) receives the length.
 */
char *relayd_strbuf_detach(struct relayd_strbuf *b, size_t *len);

/** Frees the bytes and resets @p b to RELAYD_STRBUF_INIT (limit kept). */
void relayd_strbuf_free(struct relayd_strbuf *b);

#ifdef __cplusplus
}
#endif
#endif
