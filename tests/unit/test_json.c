/* SPDX-License-Identifier: MIT */
/* Tests for sdk/src/json_read.c and json_write.c: the same trees, bytes and errors as jansson. */
#define _XOPEN_SOURCE 700
#include <check.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <relayd/json.h>
#include <relayd/status.h>

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

/* Both writers on one value: the same bytes, or both refuse. */
static void check_write_agrees(const json_t *json)
{
	char *want = json_dumps(json, DUMP_FLAGS);
	char *got = relayd_json_dumps(json);
	if (!want) {
		ck_assert_msg(got == NULL, "jansson refuses to write it, relayd wrote %s", got);
	} else {
		ck_assert_msg(got != NULL, "relayd refused to write %s", want);
		ck_assert_str_eq(got, want);
	}
	free(want);
	free(got);
}

/* Both readers on one text: the same tree (compared through jansson's own
 * writer, which keeps key order), or both fail with the same error. Returns
 * whether the text was accepted. */
static bool check_read_agrees(const char *text, size_t len, size_t flags)
{
	json_error_t want_err, got_err;
	json_t *want = json_loadb(text, len, flags, &want_err);
	json_t *got = relayd_json_loadb(text, len, flags, &got_err);
	ck_assert_msg((want == NULL) == (got == NULL), "jansson %s, relayd %s: %.*s",
	              want ? "accepts" : "refuses", got ? "accepts" : "refuses", (int)len, text);
	if (want) {
		char *a = json_dumps(want, DUMP_FLAGS);
		char *b = json_dumps(got, DUMP_FLAGS);
		ck_assert_ptr_nonnull(a);
		ck_assert_ptr_nonnull(b);
		ck_assert_str_eq(b, a);
		free(a);
		free(b);
		check_write_agrees(got);
	} else {
		ck_assert_str_eq(got_err.text, want_err.text);
		ck_assert_int_eq(got_err.line, want_err.line);
		ck_assert_int_eq(got_err.column, want_err.column);
		ck_assert_int_eq(got_err.position, want_err.position);
	}
	json_decref(want);
	json_decref(got);
	return want != NULL;
}

static bool read_agrees(const char *text, size_t flags)
{
	return check_read_agrees(text, strlen(text), flags);
}

/* ---- members-only reading ---------------------------------------------- */

/* Pulsedive's mapped members, and none at all. */
static const char *const keep_some[] = {"risk", "threats", "feeds", "type", "k", NULL};
static const char *const keep_none[] = {NULL};

/* What relayd_json_loadb_members must give: jansson's tree without the
 * top-level members outside @p keep. */
static json_t *load_then_drop(const char *text, size_t len, size_t flags,
                              const char *const *keep, json_error_t *err)
{
	json_t *doc = json_loadb(text, len, flags, err);
	if (!json_is_object(doc))
		return doc;
	const char *key;
	json_t *value;
	void *tmp;
	json_object_foreach_safe(doc, tmp, key, value) {
		bool kept = false;
		for (const char *const *k = keep; *k; k++)
			kept = kept || strcmp(*k, key) == 0;
		if (!kept)
			json_object_del(doc, key);
	}
	return doc;
}

/* The members reader against load_then_drop: the same tree, or the same
 * error. Returns whether the text was accepted. */
static bool check_members_agree(const char *text, size_t len, size_t flags,
                                const char *const *keep)
{
	json_error_t want_err, got_err;
	json_t *want = load_then_drop(text, len, flags, keep, &want_err);
	json_t *got = relayd_json_loadb_members(text, len, flags, keep, &got_err);
	ck_assert_msg((want == NULL) == (got == NULL), "members: jansson %s, relayd %s: %.*s",
	              want ? "accepts" : "refuses", got ? "accepts" : "refuses", (int)len, text);
	if (want) {
		char *a = json_dumps(want, DUMP_FLAGS);
		char *b = json_dumps(got, DUMP_FLAGS);
		ck_assert_msg(a && b && strcmp(a, b) == 0, "members of %.*s: got %s, want %s",
		              (int)len, text, b, a);
		free(a);
		free(b);
	} else {
		ck_assert_str_eq(got_err.text, want_err.text);
		ck_assert_int_eq(got_err.position, want_err.position);
	}
	json_decref(want);
	json_decref(got);
	return want != NULL;
}

