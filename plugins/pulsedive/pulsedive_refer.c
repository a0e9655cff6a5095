/* SPDX-License-Identifier: MIT */
/* Refer: search links without upstream calls, one browse link per value from a lookup each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/sdk.h>

#include "pulsedive.h"
#include "pulsedive_api.h"
#include "pulsedive_refer.h"

#define PD_BROWSE_URL "https://pulsedive.com/browse/?q="
#define PD_INDICATOR_URL "https://pulsedive.com/indicator/?iid="

/* The reference's BROWSE_QUERY, single spaces included; %s is the value
 * (twice). */
#define PD_BROWSE_QUERY                                                                          \
	"{\"type\":[\"artifact\", \"domain\",\"ip\",\"ipv6\",\"url\"],\"risk\":[\"unknown\","      \
	"\"none\",\"low\",\"medium\",\"high\",\"critical\",\"retired\"],\"lastseen\":[\"all\"],"   \
	"\"indicator\":[{\"raw\":{\"type\":\"indicator\",\"value\":\"%s\"}, \"htmlsafe\":"          \
	"{\"type\":\"indicator\",\"value\":\"%s\"},\"exact\":true}],\"attribute\":[],"            \
	"\"property\":[],\"threat\":[], \"feed\":[]}"

const char *pd_refer_human_type(const char *type)
{
	static const char *const names[][2] = {
	    {"ip", "IP"}, {"ipv6", "IPv6"}, {"domain", "domain"}, {"url", "URL"}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(names[i][0], type) == 0)
			return names[i][1];
	}
	return type;
}

/* The value as it goes between the quotes of a JSON string (malloc'd): the
 * same bytes for ordinary values, '"' and '\' and controls escaped. */
static char *json_inner(const char *value)
{
	json_t *s = json_string(value);
	char *quoted = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
	json_decref(s);
	if (!quoted)
		return NULL;
	size_t len = strlen(quoted);
	memmove(quoted, quoted + 1, len - 2); /* drop the surrounding quotes */
	quoted[len - 2] = '\0';
	return quoted;
}

static char *browse_url(const char *value)
{
	char *inner = json_inner(value);
	char *query = NULL, *b64 = NULL, *url = NULL;
	if (inner && asprintf(&query, PD_BROWSE_QUERY, inner, inner) < 0)
		query = NULL;
	if (query)
		b64 = relayd_base64_encode(query, strlen(query));
	if (b64 && asprintf(&url, PD_BROWSE_URL "%s", b64) < 0)
		url = NULL;
	free(inner);
	free(query);
	free(b64);
	return url;
}

/* {id, title, description, url, categories: [kind, "Pulsedive"]}; NULL when out of memory. */
static json_t *reference(const char *id, const char *title, const char *description,
                         const char *url, const char *kind)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:[s, s]}", "id", id, "title", title, "description",
	                 description, "url", url, "categories", kind, "Pulsedive");
}

json_t *pd_refer_search(const char *type, const char *value)
{
	const char *human = pd_refer_human_type(type);
	char *enc = relayd_pct_encode(value);
	char *url = browse_url(value);
	char *id = NULL, *title = NULL, *description = NULL;
	json_t *ref = NULL;
	if (enc && asprintf(&id, "ref-pulsedive-search-%s-%s", type, enc) < 0)
		id = NULL;
	if (asprintf(&title, "Search for this %s", human) < 0)
		title = NULL;
	if (asprintf(&description, "Lookup this %s on Pulsedive", human) < 0)
		description = NULL;
	if (id && url && title && description)
		ref = reference(id, title, description, url, "Search");
	free(enc);
	free(url);
	free(id);
	free(title);
	free(description);
	return ref;
}

