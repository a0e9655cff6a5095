/* SPDX-License-Identifier: MIT */
/* The CTIM builder and checker: ids, times, entities, the data/errors envelopes. */
#ifndef RELAYD_CTIM_H
#define RELAYD_CTIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include <relayd/status.h>
#include <relayd/strbuf.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Conventions for everything below.
 * - Entities are jansson objects (json_t *). A function that returns a new
 *   json_t * hands the caller one reference (json_decref it, or give it to
 *   ctim_bundle_add). NULL means out of memory or a bad argument.
 * - json_t * arguments are borrowed and copied unless the comment says the
 *   function takes (steals) the reference.
 * - Fields are never JSON null: a NULL string argument to a setter means
 *   "leave the field out" (and removes it if it was set).
 * - int results are 0 or a negative enum relayd_status (RELAYD_EINVAL for a
 *   bad argument or a value outside an enum, RELAYD_ENOMEM, RELAYD_EIO).
 * - Field names and enum spellings are those of CTIM 1.0.x as the Cisco relays
 *   send them (contracts/securex-relay.md §7).
 */

/* ---- ids ------------------------------------------------------------- */

/** Bytes for a textual UUID plus its NUL ("xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"). */
#define CTIM_UUID_SIZE 37
/** Bytes that always hold a "transient:<type>-<uuid>" id for the CTIM types. */
#define CTIM_ID_SIZE 64
/** The RFC 4122 X.500 namespace, used by pulsedive and spycloud for indicator ids. */
#define CTIM_NS_X500 "6ba7b814-9dad-11d1-80b4-00c04fd430c8"

/** A source of version-4 UUIDs: writes 36 lower-case characters and a NUL into
 *  @p out. Returns 0 or a negative relayd_status. */
typedef int (*ctim_uuid4_fn)(void *arg, char out[CTIM_UUID_SIZE]);

/** Random v4 UUID from OpenSSL RAND_bytes. 0, or RELAYD_EIO when the CSPRNG fails. */
int ctim_uuid4(char out[CTIM_UUID_SIZE]);

/**
 * Deterministic ids for tests: a ctim_uuid4_fn whose @p arg is a uint64_t
 * counter. Each call increments the counter, then writes it as the last 12 hex
 * digits: "00000000-0000-0000-0000-000000000001", "…-000000000002", … (the
 * form of the pulsedive *_full_derived fixture).
 */
int ctim_uuid4_sequence(void *counter, char out[CTIM_UUID_SIZE]);

/**
 * RFC 4122 version-5 (SHA-1, name-based) UUID of @p name (its bytes, without
 * the NUL) in @p namespace_uuid (textual, any hex case). 0, or RELAYD_EINVAL
 * when the namespace is not a UUID.
 * Example: ctim_uuid5(out, CTIM_NS_X500, "Kraken Botnet") →
 * "8bd23440-9fd1-59b0-93c3-02895c9dfe63".
 */
int ctim_uuid5(char out[CTIM_UUID_SIZE], const char *namespace_uuid, const char *name);

/** "transient:<type>-<random uuid4>". 0, RELAYD_EINVAL (@p len too small), RELAYD_EIO. */
int ctim_transient_id(char *out, size_t len, const char *type);

/** "transient:<type>-<uuid5(X500, name)>" (pulsedive and spycloud indicators). */
int ctim_transient_id_v5(char *out, size_t len, const char *type, const char *name);

/* ---- times ----------------------------------------------------------- */

/** How a plugin writes times (DESIGN.md principle 4). */
enum ctim_time_precision {
	CTIM_TIME_SECONDS = 0, /**< 2020-03-31T14:47:36Z        (pulsedive) */
	CTIM_TIME_MILLIS = 1,  /**< 2020-03-31T14:47:36.000Z    (gigamon) */
	CTIM_TIME_MICROS = 2,  /**< 2020-03-31T14:47:36.000000Z (spycloud) */
};

/** Bytes that always hold a formatted time. */
#define CTIM_TIME_SIZE 32

