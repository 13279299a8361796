/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-batch.c - a small update leaves in one write.
 *
 * LibVNCServer writes an update in pieces: tight.c flushes its buffer
 * before every rectangle, so the header and each rectangle are separate
 * write()s into the client's socketpair, and each one that finds the edge
 * asleep wakes it (2-4 wake-ups a frame where one would do). For the length
 * of one update (LibVNCServer's displayHook to displayFinishedHook, which
 * every path of rfbSendFramebufferUpdate calls) the client's socket is
 * swapped for a memfd. The whole update then goes straight to the client's
 * socket when the edge holds none of the client's output (send_past_edge),
 * and whatever the socket does not take goes into the socketpair, for the
 * edge to queue: most frames then wake the edge not at all. Only small
 * updates are batched (at most VNC_BATCH_MAX_PIXELS changed): a large one
 * streams through the edge as before, so the viewer decodes its first
 * rectangles while the last are encoded.
 *
 * VNC thread only: LibVNCServer calls the hooks there, and nothing reads
 * cl->sock in between (an update never reads from the client). The edge
 * and this file keep the bytes in order with the link's direct_lock
 * (vnc-edge.h).
 */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vnc/vnc-internal.h"

#include <rfb/rfbregion.h>

/* Updates with at most this many changed pixels are batched. */
#define VNC_BATCH_MAX_PIXELS (256u * 256u)
/* A batch file above this size is emptied after its update (a raw
 * full-screen update would otherwise keep megabytes per client). */
#define VNC_BATCH_KEEP_BYTES (64 * 1024)
/* The batch is copied into the socketpair in pieces of this size. */
#define VNC_BATCH_CHUNK_BYTES (16 * 1024)

/* Whether the update about to be sent is small (cl's modified region). */
static bool small_update(rfbClientPtr cl)
{
	sraRectangleIterator *it = sraRgnGetIterator(cl->modifiedRegion);
	uint64_t pixels = 0;
	sraRect r;

	if (!it)
		return false;
	while (pixels <= VNC_BATCH_MAX_PIXELS && sraRgnIteratorNext(it, &r))
		pixels += (uint64_t)(r.x2 - r.x1) * (uint64_t)(r.y2 - r.y1);
	sraRgnReleaseIterator(it);
	return pixels <= VNC_BATCH_MAX_PIXELS;
}

/* displayHook: the update about to be written goes to the batch file. */
static void batch_begin(rfbClientPtr cl)
{
	struct vnc_client *c = cl->clientData;

	if (!c || cl->sock < 0 || c->batch_sock >= 0 || !small_update(cl))
		return;
	if (c->batch_fd < 0) {
		c->batch_fd = memfd_create("fbhost-vnc-update", MFD_CLOEXEC);
		if (c->batch_fd < 0)
			return; /* the update streams, as without batching */
	}
	c->batch_sock = cl->sock;
	cl->sock = c->batch_fd;
}

/* Sends the batch file's [off, len) to sock, copied through a buffer, not
 * spliced: a splice into a socket lends it the file's pages, which the
 * next update would overwrite before they were read. The direct way
 * (direct_fd, never waits) returns at the first short send with what was
 * sent; the socketpair way waits for room (the edge drains it without
 * ever blocking, so the wait is short). Bytes sent, or -errno. */
static ssize_t copy_out(int file, size_t off, size_t len, int sock, bool direct)
{
	uint8_t buf[VNC_BATCH_CHUNK_BYTES];
	size_t start = off;

	while (off < len) {
		size_t want = len - off < sizeof(buf) ? len - off : sizeof(buf);
		ssize_t got = pread(file, buf, want, (off_t)off);
		size_t done = 0;

		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		while (done < (size_t)got) {
			struct pollfd p = { .fd = sock, .events = POLLOUT };
			ssize_t n = send(sock, buf + done, (size_t)got - done,
					 MSG_DONTWAIT | MSG_NOSIGNAL);
			int rc;

			if (n > 0) {
				done += (size_t)n;
				continue;
			}
			if (n < 0 && errno == EINTR)
				continue;
			if (direct)
				return (ssize_t)(off + done - start);
			if (n == 0 || errno != EAGAIN)
				return n == 0 ? -EIO : -errno;
			rc = poll(&p, 1, VNC_CLIENT_WAIT_MS);
			if (rc == 0)
				return -ETIMEDOUT;
			if (rc < 0 && errno != EINTR)
				return -errno;
		}
		off += (size_t)got;
	}
	return (ssize_t)(off - start);
}

