/* SPDX-License-Identifier: MIT */
/* The dir backend: the archive's keys as files under a folder, written atomically through host->offload. */
#include "ts_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <relayd/status.h>

#define LIST_MAX_DEPTH 16

void ts_store_client_error(char *out, size_t out_size, const char *code, const char *operation,
                           const char *message)
{
	snprintf(out, out_size, "An error occurred (%s) when calling the %s operation: %s", code,
	         operation, message);
}

bool ts_dir_key_valid(const char *key)
{
	if (!key || !key[0] || strlen(key) >= PATH_MAX / 2)
		return false;
	const char *seg = key;
	for (const char *p = key;; p++) {
		if (*p == '/' || *p == '\0') {
			if (p == seg || seg[0] == '.')
				return false;
			if (*p == '\0')
				return true;
			seg = p + 1;
		}
	}
}

static int make_parents(const char *path)
{
	char buf[PATH_MAX];
	size_t n = strlen(path);
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i < n; i++) {
		if (buf[i] != '/')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0750) != 0 && errno != EEXIST)
			return -1;
		buf[i] = '/';
	}
	return 0;
}

static int fsync_dir_of(const char *path)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	char *slash = strrchr(buf, '/');
	if (!slash)
		return 0;
	*slash = '\0';
	int fd = open(buf[0] ? buf : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_all(int fd, const void *body, size_t len)
{
	const char *p = body;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int ts_dir_put_sync(const char *root, const char *key, const void *body, size_t len, int *err_no)
{
	char path[PATH_MAX], tmp[PATH_MAX];

	*err_no = 0;
	if (!ts_dir_key_valid(key))
		return RELAYD_EINVAL;
	int n = snprintf(path, sizeof(path), "%s/%s", root, key);
	if (n < 0 || (size_t)n >= sizeof(path))
		return RELAYD_EINVAL;
	if (make_parents(path) != 0) {
		*err_no = errno;
		return RELAYD_EIO;
	}
	/* The temp file lives beside the target so rename() is atomic; its name
	 * starts with '.' so listings never show it. */
	char *slash = strrchr(path, '/');
	if (snprintf(tmp, sizeof(tmp), "%.*s/.tmp-XXXXXX", (int)(slash - path), path) >=
	    (int)sizeof(tmp))
		return RELAYD_EINVAL;
	int fd = mkstemp(tmp);
	if (fd < 0) {
		*err_no = errno;
		return RELAYD_EIO;
	}
	if (write_all(fd, body, len) != 0 || fchmod(fd, 0640) != 0 || fsync(fd) != 0) {
		*err_no = errno;
		close(fd);
		unlink(tmp);
		return RELAYD_EIO;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		*err_no = errno;
		unlink(tmp);
		return RELAYD_EIO;
	}
	if (fsync_dir_of(path) != 0) {
		*err_no = errno;
		return RELAYD_EIO;
	}
	return RELAYD_OK;
}

int ts_dir_get_sync(const char *root, const char *key, char **body, size_t *len)
{
	char path[PATH_MAX];
	struct stat st;

	*body = NULL;
	*len = 0;
	if (!ts_dir_key_valid(key))
		return RELAYD_EINVAL;
	int n = snprintf(path, sizeof(path), "%s/%s", root, key);
	if (n < 0 || (size_t)n >= sizeof(path))
		return RELAYD_EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) ? RELAYD_ENOTFOUND
		                                                               : RELAYD_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return RELAYD_ENOTFOUND;
	}
	size_t cap = (size_t)st.st_size + 1;
	char *buf = malloc(cap);
	size_t got = 0;
	if (!buf) {
		close(fd);
		return RELAYD_ENOMEM;
	}
	for (;;) {
		if (got + 1 >= cap) {
			char *p = realloc(buf, cap * 2);
			if (!p) {
				free(buf);
				close(fd);
				return RELAYD_ENOMEM;
			}
			buf = p;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + got, cap - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			close(fd);
			return RELAYD_EIO;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*body = buf;
	*len = got;
	return RELAYD_OK;
}

void ts_keys_free(char **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

struct key_vec {
	char **items;
	size_t n, cap;
};

static int vec_push(struct key_vec *v, const char *s)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		char **p = realloc(v->items, cap * sizeof(*p));
		if (!p)
			return RELAYD_ENOMEM;
		v->items = p;
		v->cap = cap;
	}
	v->items[v->n] = strdup(s);
	if (!v->items[v->n])
		return RELAYD_ENOMEM;
	v->n++;
	return RELAYD_OK;
}

/* Walks root/rel (rel "" is root itself), adding files whose key starts with prefix. */
static int walk(const char *root, const char *rel, const char *prefix, int depth,
                struct key_vec *out)
{
	char path[PATH_MAX], child[PATH_MAX];
	struct stat st;
	int rc = RELAYD_OK;

	if (depth > LIST_MAX_DEPTH)
		return RELAYD_OK;
	if (snprintf(path, sizeof(path), "%s%s%s", root, rel[0] ? "/" : "", rel) >= (int)sizeof(path))
		return RELAYD_OK;
	DIR *d = opendir(path);
	if (!d)
		return (errno == ENOENT || errno == ENOTDIR) ? RELAYD_OK : RELAYD_EIO;
	struct dirent *e;
	while (rc == RELAYD_OK && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		int n = snprintf(child, sizeof(child), "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
		if (n < 0 || (size_t)n >= sizeof(child))
			continue;
		/* Descend only where the prefix can still match. */
		size_t cl = strlen(child), pl = strlen(prefix);
		if (strncmp(child, prefix, cl < pl ? cl : pl) != 0)
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = walk(root, child, prefix, depth + 1, out);
		else if (S_ISREG(st.st_mode) && cl >= pl)
			rc = vec_push(out, child);
	}
	closedir(d);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ts_dir_list_sync(const char *root, const char *prefix, char ***keys, size_t *n)
{
	struct key_vec v = {0};
	char start[PATH_MAX];

	*keys = NULL;
	*n = 0;
	if (!prefix || strstr(prefix, "..") || prefix[0] == '/')
		return RELAYD_EINVAL;
	/* Start at the deepest folder the prefix names completely. */
	const char *slash = strrchr(prefix, '/');
	size_t sl = slash ? (size_t)(slash - prefix) : 0;
	if (sl >= sizeof(start))
		return RELAYD_EINVAL;
	memcpy(start, prefix, sl);
	start[sl] = '\0';
	int rc = walk(root, start, prefix, 0, &v);
	if (rc != RELAYD_OK) {
		ts_keys_free(v.items, v.n);
		return rc;
	}
	if (v.n)
		qsort(v.items, v.n, sizeof(*v.items), cmp_str);
	*keys = v.items;
	*n = v.n;
	return RELAYD_OK;
}

/* ---- the async backend ------------------------------------------------- */

struct dir_store {
	struct ts_store base; /* first: the interface casts back */
	char *root;
};

enum dir_op { OP_PUT, OP_GET, OP_LIST, OP_PROBE };

struct dir_job {
	struct dir_store *st;
	enum dir_op op;
	char *key;
	char *body;
	size_t len;
	int rc;
	int err_no;
	char **keys;
	size_t n_keys;
	ts_store_done_fn done;
	void *arg;
};

static void dir_work(void *arg)
{
	struct dir_job *job = arg;
	struct stat st;

	switch (job->op) {
	case OP_PUT:
		job->rc = ts_dir_put_sync(job->st->root, job->key, job->body, job->len, &job->err_no);
		break;
	case OP_GET:
		free(job->body);
		job->body = NULL;
		job->rc = ts_dir_get_sync(job->st->root, job->key, &job->body, &job->len);
		break;
	case OP_LIST:
		job->rc = ts_dir_list_sync(job->st->root, job->key, &job->keys, &job->n_keys);
		break;
	case OP_PROBE:
		job->rc = (stat(job->st->root, &st) == 0 && S_ISDIR(st.st_mode) &&
		           access(job->st->root, W_OK | X_OK) == 0)
		              ? RELAYD_OK
		              : RELAYD_EIO;
		job->err_no = errno;
		break;
	}
}

static void dir_done(struct relayd_call *call, void *arg)
{
	struct dir_job *job = arg;
	struct ts_store_result res = {.outcome = TS_STORE_OK};
	char msg[512];

	if (job->rc == RELAYD_OK) {
		res.body = job->body;
		res.body_len = job->len;
		res.keys = job->keys;
		res.n_keys = job->n_keys;
	} else if (job->rc == RELAYD_ENOTFOUND) {
		res.outcome = TS_STORE_NOT_FOUND;
		res.message = TS_STORE_NOSUCHKEY_GET;
	} else if (job->rc == RELAYD_EINVAL) {
		res.outcome = TS_STORE_FAIL;
		snprintf(msg, sizeof(msg), "Invalid key: %s", job->key ? job->key : "");
		res.message = msg;
	} else {
		/* Disk full or a transient I/O error: worth retrying. */
		res.outcome = job->op == OP_PROBE ? TS_STORE_FAIL : TS_STORE_RETRY;
		snprintf(msg, sizeof(msg), "Unable to access %s/%s: %s", job->st->root,
		         job->key ? job->key : "", strerror(job->err_no ? job->err_no : EIO));
		res.message = msg;
	}
	job->done(call, &res, job->arg);
	ts_keys_free(job->keys, job->n_keys);
	free(job->key);
	free(job->body);
	free(job);
}

static void dir_submit(struct dir_store *st, struct relayd_call *call, enum dir_op op,
                       const char *key, const void *body, size_t len, ts_store_done_fn done,
                       void *arg)
{
	struct dir_job *job = calloc(1, sizeof(*job));
	if (job) {
		job->key = strdup(key ? key : "");
		if (body) {
			job->body = malloc(len + 1);
			if (job->body)
				memcpy(job->body, body, len);
		}
	}
	if (!job || !job->key || (body && !job->body)) {
		struct ts_store_result res = {.outcome = TS_STORE_RETRY, .message = "Out of memory"};
		if (job) {
			free(job->key);
			free(job->body);
			free(job);
		}
		done(call, &res, arg);
		return;
	}
	job->st = st;
	job->op = op;
	job->len = len;
	job->done = done;
	job->arg = arg;
	st->base.host->offload(call, dir_work, dir_done, job);
}

static void dir_put(struct ts_store *s, struct relayd_call *call, const char *key,
                    const void *body, size_t len, ts_store_done_fn done, void *arg)
{
	dir_submit((struct dir_store *)s, call, OP_PUT, key, body ? body : "", len, done, arg);
}

static void dir_get(struct ts_store *s, struct relayd_call *call, const char *key,
                    ts_store_done_fn done, void *arg)
{
	dir_submit((struct dir_store *)s, call, OP_GET, key, NULL, 0, done, arg);
}

static void dir_list(struct ts_store *s, struct relayd_call *call, const char *prefix,
                     ts_store_done_fn done, void *arg)
{
	dir_submit((struct dir_store *)s, call, OP_LIST, prefix, NULL, 0, done, arg);
}

static void dir_probe(struct ts_store *s, struct relayd_call *call, const char *prefix,
                      ts_store_done_fn done, void *arg)
{
	(void)prefix;
	dir_submit((struct dir_store *)s, call, OP_PROBE, "", NULL, 0, done, arg);
}

static void dir_free(struct ts_store *s)
{
	struct dir_store *st = (struct dir_store *)s;
	if (!st)
		return;
	free(st->root);
	free(st);
}

static const struct ts_store_ops dir_ops = {
    .name = "dir",
    .put = dir_put,
    .get = dir_get,
    .list = dir_list,
    .probe = dir_probe,
    .free = dir_free,
};

struct ts_store *ts_store_dir_new(const struct relayd_host *host, const char *root)
{
	struct dir_store *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->root = strdup(root);
	if (!st->root) {
		free(st);
		return NULL;
	}
	size_t n = strlen(st->root);
	while (n > 1 && st->root[n - 1] == '/')
		st->root[--n] = '\0';
	st->base.ops = &dir_ops;
	st->base.host = host;
	return &st->base;
}
