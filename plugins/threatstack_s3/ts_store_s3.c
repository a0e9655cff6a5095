/* SPDX-License-Identifier: MIT */
/* The s3 backend: PutObject / GetObject / ListObjectsV2 through host->http with libcurl's SigV4. */
#include "ts_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>

#include "ts_s3xml.h"
#include "ts_sigv4.h"

/* A listing that needs more pages than this is refused rather than looping. */
#define LIST_MAX_PAGES 100000

struct s3_store {
	struct ts_store base; /* first: the interface casts back */
	struct ts_s3_config cfg;
	char *endpoint;   /* owned copies behind cfg's pointers */
	char *sigv4;      /* "aws:amz:<region>:s3" */
	char *userpwd;    /* "access:secret" */
	char *token_hdr;  /* "x-amz-security-token: …" or NULL */
};

/* ---- URLs (pure) -------------------------------------------------------- */

static char *default_endpoint(const char *region)
{
	size_t n = strlen(region) + 32;
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "https://s3.%s.amazonaws.com", region);
	return out;
}

/* "<scheme>://<bucket>.<host>" or "<endpoint>/<bucket>", without a trailing '/'. */
static char *bucket_base(const struct ts_s3_config *cfg)
{
	char *ep = cfg->endpoint && cfg->endpoint[0] ? strdup(cfg->endpoint)
	                                            : default_endpoint(cfg->region);
	if (!ep)
		return NULL;
	size_t el = strlen(ep);
	while (el > 0 && ep[el - 1] == '/')
		ep[--el] = '\0';
	size_t n = el + strlen(cfg->bucket) + 4;
	char *out = malloc(n);
	if (out) {
		const char *sep = strstr(ep, "://");
		if (cfg->path_style || !sep)
			snprintf(out, n, "%s/%s", ep, cfg->bucket);
		else
			snprintf(out, n, "%.*s%s.%s", (int)(sep + 3 - ep), ep, cfg->bucket, sep + 3);
	}
	free(ep);
	return out;
}

char *ts_s3_object_url(const struct ts_s3_config *cfg, const char *key)
{
	char *base = bucket_base(cfg);
	char *path = ts_key_path_encode(key);
	char *out = NULL;
	if (base && path) {
		size_t n = strlen(base) + strlen(path) + 1;
		out = malloc(n);
		if (out)
			snprintf(out, n, "%s%s", base, path);
	}
	free(base);
	free(path);
	return out;
}

static char *url_with_query(const struct ts_s3_config *cfg, const struct ts_query_param *params,
                            size_t n_params)
{
	char *base = bucket_base(cfg);
	char *query = ts_canonical_query(params, n_params);
	char *out = NULL;
	if (base && query) {
		/* Virtual-host listings go to "/"; path-style ones to "/<bucket>". */
		const char *slash = cfg->path_style ? "" : "/";
		size_t n = strlen(base) + strlen(query) + 3;
		out = malloc(n);
		if (out)
			snprintf(out, n, "%s%s?%s", base, slash, query);
	}
	free(base);
	free(query);
	return out;
}

char *ts_s3_list_url(const struct ts_s3_config *cfg, const char *prefix, const char *token)
{
	struct ts_query_param params[3] = {
	    {"list-type", "2"},
	    {"prefix", prefix ? prefix : ""},
	    {"continuation-token", token},
	};
	return url_with_query(cfg, params, token ? 3 : 2);
}

static char *probe_url(const struct ts_s3_config *cfg, const char *prefix)
{
	struct ts_query_param params[3] = {
	    {"list-type", "2"},
	    {"max-keys", "1"},
	    {"prefix", prefix ? prefix : ""},
	};
	return url_with_query(cfg, params, 3);
}

/* ---- requests ----------------------------------------------------------- */

enum s3_op { OP_PUT, OP_GET, OP_LIST, OP_PROBE };

static const char *op_name(enum s3_op op)
{
	switch (op) {
	case OP_PUT: return "PutObject";
	case OP_GET: return "GetObject";
	default: return "ListObjectsV2";
	}
}

struct s3_job {
	struct s3_store *st;
	enum s3_op op;
	char *key;         /* object key, or the list prefix */
	char *body;
	size_t len;
	struct ts_s3_list acc; /* keys gathered over list pages */
	char *token;
	unsigned pages;
	ts_store_done_fn done;
	void *arg;
};

static void job_free(struct s3_job *job)
{
	ts_s3_list_clear(&job->acc);
	free(job->token);
	free(job->key);
	free(job->body);
	free(job);
}

static void finish(struct relayd_call *call, struct s3_job *job, const struct ts_store_result *res)
{
	job->done(call, res, job->arg);
	job_free(job);
}

static void finish_error(struct relayd_call *call, struct s3_job *job,
                         enum ts_store_outcome outcome, const char *message)
{
	struct ts_store_result res = {.outcome = outcome, .message = message};
	finish(call, job, &res);
}

