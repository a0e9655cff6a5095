/* SPDX-License-Identifier: MIT */
/* The archive's storage interface (put / get / list / probe), implemented by the dir and s3 backends. */
#ifndef TS_STORE_H
#define TS_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <relayd/host.h>

enum ts_store_outcome {
	TS_STORE_OK = 0,
	TS_STORE_NOT_FOUND, /**< NoSuchKey */
	TS_STORE_RETRY,     /**< transient: connection error, timeout, 5xx, throttling, disk full */
	TS_STORE_FAIL,      /**< permanent: AccessDenied, NoSuchBucket, bad key, … */
};

/** A result, valid only inside the done callback. */
struct ts_store_result {
	enum ts_store_outcome outcome;
	/** For failures: the reference's S3ClientError text, e.g. "An error occurred
	 *  (NoSuchKey) when calling the GetObject operation: The specified key does
	 *  not exist." or "Failure to communicate with S3". */
	const char *message;
	const char *body;          /**< get: the object's bytes */
	size_t body_len;
	char *const *keys;         /**< list: every key under the prefix, sorted */
	size_t n_keys;
};

typedef void (*ts_store_done_fn)(struct relayd_call *call, const struct ts_store_result *res,
                                 void *arg);

struct ts_store;

/** A backend. Every operation runs asynchronously on @p call's loop and calls
 *  done exactly once. Strings are copied before the operation returns. */
struct ts_store_ops {
	const char *name; /**< "dir" or "s3" */
	void (*put)(struct ts_store *store, struct relayd_call *call, const char *key,
	            const void *body, size_t len, ts_store_done_fn done, void *arg);
	void (*get)(struct ts_store *store, struct relayd_call *call, const char *key,
	            ts_store_done_fn done, void *arg);
	/** All keys under @p prefix, every page followed, sorted by strcmp. */
	void (*list)(struct ts_store *store, struct relayd_call *call, const char *prefix,
	             ts_store_done_fn done, void *arg);
	/** Reachability for GET /status (the reference lists the bucket). */
	void (*probe)(struct ts_store *store, struct relayd_call *call, const char *prefix,
	              ts_store_done_fn done, void *arg);
	void (*free)(struct ts_store *store);
};

struct ts_store {
	const struct ts_store_ops *ops;
	const struct relayd_host *host;
};

/** The reference's text for a ClientError: "An error occurred (<code>) when
 *  calling the <operation> operation: <message>". Writes into @p out. */
void ts_store_client_error(char *out, size_t out_size, const char *code, const char *operation,
                           const char *message);

/** The text answered for a missing object (NoSuchKey on GetObject). */
#define TS_STORE_NOSUCHKEY_GET \
	"An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist."
#define TS_STORE_UNREACHABLE "Failure to communicate with S3"

/* ---- dir backend -------------------------------------------------------- */

/** A store rooted at @p root (an absolute path; created at open). NULL on ENOMEM. */
struct ts_store *ts_store_dir_new(const struct relayd_host *host, const char *root);

/* The blocking halves, run on host->offload; exposed for unit tests.
 * Keys must be relative, '/'-separated, without empty, "." or ".." segments
 * and without segments starting with '.' (the temp files'). */

/** Writes root/key atomically: temp file, fsync, rename, fsync of the folder.
 *  Creates folders. Returns 0, RELAYD_EINVAL (bad key) or RELAYD_EIO (*err_no set). */
int ts_dir_put_sync(const char *root, const char *key, const void *body, size_t len, int *err_no);

/** Reads root/key into a malloc'd buffer (NUL-terminated). Returns 0,
 *  RELAYD_ENOTFOUND, RELAYD_EINVAL or RELAYD_EIO. */
int ts_dir_get_sync(const char *root, const char *key, char **body, size_t *len);

/** Every regular file key under prefix (which may end in '/' or part-way
 *  through a segment), sorted. Returns 0 (a missing folder is an empty list),
 *  RELAYD_EINVAL, RELAYD_EIO or RELAYD_ENOMEM. Free with ts_keys_free. */
int ts_dir_list_sync(const char *root, const char *prefix, char ***keys, size_t *n);

void ts_keys_free(char **keys, size_t n);

/** True for a key the dir backend accepts. */
bool ts_dir_key_valid(const char *key);

/* ---- s3 backend --------------------------------------------------------- */

struct ts_s3_config {
	const char *bucket;
	const char *region;        /**< "us-east-1" */
	const char *endpoint;      /**< NULL: https://s3.<region>.amazonaws.com */
	bool path_style;
	const char *access_key;
	const char *secret_key;
	const char *session_token; /**< NULL unless temporary credentials */
};

/** Copies @p cfg. NULL on ENOMEM or a missing bucket/region. */
struct ts_store *ts_store_s3_new(const struct relayd_host *host, const struct ts_s3_config *cfg);

/** The URL of an object: path-style "<endpoint>/<bucket>/<enc key>" or
 *  virtual-host "<scheme>://<bucket>.<endpoint host>/<enc key>". malloc'd. */
char *ts_s3_object_url(const struct ts_s3_config *cfg, const char *key);

/** The URL of one ListObjectsV2 page, its query already canonical
 *  (continuation-token, list-type=2, prefix). token may be NULL. malloc'd. */
char *ts_s3_list_url(const struct ts_s3_config *cfg, const char *prefix, const char *token);

#endif
