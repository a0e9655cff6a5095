/* SPDX-License-Identifier: MIT */
/* Check suite for the fixture upstream server, driven as a child process over HTTP(S). */
#include <check.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WAIT_STEP_MS 10
#define WAIT_STEPS 1000 /* 10 s for the server to come up or go down */

/* One server per test; Check forks each test, so these are per test. */
static char g_dir[4096];
static pid_t g_pid = -1;
static unsigned g_port;

struct resp {
	CURLcode rc;
	long code;
	long verify_result;
	char *body;
	size_t body_len;
	char *headers;
	size_t headers_len;
};

struct req_opts {
	const char *method;        /* NULL = GET */
	const char *body;          /* request body, or NULL */
	const char *header;        /* one extra request header, or NULL */
	long timeout_ms;           /* 0 = 20 s */
	const char *cainfo;        /* CA file for https, or NULL = curl's default store */
	const char *resolve;       /* CURLOPT_RESOLVE entry, or NULL */
};

/* ---- helpers ------------------------------------------------------------------------------ */

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void path_in_dir(char *out, size_t outlen, const char *name)
{
	ck_assert_int_lt(snprintf(out, outlen, "%s/%s", g_dir, name), (int)outlen);
}

static void write_file(const char *name, const char *content)
{
	char path[4200];
	FILE *f;

	path_in_dir(path, sizeof(path), name);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "cannot write %s", path);
	ck_assert_int_eq(fputs(content, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
}

/* Whole file as a NUL-terminated string, or NULL if it does not exist. */
static char *read_file(const char *name)
{
	char path[4200];
	char *buf;
	FILE *f;
	long size;

	path_in_dir(path, sizeof(path), name);
	f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	ck_assert_int_ge(size, 0);
	rewind(f);
	buf = calloc(1, (size_t)size + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)size, f), (size_t)size);
	fclose(f);
	return buf;
}

/* rm -r for the small trees the tests make (files and one level of folders). */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		char sub[8192];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0) != 0 && errno == EISDIR &&
			(size_t)snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name) < sizeof(sub))
			remove_tree(sub);
	}
	closedir(d);
	rmdir(dir);
}

static const char *server_path(void)
{
	const char *p = getenv("FIXTURE_SERVER");

	ck_assert_msg(p != NULL && p[0] != '\0', "FIXTURE_SERVER is not set");
	return p;
}

