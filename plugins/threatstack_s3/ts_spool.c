/* SPDX-License-Identifier: MIT */
/* The durable on-disk spool of accepted alerts: one fsync'd file per alert, its in-memory queue and the retry backoff. */
#include "ts_spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <relayd/status.h>

#include "ts_fs.h"
#include "ts_webhook.h"

/* snprintf into a path buffer; false when it did not fit. */
#define PATH_FITS(buf, ...) (snprintf((buf), sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

/* ---- records ----------------------------------------------------------- */

char *ts_spool_record_build(const char *id, int64_t created_at_ms, int64_t spooled_at_ms,
                            const json_t *alert)
{
	json_t *rec = json_pack("{s:s,s:I,s:I,s:O}", "id", id, "created_at", (json_int_t)created_at_ms,
	                        "spooled_at", (json_int_t)spooled_at_ms, "alert", alert);
	if (!rec)
		return NULL;
	char *out = ts_json_dump(rec);
	json_decref(rec);
	return out;
}

int ts_spool_record_parse(const char *data, size_t len, struct ts_spool_record *rec)
{
	json_t *root = json_loadb(data, len, 0, NULL);
	const char *id = NULL;
	json_int_t created = 0, spooled = 0;
	json_t *alert = NULL;

	memset(rec, 0, sizeof(*rec));
	if (!root)
		return RELAYD_EINVAL;
	if (json_unpack(root, "{s:s,s:I,s:I,s:o}", "id", &id, "created_at", &created, "spooled_at",
	                &spooled, "alert", &alert) != 0 ||
	    !ts_id_valid(id) || created < 1 || created > TS_CREATED_AT_MAX_MS) {
		json_decref(root);
		return RELAYD_EINVAL;
	}
	memcpy(rec->id, id, TS_ID_LEN + 1);
	rec->created_at_ms = created;
	rec->spooled_at_ms = spooled;
	rec->alert = json_incref(alert);
	json_decref(root);
	return RELAYD_OK;
}

/* ---- files -------------------------------------------------------------- */

int ts_spool_dir_prepare(const char *dir)
{
	char dead[PATH_MAX];
	if (!PATH_FITS(dead, "%s/dead", dir))
		return RELAYD_EIO;
	return (ts_mkdir_p(dir) == 0 && ts_mkdir_p(dead) == 0) ? RELAYD_OK : RELAYD_EIO;
}

static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

static int write_one(const char *dir, struct ts_spool_item *it)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	const char *p = it->data;
	size_t left = it->len;

	if (!PATH_FITS(path, "%s/%s.json", dir, it->id) ||
	    !PATH_FITS(tmp, "%s/.tmp-%s-XXXXXX", dir, it->id)) {
		it->err_no = ENAMETOOLONG;
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		it->err_no = errno;
		return -1;
	}
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return 0;
fail:
	it->err_no = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	errno = it->err_no;
	return -1;
}

size_t ts_spool_write_sync(const char *dir, struct ts_spool_item *items, size_t n)
{
	size_t written = 0;
	for (size_t i = 0; i < n; i++) {
		items[i].err_no = 0;
		if (!ts_id_valid(items[i].id) || write_one(dir, &items[i]) != 0) {
			items[i].rc = RELAYD_EIO;
			if (!items[i].err_no)
				items[i].err_no = EINVAL;
		} else {
			items[i].rc = RELAYD_OK;
			written++;
		}
	}
	/* The renames are durable only once the folder itself is synced. */
	if (written > 0 && fsync_dir(dir) != 0) {
		int e = errno;
		for (size_t i = 0; i < n; i++) {
			if (items[i].rc == RELAYD_OK) {
				items[i].rc = RELAYD_EIO;
				items[i].err_no = e;
			}
		}
		written = 0;
	}
	return written;
}

