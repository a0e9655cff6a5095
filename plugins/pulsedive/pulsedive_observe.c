/* SPDX-License-Identifier: MIT */
/* Observe: every observable's lookup → links chain in parallel, one deterministic answer. */
#include <stdint.h>
#include <string.h>

#include <relayd/sdk.h>

#include "pulsedive.h"
#include "pulsedive_api.h"
#include "pulsedive_map.h"

/*
 * "Data collected so far" with parallel requests (contracts/pulsedive.md
 * §3.2): the answer is assembled only when every chain has ended, walking the
 * observables in request order. The first observable (in request order) whose
 * lookup failed ends the walk: the entities of the observables before it are
 * returned with its error, those after it are dropped even if they arrived.
 * When the failure is an observable's links call, its verdict, judgement and
 * indicators are kept (the reference had already collected them) but not its
 * sightings and relationships. This is exactly what the sequential reference
 * returns for the same upstream answers, whatever order they arrive in.
 */

struct pd_observe;

/* One observable's chain. */
struct pd_obs_item {
	struct pd_observe *op;
	size_t index;
	const char *value;
	json_t *lookup;            /* a checked lookup answer; NULL: nothing known */
	json_t *relations;         /* from the links answer; NULL: none */
	struct pd_failure failure; /* kind != NONE: this chain failed */
	bool links_failed;         /* the failure is the links call's */
};

struct pd_observe {
	const struct pd_state *st;
	struct relayd_call *call;
	struct relayd_gather *gather; /* one hold per chain */
	int limit;
	size_t n;
	size_t first_failed; /* lowest index of a failed chain; n when none */
	struct pd_obs_item *items;
};

static void record_failure(struct pd_obs_item *it, const struct pd_failure *f, bool in_links)
{
	it->failure = *f;
	it->links_failed = in_links;
	if (it->index < it->op->first_failed)
		it->op->first_failed = it->index;
}

static void chain_done(struct pd_obs_item *it)
{
	relayd_gather_release(it->op->gather);
}

static void on_links(struct relayd_call *call, struct pd_answer *a, void *arg)
{
	struct pd_obs_item *it = arg;
	const struct relayd_host *host = it->op->st->host;
	(void)call;
	if (a->outcome == PD_FAILED) {
		record_failure(it, &a->failure, true);
	} else if (a->outcome == PD_FOUND) {
		int rc = pd_map_relations(it->lookup, a->json, host->now_ms() * INT64_C(1000),
		                          &it->relations);
		if (rc != RELAYD_OK) {
			const struct pd_failure f = {
			    .kind = rc == RELAYD_EINVAL ? PD_FAIL_KEY : PD_FAIL_NO_MEMORY};
			record_failure(it, &f, true);
		}
		json_decref(a->json);
	}
	chain_done(it);
}

static void on_lookup(struct relayd_call *call, struct pd_answer *a, void *arg)
{
	struct pd_obs_item *it = arg;
	struct pd_observe *op = it->op;
	if (a->outcome == PD_FAILED) {
		record_failure(it, &a->failure, false);
		chain_done(it);
		return;
	}
	if (a->outcome == PD_NOT_FOUND) {
		chain_done(it);
		return;
	}
	if (pd_map_check_lookup(a->json) != RELAYD_OK) {
		const struct pd_failure f = {.kind = PD_FAIL_KEY};
		json_decref(a->json);
		record_failure(it, &f, false);
		chain_done(it);
		return;
	}
	it->lookup = a->json;
	/* No links call when it cannot add a sighting, or when an earlier
	 * observable already failed (this one will not be in the answer). */
	if (it->index > op->first_failed || !pd_map_wants_links(it->lookup, op->limit)) {
		chain_done(it);
		return;
	}
	const char *indicator = json_string_value(json_object_get(it->lookup, "indicator"));
	pd_api_get(op->st->host, op->st->base_url, call, PD_QUERY_LINKS, indicator, on_links, it);
}

static void release_items(struct pd_observe *op)
{
	for (size_t i = 0; i < op->n; i++) {
		json_decref(op->items[i].lookup);
		json_decref(op->items[i].relations);
		op->items[i].lookup = op->items[i].relations = NULL;
	}
}

/* Maps the chains in request order up to the first failure; returns that
 * failure's item, or NULL when every chain succeeded. *rc gets a mapping error. */
static const struct pd_obs_item *collect(struct pd_observe *op, struct ctim_bundle *b, int *rc)
{
	const struct pd_map_opts opts = {.ctim = &op->st->ctim, .limit = op->limit};
	*rc = RELAYD_OK;
	for (size_t i = 0; i < op->n; i++) {
		const struct pd_obs_item *it = &op->items[i];
		if (it->failure.kind != PD_FAIL_NONE && !it->links_failed)
			return it;
		if (it->lookup)
			*rc = pd_map_observe(&opts, it->lookup, it->relations, !it->links_failed, b);
		if (*rc != RELAYD_OK || it->failure.kind != PD_FAIL_NONE)
			return *rc != RELAYD_OK ? NULL : it;
	}
	return NULL;
}

/* Entities go straight into the call's bundle, which finish and fail send
 * as "data" (an empty bundle: {} with finish, no "data" with fail). */
static void on_all_done(struct relayd_call *call, void *arg)
{
	struct pd_observe *op = arg;
	const struct relayd_host *host = op->st->host;
	struct ctim_bundle *b = host->call_ctim(call);
	int rc = RELAYD_ENOMEM;
	const struct pd_obs_item *failed = b ? collect(op, b, &rc) : NULL;
	release_items(op);
	if (rc != RELAYD_OK) {
		ctim_bundle_clear(b); /* no half-mapped answer */
		host->fail(call, NULL, "unknown", "Mapping the %s answer failed: %s", PD_DISPLAY_NAME,
		           relayd_strstatus(rc));
	} else if (failed) {
		pd_api_fail(host, call, NULL, &failed->failure);
	} else {
		host->finish(call, NULL);
	}
}

void pd_observe(void *state, struct relayd_call *call, const struct relayd_observable *obs,
                size_t n)
{
	const struct pd_state *st = state;
	const struct relayd_host *host = st->host;
	struct pd_observe *op = host->call_alloc(call, sizeof *op);
	struct pd_obs_item *items = host->call_alloc(call, (n ? n : 1) * sizeof *items);
	struct relayd_gather *g = op ? relayd_gather_new(host, call, on_all_done, op) : NULL;
	if (!op || !items || !g) {
		host->fail(call, NULL, "unknown", "Out of memory");
		return;
	}
	*op = (struct pd_observe){.st = st, .call = call, .gather = g, .n = n, .first_failed = n,
	                          .items = items, .limit = host->call_entities_limit(call)};
	memset(items, 0, (n ? n : 1) * sizeof *items);
	for (size_t i = 0; i < n; i++) {
		items[i] = (struct pd_obs_item){.op = op, .index = i, .value = obs[i].value};
		/* Held before the request: its answer may come before pd_api_get returns. */
		relayd_gather_hold(g);
		pd_api_get(host, st->base_url, call, PD_QUERY_LOOKUP, obs[i].value, on_lookup,
		           &items[i]);
	}
	relayd_gather_start(g);
}