/* ---- writer ----------------------------------------------------------- */

START_TEST(writes_compact_text_in_insertion_order)
{
	json_t *doc = json_pack("{s:i, s:[i, s, b, b, n], s:{}, s:[], s:s}", "z", 1, "a", -7,
	                        "x", 1, 0, "empty", "list", "last", "v");
	char *text = relayd_json_dumps(doc);
	ck_assert_str_eq(text, "{\"z\":1,\"a\":[-7,\"x\",true,false,null],\"empty\":{},"
	                       "\"list\":[],\"last\":\"v\"}");
	free(text);
	/* A replaced key keeps its place; a deleted one leaves the order. */
	json_object_set_new(doc, "a", json_integer(2));
	json_object_del(doc, "empty");
	json_object_set_new(doc, "new", json_true());
	check_write_agrees(doc);
	text = relayd_json_dumps(doc);
	ck_assert_str_eq(text, "{\"z\":1,\"a\":2,\"list\":[],\"last\":\"v\",\"new\":true}");
	free(text);
	json_decref(doc);
}
END_TEST

START_TEST(escapes_as_jansson_does)
{
	/* quote, backslash, short escapes, other controls as upper-case \u00XX,
	 * DEL and '/' as they are, UTF-8 (2, 3 and 4 bytes) as it is. */
	const char s[] = "q\"b\\\b\f\n\r\t\x01\x1f\x7f/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	json_t *str = json_stringn(s, sizeof(s) - 1);
	ck_assert_ptr_nonnull(str);
	char *text = relayd_json_dumps(str);
	ck_assert_str_eq(text, "\"q\\\"b\\\\\\b\\f\\n\\r\\t\\u0001\\u001F\x7f/"
	                       "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
	free(text);
	check_write_agrees(str);
	json_decref(str);
	/* An embedded NUL (json_stringn allows it) is \u0000. */
	json_t *nul = json_stringn("a\0b", 3);
	check_write_agrees(nul);
	text = relayd_json_dumps(nul);
	ck_assert_str_eq(text, "\"a\\u0000b\"");
	free(text);
	json_decref(nul);
	/* Keys are escaped the same way. */
	json_t *obj = json_pack("{s:i}", "k\"\n\xc3\xa9", 1);
	check_write_agrees(obj);
	json_decref(obj);
}
END_TEST

START_TEST(numbers_as_jansson_writes_them)
{
	const json_int_t ints[] = {0, 1, -1, 10, 1234567890123LL, LLONG_MAX, LLONG_MIN};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		json_t *j = json_integer(ints[i]);
		check_write_agrees(j);
		json_decref(j);
	}
	const double reals[] = {0.0, -0.0, 1.0, 0.1, -2.5e-7, 1e20, 1e300, 123456789.125};
	for (size_t i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		json_t *j = json_real(reals[i]);
		check_write_agrees(j);
		json_decref(j);
	}
	json_t *r = json_real(1e20);
	char *text = relayd_json_dumps(r);
	ck_assert_str_eq(text, "1e20");
	free(text);
	json_decref(r);
}
END_TEST

START_TEST(refuses_what_jansson_refuses)
{
	/* Invalid UTF-8 can only enter through the _nocheck constructors. */
	const char *bad[] = {"\xff", "a\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
	                     "\xe2\x82"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_string_nocheck(bad[i]);
		check_write_agrees(j);
		ck_assert_ptr_null(relayd_json_dumps(j));
		json_t *arr = json_pack("[o]", j);
		check_write_agrees(arr);
		json_decref(arr);
	}
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	ck_assert_int_eq(relayd_json_append(&b, NULL), RELAYD_EINVAL);
	relayd_strbuf_free(&b);
	ck_assert_ptr_null(relayd_json_dumps(NULL));
}
END_TEST

