/* SPDX-License-Identifier: MIT */
/* Health: one probe, info.php?iid=2 (contracts/pulsedive.md §9). */
#include <relayd/sdk.h>

#include "pulsedive.h"
#include "pulsedive_api.h"

static void on_probe(struct relayd_call *call, struct pd_answer *a, void *arg)
{
	const struct pd_state *st = arg;
	if (a->outcome == PD_FAILED) {
		pd_api_fail(st->host, call, NULL, &a->failure);
		return;
	}
	/* 200, and also 400/404/406 ("nothing known"), mean the key works. */
	json_decref(a->json);
	st->host->finish(call, json_pack("{s:s}", "status", "ok"));
}

void pd_health(void *state, struct relayd_call *call, const struct relayd_observable *obs,
               size_t n)
{
	const struct pd_state *st = state;
	(void)obs;
	(void)n;
	pd_api_get(st->host, st->base_url, call, PD_QUERY_HEALTH, NULL, on_probe, (void *)st);
}
