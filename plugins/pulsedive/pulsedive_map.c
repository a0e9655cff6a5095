/* SPDX-License-Identifier: MIT */
/* Pure mapping of Pulsedive answers (lookup, links) to CTIM entities (contracts/pulsedive.md §4–§8). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/ctim.h>
#include <relayd/json.h>

#include "pulsedive.h"
#include "pulsedive_map.h"

#define US_PER_S INT64_C(1000000)
/* The reference's STORAGE_PERIOD, timedelta(days=3*365/12): 91 days 6 hours. */
#define PD_STORAGE_PERIOD_US ((INT64_C(91) * 86400 + 6 * 3600) * US_PER_S)
/* ACTIVE_DNS_RELEVANCE_PERIOD: links older than this are not reported. */
#define PD_ACTIVE_DNS_PERIOD_US (INT64_C(90) * 86400 * US_PER_S)
#define PD_UI "https://pulsedive.com/"
#define PD_ORIGIN "Pulsedive Enrichment Module"
/* Bytes that hold an iid/tid/fid as text. */
#define PD_REF_SIZE 128

static const struct pd_risk_row pd_risk_table[] = {
	{"none", 1, "None"},     {"unknown", 5, "Unknown"}, {"retired", 5, "Unknown"},
	{"low", 3, "Low"},       {"medium", 3, "Medium"},   {"high", 2, "High"},
	{"critical", 2, "High"},
};

const char *const pd_map_lookup_members[] = {
	"iid", "type", "indicator", "risk", "retired", "stamp_seen", "stamp_retired",
	"riskfactors", "threats", "feeds", NULL,
};
const char *const pd_map_links_members[] = {"Active DNS", NULL};

const struct pd_risk_row *pd_risk_row(const char *risk)
{
	if (!risk)
		return NULL;
	for (size_t i = 0; i < sizeof pd_risk_table / sizeof pd_risk_table[0]; i++) {
		if (strcmp(pd_risk_table[i].risk, risk) == 0)
			return &pd_risk_table[i];
	}
	return NULL;
}

/* ---- reading fields ----------------------------------------------------- */

static const char *str_field(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* An id used in a URL (iid, tid, fid): integer or string, as Python's
 * f-string would print it. False when missing or of another type. */
static bool ref_field(const json_t *o, const char *key, char out[PD_REF_SIZE])
{
	const json_t *v = json_object_get(o, key);
	int n;
	if (json_is_integer(v))
		n = snprintf(out, PD_REF_SIZE, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_string(v))
		n = snprintf(out, PD_REF_SIZE, "%s", json_string_value(v));
	else
		return false;
	return n >= 0 && n < PD_REF_SIZE;
}

static bool time_field(const json_t *o, const char *key, int64_t *us)
{
	const char *text = str_field(o, key);
	return text && ctim_time_parse(text, us) == RELAYD_OK;
}

/* A list the reference reads with output.get(name, []): absent or null is
 * empty (NULL here); anything but an array is a broken answer. */
static bool list_field(const json_t *o, const char *key, const json_t **list)
{
	const json_t *v = json_object_get(o, key);
	*list = NULL;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_array(v))
		return false;
	*list = v;
	return true;
}

/* ---- checking a lookup answer --------------------------------------------- */

static bool check_riskfactor(const json_t *rf)
{
	return json_is_object(rf) && json_object_get(rf, "rfid") && str_field(rf, "description");
}

static bool check_linked(const json_t *e, const char *id_key)
{
	char ref[PD_REF_SIZE];
	int64_t t;
	return json_is_object(e) && ref_field(e, id_key, ref) && str_field(e, "name") &&
	       str_field(e, "category") && time_field(e, "stamp_linked", &t);
}

static bool check_list(const json_t *lookup, const char *key, bool (*check)(const json_t *, const char *),
                       const char *id_key)
{
	const json_t *list;
	if (!list_field(lookup, key, &list))
		return false;
	size_t i;
	const json_t *e;
	json_array_foreach(list, i, e) {
		if (!check(e, id_key))
			return false;
	}
	return true;
}

