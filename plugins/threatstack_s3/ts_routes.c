/* SPDX-License-Identifier: MIT */
/* The archive's HTTP routes under the mount: POST/GET api/v1/s3/alert, GET api/v1/s3/alert/<id>, GET api/v1/s3/status. */
#include "ts_routes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <relayd/status.h>

#include "ts_envelope.h"
#include "ts_form.h"
#include "ts_plugin.h"
#include "ts_tsapi.h"
#include "ts_webhook.h"

static void reply_error(struct relayd_call *call, const struct relayd_host *host, int status,
                        const char *type, const char *message)
{
	json_t *env = ts_envelope_error1(type, message);
	host->reply_json(call, status, env ? env : ts_envelope_unexpected());
}

static void reply_unexpected(struct relayd_call *call, const struct relayd_host *host, int status)
{
	host->reply_json(call, status, ts_envelope_unexpected());
}

/* Optional webhook authentication; true when the call may go on (else it was answered 401). */
static bool authorised(struct ts_plugin *p, struct relayd_call *call)
{
	const struct relayd_host *host = p->host;
	const char *secret = p->auth.secret_header ? host->call_header(call, p->auth.secret_header)
	                                           : NULL;
	if (ts_auth_check(&p->auth, secret, host->call_header(call, "Authorization")) == RELAYD_OK)
		return true;
	host->metric_add(TS_METRIC_REJECTED, "reason=\"unauthorized\"", 1);
	json_t *env = ts_envelope_error1(TS_ERR_AUTH, "Webhook authentication failed.");
	char *body = env ? json_dumps(env, JSON_COMPACT) : NULL;
	json_decref(env);
	const char *headers[] = {"WWW-Authenticate: Basic realm=\"relayd threatstack_s3\"", NULL};
	bool basic = p->auth.basic_user && p->auth.basic_user[0];
	if (body)
		host->reply(call, 401, "application/json", basic ? headers : NULL, body, strlen(body));
	else
		reply_unexpected(call, host, 401);
	free(body);
	return false;
}

/* ---- POST api/v1/s3/alert ---------------------------------------------- */

struct post_ctx {
	struct ts_plugin *p;
	struct ts_webhook *wh;
	struct ts_spool_item *items;
	char **records;
	size_t n;
	uint64_t reserved;
	int64_t now_ms;
};

static void post_ctx_free(struct post_ctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->records ? c->records[i] : NULL);
	free(c->records);
	free(c->items);
	ts_webhook_free(c->wh);
	free(c);
}

static void spool_work(void *arg)
{
	struct post_ctx *c = arg;
	ts_spool_write_sync(ts_spool_dir(c->p->spool), c->items, c->n);
}

static void spool_done(struct relayd_call *call, void *arg)
{
	struct post_ctx *c = arg;
	struct ts_plugin *p = c->p;
	const struct relayd_host *host = p->host;
	int first_errno = 0;
	size_t written = 0;

	ts_spool_release(p->spool, c->reserved);
	for (size_t i = 0; i < c->n; i++) {
		if (c->items[i].rc == RELAYD_OK) {
			/* Durable now: queue it even if a sibling failed (at-least-once). */
			ts_spool_add(p->spool, c->items[i].id, c->items[i].len, c->now_ms);
			written++;
		} else if (!first_errno) {
			first_errno = c->items[i].err_no;
		}
	}
	if (written) {
		ts_delivery_publish_depth(p);
		ts_delivery_kick(p);
	}
	if (written == c->n) {
		host->reply_json(call, 200, ts_envelope_ok());
	} else {
		host->log(call, RELAYD_LOG_ERROR, "spooling the webhook failed: %s",
		          strerror(first_errno ? first_errno : EIO));
		bool full = first_errno == ENOSPC || first_errno == EDQUOT;
		if (full)
			host->metric_add(TS_METRIC_REJECTED, "reason=\"spool_full\"", 1);
		/* A 5xx makes Threat Stack send it again. */
		reply_unexpected(call, host, full ? 507 : 500);
	}
	post_ctx_free(c);
}

