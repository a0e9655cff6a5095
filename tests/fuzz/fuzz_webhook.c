/* SPDX-License-Identifier: MIT */
/* libFuzzer target for threatstack_s3's webhook parser: parse, validate, render errors and keys, build spool records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* tests/fuzz/meson.build links only relayd-core, so the plugin's pure
 * modules are compiled into this target directly. */
#include "../../plugins/threatstack_s3/ts_envelope.c"
#include "../../plugins/threatstack_s3/ts_keys.c"
#include "../../plugins/threatstack_s3/ts_fs.c"
#include "../../plugins/threatstack_s3/ts_spool.c"
#include "../../plugins/threatstack_s3/ts_webhook.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_webhook *wh = NULL;
	struct ts_webhook_error err = {0};
	char key[TS_KEY_MAX];

	int rc = ts_webhook_parse(data, size, &wh, &err);
	if (rc == RELAYD_OK) {
		if (!wh || wh->n == 0)
			abort();
		for (size_t i = 0; i < wh->n; i++) {
			const struct ts_alert *a = &wh->alerts[i];
			/* a validated alert always has both keys */
			if (ts_key_webhook("p", a->id, a->created_at_ms, key, sizeof(key)) != RELAYD_OK ||
			    ts_key_alert("", a->id, key, sizeof(key)) != RELAYD_OK)
				abort();
			char *rec = ts_spool_record_build(a->id, a->created_at_ms, 1, a->object);
			struct ts_spool_record parsed;
			if (rec) {
				if (ts_spool_record_parse(rec, strlen(rec), &parsed) != RELAYD_OK ||
				    strcmp(parsed.id, a->id) != 0 || parsed.created_at_ms != a->created_at_ms)
					abort();
				json_decref(parsed.alert);
			}
			free(rec);
		}
		ts_webhook_free(wh);
	} else if (rc == RELAYD_EINVAL) {
		if (!err.message || wh)
			abort();
		ts_webhook_error_clear(&err);
	}
	/* the date parser sees the same bytes as a query value */
	char date[64];
	size_t n = size < sizeof(date) - 1 ? size : sizeof(date) - 1;
	memcpy(date, data, n);
	date[n] = '\0';
	int64_t us;
	if (ts_date_parse(date, &us) == RELAYD_OK) {
		struct ts_prefix_list pl;
		if (ts_range_prefixes("", us - 86400000000LL, us + 86400000000LL, &pl) == RELAYD_OK)
			ts_prefix_list_clear(&pl);
	}
	return 0;
}
