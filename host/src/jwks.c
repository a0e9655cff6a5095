/* SPDX-License-Identifier: MIT */
/* Process-wide JWKS cache with single-flight fetches on the main loop. */
#include "jwks.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "config.h"
#include "http_client.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "services.h"

/* An unknown kid may mean SecureX rotated its keys, or a forged token: refetch,
 * but not more often than this per host. */
#define UNKNOWN_KID_REFRESH_MS 60000

struct waiter {
	struct waiter *next;
	struct relayd_call *call;
	jwks_cb cb;
	void *arg;
	struct jwk_set *set;   /* filled at delivery (a reference) */
	uint64_t epoch;
	const char *error;     /* static text */
};

struct entry {
	struct entry *next;
	char *host;
	struct jwk_set *set;
	uint64_t epoch;        /* of set */
	int64_t fetched_ms;    /* when set was fetched */
	int64_t last_try_ms;   /* when the last fetch started */
	int64_t kid_refresh_ms;/* when an unknown kid last caused a refetch */
	bool fetching;
	struct waiter *waiters;
};

static struct {
	pthread_mutex_t lock;
	struct loop *main_loop;
	struct entry *entries;
	uint64_t next_epoch;
	bool http_scheme;
	long timeout_ms;
	int64_t refresh_ms;
	char *proxy, *ca_file;
} J = {.lock = PTHREAD_MUTEX_INITIALIZER};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void jwks_configure(const struct conf *conf)
{
	pthread_mutex_lock(&J.lock);
	J.http_scheme = conf->jwks_scheme == CONF_SCHEME_HTTP;
	J.timeout_ms = (long)conf->jwks_timeout_ms;
	J.refresh_ms = conf->jwks_refresh_s * 1000;
	free(J.proxy);
	free(J.ca_file);
	J.proxy = dup_or_null(conf->proxy);
	J.ca_file = conf->ca_file ? conf_path_resolve(conf, conf->ca_file) : NULL;
	pthread_mutex_unlock(&J.lock);
}

void jwks_init(struct loop *main_loop, const struct conf *conf)
{
	J.main_loop = main_loop;
	jwks_configure(conf);
}

void jwks_shutdown(void)
{
	pthread_mutex_lock(&J.lock);
	struct entry *e = J.entries;
	J.entries = NULL;
	pthread_mutex_unlock(&J.lock);
	while (e) {
		struct entry *n = e->next;
		jwk_set_unref(e->set);
		free(e->host);
		free(e);
		e = n;
	}
	free(J.proxy);
	free(J.ca_file);
	J.proxy = J.ca_file = NULL;
}

static struct entry *find_or_add(const char *host)
{
	for (struct entry *e = J.entries; e; e = e->next)
		if (strcmp(e->host, host) == 0)
			return e;
	struct entry *e = calloc(1, sizeof(*e));
	if (!e || !(e->host = strdup(host))) {
		free(e);
		return NULL;
	}
	e->next = J.entries;
	J.entries = e;
	return e;
}

/* ---- delivery -------------------------------------------------------- */

static void deliver(void *arg)
{
	struct waiter *w = arg;
	struct relayd_call *c = w->call;
	w->cb(c, w->set, w->epoch, w->set ? NULL : w->error, w->arg);
	jwk_set_unref(w->set);
	free(w);
	call_release(c);
}

static void deliver_all(struct waiter *w, struct jwk_set *set, uint64_t epoch, const char *error)
{
	while (w) {
		struct waiter *next = w->next;
		w->set = jwk_set_ref(set);
		w->epoch = epoch;
		w->error = error;
		loop_post(w->call->loop, deliver, w);
		w = next;
	}
}

/* ---- fetching -------------------------------------------------------- */

struct fetch {
	struct entry *entry;
	char url[512];
};

static void on_fetched(const struct relayd_http_response *resp, void *arg)
{
	struct fetch *f = arg;
	struct entry *e = f->entry;
	struct jwk_set *set = NULL;
	const char *error = JWT_MSG_WRONG_JWKS_HOST;
	if (resp->error == RELAYD_HTTP_OK && resp->status < 400)
		jwk_set_parse(resp->body, resp->body_len, &set, &error);
	else
		log_emit(RELAYD_LOG_WARN, NULL, NULL, "JWKS fetch from %s failed: %s", f->url,
		         resp->error == RELAYD_HTTP_OK ? resp->reason : resp->error_text);
	char labels[300];
	snprintf(labels, sizeof(labels), "host=\"%s\"", e->host);
	metrics_counter_add("relayd_jwks_fetches_total", labels, 1);

	pthread_mutex_lock(&J.lock);
	e->fetching = false;
	if (set) {
		jwk_set_unref(e->set);
		e->set = set;
		e->epoch = ++J.next_epoch;
		e->fetched_ms = services_now_ms();
	}
	struct waiter *w = e->waiters;
	e->waiters = NULL;
	/* A failed refresh still serves the keys we had. */
	struct jwk_set *serve = jwk_set_ref(e->set);
	uint64_t epoch = e->epoch;
	pthread_mutex_unlock(&J.lock);
	deliver_all(w, serve, epoch, error);
	jwk_set_unref(serve);
	free(f);
}

