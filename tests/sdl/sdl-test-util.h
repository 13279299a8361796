/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/sdl/sdl-test-util.h - shared helpers of the SDL frontend tests: a
 * framebuffer with its render thread, test patterns in every guest format,
 * and the expected x8r8g8b8 picture of a framebuffer.
 */
#ifndef FBHOST_TESTS_SDL_TEST_UTIL_H
#define FBHOST_TESTS_SDL_TEST_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "fb/fb.h"
#include "memory/ram.h"

/* Bound on every wait of these tests (2 shared cores, sanitizers). */
#define SDL_TEST_TIMEOUT_MS 20000u

/* A framebuffer on its own RAM and render thread. */
struct sdl_test_fb {
	struct ram_list *rl;
	struct fb_device *fb;
	struct fb_render *render;
	unsigned seed; /* of the last palette set */
};

/* Creates one in mode (stride 0 = tightest); asserts on failure. */
void sdl_test_fb_init(struct sdl_test_fb *t, const char *name, uint32_t width, uint32_t height,
		      pixman_format_code_t format);
void sdl_test_fb_fini(struct sdl_test_fb *t);

/* Sets the 256-colour palette that sdl_test_expected assumes for c8. */
void sdl_test_set_palette(struct sdl_test_fb *t, unsigned seed);
/* Draws a pattern where neighbouring pixels differ in every channel (for c8
 * also sets a 256-colour palette), seeded so two seeds give two pictures. */
void sdl_test_draw_pattern(struct sdl_test_fb *t, unsigned seed);
/* Waits until the render thread has handed everything drawn so far to the
 * listeners (kicks it, then two whole ticks). */
void sdl_test_settle(struct sdl_test_fb *t);

/* The framebuffer's picture as malloc'ed x8r8g8b8 (alpha cleared), via
 * pixman; the mode size goes to width and height. */
uint32_t *sdl_test_expected(struct sdl_test_fb *t, uint32_t *width, uint32_t *height);

/* Counts pixels of the width x height picture `got` (stride got_stride
 * pixels) at (x, y) that differ from `want` (tight) in the bits of mask;
 * prints the first few. */
unsigned sdl_test_count_mismatch(const uint32_t *got, uint32_t got_stride, int x, int y,
				 const uint32_t *want, uint32_t width, uint32_t height,
				 uint32_t mask);

/*
 * The x8r8g8b8 bits that carry a guest format's pixel. Comparing under it
 * compares in the guest's own format: an 8-bit channel shown for a 5-bit
 * guest channel v has v in its top 5 bits whichever way it was widened
 * (pixman replicates bits, SDL's blitter rounds v * 255 / 31 down).
 */
uint32_t sdl_test_format_mask(pixman_format_code_t format);

/* SDL_Init opens the D-Bus session bus: point it at a bus that does not
 * exist, so tests never talk to the user's session, and libdbus does not try
 * (and leak in) its X11 autolaunch. */
void sdl_test_keep_off_session_bus(void);

/* Points SDL at its offscreen driver with the software renderer (the GL
 * renderer of the offscreen driver cannot read back after a resize). */
void sdl_test_use_offscreen(void);

#endif
