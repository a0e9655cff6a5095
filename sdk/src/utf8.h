/* SPDX-License-Identifier: MIT */
/* UTF-8 validation shared by the JSON reader and writer (SDK-internal). */
#ifndef RELAYD_SDK_UTF8_H
#define RELAYD_SDK_UTF8_H

#include <stddef.h>
#include <stdint.h>

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

#endif
