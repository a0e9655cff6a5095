/* SPDX-License-Identifier: MIT */
/* The CTIM checker: required fields, enums, times and envelopes of relay output. */
#include <relayd/ctim.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Room for a field path such as targets[0].observables[12].value. */
#define PATH_SIZE 256

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return RELAYD_EINVAL;
}

/* ---- nulls ------------------------------------------------------------ */

static void path_join_key(char *out, size_t len, const char *base, const char *key)
{
	if (*base == '\0')
		snprintf(out, len, "%s", key);
	else
		snprintf(out, len, "%s.%s", base, key);
}

/* Depth-first, in document order; the first null found is reported with its path. */
static bool find_null(const json_t *v, const char *path, char *found, size_t found_len)
{
	char sub[PATH_SIZE];

	if (json_is_null(v)) {
		snprintf(found, found_len, "%s", path);
		return true;
	}
	if (json_is_object(v)) {
		const char *key;
		json_t *child;
		json_object_foreach((json_t *)v, key, child) {
			path_join_key(sub, sizeof sub, path, key);
			if (find_null(child, sub, found, found_len))
				return true;
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) {
			snprintf(sub, sizeof sub, "%s[%zu]", path, i);
			if (find_null(child, sub, found, found_len))
				return true;
		}
	}
	return false;
}

/* ---- required fields --------------------------------------------------- */

struct entity_rule {
	const char *type;
	const char *const *required; /* NULL-terminated; "a.b" means member b of object a */
};

static const char *const verdict_required[] = { "type", "disposition", "observable",
	                                        "valid_time", NULL };
static const char *const judgement_required[] = {
	"type", "id", "schema_version", "source", "observable", "disposition",
	"disposition_name", "priority", "confidence", "severity", "valid_time", NULL
};
static const char *const indicator_required[] = { "type", "id", "schema_version", "producer",
	                                          "valid_time", NULL };
static const char *const sighting_required[] = { "type", "id", "schema_version", "count",
	                                         "confidence", "observed_time.start_time",
	                                         NULL };
static const char *const relationship_required[] = { "type", "id", "schema_version",
	                                             "relationship_type", "source_ref",
	                                             "target_ref", NULL };

static const struct entity_rule rules[] = {
	{ "verdict", verdict_required },
	{ "judgement", judgement_required },
	{ "indicator", indicator_required },
	{ "sighting", sighting_required },
	{ "relationship", relationship_required },
};

static const struct entity_rule *rule_for(const char *type)
{
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (strcmp(rules[i].type, type) == 0)
			return &rules[i];
	return NULL;
}

/* Looks up "a" or "a.b" (one level of nesting is all the table needs). */
static const json_t *get_path(const json_t *entity, const char *path)
{
	const char *dot = strchr(path, '.');
	char head[64];

	if (dot == NULL)
		return json_object_get(entity, path);
	snprintf(head, sizeof head, "%.*s", (int)(dot - path), path);
	return json_object_get(json_object_get(entity, head), dot + 1);
}

/* ---- field types and enums -------------------------------------------- */

static int check_string_fields(const json_t *e, char *err, size_t errlen)
{
	static const char *const fields[] = { "schema_version", "source", "source_uri",
		                              "producer", "title", "short_description",
		                              "description", "relationship_type",
		                              "source_ref", "target_ref", NULL };
	for (size_t i = 0; fields[i] != NULL; i++) {
		const json_t *v = json_object_get(e, fields[i]);
		if (v != NULL && !json_is_string(v))
			return fail(err, errlen, "field '%s' must be a string", fields[i]);
	}
	return RELAYD_OK;
}

static int check_id(const json_t *e, const char *type, char *err, size_t errlen)
{
	const json_t *v = json_object_get(e, "id");
	char prefix[64];

	if (v == NULL)
		return RELAYD_OK;
	if (!json_is_string(v))
		return fail(err, errlen, "field 'id' must be a string");
	const char *id = json_string_value(v);
	if (*id == '\0')
		return fail(err, errlen, "field 'id' must not be empty");
	/* CTIM also allows URLs and upstream ids; only a transient id has a fixed shape. */
	if (strncmp(id, "transient:", strlen("transient:")) != 0)
		return RELAYD_OK;
	snprintf(prefix, sizeof prefix, "transient:%s-", type);
	size_t plen = strlen(prefix);
	if (strncmp(id, prefix, plen) != 0 || id[plen] == '\0')
		return fail(err, errlen, "field 'id' must start with '%s': '%s'", prefix, id);
	return RELAYD_OK;
}

