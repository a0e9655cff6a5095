/* SPDX-License-Identifier: MIT */
/* Tests for host/src/token_memo.c: exact-bytes hits, TTL, replacement, threads. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "token_memo.h"

#define T0 1000000

static const char token_a[] = "eyJhbGciOiJSUzI1NiJ9.eyJrZXkiOiJhIn0.c2lnbmF0dXJlLWEtYWFhYWFhYWFh";
static const char token_b[] = "eyJhbGciOiJSUzI1NiJ9.eyJrZXkiOiJiIn0.c2lnbmF0dXJlLWItYmJiYmJiYmJi";

static json_t *claims_of(const char *key)
{
	return json_pack("{s:s, s:i}", "key", key, "exp", 2000000000);
}

static void teardown(void)
{
	token_memo_clear();
}

START_TEST(a_put_token_is_found_with_everything_auth_needs)
{
	json_t *claims = claims_of("a");
	token_memo_put(token_a, strlen(token_a), "visibility.amp.cisco.com", "kid-1", 7, claims, T0);
	struct token_memo_hit hit;
	ck_assert(token_memo_get(token_a, strlen(token_a), T0 + 1, &hit));
	ck_assert_str_eq(hit.host, "visibility.amp.cisco.com");
	ck_assert_str_eq(hit.kid, "kid-1");
	ck_assert_uint_eq(hit.epoch, 7);
	ck_assert_ptr_eq(hit.claims, claims); /* shared, with a reference of its own */
	ck_assert_int_eq(claims->refcount, 3);
	json_decref(hit.claims);
	json_decref(claims);
}
END_TEST

START_TEST(only_the_exact_bytes_hit)
{
	json_t *claims = claims_of("a");
	token_memo_put(token_a, strlen(token_a), "h", NULL, 1, claims, T0);
	json_decref(claims);
	struct token_memo_hit hit;
	ck_assert(!token_memo_get(token_b, strlen(token_b), T0, &hit));
	/* A prefix, and the same bytes with one changed. */
	ck_assert(!token_memo_get(token_a, strlen(token_a) - 1, T0, &hit));
	char changed[sizeof(token_a)];
	memcpy(changed, token_a, sizeof(token_a));
	changed[25] ^= 1;
	ck_assert(!token_memo_get(changed, strlen(changed), T0, &hit));
	ck_assert(token_memo_get(token_a, strlen(token_a), T0, &hit));
	ck_assert_ptr_null(hit.kid);
	json_decref(hit.claims);
}
END_TEST

START_TEST(entries_expire_after_a_minute)
{
	json_t *claims = claims_of("a");
	token_memo_put(token_a, strlen(token_a), "h", "k", 1, claims, T0);
	json_decref(claims);
	struct token_memo_hit hit;
	ck_assert(token_memo_get(token_a, strlen(token_a), T0 + 59999, &hit));
	json_decref(hit.claims);
	ck_assert(!token_memo_get(token_a, strlen(token_a), T0 + 60000, &hit));
	/* Gone for good, not only hidden. */
	ck_assert(!token_memo_get(token_a, strlen(token_a), T0 + 1, &hit));
	/* A clock that went back is not trusted either. */
	claims = claims_of("a");
	token_memo_put(token_a, strlen(token_a), "h", "k", 1, claims, T0);
	json_decref(claims);
	ck_assert(!token_memo_get(token_a, strlen(token_a), T0 - 1, &hit));
}
END_TEST

START_TEST(a_new_put_replaces_and_releases)
{
	json_t *first = claims_of("a");
	json_t *second = claims_of("a2");
	token_memo_put(token_a, strlen(token_a), "h", "k", 1, first, T0);
	token_memo_put(token_a, strlen(token_a), "h", "k", 2, second, T0);
	ck_assert_int_eq(first->refcount, 1); /* the memo let go of the first */
	struct token_memo_hit hit;
	ck_assert(token_memo_get(token_a, strlen(token_a), T0, &hit));
	ck_assert_uint_eq(hit.epoch, 2);
	ck_assert_ptr_eq(hit.claims, second);
	json_decref(hit.claims);
	json_decref(first);
	json_decref(second);
}
END_TEST

START_TEST(many_tokens_never_grow_it_past_its_slots)
{
	/* 1,000 distinct tokens: each either hits with its own claims or misses. */
	char tok[64];
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(tok, sizeof(tok), "header.payload.signature-%06d", i);
		json_t *c = json_pack("{s:i}", "n", i);
		token_memo_put(tok, (size_t)n, "h", "k", 1, c, T0);
		json_decref(c);
	}
	int hits = 0;
	for (int i = 0; i < 1000; i++) {
		int n = snprintf(tok, sizeof(tok), "header.payload.signature-%06d", i);
		struct token_memo_hit hit;
		if (token_memo_get(tok, (size_t)n, T0, &hit)) {
			ck_assert_int_eq(json_integer_value(json_object_get(hit.claims, "n")), i);
			json_decref(hit.claims);
			hits++;
		}
	}
	ck_assert_int_gt(hits, 0);
	ck_assert_int_le(hits, 64);
}
END_TEST

static void *look_in_thread(void *arg)
{
	struct token_memo_hit hit;
	*(bool *)arg = token_memo_get(token_a, strlen(token_a), T0, &hit);
	return NULL;
}

START_TEST(each_thread_remembers_its_own)
{
	json_t *claims = claims_of("a");
	token_memo_put(token_a, strlen(token_a), "h", "k", 1, claims, T0);
	json_decref(claims);
	bool found = true;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, look_in_thread, &found), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert(!found);
}
END_TEST

static Suite *token_memo_suite(void)
{
	Suite *s = suite_create("token_memo");
	TCase *tc = tcase_create("memo");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, a_put_token_is_found_with_everything_auth_needs);
	tcase_add_test(tc, only_the_exact_bytes_hit);
	tcase_add_test(tc, entries_expire_after_a_minute);
	tcase_add_test(tc, a_new_put_replaces_and_releases);
	tcase_add_test(tc, many_tokens_never_grow_it_past_its_slots);
	tcase_add_test(tc, each_thread_remembers_its_own);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(token_memo_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
