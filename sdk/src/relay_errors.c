/* SPDX-License-Identifier: MIT */
/* placeholder */
typedef int relayd_placeholder_relay_errors;