void ts_route_post_alert(void *state, struct relayd_call *call)
{
	struct ts_plugin *p = state;
	const struct relayd_host *host = p->host;
	struct ts_webhook_error err;
	struct ts_webhook *wh = NULL;
	size_t len = 0;

	if (!authorised(p, call))
		return;
	const void *body = host->call_body(call, &len);
	int rc = ts_webhook_parse(body, len, &wh, &err);
	if (rc == RELAYD_EINVAL) {
		host->metric_add(TS_METRIC_REJECTED, "reason=\"invalid\"", 1);
		reply_error(call, host, 400, TS_ERR_WEBHOOK, err.message);
		ts_webhook_error_clear(&err);
		return;
	}
	if (rc != RELAYD_OK) {
		reply_unexpected(call, host, 500);
		return;
	}

	struct post_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		ts_webhook_free(wh);
		reply_unexpected(call, host, 500);
		return;
	}
	c->p = p;
	c->wh = wh;
	c->now_ms = host->now_ms();
	c->items = calloc(wh->n, sizeof(*c->items));
	c->records = calloc(wh->n, sizeof(*c->records));
	c->n = wh->n;
	bool ok = c->items && c->records;
	for (size_t i = 0; ok && i < wh->n; i++) {
		c->records[i] = ts_spool_record_build(wh->alerts[i].id, wh->alerts[i].created_at_ms,
		                                      c->now_ms, wh->alerts[i].object);
		ok = c->records[i] != NULL;
		if (ok) {
			c->items[i].id = wh->alerts[i].id;
			c->items[i].data = c->records[i];
			c->items[i].len = strlen(c->records[i]);
			c->reserved += c->items[i].len;
		}
	}
	if (!ok) {
		if (!c->records)
			c->n = 0;
		post_ctx_free(c);
		reply_unexpected(call, host, 500);
		return;
	}
	if (ts_spool_reserve(p->spool, c->reserved) != RELAYD_OK) {
		host->log(call, RELAYD_LOG_ERROR, "spool is full (spool_max_bytes); answering 507");
		host->metric_add(TS_METRIC_REJECTED, "reason=\"spool_full\"", 1);
		post_ctx_free(c);
		reply_unexpected(call, host, 507);
		return;
	}
	host->offload(call, spool_work, spool_done, c);
}

/* ---- GET api/v1/s3/alert?start=&end= ------------------------------------ */

struct range_ctx {
	struct ts_plugin *p;
	int64_t start_us, end_us;
	struct ts_prefix_list prefixes;
	size_t next_prefix;
	char (*ids)[TS_ID_LEN + 1];
	size_t n_ids, cap_ids;
	size_t next_id;
	json_t *alerts;
};

static void range_free(struct range_ctx *c)
{
	ts_prefix_list_clear(&c->prefixes);
	free(c->ids);
	json_decref(c->alerts);
	free(c);
}

static void range_fetch_next(struct relayd_call *call, struct range_ctx *c);
static void range_list_next(struct relayd_call *call, struct range_ctx *c);

static void range_fail(struct relayd_call *call, struct range_ctx *c, const char *message)
{
	reply_error(call, c->p->host, 500, TS_ERR_S3, message ? message : TS_STORE_UNREACHABLE);
	range_free(c);
}

static void range_got_alert(struct relayd_call *call, const struct ts_store_result *res, void *arg)
{
	struct range_ctx *c = arg;
	const struct relayd_host *host = c->p->host;

	if (res->outcome == TS_STORE_OK) {
		json_t *alert = json_loadb(res->body ? res->body : "", res->body_len, JSON_DECODE_ANY, NULL);
		if (alert)
			json_array_append_new(c->alerts, alert);
		else
			host->log(call, RELAYD_LOG_WARN, "alert %s: stored object is not JSON; skipped",
			          c->ids[c->next_id - 1]);
	} else if (res->outcome == TS_STORE_NOT_FOUND) {
		/* The reference aborted the whole answer here; one missing object
		 * should not hide the others. */
		host->log(call, RELAYD_LOG_WARN, "alert %s: webhook object without alert object; skipped",
		          c->ids[c->next_id - 1]);
	} else {
		range_fail(call, c, res->message);
		return;
	}
	range_fetch_next(call, c);
}

