/* SPDX-License-Identifier: MIT */
/* libFuzzer target for host/src/ini.c: arbitrary bytes as an INI file. */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ini.h"

struct tally {
	size_t sections, entries, bytes;
};

static int count_section(void *user, const char *section, int line)
{
	struct tally *t = user;
	t->sections++;
	t->bytes += strlen(section) + (size_t)(line > 0);
	return 0;
}

/* Touches every byte of what it is given, so ASan sees a bad pointer. */
static int count_entry(void *user, const char *section, const char *key, const char *value,
                       int line)
{
	struct tally *t = user;
	t->entries++;
	t->bytes += strlen(section) + strlen(key) + strlen(value) + (size_t)(line > 0);
	/* Stopping early must be clean too. */
	return value[0] == '!' ? -1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tally t = {0};
	char err[256];
	int line = 0;
	ini_parse_buffer((const char *)data, size, count_section, count_entry, &t, &line, err,
	                 sizeof(err));
	char shown[16];
	ini_excerpt(shown, sizeof(shown), err);
	return 0;
}
