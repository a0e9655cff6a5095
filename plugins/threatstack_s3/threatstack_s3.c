/* SPDX-License-Identifier: MIT */
/* The threatstack_s3 descriptor: config schema, routes, init and fini. */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <relayd/plugin.h>
#include <relayd/status.h>

#include "ts_fs.h"
#include "ts_plugin.h"
#include "ts_routes.h"

#define DEFAULT_THREATSTACK_URL "https://app.threatstack.com/api/v1"

static const struct relayd_config_item ts_config[] = {
    {"store", RELAYD_CFG_STRING, "dir", 0, "Where alerts are archived: dir (a local folder) or s3."},
    {"store_dir", RELAYD_CFG_PATH, "var/threatstack", 0, "Folder of the dir store (same key layout as S3)."},
    {"s3_bucket", RELAYD_CFG_STRING, NULL, 0, "S3 bucket (required with store = s3)."},
    {"s3_prefix", RELAYD_CFG_STRING, NULL, 0, "Optional key prefix (the reference's TS_AWS_S3_PREFIX); used by both stores."},
    {"s3_endpoint", RELAYD_CFG_URL, NULL, 0, "S3 endpoint URL; default https://s3.<s3_region>.amazonaws.com."},
    {"s3_region", RELAYD_CFG_STRING, "us-east-1", 0, "S3 region used for SigV4 signing."},
    {"s3_path_style", RELAYD_CFG_BOOL, "false", 0, "Path-style addressing (<endpoint>/<bucket>/<key>) instead of virtual-host."},
    {"s3_access_key", RELAYD_CFG_STRING, NULL, 0, "S3 access key id (required with store = s3)."},
    {"s3_secret_key", RELAYD_CFG_STRING, NULL, RELAYD_CFG_SECRET, "S3 secret access key (required with store = s3)."},
    {"s3_session_token", RELAYD_CFG_STRING, NULL, RELAYD_CFG_SECRET, "Session token for temporary S3 credentials."},
    {"spool_dir", RELAYD_CFG_PATH, "var/spool/threatstack", 0, "Durable spool of accepted, undelivered alerts."},
    {"spool_max_bytes", RELAYD_CFG_SIZE, "1G", 0, "Spool size limit; beyond it webhooks get 507."},
    {"spool_max_age_s", RELAYD_CFG_INT, "604800", 0, "Alerts spooled longer than this move to spool_dir/dead/."},
    {"retry_min_ms", RELAYD_CFG_INT, "1000", 0, "First retry delay; doubles per failure (+/-20 % jitter)."},
    {"retry_max_ms", RELAYD_CFG_INT, "60000", 0, "Longest retry delay."},
    {"threatstack_url", RELAYD_CFG_URL, DEFAULT_THREATSTACK_URL, 0, "Threat Stack API v1 base URL."},
    {"threatstack_key", RELAYD_CFG_STRING, NULL, RELAYD_CFG_SECRET, "Threat Stack API key, sent as Authorization."},
    {"threatstack_org", RELAYD_CFG_STRING, NULL, 0, "Optional Threat Stack organization id (Organization header)."},
    {"webhook_secret", RELAYD_CFG_STRING, NULL, RELAYD_CFG_SECRET, "Optional shared secret webhooks must carry in webhook_secret_header."},
    {"webhook_secret_header", RELAYD_CFG_STRING, "X-Webhook-Secret", 0, "Header that carries webhook_secret."},
    {"webhook_basic_user", RELAYD_CFG_STRING, NULL, 0, "Optional Basic auth user webhooks must present."},
    {"webhook_basic_password", RELAYD_CFG_STRING, NULL, RELAYD_CFG_SECRET, "Password for webhook_basic_user."},
    {NULL, RELAYD_CFG_END, NULL, 0, NULL},
};

static const struct relayd_route ts_routes[] = {
    {"POST", "api/v1/s3/alert", ts_route_post_alert, RELAYD_AUTH_NONE},
    {"GET", "api/v1/s3/alert", ts_route_get_alerts, RELAYD_AUTH_NONE},
    {"GET", "api/v1/s3/alert/*", ts_route_get_alert, RELAYD_AUTH_NONE},
    {"GET", "api/v1/s3/status", ts_route_status, RELAYD_AUTH_NONE},
    /* The reference's later prefix (commit f385d67), kept as an alias. */
    {"POST", "threatstack-to-s3/api/v1/s3/alert", ts_route_post_alert, RELAYD_AUTH_NONE},
    {"GET", "threatstack-to-s3/api/v1/s3/alert", ts_route_get_alerts, RELAYD_AUTH_NONE},
    {"GET", "threatstack-to-s3/api/v1/s3/alert/*", ts_route_get_alert, RELAYD_AUTH_NONE},
    {"GET", "threatstack-to-s3/api/v1/s3/status", ts_route_status, RELAYD_AUTH_NONE},
    {NULL, NULL, NULL, RELAYD_AUTH_NONE},
};