START_TEST(a_cycle_is_refused_not_followed)
{
	json_t *a = json_array();
	json_t *b = json_array();
	json_array_append(a, b);
	json_array_append(b, a);
	ck_assert_ptr_null(json_dumps(a, DUMP_FLAGS));
	ck_assert_ptr_null(relayd_json_dumps(a));
	json_array_clear(b); /* break the cycle so both can be freed */
	json_decref(a);
	json_decref(b);
}
END_TEST

START_TEST(append_adds_to_what_is_there)
{
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	relayd_strbuf_append_str(&b, "data: ");
	json_t *j = json_pack("{s:s}", "a", "b");
	ck_assert_int_eq(relayd_json_append(&b, j), RELAYD_OK);
	ck_assert_str_eq(b.data, "data: {\"a\":\"b\"}");
	json_decref(j);
	relayd_strbuf_free(&b);
}
END_TEST

/* ---- reader ----------------------------------------------------------- */

START_TEST(reads_documents_as_jansson_does)
{
	const char *ok[] = {
	    "{}", "[]", " \t\r\n[ ]\n", "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
	    "[0,-0,1,-1,123456789012345678,-123456789012345678]",
	    "[0.5,-0.0,1e5,1E+5,1e-5,2.5e-300,1e-400,123.456e7]",
	    "{\"a\":1,\"b\":2,\"a\":3}",                       /* last wins, first place */
	    "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]",                /* every short escape */
	    "[\"\\u0041\\u00e9\\u20AC\\uD83D\\uDE00\"]",        /* \u, incl. a pair */
	    "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]", /* raw UTF-8 */
	    "{\"k\\u00e9y\":\"v\",\"k\\ty\":[\"x\\ny\"]}",        /* escaped keys */
	    "[\"\x7f\"]",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(read_agrees(ok[i], 0), "should be accepted: %s", ok[i]);
}
END_TEST

START_TEST(refuses_with_jansson_errors)
{
	const char *bad[] = {
	    "", " ", "1", "\"s\"", "null", "[", "]", "[1,]", "[,1]", "{,}", "{\"a\" 1}",
	    "{\"a\":}", "{\"a\":1,}", "{1:2}", "[1 2]", "[] x", "[]]", "[01]", "[-]", "[-01]",
	    "[1.]", "[.5]", "[1e]", "[1e+]", "[+1]", "[truex]", "[nul]", "[True]",
	    "[9223372036854775808]", "[-9223372036854775809]", "[1e400]", "[-1e400]",
	    "[\"\\u0000\"]", "{\"\\u0000\":1}", "[\"\\uD800\"]", "[\"\\uD800\\u0041\"]",
	    "[\"\\uDC00\"]", "[\"\\uZZZZ\"]", "[\"\\u12\"]", "[\"\\x\"]", "[\"a\nb\"]",
	    "[\"a\tb\"]", "[\"\x01\"]", "[\"\xff\"]", "[\"\xc0\x80\"]", "[\"\xed\xa0\x80\"]",
	    "[\"\xf4\x90\x80\x80\"]", "[\"\xe2\x82\"]", "[\"abc", "[\"abc\\", "\xef\xbb\xbf[]",
	    "[1]\xff", "{\"a\":1", "[nan]", "[Infinity]", "[0x10]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!read_agrees(bad[i], 0), "should be refused: %s", bad[i]);
	/* A NUL byte inside the buffer. */
	ck_assert(!check_read_agrees("[1,\0 2]", 7, 0));
	ck_assert(!check_read_agrees("[\"a\0b\"]", 7, 0));
}
END_TEST

START_TEST(integer_edges)
{
	ck_assert(read_agrees("[9223372036854775807,-9223372036854775808]", 0));
	ck_assert(read_agrees("[999999999999999999,1000000000000000000]", 0));
	ck_assert(!read_agrees("[99999999999999999999]", 0));
}
END_TEST

START_TEST(decode_any_takes_scalars)
{
	const char *ok[] = {"1", " -2.5 ", "\"s\"", "null", "true", "false", "[]"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(read_agrees(ok[i], JSON_DECODE_ANY), "%s", ok[i]);
	ck_assert(!read_agrees("1 2", JSON_DECODE_ANY));
	ck_assert(!read_agrees("", JSON_DECODE_ANY));
	/* Other flags are jansson's: the same answers through the fallback. */
	ck_assert(!read_agrees("{\"a\":1,\"a\":2}", JSON_REJECT_DUPLICATES));
	ck_assert(!read_agrees("{\"a\":{\"b\":1,\"b\":1}}", JSON_REJECT_DUPLICATES));
	ck_assert(read_agrees("{\"a\":{\"a\":1},\"b\":{\"a\":1}}", JSON_REJECT_DUPLICATES));
	ck_assert(read_agrees("[1] x", JSON_DISABLE_EOF_CHECK));
	ck_assert(read_agrees("[\"a\\u0000b\"]", JSON_ALLOW_NUL));
}
END_TEST

static char *nested(int depth)
{
	char *s = malloc((size_t)depth * 2 + 1);
	memset(s, '[', (size_t)depth);
	memset(s + depth, ']', (size_t)depth);
	s[depth * 2] = '\0';
	return s;
}

START_TEST(deep_documents_agree)
{
	/* Deeper than the fast reader goes (jansson reads it), and deeper than
	 * jansson allows. */
	int depths[] = {255, 256, 257, 300, 2048, 2049, 5000};
	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		char *s = nested(depths[i]);
		check_read_agrees(s, strlen(s), 0);
		free(s);
	}
}
END_TEST

START_TEST(long_strings_and_keys)
{
	/* Escaped strings and keys longer than any small buffer. */
	size_t n = 5000;
	struct relayd_strbuf b = RELAYD_STRBUF_INIT;
	relayd_strbuf_append_str(&b, "{\"");
	for (size_t i = 0; i < n / 2; i++)
		relayd_strbuf_append_str(&b, "\\n");
	relayd_strbuf_append_str(&b, "\":[\"");
	for (size_t i = 0; i < n / 2; i++)
		relayd_strbuf_append_str(&b, "\\t");
	relayd_strbuf_append_str(&b, "\"]}");
	ck_assert_int_eq(b.status, RELAYD_OK);
	ck_assert(check_read_agrees(b.data, b.len, 0));
	relayd_strbuf_free(&b);
}
END_TEST

START_TEST(special_bytes_at_every_offset_of_a_word)
{
	/* The string scanners look at 8 bytes at a time: put each kind of byte
	 * they must stop at (and neighbours they must not) at every position. */
	static const char *const specials[] = {"\"", "\\", "\x01", "\x1f", " ", "\x7f", "!",
	                                       "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	                                       "\xff", "\xc3"};
	for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
		for (size_t at = 0; at < 20; at++) {
			char raw[64];
			size_t n = 0;
			for (size_t i = 0; i < at; i++)
				raw[n++] = 'a';
			memcpy(raw + n, specials[k], strlen(specials[k]));
			n += strlen(specials[k]);
			for (size_t i = 0; i < 11; i++)
				raw[n++] = 'b';
			/* As a value to write (invalid UTF-8 only via _nocheck)… */
			json_t *v = json_stringn_nocheck(raw, n);
			check_write_agrees(v);
			json_decref(v);
			/* …and as JSON text to read (control bytes make it invalid). */
			char doc[80];
			doc[0] = '[';
			doc[1] = '"';
			memcpy(doc + 2, raw, n);
			memcpy(doc + 2 + n, "\"]", 2);
			check_read_agrees(doc, n + 4, 0);
		}
	}
}
END_TEST

/* ---- every fixture the project has ------------------------------------ */

static int fixtures_read;

static int check_fixture(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	size_t len = strlen(path);
	if (type != FTW_F || len < 5 || strcmp(path + len - 5, ".json") != 0)
		return 0;
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s", path);
	char *text = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&text, &size);
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, mem);
	fclose(f);
	fclose(mem);
	check_read_agrees(text, size, 0);
	check_read_agrees(text, size, JSON_DECODE_ANY);
	check_members_agree(text, size, 0, keep_some);
	check_members_agree(text, size, JSON_DECODE_ANY, keep_none);
	free(text);
	fixtures_read++;
	return 0;
}