static void start_fetch(void *arg)
{
	struct fetch *f = arg;
	pthread_mutex_lock(&J.lock);
	struct http_settings s = {.timeout_ms = J.timeout_ms, .proxy = J.proxy,
	                          .ca_file = J.ca_file, .max_response_body = 1u << 20,
	                          .user_agent = "relayd/" RELAYD_VERSION};
	pthread_mutex_unlock(&J.lock);
	struct relayd_http_request req = {.method = "GET", .url = f->url};
	http_client_start(J.main_loop->http, &req, &s, on_fetched, f);
}

/* Starts a fetch for e (caller holds the lock); returns the fetch to post. */
static struct fetch *begin_fetch(struct entry *e, const char *host, int64_t now)
{
	struct fetch *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	e->fetching = true;
	e->last_try_ms = now;
	f->entry = e;
	snprintf(f->url, sizeof(f->url), "%s://%s/.well-known/jwks", J.http_scheme ? "http" : "https",
	         host);
	return f;
}

/* A stale set is still served while a refresh runs in the background; after
 * a failed refresh the next try waits a minute, so a JWKS host that is down
 * costs nothing but a log line per minute while the keys we have still work. */
#define RETRY_AFTER_FAILURE_MS 60000

static bool serve_cached(struct entry *e, const char *kid, int64_t now, struct fetch **bg,
                         const char *host)
{
	if (!e->set || (kid && !jwk_set_find(e->set, kid)))
		return false;
	if (!e->fetching && now - e->fetched_ms >= J.refresh_ms &&
	    now - e->last_try_ms >= RETRY_AFTER_FAILURE_MS)
		*bg = begin_fetch(e, host, now);
	return true;
}

/* An unknown kid may mean rotated keys: refetch, at most once a minute
 * counted from the last refetch a kid caused (not from the first fetch). */
static bool may_refetch_for_kid(const struct entry *e, int64_t now)
{
	return e->kid_refresh_ms == 0 || now - e->kid_refresh_ms >= UNKNOWN_KID_REFRESH_MS;
}

void jwks_get(struct relayd_call *c, const char *host, const char *kid, jwks_cb cb, void *arg)
{
	int64_t now = services_now_ms();
	struct fetch *f = NULL;
	pthread_mutex_lock(&J.lock);
	struct entry *e = find_or_add(host);
	if (!e) {
		pthread_mutex_unlock(&J.lock);
		cb(c, NULL, 0, JWT_MSG_NOMEM, arg);
		return;
	}
	bool kid_missing = e->set && kid && !jwk_set_find(e->set, kid);
	if (serve_cached(e, kid, now, &f, host) ||
	    (kid_missing && !e->fetching && !may_refetch_for_kid(e, now))) {
		struct jwk_set *set = jwk_set_ref(e->set);
		uint64_t epoch = e->epoch;
		pthread_mutex_unlock(&J.lock);
		if (f)
			loop_post(J.main_loop, start_fetch, f);
		cb(c, set, epoch, NULL, arg);
		jwk_set_unref(set);
		return;
	}
	struct waiter *w = calloc(1, sizeof(*w));
	if (!w) {
		pthread_mutex_unlock(&J.lock);
		cb(c, NULL, 0, JWT_MSG_NOMEM, arg);
		return;
	}
	*w = (struct waiter){.next = e->waiters, .call = c, .cb = cb, .arg = arg};
	e->waiters = w;
	call_hold(c);
	if (!e->fetching) {
		if (kid_missing)
			e->kid_refresh_ms = now;
		f = begin_fetch(e, host, now);
		if (!f) {
			e->waiters = w->next;
			pthread_mutex_unlock(&J.lock);
			free(w);
			call_release(c);
			cb(c, NULL, 0, JWT_MSG_NOMEM, arg);
			return;
		}
	}
	pthread_mutex_unlock(&J.lock);
	if (f)
		loop_post(J.main_loop, start_fetch, f);
}
