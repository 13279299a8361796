/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/access.c - the direct-access API in one place: access sections
 * (fb_access_begin/end, the frame transactions), marking what was drawn
 * (fb_mark_dirty and the page marking every write path shares) and moves
 * (fb_access_copy, fb_copy_rect). Writers wake the render thread through
 * their device (fb_note_damage, pacing.c), never by calling render.c.
 *
 * Why moves are exact: every listener's picture equals the render thread's
 * frame copy F after each delivered tick (a torn tick leaves F ahead only
 * where it gives the bits back), and F with the queued moves applied in
 * order equals the guest pixels G everywhere except at pixels whose VGA
 * bit is set. A move that finds the bit of a source pixel clear knows that
 * F-with-the-earlier-moves holds that pixel already, so repeating the move
 * gives the destination its new value; where the source's bit is set, the
 * destination's bit is set too and the pixels go out as damage. Whenever F
 * cannot take the moves (no frame copy yet, a mode change) their
 * destinations go out as damage instead. The render thread takes the moves
 * and the bits together under move_lock, applies the moves to F in guest order, then copies the
 * damage from G; the listeners repeat the same moves, then take the same
 * damage from F.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "fb/fb-internal.h"

/* The dirty clients that are not the display. */
#define FB_CLIENTS_NOT_VGA (DIRTY_CLIENTS_ALL & ~(1u << DIRTY_MEMORY_VGA))

/* Clips x,y,w,h to the mode; false when nothing is left. */
bool fb_clip_rect(const struct fb_mode *m, int *x, int *y, int *w, int *h)
{
	int64_t x0 = *x, y0 = *y, x1 = (int64_t)*x + *w, y1 = (int64_t)*y + *h;

	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x1 > m->width)
		x1 = m->width;
	if (y1 > m->height)
		y1 = m->height;
	if (x0 >= x1 || y0 >= y1)
		return false;
	*x = (int)x0;
	*y = (int)y0;
	*w = (int)(x1 - x0);
	*h = (int)(y1 - y0);
	return true;
}

/*
 * Marks the pages under a clipped rectangle. Rows go in address order, so
 * consecutive rows whose page ranges touch or overlap are coalesced into one
 * call; pages between rows that the rectangle does not reach stay clean.
 */
void fb_mark_rect_clients(struct fb_device *fb, const struct fb_mode_obj *mo, int x, int y, int w,
			  int h, unsigned client_mask)
{
	uint64_t page = fb->page_size;
	uint64_t bpp = fb_format_bpp(mo->mode.format);
	uint64_t run_start = 0, run_end = 0; /* byte range, page-rounded */
	bool have_run = false;

	for (int row = y; row < y + h; row++) {
		uint64_t s = (uint64_t)row * mo->mode.stride + (uint64_t)x * bpp;
		uint64_t e = s + (uint64_t)w * bpp;
		uint64_t ps = s / page * page, pe = (e + page - 1) / page * page;

		if (have_run && ps <= run_end) {
			if (pe > run_end)
				run_end = pe;
			continue;
		}
		if (have_run)
			dirty_set_range(fb->rl, mo->ram_offset + run_start, run_end - run_start,
					client_mask);
		run_start = ps;
		run_end = pe;
		have_run = true;
	}
	if (have_run)
		dirty_set_range(fb->rl, mo->ram_offset + run_start, run_end - run_start,
				client_mask);
}

void fb_mark_rect(struct fb_device *fb, const struct fb_mode_obj *mo, int x, int y, int w, int h)
{
	fb_mark_rect_clients(fb, mo, x, y, w, h, DIRTY_CLIENTS_ALL);
}

void fb_mark_dirty(struct fb_device *fb, const struct fb_access *acc, int x, int y, int w, int h)
{
	const struct fb_mode_obj *mo = acc->priv;

	if (!mo || w <= 0 || h <= 0 || !fb_clip_rect(&mo->mode, &x, &y, &w, &h))
		return;
	/* No wake-up here: closing the section does it, so the render thread
	 * is not woken for a frame that is still being drawn. */
	fb_mark_rect(fb, mo, x, y, w, h);
}

/*
 * Frame sections. The render thread reads the counter before it takes the
 * dirty bits and again after it copied the pixels (a seqlock read side whose
 * write side is these two adds): an open section at the start, or a section
 * begun meanwhile, makes it leave the frame for a later tick. Both adds are
 * seq_cst: the pixels a section writes cannot become visible before its
 * begin, and the close pairs with the render thread raising `idle`.
 */
static void fb_section_open(struct fb_device *fb)
{
	atomic_fetch_add(&fb->sections, FB_SECTION_BEGUN_ONE + 1);
}

static void fb_section_close(struct fb_device *fb)
{
	uint64_t old = atomic_fetch_sub(&fb->sections, 1);

	assert((old & FB_SECTION_OPEN_MASK) != 0);
	if ((old & FB_SECTION_OPEN_MASK) == 1)
		fb_note_damage(fb);
}

void fb_access_begin(struct fb_device *fb, struct fb_access *acc)
{
	const struct fb_mode_obj *mo;

	ram_rcu_read_lock();
	mo = ram_rcu_dereference(fb->mode);
	acc->pixels = mo->pixels;
	acc->mode = mo->mode;
	acc->priv = mo;
	fb_section_open(fb);
	FB_GUEST_WRITES_BEGIN();
}

void fb_access_end(struct fb_device *fb, struct fb_access *acc)
{
	FB_GUEST_WRITES_END();
	fb_section_close(fb);
	acc->priv = NULL;
	ram_rcu_read_unlock();
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
		uint64_t start =
			(uint64_t)(mv->sy + row) * mo->mode.stride + (uint64_t)mv->sx * bpp;

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
	fb_pixels_move(mo->pixels, mo->mode.stride, fb_format_bpp(mo->mode.format), sx, sy, dx, dy,
		       w, h);
	/* Busy means the render thread is inside a tick: never wait for it,
	 * send the destination as pixels. */
	if (fb_trylock(&fb->move_lock, FB_LOCK_MOVES)) {
		/* The access section holds the RCU read lock. A section on a
		 * retired mode moves garbage that is only shown as pixels. */
		if (fb->nmoves < FB_MOVES_MAX && mo == ram_rcu_dereference(fb->mode)) {
			fb->moves[fb->nmoves++] = mv;
			fb_move_mark_dirty_sources(fb, mo, &mv);
			vga_mask = 0;
		}
		fb_unlock(&fb->move_lock, FB_LOCK_MOVES);
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