int ts_spool_read_sync(const char *dir, const char *id, char **data, size_t *len)
{
	char path[PATH_MAX];
	struct stat st;

	*data = NULL;
	*len = 0;
	if (!ts_id_valid(id))
		return RELAYD_ENOTFOUND;
	if (!PATH_FITS(path, "%s/%s.json", dir, id))
		return RELAYD_EIO;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? RELAYD_ENOTFOUND : RELAYD_EIO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)(64 << 20)) {
		close(fd);
		return RELAYD_EIO;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	if (!buf) {
		close(fd);
		return RELAYD_ENOMEM;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return RELAYD_OK;
}

int ts_spool_remove_sync(const char *dir, const char *id)
{
	char path[PATH_MAX];
	if (!ts_id_valid(id))
		return RELAYD_EIO;
	if (!PATH_FITS(path, "%s/%s.json", dir, id))
		return RELAYD_EIO;
	if (unlink(path) != 0 && errno != ENOENT)
		return RELAYD_EIO;
	/* Not synced: a removal lost in a crash only means one more (idempotent) delivery. */
	return RELAYD_OK;
}

int ts_spool_move_dead_sync(const char *dir, const char *id)
{
	char from[PATH_MAX], to[PATH_MAX], dead[PATH_MAX];
	if (!ts_id_valid(id))
		return RELAYD_EIO;
	if (!PATH_FITS(from, "%s/%s.json", dir, id) || !PATH_FITS(dead, "%s/dead", dir) ||
	    !PATH_FITS(to, "%s/%s.json", dead, id))
		return RELAYD_EIO;
	if (mkdir(dead, 0750) != 0 && errno != EEXIST)
		return RELAYD_EIO;
	if (rename(from, to) != 0)
		return errno == ENOENT ? RELAYD_OK : RELAYD_EIO;
	fsync_dir(dead);
	fsync_dir(dir);
	return RELAYD_OK;
}

/* ---- queue -------------------------------------------------------------- */

struct ts_spool {
	pthread_mutex_t mu;
	char *dir;
	uint64_t max_bytes;
	int64_t max_age_ms;
	struct ts_spool_entry *q; /* oldest first */
	size_t n, cap;
	uint64_t bytes;
	uint64_t reserved;
};

struct ts_spool *ts_spool_new(const char *dir, uint64_t max_bytes, int64_t max_age_s)
{
	struct ts_spool *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return NULL;
	sp->dir = strdup(dir);
	if (!sp->dir) {
		free(sp);
		return NULL;
	}
	pthread_mutex_init(&sp->mu, NULL);
	sp->max_bytes = max_bytes;
	sp->max_age_ms = max_age_s > 0 ? max_age_s * 1000 : 0;
	return sp;
}

void ts_spool_free(struct ts_spool *sp)
{
	if (!sp)
		return;
	pthread_mutex_destroy(&sp->mu);
	free(sp->q);
	free(sp->dir);
	free(sp);
}

const char *ts_spool_dir(const struct ts_spool *sp)
{
	return sp->dir;
}

int64_t ts_spool_max_age_ms(const struct ts_spool *sp)
{
	return sp->max_age_ms;
}

static ssize_t find_locked(struct ts_spool *sp, const char *id)
{
	for (size_t i = 0; i < sp->n; i++)
		if (strcmp(sp->q[i].id, id) == 0)
			return (ssize_t)i;
	return -1;
}

static int add_locked(struct ts_spool *sp, const char *id, uint64_t bytes, int64_t at)
{
	ssize_t i = find_locked(sp, id);
	if (i >= 0) {
		/* A re-posted alert keeps its place; only its size changes. */
		sp->bytes = sp->bytes - sp->q[i].bytes + bytes;
		sp->q[i].bytes = bytes;
		return RELAYD_OK;
	}
	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 64;
		struct ts_spool_entry *q = realloc(sp->q, cap * sizeof(*q));
		if (!q)
			return RELAYD_ENOMEM;
		sp->q = q;
		sp->cap = cap;
	}
	struct ts_spool_entry *e = &sp->q[sp->n++];
	memcpy(e->id, id, TS_ID_LEN + 1);
	e->bytes = bytes;
	e->spooled_at_ms = at;
	sp->bytes += bytes;
	return RELAYD_OK;
}

