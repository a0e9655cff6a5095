/* SPDX-License-Identifier: MIT */
/* Process-level test harness: runs relayd and the fixture server as bounded child processes, plus HTTP client helpers. */
#ifndef RELAYD_TEST_HARNESS_H
#define RELAYD_TEST_HARNESS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <check.h>
#include <jansson.h>

/*
 * Every wait in here is bounded. Children get PR_SET_PDEATHSIG(SIGKILL), so
 * they die with the test process however it ends: Check's forked test
 * process leaves with _exit() after a failed assertion (no atexit, no
 * teardown) or is SIGKILLed on a timeout. Every child is also registered, and
 * harness_cleanup (a checked teardown, and an atexit handler) kills what is
 * left and prints the tail of its stderr. Temporary folders live under one
 * root per TCase that harness_tcase_fixtures removes from the parent
 * process, so a failed test leaves no files behind either. Set HARNESS_KEEP=1
 * to keep the folders for a look afterwards.
 *
 * Functions whose comment says "fails the test" call ck_abort_msg on error.
 */

#define HARNESS_READY_TIMEOUT_MS 20000L /* relayd / fixture start-up */
#define HARNESS_STOP_TIMEOUT_MS 20000L  /* SIGTERM → exit (drain_ms is 10 s by default) */
#define HARNESS_HTTP_TIMEOUT_MS 30000L  /* default per-request timeout */

/** A child process (relayd or the fixture server) and its files. */
struct harness_proc {
	pid_t pid;                    /**< > 0 until the child is reaped */
	int exit_status;              /**< once reaped: exit code, or 128 + signal; -1 before */
	bool killed;                  /**< the harness had to SIGKILL it */
	char label[32];               /**< "relayd" or "fixture_server", for messages */
	char dir[PATH_MAX];           /**< private temporary folder, removed by harness_proc_free */
	char config_path[PATH_MAX];   /**< relayd: dir/relayd.conf; fixture: dir/routes.json */
	char ready_path[PATH_MAX];    /**< relayd: --ready-file; fixture: --port-file */
	char stdout_path[PATH_MAX];   /**< the child's stdout */
	char stderr_path[PATH_MAX];   /**< the child's stderr */
	char address[64];             /**< "127.0.0.1:<port>" once ready, else "" */
	int port;                     /**< 0 until ready */
};

/** Adds the harness's fixtures to tc: an unchecked one (in the runner
 *  process) that creates and later removes the root of the temporary
 *  folders, and a checked teardown, harness_cleanup. Call it for every TCase
 *  whose tests start processes. */
void harness_tcase_fixtures(TCase *tc);

/** Kills (SIGKILL) and reaps every child still registered, printing the tail
 *  of its stderr, and frees them. Safe to call at any time. */
void harness_cleanup(void);

/** Value of a required environment variable; fails the test when unset or empty. */
const char *harness_env(const char *name);

/** Sleeps ms milliseconds (restarts on EINTR). */
void harness_sleep_ms(long ms);

/** Whole file as a malloc'd NUL-terminated string (caller frees); NULL when
 *  unreadable. *len (may be NULL) gets the length. */
char *harness_read_file(const char *path, size_t *len);

/** Writes text to path through a temporary file and rename(2), so a reader
 *  sees the old or the new content, never half. 0, or -1 with errno set. */
int harness_write_file(const char *path, const char *text);

/** printf into a new malloc'd string (caller frees); fails the test on ENOMEM. */
char *harness_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** True when one line of text contains both a and b (b may be NULL). */
bool harness_line_has(const char *text, const char *a, const char *b);

/* ---- relayd -------------------------------------------------------------- */

/**
 * Writes config_text to a new temporary folder and starts
 * [$RELAYD_WRAPPER…] $RELAYD -c <dir>/relayd.conf --ready-file <dir>/ready
 * [extra_args…] (extra_args NULL-terminated, may be NULL). Does not wait.
 * The caller frees the result with harness_proc_free. Fails the test when
 * the process cannot be started.
 */
struct harness_proc *harness_relayd_spawn(const char *config_text, const char *const *extra_args);

/**
 * Waits at most timeout_ms for relayd's ready file (then sets address and
 * port) or for relayd to exit (then sets exit_status). Returns 0 when ready,
 * -1 when it exited or the time ran out (pid still > 0 in that case).
 */
int harness_relayd_wait_ready(struct harness_proc *p, long timeout_ms);

/** harness_relayd_spawn + harness_relayd_wait_ready; fails the test (after
 *  printing relayd's stderr) when relayd is not ready within 20 s. */
struct harness_proc *harness_relayd_start(const char *config_text);

/**
 * Runs relayd to completion *without* --ready-file: for --check-config,
 * --version, and configurations that must be refused. Returns the exit
 * status (exit code, or 128 + signal). Fails the test when relayd is still
 * running after 20 s. *out (may be NULL) gets the process for its stdout /
 * stderr; the caller then frees it with harness_proc_free.
 */
int harness_relayd_run(const char *config_text, const char *const *extra_args,
                       struct harness_proc **out);

