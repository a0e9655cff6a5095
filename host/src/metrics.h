/* SPDX-License-Identifier: MIT */
/* The process-wide metrics registry (counters, gauges, histograms) and its Prometheus text. */
#ifndef RELAYD_HOST_METRICS_H
#define RELAYD_HOST_METRICS_H

#include <stddef.h>

/*
 * A series is name + label string. The label string is written between the
 * braces as given (`plugin="pulsedive",status="200"`, or NULL / "" for
 * none): callers escape label values (metrics_label_escape) and keep one
 * label order per name. A name has one type, fixed by its first use.
 *
 * Hot path: an update hashes name and labels and walks a lock-free chain of
 * series; the value is updated with atomics. The mutex is taken only to
 * create a series and to render. Safe from any thread. Series are never
 * removed while the process runs (metrics_reset is for tests only).
 *
 * Stable names are in DECISIONS.md §4; this module is only the mechanism.
 */

/** Standard Prometheus buckets for every histogram:
 *  .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 +Inf */
#define METRICS_BUCKETS 11

/** Adds @p delta (>= 0) to counter name{labels}. Returns 0, RELAYD_EINVAL
 *  (bad name, negative delta, name already used with another type) or
 *  RELAYD_ENOMEM. */
int metrics_counter_add(const char *name, const char *labels, double delta);

/** Sets gauge name{labels}. Same returns as metrics_counter_add. */
int metrics_gauge_set(const char *name, const char *labels, double value);

/** Observes @p value in histogram name{labels} (buckets, _sum, _count).
 *  Same returns as metrics_counter_add. */
int metrics_observe(const char *name, const char *labels, double value);

/** One finished request: relayd_requests_total and
 *  relayd_request_duration_seconds with {plugin="<plugin|->",status="<status>"};
 *  status is the HTTP status as text ("200"). */
void metrics_request(const char *plugin, const char *status, double seconds);

/** One upstream answer: relayd_upstream_requests_total{plugin=…,status=…};
 *  status is the HTTP status, or a transport error word ("timeout", …). */
void metrics_upstream(const char *plugin, const char *status);

/** A label value escaped for the text format (\\ \" \n), malloc'd; NULL on
 *  out of memory. */
char *metrics_label_escape(const char *value);

/**
 * Prometheus text format 0.0.4: per name (sorted) one "# TYPE name type"
 * line, then its series sorted by label string; histograms as
 * name_bucket{labels,le="…"} (cumulative), name_sum, name_count.
 * Returns a malloc'd string (caller frees), or NULL on out of memory.
 */
char *metrics_render(void);

/** Forgets every series. Tests only: no other thread may use metrics. */
void metrics_reset(void);

#endif
