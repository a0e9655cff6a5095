/* SPDX-License-Identifier: MIT */
/* Fixture upstream server: plays upstream HTTP APIs from fixture files, with fault modes. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>
#include <openssl/ssl.h>

#include "fixture_log.h"
#include "fixture_routes.h"
#include "fixture_tls.h"

#define FX_LOG_CAPACITY 1000
#define FX_LOG_MAX_BODY (64 * 1024)
#define FX_MAX_REQUEST_BODY (64 * 1024 * 1024)
#define FX_LISTEN_BACKLOG 4096
/* A Content-Length this much larger than the body makes the truncate fault. */
#define FX_TRUNCATE_MISSING 1024

struct fx_pending;
TAILQ_HEAD(fx_pending_list, fx_pending);

struct fx_server {
	struct event_base *base;
	struct evhttp *http;
	SSL_CTX *ssl_ctx;              /* NULL: plain HTTP */
	struct fx_route_table *routes; /* current table, one reference */
	char *routes_dir;              /* base for relative body_file in POST /__routes */
	struct fx_log *log;
	json_t *paths;                 /* path -> request count */
	json_int_t requests;
	json_int_t inflight;
	json_int_t max_inflight;
	struct fx_pending_list pending; /* every request whose answer is deferred */
	struct evbuffer *scratch;      /* reply body; evhttp_send_reply drains it */
	bool quiet;
};

/* Runtime state of a route with a barrier; lives in fx_route.runtime, freed with the table. */
struct fx_barrier {
	struct fx_server *srv;
	struct fx_route_table *table; /* the owner; not a reference */
	const struct fx_route *route;
	struct fx_pending_list held;
	unsigned nheld;
	unsigned inflight;            /* requests of this route not answered yet */
	bool released;
	struct event *timer;
};

/* A request answered later: after a barrier, a delay, or never (hang). */
struct fx_pending {
	struct fx_server *srv;
	struct evhttp_request *req;
	struct evhttp_connection *evcon;
	struct fx_route_table *table; /* a reference: keeps route alive across POST /__routes */
	const struct fx_route *route;
	struct fx_barrier *barrier;   /* NULL unless the route has one */
	bool held;
	struct event *timer;          /* delay_ms */
	struct event *watch;          /* notices a client that gave up */
	TAILQ_ENTRY(fx_pending) link;
	TAILQ_ENTRY(fx_pending) hold_link;
};

struct fx_options {
	long port;
	const char *port_file;
	const char *routes_file;
	const char *tls_cert;
	const char *tls_key;
	const char *gen_cert_dir;
	long max_seconds;
	bool quiet;
};

static void pending_proceed(struct fx_pending *p);

/* ---- small helpers ---------------------------------------------------------------------- */

static const char *method_name(enum evhttp_cmd_type cmd)
{
	switch (cmd) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_HEAD: return "HEAD";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_DELETE: return "DELETE";
	case EVHTTP_REQ_OPTIONS: return "OPTIONS";
	case EVHTTP_REQ_TRACE: return "TRACE";
	case EVHTTP_REQ_CONNECT: return "CONNECT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	}
	return "UNKNOWN";
}

static void send_json(struct fx_server *srv, struct evhttp_request *req, int code, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(body);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
		"application/json");
	if (text == NULL) {
		evhttp_send_error(req, 500, "fixture_server out of memory");
		return;
	}
	evbuffer_add(srv->scratch, text, strlen(text));
	free(text);
	evhttp_send_reply(req, code, NULL, srv->scratch);
}

static void inflight_enter(struct fx_server *srv)
{
	if (++srv->inflight > srv->max_inflight)
		srv->max_inflight = srv->inflight;
}

static void inflight_leave(struct fx_server *srv)
{
	srv->inflight--;
}

/* ---- answering ---------------------------------------------------------------------------- */

/*
 * Abortive close. evhttp_connection_free() calls shutdown(SHUT_WR) before closing, which would
 * send a FIN ahead of the RST and the client would see a clean EOF. So the real socket is
 * closed here (SO_LINGER 0 makes that close an RST) by dup2()ing an unconnected socket over
 * its descriptor; evhttp then shuts down and closes the harmless stand-in.
 */
