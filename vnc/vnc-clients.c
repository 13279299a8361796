/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-clients.c - LibVNCServer hooks (input, clipboard, resize
 * requests, connect/disconnect), slow-client holds and per-client counters.
 * Everything here runs on the VNC thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "vnc/vnc-charset.h"
#include "vnc/vnc-internal.h"

#include <rfb/rfbregion.h>

static struct vnc_server *srv(rfbClientPtr cl)
{
	return cl->screen->screenData;
}

/* Closes cl from our side, remembering why for the disconnect line. */
void vnc_clients_close(rfbClientPtr cl, const char *reason)
{
	struct vnc_client *c = cl->clientData;

	if (c && !c->close_reason)
		c->close_reason = reason;
	if (cl->sock >= 0) {
		rfbCloseClient(cl);
		srv(cl)->reap_due = true;
	}
}

/* Adds the growth of LibVNCServer's 32-bit counters since the last call. */
static void sample_counters(rfbClientPtr cl, struct vnc_client *c)
{
	uint32_t updates = (uint32_t)rfbStatGetMessageCountSent(cl, rfbFramebufferUpdate);
	uint32_t bytes = 0, rects = 0;

	for (rfbStatList *e = cl->statMsgList; e; e = e->Next)
		bytes += e->bytesSent;
	for (rfbStatList *e = cl->statEncList; e; e = e->Next) {
		bytes += e->bytesSent;
		if ((int32_t)e->type >= 0) /* real encodings, not pseudo ones */
			rects += e->sentCount;
	}
	c->updates += (uint32_t)(updates - c->last_updates);
	c->rects += (uint32_t)(rects - c->last_rects);
	c->bytes += (uint32_t)(bytes - c->last_bytes);
	c->last_updates = updates;
	c->last_rects = rects;
	c->last_bytes = bytes;
}

/* LibVNCServer 0.9.14 never frees a client's extension list (one
 * rfbExtensionData per enabled extension, ours included); nothing reads it
 * once the client is refused or gone. */
static void free_extensions(rfbClientPtr cl)
{
	while (cl->extensions) {
		rfbExtensionData *e = cl->extensions;

		cl->extensions = e->next;
		free(e);
	}
}

static void client_gone(rfbClientPtr cl)
{
	struct vnc_server *s = srv(cl);
	struct vnc_client *c = cl->clientData;

	const char *edge_reason;

	if (!c)
		return;
	sample_counters(cl, c);
	if (c->hold_since_ns && s->held_clients > 0)
		s->held_clients--;
	edge_reason = atomic_load_explicit(&c->link->reason, memory_order_acquire);
	vnc_log(s, "client #%llu %s disconnected: %s", (unsigned long long)c->id, c->address,
		c->close_reason ? c->close_reason
		: edge_reason	? edge_reason
				: "connection closed");
	vnc_edge_link_unref(c->link);
	pthread_mutex_lock(&s->stats_lock);
	s->stats.disconnects++;
	s->gone_updates += c->updates;
	s->gone_rects += c->rects;
	s->gone_bytes += c->bytes;
	pthread_mutex_unlock(&s->stats_lock);
	cl->clientData = NULL;
	vnc_batch_release(c);
	free(c);
	free_extensions(cl);
	/* LibVNCServer 0.9.14 never frees a WebSocket client's context (45 KB
	 * per browser connection). Nothing reads it after this hook. */
	if (cl->wsctx && !strcmp(LIBVNCSERVER_VERSION, "0.9.14")) {
		free(cl->wsctx);
		cl->wsctx = NULL;
	}
}

static enum rfbNewClientAction new_client(rfbClientPtr cl)
{
	struct vnc_server *s = srv(cl);
	struct vnc_edge_link *l = s->adopting;
	struct vnc_client *c;
	unsigned n = 0;
	rfbClientIteratorPtr it;
	char *host;

