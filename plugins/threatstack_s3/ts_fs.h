/* SPDX-License-Identifier: MIT */
/* Small file-system helpers shared by the spool and the plugin's start-up. */
#ifndef TS_FS_H
#define TS_FS_H

/** mkdir -p with mode 0750. Returns 0, or -1 with errno set. Blocking: call
 *  it from init or from offloaded work only. */
int ts_mkdir_p(const char *path);

#endif
