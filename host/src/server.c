/* SPDX-License-Identifier: MIT */
/* Workers (one loop + evhttp each, on its own listening socket), signals, drain, reload. */
#include "server.h"

#include <curl/curl.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/http.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "generation.h"
#include "http_client.h"
#include "jwks.h"
#include "listener.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "offload.h"
#include "router.h"
#include "token_cache.h"

struct worker {
	struct loop *loop;
	struct evhttp *http;
	struct evhttp_bound_socket *bound;
	pthread_t thread;
	bool started;
	char label[24]; /* worker="N", for relayd_worker_requests_total */
};

static struct {
	pthread_mutex_t lock;
	struct generation *current;
	struct loop *main_loop;
	struct worker *workers;
	int n_workers;
	int workers_running;
	const struct server_options *opt;
	struct event *drain_timer;
	bool stopping;
} srv = {.lock = PTHREAD_MUTEX_INITIALIZER};

struct generation *server_current_generation(void)
{
	pthread_mutex_lock(&srv.lock);
	struct generation *g = srv.current;
	generation_ref(g);
	pthread_mutex_unlock(&srv.lock);
	return g;
}

static void replace_generation(struct generation *g)
{
	pthread_mutex_lock(&srv.lock);
	struct generation *old = srv.current;
	srv.current = g;
	pthread_mutex_unlock(&srv.lock);
	if (old) {
		/* Its in-flight calls and tasks finish; its timers do not fire again,
		 * so its background work winds down and fini runs after the last. */
		generation_retire(old);
		generation_unref(old);
	}
}

static int write_ready_file(const char *path, const char *bound)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%s\n", bound);
	if (fclose(f) != 0)
		return -1;
	return rename(tmp, path);
}

/* ---- workers --------------------------------------------------------- */

static void on_request(struct evhttp_request *req, void *arg)
{
	struct worker *w = arg;
	/* Per worker, so an operator (and the tests) can see how evenly the
	 * kernel spreads connections over the listening sockets. */
	metrics_counter_add("relayd_worker_requests_total", w->label, 1);
	router_dispatch(w->loop, req);
}

static uint64_t largest_max_body(const struct conf *conf)
{
	uint64_t m = conf->max_body;
	for (size_t i = 0; i < conf->n_plugins; i++)
		if (conf->plugins[i].max_body > m)
			m = conf->plugins[i].max_body;
	return m;
}