	if (!l) { /* not from vnc_clients_adopt: cannot happen */
		free_extensions(cl);
		return RFB_CLIENT_REFUSE;
	}
	it = rfbGetClientIterator(cl->screen);
	for (rfbClientPtr o; (o = rfbClientIteratorNext(it));)
		n += o != cl;
	rfbReleaseClientIterator(it);
	if (n >= VNC_MAX_CLIENTS) {
		vnc_log(s, "refusing %s: already %u clients (limit %d)", l->address, n,
			VNC_MAX_CLIENTS);
		free_extensions(cl);
		return RFB_CLIENT_REFUSE;
	}
	c = calloc(1, sizeof(*c));
	host = strdup(l->address);
	if (!c || !host) {
		free(c);
		free(host);
		vnc_log(s, "refusing %s: out of memory", l->address);
		free_extensions(cl);
		return RFB_CLIENT_REFUSE;
	}
	s->adopting = NULL; /* the reference is c's now */
	c->link = l;
	c->id = l->id;
	memcpy(c->address, l->address, sizeof(c->address));
	/* LibVNCServer's getpeername saw a socketpair: name the real peer. */
	free(cl->host);
	cl->host = host;
	c->connected_ns = fb_clock_now_ns();
	c->batch_fd = c->batch_sock = -1;
	cl->clientData = c;
	cl->clientGoneHook = client_gone;
	if (s->cfg.view_only || l->view_only)
		cl->viewOnly = TRUE;
	vnc_log(s, "client #%llu %s connected%s%s%s", (unsigned long long)c->id, c->address,
		l->websocket ? " (websocket)" : "", l->tls ? " (TLS)" : "",
		cl->viewOnly ? " (view-only)" : "");
	pthread_mutex_lock(&s->stats_lock);
	s->stats.connects++;
	pthread_mutex_unlock(&s->stats_lock);
	return RFB_CLIENT_ACCEPT;
}

static void on_key(rfbBool down, rfbKeySym keysym, rfbClientPtr cl)
{
	if (cl->viewOnly)
		return;
	vnc_call_out_begin(srv(cl));
	fb_input_key(srv(cl)->fb, keysym, down);
	vnc_call_out_end(srv(cl));
}

static void on_pointer(int mask, int x, int y, rfbClientPtr cl)
{
	if (cl->viewOnly)
		return;
	vnc_call_out_begin(srv(cl));
	fb_input_pointer(srv(cl)->fb, x, y, (uint32_t)mask);
	vnc_call_out_end(srv(cl));
}

/* ClientCutText in Latin-1: converted to UTF-8 for the guest. */
static void on_cut_latin1(char *str, int len, rfbClientPtr cl)
{
	char *utf8;
	size_t o;

	if (cl->viewOnly || len <= 0)
		return;
	utf8 = vnc_charset_latin1_to_utf8(str, (size_t)len, &o);
	if (!utf8)
		return;
	vnc_call_out_begin(srv(cl));
	fb_input_clipboard(srv(cl)->fb, utf8, o);
	vnc_call_out_end(srv(cl));
	free(utf8);
}

static void on_cut_utf8(char *str, int len, rfbClientPtr cl)
{
	if (cl->viewOnly || len <= 0)
		return;
	vnc_call_out_begin(srv(cl));
	fb_input_clipboard(srv(cl)->fb, str, (size_t)len);
	vnc_call_out_end(srv(cl));
}

/* SetDesktopSize: the guest decides. Maps its answer to the RFB status. */
static int on_set_desktop_size(int width, int height, int num_screens,
			       struct rfbExtDesktopScreen *screens, rfbClientPtr cl)
{
	struct vnc_server *s = srv(cl);
	struct vnc_client *c = cl->clientData;
	int rc;