/* Run fixture_server with argv[1..] = args (NULL-terminated); stdout goes to dir/stdout. */
static pid_t spawn_server(const char *const *args)
{
	const char *argv[32];
	char out_path[4200];
	size_t n = 0;
	pid_t pid;

	argv[n++] = server_path();
	for (size_t i = 0; args[i] != NULL && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	path_in_dir(out_path, sizeof(out_path), "stdout");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		/* A failed test exits without teardown; the server must not outlive it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd >= 0)
			dup2(fd, STDOUT_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

/* Wait (bounded) for the child to exit; returns its wait status, or -1 if it did not. */
static int wait_exit(pid_t pid)
{
	int status;

	for (int i = 0; i < WAIT_STEPS; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		ck_assert_int_eq(r, 0);
		sleep_ms(WAIT_STEP_MS);
	}
	return -1;
}

static void start_server_with(const char *const *extra)
{
	char port_file[4200];
	char routes[4200];
	const char *args[24] = {"--port", "0", "--port-file", port_file, "--routes", routes,
		"--quiet", "--max-seconds", "120"};
	size_t n = 9;
	char *text = NULL;

	path_in_dir(port_file, sizeof(port_file), "port");
	path_in_dir(routes, sizeof(routes), "routes.json");
	for (size_t i = 0; extra != NULL && extra[i] != NULL && n < 23; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	g_pid = spawn_server(args);
	for (int i = 0; i < WAIT_STEPS && text == NULL; i++) {
		int status;

		ck_assert_msg(waitpid(g_pid, &status, WNOHANG) == 0,
			"fixture_server exited before listening");
		text = read_file("port");
		if (text == NULL)
			sleep_ms(WAIT_STEP_MS);
	}
	ck_assert_msg(text != NULL, "no port file after %d ms", WAIT_STEPS * WAIT_STEP_MS);
	{
		char *end = NULL;
		long port = strtol(text, &end, 10);

		ck_assert_msg(port > 0 && port < 65536 && strcmp(end, "\n") == 0,
			"bad port file \"%s\"", text);
		g_port = (unsigned)port;
	}
	free(text);
}

static void start_server(void)
{
	start_server_with(NULL);
}

static int stop_server(void)
{
	int status;

	if (g_pid < 0)
		return -1;
	kill(g_pid, SIGTERM);
	status = wait_exit(g_pid);
	if (status == -1) {
		kill(g_pid, SIGKILL);
		waitpid(g_pid, &status, 0);
		status = -1;
	}
	g_pid = -1;
	return status;
}

/* Response bytes (body or header lines) gathered by curl callbacks. */
struct sink {
	char *data;
	size_t len;
};

static size_t collect(char *data, size_t size, size_t nmemb, void *arg)
{
	struct sink *sink = arg;
	size_t n = size * nmemb;
	char *grown = realloc(sink->data, sink->len + n + 1);

	if (grown == NULL)
		return 0;
	memcpy(grown + sink->len, data, n);
	sink->len += n;
	grown[sink->len] = '\0';
	sink->data = grown;
	return n;
}

static CURL *make_easy(const char *url, const struct req_opts *o, struct sink *body,
	struct sink *headers, struct curl_slist **lists)
{
	CURL *c = curl_easy_init();

	ck_assert_ptr_nonnull(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, o && o->timeout_ms ? o->timeout_ms : 20000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, headers);
	if (o != NULL && o->method != NULL)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, o->method);
	if (o != NULL && o->body != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, o->body);
	if (o != NULL && o->header != NULL) {
		lists[0] = curl_slist_append(NULL, o->header);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, lists[0]);
	}
	if (o != NULL && o->cainfo != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, o->cainfo);
	if (o != NULL && o->resolve != NULL) {
		lists[1] = curl_slist_append(NULL, o->resolve);
		curl_easy_setopt(c, CURLOPT_RESOLVE, lists[1]);
	}
	return c;
}

static struct resp request_url(const char *url, const struct req_opts *o)
{
	struct sink body = {0};
	struct sink headers = {0};
	struct curl_slist *lists[2] = {NULL, NULL};
	CURL *c = make_easy(url, o, &body, &headers, lists);
	struct resp r = {0};

	r.rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.code);
	curl_easy_getinfo(c, CURLINFO_SSL_VERIFYRESULT, &r.verify_result);
	r.body = body.data ? body.data : strdup("");
	r.body_len = body.len;
	r.headers = headers.data ? headers.data : strdup("");
	r.headers_len = headers.len;
	curl_slist_free_all(lists[0]);
	curl_slist_free_all(lists[1]);
	curl_easy_cleanup(c);
	return r;
}

static struct resp request(const char *path, const struct req_opts *o)
{
	char url[512];

	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", g_port, path);
	return request_url(url, o);
}

static struct resp get(const char *path)
{
	return request(path, NULL);
}

static void resp_free(struct resp *r)
{
	free(r->body);
	free(r->headers);
}

static void assert_body(const char *path, long code, const char *body)
{
	struct resp r = get(path);

	ck_assert_msg(r.rc == CURLE_OK, "%s: %s", path, curl_easy_strerror(r.rc));
	ck_assert_int_eq(r.code, code);
	ck_assert_str_eq(r.body, body);
	resp_free(&r);
}

static void assert_json_text(const char *got_text, const char *expected)
{
	json_error_t err;
	json_t *want = json_loads(expected, 0, &err);
	json_t *got = json_loads(got_text, 0, &err);

	ck_assert_msg(want != NULL, "bad expected JSON %s", expected);
	ck_assert_msg(got != NULL && json_equal(want, got), "got %s, want %s", got_text,
		expected);
	json_decref(want);
	json_decref(got);
}

/* The JSON answer of path must equal `expected` (compared as JSON values). */
static void assert_json(const char *method, const char *path, long code, const char *expected)
{
	struct req_opts o = {.method = method, .body = strcmp(method, "POST") == 0 ? "" : NULL};
	struct resp r = request(path, &o);

	ck_assert_int_eq(r.rc, CURLE_OK);
	ck_assert_msg(r.code == code, "%s %s: status %ld, want %ld", method, path, r.code, code);
	assert_json_text(r.body, expected);
	resp_free(&r);
}

