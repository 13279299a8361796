/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-thread.c - the VNC thread: waits in poll() on LibVNCServer's end
 * of every client's socketpair and the wake-up eventfd, takes the clients
 * the edge authenticated (rfbNewClient), tells LibVNCServer what the render
 * thread committed to the shadow (mode switches, moves, changed cells) and
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
#include <sys/ioctl.h>
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

void vnc_schedule_copy(struct vnc_server *s, const struct vnc_move *m)
{
	/* rfbScheduleCopyRegion reads screen->cursor for clients without
	 * cursor-shape updates; we draw no software cursor (cursor is NULL),
	 * so it gets an empty one for the call. */
	static rfbCursor no_cursor;
	rfbCursorPtr saved = s->screen->cursor;

	if (!saved)
		s->screen->cursor = &no_cursor;
	rfbScheduleCopyRect(s->screen, m->x1, m->y1, m->x2, m->y2, m->off_x, m->off_y);
	s->screen->cursor = saved;
}

/* Holds (or releases) the clients a stale pass must not send to: those
 * not held already. */
static void hold_for_pass(struct vnc_server *s, bool hold)
{
	rfbClientIteratorPtr it = rfbGetClientIterator(s->screen);

	for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it));) {
		struct vnc_client *c = cl->clientData;

		if (!c)
			continue;
		if (hold && !cl->onHold) {
			cl->onHold = TRUE;
			c->pass_held = true;
		} else if (!hold && c->pass_held) {
			cl->onHold = FALSE;
			c->pass_held = false;
		}
	}
	rfbReleaseClientIterator(it);
}

void vnc_call_out_begin(struct vnc_server *s)
{
	pthread_mutex_unlock(&s->shadow_lock);
	vnc_library_unlock();
}

void vnc_call_out_end(struct vnc_server *s)
{
	vnc_library_lock_shared();
	pthread_mutex_lock(&s->shadow_lock);
	/* A tick ran meanwhile: the shadow holds its moves and cells, which
	 * LibVNCServer learns only in the next pass. Anything sent from it
	 * now would go out before its CopyRects (or, after a torn tick, mix
	 * two frames). */
	if (s->commits != s->pass_commits && !s->pass_stale) {
		s->pass_stale = true;
		hold_for_pass(s, true);
	}
}

/* Serves a committed mode switch (shadow_lock held): the render thread's
 * new picture becomes LibVNCServer's framebuffer. */
static void apply_switch(struct vnc_server *s)
{
	uint32_t *old = s->shadow;

	vnc_clients_drop_unresizable(s);
	/* Marks the whole frame modified for every client and queues
	 * DesktopSize/ExtendedDesktopSize for those that support it. */
	rfbNewFramebuffer(s->screen, (char *)s->next_shadow, (int)s->next_w, (int)s->next_h, 8, 3,
			  4);
	vnc_set_server_format(s->screen);
	s->shadow = s->next_shadow;
	s->shadow_w = s->next_w;
	s->shadow_h = s->next_h;
	s->next_shadow = NULL;
	s->next_w = s->next_h = 0;
	s->switch_ready = false;
	s->nmoves = 0;
	pixman_region32_clear(&s->changed);
	/* Nothing can read the old shadow any more: LibVNCServer only
	 * reads screen->frameBuffer, under shadow_lock. */
	free(old);
	pthread_mutex_lock(&s->stats_lock);
	s->stats.switches++;
	pthread_mutex_unlock(&s->stats_lock);
}

/* Tells LibVNCServer what the render thread committed (shadow_lock held):
 * a mode switch, or the moves as CopyRects and then the changed cells. */
