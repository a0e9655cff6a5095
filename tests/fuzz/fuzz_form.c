/* SPDX-License-Identifier: MIT */
/* libFuzzer target for form-urlencoded bodies: the SDK's decoder and threatstack_s3's field reader. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/sdk.h>

/* tests/fuzz/meson.build links only relayd-core (and the SDK), so the
 * plugin's pure module is compiled into this target directly. */
#include "../../plugins/threatstack_s3/ts_form.c"

/* A decoded value is never longer than its text, and encoding it again
 * decodes back to it. */
static void check_decode(const char *s, size_t size)
{
	char *dec = relayd_form_decode(s, size);
	if (!dec)
		return;
	if (strlen(dec) > size)
		abort();
	char *enc = relayd_form_encode(dec);
	char *again = enc ? relayd_form_decode(enc, strlen(enc)) : NULL;
	if (enc && (!again || strcmp(again, dec) != 0))
		abort();
	free(again);
	free(enc);
	free(dec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	check_decode(body, size);
	/* The names the plugin asks for, and two that stress matching. */
	const char *names[] = {"start", "end", "", "start end"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *v = ts_form_value(body, size, names[i]);
		if (v && strlen(v) > size)
			abort();
		free(v);
	}
	return 0;
}
