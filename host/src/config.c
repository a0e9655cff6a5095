/* SPDX-License-Identifier: MIT */
/* The relayd config model: load, interpolate, validate etc/relayd.conf. */

#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <relayd/strbuf.h>

#include "ini.h"

/* A config file larger than this is a mistake (a log file, a binary). */
#define CONF_MAX_FILE (16u * 1024u * 1024u)
/* Room for one error reason before "<file>:<line>: " is put in front. */
#define REASON_SIZE 512
#define EXCERPT_SIZE 72
/* Plugin names become file names, mounts and metric labels: keep them short. */
#define MAX_PLUGIN_NAME 64

/* ---- errors ------------------------------------------------------------- */

struct errctx {
	const char *file;
	char *err;
	size_t errlen;
};

static int fail_at(const struct errctx *e, int line, const char *fmt, ...) RELAYD_PRINTF(3, 4);

/* Writes "<file>:<line>: <reason>" and returns RELAYD_EINVAL. */
static int fail_at(const struct errctx *e, int line, const char *fmt, ...)
{
	if (!e->err || !e->errlen)
		return RELAYD_EINVAL;
	int n = snprintf(e->err, e->errlen, "%s:%d: ", e->file, line);
	if (n >= 0 && (size_t)n < e->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->err + n, e->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return RELAYD_EINVAL;
}

static int set_reason(char *reason, size_t rlen, const char *fmt, ...) RELAYD_PRINTF(3, 4);

static int set_reason(char *reason, size_t rlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, rlen, fmt, ap);
	va_end(ap);
	return RELAYD_EINVAL;
}

/* ---- scalar parsers ------------------------------------------------------ */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int conf_parse_int(const char *s, int64_t *out)
{
	if (!s)
		return RELAYD_EINVAL;
	/* strtoll alone would accept leading blanks and '+'. */
	const char *digits = s[0] == '-' ? s + 1 : s;
	if (!is_digit(digits[0]))
		return RELAYD_EINVAL;
	errno = 0;
	char *end = NULL;
	long long v = strtoll(s, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return RELAYD_EINVAL;
	*out = (int64_t)v;
	return RELAYD_OK;
}

int conf_parse_size(const char *s, uint64_t *out)
{
	if (!s || !is_digit(s[0]))
		return RELAYD_EINVAL;
	errno = 0;
	char *end = NULL;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return RELAYD_EINVAL;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: return RELAYD_EINVAL;
	}
	if (*end != '\0')
		return RELAYD_EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return RELAYD_EINVAL;
	*out = (uint64_t)v << shift;
	return RELAYD_OK;
}

int conf_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	if (!s)
		return RELAYD_EINVAL;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return RELAYD_OK;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return RELAYD_OK;
		}
	}
	return RELAYD_EINVAL;
}

static bool is_http_url(const char *s)
{
	size_t n = 0;
	if (strncasecmp(s, "http://", 7) == 0)
		n = 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		n = 8;
	return n && s[n] != '\0' && s[n] != '/';
}

/* ---- entry lists -------------------------------------------------------- */

static int entries_add(struct conf_entry **v, size_t *n, size_t *cap, const char *key,
                       const char *value, int line, bool host_key, bool secret)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct conf_entry *nv = realloc(*v, ncap * sizeof(*nv));
		if (!nv)
			return RELAYD_ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	struct conf_entry *e = &(*v)[*n];
	e->key = strdup(key);
	e->value = strdup(value);
	if (!e->key || !e->value) {
		free(e->key);
		free(e->value);
		return RELAYD_ENOMEM;
	}
	e->line = line;
	e->host_key = host_key;
	e->secret = secret;
	(*n)++;
	return RELAYD_OK;
}

static struct conf_entry *entries_find(struct conf_entry *v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].key, key) == 0)
			return &v[i];
	}
	return NULL;
}

static void entries_free(struct conf_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

/* Replaces *dst by a copy of @p s. */
static int set_string(char **dst, const char *s)
{
	char *copy = strdup(s);
	if (!copy)
		return RELAYD_ENOMEM;
	free(*dst);
	*dst = copy;
	return RELAYD_OK;
}

/* ---- ${NAME} interpolation --------------------------------------------- */

static bool is_env_name(const char *s, size_t n)
{
	if (n == 0 || is_digit(s[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_'))
			return false;
	}
	return true;
}

/* Appends the value of the variable named by s[0..n) to @p b. */
static int add_env_value(struct relayd_strbuf *b, const char *s, size_t n, char *reason,
                         size_t rlen)
{
	char name[EXCERPT_SIZE];
	if (!is_env_name(s, n) || n >= sizeof(name)) {
		char *raw = strndup(s, n);
		if (!raw)
			return RELAYD_ENOMEM;
		ini_excerpt(name, sizeof(name), raw);
		free(raw);
		return set_reason(reason, rlen, "invalid environment variable name '%s'", name);
	}
	memcpy(name, s, n);
	name[n] = '\0';
	const char *value = getenv(name);
	if (!value)
		return set_reason(reason, rlen, "environment variable %s is not set", name);
	return relayd_strbuf_append(b, value, strlen(value));
}

/* Expands "${NAME}" and "$${" in @p in; *out is malloc'd. */
static int interpolate(const char *in, char **out, char *reason, size_t rlen)
{
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	int rc = relayd_strbuf_append(&b, "", 0);
	for (const char *s = in; rc == 0 && *s;) {
		if (s[0] == '$' && s[1] == '$' && s[2] == '{') {
			rc = relayd_strbuf_append(&b, "${", 2);
			s += 3;
		} else if (s[0] == '$' && s[1] == '{') {
			const char *close = strchr(s + 2, '}');
			if (!close) {
				rc = set_reason(reason, rlen, "unterminated '${' (missing '}')");
				break;
			}
			rc = add_env_value(&b, s + 2, (size_t)(close - (s + 2)), reason, rlen);
			s = close + 1;
		} else {
			rc = relayd_strbuf_append(&b, s, 1);
			s++;
		}
	}
	if (rc) {
		relayd_strbuf_free(&b);
		return rc;
	}
	*out = relayd_strbuf_detach(&b, NULL);
	return RELAYD_OK;
}

/* ---- collecting sections from the INI parser ---------------------------- */

struct loader {
	struct conf *c;
	struct errctx e;
	size_t cap_plugins;
	bool in_relayd; /* false: entries go to the last plugin */
};

static bool is_plugin_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || is_digit(*s) || *s == '_'))
			return false;
	}
	return true;
}

