/* SPDX-License-Identifier: MIT */
/* The threatstack_s3 plugin end to end: relayd + the fixture server as Threat Stack + a dir store or s3rver as S3, with faults and webhook auth. */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "harness.h"
#include "harness_json.h"

/*
 * Processes: one fixture server (`fx`) plays the Threat Stack API v1
 * (GET /api/v1/alerts/<id> answers the fixture's detail with "id" set to the
 * requested id; GET /api/v1/alerts is the /status probe); s3rver 3.7.1
 * (tests/s3, started with node --openssl-legacy-provider, path-style, bucket
 * BUCKET, credentials S3RVER/S3RVER) plays S3; relayd runs the real plugin
 * from $REAL_PLUGIN_DIR. Check runs without fork, so processes started by a
 * TCase's unchecked fixture are shared by its tests. Every wait is bounded:
 * delivery is polled through GET …/status for at most DELIVERY_TIMEOUT_MS.
 *
 * s3rver is found at $S3RVER_JS, else at <source>/tests/s3/node_modules/
 * s3rver/bin/s3rver.js (the source folder comes from the build folder's
 * meson-info); node is $NODE or `node`. Debian's awscli is $AWSCLI or
 * /usr/bin/aws. A missing tool fails the tests that need it.
 */

#define BUCKET "ts-archive"
#define MOUNT "/threatstack_s3"
#define TS_KEY "ts-test-key"
#define TS_ORG "ts-test-org"
#define DELIVERY_TIMEOUT_MS 30000L
#define POLL_MS 50L
#define MAX_KEYS 4096

static char tmp_root[PATH_MAX];
static struct harness_proc *fx;

/* ---- small utilities ------------------------------------------------------------ */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void tmp_root_remove(void)
{
	if (tmp_root[0] == '\0')
		return;
	if (getenv("HARNESS_KEEP"))
		fprintf(stderr, "kept %s\n", tmp_root);
	else
		remove_tree(tmp_root);
	tmp_root[0] = '\0';
}

/* A new, empty folder under the suite's temporary root (malloc'd path). */
static char *fresh_dir(const char *name)
{
	static unsigned counter;
	if (tmp_root[0] == '\0') {
		const char *t = getenv("TMPDIR");
		snprintf(tmp_root, sizeof tmp_root, "%s/relayd-ts-XXXXXX", t && t[0] ? t : "/tmp");
		ck_assert_msg(mkdtemp(tmp_root) != NULL, "mkdtemp: %s", strerror(errno));
		atexit(tmp_root_remove);
	}
	char *dir = harness_printf("%s/%s-%u", tmp_root, name, ++counter);
	ck_assert_msg(mkdir(dir, 0700) == 0, "mkdir %s: %s", dir, strerror(errno));
	return dir;
}

static char *fixture_path(const char *name)
{
	return harness_fixture_path("threatstack_s3", name);
}

static json_t *fixture_json(const char *name)
{
	return harness_fixture_json("threatstack_s3", name);
}

static char *fixture_text(const char *name)
{
	char *path = fixture_path(name);
	char *text = harness_read_file(path, NULL);
	ck_assert_msg(text != NULL, "cannot read %s", path);
	free(path);
	return text;
}

/* How Python's json.dumps lays a value out (", " and ": ", ASCII, key order kept). */
static char *python_dumps(const json_t *v)
{
	char *s = json_dumps(v, JSON_ENSURE_ASCII | JSON_ENCODE_ANY);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* Percent-encodes everything but RFC 3986 unreserved characters. */
static char *url_escape(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1);
	ck_assert_ptr_nonnull(out);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			snprintf(out + o, 4, "%%%02X", c);
			o += 3;
		}
	}
	out[o] = '\0';
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_keys(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

/* ---- s3rver ------------------------------------------------------------------------ */

struct s3rver {
	pid_t pid;            /* > 0 while running */
	int port;             /* kept across a restart */
	char *data_dir;
	char *log;            /* stdout + stderr of the current run */
};

static struct s3rver s3 = {.pid = -1};

static void s3rver_kill_at_exit(void)
{
	if (s3.pid > 0) {
		kill(s3.pid, SIGKILL);
		waitpid(s3.pid, NULL, 0);
		s3.pid = -1;
	}
}

/* The source folder, from the build folder's meson-info (the build folder is
 * the parent of $REAL_PLUGIN_DIR). */
static char *source_dir(void)
{
	char *info = harness_printf("%s/../meson-info/meson-info.json", harness_env("REAL_PLUGIN_DIR"));
	json_t *j = json_load_file(info, 0, NULL);
	ck_assert_msg(j != NULL, "cannot read %s (to find tests/s3)", info);
	const char *src = json_string_value(json_object_get(json_object_get(j, "directories"), "source"));
	ck_assert_msg(src != NULL, "%s has no directories.source", info);
	char *out = strdup(src);
	json_decref(j);
	free(info);
	return out;
}

static char *s3rver_js(void)
{
	const char *env = getenv("S3RVER_JS");
	if (env && env[0])
		return strdup(env);
	char *src = source_dir();
	char *js = harness_printf("%s/tests/s3/node_modules/s3rver/bin/s3rver.js", src);
	free(src);
	return js;
}

/* Starts s3rver (port 0: ephemeral, learnt from its "listening" line), with
 * BUCKET created, data under s3.data_dir (kept across restarts). Fails the
 * test when it cannot be started. */
static void s3rver_start(int port)
{
	static unsigned starts;
	char *js = s3rver_js();
	ck_assert_msg(access(js, R_OK) == 0,
	              "s3rver is not installed (%s missing): run `npm ci` in tests/s3 "
	              "(scripts/setup does it)",
	              js);
	const char *node = getenv("NODE") && getenv("NODE")[0] ? getenv("NODE") : "node";
	if (!s3.data_dir)
		s3.data_dir = fresh_dir("s3rver-data");
	free(s3.log);
	s3.log = harness_printf("%s/s3rver-%u.log", tmp_root, ++starts);
	char port_text[16];
	snprintf(port_text, sizeof port_text, "%d", port);
	static bool registered;
	if (!registered) {
		atexit(s3rver_kill_at_exit);
		registered = true;
	}

	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	ck_assert_msg(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		FILE *out = freopen(s3.log, "w", stdout);
		if (!out || dup2(fileno(stdout), STDERR_FILENO) < 0)
			_exit(126);
		execlp(node, node, "--openssl-legacy-provider", js, "-d", s3.data_dir, "-a", "127.0.0.1",
		       "-p", port_text, "--silent", "--configure-bucket", BUCKET, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", node, strerror(errno));
		_exit(127);
	}
	s3.pid = pid;
	free(js);

	const char *marker = "S3rver listening on 127.0.0.1:";
	for (long waited = 0; waited <= HARNESS_READY_TIMEOUT_MS; waited += POLL_MS) {
		char *log = harness_read_file(s3.log, NULL);
		const char *at = log ? strstr(log, marker) : NULL;
		if (at && strchr(at, '\n')) {
			s3.port = (int)strtol(at + strlen(marker), NULL, 10);
			free(log);
			ck_assert_msg(s3.port > 0, "s3rver: no port in its listening line");
			return;
		}
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			s3.pid = -1;
			ck_abort_msg("s3rver (node %s) exited with status %d before listening:\n%s", node,
			             WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			             log ? log : "");
		}
		free(log);
		harness_sleep_ms(POLL_MS);
	}
	ck_abort_msg("s3rver did not listen within %ld ms (log %s)", HARNESS_READY_TIMEOUT_MS, s3.log);
}

/* SIGTERM, then SIGKILL after 10 s. */
static void s3rver_stop(void)
{
	if (s3.pid <= 0)
		return;
	kill(s3.pid, SIGTERM);
	for (long waited = 0; waited < 10000; waited += POLL_MS) {
		if (waitpid(s3.pid, NULL, WNOHANG) == s3.pid) {
			s3.pid = -1;
			return;
		}
		harness_sleep_ms(POLL_MS);
	}
	kill(s3.pid, SIGKILL);
	waitpid(s3.pid, NULL, 0);
	s3.pid = -1;
}

static char *s3_url(const char *path_and_query)
{
	return harness_printf("http://127.0.0.1:%d/%s%s", s3.port, BUCKET, path_and_query);
}

/* One request straight to s3rver (it accepts unsigned requests). */
static long s3_request(const char *method, const char *path_and_query, const char *body,
                       struct harness_response *resp)
{
	char *url = s3_url(path_and_query);
	const char *headers[] = {"Content-Type: application/json", NULL};
	struct harness_request req = {.method = method, .url = url, .headers = body ? headers : NULL,
	                              .body = body, .body_len = body ? strlen(body) : 0};
	int rc = harness_http(&req, resp);
	ck_assert_msg(rc == 0, "%s %s: no answer (curl %d)", method, url, resp->curl_code);
	free(url);
	return resp->status;
}

/* Text between <tag> and </tag> starting at *pos; advances *pos. NULL at the end. */
static char *xml_next(const char **pos, const char *tag)
{
	char open[64], close[64];
	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	const char *a = strstr(*pos, open);
	if (!a)
		return NULL;
	a += strlen(open);
	const char *b = strstr(a, close);
	if (!b)
		return NULL;
	*pos = b + strlen(close);
	return strndup(a, (size_t)(b - a));
}

/* ---- the two stores, seen from outside relayd ------------------------------------------- */

struct store {
	bool s3;
	char *dir;  /* dir store root */
};

static char **list_dir_keys_acc;
static size_t list_dir_keys_n;
static size_t list_dir_root_len;

static int collect_file(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	if (flag != FTW_F || path[ftw->base] == '.')
		return 0;
	ck_assert_msg(list_dir_keys_n < MAX_KEYS, "too many files in the store");
	list_dir_keys_acc[list_dir_keys_n++] = strdup(path + list_dir_root_len + 1);
	return 0;
}

/* Every key in the store, sorted. Returns the count; *keys is malloc'd. */
static size_t store_keys(const struct store *st, char ***keys)
{
	char **acc = calloc(MAX_KEYS, sizeof(*acc));
	size_t n = 0;
	ck_assert_ptr_nonnull(acc);
	if (!st->s3) {
		list_dir_keys_acc = acc;
		list_dir_keys_n = 0;
		list_dir_root_len = strlen(st->dir);
		nftw(st->dir, collect_file, 16, FTW_PHYS);
		n = list_dir_keys_n;
	} else {
		char *token = NULL;
		for (int page = 0; page < 100; page++) {
			char *q;
			if (token) {
				char *t = url_escape(token);
				q = harness_printf("?list-type=2&continuation-token=%s", t);
				free(t);
			} else {
				q = strdup("?list-type=2");
			}
			struct harness_response resp;
			ck_assert_int_eq(s3_request("GET", q, NULL, &resp), 200);
			free(q);
			const char *pos = resp.body;
			char *key;
			while ((key = xml_next(&pos, "Key")) != NULL) {
				ck_assert_msg(n < MAX_KEYS, "too many keys in the bucket");
				acc[n++] = key;
			}
			free(token);
			token = strstr(resp.body, "<IsTruncated>true</IsTruncated>")
			            ? (pos = resp.body, xml_next(&pos, "NextContinuationToken"))
			            : NULL;
			harness_response_free(&resp);
			if (!token)
				break;
		}
		ck_assert_msg(token == NULL, "bucket listing did not end within 100 pages");
	}
	qsort(acc, n, sizeof(*acc), cmp_str);
	*keys = acc;
	return n;
}

/* An object's bytes (malloc'd), NULL when absent; s3: also checks Content-Type. */
static char *store_read(const struct store *st, const char *key)
{
	if (!st->s3) {
		char *path = harness_printf("%s/%s", st->dir, key);
		char *text = harness_read_file(path, NULL);
		free(path);
		return text;
	}
	char *k = harness_printf("/%s", key);
	struct harness_response resp;
	long status = s3_request("GET", k, NULL, &resp);
	free(k);
	char *out = NULL;
	if (status == 200) {
		char ct[128];
		ck_assert_msg(harness_response_header(&resp, "Content-Type", ct, sizeof ct) != NULL,
		              "%s: no Content-Type", key);
		ck_assert_msg(strcmp(ct, "application/json") == 0, "%s: Content-Type %s", key, ct);
		out = strdup(resp.body);
	} else {
		ck_assert_msg(status == 404, "GET %s from s3rver: %ld %s", key, status, resp.body);
	}
	harness_response_free(&resp);
	return out;
}

static void store_clear(const struct store *st)
{
	if (!st->s3) {
		remove_tree(st->dir);
		ck_assert_msg(mkdir(st->dir, 0700) == 0, "mkdir %s: %s", st->dir, strerror(errno));
		return;
	}
	char **keys;
	size_t n = store_keys(st, &keys);
	for (size_t i = 0; i < n; i++) {
		char *k = harness_printf("/%s", keys[i]);
		struct harness_response resp;
		long status = s3_request("DELETE", k, NULL, &resp);
		ck_assert_msg(status == 204, "DELETE %s: %ld", keys[i], status);
		harness_response_free(&resp);
		free(k);
	}
	free_keys(keys, n);
}

/* The store holds exactly these keys (any order given). */
static void assert_keys(const struct store *st, const char *const *want, size_t n_want,
                        const char *what)
{
	char **keys;
	size_t n = store_keys(st, &keys);
	const char **sorted = calloc(n_want + 1, sizeof(*sorted));
	ck_assert_ptr_nonnull(sorted);
	if (n_want)
		memcpy(sorted, want, n_want * sizeof(*sorted));
	qsort(sorted, n_want, sizeof(*sorted), cmp_str);
	bool same = n == n_want;
	for (size_t i = 0; same && i < n; i++)
		same = strcmp(keys[i], sorted[i]) == 0;
	if (!same) {
		fprintf(stderr, "%s: store keys (%s):\n", what, st->s3 ? "s3" : "dir");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "  got  %s\n", keys[i]);
		for (size_t i = 0; i < n_want; i++)
			fprintf(stderr, "  want %s\n", sorted[i]);
	}
	free(sorted);
	free_keys(keys, n);
	ck_assert_msg(same, "%s: the store's keys differ (see stderr)", what);
}

