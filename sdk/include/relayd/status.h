/* SPDX-License-Identifier: MIT */
/* Status codes shared by the host, the SDK and every plugin. */
#ifndef RELAYD_STATUS_H
#define RELAYD_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/**
 * One status enum for the whole ABI: 0 is success, negatives are failures.
 * The status says the *class* of a failure; the relay-facing code and message
 * travel separately (relayd_host::fail).
 */
enum relayd_status {
	RELAYD_OK = 0,
	RELAYD_EINVAL = -1,      /**< bad argument or bad input */
	RELAYD_ENOMEM = -2,      /**< allocation failed */
	RELAYD_EAUTH = -3,       /**< authentication failed */
	RELAYD_EUPSTREAM = -4,   /**< upstream answered with an error */
	RELAYD_ETIMEDOUT = -5,   /**< deadline or timeout reached */
	RELAYD_ERATELIMIT = -6,  /**< rate limit reached */
	RELAYD_EUNSUPPORTED = -7,/**< not supported by this host or plugin */
	RELAYD_EIO = -8,         /**< local I/O failed (disk, socket) */
	RELAYD_ENOTFOUND = -9,   /**< no such thing */
	RELAYD_EBUSY = -10,      /**< a concurrency limit is reached */
};

/** A static, human-readable name for @p status ("ok", "invalid argument", …). */
const char *relayd_strstatus(int status);

#ifdef __cplusplus
}
#endif
#endif
