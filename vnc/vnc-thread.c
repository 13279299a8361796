/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-thread.c - the VNC thread: waits in poll() on LibVNCServer's end
 * of every client's socketpair and the wake-up eventfd, takes the clients
 * the edge authenticated (rfbNewClient), takes the render
 * thread's damage (refined against the shadow), applies mode switches and
 * runs LibVNCServer with rfbProcessEvents(screen, 0).
 *
 * Threading design: LibVNCServer runs in its single-threaded mode. Every
 * LibVNCServer call (including rfbNewFramebuffer and rfbSendServerCutText)
 * happens on this thread. Background mode is avoided by design: it leaks
 * one thread per disconnected client (upstream #570), its
 * SetPixelFormat/SetEncodings handling races the per-client output thread,
 * and rfbNewFramebuffer has to wait for every client's sendMutex. Nothing
 * polls when idle: with no damage, input or held client the thread sleeps
 * in poll() with no timeout.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vnc/vnc-internal.h"

#include <rfb/rfbregion.h>

/* LibVNCServer's rfbInitServerFormat picks red at bit 0 on little-endian
 * hosts; our shadow is x8r8g8b8 (red at bit 16). Sets that format and
 * re-installs every client's translation for it. */
void vnc_set_server_format(rfbScreenInfoPtr sc)
{
	rfbClientIteratorPtr it;

	sc->serverFormat.redShift = 16;
	sc->serverFormat.greenShift = 8;
	sc->serverFormat.blueShift = 0;
	it = rfbGetClientIterator(sc);
	for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it));)
		if (cl->state == RFB_NORMAL)
			sc->setTranslateFunction(cl);
	rfbReleaseClientIterator(it);
}

/* Copies staging (any stride) into a new tightly packed buffer. */
static uint32_t *copy_packed(pixman_image_t *img, uint32_t w, uint32_t h)
{
	uint32_t *p = malloc((size_t)w * h * 4 + 4);
	const uint8_t *src = (const uint8_t *)pixman_image_get_data(img);
	size_t stride = (size_t)pixman_image_get_stride(img);

	if (!p)
		return NULL;
	for (uint32_t y = 0; y < h; y++)
		memcpy(p + (size_t)y * w, src + y * stride, (size_t)w * 4);
	return p;
}

/* A mode switch taken from the render thread's staging: the new shadow. */
struct vnc_switch {
	uint32_t *shadow; /* malloc'ed, tightly packed x8r8g8b8 */
	uint32_t w, h;
};

/* Takes the pending mode switch (s->lock held by the caller, who keeps it):
 * copies the staging picture and clears what the switch replaces. false on
 * ENOMEM, leaving the switch pending for the next wake-up. */
static bool take_switch_locked(struct vnc_server *s, struct vnc_switch *sw)
{
	sw->w = (uint32_t)pixman_image_get_width(s->staging);
	sw->h = (uint32_t)pixman_image_get_height(s->staging);
	sw->shadow = copy_packed(s->staging, sw->w, sw->h);
	if (!sw->shadow)
		return false;
	s->switch_pending = false;
	pixman_region32_clear(&s->pending);
	s->nmoves = 0;
	return true;
}

/* Applies a switch taken by take_switch_locked (no lock held). */
static void apply_switch(struct vnc_server *s, const struct vnc_switch *sw)
{
	uint32_t *old = s->shadow;

	vnc_clients_drop_unresizable(s);
	/* Marks the whole frame modified for every client and queues
	 * DesktopSize/ExtendedDesktopSize for those that support it. */
	rfbNewFramebuffer(s->screen, (char *)sw->shadow, (int)sw->w, (int)sw->h, 8, 3, 4);
	vnc_set_server_format(s->screen);
	s->shadow = sw->shadow;
	s->shadow_w = sw->w;
	s->shadow_h = sw->h;
	/* Nothing can read the old shadow any more: LibVNCServer only
	 * reads screen->frameBuffer, on this thread. */
	free(old);
	pthread_mutex_lock(&s->stats_lock);
	s->stats.switches++;
	pthread_mutex_unlock(&s->stats_lock);
}

