/* SPDX-License-Identifier: MIT */
/* --version, --check-config, --list-plugins, --plugin-help. */
#include "cli.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "generation.h"
#include "loader.h"
#include "log.h"
#include "loop.h"
#include "offload.h"

int cli_version(void)
{
	printf("relayd %s (plugin ABI %d.%d)\n", RELAYD_VERSION, RELAYD_ABI_MAJOR, RELAYD_ABI_MINOR);
	return 0;
}

/* Loads the config and its plugins exactly as a start would, without
 * listening; fn sees the result. Returns the exit status. */
static int with_generation(const char *config_path, void (*fn)(const struct generation *g))
{
	char err[1024];
	struct conf *conf = NULL;
	if (conf_load(config_path, &conf, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	log_init(conf->log_format == CONF_LOG_JSON ? LOG_FORMAT_JSON : LOG_FORMAT_LOGFMT,
	         conf->log_level);
	loop_global_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct loop *main_loop = loop_new(-1);
	loop_set_current(main_loop);
	offload_start(1);
	struct generation *g = NULL;
	int status = 0;
	if (generation_build(conf, main_loop, &g, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		conf_free(conf);
		status = 1;
	} else {
		fn(g);
		generation_unref(g);
	}
	offload_stop();
	loop_free(main_loop);
	curl_global_cleanup();
	return status;
}

static void print_ok(const struct generation *g)
{
	printf("%s: OK (%zu plugin section(s))\n", g->conf->path, g->n_plugins);
}

int cli_check_config(const char *config_path)
{
	return with_generation(config_path, print_ok);
}

static void print_plugins(const struct generation *g)
{
	printf("%-16s %-10s %-9s %-20s %s\n", "NAME", "VERSION", "STATE", "MOUNT", "FILE / ERROR");
	for (size_t i = 0; i < g->n_plugins; i++) {
		const struct relayd_plugin_ctx *pi = g->plugins[i];
		printf("%-16s %-10s %-9s %-20s %s\n", pi->name, pi->desc ? pi->desc->version : "-",
		       instance_state_name(pi->state), pi->mount ? pi->mount : "-",
		       pi->error ? pi->error : (pi->file ? pi->file : "-"));
	}
}

int cli_list_plugins(const char *config_path)
{
	return with_generation(config_path, print_plugins);
}

static const char *type_name(enum relayd_config_type t)
{
	switch (t) {
	case RELAYD_CFG_STRING: return "string";
	case RELAYD_CFG_INT: return "integer";
	case RELAYD_CFG_BOOL: return "boolean";
	case RELAYD_CFG_SIZE: return "size";
	case RELAYD_CFG_URL: return "url";
	case RELAYD_CFG_PATH: return "path";
	default: return "?";
	}
}

static void print_schema(const struct relayd_plugin *d)
{
	printf("%s %s — %s\n\n[plugin.%s]\n", d->name, d->version,
	       d->description ? d->description : "", d->name);
	for (const struct relayd_config_item *it = d->config; it && it->type != RELAYD_CFG_END; it++) {
		printf("  %-24s %-8s", it->key, type_name(it->type));
		if (it->flags & RELAYD_CFG_REQUIRED)
			printf(" required");
		else if (it->default_value)
			printf(" default %s", (it->flags & RELAYD_CFG_SECRET) ? "(secret)" : it->default_value);
		if (it->flags & RELAYD_CFG_SECRET)
			printf(" secret");
		printf("\n      %s\n", it->doc ? it->doc : "");
	}
	printf("\nEvery plugin section also takes the host's keys: enabled, required, path, mount,\n"
	       "audience, client_token, max_body, max_upstream_inflight, max_response_body, auth,\n"
	       "secret, api_key, timeout_ms, entities_limit, proxy, ca_file, rate_limit,\n"
	       "rate_burst, cache_ttl_s (README.md, Configuration).\n");
}

int cli_plugin_help(const char *config_path, const char *name)
{
	char err[1024], looked[1024], reason[512];
	struct conf *conf = NULL;
	const char *dir = "build/plugins";
	const char *explicit_path = NULL;
	if (conf_load(config_path, &conf, err, sizeof(err)) == 0) {
		dir = conf->plugin_dir;
		struct conf_plugin *p = conf_find_plugin(conf, name);
		if (p)
			explicit_path = p->path;
	}
	char *file = loader_find(dir, name, explicit_path, looked, sizeof(looked));
	int status = 1;
	struct loaded_plugin lp;
	if (!file)
		fprintf(stderr, "relayd: no plugin '%s' (looked for %s)\n", name, looked);
	else if (loader_open(file, &lp, reason, sizeof(reason)) != 0)
		fprintf(stderr, "relayd: %s: %s\n", file, reason);
	else {
		print_schema(lp.desc);
		loader_close(&lp);
		status = 0;
	}
	free(file);
	conf_free(conf);
	return status;
}
