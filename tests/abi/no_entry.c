/* SPDX-License-Identifier: MIT */
/* ABI fixture: a shared object that exports no relayd_plugin_entry (nothing at all). */
#include <relayd/plugin.h>

/* Hidden (the module is built with hidden visibility): keeps the translation
 * unit non-empty while exporting nothing. */
int no_entry_placeholder(void);
int no_entry_placeholder(void)
{
	return RELAYD_ABI_MAJOR;
}
