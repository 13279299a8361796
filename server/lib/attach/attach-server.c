/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/attach/attach-server.c - the attach server's socket and thread:
 * listens on a SOCK_SEQPACKET Unix socket (mode 0600), accepts up to
 * ATTACH_MAX_CONNECTIONS connections, reads one message at a time with its
 * descriptors, and detaches a framebuffer when its client goes away (the
 * picture stays). The messages themselves: attach-msg.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fb/clock.h"
#include "server/lib/attach/attach-internal.h"

void attach_mode_notify(void *opaque, uint64_t generation)
{
	struct attach_server *s = opaque;
	uint64_t one = 1;

	(void)generation;
	if (write(s->wake_fd, &one, sizeof(one)) != sizeof(one)) {
		/* an eventfd write fails only at overflow: a wake-up is pending */
	}
}

void attach_set_status(struct attach_server *s, unsigned id, const struct attach_fb_status *st)
{
	if (id >= FBHOST_MAX_FRAMEBUFFERS)
		return;
	pthread_mutex_lock(&s->status_lock);
	s->status[id] = *st;
	pthread_mutex_unlock(&s->status_lock);
}

void attach_detach(struct attach_conn *c)
{
	struct fbhost_fb *fb = c->fb;
	struct fb_device *dev;
	struct fb_mode m;

	if (!fb)
		return;
	dev = (fb)->dev;
	/* No input callback runs once this returns (fb_set_input_handler). */
	fbhost_input_remove(fb, c);
	fb_set_mode_notify(dev, NULL, NULL);
	fb_track_stop(dev);
	fb_set_block_per_mode(dev, false);
	/* Whatever the client wrote last, tracked or not: show the frame as
	 * it is in guest RAM. */
	m = fb_get_mode(dev);
	fb_mark_dirty_gen(dev, fb_mode_generation(dev), 0, 0, (int)m.width, (int)m.height);
	fb_render_kick(c->srv->host->render);
	attach_set_status(c->srv, fbhost_fb_id(fb), &(struct attach_fb_status){ 0 });
	fbhost_log(c->srv->host, FBHOST_LOG_INFO, "%s: guest pid %d detached", fbhost_fb_name(fb),
		   (int)c->pid);
	c->fb = NULL;
}

/* Closes a connection and frees its slot. Attach thread. */
static void attach_close(struct attach_conn *c)
{
	attach_detach(c);
	if (c->log)
		munmap(c->log, c->log_bytes);
	if (c->log_fd >= 0)
		close(c->log_fd);
	c->log = NULL;
	c->log_fd = -1;
	pthread_mutex_lock(&c->send_lock);
	close(c->fd);
	c->fd = -1;
	pthread_mutex_unlock(&c->send_lock);
}

static void attach_accept(struct attach_server *s)
{
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	struct attach_conn *c = NULL;
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (unsigned i = 0; i < ATTACH_MAX_CONNECTIONS && !c; i++)
		if (s->conns[i].fd < 0)
			c = &s->conns[i];
	if (!c) {
		struct fbg_error e = { .hdr = { FBG_ERROR, 0, sizeof(e) },
				       .code = EMFILE,
				       .fatal = 1 };

		snprintf(e.text, sizeof(e.text), "too many connections (at most %u)",
			 ATTACH_MAX_CONNECTIONS);
		send(fd, &e, sizeof(e), MSG_DONTWAIT | MSG_NOSIGNAL);
		close(fd);
		return;
	}
	pthread_mutex_lock(&c->send_lock);
	c->fd = fd;
	pthread_mutex_unlock(&c->send_lock);
	c->srv = s;
	c->pid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0 ? cred.pid : 0;
	c->accepted_ms = fb_clock_now_ms();
	c->fb = NULL;
	c->sent_generation = c->acked_generation = 0;
	c->modes_unacked = 0;
	c->tracking = FBG_TRACK_DAMAGE;
	c->errors_sent = 0;
	c->closing = false;
	c->log_fd = -1;
	c->log = NULL;
}

