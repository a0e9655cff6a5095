/* SPDX-License-Identifier: MIT */
/* A small scanner for the two S3 XML documents relayd reads: ListObjectsV2 pages and <Error>. */
#include "ts_s3xml.h"

#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>

static size_t put_utf8(char *out, unsigned long cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *ts_xml_unescape(const char *s, size_t len)
{
	static const struct {
		const char *name;
		char c;
	} named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
	/* A reference is never shorter than what it decodes to, so len + 1 is enough. */
	char *out = malloc(len + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		if (s[i] != '&') {
			out[o++] = s[i++];
			continue;
		}
		const char *semi = memchr(s + i, ';', len - i);
		if (!semi || semi - (s + i) > 12)
			goto bad;
		size_t n = (size_t)(semi - (s + i)) - 1;
		const char *ref = s + i + 1;
		bool done = false;
		for (size_t k = 0; k < sizeof(named) / sizeof(named[0]); k++) {
			if (strlen(named[k].name) == n && memcmp(named[k].name, ref, n) == 0) {
				out[o++] = named[k].c;
				done = true;
				break;
			}
		}
		if (!done) {
			if (n < 2 || ref[0] != '#')
				goto bad;
			bool hex = ref[1] == 'x' || ref[1] == 'X';
			unsigned long cp = 0;
			size_t start = hex ? 2 : 1;
			if (start >= n)
				goto bad;
			for (size_t k = start; k < n; k++) {
				char c = ref[k];
				unsigned d;
				if (c >= '0' && c <= '9')
					d = (unsigned)(c - '0');
				else if (hex && c >= 'a' && c <= 'f')
					d = (unsigned)(c - 'a' + 10);
				else if (hex && c >= 'A' && c <= 'F')
					d = (unsigned)(c - 'A' + 10);
				else
					goto bad;
				cp = cp * (hex ? 16 : 10) + d;
				if (cp > 0x10ffff)
					goto bad;
			}
			if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
				goto bad;
			o += put_utf8(out + o, cp);
		}
		i += n + 2;
	}
	out[o] = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

/* Finds "<tag>" (exactly, or "<tag " with attributes) in [p, end). Returns a
 * pointer just past the '>', or NULL. */
static const char *find_open(const char *p, const char *end, const char *tag)
{
	size_t tl = strlen(tag);
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (!lt || (size_t)(end - lt) < tl + 2)
			return NULL;
		if (memcmp(lt + 1, tag, tl) == 0 && (lt[tl + 1] == '>' || lt[tl + 1] == ' ')) {
			const char *gt = memchr(lt, '>', (size_t)(end - lt));
			if (!gt || gt[-1] == '/')
				return NULL;
			return gt + 1;
		}
		p = lt + 1;
	}
	return NULL;
}

/* Finds "</tag>" in [p, end); returns the position of its '<', or NULL. */
static const char *find_close(const char *p, const char *end, const char *tag)
{
	size_t tl = strlen(tag);
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (!lt || (size_t)(end - lt) < tl + 3)
			return NULL;
		if (lt[1] == '/' && memcmp(lt + 2, tag, tl) == 0 && lt[tl + 2] == '>')
			return lt;
		p = lt + 1;
	}
	return NULL;
}

/* The text of the first <tag>…</tag> in [p, end): *vs and *ve bound it, *after is
 * past the close tag. Returns 1 found, 0 absent, RELAYD_EINVAL unterminated. */
static int element(const char *p, const char *end, const char *tag, const char **vs,
                   const char **ve, const char **after)
{
	const char *s = find_open(p, end, tag);
	if (!s)
		return 0;
	const char *e = find_close(s, end, tag);
	if (!e)
		return RELAYD_EINVAL;
	*vs = s;
	*ve = e;
	if (after)
		*after = e + strlen(tag) + 3;
	return 1;
}

