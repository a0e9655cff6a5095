/* SPDX-License-Identifier: MIT */
/* The archive's key layout, alert ids, ISO 8601 dates and the prefixes a date range needs. */
#include "ts_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>

#define US_PER_MIN INT64_C(60000000)

/* ---- calendar (Howard Hinnant's civil algorithms; no libc time zone state) */

int64_t ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void ts_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m)
{
	static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return (m == 2 && leap) ? 29 : dim[m - 1];
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- ids and keys ------------------------------------------------------- */

bool ts_id_valid(const char *id)
{
	if (!id)
		return false;
	for (size_t i = 0; i < TS_ID_LEN; i++) {
		char c = id[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return id[TS_ID_LEN] == '\0';
}

int ts_prefix_normalise(const char *raw, char *out, size_t out_size)
{
	if (!raw)
		raw = "";
	while (*raw == '/')
		raw++;
	size_t n = strlen(raw);
	while (n > 0 && raw[n - 1] == '/')
		n--;
	if (n + 1 > out_size || n + 1 > TS_PREFIX_MAX)
		return RELAYD_EINVAL;
	/* Check every segment: no empty, "." or ".." (a dir store maps keys to paths). */
	size_t start = 0;
	for (size_t i = 0; i <= n && n > 0; i++) {
		if (i == n || raw[i] == '/') {
			size_t len = i - start;
			if (len == 0 || (len == 1 && raw[start] == '.') ||
			    (len == 2 && raw[start] == '.' && raw[start + 1] == '.'))
				return RELAYD_EINVAL;
			start = i + 1;
		}
	}
	memcpy(out, raw, n);
	out[n] = '\0';
	return RELAYD_OK;
}

static int join_prefix(const char *prefix, const char *rest, char *out, size_t out_size)
{
	int n;
	if (prefix && prefix[0])
		n = snprintf(out, out_size, "%s/%s", prefix, rest);
	else
		n = snprintf(out, out_size, "%s", rest);
	return (n < 0 || (size_t)n >= out_size) ? RELAYD_EINVAL : RELAYD_OK;
}

int ts_key_webhook(const char *prefix, const char *id, int64_t created_at_ms,
                   char *out, size_t out_size)
{
	char rest[96];
	int64_t y;
	unsigned m, d;

	if (!ts_id_valid(id) || created_at_ms < 1 || created_at_ms > TS_CREATED_AT_MAX_MS)
		return RELAYD_EINVAL;
	int64_t minute = created_at_ms / 60000;
	int64_t day = minute / 1440;
	unsigned hh = (unsigned)((minute % 1440) / 60), mm = (unsigned)(minute % 60);
	ts_civil_from_days(day, &y, &m, &d);
	snprintf(rest, sizeof(rest), "webhooks/%04lld/%02u/%02u/%02u/%02u/%s", (long long)y, m, d,
	         hh, mm, id);
	return join_prefix(prefix, rest, out, out_size);
}

int ts_key_alert(const char *prefix, const char *id, char *out, size_t out_size)
{
	char rest[64];

	if (!ts_id_valid(id))
		return RELAYD_EINVAL;
	snprintf(rest, sizeof(rest), "alerts/%.2s/%.2s/%s", id, id + 2, id);
	return join_prefix(prefix, rest, out, out_size);
}

int ts_key_webhooks_root(const char *prefix, char *out, size_t out_size)
{
	return join_prefix(prefix, "webhooks/", out, out_size);
}

static bool take_digits(const char **p, size_t n, unsigned *out)
{
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (unsigned)(c - '0');
	}
	*p += n;
	*out = v;
	return true;
}

int ts_key_parse_webhook(const char *prefix, const char *key, int64_t *minute_s,
                         char id_out[TS_ID_LEN + 1])
{
	char root[TS_PREFIX_MAX + 16];
	unsigned y, mo, d, h, mi;

	if (ts_key_webhooks_root(prefix, root, sizeof(root)) != RELAYD_OK)
		return RELAYD_EINVAL;
	size_t rl = strlen(root);
	if (!key || strncmp(key, root, rl) != 0)
		return RELAYD_EINVAL;
	const char *p = key + rl;
	if (!take_digits(&p, 4, &y) || *p++ != '/' || !take_digits(&p, 2, &mo) || *p++ != '/' ||
	    !take_digits(&p, 2, &d) || *p++ != '/' || !take_digits(&p, 2, &h) || *p++ != '/' ||
	    !take_digits(&p, 2, &mi) || *p++ != '/')
		return RELAYD_EINVAL;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59)
		return RELAYD_EINVAL;
	if (!ts_id_valid(p))
		return RELAYD_EINVAL;
	*minute_s = (ts_days_from_civil(y, mo, d) * 1440 + h * 60 + mi) * 60;
	memcpy(id_out, p, TS_ID_LEN + 1);
	return RELAYD_OK;
}

/* ---- ISO 8601, as Python's iso8601 0.1 regex reads it -------------------- */

struct iso {
	unsigned year, month, day, hour, minute, second;
	int64_t frac_us;
	int tz_minutes; /* east of UTC */
};

/* Python's '$' also matches before one final newline. */
static bool at_end(const char *s)
{
	return s[0] == '\0' || (s[0] == '\n' && s[1] == '\0');
}

static bool digits_n(const char *s, size_t n, unsigned *out)
{
	const char *p = s;
	return take_digits(&p, n, out);
}

static bool match_tz(const char *s, struct iso *t)
{
	unsigned th, tm;

	t->tz_minutes = 0;
	if (at_end(s))
		return true;
	if (s[0] == 'Z')
		return at_end(s + 1);
	if (s[0] != '+' && s[0] != '-')
		return false;
	int sign = s[0] == '-' ? -1 : 1;
	if (!digits_n(s + 1, 2, &th))
		return false;
	const char *p = s + 3;
	/* ":{0,1}(MM){0,1}$", greedy: colon first, minutes first. */
	for (int colon = 1; colon >= 0; colon--) {
		const char *q = p;
		if (colon) {
			if (*q != ':')
				continue;
			q++;
		}
		if (digits_n(q, 2, &tm) && at_end(q + 2)) {
			t->tz_minutes = sign * (int)(th * 60 + tm);
			return th * 60 + tm < 1440;
		}
		if (at_end(q)) {
			t->tz_minutes = sign * (int)(th * 60);
			return th < 24;
		}
	}
	return false;
}

static bool match_after_minute(const char *s, struct iso *t)
{
	for (int colon = 1; colon >= 0; colon--) {
		const char *p = s;
		if (colon) {
			if (*p != ':')
				continue;
			p++;
		}
		for (size_t len = 2; len >= 1; len--) {
			if (!digits_n(p, len, &t->second))
				continue;
			const char *q = p + len;
			t->frac_us = 0;
			if ((*q == '.' || *q == ',') && q[1] >= '0' && q[1] <= '9') {
				int64_t scale = 100000;
				q++;
				while (*q >= '0' && *q <= '9') {
					t->frac_us += (*q - '0') * scale;
					scale /= 10;
					q++;
				}
			}
			if (match_tz(q, t))
				return true;
		}
	}
	t->second = 0;
	t->frac_us = 0;
	return match_tz(s, t);
}

static bool match_after_hour(const char *s, struct iso *t)
{
	for (int colon = 1; colon >= 0; colon--) {
		const char *p = s;
		if (colon) {
			if (*p != ':')
				continue;
			p++;
		}
		if (digits_n(p, 2, &t->minute) && match_after_minute(p + 2, t))
			return true;
	}
	t->minute = 0;
	return match_after_minute(s, t);
}

static bool match_after_day(const char *s, struct iso *t)
{
	if ((s[0] == 'T' || s[0] == ' ') && digits_n(s + 1, 2, &t->hour) &&
	    match_after_hour(s + 3, t))
		return true;
	t->hour = t->minute = t->second = 0;
	t->frac_us = 0;
	t->tz_minutes = 0;
	return at_end(s);
}

static bool match_after_month(const char *s, struct iso *t)
{
	if (s[0] == '-') {
		for (size_t len = 2; len >= 1; len--)
			if (digits_n(s + 1, len, &t->day) && match_after_day(s + 1 + len, t))
				return true;
	} else if (digits_n(s, 2, &t->day) && match_after_day(s + 2, t)) {
		return true;
	}
	t->day = 1;
	t->hour = t->minute = t->second = 0;
	t->frac_us = 0;
	return at_end(s);
}

static bool match_iso(const char *s, struct iso *t)
{
	memset(t, 0, sizeof(*t));
	if (!digits_n(s, 4, &t->year))
		return false;
	s += 4;
	t->month = t->day = 1;
	if (at_end(s))
		return true;
	if (s[0] == '-') {
		for (size_t len = 2; len >= 1; len--)
			if (digits_n(s + 1, len, &t->month) && match_after_month(s + 1 + len, t))
				return true;
		return false;
	}
	/* "YYYYMM" alone is refused by the reference's (?!$). */
	return digits_n(s, 2, &t->month) && !at_end(s + 2) && match_after_month(s + 2, t);
}

int ts_date_parse(const char *s, int64_t *us_out)
{
	struct iso t;

	if (!s || !match_iso(s, &t))
		return RELAYD_EINVAL;
	/* datetime() range checks. */
	if (t.year < 1 || t.month < 1 || t.month > 12 || t.day < 1 ||
	    t.day > days_in_month(t.year, t.month) || t.hour > 23 || t.minute > 59 || t.second > 59)
		return RELAYD_EINVAL;
	int64_t secs = ts_days_from_civil(t.year, t.month, t.day) * 86400 + t.hour * 3600 +
	               t.minute * 60 + t.second - (int64_t)t.tz_minutes * 60;
	*us_out = secs * 1000000 + t.frac_us;
	return RELAYD_OK;
}

bool ts_range_contains(int64_t start_us, int64_t end_us, int64_t minute_s)
{
	int64_t t = minute_s * 1000000;
	return start_us < t && t < end_us;
}

/* ---- prefixes for a range ----------------------------------------------- */

void ts_prefix_list_clear(struct ts_prefix_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->n = 0;
}

static int list_push(struct ts_prefix_list *list, const char *s)
{
	char **items = realloc(list->items, (list->n + 1) * sizeof(*items));
	if (!items)
		return RELAYD_ENOMEM;
	list->items = items;
	items[list->n] = strdup(s);
	if (!items[list->n])
		return RELAYD_ENOMEM;
	list->n++;
	return RELAYD_OK;
}

enum unit { UNIT_YEAR, UNIT_MONTH, UNIT_DAY, UNIT_HOUR };

static int push_unit(struct ts_prefix_list *list, const char *root, enum unit u, int64_t y,
                     unsigned m, unsigned d, unsigned h)
{
	char buf[TS_PREFIX_MAX + 64];
	int n;

	switch (u) {
	case UNIT_YEAR:
		n = snprintf(buf, sizeof(buf), "%s%04lld/", root, (long long)y);
		break;
	case UNIT_MONTH:
		n = snprintf(buf, sizeof(buf), "%s%04lld/%02u/", root, (long long)y, m);
		break;
	case UNIT_DAY:
		n = snprintf(buf, sizeof(buf), "%s%04lld/%02u/%02u/", root, (long long)y, m, d);
		break;
	default:
		n = snprintf(buf, sizeof(buf), "%s%04lld/%02u/%02u/%02u/", root, (long long)y, m, d, h);
		break;
	}
	if (n < 0 || (size_t)n >= sizeof(buf))
		return RELAYD_EINVAL;
	return list_push(list, buf);
}

int ts_range_prefixes(const char *prefix, int64_t start_us, int64_t end_us,
                      struct ts_prefix_list *out)
{
	char root[TS_PREFIX_MAX + 16];
	int rc;

	out->items = NULL;
	out->n = 0;
	if (ts_key_webhooks_root(prefix, root, sizeof(root)) != RELAYD_OK)
		return RELAYD_EINVAL;
	/* Minutes t with start < t < end; keys exist only for 1970..9999. */
	int64_t t0 = floor_div(start_us, US_PER_MIN) + 1;
	int64_t t1 = -floor_div(-end_us, US_PER_MIN) - 1;
	int64_t last_minute = TS_CREATED_AT_MAX_MS / 60000;
	if (t0 < 0)
		t0 = 0;
	if (t1 > last_minute)
		t1 = last_minute;
	if (t0 > t1)
		return RELAYD_OK;

	int64_t h1 = t1 / 60;
	for (int64_t cur = t0 / 60; cur <= h1;) {
		if (out->n >= TS_RANGE_MAX_PREFIXES) {
			ts_prefix_list_clear(out);
			return list_push(out, root);
		}
		int64_t y;
		unsigned m, d;
		int64_t day = cur / 24;
		ts_civil_from_days(day, &y, &m, &d);
		if (cur % 24 == 0) {
			int64_t next_year = ts_days_from_civil(y + 1, 1, 1) * 24;
			int64_t next_month = (day + days_in_month(y, m) - d + 1) * 24;
			if (m == 1 && d == 1 && next_year - 1 <= h1) {
				rc = push_unit(out, root, UNIT_YEAR, y, m, d, 0);
				cur = next_year;
			} else if (d == 1 && next_month - 1 <= h1) {
				rc = push_unit(out, root, UNIT_MONTH, y, m, d, 0);
				cur = next_month;
			} else if (cur + 23 <= h1) {
				rc = push_unit(out, root, UNIT_DAY, y, m, d, 0);
				cur += 24;
			} else {
				rc = push_unit(out, root, UNIT_HOUR, y, m, d, 0);
				cur++;
			}
		} else {
			rc = push_unit(out, root, UNIT_HOUR, y, m, d, (unsigned)(cur % 24));
			cur++;
		}
		if (rc != RELAYD_OK) {
			ts_prefix_list_clear(out);
			return rc;
		}
	}
	return RELAYD_OK;
}
