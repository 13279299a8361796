/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-draw.h - drawing helpers shared by the built-in guests:
 * colour conversion to any framebuffer format, filled rectangles and text in
 * the built-in bitmap font, all drawn with pixman into a pixman image (one
 * that wraps the framebuffer's pixels, or a private one).
 *
 * Colours are 0x00RRGGBB. Indexed (PIXMAN_c8) modes use one fixed palette,
 * 3-3-2 RGB (index = r3 << 5 | g3 << 2 | b2), which the guests install with
 * guest_draw_set_palette(). Black, white and the six primaries and
 * secondaries are exact in every supported format.
 *
 * Everything here is thread-safe (no shared mutable state; the palette is
 * built once under pthread_once).
 */
#ifndef FBHOST_SERVER_GUEST_DRAW_H
#define FBHOST_SERVER_GUEST_DRAW_H

#include <pixman.h>
#include <stdint.h>

#include "server/lib/fbhost.h"

/* A text cell of the built-in font at scale 1, in pixels. */
#define GUEST_DRAW_CELL_W_PX 6
#define GUEST_DRAW_CELL_H_PX 8
/* Entries of the indexed palette. */
#define GUEST_DRAW_PALETTE_SIZE 256u

/* The palette as pixman wants it for c8 images (static, never freed). */
const pixman_indexed_t *guest_draw_indexed(void);
/* Installs the 3-3-2 palette on fb with fbhost_set_palette. 0 or -errno. */
int guest_draw_set_palette(struct fbhost_fb *fb);
/* The pixman format the guests draw a framebuffer format with (pixman is
 * the guests' drawing library; fbhost.h names no pixman type); 0 if none. */
pixman_format_code_t guest_draw_pixman_format(enum fbhost_format format);
/* The other way round; FBHOST_FORMAT_INVALID if none. */
enum fbhost_format guest_draw_fbhost_format(pixman_format_code_t format);

/* A pixman image over w x h pixels of format at pixels/stride (the c8
 * palette attached when indexed). Unref with pixman_image_unref. NULL+errno. */
pixman_image_t *guest_draw_wrap(pixman_format_code_t format, int width, int height, void *pixels,
				uint32_t stride);
/* The same over the pixels of an open fbhost_pixels section. */
pixman_image_t *guest_draw_wrap_pixels(const struct fbhost_pixels *px);

/* The raw pixel value of rgb in format (for c8: the palette index, which
 * fbhost_fill takes in c8 modes). */
uint32_t guest_draw_pixel(pixman_format_code_t format, uint32_t rgb);
/* rgb after a round trip through format: what a viewer sees. */
uint32_t guest_draw_shown_rgb(pixman_format_code_t format, uint32_t rgb);

/* Fills a rectangle (clipped to the image). */
void guest_draw_rect(pixman_image_t *img, int x, int y, int w, int h, uint32_t rgb);
/* Draws a 1-pixel rectangle outline. */
void guest_draw_frame(pixman_image_t *img, int x, int y, int w, int h, uint32_t rgb);

/* Width and height in pixels of len characters at scale. */
int guest_draw_text_width(size_t len, int scale);
int guest_draw_text_height(int scale);
/*
 * Draws len characters of text at x,y (top-left of the first cell), each
 * cell GUEST_DRAW_CELL_W_PX*scale wide, fg on bg (the whole cell is painted).
 * Characters outside printable ASCII draw as a box. Returns the width drawn.
 */
int guest_draw_text(pixman_image_t *img, int x, int y, int scale, uint32_t fg, uint32_t bg,
		    const char *text, size_t len);

#endif
