/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/sdl/sdl-test-util.c - shared helpers of the SDL frontend tests.
 */
#include "sdl-test-util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* Colours of the c8 palette: index i. */
static uint32_t palette_rgb(unsigned i, unsigned seed)
{
	return ((i * 37u + seed * 11u) & 0xff) << 16 | ((i * 101u + seed) & 0xff) << 8 |
	       ((255u - i + seed * 3u) & 0xff);
}

void sdl_test_fb_init(struct sdl_test_fb *t, const char *name, uint32_t width, uint32_t height,
		      pixman_format_code_t format)
{
	struct fb_config cfg = {
		.name = name,
		.mode = { .width = width, .height = height, .stride = 0, .format = format },
	};
	memset(t, 0, sizeof(*t));
	t->rl = ram_list_new(NULL);
	assert_non_null(t->rl);
	t->fb = fb_new(t->rl, &cfg);
	assert_non_null(t->fb);
	t->render = fb_render_new(NULL);
	assert_non_null(t->render);
	assert_int_equal(fb_render_add(t->render, t->fb), 0);
}

void sdl_test_fb_fini(struct sdl_test_fb *t)
{
	fb_render_remove(t->render, t->fb);
	fb_render_free(t->render);
	fb_free(t->fb);
	ram_list_free(t->rl);
}

void sdl_test_set_palette(struct sdl_test_fb *t, unsigned seed)
{
	uint32_t pal[256];

	for (unsigned i = 0; i < 256; i++)
		pal[i] = palette_rgb(i, seed);
	assert_int_equal(fb_set_palette(t->fb, 0, 256, pal), 0);
	t->seed = seed;
}

void sdl_test_draw_pattern(struct sdl_test_fb *t, unsigned seed)
{
	struct fb_access acc;
	struct fb_mode m = fb_get_mode(t->fb);

	if (m.format == PIXMAN_c8)
		sdl_test_set_palette(t, seed);
	fb_access_begin(t->fb, &acc);
	unsigned bpp = fb_format_bpp(acc.mode.format);
	for (uint32_t y = 0; y < acc.mode.height; y++) {
		uint8_t *row = (uint8_t *)acc.pixels + (size_t)y * acc.mode.stride;
		for (uint32_t x = 0; x < acc.mode.width; x++) {
			uint32_t v = (x * 2654435761u) ^ (y * 40503u) ^ (seed * 0x9e3779b9u);
			v ^= v >> 13;
			memcpy(row + (size_t)x * bpp, &v, bpp); /* little-endian raw pixel */
		}
	}
	fb_mark_dirty(t->fb, &acc, 0, 0, (int)acc.mode.width, (int)acc.mode.height);
	fb_access_end(t->fb, &acc);
}

void sdl_test_settle(struct sdl_test_fb *t)
{
	fb_render_kick(t->render);
	assert_int_equal(fb_render_wait_ticks(t->render, 2, SDL_TEST_TIMEOUT_MS), 0);
}

uint32_t *sdl_test_expected(struct sdl_test_fb *t, uint32_t *width, uint32_t *height)
{
	struct fb_access acc;

	fb_access_begin(t->fb, &acc);
	uint32_t w = acc.mode.width, h = acc.mode.height;
	uint32_t *out = calloc((size_t)w * h, 4);
	assert_non_null(out);
	if (acc.mode.format == PIXMAN_c8) {
		/* Indexed through the palette sdl_test_draw_pattern set. */
		for (uint32_t y = 0; y < h; y++)
			for (uint32_t x = 0; x < w; x++) {
				uint8_t i =
					((uint8_t *)acc.pixels)[(size_t)y * acc.mode.stride + x];
				out[(size_t)y * w + x] = palette_rgb(i, t->seed);
			}
	} else {
		pixman_image_t *src = pixman_image_create_bits(acc.mode.format, (int)w, (int)h,
							       acc.pixels, (int)acc.mode.stride);
		pixman_image_t *dst =
			pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)w, (int)h, out, (int)w * 4);
		assert_non_null(src);
		assert_non_null(dst);
		pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, 0, 0, 0, 0, 0, 0, (int)w,
					 (int)h);
		pixman_image_unref(dst);
		pixman_image_unref(src);
	}
	fb_access_end(t->fb, &acc);
	for (size_t i = 0; i < (size_t)w * h; i++)
		out[i] &= 0xffffff;
	*width = w;
	*height = h;
	return out;
}

unsigned sdl_test_count_mismatch(const uint32_t *got, uint32_t got_stride, int x, int y,
				 const uint32_t *want, uint32_t width, uint32_t height,
				 uint32_t mask)
{
	unsigned bad = 0;
	for (uint32_t j = 0; j < height; j++)
		for (uint32_t i = 0; i < width; i++) {
			uint32_t g = got[(size_t)(y + (int)j) * got_stride + (size_t)x + i] & mask;
			uint32_t e = want[(size_t)j * width + i] & mask;
			if (g != e && bad++ < 5)
				fprintf(stderr, "  pixel %u,%u: got %06x want %06x\n", i, j, g, e);
		}
	return bad;
}

void sdl_test_keep_off_session_bus(void)
{
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/fbhost-sdl-test-bus", 1);
}

void sdl_test_use_offscreen(void)
{
	sdl_test_keep_off_session_bus();
	setenv("SDL_VIDEODRIVER", "offscreen", 1);
	setenv("SDL_RENDER_DRIVER", "software", 1);
	/* No GL behind the window surface either (mesa leaks on unload). */
	setenv("SDL_FRAMEBUFFER_ACCELERATION", "0", 1);
}

uint32_t sdl_test_format_mask(pixman_format_code_t format)
{
	switch (format) {
	case PIXMAN_x1r5g5b5:
		return 0xf8f8f8;
	case PIXMAN_r5g6b5:
		return 0xf8fcf8;
	default:
		return 0xffffff;
	}
}
