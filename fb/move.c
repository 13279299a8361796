/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/move.c - moving pixels inside one picture, and checking a queued move
 * against a mode: pure helpers for access.c (which records moves), frame.c
 * and the listeners that repeat moves on their own copy.
 */
#include <errno.h>
#include <string.h>

#include "fb/fb-internal.h"

void fb_pixels_move(void *pixels, size_t stride, unsigned bytes_pp, int sx, int sy, int dx, int dy,
		    int w, int h)
{
	uint8_t *base = pixels;
	int step = dy <= sy ? 1 : -1;
	int row = step > 0 ? 0 : h - 1;

	for (int i = 0; i < h; i++, row += step)
		memmove(base + (size_t)(dy + row) * stride + (size_t)dx * bytes_pp,
			base + (size_t)(sy + row) * stride + (size_t)sx * bytes_pp,
			(size_t)w * bytes_pp);
}

bool fb_move_valid(const struct fb_mode *m, const struct fb_move *mv)
{
	return mv->w > 0 && mv->h > 0 && mv->sx >= 0 && mv->sy >= 0 && mv->dx >= 0 && mv->dy >= 0 &&
	       (uint32_t)mv->sx + (uint32_t)mv->w <= m->width &&
	       (uint32_t)mv->dx + (uint32_t)mv->w <= m->width &&
	       (uint32_t)mv->sy + (uint32_t)mv->h <= m->height &&
	       (uint32_t)mv->dy + (uint32_t)mv->h <= m->height;
}