/**
 * Format @p epoch_us (microseconds since 1970-01-01T00:00:00Z, may be
 * negative) as ISO 8601 UTC ending in Z. Finer digits than @p precision are
 * truncated (not rounded). 0, or RELAYD_EINVAL when @p len is too small or the
 * year is outside 0000–9999.
 */
int ctim_time_format(char *out, size_t len, int64_t epoch_us, enum ctim_time_precision precision);

/**
 * Parse the upstream time formats the contracts name into microseconds since
 * the epoch:
 *   "YYYY-MM-DD"                                  (midnight UTC)
 *   "YYYY-MM-DD HH:MM:SS" or "YYYY-MM-DDTHH:MM:SS"
 *   … optionally followed by a fraction ".d" (1–9 digits; digits beyond
 *   microseconds are truncated) and a zone: "Z"/"z", "+HH:MM", "-HH:MM",
 *   "+HHMM", "+HH". No zone means UTC.
 * Fields are range-checked (month 1–12, day within the month, 00–23, 00–59,
 * 00–59). Nothing may follow. 0, or RELAYD_EINVAL.
 */
int ctim_time_parse(const char *text, int64_t *epoch_us);

/** A valid_time / observed_time value: start, and an end unless has_end is false. */
struct ctim_range {
	int64_t start_us;
	int64_t end_us;
	bool has_end;
};

/** {start_time, end_time}. */
static inline struct ctim_range ctim_span(int64_t start_us, int64_t end_us)
{
	struct ctim_range r = { start_us, end_us, true };
	return r;
}

/** {start_time} only. */
static inline struct ctim_range ctim_from(int64_t start_us)
{
	struct ctim_range r = { start_us, 0, false };
	return r;
}

/** {start_time, end_time} with both equal (a sighting at one instant). */
static inline struct ctim_range ctim_at(int64_t when_us)
{
	return ctim_span(when_us, when_us);
}

/* ---- the builder context --------------------------------------------- */

/**
 * How one plugin builds entities. A plain struct the plugin fills once
 * (usually a static const); nothing to free. The strings are borrowed and
 * must outlive every use.
 */
struct ctim_ctx {
	const char *schema_version;          /**< e.g. "1.0.22" (pulsedive), "1.0.17" */
	enum ctim_time_precision precision;  /**< how times are written */
	ctim_uuid4_fn uuid4;                 /**< NULL: ctim_uuid4 (random) */
	void *uuid4_arg;                     /**< passed to uuid4 */
};

/** "transient:<type>-<uuid4 from c's generator>". 0 or negative relayd_status. */
int ctim_new_id(const struct ctim_ctx *c, char *out, size_t len, const char *type);

/* ---- enums ----------------------------------------------------------- */

/** 1 "Clean", 2 "Malicious", 3 "Suspicious", 4 "Common", 5 "Unknown"; NULL otherwise. */
const char *ctim_disposition_name(int disposition);

/** Info, Low, Medium, High, None, Unknown. */
bool ctim_is_confidence(const char *value);
/** The confidence values plus Critical. */
bool ctim_is_severity(const char *value);
/** white, green, amber, red. */
bool ctim_is_tlp(const char *value);

/* ---- entities ---------------------------------------------------------
 * Each constructor gives, as a jansson value, exactly the entity the writer
 * (ctim_write_*, below) writes, with the same checks. Relays write their
 * answers with the writer; these serve code that edits an entity after
 * building it, and tests. */

/** {"type": type, "value": value}. */
json_t *ctim_observable(const char *type, const char *value);

/**
 * Verdict: type, disposition, disposition_name, observable, valid_time.
 * No id and no schema_version (as the relays send it).
 * NULL when @p disposition is not 1–5.
 */
json_t *ctim_verdict_new(const struct ctim_ctx *c, const json_t *observable, int disposition,
                         struct ctim_range valid_time);

