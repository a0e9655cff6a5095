/* SPDX-License-Identifier: MIT */
/* Unit tests for host/src/ini.c: syntax, comments, line numbers, errors. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <relayd/status.h>

#include "ini.h"

/* Records every callback as one "line|section|key|value" row. */
struct record {
	char text[8192];
	int stop_at_line; /* return stop_code from the callback on this line */
	int stop_code;
};

static void append(struct record *r, const char *row)
{
	size_t n = strlen(r->text);
	snprintf(r->text + n, sizeof(r->text) - n, "%s\n", row);
}

static int rec_section(void *user, const char *section, int line)
{
	struct record *r = user;
	char row[256];
	snprintf(row, sizeof(row), "%d|[%s]", line, section);
	append(r, row);
	return line == r->stop_at_line ? r->stop_code : 0;
}

static int rec_entry(void *user, const char *section, const char *key, const char *value,
                     int line)
{
	struct record *r = user;
	char row[512];
	snprintf(row, sizeof(row), "%d|%s|%s|%s", line, section, key, value);
	append(r, row);
	return line == r->stop_at_line ? r->stop_code : 0;
}

static int parse(const char *text, struct record *r, int *line, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	return ini_parse_buffer(text, strlen(text), rec_section, rec_entry, r, line, err, errlen);
}

static void expect_ok(const char *text, const char *rows)
{
	struct record r;
	char err[256];
	int line = -1;
	int rc = parse(text, &r, &line, err, sizeof(err));
	ck_assert_msg(rc == 0, "rc %d err '%s' for:\n%s", rc, err, text);
	ck_assert_int_eq(line, 0);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(r.text, rows);
}

static void expect_error(const char *text, int want_line, const char *want_err)
{
	struct record r;
	char err[256];
	int line = -1;
	int rc = parse(text, &r, &line, err, sizeof(err));
	ck_assert_int_eq(rc, RELAYD_EINVAL);
	ck_assert_int_eq(line, want_line);
	ck_assert_str_eq(err, want_err);
}

START_TEST(sections_keys_and_trimming)
{
	expect_ok("# leading comment\n"
	          "; another\n"
	          "\n"
	          "[relayd]\n"
	          "  listen   =   127.0.0.1:9090  \n"
	          "\tworkers=4\t\n"
	          "   # indented comment\n"
	          "[plugin.pulsedive]\n"
	          "base_url = https://pulsedive.com/api\n"
	          "empty =\n"
	          "eq = a=b=c\n",
	          "4|[relayd]\n"
	          "5|relayd|listen|127.0.0.1:9090\n"
	          "6|relayd|workers|4\n"
	          "8|[plugin.pulsedive]\n"
	          "9|plugin.pulsedive|base_url|https://pulsedive.com/api\n"
	          "10|plugin.pulsedive|empty|\n"
	          "11|plugin.pulsedive|eq|a=b=c\n");
}
END_TEST

START_TEST(crlf_bom_and_no_final_newline)
{
	expect_ok("\xEF\xBB\xBF[s]\r\nk = v\r\n\r\nlast = x",
	          "1|[s]\n2|s|k|v\n4|s|last|x\n");
	/* an empty value on the last byte (ASan: no read past the copy) */
	expect_ok("[s]\nk =", "1|[s]\n2|s|k|\n");
	expect_ok("[s]\nk =\t", "1|[s]\n2|s|k|\n");
	expect_ok("", "");
	expect_ok("\n\n\n", "");
}
END_TEST

START_TEST(inline_comments)
{
	expect_ok("[s]\n"
	          "a = b # note\n"
	          "b = b;c\n"
	          "c = b\t; note\n"
	          "d=#x\n"
	          "e = #x\n"
	          "f = http://h/p#frag\n"
	          "g = x ## y\n"
	          "[t] # trailing comment\n"
	          "[u];x\n",
	          "1|[s]\n"
	          "2|s|a|b\n"
	          "3|s|b|b;c\n"
	          "4|s|c|b\n"
	          "5|s|d|#x\n"
	          "6|s|e|\n"
	          "7|s|f|http://h/p#frag\n"
	          "8|s|g|x\n"
	          "9|[t]\n"
	          "10|[u]\n");
}
END_TEST

