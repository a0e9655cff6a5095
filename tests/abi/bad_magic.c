/* SPDX-License-Identifier: MIT */
/* ABI fixture: a descriptor whose magic is not RELAYD_PLUGIN_MAGIC. */
#include "broken.h"

static const struct relayd_plugin bad_magic_plugin = {
	.magic = 0xdeadbeefu, .abi_major = RELAYD_ABI_MAJOR,
	.abi_minor = RELAYD_ABI_MINOR, .struct_size = sizeof(struct relayd_plugin),
	BROKEN_BODY("bad_magic"),
};

const struct relayd_plugin *relayd_plugin_entry(uint16_t host_major, uint16_t host_minor)
{
	(void)host_major;
	(void)host_minor;
	return &bad_magic_plugin;
}