/**
 * Judgement: id (transient:judgement-<uuid4>), type, schema_version, source,
 * observable, disposition, disposition_name, severity, confidence, priority,
 * valid_time. NULL when an enum value is invalid or @p priority is not 0–100.
 * Optional fields (source_uri, tlp, reason, …) via the setters.
 */
json_t *ctim_judgement_new(const struct ctim_ctx *c, const json_t *observable, int disposition,
                           const char *severity, const char *confidence, int priority,
                           const char *source, struct ctim_range valid_time);

/**
 * Indicator: id, type, schema_version, producer, valid_time.
 * @p id is the whole id ("transient:indicator-…", see ctim_transient_id_v5),
 * or NULL for transient:indicator-<uuid4>.
 */
json_t *ctim_indicator_new(const struct ctim_ctx *c, const char *id, const char *producer,
                           struct ctim_range valid_time);

/**
 * Sighting: id (transient:sighting-<uuid4>), type, schema_version, count,
 * confidence, observed_time. Add observables with ctim_add_observable.
 * NULL when @p confidence is invalid or @p count < 0.
 */
json_t *ctim_sighting_new(const struct ctim_ctx *c, long long count, const char *confidence,
                          struct ctim_range observed_time);

/** Relationship: id (transient:relationship-<uuid4>), type, schema_version,
 *  relationship_type, source_ref, target_ref. */
json_t *ctim_relationship_new(const struct ctim_ctx *c, const char *relationship_type,
                              const char *source_ref, const char *target_ref);

/** The entity's "id" (borrowed from @p entity), or NULL. */
const char *ctim_entity_id(const json_t *entity);

/* ---- setters for optional fields --------------------------------------
 * All return 0 or a negative relayd_status; a NULL value removes the field. */

/** Any string field: title, short_description, description, source, source_uri,
 *  reason, sensor, … */
int ctim_set_string(json_t *entity, const char *field, const char *value);
/** Any integer field (e.g. priority, count). */
int ctim_set_integer(json_t *entity, const char *field, long long value);
/** Any boolean field (e.g. internal). */
int ctim_set_boolean(json_t *entity, const char *field, bool value);
/** A time range field ("valid_time", "observed_time") written with c's precision. */
int ctim_set_time_range(const struct ctim_ctx *c, json_t *entity, const char *field,
                        struct ctim_range range);
/** severity; RELAYD_EINVAL outside the enum. */
int ctim_set_severity(json_t *entity, const char *severity);
/** confidence; RELAYD_EINVAL outside the enum. */
int ctim_set_confidence(json_t *entity, const char *confidence);
/** tlp; RELAYD_EINVAL outside the enum. */
int ctim_set_tlp(json_t *entity, const char *tlp);

/** The array @p field of @p entity, created empty when absent (borrowed).
 *  Use it for fields that must be present even when empty (spycloud "relations"). */
json_t *ctim_array_field(json_t *entity, const char *field);

/** Append to "tags". */
int ctim_add_tag(json_t *entity, const char *tag);
/** Append to "external_ids". */
int ctim_add_external_id(json_t *entity, const char *external_id);
/** Append a copy of @p observable to "observables" (of a sighting or a target). */
int ctim_add_observable(json_t *entity, const json_t *observable);

/** Append {origin, relation, source, related} to "relations" (copies of the observables). */
int ctim_add_relation(json_t *entity, const char *origin, const char *relation,
                      const json_t *source, const json_t *related);

/** Append {source_name, description?, url?, external_id?} to
 *  "external_references"; NULL arguments other than @p source_name are left out. */
int ctim_add_external_reference(json_t *entity, const char *source_name,
                                const char *description, const char *url,
                                const char *external_id);

/**
 * Append {type, observables: [], observed_time} to the sighting's "targets" and
 * return it (borrowed) so observables can be added with ctim_add_observable.
 */
json_t *ctim_add_target(const struct ctim_ctx *c, json_t *sighting, const char *type,
                        struct ctim_range observed_time);

/**
 * Set the sighting's "data" to {"columns": [], "rows": []} and return it
 * (borrowed). Fill it with ctim_table_add_column and ctim_table_add_row.
 */