START_TEST(same_key_in_two_sections_is_fine)
{
	expect_ok("[a]\nk = 1\n[b]\nk = 2\n", "1|[a]\n2|a|k|1\n3|[b]\n4|b|k|2\n");
}
END_TEST

START_TEST(duplicate_key)
{
	expect_error("[relayd]\nworkers = 1\n\nworkers = 2\n", 4,
	             "duplicate key 'workers' in [relayd] (first set on line 2)");
}
END_TEST

START_TEST(duplicate_section)
{
	expect_error("[a]\nk = 1\n[b]\n[a]\n", 4, "duplicate section [a] (first on line 1)");
}
END_TEST

START_TEST(key_outside_section)
{
	expect_error("# c\nlisten = x\n[relayd]\n", 2, "key 'listen' outside any section");
}
END_TEST

START_TEST(malformed_lines)
{
	expect_error("[s]\nthis is not a pair\n", 2,
	             "malformed line 'this is not a pair' (expected 'key = value', '[section]' or a "
	             "comment)");
	expect_error("[s]\n= v\n", 2, "missing key before '='");
	expect_error("[s]\nbad key = v\n", 2, "invalid key 'bad key' (expected [A-Za-z0-9_.-]+)");
	expect_error("[s\n", 1, "malformed section header '[s' (missing ']')");
	expect_error("[]\n", 1, "invalid section name '' (expected [A-Za-z0-9_.-]+)");
	expect_error("[a b]\n", 1, "invalid section name 'a b' (expected [A-Za-z0-9_.-]+)");
	expect_error("[a] x\n", 1, "unexpected text 'x' after section header");
	expect_error("[s]\nk = v\n\x01\x02\n", 3,
	             "malformed line '?\?' (expected 'key = value', '[section]' or a comment)");
}
END_TEST

START_TEST(nul_byte)
{
	static const char text[] = "[s]\nk = v\0w\n";
	struct record r = {0};
	char err[128];
	int line = 0;
	int rc = ini_parse_buffer(text, sizeof(text) - 1, rec_section, rec_entry, &r, &line, err,
	                          sizeof(err));
	ck_assert_int_eq(rc, RELAYD_EINVAL);
	ck_assert_int_eq(line, 2);
	ck_assert_str_eq(err, "line contains a NUL byte");
}
END_TEST