static const char routes_json[] =
	"{\"routes\": [\n"
	" {\"method\": \"GET\", \"path\": \"/api/info.php\","
	"  \"query\": {\"indicator\": \"parkingcrew.net\"}, \"status\": 200, \"reason\": \"OK\","
	"  \"headers\": {\"Content-Type\": \"application/json\", \"X-Fixture\": \"info\"},"
	"  \"body_file\": \"info.json\"},\n"
	" {\"method\": \"GET\", \"path\": \"/api/info.php\", \"query\": {\"indicator\": \"a b\"},"
	"  \"body\": \"spaced\"},\n"
	" {\"method\": \"GET\", \"path\": \"/api/info.php\", \"status\": 404,"
	"  \"reason\": \"Not Here\", \"body\": \"fallback\"},\n"
	" {\"method\": \"POST\", \"path\": \"/post-only\", \"body\": \"posted\"},\n"
	" {\"path\": \"/prefix/*\", \"body\": \"prefixed\"},\n"
	" {\"path\": \"/teapot\", \"status\": 418, \"reason\": \"I'm a fixture\", \"body\": \"t\"},\n"
	" {\"path\": \"/empty-reason\", \"status\": 503, \"reason\": \"\", \"body\": \"e\"},\n"
	" {\"path\": \"/delay\", \"delay_ms\": 200, \"body\": \"late\"},\n"
	" {\"path\": \"/reset\", \"fault\": \"reset\"},\n"
	" {\"path\": \"/close\", \"fault\": \"close\"},\n"
	" {\"path\": \"/truncate\", \"fault\": \"truncate\", \"body\": \"partial\"},\n"
	" {\"path\": \"/invalid\", \"fault\": \"invalid_json\", \"status\": 500},\n"
	" {\"path\": \"/hang\", \"fault\": \"hang\"},\n"
	" {\"path\": \"/barrier\", \"barrier\": {\"count\": 20, \"timeout_ms\": 30000},"
	"  \"body\": \"released\"},\n"
	" {\"path\": \"/barrier-timeout\", \"barrier\": {\"count\": 5, \"timeout_ms\": 200},"
	"  \"body\": \"timed out\"},\n"
	" {\"path\": \"/json\", \"body_json\": {\"b\": 1, \"a\": [true, null]}},\n"
	" {\"path\": \"/x\", \"body\": \"static\"}\n"
	"]}\n";

static const char info_json[] = "{\"iid\": 2, \"indicator\": \"parkingcrew.net\"}\n";

/* Made once in the parent; each forked test gets its own folder inside it. */
static char g_base[4096];

static void setup_base(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(g_base, sizeof(g_base), "%s/fixture_server_test.XXXXXX",
		tmp && tmp[0] ? tmp : "/tmp");
	if (mkdtemp(g_base) == NULL)
		g_base[0] = '\0';
}

/* Runs in the parent even when a test failed (checked teardowns then do not). */
static void teardown_base(void)
{
	if (g_base[0] != '\0')
		remove_tree(g_base);
}

static void setup(void)
{
	ck_assert_msg(g_base[0] != '\0', "cannot create a temporary folder");
	ck_assert_int_lt(snprintf(g_dir, sizeof(g_dir), "%s/case.XXXXXX", g_base),
		(int)sizeof(g_dir));
	ck_assert_ptr_nonnull(mkdtemp(g_dir));
	write_file("routes.json", routes_json);
	write_file("info.json", info_json);
	g_pid = -1;
}

static void teardown(void)
{
	stop_server();
	remove_tree(g_dir);
}

/* ---- tests -------------------------------------------------------------------------------- */

START_TEST(test_fixture_body_and_header)
{
	struct resp r;

	start_server();
	r = get("/api/info.php?indicator=parkingcrew.net");
	ck_assert_int_eq(r.rc, CURLE_OK);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, info_json);
	ck_assert_msg(strstr(r.headers, "\r\nX-Fixture: info\r\n") != NULL, "%s", r.headers);
	ck_assert_msg(strstr(r.headers, "\r\nContent-Type: application/json\r\n") != NULL, "%s",
		r.headers);
	ck_assert_msg(strncmp(r.headers, "HTTP/1.1 200 OK\r\n", 17) == 0, "%s", r.headers);
	resp_free(&r);
}
END_TEST

