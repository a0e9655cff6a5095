/* SPDX-License-Identifier: MIT */
/* Names for enum relayd_status. */
#include <relayd/status.h>

const char *relayd_strstatus(int status)
{
	switch (status) {
	case RELAYD_OK: return "ok";
	case RELAYD_EINVAL: return "invalid argument";
	case RELAYD_ENOMEM: return "out of memory";
	case RELAYD_EAUTH: return "authentication failed";
	case RELAYD_EUPSTREAM: return "upstream error";
	case RELAYD_ETIMEDOUT: return "timed out";
	case RELAYD_ERATELIMIT: return "rate limit reached";
	case RELAYD_EUNSUPPORTED: return "not supported";
	case RELAYD_EIO: return "i/o error";
	case RELAYD_ENOTFOUND: return "not found";
	case RELAYD_EBUSY: return "busy";
	default: return "unknown status";
	}
}