int pd_refer_browse(const json_t *lookup, json_t **out)
{
	const json_t *iid = json_object_get(lookup, "iid");
	const char *type = json_string_value(json_object_get(lookup, "type"));
	const char *value = json_string_value(json_object_get(lookup, "indicator"));
	*out = NULL;
	if (!type || !value || !(json_is_integer(iid) || json_is_string(iid)))
		return RELAYD_EINVAL;
	const char *human = pd_refer_human_type(type);
	char *enc = relayd_pct_encode(value);
	char *id = NULL, *title = NULL, *description = NULL, *url = NULL;
	int n = json_is_integer(iid)
	            ? asprintf(&url, PD_INDICATOR_URL "%" JSON_INTEGER_FORMAT, json_integer_value(iid))
	            : asprintf(&url, PD_INDICATOR_URL "%s", json_string_value(iid));
	if (n < 0)
		url = NULL;
	if (enc && asprintf(&id, "ref-pulsedive-detail-%s-%s", type, enc) < 0)
		id = NULL;
	if (asprintf(&title, "Browse %s", human) < 0)
		title = NULL;
	if (asprintf(&description, "Browse this %s on Pulsedive", human) < 0)
		description = NULL;
	if (id && url && title && description)
		*out = reference(id, title, description, url, "Browse");
	free(enc);
	free(url);
	free(id);
	free(title);
	free(description);
	return *out ? RELAYD_OK : RELAYD_ENOMEM;
}

/* ---- the refer call ------------------------------------------------------- */

struct pd_refer;

struct pd_refer_item {
	struct pd_refer *rp;
	const struct relayd_observable *obs;
	json_t *browse;            /* NULL: nothing known */
	struct pd_failure failure; /* kind != NONE: failed */
};

struct pd_refer {
	const struct pd_state *st;
	struct relayd_gather *gather;
	size_t n;
	struct pd_refer_item *items;
};

static void on_browse_lookup(struct relayd_call *call, struct pd_answer *a, void *arg)
{
	struct pd_refer_item *it = arg;
	(void)call;
	if (a->outcome == PD_FAILED) {
		it->failure = a->failure;
	} else if (a->outcome == PD_FOUND) {
		int rc = pd_refer_browse(a->json, &it->browse);
		if (rc != RELAYD_OK)
			it->failure.kind = rc == RELAYD_EINVAL ? PD_FAIL_KEY : PD_FAIL_NO_MEMORY;
		json_decref(a->json);
	}
	relayd_gather_release(it->rp->gather);
}

/* Search references first (request order), then the browse references. */
static json_t *refer_data(const struct pd_refer *rp)
{
	json_t *data = json_array();
	for (size_t i = 0; data && i < rp->n; i++) {
		json_t *s = pd_refer_search(rp->items[i].obs->type, rp->items[i].obs->value);
		if (!s || json_array_append_new(data, s) != 0) {
			json_decref(data);
			return NULL;
		}
	}
	for (size_t i = 0; data && i < rp->n; i++) {
		if (rp->items[i].browse && json_array_append(data, rp->items[i].browse) != 0) {
			json_decref(data);
			return NULL;
		}
	}
	return data;
}

static void on_refer_done(struct relayd_call *call, void *arg)
{
	struct pd_refer *rp = arg;
	const struct relayd_host *host = rp->st->host;
	const struct pd_failure *failed = NULL;
	for (size_t i = 0; i < rp->n && !failed; i++) {
		if (rp->items[i].failure.kind != PD_FAIL_NONE)
			failed = &rp->items[i].failure;
	}
	/* Any fatal error drops the search references too (§7). */
	json_t *data = failed ? NULL : refer_data(rp);
	for (size_t i = 0; i < rp->n; i++)
		json_decref(rp->items[i].browse);
	if (failed)
		pd_api_fail(host, call, NULL, failed);
	else if (!data)
		host->fail(call, NULL, "unknown", "Out of memory");
	else
		host->finish(call, data);
}

void pd_refer(void *state, struct relayd_call *call, const struct relayd_observable *obs,
              size_t n)
{
	const struct pd_state *st = state;
	const struct relayd_host *host = st->host;
	struct pd_refer *rp = host->call_alloc(call, sizeof *rp);
	struct pd_refer_item *items = host->call_alloc(call, (n ? n : 1) * sizeof *items);
	struct relayd_gather *g = rp ? relayd_gather_new(host, call, on_refer_done, rp) : NULL;
	if (!rp || !items || !g) {
		host->fail(call, NULL, "unknown", "Out of memory");
		return;
	}
	*rp = (struct pd_refer){.st = st, .gather = g, .n = n, .items = items};
	for (size_t i = 0; i < n; i++) {
		items[i] = (struct pd_refer_item){.rp = rp, .obs = &obs[i]};
		relayd_gather_hold(g);
		pd_api_get(host, st->base_url, call, PD_QUERY_LOOKUP, obs[i].value, on_browse_lookup,
		           &items[i]);
	}
	relayd_gather_start(g);
}