static int add_plugin(struct loader *ld, const char *name, int line)
{
	struct conf *c = ld->c;
	if (c->n_plugins == ld->cap_plugins) {
		size_t ncap = ld->cap_plugins ? ld->cap_plugins * 2 : 8;
		struct conf_plugin *v = realloc(c->plugins, ncap * sizeof(*v));
		if (!v)
			return RELAYD_ENOMEM;
		c->plugins = v;
		ld->cap_plugins = ncap;
	}
	struct conf_plugin *p = &c->plugins[c->n_plugins];
	memset(p, 0, sizeof(*p));
	p->name = strdup(name);
	if (!p->name)
		return RELAYD_ENOMEM;
	p->line = line;
	c->n_plugins++;
	return RELAYD_OK;
}

static int on_section(void *user, const char *section, int line)
{
	struct loader *ld = user;
	char shown[EXCERPT_SIZE];
	if (strcmp(section, "relayd") == 0) {
		ld->c->relayd_line = line;
		ld->in_relayd = true;
		return RELAYD_OK;
	}
	ini_excerpt(shown, sizeof(shown), section);
	if (strncmp(section, "plugin.", 7) != 0)
		return fail_at(&ld->e, line,
		               "unknown section [%s] (expected [relayd] or [plugin.<name>])", shown);
	if (!is_plugin_name(section + 7))
		return fail_at(&ld->e, line, "invalid plugin name in [%s] (expected [a-z0-9_]+)",
		               shown);
	if (strlen(section + 7) > MAX_PLUGIN_NAME)
		return fail_at(&ld->e, line, "plugin name in [%s] is longer than %d characters", shown,
		               MAX_PLUGIN_NAME);
	ld->in_relayd = false;
	return add_plugin(ld, section + 7, line);
}

static int on_entry(void *user, const char *section, const char *key, const char *value,
                    int line)
{
	(void)section;
	struct loader *ld = user;
	struct conf *c = ld->c;
	char reason[REASON_SIZE];
	char *expanded = NULL;
	int rc = interpolate(value, &expanded, reason, sizeof(reason));
	if (rc == RELAYD_EINVAL)
		return fail_at(&ld->e, line, "%s", reason);
	if (rc)
		return rc;
	if (ld->in_relayd) {
		rc = entries_add(&c->relayd_entries, &c->n_relayd_entries, &c->cap_relayd_entries, key,
		                 expanded, line, false, false);
	} else {
		struct conf_plugin *p = &c->plugins[c->n_plugins - 1];
		rc = entries_add(&p->entries, &p->n_entries, &p->cap_entries, key, expanded, line,
		                 false, false);
	}
	free(expanded);
	return rc;
}

/* ---- typed keys ---------------------------------------------------------- */

enum spec_kind { SPEC_STRING, SPEC_INT, SPEC_SIZE, SPEC_BOOL, SPEC_CUSTOM };

/* A custom key parser: stores @p value into @p obj, or explains in @p reason. */
typedef int (*custom_fn)(void *obj, const char *value, char *reason, size_t rlen);

struct key_spec {
	const char *key;
	enum spec_kind kind;
	const char *def; /* default text; NULL: optional (or a default computed later) */
	size_t offset;   /* of the field in struct conf / struct conf_plugin */
	int64_t min, max;
	bool secret;
	custom_fn custom;
};

#define FIELD(obj, off, type) ((type *)((char *)(obj) + (off)))

static int check_int(const char *key, const char *value, int64_t min, int64_t max,
                     int64_t *out, char *reason, size_t rlen)
{
	char shown[EXCERPT_SIZE];
	ini_excerpt(shown, sizeof(shown), value);
	if (conf_parse_int(value, out))
		return set_reason(reason, rlen, "%s: expected an integer, got '%s'", key, shown);
	if (*out < min)
		return set_reason(reason, rlen, "%s: must be at least %" PRId64 ", got '%s'", key, min,
		                  shown);
	if (*out > max)
		return set_reason(reason, rlen, "%s: must be at most %" PRId64 ", got '%s'", key, max,
		                  shown);
	return RELAYD_OK;
}

static int check_size(const char *key, const char *value, uint64_t min, uint64_t *out,
                      char *reason, size_t rlen)
{
	char shown[EXCERPT_SIZE];
	ini_excerpt(shown, sizeof(shown), value);
	if (conf_parse_size(value, out))
		return set_reason(reason, rlen,
		                  "%s: expected a size (bytes with an optional K, M or G suffix), "
		                  "got '%s'", key, shown);
	if (*out < min)
		return set_reason(reason, rlen, "%s: must be at least %" PRIu64 " bytes, got '%s'", key,
		                  min, shown);
	return RELAYD_OK;
}

