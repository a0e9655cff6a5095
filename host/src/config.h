/* SPDX-License-Identifier: MIT */
/* The relayd config model: load, interpolate, validate etc/relayd.conf. */
#ifndef RELAYD_CONFIG_H
#define RELAYD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <relayd/host.h>
#include <relayd/plugin.h>

/*
 * File format: see ini.h (sections, key = value, '#'/';' comments, inline
 * comments after a blank). On top of it:
 *
 * - Environment: "${NAME}" in a value is replaced by the variable NAME
 *   ([A-Za-z_][A-Za-z0-9_]*). An unset variable is an error, but only in an
 *   active line (a commented-out line is never interpolated). "$${" stands for
 *   a literal "${"; any other '$' is kept as it is. Interpolation runs after
 *   the inline comment is removed, so a variable's value may contain " #".
 * - Sections: [relayd] (at most once; may be absent: all defaults) and
 *   [plugin.<name>] with <name> in [a-z0-9_]+. Anything else is an error.
 * - Errors: every message is "<file>:<line>: <reason>" with <file> exactly as
 *   given to conf_load(). The only exception is a file that cannot be read at
 *   all: "<file>: <reason>".
 * - Two phases: conf_load() checks [relayd] and the keys every plugin section
 *   has (the host's keys below). Other keys in a plugin section are kept as
 *   text until the plugin is loaded and conf_plugin_apply_schema() checks them
 *   against the plugin's schema. Whether <name> is a known plugin is the
 *   loader's check, not this module's.
 */

enum conf_log_format { CONF_LOG_LOGFMT = 0, CONF_LOG_JSON = 1 };
enum conf_scheme { CONF_SCHEME_HTTPS = 0, CONF_SCHEME_HTTP = 1 };
enum conf_auth { CONF_AUTH_SECUREX = 0, CONF_AUTH_SECRET = 1, CONF_AUTH_STATIC = 2 };

/** One key of a section, in file order; defaults are appended after them. */
struct conf_entry {
	char *key;
	char *value;   /**< after ${} interpolation; for a default, the default text */
	int line;      /**< line in the file; 0 for a default the host added */
	bool host_key; /**< one of the host's keys (typed in the structs below) */
	bool secret;   /**< a credential: never log it, show "(secret)" */
};

/** A [plugin.<name>] section. Strings are owned by the struct conf. */
struct conf_plugin {
	char *name;  /**< <name> of [plugin.<name>]: [a-z0-9_]{1,64} */
	int line;    /**< line of the section header */

	/* The host's keys, typed, defaults applied. Optional strings are NULL
	 * when absent; an empty value ("key =") is kept as "". */
	bool enabled;                  /**< default true */
	bool required;                 /**< default false: refusal only shows in /plugins */
	char *path;                    /**< as written; NULL: the loader looks in plugin_dir */
	char *mount;                   /**< default "/<name>"; starts with '/', no trailing '/' unless "/" */
	char *audience;                /**< overrides [relayd] audience + mount; kept as written */
	char *client_token;            /**< secret; auth = static */
	uint64_t max_body;             /**< default [relayd] max_body */
	int64_t max_upstream_inflight; /**< default 1024 */
	uint64_t max_response_body;    /**< default 16M */
	enum conf_auth auth;           /**< default securex */
	char *secret;                  /**< secret; HS256 key for auth = secret */
	char *api_key;                 /**< secret; upstream key for auth = static */
	int64_t timeout_ms;            /**< default [relayd] timeout_ms */
	int64_t entities_limit;        /**< default 100 */
	char *proxy;
	char *ca_file;                 /**< as written; resolve with conf_path_resolve() */
	int64_t rate_limit;            /**< upstream requests/s per API key; default 0 = off */
	int64_t rate_burst;            /**< bucket size, >= 1; default max(1, rate_limit),
	                                    i.e. one second's worth of requests */
	int64_t cache_ttl_s;           /**< default 0 = off */

	/** Every key of the section in file order, host keys and plugin keys,
	 *  then defaults (line 0) for host keys not written and, once
	 *  conf_plugin_apply_schema() ran, for schema keys not written. */
	struct conf_entry *entries;
	size_t n_entries;
	size_t cap_entries;
	/** Set by conf_plugin_apply_schema(); NULL before. Borrowed. */
	const struct relayd_config_item *schema;
};

/** A loaded config file. Everything in it is owned by it (conf_free). */
struct conf {
	char *path;        /**< as given to conf_load() */
	char *dir;         /**< folder of path ("." when path has none) */
	int relayd_line;   /**< line of [relayd]; 0 when the file has none */
	/** [relayd] keys in file order, then defaults (line 0) for the others. */
	struct conf_entry *relayd_entries;
	size_t n_relayd_entries;
	size_t cap_relayd_entries;

	char *listen;        /**< as written, default "127.0.0.1:9090" */
	char *listen_host;   /**< host part, without [] for IPv6 */
	int listen_port;     /**< 0..65535; 0 = ephemeral */
	int workers;         /**< 1..1024: 0 or absent in the file = online CPUs */
	char *plugin_dir;    /**< default "build/plugins"; relative to the current
	                          directory (not the file's), as the in-tree config
	                          expects to be run from the source root */
	uint64_t max_body;   /**< bytes, default 1M */
	enum conf_log_format log_format;    /**< default logfmt */
	enum relayd_log_level log_level;    /**< default info */
	char *audience;      /**< NULL when absent; one trailing '/' removed */
	char **jwks_allowed_hosts;          /**< host[:port] each, trimmed */
	size_t n_jwks_allowed_hosts;
	enum conf_scheme jwks_scheme;       /**< default https */
	char *proxy;         /**< NULL when absent */
	char *no_proxy;      /**< NULL when absent */
	char *ca_file;       /**< NULL when absent; resolve with conf_path_resolve() */
	int64_t timeout_ms;  /**< default 10000 */
	int64_t deadline_ms; /**< default 30000 */
	int64_t drain_ms;    /**< default 10000 */
	int64_t max_headers; /**< default 100 */
	int64_t jwt_leeway_s;    /**< default 60 */
	int64_t jwks_timeout_ms; /**< default 5000 */
	int64_t jwks_refresh_s;  /**< default 600 */

