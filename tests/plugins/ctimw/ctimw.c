/* SPDX-License-Identifier: MIT */
/* The ctimw test plugin: answers observe through the call's CTIM bundle (host->call_ctim + the SDK's writer). */
#include <string.h>

#include <relayd/ctim.h>
#include <relayd/plugin.h>

/*
 * One verdict per observable, written into the call's bundle, then:
 * - value "fail"  : fail(call, NULL, …) — the bundle goes out as partial data;
 * - value "clear" : the bundle is cleared, then fail(call, NULL, …) — no data;
 * - value "hang"  : the call is never ended (the host's deadline answers);
 * - otherwise     : finish(call, NULL).
 * Verdict times are fixed (0 = 1970-01-01T00:00:00Z) so tests compare bytes.
 */

static const struct ctim_ctx ctx = {.schema_version = "1.0.17", .precision = CTIM_TIME_SECONDS};

static const char *const ctimw_types[] = { "ip", "domain", NULL };

static int ctimw_init(const struct relayd_host *host, struct relayd_plugin_ctx *pctx, void **state)
{
	(void)pctx;
	*state = (void *)host;
	return RELAYD_OK;
}

static void ctimw_fini(void *state)
{
	(void)state;
}

static bool has_value(const struct relayd_observable *obs, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(obs[i].value, value) == 0)
			return true;
	return false;
}

static void ctimw_observe(void *state, struct relayd_call *call,
                          const struct relayd_observable *obs, size_t n)
{
	const struct relayd_host *host = state;
	struct ctim_bundle *b = host->call_ctim(call);
	for (size_t i = 0; i < n; i++) {
		struct ctim_doc d;
		ctim_write_verdict(&d, b, &ctx, (struct ctim_obs){obs[i].type, obs[i].value}, 5,
		                   ctim_from(0));
		if (ctim_doc_end(&d) != RELAYD_OK) {
			host->fail(call, NULL, "unknown", "writing a verdict failed");
			return;
		}
	}
	if (has_value(obs, n, "hang"))
		return;
	if (has_value(obs, n, "clear"))
		ctim_bundle_clear(b);
	if (has_value(obs, n, "fail") || has_value(obs, n, "clear"))
		host->fail(call, NULL, "unknown", "ctimw failed after %zu verdicts", n);
	else
		host->finish(call, NULL);
}

static const struct relayd_plugin ctimw_plugin = {
	RELAYD_PLUGIN_HEADER,
	.name = "ctimw",
	.version = "1.0.0",
	.display_name = "CTIM writer test",
	.types = ctimw_types,
	.init = ctimw_init,
	.fini = ctimw_fini,
	.observe = ctimw_observe,
};

RELAYD_EXPORT const struct relayd_plugin *relayd_plugin_entry(uint16_t host_major,
                                                               uint16_t host_minor)
{
	(void)host_major;
	(void)host_minor;
	return &ctimw_plugin;
}
