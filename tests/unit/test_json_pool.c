/* SPDX-License-Identifier: MIT */
/* Tests for host/src/json_pool.c: recycled blocks, free() compatibility, caps, threads. */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "json_pool.h"

static bool pool_on;

/* Installed once for the whole process, as relayd's main does; CK_FORK=no
 * is not assumed, so each test installs it in its own process too. */
static void setup(void)
{
	pool_on = json_pool_install();
}

START_TEST(freed_values_are_kept_and_reused)
{
	if (!pool_on)
		return; /* AddressSanitizer build: jansson stays on malloc */
	unsigned long before = json_pool_thread_cached();
	json_t *doc = json_pack("{s:s, s:i, s:[s, s]}", "a", "text", "b", 1, "c", "x", "y");
	json_decref(doc);
	unsigned long kept = json_pool_thread_cached();
	ck_assert_uint_gt(kept, before);
	/* The same shape again takes the kept blocks back. */
	doc = json_pack("{s:s, s:i, s:[s, s]}", "a", "text", "b", 1, "c", "x", "y");
	ck_assert_uint_lt(json_pool_thread_cached(), kept);
	char *text = json_dumps(doc, JSON_COMPACT);
	ck_assert_str_eq(text, "{\"a\":\"text\",\"b\":1,\"c\":[\"x\",\"y\"]}");
	free(text); /* jansson's text is an ordinary malloc block */
	json_decref(doc);
}
END_TEST

START_TEST(blocks_from_malloc_and_large_blocks_are_accepted)
{
	if (!pool_on)
		return;
	/* A string longer than any class: malloc'd and freed directly. */
	char big[4096];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	json_t *s = json_string(big);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(json_string_length(s), sizeof(big) - 1);
	json_decref(s);
}
END_TEST

START_TEST(a_burst_is_capped)
{
	if (!pool_on)
		return;
	json_t *arr = json_array();
	for (int i = 0; i < 50000; i++)
		json_array_append_new(arr, json_integer(i));
	json_decref(arr);
	/* 50,000 integers of one class: at most the class cap is kept. */
	ck_assert_uint_le(json_pool_thread_cached(), 4096u * 4 + 1024u * 11);
}
END_TEST

static void *build_in_thread(void *arg)
{
	unsigned long *kept = arg;
	json_t *doc = json_pack("{s:[i, i, i], s:s}", "n", 1, 2, 3, "s", "thread");
	json_decref(doc);
	*kept = json_pool_thread_cached();
	return NULL;
}

START_TEST(each_thread_has_its_own_lists)
{
	if (!pool_on)
		return;
	unsigned long mine = json_pool_thread_cached();
	unsigned long theirs = 0;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, build_in_thread, &theirs), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_gt(theirs, 0);
	ck_assert_uint_eq(json_pool_thread_cached(), mine);
}
END_TEST

static Suite *json_pool_suite(void)
{
	Suite *s = suite_create("json_pool");
	TCase *tc = tcase_create("pool");
	tcase_add_unchecked_fixture(tc, setup, NULL);
	tcase_add_test(tc, freed_values_are_kept_and_reused);
	tcase_add_test(tc, blocks_from_malloc_and_large_blocks_are_accepted);
	tcase_add_test(tc, a_burst_is_capped);
	tcase_add_test(tc, each_thread_has_its_own_lists);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_pool_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