START_TEST(test_query_matching)
{
	struct resp r;

	start_server();
	assert_body("/api/info.php?indicator=a%20b", 200, "spaced");
	assert_body("/api/info.php?x=1&indicator=a+b", 200, "spaced");
	assert_body("/api/info.php?indicator=other", 404, "fallback");
	assert_body("/api/info.php", 404, "fallback");
	r = get("/api/info.php?indicator=parkingcrew.nett");
	ck_assert_str_eq(r.body, "fallback");
	ck_assert_msg(strncmp(r.headers, "HTTP/1.1 404 Not Here\r\n", 23) == 0, "%s", r.headers);
	resp_free(&r);
}
END_TEST

START_TEST(test_no_route_404)
{
	struct req_opts post = {.method = "POST", .body = "x"};
	struct resp r;

	start_server();
	assert_body("/nope?q=1", 404, "{\"error\":\"no fixture route\",\"method\":\"GET\","
		"\"path\":\"/nope\"}");
	/* Method is part of the match. */
	assert_body("/post-only", 404, "{\"error\":\"no fixture route\",\"method\":\"GET\","
		"\"path\":\"/post-only\"}");
	r = request("/post-only", &post);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "posted");
	resp_free(&r);
	/* Prefix routes match below the prefix only. */
	assert_body("/prefix/a/b", 200, "prefixed");
	assert_body("/prefix", 404, "{\"error\":\"no fixture route\",\"method\":\"GET\","
		"\"path\":\"/prefix\"}");
	assert_json("GET", "/__nothing", 404,
		"{\"error\":\"unknown control endpoint\",\"path\":\"/__nothing\"}");
}
END_TEST

START_TEST(test_reason_phrase)
{
	struct resp r;

	start_server();
	r = get("/teapot");
	ck_assert_int_eq(r.code, 418);
	ck_assert_msg(strncmp(r.headers, "HTTP/1.1 418 I'm a fixture\r\n", 28) == 0, "%s",
		r.headers);
	resp_free(&r);
	r = get("/empty-reason");
	ck_assert_int_eq(r.code, 503);
	ck_assert_msg(strncmp(r.headers, "HTTP/1.1 503 \r\n", 15) == 0, "%s", r.headers);
	resp_free(&r);
}
END_TEST

START_TEST(test_delay_answers)
{
	start_server();
	assert_body("/delay", 200, "late");
	assert_json("GET", "/__stats", 200,
		"{\"requests\":1,\"inflight\":0,\"max_inflight\":1,\"paths\":{\"/delay\":1}}");
}
END_TEST

START_TEST(test_faults)
{
	struct req_opts quick = {.timeout_ms = 300};
	struct resp r;
	struct resp s = {0};
	int i;

	start_server();
	r = get("/reset");
	ck_assert_msg(r.rc == CURLE_RECV_ERROR, "reset gave %d %s", r.rc,
		curl_easy_strerror(r.rc));
	resp_free(&r);
	r = get("/close");
	ck_assert_msg(r.rc == CURLE_GOT_NOTHING, "close gave %d %s", r.rc,
		curl_easy_strerror(r.rc));
	resp_free(&r);
	r = get("/truncate");
	ck_assert_msg(r.rc == CURLE_PARTIAL_FILE, "truncate gave %d %s", r.rc,
		curl_easy_strerror(r.rc));
	ck_assert_str_eq(r.body, "partial");
	ck_assert_msg(strstr(r.headers, "Content-Length: 1031\r\n") != NULL, "%s", r.headers);
	resp_free(&r);
	r = request("/hang", &quick);
	ck_assert_msg(r.rc == CURLE_OPERATION_TIMEDOUT, "hang gave %d %s", r.rc,
		curl_easy_strerror(r.rc));
	resp_free(&r);
	/* The server notices the client gave up: in flight drops back to 0. */
	for (i = 0; i < WAIT_STEPS; i++) {
		s = get("/__stats");
		if (strstr(s.body, "\"inflight\":0,") != NULL)
			break;
		resp_free(&s);
		sleep_ms(WAIT_STEP_MS);
	}
	ck_assert_msg(i < WAIT_STEPS, "hung request still counted in flight");
	resp_free(&s);
	/* Still serving after all that. */
	assert_body("/x", 200, "static");
}
END_TEST

