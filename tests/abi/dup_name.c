/* SPDX-License-Identifier: MIT */
/* ABI fixture: a valid descriptor that claims the name "echo" (already taken) from dup_name.so. */
#include "broken.h"

static const struct relayd_plugin dup_name_plugin = {
	RELAYD_PLUGIN_HEADER,
	BROKEN_BODY("echo"),
};

const struct relayd_plugin *relayd_plugin_entry(uint16_t host_major, uint16_t host_minor)
{
	(void)host_major;
	(void)host_minor;
	return &dup_name_plugin;
}
