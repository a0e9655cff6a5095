/* SPDX-License-Identifier: MIT */
/* Pulsedive upstream requests: URLs, headers, answer cache, rate limit, status handling. */
#include <stdlib.h>
#include <string.h>

#include <relayd/json.h>
#include <relayd/sdk.h>

#include "pulsedive.h"
#include "pulsedive_api.h"
#include "pulsedive_map.h"

/* Cached answers start with one tag byte. */
#define PD_CACHE_FOUND 'F'
#define PD_CACHE_NOT_FOUND 'N'

static const char *const pd_headers[] = {PD_USER_AGENT, NULL};

char *pd_api_url(const char *base_url, enum pd_query query, const char *indicator,
                 const char *api_key)
{
	if (!base_url || !api_key)
		return NULL;
	if (query == PD_QUERY_HEALTH) {
		const char *const kv[] = {"iid", "2", "key", api_key, NULL};
		return relayd_url_with_form(base_url, "info.php", kv);
	}
	if (!indicator)
		return NULL;
	if (query == PD_QUERY_LINKS) {
		const char *const kv[] = {"indicator", indicator, "key", api_key, "get", "links", NULL};
		return relayd_url_with_form(base_url, "info.php", kv);
	}
	const char *const kv[] = {"indicator", indicator, "key", api_key, NULL};
	return relayd_url_with_form(base_url, "info.php", kv);
}

int pd_api_cache_key(const char *base_url, enum pd_query query, const char *indicator,
                     const char *api_key, char out[65])
{
	if (!base_url || !indicator || !api_key)
		return RELAYD_EINVAL;
	/* NUL separators: none of the parts can contain one, so no two
	 * different tuples give the same bytes. */
	size_t lb = strlen(base_url), li = strlen(indicator), lk = strlen(api_key);
	size_t len = lb + 1 + 1 + 1 + lk + 1 + li;
	char *buf = malloc(len);
	if (!buf)
		return RELAYD_ENOMEM;
	char *p = buf;
	memcpy(p, base_url, lb);
	p += lb;
	*p++ = '\0';
	*p++ = (char)('0' + (int)query);
	*p++ = '\0';
	memcpy(p, api_key, lk);
	p += lk;
	*p++ = '\0';
	memcpy(p, indicator, li);
	int rc = relayd_hex_sha256(buf, len, out);
	free(buf);
	return rc;
}

/* ---- classification --------------------------------------------------- */

static void set_failure(struct pd_answer *out, enum pd_failure_kind kind)
{
	out->outcome = PD_FAILED;
	out->failure.kind = kind;
}

/* The message of an unexpected status: the body's "error" (as text), JSON
 * null when the JSON object has none, a fixed text when the body is not a
 * JSON object (contracts/pulsedive.md §3.2). */
static const char *status_message(const struct relayd_host *host, struct relayd_call *call,
                                  const struct relayd_http_response *resp)
{
	json_t *body = relayd_json_loadb(resp->body ? resp->body : "", resp->body_len, 0, NULL);
	if (!json_is_object(body)) {
		json_decref(body);
		return PD_API_ERROR_MESSAGE;
	}
	const json_t *error = json_object_get(body, "error");
	const char *message = NULL;
	if (json_is_string(error)) {
		message = host->call_strdup(call, json_string_value(error));
	} else if (error && !json_is_null(error)) {
		/* A number or an object: keep it readable rather than lose it. */
		char *text = json_dumps(error, JSON_COMPACT | JSON_ENCODE_ANY);
		message = text ? host->call_strdup(call, text) : PD_API_ERROR_MESSAGE;
		free(text);
	}
	json_decref(body);
	return message;
}

static size_t skip_json_ws(const char *text, size_t len, size_t i)
{
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	return i;
}

/* An object without members, whatever the whitespace: "{}", "{ \n }". */
static bool is_empty_object(const char *text, size_t len)
{
	size_t i = skip_json_ws(text, len, 0);
	if (i == len || text[i] != '{')
		return false;
	i = skip_json_ws(text, len, i + 1);
	return i < len && text[i] == '}';
}