/* Takes the render thread's damage: refines it against the shadow and
 * marks what changed for every client. */
static void take_damage(struct vnc_server *s)
{
	pixman_region32_t changed;
	uint64_t compared = 0, differ = 0;
	int n;
	const pixman_box32_t *b;

	pthread_mutex_lock(&s->lock);
	if (s->switch_pending && s->staging) {
		struct vnc_switch sw;
		bool taken = take_switch_locked(s, &sw);
		uint32_t w = sw.w, h = sw.h;

		pthread_mutex_unlock(&s->lock);
		if (taken)
			apply_switch(s, &sw);
		else /* try again on the next wake-up */
			vnc_log(s, "out of memory for a %ux%u shadow; retrying", w, h);
		return;
	}
	pixman_region32_init(&changed);
	if (s->staging && (pixman_region32_not_empty(&s->pending) || s->nmoves) &&
	    (uint32_t)pixman_image_get_width(s->staging) == s->shadow_w &&
	    (uint32_t)pixman_image_get_height(s->staging) == s->shadow_h) {
		/* The guest's own moves first: pending is relative to them. */
		for (unsigned i = 0; i < s->nmoves; i++)
			vnc_copy_rect(s, s->moves[i].x1, s->moves[i].y1, s->moves[i].x2,
				      s->moves[i].y2, s->moves[i].off_x, s->moves[i].off_y);
		vnc_scroll_detect(s); /* may turn a scroll into a CopyRect */
		compared = vnc_cells_sync(s->staging, s->shadow, s->shadow_w, s->shadow_h,
					  &s->pending, &changed, &differ);
	}
	pixman_region32_clear(&s->pending);
	s->nmoves = 0;
	pthread_mutex_unlock(&s->lock);

	b = pixman_region32_rectangles(&changed, &n);
	for (int i = 0; i < n; i++)
		rfbMarkRectAsModified(s->screen, b[i].x1, b[i].y1, b[i].x2, b[i].y2);
	pixman_region32_fini(&changed);
	if (compared) {
		pthread_mutex_lock(&s->stats_lock);
		s->stats.cells_compared += compared;
		s->stats.cells_changed += differ;
		pthread_mutex_unlock(&s->stats_lock);
	}
}

/* Keeps each client's accumulated damage below maxRectsPerUpdate, where
 * LibVNCServer would fall back to the bounding box. */
static void limit_client_rects(struct vnc_server *s)
{
	rfbClientIteratorPtr it = rfbGetClientIterator(s->screen);

	for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it));) {
		pixman_region32_t r;
		sraRectangleIterator *ri;
		sraRect rect;
		const pixman_box32_t *b;
		int n;

		if (sraRgnCountRects(cl->modifiedRegion) <= VNC_MAX_RECTS_PER_PASS)
			continue;
		pixman_region32_init(&r);
		ri = sraRgnGetIterator(cl->modifiedRegion);
		while (sraRgnIteratorNext(ri, &rect))
			pixman_region32_union_rect(&r, &r, rect.x1, rect.y1,
						   (unsigned)(rect.x2 - rect.x1),
						   (unsigned)(rect.y2 - rect.y1));
		sraRgnReleaseIterator(ri);
		vnc_region_limit_rects(&r, VNC_MAX_RECTS_PER_PASS);
		sraRgnMakeEmpty(cl->modifiedRegion);
		b = pixman_region32_rectangles(&r, &n);
		for (int i = 0; i < n; i++) {
			sraRegion *one = sraRgnCreateRect(b[i].x1, b[i].y1, b[i].x2, b[i].y2);

			sraRgnOr(cl->modifiedRegion, one);
			sraRgnDestroy(one);
		}
		pixman_region32_fini(&r);
	}
	rfbReleaseClientIterator(it);
}