	(void)num_screens;
	(void)screens;
	if (cl->viewOnly)
		return rfbExtDesktopSize_ResizeProhibited;
	if (width < 1 || height < 1)
		return rfbExtDesktopSize_InvalidScreenLayout;
	if (vnc_mode_check(
		    &(struct fb_mode){ .width = (uint32_t)width, .height = (uint32_t)height }, NULL,
		    0) != 0) {
		vnc_log(s, "client #%llu asked for %dx%d: wider than VNC's limit of %u px",
			c ? (unsigned long long)c->id : 0ull, width, height, VNC_MAX_WIDTH_PX);
		return rfbExtDesktopSize_OutOfResources;
	}
	vnc_call_out_begin(srv(cl));
	rc = fb_request_mode(s->fb, (uint32_t)width, (uint32_t)height);
	vnc_call_out_end(srv(cl));
	if (rc == 0)
		return rfbExtDesktopSize_Success;
	vnc_log(s, "client #%llu asked for %dx%d: refused by the guest (%s)",
		c ? (unsigned long long)c->id : 0ull, width, height, strerror(-rc));
	switch (rc) {
	case -ENOMEM:
	case -E2BIG:
	case -ENOSPC:
		return rfbExtDesktopSize_OutOfResources;
	case -EINVAL:
	case -ERANGE:
		return rfbExtDesktopSize_InvalidScreenLayout;
	default:
		return rfbExtDesktopSize_ResizeProhibited;
	}
}

/*
 * SetDesktopSize, handled before LibVNCServer: its 0.9.14 handler leaks a
 * client iterator on every accepted request. The edge renames the message
 * VNC_EDGE_MSG_SET_DESKTOP_SIZE, a type LibVNCServer hands to protocol
 * extensions; this does what LibVNCServer's handler does, without the
 * leak. The edge framed the message whole: the reads never wait.
 */
static void handle_set_desktop_size(rfbClientPtr cl)
{
	uint8_t head[8];
	rfbExtDesktopScreen screens[255];
	int n;

	if (rfbReadExact(cl, (char *)head + 1, 7) <= 0) {
		rfbCloseClient(cl);
		return;
	}
	n = head[6];
	if (n && rfbReadExact(cl, (char *)screens, n * sz_rfbExtDesktopScreen) <= 0) {
		rfbCloseClient(cl);
		return;
	}
	if (n == 0) /* ignored, as LibVNCServer does */
		return;
	cl->requestedDesktopSizeChange = rfbExtDesktopSize_ClientRequestedChange;
	cl->lastDesktopSizeChangeError =
		on_set_desktop_size(head[2] << 8 | head[3], head[4] << 8 | head[5], n, screens, cl);
	if (cl->lastDesktopSizeChangeError == 0) {
		rfbClientIteratorPtr it = rfbGetClientIterator(cl->screen);

		for (rfbClientPtr o; (o = rfbClientIteratorNext(it));)
			if (o != cl)
				o->requestedDesktopSizeChange =
					rfbExtDesktopSize_OtherClientRequestedChange;
		rfbReleaseClientIterator(it);
	} else {
		/* The error goes out at once; success with the new size. */
		cl->newFBSizePending = TRUE;
	}
}

/*
 * A QEMU extended key event (type 255 subtype 0, renamed
 * VNC_EDGE_MSG_QEMU_KEY by the edge, which framed it whole and dropped it
 * for view-only clients): the keysym and QEMU's key number (qnum: the XT
 * scancode, 0xe0-prefixed codes folded to 0x80|code) go to the guest.
 */
static void handle_qemu_key(rfbClientPtr cl)
{
	uint8_t m[VNC_QEMU_KEY_EVENT_BYTES];
	uint32_t keysym, qnum;

	if (rfbReadExact(cl, (char *)m + 1, sizeof(m) - 1) <= 0) {
		rfbCloseClient(cl);
		return;
	}
	if (cl->viewOnly)
		return;
	keysym = (uint32_t)m[4] << 24 | (uint32_t)m[5] << 16 | (uint32_t)m[6] << 8 | m[7];
	qnum = (uint32_t)m[8] << 24 | (uint32_t)m[9] << 16 | (uint32_t)m[10] << 8 | m[11];
	vnc_call_out_begin(srv(cl));
	fb_input_key_code(srv(cl)->fb, keysym, qnum, (m[2] | m[3]) != 0);
	vnc_call_out_end(srv(cl));
}

/* The messages the edge renamed for fbhost's own handlers. */
static rfbBool ext_handle_message(rfbClientPtr cl, void *data, const rfbClientToServerMsg *msg)
{
	(void)data;
	switch (msg->type) {
	case VNC_EDGE_MSG_SET_DESKTOP_SIZE:
		handle_set_desktop_size(cl);
		return TRUE;
	case VNC_EDGE_MSG_QEMU_KEY:
		handle_qemu_key(cl);
		return TRUE;
	default:
		return FALSE;
	}
}