static void reset_connection(struct evhttp_connection *evcon)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(evcon);
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0) {
		int stand_in = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		if (stand_in >= 0) {
			dup2(stand_in, fd);
			close(stand_in);
		}
	}
	evhttp_connection_free(evcon);
}

static void add_route_headers(struct evhttp_request *req, const struct fx_route *r)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);

	for (size_t i = 0; i < r->nheaders; i++)
		evhttp_add_header(out, r->headers[i].name, r->headers[i].value);
}

static void send_truncated(struct fx_server *srv, struct evhttp_request *req,
	const struct fx_route *r)
{
	struct evkeyvalq *out = evhttp_request_get_output_headers(req);
	char length[32];

	snprintf(length, sizeof(length), "%zu", r->body_len + FX_TRUNCATE_MISSING);
	evhttp_remove_header(out, "Content-Length");
	evhttp_add_header(out, "Content-Length", length);
	/* evhttp closes the connection once the short body is written. */
	evhttp_remove_header(out, "Connection");
	evhttp_add_header(out, "Connection", "close");
	evbuffer_add(srv->scratch, r->body, r->body_len);
	evhttp_send_reply(req, r->status, r->reason, srv->scratch);
}

/* Answer (or fail) one request as the route says; the request may be freed on return. */
static void answer(struct fx_server *srv, struct evhttp_request *req, const struct fx_route *r)
{
	static const char invalid_json[] = "{\"truncated\": ";

	switch (r->fault) {
	case FX_FAULT_RESET:
		reset_connection(evhttp_request_get_connection(req));
		return;
	case FX_FAULT_CLOSE:
		evhttp_connection_free(evhttp_request_get_connection(req));
		return;
	case FX_FAULT_HANG:
		return;
	case FX_FAULT_TRUNCATE:
		add_route_headers(req, r);
		send_truncated(srv, req, r);
		return;
	case FX_FAULT_INVALID_JSON:
		add_route_headers(req, r);
		evbuffer_add(srv->scratch, invalid_json, sizeof(invalid_json) - 1);
		evhttp_send_reply(req, 200, NULL, srv->scratch);
		return;
	case FX_FAULT_NONE:
		break;
	}
	add_route_headers(req, r);
	evbuffer_add(srv->scratch, r->body, r->body_len);
	evhttp_send_reply(req, r->status, r->reason, srv->scratch);
}

/* ---- deferred requests -------------------------------------------------------------------- */

/* Forget a deferred request (answered or abandoned): timers, barrier and counters. */
static void pending_finish(struct fx_pending *p)
{
	struct fx_server *srv = p->srv;
	struct fx_barrier *b = p->barrier;

	TAILQ_REMOVE(&srv->pending, p, link);
	if (p->held) {
		TAILQ_REMOVE(&b->held, p, hold_link);
		b->nheld--;
		if (b->nheld == 0)
			evtimer_del(b->timer);
	}
	if (p->timer != NULL)
		event_free(p->timer);
	if (p->watch != NULL)
		event_free(p->watch);
	/* Re-arm the barrier once every request that went through it is done. */
	if (b != NULL && --b->inflight == 0)
		b->released = false;
	inflight_leave(srv);
	fx_route_table_unref(p->table);
	free(p);
}

static void pending_answer(struct fx_pending *p)
{
	/* The watch must go before answer() can close or swap the descriptor it watches. */
	if (p->watch != NULL) {
		event_free(p->watch);
		p->watch = NULL;
	}
	answer(p->srv, p->req, p->route);
	pending_finish(p);
}

static void on_delay_done(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pending_answer(arg);
}

/*
 * evhttp stops reading while a request waits for its answer, so it would not notice a client
 * that gave up until it writes. Peek instead: EOF or an error means the client is gone.
 */
