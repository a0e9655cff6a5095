/* SPDX-License-Identifier: MIT */
/* Refer references (contracts/pulsedive.md §7): pure builders for the search and browse links. */
#ifndef PULSEDIVE_REFER_H
#define PULSEDIVE_REFER_H

#include <jansson.h>

/** The human name of an observable type in refer texts: "IP", "IPv6",
 *  "domain", "URL"; any other type is named by itself ("artifact"). */
const char *pd_refer_human_type(const char *type);

/**
 * The search reference for an input observable (@p type lower-case): id,
 * title, description, categories and the browse URL with the base64 query.
 * The value is JSON-escaped inside the query (a deliberate deviation: the
 * reference pasted it raw). New reference, or NULL when out of memory.
 */
json_t *pd_refer_search(const char *type, const char *value);

/**
 * The browse reference for a lookup answer (Pulsedive's own type and
 * indicator, its iid). *out gets a new reference. 0, RELAYD_EINVAL when the
 * answer lacks iid, type or indicator (`key error`), RELAYD_ENOMEM.
 */
int pd_refer_browse(const json_t *lookup, json_t **out);

#endif