static int check_bool(const char *key, const char *value, bool *out, char *reason, size_t rlen)
{
	char shown[EXCERPT_SIZE];
	ini_excerpt(shown, sizeof(shown), value);
	if (conf_parse_bool(value, out))
		return set_reason(reason, rlen,
		                  "%s: expected a boolean (true/false, yes/no, on/off, 1/0), got '%s'",
		                  key, shown);
	return RELAYD_OK;
}

/* Index of @p value in @p names (NULL-terminated), or an error listing them. */
static int check_choice(const char *key, const char *value, const char *const *names,
                        int *out, char *reason, size_t rlen)
{
	char list[128] = "", shown[EXCERPT_SIZE];
	for (int i = 0; names[i]; i++) {
		if (strcmp(value, names[i]) == 0) {
			*out = i;
			return RELAYD_OK;
		}
		size_t n = strlen(list);
		snprintf(list + n, sizeof(list) - n, "%s%s", i ? "|" : "", names[i]);
	}
	ini_excerpt(shown, sizeof(shown), value);
	return set_reason(reason, rlen, "%s: expected one of %s, got '%s'", key, list, shown);
}

static int apply_spec(const struct key_spec *s, void *obj, const char *value, char *reason,
                      size_t rlen)
{
	int64_t i;
	uint64_t u;
	bool b;
	int rc;
	switch (s->kind) {
	case SPEC_STRING:
		return set_string(FIELD(obj, s->offset, char *), value);
	case SPEC_INT:
		rc = check_int(s->key, value, s->min, s->max, &i, reason, rlen);
		if (rc == 0)
			*FIELD(obj, s->offset, int64_t) = i;
		return rc;
	case SPEC_SIZE:
		rc = check_size(s->key, value, (uint64_t)s->min, &u, reason, rlen);
		if (rc == 0)
			*FIELD(obj, s->offset, uint64_t) = u;
		return rc;
	case SPEC_BOOL:
		rc = check_bool(s->key, value, &b, reason, rlen);
		if (rc == 0)
			*FIELD(obj, s->offset, bool) = b;
		return rc;
	case SPEC_CUSTOM:
		return s->custom(obj, value, reason, rlen);
	}
	return RELAYD_EINVAL;
}

static const struct key_spec *spec_find(const struct key_spec *specs, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(specs[i].key, key) == 0)
			return &specs[i];
	}
	return NULL;
}

/* ---- [relayd] ------------------------------------------------------------ */

static int parse_listen(void *obj, const char *value, char *reason, size_t rlen)
{
	struct conf *c = obj;
	char shown[EXCERPT_SIZE];
	ini_excerpt(shown, sizeof(shown), value);
	const char *host = value, *host_end, *colon;
	if (value[0] == '[') {
		host = value + 1;
		host_end = strchr(host, ']');
		colon = host_end ? host_end + 1 : NULL;
		if (!colon || *colon != ':')
			colon = NULL;
	} else {
		colon = strrchr(value, ':');
		host_end = colon;
		/* An IPv6 address must be bracketed, or its last group reads as a port. */
		if (colon && memchr(value, ':', (size_t)(colon - value)))
			colon = NULL;
	}
	if (!colon || host_end == host || strpbrk(value, " \t"))
		return set_reason(reason, rlen,
		                  "listen: expected host:port ([address]:port for IPv6), got '%s'", shown);
	int64_t port;
	if (!is_digit(colon[1]) || conf_parse_int(colon + 1, &port) || port > 65535)
		return set_reason(reason, rlen, "listen: port must be between 0 and 65535, got '%s'",
		                  shown);
	char *h = strndup(host, (size_t)(host_end - host));
	if (!h)
		return RELAYD_ENOMEM;
	free(c->listen_host);
	c->listen_host = h;
	c->listen_port = (int)port;
	return set_string(&c->listen, value);
}

static int parse_workers(void *obj, const char *value, char *reason, size_t rlen)
{
	struct conf *c = obj;
	int64_t n;
	int rc = check_int("workers", value, 0, 1024, &n, reason, rlen);
	if (rc)
		return rc;
	if (n == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus < 1 ? 1 : cpus > 1024 ? 1024 : cpus;
	}
	c->workers = (int)n;
	return RELAYD_OK;
}

static int parse_log_format(void *obj, const char *value, char *reason, size_t rlen)
{
	static const char *const names[] = {"logfmt", "json", NULL};
	int i;
	int rc = check_choice("log_format", value, names, &i, reason, rlen);
	if (rc == 0)
		((struct conf *)obj)->log_format = i == 1 ? CONF_LOG_JSON : CONF_LOG_LOGFMT;
	return rc;
}

static int parse_log_level(void *obj, const char *value, char *reason, size_t rlen)
{
	static const char *const names[] = {"error", "warn", "info", "debug", NULL};
	static const enum relayd_log_level levels[] = {RELAYD_LOG_ERROR, RELAYD_LOG_WARN,
	                                               RELAYD_LOG_INFO, RELAYD_LOG_DEBUG};
	int i;
	int rc = check_choice("log_level", value, names, &i, reason, rlen);
	if (rc == 0)
		((struct conf *)obj)->log_level = levels[i];
	return rc;
}

static int parse_jwks_scheme(void *obj, const char *value, char *reason, size_t rlen)
{
	static const char *const names[] = {"https", "http", NULL};
	int i;
	int rc = check_choice("jwks_scheme", value, names, &i, reason, rlen);
	if (rc == 0)
		((struct conf *)obj)->jwks_scheme = i == 1 ? CONF_SCHEME_HTTP : CONF_SCHEME_HTTPS;
	return rc;
}

