/* SPDX-License-Identifier: MIT */
/* The listening sockets (see listener.h). */
#include "listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"

#define LISTEN_BACKLOG 4096

static void log_failure(const char *label)
{
	log_emit(RELAYD_LOG_ERROR, NULL, NULL, "cannot listen on %s: %s", label, strerror(errno));
}

/* A bound (not yet listening) socket; -1 with errno. */
static int bound_socket(const struct sockaddr *sa, socklen_t len, bool reuseport)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Inherited by accepted sockets: a reply must not wait for a delayed
	 * ACK of the previous one on a kept-alive connection. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if ((reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) ||
	    bind(fd, sa, len) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Binds a plain socket to the address: fails when anyone listens there
 * (a relayd's group included). *out gets the address as bound, with the
 * kernel's port when the asked one was 0. */
static int probe_address(const struct addrinfo *ai, struct sockaddr_storage *out, socklen_t *len)
{
	int fd = bound_socket(ai->ai_addr, ai->ai_addrlen, false);
	if (fd < 0)
		return -1;
	*len = sizeof(*out);
	int rc = getsockname(fd, (struct sockaddr *)out, len);
	close(fd); /* bound, never listening: the port is free again at once */
	return rc;
}

static void format_bound(const struct sockaddr_storage *ss, char *bound, size_t bound_len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
	}
	snprintf(bound, bound_len, ss->ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", host, port);
}

int listener_open(const char *label, const char *host, int port, int n, int *fds, char *bound,
                  size_t bound_len)
{
	for (int i = 0; i < n; i++)
		fds[i] = -1;
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
	                         .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	char service[8];
	snprintf(service, sizeof(service), "%d", port);
	int rc = getaddrinfo(host, service, &hints, &ai);
	if (rc != 0) {
		log_emit(RELAYD_LOG_ERROR, NULL, NULL, "cannot resolve listen address %s: %s", label,
		         gai_strerror(rc));
		return -1;
	}
	struct sockaddr_storage ss;
	socklen_t len;
	rc = probe_address(ai, &ss, &len);
	freeaddrinfo(ai);
	if (rc != 0) {
		log_failure(label);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		fds[i] = bound_socket((const struct sockaddr *)&ss, len, true);
		if (fds[i] < 0 || listen(fds[i], LISTEN_BACKLOG) != 0) {
			log_failure(label);
			listener_close(fds, n);
			return -1;
		}
	}
	format_bound(&ss, bound, bound_len);
	return 0;
}

void listener_close(int *fds, int n)
{
	for (int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}