static void range_fetch_next(struct relayd_call *call, struct range_ctx *c)
{
	char key[TS_KEY_MAX];

	if (c->next_id >= c->n_ids) {
		json_t *env = json_pack("{s:b,s:O}", "success", 1, "alerts", c->alerts);
		c->p->host->reply_json(call, 200, env ? env : ts_envelope_unexpected());
		range_free(c);
		return;
	}
	ts_key_alert(c->p->prefix, c->ids[c->next_id], key, sizeof(key));
	c->next_id++;
	c->p->store->ops->get(c->p->store, call, key, range_got_alert, c);
}

static void range_listed(struct relayd_call *call, const struct ts_store_result *res, void *arg)
{
	struct range_ctx *c = arg;
	char id[TS_ID_LEN + 1];
	int64_t minute;

	if (res->outcome != TS_STORE_OK) {
		range_fail(call, c, res->message);
		return;
	}
	for (size_t i = 0; i < res->n_keys; i++) {
		if (ts_key_parse_webhook(c->p->prefix, res->keys[i], &minute, id) != RELAYD_OK ||
		    !ts_range_contains(c->start_us, c->end_us, minute))
			continue;
		if (c->n_ids == c->cap_ids) {
			size_t cap = c->cap_ids ? c->cap_ids * 2 : 32;
			void *ids = realloc(c->ids, cap * sizeof(*c->ids));
			if (!ids) {
				range_fail(call, c, "Out of memory");
				return;
			}
			c->ids = ids;
			c->cap_ids = cap;
		}
		memcpy(c->ids[c->n_ids++], id, sizeof(id));
	}
	range_list_next(call, c);
}

static void range_list_next(struct relayd_call *call, struct range_ctx *c)
{
	if (c->next_prefix >= c->prefixes.n) {
		range_fetch_next(call, c);
		return;
	}
	const char *prefix = c->prefixes.items[c->next_prefix++];
	c->p->store->ops->list(c->p->store, call, prefix, range_listed, c);
}

/* The reference reads start/end from the query string, then from a form body. */
static char *date_param(const struct relayd_host *host, struct relayd_call *call, const char *name)
{
	const char *v = host->call_query(call, name);
	if (v && v[0])
		return strdup(v);
	const char *ct = host->call_header(call, "Content-Type");
	size_t len = 0;
	const void *body = host->call_body(call, &len);
	if (ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 && body)
		return ts_form_value(body, len, name);
	return NULL;
}

static bool parse_date_param(struct ts_plugin *p, struct relayd_call *call, const char *name,
                             int64_t *us)
{
	char msg[TS_REPR_MAX + 64];
	char *v = date_param(p->host, call, name);
	if (v && ts_date_parse(v, us) == RELAYD_OK) {
		free(v);
		return true;
	}
	/* str(None) for a missing value, as the reference printed it. */
	snprintf(msg, sizeof(msg), "Unable to parse date: %.*s", TS_REPR_MAX, v && v[0] ? v : "None");
	free(v);
	reply_error(call, p->host, 400, TS_ERR_DATE, msg);
	return false;
}

void ts_route_get_alerts(void *state, struct relayd_call *call)
{
	struct ts_plugin *p = state;
	int64_t start_us, end_us;

	if (!authorised(p, call))
		return;
	if (!parse_date_param(p, call, "start", &start_us) ||
	    !parse_date_param(p, call, "end", &end_us))
		return;
	struct range_ctx *c = calloc(1, sizeof(*c));
	if (!c || !(c->alerts = json_array()) ||
	    ts_range_prefixes(p->prefix, start_us, end_us, &c->prefixes) != RELAYD_OK) {
		if (c)
			range_free(c);
		reply_unexpected(call, p->host, 500);
		return;
	}
	c->p = p;
	c->start_us = start_us;
	c->end_us = end_us;
	range_list_next(call, c);
}

/* ---- GET api/v1/s3/alert/<id> ------------------------------------------ */

static void got_alert(struct relayd_call *call, const struct ts_store_result *res, void *arg)
{
	struct ts_plugin *p = arg;
	const struct relayd_host *host = p->host;

	if (res->outcome == TS_STORE_NOT_FOUND) {
		/* The reference answered 500 here; a missing key is a 404 (README). */
		reply_error(call, host, 404, TS_ERR_S3, TS_STORE_NOSUCHKEY_GET);
		return;
	}
	if (res->outcome != TS_STORE_OK) {
		reply_error(call, host, 500, TS_ERR_S3, res->message ? res->message : TS_STORE_UNREACHABLE);
		return;
	}
	json_t *alert = json_loadb(res->body ? res->body : "", res->body_len, JSON_DECODE_ANY, NULL);
	if (!alert) {
		reply_unexpected(call, host, 500);
		return;
	}
	json_t *env = json_pack("{s:b,s:o}", "success", 1, "alert", alert);
	host->reply_json(call, 200, env ? env : ts_envelope_unexpected());
}