json_t *ctim_set_data_table(json_t *sighting);
/** Append {"name": name, "type": type} to the table's columns. */
int ctim_table_add_column(json_t *table, const char *name, const char *type);
/** Append an empty row to the table's rows and return it (borrowed); append
 *  cells with json_array_append_new(row, …). */
json_t *ctim_table_add_row(json_t *table);

/* ---- the bundle and the envelopes --------------------------------------- */

/** The five entity kinds, in envelope order. */
enum ctim_kind {
	CTIM_VERDICT = 0,
	CTIM_JUDGEMENT,
	CTIM_INDICATOR,
	CTIM_SIGHTING,
	CTIM_RELATIONSHIP,
	CTIM_KIND_COUNT
};

/** "verdicts", "judgements", "indicators", "sightings", "relationships"; NULL otherwise. */
const char *ctim_kind_name(enum ctim_kind kind);
/** The entity "type" of a kind: "verdict", … ; NULL otherwise. */
const char *ctim_kind_type(enum ctim_kind kind);
/** The kind whose name is @p name ("sightings"). 0, or RELAYD_EINVAL when unknown. */
int ctim_kind_from_name(const char *name, enum ctim_kind *kind);

/** Entities collected for one response, per kind, in insertion order. */
struct ctim_bundle;

/** A new, empty bundle (free with ctim_bundle_free), or NULL. */
struct ctim_bundle *ctim_bundle_new(void);
/** Free @p b and its entities; NULL is fine. */
void ctim_bundle_free(struct ctim_bundle *b);

/**
 * Append @p entity to @p kind: its JSON text is written into the bundle and
 * the value released (the caller's reference is taken in every case).
 * RELAYD_EINVAL when @p entity is not an object whose "type" is the kind's
 * type, when it holds a string that is not UTF-8, or while a ctim_doc of
 * @p b is open. ctim_write_* writes an entity without building it first.
 * The bundle applies no entities limit: each relay limits differently (see
 * ctim_entities_limit).
 */
int ctim_bundle_add(struct ctim_bundle *b, enum ctim_kind kind, json_t *entity);

/** Removes every entity from @p b (a relay that fails without partial data);
 *  nothing while a ctim_doc of @p b is open. */
void ctim_bundle_clear(struct ctim_bundle *b);

/** How many entities of @p kind @p b holds. */
size_t ctim_bundle_count(const struct ctim_bundle *b, enum ctim_kind kind);
/** True when no kind holds an entity. */
bool ctim_bundle_is_empty(const struct ctim_bundle *b);

/**
 * Appends the text of the `data` object to @p out: {"verdicts": {"count": N,
 * "docs": […]}, "judgements": …, "indicators": …, "sightings": …,
 * "relationships": …} in that key order, kinds without entities left out
 * ({} when empty or when @p b is NULL). RELAYD_OK, RELAYD_EINVAL, RELAYD_ENOMEM.
 * This is how the host sends a call's bundle (relayd_host.call_ctim).
 */
int ctim_bundle_append_data(const struct ctim_bundle *b, struct relayd_strbuf *out);

/**
 * The same `data` object as a jansson value (parsed from that text: for
 * tests and for plugins that edit an answer). New reference; NULL on
 * allocation failure or when @p b is invalid.
 */
json_t *ctim_bundle_to_data(const struct ctim_bundle *b);

/**
 * One errors-array element: {"code": code, "message": message, "type": type}.
 * NULL or "" @p code → "unknown" (as the relays do); NULL @p type → "fatal";
 * NULL @p message → JSON null (the pulsedive reference sends null when the
 * upstream error body has no "error" key). New reference, or NULL.
 */
json_t *ctim_error(const char *code, const char *message, const char *type);

/**
 * A whole relay response from what was collected and what went wrong:
 * "data" (ctim_bundle_to_data) is present when @p b holds entities or when
 * there are no errors (so a clean empty result is {"data": {}}); "errors" is
 * present when @p errors is a non-empty array. @p b may be NULL (no data);
 * @p errors is borrowed (a reference is added) and may be NULL.
 * New reference, or NULL.
 */