static void on_client_readable(evutil_socket_t fd, short what, void *arg)
{
	struct fx_pending *p = arg;
	struct evhttp_connection *evcon = p->evcon;
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	(void)what;
	if (n > 0)
		return; /* data (pipelining, TLS alert): stop watching, answer normally */
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		event_add(p->watch, NULL);
		return;
	}
	if (!p->srv->quiet)
		fprintf(stderr, "fixture_server: client gave up on a held request\n");
	pending_finish(p);
	evhttp_connection_free(evcon);
}

static void barrier_release(struct fx_barrier *b)
{
	struct fx_route_table *table = b->table;
	struct fx_pending *p;

	b->released = true;
	evtimer_del(b->timer);
	/* Answering the last held request may drop the last reference to the table (and b). */
	fx_route_table_ref(table);
	while ((p = TAILQ_FIRST(&b->held)) != NULL) {
		TAILQ_REMOVE(&b->held, p, hold_link);
		p->held = false;
		b->nheld--;
		pending_proceed(p);
	}
	fx_route_table_unref(table);
}

static void on_barrier_timeout(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	barrier_release(arg);
}

static void barrier_arrive(struct fx_pending *p)
{
	struct fx_barrier *b = p->barrier;

	if (b->released) {
		pending_proceed(p);
		return;
	}
	TAILQ_INSERT_TAIL(&b->held, p, hold_link);
	p->held = true;
	if (++b->nheld == 1) {
		struct timeval tv = {.tv_sec = b->route->barrier_timeout_ms / 1000,
			.tv_usec = (b->route->barrier_timeout_ms % 1000) * 1000};

		evtimer_add(b->timer, &tv);
	}
	if (b->nheld >= b->route->barrier_count)
		barrier_release(b);
}

/* Past the barrier (if any): wait out the delay, hang, or answer now. */
static void pending_proceed(struct fx_pending *p)
{
	const struct fx_route *r = p->route;

	if (r->delay_ms > 0) {
		struct timeval tv = {.tv_sec = r->delay_ms / 1000,
			.tv_usec = (r->delay_ms % 1000) * 1000};

		p->timer = evtimer_new(p->srv->base, on_delay_done, p);
		if (p->timer != NULL && evtimer_add(p->timer, &tv) == 0)
			return;
	}
	if (r->fault == FX_FAULT_HANG)
		return;
	pending_answer(p);
}

static struct fx_pending *pending_new(struct fx_server *srv, struct evhttp_request *req,
	struct fx_route_table *table, const struct fx_route *route)
{
	struct fx_pending *p = calloc(1, sizeof(*p));
	struct bufferevent *bev;

	if (p == NULL)
		return NULL;
	p->srv = srv;
	p->req = req;
	p->evcon = evhttp_request_get_connection(req);
	p->table = table;
	fx_route_table_ref(table);
	p->route = route;
	p->barrier = route->runtime;
	if (p->barrier != NULL)
		p->barrier->inflight++;
	bev = evhttp_connection_get_bufferevent(p->evcon);
	if (bev != NULL && bufferevent_getfd(bev) >= 0) {
		p->watch = event_new(srv->base, bufferevent_getfd(bev), EV_READ,
			on_client_readable, p);
		if (p->watch != NULL)
			event_add(p->watch, NULL);
	}
	TAILQ_INSERT_TAIL(&srv->pending, p, link);
	return p;
}

/* ---- barriers as route runtime -------------------------------------------------------------- */

static void barrier_free(void *runtime)
{
	struct fx_barrier *b = runtime;

	event_free(b->timer);
	free(b);
}

/* Give every barrier route of a fresh table its runtime state. */
static int install_barriers(struct fx_server *srv, struct fx_route_table *table)
{
	table->runtime_free = barrier_free;
	for (size_t i = 0; i < table->nroutes; i++) {
		struct fx_route *r = &table->routes[i];
		struct fx_barrier *b;

		if (r->barrier_count == 0)
			continue;
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			return -1;
		b->srv = srv;
		b->table = table;
		b->route = r;
		TAILQ_INIT(&b->held);
		b->timer = evtimer_new(srv->base, on_barrier_timeout, b);
		if (b->timer == NULL) {
			free(b);
			return -1;
		}
		r->runtime = b;
	}
	return 0;
}