/* Sets up worker w on listening socket *fd, which it then owns (*fd = -1). */
static int worker_setup(struct worker *w, int index, int *fd, const struct conf *conf)
{
	w->loop = loop_new(index);
	if (!w->loop)
		return -1;
	w->http = evhttp_new(w->loop->base);
	if (!w->http)
		return -1;
	/* Every method reaches the router, which answers 405 in the mount's
	 * envelope; evhttp's own 501 would be HTML (DECISIONS.md §1). */
	evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	                                        EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE |
	                                        EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	/* evhttp's limit is the largest mount's; each mount's own limit is
	 * checked by the router so its 413 comes in the mount's envelope. */
	evhttp_set_max_body_size(w->http, (ev_ssize_t)largest_max_body(conf) + 1);
	/* Over that limit evhttp answers 413 and closes; lingering reads and
	 * discards the rest of the body first, so the kernel does not reset the
	 * connection and the client sees the 413 rather than a send error. */
	evhttp_set_flags(w->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_max_headers_size(w->http, (ev_ssize_t)conf->max_headers * 8192);
	evhttp_set_timeout(w->http, 120);
	snprintf(w->label, sizeof(w->label), "worker=\"%d\"", index);
	evhttp_set_gencb(w->http, on_request, w);
	w->bound = evhttp_accept_socket_with_handle(w->http, *fd);
	if (!w->bound)
		return -1;
	*fd = -1; /* the worker's listener closes it */
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	loop_set_current(w->loop);
	/* Without the listener a draining loop may have no event added while
	 * calls still wait on posts (JWKS, offload, upstream slots): it must not
	 * return until loop_drain or the drain timeout says so. */
	event_base_loop(w->loop->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

static void worker_exited_on_main(void *arg)
{
	(void)arg;
	if (--srv.workers_running == 0)
		event_base_loopexit(srv.main_loop->base, NULL);
}

static void *worker_thread(void *arg)
{
	worker_main(arg);
	loop_post(srv.main_loop, worker_exited_on_main, NULL);
	return NULL;
}

/* Runs on each worker: no new connections, exit once in-flight calls end. */
static void worker_stop_accepting(void *arg)
{
	struct worker *w = arg;
	if (w->bound) {
		evhttp_del_accept_socket(w->http, w->bound);
		w->bound = NULL;
	}
	loop_drain(w->loop);
}

static void worker_force_exit(void *arg)
{
	struct worker *w = arg;
	event_base_loopexit(w->loop->base, NULL);
}

/* ---- signals --------------------------------------------------------- */

static void on_drain_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_emit(RELAYD_LOG_WARN, NULL, NULL, "drain_ms passed with requests in flight; stopping");
	for (int i = 0; i < srv.n_workers; i++)
		loop_post(srv.workers[i].loop, worker_force_exit, &srv.workers[i]);
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	(void)arg;
	/* The running generation's drain_ms: a reload may have changed it. */
	const struct conf *conf = srv.current->conf;
	if (srv.stopping)
		return;
	srv.stopping = true;
	log_emit(RELAYD_LOG_INFO, NULL, NULL, "signal %d: draining for at most %lld ms", (int)sig,
	         (long long)conf->drain_ms);
	for (int i = 0; i < srv.n_workers; i++)
		loop_post(srv.workers[i].loop, worker_stop_accepting, &srv.workers[i]);
	srv.drain_timer = evtimer_new(srv.main_loop->base, on_drain_timeout, NULL);
	struct timeval tv = {(time_t)(conf->drain_ms / 1000), (suseconds_t)((conf->drain_ms % 1000) * 1000)};
	evtimer_add(srv.drain_timer, &tv);
}

static void reload(void)
{
	char err[1024];
	struct conf *conf = NULL;
	if (conf_load(srv.opt->config_path, &conf, err, sizeof(err)) != 0) {
		log_emit(RELAYD_LOG_ERROR, NULL, NULL, "reload refused, keeping the running config: %s",
		         err);
		return;
	}
	struct generation *g = NULL;
	if (generation_build(conf, srv.main_loop, &g, err, sizeof(err)) != 0) {
		conf_free(conf);
		log_emit(RELAYD_LOG_ERROR, NULL, NULL, "reload refused, keeping the running config: %s",
		         err);
		return;
	}
	const struct conf *old = srv.current->conf;
	if (strcmp(old->listen, conf->listen) != 0 || old->workers != conf->workers)
		log_emit(RELAYD_LOG_WARN, NULL, NULL,
		         "listen and workers changes take effect only after a restart");
	log_init(conf->log_format == CONF_LOG_JSON ? LOG_FORMAT_JSON : LOG_FORMAT_LOGFMT,
	         conf->log_level);
	jwks_configure(conf);
	replace_generation(g);
	log_emit(RELAYD_LOG_INFO, NULL, NULL, "config reloaded from %s", srv.opt->config_path);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	if (!srv.stopping)
		reload();
}

/* ---- start and stop -------------------------------------------------- */

static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	rlim_t soft = rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	log_emit(RELAYD_LOG_INFO, NULL, NULL, "open files limit raised from %llu to %llu",
	         (unsigned long long)soft, (unsigned long long)rl.rlim_max);
}

/* One worker per listening socket in fds[0 .. n). */
static int start_workers(const struct conf *conf, int *fds, int n)
{
	srv.workers = calloc((size_t)n, sizeof(*srv.workers));
	if (!srv.workers)
		return -1;
	srv.n_workers = n;
	for (int i = 0; i < srv.n_workers; i++) {
		if (worker_setup(&srv.workers[i], i, &fds[i], conf) != 0) {
			log_emit(RELAYD_LOG_ERROR, NULL, NULL, "cannot set up worker %d", i);
			return -1;
		}
	}
	for (int i = 0; i < srv.n_workers; i++) {
		if (pthread_create(&srv.workers[i].thread, NULL, worker_thread, &srv.workers[i]) != 0) {
			/* The ones already running must stop, or joining them hangs. */
			for (int j = 0; j < i; j++)
				loop_post(srv.workers[j].loop, worker_force_exit, &srv.workers[j]);
			return -1;
		}
		srv.workers[i].started = true;
		srv.workers_running++;
	}
	return 0;
}

static void join_workers(void)
{
	for (int i = 0; i < srv.n_workers; i++) {
		struct worker *w = &srv.workers[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		w->started = false;
	}
}

static void free_workers(void)
{
	for (int i = 0; i < srv.n_workers; i++) {
		struct worker *w = &srv.workers[i];
		if (w->http)
			evhttp_free(w->http);
		loop_free(w->loop);
	}
	free(srv.workers);
	srv.workers = NULL;
}

static void warn_if_exposed(const struct conf *conf)
{
	if (!conf_listen_is_loopback(conf))
		log_emit(RELAYD_LOG_WARN, NULL, NULL,
		         "listen = %s is not loopback: relayd speaks plain HTTP, put a TLS-terminating "
		         "proxy in front of it (etc/nginx-relayd.conf)", conf->listen);
}

/* Background work is cancelled, not awaited (its state is on disk): no new
 * timers, running transfers end with an error their plugin handles, queued
 * file work completes, and the completions run here on the main thread. */
static bool run_all_posted(void)
{
	bool ran = loop_run_posted(srv.main_loop);
	for (int i = 0; i < srv.n_workers; i++)
		if (srv.workers[i].loop)
			ran |= loop_run_posted(srv.workers[i].loop);
	return ran;
}

/* After the workers have stopped: no thread runs any loop but this one, and
 * every loop is still allocated, so completions posted anywhere land. */
static void stop_background_work(void)
{
	if (srv.current)
		generation_retire(srv.current);
	http_client_abort(srv.main_loop->http, "relayd is stopping");
	for (int i = 0; i < srv.n_workers; i++)
		if (srv.workers[i].loop)
			http_client_abort(srv.workers[i].loop->http, "relayd is stopping");
	offload_stop();
	/* Each round may post more (a failed transfer's handler ends its task);
	 * bounded, as a plugin could keep posting forever. */
	for (int round = 0; round < 1000 && run_all_posted(); round++)
		;
}

static int load_initial(struct conf **conf_out)
{
	char err[1024];
	if (conf_load(srv.opt->config_path, conf_out, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

int server_run(const struct server_options *opt)
{
	struct conf *conf = NULL;
	srv.opt = opt;
	if (load_initial(&conf) != 0)
		return 1;
	log_init(conf->log_format == CONF_LOG_JSON ? LOG_FORMAT_JSON : LOG_FORMAT_LOGFMT,
	         conf->log_level);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	loop_global_init();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	srv.main_loop = loop_new(-1);
	loop_set_current(srv.main_loop);
	offload_start(2);
	jwks_init(srv.main_loop, conf);
	token_cache_init();
	char err[1024];
	int status = 1;
	int *fds = NULL, n_fds = 0;
	struct generation *g = NULL;
	if (generation_build(conf, srv.main_loop, &g, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		conf_free(conf);
		goto out;
	}
	srv.current = g;
	warn_if_exposed(conf);
	char bound[128];
	n_fds = conf->workers > 0 ? conf->workers : 1;
	fds = calloc((size_t)n_fds, sizeof(*fds));
	if (!fds || listener_open(conf->listen, conf->listen_host, conf->listen_port, n_fds, fds,
	                          bound, sizeof(bound)) != 0 ||
	    start_workers(conf, fds, n_fds) != 0)
		goto stop;
	/* Handlers first, readiness second: whoever waits for the ready file may
	 * signal at once (SIGTERM before this point would kill with status 143). */
	struct event *sigterm = evsignal_new(srv.main_loop->base, SIGTERM, on_stop_signal, NULL);
	struct event *sigint = evsignal_new(srv.main_loop->base, SIGINT, on_stop_signal, NULL);
	struct event *sighup = evsignal_new(srv.main_loop->base, SIGHUP, on_hup, NULL);
	event_add(sigterm, NULL);
	event_add(sigint, NULL);
	event_add(sighup, NULL);
	if (opt->ready_file && write_ready_file(opt->ready_file, bound) != 0)
		log_emit(RELAYD_LOG_WARN, NULL, NULL, "cannot write ready file %s", opt->ready_file);
	log_emit(RELAYD_LOG_INFO, NULL, NULL, "relayd %s listening on %s with %d worker(s)",
	         RELAYD_VERSION, bound, srv.n_workers);
	event_base_dispatch(srv.main_loop->base);
	event_free(sigterm);
	event_free(sigint);
	event_free(sighup);
	status = 0;
stop:
	if (fds) {
		listener_close(fds, n_fds); /* those no worker took */
		free(fds);
	}
	join_workers();
	if (srv.drain_timer)
		event_free(srv.drain_timer);
	stop_background_work();
	replace_generation(NULL);
	free_workers();
out:
	jwks_shutdown();
	token_cache_shutdown();
	offload_stop(); /* idempotent: already stopped unless start-up failed */
	loop_free(srv.main_loop);
	curl_global_cleanup();
	return status;
}