/* Reads one message from c. Returns false when the connection is done. */
static bool attach_read(struct attach_conn *c)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * (FBG_MSG_MAX_FDS + 3))];
		struct cmsghdr align;
	} ctl;
	uint64_t msgbuf[FBG_MSG_MAX_BYTES / sizeof(uint64_t)];
	struct iovec iov = { msgbuf, sizeof(msgbuf) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	int fds[FBG_MSG_MAX_FDS + 3];
	unsigned nfds;
	const char *why = NULL;
	ssize_t n;
	int rc;

	n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false; /* the client went away */
	nfds = fbg_msg_take_fds(&mh, fds, sizeof(fds) / sizeof(fds[0]));
	if (mh.msg_flags & MSG_TRUNC) {
		rc = -EMSGSIZE;
		why = "message longer than the protocol's limit (FBG_MSG_MAX_BYTES)";
	} else if (mh.msg_flags & MSG_CTRUNC) {
		rc = -EBADF;
		why = "too many descriptors";
	} else {
		rc = attach_msg_check(msgbuf, (size_t)n, nfds, &why);
	}
	if (rc) {
		uint16_t type = n >= 2 ? ((const struct fbg_hdr *)msgbuf)->type : 0;
		/* Framing errors end the connection; an unknown message or
		 * an unexpected descriptor does not. */
		bool fatal = rc != -ENOTSUP && rc != -EBADF;

		for (unsigned k = 0; k < nfds; k++)
			close(fds[k]);
		attach_send_error(c, -rc, type, fatal, "%s", why);
		return !fatal;
	}
	attach_msg_handle(c, msgbuf, (size_t)n, fds, nfds);
	return !c->closing;
}

/* Sends MODE to every attached client whose framebuffer changed mode. */
static void attach_announce_modes(struct attach_server *s)
{
	for (unsigned i = 0; i < ATTACH_MAX_CONNECTIONS; i++) {
		struct attach_conn *c = &s->conns[i];

		if (c->fd >= 0 && c->fb && fb_mode_generation(c->fb->dev) != c->sent_generation) {
			attach_send_mode(c, FBG_MODE_SERVER);
			if (c->closing)
				attach_close(c);
		}
	}
}

static void *attach_main(void *opaque)
{
	struct attach_server *s = opaque;
	struct pollfd pfd[ATTACH_MAX_CONNECTIONS + 2];
	struct attach_conn *who[ATTACH_MAX_CONNECTIONS + 2];

	while (!atomic_load(&s->stop)) {
		nfds_t n = 0;
		int timeout = -1;
		uint64_t now = fb_clock_now_ms();

		pfd[n] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
		who[n++] = NULL;
		pfd[n] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		who[n++] = NULL;
		for (unsigned i = 0; i < ATTACH_MAX_CONNECTIONS; i++) {
			struct attach_conn *c = &s->conns[i];

			if (c->fd < 0)
				continue;
			if (c->fb && c->sent_generation != fb_mode_generation(c->fb->dev) &&
			    (timeout < 0 || timeout > (int)ATTACH_MODE_RETRY_MS))
				timeout = (int)ATTACH_MODE_RETRY_MS; /* a MODE to send again */
			if (!c->fb) { /* waiting for HELLO: bounded */
				uint64_t end = c->accepted_ms + ATTACH_HELLO_TIMEOUT_MS;

				if (now >= end) {
					attach_send_error(c, ETIMEDOUT, 0, true,
							  "no HELLO within %u ms",
							  ATTACH_HELLO_TIMEOUT_MS);
					attach_close(c);
					continue;
				}
				if (timeout < 0 || end - now < (uint64_t)timeout)
					timeout = (int)(end - now);
			}
			pfd[n] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
			who[n++] = c;
		}
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			fbhost_log(s->host, FBHOST_LOG_ERROR, "attach: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents) {
			uint64_t v;

			if (read(s->wake_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: another wake-up took it */
			}
		}
		/* Mode changes, and MODEs a full socket did not take. */
		attach_announce_modes(s);
		if (pfd[1].revents & POLLIN)
			attach_accept(s);
		for (nfds_t k = 2; k < n; k++) {
			struct attach_conn *c = who[k];

			if (!pfd[k].revents || c->fd < 0)
				continue;
			/* Read what is queued before a hang-up: a client may
			 * say its last words and exit. */
			if (pfd[k].revents & POLLIN) {
				if (!attach_read(c))
					attach_close(c);
			} else {
				attach_close(c);
			}
		}
	}
	return NULL;
}

/* Binds a SOCK_SEQPACKET socket at path (replacing a stale socket file,
 * never another kind of file), mode 0600. fd or -errno. */
static int attach_listen_at(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "attach socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket", path);
			return -EEXIST;
		}
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 || listen(fd, (int)ATTACH_MAX_CONNECTIONS) != 0)
		goto fail_bind;
	return fd;

