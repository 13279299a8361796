/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/app/control-server.c - the control socket's transport: listening,
 * accepting, cutting requests into lines within CONTROL_LINE_MAX_BYTES,
 * queueing replies, all on one thread with poll(). Every socket is
 * non-blocking, so no client can stall the server.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "server/app/control-server.h"
#include "fb/clock.h"

#define CONTROL_POLL_INTERVAL_MS 1000
#define CONTROL_ERROR_MAX_BYTES 512u

struct control_reply {
	char *buf;
	size_t len;
	size_t cap;
	bool error;
	bool overflow; /* exceeded CONTROL_REPLY_MAX_BYTES */
};

/* One connection. Touched only by the control thread. */
struct control_conn {
	int fd; /* -1 = free slot */
	char in[CONTROL_LINE_MAX_BYTES];
	size_t inlen;
	bool discarding; /* skipping the rest of a too-long line */
	bool eof; /* peer shut down its side: close once the output drained */
	char *out;
	size_t outlen, outpos, outcap;
	uint64_t active_ms; /* last request or write, CLOCK_MONOTONIC */
};

/* The server. Fields are set before the thread starts and read-only after,
 * except conns, which only the thread touches. */
struct control_server {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	int stop_fd; /* eventfd: written by control_server_free */
	pthread_t thread;
	control_handler_fn *handler;
	void *opaque;
	struct control_conn conns[CONTROL_MAX_CLIENTS];
};

/* ---- replies -------------------------------------------------------------- */

static void control_reply_vappend(struct control_reply *r, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	if (r->overflow)
		return;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if (r->len + (size_t)n + 2 > CONTROL_REPLY_MAX_BYTES) {
		r->overflow = true;
		return;
	}
	if (r->len + (size_t)n + 2 > r->cap) {
		size_t cap = r->cap ? r->cap : 256;
		char *b;

		while (cap < r->len + (size_t)n + 2)
			cap *= 2;
		b = realloc(r->buf, cap);
		if (!b) {
			r->overflow = true;
			return;
		}
		r->buf = b;
		r->cap = cap;
	}
	vsnprintf(r->buf + r->len, (size_t)n + 1, fmt, ap);
	r->len += (size_t)n;
	r->buf[r->len++] = '\n';
}

void control_reply_line(struct control_reply *r, const char *fmt, ...)
{
	va_list ap;

	if (r->error)
		return;
	va_start(ap, fmt);
	control_reply_vappend(r, fmt, ap);
	va_end(ap);
}

void control_reply_error(struct control_reply *r, const char *fmt, ...)
{
	char msg[CONTROL_ERROR_MAX_BYTES];
	va_list ap;

	if (r->error)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->len = 0;
	r->overflow = false;
	control_reply_line(r, "error: %s", msg);
	r->error = true;
}

/* ---- connections ---------------------------------------------------------- */

static void control_conn_close(struct control_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Queues bytes for c; false if that would exceed CONTROL_REPLY_MAX_BYTES of
 * unsent output (the peer is not reading: drop it). */
static bool control_conn_queue(struct control_conn *c, const char *data, size_t len)
{
	if (c->outpos == c->outlen)
		c->outpos = c->outlen = 0;
	if (c->outlen - c->outpos + len > 2 * CONTROL_REPLY_MAX_BYTES)
		return false;
	if (c->outlen + len > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 1024;
		char *b;

		while (cap < c->outlen + len)
			cap *= 2;
		b = realloc(c->out, cap);
		if (!b)
			return false;
		c->out = b;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, data, len);
	c->outlen += len;
	return true;
}

/* Sends what is queued; false on a fatal socket error. */
static bool control_conn_flush(struct control_conn *c)
{
	while (c->outpos < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outpos, c->outlen - c->outpos,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK;
		}
		c->outpos += (size_t)n;
		c->active_ms = fb_clock_now_ms();
	}
	return true;
}

/* Whether a line holds only text: no control bytes but tab. */
static bool control_line_is_text(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return false;
	}
	return true;
}

