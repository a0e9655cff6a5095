/* SPDX-License-Identifier: MIT */
/* The listening sockets: one per worker, in one SO_REUSEPORT group. */
#ifndef RELAYD_LISTENER_H
#define RELAYD_LISTENER_H

#include <stddef.h>

/*
 * Why one socket per worker: with one shared socket, the worker whose loop
 * wakes first accepts the whole backlog (libevent accepts until EAGAIN), so
 * a burst of new connections lands on one worker. Measured with 200
 * connections against pulsedive at 50 ms: the two workers did 70/30 or
 * 35/65 of the work from run to run, and the busier one set the p99. In a
 * SO_REUSEPORT group the kernel spreads connections over the sockets by a
 * hash of their addresses.
 *
 * A group can be joined by any process of the same user, so a second relayd
 * started on the same port would silently take a share of the connections.
 * Before the group is made, a plain socket is bound to the address: if
 * anything listens there already, that fails and relayd refuses to start,
 * as it did with one socket.
 */

/**
 * Opens @p n listening sockets (non-blocking, close-on-exec, TCP_NODELAY
 * inherited by accepted sockets) on @p host : @p port (0: one ephemeral
 * port for all of them) into @p fds. @p bound receives "host:port" as bound
 * ("[v6]:port" for IPv6). 0, or -1 after logging why, naming the address as
 * @p label (the config's `listen`); nothing is left open then.
 */
int listener_open(const char *label, const char *host, int port, int n, int *fds, char *bound,
                  size_t bound_len);

/** Closes the fds that are ≥ 0 and sets them to -1. */
void listener_close(int *fds, int n);

#endif
