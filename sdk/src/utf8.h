/* SPDX-License-Identifier: MIT */
/* UTF-8 validation shared by the JSON reader and writer (SDK-internal). */
#ifndef RELAYD_SDK_UTF8_H
#define RELAYD_SDK_UTF8_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Length (2..4) of the valid multi-byte UTF-8 sequence starting at @p p, or
 * 0: a stray continuation byte, an overlong form, a surrogate (U+D800..DFFF),
 * a code point above U+10FFFF or a sequence cut short are all invalid
 * (RFC 3629 §3-4, as jansson's utf8_check_full decides). @p p[0] >= 0x80. */
static inline size_t utf8_sequence_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	size_t n;
	uint32_t cp;
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		cp = c & 0x1Fu;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		cp = c & 0x0Fu;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		cp = c & 0x07u;
	} else {
		return 0;
	}
	if (avail < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0u) != 0x80u)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3Fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* The first byte in [p, end) that a JSON string cannot carry as it is: '"',
 * '\\', a control (< 0x20) or a non-ASCII byte (>= 0x80, to be checked as
 * UTF-8). Eight bytes at a time: strings are most of a relay's JSON text. */
static inline const unsigned char *json_plain_ascii_end(const unsigned char *p,
                                                        const unsigned char *end)
{
	const uint64_t ones = 0x0101010101010101u;
	const uint64_t highs = 0x8080808080808080u;
	while (end - p >= 8) {
		uint64_t w;
		memcpy(&w, p, sizeof w);
		uint64_t quote = w ^ (ones * '"');
		uint64_t bslash = w ^ (ones * '\\');
		/* Per byte: below 0x20, equal to '"' or '\\' (zero after the xor),
		 * or 0x80 and above. Borrows can only flag bytes after a real hit,
		 * so "no flag" is exact; a flag falls back to the byte loop. */
		uint64_t special = ((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
		                   ((bslash - ones) & ~bslash) | w;
		if (special & highs)
			break;
		p += 8;
	}
	/* The tail (and most keys, which are shorter than a word): one table
	 * lookup a byte instead of four comparisons. */
	static const unsigned char special_byte[256] = {
	    /* 1 for 0x00-0x1F, '"' (0x22), '\\' (0x5C) and 0x80-0xFF */
	    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	};
	while (p < end && !special_byte[*p])
		p++;
	return p;
}

/* Whether [p, p + n) is valid UTF-8 (as jansson's utf8_check_string decides;
 * NUL bytes are allowed), with ASCII runs skipped eight bytes at a time. */
static inline int utf8_valid(const unsigned char *p, size_t n)
{
	const unsigned char *end = p + n;
	while (p < end) {
		while (end - p >= 8) {
			uint64_t w;
			memcpy(&w, p, sizeof w);
			if (w & 0x8080808080808080u)
				break;
			p += 8;
		}
		while (p < end && *p < 0x80)
			p++;
		if (p == end)
			break;
		size_t k = utf8_sequence_len(p, (size_t)(end - p));
		if (k == 0)
			return 0;
		p += k;
	}
	return 1;
}

#endif