/* Runs queued commands from other threads. False when asked to stop. */
static bool run_commands(struct vnc_server *s)
{
	uint64_t *kicks;
	size_t nkicks;
	struct vnc_edge_link *adopt;
	char *clip;
	size_t clip_len;
	bool stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	kicks = s->kick_ids;
	nkicks = s->kick_count;
	s->kick_ids = NULL;
	s->kick_count = s->kick_cap = 0;
	clip = s->clip_out;
	clip_len = s->clip_out_len;
	s->clip_out = NULL;
	adopt = stop ? NULL : s->adopt_head;
	if (!stop)
		s->adopt_head = s->adopt_tail = NULL;
	pthread_mutex_unlock(&s->lock);

	while (adopt) {
		struct vnc_edge_link *next = adopt->next;

		vnc_clients_adopt(s, adopt);
		adopt = next;
	}
	for (size_t i = 0; i < nkicks; i++)
		vnc_clients_kick(s, kicks[i]);
	free(kicks);
	if (clip && !stop)
		vnc_clipboard_send(s, clip, clip_len);
	free(clip);
	return !stop;
}

/* Passes in a row without waiting in poll(). */
#define VNC_MAX_IMMEDIATE_PASSES 4

/* Number of pollfd slots: the eventfd and the clients (the edge refuses
 * connections beyond VNC_EDGE_MAX_CONNECTIONS). */
#define VNC_POLL_SLOTS (1 + VNC_EDGE_MAX_CONNECTIONS + VNC_MAX_CLIENTS)

void *vnc_thread_main(void *arg)
{
	struct vnc_server *s = arg;
	struct pollfd pfd[VNC_POLL_SLOTS];
	rfbClientPtr who[VNC_POLL_SLOTS];
	bool again = false;
	unsigned spins = 0;

	for (;;) {
		rfbClientIteratorPtr it;
		nfds_t n = 0;
		uint64_t v;

		vnc_library_lock_shared();
		pfd[n] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
		who[n++] = NULL;
		it = rfbGetClientIterator(s->screen);
		for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it)) && n < VNC_POLL_SLOTS;) {
			if (cl->sock < 0)
				continue;
			/* A held client is not read (LibVNCServer skips it);
			 * only watch it for hang-ups. */
			pfd[n] = (struct pollfd){ .fd = cl->sock,
						  .events = cl->onHold ? POLLRDHUP : POLLIN };
			who[n++] = cl;
		}
		rfbReleaseClientIterator(it);
		vnc_library_unlock();

		if (poll(pfd, n,
			 again		   ? 0
			 : s->held_clients ? VNC_HOLD_RECHECK_MS
					   : -1) < 0 &&
		    errno != EINTR)
			vnc_log(s, "poll failed: %s", strerror(errno));
		vnc_library_lock_shared();
		if (pfd[0].revents & POLLIN) {
			if (read(s->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				vnc_log(s, "eventfd read failed: %s", strerror(errno));
		}
		for (nfds_t i = 1; i < n; i++) {
			if (who[i] && who[i]->onHold &&
			    (pfd[i].revents & (POLLRDHUP | POLLHUP | POLLERR))) {
				who[i]->onHold = FALSE;
				rfbCloseClient(who[i]);
			}
		}
		if (!run_commands(s)) {
			vnc_library_unlock();
			break;
		}
		take_damage(s);
		vnc_clients_update_holds(s);
		limit_client_rects(s);
		rfbProcessEvents(s->screen, 0);
		/* Loop at once while a requested update is due (LibVNCServer
		 * sends a size change alone, then the picture on the next
		 * call), but never spin: at most VNC_MAX_IMMEDIATE_PASSES. */
		again = vnc_clients_after_events(s) && ++spins < VNC_MAX_IMMEDIATE_PASSES;
		if (!again)
			spins = 0;
		vnc_clients_refresh_stats(s);
		vnc_library_unlock();
	}

	vnc_library_lock_shared();
	vnc_clients_disconnect_all(s);
	rfbProcessEvents(s->screen, 0); /* reaps the closed clients */
	vnc_clients_refresh_stats(s);
	/* On this thread: the Tight and Zlib encoders keep thread-local
	 * buffers that rfbScreenCleanup frees for the calling thread. */
	rfbShutdownSockets(s->screen);
	rfbScreenCleanup(s->screen);
	vnc_library_unlock();
	s->screen = NULL;
	return NULL;
}