static int check_observable(const json_t *o, const char *path, char *err, size_t errlen)
{
	if (!json_is_object(o))
		return fail(err, errlen, "field '%s' must be an object", path);
	if (!json_is_string(json_object_get(o, "type")))
		return fail(err, errlen, "field '%s.type' must be a string", path);
	if (!json_is_string(json_object_get(o, "value")))
		return fail(err, errlen, "field '%s.value' must be a string", path);
	return RELAYD_OK;
}

static int check_observables(const json_t *e, char *err, size_t errlen)
{
	const json_t *one = json_object_get(e, "observable");
	const json_t *many = json_object_get(e, "observables");
	char path[PATH_SIZE];
	size_t i;
	json_t *o;
	int rc;

	if (one != NULL && (rc = check_observable(one, "observable", err, errlen)) != 0)
		return rc;
	if (many == NULL)
		return RELAYD_OK;
	if (!json_is_array(many))
		return fail(err, errlen, "field 'observables' must be an array");
	json_array_foreach(many, i, o) {
		snprintf(path, sizeof path, "observables[%zu]", i);
		if ((rc = check_observable(o, path, err, errlen)) != 0)
			return rc;
	}
	return RELAYD_OK;
}

static int check_string_arrays(const json_t *e, char *err, size_t errlen)
{
	static const char *const fields[] = { "tags", "external_ids", NULL };

	for (size_t f = 0; fields[f] != NULL; f++) {
		const json_t *a = json_object_get(e, fields[f]);
		size_t i;
		json_t *s;
		if (a == NULL)
			continue;
		if (!json_is_array(a))
			return fail(err, errlen, "field '%s' must be an array", fields[f]);
		json_array_foreach(a, i, s) {
			if (!json_is_string(s))
				return fail(err, errlen, "field '%s[%zu]' must be a string",
				            fields[f], i);
		}
	}
	return RELAYD_OK;
}

static int check_disposition(const json_t *e, char *err, size_t errlen)
{
	const json_t *d = json_object_get(e, "disposition");
	const json_t *name = json_object_get(e, "disposition_name");

	if (d == NULL) {
		if (name != NULL && !json_is_string(name))
			return fail(err, errlen, "field 'disposition_name' must be a string");
		return RELAYD_OK;
	}
	json_int_t n = json_is_integer(d) ? json_integer_value(d) : 0;
	if (n < 1 || n > 5)
		return fail(err, errlen, "field 'disposition' must be an integer 1-5");
	if (name == NULL)
		return RELAYD_OK;
	const char *expected = ctim_disposition_name((int)n);
	if (!json_is_string(name))
		return fail(err, errlen, "field 'disposition_name' must be a string");
	if (strcmp(json_string_value(name), expected) != 0)
		return fail(err, errlen, "field 'disposition_name' must be '%s' for disposition %d: '%s'",
		            expected, (int)n, json_string_value(name));
	return RELAYD_OK;
}

static int check_integers(const json_t *e, char *err, size_t errlen)
{
	const json_t *p = json_object_get(e, "priority");
	const json_t *c = json_object_get(e, "count");

	if (p != NULL && (!json_is_integer(p) || json_integer_value(p) < 0 ||
	                  json_integer_value(p) > 100))
		return fail(err, errlen, "field 'priority' must be an integer 0-100");
	if (c != NULL && (!json_is_integer(c) || json_integer_value(c) < 0))
		return fail(err, errlen, "field 'count' must be an integer >= 0");
	return RELAYD_OK;
}

static int check_enum(const json_t *e, const char *field, bool (*valid)(const char *),
                      const char *allowed, char *err, size_t errlen)
{
	const json_t *v = json_object_get(e, field);

	if (v == NULL)
		return RELAYD_OK;
	if (!json_is_string(v))
		return fail(err, errlen, "field '%s' must be a string", field);
	if (!valid(json_string_value(v)))
		return fail(err, errlen, "field '%s' must be one of %s: '%s'", field, allowed,
		            json_string_value(v));
	return RELAYD_OK;
}

