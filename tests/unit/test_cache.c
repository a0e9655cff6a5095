/* SPDX-License-Identifier: MIT */
/* Unit tests for cache.c: TTL, LRU eviction by count and bytes, copies, threads, SipHash vectors. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>

#include "cache.h"

/* Written only while no other thread reads it. */
static int64_t fake_now;

static int64_t fake_clock(void)
{
	return fake_now;
}

static void put_str(struct cache *c, const char *k, const char *v, unsigned ttl)
{
	ck_assert_int_eq(cache_put(c, k, strlen(k), v, strlen(v), ttl), RELAYD_OK);
}

/* Asserts a hit with exactly value v (NULL: asserts a miss). */
static void expect(struct cache *c, const char *k, const char *v)
{
	void *copy = (void *)1;
	size_t len = 99;
	int rc = cache_get(c, k, strlen(k), &copy, &len);
	if (!v) {
		ck_assert_msg(rc == RELAYD_ENOTFOUND, "key %s: expected a miss, rc %d", k, rc);
		ck_assert_ptr_null(copy);
		ck_assert_uint_eq(len, 0);
		return;
	}
	ck_assert_msg(rc == RELAYD_OK, "key %s: expected a hit, rc %d", k, rc);
	ck_assert_uint_eq(len, strlen(v));
	ck_assert_mem_eq(copy, v, len);
	ck_assert_int_eq(((char *)copy)[len], '\0');
	free(copy);
}

static void expect_stats(struct cache *c, size_t entries, size_t bytes)
{
	size_t e, b;
	cache_stats(c, &e, &b);
	ck_assert_uint_eq(e, entries);
	ck_assert_uint_eq(b, bytes);
}

START_TEST(siphash_reference_vectors)
{
	unsigned char key[16], msg[64];
	for (unsigned i = 0; i < 16; i++)
		key[i] = (unsigned char)i;
	for (unsigned i = 0; i < 64; i++)
		msg[i] = (unsigned char)i;
	/* From the SipHash paper (appendix A) and the reference vectors.h. */
	ck_assert_uint_eq(cache_siphash24(key, msg, 15), 0xa129ca6149be45e5ULL);
	ck_assert_uint_eq(cache_siphash24(key, msg, 0), 0x726fdb47dd0e0e31ULL);
	ck_assert_uint_eq(cache_siphash24(key, msg, 8), 0x93f5f5799a932462ULL);
	/* Keyed per process, but stable within it. */
	ck_assert_uint_eq(cache_hash("abc", 3), cache_hash("abc", 3));
	ck_assert_uint_ne(cache_hash("abc", 3), cache_hash("abd", 3));
}
END_TEST

START_TEST(hit_and_miss)
{
	fake_now = 1000;
	struct cache *c = cache_new(10, 1000, fake_clock);
	ck_assert_ptr_nonnull(c);
	expect(c, "k", NULL);
	put_str(c, "k", "value", 60);
	expect(c, "k", "value");
	expect(c, "K", NULL);
	expect(c, "k2", NULL);
	expect_stats(c, 1, 6);
	cache_free(c);
}
END_TEST

START_TEST(binary_keys_and_values_are_copied)
{
	fake_now = 0;
	struct cache *c = cache_new(10, 1000, fake_clock);
	unsigned char key[4] = {0, 1, 0, 2}, val[5] = {9, 0, 8, 0, 7};
	ck_assert_int_eq(cache_put(c, key, sizeof(key), val, sizeof(val), 5), RELAYD_OK);
	key[3] = 3; /* the cache kept its own copy of the key */
	val[0] = 1;
	void *copy;
	size_t len;
	ck_assert_int_eq(cache_get(c, key, sizeof(key), &copy, &len), RELAYD_ENOTFOUND);
	key[3] = 2;
	ck_assert_int_eq(cache_get(c, key, sizeof(key), &copy, &len), RELAYD_OK);
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(copy, "\x09\x00\x08\x00\x07", 5);
	free(copy);
	/* A key that is a prefix of another is a different key. */
	ck_assert_int_eq(cache_get(c, key, 3, &copy, &len), RELAYD_ENOTFOUND);
	/* Empty key and empty value are fine. */
	ck_assert_int_eq(cache_put(c, "", 0, "", 0, 5), RELAYD_OK);
	ck_assert_int_eq(cache_get(c, "", 0, &copy, &len), RELAYD_OK);
	ck_assert_uint_eq(len, 0);
	ck_assert_int_eq(((char *)copy)[0], '\0');
	free(copy);
	cache_free(c);
}
END_TEST

START_TEST(expiry_boundary)
{
	fake_now = 5000;
	struct cache *c = cache_new(10, 1000, fake_clock);
	put_str(c, "k", "v", 10);
	fake_now = 14999;
	expect(c, "k", "v");
	fake_now = 15000;
	expect(c, "k", NULL);
	/* The expired entry was dropped on the miss. */
	expect_stats(c, 0, 0);
	/* Even if time goes back, an expired entry that was removed stays gone. */
	fake_now = 6000;
	expect(c, "k", NULL);
	cache_free(c);
}
END_TEST