static int parse_audience(void *obj, const char *value, char *reason, size_t rlen)
{
	struct conf *c = obj;
	char shown[EXCERPT_SIZE];
	if (!is_http_url(value)) {
		ini_excerpt(shown, sizeof(shown), value);
		return set_reason(reason, rlen, "audience: expected an http:// or https:// URL, got '%s'",
		                  shown);
	}
	size_t n = strlen(value);
	/* The expected aud is audience + mount; a trailing '/' would double it. */
	if (value[n - 1] == '/')
		n--;
	char *a = strndup(value, n);
	if (!a)
		return RELAYD_ENOMEM;
	free(c->audience);
	c->audience = a;
	return RELAYD_OK;
}

static bool is_allowed_host(const char *s)
{
	const char *port = NULL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close == s + 1)
			return false;
		for (const char *q = s + 1; q < close; q++) {
			if (!(is_digit(*q) || strchr("abcdefABCDEF:.", *q)))
				return false;
		}
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return false;
	} else {
		const char *q = s;
		for (; *q && *q != ':'; q++) {
			if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || is_digit(*q) ||
			      *q == '.' || *q == '-'))
				return false;
		}
		if (q == s)
			return false;
		if (*q == ':')
			port = q + 1;
	}
	int64_t n;
	return !port || (is_digit(*port) && conf_parse_int(port, &n) == 0 && n >= 1 && n <= 65535);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int parse_jwks_hosts(void *obj, const char *value, char *reason, size_t rlen)
{
	struct conf *c = obj;
	char *copy = strdup(value);
	size_t cap = 1;
	for (const char *q = value; *q; q++)
		cap += *q == ',';
	char **v = calloc(cap, sizeof(*v));
	if (!copy || !v) {
		free(copy);
		free(v);
		return RELAYD_ENOMEM;
	}
	size_t n = 0;
	int rc = RELAYD_OK;
	char *save = NULL;
	/* strtok_r skips empty fields, so count them first: "a,,b" is a mistake. */
	bool empty_field = value[0] == ',' || strstr(value, ",,") ||
	                   (value[0] && value[strlen(value) - 1] == ',');
	for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ' || *tok == '\t')
			tok++;
		size_t len = strlen(tok);
		while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
			tok[--len] = '\0';
		char shown[EXCERPT_SIZE];
		ini_excerpt(shown, sizeof(shown), tok);
		if (!*tok)
			empty_field = true;
		else if (!is_allowed_host(tok))
			rc = set_reason(reason, rlen,
			                "jwks_allowed_hosts: invalid host '%s' (expected host[:port])", shown);
		else if (!(v[n++] = strdup(tok)))
			rc = RELAYD_ENOMEM;
	}
	if (rc == 0 && (empty_field || n == 0))
		rc = set_reason(reason, rlen,
		                "jwks_allowed_hosts: expected a comma-separated list of host[:port] "
		                "without empty items");
	free(copy);
	if (rc) {
		free_strv(v, n);
		return rc;
	}
	free_strv(c->jwks_allowed_hosts, c->n_jwks_allowed_hosts);
	c->jwks_allowed_hosts = v;
	c->n_jwks_allowed_hosts = n;
	return RELAYD_OK;
}

#define RELAYD_INT(k, d, lo, field)                                                            \
	{ .key = k, .kind = SPEC_INT, .def = d, .offset = offsetof(struct conf, field), .min = lo, \
	  .max = INT32_MAX }
#define RELAYD_STR(k, d, field)                                                                \
	{ .key = k, .kind = SPEC_STRING, .def = d, .offset = offsetof(struct conf, field) }
#define CUSTOM(k, d, fn) { .key = k, .kind = SPEC_CUSTOM, .def = d, .custom = fn }

static const struct key_spec relayd_specs[] = {
	CUSTOM("listen", "127.0.0.1:9090", parse_listen),
	CUSTOM("workers", "0", parse_workers),
	RELAYD_STR("plugin_dir", "build/plugins", plugin_dir),
	{.key = "max_body", .kind = SPEC_SIZE, .def = "1M", .offset = offsetof(struct conf, max_body),
	 .min = 1},
	CUSTOM("log_format", "logfmt", parse_log_format),
	CUSTOM("log_level", "info", parse_log_level),
	CUSTOM("audience", NULL, parse_audience),
	CUSTOM("jwks_allowed_hosts",
	       "visibility.amp.cisco.com,visibility.eu.amp.cisco.com,visibility.apjc.amp.cisco.com",
	       parse_jwks_hosts),
	CUSTOM("jwks_scheme", "https", parse_jwks_scheme),
	RELAYD_STR("proxy", NULL, proxy),
	RELAYD_STR("no_proxy", NULL, no_proxy),
	RELAYD_STR("ca_file", NULL, ca_file),
	RELAYD_INT("timeout_ms", "10000", 1, timeout_ms),
	RELAYD_INT("deadline_ms", "30000", 1, deadline_ms),
	RELAYD_INT("drain_ms", "10000", 0, drain_ms),
	RELAYD_INT("max_headers", "100", 1, max_headers),
	RELAYD_INT("jwt_leeway_s", "60", 0, jwt_leeway_s),
	RELAYD_INT("jwks_timeout_ms", "5000", 1, jwks_timeout_ms),
	RELAYD_INT("jwks_refresh_s", "600", 1, jwks_refresh_s),
};
#define N_RELAYD_SPECS (sizeof(relayd_specs) / sizeof(relayd_specs[0]))

/* ---- [plugin.<name>]: the host's keys --------------------------------- */

