/* SPDX-License-Identifier: MIT */
/* placeholder: module not written yet */
typedef int relayd_placeholder_services;