START_TEST(overwrite_replaces_value_and_restarts_ttl)
{
	fake_now = 0;
	struct cache *c = cache_new(10, 1000, fake_clock);
	put_str(c, "k", "first", 10);
	fake_now = 9000;
	put_str(c, "k", "second!", 10);
	expect_stats(c, 1, 8);
	fake_now = 18999;
	expect(c, "k", "second!");
	fake_now = 19000;
	expect(c, "k", NULL);
	cache_free(c);
}
END_TEST

START_TEST(eviction_by_count_is_lru)
{
	fake_now = 0;
	struct cache *c = cache_new(3, 1000, fake_clock);
	put_str(c, "a", "1", 60);
	put_str(c, "b", "2", 60);
	put_str(c, "c", "3", 60);
	expect(c, "a", "1"); /* a is now the most recently used; b the least */
	put_str(c, "d", "4", 60);
	expect(c, "b", NULL);
	expect(c, "a", "1");
	expect(c, "c", "3");
	expect(c, "d", "4");
	expect_stats(c, 3, 6);
	/* Overwriting does not evict anything else. */
	put_str(c, "a", "11", 60);
	expect_stats(c, 3, 7);
	cache_free(c);
}
END_TEST

START_TEST(eviction_by_bytes)
{
	fake_now = 0;
	struct cache *c = cache_new(100, 10, fake_clock);
	put_str(c, "k1", "aaa", 60); /* 5 bytes */
	put_str(c, "k2", "bbb", 60); /* 10 bytes: full */
	expect_stats(c, 2, 10);
	put_str(c, "k3", "c", 60);   /* 3 bytes: k1 (oldest) goes */
	expect(c, "k1", NULL);
	expect(c, "k2", "bbb");
	expect(c, "k3", "c");
	expect_stats(c, 2, 8);
	put_str(c, "k4", "12345678", 60); /* 10 bytes: everything else goes */
	expect_stats(c, 1, 10);
	expect(c, "k4", "12345678");
	/* Too large for the cache: refused, and the older value under the key is gone. */
	put_str(c, "k2", "x", 60);
	ck_assert_int_eq(cache_put(c, "k2", 2, "123456789", 9, 60), RELAYD_EINVAL);
	expect(c, "k2", NULL);
	cache_free(c);
}
END_TEST

START_TEST(bad_arguments)
{
	ck_assert_ptr_null(cache_new(0, 10, fake_clock));
	ck_assert_ptr_null(cache_new(10, 0, fake_clock));
	struct cache *c = cache_new(10, 100, fake_clock);
	ck_assert_int_eq(cache_put(c, "k", 1, "v", 1, 0), RELAYD_EINVAL);
	ck_assert_int_eq(cache_put(NULL, "k", 1, "v", 1, 5), RELAYD_EINVAL);
	ck_assert_int_eq(cache_put(c, NULL, 1, "v", 1, 5), RELAYD_EINVAL);
	void *copy;
	size_t len;
	ck_assert_int_eq(cache_get(c, NULL, 1, &copy, &len), RELAYD_EINVAL);
	ck_assert_int_eq(cache_get(NULL, "k", 1, &copy, &len), RELAYD_EINVAL);
	expect_stats(c, 0, 0);
	cache_free(c);
	cache_free(NULL);
}
END_TEST

struct bump {
	char buf[64];
	size_t used;
	int calls;
};

static void *bump_alloc(void *ctx, size_t size)
{
	struct bump *b = ctx;
	b->calls++;
	if (size > sizeof(b->buf) - b->used)
		return NULL;
	void *p = b->buf + b->used;
	b->used += size;
	return p;
}

START_TEST(get_into_uses_the_given_allocator)
{
	fake_now = 0;
	struct cache *c = cache_new(10, 1000, fake_clock);
	put_str(c, "k", "hello", 60);
	struct bump arena = {.used = 0};
	void *copy;
	size_t len;
	ck_assert_int_eq(cache_get_into(c, "k", 1, bump_alloc, &arena, &copy, &len), RELAYD_OK);
	ck_assert_ptr_eq(copy, arena.buf);
	ck_assert_str_eq(copy, "hello");
	ck_assert_uint_eq(arena.used, 6);
	arena.used = sizeof(arena.buf); /* full: the copy cannot be made */
	ck_assert_int_eq(cache_get_into(c, "k", 1, bump_alloc, &arena, &copy, &len), RELAYD_ENOMEM);
	ck_assert_ptr_null(copy);
	ck_assert_int_eq(cache_get_into(c, "x", 1, bump_alloc, &arena, &copy, &len),
	                 RELAYD_ENOTFOUND);
	ck_assert_int_eq(arena.calls, 2);
	cache_free(c);
}
END_TEST

