/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/fill.c - filling with a colour given as 0x00RRGGBB: converted to the
 * framebuffer's format by pixman inside the access section that writes it,
 * so a concurrent mode or format change cannot pair the colour with the
 * wrong format.
 */
#include <errno.h>

#include "fb/fb-internal.h"

/* Clips [*x, *x + *w) to [0, side); false if nothing is left. 64-bit, so
 * no x + w overflows. */
static bool fb_fill_clip_span(int *x, int *w, uint32_t side)
{
	int64_t x1 = *x < 0 ? 0 : *x;
	int64_t x2 = (int64_t)*x + *w;

	if (x2 > (int64_t)side)
		x2 = side;
	if (x2 <= x1)
		return false;
	*x = (int)x1;
	*w = (int)(x2 - x1);
	return true;
}

int fb_fill_rect_rgb(struct fb_device *fb, int x, int y, int w, int h, uint32_t rgb)
{
	/* pixman colours have 16 bits per channel: 0xab -> 0xabab */
	pixman_color_t colour = {
		.red = (uint16_t)(((rgb >> 16) & 0xff) * 0x101),
		.green = (uint16_t)(((rgb >> 8) & 0xff) * 0x101),
		.blue = (uint16_t)((rgb & 0xff) * 0x101),
		.alpha = 0xffff,
	};
	const struct fb_palette *pal;
	struct fb_access acc;
	pixman_image_t *img;
	pixman_box32_t box;
	int rc = 0;

	if (!fb || w < 0 || h < 0)
		return -EINVAL;
	fb_access_begin(fb, &acc);
	if (!fb_fill_clip_span(&x, &w, acc.mode.width) ||
	    !fb_fill_clip_span(&y, &h, acc.mode.height))
		goto out;
	/* The palette of this moment; a c8 fill picks its nearest entry. */
	pal = ram_rcu_dereference(fb->palette);
	img = fb_mode_image(acc.priv, pal);
	if (!img) {
		rc = -ENOMEM;
		goto out;
	}
	box = (pixman_box32_t){ x, y, x + w, y + h };
	pixman_image_fill_boxes(PIXMAN_OP_SRC, img, &colour, 1, &box);
	pixman_image_unref(img);
	fb_mark_dirty(fb, &acc, x, y, w, h);
out:
	fb_access_end(fb, &acc);
	return rc;
}
