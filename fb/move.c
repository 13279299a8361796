/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/move.c - moves inside a framebuffer (a blitter's copy, X's CopyArea)
 * and how listeners learn of them without reading the destination.
 *
 * Why it is exact: every listener's picture equals the render thread's
 * frame copy F after each delivered tick (a torn tick leaves F ahead only
 * where it gives the bits back), and F with the queued moves applied in
 * order equals the guest pixels G everywhere except at pixels whose VGA
 * bit is set. A move that finds the bit of a source pixel clear knows that
 * F-with-the-earlier-moves holds that pixel already, so repeating the move
 * gives the destination its new value; where the source's bit is set, the
 * destination's bit is set too and the pixels go out as damage. Whenever F
 * cannot take the moves (no frame copy yet, a mode change) their
 * destinations go out as damage instead. The render thread takes the moves and the bits together
 * under move_lock, applies the moves to F in guest order, then copies the
 * damage from G; the listeners repeat the same moves, then take the same
 * damage from F.
 */
#include <errno.h>
#include <string.h>

#include "fb/fb-internal.h"

/* The dirty clients that are not the display. */
#define FB_CLIENTS_NOT_VGA (DIRTY_CLIENTS_ALL & ~(1u << DIRTY_MEMORY_VGA))

void fb_pixels_move(void *pixels, size_t stride, unsigned bytes_pp, int sx, int sy, int dx,
		    int dy, int w, int h)
{
	uint8_t *base = pixels;
	int step = dy <= sy ? 1 : -1;
	int row = step > 0 ? 0 : h - 1;

	for (int i = 0; i < h; i++, row += step)
		memmove(base + (size_t)(dy + row) * stride + (size_t)dx * bytes_pp,
			base + (size_t)(sy + row) * stride + (size_t)sx * bytes_pp,
			(size_t)w * bytes_pp);
}

/* Clips one side of a move to [0, limit): shrinks the length and shifts
 * both starts together. */
static void fb_move_clip_axis(int64_t *s, int64_t *d, int64_t *len, int64_t limit)
{
	int64_t under = *s < *d ? *s : *d;

	if (under < 0) {
		*s -= under;
		*d -= under;
		*len += under;
	}
	if (*s + *len > limit)
		*len = limit - *s;
	if (*d + *len > limit)
		*len = limit - *d;
}

/* Clips a move so that source and destination lie in m; false if nothing
 * is left. */
static bool fb_move_clip(const struct fb_mode *m, int *sx, int *sy, int *dx, int *dy, int *w,
			 int *h)
{
	int64_t x0 = *sx, y0 = *sy, x1 = *dx, y1 = *dy, ww = *w, hh = *h;

	fb_move_clip_axis(&x0, &x1, &ww, m->width);
	fb_move_clip_axis(&y0, &y1, &hh, m->height);
	if (ww <= 0 || hh <= 0)
		return false;
	*sx = (int)x0;
	*sy = (int)y0;
	*dx = (int)x1;
	*dy = (int)y1;
	*w = (int)ww;
	*h = (int)hh;
	return true;
}

bool fb_move_valid(const struct fb_mode *m, const struct fb_move *mv)
{
	return mv->w > 0 && mv->h > 0 && mv->sx >= 0 && mv->sy >= 0 && mv->dx >= 0 &&
	       mv->dy >= 0 && (uint32_t)mv->sx + (uint32_t)mv->w <= m->width &&
	       (uint32_t)mv->dx + (uint32_t)mv->w <= m->width &&
	       (uint32_t)mv->sy + (uint32_t)mv->h <= m->height &&
	       (uint32_t)mv->dy + (uint32_t)mv->h <= m->height;
}

/*
 * For a recorded move (move_lock held, so the render thread cannot clear
 * bits meanwhile): marks for the display each destination row whose source
 * row has a display bit set. Rows go in the move's own order, so a row
 * marked here is never checked again as a source of the same move.
 */
static void fb_move_mark_dirty_sources(struct fb_device *fb, const struct fb_mode_obj *mo,
				       const struct fb_move *mv)
{
	uint64_t bpp = fb_format_bpp(mo->mode.format);
	int step = mv->dy <= mv->sy ? 1 : -1;
	int row = step > 0 ? 0 : mv->h - 1;

	for (int i = 0; i < mv->h; i++, row += step) {
		uint64_t start = (uint64_t)(mv->sy + row) * mo->mode.stride + (uint64_t)mv->sx * bpp;

		if (dirty_get(fb->rl, mo->ram_offset + start, (uint64_t)mv->w * bpp,
			      DIRTY_MEMORY_VGA))
			fb_mark_rect_clients(fb, mo, mv->dx, mv->dy + row, mv->w, 1,
					     1u << DIRTY_MEMORY_VGA);
	}
}

int fb_access_copy(struct fb_device *fb, const struct fb_access *acc, int sx, int sy, int dx,
		   int dy, int w, int h)
{
	const struct fb_mode_obj *mo;
	struct fb_move mv;
	unsigned vga_mask = 1u << DIRTY_MEMORY_VGA;

	if (!fb || !acc || !acc->priv || w < 0 || h < 0)
		return -EINVAL;
	mo = acc->priv;
	if (!fb_move_clip(&mo->mode, &sx, &sy, &dx, &dy, &w, &h) || (sx == dx && sy == dy))
		return 0;
	mv = (struct fb_move){ mo->generation, sx, sy, dx, dy, w, h };
	fb_pixels_move(mo->pixels, mo->mode.stride, fb_format_bpp(mo->mode.format), sx, sy, dx,
		       dy, w, h);
	/* Busy means the render thread is inside a tick: never wait for it,
	 * send the destination as pixels. */
	if (pthread_mutex_trylock(&fb->move_lock) == 0) {
		/* The access section holds the RCU read lock. A section on a
		 * retired mode moves garbage that is only shown as pixels. */
		if (fb->nmoves < FB_MOVES_MAX && mo == ram_rcu_dereference(fb->mode)) {
			fb->moves[fb->nmoves++] = mv;
			fb_move_mark_dirty_sources(fb, mo, &mv);
			vga_mask = 0;
		}
		pthread_mutex_unlock(&fb->move_lock);
	}
	fb_mark_rect_clients(fb, mo, dx, dy, w, h, FB_CLIENTS_NOT_VGA | vga_mask);
	return 0;
}

int fb_copy_rect(struct fb_device *fb, int sx, int sy, int dx, int dy, int w, int h)
{
	struct fb_access acc;
	int rc;

	if (!fb)
		return -EINVAL;
	fb_access_begin(fb, &acc);
	rc = fb_access_copy(fb, &acc, sx, sy, dx, dy, w, h);
	fb_access_end(fb, &acc);
	return rc;
}

void fb_moves_give_back(struct fb_device *fb, const struct fb_mode_obj *mo,
			const struct fb_move *moves, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fb_move_valid(&mo->mode, &moves[i]))
			fb_mark_rect_clients(fb, mo, moves[i].dx, moves[i].dy, moves[i].w,
					     moves[i].h, 1u << DIRTY_MEMORY_VGA);
}
