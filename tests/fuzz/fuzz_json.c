/* SPDX-License-Identifier: MIT */
/* libFuzzer target for sdk/src/json_read.c and json_write.c: differential against jansson. */

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <relayd/json.h>

/* Aborts unless both readers accept, or both refuse with the same error;
 * true when both refused. */
static bool refused_alike(const json_t *want, const json_t *got, const json_error_t *want_err,
                          const json_error_t *got_err)
{
	if ((want == NULL) != (got == NULL))
		abort();
	if (want)
		return false;
	if (strcmp(want_err->text, got_err->text) != 0 || want_err->position != got_err->position)
		abort();
	return true;
}

/* The fast reader must agree with json_loadb on every input: both refuse
 * (with the same error text), or both accept and build the same tree. The
 * fast writer must then give json_dumps's bytes for that tree. */
static void check(const uint8_t *data, size_t size, size_t flags)
{
	json_error_t want_err, got_err;
	json_t *want = json_loadb((const char *)data, size, flags, &want_err);
	json_t *got = relayd_json_loadb((const char *)data, size, flags, &got_err);
	if (refused_alike(want, got, &want_err, &got_err))
		return;
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

/* The members reader must agree with json_loadb followed by deleting the
 * top-level members it was not asked for. */
static void check_members(const uint8_t *data, size_t size, size_t flags)
{
	static const char *const keep[] = {"a", "risk", "", NULL};
	json_error_t want_err, got_err;
	json_t *want = json_loadb((const char *)data, size, flags, &want_err);
	json_t *got = relayd_json_loadb_members((const char *)data, size, flags, keep, &got_err);
	if (refused_alike(want, got, &want_err, &got_err))
		return;
	if (json_is_object(want)) {
		const char *key;
		json_t *value;
		void *tmp;
		json_object_foreach_safe(want, tmp, key, value) {
			if (strcmp(key, "a") != 0 && strcmp(key, "risk") != 0 && strcmp(key, "") != 0)
				json_object_del(want, key);
		}
	}
	if (!json_equal(want, got))
		abort();
	json_decref(want);
	json_decref(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_members(data, size, 0);
	check_members(data, size, JSON_REJECT_DUPLICATES);
	check(data, size, 0);
	check(data, size, JSON_DECODE_ANY);
	check(data, size, JSON_REJECT_DUPLICATES);
	return 0;
}
