/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/frame.c - the render thread's frame copy, which is what listeners
 * that are not direct (fb.h) read: brought up to date each tick by repeating the guest's moves and
 * then copying the damaged guest pixels, and given back to the dirty
 * bitmap when a frame section began meanwhile (a torn tick). Only the
 * render thread calls these, holding fb_render.fbs_lock and, from taking
 * the moves to giving them back, fb_device.move_lock.
 */
#include <string.h>

#include "fb/fb-internal.h"

/* Adds the moves' destinations to region: for listeners without a copy
 * op, and when nothing can repeat the moves. */
void fb_damage_add_moves(const struct fb_tick_moves *mv, pixman_region32_t *out)
{
	for (unsigned i = 0; i < mv->n; i++)
		pixman_region32_union_rect(out, out, mv->list[i].dx, mv->list[i].dy,
					   (unsigned)mv->list[i].w, (unsigned)mv->list[i].h);
}

/* Copies the boxes of region from the guest pixels of mo into the frame
 * copy (same format and size). */
static void fb_copy_boxes(const struct fb_mode_obj *mo, pixman_image_t *dst,
			  const pixman_region32_t *region)
{
	unsigned bpp = fb_format_bpp(mo->mode.format);
	size_t src_stride = mo->mode.stride;
	size_t dst_stride = (size_t)pixman_image_get_stride(dst);
	uint8_t *d = (uint8_t *)pixman_image_get_data(dst);
	const pixman_box32_t *b;
	int n;

	b = pixman_region32_rectangles((pixman_region32_t *)region, &n);
	for (int i = 0; i < n; i++) {
		int w = b[i].x2 - b[i].x1, h = b[i].y2 - b[i].y1;

		if ((bpp == 2 || bpp == 4) &&
		    pixman_blt((uint32_t *)mo->pixels, (uint32_t *)d, (int)(src_stride / 4),
			       (int)(dst_stride / 4), (int)bpp * 8, (int)bpp * 8, b[i].x1, b[i].y1,
			       b[i].x1, b[i].y1, w, h))
			continue;
		/* pixman has no blitter for 8 and 24 bpp: rows of bytes. */
		for (int y = b[i].y1; y < b[i].y2; y++)
			memcpy(d + (size_t)y * dst_stride + (size_t)b[i].x1 * bpp,
			       mo->pixels + (size_t)y * src_stride + (size_t)b[i].x1 * bpp,
			       (size_t)w * bpp);
	}
}

/* See fb-internal.h. The moves come first: the damage was taken after
 * them and holds what changed since, in the moved picture. */
pixman_image_t *fb_frame_copy_take(struct fb_device *fb, const struct fb_mode_obj *mo,
				   const struct fb_palette *pal, pixman_region32_t *damage,
				   struct fb_tick_moves *mv, bool *full)
{
	const struct fb_mode *m = &mo->mode;
	pixman_region32_t all;
	bool moves_apply = true;

	*full = false;
	/* A move made just before a mode change is in the old mode's
	 * coordinates: the whole frame is copied and sent instead. */
	for (unsigned i = 0; i < mv->n; i++)
		moves_apply &=
			mv->list[i].generation == mo->generation && fb_move_valid(m, &mv->list[i]);
	if (fb->frame_copy_generation != mo->generation || !fb->frame_copy || !moves_apply) {
		/* Listeners that keep their generation get the moves as
		 * pixels (after a tick that had no frame copy, or a removal
		 * from the render thread). */
		if (!moves_apply)
			pixman_region32_union_rect(damage, damage, 0, 0, m->width, m->height);
		else
			fb_damage_add_moves(mv, damage);
		mv->n = 0;
		if (fb->frame_copy)
			pixman_image_unref(fb->frame_copy);
		fb->frame_copy_generation = 0;
		fb->frame_copy = pixman_image_create_bits_no_clear(m->format, (int)m->width,
								   (int)m->height, NULL, 0);
		if (!fb->frame_copy)
			return NULL;
		*full = true;
	}
	if (*full) {
		pixman_region32_init_rect(&all, 0, 0, m->width, m->height);
		fb_copy_boxes(mo, fb->frame_copy, &all);
		pixman_region32_fini(&all);
	} else {
		pixman_image_t *f = fb->frame_copy;

		for (unsigned i = 0; i < mv->n; i++)
			fb_pixels_move(pixman_image_get_data(f), (size_t)pixman_image_get_stride(f),
				       fb_format_bpp(m->format), mv->list[i].sx, mv->list[i].sy,
				       mv->list[i].dx, mv->list[i].dy, mv->list[i].w,
				       mv->list[i].h);
		fb_copy_boxes(mo, f, damage);
	}
	fb->frame_copy_generation = mo->generation;
	pixman_image_set_indexed(fb->frame_copy, m->format == PIXMAN_c8 ? &pal->idx : NULL);
	return fb->frame_copy;
}

/* See fb-internal.h. */
pixman_image_t *fb_frame_direct_take(struct fb_device *fb, const struct fb_mode_obj *mo,
				     const struct fb_palette *pal, pixman_region32_t *damage,
				     struct fb_tick_moves *mv)
{
	bool moves_apply = true;

	/* Listeners that read the guest keep their own pictures: the
	 * copy would only hold memory. */
	if (fb->frame_copy)
		pixman_image_unref(fb->frame_copy);
	fb->frame_copy = NULL;
	fb->frame_copy_generation = 0;
	for (unsigned i = 0; i < mv->n; i++)
		moves_apply &= mv->list[i].generation == mo->generation &&
			       fb_move_valid(&mo->mode, &mv->list[i]);
	if (!moves_apply) {
		pixman_region32_union_rect(damage, damage, 0, 0, mo->mode.width, mo->mode.height);
		mv->n = 0;
	}
	return fb_mode_image(mo, pal);
}

/* See fb-internal.h. A torn whole-frame copy also forgets the copy's
 * mode, so the next tick copies the whole frame again. */
void fb_damage_give_back(struct fb_device *fb, const struct fb_mode_obj *mo,
			 const pixman_region32_t *damage, bool full)
{
	const pixman_box32_t *b;
	int n;

	if (full) {
		fb->frame_copy_generation = 0;
		fb_mark_rect_clients(fb, mo, 0, 0, (int)mo->mode.width, (int)mo->mode.height,
				     1u << DIRTY_MEMORY_VGA);
		return;
	}
	b = pixman_region32_rectangles((pixman_region32_t *)damage, &n);
	for (int i = 0; i < n; i++)
		fb_mark_rect_clients(fb, mo, b[i].x1, b[i].y1, b[i].x2 - b[i].x1, b[i].y2 - b[i].y1,
				     1u << DIRTY_MEMORY_VGA);
}

void fb_moves_give_back(struct fb_device *fb, const struct fb_mode_obj *mo,
			const struct fb_move *moves, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fb_move_valid(&mo->mode, &moves[i]))
			fb_mark_rect_clients(fb, mo, moves[i].dx, moves[i].dy, moves[i].w,
					     moves[i].h, 1u << DIRTY_MEMORY_VGA);
}