void pd_api_classify(const struct relayd_host *host, struct relayd_call *call,
                     const struct relayd_http_response *resp, const char *const *members,
                     struct pd_answer *out)
{
	*out = (struct pd_answer){.outcome = PD_NOT_FOUND};
	if (resp->error != RELAYD_HTTP_OK) {
		set_failure(out, PD_FAIL_TRANSPORT);
		out->failure.error = resp->error;
		out->failure.error_text =
		    resp->error_text ? host->call_strdup(call, resp->error_text) : NULL;
		out->failure.timeout_ms = resp->timeout_ms;
		return;
	}
	if (resp->status == 400 || resp->status == 404 || resp->status == 406)
		return; /* "nothing known" */
	if (resp->status != 200) {
		set_failure(out, PD_FAIL_STATUS);
		out->failure.status = resp->status;
		out->failure.reason = host->call_strdup(call, resp->reason ? resp->reason : "");
		out->failure.message = status_message(host, call, resp);
		return;
	}
	const char *text = resp->body ? resp->body : "";
	json_t *body = relayd_json_loadb_members(text, resp->body_len, 0, members, NULL);
	if (!json_is_object(body)) {
		json_decref(body);
		set_failure(out, PD_FAIL_INVALID_JSON);
		return;
	}
	/* The reference tests `if output:` — an empty answer is a miss. Asked of
	 * the text: an answer of only members the mapping skips is not empty. */
	if (is_empty_object(text, resp->body_len)) {
		json_decref(body);
		return;
	}
	out->outcome = PD_FOUND;
	out->json = body;
}

/* ---- one query: cache → rate limit → GET → classify → cache ------------- */

struct pd_request {
	const struct relayd_host *host;
	enum pd_query query;
	const char *url;       /* call arena */
	const char *cache_key; /* call arena; NULL: not cached (health) */
	pd_answer_fn done;
	void *arg;
};

static void deliver(struct relayd_call *call, struct pd_request *r, struct pd_answer *a)
{
	r->done(call, a, r->arg);
}

static void deliver_failure(const struct relayd_host *host, struct relayd_call *call,
                            enum pd_failure_kind kind, pd_answer_fn done, void *arg)
{
	(void)host;
	struct pd_answer a = {.outcome = PD_FAILED, .failure = {.kind = kind}};
	done(call, &a, arg);
}

/* A cached answer as a pd_answer; false when there is none (or it is unreadable). */
static bool answer_from_cache(struct pd_request *r, struct relayd_call *call, struct pd_answer *a)
{
	const void *value = NULL;
	size_t len = 0;
	if (r->host->cache_get(call, r->cache_key, strlen(r->cache_key), &value, &len) != RELAYD_OK ||
	    len == 0)
		return false;
	const char *v = value;
	*a = (struct pd_answer){.outcome = PD_NOT_FOUND, .from_cache = true};
	if (v[0] == PD_CACHE_NOT_FOUND)
		return true;
	if (v[0] != PD_CACHE_FOUND)
		return false;
	json_t *body = relayd_json_loadb(v + 1, len - 1, 0, NULL);
	if (!json_is_object(body)) {
		json_decref(body);
		return false;
	}
	a->outcome = PD_FOUND;
	a->json = body;
	return true;
}

/* Stores an answer that is not fatal: the raw body of a 200, or a miss. */
static void answer_to_cache(struct pd_request *r, struct relayd_call *call,
                            const struct relayd_http_response *resp, const struct pd_answer *a)
{
	if (!r->cache_key || a->outcome == PD_FAILED)
		return;
	size_t body_len = a->outcome == PD_FOUND ? resp->body_len : 0;
	char *value = malloc(body_len + 1);
	if (!value)
		return; /* the cache is an optimisation: skip it */
	value[0] = a->outcome == PD_FOUND ? PD_CACHE_FOUND : PD_CACHE_NOT_FOUND;
	if (body_len)
		memcpy(value + 1, resp->body, body_len);
	r->host->cache_put(call, r->cache_key, strlen(r->cache_key), value, body_len + 1, 0);
	free(value);
}

static void on_http_done(struct relayd_call *call, const struct relayd_http_response *resp,
                         void *arg)
{
	struct pd_request *r = arg;
	struct pd_answer a;
	pd_api_classify(r->host, call, resp,
	                r->query == PD_QUERY_LINKS ? pd_map_links_members : pd_map_lookup_members, &a);
	answer_to_cache(r, call, resp, &a);
	deliver(call, r, &a);
}