void ts_route_get_alert(void *state, struct relayd_call *call)
{
	struct ts_plugin *p = state;
	char key[TS_KEY_MAX];

	if (!authorised(p, call))
		return;
	const char *id = p->host->call_route_param(call, 0);
	/* Checked before any storage access: with store = dir an id is a path. */
	if (!ts_id_valid(id) || ts_key_alert(p->prefix, id, key, sizeof(key)) != RELAYD_OK) {
		reply_error(call, p->host, 404, TS_ERR_S3, TS_STORE_NOSUCHKEY_GET);
		return;
	}
	p->store->ops->get(p->store, call, key, got_alert, p);
}

/* ---- GET api/v1/s3/status ---------------------------------------------- */

static json_t *spool_status(struct ts_plugin *p)
{
	struct ts_spool_stats st;
	struct ts_delivery_stats ds;

	ts_spool_stats(p->spool, p->host->now_ms(), &st);
	ts_delivery_stats_get(p, &ds);
	return json_pack("{s:I,s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I},s:b,s:s?}",
	                 "depth", (json_int_t)st.depth, "oldest_s", (json_int_t)st.oldest_s,
	                 "bytes", (json_int_t)st.bytes, "delivered", (json_int_t)ds.delivered,
	                 "delivery_failures", (json_int_t)ds.failures, "rejected",
	                 "not_found", (json_int_t)ds.rejected_not_found, "expired",
	                 (json_int_t)ds.expired, "corrupt", (json_int_t)ds.corrupt,
	                 "threatstack_auth_failing", ds.threatstack_auth_failing, "last_error",
	                 ds.last_error[0] ? ds.last_error : NULL);
}

/* Adds "spool" beside the envelope's keys and sends it. */
static void reply_status(struct relayd_call *call, struct ts_plugin *p, int status, json_t *env)
{
	if (!env)
		env = ts_envelope_unexpected();
	json_t *spool = spool_status(p);
	if (env && spool)
		json_object_set_new(env, "spool", spool);
	else
		json_decref(spool);
	p->host->reply_json(call, status, env);
}

static void status_ts_done(struct relayd_call *call, const struct relayd_http_response *resp,
                           void *arg)
{
	struct ts_plugin *p = arg;

	if (resp->error != RELAYD_HTTP_OK || resp->status < 200 || resp->status >= 300) {
		json_t *env = ts_tsapi_error_envelope(resp->error, resp->status, resp->reason,
		                                      p->host->http_header(resp, "Content-Type"),
		                                      resp->body, resp->body_len, resp->error_text);
		reply_status(call, p, 500, env);
		return;
	}
	reply_status(call, p, 200,
	             json_pack("{s:b,s:{s:b},s:{s:b}}", "success", 1, "s3", "success", 1,
	                       "threatstack", "success", 1));
}

static void status_store_done(struct relayd_call *call, const struct ts_store_result *res,
                              void *arg)
{
	struct ts_plugin *p = arg;
	const char *headers[4];
	char storage[3][1100];

	if (res->outcome != TS_STORE_OK) {
		reply_status(call, p, 500,
		             ts_envelope_error1(TS_ERR_S3, res->message ? res->message : TS_STORE_UNREACHABLE));
		return;
	}
	char *url = ts_tsapi_status_url(p->ts_url);
	if (!url) {
		reply_status(call, p, 500, NULL);
		return;
	}
	ts_tsapi_headers(p->ts_key, p->ts_org, headers, storage);
	struct relayd_http_request req = {.method = "GET", .url = url, .headers = headers,
	                                  .http_version = 11};
	p->host->http(call, &req, status_ts_done, p);
	free(url);
}

void ts_route_status(void *state, struct relayd_call *call)
{
	struct ts_plugin *p = state;

	if (!authorised(p, call))
		return;
	p->store->ops->probe(p->store, call, p->prefix, status_store_done, p);
}
