/* SPDX-License-Identifier: MIT */
/* libcurl multi on libevent: one client per loop (the multi-event pattern). */
#include "http_client.h"

#include <curl/curl.h>
#include <event2/event.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <relayd/status.h>
#include <relayd/strbuf.h>

#include "loop.h"

struct http_client {
	struct loop *loop;
	CURLM *multi;
	struct event *timer;
	struct transfer *transfers; /* doubly linked, for abort on free */
	size_t running;
	CURL **idle;                /* reset easy handles kept for reuse */
	size_t n_idle;
	bool aborting;              /* no new transfers once background work is stopped */
};

struct transfer {
	struct transfer *prev, *next;
	struct http_client *client;
	CURL *easy;
	struct curl_slist *req_headers;
	FILE *upload;
	http_client_cb cb;
	void *arg;
	struct relayd_strbuf body;
	struct relayd_strbuf headers; /* "name: value\0" records of the last response */
	char reason[128];
	size_t max_body;
	bool too_large;
	long timeout_ms;
	char errbuf[CURL_ERROR_SIZE];
};

/* Per-socket state: the libevent event watching it. */
struct sock {
	struct event *ev;
	struct http_client *client;
};

const char *http_tls_reason(long verify_result)
{
	switch (verify_result) {
	case 10: return "certificate has expired";
	case 18: return "self signed certificate";
	case 19: return "self signed certificate in certificate chain";
	case 20: return "unable to get local issuer certificate";
	case 21: return "unable to verify the first certificate";
	case 62: return "hostname mismatch";
	default: return "certificate verify failed";
	}
}

/* ---- completion ------------------------------------------------------ */

static enum relayd_http_error classify(CURLcode rc, const struct transfer *t)
{
	switch (rc) {
	case CURLE_OK:
		return RELAYD_HTTP_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return RELAYD_HTTP_TIMEOUT;
	case CURLE_PEER_FAILED_VERIFICATION:
		return RELAYD_HTTP_TLS;
	case CURLE_WRITE_ERROR:
		return t->too_large ? RELAYD_HTTP_TOO_LARGE : RELAYD_HTTP_INTERNAL;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
		return RELAYD_HTTP_CONNECT;
	default:
		return RELAYD_HTTP_INTERNAL;
	}
}

/* Easy handles are reused: init/cleanup per transfer showed in profiles.
 * Connections live in the multi handle's cache either way. */
#define IDLE_HANDLES_MAX 256

static CURL *easy_take(struct http_client *c)
{
	return c->n_idle ? c->idle[--c->n_idle] : curl_easy_init();
}

static void easy_give_back(struct http_client *c, CURL *e)
{
	if (!c->idle)
		c->idle = calloc(IDLE_HANDLES_MAX, sizeof(*c->idle));
	if (c->idle && c->n_idle < IDLE_HANDLES_MAX) {
		curl_easy_reset(e);
		c->idle[c->n_idle++] = e;
	} else {
		curl_easy_cleanup(e);
	}
}

static void transfer_free(struct transfer *t)
{
	if (t->easy)
		easy_give_back(t->client, t->easy);
	curl_slist_free_all(t->req_headers);
	if (t->upload)
		fclose(t->upload);
	relayd_strbuf_free(&t->body);
	relayd_strbuf_free(&t->headers);
	free(t);
}

static void unlink_transfer(struct transfer *t)
{
	struct http_client *c = t->client;
	if (t->prev)
		t->prev->next = t->next;
	else
		c->transfers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	c->running--;
}

static void finish_transfer(struct transfer *t, CURLcode rc)
{
	struct relayd_http_response resp = {0};
	resp.error = classify(rc, t);
	resp.timeout_ms = t->timeout_ms;
	resp.reason = t->reason;
	resp.body = t->body.data ? t->body.data : "";
	resp.body_len = t->body.len;
	resp.priv = t;
	if (resp.error == RELAYD_HTTP_OK) {
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &resp.status);
	} else if (resp.error == RELAYD_HTTP_TLS) {
		long vr = 0;
		curl_easy_getinfo(t->easy, CURLINFO_SSL_VERIFYRESULT, &vr);
		resp.error_text = http_tls_reason(vr);
	} else {
		resp.error_text = t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc);
	}
	t->cb(&resp, t->arg);
	transfer_free(t);
}

static void check_multi_info(struct http_client *c)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(c->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct transfer *t = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		CURLcode rc = msg->data.result;
		curl_multi_remove_handle(c->multi, t->easy);
		unlink_transfer(t);
		finish_transfer(t, rc);
	}
}

/* ---- libevent <-> curl glue ------------------------------------------- */

