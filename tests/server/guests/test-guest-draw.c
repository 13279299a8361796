/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/guests/test-guest-draw.c - the guests' drawing helpers:
 * colour conversion in every format, the c8 palette, text and clipping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/guests/guest-draw.h"

static void test_pixel_values(void **state)
{
	assert_int_equal(guest_draw_pixel(PIXMAN_x8r8g8b8, 0x123456) & 0xffffff, 0x123456);
	assert_int_equal(guest_draw_pixel(PIXMAN_a8r8g8b8, 0x123456), 0xff123456);
	assert_int_equal(guest_draw_pixel(PIXMAN_r8g8b8, 0x123456), 0x123456);
	assert_int_equal(guest_draw_pixel(PIXMAN_r5g6b5, 0xff0000), 0xf800);
	assert_int_equal(guest_draw_pixel(PIXMAN_r5g6b5, 0x00ff00), 0x07e0);
	assert_int_equal(guest_draw_pixel(PIXMAN_x1r5g5b5, 0x0000ff) & 0x7fff, 0x001f);
	/* c8: 3-3-2 indices */
	assert_int_equal(guest_draw_pixel(PIXMAN_c8, 0xffffff), 0xff);
	assert_int_equal(guest_draw_pixel(PIXMAN_c8, 0x000000), 0x00);
	assert_int_equal(guest_draw_pixel(PIXMAN_c8, 0x00ff00), 0x1c);
	assert_int_equal(guest_draw_pixel(PIXMAN_c8, 0x0000ff), 0x03);
	assert_int_equal(guest_draw_pixel(PIXMAN_c8, 0xff0000), 0xe0);
}

/* The primaries, secondaries, black and white survive every format. */
static void test_shown_exact(void **state)
{
	static const pixman_format_code_t formats[] = {
		PIXMAN_c8,     PIXMAN_x1r5g5b5, PIXMAN_r5g6b5,
		PIXMAN_r8g8b8, PIXMAN_x8r8g8b8, PIXMAN_a8r8g8b8,
	};
	static const uint32_t colours[] = { 0x000000, 0xffffff, 0xff0000, 0x00ff00,
					    0x0000ff, 0xffff00, 0x00ffff, 0xff00ff };

	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++)
		for (size_t c = 0; c < sizeof(colours) / sizeof(colours[0]); c++)
			assert_int_equal(guest_draw_shown_rgb(formats[f], colours[c]), colours[c]);
	/* and others come out at the nearest level */
	assert_int_equal(guest_draw_shown_rgb(PIXMAN_c8, 0x808080), 0x9191aa);
	assert_int_equal(guest_draw_shown_rgb(PIXMAN_r5g6b5, 0x808080), 0x848284);
}

static void test_palette(void **state)
{
	const pixman_indexed_t *pal = guest_draw_indexed();

	assert_int_equal(pal->rgba[0], 0xff000000);
	assert_int_equal(pal->rgba[0xff], 0xffffffff);
	assert_int_equal(pal->rgba[0xe0], 0xffff0000);
	assert_int_equal(pal->rgba[0x03], 0xff0000ff);
	/* the reverse map finds every palette colour again */
	for (unsigned i = 0; i < GUEST_DRAW_PALETTE_SIZE; i++) {
		uint32_t c = pal->rgba[i];
		unsigned rgb15 = ((c >> 19) & 31) << 10 | ((c >> 11) & 31) << 5 | ((c >> 3) & 31);

		assert_int_equal(pal->ent[rgb15], i);
	}
}

/* "A" at scale 1 and 2: the lit pixels follow the glyph, the rest of the
 * cell is background. */
static void test_text(void **state)
{
	uint32_t bits[24 * 16];
	pixman_image_t *img = guest_draw_wrap(PIXMAN_x8r8g8b8, 24, 16, bits, 24 * 4);
	int w;

	assert_non_null(img);
	memset(bits, 0x55, sizeof(bits));
	w = guest_draw_text(img, 0, 0, 1, 0xffffff, 0x000000, "AB", 2);
	assert_int_equal(w, 2 * GUEST_DRAW_CELL_W_PX);
	/* row 0 of A: ".###." */
	assert_int_equal(bits[0] & 0xffffff, 0);
	assert_int_equal(bits[1] & 0xffffff, 0xffffff);
	assert_int_equal(bits[3] & 0xffffff, 0xffffff);
	assert_int_equal(bits[4] & 0xffffff, 0);
	/* row 3 of A: "#####"; the cell's sixth column stays background */
	for (int x = 0; x < 5; x++)
		assert_int_equal(bits[3 * 24 + x] & 0xffffff, 0xffffff);
	assert_int_equal(bits[3 * 24 + 5] & 0xffffff, 0);
	/* row 7 is the cell's blank row; row 8 was not touched */
	assert_int_equal(bits[7 * 24 + 2] & 0xffffff, 0);
	assert_int_equal(bits[8 * 24 + 2], 0x55555555);
	/* B starts at column 6 with "####." */
	assert_int_equal(bits[6] & 0xffffff, 0xffffff);
	assert_int_equal(bits[10] & 0xffffff, 0);

	/* scale 2: the top-left lit pixel of A becomes a 2x2 block */
	memset(bits, 0, sizeof(bits));
	guest_draw_text(img, 0, 0, 2, 0xff0000, 0x0000ff, "A", 1);
	assert_int_equal(bits[0] & 0xffffff, 0x0000ff);
	assert_int_equal(bits[2] & 0xffffff, 0xff0000);
	assert_int_equal(bits[3] & 0xffffff, 0xff0000);
	assert_int_equal(bits[24 + 2] & 0xffffff, 0xff0000);
	assert_int_equal(bits[24 + 3] & 0xffffff, 0xff0000);
	assert_int_equal(bits[15 * 24 + 11] & 0xffffff, 0x0000ff);
	assert_int_equal(bits[12], 0);
	pixman_image_unref(img);
}

/* Drawing past the edges is clipped, never written out of bounds (ASan). */
static void test_clipping(void **state)
{
	uint32_t bits[8 * 8] = { 0 };
	pixman_image_t *img = guest_draw_wrap(PIXMAN_x8r8g8b8, 8, 8, bits, 8 * 4);

	assert_non_null(img);
	guest_draw_rect(img, -5, -5, 100, 7, 0xffffff);
	assert_int_equal(bits[0] & 0xffffff, 0xffffff);
	assert_int_equal(bits[7] & 0xffffff, 0xffffff);
	assert_int_equal(bits[8] & 0xffffff, 0xffffff);
	assert_int_equal(bits[2 * 8] & 0xffffff, 0);
	guest_draw_text(img, 5, 5, 3, 0xffffff, 0xff0000, "Wide text", 9);
	guest_draw_text(img, -100, -100, 1, 0xffffff, 0xff0000, "x", 1);
	guest_draw_frame(img, -1, -1, 10, 10, 0x00ff00);
	assert_int_equal(bits[3 * 8 + 3] & 0xffffff, 0);
	pixman_image_unref(img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pixel_values), cmocka_unit_test(test_shown_exact),
		cmocka_unit_test(test_palette),	     cmocka_unit_test(test_text),
		cmocka_unit_test(test_clipping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