/* The object at key is exactly Python's json.dumps(want). */
static void assert_object(const struct store *st, const char *key, const json_t *want)
{
	char *got = store_read(st, key);
	ck_assert_msg(got != NULL, "%s is not in the store", key);
	char *w = python_dumps(want);
	ck_assert_msg(strcmp(got, w) == 0, "%s:\n got  %s\n want %s", key, got, w);
	free(w);
	free(got);
}

/* ---- the Threat Stack fixture ------------------------------------------------------------- */

/* Ids the fixture answers with their own detail; any other id gets the
 * fixture file as it is (id 52ebb55fdf5fb93e710002ba). */
static const char *const known_ids[] = {"587c0159a907346eccb84004", "587c036efc22b55ac0b72837",
                                        "56fd65138c1e0c173af5a3de", "52ebb55fdf5fb93e710002ba"};

/* The detail the fixture serves for id (new reference). */
static json_t *expected_detail(const char *id)
{
	json_t *d = fixture_json("threatstack_api_v1_alert_detail.json");
	for (size_t i = 0; i < sizeof known_ids / sizeof *known_ids; i++)
		if (strcmp(id, known_ids[i]) == 0)
			json_object_set_new(d, "id", json_string(id));
	return d;
}

static json_t *detail_route(const char *id, long status, const char *fault)
{
	char *path = id ? harness_printf("/api/v1/alerts/%s", id) : strdup("/api/v1/alerts/*");
	json_t *r = json_pack("{s:s, s:s, s:i}", "method", "GET", "path", path, "status", (int)status);
	free(path);
	if (fault)
		json_object_set_new(r, "fault", json_string(fault));
	if (status == 200 && !fault) {
		if (id)
			json_object_set_new(r, "body_json", expected_detail(id));
		else {
			char *f = fixture_path("threatstack_api_v1_alert_detail.json");
			json_object_set_new(r, "body_file", json_string(f));
			free(f);
		}
	} else if (!fault) {
		json_object_set_new(r, "body_json", json_pack("{s:s}", "error", "fixture says no"));
	}
	return r;
}

/* The healthy API, behind @p first (a route tried first; may be NULL, stolen). */
static json_t *routes_ok(json_t *first)
{
	json_t *routes = json_array();
	if (first)
		json_array_append_new(routes, first);
	json_array_append_new(routes, json_pack("{s:s, s:s, s:o}", "method", "GET", "path",
	                                        "/api/v1/alerts", "body_json",
	                                        json_pack("{s:[]}", "alerts")));
	for (size_t i = 0; i < sizeof known_ids / sizeof *known_ids; i++)
		json_array_append_new(routes, detail_route(known_ids[i], 200, NULL));
	json_array_append_new(routes, detail_route(NULL, 200, NULL));
	return routes;
}

/* Every detail request fails (status, or a fault such as "hang"). */
static json_t *routes_failing(long status, const char *fault)
{
	json_t *routes = json_array();
	json_array_append_new(routes, json_pack("{s:s, s:s, s:o}", "method", "GET", "path",
	                                        "/api/v1/alerts", "body_json",
	                                        json_pack("{s:[]}", "alerts")));
	json_array_append_new(routes, detail_route(NULL, status, fault));
	return routes;
}

static void fx_post(const char *path, const char *body)
{
	char url[128];
	harness_url(fx, path, url, sizeof url);
	struct harness_request req = {.method = "POST", .url = url, .body = body,
	                              .body_len = strlen(body)};
	struct harness_response resp;
	ck_assert_int_eq(harness_http(&req, &resp), 0);
	ck_assert_msg(resp.status == 200, "POST %s: %ld %s", path, resp.status, resp.body);
	harness_response_free(&resp);
}

/* Requests the fixture got for GET /api/v1/alerts/<id> since the last reset. */
static long fx_detail_requests(const char *id)
{
	json_t *stats = harness_fixture_stats(fx);
	char *path = harness_printf("/api/v1/alerts/%s", id);
	long n = (long)json_integer_value(json_object_get(json_object_get(stats, "paths"), path));
	free(path);
	json_decref(stats);
	return n;
}

static void fx_start(void)
{
	fx = harness_fixture_start("{\"routes\":[]}");
	harness_fixture_set_routes(fx, routes_ok(NULL));
}

/* ---- relayd ------------------------------------------------------------------------------- */

struct tsr {
	struct harness_proc *proc;
	struct store st;
	char *spool_dir;
};