/* Python's bool() of every kind of json.loads() value. */
START_TEST(truthiness_is_pythons)
{
	const char *falsy[] = { "null", "false", "0", "0.0", "-0.0", "\"\"", "[]", "{}" };
	const char *truthy[] = { "true", "1", "-1", "0.5", "\"0\"", "\" \"", "[0]", "{\"a\":null}" };

	ck_assert(!relayd_json_truthy(NULL));
	for (size_t i = 0; i < sizeof(falsy) / sizeof(falsy[0]); i++) {
		json_t *v = json_loads(falsy[i], JSON_DECODE_ANY, NULL);
		ck_assert_ptr_nonnull(v);
		ck_assert_msg(!relayd_json_truthy(v), "%s is truthy", falsy[i]);
		json_decref(v);
	}
	for (size_t i = 0; i < sizeof(truthy) / sizeof(truthy[0]); i++) {
		json_t *v = json_loads(truthy[i], JSON_DECODE_ANY, NULL);
		ck_assert_ptr_nonnull(v);
		ck_assert_msg(relayd_json_truthy(v), "%s is falsy", truthy[i]);
		json_decref(v);
	}
}
END_TEST

/* Whatever a skipped member holds, the document is refused exactly when
 * jansson refuses it, with jansson's error. */
START_TEST(skipped_members_are_still_checked)
{
	const char *values[] = {
	    "[1,]", "[,1]", "{,}", "{\"a\" 1}", "{\"a\":}", "{\"a\":1,}", "{1:2}", "[1 2]",
	    "[01]", "[-]", "[1.]", "[.5]", "[1e]", "[+1]", "[truex]", "[nul]", "[True]",
	    "[9223372036854775808]", "[1e400]", "\"\\u0000\"", "{\"\\u0000\":1}",
	    "\"\\uD800\"", "\"\\uZZZZ\"", "\"a\nb\"", "\"\xff\"", "\"\xc0\x80\"",
	    "\"abc", "[nan]", "[0x10]", "tru", "-", "1.5e3", "[[[[[]]]]]",
	    "{\"x\":[1,{\"y\":\"\\u00e9\\n\"}],\"z\":null}", "\"caf\xc3\xa9\"",
	    "-0.25", "true", "9223372036854775807",
	};
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char *skipped = NULL, *kept = NULL;
		ck_assert_int_ge(asprintf(&skipped, "{\"k\":1,\"skip\":%s,\"risk\":\"low\"}", values[i]), 0);
		ck_assert_int_ge(asprintf(&kept, "{\"skip\":0,\"k\":%s}", values[i]), 0);
		check_members_agree(skipped, strlen(skipped), 0, keep_some);
		check_members_agree(kept, strlen(kept), 0, keep_some);
		check_members_agree(skipped, strlen(skipped), JSON_DECODE_ANY, keep_none);
		free(skipped);
		free(kept);
	}
	/* nesting past the fast reader's depth inside a skipped member */
	char deep[3000];
	size_t n = 0;
	n += (size_t)snprintf(deep, sizeof deep, "{\"skip\":");
	for (int i = 0; i < 1200; i++)
		deep[n++] = '[';
	for (int i = 0; i < 1200; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	ck_assert(check_members_agree(deep, n, 0, keep_some));
}
END_TEST

