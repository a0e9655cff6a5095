/* SPDX-License-Identifier: MIT */
/* Shared fixtures and JSON comparisons for the integration suites (see harness_json.h). */
#include "harness_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

char *harness_fixture_path(const char *plugin, const char *name)
{
	return harness_printf("%s/%s/%s", harness_env("FIXTURES_DIR"), plugin, name);
}

json_t *harness_fixture_json(const char *plugin, const char *name)
{
	char *path = harness_fixture_path(plugin, name);
	json_error_t e;
	json_t *j = json_load_file(path, JSON_DECODE_ANY, &e);

	ck_assert_msg(j != NULL, "cannot read %s: %s", path, e.text);
	free(path);
	return j;
}

static char *dump(const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;

	return s ? s : strdup("(none)");
}

void harness_assert_json_eq(const json_t *got, const json_t *want, const char *what)
{
	if ((got == NULL && want == NULL) || (got && want && json_equal(got, want)))
		return;
	char *g = dump(got), *w = dump(want);

	fprintf(stderr, "%s:\n got  %s\n want %s\n", what, g, w);
	ck_abort_msg("%s: got %.600s, want %.600s", what, g, w);
}

char *harness_routes_text(json_t *routes)
{
	json_t *doc = json_pack("{s:o}", "routes", routes);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;

	ck_assert_ptr_nonnull(text);
	json_decref(doc);
	return text;
}

void harness_fixture_set_routes(const struct harness_proc *fx, json_t *routes)
{
	char *text = harness_routes_text(routes);
	char url[256];
	struct harness_request req = { .method = "POST", .url = url, .body = text,
	                               .body_len = strlen(text) };
	struct harness_response resp;

	harness_url(fx, "/__routes", url, sizeof(url));
	ck_assert_int_eq(harness_http(&req, &resp), 0);
	ck_assert_msg(resp.status == 200, "POST /__routes: %ld %s", resp.status, resp.body);
	harness_response_free(&resp);
	free(text);
}

/* Insertion sort of an array by each element's sorted-keys text. */
static void sort_by_text(json_t *array)
{
	size_t n = json_array_size(array);

	for (size_t i = 1; i < n; i++) {
		for (size_t j = i; j > 0; j--) {
			char *a = json_dumps(json_array_get(array, j - 1), JSON_SORT_KEYS);
			char *b = json_dumps(json_array_get(array, j), JSON_SORT_KEYS);
			bool swap = strcmp(a, b) > 0;

			free(a);
			free(b);
			if (!swap)
				break;
			json_t *t = json_incref(json_array_get(array, j));

			json_array_set(array, j, json_array_get(array, j - 1));
			json_array_set_new(array, j - 1, t);
		}
	}
}

json_t *harness_ctim_normalised(const json_t *data, bool keep_relationship_type)
{
	json_t *c = json_deep_copy(data);
	const char *kinds[] = { "judgements", "indicators", "sightings", "relationships" };

	for (size_t k = 0; k < 4; k++) {
		json_t *docs = json_object_get(json_object_get(c, kinds[k]), "docs");

		for (size_t i = json_array_size(docs); i-- > 0;) {
			json_t *d = json_array_get(docs, i);
			const char *desc = json_string_value(json_object_get(d, "description"));

			if (k == 2 && desc != NULL && strcmp(desc, "Active DNS") == 0) {
				json_array_remove(docs, i);
				continue;
			}
			json_object_del(d, "id");
			json_object_del(d, "source_ref");
			json_object_del(d, "target_ref");
			if (!keep_relationship_type)
				json_object_del(d, "relationship_type");
		}
		json_object_set_new(json_object_get(c, kinds[k]), "count",
		                    json_integer((json_int_t)json_array_size(docs)));
	}
	sort_by_text(json_object_get(json_object_get(c, "relationships"), "docs"));
	return c;
}
