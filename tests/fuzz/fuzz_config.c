/* SPDX-License-Identifier: MIT */
/* libFuzzer target for host/src/config.c: arbitrary bytes as relayd.conf. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const struct relayd_config_item schema[] = {
	{"base_url", RELAYD_CFG_URL, "https://api.example.com", 0, NULL},
	{"n", RELAYD_CFG_INT, "5", 0, NULL},
	{"flag", RELAYD_CFG_BOOL, NULL, 0, NULL},
	{"cap", RELAYD_CFG_SIZE, "1M", 0, NULL},
	{"dir", RELAYD_CFG_PATH, "var", 0, NULL},
	{"key", RELAYD_CFG_STRING, NULL, RELAYD_CFG_SECRET, NULL},
	{"must", RELAYD_CFG_STRING, NULL, RELAYD_CFG_REQUIRED, NULL},
	{NULL, RELAYD_CFG_END, NULL, 0, NULL},
};

static void exercise_plugin(struct conf *c, struct conf_plugin *p)
{
	char err[512];
	if (conf_plugin_apply_schema(p, schema, c->path, err, sizeof(err)) != 0)
		return;
	int64_t v;
	bool b;
	(void)conf_plugin_get_int(p, "cap", &v);
	(void)conf_plugin_get_bool(p, "flag", &b);
	(void)conf_plugin_key_line(p, "n");
	free(conf_expected_audience(c, p));
	free(conf_path_resolve(c, conf_plugin_get(p, "dir")));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool env_set;
	if (!env_set) {
		/* Seeds refer to these; everything else is unset. */
		setenv("RELAYD_FUZZ_KEY", "k3y #not a comment", 1);
		setenv("RELAYD_FUZZ_EMPTY", "", 1);
		env_set = true;
	}
	struct conf *c = NULL;
	char err[512];
	if (conf_load_buffer("fuzz/relayd.conf", (const char *)data, size, &c, err,
	                     sizeof(err)) != 0)
		return 0;
	(void)conf_listen_is_loopback(c);
	(void)conf_relayd_get(c, "listen");
	for (size_t i = 0; i < c->n_plugins; i++)
		exercise_plugin(c, &c->plugins[i]);
	conf_free(c);
	return 0;
}