int ts_spool_add(struct ts_spool *sp, const char *id, uint64_t bytes, int64_t spooled_at_ms)
{
	if (!ts_id_valid(id))
		return RELAYD_EINVAL;
	pthread_mutex_lock(&sp->mu);
	int rc = add_locked(sp, id, bytes, spooled_at_ms);
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct ts_spool_entry *x = a, *y = b;
	if (x->spooled_at_ms != y->spooled_at_ms)
		return x->spooled_at_ms < y->spooled_at_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* "<24 hex>.json" → id. */
static bool spool_name(const char *name, char id[TS_ID_LEN + 1])
{
	if (strlen(name) != TS_ID_LEN + 5 || strcmp(name + TS_ID_LEN, ".json") != 0)
		return false;
	memcpy(id, name, TS_ID_LEN);
	id[TS_ID_LEN] = '\0';
	return ts_id_valid(id);
}

int ts_spool_open(struct ts_spool *sp)
{
	char id[TS_ID_LEN + 1];
	struct stat st;

	if (ts_spool_dir_prepare(sp->dir) != RELAYD_OK)
		return RELAYD_EIO;
	DIR *d = opendir(sp->dir);
	if (!d)
		return RELAYD_EIO;
	int rc = RELAYD_OK;
	struct dirent *e;
	pthread_mutex_lock(&sp->mu);
	while (rc == RELAYD_OK && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, ".tmp-", 5) == 0) {
			/* Left by a crash before its rename: never acknowledged, so never owed. */
			unlinkat(dirfd(d), e->d_name, 0);
			continue;
		}
		if (!spool_name(e->d_name, id))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		int64_t mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
		rc = add_locked(sp, id, (uint64_t)st.st_size, mtime_ms);
	}
	if (sp->n)
		qsort(sp->q, sp->n, sizeof(*sp->q), cmp_entry);
	pthread_mutex_unlock(&sp->mu);
	closedir(d);
	return rc;
}

int ts_spool_reserve(struct ts_spool *sp, uint64_t bytes)
{
	int rc = RELAYD_OK;
	pthread_mutex_lock(&sp->mu);
	if (sp->bytes + sp->reserved + bytes > sp->max_bytes)
		rc = RELAYD_EBUSY;
	else
		sp->reserved += bytes;
	pthread_mutex_unlock(&sp->mu);
	return rc;
}

void ts_spool_release(struct ts_spool *sp, uint64_t bytes)
{
	pthread_mutex_lock(&sp->mu);
	sp->reserved = sp->reserved >= bytes ? sp->reserved - bytes : 0;
	pthread_mutex_unlock(&sp->mu);
}

bool ts_spool_peek(struct ts_spool *sp, struct ts_spool_entry *out)
{
	pthread_mutex_lock(&sp->mu);
	bool found = sp->n > 0;
	if (found)
		*out = sp->q[0];
	pthread_mutex_unlock(&sp->mu);
	return found;
}

void ts_spool_forget(struct ts_spool *sp, const char *id)
{
	pthread_mutex_lock(&sp->mu);
	ssize_t i = find_locked(sp, id);
	if (i >= 0) {
		sp->bytes -= sp->q[i].bytes;
		memmove(&sp->q[i], &sp->q[i + 1], (sp->n - (size_t)i - 1) * sizeof(*sp->q));
		sp->n--;
	}
	pthread_mutex_unlock(&sp->mu);
}

void ts_spool_stats(struct ts_spool *sp, int64_t now_ms, struct ts_spool_stats *out)
{
	pthread_mutex_lock(&sp->mu);
	out->depth = sp->n;
	out->bytes = sp->bytes;
	int64_t oldest = now_ms;
	for (size_t i = 0; i < sp->n; i++)
		if (sp->q[i].spooled_at_ms < oldest)
			oldest = sp->q[i].spooled_at_ms;
	out->oldest_s = sp->n ? (now_ms - oldest) / 1000 : 0;
	if (out->oldest_s < 0)
		out->oldest_s = 0;
	pthread_mutex_unlock(&sp->mu);
}

uint64_t ts_backoff_ms(uint64_t min_ms, uint64_t max_ms, unsigned attempt, double jitter01)
{
	if (min_ms == 0)
		min_ms = 1;
	if (max_ms < min_ms)
		max_ms = min_ms;
	uint64_t base = min_ms;
	for (unsigned i = 0; i < attempt && base < max_ms; i++)
		base = base > max_ms / 2 ? max_ms : base * 2;
	if (base > max_ms)
		base = max_ms;
	if (jitter01 < 0)
		jitter01 = 0;
	if (jitter01 > 1)
		jitter01 = 1;
	double d = (double)base * (0.8 + 0.4 * jitter01);
	uint64_t out = (uint64_t)d;
	if (out > max_ms)
		out = max_ms;
	return out ? out : 1;
}
