/* SPDX-License-Identifier: MIT */
/* The daemon: listening socket, worker threads, signals, drain and reload. */
#ifndef RELAYD_SERVER_H
#define RELAYD_SERVER_H

struct generation;

struct server_options {
	const char *config_path;
	const char *ready_file; /**< written with "host:port\n" once listening; may be NULL */
};

/** Runs until SIGTERM/SIGINT. Returns the process exit status: 0 after a
 *  clean stop, 1 for start-up errors (config, required plugin, bind). */
int server_run(const struct server_options *opt);

/** The generation serving new requests, with a reference for the caller. */
struct generation *server_current_generation(void);

#endif