static int parse_mount(void *obj, const char *value, char *reason, size_t rlen)
{
	struct conf_plugin *p = obj;
	char shown[EXCERPT_SIZE];
	bool ok = value[0] == '/' && !strstr(value, "//");
	for (const char *q = value; ok && *q; q++) {
		ok = (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || is_digit(*q) ||
		     strchr("._~-/", *q);
	}
	if (!ok) {
		ini_excerpt(shown, sizeof(shown), value);
		return set_reason(reason, rlen,
		                  "mount: expected a path starting with '/' (letters, digits, '.', '_', "
		                  "'~', '-', single '/'), got '%s'", shown);
	}
	size_t n = strlen(value);
	if (n > 1 && value[n - 1] == '/')
		n--;
	char *m = strndup(value, n);
	if (!m)
		return RELAYD_ENOMEM;
	free(p->mount);
	p->mount = m;
	return RELAYD_OK;
}

static int parse_auth(void *obj, const char *value, char *reason, size_t rlen)
{
	static const char *const names[] = {"securex", "secret", "static", NULL};
	static const enum conf_auth modes[] = {CONF_AUTH_SECUREX, CONF_AUTH_SECRET, CONF_AUTH_STATIC};
	int i;
	int rc = check_choice("auth", value, names, &i, reason, rlen);
	if (rc == 0)
		((struct conf_plugin *)obj)->auth = modes[i];
	return rc;
}

#define PLUGIN_INT(k, d, lo, field)                                                            \
	{ .key = k, .kind = SPEC_INT, .def = d, .offset = offsetof(struct conf_plugin, field),     \
	  .min = lo, .max = INT32_MAX }
#define PLUGIN_SIZE(k, d, field)                                                               \
	{ .key = k, .kind = SPEC_SIZE, .def = d, .offset = offsetof(struct conf_plugin, field),    \
	  .min = 1 }
#define PLUGIN_BOOL(k, d, field)                                                               \
	{ .key = k, .kind = SPEC_BOOL, .def = d, .offset = offsetof(struct conf_plugin, field) }
#define PLUGIN_STR(k, field, sec)                                                              \
	{ .key = k, .kind = SPEC_STRING, .offset = offsetof(struct conf_plugin, field),            \
	  .secret = sec }

/* A NULL default on mount, max_body, timeout_ms and rate_burst means
 * "computed" (plugin_default); on the strings it means optional. The order
 * matters: rate_limit comes before rate_burst, whose default depends on it. */
static const struct key_spec plugin_specs[] = {
	PLUGIN_BOOL("enabled", "true", enabled),
	PLUGIN_BOOL("required", "false", required),
	PLUGIN_STR("path", path, false),
	CUSTOM("mount", NULL, parse_mount),
	PLUGIN_STR("audience", audience, false),
	PLUGIN_STR("client_token", client_token, true),
	PLUGIN_SIZE("max_body", NULL, max_body),
	PLUGIN_INT("max_upstream_inflight", "1024", 1, max_upstream_inflight),
	PLUGIN_SIZE("max_response_body", "16M", max_response_body),
	CUSTOM("auth", "securex", parse_auth),
	PLUGIN_STR("secret", secret, true),
	PLUGIN_STR("api_key", api_key, true),
	PLUGIN_INT("timeout_ms", NULL, 1, timeout_ms),
	PLUGIN_INT("entities_limit", "100", 1, entities_limit),
	PLUGIN_STR("proxy", proxy, false),
	PLUGIN_STR("ca_file", ca_file, false),
	PLUGIN_INT("rate_limit", "0", 0, rate_limit),
	PLUGIN_INT("rate_burst", NULL, 1, rate_burst),
	PLUGIN_INT("cache_ttl_s", "0", 0, cache_ttl_s),
};
#define N_PLUGIN_SPECS (sizeof(plugin_specs) / sizeof(plugin_specs[0]))

static bool is_host_key(const char *key)
{
	return spec_find(plugin_specs, N_PLUGIN_SPECS, key) != NULL;
}

/* The default text of a host key of @p p, after [relayd] is done. */
static const char *plugin_default(const struct conf *c, const struct conf_plugin *p,
                                  const struct key_spec *s, char *buf, size_t n)
{
	if (strcmp(s->key, "mount") == 0) {
		snprintf(buf, n, "/%s", p->name);
		return buf;
	}
	if (strcmp(s->key, "max_body") == 0 || strcmp(s->key, "timeout_ms") == 0)
		return conf_relayd_get(c, s->key);
	if (strcmp(s->key, "rate_burst") == 0) {
		snprintf(buf, n, "%" PRId64, p->rate_limit > 1 ? p->rate_limit : 1);
		return buf;
	}
	return s->def;
}

/* ---- applying a section's entries -------------------------------------- */

struct section {
	const char *label; /* "relayd" or "plugin.<name>" for messages */
	int line;
	const struct key_spec *specs;
	size_t n_specs;
	bool open_keys; /* keep unknown keys for a later schema (plugins) */
	void *obj;
	struct conf_entry **entries;
	size_t *n, *cap;
};

static int apply_written(const struct errctx *e, struct section *s)
{
	char reason[REASON_SIZE];
	for (size_t i = 0; i < *s->n; i++) {
		struct conf_entry *ent = &(*s->entries)[i];
		const struct key_spec *spec = spec_find(s->specs, s->n_specs, ent->key);
		if (!spec) {
			if (s->open_keys)
				continue;
			char shown[EXCERPT_SIZE];
			ini_excerpt(shown, sizeof(shown), ent->key);
			return fail_at(e, ent->line, "unknown key '%s' in [%s]", shown, s->label);
		}
		ent->host_key = true;
		ent->secret = spec->secret;
		int rc = apply_spec(spec, s->obj, ent->value, reason, sizeof(reason));
		if (rc == RELAYD_EINVAL)
			return fail_at(e, ent->line, "%s", reason);
		if (rc)
			return rc;
	}
	return RELAYD_OK;
}

/* Adds and applies defaults for the keys not written; @p plugin_of is the
 * plugin (computed defaults) or NULL for [relayd]. */
static int apply_defaults(const struct errctx *e, struct section *s, const struct conf *c,
                          const struct conf_plugin *plugin_of)
{
	char reason[REASON_SIZE], buf[256];
	for (size_t i = 0; i < s->n_specs; i++) {
		const struct key_spec *spec = &s->specs[i];
		if (entries_find(*s->entries, *s->n, spec->key))
			continue;
		const char *def =
		    plugin_of ? plugin_default(c, plugin_of, spec, buf, sizeof(buf)) : spec->def;
		if (!def)
			continue;
		int rc = entries_add(s->entries, s->n, s->cap, spec->key, def, 0, true, spec->secret);
		if (rc == 0)
			rc = apply_spec(spec, s->obj, def, reason, sizeof(reason));
		/* Defaults are valid by construction; say so loudly if one is not. */
		if (rc == RELAYD_EINVAL)
			return fail_at(e, s->line, "[%s]: bad built-in default: %s", s->label, reason);
		if (rc)
			return rc;
	}
	return RELAYD_OK;
}

static int validate_relayd(const struct errctx *e, struct conf *c)
{
	struct section s = {.label = "relayd", .line = c->relayd_line, .specs = relayd_specs,
	                    .n_specs = N_RELAYD_SPECS, .obj = c, .entries = &c->relayd_entries,
	                    .n = &c->n_relayd_entries, .cap = &c->cap_relayd_entries};
	int rc = apply_written(e, &s);
	return rc ? rc : apply_defaults(e, &s, c, NULL);
}

static int validate_plugin(const struct errctx *e, struct conf *c, struct conf_plugin *p)
{
	char label[128];
	snprintf(label, sizeof(label), "plugin.%s", p->name);
	struct section s = {.label = label, .line = p->line, .specs = plugin_specs,
	                    .n_specs = N_PLUGIN_SPECS, .open_keys = true, .obj = p,
	                    .entries = &p->entries, .n = &p->n_entries, .cap = &p->cap_entries};
	int rc = apply_written(e, &s);
	return rc ? rc : apply_defaults(e, &s, c, p);
}

/* ---- checks across sections -------------------------------------------- */

static bool is_unset(const char *s)
{
	return !s || !*s;
}

static int check_plugin_against_others(const struct errctx *e, const struct conf *c, size_t i)
{
	const struct conf_plugin *p = &c->plugins[i];
	for (size_t j = 0; j < i; j++) {
		const struct conf_plugin *q = &c->plugins[j];
		if (q->enabled && strcmp(q->mount, p->mount) == 0)
			return fail_at(e, p->line,
			               "[plugin.%s]: mount '%s' is already used by [plugin.%s] (line %d)",
			               p->name, p->mount, q->name, q->line);
	}
	if (p->auth == CONF_AUTH_STATIC && is_unset(p->client_token) && !conf_listen_is_loopback(c)) {
		char listen[EXCERPT_SIZE];
		ini_excerpt(listen, sizeof(listen), c->listen);
		return fail_at(e, p->line,
		               "[plugin.%s] uses auth = static without client_token, but listen (%s) "
		               "is not a loopback address",
		               p->name, listen);
	}
	if (p->auth == CONF_AUTH_SECRET && is_unset(p->secret))
		return fail_at(e, p->line, "[plugin.%s] uses auth = secret but secret is not set",
		               p->name);
	return RELAYD_OK;
}

static int cross_check(const struct errctx *e, const struct conf *c)
{
	for (size_t i = 0; i < c->n_plugins; i++) {
		if (!c->plugins[i].enabled)
			continue;
		int rc = check_plugin_against_others(e, c, i);
		if (rc)
			return rc;
	}
	return RELAYD_OK;
}

/* ---- load / free --------------------------------------------------------- */

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static void set_plain_error(char *err, size_t errlen, const char *file, const char *reason)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", file, reason);
}

