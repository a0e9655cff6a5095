/* SPDX-License-Identifier: MIT */
/* Authenticating a call by its plugin's mode: securex (RS256 + JWKS),
 * secret (HS256) or static (client token + configured API key). */
#ifndef RELAYD_AUTH_H
#define RELAYD_AUTH_H

struct relayd_call;

/** message: NULL on success (then the call's claims, api_key and
 *  entities_limit are set), else the full relay message
 *  ("Authorization failed: …"). Runs on the call's loop, possibly before
 *  auth_call returns. */
typedef void (*auth_done_fn)(struct relayd_call *c, const char *message, void *arg);

void auth_call(struct relayd_call *c, auth_done_fn done, void *arg);

#endif
