/* SPDX-License-Identifier: MIT */
/* jansson's checked constructors with a faster UTF-8 check (see relayd/json.h). */
#include <relayd/json.h>

#include <string.h>

#include "utf8.h"

json_t *relayd_json_stringn(const char *s, size_t len)
{
	if (!s || !utf8_valid((const unsigned char *)s, len))
		return NULL;
	return json_stringn_nocheck(s, len);
}

json_t *relayd_json_string(const char *s)
{
	return s ? relayd_json_stringn(s, strlen(s)) : NULL;
}

int relayd_json_set_new(json_t *object, const char *key, json_t *value)
{
	if (!key || !utf8_valid((const unsigned char *)key, strlen(key))) {
		json_decref(value);
		return -1;
	}
	/* _nocheck steals value on every path, as json_object_set_new does. */
	return json_object_set_new_nocheck(object, key, value);
}

bool relayd_json_truthy(const json_t *v)
{
	switch (v ? json_typeof(v) : JSON_NULL) {
	case JSON_OBJECT: return json_object_size(v) > 0;
	case JSON_ARRAY: return json_array_size(v) > 0;
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_REAL: return json_real_value(v) != 0.0;
	case JSON_TRUE: return true;
	default: return false;
	}
}
