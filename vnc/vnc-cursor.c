/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-cursor.c - the guest's cursor over VNC.
 *
 * Clients that announce RichCursor (or XCursor) draw the pointer locally:
 * LibVNCServer sends the shape it gets from screen->getCursorPtr, here the
 * guest's image converted to the server format (x8r8g8b8) with a 1-bit
 * mask (alpha at least VNC_CURSOR_ALPHA_MIN), and for XCursor a 1-bit
 * picture (dark pixels in the foreground colour, black). Clients that also
 * announce PointerPos follow the guest's moves. A hidden or undefined
 * cursor is sent as the empty shape.
 *
 * Clients without cursor shapes get no cursor at all. LibVNCServer 0.9.14
 * would draw screen->cursor into screen->frameBuffer around each update
 * for them (rfbShowCursor/rfbHideCursor); that frame buffer is fbhost's
 * shadow, which the cell compare trusts to hold the guest's exact pixels,
 * and those clients would get the cursor baked into their picture. So
 * screen->cursor stays NULL: the shape reaches LibVNCServer only through
 * getCursorPtr, which only the cursor-shape encoders call.
 *
 * The render thread queues the latest state (listener ops, under
 * vnc_server.lock) and wakes the VNC thread, which applies it: every
 * LibVNCServer call and field access happens there.
 */
#include <stdlib.h>
#include <string.h>

#include "vnc/vnc-internal.h"

/* Pixels with at least this alpha (0..255) are in the RFB cursor's 1-bit
 * mask; the others are transparent. */
#define VNC_CURSOR_ALPHA_MIN 0x80u
/* Largest cursor side sent to VNC clients, in pixels. LibVNCServer 0.9.14
 * builds a whole cursor shape in one update buffer (UPDATE_BUF_SIZE,
 * 32 KiB) and fails the client's update when it does not fit: at 32 bpp a
 * w x w cursor needs 4w^2 + w^2/8 + 18 bytes. Larger guest cursors lose
 * their transparent margins, then are cropped around the hotspot. */
#define VNC_CURSOR_MAX_SIDE_PX 88
_Static_assert(VNC_CURSOR_MAX_SIDE_PX *VNC_CURSOR_MAX_SIDE_PX * 4 +
			       (VNC_CURSOR_MAX_SIDE_PX + 7) / 8 * VNC_CURSOR_MAX_SIDE_PX +
			       sz_rfbFramebufferUpdateRectHeader + sz_rfbXCursorColors <=
		       UPDATE_BUF_SIZE,
	       "a VNC cursor fits LibVNCServer's update buffer");

static struct vnc_server *to_server(struct fb_listener *l)
{
	return (struct vnc_server *)((char *)l - offsetof(struct vnc_server, listener));
}

void vnc_cursor_define(struct fb_listener *l, struct fb_cursor *c)
{
	struct vnc_server *s = to_server(l);
	struct fb_cursor *old;

	pthread_mutex_lock(&s->lock);
	old = s->cursor.next;
	s->cursor.next = fb_cursor_ref(c);
	s->cursor.image_due = true;
	pthread_mutex_unlock(&s->lock);
	fb_cursor_unref(old);
	/* No wake: fb/ calls cursor_move right after, which wakes the VNC
	 * thread with the image and its visibility queued together. */
}

void vnc_cursor_move(struct fb_listener *l, int x, int y, bool visible)
{
	struct vnc_server *s = to_server(l);

	pthread_mutex_lock(&s->lock);
	s->cursor.x = x;
	s->cursor.y = y;
	s->cursor.visible = visible;
	s->cursor.pos_due = true;
	pthread_mutex_unlock(&s->lock);
	vnc_wake(s);
}

static rfbCursorPtr vnc_cursor_get_ptr(rfbClientPtr cl)
{
	struct vnc_server *s = cl->screen->screenData;

	return s->cursor.shown ? s->cursor.shape : NULL;
}

void vnc_cursor_install(rfbScreenInfoPtr sc)
{
	struct vnc_server *s = sc->screenData;

	s->cursor.visible = true; /* fb/'s default, before any cursor_move */
	sc->cursor = NULL;
	sc->getCursorPtr = vnc_cursor_get_ptr;
}

static void vnc_cursor_shape_free(rfbCursorPtr shape)
{
	if (!shape)
		return;
	free(shape->source);
	free(shape->mask);
	free(shape->richSource);
	free(shape);
}

/* Narrows [*lo, *hi) (which holds hot) to VNC_CURSOR_MAX_SIDE_PX around
 * hot when it is wider, staying inside [*lo, *hi). */
static void vnc_cursor_crop(uint32_t hot, uint32_t *lo, uint32_t *hi)
{
	uint32_t x1;

	if (*hi - *lo <= VNC_CURSOR_MAX_SIDE_PX)
		return;
	x1 = hot >= *lo + VNC_CURSOR_MAX_SIDE_PX / 2 ? hot - VNC_CURSOR_MAX_SIDE_PX / 2 : *lo;
	if (x1 + VNC_CURSOR_MAX_SIDE_PX > *hi)
		x1 = *hi - VNC_CURSOR_MAX_SIDE_PX;
	*lo = x1;
	*hi = x1 + VNC_CURSOR_MAX_SIDE_PX;
}

/* The part of c sent to clients: all of it when it fits; otherwise
 * without transparent margins, then at most VNC_CURSOR_MAX_SIDE_PX a side
 * around the hotspot. */
