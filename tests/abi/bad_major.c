/* SPDX-License-Identifier: MIT */
/* ABI fixture: built for ABI major 2, which this host (major 1) cannot load. */
#include "broken.h"

static const struct relayd_plugin bad_major_plugin = {
	.magic = RELAYD_PLUGIN_MAGIC, .abi_major = 2,
	.abi_minor = 0, .struct_size = sizeof(struct relayd_plugin),
	BROKEN_BODY("bad_major"),
};

const struct relayd_plugin *relayd_plugin_entry(uint16_t host_major, uint16_t host_minor)
{
	(void)host_major;
	(void)host_minor;
	return &bad_major_plugin;
}
