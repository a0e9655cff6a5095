/* SPDX-License-Identifier: MIT */
/* Process-wide metrics: lock-free series lookup, atomic values, sorted Prometheus text. */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>
#include <relayd/strbuf.h>

#define TABLE_SIZE 1024u /* hash chains; series count itself is unbounded */

enum kind { KIND_COUNTER, KIND_GAUGE, KIND_HISTOGRAM };

static const double bucket_bounds[METRICS_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                      0.5,   1,    2.5,   5,    10};
static const char *const bucket_labels[METRICS_BUCKETS + 1] = {
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"};

struct series {
	struct series *next;      /* hash chain; immutable once published */
	struct series *all_next;  /* registry list, under the mutex */
	uint32_t hash;
	enum kind kind;
	char *name;
	char *labels;             /* "" when none */
	_Atomic uint64_t value;   /* double bits: counter or gauge, or histogram sum */
	_Atomic uint64_t buckets[METRICS_BUCKETS + 1]; /* per bucket, not cumulative */
};

static _Atomic(struct series *) table[TABLE_SIZE];
static struct series *all_series;
static size_t series_count;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t double_bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof u);
	return u;
}

static double bits_double(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

static void atomic_add_double(_Atomic uint64_t *p, double delta)
{
	uint64_t old = atomic_load_explicit(p, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(p, &old, double_bits(bits_double(old) + delta),
	                                              memory_order_relaxed, memory_order_relaxed)) {
	}
}

static uint32_t series_hash(const char *name, const char *labels)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	h = (h ^ '{') * 16777619u;
	for (const unsigned char *p = (const unsigned char *)labels; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static bool valid_name(const char *name)
{
	if (!name || !*name)
		return false;
	for (const char *p = name; *p; p++) {
		bool alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
		             *p == ':';
		if (!alpha && !(p != name && *p >= '0' && *p <= '9'))
			return false;
	}
	return true;
}

static struct series *chain_find(struct series *s, uint32_t hash, const char *name,
                                 const char *labels)
{
	for (; s; s = s->next)
		if (s->hash == hash && strcmp(s->name, name) == 0 && strcmp(s->labels, labels) == 0)
			return s;
	return NULL;
}

/* The type a name already has, or -1; registry lock held. */
static int name_kind(const char *name)
{
	for (struct series *s = all_series; s; s = s->all_next)
		if (strcmp(s->name, name) == 0)
			return (int)s->kind;
	return -1;
}

static struct series *series_create(uint32_t hash, const char *name, const char *labels,
                                    enum kind kind, int *rc)
{
	_Atomic(struct series *) *head = &table[hash % TABLE_SIZE];
	pthread_mutex_lock(&registry_lock);
	/* Another thread may have created it since the lock-free lookup. */
	struct series *s = chain_find(atomic_load_explicit(head, memory_order_acquire), hash, name,
	                              labels);
	if (s) {
		pthread_mutex_unlock(&registry_lock);
		return s;
	}
	int existing = name_kind(name);
	if (existing >= 0 && existing != (int)kind) {
		pthread_mutex_unlock(&registry_lock);
		*rc = RELAYD_EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof *s);
	if (!s || !(s->name = strdup(name)) || !(s->labels = strdup(labels))) {
		if (s)
			free(s->name);
		free(s);
		pthread_mutex_unlock(&registry_lock);
		*rc = RELAYD_ENOMEM;
		return NULL;
	}
	s->hash = hash;
	s->kind = kind;
	s->next = atomic_load_explicit(head, memory_order_relaxed);
	s->all_next = all_series;
	all_series = s;
	series_count++;
	/* Release: readers that see the new head see a fully built series. */
	atomic_store_explicit(head, s, memory_order_release);
	pthread_mutex_unlock(&registry_lock);
	return s;
}

static struct series *series_get(const char *name, const char *labels, enum kind kind, int *rc)
{
	*rc = RELAYD_OK;
	if (!valid_name(name)) {
		*rc = RELAYD_EINVAL;
		return NULL;
	}
	if (!labels)
		labels = "";
	uint32_t hash = series_hash(name, labels);
	struct series *s = chain_find(
	    atomic_load_explicit(&table[hash % TABLE_SIZE], memory_order_acquire), hash, name, labels);
	if (!s)
		s = series_create(hash, name, labels, kind, rc);
	if (s && s->kind != kind) {
		*rc = RELAYD_EINVAL;
		return NULL;
	}
	return s;
}

int metrics_counter_add(const char *name, const char *labels, double delta)
{
	if (!(delta >= 0))
		return RELAYD_EINVAL; /* counters only go up; also rejects NaN */
	int rc;
	struct series *s = series_get(name, labels, KIND_COUNTER, &rc);
	if (s)
		atomic_add_double(&s->value, delta);
	return rc;
}

int metrics_gauge_set(const char *name, const char *labels, double value)
{
	int rc;
	struct series *s = series_get(name, labels, KIND_GAUGE, &rc);
	if (s)
		atomic_store_explicit(&s->value, double_bits(value), memory_order_relaxed);
	return rc;
}

int metrics_observe(const char *name, const char *labels, double value)
{
	if (isnan(value))
		return RELAYD_EINVAL;
	int rc;
	struct series *s = series_get(name, labels, KIND_HISTOGRAM, &rc);
	if (!s)
		return rc;
	size_t b = 0;
	while (b < METRICS_BUCKETS && value > bucket_bounds[b])
		b++;
	atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
	atomic_add_double(&s->value, value);
	return RELAYD_OK;
}

char *metrics_label_escape(const char *value)
{
	if (!value)
		value = "";
	size_t n = 0;
	for (const char *p = value; *p; p++)
		n += (*p == '\\' || *p == '"' || *p == '\n') ? 2 : 1;
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	char *o = out;
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '"') {
			*o++ = '\\';
			*o++ = *p;
		} else if (*p == '\n') {
			*o++ = '\\';
			*o++ = 'n';
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

/* plugin="<escaped plugin or ->",status="<escaped status>" into a malloc'd string. */
static char *plugin_status_labels(const char *plugin, const char *status)
{
	char *p = metrics_label_escape(plugin && *plugin ? plugin : "-");
	char *s = metrics_label_escape(status);
	char *labels = NULL;
	if (p && s && asprintf(&labels, "plugin=\"%s\",status=\"%s\"", p, s) < 0)
		labels = NULL;
	free(p);
	free(s);
	return labels;
}

void metrics_request(const char *plugin, const char *status, double seconds)
{
	char *labels = plugin_status_labels(plugin, status);
	if (!labels)
		return;
	metrics_counter_add("relayd_requests_total", labels, 1);
	metrics_observe("relayd_request_duration_seconds", labels, seconds);
	free(labels);
}

void metrics_upstream(const char *plugin, const char *status)
{
	char *labels = plugin_status_labels(plugin, status);
	if (!labels)
		return;
	metrics_counter_add("relayd_upstream_requests_total", labels, 1);
	free(labels);
}

/* ---- rendering --------------------------------------------------------- */

/* Shortest text that reads back as the same double; integers without ".0". */
static void format_number(double v, char out[40])
{
	if (isnan(v)) {
		snprintf(out, 40, "NaN");
	} else if (isinf(v)) {
		snprintf(out, 40, v > 0 ? "+Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 1e15) {
		snprintf(out, 40, "%.0f", v);
	} else {
		snprintf(out, 40, "%.15g", v);
		if (strtod(out, NULL) != v)
			snprintf(out, 40, "%.17g", v);
	}
}

static const char *kind_name(enum kind kind)
{
	switch (kind) {
	case KIND_COUNTER: return "counter";
	case KIND_GAUGE: return "gauge";
	default: return "histogram";
	}
}

static int series_cmp(const void *a, const void *b)
{
	const struct series *x = *(const struct series *const *)a;
	const struct series *y = *(const struct series *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : strcmp(x->labels, y->labels);
}

/* name{labels} or name when there are none. */
static void render_series_name(struct relayd_strbuf *o, const char *name, const char *suffix,
                               const char *labels)
{
	if (*labels)
		relayd_strbuf_printf(o, "%s%s{%s}", name, suffix, labels);
	else
		relayd_strbuf_printf(o, "%s%s", name, suffix);
}

static void render_histogram(struct relayd_strbuf *o, struct series *s)
{
	uint64_t cumulative = 0;
	for (size_t b = 0; b <= METRICS_BUCKETS; b++) {
		cumulative += atomic_load_explicit(&s->buckets[b], memory_order_relaxed);
		relayd_strbuf_printf(o, "%s_bucket{%s%sle=\"%s\"} %llu\n", s->name, s->labels,
		           *s->labels ? "," : "", bucket_labels[b], (unsigned long long)cumulative);
	}
	char num[40];
	format_number(bits_double(atomic_load_explicit(&s->value, memory_order_relaxed)), num);
	render_series_name(o, s->name, "_sum", s->labels);
	relayd_strbuf_printf(o, " %s\n", num);
	/* _count is the +Inf bucket, so the two always agree. */
	render_series_name(o, s->name, "_count", s->labels);
	relayd_strbuf_printf(o, " %llu\n", (unsigned long long)cumulative);
}

static void render_one(struct relayd_strbuf *o, struct series *s)
{
	if (s->kind == KIND_HISTOGRAM) {
		render_histogram(o, s);
		return;
	}
	char num[40];
	format_number(bits_double(atomic_load_explicit(&s->value, memory_order_relaxed)), num);
	render_series_name(o, s->name, "", s->labels);
	relayd_strbuf_printf(o, " %s\n", num);
}

char *metrics_render(void)
{
	struct relayd_strbuf o = RELAYD_STRBUF_INIT;
	if (relayd_strbuf_reserve(&o, 4096) != RELAYD_OK)
		return NULL;
	pthread_mutex_lock(&registry_lock);
	struct series **v = calloc(series_count ? series_count : 1, sizeof *v);
	if (!v) {
		pthread_mutex_unlock(&registry_lock);
		relayd_strbuf_free(&o);
		return NULL;
	}
	size_t n = 0;
	for (struct series *s = all_series; s; s = s->all_next)
		v[n++] = s;
	pthread_mutex_unlock(&registry_lock);
	/* Series are never freed while the process runs, so rendering outside
	 * the lock is safe; values are read atomically. */
	qsort(v, n, sizeof *v, series_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || strcmp(v[i - 1]->name, v[i]->name) != 0)
			relayd_strbuf_printf(&o, "# TYPE %s %s\n", v[i]->name, kind_name(v[i]->kind));
		render_one(&o, v[i]);
	}
	free(v);
	return relayd_strbuf_detach(&o, NULL);
}

void metrics_reset(void)
{
	pthread_mutex_lock(&registry_lock);
	struct series *s = all_series;
	while (s) {
		struct series *next = s->all_next;
		free(s->name);
		free(s->labels);
		free(s);
		s = next;
	}
	all_series = NULL;
	series_count = 0;
	for (size_t i = 0; i < TABLE_SIZE; i++)
		atomic_store_explicit(&table[i], NULL, memory_order_relaxed);
	pthread_mutex_unlock(&registry_lock);
}
