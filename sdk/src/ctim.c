/* SPDX-License-Identifier: MIT */
/* The CTIM builder: ids, times, entity constructors and setters, bundle, envelopes. */
#include <relayd/ctim.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <relayd/json.h>

#include "hex.h"

/* ---- ids ------------------------------------------------------------- */

static void uuid_bytes_to_text(const unsigned char b[16], char out[CTIM_UUID_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 0x0f];
	}
	out[o] = '\0';
}

static int uuid_text_to_bytes(const char *text, unsigned char b[16])
{
	size_t n = 0;

	if (text == NULL || strlen(text) != 36)
		return RELAYD_EINVAL;
	for (size_t i = 0; i < 36; i++) {
		bool dash_here = (i == 8 || i == 13 || i == 18 || i == 23);
		if (dash_here) {
			if (text[i] != '-')
				return RELAYD_EINVAL;
			continue;
		}
		int hi = hex_digit_value((unsigned char)text[i]);
		int lo = hex_digit_value((unsigned char)text[i + 1]);
		if (hi < 0 || lo < 0)
			return RELAYD_EINVAL;
		b[n++] = (unsigned char)(hi << 4 | lo);
		i++;
	}
	return RELAYD_OK;
}

/* RFC 4122 §4.1.3 / §4.1.1: version in the high nibble of byte 6, variant 10xx in byte 8. */
static void uuid_stamp(unsigned char b[16], unsigned version)
{
	b[6] = (unsigned char)((b[6] & 0x0f) | (version << 4));
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
}

/* Random bytes for ids, drawn from a per-thread pool that RAND_bytes refills
 * in batches: the same CSPRNG output, without its per-call cost (a profile
 * of pulsedive observe showed one RAND_bytes per id at ~9 % of the time). */
#define UUID_POOL_BYTES 4096
static __thread unsigned char uuid_pool[UUID_POOL_BYTES];
static __thread size_t uuid_pool_left;

static int random_16(unsigned char b[16])
{
	if (uuid_pool_left < 16) {
		if (RAND_bytes(uuid_pool, sizeof uuid_pool) != 1)
			return RELAYD_EIO;
		uuid_pool_left = sizeof uuid_pool;
	}
	uuid_pool_left -= 16;
	memcpy(b, uuid_pool + uuid_pool_left, 16);
	/* Used bytes are wiped so a later memory disclosure cannot replay ids. */
	memset(uuid_pool + uuid_pool_left, 0, 16);
	return RELAYD_OK;
}

int ctim_uuid4(char out[CTIM_UUID_SIZE])
{
	unsigned char b[16];

	if (random_16(b) != RELAYD_OK)
		return RELAYD_EIO;
	uuid_stamp(b, 4);
	uuid_bytes_to_text(b, out);
	return RELAYD_OK;
}

int ctim_uuid4_sequence(void *counter, char out[CTIM_UUID_SIZE])
{
	uint64_t *n = counter;

	if (n == NULL)
		return RELAYD_EINVAL;
	++*n;
	snprintf(out, CTIM_UUID_SIZE, "00000000-0000-0000-0000-%012" PRIx64,
	         *n & UINT64_C(0xffffffffffff));
	return RELAYD_OK;
}

/* SHA-1 for uuid5 ids. The digest is fetched once and each thread keeps one
 * context: fetching and allocating per id cost more than hashing the name
 * (a profile of pulsedive observe). Thread-exit frees the context. */
static pthread_once_t sha1_once = PTHREAD_ONCE_INIT;
static pthread_key_t sha1_ctx_key;
static EVP_MD *sha1_md;