struct tsr_opts {
	bool s3;
	const char *prefix;     /* s3_prefix, NULL: none */
	const char *extra;      /* more [plugin.threatstack_s3] lines */
	const char *listen;     /* NULL: 127.0.0.1:0 */
	const char *store_dir;  /* NULL: a fresh folder */
	const char *spool_dir;  /* NULL: a fresh folder */
	const char *s3_access;  /* NULL: S3RVER */
};

static char *tsr_config(const struct tsr *r, const struct tsr_opts *o)
{
	char *store = r->st.s3
	                  ? harness_printf("store = s3\ns3_bucket = %s\ns3_endpoint = http://127.0.0.1:%d\n"
	                                   "s3_path_style = true\ns3_region = us-east-1\n"
	                                   "s3_access_key = %s\ns3_secret_key = S3RVER\n",
	                                   BUCKET, s3.port, o->s3_access ? o->s3_access : "S3RVER")
	                  : harness_printf("store = dir\nstore_dir = %s\n", r->st.dir);
	char *prefix = o->prefix && o->prefix[0] ? harness_printf("s3_prefix = %s\n", o->prefix)
	                                         : strdup("");
	char *cfg = harness_printf("[relayd]\n"
	                           "listen = %s\n"
	                           "workers = 2\n"
	                           "plugin_dir = %s\n"
	                           "timeout_ms = 2000\n"
	                           "log_level = info\n"
	                           "\n"
	                           "[plugin.threatstack_s3]\n"
	                           "enabled = true\n"
	                           "mount = " MOUNT "\n"
	                           "%s%s"
	                           "spool_dir = %s\n"
	                           "threatstack_url = http://%s/api/v1\n"
	                           "threatstack_key = " TS_KEY "\n"
	                           "threatstack_org = " TS_ORG "\n"
	                           "retry_min_ms = 50\n"
	                           "retry_max_ms = 400\n"
	                           "%s",
	                           o->listen ? o->listen : "127.0.0.1:0",
	                           harness_env("REAL_PLUGIN_DIR"), store, prefix, r->spool_dir,
	                           fx->address, o->extra ? o->extra : "");
	free(store);
	free(prefix);
	return cfg;
}

static void tsr_start(struct tsr *r, const struct tsr_opts *o)
{
	memset(r, 0, sizeof *r);
	r->st.s3 = o->s3;
	if (!o->s3)
		r->st.dir = o->store_dir ? strdup(o->store_dir) : fresh_dir("store");
	r->spool_dir = o->spool_dir ? strdup(o->spool_dir) : fresh_dir("spool");
	char *cfg = tsr_config(r, o);
	r->proc = harness_relayd_start(cfg);
	free(cfg);
}

static void assert_clean_stderr(const struct harness_proc *p)
{
	char *err = harness_proc_stderr(p);
	ck_assert_msg(strstr(err, "AddressSanitizer") == NULL && strstr(err, "runtime error") == NULL &&
	                  strstr(err, "LeakSanitizer") == NULL,
	              "relayd stderr:\n%s", err);
	free(err);
}

/* SIGTERM: relayd must exit 0 with a clean stderr. */
static void tsr_stop(struct tsr *r)
{
	if (r->proc) {
		if (r->proc->pid > 0)
			ck_assert_int_eq(harness_proc_stop(r->proc, SIGTERM, HARNESS_STOP_TIMEOUT_MS), 0);
		assert_clean_stderr(r->proc);
		harness_proc_free(r->proc);
	}
	free(r->st.dir);
	free(r->spool_dir);
	memset(r, 0, sizeof *r);
}

/* method MOUNT<path>; returns the status, *json the body (NULL when not JSON). */
static long tsr_call(const struct tsr *r, const char *method, const char *path, const char *body,
                     const char *const *headers, json_t **json, struct harness_response *keep)
{
	char *full = harness_printf(MOUNT "%s", path);
	char url[512];
	harness_url(r->proc, full, url, sizeof url);
	struct harness_request req = {.method = method, .url = url, .headers = headers, .body = body,
	                              .body_len = body ? strlen(body) : 0};
	struct harness_response resp;
	ck_assert_msg(harness_http(&req, &resp) == 0, "%s %s: no answer", method, full);
	long status = resp.status;
	if (json)
		*json = harness_response_json(&resp);
	if (keep)
		*keep = resp;
	else
		harness_response_free(&resp);
	free(full);
	return status;
}

static long post_webhook(const struct tsr *r, const char *body, json_t **json)
{
	const char *headers[] = {"Content-Type: application/json", NULL};
	return tsr_call(r, "POST", "/api/v1/s3/alert", body, headers, json, NULL);
}

/* POST a webhook that must be accepted: 200 {"success": true}. */
static void post_ok(const struct tsr *r, const char *body)
{
	json_t *got = NULL;
	long status = post_webhook(r, body, &got);
	json_t *want = fixture_json("expected_response_post_ok.json");
	char *g = got ? json_dumps(got, JSON_COMPACT) : NULL;
	ck_assert_msg(status == 200, "POST webhook: %ld %s", status, g ? g : "");
	harness_assert_json_eq(got, want, "POST webhook answer");
	free(g);
	json_decref(got);
	json_decref(want);
}

/* {"alerts": [{"id": id, "created_at": ms, "title": title}]} (malloc'd). */
static char *webhook_one(const char *id, long long ms, const char *title)
{
	return harness_printf("{\"alerts\": [{\"id\": \"%s\", \"created_at\": %lld, \"title\": \"%s\"}]}",
	                      id, ms, title);
}

/* The "spool" object of GET …/status (200 or 500: it is in both). New reference. */
static json_t *spool_status(const struct tsr *r)
{
	json_t *body = NULL;
	long status = tsr_call(r, "GET", "/api/v1/s3/status", NULL, NULL, &body, NULL);
	json_t *spool = json_object_get(body, "spool");
	ck_assert_msg(spool != NULL, "status %ld without spool", status);
	json_incref(spool);
	json_decref(body);
	return spool;
}

static long long spool_num(const json_t *spool, const char *key)
{
	const json_t *v = json_object_get(spool, key);
	ck_assert_msg(json_is_integer(v), "spool.%s is not an integer", key);
	return (long long)json_integer_value(v);
}

/* Waits until the spool is empty and `delivered` reached want (never above it). */
static void wait_delivered(const struct tsr *r, long long want)
{
	json_t *spool = NULL;
	for (long waited = 0; waited <= DELIVERY_TIMEOUT_MS; waited += POLL_MS) {
		json_decref(spool);
		spool = spool_status(r);
		long long delivered = spool_num(spool, "delivered");
		ck_assert_msg(delivered <= want, "delivered %lld alerts, want %lld (a duplicate?)",
		              delivered, want);
		if (delivered == want && spool_num(spool, "depth") == 0) {
			json_decref(spool);
			return;
		}
		harness_sleep_ms(POLL_MS);
	}
	char *s = json_dumps(spool, JSON_COMPACT);
	ck_abort_msg("not delivered within %ld ms: want delivered %lld, spool %s",
	             DELIVERY_TIMEOUT_MS, want, s);
}

/* Waits until spool.<key> >= want; returns the spool object (new reference). */
static json_t *wait_spool_at_least(const struct tsr *r, const char *key, long long want)
{
	json_t *spool = NULL;
	for (long waited = 0; waited <= DELIVERY_TIMEOUT_MS; waited += POLL_MS) {
		json_decref(spool);
		spool = spool_status(r);
		if (spool_num(spool, key) >= want)
			return spool;
		harness_sleep_ms(POLL_MS);
	}
	char *s = json_dumps(spool, JSON_COMPACT);
	ck_abort_msg("spool.%s did not reach %lld within %ld ms: %s", key, want,
	             DELIVERY_TIMEOUT_MS, s);
	return NULL;
}

/* Waits until the fixture saw at least n detail requests for id. */
static void wait_detail_requests(const char *id, long n)
{
	for (long waited = 0; waited <= DELIVERY_TIMEOUT_MS; waited += POLL_MS) {
		if (fx_detail_requests(id) >= n)
			return;
		harness_sleep_ms(POLL_MS);
	}
	ck_abort_msg("Threat Stack saw fewer than %ld requests for %s within %ld ms", n, id,
	             DELIVERY_TIMEOUT_MS);
}

static json_t *error_envelope(const char *type, const char *message)
{
	return json_pack("{s:b, s:{s:s, s:[s]}}", "success", 0, "error", "type", type, "message",
	                 message);
}

/* ---- shared checks (run against the dir store and against s3rver) ------------------------------- */

/* The alerts of a webhook fixture: its "alerts", or the flat object itself. */
static json_t *fixture_alerts(const json_t *webhook)
{
	json_t *alerts = json_object_get(webhook, "alerts");
	if (alerts)
		return json_incref(alerts);
	return json_pack("[O]", webhook);
}

/* Keys are checked literally here (the table test derives them from the TSV). */
struct ok_case {
	const char *file;
	const char *keys[4];
	size_t n_keys;
};

