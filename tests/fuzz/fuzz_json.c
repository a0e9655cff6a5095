/* SPDX-License-Identifier: MIT */
/* libFuzzer target for sdk/src/json_read.c and json_write.c: differential against jansson. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <relayd/json.h>

/* The fast reader must agree with json_loadb on every input: both refuse
 * (with the same error text), or both accept and build the same tree. The
 * fast writer must then give json_dumps's bytes for that tree. */
static void check(const uint8_t *data, size_t size, size_t flags)
{
	json_error_t want_err, got_err;
	json_t *want = json_loadb((const char *)data, size, flags, &want_err);
	json_t *got = relayd_json_loadb((const char *)data, size, flags, &got_err);
	if ((want == NULL) != (got == NULL))
		abort();
	if (!want) {
		if (strcmp(want_err.text, got_err.text) != 0 || want_err.position != got_err.position)
			abort();
		return;
	}
	const size_t dump_flags = JSON_COMPACT | JSON_ENCODE_ANY;
	char *a = json_dumps(want, dump_flags);
	char *b = json_dumps(got, dump_flags);
	char *c = relayd_json_dumps(got);
	if (!a || !b || !c || strcmp(a, b) != 0 || strcmp(a, c) != 0)
		abort();
	free(a);
	free(b);
	free(c);
	json_decref(want);
	json_decref(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size, 0);
	check(data, size, JSON_DECODE_ANY);
	check(data, size, JSON_REJECT_DUPLICATES);
	return 0;
}
