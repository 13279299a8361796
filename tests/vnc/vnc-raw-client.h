/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/vnc-raw-client.h - a hand-made RFB client on a bare socket, for
 * what no real viewer does on purpose: stop reading, dribble, send garbage
 * or odd messages. Include after vnc-fixture.h.
 */
#ifndef FBHOST_TESTS_VNC_RAW_CLIENT_H
#define FBHOST_TESTS_VNC_RAW_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

/* A TCP connection to 127.0.0.1:port (rcvbuf 0 = default): fd, or -1 if
 * a blocking connect failed. */
static inline int vt_tcp_connect(int port, int rcvbuf, bool nonblock)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);

	assert_true(fd >= 0);
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && !nonblock) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads exactly n bytes within VT_WAIT_MS: 0 or -1. */
static inline int vt_read_exact(int fd, void *buf, size_t n)
{
	uint64_t end = vt_now_ms() + VT_WAIT_MS;
	size_t got = 0;

	while (got < n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = vt_now_ms();
		ssize_t r;

		if (now >= end || poll(&pfd, 1, (int)(end - now)) <= 0)
			return -1;
		r = recv(fd, (char *)buf + got, n - got, 0);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* RFB 3.8 with security None, shared, through ServerInit: fd or -1. */
static inline int vt_rfb_client(int port, int rcvbuf)
{
	uint8_t b[64], one = 1;
	uint32_t name_len;
	int fd = vt_tcp_connect(port, rcvbuf, false);

	if (fd < 0)
		return -1;
	if (vt_read_exact(fd, b, 12) < 0 || send(fd, "RFB 003.008\n", 12, MSG_NOSIGNAL) != 12 ||
	    vt_read_exact(fd, b, 2) < 0 || b[0] != 1 || b[1] != 1 ||
	    send(fd, &one, 1, MSG_NOSIGNAL) != 1 || vt_read_exact(fd, b, 4) < 0 ||
	    send(fd, &one, 1, MSG_NOSIGNAL) != 1 || vt_read_exact(fd, b, 24) < 0)
		goto fail;
	name_len = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
	while (name_len) {
		uint32_t n = name_len < sizeof(b) ? name_len : sizeof(b);

		if (vt_read_exact(fd, b, n) < 0)
			goto fail;
		name_len -= n;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

#endif
