/* SPDX-License-Identifier: MIT */
/* The plugin descriptor: the one thing a plugin .so exports. */
#ifndef RELAYD_PLUGIN_H
#define RELAYD_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <relayd/host.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Major: bumped when anything is removed or changed. Minor: bumped when a
 * field or a host service is appended. Rules and changelog: docs/abi.md. */
#define RELAYD_ABI_MAJOR 1
#define RELAYD_ABI_MINOR 1
#define RELAYD_PLUGIN_MAGIC 0x52504c47u /* "RPLG" */
#define RELAYD_ENTRY_SYMBOL "relayd_plugin_entry"

#if defined(__GNUC__)
#define RELAYD_EXPORT __attribute__((visibility("default")))
#else
#define RELAYD_EXPORT
#endif

/* ---- typed config schema (Fluent Bit's config_map, as data) ------------ */

enum relayd_config_type {
	RELAYD_CFG_END = 0,  /**< terminates the schema array */
	RELAYD_CFG_STRING,
	RELAYD_CFG_INT,      /**< decimal integer */
	RELAYD_CFG_BOOL,     /**< true/false/yes/no/on/off/1/0 */
	RELAYD_CFG_SIZE,     /**< bytes with optional K/M/G suffix, read with config_int */
	RELAYD_CFG_URL,      /**< http:// or https:// URL */
	RELAYD_CFG_PATH,     /**< file or folder; relative to the config file's folder */
};

enum relayd_config_flags {
	RELAYD_CFG_REQUIRED = 1u << 0, /**< no default; must be set when enabled */
	RELAYD_CFG_SECRET = 1u << 1,   /**< never logged, shown as "(secret)" */
};

struct relayd_config_item {
	const char *key;
	enum relayd_config_type type;
	const char *default_value;  /**< as written in the config file; NULL = none */
	unsigned flags;             /**< relayd_config_flags */
	const char *doc;            /**< one sentence for --plugin-help */
};

/* ---- SecureX relay input policy (applied by the host, DECISIONS.md §4) -- */

enum relayd_type_case { RELAYD_TYPE_FOLD = 0, RELAYD_TYPE_EXACT = 1 };
enum relayd_dedup { RELAYD_DEDUP_VALUE = 0, RELAYD_DEDUP_PAIR = 1 };
enum relayd_route_auth {
	RELAYD_AUTH_REQUIRED = 0,      /**< always verify the token */
	RELAYD_AUTH_IF_SUPPORTED = 1,  /**< only when a supported observable remains */
	RELAYD_AUTH_NONE = 2,          /**< never */
};
/** How invalid observable bodies are described (contracts/securex-relay.md §4). */
enum relayd_payload_style {
	RELAYD_PAYLOAD_PYTHON = 0, /**< "Invalid JSON payload received. {0: {'value': [...]}}" */
	RELAYD_PAYLOAD_JSON = 1,   /**< "Invalid JSON payload received. {\"0\": {...}}." */
};

struct relayd_relay_policy {
	enum relayd_type_case type_case;
	enum relayd_dedup dedup;
	bool auth_when_empty;            /**< check the token even with no supported observable */
	enum relayd_route_auth refer_auth;
	enum relayd_payload_style payload_style;
	const char *invalid_payload_code; /**< NULL: "invalid argument" */
	const char *watchdog_message;     /**< NULL: "Invalid Health Check" */
	int entities_clamp;               /**< 0: 1000 */
};

/* ---- calls ----------------------------------------------------------- */

struct relayd_observable {
	const char *type;   /**< lower-cased under RELAYD_TYPE_FOLD */
	const char *value;  /**< exactly as received */
};

/** observe/refer/health: return at once; end the call later with exactly one
 *  finish or fail. May run on any worker thread, concurrently. */
typedef void (*relayd_relay_fn)(void *state, struct relayd_call *call,
                                const struct relayd_observable *obs, size_t n);
typedef void (*relayd_route_fn)(void *state, struct relayd_call *call);

/** Envelope for the host's own answers (404, 405, 413, 401, 503) under a mount. */
enum relayd_envelope {
	RELAYD_ENVELOPE_RELAY = 0,   /**< Flask: {"code":404,"message":…,"reason":…} */
	RELAYD_ENVELOPE_SUCCESS = 1, /**< {"success":false,"error":{"code":…,"message":…}} */
	RELAYD_ENVELOPE_CTS = 2,     /**< {"error":"…"} */
};

/** An extra route under the mount. */
struct relayd_route {
	const char *method;   /**< "GET", "POST", "OPTIONS", …; NULL ends the array */
	const char *path;     /**< relative to the mount, no leading '/'; a "*" segment matches
	                           any one segment ("api/v1/s3/alert/ *" without the space);
	                           "" is the mount itself */
	relayd_route_fn handler;
	enum relayd_route_auth auth; /**< REQUIRED uses the plugin's auth mode; NONE skips it */
};

/* ---- the descriptor --------------------------------------------------- */

struct relayd_plugin {
	/* These four come first and never move: they guard the rest. */
	uint32_t magic;        /**< RELAYD_PLUGIN_MAGIC */
	uint16_t abi_major;    /**< RELAYD_ABI_MAJOR at build time */
	uint16_t abi_minor;    /**< RELAYD_ABI_MINOR at build time */
	uint32_t struct_size;  /**< sizeof(struct relayd_plugin) at build time */

	const char *name;         /**< [a-z0-9_]+, unique; config section and default mount */
	const char *version;      /**< the plugin's own version */
	const char *description;  /**< one line */
	const char *display_name; /**< provider name in messages ("Pulsedive") */
	const char *const *types; /**< supported observable types, NULL-terminated; may be NULL */
	const struct relayd_config_item *config; /**< schema, ends with type RELAYD_CFG_END */
	enum relayd_envelope envelope;
	struct relayd_relay_policy policy;

	/** Called once, on the main thread, before any request. *state is handed
	 *  back to every callback. Returns RELAYD_OK or a negative status (after
	 *  config_error or log_plugin saying why). pctx lives until fini returns. */
	int (*init)(const struct relayd_host *host, struct relayd_plugin_ctx *pctx, void **state);
	/** Called once on shutdown or after a reload replaced this instance, when
	 *  no call of this instance is in flight. Must cancel its timers. */
	void (*fini)(void *state);
	/** Extra filter after the type check (NULL: the type check alone). */
	bool (*supports)(void *state, const char *type, const char *value);

	relayd_relay_fn observe;  /**< NULL: no relay routes for observe */
	relayd_relay_fn refer;
	relayd_relay_fn health;   /**< obs is NULL, n is 0 */
	const struct relayd_route *routes; /**< extra routes, ends with method NULL; may be NULL */

	/* ABI 1.0 ends here; append below. */
};

typedef const struct relayd_plugin *(*relayd_plugin_entry_fn)(uint16_t host_major,
                                                             uint16_t host_minor);

/** The one exported symbol. A plugin may return NULL to refuse the host. */
RELAYD_EXPORT const struct relayd_plugin *relayd_plugin_entry(uint16_t host_major,
                                                              uint16_t host_minor);

/** Fills the four guard fields. */
#define RELAYD_PLUGIN_HEADER                                                     \
	.magic = RELAYD_PLUGIN_MAGIC, .abi_major = RELAYD_ABI_MAJOR,                  \
	.abi_minor = RELAYD_ABI_MINOR, .struct_size = sizeof(struct relayd_plugin)

#ifdef __cplusplus
}
#endif
#endif