json_t *ctim_response(const struct ctim_bundle *b, json_t *errors);

/**
 * The entities limit from a CTR_ENTITIES_LIMIT claim (contracts/securex-relay.md
 * §5.3, DECISIONS.md §5), as the relays convert it with Python's int():
 * - JSON integer: itself;  JSON real: truncated toward zero (2.9 → 2);
 * - true → 1, false → 0;
 * - string: optional surrounding whitespace, optional sign, decimal digits
 *   (single '_' between digits allowed, as int() does): "3" → 3; anything else
 *   ("x", "2.9", "") is unparsable;
 * - NULL (claim missing), JSON null, array, object, unparsable → @p default_limit;
 * - a result ≤ 0 → @p default_limit;
 * - a result > @p clamp → @p clamp, unless @p clamp is 0 (no clamp). Values
 *   beyond INT_MAX saturate at INT_MAX before the clamp.
 */
int ctim_entities_limit(const json_t *claim_value, int default_limit, int clamp);

/* ---- the writer: entities written straight into a bundle ---------------
 *
 * Why: building an entity as a jansson tree, writing the tree out and
 * freeing it was almost half of relayd's instructions per Pulsedive observe
 * (callgrind: ~380 k of 811 k for its 17 entities; 594 k in all once they
 * were written as text). A ctim_doc writes the
 * entity's JSON text into its bundle as the fields are given, checking
 * what the constructors above check; nothing is allocated per field.
 *
 *   struct ctim_doc d;
 *   ctim_write_sighting(&d, bundle, ctx, 1, "Medium", ctim_at(t));
 *   ctim_doc_string(&d, "source", "Pulsedive");
 *   ctim_doc_open_array(&d, "observables");
 *   ctim_doc_observable(&d, NULL, obs);
 *   ctim_doc_close(&d);
 *   int rc = ctim_doc_end(&d);   // RELAYD_OK, or the first step's failure
 *
 * - After a failed step every later step does nothing and returns that
 *   failure; ctim_doc_end returns it and takes the partial entity out of the
 *   bundle, so a chain of steps needs one check. Always end a started doc
 *   (ctim_doc_end or ctim_doc_abort), even when its start failed.
 * - Fields are written where they are given: give each one once (the text
 *   is not read back; the integration tests parse answers with
 *   JSON_REJECT_DUPLICATES).
 * - @p field names a member inside an object and is NULL inside an array
 *   (anything else is RELAYD_EINVAL). A NULL string value leaves the member out.
 * - While a doc is open its bundle takes no other entity.
 */

/** An observable as two strings: what ctim_observable makes as a value. */
struct ctim_obs {
	const char *type;
	const char *value;
};

/** Containers a doc may nest, the entity's own object included. */
#define CTIM_DOC_MAX_DEPTH 32

/** One entity being written. Lives on the caller's stack; members are private. */
struct ctim_doc {
	struct ctim_bundle *bundle;  /* NULL when the start failed */
	struct relayd_strbuf *text;  /* the bundle's text for this kind */
	const struct ctim_ctx *ctx;
	int status;                  /* the first failure, sticky */
	unsigned depth;              /* open containers */
	uint32_t has_member;         /* bit d: container d has a member */
	uint32_t is_array;           /* bit d: container d is an array */
	const char *id_ref;          /* the entity's id: id below, or the one given */
	char id[CTIM_ID_SIZE];       /* a drawn transient id */
};

/** Starts a verdict (the fields of ctim_verdict_new). 0 or the doc's status. */
int ctim_write_verdict(struct ctim_doc *d, struct ctim_bundle *b, const struct ctim_ctx *c,
                       struct ctim_obs observable, int disposition, struct ctim_range valid_time);

