/* SPDX-License-Identifier: MIT */
/* Loads the built threatstack_s3.so as the host would and checks its descriptor, schema and routes. */
#include <dlfcn.h>

#include <relayd/plugin.h>

#include "ts_test_util.h"

static const struct relayd_plugin *load(void **handle)
{
	const char *path = getenv("TS_PLUGIN_SO");
	ck_assert_msg(path != NULL, "TS_PLUGIN_SO is not set");
	*handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(*handle != NULL, "dlopen: %s", dlerror());
	relayd_plugin_entry_fn entry = (relayd_plugin_entry_fn)dlsym(*handle, RELAYD_ENTRY_SYMBOL);
	ck_assert_ptr_nonnull(entry);
	return entry(RELAYD_ABI_MAJOR, RELAYD_ABI_MINOR);
}

START_TEST(descriptor_is_complete)
{
	void *h;
	const struct relayd_plugin *d = load(&h);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->magic, RELAYD_PLUGIN_MAGIC);
	ck_assert_uint_eq(d->abi_major, RELAYD_ABI_MAJOR);
	ck_assert_uint_eq(d->abi_minor, RELAYD_ABI_MINOR);
	ck_assert_uint_eq(d->struct_size, sizeof(struct relayd_plugin));
	ck_assert_str_eq(d->name, "threatstack_s3");
	ck_assert_str_eq(d->version, "1.0.0");
	ck_assert_ptr_nonnull(d->description);
	ck_assert_int_eq(d->envelope, RELAYD_ENVELOPE_SUCCESS);
	ck_assert_ptr_nonnull(d->init);
	ck_assert_ptr_nonnull(d->fini);
	ck_assert_ptr_null(d->observe);
	ck_assert_ptr_null(d->refer);
	ck_assert_ptr_null(d->health);
	/* a host of another major is refused */
	relayd_plugin_entry_fn entry = (relayd_plugin_entry_fn)dlsym(h, RELAYD_ENTRY_SYMBOL);
	ck_assert_ptr_null(entry(RELAYD_ABI_MAJOR + 1, 0));
	/* nothing else is exported */
	ck_assert_ptr_null(dlsym(h, "ts_webhook_parse"));
	ck_assert_ptr_null(dlsym(h, "ts_store_dir_new"));
	dlclose(h);
}
END_TEST

START_TEST(schema_has_every_stable_key)
{
	static const struct {
		const char *key;
		enum relayd_config_type type;
		const char *def;
		unsigned flags;
	} want[] = {
	    {"store", RELAYD_CFG_STRING, "dir", 0},
	    {"store_dir", RELAYD_CFG_PATH, "var/threatstack", 0},
	    {"s3_bucket", RELAYD_CFG_STRING, NULL, 0},
	    {"s3_prefix", RELAYD_CFG_STRING, NULL, 0},
	    {"s3_endpoint", RELAYD_CFG_URL, NULL, 0},
	    {"s3_region", RELAYD_CFG_STRING, "us-east-1", 0},
	    {"s3_path_style", RELAYD_CFG_BOOL, "false", 0},
	    {"s3_access_key", RELAYD_CFG_STRING, NULL, 0},
	    {"s3_secret_key", RELAYD_CFG_STRING, NULL, RELAYD_CFG_SECRET},
	    {"s3_session_token", RELAYD_CFG_STRING, NULL, RELAYD_CFG_SECRET},
	    {"spool_dir", RELAYD_CFG_PATH, "var/spool/threatstack", 0},
	    {"spool_max_bytes", RELAYD_CFG_SIZE, "1G", 0},
	    {"spool_max_age_s", RELAYD_CFG_INT, "604800", 0},
	    {"retry_min_ms", RELAYD_CFG_INT, "1000", 0},
	    {"retry_max_ms", RELAYD_CFG_INT, "60000", 0},
	    {"threatstack_url", RELAYD_CFG_URL, "https://app.threatstack.com/api/v1", 0},
	    {"threatstack_key", RELAYD_CFG_STRING, NULL, RELAYD_CFG_SECRET},
	    {"threatstack_org", RELAYD_CFG_STRING, NULL, 0},
	    {"webhook_secret", RELAYD_CFG_STRING, NULL, RELAYD_CFG_SECRET},
	    {"webhook_secret_header", RELAYD_CFG_STRING, "X-Webhook-Secret", 0},
	    {"webhook_basic_user", RELAYD_CFG_STRING, NULL, 0},
	    {"webhook_basic_password", RELAYD_CFG_STRING, NULL, RELAYD_CFG_SECRET},
	};
	void *h;
	const struct relayd_plugin *d = load(&h);
	size_t n = 0;
	while (d->config[n].type != RELAYD_CFG_END)
		n++;
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n; i++) {
		const struct relayd_config_item *it = &d->config[i];
		ck_assert_str_eq(it->key, want[i].key);
		ck_assert_int_eq(it->type, want[i].type);
		if (want[i].def)
			ck_assert_str_eq(it->default_value, want[i].def);
		else
			ck_assert_ptr_null(it->default_value);
		ck_assert_uint_eq(it->flags, want[i].flags);
		ck_assert_ptr_nonnull(it->doc);
	}
	dlclose(h);
}
END_TEST

START_TEST(routes)
{
	static const char *want[][2] = {
	    {"POST", "api/v1/s3/alert"},
	    {"GET", "api/v1/s3/alert"},
	    {"GET", "api/v1/s3/alert/*"},
	    {"GET", "api/v1/s3/status"},
	    {"POST", "threatstack-to-s3/api/v1/s3/alert"},
	    {"GET", "threatstack-to-s3/api/v1/s3/alert"},
	    {"GET", "threatstack-to-s3/api/v1/s3/alert/*"},
	    {"GET", "threatstack-to-s3/api/v1/s3/status"},
	};
	void *h;
	const struct relayd_plugin *d = load(&h);
	size_t n = 0;
	for (; d->routes[n].method; n++) {
		ck_assert_uint_lt(n, sizeof(want) / sizeof(want[0]));
		ck_assert_str_eq(d->routes[n].method, want[n][0]);
		ck_assert_str_eq(d->routes[n].path, want[n][1]);
		ck_assert_ptr_nonnull(d->routes[n].handler);
		ck_assert_int_eq(d->routes[n].auth, RELAYD_AUTH_NONE);
	}
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	dlclose(h);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts_descriptor");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, descriptor_is_complete);
	tcase_add_test(tc, schema_has_every_stable_key);
	tcase_add_test(tc, routes);
	suite_add_tcase(s, tc);
	return s;
}

TS_RUN_SUITE(suite)
