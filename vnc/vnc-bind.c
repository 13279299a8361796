/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-bind.c - binds listening sockets for the VNC and web ports.
 *
 * We bind them ourselves instead of letting rfbInitServer do it because
 * LibVNCServer reports bind failures only as a log line (rfbInitServer
 * returns void), cannot bind IPv4 and IPv6 to one OS-chosen port (port 0),
 * and takes the IPv4 address as an in_addr_t only. The sockets are handed to
 * LibVNCServer as listenSock/listen6Sock.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vnc/vnc-internal.h"

/* Attempts for a port-0 bind where IPv6 must get IPv4's port. */
#define VNC_LISTEN_ANY_PORT_TRIES 8

bool vnc_host_is_loopback(const char *host)
{
	struct in_addr a4;

	if (!host || !strcmp(host, "localhost") || !strcmp(host, "::1"))
		return true;
	return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

/* Opens one listening socket on addr with the given port: fd or -errno. */
static int listen_on(const struct sockaddr *addr, socklen_t len, int port)
{
	struct sockaddr_storage ss;
	int one = 1, fd, e;

	memcpy(&ss, addr, len);
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 32) < 0) {
		e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static int bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* Resolves host into at most one IPv4 and one IPv6 address. */
static int resolve(const char *host, struct sockaddr_storage *a4, bool *has4,
		   struct sockaddr_storage *a6, bool *has6, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *res, *p;
	int rc;

	*has4 = *has6 = false;
	if (!host || !strcmp(host, "localhost") || !strcmp(host, "*")) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)a4;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)a6;
		bool any = host && !strcmp(host, "*");

		memset(a4, 0, sizeof(*a4));
		memset(a6, 0, sizeof(*a6));
		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(any ? INADDR_ANY : INADDR_LOOPBACK);
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = any ? in6addr_any : in6addr_loopback;
		*has4 = *has6 = true;
		return 0;
	}
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0) {
		snprintf(err, errlen, "cannot resolve listen address '%s': %s", host,
			 gai_strerror(rc));
		return -EINVAL;
	}
	for (p = res; p; p = p->ai_next) {
		if (p->ai_family == AF_INET && !*has4) {
			memcpy(a4, p->ai_addr, p->ai_addrlen);
			*has4 = true;
		} else if (p->ai_family == AF_INET6 && !*has6) {
			memcpy(a6, p->ai_addr, p->ai_addrlen);
			*has6 = true;
		}
	}
	freeaddrinfo(res);
	if (!*has4 && !*has6) {
		snprintf(err, errlen, "listen address '%s' has no IPv4 or IPv6 address", host);
		return -EINVAL;
	}
	return 0;
}

int vnc_listen_open(const char *host, int port, struct vnc_listen *out, char *err, size_t errlen)
{
	struct sockaddr_storage a4, a6;
	bool has4, has6, loop = !host || !strcmp(host, "localhost");
	const char *shown = host ? host : "127.0.0.1/::1";
	int rc, tries = port == 0 ? VNC_LISTEN_ANY_PORT_TRIES : 1;

	out->fd4 = out->fd6 = -1;
	out->port = -1;
	if (port < 0 || port > 65535) {
		snprintf(err, errlen, "port %d is out of range 0..65535", port);
		return -EINVAL;
	}
	rc = resolve(host, &a4, &has4, &a6, &has6, err, errlen);
	if (rc < 0)
		return rc;
	for (int t = 0; t < tries; t++) {
		int p = port;

		if (has4) {
			rc = listen_on((struct sockaddr *)&a4, sizeof(struct sockaddr_in), p);
			if (rc < 0)
				goto fail_bind;
			out->fd4 = rc;
			p = bound_port(rc);
		}
		if (has6) {
			rc = listen_on((struct sockaddr *)&a6, sizeof(struct sockaddr_in6), p);
			if (rc == -EADDRINUSE && port == 0 && has4) {
				close(out->fd4);
				out->fd4 = -1;
				continue; /* IPv6 has that port taken: try another */
			}
			/* A host without IPv6 loopback still serves IPv4. */
			if (rc < 0 && has4 && loop &&
			    (rc == -EADDRNOTAVAIL || rc == -EAFNOSUPPORT)) {
				rc = 0;
			} else if (rc < 0) {
				goto fail_bind;
			} else {
				out->fd6 = rc;
				if (!has4)
					p = bound_port(rc);
			}
		}
		out->port = p;
		return 0;
	}
	snprintf(err, errlen, "cannot find a free port on %s for both IPv4 and IPv6", shown);
	vnc_listen_close(out);
	return -EADDRINUSE;

fail_bind:
	snprintf(err, errlen, "cannot listen on %s port %d: %s", shown, port, strerror(-rc));
	vnc_listen_close(out);
	return rc;
}

void vnc_listen_close(struct vnc_listen *l)
{
	if (l->fd4 >= 0)
		close(l->fd4);
	if (l->fd6 >= 0)
		close(l->fd6);
	l->fd4 = l->fd6 = -1;
}