static void free_sha1_ctx(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void sha1_setup(void)
{
	sha1_md = EVP_MD_fetch(NULL, "SHA1", NULL);
	if (pthread_key_create(&sha1_ctx_key, free_sha1_ctx) != 0) {
		EVP_MD_free(sha1_md);
		sha1_md = NULL;
	}
}

static EVP_MD_CTX *thread_sha1_ctx(void)
{
	pthread_once(&sha1_once, sha1_setup);
	if (sha1_md == NULL)
		return NULL;
	EVP_MD_CTX *ctx = pthread_getspecific(sha1_ctx_key);
	if (ctx == NULL) {
		ctx = EVP_MD_CTX_new();
		if (ctx == NULL || pthread_setspecific(sha1_ctx_key, ctx) != 0) {
			EVP_MD_CTX_free(ctx);
			return NULL;
		}
	}
	return ctx;
}

int ctim_uuid5(char out[CTIM_UUID_SIZE], const char *namespace_uuid, const char *name)
{
	unsigned char ns[16];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	if (out == NULL || name == NULL || uuid_text_to_bytes(namespace_uuid, ns) != RELAYD_OK)
		return RELAYD_EINVAL;
	EVP_MD_CTX *ctx = thread_sha1_ctx();
	if (ctx == NULL)
		return RELAYD_ENOMEM;
	int ok = EVP_DigestInit_ex2(ctx, sha1_md, NULL) == 1 &&
	         EVP_DigestUpdate(ctx, ns, sizeof ns) == 1 &&
	         EVP_DigestUpdate(ctx, name, strlen(name)) == 1 &&
	         EVP_DigestFinal_ex(ctx, md, &md_len) == 1;
	if (!ok || md_len < 16)
		return RELAYD_EIO;
	uuid_stamp(md, 5);
	uuid_bytes_to_text(md, out);
	return RELAYD_OK;
}

static int format_transient(char *out, size_t len, const char *type, const char *uuid)
{
	if (out == NULL || type == NULL || *type == '\0')
		return RELAYD_EINVAL;
	static const char prefix[] = "transient:";
	size_t plen = sizeof(prefix) - 1, tlen = strlen(type), ulen = strlen(uuid);
	if (plen + tlen + 1 + ulen >= len)
		return RELAYD_EINVAL;
	char *p = out;
	memcpy(p, prefix, plen);
	p += plen;
	memcpy(p, type, tlen);
	p += tlen;
	*p++ = '-';
	memcpy(p, uuid, ulen + 1);
	return RELAYD_OK;
}

int ctim_transient_id(char *out, size_t len, const char *type)
{
	char uuid[CTIM_UUID_SIZE];
	int rc = ctim_uuid4(uuid);

	return rc != RELAYD_OK ? rc : format_transient(out, len, type, uuid);
}

int ctim_transient_id_v5(char *out, size_t len, const char *type, const char *name)
{
	char uuid[CTIM_UUID_SIZE];
	int rc = ctim_uuid5(uuid, CTIM_NS_X500, name);

	return rc != RELAYD_OK ? rc : format_transient(out, len, type, uuid);
}

int ctim_new_id(const struct ctim_ctx *c, char *out, size_t len, const char *type)
{
	char uuid[CTIM_UUID_SIZE];
	int rc;

	if (c == NULL)
		return RELAYD_EINVAL;
	rc = c->uuid4 != NULL ? c->uuid4(c->uuid4_arg, uuid) : ctim_uuid4(uuid);
	return rc != RELAYD_OK ? rc : format_transient(out, len, type, uuid);
}

/* ---- times ----------------------------------------------------------- */

#define US_PER_SEC INT64_C(1000000)
#define SEC_PER_DAY INT64_C(86400)

/* Howard Hinnant's days_from_civil / civil_from_days: proleptic Gregorian,
 * exact for any year, no dependence on the process time zone or on timegm. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* Floor division, so times before 1970 split into the right day and second. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Writes v as exactly `width` decimal digits (v < 10^width) and returns the end. */
static char *put_digits(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/* "YYYY-MM-DDTHH:MM:SS[.fff|.ffffff]Z" by hand: this runs for every time of
 * every entity, and snprintf was most of its cost. */
int ctim_time_format(char *out, size_t len, int64_t epoch_us, enum ctim_time_precision precision)
{
	int64_t secs = floor_div(epoch_us, US_PER_SEC);
	int64_t frac_us = epoch_us - secs * US_PER_SEC;
	int64_t days = floor_div(secs, SEC_PER_DAY);
	int64_t sod = secs - days * SEC_PER_DAY;
	int64_t year;
	unsigned month, day;
	int frac_digits;

	if (out == NULL)
		return RELAYD_EINVAL;
	switch (precision) {
	case CTIM_TIME_SECONDS: frac_digits = 0; break;
	case CTIM_TIME_MILLIS: frac_digits = 3; break;
	case CTIM_TIME_MICROS: frac_digits = 6; break;
	default: return RELAYD_EINVAL;
	}
	civil_from_days(days, &year, &month, &day);
	if (year < 0 || year > 9999)
		return RELAYD_EINVAL;
	/* 19 for the date and time, '.' and digits, 'Z', NUL */
	if (len < (size_t)(19 + (frac_digits ? 1 + frac_digits : 0) + 2))
		return RELAYD_EINVAL;
	char *p = put_digits(out, (unsigned)year, 4);
	*p++ = '-';
	p = put_digits(p, month, 2);
	*p++ = '-';
	p = put_digits(p, day, 2);
	*p++ = 'T';
	p = put_digits(p, (unsigned)(sod / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(sod / 60 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)(sod % 60), 2);
	if (frac_digits) {
		*p++ = '.';
		p = put_digits(p, (unsigned)(frac_digits == 3 ? frac_us / 1000 : frac_us), frac_digits);
	}
	*p++ = 'Z';
	*p = '\0';
	return RELAYD_OK;
}

/* Reads exactly @p width decimal digits. */
static bool read_digits(const char **p, int width, int *value)
{
	int v = 0;

	for (int i = 0; i < width; i++) {
		char ch = (*p)[i];
		if (ch < '0' || ch > '9')
			return false;
		v = v * 10 + (ch - '0');
	}
	*p += width;
	*value = v;
	return true;
}

static bool is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* ".d…" → microseconds; digits past the sixth are read and dropped. */
static bool parse_fraction(const char **p, int64_t *us)
{
	const char *s = *p;
	int64_t v = 0;
	int digits = 0;

	if (*s != '.')
		return true;
	s++;
	while (*s >= '0' && *s <= '9' && digits < 9) {
		if (digits < 6)
			v = v * 10 + (*s - '0');
		digits++;
		s++;
	}
	if (digits == 0)
		return false;
	for (int i = digits; i < 6; i++)
		v *= 10;
	*us = v;
	*p = s;
	return true;
}

/* "Z", "+HH:MM", "-HH:MM", "+HHMM", "+HH" or nothing → offset east of UTC in seconds. */
static bool parse_zone(const char **p, int64_t *offset_s)
{
	const char *s = *p;
	int hh = 0, mm = 0;

	*offset_s = 0;
	if (*s == '\0')
		return true;
	if (*s == 'Z' || *s == 'z') {
		*p = s + 1;
		return true;
	}
	if (*s != '+' && *s != '-')
		return false;
	int sign = *s == '-' ? -1 : 1;
	s++;
	if (!read_digits(&s, 2, &hh) || hh > 23)
		return false;
	if (*s == ':')
		s++;
	if (*s >= '0' && *s <= '9' && (!read_digits(&s, 2, &mm) || mm > 59))
		return false;
	*offset_s = sign * (hh * 3600 + mm * 60);
	*p = s;
	return true;
}

int ctim_time_parse(const char *text, int64_t *epoch_us)
{
	const char *s = text;
	int y, mo, d, hh = 0, mi = 0, ss = 0;
	int64_t frac_us = 0, offset_s = 0;

	if (s == NULL || epoch_us == NULL)
		return RELAYD_EINVAL;
	if (!read_digits(&s, 4, &y) || *s++ != '-' || !read_digits(&s, 2, &mo) || *s++ != '-' ||
	    !read_digits(&s, 2, &d))
		return RELAYD_EINVAL;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return RELAYD_EINVAL;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (!read_digits(&s, 2, &hh) || *s++ != ':' || !read_digits(&s, 2, &mi) ||
		    *s++ != ':' || !read_digits(&s, 2, &ss))
			return RELAYD_EINVAL;
		if (hh > 23 || mi > 59 || ss > 59)
			return RELAYD_EINVAL;
		if (!parse_fraction(&s, &frac_us) || !parse_zone(&s, &offset_s))
			return RELAYD_EINVAL;
	}
	if (*s != '\0')
		return RELAYD_EINVAL;
	int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * SEC_PER_DAY +
	               hh * 3600 + mi * 60 + ss - offset_s;
	*epoch_us = secs * US_PER_SEC + frac_us;
	return RELAYD_OK;
}

/* ---- enums ----------------------------------------------------------- */

const char *ctim_disposition_name(int disposition)
{
	static const char *const names[] = { "Clean", "Malicious", "Suspicious", "Common",
	                                     "Unknown" };
	if (disposition < 1 || disposition > 5)
		return NULL;
	return names[disposition - 1];
}

static bool in_list(const char *value, const char *const *list)
{
	if (value == NULL)
		return false;
	for (size_t i = 0; list[i] != NULL; i++)
		if (strcmp(value, list[i]) == 0)
			return true;
	return false;
}

bool ctim_is_confidence(const char *value)
{
	static const char *const list[] = { "Info", "Low", "Medium", "High", "None", "Unknown",
	                                    NULL };
	return in_list(value, list);
}

bool ctim_is_severity(const char *value)
{
	static const char *const list[] = { "Info", "Low", "Medium", "High", "Critical", "None",
	                                    "Unknown", NULL };
	return in_list(value, list);
}

bool ctim_is_tlp(const char *value)
{
	static const char *const list[] = { "white", "green", "amber", "red", NULL };
	return in_list(value, list);
}

/* ---- entities --------------------------------------------------------- */

/* json_object_set_new takes the value even on failure, so chains of these are leak-free. */
static int set_new(json_t *obj, const char *key, json_t *value)
{
	if (value == NULL)
		return RELAYD_ENOMEM;
	return relayd_json_set_new(obj, key, value) == 0 ? RELAYD_OK : RELAYD_ENOMEM;
}

/* Sets a string member under a key that is an ASCII literal of this file
 * (no key check needed); the value is checked like json_string's. */
static int set_text(json_t *obj, const char *literal_key, const char *value)
{
	json_t *v = relayd_json_string(value);
	if (v == NULL)
		return RELAYD_EINVAL;
	return json_object_set_new_nocheck(obj, literal_key, v) == 0 ? RELAYD_OK : RELAYD_ENOMEM;
}

/* A new object with one or two string members (literal keys); NULL when a
 * value is NULL or not UTF-8. Builders call this instead of json_pack, whose
 * format parsing was a tenth of a pulsedive observe. */
static json_t *text_object(const char *k1, const char *v1, const char *k2, const char *v2)
{
	json_t *o = json_object();
	int rc = o != NULL ? set_text(o, k1, v1) : RELAYD_ENOMEM;
	if (rc == RELAYD_OK && k2 != NULL)
		rc = set_text(o, k2, v2);
	if (rc != RELAYD_OK) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int append_new(json_t *array, json_t *value)
{
	if (value == NULL)
		return RELAYD_ENOMEM;
	return json_array_append_new(array, value) == 0 ? RELAYD_OK : RELAYD_ENOMEM;
}

static bool is_observable(const json_t *o)
{
	return json_is_string(json_object_get(o, "type")) &&
	       json_is_string(json_object_get(o, "value"));
}

json_t *ctim_observable(const char *type, const char *value)
{
	if (type == NULL || value == NULL)
		return NULL;
	return text_object("type", type, "value", value);
}

static json_t *time_range_json(const struct ctim_ctx *c, struct ctim_range r)
{
	char start[CTIM_TIME_SIZE], end[CTIM_TIME_SIZE];

	if (c == NULL || ctim_time_format(start, sizeof start, r.start_us, c->precision) != 0)
		return NULL;
	if (!r.has_end)
		return text_object("start_time", start, NULL, NULL);
	if (ctim_time_format(end, sizeof end, r.end_us, c->precision) != 0)
		return NULL;
	return text_object("start_time", start, "end_time", end);
}

/* The constructors below give, as jansson values, exactly what the writer
 * (ctim_write_*, ctim_doc.c) writes: the entity is written into a scratch
 * bundle and read back, so each entity's fields and checks are defined once.
 * This path serves tests and plugins that edit entities after building
 * them; it is not the fast one. */

/* {type, value} of a jansson observable; false when it is not one. */
static bool observable_strings(const json_t *o, struct ctim_obs *out)
{
	if (!is_observable(o))
		return false;
	*out = (struct ctim_obs){json_string_value(json_object_get(o, "type")),
	                         json_string_value(json_object_get(o, "value"))};
	return true;
}

/* Ends @p d, the only entity of @p b, and returns it as a new value (NULL
 * when any step failed); frees @p b. */
static json_t *written_entity(struct ctim_doc *d, struct ctim_bundle *b, enum ctim_kind kind)
{
	json_t *entity = NULL;
	if (ctim_doc_end(d) == RELAYD_OK) {
		json_t *data = ctim_bundle_to_data(b);
		json_t *docs = json_object_get(json_object_get(data, ctim_kind_name(kind)), "docs");
		entity = json_incref(json_array_get(docs, 0));
		json_decref(data);
	}
	ctim_bundle_free(b);
	return entity;
}

json_t *ctim_verdict_new(const struct ctim_ctx *c, const json_t *observable, int disposition,
                         struct ctim_range valid_time)
{
	struct ctim_obs o;
	struct ctim_bundle *b = observable_strings(observable, &o) ? ctim_bundle_new() : NULL;
	struct ctim_doc d;
	if (b == NULL)
		return NULL;
	ctim_write_verdict(&d, b, c, o, disposition, valid_time);
	return written_entity(&d, b, CTIM_VERDICT);
}

json_t *ctim_judgement_new(const struct ctim_ctx *c, const json_t *observable, int disposition,
                           const char *severity, const char *confidence, int priority,
                           const char *source, struct ctim_range valid_time)
{
	struct ctim_obs o;
	struct ctim_bundle *b = observable_strings(observable, &o) ? ctim_bundle_new() : NULL;
	struct ctim_doc d;
	if (b == NULL)
		return NULL;
	ctim_write_judgement(&d, b, c, o, disposition, severity, confidence, priority, source,
	                     valid_time);
	return written_entity(&d, b, CTIM_JUDGEMENT);
}

json_t *ctim_indicator_new(const struct ctim_ctx *c, const char *id, const char *producer,
                           struct ctim_range valid_time)
{
	struct ctim_bundle *b = ctim_bundle_new();
	struct ctim_doc d;
	if (b == NULL)
		return NULL;
	ctim_write_indicator(&d, b, c, id, producer, valid_time);
	return written_entity(&d, b, CTIM_INDICATOR);
}

json_t *ctim_sighting_new(const struct ctim_ctx *c, long long count, const char *confidence,
                          struct ctim_range observed_time)
{
	struct ctim_bundle *b = ctim_bundle_new();
	struct ctim_doc d;
	if (b == NULL)
		return NULL;
	ctim_write_sighting(&d, b, c, count, confidence, observed_time);
	return written_entity(&d, b, CTIM_SIGHTING);
}

json_t *ctim_relationship_new(const struct ctim_ctx *c, const char *relationship_type,
                              const char *source_ref, const char *target_ref)
{
	struct ctim_bundle *b = ctim_bundle_new();
	struct ctim_doc d;
	if (b == NULL)
		return NULL;
	ctim_write_relationship(&d, b, c, relationship_type, source_ref, target_ref);
	return written_entity(&d, b, CTIM_RELATIONSHIP);
}

const char *ctim_entity_id(const json_t *entity)
{
	return json_string_value(json_object_get(entity, "id"));
}

/* ---- setters ---------------------------------------------------------- */

int ctim_set_string(json_t *entity, const char *field, const char *value)
{
	if (!json_is_object(entity) || field == NULL)
		return RELAYD_EINVAL;
	if (value == NULL) {
		json_object_del(entity, field);
		return RELAYD_OK;
	}
	return set_new(entity, field, relayd_json_string(value));
}

int ctim_set_integer(json_t *entity, const char *field, long long value)
{
	if (!json_is_object(entity) || field == NULL)
		return RELAYD_EINVAL;
	return set_new(entity, field, json_integer(value));
}

int ctim_set_boolean(json_t *entity, const char *field, bool value)
{
	if (!json_is_object(entity) || field == NULL)
		return RELAYD_EINVAL;
	return set_new(entity, field, json_boolean(value));
}

int ctim_set_time_range(const struct ctim_ctx *c, json_t *entity, const char *field,
                        struct ctim_range range)
{
	if (!json_is_object(entity) || field == NULL)
		return RELAYD_EINVAL;
	json_t *t = time_range_json(c, range);
	if (t == NULL)
		return RELAYD_EINVAL;
	return set_new(entity, field, t);
}

static int set_enum(json_t *entity, const char *field, const char *value,
                    bool (*valid)(const char *))
{
	if (value != NULL && !valid(value))
		return RELAYD_EINVAL;
	return ctim_set_string(entity, field, value);
}

int ctim_set_severity(json_t *entity, const char *severity)
{
	return set_enum(entity, "severity", severity, ctim_is_severity);
}

int ctim_set_confidence(json_t *entity, const char *confidence)
{
	return set_enum(entity, "confidence", confidence, ctim_is_confidence);
}

int ctim_set_tlp(json_t *entity, const char *tlp)
{
	return set_enum(entity, "tlp", tlp, ctim_is_tlp);
}

json_t *ctim_array_field(json_t *entity, const char *field)
{
	if (!json_is_object(entity) || field == NULL)
		return NULL;
	json_t *a = json_object_get(entity, field);
	if (json_is_array(a))
		return a;
	if (a != NULL)
		return NULL; /* present with another type: don't silently replace it */
	if (set_new(entity, field, json_array()) != RELAYD_OK)
		return NULL;
	return json_object_get(entity, field);
}

static int append_string(json_t *entity, const char *field, const char *value)
{
	if (value == NULL)
		return RELAYD_EINVAL;
	json_t *a = ctim_array_field(entity, field);
	if (a == NULL)
		return RELAYD_EINVAL;
	return append_new(a, relayd_json_string(value));
}

int ctim_add_tag(json_t *entity, const char *tag)
{
	return append_string(entity, "tags", tag);
}

int ctim_add_external_id(json_t *entity, const char *external_id)
{
	return append_string(entity, "external_ids", external_id);
}

int ctim_add_observable(json_t *entity, const json_t *observable)
{
	if (!is_observable(observable))
		return RELAYD_EINVAL;
	json_t *a = ctim_array_field(entity, "observables");
	if (a == NULL)
		return RELAYD_EINVAL;
	return append_new(a, json_deep_copy(observable));
}

int ctim_add_relation(json_t *entity, const char *origin, const char *relation,
                      const json_t *source, const json_t *related)
{
	if (origin == NULL || relation == NULL || !is_observable(source) || !is_observable(related))
		return RELAYD_EINVAL;
	json_t *a = ctim_array_field(entity, "relations");
	if (a == NULL)
		return RELAYD_EINVAL;
	/* Copies, so the caller's observables never end up shared between entities. */
	json_t *rel = text_object("origin", origin, "relation", relation);
	int rc = rel != NULL ? set_new(rel, "source", json_deep_copy(source)) : RELAYD_ENOMEM;
	if (rc == RELAYD_OK)
		rc = set_new(rel, "related", json_deep_copy(related));
	if (rc != RELAYD_OK) {
		json_decref(rel);
		return rc;
	}
	return append_new(a, rel);
}

int ctim_add_external_reference(json_t *entity, const char *source_name,
                                const char *description, const char *url,
                                const char *external_id)
{
	if (source_name == NULL)
		return RELAYD_EINVAL;
	json_t *a = ctim_array_field(entity, "external_references");
	if (a == NULL)
		return RELAYD_EINVAL;
	json_t *ref = text_object("source_name", source_name, NULL, NULL);
	int rc = ref != NULL ? RELAYD_OK : RELAYD_ENOMEM;
	if (rc == RELAYD_OK && description != NULL)
		rc = set_new(ref, "description", relayd_json_string(description));
	if (rc == RELAYD_OK && url != NULL)
		rc = set_new(ref, "url", relayd_json_string(url));
	if (rc == RELAYD_OK && external_id != NULL)
		rc = set_new(ref, "external_id", relayd_json_string(external_id));
	if (rc != RELAYD_OK) {
		json_decref(ref);
		return rc;
	}
	return append_new(a, ref);
}

json_t *ctim_add_target(const struct ctim_ctx *c, json_t *sighting, const char *type,
                        struct ctim_range observed_time)
{
	if (type == NULL)
		return NULL;
	json_t *targets = ctim_array_field(sighting, "targets");
	if (targets == NULL)
		return NULL;
	json_t *when = time_range_json(c, observed_time);
	if (when == NULL)
		return NULL;
	json_t *t = text_object("type", type, NULL, NULL);
	int rc = t != NULL ? set_new(t, "observables", json_array()) : RELAYD_ENOMEM;
	if (rc == RELAYD_OK)
		rc = set_new(t, "observed_time", when);
	else
		json_decref(when);
	if (rc != RELAYD_OK) {
		json_decref(t);
		return NULL;
	}
	if (append_new(targets, t) != RELAYD_OK)
		return NULL;
	return t; /* still alive: the array holds a reference */
}

json_t *ctim_set_data_table(json_t *sighting)
{
	if (!json_is_object(sighting))
		return NULL;
	json_t *table = json_pack("{s:[], s:[]}", "columns", "rows");
	if (set_new(sighting, "data", table) != RELAYD_OK)
		return NULL;
	return json_object_get(sighting, "data");
}

int ctim_table_add_column(json_t *table, const char *name, const char *type)
{
	json_t *columns = json_object_get(table, "columns");

	if (!json_is_array(columns) || name == NULL || type == NULL)
		return RELAYD_EINVAL;
	return append_new(columns, json_pack("{s:s, s:s}", "name", name, "type", type));
}

json_t *ctim_table_add_row(json_t *table)
{
	json_t *rows = json_object_get(table, "rows");

	if (!json_is_array(rows))
		return NULL;
	json_t *row = json_array();
	if (append_new(rows, row) != RELAYD_OK)
		return NULL;
	return row;
}

/* ---- entities limit ---------------------------------------------------- */

/* Python int(str): whitespace, sign, digits with single '_' between them. */
static bool parse_int_string(const char *s, long long *out)
{
	long long v = 0;
	bool neg = false, any = false, overflow = false;

	while (isspace((unsigned char)*s))
		s++;
	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	while (*s != '\0') {
		if (*s == '_') {
			/* An underscore must sit between two digits. */
			if (!any || !(s[1] >= '0' && s[1] <= '9'))
				return false;
			s++;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		if (v > (LLONG_MAX - (*s - '0')) / 10)
			overflow = true;
		else
			v = v * 10 + (*s - '0');
		any = true;
		s++;
	}
	while (isspace((unsigned char)*s))
		s++;
	if (!any || *s != '\0')
		return false;
	if (overflow)
		v = LLONG_MAX;
	*out = neg ? -v : v;
	return true;
}

static bool claim_to_integer(const json_t *v, long long *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (d != d)
			return false; /* NaN: int() refuses it */
		if (d >= 9.2e18)
			*out = LLONG_MAX;
		else if (d <= -9.2e18)
			*out = LLONG_MIN;
		else
			*out = (long long)d; /* C casts truncate toward zero, as int() does */
		return true;
	}
	if (json_is_boolean(v)) {
		*out = json_is_true(v) ? 1 : 0;
		return true;
	}
	if (json_is_string(v))
		return parse_int_string(json_string_value(v), out);
	return false; /* missing, null, array, object */
}

int ctim_entities_limit(const json_t *claim_value, int default_limit, int clamp)
{
	long long n;

	if (claim_value == NULL || !claim_to_integer(claim_value, &n) || n <= 0)
		return default_limit;
	if (n > INT_MAX)
		n = INT_MAX;
	if (clamp > 0 && n > clamp)
		n = clamp;
	return (int)n;
}
