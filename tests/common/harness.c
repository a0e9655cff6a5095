/* SPDX-License-Identifier: MIT */
/* Process-level test harness: child processes (relayd, fixture server), their files, and HTTP clients. */
#include "harness.h"

#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HARNESS_MAX_PROCS 16
#define HARNESS_MAX_ARGS 64
#define HARNESS_POLL_MS 20L
#define HARNESS_STDERR_TAIL 4000

/* Live children, so the atexit handler can clean up after a failed test. */
static struct harness_proc *live_procs[HARNESS_MAX_PROCS];
static bool atexit_registered;

/* ---- small utilities ---------------------------------------------------- */

const char *harness_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || v[0] == '\0')
		ck_abort_msg("environment variable %s is not set (run through meson test)", name);
	return v;
}

void harness_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

char *harness_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, used = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - used < 4096) {
			char *bigger = realloc(buf, cap + 65536);

			if (bigger == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = bigger;
			cap += 65536;
		}
		size_t got = fread(buf + used, 1, cap - used - 1, f);

		used += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[used] = '\0';
	if (len != NULL)
		*len = used;
	return buf;
}

int harness_write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	size_t len = strlen(text);

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	f = fopen(tmp, "wb");
	if (f == NULL)
		return -1;
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

char *harness_printf(const char *fmt, ...)
{
	va_list ap;
	char *out = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&out, fmt, ap);
	va_end(ap);
	ck_assert_msg(n >= 0, "out of memory");
	return out;
}

bool harness_line_has(const char *text, const char *a, const char *b)
{
	const char *line = text;

	while (line != NULL && *line != '\0') {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		char *copy = strndup(line, n);
		bool hit = copy != NULL && strstr(copy, a) != NULL &&
		           (b == NULL || strstr(copy, b) != NULL);

		free(copy);
		if (hit)
			return true;
		line = end ? end + 1 : NULL;
	}
	return false;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *dir)
{
	if (dir[0] == '\0' || getenv("HARNESS_KEEP") != NULL)
		return;
	nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- the registry of live children --------------------------------------- */

static void print_stderr_tail(const struct harness_proc *p)
{
	size_t len = 0;
	char *text = harness_read_file(p->stderr_path, &len);

	if (text == NULL)
		return;
	fprintf(stderr, "---- %s (pid %d) stderr, last %d bytes ----\n%s\n---- end ----\n",
	        p->label, (int)p->pid, HARNESS_STDERR_TAIL,
	        len > HARNESS_STDERR_TAIL ? text + len - HARNESS_STDERR_TAIL : text);
	free(text);
}

static void reap_now(struct harness_proc *p)
{
	int status;

	if (p->pid <= 0)
		return;
	kill(p->pid, SIGKILL);
	if (waitpid(p->pid, &status, 0) == p->pid)
		p->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	p->killed = true;
	p->pid = 0;
}

void harness_cleanup(void)
{
	for (size_t i = 0; i < HARNESS_MAX_PROCS; i++) {
		struct harness_proc *p = live_procs[i];

		if (p == NULL)
			continue;
		if (p->pid > 0) {
			fprintf(stderr, "harness: %s was still running at the end of the test; killing it\n",
			        p->label);
			print_stderr_tail(p);
			reap_now(p);
		}
		remove_tree(p->dir);
		free(p);
		live_procs[i] = NULL;
	}
}

/* Root of this TCase's temporary folders; inherited by the forked tests
 * through the environment (HARNESS_ROOT). Only the runner process uses it. */
static char tcase_root[PATH_MAX];

static void root_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(tcase_root, sizeof(tcase_root), "%s/relayd-tests-XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(tcase_root) == NULL) {
		tcase_root[0] = '\0';
		return;
	}
	setenv("HARNESS_ROOT", tcase_root, 1);
}

static void root_teardown(void)
{
	if (tcase_root[0] == '\0')
		return;
	if (getenv("HARNESS_KEEP") != NULL)
		fprintf(stderr, "harness: kept %s\n", tcase_root);
	remove_tree(tcase_root);
	unsetenv("HARNESS_ROOT");
	tcase_root[0] = '\0';
}