/* Handles one complete line (len bytes, no newline); false if c must go. */
static bool control_conn_line(struct control_server *cs, struct control_conn *c, char *line,
			      size_t len)
{
	struct control_reply r = { 0 };
	bool ok;

	if (len && line[len - 1] == '\r')
		len--;
	if (!control_line_is_text(line, len)) {
		control_reply_error(&r, "request holds binary data or control characters");
	} else {
		size_t i = 0;

		line[len] = '\0';
		while (line[i] == ' ' || line[i] == '\t')
			i++;
		if (!line[i])
			return true; /* empty line: nothing to say */
		cs->handler(cs->opaque, line + i, &r);
		if (r.overflow)
			control_reply_error(&r, "reply larger than %u bytes",
					    CONTROL_REPLY_MAX_BYTES);
		else if (!r.error)
			control_reply_line(&r, "ok");
	}
	ok = control_conn_queue(c, r.buf, r.len);
	free(r.buf);
	c->active_ms = fb_clock_now_ms();
	return ok;
}

/* Reads what is there and handles every complete line; false if c must go. */
static bool control_conn_read(struct control_server *cs, struct control_conn *c)
{
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
	size_t start = 0;

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
	if (n == 0) {
		c->eof = true;
		/* a last line without newline still counts */
		if (c->inlen && !c->discarding) {
			char line[CONTROL_LINE_MAX_BYTES + 1];

			memcpy(line, c->in, c->inlen);
			if (!control_conn_line(cs, c, line, c->inlen))
				return false;
		}
		c->inlen = 0;
		return true;
	}
	c->inlen += (size_t)n;
	for (;;) {
		char *nl = memchr(c->in + start, '\n', c->inlen - start);

		if (!nl)
			break;
		if (c->discarding) {
			c->discarding = false; /* the long line ends here */
		} else {
			char line[CONTROL_LINE_MAX_BYTES + 1];
			size_t len = (size_t)(nl - (c->in + start));

			memcpy(line, c->in + start, len);
			if (!control_conn_line(cs, c, line, len))
				return false;
		}
		start = (size_t)(nl - c->in) + 1;
	}
	memmove(c->in, c->in + start, c->inlen - start);
	c->inlen -= start;
	if (c->discarding) {
		c->inlen = 0; /* still inside the long line: drop it unread */
	} else if (c->inlen == sizeof(c->in)) {
		struct control_reply r = { 0 };
		bool ok;

		control_reply_error(&r, "request line longer than %u bytes", CONTROL_LINE_MAX_BYTES);
		ok = control_conn_queue(c, r.buf, r.len);
		free(r.buf);
		c->inlen = 0;
		c->discarding = true;
		return ok;
	}
	return true;
}

static void control_accept(struct control_server *cs)
{
	static const char busy[] = "error: too many control connections\n";
	int fd = accept4(cs->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	unsigned i;

	if (fd < 0)
		return;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_conn *c = &cs->conns[i];

		if (c->fd < 0) {
			c->fd = fd;
			c->active_ms = fb_clock_now_ms();
			return;
		}
	}
	if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* nothing more to do for it */
	}
	close(fd);
}

static void *control_thread(void *arg)
{
	struct control_server *cs = arg;
	struct pollfd pfd[CONTROL_MAX_CLIENTS + 2];
	int slot[CONTROL_MAX_CLIENTS + 2];

	for (;;) {
		nfds_t n = 0;
		uint64_t now;
		unsigned i;
		nfds_t k;

		pfd[n] = (struct pollfd){ .fd = cs->stop_fd, .events = POLLIN };
		slot[n++] = -1;
		pfd[n] = (struct pollfd){ .fd = cs->listen_fd, .events = POLLIN };
		slot[n++] = -1;
		for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
			struct control_conn *c = &cs->conns[i];
			bool pending = c->outpos < c->outlen;

			if (c->fd < 0)
				continue;
			/* Back-pressure: read the next request only once the
			 * previous replies went out. */
			pfd[n] = (struct pollfd){ .fd = c->fd,
						  .events = pending ? POLLOUT
								    : (c->eof ? 0 : POLLIN) };
			slot[n++] = (int)i;
		}
		if (poll(pfd, n, CONTROL_POLL_INTERVAL_MS) < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			/* Never silently: without this thread nobody answers. */
			fprintf(stderr, "fbhost: error: control socket %s: poll failed: %s; "
					"no more control requests are served\n",
				cs->path, strerror(e));
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN)
			control_accept(cs);
		for (k = 2; k < n; k++) {
			struct control_conn *c = &cs->conns[slot[k]];
			bool ok = true;

			if (pfd[k].revents & (POLLERR | POLLNVAL))
				ok = false;
			else if (pfd[k].revents & POLLOUT)
				ok = control_conn_flush(c);
			else if (pfd[k].revents & (POLLIN | POLLHUP))
				ok = control_conn_read(cs, c) && control_conn_flush(c);
			if (ok && c->eof && c->outpos == c->outlen)
				ok = false; /* all answered */
			if (!ok)
				control_conn_close(c);
		}
		now = fb_clock_now_ms();
		for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
			struct control_conn *c = &cs->conns[i];

			if (c->fd >= 0 && now - c->active_ms > CONTROL_IDLE_TIMEOUT_MS)
				control_conn_close(c);
		}
	}
	return NULL;
}