static const struct ok_case ok_cases[] = {
    {"webhook_single.json",
     {"webhooks/2017/01/15/23/10/587c0159a907346eccb84004", "alerts/58/7c/587c0159a907346eccb84004"},
     2},
    {"webhook_multi.json",
     {"webhooks/2017/01/15/23/10/587c0159a907346eccb84004", "alerts/58/7c/587c0159a907346eccb84004",
      "webhooks/2017/01/15/23/19/587c036efc22b55ac0b72837", "alerts/58/7c/587c036efc22b55ac0b72837"},
     4},
    {"webhook_string_numbers_wrapped.json",
     {"webhooks/2016/03/31/17/57/56fd65138c1e0c173af5a3de", "alerts/56/fd/56fd65138c1e0c173af5a3de"},
     2},
    {"webhook_flat_vendor_doc_variant.json",
     {"webhooks/2016/03/31/17/57/56fd65138c1e0c173af5a3de", "alerts/56/fd/56fd65138c1e0c173af5a3de"},
     2},
};

struct bad_case {
	const char *file;  /* a fixture, or NULL: body */
	const char *body;
	const char *message;
};

static const struct bad_case bad_cases[] = {
    {"webhook_invalid_empty_alerts.json", NULL, "Webhook lacks alerts: {'alerts': []}"},
    {"webhook_invalid_no_alerts_key.json", NULL, "Webhook lacks alerts: {'something': 'else'}"},
    {"webhook_invalid_alert_missing_id.json", NULL,
     "alert lacks 'id' field: {'alerts': [{'title': 'no id here', 'created_at': 1484521817000, "
     "'severity': 2}]}"},
    {"webhook_invalid_alert_missing_created_at.json", NULL,
     "alert lacks 'created_at' field: {'alerts': [{'id': '587c0159a907346eccb84004', 'title': "
     "'no created_at', 'severity': 2}]}"},
    {"webhook_invalid_second_alert_missing_created_at.json", NULL,
     "alert lacks 'created_at' field: {'alerts': [{'id': '587c0159a907346eccb84004', "
     "'created_at': 1484521817000}, {'id': '587c036efc22b55ac0b72837'}]}"},
    {"webhook_invalid_not_json.txt", NULL, "Failed to decode JSON object: invalid token near 'this'"},
    {NULL, "null", "No webhook data found in request: None"},
    {NULL, "{\"alerts\": [{\"id\": \"../../etc/passwd\", \"created_at\": 1484521817000}]}",
     "alert has invalid 'id' field: {'alerts': [{'id': '../../etc/passwd', 'created_at': "
     "1484521817000}]}"},
    {NULL, "{\"alerts\": [{\"id\": \"587c0159a907346eccb84004\", \"created_at\": -5}]}",
     "alert has invalid 'created_at' field: {'alerts': [{'id': '587c0159a907346eccb84004', "
     "'created_at': -5}]}"},
};

static void check_webhook_fixtures(const struct tsr *r)
{
	json_t *spool = spool_status(r);
	long long delivered = spool_num(spool, "delivered");
	json_decref(spool);

	for (size_t c = 0; c < sizeof ok_cases / sizeof *ok_cases; c++) {
		const struct ok_case *k = &ok_cases[c];
		store_clear(&r->st);
		char *body = fixture_text(k->file);
		post_ok(r, body);
		json_t *webhook = fixture_json(k->file);
		json_t *alerts = fixture_alerts(webhook);
		delivered += (long long)json_array_size(alerts);
		wait_delivered(r, delivered);
		assert_keys(&r->st, k->keys, k->n_keys, k->file);
		for (size_t i = 0; i < json_array_size(alerts); i++) {
			const json_t *alert = json_array_get(alerts, i);
			const char *id = json_string_value(json_object_get(alert, "id"));
			json_t *detail = expected_detail(id);
			/* keys[] lists webhook, alert for each alert in order */
			assert_object(&r->st, k->keys[2 * i], alert);
			assert_object(&r->st, k->keys[2 * i + 1], detail);
			json_decref(detail);
		}
		json_decref(alerts);
		json_decref(webhook);
		free(body);
	}

	store_clear(&r->st);
	for (size_t c = 0; c < sizeof bad_cases / sizeof *bad_cases; c++) {
		const struct bad_case *b = &bad_cases[c];
		char *body = b->file ? fixture_text(b->file) : strdup(b->body);
		json_t *got = NULL;
		long status = post_webhook(r, body, &got);
		json_t *want = error_envelope("S3ViewWebhookDataError", b->message);
		ck_assert_msg(status == 400, "%s: status %ld", b->file ? b->file : b->body, status);
		harness_assert_json_eq(got, want, b->file ? b->file : b->body);
		json_decref(got);
		json_decref(want);
		free(body);
		/* Validation comes before any side effect: nothing spooled, nothing stored. */
		spool = spool_status(r);
		ck_assert_int_eq(spool_num(spool, "depth"), 0);
		json_decref(spool);
		assert_keys(&r->st, NULL, 0, "after an invalid webhook");
	}

	/* The reference's own fixture for the "lacks alerts" envelope. */
	char *body = fixture_text("webhook_invalid_no_alerts_key.json");
	json_t *got = NULL;
	ck_assert_int_eq(post_webhook(r, body, &got), 400);
	json_t *want = fixture_json("expected_response_error_400_webhook_lacks_alerts.json");
	harness_assert_json_eq(got, want, "expected_response_error_400_webhook_lacks_alerts.json");
	json_decref(got);
	json_decref(want);
	free(body);
}

struct key_row {
	char id[32];
	long long ms;
	char prefix[64];
	char webhook_key[256];
	char alert_key[256];
};

static size_t read_key_rows(struct key_row *rows, size_t max)
{
	char *text = fixture_text("expected_s3_keys.tsv");
	size_t n = 0;
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		ck_assert_msg(n < max, "too many rows in expected_s3_keys.tsv");
		char *f[5];
		char *p = line;
		for (int i = 0; i < 5; i++) {
			f[i] = p;
			char *tab = strchr(p, '\t');
			ck_assert_msg(tab != NULL || i == 4, "short row in expected_s3_keys.tsv: %s", line);
			if (tab) {
				*tab = '\0';
				p = tab + 1;
			}
		}
		struct key_row *r = &rows[n++];
		snprintf(r->id, sizeof r->id, "%s", f[0]);
		char *end;
		errno = 0;
		r->ms = strtoll(f[1], &end, 10);
		ck_assert_msg(errno == 0 && *end == '\0', "bad created_at %s", f[1]);
		snprintf(r->prefix, sizeof r->prefix, "%s", f[2]);
		snprintf(r->webhook_key, sizeof r->webhook_key, "%s", f[3]);
		snprintf(r->alert_key, sizeof r->alert_key, "%s", f[4]);
	}
	free(text);
	return n;
}

/* Every row of expected_s3_keys.tsv: one relayd per prefix, one webhook per
 * row, and the store then holds exactly the row's two keys. */
static void check_key_table(bool use_s3)
{
	struct key_row rows[32];
	size_t n = read_key_rows(rows, 32);
	ck_assert_uint_ge(n, 8);
	bool done[32] = {false};

	for (size_t first = 0; first < n; first++) {
		if (done[first])
			continue;
		struct tsr r;
		struct tsr_opts o = {.s3 = use_s3, .prefix = rows[first].prefix};
		tsr_start(&r, &o);
		long long delivered = 0;
		for (size_t i = first; i < n; i++) {
			if (done[i] || strcmp(rows[i].prefix, rows[first].prefix) != 0)
				continue;
			done[i] = true;
			char what[400];
			snprintf(what, sizeof what, "row %s %lld '%s'", rows[i].id, rows[i].ms, rows[i].prefix);
			store_clear(&r.st);
			char *title = harness_printf("key row %zu", i);
			char *body = webhook_one(rows[i].id, rows[i].ms, title);
			post_ok(&r, body);
			wait_delivered(&r, ++delivered);
			const char *keys[] = {rows[i].webhook_key, rows[i].alert_key};
			assert_keys(&r.st, keys, 2, what);
			json_t *alert = json_pack("{s:s, s:I, s:s}", "id", rows[i].id, "created_at",
			                          (json_int_t)rows[i].ms, "title", title);
			json_t *detail = expected_detail(rows[i].id);
			assert_object(&r.st, rows[i].webhook_key, alert);
			assert_object(&r.st, rows[i].alert_key, detail);
			json_decref(alert);
			json_decref(detail);
			free(body);
			free(title);
		}
		tsr_stop(&r);
	}
}

/* GET …/alert?start=&end= (values escaped); returns the status. */
static long get_range(const struct tsr *r, const char *start, const char *end, json_t **json)
{
	char *path;
	if (start && end) {
		char *s = url_escape(start), *e = url_escape(end);
		path = harness_printf("/api/v1/s3/alert?start=%s&end=%s", s, e);
		free(s);
		free(e);
	} else if (end) {
		char *e = url_escape(end);
		path = harness_printf("/api/v1/s3/alert?end=%s", e);
		free(e);
	} else {
		path = strdup("/api/v1/s3/alert");
	}
	long status = tsr_call(r, "GET", path, NULL, NULL, json, NULL);
	free(path);
	return status;
}