START_TEST(members_edges)
{
	/* last duplicate wins among kept members, as everywhere */
	const char *dup_kept = "{\"risk\":1,\"x\":2,\"risk\":3}";
	ck_assert(check_members_agree(dup_kept, strlen(dup_kept), 0, keep_some));
	/* JSON_REJECT_DUPLICATES still sees duplicates among skipped members */
	const char *dup_top = "{\"x\":1,\"x\":2}";
	const char *dup_inner = "{\"x\":{\"a\":1,\"a\":2}}";
	ck_assert(!check_members_agree(dup_top, strlen(dup_top), JSON_REJECT_DUPLICATES, keep_some));
	ck_assert(!check_members_agree(dup_inner, strlen(dup_inner), JSON_REJECT_DUPLICATES,
	                               keep_some));
	ck_assert(check_members_agree(dup_top, strlen(dup_top), 0, keep_some));
	/* a top-level value that is not an object comes back whole */
	ck_assert(check_members_agree("[1,{\"x\":2}]", strlen("[1,{\"x\":2}]"), 0, keep_none));
	ck_assert(check_members_agree("\"s\"", 3, JSON_DECODE_ANY, keep_none));
	/* keep NULL is relayd_json_loadb */
	json_t *all = relayd_json_loadb_members("{\"a\":1,\"b\":2}", strlen("{\"a\":1,\"b\":2}"), 0,
	                                        NULL, NULL);
	ck_assert_uint_eq(json_object_size(all), 2);
	json_decref(all);
}
END_TEST