/* ---- requests ----------------------------------------------------------------------------- */

static void count_path(struct fx_server *srv, const char *path)
{
	json_t *key = NULL;
	json_t *n;

	/* Object keys must be UTF-8; raw paths nearly always are plain ASCII. */
	for (const char *c = path; *c != '\0'; c++) {
		if ((unsigned char)*c >= 0x80) {
			key = fx_json_text(path, strlen(path));
			if (key == NULL)
				return;
			path = json_string_value(key);
			break;
		}
	}
	n = json_object_get(srv->paths, path);
	if (n != NULL)
		json_integer_set(n, json_integer_value(n) + 1);
	else
		json_object_set_new(srv->paths, path, json_integer(1));
	json_decref(key);
}

static void record_request(struct fx_server *srv, struct evhttp_request *req,
	const struct fx_request_view *view)
{
	srv->requests++;
	count_path(srv, view->path);
	fx_log_append(srv->log, view->method, view->path, view->query,
		evhttp_request_get_input_headers(req), evhttp_request_get_input_buffer(req));
	if (!srv->quiet)
		fprintf(stderr, "fixture_server: %s %s%s%s\n", view->method, view->path,
			view->query ? "?" : "", view->query ? view->query : "");
}

static void send_no_route(struct fx_server *srv, struct evhttp_request *req,
	const struct fx_request_view *view)
{
	send_json(srv, req, 404, json_pack("{s:s, s:o, s:o}", "error", "no fixture route",
		"method", fx_json_text(view->method, strlen(view->method)),
		"path", fx_json_text(view->path, strlen(view->path))));
}

static void handle_route(struct fx_server *srv, struct evhttp_request *req,
	const struct fx_route *r)
{
	struct fx_pending *p;

	inflight_enter(srv);
	if (r->barrier_count > 0 || r->delay_ms > 0 || r->fault == FX_FAULT_HANG) {
		p = pending_new(srv, req, srv->routes, r);
		if (p != NULL) {
			if (p->barrier != NULL)
				barrier_arrive(p);
			else
				pending_proceed(p);
			return;
		}
		/* Out of memory: answering at once beats losing the request. */
	}
	answer(srv, req, r);
	inflight_leave(srv);
}

/* ---- control endpoints -------------------------------------------------------------------- */

static void control_stats(struct fx_server *srv, struct evhttp_request *req)
{
	send_json(srv, req, 200, json_pack("{s:I, s:I, s:I, s:O}", "requests", srv->requests,
		"inflight", srv->inflight, "max_inflight", srv->max_inflight, "paths",
		srv->paths));
}

static void control_reset(struct fx_server *srv, struct evhttp_request *req)
{
	srv->requests = 0;
	/* Requests still held are still in flight; the maximum restarts from them. */
	srv->max_inflight = srv->inflight;
	json_object_clear(srv->paths);
	fx_log_clear(srv->log);
	send_json(srv, req, 200, json_pack("{s:b}", "ok", 1));
}

static void control_routes(struct fx_server *srv, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *text = len ? (const char *)evbuffer_pullup(in, -1) : "";
	char err[512] = "";
	struct fx_route_table *table = fx_route_table_parse(text, len, srv->routes_dir, err,
		sizeof(err));

	if (table != NULL && install_barriers(srv, table) != 0) {
		fx_route_table_unref(table);
		table = NULL;
		snprintf(err, sizeof(err), "out of memory");
	}
	if (table == NULL) {
		send_json(srv, req, 400, json_pack("{s:b, s:o}", "ok", 0, "error",
			fx_json_text(err, strlen(err))));
		return;
	}
	fx_route_table_unref(srv->routes);
	srv->routes = table;
	if (!srv->quiet)
		fprintf(stderr, "fixture_server: routes replaced (%zu routes)\n", table->nroutes);
	send_json(srv, req, 200, json_pack("{s:b}", "ok", 1));
}

static void control_log(struct fx_server *srv, struct evhttp_request *req)
{
	send_json(srv, req, 200, fx_log_to_json(srv->log));
}