static void on_socket_event(evutil_socket_t fd, short what, void *arg)
{
	struct http_client *c = arg;
	int flags = 0, running;
	if (what & EV_READ)
		flags |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(c->multi, fd, flags, &running);
	check_multi_info(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct http_client *c = arg;
	int running;
	(void)fd;
	(void)what;
	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_multi_info(c);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_client *c = userp;
	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(c->timer);
		return 0;
	}
	/* A zero timeout still goes through the loop: calling socket_action from
	 * inside a curl callback is not allowed. */
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	evtimer_add(c->timer, &tv);
	return 0;
}

static int on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct http_client *c = userp;
	struct sock *sk = socketp;
	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sk) {
			if (sk->ev)
				event_free(sk->ev);
			free(sk);
			curl_multi_assign(c->multi, s, NULL);
		}
		return 0;
	}
	short kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (!sk) {
		sk = calloc(1, sizeof(*sk));
		if (!sk)
			return -1;
		sk->client = c;
		curl_multi_assign(c->multi, s, sk);
	} else {
		event_free(sk->ev);
		sk->ev = NULL; /* never freed twice if event_new fails below */
	}
	sk->ev = event_new(c->loop->base, s, kind, on_socket_event, c);
	if (!sk->ev)
		return -1;
	event_add(sk->ev, NULL);
	return 0;
}

/* ---- transfer callbacks ---------------------------------------------- */

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t n = size * nmemb;
	if (t->max_body && t->body.len + n > t->max_body) {
		t->too_large = true;
		return 0; /* aborts with CURLE_WRITE_ERROR */
	}
	return relayd_strbuf_append(&t->body, ptr, n) == RELAYD_OK ? n : 0;
}

static void record_status_line(struct transfer *t, const char *line, size_t n)
{
	/* "HTTP/1.1 200 OK": the phrase follows the second space. A new status
	 * line (after 100 Continue or a redirect) replaces the headers too. */
	relayd_strbuf_clear(&t->headers);
	t->reason[0] = '\0';
	const char *sp = memchr(line, ' ', n);
	if (!sp)
		return;
	const char *end = line + n;
	const char *sp2 = memchr(sp + 1, ' ', (size_t)(end - sp - 1));
	if (!sp2)
		return;
	const char *p = sp2 + 1;
	size_t len = (size_t)(end - p);
	while (len && (p[len - 1] == '\r' || p[len - 1] == '\n'))
		len--;
	if (len >= sizeof(t->reason))
		len = sizeof(t->reason) - 1;
	memcpy(t->reason, p, len);
	t->reason[len] = '\0';
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userp)
{
	struct transfer *t = userp;
	size_t n = size * nmemb;
	if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
		record_status_line(t, ptr, n);
		return n;
	}
	size_t len = n;
	while (len && (ptr[len - 1] == '\r' || ptr[len - 1] == '\n'))
		len--;
	if (len == 0)
		return n;
	/* Stored with the terminating NUL so lookups walk records. */
	if (relayd_strbuf_append(&t->headers, ptr, len) != RELAYD_OK ||
	    relayd_strbuf_append_char(&t->headers, '\0') != RELAYD_OK)
		return 0;
	return n;
}

