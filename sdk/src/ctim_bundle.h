/* SPDX-License-Identifier: MIT */
/* Inside the SDK: how entity writers reach a bundle's text (ctim_bundle.c, ctim_doc.c). */
#ifndef RELAYD_CTIM_BUNDLE_H
#define RELAYD_CTIM_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>

#include <relayd/ctim.h>
#include <relayd/strbuf.h>

/**
 * Opens one entity of @p kind in @p b: the text the entity is written to,
 * with the separator from the previous entity already there. NULL when
 * @p b or @p kind is invalid or another entity of @p b is open.
 */
struct relayd_strbuf *ctim_bundle_entity_open(struct ctim_bundle *b, enum ctim_kind kind);

/** Closes the open entity: counts it when @p keep, else removes its text. */
void ctim_bundle_entity_close(struct ctim_bundle *b, bool keep);

#endif