/* A client announced QEMU Extended Key Event (-258) in SetEncodings: it
 * gets the acknowledgement after its next update (see qemu_key_ack_ready). */
static rfbBool ext_enable_pseudo_encoding(rfbClientPtr cl, void **data, int encoding)
{
	struct vnc_client *c = cl->clientData;

	(void)data;
	if ((uint32_t)encoding != VNC_ENCODING_QEMU_KEY_EVENT)
		return FALSE;
	if (c) {
		c->qemu_key_ack_due = true;
		c->qemu_key_ack_after =
			(uint32_t)rfbStatGetMessageCountSent(cl, rfbFramebufferUpdate);
	}
	return TRUE;
}

static rfbBool ext_new_client(rfbClientPtr cl, void **data)
{
	(void)cl;
	*data = NULL;
	return TRUE;
}

/* fbhost's own protocol extension, enabled for every client. */
static rfbProtocolExtension edge_messages_ext = {
	.newClient = ext_new_client,
	.enablePseudoEncoding = ext_enable_pseudo_encoding,
	.handleMessage = ext_handle_message,
};

static void register_extension(void)
{
	rfbRegisterProtocolExtension(&edge_messages_ext);
}

void vnc_clients_adopt(struct vnc_server *s, struct vnc_edge_link *l)
{
	s->adopting = l;
	/* Bytes wait in the socketpair, so its WebSocket sniff returns at
	 * once. new_client takes
	 * the reference; if it never ran or refused, drop it here. */
	rfbNewClient(s->screen, l->lib_fd);
	if (s->adopting) {
		s->adopting = NULL;
		vnc_edge_link_unref(l);
	}
}

void vnc_clients_install_hooks(struct vnc_server *s)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	rfbScreenInfoPtr sc = s->screen;

	pthread_once(&once, register_extension);
	sc->newClientHook = new_client;
	sc->kbdAddEvent = on_key;
	sc->ptrAddEvent = on_pointer;
	sc->setXCutText = on_cut_latin1;
	sc->setXCutTextUTF8 = on_cut_utf8;
	sc->setDesktopSizeHook = on_set_desktop_size;
	vnc_batch_install(sc);
}

/*
 * Holds a client whose output queue (at the edge) is above one frame in its
 * pixel format: it gets no new updates, its damage accumulates (the latest
 * picture wins) until the edge has written the queue down; the edge wakes
 * us then. The edge drops clients that stop reading.
 */
void vnc_clients_update_holds(struct vnc_server *s)
{
	rfbClientIteratorPtr it = rfbGetClientIterator(s->screen);
	uint64_t now = fb_clock_now_ns();
	unsigned held = 0;

	for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it));) {
		struct vnc_client *c = cl->clientData;
		size_t queued, limit, frame;

		if (!c || cl->sock < 0 || cl->state != RFB_NORMAL)
			continue;
		frame = (size_t)s->shadow_w * s->shadow_h * (size_t)(cl->format.bitsPerPixel / 8);
		atomic_store_explicit(&c->link->frame_bytes, frame, memory_order_relaxed);
		queued = atomic_load_explicit(&c->link->queued, memory_order_relaxed);
		limit = vnc_edge_hold_bytes(frame);
		if (queued > limit) {
			if (!c->hold_since_ns) {
				c->hold_since_ns = now;
				cl->onHold = TRUE;
				atomic_store_explicit(&c->link->held, true, memory_order_relaxed);
				pthread_mutex_lock(&s->stats_lock);
				s->stats.holds++;
				pthread_mutex_unlock(&s->stats_lock);
			}
			held++;
		} else if (c->hold_since_ns) {
			c->hold_since_ns = 0;
			cl->onHold = FALSE;
			atomic_store_explicit(&c->link->held, false, memory_order_relaxed);
		}
	}
	rfbReleaseClientIterator(it);
	s->held_clients = held;
}