static void check_date_ranges(const struct tsr *r)
{
	json_t *spool = spool_status(r);
	long long delivered = spool_num(spool, "delivered");
	json_decref(spool);
	store_clear(&r->st);
	char *body = fixture_text("webhook_multi.json");
	post_ok(r, body);
	free(body);
	wait_delivered(r, delivered + 2);

	char *text = fixture_text("date_range_cases.tsv");
	char *save = NULL;
	size_t rows = 0;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *f[4] = {NULL};
		char *p = line;
		for (int i = 0; i < 4 && p; i++) {
			f[i] = p;
			char *tab = strchr(p, '\t');
			p = tab ? (*tab = '\0', tab + 1) : NULL;
		}
		ck_assert_msg(f[2] != NULL, "short row in date_range_cases.tsv");
		json_t *got = NULL;
		long status = get_range(r, f[0], f[1], &got);
		ck_assert_msg(status == 200, "range %s .. %s: %ld", f[0], f[1], status);
		ck_assert_msg(json_is_true(json_object_get(got, "success")), "range %s .. %s", f[0], f[1]);
		json_t *want = json_array();
		char *ids = strdup(f[2]), *s2 = NULL;
		for (char *id = strtok_r(ids, ",", &s2); id; id = strtok_r(NULL, ",", &s2))
			json_array_append_new(want, expected_detail(id));
		free(ids);
		char what[200];
		snprintf(what, sizeof what, "range %s .. %s (%s)", f[0], f[1], f[3] ? f[3] : "");
		harness_assert_json_eq(json_object_get(got, "alerts"), want, what);
		if (json_array_size(want) == 0) {
			json_t *empty = fixture_json("expected_response_get_alerts_range_empty.json");
			harness_assert_json_eq(got, empty, "expected_response_get_alerts_range_empty.json");
			json_decref(empty);
		}
		json_decref(want);
		json_decref(got);
		rows++;
	}
	free(text);
	ck_assert_uint_eq(rows, 6);

	json_t *got = NULL;
	ck_assert_int_eq(get_range(r, "not-a-date", "2017-01-16", &got), 400);
	json_t *want = fixture_json("expected_response_error_400_date_parse.json");
	harness_assert_json_eq(got, want, "expected_response_error_400_date_parse.json");
	json_decref(got);
	json_decref(want);

	ck_assert_int_eq(get_range(r, NULL, "2017-01-16", &got), 400);
	want = error_envelope("S3ViewDateParseError", "Unable to parse date: None");
	harness_assert_json_eq(got, want, "missing start");
	json_decref(got);
	json_decref(want);
}

static void check_get_by_id(const struct tsr *r)
{
	json_t *spool = spool_status(r);
	long long delivered = spool_num(spool, "delivered");
	json_decref(spool);
	char *body = webhook_one("52ebb55fdf5fb93e710002ba", 1391179102237LL, "Netcat Detected!");
	post_ok(r, body);
	free(body);
	wait_delivered(r, delivered + 1);

	json_t *want = fixture_json("expected_response_get_alert_by_id.json");
	json_t *got = NULL;
	ck_assert_int_eq(tsr_call(r, "GET", "/api/v1/s3/alert/52ebb55fdf5fb93e710002ba", NULL, NULL,
	                          &got, NULL),
	                 200);
	harness_assert_json_eq(got, want, "expected_response_get_alert_by_id.json");
	json_decref(got);
	/* The reference's later prefix serves the same. */
	ck_assert_int_eq(tsr_call(r, "GET", "/threatstack-to-s3/api/v1/s3/alert/52ebb55fdf5fb93e710002ba",
	                          NULL, NULL, &got, NULL),
	                 200);
	harness_assert_json_eq(got, want, "alias route");
	json_decref(got);
	json_decref(want);

	/* Unknown or malformed ids: 404 with the reference's NoSuchKey envelope. */
	want = fixture_json("expected_response_error_500_s3_nosuchkey.json");
	const char *ids[] = {"aaaaaaaaaaaaaaaaaaaaaaaa", "587C0159A907346ECCB84004",
	                     "587c0159a907346eccb8400", "587c0159a907346eccb840040", "xyz",
	                     "5a0000000000000000000000.json"};
	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
		char *path = harness_printf("/api/v1/s3/alert/%s", ids[i]);
		ck_assert_msg(tsr_call(r, "GET", path, NULL, NULL, &got, NULL) == 404, "GET %s", path);
		harness_assert_json_eq(got, want, path);
		json_decref(got);
		free(path);
	}
	json_decref(want);
	/* Encoded '/' and '.' segments: relayd's router decodes them and answers
	 * 404 in the mount's envelope before the plugin (or a store) sees them. */
	const char *traversals[] = {"..%2F..%2Fetc%2Fpasswd", "%2E%2E"};
	for (size_t i = 0; i < 2; i++) {
		char *path = harness_printf("/api/v1/s3/alert/%s", traversals[i]);
		ck_assert_msg(tsr_call(r, "GET", path, NULL, NULL, &got, NULL) == 404, "GET %s", path);
		ck_assert(json_is_false(json_object_get(got, "success")));
		json_decref(got);
		free(path);
	}
}

static void check_status(const struct tsr *r)
{
	json_t *got = NULL;
	ck_assert_int_eq(tsr_call(r, "GET", "/api/v1/s3/status", NULL, NULL, &got, NULL), 200);
	json_t *want = fixture_json("expected_response_status.json");
	const char *key;
	json_t *value;
	json_object_foreach(want, key, value)
		harness_assert_json_eq(json_object_get(got, key), value, key);
	json_t *spool = json_object_get(got, "spool");
	const char *spool_keys[] = {"depth", "oldest_s", "bytes", "delivered", "delivery_failures",
	                            "rejected", "threatstack_auth_failing", "last_error"};
	for (size_t i = 0; i < sizeof spool_keys / sizeof *spool_keys; i++)
		ck_assert_msg(json_object_get(spool, spool_keys[i]) != NULL, "spool.%s missing",
		              spool_keys[i]);
	ck_assert_int_eq(spool_num(spool, "depth"), 0);
	ck_assert_int_eq(spool_num(spool, "bytes"), 0);
	ck_assert(json_is_false(json_object_get(spool, "threatstack_auth_failing")));
	ck_assert_uint_eq(json_object_size(got), 4);
	json_decref(got);
	json_decref(want);

	/* The Threat Stack requests carried the key and the organisation. */
	char url[128];
	harness_url(fx, "/__log", url, sizeof url);
	struct harness_request req = {.url = url};
	struct harness_response resp;
	ck_assert_int_eq(harness_http(&req, &resp), 0);
	json_t *log = harness_response_json(&resp);
	harness_response_free(&resp);
	size_t seen = 0;
	for (size_t i = 0; i < json_array_size(log); i++) {
		json_t *e = json_array_get(log, i);
		const char *path = json_string_value(json_object_get(e, "path"));
		if (!path || strncmp(path, "/api/v1/alerts", 14) != 0)
			continue;
		json_t *h = json_object_get(e, "headers");
		ck_assert_str_eq(json_string_value(json_object_get(h, "Authorization")), TS_KEY);
		ck_assert_str_eq(json_string_value(json_object_get(h, "Organization")), TS_ORG);
		seen++;
	}
	ck_assert_uint_gt(seen, 0);
	json_decref(log);
}

/* ---- TCase dir: the archive in a folder ------------------------------------------------------ */

static struct tsr dir_relayd;

static void dir_setup(void)
{
	fx_start();
	struct tsr_opts o = {.s3 = false};
	tsr_start(&dir_relayd, &o);
}

static void dir_teardown(void)
{
	if (dir_relayd.proc && dir_relayd.proc->pid > 0)
		harness_proc_stop(dir_relayd.proc, SIGTERM, HARNESS_STOP_TIMEOUT_MS);
	harness_proc_free(dir_relayd.proc);
	free(dir_relayd.st.dir);
	free(dir_relayd.spool_dir);
	memset(&dir_relayd, 0, sizeof dir_relayd);
	harness_proc_free(fx);
	fx = NULL;
}

START_TEST(dir_webhook_fixtures) { check_webhook_fixtures(&dir_relayd); }
END_TEST

START_TEST(dir_key_table) { check_key_table(false); }
END_TEST

START_TEST(dir_date_ranges) { check_date_ranges(&dir_relayd); }
END_TEST

START_TEST(dir_get_by_id) { check_get_by_id(&dir_relayd); }
END_TEST

START_TEST(dir_status) { check_status(&dir_relayd); }
END_TEST

/* Last: relayd stops on SIGTERM with status 0 and no sanitizer report. */
START_TEST(dir_exits_cleanly)
{
	ck_assert_int_eq(harness_proc_stop(dir_relayd.proc, SIGTERM, HARNESS_STOP_TIMEOUT_MS), 0);
	assert_clean_stderr(dir_relayd.proc);
}
END_TEST

/* ---- TCase s3: the archive in s3rver ---------------------------------------------------------- */

static struct tsr s3_relayd;

static void s3_setup(void)
{
	fx_start();
	s3rver_start(0);
	struct tsr_opts o = {.s3 = true};
	tsr_start(&s3_relayd, &o);
}

static void s3_teardown(void)
{
	if (s3_relayd.proc && s3_relayd.proc->pid > 0)
		harness_proc_stop(s3_relayd.proc, SIGTERM, HARNESS_STOP_TIMEOUT_MS);
	harness_proc_free(s3_relayd.proc);
	free(s3_relayd.spool_dir);
	memset(&s3_relayd, 0, sizeof s3_relayd);
	s3rver_stop();
	harness_proc_free(fx);
	fx = NULL;
}

START_TEST(s3_webhook_fixtures) { check_webhook_fixtures(&s3_relayd); }
END_TEST

START_TEST(s3_key_table) { check_key_table(true); }
END_TEST