START_TEST(test_invalid_json_and_body_json)
{
	struct resp r;

	start_server();
	assert_body("/invalid", 200, "{\"truncated\": ");
	r = get("/json");
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "{\"b\":1,\"a\":[true,null]}");
	ck_assert_msg(strstr(r.headers, "\r\nContent-Type: application/json\r\n") != NULL, "%s",
		r.headers);
	resp_free(&r);
}
END_TEST

START_TEST(test_stats_and_reset)
{
	start_server();
	assert_body("/x", 200, "static");
	assert_body("/x?a=1", 200, "static");
	assert_body("/nope", 404, "{\"error\":\"no fixture route\",\"method\":\"GET\","
		"\"path\":\"/nope\"}");
	assert_json("GET", "/__stats", 200,
		"{\"requests\":3,\"inflight\":0,\"max_inflight\":1,"
		"\"paths\":{\"/x\":2,\"/nope\":1}}");
	assert_json("POST", "/__stats", 405, "{\"error\":\"method not allowed\",\"allow\":\"GET\"}");
	assert_json("POST", "/__reset", 200, "{\"ok\":true}");
	assert_json("GET", "/__stats", 200,
		"{\"requests\":0,\"inflight\":0,\"max_inflight\":0,\"paths\":{}}");
	assert_json("GET", "/__log", 200, "[]");
}
END_TEST

/* n parallel GETs of path through curl multi; every one must answer 200 with body. */
static void parallel_gets(const char *path, int n, const char *body)
{
	CURLM *m = curl_multi_init();
	CURL *easy[32];
	struct sink bodies[32];
	struct sink headers[32];
	char url[256];
	int running = 1;
	int rounds = 0;
	int done = 0;
	CURLMsg *msg;
	int left;

	ck_assert_int_le(n, 32);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", g_port, path);
	memset(bodies, 0, sizeof(bodies));
	memset(headers, 0, sizeof(headers));
	for (int i = 0; i < n; i++) {
		easy[i] = make_easy(url, NULL, &bodies[i], &headers[i], NULL);
		ck_assert_int_eq(curl_multi_add_handle(m, easy[i]), CURLM_OK);
	}
	/* Bounded: 600 polls of at most 100 ms. */
	while (running > 0 && rounds++ < 600) {
		ck_assert_int_eq(curl_multi_perform(m, &running), CURLM_OK);
		if (running > 0)
			ck_assert_int_eq(curl_multi_poll(m, NULL, 0, 100, NULL), CURLM_OK);
	}
	ck_assert_int_eq(running, 0);
	while ((msg = curl_multi_info_read(m, &left)) != NULL) {
		long code = 0;

		ck_assert_int_eq(msg->msg, CURLMSG_DONE);
		ck_assert_msg(msg->data.result == CURLE_OK, "parallel GET: %s",
			curl_easy_strerror(msg->data.result));
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		ck_assert_int_eq(code, 200);
		done++;
	}
	ck_assert_int_eq(done, n);
	for (int i = 0; i < n; i++) {
		ck_assert_str_eq(bodies[i].data, body);
		curl_multi_remove_handle(m, easy[i]);
		curl_easy_cleanup(easy[i]);
		free(bodies[i].data);
		free(headers[i].data);
	}
	curl_multi_cleanup(m);
}

START_TEST(test_barrier_max_inflight)
{
	start_server();
	parallel_gets("/barrier", 20, "released");
	assert_json("GET", "/__stats", 200,
		"{\"requests\":20,\"inflight\":0,\"max_inflight\":20,"
		"\"paths\":{\"/barrier\":20}}");
}
END_TEST

START_TEST(test_barrier_timeout_and_reuse)
{
	start_server();
	/* 2 of 5 arrive: the timeout releases them. */
	parallel_gets("/barrier-timeout", 2, "timed out");
	/* Everything answered, so the barrier re-armed: a lone request waits for the timeout. */
	parallel_gets("/barrier-timeout", 1, "timed out");
	assert_json("GET", "/__stats", 200,
		"{\"requests\":3,\"inflight\":0,\"max_inflight\":2,"
		"\"paths\":{\"/barrier-timeout\":3}}");
}
END_TEST

