/* SPDX-License-Identifier: MIT */
/* Per-call bump allocator. */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK 4096

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	max_align_t data[];
};

static struct arena_chunk *chunk_new(size_t size)
{
	struct arena_chunk *c = malloc(sizeof(*c) + size);
	if (!c)
		return NULL;
	c->next = NULL;
	c->used = 0;
	c->size = size;
	return c;
}

void *arena_alloc(struct arena *a, size_t size)
{
	const size_t align = _Alignof(max_align_t);
	if (size > SIZE_MAX / 2)
		return NULL; /* rounding up would wrap to a tiny block */
	size = (size + align - 1) & ~(align - 1);
	if (size == 0)
		size = align;
	struct arena_chunk *c = a->chunks;
	if (!c || c->size - c->used < size) {
		/* Large requests get a chunk of their own behind the current one so
		 * the current chunk's free space stays usable. */
		size_t want = size > ARENA_CHUNK / 2 ? size : ARENA_CHUNK;
		struct arena_chunk *n = chunk_new(want);
		if (!n)
			return NULL;
		if (c && want != ARENA_CHUNK) {
			n->next = c->next;
			c->next = n;
		} else {
			n->next = c;
			a->chunks = n;
		}
		c = n;
	}
	void *p = (char *)c->data + c->used;
	c->used += size;
	memset(p, 0, size);
	return p;
}

char *arena_memdup(struct arena *a, const void *p, size_t n)
{
	char *d = arena_alloc(a, n + 1);
	if (!d)
		return NULL;
	memcpy(d, p, n);
	d[n] = '\0';
	return d;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_memdup(a, s, strlen(s)) : NULL;
}

char *arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return NULL;
	char *d = arena_alloc(a, (size_t)n + 1);
	if (d)
		vsnprintf(d, (size_t)n + 1, fmt, ap);
	return d;
}

void arena_release(struct arena *a)
{
	struct arena_chunk *c = a->chunks;
	while (c) {
		struct arena_chunk *n = c->next;
		free(c);
		c = n;
	}
	a->chunks = NULL;
}
