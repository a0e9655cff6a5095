/* SPDX-License-Identifier: MIT */
/* The CTIM writer: one entity's JSON text written into its bundle field by field (see relayd/ctim.h). */
#include <relayd/ctim.h>

#include <string.h>

#include <relayd/json.h>
#include <relayd/strbuf.h>

#include "ctim_bundle.h"
#include "strbuf_put.h"

/* Writes @p s as a JSON string (one copy when it needs no escape, as
 * nearly every key and value): RELAYD_OK, RELAYD_EINVAL (not UTF-8),
 * RELAYD_ENOMEM. */
static int put_text(struct ctim_doc *d, const char *s)
{
	return relayd_json_append_string(d->text, s, strlen(s));
}

/* Keeps the first failure; every later step reports it. */
static int doc_fail(struct ctim_doc *d, int rc)
{
	if (d->status == RELAYD_OK)
		d->status = rc;
	return d->status;
}

/* Out of memory in the text is sticky there; the doc reports it. */
static int doc_status(struct ctim_doc *d)
{
	if (d->status == RELAYD_OK && d->text && d->text->status != RELAYD_OK)
		d->status = d->text->status;
	return d->status;
}

static bool top_is_array(const struct ctim_doc *d)
{
	return (d->is_array >> (d->depth - 1)) & 1u;
}

/* Writes what comes before a value: the separator, and "field": inside an
 * object. False (and the doc failed) when the doc cannot take a value here. */
static bool value_start(struct ctim_doc *d, const char *field)
{
	if (doc_status(d) != RELAYD_OK)
		return false;
	if (d->bundle == NULL || d->depth == 0 || top_is_array(d) != (field == NULL)) {
		doc_fail(d, RELAYD_EINVAL);
		return false;
	}
	uint32_t bit = 1u << (d->depth - 1);
	if (d->has_member & bit)
		strbuf_put_char(d->text, ',');
	d->has_member |= bit;
	if (field == NULL)
		return true;
	int rc = put_text(d, field);
	if (rc != RELAYD_OK) {
		doc_fail(d, rc);
		return false;
	}
	strbuf_put_char(d->text, ':');
	return true;
}

static int open_container(struct ctim_doc *d, const char *field, bool array)
{
	if (d->depth >= CTIM_DOC_MAX_DEPTH)
		return doc_fail(d, RELAYD_EINVAL);
	if (d->depth > 0 && !value_start(d, field))
		return d->status;
	uint32_t bit = 1u << d->depth;
	d->has_member &= ~bit;
	if (array)
		d->is_array |= bit;
	else
		d->is_array &= ~bit;
	d->depth++;
	strbuf_put_char(d->text, array ? '[' : '{');
	return doc_status(d);
}

/* Members go inside the entity's object, which only doc_begin opens. */
static int open_member(struct ctim_doc *d, const char *field, bool array)
{
	if (doc_status(d) != RELAYD_OK)
		return d->status;
	if (d->bundle == NULL || d->depth == 0)
		return doc_fail(d, RELAYD_EINVAL);
	return open_container(d, field, array);
}

int ctim_doc_open_object(struct ctim_doc *d, const char *field)
{
	return open_member(d, field, false);
}

int ctim_doc_open_array(struct ctim_doc *d, const char *field)
{
	return open_member(d, field, true);
}

int ctim_doc_close(struct ctim_doc *d)
{
	/* The entity's own object is closed by ctim_doc_end. */
	if (doc_status(d) != RELAYD_OK || d->depth <= 1)
		return doc_fail(d, RELAYD_EINVAL);
	bool array = top_is_array(d);
	d->depth--;
	strbuf_put_char(d->text, array ? ']' : '}');
	return doc_status(d);
}

int ctim_doc_string(struct ctim_doc *d, const char *field, const char *value)
{
	if (value == NULL)
		return doc_status(d);
	if (!value_start(d, field))
		return d->status;
	int rc = put_text(d, value);
	return rc != RELAYD_OK ? doc_fail(d, rc) : doc_status(d);
}

int ctim_doc_integer(struct ctim_doc *d, const char *field, long long value)
{
	if (!value_start(d, field))
		return d->status;
	strbuf_put_integer(d->text, value);
	return doc_status(d);
}

int ctim_doc_boolean(struct ctim_doc *d, const char *field, bool value)
{
	if (!value_start(d, field))
		return d->status;
	strbuf_put(d->text, value ? "true" : "false", value ? 4 : 5);
	return doc_status(d);
}