START_TEST(test_routes_replacement)
{
	struct req_opts post_ok = {.method = "POST",
		.body = "{\"routes\": [{\"path\": \"/x\", \"status\": 503, \"body\": \"down\"}]}"};
	struct req_opts post_bad = {.method = "POST", .body = "{\"routes\": 5}"};
	struct req_opts post_fault = {.method = "POST",
		.body = "{\"routes\": [{\"path\": \"/x\", \"fault\": \"explode\"}]}"};
	struct resp r;

	start_server();
	assert_body("/x", 200, "static");
	r = request("/__routes", &post_ok);
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "{\"ok\":true}");
	resp_free(&r);
	assert_body("/x", 503, "down");
	assert_body("/teapot", 404, "{\"error\":\"no fixture route\",\"method\":\"GET\","
		"\"path\":\"/teapot\"}");
	r = request("/__routes", &post_bad);
	ck_assert_int_eq(r.code, 400);
	ck_assert_str_eq(r.body,
		"{\"ok\":false,\"error\":\"the document must be {\\\"routes\\\": [ ... ]}\"}");
	resp_free(&r);
	r = request("/__routes", &post_fault);
	ck_assert_int_eq(r.code, 400);
	ck_assert_str_eq(r.body, "{\"ok\":false,\"error\":\"routes[0].fault: must be one of "
		"none, reset, hang, truncate, invalid_json, close\"}");
	resp_free(&r);
	/* A rejected document leaves the routes as they were. */
	assert_body("/x", 503, "down");
}
END_TEST

START_TEST(test_request_log)
{
	struct req_opts post = {.method = "POST", .body = "hello", .header = "X-Test: yes"};
	struct resp r;
	json_t *log;
	json_t *e;
	json_error_t err;

	start_server();
	r = request("/post-only?a=1&b=two%20words", &post);
	ck_assert_int_eq(r.code, 200);
	resp_free(&r);
	assert_body("/x", 200, "static");
	r = get("/__log");
	log = json_loads(r.body, 0, &err);
	ck_assert_msg(json_is_array(log) && json_array_size(log) == 2, "%s", r.body);
	e = json_array_get(log, 0);
	ck_assert_str_eq(json_string_value(json_object_get(e, "method")), "POST");
	ck_assert_str_eq(json_string_value(json_object_get(e, "path")), "/post-only");
	ck_assert_str_eq(json_string_value(json_object_get(e, "query_string")),
		"a=1&b=two%20words");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "query"), "b")),
		"two words");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(e, "headers"),
		"X-Test")), "yes");
	ck_assert_str_eq(json_string_value(json_object_get(e, "body")), "hello");
	e = json_array_get(log, 1);
	ck_assert_str_eq(json_string_value(json_object_get(e, "method")), "GET");
	ck_assert_str_eq(json_string_value(json_object_get(e, "body")), "");
	ck_assert(json_is_null(json_object_get(e, "query_string")));
	json_decref(log);
	resp_free(&r);
}
END_TEST

static void gen_cert(void)
{
	const char *args[] = {"--gen-cert", g_dir, NULL};
	pid_t pid = spawn_server(args);
	int status = wait_exit(pid);
	char *cert;
	char *key;

	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "--gen-cert status %d",
		status);
	cert = read_file("cert.pem");
	key = read_file("key.pem");
	ck_assert_ptr_nonnull(cert);
	ck_assert_ptr_nonnull(key);
	ck_assert_ptr_nonnull(strstr(cert, "-----BEGIN CERTIFICATE-----"));
	ck_assert_ptr_nonnull(strstr(key, "-----BEGIN PRIVATE KEY-----"));
	free(cert);
	free(key);
}

