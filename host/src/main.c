/* SPDX-License-Identifier: MIT */
/* relayd's command line. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "json_pool.h"
#include "server.h"

#ifndef RELAYD_SYSCONFDIR
#define RELAYD_SYSCONFDIR "/etc"
#endif

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: relayd [-c FILE] [--check-config] [--version] [--list-plugins]\n"
	        "              [--plugin-help NAME] [--ready-file PATH]\n"
	        "  -c FILE            config file (default etc/relayd.conf if it exists,\n"
	        "                     else " RELAYD_SYSCONFDIR "/relayd/relayd.conf)\n"
	        "  --check-config     validate the config and every enabled plugin, then exit\n"
	        "  --version          print relayd's and the ABI's version\n"
	        "  --list-plugins     load the config's plugins and list them with their state\n"
	        "  --plugin-help NAME print a plugin's config keys (from its schema)\n"
	        "  --ready-file PATH  once listening, write \"host:port\" to PATH\n");
}

static const char *default_config(void)
{
	return access("etc/relayd.conf", R_OK) == 0 ? "etc/relayd.conf"
	                                             : RELAYD_SYSCONFDIR "/relayd/relayd.conf";
}

/* glibc hands the free top of a thread's heap back to the kernel as soon as
 * it passes 128 KiB (M_TRIM_THRESHOLD), and the next requests fault those
 * pages in again: at 50 connections on pulsedive, madvise and the page
 * faults after it were ~2 % of relayd's CPU (perf). Up to 8 MiB per heap
 * now stays; more than that still goes back after a burst. Setting it also
 * pins the mmap threshold at its 128 KiB default (glibc stops raising it),
 * which only concerns bodies and answers larger than that. */
#define HEAP_TRIM_THRESHOLD (8 * 1024 * 1024)

enum { OPT_CHECK = 256, OPT_VERSION, OPT_LIST, OPT_HELP_PLUGIN, OPT_READY };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"check-config", no_argument, NULL, OPT_CHECK},
		{"version", no_argument, NULL, OPT_VERSION},
		{"list-plugins", no_argument, NULL, OPT_LIST},
		{"plugin-help", required_argument, NULL, OPT_HELP_PLUGIN},
		{"ready-file", required_argument, NULL, OPT_READY},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	/* Before anything allocates a jansson value (json_pool.h). */
	json_pool_install();
	mallopt(M_TRIM_THRESHOLD, HEAP_TRIM_THRESHOLD);
	struct server_options so = {.config_path = NULL, .ready_file = NULL};
	int action = 0;
	const char *plugin_name = NULL;
	int ch;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': so.config_path = optarg; break;
		case OPT_READY: so.ready_file = optarg; break;
		case OPT_HELP_PLUGIN: plugin_name = optarg; action = ch; break;
		case OPT_CHECK:
		case OPT_VERSION:
		case OPT_LIST: action = ch; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (!so.config_path)
		so.config_path = default_config();
	switch (action) {
	case OPT_VERSION: return cli_version();
	case OPT_CHECK: return cli_check_config(so.config_path);
	case OPT_LIST: return cli_list_plugins(so.config_path);
	case OPT_HELP_PLUGIN: return cli_plugin_help(so.config_path, plugin_name);
	default: return server_run(&so);
	}
}