/* ---- setup ---------------------------------------------------------------- */

/* Removes a socket file no server answers on; -EADDRINUSE if one does,
 * -EEXIST if path is not a socket. */
static int control_clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (unlink(path) != 0 && errno != ENOENT)
		return -errno;
	return 0;
}

struct control_server *control_server_new(const char *path, control_handler_fn *handler,
					  void *opaque, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct control_server *cs;
	mode_t old_mask;
	unsigned i;
	int rc, e;

	if (!path || !path[0] || strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path must be 1..%zu bytes",
			 sizeof(sa.sun_path) - 1);
		errno = EINVAL;
		return NULL;
	}
	cs = calloc(1, sizeof(*cs));
	if (!cs) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		cs->conns[i].fd = -1;
	cs->handler = handler;
	cs->opaque = opaque;
	snprintf(cs->path, sizeof(cs->path), "%s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);

	rc = control_clear_stale(path, &sa);
	if (rc) {
		snprintf(err, errlen, "control socket %s: %s", path,
			 rc == -EADDRINUSE ? "another fbhost is serving it"
			 : rc == -EEXIST	   ? "exists and is not a socket"
					   : strerror(-rc));
		errno = -rc;
		goto fail_stale;
	}
	cs->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (cs->listen_fd < 0)
		goto fail_socket;
	/* Created owner-only (umask), and chmod'ed again to be sure. The umask
	 * is process-wide for this instant: a file another thread creates
	 * meanwhile only gets stricter permissions. */
	old_mask = umask(0177);
	rc = bind(cs->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (rc != 0 || chmod(path, 0600) != 0 || listen(cs->listen_fd, 16) != 0)
		goto fail_bind;
	cs->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (cs->stop_fd < 0)
		goto fail_eventfd;
	rc = pthread_create(&cs->thread, NULL, control_thread, cs);
	if (rc) {
		errno = rc;
		goto fail_thread;
	}
	return cs;

fail_thread:
	close(cs->stop_fd);
fail_eventfd:
fail_bind:
	e = errno;
	unlink(path);
	errno = e;
	close(cs->listen_fd);
fail_socket:
	e = errno;
	snprintf(err, errlen, "control socket %s: %s", path, strerror(e));
	errno = e;
fail_stale:
	e = errno;
	free(cs);
	errno = e;
	return NULL;
}

void control_server_free(struct control_server *cs)
{
	uint64_t one = 1;
	unsigned i;

	if (!cs)
		return;
	if (write(cs->stop_fd, &one, sizeof(one)) != sizeof(one)) {
		/* an eventfd write of 1 cannot fail short of a bug */
	}
	pthread_join(cs->thread, NULL);
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (cs->conns[i].fd >= 0) {
			control_conn_flush(&cs->conns[i]);
			control_conn_close(&cs->conns[i]);
		}
	}
	close(cs->stop_fd);
	close(cs->listen_fd);
	unlink(cs->path);
	free(cs);
}

int control_default_path(char *buf, size_t size, char *err, size_t errlen)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	char dir[64];

	if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode)) {
		if ((size_t)snprintf(buf, size, "%s/fbhost.sock", xdg) >= size) {
			snprintf(err, errlen, "$XDG_RUNTIME_DIR too long for a socket path");
			return -ENAMETOOLONG;
		}
		return 0;
	}
	snprintf(dir, sizeof(dir), "/tmp/fbhost-%u", (unsigned)getuid());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -errno;
	}
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077)) {
		snprintf(err, errlen, "%s is not a private directory of ours (mode 0700)", dir);
		return -EPERM;
	}
	snprintf(buf, size, "%s/fbhost.sock", dir);
	return 0;
}