static int load_text(struct loader *ld, const char *buf, size_t len)
{
	char ini_err[REASON_SIZE];
	int line = 0;
	int rc = ini_parse_buffer(buf, len, on_section, on_entry, ld, &line, ini_err,
	                          sizeof(ini_err));
	/* A callback failure left its own message; a syntax error is ini's. */
	if (rc == RELAYD_EINVAL && ini_err[0])
		return fail_at(&ld->e, line, "%s", ini_err);
	return rc;
}

int conf_load_buffer(const char *name, const char *buf, size_t len, struct conf **out,
                     char *err, size_t errlen)
{
	*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	struct conf *c = calloc(1, sizeof(*c));
	if (!c) {
		set_plain_error(err, errlen, name, "out of memory");
		return RELAYD_ENOMEM;
	}
	struct loader ld = {.c = c, .e = {.file = name, .err = err, .errlen = errlen},
	                    .in_relayd = true};
	int rc = RELAYD_ENOMEM;
	c->path = strdup(name);
	c->dir = dir_of(name);
	if (c->path && c->dir)
		rc = load_text(&ld, buf, len);
	if (rc == 0)
		rc = validate_relayd(&ld.e, c);
	for (size_t i = 0; rc == 0 && i < c->n_plugins; i++)
		rc = validate_plugin(&ld.e, c, &c->plugins[i]);
	if (rc == 0)
		rc = cross_check(&ld.e, c);
	if (rc) {
		if (rc == RELAYD_ENOMEM)
			set_plain_error(err, errlen, name, "out of memory");
		conf_free(c);
		return rc;
	}
	*out = c;
	return RELAYD_OK;
}