/** Starts a judgement (the fields and checks of ctim_judgement_new). */
int ctim_write_judgement(struct ctim_doc *d, struct ctim_bundle *b, const struct ctim_ctx *c,
                         struct ctim_obs observable, int disposition, const char *severity,
                         const char *confidence, int priority, const char *source,
                         struct ctim_range valid_time);

/** Starts an indicator; @p id NULL: transient:indicator-<uuid4>. A given
 *  @p id (any length: CTIM ids may be URLs) is not copied; ctim_doc_id
 *  returns it, so it must live as long as the doc is used. */
int ctim_write_indicator(struct ctim_doc *d, struct ctim_bundle *b, const struct ctim_ctx *c,
                         const char *id, const char *producer, struct ctim_range valid_time);

/** Starts a sighting (the fields and checks of ctim_sighting_new). */
int ctim_write_sighting(struct ctim_doc *d, struct ctim_bundle *b, const struct ctim_ctx *c,
                        long long count, const char *confidence,
                        struct ctim_range observed_time);

/** Starts a relationship (the fields of ctim_relationship_new). */
int ctim_write_relationship(struct ctim_doc *d, struct ctim_bundle *b,
                            const struct ctim_ctx *c, const char *relationship_type,
                            const char *source_ref, const char *target_ref);

/** The entity's id ("" for a verdict or after a failed start); valid while
 *  @p d is (and, for an indicator's given id, while that string is). */
const char *ctim_doc_id(const struct ctim_doc *d);

/** A string member or element; NULL @p value writes nothing (RELAYD_OK). */
int ctim_doc_string(struct ctim_doc *d, const char *field, const char *value);
int ctim_doc_integer(struct ctim_doc *d, const char *field, long long value);
int ctim_doc_boolean(struct ctim_doc *d, const char *field, bool value);
/** {start_time, end_time?} in the doc's ctx precision. */
int ctim_doc_time_range(struct ctim_doc *d, const char *field, struct ctim_range range);
/** "severity" / "confidence" / "tlp", checked against their enums. */
int ctim_doc_severity(struct ctim_doc *d, const char *severity);
int ctim_doc_confidence(struct ctim_doc *d, const char *confidence);
int ctim_doc_tlp(struct ctim_doc *d, const char *tlp);
/** {"type", "value"}; RELAYD_EINVAL when either is NULL. */
int ctim_doc_observable(struct ctim_doc *d, const char *field, struct ctim_obs observable);
/** {origin, relation, source, related}: an element of an open "relations" array. */
int ctim_doc_relation(struct ctim_doc *d, const char *origin, const char *relation,
                      struct ctim_obs source, struct ctim_obs related);
/** {source_name, description?, url?, external_id?}: an element of an open
 *  "external_references" array. */
int ctim_doc_external_reference(struct ctim_doc *d, const char *source_name,
                                const char *description, const char *url,
                                const char *external_id);
/** Any jansson value, written as relayd_json_append writes it. */
int ctim_doc_json(struct ctim_doc *d, const char *field, const json_t *value);
/** Opens an object / array member or element; close it with ctim_doc_close. */
int ctim_doc_open_object(struct ctim_doc *d, const char *field);
int ctim_doc_open_array(struct ctim_doc *d, const char *field);
int ctim_doc_close(struct ctim_doc *d);

/** Closes the entity and counts it in the bundle; on any failure (including
 *  containers left open) removes it and returns the failure. */
int ctim_doc_end(struct ctim_doc *d);
/** Removes the entity from the bundle. */
void ctim_doc_abort(struct ctim_doc *d);