/* Sends what it can of the batch straight to the client's socket, past
 * the edge: only when the edge holds none of the client's output (queued,
 * or unread in the socketpair), so that bytes stay in order. Saves the
 * edge a wake-up per update. Bytes sent. */
static size_t send_past_edge(struct vnc_client *c, int lib_fd, size_t len)
{
	struct vnc_edge_link *l = c->link;
	ssize_t sent = 0;
	int unread = 0;

	if (l->direct_fd < 0)
		return 0;
	pthread_mutex_lock(&l->direct_lock);
	if (l->direct_ok && ioctl(lib_fd, SIOCOUTQ, &unread) == 0 && unread == 0)
		sent = copy_out(c->batch_fd, 0, len, l->direct_fd, true);
	pthread_mutex_unlock(&l->direct_lock);
	/* An error (the edge shut the socket) leaves the rest to the edge. */
	return sent > 0 ? (size_t)sent : 0;
}

/* displayFinishedHook: the batched update goes to the client at once.
 * A failed update (or pass) closes the client: its stream is broken. */
static void batch_end(rfbClientPtr cl, int result)
{
	struct vnc_server *s = cl->screen->screenData;
	struct vnc_client *c = cl->clientData;
	off_t len;
	int rc;

	if (!c || c->batch_sock < 0)
		return;
	if (cl->sock != c->batch_fd) {
		/* LibVNCServer closed the client during the update (a write
		 * failed), and with it our file: close the real socket the
		 * same way (off LibVNCServer's select set, then closed). */
		cl->sock = c->batch_sock;
		c->batch_sock = -1;
		c->batch_fd = -1;
		rfbCloseClient(cl);
		s->reap_due = true;
		return;
	}
	len = lseek(c->batch_fd, 0, SEEK_CUR);
	cl->sock = c->batch_sock;
	c->batch_sock = -1;
	if (len < 0) {
		rc = -errno;
	} else {
		size_t sent = send_past_edge(c, cl->sock, (size_t)len);
		ssize_t w = copy_out(c->batch_fd, sent, (size_t)len, cl->sock, false);

		rc = w < 0 ? (int)w : 0;
	}
	if (lseek(c->batch_fd, 0, SEEK_SET) < 0 ||
	    (len > VNC_BATCH_KEEP_BYTES && ftruncate(c->batch_fd, 0) < 0)) {
		/* Unusable for the next batch: start a new one then. */
		close(c->batch_fd);
		c->batch_fd = -1;
	}
	if (rc == -EPIPE || rc == -ECONNRESET) {
		/* The edge dropped the client: its disconnect line gives the
		 * edge's reason, as after LibVNCServer's own failed write. */
		rfbCloseClient(cl);
		s->reap_due = true;
	} else if (rc < 0 || !result) {
		vnc_log(s, "client #%llu %s: update not sent: %s", (unsigned long long)c->id,
			c->address, rc < 0 ? strerror(-rc) : "LibVNCServer failed to encode it");
		vnc_clients_close(cl, "update not sent");
	}
}

void vnc_batch_install(rfbScreenInfoPtr sc)
{
	sc->displayHook = batch_begin;
	sc->displayFinishedHook = batch_end;
}

void vnc_batch_release(struct vnc_client *c)
{
	if (c->batch_fd >= 0)
		close(c->batch_fd);
	c->batch_fd = -1;
}
