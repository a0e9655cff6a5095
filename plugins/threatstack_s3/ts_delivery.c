/* SPDX-License-Identifier: MIT */
/* The background delivery loop: spool → Threat Stack detail → store (webhook + alert objects) → spool file removed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>

#include "ts_plugin.h"
#include "ts_tsapi.h"
#include "ts_webhook.h"

/* One alert being delivered, on the plugin's background loop. */
struct attempt {
	struct ts_plugin *p;
	struct ts_spool_entry entry;
	struct ts_spool_record rec;
	char *data;      /* spool file contents */
	size_t len;
	int io_rc;       /* result of the offloaded file step */
	char *detail;    /* the Threat Stack detail, serialised for the store */
	bool expired;
};

static void step(struct relayd_call *call, struct ts_plugin *p);

static void attempt_free(struct attempt *a)
{
	json_decref(a->rec.alert);
	free(a->data);
	free(a->detail);
	free(a);
}

void ts_delivery_publish_depth(struct ts_plugin *p)
{
	struct ts_spool_stats st;
	ts_spool_stats(p->spool, p->host->now_ms(), &st);
	p->host->metric_set(TS_METRIC_SPOOL_DEPTH, NULL, (double)st.depth);
}

void ts_delivery_stats_get(struct ts_plugin *p, struct ts_delivery_stats *out)
{
	pthread_mutex_lock(&p->mu);
	*out = p->stats;
	pthread_mutex_unlock(&p->mu);
}

/* ---- scheduling --------------------------------------------------------- */

static void on_timer(void *arg)
{
	struct ts_plugin *p = arg;

	pthread_mutex_lock(&p->mu);
	p->timer = NULL;
	if (p->stopping) {
		pthread_mutex_unlock(&p->mu);
		return;
	}
	p->drain = TS_DRAIN_RUNNING;
	pthread_mutex_unlock(&p->mu);

	struct relayd_call *call = p->host->task_begin(p->pctx);
	if (!call) {
		/* The host could not start a task now; try again after a pause. */
		pthread_mutex_lock(&p->mu);
		p->drain = TS_DRAIN_BACKOFF;
		p->timer = p->host->timer_add(p->pctx, p->retry_min_ms, on_timer, p);
		pthread_mutex_unlock(&p->mu);
		return;
	}
	step(call, p);
}

void ts_delivery_kick(struct ts_plugin *p)
{
	pthread_mutex_lock(&p->mu);
	if (!p->stopping && p->drain == TS_DRAIN_IDLE) {
		p->drain = TS_DRAIN_SCHEDULED;
		/* Under mu, so on_timer cannot see a stale p->timer. */
		p->timer = p->host->timer_add(p->pctx, 0, on_timer, p);
	}
	pthread_mutex_unlock(&p->mu);
}

void ts_delivery_stop(struct ts_plugin *p)
{
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	/* No timer_cancel: relayd retires an instance before its fini and that
	 * cancels and frees every pending timer of it (host/src/instance.c), so
	 * p->timer may already be freed here; cancelling it again was a
	 * use-after-free on every stop during a retry backoff. */
	p->timer = NULL;
	pthread_mutex_unlock(&p->mu);
}

static void end_run(struct relayd_call *call, struct ts_plugin *p)
{
	p->host->task_end(call);
}

/* The attempt failed in a way worth retrying: keep the alert, wait, retry. */
static void back_off(struct relayd_call *call, struct attempt *a, const char *stage,
                     const char *fmt, const char *detail)
{
	struct ts_plugin *p = a->p;
	char labels[64];

	snprintf(labels, sizeof(labels), "stage=\"%s\"", stage);
	p->host->metric_add(TS_METRIC_FAILURES, labels, 1);
	pthread_mutex_lock(&p->mu);
	p->stats.failures++;
	snprintf(p->stats.last_error, sizeof(p->stats.last_error), fmt, a->entry.id, detail);
	p->stats.last_error_ms = p->host->now_ms();
	/* rand_r under mu: the jitter only spreads retries, it guards nothing. */
	double jitter = (double)rand_r(&p->rng) / ((double)RAND_MAX + 1.0);
	uint64_t delay = ts_backoff_ms(p->retry_min_ms, p->retry_max_ms, p->attempt, jitter);
	if (p->attempt < 64)
		p->attempt++;
	p->host->log_plugin(p->pctx, RELAYD_LOG_WARN, "%s; retrying in %llu ms",
	                    p->stats.last_error, (unsigned long long)delay);
	if (!p->stopping) {
		p->drain = TS_DRAIN_BACKOFF;
		p->timer = p->host->timer_add(p->pctx, delay, on_timer, p);
	}
	pthread_mutex_unlock(&p->mu);
	attempt_free(a);
	end_run(call, p);
}

