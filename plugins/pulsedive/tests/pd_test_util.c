/* SPDX-License-Identifier: MIT */
/* Helpers shared by the pulsedive tests: fixtures, id normalisation, CTIM checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <relayd/ctim.h>

#include "pd_test_util.h"

char *pd_fixture_path(const char *name)
{
	const char *dir = getenv("FIXTURES_DIR");
	char *path = NULL;
	ck_assert_msg(dir != NULL, "FIXTURES_DIR is not set");
	ck_assert_int_ge(asprintf(&path, "%s/pulsedive/%s", dir, name), 0);
	return path;
}

json_t *pd_fixture_json(const char *name)
{
	char *path = pd_fixture_path(name);
	json_error_t err;
	json_t *j = json_load_file(path, JSON_DECODE_ANY, &err);
	ck_assert_msg(j != NULL, "%s: %s", path, err.text);
	free(path);
	return j;
}

char *pd_fixture_text(const char *name)
{
	char *path = pd_fixture_path(name);
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	char chunk[4096];
	size_t got;
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, got, mem);
	fclose(mem);
	fclose(f);
	free(path);
	return buf;
}

static int by_dump(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the relationship docs by their compact sorted-key dump. */
static void sort_docs(json_t *docs)
{
	size_t n = json_array_size(docs);
	char **dumps = calloc(n ? n : 1, sizeof *dumps);
	for (size_t i = 0; i < n; i++)
		dumps[i] = json_dumps(json_array_get(docs, i), JSON_COMPACT | JSON_SORT_KEYS);
	qsort(dumps, n, sizeof *dumps, by_dump);
	json_array_clear(docs);
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(docs, json_loads(dumps[i], 0, NULL));
		free(dumps[i]);
	}
	free(dumps);
}

json_t *pd_strip_ids(const json_t *data, bool strip_rel_type)
{
	json_t *copy = json_deep_copy(data);
	const char *kinds[] = {"judgements", "indicators", "sightings", "relationships"};
	for (size_t k = 0; k < 4; k++) {
		json_t *docs = json_object_get(json_object_get(copy, kinds[k]), "docs");
		size_t i;
		json_t *doc;
		json_array_foreach(docs, i, doc) {
			json_object_del(doc, "id");
			if (k == 3) {
				json_object_del(doc, "source_ref");
				json_object_del(doc, "target_ref");
				if (strip_rel_type)
					json_object_del(doc, "relationship_type");
			}
		}
		if (k == 3)
			sort_docs(docs);
	}
	return copy;
}

void pd_drop_active_dns(json_t *data)
{
	json_t *kind = json_object_get(data, "sightings");
	json_t *docs = json_object_get(kind, "docs");
	for (size_t i = json_array_size(docs); i-- > 0;) {
		const char *d = json_string_value(json_object_get(json_array_get(docs, i), "description"));
		if (d && strcmp(d, "Active DNS") == 0)
			json_array_remove(docs, i);
	}
	if (kind && json_array_size(docs) == 0)
		json_object_del(data, "sightings");
	else if (kind)
		json_object_set_new(kind, "count", json_integer((json_int_t)json_array_size(docs)));
}

void pd_assert_json_eq(const json_t *got, const json_t *want, const char *what)
{
	if ((!got && !want) || json_equal(got, want))
		return;
	char *g = got ? json_dumps(got, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	char *w = want ? json_dumps(want, JSON_INDENT(1) | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	fprintf(stderr, "%s: got\n%s\nwant\n%s\n", what, g ? g : "(null)", w ? w : "(null)");
	free(g);
	free(w);
	ck_abort_msg("%s: JSON differs (see stderr)", what);
}

void pd_assert_ctim_ok(const json_t *body)
{
	char err[256] = "";
	int rc = ctim_check_response(body, err, sizeof err);
	ck_assert_msg(rc == 0, "ctim_check_response: %s", err);
}