/* Maps an S3 error answer to an outcome and the reference's ClientError text. */
static void finish_s3_error(struct relayd_call *call, struct s3_job *job,
                            const struct relayd_http_response *resp)
{
	struct ts_s3_error err;
	char code[32], msg[768];
	enum ts_store_outcome outcome;

	if (ts_s3xml_parse_error(resp->body, resp->body_len, &err) != RELAYD_OK) {
		/* No XML (HEAD-like answers, proxies): botocore names the status. */
		snprintf(code, sizeof(code), "%ld", resp->status);
		snprintf(err.code, sizeof(err.code), "%s", resp->status == 404 ? "NoSuchKey" : code);
		snprintf(err.message, sizeof(err.message), "%s", resp->reason ? resp->reason : "");
	}
	if (strcmp(err.code, "NoSuchKey") == 0)
		outcome = TS_STORE_NOT_FOUND;
	else if (ts_s3_error_retryable(resp->status, err.code))
		outcome = TS_STORE_RETRY;
	else
		outcome = TS_STORE_FAIL;
	ts_store_client_error(msg, sizeof(msg), err.code, op_name(job->op), err.message);
	finish_error(call, job, outcome, msg);
}

static void start(struct relayd_call *call, struct s3_job *job, const char *method,
                  const char *url, relayd_http_done_fn cb);

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void on_answer(struct relayd_call *call, const struct relayd_http_response *resp, void *arg)
{
	struct s3_job *job = arg;
	struct ts_store_result res = {.outcome = TS_STORE_OK};

	if (resp->error != RELAYD_HTTP_OK) {
		finish_error(call, job, TS_STORE_RETRY, TS_STORE_UNREACHABLE);
		return;
	}
	if (resp->status < 200 || resp->status >= 300) {
		finish_s3_error(call, job, resp);
		return;
	}
	switch (job->op) {
	case OP_PUT:
	case OP_PROBE:
		finish(call, job, &res);
		return;
	case OP_GET:
		res.body = resp->body;
		res.body_len = resp->body_len;
		finish(call, job, &res);
		return;
	case OP_LIST:
		break;
	}

	struct ts_s3_list page;
	int rc = ts_s3xml_parse_list(resp->body, resp->body_len, &page);
	if (rc != RELAYD_OK) {
		ts_s3_list_clear(&page);
		finish_error(call, job, TS_STORE_RETRY,
		             "An error occurred (MalformedXML) when calling the ListObjectsV2 operation: "
		             "unreadable ListBucketResult");
		return;
	}
	char **keys = realloc(job->acc.keys, (job->acc.n_keys + page.n_keys + 1) * sizeof(*keys));
	if (!keys) {
		ts_s3_list_clear(&page);
		finish_error(call, job, TS_STORE_RETRY, "Out of memory");
		return;
	}
	job->acc.keys = keys;
	for (size_t i = 0; i < page.n_keys; i++) {
		keys[job->acc.n_keys++] = page.keys[i];
		page.keys[i] = NULL;
	}
	page.n_keys = 0;
	free(job->token);
	job->token = page.is_truncated ? page.next_token : NULL;
	if (page.is_truncated)
		page.next_token = NULL;
	ts_s3_list_clear(&page);

	if (job->token && ++job->pages < LIST_MAX_PAGES) {
		char *url = ts_s3_list_url(&job->st->cfg, job->key, job->token);
		if (!url) {
			finish_error(call, job, TS_STORE_RETRY, "Out of memory");
			return;
		}
		start(call, job, "GET", url, on_answer);
		free(url);
		return;
	}
	/* S3 lists in UTF-8 binary order already; sorting keeps the dir and s3
	 * backends identical should a server differ. */
	if (job->acc.n_keys)
		qsort(job->acc.keys, job->acc.n_keys, sizeof(char *), cmp_key);
	res.keys = job->acc.keys;
	res.n_keys = job->acc.n_keys;
	finish(call, job, &res);
}

static void start(struct relayd_call *call, struct s3_job *job, const char *method,
                  const char *url, relayd_http_done_fn cb)
{
	char sha_hdr[96];
	char hash[65];
	const char *headers[4];
	size_t n = 0;

	/* S3 refuses a request without x-amz-content-sha256 and libcurl 7.88 does
	 * not add it; libcurl signs it with the other x-amz-* headers. */
	ts_sha256_hex(job->op == OP_PUT ? job->body : "", job->op == OP_PUT ? job->len : 0, hash);
	snprintf(sha_hdr, sizeof(sha_hdr), "x-amz-content-sha256: %s", hash);
	headers[n++] = sha_hdr;
	if (job->op == OP_PUT)
		headers[n++] = "Content-Type: application/json";
	if (job->st->token_hdr)
		headers[n++] = job->st->token_hdr;
	headers[n] = NULL;

	struct relayd_http_request req = {
	    .method = method,
	    .url = url,
	    .headers = headers,
	    .body = job->op == OP_PUT ? job->body : NULL,
	    .body_len = job->op == OP_PUT ? job->len : 0,
	    .userpwd = job->st->userpwd,
	    .aws_sigv4 = job->st->sigv4,
	};
	job->st->base.host->http(call, &req, cb, job);
}

