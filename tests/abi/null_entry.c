/* SPDX-License-Identifier: MIT */
/* ABI fixture: the entry point exists but refuses every host (returns NULL). */
#include <relayd/plugin.h>

const struct relayd_plugin *relayd_plugin_entry(uint16_t host_major, uint16_t host_minor)
{
	(void)host_major;
	(void)host_minor;
	return NULL;
}
