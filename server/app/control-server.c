/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/app/control-server.c - the control socket's transport: listening
 * and accepting on one thread, and serving each connection on a thread of
 * its own (cutting requests into lines within CONTROL_LINE_MAX_BYTES,
 * running the handler, queueing replies, with poll()). A slow request (a
 * large screendump) holds up only its own connection. Every socket is
 * non-blocking, so no client can stall its thread on I/O.
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

#define CONTROL_ERROR_MAX_BYTES 512u

struct control_reply {
	char *buf;
	size_t len;
	size_t cap;
	bool error;
	bool overflow; /* exceeded CONTROL_REPLY_MAX_BYTES */
};

struct control_server;

/* What a connection slot is doing. */
enum control_slot {
	CONTROL_SLOT_FREE,    /* no thread */
	CONTROL_SLOT_SERVING, /* its thread runs */
	CONTROL_SLOT_DONE,    /* its thread has finished: join it before reuse */
};

/* One connection slot. slot and thread are protected by the server's
 * slots_lock (the accept thread and control_server_free move a slot from
 * FREE to SERVING and from DONE to FREE, joining the thread; the
 * connection's own thread moves it from SERVING to DONE as its last act).
 * Everything else is touched only by the connection's thread while it is
 * SERVING. */
struct control_conn {
	struct control_server *cs; /* set once */
	enum control_slot slot;
	pthread_t thread;
	int fd;
	char in[CONTROL_LINE_MAX_BYTES];
	size_t inlen;
	bool discarding; /* skipping the rest of a too-long line */
	bool eof;	 /* peer shut down its side: close once the output drained */
	char *out;
	size_t outlen, outpos, outcap;
	uint64_t active_ms; /* last request or write, CLOCK_MONOTONIC */
};

/* The server. Fields are set before the accept thread starts and read-only
 * after, except conns (see struct control_conn). */