void ts_s3_list_clear(struct ts_s3_list *list)
{
	for (size_t i = 0; i < list->n_keys; i++)
		free(list->keys[i]);
	free(list->keys);
	free(list->next_token);
	memset(list, 0, sizeof(*list));
}

int ts_s3xml_parse_list(const char *xml, size_t len, struct ts_s3_list *out)
{
	const char *vs, *ve, *after;
	const char *end = xml + len;

	memset(out, 0, sizeof(*out));
	int rc = element(xml, end, "ListBucketResult", &vs, &ve, NULL);
	if (rc != 1)
		return RELAYD_EINVAL;
	const char *body = vs, *body_end = ve;

	/* IsTruncated and the token sit beside the Contents elements; look for them
	 * outside any Contents so a key named like a tag cannot fool the scanner
	 * (keys are entity-escaped, so "<" never appears in one anyway). */
	rc = element(body, body_end, "IsTruncated", &vs, &ve, NULL);
	if (rc < 0)
		return RELAYD_EINVAL;
	out->is_truncated = rc == 1 && (size_t)(ve - vs) == 4 && memcmp(vs, "true", 4) == 0;
	rc = element(body, body_end, "NextContinuationToken", &vs, &ve, NULL);
	if (rc < 0)
		return RELAYD_EINVAL;
	if (rc == 1) {
		out->next_token = ts_xml_unescape(vs, (size_t)(ve - vs));
		if (!out->next_token)
			return RELAYD_EINVAL;
	}
	if (out->is_truncated && (!out->next_token || !out->next_token[0]))
		return RELAYD_EINVAL;

	const char *p = body;
	for (;;) {
		rc = element(p, body_end, "Contents", &vs, &ve, &after);
		if (rc == 0)
			break;
		if (rc < 0)
			return RELAYD_EINVAL;
		const char *ks, *ke;
		if (element(vs, ve, "Key", &ks, &ke, NULL) != 1)
			return RELAYD_EINVAL;
		char *key = ts_xml_unescape(ks, (size_t)(ke - ks));
		if (!key)
			return RELAYD_EINVAL;
		char **keys = realloc(out->keys, (out->n_keys + 1) * sizeof(*keys));
		if (!keys) {
			free(key);
			return RELAYD_ENOMEM;
		}
		out->keys = keys;
		keys[out->n_keys++] = key;
		p = after;
	}
	return RELAYD_OK;
}

static void copy_text(const char *vs, const char *ve, char *out, size_t out_size)
{
	char *t = ts_xml_unescape(vs, (size_t)(ve - vs));
	size_t n = 0;
	if (t) {
		n = strlen(t);
		if (n >= out_size)
			n = out_size - 1;
		memcpy(out, t, n);
		free(t);
	}
	out[n] = '\0';
}

int ts_s3xml_parse_error(const char *xml, size_t len, struct ts_s3_error *out)
{
	const char *vs, *ve, *cs, *ce;
	const char *end = xml + len;

	out->code[0] = '\0';
	out->message[0] = '\0';
	if (!xml || element(xml, end, "Error", &vs, &ve, NULL) != 1)
		return RELAYD_EINVAL;
	if (element(vs, ve, "Code", &cs, &ce, NULL) != 1)
		return RELAYD_EINVAL;
	copy_text(cs, ce, out->code, sizeof(out->code));
	if (element(vs, ve, "Message", &cs, &ce, NULL) == 1)
		copy_text(cs, ce, out->message, sizeof(out->message));
	return RELAYD_OK;
}

bool ts_s3_error_retryable(long http_status, const char *code)
{
	static const char *const transient[] = {
	    "InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout",
	    "RequestTimeTooSkewed", "Throttling", "ThrottlingException", "RequestLimitExceeded",
	};
	if (http_status >= 500 || http_status == 429)
		return true;
	for (size_t i = 0; code && i < sizeof(transient) / sizeof(transient[0]); i++)
		if (strcmp(code, transient[i]) == 0)
			return true;
	return false;
}