START_TEST(s3_date_ranges) { check_date_ranges(&s3_relayd); }
END_TEST

START_TEST(s3_get_by_id) { check_get_by_id(&s3_relayd); }
END_TEST

START_TEST(s3_status) { check_status(&s3_relayd); }
END_TEST

/* `aws s3 ls --recursive` (Debian's awscli) sees the reference's layout. */
START_TEST(s3_awscli_listing)
{
	json_t *spool = spool_status(&s3_relayd);
	long long delivered = spool_num(spool, "delivered");
	json_decref(spool);
	store_clear(&s3_relayd.st);
	char *body = fixture_text("webhook_multi.json");
	post_ok(&s3_relayd, body);
	free(body);
	wait_delivered(&s3_relayd, delivered + 2);

	const char *aws = getenv("AWSCLI") && getenv("AWSCLI")[0] ? getenv("AWSCLI") : "/usr/bin/aws";
	ck_assert_msg(access(aws, X_OK) == 0, "%s is missing: apt-get install awscli", aws);
	setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "S3RVER", 1);
	setenv("AWS_DEFAULT_REGION", "us-east-1", 1);
	setenv("AWS_CONFIG_FILE", "/dev/null", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_PAGER", "", 1);
	char *cmd = harness_printf("timeout 60 %s s3 ls --recursive s3://%s "
	                           "--endpoint-url http://127.0.0.1:%d 2>&1",
	                           aws, BUCKET, s3.port);
	FILE *f = popen(cmd, "r");
	ck_assert_msg(f != NULL, "popen %s", cmd);
	const char *want[] = {"alerts/58/7c/587c0159a907346eccb84004",
	                      "alerts/58/7c/587c036efc22b55ac0b72837",
	                      "webhooks/2017/01/15/23/10/587c0159a907346eccb84004",
	                      "webhooks/2017/01/15/23/19/587c036efc22b55ac0b72837"};
	char line[1024], all[8192] = "";
	size_t n = 0;
	while (fgets(line, sizeof line, f)) {
		strncat(all, line, sizeof all - strlen(all) - 1);
		/* "2026-11-23 21:43:33        221 webhooks/2017/01/15/23/10/587c…" */
		int y, mo, d, h, mi, s;
		long size;
		char key[512];
		int got = sscanf(line, "%4d-%2d-%2d %2d:%2d:%2d %ld %511s", &y, &mo, &d, &h, &mi, &s,
		                 &size, key);
		ck_assert_msg(got == 8, "unexpected aws output line: %s", line);
		ck_assert_msg(n < 4, "more than 4 objects listed:\n%s", all);
		ck_assert_str_eq(key, want[n]);
		char *obj = store_read(&s3_relayd.st, key);
		ck_assert_ptr_nonnull(obj);
		ck_assert_int_eq(size, (long)strlen(obj));
		free(obj);
		n++;
	}
	int rc = pclose(f);
	ck_assert_msg(rc == 0, "aws exited with %d:\n%s", rc, all);
	ck_assert_msg(n == 4, "aws listed %zu objects:\n%s", n, all);
	free(cmd);
}
END_TEST

/* A range whose one prefix holds 1,001 webhook keys: relayd follows
 * NextContinuationToken (s3rver pages at 1,000 keys). The objects are put
 * straight into the bucket. */
START_TEST(s3_list_pagination)
{
	enum { N = 1001 };
	store_clear(&s3_relayd.st);
	for (int i = 0; i < N; i++) {
		char id[32];
		snprintf(id, sizeof id, "5a%022x", (unsigned)i);
		char *wk = harness_printf("/webhooks/2017/01/15/23/10/%s", id);
		char *ak = harness_printf("/alerts/%.2s/%.2s/%s", id, id + 2, id);
		char *wbody = harness_printf("{\"id\": \"%s\", \"created_at\": 1484521817000}", id);
		char *abody = harness_printf("{\"id\": \"%s\", \"n\": %d}", id, i);
		struct harness_response resp;
		ck_assert_int_eq(s3_request("PUT", wk, wbody, &resp), 200);
		harness_response_free(&resp);
		ck_assert_int_eq(s3_request("PUT", ak, abody, &resp), 200);
		harness_response_free(&resp);
		free(wk);
		free(ak);
		free(wbody);
		free(abody);
	}
	json_t *got = NULL;
	ck_assert_int_eq(get_range(&s3_relayd, "2017-01-15T23:00:00Z", "2017-01-15T23:59:00Z", &got),
	                 200);
	json_t *alerts = json_object_get(got, "alerts");
	ck_assert_uint_eq(json_array_size(alerts), N);
	for (int i = 0; i < N; i++) {
		char id[32];
		snprintf(id, sizeof id, "5a%022x", (unsigned)i);
		json_t *a = json_array_get(alerts, (size_t)i);
		ck_assert_str_eq(json_string_value(json_object_get(a, "id")), id);
		ck_assert_int_eq(json_integer_value(json_object_get(a, "n")), i);
	}
	json_decref(got);
}
END_TEST

START_TEST(s3_exits_cleanly)
{
	ck_assert_int_eq(harness_proc_stop(s3_relayd.proc, SIGTERM, HARNESS_STOP_TIMEOUT_MS), 0);
	assert_clean_stderr(s3_relayd.proc);
}
END_TEST

/* ---- TCase faults: Threat Stack and the spool ------------------------------------------------- */

static void faults_setup(void) { fx_start(); }

static void faults_teardown(void)
{
	harness_proc_free(fx);
	fx = NULL;
}

static const char *id_n(char *buf, size_t len, unsigned n)
{
	snprintf(buf, len, "5b%022x", n);
	return buf;
}

static void assert_delivered_pair(const struct store *st, const char *id, long long ms)
{
	char wk[128], ak[128];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(wk, sizeof wk, "webhooks/%04d/%02d/%02d/%02d/%02d/%s", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, id);
	snprintf(ak, sizeof ak, "alerts/%.2s/%.2s/%s", id, id + 2, id);
	const char *keys[] = {wk, ak};
	assert_keys(st, keys, 2, id);
}

/* Threat Stack 500, 429, timeout, reset, close: 200 at once, the alert stays
 * spooled and is retried, then delivered once the API answers again. */
START_TEST(threatstack_failures_are_retried)
{
	struct tsr r;
	struct tsr_opts o = {0};
	tsr_start(&r, &o);
	struct {
		long status;
		const char *fault;
		const char *error; /* in spool.last_error */
	} cases[] = {
	    {500, NULL, "HTTP 500"},   {429, NULL, "HTTP 429"}, {503, NULL, "HTTP 503"},
	    {200, "hang", "timed out"}, {200, "reset", "alert"}, {200, "close", "alert"},
	};
	for (unsigned c = 0; c < sizeof cases / sizeof *cases; c++) {
		char id[32];
		id_n(id, sizeof id, c);
		store_clear(&r.st);
		harness_fixture_set_routes(fx, routes_failing(cases[c].status, cases[c].fault));
		fx_post("/__reset", "{}");
		json_t *spool = spool_status(&r);
		long long failures = spool_num(spool, "delivery_failures");
		json_decref(spool);
		char *body = webhook_one(id, 1484521817000LL, "retry me");
		post_ok(&r, body);
		free(body);
		/* Retried: at least two attempts reached Threat Stack. */
		wait_detail_requests(id, 2);
		spool = wait_spool_at_least(&r, "delivery_failures", failures + 2);
		ck_assert_int_eq(spool_num(spool, "depth"), 1);
		ck_assert_int_eq(spool_num(spool, "delivered"), c);
		const char *last = json_string_value(json_object_get(spool, "last_error"));
		ck_assert_msg(last && strstr(last, id) && strstr(last, cases[c].error),
		              "case %u: last_error %s", c, last ? last : "null");
		json_decref(spool);
		assert_keys(&r.st, NULL, 0, "while Threat Stack fails");

		harness_fixture_set_routes(fx, routes_ok(NULL));
		wait_delivered(&r, c + 1);
		assert_delivered_pair(&r.st, id, 1484521817000LL);
		spool = spool_status(&r);
		ck_assert(json_is_null(json_object_get(spool, "last_error")));
		json_decref(spool);
	}
	tsr_stop(&r);
}
END_TEST