static void handle_control(struct fx_server *srv, struct evhttp_request *req,
	const struct fx_request_view *view)
{
	static const struct {
		const char *path;
		const char *method;
		void (*fn)(struct fx_server *, struct evhttp_request *);
	} endpoints[] = {
		{"/__stats", "GET", control_stats},
		{"/__reset", "POST", control_reset},
		{"/__routes", "POST", control_routes},
		{"/__log", "GET", control_log},
	};

	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		if (strcmp(view->path, endpoints[i].path) != 0)
			continue;
		if (strcmp(view->method, endpoints[i].method) != 0) {
			send_json(srv, req, 405, json_pack("{s:s, s:s}", "error",
				"method not allowed", "allow", endpoints[i].method));
			return;
		}
		endpoints[i].fn(srv, req);
		return;
	}
	send_json(srv, req, 404, json_pack("{s:s, s:o}", "error", "unknown control endpoint",
		"path", fx_json_text(view->path, strlen(view->path))));
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct fx_server *srv = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	struct fx_request_view view = {
		.method = method_name(evhttp_request_get_command(req)),
		.path = (path != NULL && path[0] != '\0') ? path : "/",
		.query = uri ? evhttp_uri_get_query(uri) : NULL,
	};
	const struct fx_route *route;

	if (strncmp(view.path, "/__", 3) == 0) {
		handle_control(srv, req, &view);
		return;
	}
	record_request(srv, req, &view);
	route = fx_route_match(srv->routes, &view);
	fx_request_view_clear(&view);
	if (route == NULL)
		send_no_route(srv, req, &view);
	else
		handle_route(srv, req, route);
}

static struct bufferevent *make_tls_bufferevent(struct event_base *base, void *arg)
{
	struct fx_server *srv = arg;
	SSL *ssl = SSL_new(srv->ssl_ctx);
	struct bufferevent *bev;

	if (ssl == NULL)
		return NULL;
	bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
		BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		SSL_free(ssl);
		return NULL;
	}
	/* Clients that drop the connection without close_notify are not an error here. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* ---- process ------------------------------------------------------------------------------ */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: fixture_server --port N (0 = ephemeral) [--port-file PATH]\n"
		"                      [--routes FILE.json] [--tls-cert PEM --tls-key PEM]\n"
		"                      [--max-seconds N (default 900, 0 = no limit)] [--quiet]\n"
		"       fixture_server --gen-cert DIR\n");
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Accepts "--name value" and "--name=value". */
static const char *option_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int parse_options(int argc, char **argv, struct fx_options *o)
{
	const char *v;

	*o = (struct fx_options){.port = -1, .max_seconds = 900};
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quiet") == 0)
			o->quiet = true;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
		else if ((v = option_value(argc, argv, &i, "--port-file")) != NULL)
			o->port_file = v;
		else if ((v = option_value(argc, argv, &i, "--port")) != NULL) {
			if (parse_long(v, 0, 65535, &o->port) != 0) {
				fprintf(stderr, "fixture_server: bad --port %s\n", v);
				return -1;
			}
		} else if ((v = option_value(argc, argv, &i, "--routes")) != NULL)
			o->routes_file = v;
		else if ((v = option_value(argc, argv, &i, "--tls-cert")) != NULL)
			o->tls_cert = v;
		else if ((v = option_value(argc, argv, &i, "--tls-key")) != NULL)
			o->tls_key = v;
		else if ((v = option_value(argc, argv, &i, "--gen-cert")) != NULL)
			o->gen_cert_dir = v;
		else if ((v = option_value(argc, argv, &i, "--max-seconds")) != NULL) {
			if (parse_long(v, 0, INT_MAX, &o->max_seconds) != 0) {
				fprintf(stderr, "fixture_server: bad --max-seconds %s\n", v);
				return -1;
			}
		} else {
			fprintf(stderr, "fixture_server: unknown or incomplete option %s\n", argv[i]);
			return -1;
		}
	}
	if (o->gen_cert_dir != NULL)
		return 0;
	if (o->port < 0) {
		fprintf(stderr, "fixture_server: --port is required\n");
		return -1;
	}
	if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
		fprintf(stderr, "fixture_server: --tls-cert and --tls-key go together\n");
		return -1;
	}
	return 0;
}

