/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/app/self-check.c - `fbhost --check`: once every framebuffer is served,
 * connect to each one's VNC port as a viewer would, run the RFB handshake up
 * to ServerInit and compare the size it announces with the framebuffer's
 * mode; fetch the browser viewer page where one is served. This is what the
 * README's first command and CI use to prove that a fresh build answers a
 * real client, not only that it started.
 *
 * Everything here is a plain blocking client on the main thread with one
 * deadline for the whole check (SELF_CHECK_TIMEOUT_MS).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fb/clock.h"
#include "server/app/self-check.h"

/* The whole check (every framebuffer) must finish within this. */
#define SELF_CHECK_TIMEOUT_MS 10000
/* Longest desktop name or failure reason read from the server. */
#define SELF_CHECK_TEXT_MAX_BYTES 256u
/* RFB security types (RFC 6143 7.1.2). */
#define SELF_CHECK_SEC_NONE 1u
#define SELF_CHECK_SEC_VNC 2u

/* One connection's state: the socket and the shared deadline. */
struct self_check_conn {
	int fd;
	struct timespec deadline;
};

static int self_check_ms_left(const struct timespec *deadline)
{
	long long ms = fb_clock_ms_until(deadline);

	return ms > 0 ? (int)ms : 0;
}

/* Waits for fd to be ready for events before the deadline. 0 or -ETIMEDOUT. */
static int self_check_wait(struct self_check_conn *c, short events)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int n;

	do
		n = poll(&p, 1, self_check_ms_left(&c->deadline));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

static int self_check_read(struct self_check_conn *c, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n;
		int err = self_check_wait(c, POLLIN);

		if (err)
			return err;
		n = recv(c->fd, (char *)buf + got, len - got, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n > 0)
			got += (size_t)n;
	}
	return 0;
}

static int self_check_write(struct self_check_conn *c, const void *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n;
		int err = self_check_wait(c, POLLOUT);

		if (err)
			return err;
		n = send(c->fd, (const char *)buf + put, len - put, MSG_NOSIGNAL);
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n > 0)
			put += (size_t)n;
	}
	return 0;
}

static uint32_t self_check_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Connects to host:port (a wildcard listen address is reached on loopback). */
static int self_check_connect(struct self_check_conn *c, const char *host, int port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	char service[16];
	int err;

	if (!host[0] || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	snprintf(service, sizeof(service), "%d", port);
	err = getaddrinfo(host, service, &hints, &res);
	if (err)
		return -EHOSTUNREACH;
	err = -ECONNREFUSED;
	for (ai = res; ai; ai = ai->ai_next) {
		c->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (c->fd < 0)
			continue;
		if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			err = 0;
			break;
		}
		err = -errno;
		close(c->fd);
		c->fd = -1;
	}
	freeaddrinfo(res);
	return err;
}

/* The client side of the RFB handshake up to ServerInit. Fills what the
 * server answered into msg; 0 or -errno (-EPROTO with msg saying why). */