static void take_damage(struct vnc_server *s)
{
	const pixman_box32_t *b;
	int n;

	if (s->switch_ready && s->next_shadow) {
		apply_switch(s);
		return;
	}
	for (unsigned i = 0; i < s->nmoves; i++)
		vnc_schedule_copy(s, &s->moves[i]);
	s->nmoves = 0;
	b = pixman_region32_rectangles(&s->changed, &n);
	for (int i = 0; i < n; i++)
		rfbMarkRectAsModified(s->screen, b[i].x1, b[i].y1, b[i].x2, b[i].y2);
	pixman_region32_clear(&s->changed);
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
	if (!stop)
		vnc_cursor_apply(s); /* the guest's cursor (vnc-cursor.c) */
	return !stop;
}

/*
 * Whether the VNC thread may sleep without watching cl's input: it has
 * nothing to send on an incremental update request (vnc_client_quiet) and
 * LibVNCServer has read everything in its socketpair (it reads one
 * message per client per pass). Such a client's next request waits in the
 * socketpair for the pass the next damage causes, which reads it before it
 * sends: one wake-up per frame instead of two. The edge wakes this thread
 * for every other message (vnc_edge_flush_fwd).
 */
static bool quiet_and_read(rfbClientPtr cl)
{
	int unread = 0;

	return vnc_client_quiet(cl) && ioctl(cl->sock, FIONREAD, &unread) == 0 && unread == 0;
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
	bool again = false, paused = false;
	unsigned spins = 0;

	for (;;) {
		rfbClientIteratorPtr it;
		nfds_t n = 0;
		uint64_t v;

		vnc_library_lock_shared();
		pfd[n] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
		who[n++] = NULL;
		it = rfbGetClientIterator(s->screen);
		for (rfbClientPtr cl;
		     !paused && (cl = rfbClientIteratorNext(it)) && n < VNC_POLL_SLOTS;) {
			if (cl->sock < 0)
				continue;
			/* A held client is not read (LibVNCServer skips it),
			 * nor is a quiet one with nothing unread: only watch
			 * them for hang-ups. */
			pfd[n] = (struct pollfd){ .fd = cl->sock,
						  .events = cl->onHold || quiet_and_read(cl)
								    ? POLLRDHUP
								    : POLLIN };
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
		/* The whole pass reads the shadow: the render thread waits. */
		pthread_mutex_lock(&s->shadow_lock);
		/* A torn tick left the shadow between frames: nothing is
		 * read or sent until a whole tick commits and wakes us. */
		paused = s->torn_pending;
		again = false;
		if (!paused) {
			take_damage(s);
			s->pass_commits = s->commits;
			s->pass_stale = false;
			vnc_clients_update_holds(s);
			limit_client_rects(s);
			s->reap_due = false;
			rfbProcessEvents(s->screen, 0);
			if (s->pass_stale)
				hold_for_pass(s, false);
			/* Loop at once while a requested update is due
			 * (LibVNCServer sends a size change alone, then the
			 * picture on the next call), but never spin: at most
			 * VNC_MAX_IMMEDIATE_PASSES. A client closed after
			 * rfbProcessEvents is reaped by the next pass. */
			again = vnc_clients_after_events(s) && ++spins < VNC_MAX_IMMEDIATE_PASSES;
			again |= s->reap_due || s->pass_stale;
		}
		if (!again)
			spins = 0;
		vnc_clients_refresh_stats(s);
		pthread_mutex_unlock(&s->shadow_lock);
		vnc_library_unlock();
		/* The render thread left a tick because we had the shadow. */
		if (atomic_exchange(&s->render_waiting, false))
			fb_listener_kick(s->fb);
	}

	vnc_library_lock_shared();
	pthread_mutex_lock(&s->shadow_lock);
	vnc_clients_disconnect_all(s);
	rfbProcessEvents(s->screen, 0); /* reaps the closed clients */
	vnc_clients_refresh_stats(s);
	pthread_mutex_unlock(&s->shadow_lock);
	/* On this thread: the Tight and Zlib encoders keep thread-local
	 * buffers that rfbScreenCleanup frees for the calling thread. */
	rfbShutdownSockets(s->screen);
	rfbScreenCleanup(s->screen);
	vnc_library_unlock();
	s->screen = NULL;
	return NULL;
}
