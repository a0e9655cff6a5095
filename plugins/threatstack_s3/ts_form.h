/* SPDX-License-Identifier: MIT */
/* Reads one field of an application/x-www-form-urlencoded body (the reference's request.form). */
#ifndef TS_FORM_H
#define TS_FORM_H

#include <stddef.h>

/**
 * The decoded value of the first @p name=value pair in @p body ('+' is a
 * space, %XX decoded). Returns a malloc'd string, or NULL when the field is
 * absent, malformed (bad %XX, decodes to a NUL) or on ENOMEM.
 */
char *ts_form_value(const char *body, size_t len, const char *name);

#endif
