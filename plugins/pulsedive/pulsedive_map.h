/* SPDX-License-Identifier: MIT */
/* Pure mapping of Pulsedive answers (lookup, links) to CTIM entities (contracts/pulsedive.md §4–§8). */
#ifndef PULSEDIVE_MAP_H
#define PULSEDIVE_MAP_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <relayd/ctim.h>

/** How one observable is mapped. */
struct pd_map_opts {
	const struct ctim_ctx *ctim; /**< schema_version, time precision, uuid4 source */
	int limit;                   /**< entities limit: per observable, indicators and sightings apart */
};

/** Severity/disposition row of contracts/pulsedive.md §4. */
struct pd_risk_row {
	const char *risk;
	int disposition;
	const char *severity;
};

/** The top-level members of a lookup answer that the plugin reads (the
 *  mapping, refer, observe); the rest is never built (relayd_json_loadb_members). */
extern const char *const pd_map_lookup_members[];
/** The same for a links answer. */
extern const char *const pd_map_links_members[];

/** The row for @p risk ("none", …, "critical", "retired"); NULL when outside the table. */
const struct pd_risk_row *pd_risk_row(const char *risk);

/**
 * Checks that a lookup answer has every field the mapping reads, with a usable
 * type (contracts/pulsedive.md §3.1): iid, type, indicator, risk (in the
 * table), retired, stamp_seen, stamp_retired; riskfactors[] with rfid and
 * description; threats[] with tid, name, category, stamp_linked; feeds[] with
 * fid, name, category, organization, stamp_linked. Missing riskfactors /
 * threats / feeds (or null) count as empty, as in the reference.
 * 0, or RELAYD_EINVAL (reported as `key error`).
 */
int pd_map_check_lookup(const json_t *lookup);

/**
 * True when the links call can still add a sighting: Pulsedive's type is one
 * that can have observed relations (domain, ip) and the riskfactor + threat +
 * feed sightings leave room under @p limit. Expects a checked lookup.
 */
bool pd_map_wants_links(const json_t *lookup, int limit);

/**
 * The observed relations of a links answer for the observable of @p lookup:
 * "Active DNS" entries whose (type, observable type) pair is valid and whose
 * stamp_linked is less than 90 days before @p now_us. *relations gets a new
 * array (possibly empty; caller decrefs). 0, RELAYD_EINVAL (`key error`: an
 * entry without type, or a relevant one without a readable stamp_linked or
 * indicator), RELAYD_ENOMEM.
 */
int pd_map_relations(const json_t *lookup, const json_t *links, int64_t now_us,
                     json_t **relations);

/**
 * Maps one checked lookup into @p out, in the order of §6: verdict, judgement,
 * indicators (≤ limit), then — when @p with_sightings — sightings (≤ limit,
 * the Active DNS sighting last when @p relations is a non-empty array) and one
 * relationship per riskfactor/threat/feed sighting. Ids are drawn in the
 * order judgement, sightings, relationships.
 * 0, RELAYD_EINVAL (unchecked lookup), RELAYD_ENOMEM; on error @p out may
 * hold part of this observable's entities.
 */
int pd_map_observe(const struct pd_map_opts *o, const json_t *lookup, const json_t *relations,
                   bool with_sightings, struct ctim_bundle *out);

/** "Feed: " + @p name with every "Feed" removed (malloc'd; NULL when out of memory). */
char *pd_map_feed_title(const char *name);

#endif
