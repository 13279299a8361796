/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/qemu/qemu-qmp.c - the minimal QMP client (see qemu-qmp.h).
 * QMP sends one JSON object per line: a greeting, then replies to commands
 * in order ("return" or "error" members) with events ("event" member)
 * interleaved.
 */
#include "server/lib/fbhost.h"
#include "server/guests/qemu/qemu-qmp.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* One connection: the socket and the bytes read past the last line. */
struct qemu_qmp {
	int fd;
	size_t len; /* bytes in buf */
	char buf[QEMU_QMP_LINE_MAX_BYTES];
};

static uint64_t qmp_now_ms(void)
{
	return fbhost_now_ns() / 1000000u;
}

/* Reads one line (without its newline) into line, waiting until deadline
 * (ms of qmp_now_ms). A line longer than the buffer is cut. 0 or -errno. */
static int qmp_read_line(struct qemu_qmp *q, char *line, size_t size, uint64_t deadline)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		struct pollfd pfd = { .fd = q->fd, .events = POLLIN };
		uint64_t now;
		ssize_t n;

		if (nl || q->len == sizeof(q->buf)) {
			size_t linelen = nl ? (size_t)(nl - q->buf) : q->len;
			size_t used = nl ? linelen + 1 : q->len;
			size_t copy;

			if (linelen && q->buf[linelen - 1] == '\r')
				linelen--; /* QMP ends lines with CR LF */
			copy = linelen < size - 1 ? linelen : size - 1;

			memcpy(line, q->buf, copy);
			line[copy] = '\0';
			memmove(q->buf, q->buf + used, q->len - used);
			q->len -= used;
			return 0;
		}
		now = qmp_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		n = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EINTR && errno != EAGAIN)
			return -errno;
		if (n > 0)
			q->len += (size_t)n;
	}
}

/* Writes json and a newline, with fd as SCM_RIGHTS on the first byte. */
static int qmp_send(struct qemu_qmp *q, const char *json, int fd)
{
	size_t len = strlen(json);
	char *msg = malloc(len + 1);
	size_t off = 0;

	if (!msg)
		return -ENOMEM;
	memcpy(msg, json, len);
	msg[len++] = '\n';
	while (off < len) {
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(sizeof(int))];
		} ctl;
		struct iovec iov = { .iov_base = msg + off, .iov_len = len - off };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		if (fd >= 0 && off == 0) {
			struct cmsghdr *c;

			memset(&ctl, 0, sizeof(ctl));
			mh.msg_control = ctl.buf;
			mh.msg_controllen = sizeof(ctl.buf);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof(int));
		}
		n = sendmsg(q->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* EPIPE: the peer is gone; EAGAIN: the send timeout passed */
			int e = errno == EPIPE ? ECONNRESET : errno == EAGAIN ? ETIMEDOUT : errno;

			free(msg);
			return -e;
		}
		off += (size_t)n;
	}
	free(msg);
	return 0;
}

/* Reads lines until the reply to the last command (events skipped). */
static int qmp_reply(struct qemu_qmp *q, char *reply, size_t size, uint64_t deadline)
{
	char *own = malloc(QEMU_QMP_LINE_MAX_BYTES);
	int rc;

	if (!own)
		return -ENOMEM;
	for (;;) {
		rc = qmp_read_line(q, own, QEMU_QMP_LINE_MAX_BYTES, deadline);
		if (rc)
			break;
		if (strstr(own, "\"event\"") && !strstr(own, "\"return\""))
			continue;
		if (reply && size)
			snprintf(reply, size, "%s", own);
		rc = strstr(own, "\"error\"") ? -EIO : 0;
		break;
	}
	free(own);
	return rc;
}

struct qemu_qmp *qemu_qmp_open(const char *path, unsigned timeout_ms, char *err, size_t errlen)
{
	uint64_t deadline = qmp_now_ms() + timeout_ms;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct qemu_qmp *q;
	char greeting[256];
	int rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "QMP socket path too long");
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot connect to QMP socket %s: %s", path, strerror(-rc));
		goto fail_connect;
	}
	/* A monitor busy with another client accepts nothing and its backlog
	 * fills: a Unix connect() then waits until the send timeout, as does
	 * a send to a QEMU that stops reading. */
	setsockopt(q->fd, SOL_SOCKET, SO_SNDTIMEO,
		   &(struct timeval){ .tv_sec = timeout_ms / 1000,
				      .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000 },
		   sizeof(struct timeval));
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (rc == -ETIMEDOUT)
			snprintf(err, errlen,
				 "QMP socket %s accepted no connection within %u ms (is another "
				 "client using QEMU's monitor?)",
				 path, timeout_ms);
		else
			snprintf(err, errlen, "cannot connect to QMP socket %s: %s", path,
				 strerror(-rc));
		goto fail_connect;
	}
	rc = qmp_read_line(q, greeting, sizeof(greeting), deadline);
	if (rc == 0 && !strstr(greeting, "\"QMP\""))
		rc = -EPROTO;
	if (rc) {
		snprintf(err, errlen, "no QMP greeting on %s: %s", path, strerror(-rc));
		goto fail_connect;
	}
	rc = qemu_qmp_command(q, "{\"execute\": \"qmp_capabilities\"}", -1, NULL, 0,
			      (unsigned)(deadline > qmp_now_ms() ? deadline - qmp_now_ms() : 0));
	if (rc) {
		snprintf(err, errlen, "QMP capabilities negotiation on %s failed: %s", path,
			 strerror(-rc));
		goto fail_connect;
	}
	return q;

fail_connect:
	if (q->fd >= 0)
		close(q->fd);
	free(q);
	errno = -rc;
	return NULL;
}

void qemu_qmp_close(struct qemu_qmp *q)
{
	if (!q)
		return;
	close(q->fd);
	free(q);
}

int qemu_qmp_command(struct qemu_qmp *q, const char *json, int fd, char *reply, size_t size,
		     unsigned timeout_ms)
{
	int rc = qmp_send(q, json, fd);

	if (rc)
		return rc;
	return qmp_reply(q, reply, size, qmp_now_ms() + timeout_ms);
}

int qemu_qmp_wait_event(struct qemu_qmp *q, const char *needle, unsigned timeout_ms)
{
	uint64_t deadline = qmp_now_ms() + timeout_ms;
	char *line = malloc(QEMU_QMP_LINE_MAX_BYTES);
	int rc;

	if (!line)
		return -ENOMEM;
	do
		rc = qmp_read_line(q, line, QEMU_QMP_LINE_MAX_BYTES, deadline);
	while (rc == 0 && !(strstr(line, "\"event\"") && strstr(line, needle)));
	free(line);
	return rc;
}
