/* SPDX-License-Identifier: MIT */
/* Unit tests for host/src/config.c: defaults, types, env, cross-checks, schemas. */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <relayd/plugin.h>
#include <relayd/status.h>

#include "config.h"

/* ---- helpers ------------------------------------------------------------ */

static char conf_path[64];

static const char *write_conf(const char *text)
{
	snprintf(conf_path, sizeof(conf_path), "/tmp/relayd-test-conf-XXXXXX");
	int fd = mkstemp(conf_path);
	ck_assert_int_ge(fd, 0);
	size_t len = strlen(text);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
	return conf_path;
}

static struct conf *load_ok(const char *text)
{
	char err[512] = "";
	struct conf *c = NULL;
	const char *path = write_conf(text);
	int rc = conf_load(path, &c, err, sizeof(err));
	unlink(path);
	ck_assert_msg(rc == 0, "rc %d: %s\nfor:\n%s", rc, err, text);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->path, path);
	return c;
}

/* Loads @p text and checks the message is exactly "<file>:<line>: <reason>". */
static void expect_error(const char *text, int line, const char *reason)
{
	char err[512] = "", want[512];
	struct conf *c = (struct conf *)1;
	const char *path = write_conf(text);
	int rc = conf_load(path, &c, err, sizeof(err));
	unlink(path);
	snprintf(want, sizeof(want), "%s:%d: %s", path, line, reason);
	ck_assert_msg(rc == RELAYD_EINVAL, "rc %d for:\n%s", rc, text);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, want);
}

/* Same through conf_load_buffer, with a name that is not a file. */
static void expect_buffer_error(const char *text, const char *want)
{
	char err[512] = "";
	struct conf *c = NULL;
	int rc = conf_load_buffer("etc/x.conf", text, strlen(text), &c, err, sizeof(err));
	ck_assert_int_eq(rc, RELAYD_EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, want);
}

#define AUD "[relayd]\naudience = https://relay.example.com\n"

/* ---- scalar parsers --------------------------------------------------------- */

START_TEST(parse_int)
{
	int64_t v = 7;
	ck_assert_int_eq(conf_parse_int("0", &v), 0);
	ck_assert_int_eq(v, 0);
	ck_assert_int_eq(conf_parse_int("-42", &v), 0);
	ck_assert_int_eq(v, -42);
	ck_assert_int_eq(conf_parse_int("9223372036854775807", &v), 0);
	ck_assert(v == INT64_MAX);
	v = 7;
	const char *bad[] = {"", "abc", " 1", "1 ", "+1", "1.5", "0x10", "-", "--1",
	                     "9223372036854775808", "12k"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(conf_parse_int(bad[i], &v) == RELAYD_EINVAL, "accepted '%s'", bad[i]);
		ck_assert_int_eq(v, 7);
	}
	ck_assert_int_eq(conf_parse_int(NULL, &v), RELAYD_EINVAL);
}
END_TEST

