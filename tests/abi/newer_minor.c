/* SPDX-License-Identifier: MIT */
/* ABI fixture: built for ABI 1.9, newer than the host's 1.0. */
#include "broken.h"

static const struct relayd_plugin newer_minor_plugin = {
	.magic = RELAYD_PLUGIN_MAGIC, .abi_major = RELAYD_ABI_MAJOR,
	.abi_minor = 9, .struct_size = sizeof(struct relayd_plugin),
	BROKEN_BODY("newer_minor"),
};

const struct relayd_plugin *relayd_plugin_entry(uint16_t host_major, uint16_t host_minor)
{
	(void)host_major;
	(void)host_minor;
	return &newer_minor_plugin;
}