static int check_enums(const json_t *e, char *err, size_t errlen)
{
	int rc = check_enum(e, "confidence", ctim_is_confidence,
	                    "Info, Low, Medium, High, None, Unknown", err, errlen);
	if (rc == RELAYD_OK)
		rc = check_enum(e, "severity", ctim_is_severity,
		                "Info, Low, Medium, High, Critical, None, Unknown", err, errlen);
	if (rc == RELAYD_OK)
		rc = check_enum(e, "tlp", ctim_is_tlp, "white, green, amber, red", err, errlen);
	return rc;
}

static int check_time_objects(const json_t *e, char *err, size_t errlen)
{
	static const char *const fields[] = { "valid_time", "observed_time", NULL };

	for (size_t i = 0; fields[i] != NULL; i++) {
		const json_t *v = json_object_get(e, fields[i]);
		if (v != NULL && !json_is_object(v))
			return fail(err, errlen, "field '%s' must be an object", fields[i]);
	}
	return RELAYD_OK;
}

/* ---- times -------------------------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* CTIM wants the strict form: a 'T' separator and UTC written as 'Z'. */
static bool is_ctim_time(const char *s)
{
	int64_t us;

	return strlen(s) > 10 && s[10] == 'T' && ends_with(s, "Z") &&
	       ctim_time_parse(s, &us) == RELAYD_OK;
}

static int check_times(const json_t *v, const char *path, char *err, size_t errlen)
{
	char sub[PATH_SIZE];
	int rc;

	if (json_is_object(v)) {
		const char *key;
		json_t *child;
		json_object_foreach((json_t *)v, key, child) {
			path_join_key(sub, sizeof sub, path, key);
			if (ends_with(key, "_time") && !json_is_object(child)) {
				const char *s = json_string_value(child);
				if (s == NULL)
					return fail(err, errlen, "field '%s' must be a string", sub);
				if (!is_ctim_time(s))
					return fail(err, errlen,
					            "field '%s' must be an ISO 8601 time ending in Z: '%s'",
					            sub, s);
			} else if ((rc = check_times(child, sub, err, errlen)) != 0) {
				return rc;
			}
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child) {
			snprintf(sub, sizeof sub, "%s[%zu]", path, i);
			if ((rc = check_times(child, sub, err, errlen)) != 0)
				return rc;
		}
	}
	return RELAYD_OK;
}

/* ---- one entity ---------------------------------------------------------- */

int ctim_check_entity(const json_t *entity, char *err, size_t errlen)
{
	char found[PATH_SIZE];
	int rc;

	if (!json_is_object(entity))
		return fail(err, errlen, "not an object");
	if (find_null(entity, "", found, sizeof found))
		return fail(err, errlen, "field '%s' is null", found);
	const json_t *type = json_object_get(entity, "type");
	if (type == NULL)
		return fail(err, errlen, "missing required field 'type'");
	if (!json_is_string(type))
		return fail(err, errlen, "field 'type' must be a string");
	const struct entity_rule *rule = rule_for(json_string_value(type));
	if (rule == NULL)
		return fail(err, errlen, "unknown type '%s'", json_string_value(type));
	for (size_t i = 0; rule->required[i] != NULL; i++)
		if (get_path(entity, rule->required[i]) == NULL)
			return fail(err, errlen, "missing required field '%s'", rule->required[i]);

	if ((rc = check_id(entity, rule->type, err, errlen)) != 0 ||
	    (rc = check_string_fields(entity, err, errlen)) != 0 ||
	    (rc = check_observables(entity, err, errlen)) != 0 ||
	    (rc = check_disposition(entity, err, errlen)) != 0 ||
	    (rc = check_integers(entity, err, errlen)) != 0 ||
	    (rc = check_enums(entity, err, errlen)) != 0 ||
	    (rc = check_string_arrays(entity, err, errlen)) != 0 ||
	    (rc = check_time_objects(entity, err, errlen)) != 0)
		return rc;
	return check_times(entity, "", err, errlen);
}

/* ---- data and response ---------------------------------------------------- */

