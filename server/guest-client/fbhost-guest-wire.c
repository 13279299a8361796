/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guest-client/fbhost-guest-wire.c - libfbhost-guest's message
 * transport: one message a sendmsg/recvmsg on the attach socket, with at
 * most one descriptor; messages that arrive while the library waits for a
 * particular answer are queued and become events later, in order.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fbhost-guest-internal.h"

int guest_fail(struct fbhost_guest *g, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->err, sizeof(g->err), fmt, ap);
	va_end(ap);
	return -code;
}

uint64_t guest_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int guest_send(struct fbhost_guest *g, const void *msg, size_t len, int fd)
{
	union fbg_fd_control ctl;
	struct iovec iov = { (void *)msg, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	fbg_msg_attach_fd(&mh, &ctl, fd);
	for (;;) {
		if (sendmsg(g->fd, &mh, MSG_NOSIGNAL) == (ssize_t)len)
			return 0;
		if (errno != EINTR)
			return guest_fail(g, errno, "send: %s", strerror(errno));
	}
}

struct guest_msg *guest_recv(struct fbhost_guest *g, int timeout_ms, int *rc)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} ctl;
	struct pollfd pfd = { .fd = g->fd, .events = POLLIN };
	struct guest_msg *m;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	*rc = 0;
	if (g->closed) {
		*rc = -ENOTCONN;
		return NULL;
	}
	n = poll(&pfd, 1, timeout_ms);
	if (n <= 0) {
		*rc = n < 0 && errno != EINTR ? -errno : 0;
		return NULL;
	}
	m = malloc(sizeof(*m));
	if (!m) {
		*rc = -ENOMEM;
		return NULL;
	}
	m->next = NULL;
	m->fd = -1;
	iov.iov_base = m->data;
	iov.iov_len = sizeof(m->data);
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(g->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n <= 0) {
		*rc = n == 0 ? -ECONNRESET : (errno == EAGAIN ? 0 : -errno);
		if (n == 0)
			g->closed = true;
		free(m);
		return NULL;
	}
	if (fbg_msg_take_fds(&mh, &m->fd, 1) == 0)
		m->fd = -1;
	m->len = (size_t)n;
	if (m->len < sizeof(struct fbg_hdr) || ((struct fbg_hdr *)m->data)->size != m->len) {
		if (m->fd >= 0)
			close(m->fd);
		free(m);
		*rc = guest_fail(g, EBADMSG, "malformed message from fbhost");
		return NULL;
	}
	return m;
}

void guest_msg_free(struct guest_msg *m)
{
	if (m->fd >= 0)
		close(m->fd);
	free(m);
}

void guest_queue(struct fbhost_guest *g, struct guest_msg *m)
{
	uint16_t type = ((struct fbg_hdr *)m->data)->type;

	if (g->queued >= GUEST_QUEUE_MAX &&
	    (type == FBG_KEY || type == FBG_POINTER || type == FBG_CLIPBOARD_IN)) {
		guest_msg_free(m); /* the application does not read events */
		return;
	}
	*g->tail = m;
	g->tail = &m->next;
	g->queued++;
}

struct guest_msg *guest_wait(struct fbhost_guest *g, uint16_t want, uint16_t want_about, int *rc)
{
	uint64_t end = guest_now_ms() + FBHOST_GUEST_TIMEOUT_MS;

	for (;;) {
		uint64_t now = guest_now_ms();
		struct guest_msg *m;
		struct fbg_hdr *h;

		if (now >= end) {
			*rc = guest_fail(g, ETIMEDOUT, "no answer from fbhost within %d ms",
					 FBHOST_GUEST_TIMEOUT_MS);
			return NULL;
		}
		m = guest_recv(g, (int)(end - now), rc);
		if (!m) {
			if (*rc)
				return NULL;
			continue;
		}
		h = (struct fbg_hdr *)m->data;
		if (h->type == want)
			return m;
		if (h->type == FBG_ERROR && m->len == sizeof(struct fbg_error)) {
			struct fbg_error *e = (struct fbg_error *)m->data;

			if (e->fatal || e->about == want_about) {
				e->text[sizeof(e->text) - 1] = '\0';
				*rc = guest_fail(g, e->code > 0 ? e->code : EPROTO, "fbhost: %s",
						 e->text);
				guest_msg_free(m);
				return NULL;
			}
		}
		guest_queue(g, m);
	}
}
