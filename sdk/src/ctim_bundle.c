/* SPDX-License-Identifier: MIT */
/* The CTIM bundle (entities of one response, kept as JSON text per kind) and the envelopes. */
#include <relayd/ctim.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/json.h>
#include <relayd/strbuf.h>

#include "ctim_bundle.h"

static const char *const kind_names[CTIM_KIND_COUNT] = {
	"verdicts", "judgements", "indicators", "sightings", "relationships",
};
static const char *const kind_types[CTIM_KIND_COUNT] = {
	"verdict", "judgement", "indicator", "sighting", "relationship",
};

static bool kind_valid(enum ctim_kind kind)
{
	return (int)kind >= 0 && kind < CTIM_KIND_COUNT;
}

const char *ctim_kind_name(enum ctim_kind kind)
{
	return kind_valid(kind) ? kind_names[kind] : NULL;
}

const char *ctim_kind_type(enum ctim_kind kind)
{
	return kind_valid(kind) ? kind_types[kind] : NULL;
}

int ctim_kind_from_name(const char *name, enum ctim_kind *kind)
{
	if (name == NULL || kind == NULL)
		return RELAYD_EINVAL;
	for (int k = 0; k < CTIM_KIND_COUNT; k++) {
		if (strcmp(name, kind_names[k]) == 0) {
			*kind = (enum ctim_kind)k;
			return RELAYD_OK;
		}
	}
	return RELAYD_EINVAL;
}

/* Guards the opaque handle at the plugin boundary (STYLE 8.6). */
#define CTIM_BUNDLE_MAGIC 0x4354494du /* "CTIM" */

/* Entities are kept as the text they are sent as: "doc,doc,…" per kind.
 * Why text and not jansson trees: a response is written once and never
 * read back, and building, writing and freeing trees was most of the CPU
 * a relay spent per request (see ctim_doc in relayd/ctim.h). */
struct ctim_bundle {
	uint32_t magic;
	bool open;                /* an entity is being written (ctim_doc) */
	enum ctim_kind open_kind; /* … of this kind, */
	size_t open_start;        /* … from here in its text (where a drop rolls back to) */
	struct relayd_strbuf text[CTIM_KIND_COUNT];
	size_t count[CTIM_KIND_COUNT];
};

#define KIND_FIRST_CAP 2048

static bool bundle_ok(const struct ctim_bundle *b)
{
	return b != NULL && b->magic == CTIM_BUNDLE_MAGIC;
}

struct ctim_bundle *ctim_bundle_new(void)
{
	struct ctim_bundle *b = calloc(1, sizeof *b);

	if (b == NULL)
		return NULL;
	b->magic = CTIM_BUNDLE_MAGIC;
	return b;
}

void ctim_bundle_free(struct ctim_bundle *b)
{
	if (!bundle_ok(b))
		return;
	for (int k = 0; k < CTIM_KIND_COUNT; k++)
		relayd_strbuf_free(&b->text[k]);
	b->magic = 0;
	free(b);
}

struct relayd_strbuf *ctim_bundle_entity_open(struct ctim_bundle *b, enum ctim_kind kind)
{
	if (!bundle_ok(b) || !kind_valid(kind) || b->open)
		return NULL;
	struct relayd_strbuf *t = &b->text[kind];
	if (t->cap == 0) /* a few entities' worth: no regrowing for a usual answer */
		relayd_strbuf_reserve(t, KIND_FIRST_CAP);
	b->open = true;
	b->open_kind = kind;
	b->open_start = t->len;
	if (b->count[kind] > 0)
		relayd_strbuf_append_char(t, ',');
	return t;
}

void ctim_bundle_entity_close(struct ctim_bundle *b, bool keep)
{
	struct relayd_strbuf *t = &b->text[b->open_kind];
	b->open = false;
	if (keep && t->status == RELAYD_OK) {
		b->count[b->open_kind]++;
		return;
	}
	t->len = b->open_start;
	if (t->data)
		t->data[t->len] = '\0';
}