/* Reads all of @p path into a malloc'd buffer. */
static int read_file(const char *path, char **buf, size_t *len, char *reason, size_t rlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		set_reason(reason, rlen, "cannot open: %s", strerror(errno));
		return RELAYD_EIO;
	}
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	char chunk[8192];
	int rc = relayd_strbuf_append(&b, "", 0);
	size_t n;
	while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b.len + n > CONF_MAX_FILE) {
			set_reason(reason, rlen, "file too large (over %u bytes)", CONF_MAX_FILE);
			rc = RELAYD_EIO;
		} else {
			rc = relayd_strbuf_append(&b, chunk, n);
		}
	}
	if (rc == 0 && ferror(f)) {
		set_reason(reason, rlen, "cannot read: %s", strerror(errno));
		rc = RELAYD_EIO;
	}
	fclose(f);
	if (rc) {
		if (rc == RELAYD_ENOMEM)
			set_reason(reason, rlen, "out of memory");
		relayd_strbuf_free(&b);
		return rc;
	}
	*buf = relayd_strbuf_detach(&b, len);
	return RELAYD_OK;
}

int conf_load(const char *path, struct conf **out, char *err, size_t errlen)
{
	*out = NULL;
	char reason[REASON_SIZE];
	char *buf = NULL;
	size_t len = 0;
	int rc = read_file(path, &buf, &len, reason, sizeof(reason));
	if (rc) {
		set_plain_error(err, errlen, path, reason);
		return rc;
	}
	rc = conf_load_buffer(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_plugins; i++) {
		struct conf_plugin *p = &c->plugins[i];
		free(p->name);
		free(p->path);
		free(p->mount);
		free(p->audience);
		free(p->client_token);
		free(p->secret);
		free(p->api_key);
		free(p->proxy);
		free(p->ca_file);
		entries_free(p->entries, p->n_entries);
	}
	free(c->plugins);
	entries_free(c->relayd_entries, c->n_relayd_entries);
	free(c->path);
	free(c->dir);
	free(c->listen);
	free(c->listen_host);
	free(c->plugin_dir);
	free(c->audience);
	free_strv(c->jwks_allowed_hosts, c->n_jwks_allowed_hosts);
	free(c->proxy);
	free(c->no_proxy);
	free(c->ca_file);
	free(c);
}

/* ---- the plugin's schema ------------------------------------------------- */

static const struct relayd_config_item *schema_find(const struct relayd_config_item *schema,
                                                    const char *key)
{
	for (size_t i = 0; schema && schema[i].type != RELAYD_CFG_END; i++) {
		if (schema[i].key && strcmp(schema[i].key, key) == 0)
			return &schema[i];
	}
	return NULL;
}

/* Checks @p value against the type of @p item. */
static int check_typed(const struct relayd_config_item *item, const char *value, char *reason,
                       size_t rlen)
{
	char shown[EXCERPT_SIZE];
	if (item->flags & RELAYD_CFG_SECRET)
		snprintf(shown, sizeof(shown), "(secret)");
	else
		ini_excerpt(shown, sizeof(shown), value);
	int64_t i;
	uint64_t u;
	bool b;
	switch (item->type) {
	case RELAYD_CFG_STRING:
		return RELAYD_OK;
	case RELAYD_CFG_INT:
		if (conf_parse_int(value, &i))
			return set_reason(reason, rlen, "%s: expected an integer, got '%s'", item->key,
			                  shown);
		return RELAYD_OK;
	case RELAYD_CFG_BOOL:
		if (conf_parse_bool(value, &b))
			return set_reason(reason, rlen,
			                  "%s: expected a boolean (true/false, yes/no, on/off, 1/0), "
			                  "got '%s'", item->key, shown);
		return RELAYD_OK;
	case RELAYD_CFG_SIZE:
		if (conf_parse_size(value, &u) || u > INT64_MAX)
			return set_reason(reason, rlen,
			                  "%s: expected a size (bytes with an optional K, M or G suffix), "
			                  "got '%s'", item->key, shown);
		return RELAYD_OK;
	case RELAYD_CFG_URL:
		if (!is_http_url(value))
			return set_reason(reason, rlen, "%s: expected an http:// or https:// URL, got '%s'",
			                  item->key, shown);
		return RELAYD_OK;
	case RELAYD_CFG_PATH:
		if (!*value)
			return set_reason(reason, rlen, "%s: expected a path, got an empty value", item->key);
		return RELAYD_OK;
	case RELAYD_CFG_END:
		break;
	}
	return set_reason(reason, rlen, "%s: the plugin's schema gives it an unknown type %d",
	                  item->key, (int)item->type);
}

static int check_written_plugin_keys(const struct errctx *e, struct conf_plugin *p,
                                     const struct relayd_config_item *schema)
{
	char reason[REASON_SIZE];
	for (size_t i = 0; i < p->n_entries; i++) {
		struct conf_entry *ent = &p->entries[i];
		if (ent->host_key)
			continue;
		const struct relayd_config_item *item = schema_find(schema, ent->key);
		if (!item) {
			char shown[EXCERPT_SIZE];
			ini_excerpt(shown, sizeof(shown), ent->key);
			return fail_at(e, ent->line, "unknown key '%s' in [plugin.%s]", shown, p->name);
		}
		ent->secret = (item->flags & RELAYD_CFG_SECRET) != 0;
		if (check_typed(item, ent->value, reason, sizeof(reason)))
			return fail_at(e, ent->line, "%s", reason);
	}
	return RELAYD_OK;
}