static bool check_riskfactor_entry(const json_t *e, const char *unused)
{
	(void)unused;
	return check_riskfactor(e);
}

static bool check_feed_entry(const json_t *e, const char *id_key)
{
	return check_linked(e, id_key) && str_field(e, "organization");
}

static bool check_retired_stamp(const json_t *lookup)
{
	const json_t *v = json_object_get(lookup, "stamp_retired");
	int64_t t;
	if (!v)
		return false; /* the reference indexes it: KeyError */
	if (!relayd_json_truthy(v))
		return true;
	return json_is_string(v) && ctim_time_parse(json_string_value(v), &t) == RELAYD_OK;
}

int pd_map_check_lookup(const json_t *lookup)
{
	char ref[PD_REF_SIZE];
	int64_t t;
	if (!json_is_object(lookup) || !ref_field(lookup, "iid", ref) || !str_field(lookup, "type") ||
	    !str_field(lookup, "indicator") || !pd_risk_row(str_field(lookup, "risk")) ||
	    !json_object_get(lookup, "retired") || !time_field(lookup, "stamp_seen", &t) ||
	    !check_retired_stamp(lookup))
		return RELAYD_EINVAL;
	if (!check_list(lookup, "riskfactors", check_riskfactor_entry, NULL) ||
	    !check_list(lookup, "threats", check_linked, "tid") ||
	    !check_list(lookup, "feeds", check_feed_entry, "fid"))
		return RELAYD_EINVAL;
	return RELAYD_OK;
}

/* ---- the ordered list of riskfactors, threats and feeds ------------------- */

enum pd_item_kind { PD_RISKFACTOR, PD_THREAT, PD_FEED };

struct pd_item {
	enum pd_item_kind kind;
	const json_t *j;
	const char *stamp; /* threats and feeds: stamp_linked, for sorting */
	size_t pos;        /* upstream position: keeps ties in order (a stable sort) */
};