static void on_rate_limit_ready(struct relayd_call *call, int status, void *arg)
{
	struct pd_request *r = arg;
	if (status != RELAYD_OK) {
		deliver_failure(r->host, call, PD_FAIL_RATE_LIMITED, r->done, r->arg);
		return;
	}
	const struct relayd_http_request req = {
	    .method = "GET",
	    .url = r->url,
	    .headers = pd_headers,
	    .timeout_ms = 0,   /* the plugin's timeout_ms, capped by the call's deadline */
	    .http_version = 11, /* reason phrases become relay error codes */
	};
	r->host->http(call, &req, on_http_done, r);
}

/* The request record with its URL and cache key in the call's arena. */
static struct pd_request *request_new(const struct relayd_host *host, const char *base_url,
                                      struct relayd_call *call, enum pd_query query,
                                      const char *indicator, const char *api_key)
{
	struct pd_request *r = host->call_alloc(call, sizeof *r);
	char *url = pd_api_url(base_url, query, indicator, api_key);
	if (!r || !url) {
		free(url);
		return NULL;
	}
	*r = (struct pd_request){.host = host, .query = query};
	r->url = host->call_strdup(call, url);
	free(url);
	if (!r->url)
		return NULL;
	if (query != PD_QUERY_HEALTH) {
		/* A health probe must ask Pulsedive every time. */
		char key[65];
		if (pd_api_cache_key(base_url, query, indicator, api_key, key) != RELAYD_OK)
			return NULL;
		r->cache_key = host->call_strdup(call, key);
		if (!r->cache_key)
			return NULL;
	}
	return r;
}

void pd_api_get(const struct relayd_host *host, const char *base_url, struct relayd_call *call,
                enum pd_query query, const char *indicator, pd_answer_fn done, void *arg)
{
	const char *api_key = host->call_api_key(call);
	if (!api_key) {
		deliver_failure(host, call, PD_FAIL_NO_KEY, done, arg);
		return;
	}
	struct pd_request *r = request_new(host, base_url, call, query, indicator, api_key);
	if (!r) {
		deliver_failure(host, call, PD_FAIL_NO_MEMORY, done, arg);
		return;
	}
	r->done = done;
	r->arg = arg;
	struct pd_answer cached;
	if (r->cache_key && answer_from_cache(r, call, &cached)) {
		deliver(call, r, &cached);
		return;
	}
	host->ratelimit_acquire(call, api_key, on_rate_limit_ready, r);
}

/* ---- reporting a failure ------------------------------------------------ */

void pd_api_fail(const struct relayd_host *host, struct relayd_call *call, json_t *partial,
                 const struct pd_failure *f)
{
	static const struct relayd_upstream_style style = {
	    .provider = PD_DISPLAY_NAME,
	    .tls_code = NULL, /* "unknown" */
	    .tls_wording = RELAYD_TLS_CAPITALIZE,
	};
	struct relayd_http_response resp = {
	    .error = f->error,
	    .status = f->status,
	    .reason = f->reason ? f->reason : "",
	    .body = "",
	    .error_text = f->error_text,
	    .timeout_ms = f->timeout_ms,
	};
	switch (f->kind) {
	case PD_FAIL_TRANSPORT:
		relayd_fail_upstream_style(host, call, partial, &style, &resp);
		return;
	case PD_FAIL_STATUS:
		resp.error = RELAYD_HTTP_OK;
		relayd_fail_upstream_status(host, call, partial, &resp, f->message);
		return;
	case PD_FAIL_INVALID_JSON:
		relayd_fail_invalid_json(host, call, partial, PD_DISPLAY_NAME);
		return;
	case PD_FAIL_KEY:
		host->fail(call, partial, "key error", "%s", PD_KEY_ERROR_MESSAGE);
		return;
	case PD_FAIL_RATE_LIMITED:
		relayd_fail_rate_limited(host, call, partial, PD_DISPLAY_NAME);
		return;
	case PD_FAIL_NO_KEY:
		host->fail(call, partial, "authorization error",
		           "Authorization failed: Wrong JWT payload structure");
		return;
	case PD_FAIL_NO_MEMORY:
	case PD_FAIL_NONE:
	default:
		host->fail(call, partial, "unknown", "Request to %s failed: out of memory",
		           PD_DISPLAY_NAME);
		return;
	}
}