static int check_kind(const char *name, enum ctim_kind kind, const json_t *part, char *err,
                      size_t errlen)
{
	char inner[512];
	const char *key;
	json_t *v;

	if (!json_is_object(part))
		return fail(err, errlen, "%s: not an object", name);
	json_object_foreach((json_t *)part, key, v) {
		if (strcmp(key, "count") != 0 && strcmp(key, "docs") != 0)
			return fail(err, errlen, "%s: unexpected key '%s'", name, key);
	}
	const json_t *count = json_object_get(part, "count");
	const json_t *docs = json_object_get(part, "docs");
	if (count == NULL)
		return fail(err, errlen, "%s: missing 'count'", name);
	if (docs == NULL)
		return fail(err, errlen, "%s: missing 'docs'", name);
	if (!json_is_integer(count))
		return fail(err, errlen, "%s: 'count' must be an integer", name);
	if (!json_is_array(docs))
		return fail(err, errlen, "%s: 'docs' must be an array", name);
	if (json_integer_value(count) != (json_int_t)json_array_size(docs))
		return fail(err, errlen, "%s: count %lld does not match %zu docs", name,
		            (long long)json_integer_value(count), json_array_size(docs));
	if (json_array_size(docs) == 0)
		return fail(err, errlen, "%s: empty kind must be left out", name);

	const char *want = ctim_kind_type(kind);
	size_t i;
	json_t *doc;
	json_array_foreach(docs, i, doc) {
		const char *type = json_string_value(json_object_get(doc, "type"));
		if (type != NULL && strcmp(type, want) != 0 && rule_for(type) != NULL)
			return fail(err, errlen, "%s[%zu]: type '%s' does not belong in %s", name, i,
			            type, name);
		if (ctim_check_entity(doc, inner, sizeof inner) != RELAYD_OK)
			return fail(err, errlen, "%s[%zu]: %s", name, i, inner);
	}
	return RELAYD_OK;
}

int ctim_check_data(const json_t *data, char *err, size_t errlen)
{
	const char *key;
	json_t *part;
	enum ctim_kind kind;
	int rc;

	if (!json_is_object(data))
		return fail(err, errlen, "data is not an object");
	json_object_foreach((json_t *)data, key, part) {
		if (ctim_kind_from_name(key, &kind) != RELAYD_OK)
			return fail(err, errlen, "unknown kind '%s'", key);
		if ((rc = check_kind(key, kind, part, err, errlen)) != 0)
			return rc;
	}
	return RELAYD_OK;
}

static int check_error(const json_t *e, size_t i, char *err, size_t errlen)
{
	static const char *const fields[] = { "code", "message", "type", NULL };
	const char *key;
	json_t *v;

	if (!json_is_object(e))
		return fail(err, errlen, "errors[%zu]: not an object", i);
	json_object_foreach((json_t *)e, key, v) {
		if (strcmp(key, "code") != 0 && strcmp(key, "message") != 0 &&
		    strcmp(key, "type") != 0)
			return fail(err, errlen, "errors[%zu]: unexpected key '%s'", i, key);
	}
	for (size_t f = 0; fields[f] != NULL; f++)
		if (json_object_get(e, fields[f]) == NULL)
			return fail(err, errlen, "errors[%zu]: missing '%s'", i, fields[f]);
	const char *code = json_string_value(json_object_get(e, "code"));
	if (code == NULL || *code == '\0')
		return fail(err, errlen, "errors[%zu]: 'code' must be a non-empty string", i);
	const json_t *message = json_object_get(e, "message");
	if (!json_is_string(message) && !json_is_null(message))
		return fail(err, errlen, "errors[%zu]: 'message' must be a string or null", i);
	const json_t *type = json_object_get(e, "type");
	const char *t = json_string_value(type);
	if (t == NULL || (strcmp(t, "fatal") != 0 && strcmp(t, "warning") != 0))
		return fail(err, errlen, "errors[%zu]: 'type' must be fatal or warning: '%s'", i,
		            t != NULL ? t : "(not a string)");
	return RELAYD_OK;
}

int ctim_check_response(const json_t *body, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(body))
		return fail(err, errlen, "body is not an object");
	json_object_foreach((json_t *)body, key, v) {
		if (strcmp(key, "data") != 0 && strcmp(key, "errors") != 0)
			return fail(err, errlen, "unexpected key '%s'", key);
	}
	const json_t *data = json_object_get(body, "data");
	const json_t *errors = json_object_get(body, "errors");
	if (data == NULL && errors == NULL)
		return fail(err, errlen, "body has neither 'data' nor 'errors'");
	if (data != NULL && (rc = ctim_check_data(data, err, errlen)) != 0)
		return rc;
	if (errors == NULL)
		return RELAYD_OK;
	if (!json_is_array(errors) || json_array_size(errors) == 0)
		return fail(err, errlen, "'errors' must be a non-empty array");
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e) {
		if ((rc = check_error(e, i, err, errlen)) != 0)
			return rc;
	}
	return RELAYD_OK;
}
