/* SPDX-License-Identifier: MIT */
/* ABI fixture: a valid descriptor whose init refuses to start. */
#include <relayd/plugin.h>

static int init_fails_init(const struct relayd_host *host, struct relayd_plugin_ctx *pctx,
                           void **state)
{
	*state = NULL;
	host->log_plugin(pctx, RELAYD_LOG_ERROR, "init_fails refuses to start, as designed");
	return RELAYD_EINVAL;
}

static void init_fails_fini(void *state)
{
	(void)state;
}

static const struct relayd_plugin init_fails_plugin = {
	RELAYD_PLUGIN_HEADER,
	.name = "init_fails",
	.version = "0.0.1",
	.description = "deliberately broken ABI fixture",
	.display_name = "init_fails",
	.init = init_fails_init,
	.fini = init_fails_fini,
};

const struct relayd_plugin *relayd_plugin_entry(uint16_t host_major, uint16_t host_minor)
{
	(void)host_major;
	(void)host_minor;
	return &init_fails_plugin;
}
