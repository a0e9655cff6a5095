/* SPDX-License-Identifier: MIT */
/* The one-shot command-line actions (no server). Each returns an exit status. */
#ifndef RELAYD_CLI_H
#define RELAYD_CLI_H

int cli_version(void);
int cli_check_config(const char *config_path);
int cli_list_plugins(const char *config_path);
int cli_plugin_help(const char *config_path, const char *name);

#endif