fail_bind:
	rc = errno;
	close(fd);
	errno = rc;
fail:
	rc = errno;
	snprintf(err, errlen, "attach socket %s: %s", path, strerror(rc));
	return -rc;
}

int fbhost_attach_listen(struct fbhost *h, const char *path)
{
	struct attach_server *s;
	char err[256];
	int rc;

	if (!h || !path)
		return -EINVAL;
	if (h->attach)
		return -EBUSY;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->host = h;
	s->path = strdup(path);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!s->path || s->wake_fd < 0) {
		rc = -ENOMEM;
		goto fail_alloc;
	}
	s->listen_fd = attach_listen_at(path, err, sizeof(err));
	if (s->listen_fd < 0) {
		rc = s->listen_fd;
		fbhost_log(h, FBHOST_LOG_ERROR, "%s", err);
		goto fail_alloc;
	}
	pthread_mutex_init(&s->status_lock, NULL);
	for (unsigned i = 0; i < ATTACH_MAX_CONNECTIONS; i++) {
		pthread_mutex_init(&s->conns[i].send_lock, NULL);
		s->conns[i].fd = -1;
		s->conns[i].log_fd = -1;
	}
	rc = -pthread_create(&s->thread, NULL, attach_main, s);
	if (rc)
		goto fail_thread;
	pthread_mutex_lock(&h->lock);
	h->attach = s;
	pthread_mutex_unlock(&h->lock);
	return 0;

fail_thread:
	close(s->listen_fd);
	unlink(path);
fail_alloc:
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	free(s->path);
	free(s);
	return rc;
}

void fbhost_attach_stop(struct fbhost *h)
{
	struct attach_server *s;

	pthread_mutex_lock(&h->lock);
	s = h->attach;
	h->attach = NULL;
	pthread_mutex_unlock(&h->lock);
	if (!s)
		return;
	atomic_store(&s->stop, true);
	attach_mode_notify(s, 0);
	pthread_join(s->thread, NULL);
	for (unsigned i = 0; i < ATTACH_MAX_CONNECTIONS; i++) {
		if (s->conns[i].fd >= 0)
			attach_close(&s->conns[i]);
		pthread_mutex_destroy(&s->conns[i].send_lock);
	}
	close(s->listen_fd);
	unlink(s->path);
	close(s->wake_fd);
	pthread_mutex_destroy(&s->status_lock);
	free(s->path);
	free(s);
}

int fbhost_attach_status(struct fbhost_fb *fb, struct fbhost_attach_status *st)
{
	struct attach_server *s;
	unsigned id = fbhost_fb_id(fb);

	memset(st, 0, sizeof(*st));
	st->tracking = fb_track_mode_name(fb_track_get_mode((fb)->dev));
	pthread_mutex_lock(&fb->host->lock);
	s = fb->host->attach;
	if (s && id < FBHOST_MAX_FRAMEBUFFERS) {
		pthread_mutex_lock(&s->status_lock);
		st->attached = s->status[id].attached;
		st->pid = (int)s->status[id].pid;
		pthread_mutex_unlock(&s->status_lock);
	}
	pthread_mutex_unlock(&fb->host->lock);
	return 0;
}
