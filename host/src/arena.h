/* SPDX-License-Identifier: MIT */
/* A per-call bump allocator: everything it hands out dies with the call. */
#ifndef RELAYD_ARENA_H
#define RELAYD_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct arena_chunk;

struct arena {
	struct arena_chunk *chunks;
};

void *arena_alloc(struct arena *a, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_memdup(struct arena *a, const void *p, size_t n); /* NUL-terminated */
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap);
void arena_release(struct arena *a);

#endif
