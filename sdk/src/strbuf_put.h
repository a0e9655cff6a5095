/* SPDX-License-Identifier: MIT */
/* Inside the SDK: appends to a relayd_strbuf inlined for the JSON writers (json_write.c, ctim_doc.c). */
#ifndef RELAYD_STRBUF_PUT_H
#define RELAYD_STRBUF_PUT_H

#include <stddef.h>
#include <string.h>

#include <relayd/status.h>
#include <relayd/strbuf.h>

/* Bytes go straight in when they fit, which they nearly always do once the
 * buffer has grown to the size of a reply: JSON is written a few bytes at a
 * time, and through relayd_strbuf_append each append cost more than the
 * bytes it wrote. */
static inline void strbuf_put(struct relayd_strbuf *out, const void *p, size_t n)
{
	if (out->status == RELAYD_OK && out->len + n < out->cap) {
		memcpy(out->data + out->len, p, n);
		out->len += n;
		out->data[out->len] = '\0';
		return;
	}
	relayd_strbuf_append(out, p, n);
}

static inline void strbuf_put_char(struct relayd_strbuf *out, char c)
{
	strbuf_put(out, &c, 1);
}

/* Decimal digits of @p v, as json_dumps writes an integer. */
static inline void strbuf_put_integer(struct relayd_strbuf *out, long long v)
{
	char digits[24];
	char *end = digits + sizeof(digits);
	char *p = end;
	/* Through unsigned: -LLONG_MIN does not fit a long long. */
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	strbuf_put(out, p, (size_t)(end - p));
}

#endif