int ctim_doc_json(struct ctim_doc *d, const char *field, const json_t *value)
{
	if (value == NULL)
		return doc_fail(d, RELAYD_EINVAL);
	if (!value_start(d, field))
		return d->status;
	/* A failure may leave part of the value written; the failed doc is
	 * dropped whole at its end. */
	int rc = relayd_json_append(d->text, value);
	return rc != RELAYD_OK ? doc_fail(d, rc) : doc_status(d);
}

/* ---- composite fields ---------------------------------------------------- */

int ctim_doc_time_range(struct ctim_doc *d, const char *field, struct ctim_range range)
{
	char start[CTIM_TIME_SIZE], end[CTIM_TIME_SIZE];

	if (doc_status(d) != RELAYD_OK)
		return d->status;
	if (ctim_time_format(start, sizeof start, range.start_us, d->ctx->precision) != RELAYD_OK ||
	    (range.has_end &&
	     ctim_time_format(end, sizeof end, range.end_us, d->ctx->precision) != RELAYD_OK))
		return doc_fail(d, RELAYD_EINVAL);
	ctim_doc_open_object(d, field);
	ctim_doc_string(d, "start_time", start);
	if (range.has_end)
		ctim_doc_string(d, "end_time", end);
	return ctim_doc_close(d);
}

static int enum_member(struct ctim_doc *d, const char *field, const char *value,
                       bool (*valid)(const char *))
{
	if (!valid(value))
		return doc_fail(d, RELAYD_EINVAL);
	return ctim_doc_string(d, field, value);
}

int ctim_doc_severity(struct ctim_doc *d, const char *severity)
{
	return enum_member(d, "severity", severity, ctim_is_severity);
}

int ctim_doc_confidence(struct ctim_doc *d, const char *confidence)
{
	return enum_member(d, "confidence", confidence, ctim_is_confidence);
}

int ctim_doc_tlp(struct ctim_doc *d, const char *tlp)
{
	return enum_member(d, "tlp", tlp, ctim_is_tlp);
}

int ctim_doc_observable(struct ctim_doc *d, const char *field, struct ctim_obs observable)
{
	if (observable.type == NULL || observable.value == NULL)
		return doc_fail(d, RELAYD_EINVAL);
	ctim_doc_open_object(d, field);
	ctim_doc_string(d, "type", observable.type);
	ctim_doc_string(d, "value", observable.value);
	return ctim_doc_close(d);
}

int ctim_doc_relation(struct ctim_doc *d, const char *origin, const char *relation,
                      struct ctim_obs source, struct ctim_obs related)
{
	if (origin == NULL || relation == NULL)
		return doc_fail(d, RELAYD_EINVAL);
	ctim_doc_open_object(d, NULL);
	ctim_doc_string(d, "origin", origin);
	ctim_doc_string(d, "relation", relation);
	ctim_doc_observable(d, "source", source);
	ctim_doc_observable(d, "related", related);
	return ctim_doc_close(d);
}

int ctim_doc_external_reference(struct ctim_doc *d, const char *source_name,
                                const char *description, const char *url,
                                const char *external_id)
{
	if (source_name == NULL)
		return doc_fail(d, RELAYD_EINVAL);
	ctim_doc_open_object(d, NULL);
	ctim_doc_string(d, "source_name", source_name);
	ctim_doc_string(d, "description", description);
	ctim_doc_string(d, "url", url);
	ctim_doc_string(d, "external_id", external_id);
	return ctim_doc_close(d);
}

/* ---- entities -------------------------------------------------------------- */

/* Opens the entity's object in @p b and writes "type" (and for every kind
 * but the verdict "id" and "schema_version"). @p valid is the caller's check
 * of its own arguments. */
static int doc_begin(struct ctim_doc *d, struct ctim_bundle *b, const struct ctim_ctx *c,
                     enum ctim_kind kind, const char *id, bool valid)
{
	*d = (struct ctim_doc){.ctx = c, .id_ref = ""};
	if (!valid || c == NULL || (kind != CTIM_VERDICT && c->schema_version == NULL))
		return doc_fail(d, RELAYD_EINVAL);
	d->text = ctim_bundle_entity_open(b, kind);
	if (d->text == NULL)
		return doc_fail(d, RELAYD_EINVAL);
	d->bundle = b;
	open_container(d, NULL, false);
	if (kind == CTIM_VERDICT)
		return ctim_doc_string(d, "type", ctim_kind_type(kind));
	if (id == NULL) {
		int rc = ctim_new_id(c, d->id, sizeof d->id, ctim_kind_type(kind));
		if (rc != RELAYD_OK)
			return doc_fail(d, rc);
		id = d->id;
	}
	d->id_ref = id; /* a given id is not copied: CTIM ids may be URLs of any length */
	ctim_doc_string(d, "id", id);
	ctim_doc_string(d, "type", ctim_kind_type(kind));
	return ctim_doc_string(d, "schema_version", c->schema_version);
}