static void vnc_cursor_window(const struct fb_cursor *c, uint32_t *x0, uint32_t *y0, uint32_t *w,
			      uint32_t *h)
{
	uint32_t x1 = c->hot_x, y1 = c->hot_y, x2 = c->hot_x + 1, y2 = c->hot_y + 1;

	if (c->width <= VNC_CURSOR_MAX_SIDE_PX && c->height <= VNC_CURSOR_MAX_SIDE_PX) {
		*x0 = *y0 = 0;
		*w = c->width;
		*h = c->height;
		return;
	}
	for (uint32_t y = 0; y < c->height; y++)
		for (uint32_t x = 0; x < c->width; x++)
			if ((c->argb[(size_t)y * c->width + x] >> 24) >= VNC_CURSOR_ALPHA_MIN) {
				x1 = x < x1 ? x : x1;
				y1 = y < y1 ? y : y1;
				x2 = x >= x2 ? x + 1 : x2;
				y2 = y >= y2 ? y + 1 : y2;
			}
	vnc_cursor_crop(c->hot_x, &x1, &x2);
	vnc_cursor_crop(c->hot_y, &y1, &y2);
	*x0 = x1;
	*y0 = y1;
	*w = x2 - x1;
	*h = y2 - y1;
}

/* LibVNCServer's form of c: rich source in the server format (x8r8g8b8,
 * native-endian words), mask and XCursor bitmap MSB first. NULL on ENOMEM. */
static rfbCursorPtr vnc_cursor_shape_new(struct vnc_server *s, const struct fb_cursor *c)
{
	uint32_t x0, y0, w, h, row_bytes;
	rfbCursorPtr shape = calloc(1, sizeof(*shape));
	uint32_t *rich;

	if (!shape)
		return NULL;
	vnc_cursor_window(c, &x0, &y0, &w, &h);
	if (w != c->width || h != c->height)
		vnc_log(s, "cursor %ux%u sent as its %ux%u part at %u,%u (VNC limit %u px)",
			c->width, c->height, w, h, x0, y0, VNC_CURSOR_MAX_SIDE_PX);
	row_bytes = (w + 7) / 8;
	shape->width = (unsigned short)w;
	shape->height = (unsigned short)h;
	shape->xhot = (unsigned short)(c->hot_x - x0);
	shape->yhot = (unsigned short)(c->hot_y - y0);
	/* XCursor colours: foreground black, background white. */
	shape->backRed = shape->backGreen = shape->backBlue = 0xffff;
	rich = malloc((size_t)w * h * 4);
	shape->richSource = (unsigned char *)rich;
	shape->mask = calloc(row_bytes, h);
	shape->source = calloc(row_bytes, h);
	if (!rich || !shape->mask || !shape->source) {
		vnc_cursor_shape_free(shape);
		return NULL;
	}
	for (uint32_t y = 0; y < h; y++) {
		for (uint32_t x = 0; x < w; x++) {
			uint32_t p = c->argb[(size_t)(y + y0) * c->width + x + x0];
			uint32_t r = (p >> 16) & 0xff, g = (p >> 8) & 0xff, b = p & 0xff;
			uint8_t bit = (uint8_t)(0x80u >> (x & 7));

			rich[(size_t)y * w + x] = p & 0xffffffu;
			if ((p >> 24) >= VNC_CURSOR_ALPHA_MIN)
				shape->mask[y * row_bytes + x / 8] |= bit;
			if (r * 299 + g * 587 + b * 114 < 128 * 1000)
				shape->source[y * row_bytes + x / 8] |= bit;
		}
	}
	return shape;
}

void vnc_cursor_apply(struct vnc_server *s)
{
	struct fb_cursor *next = NULL;
	bool image_due, pos_due, visible, shown;
	int x, y;
	rfbScreenInfoPtr sc = s->screen;
	rfbClientIteratorPtr it;

	pthread_mutex_lock(&s->lock);
	image_due = s->cursor.image_due;
	pos_due = s->cursor.pos_due;
	if (image_due) {
		next = s->cursor.next;
		s->cursor.next = NULL;
	}
	x = s->cursor.x;
	y = s->cursor.y;
	visible = s->cursor.visible;
	s->cursor.image_due = s->cursor.pos_due = false;
	pthread_mutex_unlock(&s->lock);
	if (!image_due && !pos_due)
		return;

	if (image_due) {
		rfbCursorPtr shape = next ? vnc_cursor_shape_new(s, next) : NULL;

		if (next && !shape)
			vnc_log(s,
				"out of memory for a %ux%u cursor: clients keep the previous one",
				next->width, next->height);
		else {
			vnc_cursor_shape_free(s->cursor.shape);
			s->cursor.shape = shape;
		}
		fb_cursor_unref(next);
	}
	shown = visible && s->cursor.shape;
	if (pos_due) {
		/* PointerPos carries unsigned 16-bit coordinates inside the
		 * framebuffer. */
		sc->cursorX = x < 0 ? 0 : x >= sc->width ? sc->width - 1 : x;
		sc->cursorY = y < 0 ? 0 : y >= sc->height ? sc->height - 1 : y;
	}
	it = rfbGetClientIterator(sc);
	for (rfbClientPtr cl; (cl = rfbClientIteratorNext(it));) {
		if (image_due || shown != s->cursor.shown)
			cl->cursorWasChanged = TRUE;
		if (pos_due && cl->enableCursorPosUpdates)
			cl->cursorWasMoved = TRUE;
		if (!cl->enableCursorShapeUpdates) {
			/* Nothing is drawn for it: keep its position equal to
			 * the screen's so no empty update is sent for a move. */
			cl->cursorX = sc->cursorX;
			cl->cursorY = sc->cursorY;
		}
	}
	rfbReleaseClientIterator(it);
	s->cursor.shown = shown;
}

void vnc_cursor_free(struct vnc_server *s)
{
	fb_cursor_unref(s->cursor.next);
	s->cursor.next = NULL;
	vnc_cursor_shape_free(s->cursor.shape);
	s->cursor.shape = NULL;
}
