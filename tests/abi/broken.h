/* SPDX-License-Identifier: MIT */
/* Shared pieces of the deliberately broken ABI fixture plugins. */
#ifndef RELAYD_TEST_BROKEN_H
#define RELAYD_TEST_BROKEN_H

#include <relayd/plugin.h>

/* An init that works, so a fixture is refused for its one defect only. */
static int broken_init(const struct relayd_host *host, struct relayd_plugin_ctx *pctx,
                       void **state)
{
	(void)host;
	(void)pctx;
	*state = NULL;
	return RELAYD_OK;
}

static void broken_fini(void *state)
{
	(void)state;
}

/* Every field but the four guards, which each fixture spells out. */
#define BROKEN_BODY(name_)                                                       \
	.name = name_, .version = "0.0.1",                                       \
	.description = "deliberately broken ABI fixture", .display_name = name_, \
	.init = broken_init, .fini = broken_fini

#endif