int ctim_bundle_add(struct ctim_bundle *b, enum ctim_kind kind, json_t *entity)
{
	const char *type = json_string_value(json_object_get(entity, "type"));
	struct relayd_strbuf *t = NULL;

	if (type != NULL && kind_valid(kind) && strcmp(type, kind_types[kind]) == 0)
		t = ctim_bundle_entity_open(b, kind);
	int rc = t != NULL ? relayd_json_append(t, entity) : RELAYD_EINVAL;
	if (t != NULL)
		ctim_bundle_entity_close(b, rc == RELAYD_OK);
	json_decref(entity);
	return rc == RELAYD_OK && t->status != RELAYD_OK ? t->status : rc;
}

void ctim_bundle_clear(struct ctim_bundle *b)
{
	if (!bundle_ok(b) || b->open)
		return;
	for (int k = 0; k < CTIM_KIND_COUNT; k++) {
		relayd_strbuf_clear(&b->text[k]);
		b->count[k] = 0;
	}
}

size_t ctim_bundle_count(const struct ctim_bundle *b, enum ctim_kind kind)
{
	if (!bundle_ok(b) || !kind_valid(kind))
		return 0;
	return b->count[kind];
}

bool ctim_bundle_is_empty(const struct ctim_bundle *b)
{
	for (int k = 0; k < CTIM_KIND_COUNT; k++)
		if (ctim_bundle_count(b, (enum ctim_kind)k) > 0)
			return false;
	return true;
}

int ctim_bundle_append_data(const struct ctim_bundle *b, struct relayd_strbuf *out)
{
	if (out == NULL || (b != NULL && !bundle_ok(b)))
		return RELAYD_EINVAL;
	relayd_strbuf_append_char(out, '{');
	bool first = true;
	for (int k = 0; b != NULL && k < CTIM_KIND_COUNT; k++) {
		if (b->count[k] == 0)
			continue;
		/* An entity still being written is not part of the data (a plugin
		 * that ends its call without ending a doc still sends valid JSON). */
		size_t len = b->open && b->open_kind == (enum ctim_kind)k ? b->open_start
		                                                           : b->text[k].len;
		relayd_strbuf_printf(out, "%s\"%s\":{\"count\":%zu,\"docs\":[", first ? "" : ",",
		                     kind_names[k], b->count[k]);
		relayd_strbuf_append(out, b->text[k].data, len);
		relayd_strbuf_append(out, "]}", 2);
		first = false;
	}
	relayd_strbuf_append_char(out, '}');
	return out->status;
}

json_t *ctim_bundle_to_data(const struct ctim_bundle *b)
{
	struct relayd_strbuf text = RELAYD_STRBUF_INIT;
	json_t *data = NULL;

	if (bundle_ok(b) && ctim_bundle_append_data(b, &text) == RELAYD_OK)
		data = relayd_json_loadb(text.data, text.len, 0, NULL);
	relayd_strbuf_free(&text);
	return data;
}

/* ---- envelopes -------------------------------------------------------- */

json_t *ctim_error(const char *code, const char *message, const char *type)
{
	if (code == NULL || *code == '\0')
		code = "unknown";
	if (type == NULL)
		type = "fatal";
	return json_pack("{s:s, s:s?, s:s}", "code", code, "message", message, "type", type);
}

json_t *ctim_response(const struct ctim_bundle *b, json_t *errors)
{
	bool has_errors = json_is_array(errors) && json_array_size(errors) > 0;
	bool has_data = b != NULL && !ctim_bundle_is_empty(b);
	json_t *body = json_object();

	if (body == NULL)
		return NULL;
	if (has_data || !has_errors) {
		json_t *data = b != NULL ? ctim_bundle_to_data(b) : json_object();
		if (data == NULL || json_object_set_new(body, "data", data) != 0) {
			json_decref(body);
			return NULL;
		}
	}
	if (has_errors && json_object_set(body, "errors", errors) != 0) {
		json_decref(body);
		return NULL;
	}
	return body;
}