static int self_check_rfb(struct self_check_conn *c, const struct self_check_target *t, char *msg,
			  size_t msglen)
{
	uint8_t version[12], ntypes, types[255], init[24], one = 1;
	char name[SELF_CHECK_TEXT_MAX_BYTES + 1];
	uint32_t len, w, h;
	bool none = false, vnc = false;
	int err, i;

	if ((err = self_check_read(c, version, sizeof(version))))
		return err;
	if (memcmp(version, "RFB 003.", 8) != 0) {
		snprintf(msg, msglen, "not an RFB server (greeting %.11s)", (char *)version);
		return -EPROTO;
	}
	if ((err = self_check_write(c, "RFB 003.008\n", 12)) ||
	    (err = self_check_read(c, &ntypes, 1)))
		return err;
	if (ntypes == 0) {
		uint8_t l[4];

		if ((err = self_check_read(c, l, 4)))
			return err;
		len = self_check_be32(l);
		len = len < SELF_CHECK_TEXT_MAX_BYTES ? len : SELF_CHECK_TEXT_MAX_BYTES;
		if ((err = self_check_read(c, name, len)))
			return err;
		name[len] = '\0';
		snprintf(msg, msglen, "refused: %s", name);
		return -EPROTO;
	}
	if ((err = self_check_read(c, types, ntypes)))
		return err;
	for (i = 0; i < ntypes; i++) {
		none |= types[i] == SELF_CHECK_SEC_NONE;
		vnc |= types[i] == SELF_CHECK_SEC_VNC;
	}
	if (!none) {
		/* A password is set: the server answered a viewer; the check does
		 * not read the password file, so it stops at the security list. */
		snprintf(msg, msglen, "RFB %.7s, %s", (char *)version + 4,
			 vnc ? "VNC password required" : "no security type the check speaks");
		return 0;
	}
	if ((err = self_check_write(c, &one, 1)) || (err = self_check_read(c, init, 4)))
		return err;
	if (self_check_be32(init) != 0) {
		snprintf(msg, msglen, "security result %u", self_check_be32(init));
		return -EPROTO;
	}
	/* ClientInit (shared), then ServerInit: w, h, pixel format, name. */
	if ((err = self_check_write(c, &one, 1)) || (err = self_check_read(c, init, 24)))
		return err;
	w = (uint32_t)init[0] << 8 | init[1];
	h = (uint32_t)init[2] << 8 | init[3];
	len = self_check_be32(init + 20);
	len = len < SELF_CHECK_TEXT_MAX_BYTES ? len : SELF_CHECK_TEXT_MAX_BYTES;
	if ((err = self_check_read(c, name, len)))
		return err;
	name[len] = '\0';
	if (w != t->width || h != t->height) {
		snprintf(msg, msglen, "ServerInit says %ux%u, framebuffer is %ux%u", w, h, t->width,
			 t->height);
		return -EPROTO;
	}
	snprintf(msg, msglen, "RFB %.7s, %ux%u \"%s\"", (char *)version + 4, w, h, name);
	return 0;
}

/* GET path from the viewer's HTTP server; 0 if it answers 200. */
static int self_check_http(struct self_check_conn *c, const char *path, char *msg, size_t msglen)
{
	char req[SELF_CHECK_TEXT_MAX_BYTES * 2], status[13];
	int err, n;

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
	if ((err = self_check_write(c, req, (size_t)n)) || (err = self_check_read(c, status, 12)))
		return err;
	status[12] = '\0';
	if (strncmp(status, "HTTP/1.", 7) != 0 || strcmp(status + 9, "200") != 0) {
		snprintf(msg, msglen, "GET %s answered \"%s\"", path, status);
		return -EPROTO;
	}
	snprintf(msg, msglen, "GET %s: 200", path);
	return 0;
}

int self_check_run(const struct self_check_target *targets, unsigned n, FILE *out)
{
	struct timespec deadline;
	unsigned i;
	int failed = 0;

	deadline = fb_clock_after_ms(SELF_CHECK_TIMEOUT_MS);
	for (i = 0; i < n; i++) {
		const struct self_check_target *t = &targets[i];
		struct self_check_conn c = { .fd = -1, .deadline = deadline };
		char msg[SELF_CHECK_TEXT_MAX_BYTES * 2] = "";
		int err;

		if (t->vnc_port > 0) {
			err = self_check_connect(&c, t->vnc_host, t->vnc_port);
			if (!err)
				err = self_check_rfb(&c, t, msg, sizeof(msg));
			if (c.fd >= 0)
				close(c.fd);
			fprintf(out, "check: %s VNC port %d: %s%s\n", t->name, t->vnc_port,
				err ? "FAILED: " : "",
				err && err != -EPROTO ? strerror(-err) : msg);
			failed += err != 0;
		}
		if (t->web_port > 0) {
			c.fd = -1;
			err = self_check_connect(&c, t->vnc_host, t->web_port);
			if (!err)
				err = self_check_http(&c, t->web_path, msg, sizeof(msg));
			if (c.fd >= 0)
				close(c.fd);
			fprintf(out, "check: %s viewer port %d: %s%s\n", t->name, t->web_port,
				err ? "FAILED: " : "",
				err && err != -EPROTO ? strerror(-err) : msg);
			failed += err != 0;
		}
	}
	fprintf(out, "check: %s\n", failed ? "FAILED" : "ok");
	fflush(out);
	return failed ? -EPROTO : 0;
}
