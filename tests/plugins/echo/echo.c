/* SPDX-License-Identifier: MIT */
/* The echo test plugin: a small, fully known relay plugin that integration tests drive. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include <relayd/plugin.h>

/* Upper bound for GET fanout?n=K: enough for the 200-in-flight test, small
 * enough that a typo cannot ask relayd for a million upstream requests. */
#define ECHO_FANOUT_MAX 1000

struct echo_state {
	const struct relayd_host *host;
	struct relayd_plugin_ctx *pctx;
};

/* One GET fanout?n=K in progress; lives in the call's arena. */
struct echo_fanout {
	struct echo_state *st;
	long n;
	long done;
	long ok;        /* answers with a 2xx status */
	long failed;    /* transport errors */
};

static const char *const echo_types[] = { "ip", "domain", "url", NULL };

static const struct relayd_config_item echo_config[] = {
	{ .key = "greeting", .type = RELAYD_CFG_STRING, .default_value = "hello",
	  .doc = "Text answered by GET <mount>/greeting." },
	{ .key = "upstream_url", .type = RELAYD_CFG_URL, .default_value = NULL,
	  .doc = "Base URL that GET fetch and GET fanout call (+ /slow)." },
	{ .key = NULL, .type = RELAYD_CFG_END },
};

static int echo_init(const struct relayd_host *host, struct relayd_plugin_ctx *pctx, void **state)
{
	struct echo_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return RELAYD_ENOMEM;
	st->host = host;
	st->pctx = pctx;
	*state = st;
	return RELAYD_OK;
}

static void echo_fini(void *state)
{
	free(state);
}

/* ISO 8601 UTC with whole seconds, as CTIM wants it. */
static void echo_format_time(int64_t ms, char *out, size_t len)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&secs, &tm) == NULL || strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, len, "1970-01-01T00:00:00Z");
}

static json_t *echo_verdict(const struct relayd_observable *o, const char *now)
{
	return json_pack("{s:s, s:{s:s, s:s}, s:i, s:s, s:{s:s}}",
	                 "type", "verdict",
	                 "observable", "type", o->type, "value", o->value,
	                 "disposition", 5,
	                 "disposition_name", "Unknown",
	                 "valid_time", "start_time", now);
}

static void echo_observe(void *state, struct relayd_call *call,
                         const struct relayd_observable *obs, size_t n)
{
	struct echo_state *st = state;
	char now[32];
	json_t *docs = json_array();

	echo_format_time(st->host->now_ms(), now, sizeof(now));
	for (size_t i = 0; i < n; i++)
		json_array_append_new(docs, echo_verdict(&obs[i], now));
	st->host->finish(call, json_pack("{s:{s:I, s:o}}", "verdicts",
	                                 "count", (json_int_t)n, "docs", docs));
}

/* One distinct ref per observable, so tests can count them. */
static json_t *echo_ref(const struct relayd_observable *o)
{
	json_t *ref = json_pack("{s:s, s:s, s:s, s:[s]}",
	                        "title", "Echo it",
	                        "description", "Echo the observable back",
	                        "url", "https://echo.invalid/",
	                        "categories", "Echo");

	json_object_set_new(ref, "id", json_sprintf("ref-echo-%s-%s", o->type, o->value));
	return ref;
}

static void echo_refer(void *state, struct relayd_call *call,
                       const struct relayd_observable *obs, size_t n)
{
	struct echo_state *st = state;
	json_t *refs = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(refs, echo_ref(&obs[i]));
	st->host->finish(call, refs);
}

static void echo_health(void *state, struct relayd_call *call,
                        const struct relayd_observable *obs, size_t n)
{
	struct echo_state *st = state;

	(void)obs;
	(void)n;
	st->host->finish(call, json_pack("{s:s}", "status", "ok"));
}

/* {"claims": <verified token claims or null>, "api_key": <call_api_key or null>}:
 * lets auth tests see what the host handed the plugin. */
static void echo_route_claims(void *state, struct relayd_call *call)
{
	struct echo_state *st = state;
	const json_t *claims = st->host->call_claims(call);
	const char *key = st->host->call_api_key(call);

	st->host->reply_json(call, 200, json_pack("{s:o, s:o}",
		"claims", claims ? json_deep_copy(claims) : json_null(),
		"api_key", key ? json_string(key) : json_null()));
}

static void echo_route_greeting(void *state, struct relayd_call *call)
{
	struct echo_state *st = state;
	const char *greeting = st->host->config_string(st->pctx, "greeting");

	st->host->reply_json(call, 200, json_pack("{s:s?}", "greeting", greeting));
}

/* "<upstream_url>/slow", with exactly one '/' between, in the call's arena;
 * NULL (after replying 503) when upstream_url is not configured. */