/* Whether cl has told us its encodings (and so whether it can resize). */
static bool sent_encodings(rfbClientPtr cl)
{
	return rfbStatGetMessageCountRcvd(cl, rfbSetEncodings) > 0;
}

static const char *const no_resize_reason =
	"the mode changed and the client supports neither DesktopSize nor ExtendedDesktopSize";

void vnc_clients_drop_unresizable(struct vnc_server *s)
{
	rfbClientIteratorPtr it = rfbGetClientIterator(s->screen);

	for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it));) {
		struct vnc_client *c = cl->clientData;

		if (cl->sock < 0 || cl->state != RFB_NORMAL || !c)
			continue;
		if (!sent_encodings(cl))
			c->size_stale = true; /* decided once it does */
		else if (!cl->useNewFBSize)
			vnc_clients_close(cl, no_resize_reason);
	}
	rfbReleaseClientIterator(it);
}

/*
 * Whether the QEMU Extended Key Event acknowledgement may go to cl: after
 * the first update since the client announced it, once that carried
 * LibVNCServer's SupportedMessages list and the screen layout if they were
 * due. libvncclient replaces its own message flags with that list (which
 * lacks the QEMU message), and TigerVNC decides at its first update whether
 * it can resize the server: an acknowledgement before either would be lost.
 */
static bool qemu_key_ack_ready(rfbClientPtr cl, const struct vnc_client *c)
{
	return c->qemu_key_ack_due && !cl->enableSupportedMessages &&
	       !(cl->useNewFBSize && cl->newFBSizePending) &&
	       (uint32_t)rfbStatGetMessageCountSent(cl, rfbFramebufferUpdate) !=
		       c->qemu_key_ack_after;
}

/*
 * Acknowledges QEMU Extended Key Event as QEMU does: a FramebufferUpdate
 * holding one pseudo-rectangle of encoding -258; clients send extended key
 * events only after it. The rectangle is empty, at (0,0): always within the
 * size the client knows, even with a mode switch not yet announced to it.
 * LibVNCServer writes whole messages on this thread, so this one cannot
 * split another. False if the client was closed.
 */
static bool send_qemu_key_ack(rfbClientPtr cl)
{
	const uint8_t ack[sz_rfbFramebufferUpdateMsg + sz_rfbFramebufferUpdateRectHeader] = {
		rfbFramebufferUpdate,
		0,
		0,
		1, /* type, pad, one rectangle */
		0,
		0,
		0,
		0,
		0,
		0,
		0,
		0, /* x, y, w, h */
		0xFF,
		0xFF,
		0xFE,
		0xFE, /* encoding -258 */
	};

	if (rfbWriteExact(cl, (const char *)ack, sizeof(ack)) < 0) {
		vnc_clients_close(cl, "write error");
		return false;
	}
	/* Its bytes count; it is no picture update. */
	rfbStatRecordEncodingSent(cl, rfbEncodingQemuExtendedKeyEvent, (int)sizeof(ack),
				  (int)sizeof(ack));
	return true;
}

/*
 * After LibVNCServer handled messages: tells clients that learnt about a
 * mode switch only after it happened their new size, announces the screen
 * layout to ExtendedDesktopSize clients once (the RFB spec asks for it, and
 * viewers such as noVNC and libvncclient only send SetDesktopSize after
 * seeing it), acknowledges QEMU Extended Key Event to clients that
 * announced it, and returns whether some client has an update it asked for
 * and could be sent now (then the VNC thread loops without sleeping).
 */