	struct conf_plugin *plugins; /**< in file order */
	size_t n_plugins;
};

/**
 * Reads @p path (at most 16 MiB) and hands it to conf_load_buffer().
 * Returns 0 and sets *out (free with conf_free), or a negative relayd_status
 * with the message in @p err and *out NULL: RELAYD_EIO for an unreadable
 * file ("<file>: cannot open: <strerror>"), RELAYD_EINVAL for an invalid
 * config ("<file>:<line>: <reason>"), RELAYD_ENOMEM ("<file>: out of memory").
 */
int conf_load(const char *path, struct conf **out, char *err, size_t errlen);

/**
 * Parses and validates config text @p buf of @p len bytes; @p name is the
 * file name used in messages and for conf->dir. Checks: syntax, ${}
 * interpolation, [relayd] keys and types, the host's plugin keys and types,
 * then across plugins: two enabled plugins on one mount; an enabled plugin
 * with auth = securex and no audience (neither [relayd] nor its own);
 * auth = static without client_token when listen is not loopback;
 * auth = secret without secret. Same returns as conf_load().
 */
int conf_load_buffer(const char *name, const char *buf, size_t len, struct conf **out,
                     char *err, size_t errlen);

/** Frees @p c and everything in it. NULL is fine. */
void conf_free(struct conf *c);

/**
 * Checks the plugin keys of @p p against @p schema (ends with RELAYD_CFG_END):
 * an unknown key, a value of the wrong type, or (when p->enabled) a missing
 * RELAYD_CFG_REQUIRED key is an error; defaults are appended for the rest.
 * Schema rows that name a host key are skipped (the host checked it).
 * Safe to call twice. @p file is the name for messages. Returns 0, or
 * RELAYD_EINVAL with "<file>:<line>: <reason>" in @p err, or RELAYD_ENOMEM.
 */
int conf_plugin_apply_schema(struct conf_plugin *p, const struct relayd_config_item *schema,
                             const char *file, char *err, size_t errlen);

/** The plugin section called @p name, or NULL. */
struct conf_plugin *conf_find_plugin(struct conf *c, const char *name);

/**
 * The value of @p key in @p p after defaults (host keys always have one, from
 * the file or a default; schema keys once conf_plugin_apply_schema() ran), or
 * NULL. Borrowed: valid until conf_free().
 */
const char *conf_plugin_get(const struct conf_plugin *p, const char *key);

/** The line where @p key is written in @p p's section, or the section's line
 *  when it is not written (absent, or a default). */
int conf_plugin_key_line(const struct conf_plugin *p, const char *key);

/** Reads an INT or SIZE key of @p p: 0 and *out, or RELAYD_ENOTFOUND (no
 *  value) / RELAYD_EINVAL (not a number). */
int conf_plugin_get_int(const struct conf_plugin *p, const char *key, int64_t *out);

/** Reads a BOOL key of @p p: 0 and *out, or RELAYD_ENOTFOUND / RELAYD_EINVAL. */
int conf_plugin_get_bool(const struct conf_plugin *p, const char *key, bool *out);

/** A [relayd] value after defaults (as text), or NULL for an optional key
 *  that is absent or an unknown key. Borrowed. */
const char *conf_relayd_get(const struct conf *c, const char *key);

/** The line of @p key in [relayd], or the section's line when not written
 *  (0 when the file has no [relayd]). */
int conf_relayd_key_line(const struct conf *c, const char *key);

/**
 * The "aud" a token for @p p must carry (DECISIONS.md §3): p->audience when
 * set, else [relayd] audience + mount (mount "/" → audience itself). Returns a
 * malloc'd string the caller frees, or NULL when neither is set or on ENOMEM.
 */
char *conf_expected_audience(const struct conf *c, const struct conf_plugin *p);

/** @p value as a path: unchanged when absolute, else relative to c->dir.
 *  Malloc'd, caller frees; NULL on ENOMEM or a NULL @p value. */
char *conf_path_resolve(const struct conf *c, const char *value);

/** Whether listen_host is a loopback address (127.0.0.0/8, ::1, localhost). */
bool conf_listen_is_loopback(const struct conf *c);

/**
 * For a plugin that verifies SecureX tokens (the loader knows which: relay
 * routes or routes with auth): an expected audience must exist, from its own
 * `audience` or [relayd] audience. Returns 0, or RELAYD_EINVAL with
 * "<file>:<section line>: [plugin.x] uses auth = securex but [relayd] audience is not set".
 */
int conf_plugin_check_audience(const struct conf *c, const struct conf_plugin *p, char *err,
                               size_t errlen);

/** true/false, yes/no, on/off, 1/0 (any case). 0 or RELAYD_EINVAL. */
int conf_parse_bool(const char *s, bool *out);

/** Bytes: decimal digits with an optional K, M or G suffix (any case,
 *  powers of 1024): "512", "64K", "1M", "2g". 0 or RELAYD_EINVAL (also on
 *  overflow). */
int conf_parse_size(const char *s, uint64_t *out);

/** A decimal integer with an optional '-', no blanks. 0 or RELAYD_EINVAL
 *  (also out of int64_t range). */
int conf_parse_int(const char *s, int64_t *out);

#endif