START_TEST(large_cache_is_sharded_and_stays_within_limits)
{
	fake_now = 0;
	size_t max_entries = 4096, max_bytes = 16u << 20;
	struct cache *c = cache_new(max_entries, max_bytes, fake_clock);
	char k[32], v[64];
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(k, sizeof(k), "key-%u", i);
		snprintf(v, sizeof(v), "value-%u", i);
		put_str(c, k, v, 60);
	}
	size_t e, b;
	cache_stats(c, &e, &b);
	ck_assert_uint_le(e, max_entries);
	ck_assert_uint_ge(e, max_entries - 16); /* each 256-entry shard is full */
	/* The newest entry is always kept. */
	expect(c, "key-19999", "value-19999");
	/* One value may fill at most a 16th of the bytes. */
	char *big = malloc(max_bytes / 16 + 1);
	memset(big, 'x', max_bytes / 16 + 1);
	ck_assert_int_eq(cache_put(c, "big", 3, big, max_bytes / 16, 60), RELAYD_EINVAL);
	ck_assert_int_eq(cache_put(c, "big", 3, big, max_bytes / 16 - 3, 60), RELAYD_OK);
	cache_stats(c, &e, &b);
	ck_assert_uint_le(b, max_bytes);
	free(big);
	cache_free(c);
}
END_TEST

/* ---- threads ------------------------------------------------------------ */

#define THREADS 8
#define OPS_PER_THREAD 20000
#define KEY_SPACE 500

struct hammer_arg {
	struct cache *c;
	unsigned seed;
	unsigned hits, bad;
};

/* Each value is its key repeated, so a torn or crossed value is detectable. */
static size_t value_for(unsigned k, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "%u:%u:%u:%u", k, k, k, k);
	return (size_t)n;
}

static void *hammer(void *p)
{
	struct hammer_arg *a = p;
	char key[16], val[64];
	for (unsigned i = 0; i < OPS_PER_THREAD; i++) {
		a->seed = a->seed * 1103515245u + 12345u;
		unsigned k = (a->seed >> 8) % KEY_SPACE;
		int kl = snprintf(key, sizeof(key), "k%u", k);
		if ((a->seed >> 4) % 3 == 0) {
			size_t vl = value_for(k, val, sizeof(val));
			if (cache_put(a->c, key, (size_t)kl, val, vl, 30) != RELAYD_OK)
				a->bad++;
		} else {
			void *copy;
			size_t len;
			int rc = cache_get(a->c, key, (size_t)kl, &copy, &len);
			if (rc == RELAYD_OK) {
				size_t vl = value_for(k, val, sizeof(val));
				if (len != vl || memcmp(copy, val, vl) != 0)
					a->bad++;
				a->hits++;
				free(copy);
			} else if (rc != RELAYD_ENOTFOUND) {
				a->bad++;
			}
		}
	}
	return NULL;
}

static void run_hammer(struct cache *c)
{
	pthread_t th[THREADS];
	struct hammer_arg args[THREADS];
	for (unsigned i = 0; i < THREADS; i++) {
		args[i] = (struct hammer_arg){.c = c, .seed = i * 7919u + 1};
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, &args[i]), 0);
	}
	unsigned hits = 0;
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_uint_eq(args[i].bad, 0);
		hits += args[i].hits;
	}
	ck_assert_uint_gt(hits, 0);
}

START_TEST(many_threads_sharded)
{
	fake_now = 0;
	struct cache *c = cache_new(4096, 16u << 20, fake_clock);
	run_hammer(c);
	size_t e, b;
	cache_stats(c, &e, &b);
	ck_assert_uint_le(e, KEY_SPACE);
	cache_free(c);
}
END_TEST

START_TEST(many_threads_single_shard_with_eviction)
{
	fake_now = 0;
	/* Smaller than the key space: puts evict all the time. */
	struct cache *c = cache_new(100, 1500, fake_clock);
	run_hammer(c);
	size_t e, b;
	cache_stats(c, &e, &b);
	ck_assert_uint_le(e, 100);
	ck_assert_uint_le(b, 1500);
	cache_free(c);
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("single");
	tcase_add_test(tc, siphash_reference_vectors);
	tcase_add_test(tc, hit_and_miss);
	tcase_add_test(tc, binary_keys_and_values_are_copied);
	tcase_add_test(tc, expiry_boundary);
	tcase_add_test(tc, overwrite_replaces_value_and_restarts_ttl);
	tcase_add_test(tc, eviction_by_count_is_lru);
	tcase_add_test(tc, eviction_by_bytes);
	tcase_add_test(tc, bad_arguments);
	tcase_add_test(tc, get_into_uses_the_given_allocator);
	tcase_add_test(tc, large_cache_is_sharded_and_stays_within_limits);
	suite_add_tcase(s, tc);
	TCase *mt = tcase_create("threads");
	tcase_set_timeout(mt, 120);
	tcase_add_test(mt, many_threads_sharded);
	tcase_add_test(mt, many_threads_single_shard_with_eviction);
	suite_add_tcase(s, mt);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cache_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