bool vnc_clients_after_events(struct vnc_server *s)
{
	rfbClientIteratorPtr it = rfbGetClientIterator(s->screen);
	bool again = false;

	for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it));) {
		struct vnc_client *c = cl->clientData;

		if (!c || cl->sock < 0 || cl->state != RFB_NORMAL || !sent_encodings(cl))
			continue;
		if (c->size_stale) {
			c->size_stale = false;
			if (!cl->useNewFBSize) {
				vnc_clients_close(cl, no_resize_reason);
				continue;
			}
			cl->newFBSizePending = TRUE; /* the size it missed */
		}
		if (cl->useExtDesktopSize && !c->layout_sent) {
			c->layout_sent = true;
			cl->newFBSizePending = TRUE;
		}
		if (qemu_key_ack_ready(cl, c)) {
			c->qemu_key_ack_due = false;
			if (!send_qemu_key_ack(cl))
				continue;
		}
		if (!cl->onHold && !sraRgnEmpty(cl->requestedRegion)) {
			sraRegion *due = sraRgnCreateRgn(cl->modifiedRegion);

			sraRgnAnd(due, cl->requestedRegion);
			if (!sraRgnEmpty(due) || (cl->useNewFBSize && cl->newFBSizePending))
				again = true;
			sraRgnDestroy(due);
		}
	}
	rfbReleaseClientIterator(it);
	return again;
}

bool vnc_client_quiet(rfbClientPtr cl)
{
	const struct vnc_client *c = cl->clientData;

	return c && cl->sock >= 0 && cl->state == RFB_NORMAL && sent_encodings(cl) &&
	       !FB_UPDATE_PENDING(cl) && !c->size_stale && !c->qemu_key_ack_due &&
	       (!cl->useExtDesktopSize || c->layout_sent);
}

void vnc_clients_kick(struct vnc_server *s, uint64_t id)
{
	rfbClientIteratorPtr it = rfbGetClientIterator(s->screen);

	for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it));) {
		struct vnc_client *c = cl->clientData;

		if (c && c->id == id)
			vnc_clients_close(cl, "disconnected by request");
	}
	rfbReleaseClientIterator(it);
}

void vnc_clients_disconnect_all(struct vnc_server *s)
{
	rfbClientIteratorPtr it = rfbGetClientIterator(s->screen);

	for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it));)
		vnc_clients_close(cl, "server shutting down");
	rfbReleaseClientIterator(it);
}

void vnc_clients_refresh_stats(struct vnc_server *s)
{
	rfbClientIteratorPtr it = rfbGetClientIterator(s->screen);
	uint64_t now = fb_clock_now_ns(), up = 0, rects = 0, bytes = 0;
	size_t n = 0;

	pthread_mutex_lock(&s->stats_lock);
	for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it));) {
		struct vnc_client *c = cl->clientData;
		struct vnc_client_info *ci;
		char enc[64];

		if (!c || cl->sock < 0)
			continue;
		sample_counters(cl, c);
		up += c->updates;
		rects += c->rects;
		bytes += c->bytes;
		if (n == s->info_cap) {
			size_t cap = s->info_cap ? s->info_cap * 2 : 8;
			struct vnc_client_info *ni = realloc(s->infos, cap * sizeof(*ni));

			if (!ni)
				continue;
			s->infos = ni;
			s->info_cap = cap;
		}
		if (!c->encoding[0] || c->preferred_named != cl->preferredEncoding) {
			encodingName((uint32_t)cl->preferredEncoding, enc, sizeof(enc));
			/* encodingName pads with spaces; keep the name. */
			enc[strcspn(enc, " ")] = '\0';
			enc[sizeof(c->encoding) - 1] = '\0';
			memcpy(c->encoding, enc, strlen(enc) + 1);
			c->preferred_named = cl->preferredEncoding;
		}
		ci = &s->infos[n++];
		memset(ci, 0, sizeof(*ci));
		ci->id = c->id;
		memcpy(ci->address, c->address, sizeof(ci->address));
		memcpy(ci->encoding, c->encoding, sizeof(ci->encoding));
		ci->websocket = c->link->websocket;
		ci->on_hold = c->hold_since_ns != 0;
		ci->updates = c->updates;
		ci->rects = c->rects;
		ci->bytes_sent = c->bytes;
		ci->connected_ms = (now - c->connected_ns) / 1000000u;
	}
	rfbReleaseClientIterator(it);
	s->info_count = n;
	s->stats.clients = (unsigned)n;
	s->stats.updates = s->gone_updates + up;
	s->stats.rects = s->gone_rects + rects;
	s->stats.bytes_sent = s->gone_bytes + bytes;
	s->stats.width = s->shadow_w;
	s->stats.height = s->shadow_h;
	pthread_mutex_unlock(&s->stats_lock);
}