START_TEST(test_tls_mode)
{
	char cert[4200];
	char key[4200];
	char url[256];
	char resolve[64];
	const char *extra[] = {"--tls-cert", cert, "--tls-key", key, NULL};
	struct req_opts trusted = {.cainfo = cert};
	struct req_opts by_name = {.cainfo = cert, .resolve = resolve};
	struct resp r;

	gen_cert();
	path_in_dir(cert, sizeof(cert), "cert.pem");
	path_in_dir(key, sizeof(key), "key.pem");
	start_server_with(extra);

	snprintf(url, sizeof(url), "https://127.0.0.1:%u/x", g_port);
	r = request_url(url, &trusted);
	ck_assert_msg(r.rc == CURLE_OK, "https with CAINFO: %s", curl_easy_strerror(r.rc));
	ck_assert_int_eq(r.code, 200);
	ck_assert_str_eq(r.body, "static");
	resp_free(&r);

	snprintf(resolve, sizeof(resolve), "localhost:%u:127.0.0.1", g_port);
	snprintf(url, sizeof(url), "https://localhost:%u/api/info.php?indicator=a%%20b", g_port);
	r = request_url(url, &by_name);
	ck_assert_msg(r.rc == CURLE_OK, "https://localhost: %s", curl_easy_strerror(r.rc));
	ck_assert_str_eq(r.body, "spaced");
	resp_free(&r);

	snprintf(url, sizeof(url), "https://127.0.0.1:%u/x", g_port);
	r = request_url(url, NULL);
	ck_assert_msg(r.rc == CURLE_PEER_FAILED_VERIFICATION, "untrusted gave %d %s", r.rc,
		curl_easy_strerror(r.rc));
	ck_assert_int_eq(r.verify_result, 18); /* X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT */
	resp_free(&r);

	/* HTTPS only: plain HTTP gets no answer. */
	r = get("/x");
	ck_assert_msg(r.rc != CURLE_OK, "plain HTTP to the TLS port answered %ld", r.code);
	resp_free(&r);
	/* Failed handshakes never become requests. */
	snprintf(url, sizeof(url), "https://127.0.0.1:%u/__stats", g_port);
	r = request_url(url, &trusted);
	assert_json_text(r.body, "{\"requests\":2,\"inflight\":0,\"max_inflight\":1,"
		"\"paths\":{\"/x\":1,\"/api/info.php\":1}}");
	resp_free(&r);
}
END_TEST

START_TEST(test_sigterm_exits_zero)
{
	char *port;
	char *out;
	char want[64];
	int status;

	start_server();
	port = read_file("port");
	out = read_file("stdout");
	snprintf(want, sizeof(want), "listening 127.0.0.1:%u\n", g_port);
	ck_assert_str_eq(out, want);
	snprintf(want, sizeof(want), "%u\n", g_port);
	ck_assert_str_eq(port, want);
	free(port);
	free(out);
	/* With a request held, too. */
	{
		struct req_opts quick = {.timeout_ms = 200};
		struct resp r = request("/hang", &quick);

		ck_assert_int_eq(r.rc, CURLE_OPERATION_TIMEDOUT);
		resp_free(&r);
	}
	status = stop_server();
	ck_assert_msg(status != -1, "no exit after SIGTERM");
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
}
END_TEST

START_TEST(test_max_seconds_exits_zero)
{
	const char *extra[] = {"--max-seconds", "1", NULL};
	int status;

	start_server_with(extra);
	status = wait_exit(g_pid);
	ck_assert_msg(status != -1, "still running after --max-seconds 1");
	g_pid = -1;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d", status);
}
END_TEST

START_TEST(test_bad_routes_file_fails)
{
	const char *args[] = {"--port", "0", "--routes", NULL, "--quiet", NULL};
	char routes[4200];
	int status;
	char *port;

	write_file("bad.json", "{\"routes\": [{\"path\": \"/x\", \"colour\": \"red\"}]}");
	path_in_dir(routes, sizeof(routes), "bad.json");
	args[3] = routes;
	status = wait_exit(spawn_server(args));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d", status);
	port = read_file("port");
	ck_assert_ptr_null(port);
}
END_TEST

static Suite *fixture_server_suite(void)
{
	Suite *s = suite_create("fixture_server");
	TCase *tc = tcase_create("server");

	tcase_add_unchecked_fixture(tc, setup_base, teardown_base);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fixture_body_and_header);
	tcase_add_test(tc, test_query_matching);
	tcase_add_test(tc, test_no_route_404);
	tcase_add_test(tc, test_reason_phrase);
	tcase_add_test(tc, test_delay_answers);
	tcase_add_test(tc, test_faults);
	tcase_add_test(tc, test_invalid_json_and_body_json);
	tcase_add_test(tc, test_stats_and_reset);
	tcase_add_test(tc, test_barrier_max_inflight);
	tcase_add_test(tc, test_barrier_timeout_and_reuse);
	tcase_add_test(tc, test_routes_replacement);
	tcase_add_test(tc, test_request_log);
	tcase_add_test(tc, test_tls_mode);
	tcase_add_test(tc, test_sigterm_exits_zero);
	tcase_add_test(tc, test_max_seconds_exits_zero);
	tcase_add_test(tc, test_bad_routes_file_fails);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	sr = srunner_create(fixture_server_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