START_TEST(long_lines)
{
	size_t n = INI_MAX_LINE;
	char *text = malloc(n + 64);
	ck_assert_ptr_nonnull(text);
	/* exactly INI_MAX_LINE bytes: accepted, even with a CR after it */
	size_t used = (size_t)snprintf(text, 16, "[s]\nk = ");
	memset(text + used, 'v', n - 4);
	used += n - 4;
	memcpy(text + used, "\r\n", 3);
	struct record *r = calloc(1, sizeof(*r));
	char err[128];
	int line = -1;
	int rc = ini_parse_buffer(text, strlen(text), NULL, NULL, r, &line, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	/* one byte more: rejected with its line */
	text[used] = 'v';
	memcpy(text + used + 1, "\n[t]\n", 6);
	rc = ini_parse_buffer(text, strlen(text), NULL, NULL, r, &line, err, sizeof(err));
	ck_assert_int_eq(rc, RELAYD_EINVAL);
	ck_assert_int_eq(line, 2);
	ck_assert_str_eq(err, "line too long (over 65536 bytes)");
	free(r);
	free(text);
}
END_TEST

START_TEST(callback_stops_parsing)
{
	struct record r;
	char err[64] = "junk";
	int line = 0;
	memset(&r, 0, sizeof(r));
	r.stop_at_line = 3;
	r.stop_code = RELAYD_ENOTFOUND;
	const char *text = "[s]\na = 1\nb = 2\nc = 3\n";
	int rc = ini_parse_buffer(text, strlen(text), rec_section, rec_entry, &r, &line, err,
	                          sizeof(err));
	ck_assert_int_eq(rc, RELAYD_ENOTFOUND);
	ck_assert_int_eq(line, 3);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(r.text, "1|[s]\n2|s|a|1\n3|s|b|2\n");

	memset(&r, 0, sizeof(r));
	r.stop_at_line = 1;
	r.stop_code = RELAYD_EINVAL;
	rc = ini_parse_buffer(text, strlen(text), rec_section, rec_entry, &r, &line, err,
	                      sizeof(err));
	ck_assert_int_eq(rc, RELAYD_EINVAL);
	ck_assert_int_eq(line, 1);
	ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(null_outputs_and_callbacks)
{
	ck_assert_int_eq(ini_parse_buffer("[s]\nk=v\n", 8, NULL, NULL, NULL, NULL, NULL, 0), 0);
	ck_assert_int_eq(ini_parse_buffer("k=v\n", 4, NULL, NULL, NULL, NULL, NULL, 0),
	                 RELAYD_EINVAL);
	ck_assert_int_eq(ini_parse_buffer(NULL, 0, NULL, NULL, NULL, NULL, NULL, 0), 0);
}
END_TEST

START_TEST(many_keys_grow_the_duplicate_set)
{
	enum { N = 3000 };
	char *text = malloc((size_t)N * 24 + 64);
	ck_assert_ptr_nonnull(text);
	size_t used = (size_t)snprintf(text, 16, "[s]\n");
	for (int i = 0; i < N; i++)
		used += (size_t)snprintf(text + used, 24, "key%d = %d\n", i, i);
	char err[128];
	int line = -1;
	ck_assert_int_eq(ini_parse_buffer(text, used, NULL, NULL, NULL, &line, err, sizeof(err)), 0);
	used += (size_t)snprintf(text + used, 24, "key1234 = x\n");
	ck_assert_int_eq(ini_parse_buffer(text, used, NULL, NULL, NULL, &line, err, sizeof(err)),
	                 RELAYD_EINVAL);
	ck_assert_int_eq(line, N + 2);
	ck_assert_str_eq(err, "duplicate key 'key1234' in [s] (first set on line 1236)");
	free(text);
}
END_TEST

START_TEST(excerpt)
{
	char buf[80];
	ini_excerpt(buf, sizeof(buf), "plain");
	ck_assert_str_eq(buf, "plain");
	ini_excerpt(buf, sizeof(buf), "a\tb\x7f\xc3\xa9");
	ck_assert_str_eq(buf, "a?b?\?\?");
	char long_text[100];
	memset(long_text, 'x', 99);
	long_text[99] = '\0';
	ini_excerpt(buf, sizeof(buf), long_text);
	ck_assert_uint_eq(strlen(buf), 63);
	ck_assert_str_eq(buf + 60, "...");
	char tiny[8];
	ini_excerpt(tiny, sizeof(tiny), "abcdefghijk");
	ck_assert_str_eq(tiny, "abcd...");
	ini_excerpt(tiny, 1, "abc");
	ck_assert_str_eq(tiny, "");
}
END_TEST

static Suite *ini_suite(void)
{
	Suite *s = suite_create("ini");
	TCase *ok = tcase_create("accepted");
	tcase_add_test(ok, sections_keys_and_trimming);
	tcase_add_test(ok, crlf_bom_and_no_final_newline);
	tcase_add_test(ok, inline_comments);
	tcase_add_test(ok, same_key_in_two_sections_is_fine);
	tcase_add_test(ok, null_outputs_and_callbacks);
	tcase_add_test(ok, excerpt);
	suite_add_tcase(s, ok);
	TCase *bad = tcase_create("errors");
	tcase_add_test(bad, duplicate_key);
	tcase_add_test(bad, duplicate_section);
	tcase_add_test(bad, key_outside_section);
	tcase_add_test(bad, malformed_lines);
	tcase_add_test(bad, nul_byte);
	tcase_add_test(bad, long_lines);
	tcase_add_test(bad, callback_stops_parsing);
	tcase_add_test(bad, many_keys_grow_the_duplicate_set);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ini_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