/** Replaces the config file of a running relayd atomically (for SIGHUP tests).
 *  0, or -1 with errno set. */
int harness_relayd_rewrite_config(struct harness_proc *p, const char *config_text);

/* ---- fixture server -------------------------------------------------------- */

/**
 * Writes routes_json to a new temporary folder and starts $FIXTURE_SERVER
 * --port 0 --port-file <dir>/port --routes <dir>/routes.json --max-seconds 600,
 * then waits (≤ 20 s) for the port file. Fails the test when it does not come up.
 * The caller frees the result with harness_proc_free.
 */
struct harness_proc *harness_fixture_start(const char *routes_json);

/**
 * harness_fixture_start over HTTPS: first runs $FIXTURE_SERVER --gen-cert
 * <dir>/tls (a fresh self-signed EC certificate for IP 127.0.0.1 and
 * localhost, CA:TRUE, valid for a year), then starts the server as
 * harness_fixture_start does plus --tls-cert/--tls-key (HTTPS only on its
 * port; harness_url and harness_fixture_stats speak plain HTTP and so do not
 * work with it). *cert_path (may be NULL) gets the certificate's path,
 * malloc'd (caller frees); the file stays until harness_proc_free and doubles
 * as the CA file that makes clients trust the server. Fails the test when
 * the certificate cannot be made or the server does not come up.
 */
struct harness_proc *harness_fixture_start_tls(const char *routes_json, char **cert_path);

/** GET /__stats of the fixture server; fails the test unless it answers 200
 *  with a JSON object. Caller json_decref's the result. */
json_t *harness_fixture_stats(const struct harness_proc *fixture);

/* ---- any child ------------------------------------------------------------- */

/** kill(2) with sig. 0, or -1 when the process is not running. */
int harness_proc_signal(struct harness_proc *p, int sig);

/** Waits at most timeout_ms for the process to exit. Returns its exit status
 *  (exit code, or 128 + signal), or -1 when it is still running. */
int harness_proc_wait_exit(struct harness_proc *p, long timeout_ms);

/**
 * Sends sig (normally SIGTERM) and waits at most timeout_ms; when the process
 * is still running then, SIGKILLs it (p->killed = true) and returns -1.
 * Otherwise returns the exit status (exit code, or 128 + signal).
 */
int harness_proc_stop(struct harness_proc *p, int sig, long timeout_ms);

/** The child's stderr so far, malloc'd (caller frees; "" when empty). */
char *harness_proc_stderr(const struct harness_proc *p);

/** The child's stdout so far, malloc'd (caller frees; "" when empty). */
char *harness_proc_stdout(const struct harness_proc *p);

/** Kills the process if it still runs, removes its folder (unless
 *  HARNESS_KEEP is set) and frees p. NULL is a no-op. */
void harness_proc_free(struct harness_proc *p);

/** "http://<address><path>" into out (path starts with '/'). */
void harness_url(const struct harness_proc *p, const char *path, char *out, size_t len);

/* ---- HTTP client (libcurl) --------------------------------------------------- */

struct harness_request {
	const char *method;           /**< NULL: "GET" */
	const char *url;
	const char *const *headers;   /**< "Name: value", NULL-terminated; may be NULL */
	const char *body;             /**< may be NULL */
	size_t body_len;
	long timeout_ms;              /**< 0: HARNESS_HTTP_TIMEOUT_MS */
	const char *ca_file;          /**< https: trust this PEM (CURLOPT_CAINFO); NULL: system CAs */
};

struct harness_response {
	long status;         /**< HTTP status; 0 when no answer arrived */
	int curl_code;       /**< CURLcode; 0 (CURLE_OK) when an answer arrived */
	char *body;          /**< NUL-terminated, never NULL after a request */
	size_t body_len;
	char *headers;       /**< the raw header block (all responses, incl. 100) */
	double seconds;      /**< total time of the transfer */
};

/** One request. Returns 0 when an HTTP answer arrived, -1 otherwise
 *  (resp->curl_code says why). Free resp with harness_response_free. */
int harness_http(const struct harness_request *req, struct harness_response *resp);

/**
 * n copies of req at once over n connections (curl multi), waiting at most
 * the request timeout + 10 s for all of them. resps is an array of n that the
 * caller frees element by element. Returns how many got an HTTP answer.
 */
size_t harness_http_parallel(const struct harness_request *req, size_t n,
                             struct harness_response *resps);

void harness_response_free(struct harness_response *resp);

/** Value of the last header called name (case-insensitive), copied into out;
 *  returns out, or NULL when absent. */
const char *harness_response_header(const struct harness_response *resp, const char *name,
                                    char *out, size_t len);

/** resp->body parsed as JSON (any JSON value); NULL when it is not JSON.
 *  Caller json_decref's. */
json_t *harness_response_json(const struct harness_response *resp);

/** GET <p><path>; fails the test when no HTTP answer arrives. Returns the
 *  status; *json (may be NULL) gets the body parsed as JSON or NULL. */
long harness_get_json(const struct harness_proc *p, const char *path, json_t **json);

#endif