/* 404: dropped and counted, nothing stored; 401: kept and reported, then delivered. */
START_TEST(threatstack_404_drops_401_keeps)
{
	struct tsr r;
	struct tsr_opts o = {0};
	tsr_start(&r, &o);
	const char *forged = "5c0000000000000000000404";
	harness_fixture_set_routes(fx, routes_ok(detail_route(forged, 404, NULL)));
	char *body = webhook_one(forged, 1484521817000LL, "forged");
	post_ok(&r, body);
	free(body);
	json_t *spool = NULL;
	for (long waited = 0; waited <= DELIVERY_TIMEOUT_MS; waited += POLL_MS) {
		json_decref(spool);
		spool = spool_status(&r);
		if (json_integer_value(json_object_get(json_object_get(spool, "rejected"), "not_found")) ==
		        1 &&
		    spool_num(spool, "depth") == 0)
			break;
		harness_sleep_ms(POLL_MS);
	}
	ck_assert_int_eq(
	    json_integer_value(json_object_get(json_object_get(spool, "rejected"), "not_found")), 1);
	ck_assert_int_eq(spool_num(spool, "depth"), 0);
	ck_assert_int_eq(spool_num(spool, "delivered"), 0);
	json_decref(spool);
	assert_keys(&r.st, NULL, 0, "after a 404");
	char url[128];
	harness_url(r.proc, "/metrics", url, sizeof url);
	struct harness_request req = {.url = url};
	struct harness_response resp;
	ck_assert_int_eq(harness_http(&req, &resp), 0);
	ck_assert_msg(harness_line_has(resp.body, "relayd_threatstack_rejected_total",
	                               "reason=\"not_found\"} 1"),
	              "metrics:\n%s", resp.body);
	harness_response_free(&resp);

	char id[32];
	id_n(id, sizeof id, 401);
	harness_fixture_set_routes(fx, routes_failing(401, NULL));
	body = webhook_one(id, 1484521817000LL, "key refused");
	post_ok(&r, body);
	free(body);
	wait_detail_requests(id, 2);
	spool = spool_status(&r);
	ck_assert(json_is_true(json_object_get(spool, "threatstack_auth_failing")));
	ck_assert_int_eq(spool_num(spool, "depth"), 1);
	json_decref(spool);
	harness_fixture_set_routes(fx, routes_ok(NULL));
	wait_delivered(&r, 1);
	spool = spool_status(&r);
	ck_assert(json_is_false(json_object_get(spool, "threatstack_auth_failing")));
	json_decref(spool);
	assert_delivered_pair(&r.st, id, 1484521817000LL);
	char *err = harness_proc_stderr(r.proc);
	ck_assert_msg(harness_line_has(err, "level=error", "Threat Stack refused threatstack_key"),
	              "stderr:\n%s", err);
	free(err);
	tsr_stop(&r);
}
END_TEST

static size_t count_spool_files(const char *dir)
{
	char *cmd = harness_printf("ls -1 %s", dir);
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	char line[512];
	size_t n = 0;
	while (fgets(line, sizeof line, f)) {
		size_t l = strlen(line);
		if (l > 6 && strcmp(line + l - 6, ".json\n") == 0)
			n++;
	}
	pclose(f);
	free(cmd);
	return n;
}

/* SIGKILL while alerts are spooled; a new relayd on the same folders delivers
 * every one of them. */
START_TEST(sigkill_with_spooled_alerts)
{
	struct tsr r;
	struct tsr_opts o = {0};
	tsr_start(&r, &o);
	harness_fixture_set_routes(fx, routes_failing(500, NULL));
	char *multi = fixture_text("webhook_multi.json");
	char *flat = fixture_text("webhook_flat_vendor_doc_variant.json");
	post_ok(&r, multi);
	post_ok(&r, flat);
	json_t *spool = wait_spool_at_least(&r, "delivery_failures", 1);
	ck_assert_int_eq(spool_num(spool, "depth"), 3);
	json_decref(spool);

	ck_assert_int_eq(harness_proc_signal(r.proc, SIGKILL), 0);
	ck_assert_int_eq(harness_proc_wait_exit(r.proc, HARNESS_STOP_TIMEOUT_MS), 128 + SIGKILL);
	ck_assert_uint_eq(count_spool_files(r.spool_dir), 3);
	assert_keys(&r.st, NULL, 0, "before the restart");
	harness_proc_free(r.proc);
	r.proc = NULL;

	harness_fixture_set_routes(fx, routes_ok(NULL));
	struct tsr again;
	struct tsr_opts o2 = {.store_dir = r.st.dir, .spool_dir = r.spool_dir};
	tsr_start(&again, &o2);
	wait_delivered(&again, 3);
	const char *keys[] = {"webhooks/2017/01/15/23/10/587c0159a907346eccb84004",
	                      "alerts/58/7c/587c0159a907346eccb84004",
	                      "webhooks/2017/01/15/23/19/587c036efc22b55ac0b72837",
	                      "alerts/58/7c/587c036efc22b55ac0b72837",
	                      "webhooks/2016/03/31/17/57/56fd65138c1e0c173af5a3de",
	                      "alerts/56/fd/56fd65138c1e0c173af5a3de"};
	assert_keys(&again.st, keys, 6, "after the restart");
	json_t *w = fixture_json("webhook_multi.json");
	assert_object(&again.st, keys[0], json_array_get(json_object_get(w, "alerts"), 0));
	assert_object(&again.st, keys[2], json_array_get(json_object_get(w, "alerts"), 1));
	json_decref(w);
	w = fixture_json("webhook_flat_vendor_doc_variant.json");
	assert_object(&again.st, keys[4], w);
	json_decref(w);
	ck_assert_uint_eq(count_spool_files(again.spool_dir), 0);
	char *err = harness_proc_stderr(again.proc);
	ck_assert_msg(strstr(err, "3 spooled alert(s) to deliver") != NULL, "stderr:\n%s", err);
	free(err);
	tsr_stop(&again);
	free(r.st.dir);
	free(r.spool_dir);
	free(multi);
	free(flat);
}
END_TEST

/* Over spool_max_bytes: 507 with the UnexpectedException envelope, never a 2xx
 * for an alert that was not made durable; what was accepted is delivered. */
START_TEST(spool_full_is_507)
{
	json_t *want = fixture_json("expected_response_error_500_unexpected.json");
	struct tsr r;
	struct tsr_opts tiny = {.extra = "spool_max_bytes = 1\n"};
	tsr_start(&r, &tiny);
	char *body = fixture_text("webhook_single.json");
	json_t *got = NULL;
	ck_assert_int_eq(post_webhook(&r, body, &got), 507);
	harness_assert_json_eq(got, want, "507 envelope");
	json_decref(got);
	free(body);
	json_t *spool = spool_status(&r);
	ck_assert_int_eq(spool_num(spool, "depth"), 0);
	json_decref(spool);
	ck_assert_uint_eq(count_spool_files(r.spool_dir), 0);
	tsr_stop(&r);

	/* Room for a few alerts: the first ones are accepted, then 507. */
	harness_fixture_set_routes(fx, routes_failing(500, NULL));
	struct tsr_opts small = {.extra = "spool_max_bytes = 2K\n"};
	tsr_start(&r, &small);
	unsigned accepted = 0;
	bool refused = false;
	for (unsigned i = 0; i < 40 && !refused; i++) {
		char id[32];
		body = webhook_one(id_n(id, sizeof id, 100 + i), 1484521817000LL, "fill the spool");
		long status = post_webhook(&r, body, &got);
		free(body);
		if (status == 200) {
			accepted++;
		} else {
			ck_assert_int_eq(status, 507);
			harness_assert_json_eq(got, want, "507 envelope");
			refused = true;
		}
		json_decref(got);
	}
	ck_assert_msg(refused && accepted > 0, "accepted %u, refused %d", accepted, refused);
	spool = spool_status(&r);
	ck_assert_int_eq(spool_num(spool, "depth"), accepted);
	ck_assert_int_le(spool_num(spool, "bytes"), 2048);
	json_decref(spool);
	ck_assert_uint_eq(count_spool_files(r.spool_dir), accepted);
	harness_fixture_set_routes(fx, routes_ok(NULL));
	wait_delivered(&r, accepted);
	char **keys;
	size_t n = store_keys(&r.st, &keys);
	ck_assert_uint_eq(n, 2 * accepted);
	free_keys(keys, n);
	tsr_stop(&r);
	json_decref(want);
}
END_TEST

/* ---- TCase s3 faults ------------------------------------------------------------------------ */

static void s3faults_setup(void)
{
	fx_start();
	s3rver_start(0);
}

static void s3faults_teardown(void)
{
	s3rver_stop();
	harness_proc_free(fx);
	fx = NULL;
}

/* S3 down during a webhook: 200, spooled; S3 back on the same port: delivered
 * once, nothing lost. */
START_TEST(s3_down_then_back)
{
	struct tsr r;
	struct tsr_opts o = {.s3 = true};
	tsr_start(&r, &o);
	store_clear(&r.st);
	s3rver_stop();
	char *body = fixture_text("webhook_multi.json");
	post_ok(&r, body);
	free(body);
	json_t *spool = wait_spool_at_least(&r, "delivery_failures", 2);
	ck_assert_int_eq(spool_num(spool, "depth"), 2);
	ck_assert_int_eq(spool_num(spool, "delivered"), 0);
	const char *last = json_string_value(json_object_get(spool, "last_error"));
	ck_assert_msg(last && strstr(last, "Failure to communicate with S3"), "last_error %s",
	              last ? last : "null");
	json_decref(spool);
	json_t *got = NULL;
	ck_assert_int_eq(tsr_call(&r, "GET", "/api/v1/s3/status", NULL, NULL, &got, NULL), 500);
	json_object_del(got, "spool");
	json_t *want = error_envelope("S3ClientError", "Failure to communicate with S3");
	harness_assert_json_eq(got, want, "status while S3 is down");
	json_decref(got);
	json_decref(want);

	s3rver_start(s3.port);
	wait_delivered(&r, 2);
	const char *keys[] = {"webhooks/2017/01/15/23/10/587c0159a907346eccb84004",
	                      "alerts/58/7c/587c0159a907346eccb84004",
	                      "webhooks/2017/01/15/23/19/587c036efc22b55ac0b72837",
	                      "alerts/58/7c/587c036efc22b55ac0b72837"};
	assert_keys(&r.st, keys, 4, "after S3 came back");
	json_t *w = fixture_json("webhook_multi.json");
	for (size_t i = 0; i < 2; i++) {
		json_t *alert = json_array_get(json_object_get(w, "alerts"), i);
		json_t *detail = expected_detail(json_string_value(json_object_get(alert, "id")));
		assert_object(&r.st, keys[2 * i], alert);
		assert_object(&r.st, keys[2 * i + 1], detail);
		json_decref(detail);
	}
	json_decref(w);
	tsr_stop(&r);
}
END_TEST