static int add_schema_defaults(const struct errctx *e, struct conf_plugin *p,
                               const struct relayd_config_item *schema)
{
	char reason[REASON_SIZE];
	for (size_t i = 0; schema && schema[i].type != RELAYD_CFG_END; i++) {
		const struct relayd_config_item *item = &schema[i];
		if (!item->key || is_host_key(item->key) ||
		    entries_find(p->entries, p->n_entries, item->key))
			continue;
		if (item->flags & RELAYD_CFG_REQUIRED) {
			/* A disabled plugin is never started, so it needs nothing. */
			if (p->enabled)
				return fail_at(e, p->line, "[plugin.%s]: missing required key '%s'", p->name,
				               item->key);
			continue;
		}
		if (!item->default_value)
			continue;
		if (check_typed(item, item->default_value, reason, sizeof(reason)))
			return fail_at(e, p->line, "[plugin.%s]: the plugin's default is invalid: %s",
			               p->name, reason);
		int rc = entries_add(&p->entries, &p->n_entries, &p->cap_entries, item->key,
		                     item->default_value, 0, false,
		                     (item->flags & RELAYD_CFG_SECRET) != 0);
		if (rc)
			return rc;
	}
	return RELAYD_OK;
}

int conf_plugin_apply_schema(struct conf_plugin *p, const struct relayd_config_item *schema,
                             const char *file, char *err, size_t errlen)
{
	struct errctx e = {.file = file, .err = err, .errlen = errlen};
	int rc = check_written_plugin_keys(&e, p, schema);
	if (rc == 0)
		rc = add_schema_defaults(&e, p, schema);
	if (rc == RELAYD_ENOMEM)
		set_plain_error(err, errlen, file, "out of memory");
	if (rc == 0)
		p->schema = schema;
	return rc;
}

/* ---- getters --------------------------------------------------------------- */

struct conf_plugin *conf_find_plugin(struct conf *c, const char *name)
{
	for (size_t i = 0; c && i < c->n_plugins; i++) {
		if (strcmp(c->plugins[i].name, name) == 0)
			return &c->plugins[i];
	}
	return NULL;
}

const char *conf_plugin_get(const struct conf_plugin *p, const char *key)
{
	const struct conf_entry *e = entries_find(p->entries, p->n_entries, key);
	return e ? e->value : NULL;
}

int conf_plugin_key_line(const struct conf_plugin *p, const char *key)
{
	const struct conf_entry *e = entries_find(p->entries, p->n_entries, key);
	return e && e->line > 0 ? e->line : p->line;
}

int conf_plugin_get_int(const struct conf_plugin *p, const char *key, int64_t *out)
{
	const char *v = conf_plugin_get(p, key);
	if (!v)
		return RELAYD_ENOTFOUND;
	if (conf_parse_int(v, out) == 0)
		return RELAYD_OK;
	/* SIZE keys are read as integers too (plugin.h). */
	uint64_t u;
	if (conf_parse_size(v, &u) || u > INT64_MAX)
		return RELAYD_EINVAL;
	*out = (int64_t)u;
	return RELAYD_OK;
}

int conf_plugin_get_bool(const struct conf_plugin *p, const char *key, bool *out)
{
	const char *v = conf_plugin_get(p, key);
	if (!v)
		return RELAYD_ENOTFOUND;
	return conf_parse_bool(v, out);
}

const char *conf_relayd_get(const struct conf *c, const char *key)
{
	const struct conf_entry *e = entries_find(c->relayd_entries, c->n_relayd_entries, key);
	return e ? e->value : NULL;
}

int conf_relayd_key_line(const struct conf *c, const char *key)
{
	const struct conf_entry *e = entries_find(c->relayd_entries, c->n_relayd_entries, key);
	return e && e->line > 0 ? e->line : c->relayd_line;
}

char *conf_expected_audience(const struct conf *c, const struct conf_plugin *p)
{
	if (!is_unset(p->audience))
		return strdup(p->audience);
	if (!c->audience)
		return NULL;
	if (strcmp(p->mount, "/") == 0)
		return strdup(c->audience);
	size_t n = strlen(c->audience) + strlen(p->mount) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s", c->audience, p->mount);
	return s;
}

char *conf_path_resolve(const struct conf *c, const char *value)
{
	if (!value)
		return NULL;
	if (value[0] == '/' || strcmp(c->dir, ".") == 0)
		return strdup(value);
	size_t n = strlen(c->dir) + strlen(value) + 2;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s%s", c->dir, strcmp(c->dir, "/") == 0 ? "" : "/", value);
	return s;
}

bool conf_listen_is_loopback(const struct conf *c)
{
	const char *h = c->listen_host;
	if (!h)
		return false;
	if (strcasecmp(h, "localhost") == 0)
		return true;
	struct in_addr a4;
	if (inet_pton(AF_INET, h, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	struct in6_addr a6;
	return inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

int conf_plugin_check_audience(const struct conf *c, const struct conf_plugin *p, char *err,
                               size_t errlen)
{
	/* A plugin's own audience is a complete expected aud, so only plugins
	 * without one need [relayd] audience (never the Host header, §3). */
	if (p->auth != CONF_AUTH_SECUREX || c->audience || !is_unset(p->audience))
		return RELAYD_OK;
	snprintf(err, errlen, "%s:%d: [plugin.%s] uses auth = securex but [relayd] audience is not set",
	         c->path, p->line, p->name);
	return RELAYD_EINVAL;
}