static size_t allocations;
static void *counting_malloc(size_t n)
{
	allocations++;
	return malloc(n);
}

/* Skipped members cost no jansson allocation at all. */
START_TEST(skipped_members_are_not_built)
{
	char big[8192];
	size_t n = (size_t)snprintf(big, sizeof big, "{\"risk\":\"low\",\"properties\":{");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(big + n, sizeof big - n, "%s\"p%d\":[\"v%d\",%d,{\"q\":null}]",
		                      i ? "," : "", i, i, i);
	n += (size_t)snprintf(big + n, sizeof big - n, "},\"comments\":[\"a\",\"b\"]}");
	ck_assert_uint_lt(n, sizeof big);

	json_set_alloc_funcs(counting_malloc, free);
	allocations = 0;
	const char *small_text = "{\"risk\":\"low\"}";
	json_t *small = relayd_json_loadb(small_text, strlen(small_text), 0, NULL);
	size_t want = allocations;
	allocations = 0;
	json_t *got = relayd_json_loadb_members(big, n, 0, keep_some, NULL);
	size_t used = allocations;
	json_set_alloc_funcs(malloc, free);

	ck_assert_ptr_nonnull(small);
	ck_assert_ptr_nonnull(got);
	ck_assert(json_equal(small, got));
	ck_assert_uint_eq(used, want);
	json_decref(small);
	json_decref(got);
}
END_TEST

START_TEST(every_fixture_reads_and_writes_the_same)
{
	const char *dir = getenv("FIXTURES_DIR");
	ck_assert_msg(dir && *dir, "FIXTURES_DIR is not set");
	fixtures_read = 0;
	ck_assert_int_eq(nftw(dir, check_fixture, 16, FTW_PHYS), 0);
	ck_assert_int_gt(fixtures_read, 50);
}
END_TEST

static Suite *json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("write");
	tcase_add_test(tc, writes_compact_text_in_insertion_order);
	tcase_add_test(tc, escapes_as_jansson_does);
	tcase_add_test(tc, numbers_as_jansson_writes_them);
	tcase_add_test(tc, refuses_what_jansson_refuses);
	tcase_add_test(tc, a_cycle_is_refused_not_followed);
	tcase_add_test(tc, append_adds_to_what_is_there);
	suite_add_tcase(s, tc);
	tc = tcase_create("read");
	tcase_add_test(tc, reads_documents_as_jansson_does);
	tcase_add_test(tc, refuses_with_jansson_errors);
	tcase_add_test(tc, integer_edges);
	tcase_add_test(tc, decode_any_takes_scalars);
	tcase_add_test(tc, deep_documents_agree);
	tcase_add_test(tc, long_strings_and_keys);
	tcase_add_test(tc, special_bytes_at_every_offset_of_a_word);
	tcase_add_test(tc, truthiness_is_pythons);
	suite_add_tcase(s, tc);
	tc = tcase_create("fixtures");
	tcase_add_test(tc, skipped_members_are_still_checked);
	tcase_add_test(tc, members_edges);
	tcase_add_test(tc, skipped_members_are_not_built);
	tcase_add_test(tc, every_fixture_reads_and_writes_the_same);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(json_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
