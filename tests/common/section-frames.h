/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/common/section-frames.h - frames that show whether a picture is
 * one frame, for the frame-section tests (fb-sections on the frame-copy
 * path, vnc-sections on the direct path through a real viewer). Frame n of
 * an x8r8g8b8 framebuffer is one colour, with n and ~n in its first two
 * pixels, drawn inside one section in two halves with a yield between.
 */
#ifndef FBHOST_TESTS_SECTION_FRAMES_H
#define FBHOST_TESTS_SECTION_FRAMES_H

#include <pixman.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>

#include "fb/fb.h"

/* Colour of frame n; consecutive frames differ. */
static inline uint32_t section_frame_colour(uint32_t n)
{
	return (n * 0x9E3779B1u + 0x123456u) & 0xffffffu;
}

/* Draws frame n over the whole w x h framebuffer inside one section. The
 * first half is marked before the yield, so a tick may well see bits
 * while the section is open. */
static inline void section_frame_draw(struct fb_device *fb, uint32_t n, uint32_t w, uint32_t h)
{
	struct fb_access acc;
	uint32_t *px;
	int stride;

	fb_access_begin(fb, &acc);
	px = acc.pixels;
	stride = (int)(acc.mode.stride / 4);
	pixman_fill(px, stride, 32, 0, 0, (int)w, (int)(h / 2), section_frame_colour(n));
	fb_mark_dirty(fb, &acc, 0, 0, (int)w, (int)(h / 2));
	sched_yield();
	pixman_fill(px, stride, 32, 0, (int)(h / 2), (int)w, (int)(h - h / 2),
		    section_frame_colour(n));
	px[0] = n & 0xffffffu;
	px[1] = ~n & 0xffffffu;
	fb_mark_dirty(fb, &acc, 0, 0, (int)w, (int)h);
	fb_access_end(fb, &acc);
}

/* The frame a w x h picture (stride in pixels) shows, or -1 if it mixes
 * frames. */
static inline long section_frame_shown(const uint32_t *px, size_t stride, uint32_t w, uint32_t h)
{
	uint32_t n = px[0] & 0xffffffu, want = section_frame_colour(n);

	if ((px[1] & 0xffffffu) != (~n & 0xffffffu))
		return -1;
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = y ? 0 : 2; x < w; x++)
			if ((px[y * stride + x] & 0xffffffu) != want)
				return -1;
	return n;
}

#endif
