/* SPDX-License-Identifier: MIT */
/* The plugin instance's state and the three relay entry points (observe, refer, health). */
#ifndef PULSEDIVE_H
#define PULSEDIVE_H

#include <stddef.h>

#include <relayd/ctim.h>
#include <relayd/plugin.h>

/** Provider name in error messages (DECISIONS.md §9). */
#define PD_DISPLAY_NAME "Pulsedive"
/** CTIM schema version the reference sends (contracts/pulsedive.md §6). */
#define PD_SCHEMA_VERSION "1.0.22"
/** Default `base_url`: joined with "info.php" (DECISIONS.md §5). */
#define PD_DEFAULT_BASE_URL "https://pulsedive.com/api"

/**
 * One plugin instance: immutable after init, shared by every worker.
 * Made by init (pd_state_new), freed by fini (pd_state_free).
 */
struct pd_state {
	const struct relayd_host *host;
	char *base_url;       /**< malloc'd copy of the `base_url` config value */
	struct ctim_ctx ctim; /**< schema 1.0.22, whole seconds, ids from host->uuid4 */
};

/** A state for @p host and @p base_url (copied); NULL when out of memory. */
struct pd_state *pd_state_new(const struct relayd_host *host, const char *base_url);
void pd_state_free(struct pd_state *st);

/* The relay entry points (relayd_relay_fn); each ends the call exactly once. */
void pd_observe(void *state, struct relayd_call *call, const struct relayd_observable *obs,
                size_t n);
void pd_refer(void *state, struct relayd_call *call, const struct relayd_observable *obs,
              size_t n);
void pd_health(void *state, struct relayd_call *call, const struct relayd_observable *obs,
               size_t n);

#endif