static char *dup_or_null(const char *s)
{
	return s && s[0] ? strdup(s) : NULL;
}

static void plugin_free(struct ts_plugin *p)
{
	if (!p)
		return;
	if (p->store)
		p->store->ops->free(p->store);
	ts_spool_free(p->spool);
	free(p->ts_url);
	free(p->ts_key);
	free(p->ts_org);
	free(p->auth_secret);
	free(p->auth_header);
	free(p->auth_user);
	free(p->auth_password);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

static int open_store(struct ts_plugin *p)
{
	const struct relayd_host *h = p->host;
	struct relayd_plugin_ctx *pctx = p->pctx;
	const char *kind = h->config_string(pctx, "store");

	if (kind && strcmp(kind, "dir") == 0) {
		char *dir = h->config_path(pctx, "store_dir");
		if (!dir)
			return h->config_error(pctx, "store_dir", "missing");
		if (ts_mkdir_p(dir) != 0) {
			int rc = h->config_error(pctx, "store_dir", "cannot create %s: %s", dir,
			                         strerror(errno));
			free(dir);
			return rc;
		}
		p->store = ts_store_dir_new(h, dir);
		free(dir);
		return p->store ? RELAYD_OK : RELAYD_ENOMEM;
	}
	if (!kind || strcmp(kind, "s3") != 0)
		return h->config_error(pctx, "store", "must be dir or s3, not '%s'", kind ? kind : "");

	struct ts_s3_config cfg = {
	    .bucket = h->config_string(pctx, "s3_bucket"),
	    .region = h->config_string(pctx, "s3_region"),
	    .endpoint = h->config_string(pctx, "s3_endpoint"),
	    .path_style = h->config_bool(pctx, "s3_path_style"),
	    .access_key = h->config_string(pctx, "s3_access_key"),
	    .secret_key = h->config_string(pctx, "s3_secret_key"),
	    .session_token = h->config_string(pctx, "s3_session_token"),
	};
	if (!cfg.bucket || !cfg.bucket[0])
		return h->config_error(pctx, "s3_bucket", "required with store = s3");
	if (!cfg.region || !cfg.region[0])
		return h->config_error(pctx, "s3_region", "must not be empty");
	if (!cfg.access_key || !cfg.access_key[0])
		return h->config_error(pctx, "s3_access_key", "required with store = s3");
	if (!cfg.secret_key || !cfg.secret_key[0])
		return h->config_error(pctx, "s3_secret_key", "required with store = s3");
	p->store = ts_store_s3_new(h, &cfg);
	return p->store ? RELAYD_OK : RELAYD_ENOMEM;
}

static int read_numbers(struct ts_plugin *p, int64_t *max_bytes, int64_t *max_age)
{
	const struct relayd_host *h = p->host;
	int64_t rmin = h->config_int(p->pctx, "retry_min_ms");
	int64_t rmax = h->config_int(p->pctx, "retry_max_ms");

	if (rmin < 1)
		return h->config_error(p->pctx, "retry_min_ms", "must be at least 1");
	if (rmax < rmin)
		return h->config_error(p->pctx, "retry_max_ms", "must be at least retry_min_ms");
	*max_bytes = h->config_int(p->pctx, "spool_max_bytes");
	if (*max_bytes < 1)
		return h->config_error(p->pctx, "spool_max_bytes", "must be positive");
	*max_age = h->config_int(p->pctx, "spool_max_age_s");
	if (*max_age < 1)
		return h->config_error(p->pctx, "spool_max_age_s", "must be positive");
	p->retry_min_ms = (uint64_t)rmin;
	p->retry_max_ms = (uint64_t)rmax;
	return RELAYD_OK;
}

/* Whether relayd listens on loopback only. A host whose table predates the
 * member cannot say, so the answer is "no" and the warning errs on the side
 * of being shown. */
static bool listen_is_loopback(const struct relayd_host *h, struct relayd_plugin_ctx *pctx)
{
	size_t end = offsetof(struct relayd_host, listen_is_loopback) + sizeof(h->listen_is_loopback);
	if (h->struct_size < end || !h->listen_is_loopback)
		return false;
	return h->listen_is_loopback(pctx);
}

static int read_auth(struct ts_plugin *p)
{
	const struct relayd_host *h = p->host;
	struct relayd_plugin_ctx *pctx = p->pctx;

	p->auth_secret = dup_or_null(h->config_string(pctx, "webhook_secret"));
	p->auth_header = dup_or_null(h->config_string(pctx, "webhook_secret_header"));
	p->auth_user = dup_or_null(h->config_string(pctx, "webhook_basic_user"));
	p->auth_password = dup_or_null(h->config_string(pctx, "webhook_basic_password"));
	if (p->auth_secret && !p->auth_header)
		return h->config_error(pctx, "webhook_secret_header", "required with webhook_secret");
	if (p->auth_user && !p->auth_password)
		return h->config_error(pctx, "webhook_basic_password", "required with webhook_basic_user");
	if (!p->auth_user && p->auth_password)
		return h->config_error(pctx, "webhook_basic_user", "required with webhook_basic_password");
	p->auth.secret = p->auth_secret;
	p->auth.secret_header = p->auth_header;
	p->auth.basic_user = p->auth_user;
	p->auth.basic_password = p->auth_password;
	if (!ts_auth_enabled(&p->auth) && !listen_is_loopback(h, pctx))
		h->log_plugin(pctx, RELAYD_LOG_WARN,
		              "webhook authentication is off (no webhook_secret or webhook_basic_user) "
		              "and listen is not loopback: anyone who reaches the listener can post "
		              "alerts; set webhook_secret or put an authenticating proxy in front");
	return RELAYD_OK;
}

static int ts_init(const struct relayd_host *host, struct relayd_plugin_ctx *pctx, void **state)
{
	int64_t max_bytes = 0, max_age = 0;
	int rc;

	struct ts_plugin *p = calloc(1, sizeof(*p));
	if (!p)
		return RELAYD_ENOMEM;
	pthread_mutex_init(&p->mu, NULL);
	p->host = host;
	p->pctx = pctx;
	p->rng = (unsigned)host->now_ms();

	const char *url = host->config_string(pctx, "threatstack_url");
	p->ts_url = strdup(url && url[0] ? url : DEFAULT_THREATSTACK_URL);
	p->ts_key = dup_or_null(host->config_string(pctx, "threatstack_key"));
	p->ts_org = dup_or_null(host->config_string(pctx, "threatstack_org"));
	if (!p->ts_url) {
		rc = RELAYD_ENOMEM;
		goto fail;
	}
	if (!p->ts_key)
		host->log_plugin(pctx, RELAYD_LOG_WARN,
		                 "threatstack_key is not set: alerts are accepted and spooled but cannot "
		                 "be delivered until it is");
	if (ts_prefix_normalise(host->config_string(pctx, "s3_prefix"), p->prefix,
	                        sizeof(p->prefix)) != RELAYD_OK) {
		rc = host->config_error(pctx, "s3_prefix",
		                        "no empty, '.' or '..' segments; at most %d bytes",
		                        TS_PREFIX_MAX - 1);
		goto fail;
	}
	if ((rc = read_numbers(p, &max_bytes, &max_age)) != RELAYD_OK ||
	    (rc = read_auth(p)) != RELAYD_OK || (rc = open_store(p)) != RELAYD_OK)
		goto fail;

	char *spool_dir = host->config_path(pctx, "spool_dir");
	if (!spool_dir) {
		rc = host->config_error(pctx, "spool_dir", "missing");
		goto fail;
	}
	p->spool = ts_spool_new(spool_dir, (uint64_t)max_bytes, max_age);
	/* init runs on the main thread before any loop: a blocking scan is fine here. */
	rc = p->spool ? ts_spool_open(p->spool) : RELAYD_ENOMEM;
	if (rc != RELAYD_OK) {
		if (rc == RELAYD_EIO)
			rc = host->config_error(pctx, "spool_dir", "cannot use %s: %s", spool_dir,
			                        strerror(errno));
		free(spool_dir);
		goto fail;
	}
	free(spool_dir);

	struct ts_spool_stats st;
	ts_spool_stats(p->spool, host->now_ms(), &st);
	host->log_plugin(pctx, RELAYD_LOG_INFO, "store = %s, %zu spooled alert(s) to deliver",
	                 p->store->ops->name, st.depth);
	host->metric_set(TS_METRIC_SPOOL_DEPTH, NULL, (double)st.depth);
	if (st.depth > 0)
		ts_delivery_kick(p);
	*state = p;
	return RELAYD_OK;
fail:
	plugin_free(p);
	return rc;
}

static void ts_fini(void *state)
{
	struct ts_plugin *p = state;
	if (!p)
		return;
	ts_delivery_stop(p);
	plugin_free(p);
}

static const struct relayd_plugin ts_descriptor = {
    RELAYD_PLUGIN_HEADER,
    .name = "threatstack_s3",
    .version = TS_PLUGIN_VERSION,
    .description = "Archives Threat Stack webhook alerts to S3 or a local folder",
    .display_name = "Threat Stack",
    .types = NULL,
    .config = ts_config,
    .envelope = RELAYD_ENVELOPE_SUCCESS,
    .init = ts_init,
    .fini = ts_fini,
    .supports = NULL,
    .observe = NULL,
    .refer = NULL,
    .health = NULL,
    .routes = ts_routes,
};

RELAYD_EXPORT const struct relayd_plugin *relayd_plugin_entry(uint16_t host_major,
                                                              uint16_t host_minor)
{
	(void)host_minor;
	return host_major == RELAYD_ABI_MAJOR ? &ts_descriptor : NULL;
}