const char *http_response_header(const struct relayd_http_response *resp, const char *name)
{
	const struct transfer *t = resp ? resp->priv : NULL;
	if (!t || !t->headers.data)
		return NULL;
	size_t nlen = strlen(name);
	const char *p = t->headers.data, *end = t->headers.data + t->headers.len;
	while (p < end) {
		size_t rec = strlen(p);
		if (rec > nlen && p[nlen] == ':' && strncasecmp(p, name, nlen) == 0) {
			const char *v = p + nlen + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
		p += rec + 1;
	}
	return NULL;
}

/* ---- starting -------------------------------------------------------- */

struct early_failure {
	http_client_cb cb;
	void *arg;
	char text[160];
};

static void deliver_early_failure(void *arg)
{
	struct early_failure *f = arg;
	struct relayd_http_response resp = {.error = RELAYD_HTTP_INTERNAL, .reason = "",
	                                    .body = "", .error_text = f->text};
	f->cb(&resp, f->arg);
	free(f);
}

/* Through the loop's queue, not an event: it must still be delivered while
 * shutdown runs the queues of loops that no longer dispatch. */
static void fail_later(struct http_client *c, http_client_cb cb, void *arg, const char *text)
{
	struct early_failure *f = calloc(1, sizeof(*f));
	if (!f)
		return; /* nothing left to report with */
	f->cb = cb;
	f->arg = arg;
	snprintf(f->text, sizeof(f->text), "%s", text);
	if (loop_post(c->loop, deliver_early_failure, f) != 0)
		free(f);
}

static int set_method_and_body(struct transfer *t, const struct relayd_http_request *req)
{
	CURL *e = t->easy;
	const char *m = req->method ? req->method : "GET";
	if (req->body_file) {
		t->upload = fopen(req->body_file, "rb");
		if (!t->upload)
			return -1;
		fseek(t->upload, 0, SEEK_END);
		long size = ftell(t->upload);
		rewind(t->upload);
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READDATA, t->upload);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
		if (strcmp(m, "PUT") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
		return 0;
	}
	if (req->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body);
		if (strcmp(m, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
		return 0;
	}
	if (strcmp(m, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(m, "GET") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
	return 0;
}

static int build_headers(struct transfer *t, const struct relayd_http_request *req)
{
	struct curl_slist *l = NULL;
	/* No "Expect: 100-continue": servers that ignore it cost a second. But
	 * curl 7.88 signs every CURLOPT_HTTPHEADER line for SigV4, even a
	 * blanking one, so signed requests skip the 100-continue wait instead. */
	if (req->aws_sigv4) {
		curl_easy_setopt(t->easy, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
	} else if (!(l = curl_slist_append(NULL, "Expect:"))) {
		return -1;
	}
	for (const char *const *h = req->headers; h && *h; h++) {
		struct curl_slist *n = curl_slist_append(l, *h);
		if (!n) {
			curl_slist_free_all(l);
			return -1;
		}
		l = n;
	}
	t->req_headers = l;
	return 0;
}

static void apply_settings(struct transfer *t, const struct relayd_http_request *req,
                           const struct http_settings *s)
{
	CURL *e = t->easy;
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)t);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, t->timeout_ms);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->req_headers);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(e, CURLOPT_PROXY, s->proxy ? s->proxy : "");
	if (s->no_proxy)
		curl_easy_setopt(e, CURLOPT_NOPROXY, s->no_proxy);
	if (s->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, s->ca_file);
	if (s->user_agent)
		curl_easy_setopt(e, CURLOPT_USERAGENT, s->user_agent);
	if (req->http_version == 11)
		curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	if (req->userpwd)
		curl_easy_setopt(e, CURLOPT_USERPWD, req->userpwd);
	if (req->aws_sigv4)
		curl_easy_setopt(e, CURLOPT_AWS_SIGV4, req->aws_sigv4);
}

void http_client_start(struct http_client *c, const struct relayd_http_request *req,
                       const struct http_settings *s, http_client_cb cb, void *arg)
{
	if (!req->url || c->aborting) {
		fail_later(c, cb, arg, c->aborting ? "relayd is stopping" : "no URL");
		return;
	}
	struct transfer *t = calloc(1, sizeof(*t));
	if (!t || !(t->easy = easy_take(c))) {
		free(t);
		fail_later(c, cb, arg, "out of memory");
		return;
	}
	t->client = c;
	t->cb = cb;
	t->arg = arg;
	t->timeout_ms = s->timeout_ms > 0 ? s->timeout_ms : 1;
	t->max_body = req->max_response_body ? req->max_response_body : s->max_response_body;
	if (build_headers(t, req) || set_method_and_body(t, req)) {
		transfer_free(t);
		fail_later(c, cb, arg, "cannot prepare the request body");
		return;
	}
	apply_settings(t, req, s);
	if (curl_multi_add_handle(c->multi, t->easy) != CURLM_OK) {
		transfer_free(t);
		fail_later(c, cb, arg, "cannot start the request");
		return;
	}
	t->next = c->transfers;
	if (t->next)
		t->next->prev = t;
	c->transfers = t;
	c->running++;
}

size_t http_client_running(const struct http_client *c)
{
	return c->running;
}

struct http_client *http_client_new(struct loop *l)
{
	struct http_client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->loop = l;
	c->multi = curl_multi_init();
	c->timer = evtimer_new(l->base, on_timer, c);
	if (!c->multi || !c->timer) {
		http_client_free(c);
		return NULL;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	/* Keep idle upstream connections for reuse across requests. */
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, 2048L);
	return c;
}

void http_client_abort(struct http_client *c, const char *why)
{
	c->aborting = true;
	while (c->transfers) {
		struct transfer *t = c->transfers;
		curl_multi_remove_handle(c->multi, t->easy);
		unlink_transfer(t);
		snprintf(t->errbuf, sizeof(t->errbuf), "%s", why);
		finish_transfer(t, CURLE_ABORTED_BY_CALLBACK);
	}
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	while (c->transfers) {
		struct transfer *t = c->transfers;
		curl_multi_remove_handle(c->multi, t->easy);
		unlink_transfer(t);
		transfer_free(t);
	}
	for (size_t i = 0; i < c->n_idle; i++)
		curl_easy_cleanup(c->idle[i]);
	free(c->idle);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	if (c->timer)
		event_free(c->timer);
	free(c);
}
