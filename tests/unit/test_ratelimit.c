/* SPDX-License-Identifier: MIT */
/* Unit tests for ratelimit.c: burst, steady rate, reservations, deadlines, key isolation, expiry. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"

#define NO_DEADLINE INT64_MAX

static int64_t take(struct ratelimit *rl, const char *key, int64_t now)
{
	return ratelimit_reserve(rl, key, now, NO_DEADLINE);
}

START_TEST(burst_then_spaced_reservations)
{
	struct ratelimit *rl = ratelimit_new(10, 3); /* one token per 100 ms */
	ck_assert_ptr_nonnull(rl);
	int64_t t = 1700000000000; /* epoch-sized ms values */
	ck_assert_int_eq(take(rl, "k", t), 0);
	ck_assert_int_eq(take(rl, "k", t), 0);
	ck_assert_int_eq(take(rl, "k", t), 0);
	ck_assert_int_eq(take(rl, "k", t), 100);
	ck_assert_int_eq(take(rl, "k", t), 200);
	ck_assert_int_eq(take(rl, "k", t), 300);
	/* 50 ms later the next free token is 350 ms away (the reservations
	 * above hold the ones at +100, +200, +300). */
	ck_assert_int_eq(take(rl, "k", t + 50), 350);
	ratelimit_free(rl);
}
END_TEST

START_TEST(steady_rate_needs_no_wait)
{
	struct ratelimit *rl = ratelimit_new(10, 1);
	for (int64_t t = 0; t < 10000; t += 100)
		ck_assert_int_eq(take(rl, "k", t), 0);
	/* Early by 40 ms: wait exactly 40. */
	ck_assert_int_eq(take(rl, "k", 10000), 0);
	ck_assert_int_eq(take(rl, "k", 10060), 40);
	ratelimit_free(rl);
}
END_TEST

