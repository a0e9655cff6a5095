/* SPDX-License-Identifier: MIT */
/* Reads one field of an application/x-www-form-urlencoded body (the reference's request.form). */
#include "ts_form.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/sdk.h>

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
		char *key = relayd_form_decode(pair, klen);
		bool match = key && strcmp(key, name) == 0 && strlen(key) == nl;
		free(key);
		if (match)
			return eq ? relayd_form_decode(eq + 1, plen - klen - 1) : relayd_form_decode("", 0);
		i += plen + 1;
	}
	return NULL;
}
