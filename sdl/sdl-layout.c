// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sdl/sdl-layout.c - scaling and letterboxing of the guest picture.
 */
#include "sdl/sdl-layout.h"

struct sdl_window_layout sdl_layout_fit(uint32_t mode_w, uint32_t mode_h, int out_w, int out_h,
					bool integer_scale)
{
	struct sdl_window_layout l = { 0, 0, 0, 0 };
	if (!mode_w || !mode_h || out_w <= 0 || out_h <= 0)
		return l;

	uint64_t ow = (uint64_t)out_w, oh = (uint64_t)out_h;
	uint64_t w, h;
	if (integer_scale && ow >= mode_w && oh >= mode_h) {
		uint64_t k = ow / mode_w < oh / mode_h ? ow / mode_w : oh / mode_h;
		w = mode_w * k;
		h = mode_h * k;
	} else if (ow * mode_h <= oh * mode_w) {
		/* Width-limited: bars above and below. */
		w = ow;
		h = (mode_h * ow + mode_w / 2) / mode_w;
	} else {
		/* Height-limited: bars left and right. */
		h = oh;
		w = (mode_w * oh + mode_h / 2) / mode_h;
	}
	if (w == 0)
		w = 1;
	if (h == 0)
		h = 1;
	l.w = (int)w;
	l.h = (int)h;
	l.x = (int)((ow - w) / 2);
	l.y = (int)((oh - h) / 2);
	return l;
}

/* floor((p - origin) * mode / size) clamped to [0, mode - 1]. */
static int map_axis(int p, int origin, int size, uint32_t mode)
{
	int64_t d = (int64_t)p - origin;
	if (d <= 0)
		return 0;
	int64_t g = d * (int64_t)mode / size;
	return g >= (int64_t)mode ? (int)mode - 1 : (int)g;
}

bool sdl_layout_to_guest(const struct sdl_window_layout *l, uint32_t mode_w, uint32_t mode_h,
			 int ox, int oy, int *gx, int *gy)
{
	*gx = 0;
	*gy = 0;
	if (l->w <= 0 || l->h <= 0 || !mode_w || !mode_h)
		return false;
	*gx = map_axis(ox, l->x, l->w, mode_w);
	*gy = map_axis(oy, l->y, l->h, mode_h);
	return true;
}
