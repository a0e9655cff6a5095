/* SPDX-License-Identifier: MIT */
/* Helpers shared by the pulsedive tests: fixtures, id normalisation, CTIM checks. */
#ifndef PD_TEST_UTIL_H
#define PD_TEST_UTIL_H

#include <stdbool.h>

#include <jansson.h>

/** "$FIXTURES_DIR/pulsedive/<name>" (malloc'd). */
char *pd_fixture_path(const char *name);
/** The fixture parsed (caller decrefs); aborts the test when unreadable. */
json_t *pd_fixture_json(const char *name);
/** The fixture's bytes (malloc'd); aborts the test when unreadable. */
char *pd_fixture_text(const char *name);

/**
 * A copy of a data object with what the reference tests delete before
 * comparing: "id" of judgements, indicators, sightings; "id", "source_ref",
 * "target_ref" of relationships (and relationship_type when @p strip_rel_type).
 * Relationship docs are sorted by their dump so their order does not matter.
 */
json_t *pd_strip_ids(const json_t *data, bool strip_rel_type);

/** Removes the sightings whose description is "Active DNS" (count adjusted;
 *  the kind removed when empty). Modifies @p data. */
void pd_drop_active_dns(json_t *data);

/** Asserts that @p got equals @p want, printing both on a mismatch. */
void pd_assert_json_eq(const json_t *got, const json_t *want, const char *what);

/** Asserts that the whole body passes ctim_check_response. */
void pd_assert_ctim_ok(const json_t *body);

#endif