/* ---- the checker ---------------------------------------------------------
 * Validates what a relay sends against contracts/securex-relay.md §7. Each
 * function returns 0, or RELAYD_EINVAL with a one-line reason in @p err (when
 * @p err is non-NULL; truncated to @p errlen). Only the first problem is
 * reported, in this order: nulls, type, required fields (table order), then
 * field types and enums, then times.
 *
 * Rules for one entity:
 * - an object with "type" one of verdict, judgement, indicator, sighting,
 *   relationship; no JSON null anywhere inside it;
 * - required fields: verdict type, disposition, observable, valid_time;
 *   judgement type, id, schema_version, source, observable, disposition,
 *   disposition_name, priority, confidence, severity, valid_time;
 *   indicator type, id, schema_version, producer, valid_time;
 *   sighting type, id, schema_version, count, confidence,
 *   observed_time.start_time; relationship type, id, schema_version,
 *   relationship_type, source_ref, target_ref;
 * - "id": a non-empty string; one that starts with "transient:" must start
 *   with "transient:<type>-" and have more after it; any other string (a URL,
 *   an upstream id) is accepted, as CTIM allows;
 * - disposition an integer 1–5 and, when present, disposition_name its name;
 *   priority an integer 0–100; count an integer ≥ 0; confidence, severity,
 *   tlp within their enums (ctim_is_*);
 * - strings: schema_version, source, source_uri, producer, title,
 *   short_description, description, relationship_type, source_ref, target_ref;
 *   observable(s) objects with string type and value; tags and external_ids
 *   arrays of strings; valid_time / observed_time objects;
 * - every member named "*_time", at any depth, is a string
 *   "YYYY-MM-DDTHH:MM:SS[.fraction]Z" with valid fields.
 *
 * Message forms (F = field path such as observed_time.end_time or
 * observables[0].value, V = the offending value):
 *   "not an object"                 "field 'F' is null"
 *   "missing required field 'F'"    "unknown type 'V'"
 *   "field 'F' must be a string" / "… an object" / "… an array" /
 *   "… an integer 1-5" / "… an integer 0-100" / "… an integer >= 0"
 *   "field 'id' must start with 'transient:<type>-': 'V'"
 *   "field 'id' must not be empty"
 *   "field 'disposition_name' must be 'N' for disposition D: 'V'"
 *   "field 'confidence' must be one of Info, Low, Medium, High, None, Unknown: 'V'"
 *   "field 'severity' must be one of Info, Low, Medium, High, Critical, None, Unknown: 'V'"
 *   "field 'tlp' must be one of white, green, amber, red: 'V'"
 *   "field 'F' must be an ISO 8601 time ending in Z: 'V'"
 */
int ctim_check_entity(const json_t *entity, char *err, size_t errlen);

/**
 * A whole `data` object: only the five kind names as keys; each
 * {"count": N, "docs": [...]} with nothing else, N == the number of docs and
 * N > 0 (empty kinds are left out); every doc's "type" is the kind's type and
 * the doc passes ctim_check_entity. Messages are prefixed with the place:
 *   "data is not an object"        "unknown kind 'K'"
 *   "K: not an object"             "K: missing 'count'" / "K: missing 'docs'"
 *   "K: unexpected key 'X'"        "K: 'docs' must be an array"
 *   "K: 'count' must be an integer"
 *   "K: count N does not match M docs"  "K: empty kind must be left out"
 *   "K[i]: type 'T' does not belong in K"
 *   "K[i]: <ctim_check_entity message>", e.g.
 *   "sightings[2]: missing required field 'count'"
 */
int ctim_check_data(const json_t *data, char *err, size_t errlen);

/**
 * A full observe/deliberate response body: an object with "data"
 * (ctim_check_data) and/or "errors" (a non-empty array of objects with
 * exactly "code" (non-empty string), "message" (string, or null as the
 * pulsedive reference sends) and "type" ("fatal" or "warning")); no other keys.
 * Messages: those of ctim_check_data, plus
 *   "body is not an object"  "body has neither 'data' nor 'errors'"
 *   "unexpected key 'X'"     "'errors' must be a non-empty array"
 *   "errors[i]: not an object"   "errors[i]: missing 'F'"
 *   "errors[i]: unexpected key 'X'"
 *   "errors[i]: 'code' must be a non-empty string"
 *   "errors[i]: 'message' must be a string or null"
 *   "errors[i]: 'type' must be fatal or warning: 'V'"
 */
int ctim_check_response(const json_t *body, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
