/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-fb-listener.c - the fb listener side of the VNC frontend. Runs on
 * the render thread and is direct (fb.h): it reads the guest's pixels
 * themselves, compares the damaged cells against the shadow (vnc-cells.c)
 * and copies the ones that changed, so a changed pixel is copied once on
 * its way from guest RAM to the encoder. Guest moves and found scrolls are
 * made in the shadow and recorded for a CopyRect.
 *
 * A tick holds shadow_lock from try_begin to its commit. A torn tick (a
 * frame section began while we read) leaves pixels of two frames in the
 * shadow: they are remembered (torn), nothing is sent until a whole tick
 * commits (the render thread gives the damage back, so that tick rereads
 * it), and then they are sent with it. A tick that gave us nothing (a
 * section was open at its start) is no whole tick: the torn pixels stay
 * held back. The VNC thread applies what was
 * committed; LibVNCServer and the network are never touched here, so a
 * slow client cannot stall the render thread.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vnc/vnc-internal.h"

void vnc_wake(struct vnc_server *s)
{
	uint64_t one = 1;

	/* Fails only with EAGAIN when the counter is saturated: then the VNC
	 * thread is awake anyway. */
	if (write(s->wake_fd, &one, sizeof(one)) < 0)
		return;
}

static struct vnc_server *to_server(struct fb_listener *l)
{
	return (struct vnc_server *)((char *)l - offsetof(struct vnc_server, listener));
}

/* A tick starts only when the VNC thread is not reading the shadow: the
 * render thread never waits for an encode. If it is, the thread kicks the
 * render thread when its pass ends (render_waiting). */
static bool vnc_try_begin(struct fb_listener *l)
{
	struct vnc_server *s = to_server(l);

	/* Raised before the try: a pass that ends after a failed try sees it. */
	atomic_store(&s->render_waiting, true);
	if (pthread_mutex_trylock(&s->shadow_lock) != 0)
		return false;
	atomic_store(&s->render_waiting, false);
	s->tick_locked = true;
	return true;
}

/* The picture the render thread compares into: a waiting mode switch's,
 * else the one clients see. NULL if it does not hold surf's mode, as
 * after a mode VNC cannot show (shadow_lock held). */
static uint32_t *newest_shadow(struct vnc_server *s, const struct fb_surface *surf)
{
	uint32_t *p = s->next_shadow ? s->next_shadow : s->shadow;
	uint32_t w = s->next_shadow ? s->next_w : s->shadow_w;
	uint32_t h = s->next_shadow ? s->next_h : s->shadow_h;

	return p && w == surf->mode.width && h == surf->mode.height ? p : NULL;
}

static void vnc_switch_surface(struct fb_listener *l, const struct fb_surface *surf)
{
	struct vnc_server *s = to_server(l);
	uint32_t w = surf->mode.width, h = surf->mode.height;
	uint32_t *pic = NULL;

	if (vnc_mode_check(&surf->mode, NULL, 0) != 0) {
		vnc_log(s,
			"mode %ux%u is wider than VNC's limit of %u px: clients keep the "
			"previous picture until the next mode switch",
			w, h, VNC_MAX_WIDTH_PX);
	} else {
		/* Zeroed, and written whole by the full update that follows;
		 * the spare pixel is LibVNCServer's (as make_screen's). */
		pic = calloc((size_t)w * h + 1, 4);
		if (!pic)
			vnc_log(s,
				"out of memory for a %ux%u shadow: VNC keeps the previous picture",
				w, h);
	}
	assert(s->tick_locked); /* try_begin took shadow_lock for the tick */
	free(s->next_shadow);
	s->next_shadow = pic;
	s->next_w = pic ? w : 0;
	s->next_h = pic ? h : 0;
	s->switch_ready = false;
	/* The new picture replaces whatever was waiting. */
	s->nmoves = s->tick_nmoves = 0;
	pixman_region32_clear(&s->changed);
	pixman_region32_clear(&s->tick_changed);
	pixman_region32_clear(&s->torn);
	if (s->convert && ((uint32_t)pixman_image_get_width(s->convert) != w ||
			   (uint32_t)pixman_image_get_height(s->convert) != h)) {
		pixman_image_unref(s->convert);
		s->convert = NULL;
	}
}