START_TEST(parse_size)
{
	uint64_t v = 0;
	struct { const char *s; uint64_t want; } ok[] = {
		{"0", 0}, {"512", 512}, {"64K", 65536}, {"64k", 65536}, {"1M", 1048576},
		{"1m", 1048576}, {"2G", 2147483648ull}, {"3g", 3221225472ull},
		{"17179869183G", 17179869183ull << 30},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(conf_parse_size(ok[i].s, &v) == 0, "rejected '%s'", ok[i].s);
		ck_assert_msg(v == ok[i].want, "'%s' gave %llu", ok[i].s, (unsigned long long)v);
	}
	const char *bad[] = {"", "K", "1T", "1KB", "1 K", " 1", "-1", "+1", "1.5M",
	                     "17179869184G", "18446744073709551616", "1K1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(conf_parse_size(bad[i], &v) == RELAYD_EINVAL, "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(parse_bool)
{
	const char *yes[] = {"true", "TRUE", "yes", "Yes", "on", "1"};
	const char *no[] = {"false", "False", "no", "NO", "off", "0"};
	bool b;
	for (size_t i = 0; i < 6; i++) {
		b = false;
		ck_assert_int_eq(conf_parse_bool(yes[i], &b), 0);
		ck_assert(b);
		b = true;
		ck_assert_int_eq(conf_parse_bool(no[i], &b), 0);
		ck_assert(!b);
	}
	const char *bad[] = {"", "y", "n", "2", "truee", "enabled", " true"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(conf_parse_bool(bad[i], &b) == RELAYD_EINVAL, "accepted '%s'", bad[i]);
}
END_TEST

/* ---- [relayd] ------------------------------------------------------------- */

START_TEST(relayd_defaults)
{
	struct conf *c = load_ok("# nothing but a comment\n");
	ck_assert_int_eq(c->relayd_line, 0);
	ck_assert_str_eq(c->listen, "127.0.0.1:9090");
	ck_assert_str_eq(c->listen_host, "127.0.0.1");
	ck_assert_int_eq(c->listen_port, 9090);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	ck_assert_int_eq(c->workers, cpus < 1 ? 1 : cpus);
	ck_assert_str_eq(c->plugin_dir, "build/plugins");
	ck_assert_uint_eq(c->max_body, 1048576);
	ck_assert_int_eq(c->log_format, CONF_LOG_LOGFMT);
	ck_assert_int_eq(c->log_level, RELAYD_LOG_INFO);
	ck_assert_ptr_null(c->audience);
	ck_assert_uint_eq(c->n_jwks_allowed_hosts, 3);
	ck_assert_str_eq(c->jwks_allowed_hosts[0], "visibility.amp.cisco.com");
	ck_assert_str_eq(c->jwks_allowed_hosts[1], "visibility.eu.amp.cisco.com");
	ck_assert_str_eq(c->jwks_allowed_hosts[2], "visibility.apjc.amp.cisco.com");
	ck_assert_int_eq(c->jwks_scheme, CONF_SCHEME_HTTPS);
	ck_assert_ptr_null(c->proxy);
	ck_assert_ptr_null(c->no_proxy);
	ck_assert_ptr_null(c->ca_file);
	ck_assert_int_eq(c->timeout_ms, 10000);
	ck_assert_int_eq(c->deadline_ms, 30000);
	ck_assert_int_eq(c->drain_ms, 10000);
	ck_assert_int_eq(c->max_headers, 100);
	ck_assert_int_eq(c->jwt_leeway_s, 60);
	ck_assert_int_eq(c->jwks_timeout_ms, 5000);
	ck_assert_int_eq(c->jwks_refresh_s, 600);
	ck_assert_uint_eq(c->n_plugins, 0);
	ck_assert(conf_listen_is_loopback(c));
	/* defaults are visible as text too, written keys come first */
	ck_assert_str_eq(conf_relayd_get(c, "max_body"), "1M");
	ck_assert_str_eq(conf_relayd_get(c, "log_level"), "info");
	ck_assert_ptr_null(conf_relayd_get(c, "proxy"));
	ck_assert_ptr_null(conf_relayd_get(c, "nope"));
	ck_assert_int_eq(conf_relayd_key_line(c, "listen"), 0);
	conf_free(c);
}
END_TEST

START_TEST(relayd_all_keys)
{
	struct conf *c = load_ok("\n[relayd]\n"
	                         "listen = 0.0.0.0:0\n"
	                         "workers = 3\n"
	                         "plugin_dir = /usr/lib/relayd\n"
	                         "max_body = 64K\n"
	                         "log_format = json\n"
	                         "log_level = debug\n"
	                         "audience = https://relay.example.com/\n"
	                         "jwks_allowed_hosts =  a.example.com , 127.0.0.1:8443,[::1]:9 \n"
	                         "jwks_scheme = http\n"
	                         "proxy = http://proxy:3128\n"
	                         "no_proxy = localhost,127.0.0.1\n"
	                         "ca_file = certs/ca.pem\n"
	                         "timeout_ms = 1500\n"
	                         "deadline_ms = 2000\n"
	                         "drain_ms = 0\n"
	                         "max_headers = 50\n"
	                         "jwt_leeway_s = 0\n"
	                         "jwks_timeout_ms = 700\n"
	                         "jwks_refresh_s = 30\n");
	ck_assert_int_eq(c->relayd_line, 2);
	ck_assert_str_eq(c->listen, "0.0.0.0:0");
	ck_assert_str_eq(c->listen_host, "0.0.0.0");
	ck_assert_int_eq(c->listen_port, 0);
	ck_assert(!conf_listen_is_loopback(c));
	ck_assert_int_eq(c->workers, 3);
	ck_assert_str_eq(c->plugin_dir, "/usr/lib/relayd");
	ck_assert_uint_eq(c->max_body, 65536);
	ck_assert_int_eq(c->log_format, CONF_LOG_JSON);
	ck_assert_int_eq(c->log_level, RELAYD_LOG_DEBUG);
	ck_assert_str_eq(c->audience, "https://relay.example.com");
	ck_assert_uint_eq(c->n_jwks_allowed_hosts, 3);
	ck_assert_str_eq(c->jwks_allowed_hosts[0], "a.example.com");
	ck_assert_str_eq(c->jwks_allowed_hosts[1], "127.0.0.1:8443");
	ck_assert_str_eq(c->jwks_allowed_hosts[2], "[::1]:9");
	ck_assert_int_eq(c->jwks_scheme, CONF_SCHEME_HTTP);
	ck_assert_str_eq(c->proxy, "http://proxy:3128");
	ck_assert_str_eq(c->no_proxy, "localhost,127.0.0.1");
	ck_assert_str_eq(c->ca_file, "certs/ca.pem");
	ck_assert_int_eq(c->timeout_ms, 1500);
	ck_assert_int_eq(c->deadline_ms, 2000);
	ck_assert_int_eq(c->drain_ms, 0);
	ck_assert_int_eq(c->max_headers, 50);
	ck_assert_int_eq(c->jwt_leeway_s, 0);
	ck_assert_int_eq(c->jwks_timeout_ms, 700);
	ck_assert_int_eq(c->jwks_refresh_s, 30);
	ck_assert_int_eq(conf_relayd_key_line(c, "listen"), 3);
	ck_assert_int_eq(conf_relayd_key_line(c, "jwks_refresh_s"), 21);
	ck_assert_str_eq(conf_relayd_get(c, "audience"), "https://relay.example.com/");
	/* a relative path is taken from the file's folder (/tmp here) */
	char *ca = conf_path_resolve(c, c->ca_file);
	ck_assert_str_eq(ca, "/tmp/certs/ca.pem");
	free(ca);
	ca = conf_path_resolve(c, "/etc/ssl/ca.pem");
	ck_assert_str_eq(ca, "/etc/ssl/ca.pem");
	free(ca);
	conf_free(c);
}
END_TEST

START_TEST(listen_forms)
{
	struct conf *c = load_ok("[relayd]\nlisten = [::1]:8080\n");
	ck_assert_str_eq(c->listen_host, "::1");
	ck_assert_int_eq(c->listen_port, 8080);
	ck_assert(conf_listen_is_loopback(c));
	conf_free(c);
	c = load_ok("[relayd]\nlisten = localhost:65535\n");
	ck_assert_str_eq(c->listen_host, "localhost");
	ck_assert_int_eq(c->listen_port, 65535);
	ck_assert(conf_listen_is_loopback(c));
	conf_free(c);
	c = load_ok("[relayd]\nlisten = 127.1.2.3:1\n");
	ck_assert(conf_listen_is_loopback(c));
	conf_free(c);
	c = load_ok("[relayd]\nlisten = relay.example.com:80\n");
	ck_assert(!conf_listen_is_loopback(c));
	conf_free(c);
	c = load_ok("[relayd]\nlisten = [::]:80\n");
	ck_assert(!conf_listen_is_loopback(c));
	conf_free(c);
}
END_TEST

START_TEST(listen_errors)
{
	const char *shape = "listen: expected host:port ([address]:port for IPv6), got '%s'";
	const char *port = "listen: port must be between 0 and 65535, got '%s'";
	struct { const char *value, *fmt; } cases[] = {
		{"9090", shape}, {":9090", shape}, {"::1:9090", shape}, {"[::1]9090", shape},
		{"[::1", shape}, {"a b:1", shape}, {"h:", port}, {"h:70000", port}, {"h:-1", port},
		{"h:x", port}, {"[::1]:", port},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[128], reason[256];
		snprintf(text, sizeof(text), "[relayd]\nlisten = %s\n", cases[i].value);
		snprintf(reason, sizeof(reason), cases[i].fmt, cases[i].value);
		expect_error(text, 2, reason);
	}
}
END_TEST

START_TEST(typed_errors)
{
	expect_error("[relayd]\nworkers = abc\n", 2, "workers: expected an integer, got 'abc'");
	expect_error("[relayd]\nworkers = -1\n", 2, "workers: must be at least 0, got '-1'");
	expect_error("[relayd]\nworkers = 5000\n", 2, "workers: must be at most 1024, got '5000'");
	expect_error("[relayd]\n\nmax_body = 1T\n", 3,
	             "max_body: expected a size (bytes with an optional K, M or G suffix), got '1T'");
	expect_error("[relayd]\nmax_body = 0\n", 2, "max_body: must be at least 1 bytes, got '0'");
	expect_error("[relayd]\nmax_body =\n", 2,
	             "max_body: expected a size (bytes with an optional K, M or G suffix), got ''");
	expect_error("[relayd]\nlog_format = text\n", 2,
	             "log_format: expected one of logfmt|json, got 'text'");
	expect_error("[relayd]\nlog_level = trace\n", 2,
	             "log_level: expected one of error|warn|info|debug, got 'trace'");
	expect_error("[relayd]\njwks_scheme = ftp\n", 2,
	             "jwks_scheme: expected one of https|http, got 'ftp'");
	expect_error("[relayd]\ntimeout_ms = 0\n", 2, "timeout_ms: must be at least 1, got '0'");
	expect_error("[relayd]\ndeadline_ms = 1e3\n", 2,
	             "deadline_ms: expected an integer, got '1e3'");
	expect_error("[relayd]\ndrain_ms = -5\n", 2, "drain_ms: must be at least 0, got '-5'");
	expect_error("[relayd]\nmax_headers = 0\n", 2, "max_headers: must be at least 1, got '0'");
	expect_error("[relayd]\njwt_leeway_s = 3000000000\n", 2,
	             "jwt_leeway_s: must be at most 2147483647, got '3000000000'");
	expect_error("[relayd]\njwks_timeout_ms = x\n", 2,
	             "jwks_timeout_ms: expected an integer, got 'x'");
	expect_error("[relayd]\njwks_refresh_s = 0\n", 2,
	             "jwks_refresh_s: must be at least 1, got '0'");
	expect_error("[relayd]\naudience = relay.example.com\n", 2,
	             "audience: expected an http:// or https:// URL, got 'relay.example.com'");
	expect_error("[relayd]\naudience = https://\n", 2,
	             "audience: expected an http:// or https:// URL, got 'https://'");
	const char *list = "jwks_allowed_hosts: expected a comma-separated list of host[:port] "
	                   "without empty items";
	expect_error("[relayd]\njwks_allowed_hosts =\n", 2, list);
	expect_error("[relayd]\njwks_allowed_hosts = a.com,,b.com\n", 2, list);
	expect_error("[relayd]\njwks_allowed_hosts = a.com,\n", 2, list);
	expect_error("[relayd]\njwks_allowed_hosts = a.com, ,b.com\n", 2, list);
	expect_error("[relayd]\njwks_allowed_hosts = a.com,https://b.com\n", 2,
	             "jwks_allowed_hosts: invalid host 'https://b.com' (expected host[:port])");
	expect_error("[relayd]\njwks_allowed_hosts = a.com:0\n", 2,
	             "jwks_allowed_hosts: invalid host 'a.com:0' (expected host[:port])");
	expect_error("[relayd]\njwks_allowed_hosts = a b\n", 2,
	             "jwks_allowed_hosts: invalid host 'a b' (expected host[:port])");
}
END_TEST

START_TEST(structure_errors)
{
	expect_error("[relayd]\nlisten = 127.0.0.1:1\nlistne = x\n", 3,
	             "unknown key 'listne' in [relayd]");
	expect_error("[relayd]\n[server]\n", 2,
	             "unknown section [server] (expected [relayd] or [plugin.<name>])");
	expect_error("[plugin.Pulse]\n", 1, "invalid plugin name in [plugin.Pulse] (expected [a-z0-9_]+)");
	expect_error("[plugin.]\n", 1, "invalid plugin name in [plugin.] (expected [a-z0-9_]+)");
	expect_error("[plugin.a-b]\n", 1, "invalid plugin name in [plugin.a-b] (expected [a-z0-9_]+)");
	expect_error("workers = 1\n", 1, "key 'workers' outside any section");
	char text[256], want[256], name[80];
	memset(name, 'a', 65);
	name[65] = '\0';
	snprintf(text, sizeof(text), "[plugin.%s]\n", name);
	/* 53 = 60 shown bytes - "plugin." */
	snprintf(want, sizeof(want), "plugin name in [plugin.%.53s...] is longer than 64 characters",
	         name);
	expect_error(text, 1, want);
	name[64] = '\0';
	snprintf(text, sizeof(text), AUD "[plugin.%s]\n", name);
	struct conf *c = load_ok(text);
	ck_assert_str_eq(c->plugins[0].name, name);
	conf_free(c);
	expect_error("[relayd]\nworkers = 1\nworkers = 2\n", 3,
	             "duplicate key 'workers' in [relayd] (first set on line 2)");
	expect_error("[relayd]\n[relayd]\n", 2, "duplicate section [relayd] (first on line 1)");
	expect_error("[relayd]\nworkers\n", 2,
	             "malformed line 'workers' (expected 'key = value', '[section]' or a comment)");
	expect_buffer_error("[relayd]\nbogus = 1\n", "etc/x.conf:2: unknown key 'bogus' in [relayd]");
}
END_TEST

START_TEST(unreadable_file)
{
	char err[256];
	struct conf *c = (struct conf *)1;
	int rc = conf_load("/nonexistent/relayd.conf", &c, err, sizeof(err));
	ck_assert_int_eq(rc, RELAYD_EIO);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, "/nonexistent/relayd.conf: cannot open: No such file or directory");
}
END_TEST

START_TEST(buffer_names_and_dir)
{
	char err[256];
	struct conf *c = NULL;
	ck_assert_int_eq(conf_load_buffer("etc/relayd.conf", "", 0, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c->path, "etc/relayd.conf");
	ck_assert_str_eq(c->dir, "etc");
	char *p = conf_path_resolve(c, "var/spool");
	ck_assert_str_eq(p, "etc/var/spool");
	free(p);
	conf_free(c);
	ck_assert_int_eq(conf_load_buffer("relayd.conf", "", 0, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c->dir, ".");
	p = conf_path_resolve(c, "var/spool");
	ck_assert_str_eq(p, "var/spool");
	free(p);
	conf_free(c);
	ck_assert_int_eq(conf_load_buffer("/relayd.conf", "", 0, &c, err, sizeof(err)), 0);
	ck_assert_str_eq(c->dir, "/");
	p = conf_path_resolve(c, "x");
	ck_assert_str_eq(p, "/x");
	free(p);
	conf_free(c);
	conf_free(NULL);
}
END_TEST

/* ---- environment -------------------------------------------------------- */

START_TEST(env_interpolation)
{
	setenv("RELAYD_T_KEY", "s3cr3t", 1);
	setenv("RELAYD_T_PORT", "9191", 1);
	setenv("RELAYD_T_HASH", "a #b ;c", 1);
	setenv("RELAYD_T_EMPTY", "", 1);
	unsetenv("RELAYD_T_UNSET");
	struct conf *c = load_ok("[relayd]\n"
	                         "listen = 127.0.0.1:${RELAYD_T_PORT}\n"
	                         "# proxy = ${RELAYD_T_UNSET}\n"
	                         "[plugin.p]\n"
	                         "auth = static\n"
	                         "api_key = ${RELAYD_T_KEY}\n"
	                         "both = ${RELAYD_T_KEY}-${RELAYD_T_PORT}!\n"
	                         "hash = ${RELAYD_T_HASH} # a real comment\n"
	                         "empty = x${RELAYD_T_EMPTY}y\n"
	                         "literal = $${RELAYD_T_KEY} and $HOME and $ and $$ and $}\n");
	ck_assert_int_eq(c->listen_port, 9191);
	struct conf_plugin *p = conf_find_plugin(c, "p");
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->api_key, "s3cr3t");
	ck_assert_str_eq(conf_plugin_get(p, "both"), "s3cr3t-9191!");
	ck_assert_str_eq(conf_plugin_get(p, "hash"), "a #b ;c");
	ck_assert_str_eq(conf_plugin_get(p, "empty"), "xy");
	ck_assert_str_eq(conf_plugin_get(p, "literal"),
	                 "${RELAYD_T_KEY} and $HOME and $ and $$ and $}");
	conf_free(c);

	expect_error("[relayd]\n\nproxy = http://${RELAYD_T_UNSET}:3128\n", 3,
	             "environment variable RELAYD_T_UNSET is not set");
	expect_error("[plugin.p]\napi_key = ${RELAYD_T_KEY\n", 2, "unterminated '${' (missing '}')");
	expect_error("[plugin.p]\napi_key = ${1BAD}\n", 2, "invalid environment variable name '1BAD'");
	expect_error("[plugin.p]\napi_key = ${}\n", 2, "invalid environment variable name ''");
	expect_error("[plugin.p]\napi_key = ${A-B}\n", 2, "invalid environment variable name 'A-B'");
	/* an unset variable in an unknown key is still reported first, in file order */
	expect_error("[plugin.p]\nsomething = ${RELAYD_T_UNSET}\n", 2,
	             "environment variable RELAYD_T_UNSET is not set");
}
END_TEST

/* ---- plugin sections ------------------------------------------------------ */

START_TEST(plugin_defaults)
{
	/* [relayd] after the plugin: its values still become the plugin's defaults */
	struct conf *c = load_ok("[plugin.pulsedive]\n"
	                         "base_url = https://pulsedive.com/api\n"
	                         "[relayd]\n"
	                         "audience = http://127.0.0.1:9090\n"
	                         "max_body = 2M\n"
	                         "timeout_ms = 2500\n");
	ck_assert_uint_eq(c->n_plugins, 1);
	struct conf_plugin *p = &c->plugins[0];
	ck_assert_str_eq(p->name, "pulsedive");
	ck_assert_int_eq(p->line, 1);
	ck_assert(p->enabled);
	ck_assert(!p->required);
	ck_assert_ptr_null(p->path);
	ck_assert_str_eq(p->mount, "/pulsedive");
	ck_assert_ptr_null(p->audience);
	ck_assert_ptr_null(p->client_token);
	ck_assert_uint_eq(p->max_body, 2u << 20);
	ck_assert_int_eq(p->max_upstream_inflight, 1024);
	ck_assert_uint_eq(p->max_response_body, 16u << 20);
	ck_assert_int_eq(p->auth, CONF_AUTH_SECUREX);
	ck_assert_ptr_null(p->secret);
	ck_assert_ptr_null(p->api_key);
	ck_assert_int_eq(p->timeout_ms, 2500);
	ck_assert_int_eq(p->entities_limit, 100);
	ck_assert_ptr_null(p->proxy);
	ck_assert_ptr_null(p->ca_file);
	ck_assert_int_eq(p->rate_limit, 0);
	ck_assert_int_eq(p->rate_burst, 1);
	ck_assert_int_eq(p->cache_ttl_s, 0);
	ck_assert_ptr_null(p->schema);
	/* written keys first, in file order, then host defaults */
	ck_assert_str_eq(p->entries[0].key, "base_url");
	ck_assert_int_eq(p->entries[0].line, 2);
	ck_assert(!p->entries[0].host_key);
	ck_assert_str_eq(p->entries[1].key, "enabled");
	ck_assert_int_eq(p->entries[1].line, 0);
	ck_assert(p->entries[1].host_key);
	ck_assert_str_eq(conf_plugin_get(p, "mount"), "/pulsedive");
	ck_assert_str_eq(conf_plugin_get(p, "max_body"), "2M");
	ck_assert_str_eq(conf_plugin_get(p, "timeout_ms"), "2500");
	ck_assert_str_eq(conf_plugin_get(p, "auth"), "securex");
	ck_assert_str_eq(conf_plugin_get(p, "rate_burst"), "1");
	ck_assert_ptr_null(conf_plugin_get(p, "secret"));
	ck_assert_int_eq(conf_plugin_key_line(p, "base_url"), 2);
	ck_assert_int_eq(conf_plugin_key_line(p, "mount"), 1);
	ck_assert_int_eq(conf_plugin_key_line(p, "nope"), 1);
	int64_t v = 0;
	ck_assert_int_eq(conf_plugin_get_int(p, "max_body", &v), 0);
	ck_assert_int_eq(v, 2 << 20);
	bool b = false;
	ck_assert_int_eq(conf_plugin_get_bool(p, "enabled", &b), 0);
	ck_assert(b);
	ck_assert_int_eq(conf_plugin_get_bool(p, "nope", &b), RELAYD_ENOTFOUND);
	ck_assert_int_eq(conf_plugin_get_int(p, "base_url", &v), RELAYD_EINVAL);
	char *aud = conf_expected_audience(c, p);
	ck_assert_str_eq(aud, "http://127.0.0.1:9090/pulsedive");
	free(aud);
	ck_assert_ptr_eq(conf_find_plugin(c, "pulsedive"), p);
	ck_assert_ptr_null(conf_find_plugin(c, "gigamon"));
	conf_free(c);
}
END_TEST

START_TEST(plugin_all_host_keys)
{
	struct conf *c = load_ok(AUD "[plugin.gigamon]\n"
	                         "enabled = yes\n"
	                         "required = on\n"
	                         "path = /opt/gigamon.so\n"
	                         "mount = /gm/\n"
	                         "audience = https://other.example.com/gm\n"
	                         "client_token = tok\n"
	                         "max_body = 10K\n"
	                         "max_upstream_inflight = 300\n"
	                         "max_response_body = 1G\n"
	                         "auth = static\n"
	                         "secret = hs\n"
	                         "api_key = key\n"
	                         "timeout_ms = 123\n"
	                         "entities_limit = 7\n"
	                         "proxy = http://p:1\n"
	                         "ca_file = ca.pem\n"
	                         "rate_limit = 20\n"
	                         "cache_ttl_s = 60\n");
	struct conf_plugin *p = &c->plugins[0];
	ck_assert(p->enabled);
	ck_assert(p->required);
	ck_assert_str_eq(p->path, "/opt/gigamon.so");
	ck_assert_str_eq(p->mount, "/gm");
	ck_assert_str_eq(p->audience, "https://other.example.com/gm");
	ck_assert_str_eq(p->client_token, "tok");
	ck_assert_uint_eq(p->max_body, 10240);
	ck_assert_int_eq(p->max_upstream_inflight, 300);
	ck_assert_uint_eq(p->max_response_body, 1u << 30);
	ck_assert_int_eq(p->auth, CONF_AUTH_STATIC);
	ck_assert_str_eq(p->secret, "hs");
	ck_assert_str_eq(p->api_key, "key");
	ck_assert_int_eq(p->timeout_ms, 123);
	ck_assert_int_eq(p->entities_limit, 7);
	ck_assert_str_eq(p->proxy, "http://p:1");
	ck_assert_str_eq(p->ca_file, "ca.pem");
	ck_assert_int_eq(p->rate_limit, 20);
	ck_assert_int_eq(p->rate_burst, 20); /* one second's worth by default */
	ck_assert_int_eq(p->cache_ttl_s, 60);
	/* secrets are flagged */
	for (size_t i = 0; i < p->n_entries; i++) {
		bool want = strcmp(p->entries[i].key, "client_token") == 0 ||
		            strcmp(p->entries[i].key, "secret") == 0 ||
		            strcmp(p->entries[i].key, "api_key") == 0;
		ck_assert_msg(p->entries[i].secret == want, "%s", p->entries[i].key);
		ck_assert(p->entries[i].host_key);
	}
	char *aud = conf_expected_audience(c, p);
	ck_assert_str_eq(aud, "https://other.example.com/gm");
	free(aud);
	conf_free(c);

	c = load_ok(AUD "[plugin.a]\nmount = /\nrate_limit = 5\nrate_burst = 2\n");
	ck_assert_str_eq(c->plugins[0].mount, "/");
	ck_assert_int_eq(c->plugins[0].rate_burst, 2);
	aud = conf_expected_audience(c, &c->plugins[0]);
	ck_assert_str_eq(aud, "https://relay.example.com");
	free(aud);
	conf_free(c);
}
END_TEST

START_TEST(plugin_typed_errors)
{
	expect_error("[plugin.x]\nenabled = maybe\n", 2,
	             "enabled: expected a boolean (true/false, yes/no, on/off, 1/0), got 'maybe'");
	expect_error("[plugin.x]\nrequired = 2\n", 2,
	             "required: expected a boolean (true/false, yes/no, on/off, 1/0), got '2'");
	expect_error("[plugin.x]\nmount = x\n", 2,
	             "mount: expected a path starting with '/' (letters, digits, '.', '_', '~', '-', "
	             "single '/'), got 'x'");
	expect_error("[plugin.x]\nmount = /a//b\n", 2,
	             "mount: expected a path starting with '/' (letters, digits, '.', '_', '~', '-', "
	             "single '/'), got '/a//b'");
	expect_error("[plugin.x]\nmount =\n", 2,
	             "mount: expected a path starting with '/' (letters, digits, '.', '_', '~', '-', "
	             "single '/'), got ''");
	expect_error("[plugin.x]\nmax_body = big\n", 2,
	             "max_body: expected a size (bytes with an optional K, M or G suffix), got 'big'");
	expect_error("[plugin.x]\nmax_response_body = 0\n", 2,
	             "max_response_body: must be at least 1 bytes, got '0'");
	expect_error("[plugin.x]\nmax_upstream_inflight = 0\n", 2,
	             "max_upstream_inflight: must be at least 1, got '0'");
	expect_error("[plugin.x]\nauth = jwt\n", 2,
	             "auth: expected one of securex|secret|static, got 'jwt'");
	expect_error("[plugin.x]\ntimeout_ms = soon\n", 2, "timeout_ms: expected an integer, got 'soon'");
	expect_error("[plugin.x]\nentities_limit = 0\n", 2, "entities_limit: must be at least 1, got '0'");
	expect_error("[plugin.x]\nrate_limit = -1\n", 2, "rate_limit: must be at least 0, got '-1'");
	expect_error("[plugin.x]\nrate_burst = 0\n", 2, "rate_burst: must be at least 1, got '0'");
	expect_error("[plugin.x]\ncache_ttl_s = 1m\n", 2, "cache_ttl_s: expected an integer, got '1m'");
}
END_TEST

START_TEST(cross_checks)
{
	/* same mount twice: the second section's line */
	expect_error(AUD "[plugin.a]\n\n[plugin.b]\nmount = /a/\n", 5,
	             "[plugin.b]: mount '/a' is already used by [plugin.a] (line 3)");
	/* a disabled plugin takes no mount */
	struct conf *c = load_ok(AUD "[plugin.a]\nenabled = false\n[plugin.b]\nmount = /a\n");
	conf_free(c);
	/* audience */
	/* checked per plugin once the loader knows the plugin verifies tokens */
	c = load_ok("[relayd]\n[plugin.a]\nauth = secret\nsecret = k\n\n[plugin.b]\n");
	char aud_err[256];
	ck_assert_int_eq(conf_plugin_check_audience(c, &c->plugins[0], aud_err, sizeof(aud_err)), 0);
	ck_assert_int_eq(conf_plugin_check_audience(c, &c->plugins[1], aud_err, sizeof(aud_err)),
	                 RELAYD_EINVAL);
	ck_assert(strstr(aud_err, ":6: [plugin.b] uses auth = securex but [relayd] audience is not set"));
	conf_free(c);
	c = load_ok("[plugin.a]\nenabled = no\n");
	conf_free(c);
	c = load_ok("[plugin.a]\naudience = https://relay.example.com/a\n");
	conf_free(c);
	/* static: client_token required unless listen is loopback */
	const char *stat = "[relayd]\nlisten = 0.0.0.0:9090\n[plugin.s]\nauth = static\napi_key = k\n";
	expect_error(stat, 3,
	             "[plugin.s] uses auth = static without client_token, but listen "
	             "(0.0.0.0:9090) is not a loopback address");
	char text[256];
	snprintf(text, sizeof(text), "%sclient_token = t\n", stat);
	c = load_ok(text);
	conf_free(c);
	snprintf(text, sizeof(text), "%sclient_token =\n", stat);
	expect_error(text, 3,
	             "[plugin.s] uses auth = static without client_token, but listen "
	             "(0.0.0.0:9090) is not a loopback address");
	c = load_ok("[plugin.s]\nauth = static\n");
	ck_assert_ptr_null(c->plugins[0].client_token);
	conf_free(c);
	/* secret */
	expect_error("[plugin.h]\nauth = secret\n", 1,
	             "[plugin.h] uses auth = secret but secret is not set");
	expect_error("[plugin.h]\nauth = secret\nsecret = \n", 1,
	             "[plugin.h] uses auth = secret but secret is not set");
	c = load_ok("[plugin.h]\nauth = secret\nenabled = off\n");
	conf_free(c);
}
END_TEST

/* ---- the plugin's schema ---------------------------------------------------- */

static const struct relayd_config_item fake_schema[] = {
	{"base_url", RELAYD_CFG_URL, "https://api.example.com/v2", 0, "upstream"},
	{"page_size", RELAYD_CFG_INT, "50", 0, "rows per page"},
	{"verbose", RELAYD_CFG_BOOL, "false", 0, "log more"},
	{"spool_max_bytes", RELAYD_CFG_SIZE, "1G", 0, "spool cap"},
	{"spool_dir", RELAYD_CFG_PATH, "var/spool", 0, "spool folder"},
	{"org", RELAYD_CFG_STRING, NULL, 0, "optional, no default"},
	{"webhook_secret", RELAYD_CFG_STRING, NULL, RELAYD_CFG_REQUIRED | RELAYD_CFG_SECRET, "key"},
	{"pin", RELAYD_CFG_INT, NULL, RELAYD_CFG_SECRET, "a secret number"},
	{"timeout_ms", RELAYD_CFG_INT, "1", 0, "a host key: skipped"},
	{NULL, RELAYD_CFG_END, NULL, 0, NULL},
};

/* Loads @p text (one plugin "t") and applies fake_schema; returns its message. */
static int apply_fake(const char *text, struct conf **cp, char *err, size_t errlen)
{
	*cp = load_ok(text);
	struct conf_plugin *p = conf_find_plugin(*cp, "t");
	ck_assert_ptr_nonnull(p);
	return conf_plugin_apply_schema(p, fake_schema, "relayd.conf", err, errlen);
}

static void expect_schema_error(const char *text, const char *want)
{
	struct conf *c;
	char err[512] = "";
	ck_assert_int_eq(apply_fake(text, &c, err, sizeof(err)), RELAYD_EINVAL);
	ck_assert_str_eq(err, want);
	conf_free(c);
}

START_TEST(schema_defaults_and_getters)
{
	struct conf *c;
	char err[512] = "";
	int rc = apply_fake(AUD "[plugin.t]\nwebhook_secret = w\npage_size = 10\nverbose = yes\n",
	                    &c, err, sizeof(err));
	ck_assert_msg(rc == 0, "%s", err);
	struct conf_plugin *p = conf_find_plugin(c, "t");
	ck_assert_ptr_eq(p->schema, fake_schema);
	ck_assert_str_eq(conf_plugin_get(p, "base_url"), "https://api.example.com/v2");
	ck_assert_str_eq(conf_plugin_get(p, "page_size"), "10");
	ck_assert_str_eq(conf_plugin_get(p, "spool_dir"), "var/spool");
	ck_assert_ptr_null(conf_plugin_get(p, "org"));
	ck_assert_ptr_null(conf_plugin_get(p, "pin"));
	ck_assert_str_eq(conf_plugin_get(p, "timeout_ms"), "10000"); /* host default wins */
	ck_assert_int_eq(conf_plugin_key_line(p, "page_size"), 5);
	ck_assert_int_eq(conf_plugin_key_line(p, "base_url"), 3);
	int64_t v;
	ck_assert_int_eq(conf_plugin_get_int(p, "spool_max_bytes", &v), 0);
	ck_assert_int_eq(v, 1 << 30);
	ck_assert_int_eq(conf_plugin_get_int(p, "page_size", &v), 0);
	ck_assert_int_eq(v, 10);
	bool b = false;
	ck_assert_int_eq(conf_plugin_get_bool(p, "verbose", &b), 0);
	ck_assert(b);
	const struct conf_entry *ws = NULL;
	for (size_t i = 0; i < p->n_entries; i++) {
		if (strcmp(p->entries[i].key, "webhook_secret") == 0)
			ws = &p->entries[i];
	}
	ck_assert_ptr_nonnull(ws);
	ck_assert(ws->secret);
	ck_assert(!ws->host_key);
	/* a second application changes nothing */
	size_t n = p->n_entries;
	ck_assert_int_eq(conf_plugin_apply_schema(p, fake_schema, "relayd.conf", err, sizeof(err)), 0);
	ck_assert_uint_eq(p->n_entries, n);
	conf_free(c);
}
END_TEST

START_TEST(schema_errors)
{
	expect_schema_error(AUD "[plugin.t]\nwebhook_secret = w\nbase_ulr = https://x\n",
	                    "relayd.conf:5: unknown key 'base_ulr' in [plugin.t]");
	expect_schema_error(AUD "[plugin.t]\nwebhook_secret = w\nbase_url = ftp://x\n",
	                    "relayd.conf:5: base_url: expected an http:// or https:// URL, got "
	                    "'ftp://x'");
	expect_schema_error(AUD "[plugin.t]\nwebhook_secret = w\nbase_url = https://\n",
	                    "relayd.conf:5: base_url: expected an http:// or https:// URL, got "
	                    "'https://'");
	expect_schema_error(AUD "[plugin.t]\nwebhook_secret = w\npage_size = ten\n",
	                    "relayd.conf:5: page_size: expected an integer, got 'ten'");
	expect_schema_error(AUD "[plugin.t]\nwebhook_secret = w\nverbose = loud\n",
	                    "relayd.conf:5: verbose: expected a boolean (true/false, yes/no, on/off, "
	                    "1/0), got 'loud'");
	expect_schema_error(AUD "[plugin.t]\nwebhook_secret = w\nspool_max_bytes = 1TB\n",
	                    "relayd.conf:5: spool_max_bytes: expected a size (bytes with an optional "
	                    "K, M or G suffix), got '1TB'");
	expect_schema_error(AUD "[plugin.t]\nwebhook_secret = w\nspool_dir =\n",
	                    "relayd.conf:5: spool_dir: expected a path, got an empty value");
	/* a secret value is never echoed */
	expect_schema_error(AUD "[plugin.t]\nwebhook_secret = w\npin = 12ab\n",
	                    "relayd.conf:5: pin: expected an integer, got '(secret)'");
	expect_schema_error(AUD "\n[plugin.t]\nbase_url = https://x\n",
	                    "relayd.conf:4: [plugin.t]: missing required key 'webhook_secret'");
	/* no schema at all: every plugin key is unknown */
	struct conf *c = load_ok(AUD "[plugin.t]\nmount = /t\nfoo = 1\n");
	char err[256];
	ck_assert_int_eq(conf_plugin_apply_schema(&c->plugins[0], NULL, "f.conf", err, sizeof(err)),
	                 RELAYD_EINVAL);
	ck_assert_str_eq(err, "f.conf:5: unknown key 'foo' in [plugin.t]");
	conf_free(c);
}
END_TEST

START_TEST(schema_disabled_plugin_needs_no_required_key)
{
	struct conf *c;
	char err[256] = "";
	ck_assert_int_eq(apply_fake("[plugin.t]\nenabled = false\n", &c, err, sizeof(err)), 0);
	ck_assert_ptr_null(conf_plugin_get(&c->plugins[0], "webhook_secret"));
	ck_assert_str_eq(conf_plugin_get(&c->plugins[0], "page_size"), "50");
	conf_free(c);
}
END_TEST

START_TEST(schema_bad_default)
{
	static const struct relayd_config_item bad[] = {
		{"n", RELAYD_CFG_INT, "lots", 0, NULL},
		{NULL, RELAYD_CFG_END, NULL, 0, NULL},
	};
	struct conf *c = load_ok(AUD "[plugin.t]\n");
	char err[256];
	ck_assert_int_eq(conf_plugin_apply_schema(&c->plugins[0], bad, "r.conf", err, sizeof(err)),
	                 RELAYD_EINVAL);
	ck_assert_str_eq(err,
	                 "r.conf:3: [plugin.t]: the plugin's default is invalid: n: expected an "
	                 "integer, got 'lots'");
	conf_free(c);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *t = tcase_create("scalars");
	tcase_add_test(t, parse_int);
	tcase_add_test(t, parse_size);
	tcase_add_test(t, parse_bool);
	suite_add_tcase(s, t);
	t = tcase_create("relayd");
	tcase_add_test(t, relayd_defaults);
	tcase_add_test(t, relayd_all_keys);
	tcase_add_test(t, listen_forms);
	tcase_add_test(t, listen_errors);
	tcase_add_test(t, typed_errors);
	tcase_add_test(t, structure_errors);
	tcase_add_test(t, unreadable_file);
	tcase_add_test(t, buffer_names_and_dir);
	tcase_add_test(t, env_interpolation);
	suite_add_tcase(s, t);
	t = tcase_create("plugins");
	tcase_add_test(t, plugin_defaults);
	tcase_add_test(t, plugin_all_host_keys);
	tcase_add_test(t, plugin_typed_errors);
	tcase_add_test(t, cross_checks);
	suite_add_tcase(s, t);
	t = tcase_create("schema");
	tcase_add_test(t, schema_defaults_and_getters);
	tcase_add_test(t, schema_errors);
	tcase_add_test(t, schema_disabled_plugin_needs_no_required_key);
	tcase_add_test(t, schema_bad_default);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