/* Newest stamp_linked first; string order is time order for this format. */
static int by_stamp_desc(const void *a, const void *b)
{
	const struct pd_item *x = a, *y = b;
	int c = strcmp(y->stamp, x->stamp);
	if (c != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static size_t append_list(struct pd_item *items, size_t n, const json_t *list,
                          enum pd_item_kind kind)
{
	size_t i, start = n;
	const json_t *e;
	json_array_foreach(list, i, e) {
		items[n] = (struct pd_item){.kind = kind, .j = e, .pos = i};
		items[n].stamp = kind == PD_RISKFACTOR ? "" : str_field(e, "stamp_linked");
		n++;
	}
	if (kind != PD_RISKFACTOR && n - start > 1)
		qsort(items + start, n - start, sizeof *items, by_stamp_desc);
	return n;
}

/* riskfactors in upstream order, then threats and feeds newest first (§6).
 * malloc'd (caller frees); *n gets the length. NULL only when out of memory. */
static struct pd_item *ordered_items(const json_t *lookup, size_t *n)
{
	const json_t *rf, *th, *fe;
	list_field(lookup, "riskfactors", &rf);
	list_field(lookup, "threats", &th);
	list_field(lookup, "feeds", &fe);
	size_t total = json_array_size(rf) + json_array_size(th) + json_array_size(fe);
	struct pd_item *items = malloc((total ? total : 1) * sizeof *items);
	if (!items)
		return NULL;
	size_t k = append_list(items, 0, rf, PD_RISKFACTOR);
	k = append_list(items, k, th, PD_THREAT);
	*n = append_list(items, k, fe, PD_FEED);
	return items;
}

static size_t item_count(const json_t *lookup)
{
	const json_t *rf, *th, *fe;
	list_field(lookup, "riskfactors", &rf);
	list_field(lookup, "threats", &th);
	list_field(lookup, "feeds", &fe);
	return json_array_size(rf) + json_array_size(th) + json_array_size(fe);
}

bool pd_map_wants_links(const json_t *lookup, int limit)
{
	const char *type = str_field(lookup, "type");
	if (!type || (strcmp(type, "domain") != 0 && strcmp(type, "ip") != 0))
		return false; /* ipv6 and url observables have no valid relation pair */
	return limit > 0 && item_count(lookup) < (size_t)limit;
}

/* ---- Active DNS relations --------------------------------------------------- */

static bool valid_pair(const char *link_type, const char *obs_type)
{
	return (strcmp(link_type, "ip") == 0 && strcmp(obs_type, "domain") == 0) ||
	       (strcmp(link_type, "ipv6") == 0 && strcmp(obs_type, "domain") == 0) ||
	       (strcmp(link_type, "domain") == 0 && strcmp(obs_type, "ip") == 0);
}

/* Appends one relation to holder's "relations"; 0 or a negative status. */
static int add_link_relation(json_t *holder, const json_t *obs, const char *obs_type,
                             const char *link_type, const char *link_value)
{
	json_t *linked = ctim_observable(link_type, link_value);
	if (!linked)
		return RELAYD_ENOMEM;
	int rc = strcmp(obs_type, "domain") == 0
	             ? ctim_add_relation(holder, PD_ORIGIN, "Resolved_To", obs, linked)
	             : ctim_add_relation(holder, PD_ORIGIN, "Resolved_To", linked, obs);
	json_decref(linked);
	return rc;
}

static int collect_relations(const json_t *entries, const json_t *obs, const char *obs_type,
                             int64_t now_us, json_t *holder)
{
	size_t i;
	const json_t *e;
	json_array_foreach(entries, i, e) {
		if (!json_is_object(e))
			continue; /* not a link: nothing to read (the reference crashed) */
		const char *type = str_field(e, "type");
		int64_t linked_us;
		if (!type)
			return RELAYD_EINVAL;
		if (!valid_pair(type, obs_type))
			continue;
		if (!time_field(e, "stamp_linked", &linked_us))
			return RELAYD_EINVAL;
		if (now_us - linked_us >= PD_ACTIVE_DNS_PERIOD_US)
			continue;
		const char *value = str_field(e, "indicator");
		if (!value)
			return RELAYD_EINVAL;
		int rc = add_link_relation(holder, obs, obs_type, type, value);
		if (rc != RELAYD_OK)
			return rc;
	}
	return RELAYD_OK;
}

int pd_map_relations(const json_t *lookup, const json_t *links, int64_t now_us,
                     json_t **relations)
{
	*relations = NULL;
	const char *obs_type = str_field(lookup, "type");
	const char *obs_value = str_field(lookup, "indicator");
	if (!obs_type || !obs_value)
		return RELAYD_EINVAL;
	json_t *holder = json_object();
	json_t *obs = ctim_observable(obs_type, obs_value);
	json_t *list = holder ? ctim_array_field(holder, "relations") : NULL;
	int rc = list && obs ? RELAYD_OK : RELAYD_ENOMEM;
	const json_t *entries = json_object_get(links, "Active DNS");
	if (rc == RELAYD_OK && json_is_array(entries))
		rc = collect_relations(entries, obs, obs_type, now_us, holder);
	if (rc == RELAYD_OK)
		*relations = json_incref(list);
	json_decref(obs);
	json_decref(holder);
	return rc;
}

/* ---- entities --------------------------------------------------------------- */

char *pd_map_feed_title(const char *name)
{
	static const char prefix[] = "Feed: ";
	size_t len = strlen(name);
	char *out = malloc(sizeof prefix + len);
	if (!out)
		return NULL;
	memcpy(out, prefix, sizeof prefix - 1);
	char *w = out + sizeof prefix - 1;
	/* Every occurrence of "Feed" goes, nothing is trimmed (the reference's
	 * name.replace("Feed", "")). */
	for (const char *r = name; *r;) {
		if (strncmp(r, "Feed", 4) == 0) {
			r += 4;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	return out;
}

/* Everything one observable's entities share. */
struct pd_obs_ctx {
	const struct pd_map_opts *o;
	const json_t *lookup;
	struct ctim_obs obs;           /* Pulsedive's own type and indicator */
	const struct pd_risk_row *row; /* with the retired substitution */
	const struct pd_risk_row *raw; /* without it (threat indicators) */
	struct ctim_range valid;       /* verdict, judgement, riskfactor indicators */
	int64_t seen_us;
	char page[PD_REF_SIZE + 48];   /* https://pulsedive.com/indicator/?iid=<iid> */
};

static int obs_ctx_init(struct pd_obs_ctx *x, const struct pd_map_opts *o, const json_t *lookup)
{
	char iid[PD_REF_SIZE];
	int64_t end_us;
	*x = (struct pd_obs_ctx){.o = o, .lookup = lookup};
	if (pd_map_check_lookup(lookup) != RELAYD_OK)
		return RELAYD_EINVAL;
	const char *risk = str_field(lookup, "risk");
	x->raw = pd_risk_row(risk);
	x->row = relayd_json_truthy(json_object_get(lookup, "retired")) && strcmp(risk, "none") == 0
	             ? pd_risk_row("retired")
	             : x->raw;
	time_field(lookup, "stamp_seen", &x->seen_us);
	if (!relayd_json_truthy(json_object_get(lookup, "stamp_retired")) ||
	    !time_field(lookup, "stamp_retired", &end_us))
		end_us = x->seen_us + PD_STORAGE_PERIOD_US;
	x->valid = ctim_span(x->seen_us, end_us);
	ref_field(lookup, "iid", iid);
	snprintf(x->page, sizeof x->page, PD_UI "indicator/?iid=%s", iid);
	x->obs = (struct ctim_obs){str_field(lookup, "type"), str_field(lookup, "indicator")};
	return RELAYD_OK;
}

/* Entities are written straight into the bundle (ctim_write_*): each
 * function below starts one, adds its fields and ends it; a failed step
 * makes ctim_doc_end return the failure and drop the entity. */

static int add_verdict(const struct pd_obs_ctx *x, struct ctim_bundle *out)
{
	struct ctim_doc d;
	ctim_write_verdict(&d, out, x->o->ctim, x->obs, x->row->disposition, x->valid);
	return ctim_doc_end(&d);
}

static int add_judgement(const struct pd_obs_ctx *x, struct ctim_bundle *out)
{
	struct ctim_doc d;
	ctim_write_judgement(&d, out, x->o->ctim, x->obs, x->row->disposition, x->row->severity,
	                     "Medium", 85, "Pulsedive", x->valid);
	ctim_doc_string(&d, "source_uri", x->page);
	ctim_doc_tlp(&d, "white");
	return ctim_doc_end(&d);
}

/* What an item contributes: texts, times, page, relationship type. */
struct pd_item_view {
	const char *name;       /* uuid5 name of the indicator id */
	char *title;            /* malloc'd: title / short_description / sighting description */
	const char *producer;
	const char *category;   /* NULL: no tags */
	const char *severity;   /* of the indicator; NULL: none */
	const char *sev_sight;  /* of the sighting; NULL: none */
	struct ctim_range valid;
	int64_t observed_us;
	char uri[PD_REF_SIZE + 48];
	const char *rel_type;
	char indicator_id[CTIM_ID_SIZE]; /* transient:indicator-<uuid5(name)> */
};

static int item_view(const struct pd_obs_ctx *x, const struct pd_item *it, struct pd_item_view *v)
{
	char ref[PD_REF_SIZE];
	int64_t linked_us = 0;
	*v = (struct pd_item_view){.producer = "Pulsedive", .rel_type = "sighting-of"};
	if (it->kind == PD_RISKFACTOR) {
		v->name = str_field(it->j, "description");
		v->title = strdup(v->name);
		v->valid = x->valid;
		v->observed_us = x->seen_us;
		v->sev_sight = x->row->severity;
		snprintf(v->uri, sizeof v->uri, "%s", x->page);
		return v->title ? RELAYD_OK : RELAYD_ENOMEM;
	}
	v->name = str_field(it->j, "name");
	v->category = str_field(it->j, "category");
	time_field(it->j, "stamp_linked", &linked_us);
	v->valid = ctim_from(linked_us);
	v->observed_us = linked_us;
	if (it->kind == PD_THREAT) {
		ref_field(it->j, "tid", ref);
		snprintf(v->uri, sizeof v->uri, PD_UI "threat/?tid=%s", ref);
		v->severity = x->raw->severity;
		v->sev_sight = x->row->severity;
		if (asprintf(&v->title, "Threat: %s", v->name) < 0)
			v->title = NULL;
	} else {
		ref_field(it->j, "fid", ref);
		snprintf(v->uri, sizeof v->uri, PD_UI "feed/?fid=%s", ref);
		v->producer = str_field(it->j, "organization");
		v->rel_type = "member-of";
		v->title = pd_map_feed_title(v->name);
	}
	return v->title ? RELAYD_OK : RELAYD_ENOMEM;
}

/* The views of the first @p n items, each drawn once for its indicator and
 * its sighting (the uuid5 of the indicator id is a SHA-1). *views gets a
 * calloc'd array; release it with free_views. */
static int make_views(const struct pd_obs_ctx *x, const struct pd_item *items, size_t n,
                      struct pd_item_view **views)
{
	struct pd_item_view *v = calloc(n ? n : 1, sizeof *v);
	int rc = v ? RELAYD_OK : RELAYD_ENOMEM;
	for (size_t i = 0; rc == RELAYD_OK && i < n; i++) {
		rc = item_view(x, &items[i], &v[i]);
		if (rc == RELAYD_OK)
			rc = ctim_transient_id_v5(v[i].indicator_id, sizeof v[i].indicator_id,
			                          "indicator", v[i].name);
	}
	*views = v;
	return rc;
}

static void free_views(struct pd_item_view *views, size_t n)
{
	for (size_t i = 0; views && i < n; i++)
		free(views[i].title);
	free(views);
}

static int add_indicator(const struct pd_obs_ctx *x, const struct pd_item_view *v,
                         struct ctim_bundle *out)
{
	struct ctim_doc d;
	ctim_write_indicator(&d, out, x->o->ctim, v->indicator_id, v->producer, v->valid);
	ctim_doc_string(&d, "source", "Pulsedive");
	ctim_doc_string(&d, "title", v->title);
	ctim_doc_string(&d, "short_description", v->title);
	ctim_doc_tlp(&d, "white");
	if (v->category) {
		ctim_doc_open_array(&d, "tags");
		ctim_doc_string(&d, NULL, v->category);
		ctim_doc_close(&d);
	}
	if (v->severity)
		ctim_doc_severity(&d, v->severity);
	if (v->category) /* threats and feeds link to their page */
		ctim_doc_string(&d, "source_uri", v->uri);
	return ctim_doc_end(&d);
}

/* Starts a sighting with the fields every Pulsedive sighting has; the
 * caller may add more and ends it. */
static void begin_sighting(struct ctim_doc *d, const struct pd_obs_ctx *x, int64_t observed_us,
                           const char *description, const char *severity, const char *uri,
                           struct ctim_bundle *out)
{
	ctim_write_sighting(d, out, x->o->ctim, 1, "Medium", ctim_at(observed_us));
	ctim_doc_string(d, "source", "Pulsedive");
	ctim_doc_string(d, "description", description);
	ctim_doc_string(d, "source_uri", uri);
	if (severity)
		ctim_doc_severity(d, severity);
	ctim_doc_open_array(d, "observables");
	ctim_doc_observable(d, NULL, x->obs);
	ctim_doc_close(d);
}

static size_t min_size(size_t a, int limit)
{
	size_t l = limit > 0 ? (size_t)limit : 0;
	return a < l ? a : l;
}

static int add_indicators(const struct pd_obs_ctx *x, const struct pd_item_view *views,
                          size_t n, struct ctim_bundle *out)
{
	int rc = RELAYD_OK;
	for (size_t i = 0; rc == RELAYD_OK && i < n; i++)
		rc = add_indicator(x, &views[i], out);
	return rc;
}

static int add_item_sighting(const struct pd_obs_ctx *x, const struct pd_item_view *v,
                             char sighting_id[CTIM_ID_SIZE], struct ctim_bundle *out)
{
	struct ctim_doc d;
	begin_sighting(&d, x, v->observed_us, v->title, v->sev_sight, v->uri, out);
	/* A drawn transient id always fits; "" after a failed start. */
	snprintf(sighting_id, CTIM_ID_SIZE, "%s", ctim_doc_id(&d));
	return ctim_doc_end(&d);
}

static int add_active_dns(const struct pd_obs_ctx *x, const json_t *relations,
                          struct ctim_bundle *out)
{
	struct ctim_doc d;
	begin_sighting(&d, x, x->seen_us, "Active DNS", NULL, x->page, out);
	ctim_doc_json(&d, "relations", relations);
	return ctim_doc_end(&d);
}

/* One relationship per item sighting, drawn after every sighting has its
 * id (as the reference draws them). */
static int add_relationships(const struct pd_obs_ctx *x, const struct pd_item_view *views,
                             char (*sighting_ids)[CTIM_ID_SIZE], size_t n,
                             struct ctim_bundle *out)
{
	for (size_t i = 0; i < n; i++) {
		struct ctim_doc d;
		ctim_write_relationship(&d, out, x->o->ctim, views[i].rel_type, sighting_ids[i],
		                        views[i].indicator_id);
		ctim_doc_tlp(&d, "white");
		int rc = ctim_doc_end(&d);
		if (rc != RELAYD_OK)
			return rc;
	}
	return RELAYD_OK;
}

/* @p n items of @p total are kept (the limit); the Active DNS sighting
 * needs room under the limit too. */
static int add_sightings(const struct pd_obs_ctx *x, const struct pd_item_view *views, size_t n,
                         size_t total, const json_t *relations, struct ctim_bundle *out)
{
	char (*sighting_ids)[CTIM_ID_SIZE] = calloc(n ? n : 1, sizeof *sighting_ids);
	if (!sighting_ids)
		return RELAYD_ENOMEM;
	int rc = RELAYD_OK;
	for (size_t i = 0; rc == RELAYD_OK && i < n; i++)
		rc = add_item_sighting(x, &views[i], sighting_ids[i], out);
	/* The Active DNS sighting counts toward the sightings limit (§8). */
	if (rc == RELAYD_OK && json_array_size(relations) > 0 && min_size(total + 1, x->o->limit) > total)
		rc = add_active_dns(x, relations, out);
	if (rc == RELAYD_OK)
		rc = add_relationships(x, views, sighting_ids, n, out);
	free(sighting_ids);
	return rc;
}

int pd_map_observe(const struct pd_map_opts *o, const json_t *lookup, const json_t *relations,
                   bool with_sightings, struct ctim_bundle *out)
{
	struct pd_obs_ctx x;
	int rc = obs_ctx_init(&x, o, lookup);
	size_t n = 0;
	struct pd_item *items = rc == RELAYD_OK ? ordered_items(lookup, &n) : NULL;
	if (rc == RELAYD_OK && !items)
		rc = RELAYD_ENOMEM;
	size_t kept = min_size(n, o->limit);
	struct pd_item_view *views = NULL;
	if (rc == RELAYD_OK)
		rc = make_views(&x, items, kept, &views);
	if (rc == RELAYD_OK)
		rc = add_verdict(&x, out);
	if (rc == RELAYD_OK)
		rc = add_judgement(&x, out);
	if (rc == RELAYD_OK)
		rc = add_indicators(&x, views, kept, out);
	if (rc == RELAYD_OK && with_sightings)
		rc = add_sightings(&x, views, kept, n, relations, out);
	free_views(views, kept);
	free(items);
	return rc;
}
