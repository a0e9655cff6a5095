/* SPDX-License-Identifier: MIT */
/* libFuzzer target for observables.c: both message styles, then every input policy. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "observables.h"

static const char *const fuzz_types[] = {"ip", "ipv6", "domain", "url", "email", NULL};

/* Rejects one value so the supports() path runs too. */
static bool fuzz_supports(void *state, const char *type, const char *value)
{
	(void)state;
	return !(type[0] == 'u' && value[0] == 'x');
}

/* A message must start with the prefix and, for the JSON style, end with "}." */
static void check_message(const char *msg, enum relayd_payload_style style)
{
	size_t n = strlen(msg), p = strlen(OBSERVABLES_MESSAGE_PREFIX);
	if (n < p + 2 || memcmp(msg, OBSERVABLES_MESSAGE_PREFIX, p) != 0 || msg[p] != '{')
		abort();
	if (style == RELAYD_PAYLOAD_JSON ? strcmp(msg + n - 2, "}.") != 0 : msg[n - 1] != '}')
		abort();
}

static void run_policies(const struct observables_list *in)
{
	for (int fold = 0; fold < 2; fold++) {
		for (int dedup = 0; dedup < 2; dedup++) {
			struct relayd_relay_policy p = {
				.type_case = fold ? RELAYD_TYPE_FOLD : RELAYD_TYPE_EXACT,
				.dedup = dedup ? RELAYD_DEDUP_PAIR : RELAYD_DEDUP_VALUE,
			};
			struct observables_list out;
			if (observables_filter(in, &p, fuzz_types, fuzz_supports, NULL, &out) != RELAYD_OK)
				continue;
			if (out.count > in->count)
				abort();
			observables_list_free(&out);
			if (observables_filter(in, &p, NULL, NULL, NULL, &out) == RELAYD_OK)
				observables_list_free(&out);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (int style = 0; style < 2; style++) {
		enum relayd_payload_style st = style ? RELAYD_PAYLOAD_JSON : RELAYD_PAYLOAD_PYTHON;
		struct observables_list l;
		char *msg = NULL;
		int rc = observables_parse((const char *)data, size, st, &l, &msg);
		if (rc == RELAYD_OK) {
			if (msg)
				abort();
			if (style == 0)
				run_policies(&l);
			observables_list_free(&l);
		} else if (rc == RELAYD_EINVAL) {
			if (!msg || l.count != 0)
				abort();
			check_message(msg, st);
			free(msg);
		}
	}
	return 0;
}
