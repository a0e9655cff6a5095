/* SPDX-License-Identifier: MIT */
/* bench_cold: N connections, one request each, all sent at once — the jwks-cold load generator. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/*
 * wrk cannot do this: it keeps connections alive and sends as fast as it can,
 * so "1,000 concurrent first requests" needs its own client. bench_cold
 * connects all N sockets first, then writes every request in one tight loop
 * (so all N are in relayd before the first JWKS answer can come back), then
 * reads each answer to EOF (Connection: close).
 *
 * Prints one line:
 *   BENCH n=N ok=N errors=N connect_errors=N wall_us=N p50_us=N p99_us=N p999_us=N max_us=N
 * ok = status 200 and, with --expect, the body contains that text. Latency is
 * from the request's write to the end of its answer. Exit 0 when every request
 * was ok, 1 otherwise, 2 on a bad command line.
 */

#define MAX_CONNECTIONS 20000
#define MAX_ANSWER (1024 * 1024)
#define REQUEST_MAX (64 * 1024)

enum conn_state { C_CONNECTING, C_CONNECTED, C_WRITING, C_READING, C_DONE, C_FAILED };

struct conn {
	int fd;
	enum conn_state state;
	size_t sent;
	char *answer;
	size_t len, cap;
	int64_t start_us, end_us;
};

struct options {
	struct sockaddr_in addr;
	const char *path;
	const char *token_file;
	const char *body_file;
	const char *expect;
	long connections;
	long timeout_ms;
};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long parse_long(const char *text, long lo, long hi)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v < lo || v > hi)
		return -1;
	return v;
}

/* "127.0.0.1:8080" → addr; 0 or -1. */
static int parse_addr(const char *text, struct sockaddr_in *addr)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	long port;

	if (colon == NULL || (size_t)(colon - text) >= sizeof(host))
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	port = parse_long(colon + 1, 1, 65535);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_port = htons((uint16_t)port);
	if (port < 0 || inet_pton(AF_INET, host, &addr->sin_addr) != 1)
		return -1;
	return 0;
}

