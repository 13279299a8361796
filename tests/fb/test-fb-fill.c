/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb_fill_rect_rgb: the exact stored pixels of a 0xRRGGBB fill in each of
 * the six formats (c8 through the default 3-3-2 palette and through a
 * palette set later), clipping, untouched surroundings, the damage it marks
 * and its bad arguments.
 */
#include "fb-test.h"

#define FILL_W 16
#define FILL_H 8

/* The raw little-endian bytes of the pixel at x,y. */
static uint32_t fill_raw(struct fb_device *fb, int x, int y)
{
	struct fb_access acc;
	uint32_t v = 0;
	unsigned bpp;
	const uint8_t *p;

	fb_access_begin(fb, &acc);
	bpp = fb_format_bpp(acc.mode.format);
	p = (const uint8_t *)acc.pixels + (size_t)y * acc.mode.stride + (size_t)x * bpp;
	for (unsigned i = 0; i < bpp; i++)
		v |= (uint32_t)p[i] << (8 * i);
	fb_access_end(fb, &acc);
	return v;
}

/* One fill of 0x123456 (lossy in 15/16 bpp and in c8) per format. */
static const struct {
	pixman_format_code_t format;
	uint32_t raw;  /* expected stored value */
	uint32_t mask; /* the bits that carry colour */
} fill_expect[] = {
	/* (0x12,0x34,0x56) in 15-bit is (2,6,10) = (16,49,82); nearest
	 * 3-3-2 entry: r 0, g 1 (36), b 1 (85) */
	{ PIXMAN_c8, 0x05, 0xff },
	{ PIXMAN_x1r5g5b5, 2u << 10 | 6u << 5 | 10u, 0x7fff },
	{ PIXMAN_r5g6b5, 2u << 11 | 13u << 5 | 10u, 0xffff },
	{ PIXMAN_r8g8b8, 0x123456, 0xffffff },
	{ PIXMAN_x8r8g8b8, 0x123456, 0xffffff },
	{ PIXMAN_a8r8g8b8, 0xff123456, 0xffffffff },
};

static void test_fill_exact_every_format(void **state)
{
	struct ram_list *rl = ram_list_new(NULL);

	(void)state;
	assert_non_null(rl);
	for (size_t i = 0; i < sizeof(fill_expect) / sizeof(fill_expect[0]); i++) {
		struct fb_config cfg = { .name = "fill",
					 .mode = { FILL_W, FILL_H, 0, fill_expect[i].format } };
		struct fb_device *fb = fb_new(rl, &cfg);
		uint32_t black;

		assert_non_null(fb);
		black = fill_raw(fb, 0, 0);
		assert_int_equal(fb_fill_rect_rgb(fb, 2, 1, 3, 4, 0x123456), 0);
		for (int y = 0; y < FILL_H; y++) {
			for (int x = 0; x < FILL_W; x++) {
				bool in = x >= 2 && x < 5 && y >= 1 && y < 5;
				uint32_t want = in ? fill_expect[i].raw : black;

				if ((fill_raw(fb, x, y) & fill_expect[i].mask) != want)
					fail_msg("%s at %d,%d: 0x%x, want 0x%x",
						 fb_format_name(fill_expect[i].format), x, y,
						 fill_raw(fb, x, y) & fill_expect[i].mask, want);
			}
		}
		fb_free(fb);
	}
	ram_list_free(rl);
}

/* c8: exact palette colours give their index; after fb_set_palette the
 * fill finds the new entry. */
static void test_fill_c8_palette(void **state)
{
	struct fb_config cfg = { .name = "fill8", .mode = { FILL_W, FILL_H, 0, PIXMAN_c8 } };
	static const struct {
		uint32_t rgb, index;
	} exact[] = {
		{ 0x000000, 0x00 }, { 0xff0000, 0xe0 }, { 0x00ff00, 0x1c },
		{ 0x0000ff, 0x03 }, { 0xffffff, 0xff },
	};
	const uint32_t custom = 0x123456;
	struct ram_list *rl = ram_list_new(NULL);
	struct fb_device *fb;

	(void)state;
	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		assert_int_equal(fb_fill_rect_rgb(fb, 0, 0, FILL_W, FILL_H, exact[i].rgb), 0);
		assert_int_equal(fill_raw(fb, 0, 0), exact[i].index);
		assert_int_equal(fill_raw(fb, FILL_W - 1, FILL_H - 1), exact[i].index);
	}
	assert_int_equal(fb_set_palette(fb, 7, 1, &custom), 0);
	assert_int_equal(fb_fill_rect_rgb(fb, 0, 0, 1, 1, custom), 0);
	assert_int_equal(fill_raw(fb, 0, 0), 7);
	fb_free(fb);
	ram_list_free(rl);
}

/* Clipping (also against int overflow), the damage it reaches a listener
 * with, and bad arguments. */
static void test_fill_clip_damage_errors(void **state)
{
	struct fb_config cfg = { .name = "fillc", .mode = { FILL_W, FILL_H, 0, PIXMAN_x8r8g8b8 } };
	struct ram_list *rl = ram_list_new(NULL);
	struct fb_device *fb;
	struct fb_render *r;
	struct fb_rec rec;

	(void)state;
	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	r = fb_render_new(NULL);
	assert_non_null(r);
	assert_int_equal(fb_render_add(r, fb), 0);
	fb_rec_init(&rec);
	fb_listener_register(fb, &rec.l);
	fb_test_settle(r);
	fb_rec_reset(&rec);

	assert_int_equal(fb_fill_rect_rgb(fb, FILL_W - 2, -5, 0x7fffffff, 7, 0xabcdef), 0);
	assert_int_equal(fill_raw(fb, FILL_W - 1, 0) & 0xffffff, 0xabcdef);
	assert_int_equal(fill_raw(fb, FILL_W - 1, 1) & 0xffffff, 0xabcdef);
	assert_int_equal(fill_raw(fb, FILL_W - 1, 2) & 0xffffff, 0);
	assert_int_equal(fill_raw(fb, FILL_W - 3, 0) & 0xffffff, 0);
	fb_test_settle(r);
	pthread_mutex_lock(&rec.lock);
	assert_true(pixman_region32_contains_point(&rec.damage, FILL_W - 1, 1, NULL));
	assert_true(pixman_region32_contains_point(&rec.damage, FILL_W - 2, 0, NULL));
	pthread_mutex_unlock(&rec.lock);

	/* entirely outside: nothing written, still 0 */
	assert_int_equal(fb_fill_rect_rgb(fb, FILL_W, 0, 4, 4, 0xffffff), 0);
	assert_int_equal(fb_fill_rect_rgb(fb, -10, 0, 10, 4, 0xffffff), 0);
	assert_int_equal(fill_raw(fb, 0, 0) & 0xffffff, 0);
	assert_int_equal(fb_fill_rect_rgb(fb, 0, 0, -1, 1, 0), -EINVAL);
	assert_int_equal(fb_fill_rect_rgb(fb, 0, 0, 1, -1, 0), -EINVAL);
	assert_int_equal(fb_fill_rect_rgb(NULL, 0, 0, 1, 1, 0), -EINVAL);

	fb_listener_unregister(fb, &rec.l);
	fb_render_remove(r, fb);
	fb_render_free(r);
	fb_free(fb);
	ram_list_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fill_exact_every_format),
		cmocka_unit_test(test_fill_c8_palette),
		cmocka_unit_test(test_fill_clip_damage_errors),
	};

	return cmocka_run_group_tests_name("fb-fill", tests, NULL, NULL);
}
