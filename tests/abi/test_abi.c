/* SPDX-License-Identifier: MIT */
/* ABI tests: relayd refuses each deliberately broken plugin with its one-line reason. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include <relayd/plugin.h>

#include "harness.h"

/* Each broken fixture, <name>.so in $ABI_PLUGIN_DIR, and the reason relayd
 * must give for refusing it (a substring of the log line and of /plugins). */
struct broken_case {
	const char *name;
	const char *reason; /* NULL: computed by expected_reason() */
};

static const struct broken_case broken_cases[] = {
	{ "bad_magic", "bad magic 0xdeadbeef, expected 0x52504c47" },
	{ "bad_major", "ABI major 2, host supports 1" },
	{ "newer_minor", "ABI minor 9 is newer than host 1.1" },
	{ "small_struct", NULL },
	{ "no_entry", "no symbol relayd_plugin_entry" },
	{ "null_entry", "entry returned NULL" },
	{ "init_fails", "init failed: " },
	/* The loader matches the descriptor's name against the section's before
	 * anything else, and a second [plugin.echo] is a config error, so a
	 * second "echo" is refused for the mismatch ("duplicate plugin name"
	 * cannot be reached through a config file). */
	{ "dup_name", "file declares plugin 'echo', section is [plugin.dup_name]" },
};
#define N_BROKEN (sizeof(broken_cases) / sizeof(broken_cases[0]))

static void expected_reason(const struct broken_case *c, char *out, size_t len)
{
	if (c->reason != NULL)
		snprintf(out, len, "%s", c->reason);
	else
		snprintf(out, len, "struct_size 16 smaller than ABI 1.0 (%zu)",
		         sizeof(struct relayd_plugin));
}

/* echo (good) first, then the broken one(s).
 * Caller frees. */
static char *config_with(const char *broken_sections)
{
	return harness_printf("[relayd]\n"
	                      "listen = 127.0.0.1:0\n"
	                      "workers = 1\n"
	                      "plugin_dir = %s\n"
	                      "\n"
	                      "[plugin.echo]\n"
	                      "path = %s/echo/echo.so\n"
	                      "auth = static\n"
	                      "\n"
	                      "%s",
	                      harness_env("ABI_PLUGIN_DIR"), harness_env("PLUGIN_DIR"),
	                      broken_sections);
}

static char *broken_section(const struct broken_case *c, bool required)
{
	return harness_printf("[plugin.%s]\n"
	                      "enabled = true\n"
	                      "auth = static\n"
	                      "required = %s\n"
	                      "\n",
	                      c->name, required ? "true" : "false");
}

/* The refusal is one stderr line naming the file and the reason. */
static void assert_refusal_logged(const char *err, const struct broken_case *c)
{
	char reason[256];
	char file[128];

	expected_reason(c, reason, sizeof(reason));
	snprintf(file, sizeof(file), "/%s.so", c->name);
	ck_assert_msg(harness_line_has(err, reason, file),
	              "no stderr line with both '%s' and '%s' in:\n%s", reason, file, err);
	ck_assert_msg(harness_line_has(err, reason, "plugin refused"),
	              "the line with '%s' does not say 'plugin refused':\n%s", reason, err);
}

static void assert_echo_serves(const struct harness_proc *p)
{
	json_t *body = NULL;
	json_t *want = json_pack("{s:s}", "greeting", "hello");
	long status = harness_get_json(p, "/echo/greeting", &body);

	ck_assert_int_eq(status, 200);
	ck_assert_msg(json_equal(body, want), "GET /echo/greeting body is not {\"greeting\":\"hello\"}");
	json_decref(body);
	json_decref(want);
}

static const json_t *find_plugin(const json_t *plugins, const char *key, const char *value)
{
	size_t i;
	const json_t *p;

	json_array_foreach(plugins, i, p) {
		if (json_is_string(json_object_get(p, key)) &&
		    strcmp(json_string_value(json_object_get(p, key)), value) == 0)
			return p;
	}
	return NULL;
}

/* The entry that is not the running echo (the broken plugin's). */
static const json_t *the_other_entry(const json_t *plugins)
{
	const json_t *echo = find_plugin(plugins, "state", "running");
	size_t i;
	const json_t *p;

	json_array_foreach(plugins, i, p) {
		if (p != echo)
			return p;
	}
	ck_abort_msg("/plugins has no entry besides the running echo");
	return NULL;
}

static void assert_echo_running(const json_t *plugins)
{
	const json_t *echo = find_plugin(plugins, "state", "running");

	ck_assert_msg(echo != NULL, "no plugin in state running");
	ck_assert_str_eq(json_string_value(json_object_get(echo, "name")), "echo");
	ck_assert_str_eq(json_string_value(json_object_get(echo, "version")), "1.2.3");
	ck_assert_msg(json_is_null(json_object_get(echo, "error")), "echo has an error");
}

static void assert_refused_entry(const json_t *entry, const struct broken_case *c)
{
	char reason[256];
	const char *error = json_string_value(json_object_get(entry, "error"));

	expected_reason(c, reason, sizeof(reason));
	ck_assert_str_eq(json_string_value(json_object_get(entry, "state")), "refused");
	ck_assert_msg(error != NULL && strstr(error, reason) != NULL,
	              "%s: /plugins error is '%s', expected it to contain '%s'", c->name,
	              error ? error : "(not a string)", reason);
}