START_TEST(bucket_refills_after_idle)
{
	struct ratelimit *rl = ratelimit_new(10, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(take(rl, "k", 0), 0);
	ck_assert_int_eq(take(rl, "k", 0), 100);
	/* Partly refilled: by 250 one token has come back (the bucket would be
	 * full at 400), so one is free now and the next is 50 ms away. */
	ck_assert_int_eq(take(rl, "k", 250), 0);
	ck_assert_int_eq(take(rl, "k", 250), 50);
	/* Full again long after. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(take(rl, "k", 5000), 0);
	ck_assert_int_eq(take(rl, "k", 5000), 100);
	ratelimit_free(rl);
}
END_TEST

START_TEST(reservation_spacing_with_burst_one)
{
	struct ratelimit *rl = ratelimit_new(4, 1); /* 250 ms */
	int64_t want[] = {0, 250, 500, 750, 1000};
	for (size_t i = 0; i < 5; i++)
		ck_assert_int_eq(take(rl, "k", 1000), want[i]);
	ratelimit_free(rl);
}
END_TEST

START_TEST(deadline_refusal_reserves_nothing)
{
	struct ratelimit *rl = ratelimit_new(1, 1); /* one per second */
	ck_assert_int_eq(ratelimit_reserve(rl, "k", 0, 500), 0);
	ck_assert_int_eq(ratelimit_reserve(rl, "k", 0, 500), -1);
	ck_assert_int_eq(ratelimit_reserve(rl, "k", 0, 999), -1);
	/* The refusals took nothing: the next token is still at +1000, and a
	 * deadline exactly there is enough. */
	ck_assert_int_eq(ratelimit_reserve(rl, "k", 0, 1000), 1000);
	ck_assert_int_eq(ratelimit_reserve(rl, "k", 0, NO_DEADLINE), 2000);
	/* A deadline already past refuses any wait... */
	ck_assert_int_eq(ratelimit_reserve(rl, "k", 10, 5), -1);
	ratelimit_free(rl);
	/* ...but a token available now is granted whatever the deadline. */
	rl = ratelimit_new(1, 1);
	ck_assert_int_eq(ratelimit_reserve(rl, "k", 10, 5), 0);
	ratelimit_free(rl);
}
END_TEST

START_TEST(keys_are_independent)
{
	struct ratelimit *rl = ratelimit_new(10, 2);
	ck_assert_int_eq(take(rl, "alice", 0), 0);
	ck_assert_int_eq(take(rl, "alice", 0), 0);
	ck_assert_int_eq(take(rl, "alice", 0), 100);
	ck_assert_int_eq(take(rl, "bob", 0), 0);
	ck_assert_int_eq(take(rl, "bob", 0), 0);
	ck_assert_int_eq(take(rl, "Alice", 0), 0); /* case matters: a different key */
	ck_assert_int_eq(take(rl, "", 0), 0);
	ck_assert_int_eq(take(rl, NULL, 0), 0);   /* NULL is "" */
	ck_assert_int_eq(take(rl, "", 0), 100);
	ck_assert_uint_eq(ratelimit_key_count(rl), 4);
	ratelimit_free(rl);
}
END_TEST

START_TEST(rate_zero_is_unlimited)
{
	struct ratelimit *rl = ratelimit_new(0, 0);
	ck_assert_ptr_nonnull(rl);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(ratelimit_reserve(rl, "k", 0, 0), 0);
	ck_assert_uint_eq(ratelimit_key_count(rl), 0);
	ratelimit_free(rl);
}
END_TEST

START_TEST(odd_arguments)
{
	ck_assert_ptr_null(ratelimit_new(-1, 1));
	ck_assert_ptr_null(ratelimit_new(1.0 / 0.0, 1));
	ck_assert_ptr_null(ratelimit_new(0.0 / 0.0, 1));
	ck_assert_int_eq(ratelimit_reserve(NULL, "k", 0, NO_DEADLINE), -1);
	ck_assert_uint_eq(ratelimit_key_count(NULL), 0);
	ratelimit_free(NULL);
	/* burst 0 counts as 1 */
	struct ratelimit *rl = ratelimit_new(10, 0);
	ck_assert_int_eq(take(rl, "k", 0), 0);
	ck_assert_int_eq(take(rl, "k", 0), 100);
	ratelimit_free(rl);
	/* Fractional and non-dividing rates: waits round up to whole ms. */
	rl = ratelimit_new(0.5, 1);
	ck_assert_int_eq(take(rl, "k", 0), 0);
	ck_assert_int_eq(take(rl, "k", 0), 2000);
	ratelimit_free(rl);
	rl = ratelimit_new(3, 1); /* 333.33 ms */
	ck_assert_int_eq(take(rl, "k", 0), 0);
	ck_assert_int_eq(take(rl, "k", 0), 334);
	ck_assert_int_eq(take(rl, "k", 0), 667);
	ck_assert_int_eq(take(rl, "k", 0), 1000);
	ratelimit_free(rl);
}
END_TEST

START_TEST(idle_keys_expire)
{
	struct ratelimit *rl = ratelimit_new(10, 1); /* state lives 100 ms */
	char key[32];
	size_t max_seen = 0;
	for (int64_t i = 0; i < 200000; i++) {
		snprintf(key, sizeof(key), "api-key-%lld", (long long)i);
		ck_assert_int_eq(take(rl, key, i), 0);
		size_t n = ratelimit_key_count(rl);
		if (n > max_seen)
			max_seen = n;
	}
	/* At most ~100 keys are busy at any ms; the table never holds more
	 * than a small multiple of that. */
	printf("idle_keys_expire: at most %zu keys tracked\n", max_seen);
	ck_assert_uint_le(max_seen, 512);
	/* Keys whose buckets are full again are forgotten without changing results. */
	ck_assert_int_eq(take(rl, "api-key-0", 200000), 0);
	ratelimit_free(rl);
}
END_TEST

#define THREADS 8
#define PER_THREAD 1000

struct worker {
	struct ratelimit *rl;
	int64_t waits[PER_THREAD];
};

static void *reserve_many(void *p)
{
	struct worker *w = p;
	for (int i = 0; i < PER_THREAD; i++)
		w->waits[i] = ratelimit_reserve(w->rl, "shared", 1000, NO_DEADLINE);
	return NULL;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* 8000 concurrent reservations on one key must get 8000 distinct slots:
 * 0, 100, 200, ... (no lost updates). */
START_TEST(threads_get_distinct_slots)
{
	static struct worker w[THREADS];
	static int64_t all[THREADS * PER_THREAD];
	struct ratelimit *rl = ratelimit_new(10, 1);
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++) {
		w[i].rl = rl;
		ck_assert_int_eq(pthread_create(&th[i], NULL, reserve_many, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		memcpy(all + i * PER_THREAD, w[i].waits, sizeof(w[i].waits));
	}
	qsort(all, THREADS * PER_THREAD, sizeof(all[0]), cmp_i64);
	for (int i = 0; i < THREADS * PER_THREAD; i++)
		ck_assert_int_eq(all[i], (int64_t)i * 100);
	ratelimit_free(rl);
}
END_TEST

static Suite *ratelimit_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("buckets");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, burst_then_spaced_reservations);
	tcase_add_test(tc, steady_rate_needs_no_wait);
	tcase_add_test(tc, bucket_refills_after_idle);
	tcase_add_test(tc, reservation_spacing_with_burst_one);
	tcase_add_test(tc, deadline_refusal_reserves_nothing);
	tcase_add_test(tc, keys_are_independent);
	tcase_add_test(tc, rate_zero_is_unlimited);
	tcase_add_test(tc, odd_arguments);
	tcase_add_test(tc, idle_keys_expire);
	tcase_add_test(tc, threads_get_distinct_slots);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ratelimit_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
