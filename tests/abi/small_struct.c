/* SPDX-License-Identifier: MIT */
/* ABI fixture: claims a descriptor of 16 bytes, smaller than ABI 1.0's. */
#include "broken.h"

static const struct relayd_plugin small_struct_plugin = {
	.magic = RELAYD_PLUGIN_MAGIC, .abi_major = RELAYD_ABI_MAJOR,
	.abi_minor = RELAYD_ABI_MINOR, .struct_size = 16,
	BROKEN_BODY("small_struct"),
};

const struct relayd_plugin *relayd_plugin_entry(uint16_t host_major, uint16_t host_minor)
{
	(void)host_major;
	(void)host_minor;
	return &small_struct_plugin;
}
