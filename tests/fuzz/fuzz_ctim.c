/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the CTIM writer (sdk/src/ctim_doc.c, ctim_bundle.c): any sequence of steps leaves valid JSON. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <relayd/ctim.h>
#include <relayd/strbuf.h>

/*
 * The input is a program: each byte picks a step (start an entity of some
 * kind, write a field, open or close a container, end or abort), and the
 * bytes after it are the step's arguments, strings included (so they carry
 * invalid UTF-8, quotes, controls). Whatever the program, the bundle's data
 * text must parse as JSON and hold for each kind exactly as many objects as
 * ctim_doc_end succeeded for it, with "count" saying so.
 */

struct input {
	const uint8_t *p;
	const uint8_t *end;
};

static uint8_t take_byte(struct input *in)
{
	return in->p < in->end ? *in->p++ : 0;
}

/* A string of up to 15 input bytes (NUL stops it early). */
static const char *take_string(struct input *in, char buf[16])
{
	size_t n = take_byte(in) % 16, i = 0;
	while (i < n && in->p < in->end && *in->p)
		buf[i++] = (char)*in->p++;
	buf[i] = '\0';
	return buf;
}

static const char *const fields[] = {"title", "source", "count", "tags", "relations", "id",
                                     "observables", "type"};

/* A field name: one of a few (so duplicates and CTIM names occur), an
 * arbitrary string, or NULL (an array element). */
static const char *take_field(struct input *in, char buf[16])
{
	uint8_t b = take_byte(in);
	if (b < 128)
		return fields[b % (sizeof fields / sizeof fields[0])];
	if (b < 192)
		return take_string(in, buf);
	return NULL;
}

static long long take_int(struct input *in)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | take_byte(in);
	return (long long)v;
}

/* Starts an entity of a kind the input picks; returns that kind. */
static enum ctim_kind start(struct ctim_doc *d, struct ctim_bundle *b, const struct ctim_ctx *c,
                            struct input *in)
{
	char s1[16], s2[16];
	struct ctim_range r = ctim_from(take_int(in) % (INT64_C(4000) * 365 * 86400 * 1000000));
	enum ctim_kind kind = (enum ctim_kind)(take_byte(in) % CTIM_KIND_COUNT);
	switch (kind) {
	case CTIM_VERDICT:
		ctim_write_verdict(d, b, c, (struct ctim_obs){"ip", take_string(in, s1)},
		                   take_byte(in) % 7, r);
		break;
	case CTIM_JUDGEMENT:
		ctim_write_judgement(d, b, c, (struct ctim_obs){take_string(in, s1), "v"},
		                     take_byte(in) % 6, "High", "Low", take_byte(in), "S", r);
		break;
	case CTIM_INDICATOR:
		ctim_write_indicator(d, b, c, take_byte(in) & 1 ? NULL : take_string(in, s1),
		                     take_string(in, s2), r);
		break;
	case CTIM_SIGHTING:
		ctim_write_sighting(d, b, c, take_int(in) % 4, "Medium", r);
		break;
	default:
		ctim_write_relationship(d, b, c, "sighting-of", take_string(in, s1), take_string(in, s2));
		break;
	}
	return kind;
}

/* One program's state: the doc being written (when open) and its kind, and
 * per kind the entities that made it into the bundle. */
struct program {
	struct ctim_doc d;
	bool open;
	enum ctim_kind kind;
	size_t ends[CTIM_KIND_COUNT];
};

static void step(struct program *pr, struct ctim_bundle *b, const struct ctim_ctx *c,
                 struct input *in)
{
	struct ctim_doc *d = &pr->d;
	bool *open = &pr->open;
	char f[16], v[16];
	uint8_t op = take_byte(in) % 12;
	if (!*open && op != 0)
		return;
	switch (op) {
	case 0:
		if (*open)
			return;
		pr->kind = start(d, b, c, in);
		*open = true;
		break;
	case 1: ctim_doc_string(d, take_field(in, f), take_string(in, v)); break;
	case 2: ctim_doc_integer(d, take_field(in, f), take_int(in)); break;
	case 3: ctim_doc_boolean(d, take_field(in, f), take_byte(in) & 1); break;
	case 4: ctim_doc_open_object(d, take_field(in, f)); break;
	case 5: ctim_doc_open_array(d, take_field(in, f)); break;
	case 6: ctim_doc_close(d); break;
	case 7:
		ctim_doc_time_range(d, take_field(in, f), ctim_span(take_int(in), take_int(in)));
		break;
	case 8: ctim_doc_observable(d, take_field(in, f), (struct ctim_obs){"ip", take_string(in, v)}); break;
	case 9: ctim_doc_severity(d, take_byte(in) & 1 ? "High" : take_string(in, v)); break;
	case 10:
		ctim_doc_abort(d);
		*open = false;
		break;
	default:
		if (ctim_doc_end(d) == RELAYD_OK)
			pr->ends[pr->kind]++;
		*open = false;
		break;
	}
}

static void check_bundle(const struct ctim_bundle *b, const size_t ends[CTIM_KIND_COUNT])
{
	struct relayd_strbuf text = RELAYD_STRBUF_INIT;
	if (ctim_bundle_append_data(b, &text) != RELAYD_OK)
		abort();
	json_t *data = json_loadb(text.data, text.len, 0, NULL);
	if (!json_is_object(data))
		abort();
	size_t kinds = 0;
	for (int k = 0; k < CTIM_KIND_COUNT; k++) {
		json_t *part = json_object_get(data, ctim_kind_name((enum ctim_kind)k));
		json_t *docs = json_object_get(part, "docs");
		size_t n = json_array_size(docs);
		if (n != ends[k] || n != ctim_bundle_count(b, (enum ctim_kind)k) ||
		    (n > 0 && json_integer_value(json_object_get(part, "count")) != (json_int_t)n))
			abort();
		/* (Not their "type": the program may write a second one, and the
		 * writer's contract is that callers give each field once.) */
		for (size_t i = 0; i < n; i++)
			if (!json_is_object(json_array_get(docs, i)))
				abort();
		kinds += n > 0;
	}
	if (json_object_size(data) != kinds)
		abort();
	json_decref(data);
	relayd_strbuf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t ids = 0;
	const struct ctim_ctx c = {.schema_version = "1.0.17", .precision = CTIM_TIME_MICROS,
	                           .uuid4 = ctim_uuid4_sequence, .uuid4_arg = &ids};
	struct ctim_bundle *b = ctim_bundle_new();
	if (!b)
		return 0;
	struct input in = {data, data + size};
	struct program pr = {.open = false};
	while (in.p < in.end)
		step(&pr, b, &c, &in);
	/* A doc still open is left out of the data, before and after its abort. */
	check_bundle(b, pr.ends);
	if (pr.open)
		ctim_doc_abort(&pr.d);
	check_bundle(b, pr.ends);
	ctim_bundle_free(b);
	return 0;
}
