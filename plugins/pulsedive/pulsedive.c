/* SPDX-License-Identifier: MIT */
/* The Pulsedive plugin descriptor: name, types, input policy, config schema, init/fini. */
#include <stdlib.h>
#include <string.h>

#include "pulsedive.h"

static const char *const pd_types[] = {"ip", "ipv6", "domain", "url", NULL};

static const struct relayd_config_item pd_config[] = {
	{.key = "base_url",
	 .type = RELAYD_CFG_URL,
	 .default_value = PD_DEFAULT_BASE_URL,
	 .doc = "Pulsedive API base URL; the relay calls <base_url>/info.php."},
	{.type = RELAYD_CFG_END},
};

/* ctim_uuid4_fn over the host's generator, so tests with the mock host get
 * predictable ids and production gets the host's random ones. */
static int pd_uuid4(void *arg, char out[CTIM_UUID_SIZE])
{
	const struct pd_state *st = arg;
	st->host->uuid4(out);
	return RELAYD_OK;
}

struct pd_state *pd_state_new(const struct relayd_host *host, const char *base_url)
{
	struct pd_state *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->host = host;
	st->base_url = strdup(base_url ? base_url : PD_DEFAULT_BASE_URL);
	if (!st->base_url) {
		free(st);
		return NULL;
	}
	st->ctim = (struct ctim_ctx){
	    .schema_version = PD_SCHEMA_VERSION,
	    .precision = CTIM_TIME_SECONDS,
	    .uuid4 = pd_uuid4,
	    .uuid4_arg = st,
	};
	return st;
}

void pd_state_free(struct pd_state *st)
{
	if (!st)
		return;
	free(st->base_url);
	free(st);
}

static int pd_init(const struct relayd_host *host, struct relayd_plugin_ctx *pctx, void **state)
{
	const char *base_url = host->config_string(pctx, "base_url");
	struct pd_state *st = pd_state_new(host, base_url);
	if (!st) {
		host->log_plugin(pctx, RELAYD_LOG_ERROR, "out of memory");
		return RELAYD_ENOMEM;
	}
	*state = st;
	return RELAYD_OK;
}

static void pd_fini(void *state)
{
	pd_state_free(state);
}

static const struct relayd_plugin pd_descriptor = {
	RELAYD_PLUGIN_HEADER,
	.name = "pulsedive",
	.version = PULSEDIVE_VERSION,
	.description = "Pulsedive threat intelligence for SecureX (observe, refer, health)",
	.display_name = PD_DISPLAY_NAME,
	.types = pd_types,
	.config = pd_config,
	.envelope = RELAYD_ENVELOPE_RELAY,
	/* DECISIONS.md §4: fold / value / no / refer if_supported. */
	.policy =
	    {
		.type_case = RELAYD_TYPE_FOLD,
		.dedup = RELAYD_DEDUP_VALUE,
		.auth_when_empty = false,
		.refer_auth = RELAYD_AUTH_IF_SUPPORTED,
		.payload_style = RELAYD_PAYLOAD_PYTHON,
		.invalid_payload_code = NULL,
		.watchdog_message = NULL,
		.entities_clamp = 0,
	    },
	.init = pd_init,
	.fini = pd_fini,
	.supports = NULL,
	.observe = pd_observe,
	.refer = pd_refer,
	.health = pd_health,
	.routes = NULL,
};

RELAYD_EXPORT const struct relayd_plugin *relayd_plugin_entry(uint16_t host_major,
                                                              uint16_t host_minor)
{
	(void)host_minor; /* the host checks our minor against its own */
	if (host_major != RELAYD_ABI_MAJOR)
		return NULL;
	return &pd_descriptor;
}