/* The alert left the spool (delivered, dropped or dead): on to the next one. */
static void settled(struct relayd_call *call, struct attempt *a)
{
	struct ts_plugin *p = a->p;
	ts_spool_forget(p->spool, a->entry.id);
	ts_delivery_publish_depth(p);
	attempt_free(a);
	step(call, p);
}

/* ---- offloaded file steps ---------------------------------------------- */

static void work_read(void *arg)
{
	struct attempt *a = arg;
	a->io_rc = ts_spool_read_sync(ts_spool_dir(a->p->spool), a->entry.id, &a->data, &a->len);
}

static void work_remove(void *arg)
{
	struct attempt *a = arg;
	a->io_rc = ts_spool_remove_sync(ts_spool_dir(a->p->spool), a->entry.id);
}

static void work_dead(void *arg)
{
	struct attempt *a = arg;
	a->io_rc = ts_spool_move_dead_sync(ts_spool_dir(a->p->spool), a->entry.id);
}

static void removed(struct relayd_call *call, void *arg)
{
	struct attempt *a = arg;
	struct ts_plugin *p = a->p;

	if (a->io_rc != RELAYD_OK) {
		/* Delivered but still on disk: the next run delivers it again (idempotent). */
		back_off(call, a, "spool", "alert %s: unable to remove its spool file%s", "");
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->stats.delivered++;
	p->stats.last_error[0] = '\0';
	p->stats.threatstack_auth_failing = false;
	p->attempt = 0;
	pthread_mutex_unlock(&p->mu);
	p->host->metric_add(TS_METRIC_DELIVERED, NULL, 1);
	settled(call, a);
}

static void dropped(struct relayd_call *call, void *arg)
{
	struct attempt *a = arg;
	if (a->io_rc != RELAYD_OK) {
		back_off(call, a, "spool", "alert %s: unable to drop its spool file%s", "");
		return;
	}
	settled(call, a);
}

static void buried(struct relayd_call *call, void *arg)
{
	struct attempt *a = arg;
	struct ts_plugin *p = a->p;
	const char *reason = a->expired ? "expired" : "corrupt";
	char labels[48];

	if (a->io_rc != RELAYD_OK) {
		back_off(call, a, "spool", "alert %s: unable to move its spool file to dead/%s", "");
		return;
	}
	pthread_mutex_lock(&p->mu);
	if (a->expired)
		p->stats.expired++;
	else
		p->stats.corrupt++;
	pthread_mutex_unlock(&p->mu);
	snprintf(labels, sizeof(labels), "reason=\"%s\"", reason);
	p->host->metric_add(TS_METRIC_REJECTED, labels, 1);
	p->host->log_plugin(p->pctx, RELAYD_LOG_ERROR, "alert %s moved to %s/dead/ (%s)",
	                    a->entry.id, ts_spool_dir(p->spool), reason);
	settled(call, a);
}

/* ---- store steps -------------------------------------------------------- */

static void stored_alert(struct relayd_call *call, const struct ts_store_result *res, void *arg)
{
	struct attempt *a = arg;
	if (res->outcome != TS_STORE_OK) {
		back_off(call, a, "store", "alert %s: storing the alert object failed: %s",
		         res->message ? res->message : "");
		return;
	}
	a->p->host->offload(call, work_remove, removed, a);
}

static void stored_webhook(struct relayd_call *call, const struct ts_store_result *res, void *arg)
{
	struct attempt *a = arg;
	struct ts_plugin *p = a->p;
	char key[TS_KEY_MAX];

	if (res->outcome != TS_STORE_OK) {
		back_off(call, a, "store", "alert %s: storing the webhook object failed: %s",
		         res->message ? res->message : "");
		return;
	}
	ts_key_alert(p->prefix, a->entry.id, key, sizeof(key));
	p->store->ops->put(p->store, call, key, a->detail, strlen(a->detail), stored_alert, a);
}

static void got_detail(struct relayd_call *call, const struct relayd_http_response *resp,
                       void *arg)
{
	struct attempt *a = arg;
	struct ts_plugin *p = a->p;
	char why[160], key[TS_KEY_MAX];

	switch (ts_tsapi_classify(resp->error, resp->status)) {
	case TS_TSAPI_OK:
		break;
	case TS_TSAPI_DROP:
		pthread_mutex_lock(&p->mu);
		p->stats.rejected_not_found++;
		pthread_mutex_unlock(&p->mu);
		p->host->metric_add(TS_METRIC_REJECTED, "reason=\"not_found\"", 1);
		p->host->log_plugin(p->pctx, RELAYD_LOG_WARN,
		                    "alert %s: Threat Stack answered 404; dropped (forged or deleted id)",
		                    a->entry.id);
		p->host->offload(call, work_remove, dropped, a);
		return;
	case TS_TSAPI_AUTH:
		pthread_mutex_lock(&p->mu);
		p->stats.threatstack_auth_failing = true;
		pthread_mutex_unlock(&p->mu);
		p->host->log_plugin(p->pctx, RELAYD_LOG_ERROR,
		                    "Threat Stack refused threatstack_key (HTTP %ld); alerts stay spooled",
		                    resp->status);
		snprintf(why, sizeof(why), "HTTP %ld (check threatstack_key)", resp->status);
		back_off(call, a, "threatstack", "alert %s: Threat Stack refused the API key: %s", why);
		return;
	case TS_TSAPI_RETRY:
		if (resp->error != RELAYD_HTTP_OK)
			snprintf(why, sizeof(why), "%s", resp->error_text ? resp->error_text : "no answer");
		else
			snprintf(why, sizeof(why), "HTTP %ld %s", resp->status, resp->reason ? resp->reason : "");
		back_off(call, a, "threatstack", "alert %s: Threat Stack detail unavailable: %s", why);
		return;
	}

	json_t *detail = json_loadb(resp->body ? resp->body : "", resp->body_len, JSON_DECODE_ANY, NULL);
	a->detail = detail ? ts_json_dump(detail) : NULL;
	json_decref(detail);
	char *webhook = a->detail ? ts_json_dump(a->rec.alert) : NULL;
	if (!webhook) {
		back_off(call, a, "threatstack", "alert %s: %s", "Threat Stack answered with invalid JSON");
		return;
	}
	ts_key_webhook(p->prefix, a->entry.id, a->rec.created_at_ms, key, sizeof(key));
	p->store->ops->put(p->store, call, key, webhook, strlen(webhook), stored_webhook, a);
	free(webhook);
}

static void fetch_detail(struct relayd_call *call, struct attempt *a)
{
	struct ts_plugin *p = a->p;
	const char *headers[4];
	char storage[3][1100];

	char *url = ts_tsapi_alert_url(p->ts_url, a->entry.id);
	if (!url) {
		back_off(call, a, "threatstack", "alert %s: %s", "out of memory");
		return;
	}
	ts_tsapi_headers(p->ts_key, p->ts_org, headers, storage);
	struct relayd_http_request req = {.method = "GET", .url = url, .headers = headers};
	p->host->http(call, &req, got_detail, a);
	free(url);
}

static void read_done(struct relayd_call *call, void *arg)
{
	struct attempt *a = arg;
	struct ts_plugin *p = a->p;

	if (a->io_rc == RELAYD_ENOTFOUND) {
		/* The file went away (removed by hand): nothing left to deliver. */
		settled(call, a);
		return;
	}
	if (a->io_rc != RELAYD_OK) {
		back_off(call, a, "spool", "alert %s: unable to read its spool file%s", "");
		return;
	}
	if (ts_spool_record_parse(a->data, a->len, &a->rec) != RELAYD_OK ||
	    strcmp(a->rec.id, a->entry.id) != 0) {
		p->host->offload(call, work_dead, buried, a);
		return;
	}
	fetch_detail(call, a);
}

/* Takes the oldest spooled alert, or ends the run when there is none. */
static void step(struct relayd_call *call, struct ts_plugin *p)
{
	struct ts_spool_entry e;

	pthread_mutex_lock(&p->mu);
	/* Peek under mu: a kick that finds RUNNING relies on this run seeing its alert. */
	bool have = !p->stopping && ts_spool_peek(p->spool, &e);
	if (!have && !p->stopping)
		p->drain = TS_DRAIN_IDLE;
	pthread_mutex_unlock(&p->mu);
	if (!have) {
		end_run(call, p);
		return;
	}
	struct attempt *a = calloc(1, sizeof(*a));
	if (!a) {
		pthread_mutex_lock(&p->mu);
		p->drain = TS_DRAIN_BACKOFF;
		if (!p->stopping)
			p->timer = p->host->timer_add(p->pctx, p->retry_min_ms, on_timer, p);
		pthread_mutex_unlock(&p->mu);
		end_run(call, p);
		return;
	}
	a->p = p;
	a->entry = e;
	int64_t max_age = ts_spool_max_age_ms(p->spool);
	if (max_age > 0 && p->host->now_ms() - e.spooled_at_ms > max_age) {
		a->expired = true;
		p->host->offload(call, work_dead, buried, a);
		return;
	}
	p->host->offload(call, work_read, read_done, a);
}
