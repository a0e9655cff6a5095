/* SPDX-License-Identifier: MIT */
/* The process-wide JWKS cache: one fetch per host at a time (single-flight),
 * shared by every worker, refreshed after jwks_refresh_s and at most once a
 * minute for an unknown kid. Fetches run on the main loop. */
#ifndef RELAYD_JWKS_H
#define RELAYD_JWKS_H

#include <stdint.h>

#include "jwt.h"

struct loop;
struct conf;
struct relayd_call;

/** set: borrowed for the callback (NULL on error); epoch: a process-wide
 *  number that changes whenever a host's key set is replaced; error: the
 *  relay text without prefix (NULL on success). Runs on the call's loop. */
typedef void (*jwks_cb)(struct relayd_call *c, const struct jwk_set *set, uint64_t epoch,
                        const char *error, void *arg);

void jwks_init(struct loop *main_loop, const struct conf *conf);
/** Takes the JWKS settings of a (re)loaded config. */
void jwks_configure(const struct conf *conf);
void jwks_shutdown(void);

/** Gets the key set of @p host, fetching it when absent, stale, or when it
 *  lacks @p kid (rate-limited). cb may run before jwks_get returns. */
void jwks_get(struct relayd_call *c, const char *host, const char *kid, jwks_cb cb, void *arg);

#endif