/* An optional broken plugin: relayd runs, echo serves, /plugins says why. */
START_TEST(optional_broken_plugin_is_refused_and_echo_serves)
{
	const struct broken_case *c = &broken_cases[_i];
	char *section = broken_section(c, false);
	char *cfg = config_with(section);
	struct harness_proc *p = harness_relayd_start(cfg);
	json_t *body = NULL;
	const json_t *plugins;
	char *err;

	assert_echo_serves(p);
	ck_assert_int_eq(harness_get_json(p, "/plugins", &body), 200);
	plugins = json_object_get(body, "plugins");
	ck_assert_msg(json_is_array(plugins), "/plugins has no \"plugins\" array");
	ck_assert_uint_eq(json_array_size(plugins), 2);
	assert_echo_running(plugins);
	assert_refused_entry(the_other_entry(plugins), c);
	err = harness_proc_stderr(p);
	assert_refusal_logged(err, c);
	ck_assert_int_eq(harness_proc_stop(p, SIGTERM, HARNESS_STOP_TIMEOUT_MS), 0);

	free(err);
	json_decref(body);
	harness_proc_free(p);
	free(cfg);
	free(section);
}
END_TEST

/* A required broken plugin: relayd refuses to start, saying why in one line. */
START_TEST(required_broken_plugin_stops_startup)
{
	const struct broken_case *c = &broken_cases[_i];
	char *section = broken_section(c, true);
	char *cfg = config_with(section);
	struct harness_proc *p = NULL;
	int status = harness_relayd_run(cfg, NULL, &p);
	char *err = harness_proc_stderr(p);

	ck_assert_msg(status != 0, "%s: relayd exited 0 with a required broken plugin", c->name);
	ck_assert_msg(status < 128, "%s: relayd died of signal %d instead of exiting", c->name,
	              status - 128);
	assert_refusal_logged(err, c);

	free(err);
	harness_proc_free(p);
	free(cfg);
	free(section);
}
END_TEST

/* All eight at once: each gets its own entry and reason; echo still serves. */
START_TEST(all_broken_plugins_at_once)
{
	char *sections = strdup("");
	char *cfg;
	struct harness_proc *p;
	json_t *body = NULL;
	const json_t *plugins;
	char *err;

	for (size_t i = 0; i < N_BROKEN; i++) {
		char *one = broken_section(&broken_cases[i], false);
		char *both = harness_printf("%s%s", sections, one);

		free(sections);
		free(one);
		sections = both;
	}
	cfg = config_with(sections);
	p = harness_relayd_start(cfg);
	assert_echo_serves(p);
	ck_assert_int_eq(harness_get_json(p, "/plugins", &body), 200);
	plugins = json_object_get(body, "plugins");
	ck_assert_uint_eq(json_array_size(plugins), 1 + N_BROKEN);
	assert_echo_running(plugins);
	err = harness_proc_stderr(p);
	for (size_t i = 0; i < N_BROKEN; i++) {
		const struct broken_case *c = &broken_cases[i];
		char reason[256];
		const json_t *entry = NULL;
		size_t j;
		const json_t *e;

		/* Found by its reason, which is unique per case: dup_name's entry
		 * may carry the name it claims ("echo") rather than its section's. */
		expected_reason(c, reason, sizeof(reason));
		json_array_foreach(plugins, j, e) {
			const char *error = json_string_value(json_object_get(e, "error"));

			if (error != NULL && strstr(error, reason) != NULL)
				entry = e;
		}
		ck_assert_msg(entry != NULL, "no /plugins entry for %s", c->name);
		assert_refused_entry(entry, c);
		assert_refusal_logged(err, c);
	}
	ck_assert_int_eq(harness_proc_stop(p, SIGTERM, HARNESS_STOP_TIMEOUT_MS), 0);

	free(err);
	json_decref(body);
	harness_proc_free(p);
	free(cfg);
	free(sections);
}
END_TEST

static Suite *abi_suite(void)
{
	Suite *s = suite_create("abi");
	TCase *optional = tcase_create("optional");
	TCase *required = tcase_create("required");
	TCase *all = tcase_create("all");

	/* Generous: under valgrind each relayd start takes seconds. */
	tcase_set_timeout(optional, 120);
	tcase_set_timeout(required, 120);
	tcase_set_timeout(all, 120);
	harness_tcase_fixtures(optional);
	harness_tcase_fixtures(required);
	harness_tcase_fixtures(all);
	tcase_add_loop_test(optional, optional_broken_plugin_is_refused_and_echo_serves, 0,
	                    (int)N_BROKEN);
	tcase_add_loop_test(required, required_broken_plugin_stops_startup, 0, (int)N_BROKEN);
	tcase_add_test(all, all_broken_plugins_at_once);
	suite_add_tcase(s, optional);
	suite_add_tcase(s, required);
	suite_add_tcase(s, all);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(abi_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
