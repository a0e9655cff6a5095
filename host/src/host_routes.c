/* SPDX-License-Identifier: MIT */
/* /healthz, /version, /plugins, /metrics (DECISIONS.md §4). */
#include "host_routes.h"

#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "generation.h"
#include "instance.h"
#include "metrics.h"
#include "router.h"

static void healthz(struct relayd_call *c)
{
	call_send_json(c, 200, json_pack("{s:s}", "status", "ok"));
}

static void version(struct relayd_call *c)
{
	json_t *plugins = json_array();
	const struct generation *g = c->gen;
	for (size_t i = 0; i < g->n_plugins; i++) {
		const struct relayd_plugin_ctx *pi = g->plugins[i];
		if (pi->state == INSTANCE_RUNNING)
			json_array_append_new(plugins, json_pack("{s:s, s:s}", "name", pi->desc->name,
			                                         "version", pi->desc->version));
	}
	call_send_json(c, 200, json_pack("{s:s, s:{s:i, s:i}, s:o}", "relayd", RELAYD_VERSION, "abi",
	                                 "major", RELAYD_ABI_MAJOR, "minor", RELAYD_ABI_MINOR,
	                                 "plugins", plugins));
}

static json_t *types_of(const struct relayd_plugin *d)
{
	json_t *a = json_array();
	for (const char *const *t = d ? d->types : NULL; t && *t; t++)
		json_array_append_new(a, json_string(*t));
	return a;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *plugin_entry(const struct relayd_plugin_ctx *pi)
{
	const struct relayd_plugin *d = pi->desc;
	return json_pack("{s:s, s:o, s:o, s:o, s:s, s:s, s:o}", "name", pi->name, "version",
	                 str_or_null(d ? d->version : NULL), "description",
	                 str_or_null(d ? d->description : NULL), "types", types_of(d), "mount",
	                 pi->mount ? pi->mount : "", "state", instance_state_name(pi->state), "error",
	                 str_or_null(pi->error));
}

static void plugins(struct relayd_call *c)
{
	json_t *a = json_array();
	for (size_t i = 0; i < c->gen->n_plugins; i++)
		json_array_append_new(a, plugin_entry(c->gen->plugins[i]));
	call_send_json(c, 200, json_pack("{s:o}", "plugins", a));
}

static void metrics(struct relayd_call *c)
{
	char *text = metrics_render();
	if (!text) {
		call_send_error(c, ROUTER_ENVELOPE_HOST, 500, "out of memory");
		return;
	}
	call_send(c, 200, "text/plain; version=0.0.4", NULL, text, strlen(text));
	free(text);
}

static const struct {
	const char *path;
	void (*fn)(struct relayd_call *c);
} routes[] = {
	{"/healthz", healthz},
	{"/version", version},
	{"/plugins", plugins},
	{"/metrics", metrics},
};

bool host_routes_handle(struct relayd_call *c)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(c->path, routes[i].path) != 0)
			continue;
		if (strcmp(c->method, "GET") != 0 && strcmp(c->method, "HEAD") != 0)
			call_send_error(c, ROUTER_ENVELOPE_HOST, 405, "Method not allowed.");
		else
			routes[i].fn(c);
		return true;
	}
	return false;
}
