/* SPDX-License-Identifier: MIT */
/* Growable byte strings (see relayd/strbuf.h). */
#include <relayd/strbuf.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>

#define STRBUF_FIRST_CAP 256

static int fail(struct relayd_strbuf *b)
{
	b->status = RELAYD_ENOMEM;
	return RELAYD_ENOMEM;
}

int relayd_strbuf_reserve(struct relayd_strbuf *b, size_t extra)
{
	if (b->status != RELAYD_OK)
		return b->status;
	if (extra >= SIZE_MAX - b->len)
		return fail(b);
	size_t need = b->len + extra + 1; /* + NUL */
	if (b->limit && need > b->limit + 1)
		return fail(b);
	/* data[len] is NUL after any reserve, so reserve-then-detach gives "". */
	if (need <= b->cap) {
		b->data[b->len] = '\0';
		return RELAYD_OK;
	}
	size_t cap = b->cap ? b->cap : STRBUF_FIRST_CAP;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *data = realloc(b->data, cap);
	if (!data)
		return fail(b);
	b->data = data;
	b->data[b->len] = '\0';
	b->cap = cap;
	return RELAYD_OK;
}

int relayd_strbuf_append(struct relayd_strbuf *b, const void *data, size_t len)
{
	if (relayd_strbuf_reserve(b, len) != RELAYD_OK)
		return b->status;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return RELAYD_OK;
}

int relayd_strbuf_append_str(struct relayd_strbuf *b, const char *s)
{
	return relayd_strbuf_append(b, s, s ? strlen(s) : 0);
}

int relayd_strbuf_append_char(struct relayd_strbuf *b, char c)
{
	return relayd_strbuf_append(b, &c, 1);
}

int relayd_strbuf_vprintf(struct relayd_strbuf *b, const char *fmt, va_list ap)
{
	if (b->status != RELAYD_OK)
		return b->status;
	va_list again;
	va_copy(again, ap);
	char small[256];
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0) {
		va_end(again);
		return fail(b);
	}
	if ((size_t)n < sizeof(small)) {
		va_end(again);
		return relayd_strbuf_append(b, small, (size_t)n);
	}
	if (relayd_strbuf_reserve(b, (size_t)n) != RELAYD_OK) {
		va_end(again);
		return b->status;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
	va_end(again);
	b->len += (size_t)n;
	return RELAYD_OK;
}

int relayd_strbuf_printf(struct relayd_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = relayd_strbuf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void relayd_strbuf_clear(struct relayd_strbuf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *relayd_strbuf_detach(struct relayd_strbuf *b, size_t *len)
{
	char *data = b->status == RELAYD_OK ? b->data : NULL;
	size_t n = data ? b->len : 0;
	if (b->status != RELAYD_OK)
		free(b->data);
	else if (!data)
		data = calloc(1, 1);
	size_t limit = b->limit;
	*b = (struct relayd_strbuf){.limit = limit};
	if (len)
		*len = n;
	return data;
}

void relayd_strbuf_free(struct relayd_strbuf *b)
{
	free(b->data);
	size_t limit = b->limit;
	*b = (struct relayd_strbuf){.limit = limit};
}
