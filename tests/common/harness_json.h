/* SPDX-License-Identifier: MIT */
/* Shared fixtures (../shared/fixtures) and JSON comparisons for the integration suites. */
#ifndef RELAYD_TEST_HARNESS_JSON_H
#define RELAYD_TEST_HARNESS_JSON_H

#include <stdbool.h>

#include <jansson.h>

#include "harness.h"

/** "$FIXTURES_DIR/<plugin>/<name>" (caller frees). */
char *harness_fixture_path(const char *plugin, const char *name);

/** A fixture file parsed as JSON (any value); fails the test when it cannot
 *  be read. Caller json_decref's. */
json_t *harness_fixture_json(const char *plugin, const char *name);

/** Fails the test unless got and want are equal JSON (or both NULL). Both
 *  are printed whole on stderr, since Check cuts long messages. */
void harness_assert_json_eq(const json_t *got, const json_t *want, const char *what);

/** {"routes": routes} (stolen) as compact text (caller frees). */
char *harness_routes_text(json_t *routes);

/** Replaces a running fixture server's routes (POST /__routes) with routes
 *  (stolen); fails the test unless it answers 200. */
void harness_fixture_set_routes(const struct harness_proc *fx, json_t *routes);

/**
 * A relay answer's "data" in the id-free form the reference tests compare
 * (shared/fixtures/pulsedive/INDEX.md): ids of judgements, indicators and
 * sightings and id / refs of relationships removed (relationship_type too
 * unless keep_relationship_type), the Active DNS sighting dropped (a mock
 * artefact of the fixtures), counts recomputed, relationships sorted by their
 * text. New reference.
 */
json_t *harness_ctim_normalised(const json_t *data, bool keep_relationship_type);

#endif