int ctim_write_verdict(struct ctim_doc *d, struct ctim_bundle *b, const struct ctim_ctx *c,
                       struct ctim_obs observable, int disposition, struct ctim_range valid_time)
{
	const char *name = ctim_disposition_name(disposition);
	doc_begin(d, b, c, CTIM_VERDICT, NULL, name != NULL);
	ctim_doc_integer(d, "disposition", disposition);
	ctim_doc_string(d, "disposition_name", name);
	ctim_doc_observable(d, "observable", observable);
	return ctim_doc_time_range(d, "valid_time", valid_time);
}

int ctim_write_judgement(struct ctim_doc *d, struct ctim_bundle *b, const struct ctim_ctx *c,
                         struct ctim_obs observable, int disposition, const char *severity,
                         const char *confidence, int priority, const char *source,
                         struct ctim_range valid_time)
{
	const char *name = ctim_disposition_name(disposition);
	doc_begin(d, b, c, CTIM_JUDGEMENT, NULL,
	          name != NULL && priority >= 0 && priority <= 100 && source != NULL);
	ctim_doc_string(d, "source", source);
	ctim_doc_observable(d, "observable", observable);
	ctim_doc_integer(d, "disposition", disposition);
	ctim_doc_string(d, "disposition_name", name);
	ctim_doc_severity(d, severity);
	ctim_doc_confidence(d, confidence);
	ctim_doc_integer(d, "priority", priority);
	return ctim_doc_time_range(d, "valid_time", valid_time);
}

int ctim_write_indicator(struct ctim_doc *d, struct ctim_bundle *b, const struct ctim_ctx *c,
                         const char *id, const char *producer, struct ctim_range valid_time)
{
	doc_begin(d, b, c, CTIM_INDICATOR, id, producer != NULL);
	ctim_doc_string(d, "producer", producer);
	return ctim_doc_time_range(d, "valid_time", valid_time);
}

int ctim_write_sighting(struct ctim_doc *d, struct ctim_bundle *b, const struct ctim_ctx *c,
                        long long count, const char *confidence,
                        struct ctim_range observed_time)
{
	doc_begin(d, b, c, CTIM_SIGHTING, NULL, count >= 0);
	ctim_doc_integer(d, "count", count);
	ctim_doc_confidence(d, confidence);
	return ctim_doc_time_range(d, "observed_time", observed_time);
}

int ctim_write_relationship(struct ctim_doc *d, struct ctim_bundle *b,
                            const struct ctim_ctx *c, const char *relationship_type,
                            const char *source_ref, const char *target_ref)
{
	doc_begin(d, b, c, CTIM_RELATIONSHIP, NULL,
	          relationship_type != NULL && source_ref != NULL && target_ref != NULL);
	ctim_doc_string(d, "relationship_type", relationship_type);
	ctim_doc_string(d, "source_ref", source_ref);
	return ctim_doc_string(d, "target_ref", target_ref);
}

const char *ctim_doc_id(const struct ctim_doc *d)
{
	return d->id_ref ? d->id_ref : "";
}

int ctim_doc_end(struct ctim_doc *d)
{
	if (d->bundle == NULL)
		return d->status != RELAYD_OK ? d->status : RELAYD_EINVAL;
	if (doc_status(d) == RELAYD_OK && d->depth != 1)
		doc_fail(d, RELAYD_EINVAL); /* a container left open */
	if (d->status == RELAYD_OK) {
		strbuf_put_char(d->text, '}');
		doc_status(d);
	}
	ctim_bundle_entity_close(d->bundle, d->status == RELAYD_OK);
	d->bundle = NULL;
	d->depth = 0;
	return d->status;
}

void ctim_doc_abort(struct ctim_doc *d)
{
	doc_fail(d, RELAYD_EINVAL);
	ctim_doc_end(d);
}