static const char *echo_slow_url(struct echo_state *st, struct relayd_call *call)
{
	const char *base = st->host->config_string(st->pctx, "upstream_url");
	size_t len;

	if (base == NULL || base[0] == '\0') {
		st->host->reply_json(call, 503, json_pack("{s:s}", "error",
		                                          "upstream_url is not set"));
		return NULL;
	}
	len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		len--;
	return st->host->call_printf(call, "%.*s/slow", (int)len, base);
}

static void echo_fetch_done(struct relayd_call *call, const struct relayd_http_response *resp,
                            void *arg)
{
	struct echo_state *st = arg;

	if (resp->error != RELAYD_HTTP_OK) {
		st->host->reply_json(call, 502, json_pack("{s:s, s:i}",
			"error", resp->error_text ? resp->error_text : "",
			"http_error", (int)resp->error));
		return;
	}
	st->host->reply_json(call, 200, json_pack("{s:I, s:s#}",
		"status", (json_int_t)resp->status,
		"body", resp->body ? resp->body : "", resp->body ? resp->body_len : 0));
}

static void echo_route_fetch(void *state, struct relayd_call *call)
{
	struct echo_state *st = state;
	const char *url = echo_slow_url(st, call);
	struct relayd_http_request req = { .method = "GET" };

	if (url == NULL)
		return;
	req.url = url;
	st->host->http(call, &req, echo_fetch_done, st);
}

static void echo_fanout_done(struct relayd_call *call, const struct relayd_http_response *resp,
                             void *arg)
{
	struct echo_fanout *f = arg;

	if (resp->error != RELAYD_HTTP_OK)
		f->failed++;
	else if (resp->status >= 200 && resp->status < 300)
		f->ok++;
	f->done++;
	if (f->done < f->n)
		return;
	f->st->host->reply_json(call, 200, json_pack("{s:I, s:I, s:I}",
		"n", (json_int_t)f->n, "ok", (json_int_t)f->ok,
		"failed", (json_int_t)f->failed));
}

/* n from the query string: 1..ECHO_FANOUT_MAX, else -1. */
static long echo_parse_fanout_n(const char *text)
{
	char *end = NULL;
	long n;

	if (text == NULL || text[0] == '\0')
		return -1;
	errno = 0;
	n = strtol(text, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > ECHO_FANOUT_MAX)
		return -1;
	return n;
}

static void echo_route_fanout(void *state, struct relayd_call *call)
{
	struct echo_state *st = state;
	long n = echo_parse_fanout_n(st->host->call_query(call, "n"));
	struct relayd_http_request req = { .method = "GET" };
	struct echo_fanout *f;

	if (n < 0) {
		st->host->reply_json(call, 400, json_pack("{s:s}", "error",
		                                          "n must be an integer in 1..1000"));
		return;
	}
	req.url = echo_slow_url(st, call);
	if (req.url == NULL)
		return;
	f = st->host->call_alloc(call, sizeof(*f));
	if (f == NULL) {
		st->host->reply_json(call, 500, json_pack("{s:s}", "error", "out of memory"));
		return;
	}
	*f = (struct echo_fanout){ .st = st, .n = n };
	/* A done callback may run before http() returns (a request that cannot
	 * start); that is safe because f->n is fixed before the first start, so
	 * the reply goes out only after the last of the n callbacks. */
	for (long i = 0; i < n; i++)
		st->host->http(call, &req, echo_fanout_done, f);
}

/* GET never: a buggy handler that never ends its call, so the tests can see
 * the host's deadline guard answer for it. */
static void echo_route_never(void *state, struct relayd_call *call)
{
	(void)state;
	(void)call;
}

static const struct relayd_route echo_routes[] = {
	{ .method = "GET", .path = "claims", .handler = echo_route_claims,
	  .auth = RELAYD_AUTH_REQUIRED },
	{ .method = "GET", .path = "greeting", .handler = echo_route_greeting,
	  .auth = RELAYD_AUTH_NONE },
	{ .method = "GET", .path = "fetch", .handler = echo_route_fetch,
	  .auth = RELAYD_AUTH_NONE },
	{ .method = "GET", .path = "fanout", .handler = echo_route_fanout,
	  .auth = RELAYD_AUTH_NONE },
	{ .method = "GET", .path = "never", .handler = echo_route_never,
	  .auth = RELAYD_AUTH_NONE },
	{ .method = NULL },
};

static const struct relayd_plugin echo_plugin = {
	RELAYD_PLUGIN_HEADER,
	.name = "echo",
	.version = "1.2.3",
	.description = "Echoes observables back; the integration tests' reference plugin",
	.display_name = "Echo",
	.types = echo_types,
	.config = echo_config,
	.envelope = RELAYD_ENVELOPE_RELAY,
	.init = echo_init,
	.fini = echo_fini,
	.observe = echo_observe,
	.refer = echo_refer,
	.health = echo_health,
	.routes = echo_routes,
};

const struct relayd_plugin *relayd_plugin_entry(uint16_t host_major, uint16_t host_minor)
{
	(void)host_minor;
	if (host_major != RELAYD_ABI_MAJOR)
		return NULL;
	return &echo_plugin;
}
