/* SPDX-License-Identifier: MIT */
/* Structured logging: builds each logfmt/JSON line in memory and writes it with one write(2). */
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

static atomic_int log_level = RELAYD_LOG_INFO;
static atomic_int log_format = LOG_FORMAT_LOGFMT;

/* The sink and clock hooks are set before threads start; the mutex keeps
 * test sinks from seeing two lines at once. */
static pthread_mutex_t sink_lock = PTHREAD_MUTEX_INITIALIZER;
static log_sink_fn sink_fn;
static void *sink_arg;
static log_clock_fn clock_fn;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

const char *log_level_name(enum relayd_log_level level)
{
	if ((int)level < 0 || (size_t)level >= sizeof level_names / sizeof level_names[0])
		return "debug";
	return level_names[level];
}

int log_level_parse(const char *name, enum relayd_log_level *level)
{
	for (size_t i = 0; name && i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*level = (enum relayd_log_level)i;
			return RELAYD_OK;
		}
	}
	return RELAYD_EINVAL;
}

int log_format_parse(const char *name, enum log_format *format)
{
	if (name && strcmp(name, "logfmt") == 0) {
		*format = LOG_FORMAT_LOGFMT;
		return RELAYD_OK;
	}
	if (name && strcmp(name, "json") == 0) {
		*format = LOG_FORMAT_JSON;
		return RELAYD_OK;
	}
	return RELAYD_EINVAL;
}

int log_init(enum log_format format, enum relayd_log_level level)
{
	if ((format != LOG_FORMAT_LOGFMT && format != LOG_FORMAT_JSON) ||
	    (int)level < RELAYD_LOG_ERROR || (int)level > RELAYD_LOG_DEBUG)
		return RELAYD_EINVAL;
	atomic_store(&log_format, (int)format);
	atomic_store(&log_level, (int)level);
	return RELAYD_OK;
}

bool log_enabled(enum relayd_log_level level)
{
	return (int)level <= atomic_load_explicit(&log_level, memory_order_relaxed);
}

const char *log_redact(const char *value)
{
	(void)value;
	return "(secret)";
}

void log_set_sink(log_sink_fn fn, void *arg)
{
	pthread_mutex_lock(&sink_lock);
	sink_fn = fn;
	sink_arg = arg;
	pthread_mutex_unlock(&sink_lock);
}

void log_set_clock(log_clock_fn fn)
{
	clock_fn = fn;
}

/* ---- the line buffer --------------------------------------------------- */

/* Starts on the stack; moves to the heap only for long lines. */
struct line {
	char *s;
	size_t len;
	size_t cap;
	bool heap;
	bool failed;
	char stack[1024];
};

static void line_init(struct line *l)
{
	l->s = l->stack;
	l->len = 0;
	l->cap = sizeof l->stack;
	l->heap = false;
	l->failed = false;
	l->s[0] = '\0';
}

static void line_free(struct line *l)
{
	if (l->heap)
		free(l->s);
}

static bool line_reserve(struct line *l, size_t extra)
{
	if (l->failed)
		return false;
	if (l->len + extra + 1 <= l->cap)
		return true;
	size_t cap = l->cap * 2;
	while (cap < l->len + extra + 1)
		cap *= 2;
	char *s = l->heap ? realloc(l->s, cap) : malloc(cap);
	if (!s) {
		l->failed = true;
		return false;
	}
	if (!l->heap)
		memcpy(s, l->s, l->len + 1);
	l->s = s;
	l->cap = cap;
	l->heap = true;
	return true;
}

static void line_append(struct line *l, const char *s, size_t n)
{
	if (!line_reserve(l, n))
		return;
	memcpy(l->s + l->len, s, n);
	l->len += n;
	l->s[l->len] = '\0';
}

static void line_puts(struct line *l, const char *s)
{
	line_append(l, s, strlen(s));
}

static void line_printf(struct line *l, const char *fmt, ...) RELAYD_PRINTF(2, 3);
static void line_printf(struct line *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char tmp[64];
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		line_append(l, tmp, (size_t)n);
		return;
	}
	if (!line_reserve(l, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(l->s + l->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	l->len += (size_t)n;
}

/* ---- output ------------------------------------------------------------ */

static void write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* nowhere left to report a failing stderr */
		}
		s += n;
		len -= (size_t)n;
	}
}

static void line_emit(struct line *l)
{
	if (l->failed)
		return;
	pthread_mutex_lock(&sink_lock);
	log_sink_fn fn = sink_fn;
	void *arg = sink_arg;
	if (fn)
		fn(l->s, l->len, arg);
	pthread_mutex_unlock(&sink_lock);
	if (!fn)
		write_all(STDERR_FILENO, l->s, l->len);
}

static int64_t real_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ISO 8601 UTC with milliseconds: 2026-11-23T10:00:00.123Z */
static void format_ts(char out[80])
{
	int64_t ms = clock_fn ? clock_fn() : real_clock_ms();
	int64_t secs = ms / 1000;
	int64_t frac = ms % 1000;
	if (frac < 0) {
		frac += 1000;
		secs -= 1;
	}
	time_t t = (time_t)secs;
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(out, 80, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(out, 80, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)frac);
}

/* ---- logfmt ------------------------------------------------------------ */