/* An S3 error answer (unknown access key): the reference's ClientError text on
 * /status, the alert kept and retried. */
START_TEST(s3_error_answer)
{
	struct tsr r;
	struct tsr_opts o = {.s3 = true, .s3_access = "NOT-A-KEY"};
	tsr_start(&r, &o);
	json_t *got = NULL;
	ck_assert_int_eq(tsr_call(&r, "GET", "/api/v1/s3/status", NULL, NULL, &got, NULL), 500);
	json_object_del(got, "spool");
	json_t *want = error_envelope(
	    "S3ClientError",
	    "An error occurred (InvalidAccessKeyId) when calling the ListObjectsV2 operation: The AWS "
	    "Access Key Id you provided does not exist in our records.");
	harness_assert_json_eq(got, want, "status with a bad access key");
	json_decref(got);
	json_decref(want);
	char *body = fixture_text("webhook_single.json");
	post_ok(&r, body);
	free(body);
	json_t *spool = wait_spool_at_least(&r, "delivery_failures", 2);
	ck_assert_int_eq(spool_num(spool, "depth"), 1);
	const char *last = json_string_value(json_object_get(spool, "last_error"));
	ck_assert_msg(last && strstr(last, "(InvalidAccessKeyId) when calling the PutObject operation"),
	              "last_error %s", last ? last : "null");
	json_decref(spool);
	tsr_stop(&r);
}
END_TEST

/* ---- TCase auth -------------------------------------------------------------------------------- */

static void auth_setup(void) { fx_start(); }
static void auth_teardown(void)
{
	harness_proc_free(fx);
	fx = NULL;
}

static void expect_401(const struct tsr *r, const char *method, const char *path,
                       const char *const *headers, bool basic)
{
	struct harness_response resp;
	const char *body = strcmp(method, "POST") == 0 ? "{\"alerts\": []}" : NULL;
	long status = tsr_call(r, method, path, body, headers, NULL, &resp);
	ck_assert_msg(status == 401, "%s %s: %ld %s", method, path, status, resp.body);
	json_t *got = harness_response_json(&resp);
	json_t *want = error_envelope("WebhookAuthError", "Webhook authentication failed.");
	harness_assert_json_eq(got, want, "401 envelope");
	char www[128];
	const char *h = harness_response_header(&resp, "WWW-Authenticate", www, sizeof www);
	if (basic)
		ck_assert_msg(h && strncmp(h, "Basic", 5) == 0, "WWW-Authenticate: %s", h ? h : "none");
	else
		ck_assert_ptr_null(h);
	json_decref(got);
	json_decref(want);
	harness_response_free(&resp);
}

START_TEST(webhook_auth)
{
	struct tsr r;
	struct tsr_opts o = {.extra = "webhook_secret = s3cr3t\n"
	                              "webhook_basic_user = threatstack\n"
	                              "webhook_basic_password = pa55\n"};
	tsr_start(&r, &o);
	const char *none[] = {"Content-Type: application/json", NULL};
	const char *bad_secret[] = {"X-Webhook-Secret: s3cr3", NULL};
	/* base64("threatstack:wrong") and base64("threatstack:pa55") */
	const char *bad_basic[] = {"Authorization: Basic dGhyZWF0c3RhY2s6d3Jvbmc=", NULL};
	const char *good_basic[] = {"Authorization: Basic dGhyZWF0c3RhY2s6cGE1NQ==", NULL};
	const char *good_secret[] = {"X-Webhook-Secret: s3cr3t", NULL};
	expect_401(&r, "POST", "/api/v1/s3/alert", none, true);
	expect_401(&r, "POST", "/api/v1/s3/alert", bad_secret, true);
	expect_401(&r, "POST", "/api/v1/s3/alert", bad_basic, true);
	expect_401(&r, "GET", "/api/v1/s3/status", none, true);
	expect_401(&r, "GET", "/api/v1/s3/alert/587c0159a907346eccb84004", none, true);
	expect_401(&r, "GET", "/api/v1/s3/alert?start=2017-01-15&end=2017-01-16", none, true);

	char *single = fixture_text("webhook_single.json");
	const char *const *good[] = {good_secret, good_basic};
	for (size_t i = 0; i < 2; i++) {
		const char *h[] = {"Content-Type: application/json", good[i][0], NULL};
		json_t *got = NULL;
		ck_assert_int_eq(tsr_call(&r, "POST", "/api/v1/s3/alert", single, h, &got, NULL), 200);
		json_decref(got);
	}
	ck_assert_int_eq(tsr_call(&r, "GET", "/api/v1/s3/status", NULL, good_secret, NULL, NULL),
	                 200);
	char *err = harness_proc_stderr(r.proc);
	ck_assert_msg(strstr(err, "webhook authentication is off") == NULL, "stderr:\n%s", err);
	free(err);
	tsr_stop(&r);

	/* Only a secret: no WWW-Authenticate. */
	struct tsr_opts o2 = {.extra = "webhook_secret = s3cr3t\nwebhook_secret_header = X-TS-Token\n"};
	tsr_start(&r, &o2);
	expect_401(&r, "POST", "/api/v1/s3/alert", good_secret, false);
	const char *custom[] = {"X-TS-Token: s3cr3t", "Content-Type: application/json", NULL};
	ck_assert_int_eq(tsr_call(&r, "POST", "/api/v1/s3/alert", single, custom, NULL, NULL), 200);
	tsr_stop(&r);
	free(single);
}
END_TEST

/* The "authentication is off" warning only when the listener is not loopback. */
START_TEST(auth_off_warning_follows_listen)
{
	struct tsr r;
	struct tsr_opts loop = {0};
	tsr_start(&r, &loop);
	char *err = harness_proc_stderr(r.proc);
	ck_assert_msg(strstr(err, "webhook authentication is off") == NULL, "stderr:\n%s", err);
	free(err);
	tsr_stop(&r);

	struct tsr_opts any = {.listen = "0.0.0.0:0"};
	tsr_start(&r, &any);
	err = harness_proc_stderr(r.proc);
	ck_assert_msg(harness_line_has(err, "level=warn", "webhook authentication is off"),
	              "stderr:\n%s", err);
	free(err);
	tsr_stop(&r);

	struct tsr_opts any_auth = {.listen = "0.0.0.0:0", .extra = "webhook_secret = s3cr3t\n"};
	tsr_start(&r, &any_auth);
	err = harness_proc_stderr(r.proc);
	ck_assert_msg(strstr(err, "webhook authentication is off") == NULL, "stderr:\n%s", err);
	free(err);
	tsr_stop(&r);
}
END_TEST

/* ---- main ----------------------------------------------------------------------------------- */

int main(void)
{
	Suite *s = suite_create("threatstack_s3_integration");

	TCase *dir = tcase_create("dir");
	tcase_add_unchecked_fixture(dir, dir_setup, dir_teardown);
	tcase_add_test(dir, dir_webhook_fixtures);
	tcase_add_test(dir, dir_key_table);
	tcase_add_test(dir, dir_date_ranges);
	tcase_add_test(dir, dir_get_by_id);
	tcase_add_test(dir, dir_status);
	tcase_add_test(dir, dir_exits_cleanly); /* keep last */
	suite_add_tcase(s, dir);

	TCase *auth = tcase_create("auth");
	tcase_add_unchecked_fixture(auth, auth_setup, auth_teardown);
	tcase_add_test(auth, webhook_auth);
	tcase_add_test(auth, auth_off_warning_follows_listen);
	suite_add_tcase(s, auth);

	TCase *faults = tcase_create("faults");
	tcase_add_unchecked_fixture(faults, faults_setup, faults_teardown);
	tcase_add_test(faults, threatstack_failures_are_retried);
	tcase_add_test(faults, threatstack_404_drops_401_keeps);
	tcase_add_test(faults, sigkill_with_spooled_alerts);
	tcase_add_test(faults, spool_full_is_507);
	suite_add_tcase(s, faults);

	TCase *s3tc = tcase_create("s3");
	tcase_add_unchecked_fixture(s3tc, s3_setup, s3_teardown);
	tcase_add_test(s3tc, s3_webhook_fixtures);
	tcase_add_test(s3tc, s3_key_table);
	tcase_add_test(s3tc, s3_date_ranges);
	tcase_add_test(s3tc, s3_get_by_id);
	tcase_add_test(s3tc, s3_status);
	tcase_add_test(s3tc, s3_awscli_listing);
	tcase_add_test(s3tc, s3_list_pagination);
	tcase_add_test(s3tc, s3_exits_cleanly); /* keep last */
	suite_add_tcase(s, s3tc);

	TCase *s3f = tcase_create("s3_faults");
	tcase_add_unchecked_fixture(s3f, s3faults_setup, s3faults_teardown);
	tcase_add_test(s3f, s3_down_then_back);
	tcase_add_test(s3f, s3_error_answer);
	suite_add_tcase(s, s3f);

	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
