/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/headless.h - the headless frontend: a listener that keeps an x8r8g8b8
 * shadow of the guest picture, updating only the changed rectangles, and
 * writes screendumps. The frontend for embedding and tests.
 *
 * Public prefix: fb_headless_.
 */
#ifndef FBHOST_FB_HEADLESS_H
#define FBHOST_FB_HEADLESS_H

#include "fb/fb.h"

struct fb_headless;

struct fb_headless_stats {
	uint64_t ticks; /* updates received */
	uint64_t rects;
	uint64_t pixels;
	uint64_t switches;
};

/* Creates the listener and registers it on fb. NULL+errno. */
struct fb_headless *fb_headless_new(struct fb_device *fb);
/* Unregisters and frees it. (fb_free frees a headless still attached.) */
void fb_headless_free(struct fb_headless *h);
/* Writes the shadow as PNG (libpng) or binary PPM (P6). 0 or -errno. Any thread. */
int fb_headless_screendump_png(struct fb_headless *h, const char *path);
int fb_headless_screendump_ppm(struct fb_headless *h, const char *path);
/* Copies the shadow: *pixels is malloc'ed x8r8g8b8, stride = width*4. 0 or
 * -errno; -EAGAIN (also for the screendumps) before the first picture. */
int fb_headless_copy(struct fb_headless *h, uint32_t **pixels, uint32_t *width, uint32_t *height);
void fb_headless_get_stats(struct fb_headless *h, struct fb_headless_stats *st);

#endif