static bool logfmt_needs_quotes(const char *v)
{
	if (*v == '\0')
		return true;
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p == 0x7f)
			return true;
	}
	return false;
}

static void logfmt_quoted(struct line *l, const char *v)
{
	line_puts(l, "\"");
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		switch (*p) {
		case '"': line_puts(l, "\\\""); break;
		case '\\': line_puts(l, "\\\\"); break;
		case '\n': line_puts(l, "\\n"); break;
		case '\r': line_puts(l, "\\r"); break;
		case '\t': line_puts(l, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				line_printf(l, "\\u%04x", *p);
			else
				line_append(l, (const char *)p, 1);
		}
	}
	line_puts(l, "\"");
}

static void logfmt_pair(struct line *l, const char *key, const char *value, bool force_quotes)
{
	if (l->len > 0)
		line_puts(l, " ");
	line_puts(l, key);
	line_puts(l, "=");
	if (force_quotes || logfmt_needs_quotes(value))
		logfmt_quoted(l, value);
	else
		line_puts(l, value);
}

static void logfmt_head(struct line *l, enum relayd_log_level level, const char *plugin,
                        const char *request_id, const char *msg)
{
	char ts[80];
	format_ts(ts);
	logfmt_pair(l, "ts", ts, false);
	logfmt_pair(l, "level", log_level_name(level), false);
	if (plugin)
		logfmt_pair(l, "plugin", plugin, false);
	if (request_id)
		logfmt_pair(l, "req", request_id, false);
	logfmt_pair(l, "msg", msg, true);
}

/* ---- json -------------------------------------------------------------- */

/* jansson refuses invalid UTF-8; a log line must still come out. */
static json_t *json_text(const char *s)
{
	json_t *j = json_string(s ? s : "");
	if (j)
		return j;
	char *copy = strdup(s);
	if (!copy)
		return json_string("");
	for (unsigned char *p = (unsigned char *)copy; *p; p++)
		if (*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *json_head(enum relayd_log_level level, const char *plugin,
                         const char *request_id, const char *msg)
{
	char ts[80];
	format_ts(ts);
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "ts", json_string(ts));
	json_object_set_new(o, "level", json_string(log_level_name(level)));
	if (plugin)
		json_object_set_new(o, "plugin", json_text(plugin));
	if (request_id)
		json_object_set_new(o, "req", json_text(request_id));
	json_object_set_new(o, "msg", json_text(msg));
	return o;
}

static void json_emit(json_t *o, size_t flags)
{
	if (!o)
		return;
	char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | flags);
	json_decref(o);
	if (!text)
		return;
	struct line l;
	line_init(&l);
	line_puts(&l, text);
	line_puts(&l, "\n");
	free(text);
	line_emit(&l);
	line_free(&l);
}

/* ---- public ------------------------------------------------------------ */

void log_write(enum relayd_log_level level, const char *plugin, const char *request_id,
               const char *fmt, va_list ap)
{
	if (!log_enabled(level))
		return;
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		return;
	if (atomic_load(&log_format) == LOG_FORMAT_JSON) {
		json_emit(json_head(level, plugin, request_id, msg), 0);
	} else {
		struct line l;
		line_init(&l);
		logfmt_head(&l, level, plugin, request_id, msg);
		line_puts(&l, "\n");
		line_emit(&l);
		line_free(&l);
	}
	free(msg);
}

void log_emit(enum relayd_log_level level, const char *plugin, const char *request_id,
              const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_write(level, plugin, request_id, fmt, ap);
	va_end(ap);
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

void log_access(const char *request_id, const char *method, const char *path,
                const char *plugin, int status, double latency_ms, unsigned upstream_calls,
                uint64_t bytes)
{
	if (!log_enabled(RELAYD_LOG_INFO))
		return;
	/* Rounded once so both formats print the same three decimals. */
	double latency = (double)(int64_t)(latency_ms * 1000.0 + 0.5) / 1000.0;
	if (atomic_load(&log_format) == LOG_FORMAT_JSON) {
		json_t *o = json_head(RELAYD_LOG_INFO, or_dash(plugin), request_id, "access");
		if (!o)
			return;
		json_object_set_new(o, "method", json_text(or_dash(method)));
		json_object_set_new(o, "path", json_text(or_dash(path)));
		json_object_set_new(o, "status", json_integer(status));
		json_object_set_new(o, "latency_ms", json_real(latency));
		json_object_set_new(o, "upstream_calls", json_integer(upstream_calls));
		json_object_set_new(o, "bytes", json_integer((json_int_t)bytes));
		/* 15 significant digits print 12.345 as 12.345, not 12.345000000000001 */
		json_emit(o, JSON_REAL_PRECISION(15));
		return;
	}
	struct line l;
	line_init(&l);
	logfmt_head(&l, RELAYD_LOG_INFO, or_dash(plugin), request_id, "access");
	logfmt_pair(&l, "method", or_dash(method), false);
	logfmt_pair(&l, "path", or_dash(path), false);
	line_printf(&l, " status=%d latency_ms=%.3f upstream_calls=%u bytes=%llu", status, latency,
	            upstream_calls, (unsigned long long)bytes);
	line_puts(&l, "\n");
	line_emit(&l);
	line_free(&l);
}