void harness_tcase_fixtures(TCase *tc)
{
	tcase_add_unchecked_fixture(tc, root_setup, root_teardown);
	tcase_add_checked_fixture(tc, NULL, harness_cleanup);
}

/* out = "<p->dir>/<name>"; fails the test when it does not fit. */
static void path_in_dir(const struct harness_proc *p, const char *name, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s", p->dir, name);

	ck_assert_msg(n > 0 && (size_t)n < len, "path too long: %s/%s", p->dir, name);
}

static struct harness_proc *proc_new(const char *label)
{
	struct harness_proc *p = calloc(1, sizeof(*p));
	const char *root = getenv("HARNESS_ROOT");
	const char *tmp = root != NULL && root[0] != '\0' ? root : getenv("TMPDIR");

	ck_assert_msg(p != NULL, "out of memory");
	if (!atexit_registered) {
		atexit(harness_cleanup);
		atexit_registered = true;
	}
	p->exit_status = -1;
	snprintf(p->label, sizeof(p->label), "%s", label);
	snprintf(p->dir, sizeof(p->dir), "%s/relayd-test-%s-XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp", label);
	ck_assert_msg(mkdtemp(p->dir) != NULL, "mkdtemp %s: %s", p->dir, strerror(errno));
	path_in_dir(p, "stdout", p->stdout_path, sizeof(p->stdout_path));
	path_in_dir(p, "stderr", p->stderr_path, sizeof(p->stderr_path));
	for (size_t i = 0; i < HARNESS_MAX_PROCS; i++) {
		if (live_procs[i] == NULL) {
			live_procs[i] = p;
			return p;
		}
	}
	ck_abort_msg("more than %d harness processes at once", HARNESS_MAX_PROCS);
	return NULL;
}

static void proc_unregister(struct harness_proc *p)
{
	for (size_t i = 0; i < HARNESS_MAX_PROCS; i++)
		if (live_procs[i] == p)
			live_procs[i] = NULL;
}

/* ---- starting children ----------------------------------------------------- */

