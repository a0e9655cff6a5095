/* SPDX-License-Identifier: MIT */
/* Opening a plugin .so and checking its descriptor against the host ABI. */
#ifndef RELAYD_LOADER_H
#define RELAYD_LOADER_H

#include <stddef.h>

#include <relayd/plugin.h>

/** Size of struct relayd_plugin at ABI 1.0: the least a plugin may declare. */
#define LOADER_ABI_1_0_SIZE sizeof(struct relayd_plugin)

struct loaded_plugin {
	void *handle;                     /**< dlopen handle */
	const struct relayd_plugin *desc; /**< a private copy padded to the host's size */
	struct relayd_plugin copy;
};

/**
 * Finds the file for plugin @p name: @p explicit_path if set, else
 * <plugin_dir>/<name>.so, else <plugin_dir>/<name>/<name>.so.
 * Returns a malloc'd path, or NULL (then @p looked lists where it looked).
 */
char *loader_find(const char *plugin_dir, const char *name, const char *explicit_path,
                  char *looked, size_t looked_len);

/**
 * dlopen(RTLD_NOW|RTLD_LOCAL) + entry symbol + ABI checks. On refusal returns
 * a negative status and writes the one-line reason ("ABI major 2, host
 * supports 1", …) into @p reason; nothing stays open.
 */
int loader_open(const char *file, struct loaded_plugin *out, char *reason, size_t reason_len);

/** Checks a descriptor without dlopen (used by loader_open and the tests). */
int loader_check_descriptor(const struct relayd_plugin *d, char *reason, size_t reason_len);

void loader_close(struct loaded_plugin *p);

#endif