/* Readers poll for the file; rename() makes it appear complete or not at all. */
static int write_port_file(const char *path, unsigned port)
{
	char tmp[4096];
	FILE *f;
	int ok;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp))
		return -1;
	f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	ok = fprintf(f, "%u\n", port) > 0;
	if (fclose(f) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Benchmarks hold thousands of upstream connections; use all the descriptors we may. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct fx_server *srv = arg;

	(void)what;
	if (!srv->quiet)
		fprintf(stderr, "fixture_server: signal %d, exiting\n", (int)sig);
	event_base_loopbreak(srv->base);
}

static void on_max_seconds(evutil_socket_t fd, short what, void *arg)
{
	struct fx_server *srv = arg;

	(void)fd;
	(void)what;
	fprintf(stderr, "fixture_server: --max-seconds reached, exiting\n");
	event_base_loopbreak(srv->base);
}

static struct evconnlistener *listen_loopback(struct fx_server *srv, long port,
	unsigned *bound_port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct sockaddr_in got;
	socklen_t got_len = sizeof(got);
	struct evconnlistener *l;
	int one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = evconnlistener_new_bind(srv->base, NULL, NULL,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
		FX_LISTEN_BACKLOG, (struct sockaddr *)&sin, sizeof(sin));
	if (l == NULL)
		return NULL;
	/*
	 * Accepted sockets inherit TCP_NODELAY on Linux. Without it a TLS answer (header and
	 * body in separate records) waits on a delayed ACK: ~40 ms per keep-alive request.
	 */
	setsockopt(evconnlistener_get_fd(l), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&got, &got_len) != 0) {
		evconnlistener_free(l);
		return NULL;
	}
	*bound_port = ntohs(got.sin_port);
	return l;
}

static int load_routes(struct fx_server *srv, const struct fx_options *o)
{
	char err[512] = "";

	if (o->routes_file == NULL) {
		srv->routes = fx_route_table_new_empty();
	} else {
		const char *slash = strrchr(o->routes_file, '/');

		srv->routes = fx_route_table_load(o->routes_file, err, sizeof(err));
		if (slash != NULL)
			srv->routes_dir = strndup(o->routes_file,
				slash == o->routes_file ? 1 : (size_t)(slash - o->routes_file));
	}
	if (srv->routes == NULL) {
		fprintf(stderr, "fixture_server: %s\n", err[0] ? err : "out of memory");
		return -1;
	}
	if (install_barriers(srv, srv->routes) != 0) {
		fprintf(stderr, "fixture_server: out of memory\n");
		return -1;
	}
	return 0;
}

static int setup_http(struct fx_server *srv, const struct fx_options *o)
{
	char err[512] = "";

	srv->http = evhttp_new(srv->base);
	if (srv->http == NULL)
		return -1;
	evhttp_set_allowed_methods(srv->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
		EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
		EVHTTP_REQ_PATCH);
	evhttp_set_max_body_size(srv->http, FX_MAX_REQUEST_BODY);
	/* Upstreams played here speak JSON; a route's own Content-Type header wins. */
	evhttp_set_default_content_type(srv->http, "application/json");
	evhttp_set_gencb(srv->http, on_request, srv);
	if (o->tls_cert != NULL) {
		srv->ssl_ctx = fx_tls_server_ctx_new(o->tls_cert, o->tls_key, err, sizeof(err));
		if (srv->ssl_ctx == NULL) {
			fprintf(stderr, "fixture_server: %s\n", err);
			return -1;
		}
		evhttp_set_bevcb(srv->http, make_tls_bufferevent, srv);
	}
	return 0;
}