struct control_server {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	int stop_fd;	  /* eventfd: written by control_server_free, polled by every thread */
	pthread_t thread; /* the accept thread */
	control_handler_fn *handler;
	void *opaque;
	pthread_mutex_t slots_lock; /* protects conns[].slot and conns[].thread */
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

/* Closes the socket and drops the buffers (slot state stays). */
static void control_conn_close(struct control_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->outlen = c->outpos = c->outcap = 0;
	c->inlen = 0;
	c->discarding = c->eof = false;
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

void control_answer_line(control_handler_fn *handler, void *opaque, char *line, size_t len,
			 char **reply, size_t *reply_len)
{
	struct control_reply r = { 0 };

	if (len && line[len - 1] == '\r')
		len--;
	if (!control_line_is_text(line, len)) {
		control_reply_error(&r, "request holds binary data or control characters");
	} else {
		size_t i = 0;

		line[len] = '\0';
		while (line[i] == ' ' || line[i] == '\t')
			i++;
		if (line[i]) { /* an empty line gets no reply */
			handler(opaque, line + i, &r);
			if (r.overflow)
				control_reply_error(&r, "reply larger than %u bytes",
						    CONTROL_REPLY_MAX_BYTES);
			else if (!r.error)
				control_reply_line(&r, "ok");
		}
	}
	*reply = r.buf;
	*reply_len = r.len;
}

/* Handles one complete line (len bytes, no newline); false if c must go. */
static bool control_conn_line(struct control_server *cs, struct control_conn *c, char *line,
			      size_t len)
{
	char *reply;
	size_t n;
	bool ok;

	control_answer_line(cs->handler, cs->opaque, line, len, &reply, &n);
	if (!n) {
		free(reply);
		return true; /* an empty line: nothing to say */
	}
	ok = control_conn_queue(c, reply, n);
	free(reply);
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

		control_reply_error(&r, "request line longer than %u bytes",
				    CONTROL_LINE_MAX_BYTES);
		ok = control_conn_queue(c, r.buf, r.len);
		free(r.buf);
		c->inlen = 0;
		c->discarding = true;
		return ok;
	}
	return true;
}

/* Serves one connection until it is done, idle for CONTROL_IDLE_TIMEOUT_MS
 * or the server stops; then marks its slot DONE. */
static void *control_conn_thread(void *arg)
{
	struct control_conn *c = arg;
	struct control_server *cs = c->cs;

	for (;;) {
		bool pending = c->outpos < c->outlen, ok = true;
		uint64_t idle_ms = fb_clock_now_ms() - c->active_ms;
		/* Back-pressure: read the next request only once the previous
		 * replies went out. */
		struct pollfd pfd[2] = {
			{ .fd = cs->stop_fd, .events = POLLIN },
			{ .fd = c->fd, .events = pending ? POLLOUT : (c->eof ? 0 : POLLIN) },
		};

		if (idle_ms >= CONTROL_IDLE_TIMEOUT_MS)
			break;
		if (poll(pfd, 2, (int)(CONTROL_IDLE_TIMEOUT_MS - idle_ms)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr,
				"fbhost: error: control socket %s: poll failed: %s; "
				"closing a control connection\n",
				cs->path, strerror(errno));
			break;
		}
		if (pfd[0].revents) {
			control_conn_flush(c); /* what fits, without waiting */
			break;
		}
		if (pfd[1].revents & (POLLERR | POLLNVAL))
			ok = false;
		else if (pfd[1].revents & POLLOUT)
			ok = control_conn_flush(c);
		else if (pfd[1].revents & (POLLIN | POLLHUP))
			ok = control_conn_read(cs, c) && control_conn_flush(c);
		if (!ok || (c->eof && c->outpos == c->outlen))
			break; /* broken, or all answered */
	}
	control_conn_close(c);
	pthread_mutex_lock(&cs->slots_lock);
	c->slot = CONTROL_SLOT_DONE;
	pthread_mutex_unlock(&cs->slots_lock);
	return NULL;
}

/* Accepts one connection and starts its thread in a free slot, or tells it
 * the server is full. */
static void control_accept(struct control_server *cs)
{
	static const char busy[] = "error: too many control connections\n";
	static const char failed[] = "error: cannot start serving this connection\n";
	int fd = accept4(cs->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	const char *msg = busy;
	unsigned i;

	if (fd < 0)
		return;
	pthread_mutex_lock(&cs->slots_lock);
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_conn *c = &cs->conns[i];
		int rc;

		if (c->slot == CONTROL_SLOT_SERVING)
			continue;
		if (c->slot == CONTROL_SLOT_DONE) /* it has finished: this returns at once */
			pthread_join(c->thread, NULL);
		c->slot = CONTROL_SLOT_FREE;
		c->fd = fd;
		c->active_ms = fb_clock_now_ms();
		rc = pthread_create(&c->thread, NULL, control_conn_thread, c);
		if (rc == 0) {
			c->slot = CONTROL_SLOT_SERVING;
			pthread_mutex_unlock(&cs->slots_lock);
			return;
		}
		c->fd = -1;
		msg = failed;
		fprintf(stderr, "fbhost: error: control socket %s: cannot start a thread: %s\n",
			cs->path, strerror(rc));
		break;
	}
	pthread_mutex_unlock(&cs->slots_lock);
	if (send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* nothing more to do for it */
	}
	close(fd);
}

/* The accept thread: new connections until the server stops. */
static void *control_thread(void *arg)
{
	struct control_server *cs = arg;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = cs->stop_fd, .events = POLLIN },
			{ .fd = cs->listen_fd, .events = POLLIN },
		};

		if (poll(pfd, 2, -1) < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			/* Never silently: without this thread nobody connects. */
			fprintf(stderr,
				"fbhost: error: control socket %s: poll failed: %s; "
				"no more control connections are accepted\n",
				cs->path, strerror(e));
			break;
		}
		if (pfd[0].revents)
			break;
		if (pfd[1].revents & POLLIN)
			control_accept(cs);
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
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		cs->conns[i].cs = cs;
		cs->conns[i].fd = -1;
	}
	pthread_mutex_init(&cs->slots_lock, NULL);
	cs->handler = handler;
	cs->opaque = opaque;
	snprintf(cs->path, sizeof(cs->path), "%s", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);

	rc = control_clear_stale(path, &sa);
	if (rc) {
		snprintf(err, errlen, "control socket %s: %s", path,
			 rc == -EADDRINUSE ? "another fbhost is serving it"
			 : rc == -EEXIST   ? "exists and is not a socket"
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
	pthread_mutex_destroy(&cs->slots_lock);
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
	/* No slot leaves FREE now that the accept thread is gone. Each
	 * connection's thread sees stop_fd once its current request is
	 * answered; it takes slots_lock on its way out, so join unlocked. */
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct control_conn *c = &cs->conns[i];
		bool started;

		pthread_mutex_lock(&cs->slots_lock);
		started = c->slot != CONTROL_SLOT_FREE;
		pthread_mutex_unlock(&cs->slots_lock);
		if (started)
			pthread_join(c->thread, NULL);
	}
	pthread_mutex_destroy(&cs->slots_lock);
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
