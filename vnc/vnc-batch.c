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

/* The batch is read back through a buffer, not spliced into a socket: a
 * splice lends the socket the file's pages, which the next update would
 * overwrite before they were read. Reads [off, off + n); 0 or -errno. */
static int read_batch(int file, size_t off, uint8_t *buf, size_t n)
{
	ssize_t got = pread(file, buf, n, (off_t)off);

	if (got < 0)
		return -errno;
	return (size_t)got == n ? 0 : -EIO;
}

/* Sends the batch's [0, len) to sock while it takes it, never waiting:
 * bytes sent (an error, such as the edge's shutdown, ends it too). */
static size_t send_direct(int file, size_t len, int sock)
{
	uint8_t buf[VNC_BATCH_CHUNK_BYTES];
	size_t off = 0;

	while (off < len) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);
		ssize_t w;

		if (read_batch(file, off, buf, n) < 0)
			break;
		do
			w = send(sock, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		while (w < 0 && errno == EINTR);
		if (w > 0)
			off += (size_t)w;
		if (w < (ssize_t)n)
			break;
	}
	return off;
}

/* Writes the batch's [off, len) into LibVNCServer's socket as LibVNCServer
 * writes (rfbWriteExact: it waits for room up to maxClientWait; the edge
 * drains the socketpair without ever blocking). 0 or -errno. */
static int write_rest(rfbClientPtr cl, int file, size_t off, size_t len)
{
	uint8_t buf[VNC_BATCH_CHUNK_BYTES];

	while (off < len) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);
		int rc = read_batch(file, off, buf, n);

		if (rc < 0)
			return rc;
		if (rfbWriteExact(cl, (const char *)buf, (int)n) < 0)
			return errno ? -errno : -EIO;
		off += n;
	}
	return 0;
}

/* Sends what it can of the batch straight to the client's socket, past
 * the edge: only when the edge holds none of the client's output (queued,
 * or unread in the socketpair), so that bytes stay in order. Saves the
 * edge a wake-up per update. Bytes sent. */
static size_t send_past_edge(struct vnc_client *c, int lib_fd, size_t len)
{
	struct vnc_edge_link *l = c->link;
	size_t sent = 0;
	int unread = 0;

	if (l->direct_fd < 0)
		return 0;
	pthread_mutex_lock(&l->direct_lock);
	if (atomic_load_explicit(&l->queued, memory_order_relaxed) == 0 &&
	    ioctl(lib_fd, SIOCOUTQ, &unread) == 0 && unread == 0)
		sent = send_direct(c->batch_fd, len, l->direct_fd);
	pthread_mutex_unlock(&l->direct_lock);
	/* What it did not take (or an error: the edge shut the socket) is
	 * left to the edge. */
	return sent;
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

		rc = write_rest(cl, c->batch_fd, sent, (size_t)len);
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
