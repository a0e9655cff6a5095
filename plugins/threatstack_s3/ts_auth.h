/* SPDX-License-Identifier: MIT */
/* Optional webhook authentication (not in the reference): a shared-secret header and/or Basic auth. */
#ifndef TS_AUTH_H
#define TS_AUTH_H

#include <stdbool.h>

/** Borrowed strings; NULL or "" means "not configured". */
struct ts_auth {
	const char *secret;         /**< webhook_secret */
	const char *secret_header;  /**< webhook_secret_header (the header carrying it) */
	const char *basic_user;     /**< webhook_basic_user */
	const char *basic_password; /**< webhook_basic_password */
};

/** True when a secret or a Basic user is configured. */
bool ts_auth_enabled(const struct ts_auth *auth);

/**
 * Checks a request: with a secret configured, @p secret_value (the value of
 * the secret header) must equal it; with a Basic user configured,
 * @p authorization must be "Basic base64(user:password)". When both are
 * configured either one suffices. Comparisons take constant time.
 * Returns 0 when the request may pass (always, when nothing is configured),
 * RELAYD_EAUTH otherwise.
 */
int ts_auth_check(const struct ts_auth *auth, const char *secret_value,
                  const char *authorization);

#endif