/* Whole file, trailing newlines removed; malloc'd, NULL on error. */
static char *read_file(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[4096];

	if (f == NULL) {
		fprintf(stderr, "bench_cold: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			char *grown = realloc(buf, cap);
			if (grown == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = grown;
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	if (buf == NULL && (buf = calloc(1, 1)) == NULL)
		return NULL;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		len--;
	buf[len] = '\0';
	*len_out = len;
	return buf;
}

/* The request text; malloc'd, its length in *len. */
static char *build_request(const struct options *o, size_t *len)
{
	size_t token_len = 0, body_len = 0;
	char *token = o->token_file ? read_file(o->token_file, &token_len) : NULL;
	char *body = o->body_file ? read_file(o->body_file, &body_len) : NULL;
	char *req = malloc(REQUEST_MAX);
	char auth[REQUEST_MAX / 2] = "";
	char length[64] = "";
	int n = -1;

	if (req != NULL && (o->token_file == NULL || token) && (o->body_file == NULL || body)) {
		if (token)
			snprintf(auth, sizeof(auth), "Authorization: Bearer %s\r\n", token);
		if (body)
			snprintf(length, sizeof(length),
			         "Content-Type: application/json\r\nContent-Length: %zu\r\n", body_len);
		n = snprintf(req, REQUEST_MAX, "%s %s HTTP/1.1\r\nHost: %s:%u\r\nConnection: close\r\n%s%s\r\n%s",
		             body ? "POST" : "GET", o->path, inet_ntoa(o->addr.sin_addr),
		             (unsigned)ntohs(o->addr.sin_port), auth, length, body ? body : "");
	}
	free(token);
	free(body);
	if (n < 0 || n >= REQUEST_MAX) {
		fprintf(stderr, "bench_cold: cannot build the request\n");
		free(req);
		return NULL;
	}
	*len = (size_t)n;
	return req;
}

/* Soft RLIMIT_NOFILE up to the hard limit: N sockets need N descriptors. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int open_connection(struct conn *c, const struct sockaddr_in *addr, int ep, uint32_t idx)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = idx};
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)addr, sizeof(*addr)) != 0 &&
	    errno != EINPROGRESS)
		return -1;
	c->state = C_CONNECTING;
	return epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void fail_conn(struct conn *c, int ep)
{
	if (c->fd >= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	c->state = C_FAILED;
}

/* Waits until no socket is still connecting (or the deadline passes). */
static void wait_connected(struct conn *conns, long n, int ep, int64_t deadline)
{
	long pending = 0;
	struct epoll_event evs[256];

	for (long i = 0; i < n; i++)
		pending += conns[i].state == C_CONNECTING;
	while (pending > 0 && now_us() < deadline) {
		int k = epoll_wait(ep, evs, 256, 100);
		for (int e = 0; e < k; e++) {
			struct conn *c = &conns[evs[e].data.u32];
			int err = 0;
			socklen_t elen = sizeof(err);
			if (c->state != C_CONNECTING)
				continue;
			pending--;
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen);
			if (err != 0) {
				fail_conn(c, ep);
				continue;
			}
			struct epoll_event ev = {.events = EPOLLIN, .data.u32 = evs[e].data.u32};
			epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			c->state = C_CONNECTED;
		}
	}
	for (long i = 0; i < n; i++)
		if (conns[i].state == C_CONNECTING)
			fail_conn(&conns[i], ep);
}

static void write_some(struct conn *c, const char *req, size_t len, int ep, uint32_t idx)
{
	ssize_t w = write(c->fd, req + c->sent, len - c->sent);

	if (w < 0 && errno != EAGAIN) {
		fail_conn(c, ep);
		return;
	}
	if (w > 0)
		c->sent += (size_t)w;
	if (c->sent == len) {
		c->state = C_READING;
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = idx};
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	} else if (c->state != C_WRITING) {
		c->state = C_WRITING;
		struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = idx};
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

/* Reads what is there; at EOF the answer is complete. */
static void read_some(struct conn *c, int ep)
{
	for (;;) {
		if (c->cap - c->len < 4096) {
			size_t cap = c->cap ? c->cap * 2 : 8192;
			char *grown = cap <= MAX_ANSWER ? realloc(c->answer, cap + 1) : NULL;
			if (grown == NULL) {
				fail_conn(c, ep);
				return;
			}
			c->answer = grown;
			c->cap = cap;
		}
		ssize_t r = read(c->fd, c->answer + c->len, c->cap - c->len);
		if (r > 0) {
			c->len += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EAGAIN)
			return;
		if (r < 0) {
			fail_conn(c, ep);
			return;
		}
		c->answer[c->len] = '\0';
		c->end_us = now_us();
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
		c->state = C_DONE;
		return;
	}
}

static void run_requests(struct conn *conns, long n, int ep, const char *req, size_t len,
                         int64_t deadline)
{
	long open = 0;
	struct epoll_event evs[256];

	for (long i = 0; i < n; i++) {
		if (conns[i].state != C_CONNECTED)
			continue;
		conns[i].start_us = now_us();
		write_some(&conns[i], req, len, ep, (uint32_t)i);
	}
	for (long i = 0; i < n; i++)
		open += conns[i].state == C_WRITING || conns[i].state == C_READING;
	while (open > 0 && now_us() < deadline) {
		int k = epoll_wait(ep, evs, 256, 100);
		for (int e = 0; e < k; e++) {
			uint32_t idx = evs[e].data.u32;
			struct conn *c = &conns[idx];
			if (c->state == C_WRITING)
				write_some(c, req, len, ep, idx);
			else if (c->state == C_READING)
				read_some(c, ep);
			if (c->state == C_DONE || c->state == C_FAILED)
				open--;
		}
	}
	for (long i = 0; i < n; i++)
		if (conns[i].state == C_WRITING || conns[i].state == C_READING)
			fail_conn(&conns[i], ep);
}

static bool answer_ok(const struct conn *c, const char *expect)
{
	const char *body;

	if (c->state != C_DONE || c->len < 12 || strncmp(c->answer, "HTTP/1.1 200", 12) != 0)
		return false;
	body = strstr(c->answer, "\r\n\r\n");
	return expect == NULL || (body != NULL && strstr(body, expect) != NULL);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The q-quantile (0..1) of n sorted values, nearest rank. */
static int64_t quantile(const int64_t *v, long n, double q)
{
	long rank = (long)(q * (double)n + 0.999999);

	if (n == 0)
		return 0;
	if (rank < 1)
		rank = 1;
	return v[(rank > n ? n : rank) - 1];
}

static int report(const struct conn *conns, long n, const char *expect, int64_t wall_us)
{
	int64_t *lat = calloc((size_t)n + 1, sizeof(*lat));
	long ok = 0, connect_errors = 0, m = 0;
	static bool shown;

	if (lat == NULL)
		return 1;
	for (long i = 0; i < n; i++) {
		if (conns[i].start_us == 0)
			connect_errors++;
		if (conns[i].state == C_DONE)
			lat[m++] = conns[i].end_us - conns[i].start_us;
		if (answer_ok(&conns[i], expect))
			ok++;
		else if (!shown && conns[i].state == C_DONE) {
			fprintf(stderr, "bench_cold: unexpected answer:\n%.600s\n", conns[i].answer);
			shown = true;
		}
	}
	qsort(lat, (size_t)m, sizeof(*lat), cmp_i64);
	printf("BENCH n=%ld ok=%ld errors=%ld connect_errors=%ld wall_us=%lld p50_us=%lld "
	       "p99_us=%lld p999_us=%lld max_us=%lld\n",
	       n, ok, n - ok, connect_errors, (long long)wall_us,
	       (long long)quantile(lat, m, 0.50), (long long)quantile(lat, m, 0.99),
	       (long long)quantile(lat, m, 0.999), (long long)(m ? lat[m - 1] : 0));
	free(lat);
	return ok == n ? 0 : 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_cold --addr IP:PORT --path PATH [--connections N] "
	                "[--token-file F] [--body-file F (POST)] [--expect TEXT] [--timeout-ms MS]\n");
	return 2;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"addr", required_argument, NULL, 'a'},     {"path", required_argument, NULL, 'p'},
		{"connections", required_argument, NULL, 'n'},
		{"token-file", required_argument, NULL, 't'},
		{"body-file", required_argument, NULL, 'b'}, {"expect", required_argument, NULL, 'e'},
		{"timeout-ms", required_argument, NULL, 'T'}, {NULL, 0, NULL, 0},
	};
	bool have_addr = false;
	int ch;

	*o = (struct options){.path = "/", .connections = 1000, .timeout_ms = 60000};
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'a': have_addr = parse_addr(optarg, &o->addr) == 0; break;
		case 'p': o->path = optarg; break;
		case 'n': o->connections = parse_long(optarg, 1, MAX_CONNECTIONS); break;
		case 't': o->token_file = optarg; break;
		case 'b': o->body_file = optarg; break;
		case 'e': o->expect = optarg; break;
		case 'T': o->timeout_ms = parse_long(optarg, 1, 3600000); break;
		default: return -1;
		}
	}
	if (!have_addr || optind != argc || o->connections < 0 || o->timeout_ms < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct options o;
	size_t req_len = 0;
	char *req;
	struct conn *conns;
	int ep, rc;

	if (parse_options(argc, argv, &o) != 0)
		return usage();
	if ((req = build_request(&o, &req_len)) == NULL)
		return 1;
	raise_nofile();
	conns = calloc((size_t)o.connections, sizeof(*conns));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (conns == NULL || ep < 0) {
		fprintf(stderr, "bench_cold: out of memory or epoll\n");
		return 1;
	}
	int64_t deadline = now_us() + (int64_t)o.timeout_ms * 1000;
	for (long i = 0; i < o.connections; i++) {
		conns[i].fd = -1;
		if (open_connection(&conns[i], &o.addr, ep, (uint32_t)i) != 0)
			fail_conn(&conns[i], ep);
	}
	wait_connected(conns, o.connections, ep, deadline);
	int64_t t0 = now_us();
	run_requests(conns, o.connections, ep, req, req_len, deadline);
	rc = report(conns, o.connections, o.expect, now_us() - t0);
	for (long i = 0; i < o.connections; i++)
		free(conns[i].answer);
	free(conns);
	free(req);
	close(ep);
	return rc;
}