static void submit(struct ts_store *s, struct relayd_call *call, enum s3_op op, const char *key,
                   const void *body, size_t len, ts_store_done_fn done, void *arg)
{
	struct s3_store *st = (struct s3_store *)s;
	struct s3_job *job = calloc(1, sizeof(*job));
	char *url = NULL;

	if (job) {
		job->st = st;
		job->op = op;
		job->done = done;
		job->arg = arg;
		job->key = strdup(key ? key : "");
		if (body) {
			job->body = malloc(len + 1);
			if (job->body)
				memcpy(job->body, body, len);
			job->len = len;
		}
	}
	if (job && job->key && (!body || job->body)) {
		switch (op) {
		case OP_PUT:
		case OP_GET: url = ts_s3_object_url(&st->cfg, key); break;
		case OP_LIST: url = ts_s3_list_url(&st->cfg, key, NULL); break;
		case OP_PROBE: url = probe_url(&st->cfg, key); break;
		}
	}
	if (!url) {
		struct ts_store_result res = {.outcome = TS_STORE_RETRY, .message = "Out of memory"};
		if (job)
			job_free(job);
		done(call, &res, arg);
		return;
	}
	start(call, job, op == OP_PUT ? "PUT" : "GET", url, on_answer);
	free(url);
}

static void s3_put(struct ts_store *s, struct relayd_call *call, const char *key,
                   const void *body, size_t len, ts_store_done_fn done, void *arg)
{
	submit(s, call, OP_PUT, key, body ? body : "", len, done, arg);
}

static void s3_get(struct ts_store *s, struct relayd_call *call, const char *key,
                   ts_store_done_fn done, void *arg)
{
	submit(s, call, OP_GET, key, NULL, 0, done, arg);
}

static void s3_list(struct ts_store *s, struct relayd_call *call, const char *prefix,
                    ts_store_done_fn done, void *arg)
{
	submit(s, call, OP_LIST, prefix, NULL, 0, done, arg);
}

static void s3_probe(struct ts_store *s, struct relayd_call *call, const char *prefix,
                     ts_store_done_fn done, void *arg)
{
	submit(s, call, OP_PROBE, prefix, NULL, 0, done, arg);
}

static void s3_free(struct ts_store *s)
{
	struct s3_store *st = (struct s3_store *)s;
	if (!st)
		return;
	free((char *)st->cfg.bucket);
	free((char *)st->cfg.region);
	free(st->endpoint);
	free(st->sigv4);
	if (st->userpwd) {
		memset(st->userpwd, 0, strlen(st->userpwd));
		free(st->userpwd);
	}
	free(st->token_hdr);
	free(st);
}

static const struct ts_store_ops s3_ops = {
    .name = "s3",
    .put = s3_put,
    .get = s3_get,
    .list = s3_list,
    .probe = s3_probe,
    .free = s3_free,
};

static char *join3(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "%s%s%s", a, b, c);
	return out;
}

struct ts_store *ts_store_s3_new(const struct relayd_host *host, const struct ts_s3_config *cfg)
{
	if (!cfg->bucket || !cfg->bucket[0] || !cfg->region || !cfg->region[0])
		return NULL;
	struct s3_store *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->base.ops = &s3_ops;
	st->base.host = host;
	st->cfg.path_style = cfg->path_style;
	st->cfg.bucket = strdup(cfg->bucket);
	st->cfg.region = strdup(cfg->region);
	st->endpoint = cfg->endpoint && cfg->endpoint[0] ? strdup(cfg->endpoint)
	                                                : default_endpoint(cfg->region);
	st->cfg.endpoint = st->endpoint;
	st->sigv4 = join3("aws:amz:", cfg->region, ":s3");
	st->userpwd = join3(cfg->access_key ? cfg->access_key : "", ":",
	                    cfg->secret_key ? cfg->secret_key : "");
	if (cfg->session_token && cfg->session_token[0])
		st->token_hdr = join3("x-amz-security-token: ", cfg->session_token, "");
	if (!st->cfg.bucket || !st->cfg.region || !st->endpoint || !st->sigv4 || !st->userpwd ||
	    (cfg->session_token && cfg->session_token[0] && !st->token_hdr)) {
		s3_free(&st->base);
		return NULL;
	}
	/* The credentials live in userpwd; cfg keeps no copy. */
	st->cfg.access_key = st->cfg.secret_key = st->cfg.session_token = NULL;
	return &st->base;
}