/* Moves the unsent regions' part in the source along with the pixels. */
static void move_region(pixman_region32_t *r, const pixman_box32_t *src, int32_t off_x,
			int32_t off_y)
{
	pixman_region32_t moved;

	pixman_region32_init_rect(&moved, src->x1, src->y1, (unsigned)(src->x2 - src->x1),
				  (unsigned)(src->y2 - src->y1));
	pixman_region32_intersect(&moved, &moved, r);
	pixman_region32_translate(&moved, off_x, off_y);
	pixman_region32_union(r, r, &moved);
	pixman_region32_fini(&moved);
}

void vnc_shadow_move(struct vnc_server *s, int32_t x1, int32_t y1, int32_t x2, int32_t y2,
		     int32_t off_x, int32_t off_y)
{
	uint32_t *pic = s->next_shadow ? s->next_shadow : s->shadow;
	uint32_t w = s->next_shadow ? s->next_w : s->shadow_w;
	pixman_box32_t src = { x1 - off_x, y1 - off_y, x2 - off_x, y2 - off_y };

	fb_pixels_move(pic, (size_t)w * 4, 4, src.x1, src.y1, x1, y1, x2 - x1, y2 - y1);
	/* Changes clients have not been told about move with their pixels
	 * (the copy is scheduled before they are marked). */
	move_region(&s->changed, &src, off_x, off_y);
	move_region(&s->tick_changed, &src, off_x, off_y);
	move_region(&s->torn, &src, off_x, off_y);
	if (s->tick_nmoves < VNC_MOVES_MAX)
		s->tick_moves[s->tick_nmoves++] = (struct vnc_move){ x1, y1, x2, y2, off_x, off_y };
	else /* sent as pixels */
		pixman_region32_union_rect(&s->tick_changed, &s->tick_changed, x1, y1,
					   (unsigned)(x2 - x1), (unsigned)(y2 - y1));
}

/* The guest's picture as x8r8g8b8 pixels: the guest's own memory when it
 * has that layout, else converted into the scratch picture (pixman). Only
 * the pixels that the cell compare and the scroll finder may read are
 * converted: region's extents, widened to whole cells. Those readers look
 * at whole cells and at the rows between the damage's bands, and the
 * scratch picture is older than the guest wherever a move went since its
 * last conversion (moves are made in the shadow, not in the scratch).
 * NULL on ENOMEM. */
static const uint32_t *x8r8g8b8_view(struct vnc_server *s, const struct fb_surface *surf,
				     const pixman_region32_t *region, size_t *stride_px)
{
	pixman_format_code_t f = pixman_image_get_format(surf->image);
	const pixman_box32_t *ext = pixman_region32_extents((pixman_region32_t *)region);
	int w = (int)surf->mode.width, h = (int)surf->mode.height;
	int x1 = ext->x1 / VNC_CELL_PX * VNC_CELL_PX, y1 = ext->y1 / VNC_CELL_PX * VNC_CELL_PX;
	int x2 = (ext->x2 + VNC_CELL_PX - 1) / VNC_CELL_PX * VNC_CELL_PX;
	int y2 = (ext->y2 + VNC_CELL_PX - 1) / VNC_CELL_PX * VNC_CELL_PX;

	if (f == PIXMAN_x8r8g8b8 || f == PIXMAN_a8r8g8b8) {
		*stride_px = (size_t)pixman_image_get_stride(surf->image) / 4;
		return pixman_image_get_data(surf->image);
	}
	if (!s->convert) {
		s->convert = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, h, NULL, 0);
		if (!s->convert)
			return NULL;
	}
	/* region lies inside the mode (vnc_update clips it). */
	pixman_image_composite32(PIXMAN_OP_SRC, surf->image, NULL, s->convert, x1, y1, 0, 0, x1, y1,
				 (x2 < w ? x2 : w) - x1, (y2 < h ? y2 : h) - y1);
	*stride_px = (size_t)pixman_image_get_stride(s->convert) / 4;
	return pixman_image_get_data(s->convert);
}