static void server_cleanup(struct fx_server *srv)
{
	struct fx_pending *p;

	/* Held requests belong to their connections; evhttp_free() frees them. */
	while ((p = TAILQ_FIRST(&srv->pending)) != NULL)
		pending_finish(p);
	if (srv->http != NULL)
		evhttp_free(srv->http);
	fx_route_table_unref(srv->routes);
	free(srv->routes_dir);
	fx_log_free(srv->log);
	json_decref(srv->paths);
	if (srv->scratch != NULL)
		evbuffer_free(srv->scratch);
	if (srv->ssl_ctx != NULL)
		SSL_CTX_free(srv->ssl_ctx);
	if (srv->base != NULL)
		event_base_free(srv->base);
}

/* As relayd's loops (host/src/loop.c): epoll's changelist saves an epoll_ctl
 * each time evhttp turns reading off and on around a request, so the
 * upstream stand-in costs the benchmarks less of the machine. */
static struct event_base *new_event_base(void)
{
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	if (cfg == NULL)
		return NULL;
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	return base;
}

static int run_server(const struct fx_options *o)
{
	struct fx_server srv = {.quiet = o->quiet};
	struct evconnlistener *listener;
	struct event *sigterm = NULL;
	struct event *sigint = NULL;
	struct event *deadline = NULL;
	unsigned port = 0;
	int rc = 1;

	TAILQ_INIT(&srv.pending);
	srv.base = new_event_base();
	srv.log = fx_log_new(FX_LOG_CAPACITY, FX_LOG_MAX_BODY);
	srv.paths = json_object();
	srv.scratch = evbuffer_new();
	if (srv.base == NULL || srv.log == NULL || srv.paths == NULL || srv.scratch == NULL) {
		fprintf(stderr, "fixture_server: out of memory\n");
		goto out;
	}
	if (load_routes(&srv, o) != 0 || setup_http(&srv, o) != 0)
		goto out;
	listener = listen_loopback(&srv, o->port, &port);
	if (listener == NULL) {
		fprintf(stderr, "fixture_server: cannot listen on 127.0.0.1:%ld: %s\n", o->port,
			strerror(errno));
		goto out;
	}
	if (evhttp_bind_listener(srv.http, listener) == NULL) {
		evconnlistener_free(listener);
		fprintf(stderr, "fixture_server: evhttp_bind_listener failed\n");
		goto out;
	}
	sigterm = evsignal_new(srv.base, SIGTERM, on_stop_signal, &srv);
	sigint = evsignal_new(srv.base, SIGINT, on_stop_signal, &srv);
	if (sigterm == NULL || sigint == NULL || evsignal_add(sigterm, NULL) != 0 ||
		evsignal_add(sigint, NULL) != 0) {
		fprintf(stderr, "fixture_server: cannot install signal handlers\n");
		goto out;
	}
	if (o->max_seconds > 0) {
		struct timeval tv = {.tv_sec = o->max_seconds};

		deadline = evtimer_new(srv.base, on_max_seconds, &srv);
		if (deadline == NULL || evtimer_add(deadline, &tv) != 0)
			goto out;
	}
	if (o->port_file != NULL && write_port_file(o->port_file, port) != 0) {
		fprintf(stderr, "fixture_server: cannot write %s: %s\n", o->port_file,
			strerror(errno));
		goto out;
	}
	printf("listening 127.0.0.1:%u\n", port);
	fflush(stdout);
	rc = event_base_dispatch(srv.base) < 0 ? 1 : 0;
out:
	if (sigterm != NULL)
		event_free(sigterm);
	if (sigint != NULL)
		event_free(sigint);
	if (deadline != NULL)
		event_free(deadline);
	server_cleanup(&srv);
	return rc;
}

int main(int argc, char **argv)
{
	struct fx_options o;
	int parsed = parse_options(argc, argv, &o);
	char err[512] = "";

	if (parsed != 0) {
		usage(parsed > 0 ? stdout : stderr);
		return parsed > 0 ? 0 : 2;
	}
	if (o.gen_cert_dir != NULL) {
		if (fx_tls_generate_self_signed(o.gen_cert_dir, err, sizeof(err)) != 0) {
			fprintf(stderr, "fixture_server: %s\n", err);
			return 1;
		}
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	return run_server(&o);
}
