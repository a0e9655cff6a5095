/* SPDX-License-Identifier: MIT */
/* Reads one field of an application/x-www-form-urlencoded body (the reference's request.form). */
#include "ts_form.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes [s, s+n) into a new string; NULL when malformed. */
static char *decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(out);
				return NULL;
			}
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

char *ts_form_value(const char *body, size_t len, const char *name)
{
	size_t nl = strlen(name);
	size_t i = 0;

	if (!body)
		return NULL;
	while (i < len) {
		const char *pair = body + i;
		const char *amp = memchr(pair, '&', len - i);
		size_t plen = amp ? (size_t)(amp - pair) : len - i;
		const char *eq = memchr(pair, '=', plen);
		size_t klen = eq ? (size_t)(eq - pair) : plen;
		char *key = decode(pair, klen);
		bool match = key && strcmp(key, name) == 0 && strlen(key) == nl;
		free(key);
		if (match)
			return eq ? decode(eq + 1, plen - klen - 1) : decode("", 0);
		i += plen + 1;
	}
	return NULL;
}