/* Splits $RELAYD_WRAPPER on spaces into argv (words point into buf). */
static size_t split_words(char *buf, const char **argv, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *w = strtok_r(buf, " \t", &save); w != NULL && n < max;
	     w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	return n;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void exec_child(const struct harness_proc *p, const char *const *argv, pid_t parent)
{
	int in = open("/dev/null", O_RDONLY);
	int out = open(p->stdout_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int err = open(p->stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	static const char msg[] = "harness: exec failed\n";

	if (in < 0 || out < 0 || err < 0)
		_exit(126);
	dup2(in, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	/* Die with the test process even when it is SIGKILLed (Check timeout). */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(125);
	execvp(argv[0], (char *const *)argv);
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(127);
	_exit(127);
}

static void proc_spawn(struct harness_proc *p, const char *const *argv)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0)
		exec_child(p, argv, parent);
	p->pid = pid;
}

/* Reaps p when it has exited; true then. */
static bool proc_reaped(struct harness_proc *p)
{
	int status;
	pid_t r;

	if (p->pid <= 0)
		return true;
	r = waitpid(p->pid, &status, WNOHANG);
	if (r != p->pid)
		return false;
	p->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	p->pid = 0;
	return true;
}

/* argv = [$RELAYD_WRAPPER words…] $RELAYD -c <config> [ready…] [extra…] NULL */
static void relayd_exec(struct harness_proc *p, bool with_ready, const char *const *extra)
{
	const char *argv[HARNESS_MAX_ARGS + 1];
	char wrapper[1024] = "";
	const char *w = getenv("RELAYD_WRAPPER");
	size_t n = 0;

	if (w != NULL)
		snprintf(wrapper, sizeof(wrapper), "%s", w);
	n = split_words(wrapper, argv, HARNESS_MAX_ARGS - 8);
	argv[n++] = harness_env("RELAYD");
	argv[n++] = "-c";
	argv[n++] = p->config_path;
	if (with_ready) {
		argv[n++] = "--ready-file";
		argv[n++] = p->ready_path;
	}
	for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
		ck_assert_msg(n < HARNESS_MAX_ARGS, "too many relayd arguments");
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
	proc_spawn(p, argv);
}

static struct harness_proc *relayd_prepare(const char *config_text)
{
	struct harness_proc *p = proc_new("relayd");

	path_in_dir(p, "relayd.conf", p->config_path, sizeof(p->config_path));
	path_in_dir(p, "ready", p->ready_path, sizeof(p->ready_path));
	ck_assert_msg(harness_write_file(p->config_path, config_text) == 0, "write %s: %s",
	              p->config_path, strerror(errno));
	return p;
}

struct harness_proc *harness_relayd_spawn(const char *config_text, const char *const *extra_args)
{
	struct harness_proc *p = relayd_prepare(config_text);

	relayd_exec(p, true, extra_args);
	return p;
}

/* "127.0.0.1:<port>\n" (or just "<port>\n") → port; 0 when not (yet) valid. */
static int parse_port(const char *text, char *address, size_t len)
{
	const char *colon = strrchr(text, ':');
	const char *digits = colon ? colon + 1 : text;
	char *end = NULL;
	long port;

	errno = 0;
	port = strtol(digits, &end, 10);
	if (errno != 0 || end == digits || port <= 0 || port > 65535)
		return 0;
	if (*end != '\n' && *end != '\0')
		return 0;
	if (colon != NULL)
		snprintf(address, len, "%.*s", (int)(end - text), text);
	else
		snprintf(address, len, "127.0.0.1:%ld", port);
	return (int)port;
}

/* Polls until path holds a port (twice the same when unterminated, in case
 * the writer is mid-write) or p exits, within timeout_ms. */
static int wait_for_port_file(struct harness_proc *p, const char *path, long timeout_ms)
{
	long deadline = monotonic_ms() + timeout_ms;
	char *previous = NULL;

	while (monotonic_ms() < deadline) {
		char *text = harness_read_file(path, NULL);

		if (text != NULL && text[0] != '\0') {
			bool complete = strchr(text, '\n') != NULL ||
			                (previous != NULL && strcmp(previous, text) == 0);
			int port = complete ? parse_port(text, p->address, sizeof(p->address)) : 0;

			if (port > 0) {
				p->port = port;
				free(text);
				free(previous);
				return 0;
			}
		}
		free(previous);
		previous = text;
		if (proc_reaped(p))
			break;
		harness_sleep_ms(HARNESS_POLL_MS);
	}
	free(previous);
	return -1;
}

int harness_relayd_wait_ready(struct harness_proc *p, long timeout_ms)
{
	return wait_for_port_file(p, p->ready_path, timeout_ms);
}

struct harness_proc *harness_relayd_start(const char *config_text)
{
	struct harness_proc *p = harness_relayd_spawn(config_text, NULL);

	if (harness_relayd_wait_ready(p, HARNESS_READY_TIMEOUT_MS) != 0) {
		print_stderr_tail(p);
		ck_abort_msg("relayd did not become ready (exit status %d, still running: %s)",
		             p->exit_status, p->pid > 0 ? "yes" : "no");
	}
	return p;
}

int harness_relayd_run(const char *config_text, const char *const *extra_args,
                       struct harness_proc **out)
{
	struct harness_proc *p = relayd_prepare(config_text);
	int status;

	relayd_exec(p, false, extra_args);
	status = harness_proc_wait_exit(p, HARNESS_READY_TIMEOUT_MS);
	if (status < 0) {
		print_stderr_tail(p);
		reap_now(p);
		ck_abort_msg("relayd was expected to exit but still ran after %ld ms",
		             HARNESS_READY_TIMEOUT_MS);
	}
	if (out != NULL)
		*out = p;
	else
		harness_proc_free(p);
	return status;
}

int harness_relayd_rewrite_config(struct harness_proc *p, const char *config_text)
{
	return harness_write_file(p->config_path, config_text);
}

struct harness_proc *harness_fixture_start(const char *routes_json)
{
	struct harness_proc *p = proc_new("fixture_server");

	path_in_dir(p, "routes.json", p->config_path, sizeof(p->config_path));
	path_in_dir(p, "port", p->ready_path, sizeof(p->ready_path));
	ck_assert_msg(harness_write_file(p->config_path, routes_json) == 0, "write %s: %s",
	              p->config_path, strerror(errno));

	/* --max-seconds: a fixture server outlives nothing, even if every other
	 * safeguard here failed. */
	const char *argv[] = { harness_env("FIXTURE_SERVER"), "--port", "0", "--port-file",
	                       p->ready_path, "--routes", p->config_path,
	                       "--max-seconds", "600", NULL };

	proc_spawn(p, argv);
	if (wait_for_port_file(p, p->ready_path, HARNESS_READY_TIMEOUT_MS) != 0) {
		print_stderr_tail(p);
		ck_abort_msg("fixture server did not write its port file (exit status %d)",
		             p->exit_status);
	}
	return p;
}

/* Runs `$FIXTURE_SERVER --gen-cert dir` to completion (bounded); 0 on exit 0. */
static int generate_certificate(struct harness_proc *p, const char *dir)
{
	const char *argv[] = { harness_env("FIXTURE_SERVER"), "--gen-cert", dir, NULL };

	proc_spawn(p, argv);
	if (harness_proc_wait_exit(p, HARNESS_READY_TIMEOUT_MS) < 0) {
		reap_now(p);
		return -1;
	}
	return p->exit_status == 0 ? 0 : -1;
}

struct harness_proc *harness_fixture_start_tls(const char *routes_json, char **cert_path)
{
	struct harness_proc *p = proc_new("fixture_server");
	char tls_dir[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];

	path_in_dir(p, "routes.json", p->config_path, sizeof(p->config_path));
	path_in_dir(p, "port", p->ready_path, sizeof(p->ready_path));
	path_in_dir(p, "tls", tls_dir, sizeof(tls_dir));
	path_in_dir(p, "tls/cert.pem", cert, sizeof(cert));
	path_in_dir(p, "tls/key.pem", key, sizeof(key));
	ck_assert_msg(mkdir(tls_dir, 0700) == 0, "mkdir %s: %s", tls_dir, strerror(errno));
	ck_assert_msg(harness_write_file(p->config_path, routes_json) == 0, "write %s: %s",
	              p->config_path, strerror(errno));
	if (generate_certificate(p, tls_dir) != 0) {
		print_stderr_tail(p);
		ck_abort_msg("fixture_server --gen-cert %s failed (exit status %d)", tls_dir,
		             p->exit_status);
	}
	p->exit_status = -1;

	const char *argv[] = { harness_env("FIXTURE_SERVER"), "--port", "0", "--port-file",
	                       p->ready_path, "--routes", p->config_path, "--tls-cert", cert,
	                       "--tls-key", key, "--max-seconds", "600", NULL };

	proc_spawn(p, argv);
	if (wait_for_port_file(p, p->ready_path, HARNESS_READY_TIMEOUT_MS) != 0) {
		print_stderr_tail(p);
		ck_abort_msg("TLS fixture server did not write its port file (exit status %d)",
		             p->exit_status);
	}
	if (cert_path != NULL) {
		*cert_path = strdup(cert);
		ck_assert_msg(*cert_path != NULL, "out of memory");
	}
	return p;
}

json_t *harness_fixture_stats(const struct harness_proc *fixture)
{
	json_t *stats = NULL;
	long status = harness_get_json(fixture, "/__stats", &stats);

	ck_assert_msg(status == 200 && json_is_object(stats),
	              "fixture GET /__stats: status %ld, JSON object: %s", status,
	              json_is_object(stats) ? "yes" : "no");
	return stats;
}

/* ---- any child ------------------------------------------------------------- */

int harness_proc_signal(struct harness_proc *p, int sig)
{
	if (p == NULL || proc_reaped(p))
		return -1;
	return kill(p->pid, sig);
}

int harness_proc_wait_exit(struct harness_proc *p, long timeout_ms)
{
	long deadline = monotonic_ms() + timeout_ms;

	for (;;) {
		if (proc_reaped(p))
			return p->exit_status;
		if (monotonic_ms() >= deadline)
			return -1;
		harness_sleep_ms(HARNESS_POLL_MS);
	}
}

int harness_proc_stop(struct harness_proc *p, int sig, long timeout_ms)
{
	int status;

	if (harness_proc_signal(p, sig) != 0)
		return p->exit_status;
	status = harness_proc_wait_exit(p, timeout_ms);
	if (status >= 0)
		return status;
	fprintf(stderr, "harness: %s ignored signal %d for %ld ms; SIGKILL\n", p->label, sig,
	        timeout_ms);
	print_stderr_tail(p);
	reap_now(p);
	return -1;
}

static char *read_or_empty(const char *path)
{
	char *text = harness_read_file(path, NULL);

	return text != NULL ? text : strdup("");
}

char *harness_proc_stderr(const struct harness_proc *p)
{
	return read_or_empty(p->stderr_path);
}

char *harness_proc_stdout(const struct harness_proc *p)
{
	return read_or_empty(p->stdout_path);
}

void harness_proc_free(struct harness_proc *p)
{
	if (p == NULL)
		return;
	if (!proc_reaped(p))
		reap_now(p);
	remove_tree(p->dir);
	proc_unregister(p);
	free(p);
}

void harness_url(const struct harness_proc *p, const char *path, char *out, size_t len)
{
	snprintf(out, len, "http://%s%s", p->address, path);
}

/* ---- HTTP client --------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
}

struct growbuf {
	char *data;
	size_t len;
};

static size_t growbuf_append(struct growbuf *b, const char *src, size_t n)
{
	char *bigger = realloc(b->data, b->len + n + 1);

	if (bigger == NULL)
		return 0;
	b->data = bigger;
	memcpy(b->data + b->len, src, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg)
{
	return growbuf_append(arg, ptr, size * nmemb);
}

/* One transfer's state; CURLOPT_PRIVATE points at it in the multi variant. */
struct transfer {
	CURL *easy;
	struct curl_slist *headers;
	struct growbuf body;
	struct growbuf head;
	struct harness_response *resp;
};

static void transfer_setup(struct transfer *t, const struct harness_request *req,
                           struct harness_response *resp)
{
	const char *method = req->method != NULL ? req->method : "GET";

	pthread_once(&curl_once, curl_init_once);
	memset(resp, 0, sizeof(*resp));
	*t = (struct transfer){ .resp = resp };
	t->easy = curl_easy_init();
	ck_assert_msg(t->easy != NULL, "curl_easy_init failed");
	curl_easy_setopt(t->easy, CURLOPT_URL, req->url);
	curl_easy_setopt(t->easy, CURLOPT_NOSIGNAL, 1L);
	/* An http_proxy in the environment must not reroute loopback tests. */
	curl_easy_setopt(t->easy, CURLOPT_PROXY, "");
	curl_easy_setopt(t->easy, CURLOPT_TIMEOUT_MS,
	                 req->timeout_ms > 0 ? req->timeout_ms : HARNESS_HTTP_TIMEOUT_MS);
	curl_easy_setopt(t->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(t->easy, CURLOPT_WRITEDATA, &t->body);
	curl_easy_setopt(t->easy, CURLOPT_HEADERFUNCTION, on_body);
	curl_easy_setopt(t->easy, CURLOPT_HEADERDATA, &t->head);
	curl_easy_setopt(t->easy, CURLOPT_PRIVATE, t);
	if (req->ca_file != NULL)
		curl_easy_setopt(t->easy, CURLOPT_CAINFO, req->ca_file);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(t->easy, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(t->easy, CURLOPT_CUSTOMREQUEST, method);
	if (req->body != NULL) {
		curl_easy_setopt(t->easy, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(t->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
		if (strcmp(method, "POST") != 0)
			curl_easy_setopt(t->easy, CURLOPT_CUSTOMREQUEST, method);
	}
	for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
		t->headers = curl_slist_append(t->headers, req->headers[i]);
	/* No "Expect: 100-continue" round trip for larger bodies. */
	t->headers = curl_slist_append(t->headers, "Expect:");
	curl_easy_setopt(t->easy, CURLOPT_HTTPHEADER, t->headers);
}

/* Moves the outcome into t->resp and releases the transfer. */
static void transfer_finish(struct transfer *t, CURLcode code)
{
	struct harness_response *resp = t->resp;

	resp->curl_code = (int)code;
	if (code == CURLE_OK)
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &resp->status);
	curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME, &resp->seconds);
	resp->body = t->body.data != NULL ? t->body.data : strdup("");
	resp->body_len = t->body.len;
	resp->headers = t->head.data != NULL ? t->head.data : strdup("");
	curl_slist_free_all(t->headers);
	curl_easy_cleanup(t->easy);
	t->easy = NULL;
}

int harness_http(const struct harness_request *req, struct harness_response *resp)
{
	struct transfer t;
	CURLcode code;

	transfer_setup(&t, req, resp);
	code = curl_easy_perform(t.easy);
	transfer_finish(&t, code);
	return code == CURLE_OK ? 0 : -1;
}

size_t harness_http_parallel(const struct harness_request *req, size_t n,
                             struct harness_response *resps)
{
	CURLM *multi;
	struct transfer *ts = calloc(n, sizeof(*ts));
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : HARNESS_HTTP_TIMEOUT_MS;
	long deadline = monotonic_ms() + timeout + 10000L;
	size_t answered = 0, finished = 0;
	int running = 0;

	pthread_once(&curl_once, curl_init_once);
	multi = curl_multi_init();
	ck_assert_msg(ts != NULL && multi != NULL, "out of memory");
	for (size_t i = 0; i < n; i++) {
		transfer_setup(&ts[i], req, &resps[i]);
		curl_multi_add_handle(multi, ts[i].easy);
	}
	while (finished < n && monotonic_ms() < deadline) {
		CURLMsg *msg;
		int left;

		curl_multi_perform(multi, &running);
		while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
			struct transfer *t = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
			curl_multi_remove_handle(multi, msg->easy_handle);
			if (msg->data.result == CURLE_OK)
				answered++;
			transfer_finish(t, msg->data.result);
			finished++;
		}
		if (finished < n)
			curl_multi_poll(multi, NULL, 0, 200, NULL);
	}
	/* Whatever is left ran past the deadline: record it as timed out. */
	for (size_t i = 0; i < n; i++) {
		if (ts[i].easy != NULL) {
			curl_multi_remove_handle(multi, ts[i].easy);
			transfer_finish(&ts[i], CURLE_OPERATION_TIMEDOUT);
		}
	}
	curl_multi_cleanup(multi);
	free(ts);
	return answered;
}

void harness_response_free(struct harness_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	free(resp->headers);
	resp->body = NULL;
	resp->headers = NULL;
}

const char *harness_response_header(const struct harness_response *resp, const char *name,
                                    char *out, size_t len)
{
	size_t name_len = strlen(name);
	const char *line = resp->headers;
	const char *found = NULL;
	size_t found_len = 0;

	while (line != NULL && *line != '\0') {
		const char *end = strstr(line, "\r\n");
		size_t n = end ? (size_t)(end - line) : strlen(line);

		if (n > name_len && line[name_len] == ':' && strncasecmp(line, name, name_len) == 0) {
			found = line + name_len + 1;
			found_len = n - name_len - 1;
			while (found_len > 0 && (*found == ' ' || *found == '\t')) {
				found++;
				found_len--;
			}
		}
		line = end ? end + 2 : NULL;
	}
	if (found == NULL)
		return NULL;
	snprintf(out, len, "%.*s", (int)found_len, found);
	return out;
}

json_t *harness_response_json(const struct harness_response *resp)
{
	if (resp->body == NULL)
		return NULL;
	/* Duplicate keys fail the parse: relays write CTIM as text field by
	 * field (ctim_doc_*), and a field written twice must not go unseen. */
	return json_loadb(resp->body, resp->body_len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, NULL);
}

long harness_get_json(const struct harness_proc *p, const char *path, json_t **json)
{
	char url[512];
	struct harness_request req = { .url = url };
	struct harness_response resp;
	long status;

	harness_url(p, path, url, sizeof(url));
	if (harness_http(&req, &resp) != 0) {
		int code = resp.curl_code;

		harness_response_free(&resp);
		ck_abort_msg("GET %s: no HTTP answer (curl error %d: %s)", url, code,
		             curl_easy_strerror((CURLcode)code));
	}
	status = resp.status;
	if (json != NULL)
		*json = harness_response_json(&resp);
	harness_response_free(&resp);
	return status;
}