static void vnc_update(struct fb_listener *l, const struct fb_surface *surf,
		       const pixman_region32_t *damage)
{
	struct vnc_server *s = to_server(l);
	uint32_t w = surf->mode.width, h = surf->mode.height;
	uint64_t compared = 0, differ = 0;
	pixman_region32_t region;
	const uint32_t *src;
	size_t src_stride;
	uint32_t *dst;

	assert(s->tick_locked); /* try_begin took shadow_lock for the tick */
	dst = newest_shadow(s, surf);
	if (!dst)
		return;
	pixman_region32_init_rect(&region, 0, 0, w, h);
	pixman_region32_intersect(&region, &region, (pixman_region32_t *)damage);
	if (!pixman_region32_not_empty(&region))
		goto out;
	src = x8r8g8b8_view(s, surf, &region, &src_stride);
	if (!src) {
		/* Clients keep the old pixels there until the next change. */
		vnc_log(s, "out of memory converting a %ux%u picture: an update is lost", w, h);
		goto out;
	}
	vnc_scroll_detect(s, src, src_stride, dst, w, h, &region);
	compared = vnc_cells_sync(&s->cells, src, src_stride, dst, w, h, &region, &s->tick_changed,
				  &differ);
	if (compared) {
		pthread_mutex_lock(&s->stats_lock);
		s->stats.cells_compared += compared;
		s->stats.cells_changed += differ;
		pthread_mutex_unlock(&s->stats_lock);
	}
out:
	pixman_region32_fini(&region);
}

/* A guest move, already made in guest RAM: made in the shadow now and sent
 * as a CopyRect. */
static void vnc_copy(struct fb_listener *l, const struct fb_surface *surf, int sx, int sy, int dx,
		     int dy, int w, int h)
{
	struct vnc_server *s = to_server(l);

	assert(s->tick_locked); /* try_begin took shadow_lock for the tick */
	if (newest_shadow(s, surf))
		vnc_shadow_move(s, dx, dy, dx + w, dy + h, dx - sx, dy - sy);
}

static void vnc_commit(struct fb_listener *l, enum fb_tick_end end)
{
	struct vnc_server *s = to_server(l);
	bool was_paused = s->torn_pending, wake;

	if (!s->tick_locked)
		return;
	/* Moves act on the shadow's own pixels, which stay one picture (any
	 * torn pixels among them are in torn, which moved along): they are
	 * kept as CopyRects even from a torn tick. */
	for (unsigned i = 0; i < s->tick_nmoves; i++) {
		const struct vnc_move *m = &s->tick_moves[i];

		if (s->nmoves < VNC_MOVES_MAX)
			s->moves[s->nmoves++] = *m;
		else
			pixman_region32_union_rect(&s->changed, &s->changed, m->x1, m->y1,
						   (unsigned)(m->x2 - m->x1),
						   (unsigned)(m->y2 - m->y1));
	}
	if (end == FB_TICK_TORN) {
		/* This tick's pixels are sent once a whole tick has read
		 * them again; until then nothing is. */
		pixman_region32_union(&s->torn, &s->torn, &s->tick_changed);
		s->torn_pending = true;
	} else if (end == FB_TICK_WHOLE) {
		s->torn_pending = false;
		pixman_region32_union(&s->changed, &s->changed, &s->tick_changed);
		pixman_region32_union(&s->changed, &s->changed, &s->torn);
		pixman_region32_clear(&s->torn);
		if (s->next_shadow)
			s->switch_ready = true;
	}
	if (end != FB_TICK_SKIPPED)
		s->commits++;
	s->tick_nmoves = 0;
	pixman_region32_clear(&s->tick_changed);
	/* A VNC thread paused by a torn tick waits for this wake-up. */
	wake = end != FB_TICK_SKIPPED && !s->torn_pending &&
	       (was_paused || s->switch_ready || s->nmoves ||
		pixman_region32_not_empty(&s->changed));
	s->tick_locked = false;
	pthread_mutex_unlock(&s->shadow_lock);
	if (wake)
		vnc_wake(s);
}

static void vnc_clipboard(struct fb_listener *l, const char *utf8, size_t len)
{
	struct vnc_server *s = to_server(l);
	char *copy = malloc(len + 1);

	if (!copy)
		return;
	memcpy(copy, utf8, len);
	copy[len] = '\0';
	pthread_mutex_lock(&s->lock);
	free(s->clip_out);
	s->clip_out = copy;
	s->clip_out_len = len;
	pthread_mutex_unlock(&s->lock);
	vnc_wake(s);
}

static void vnc_destroy(struct fb_listener *l)
{
	(void)l; /* vnc_server_free frees the server after unregistering */
}

const struct fb_listener_ops vnc_listener_ops = {
	.name = "vnc",
	.switch_surface = vnc_switch_surface,
	.copy = vnc_copy,
	.update = vnc_update,
	.try_begin = vnc_try_begin,
	.commit = vnc_commit,
	.clipboard = vnc_clipboard,
	.cursor_define = vnc_cursor_define, /* vnc-cursor.c */
	.cursor_move = vnc_cursor_move,
	.destroy = vnc_destroy,
	.direct = true,
};
