/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bad modes: zero and negative sizes, sizes above the limits, bad strides,
 * unknown formats and modes over the byte cap are refused with -EINVAL or
 * -E2BIG; the old mode, its generation and its picture stay, and drawing
 * still reaches the listeners.
 */
#include "fb-test.h"

#define SMALL_CAP_BYTES (256u * 1024u)

static void test_mode_check(void **state)
{
	struct fb_mode m = { 640, 480, 0, PIXMAN_r8g8b8 };

	(void)state;
	assert_int_equal(fb_mode_check(&m, 0), 0);
	assert_int_equal(m.stride, 1920);
	m = (struct fb_mode){ 3, 1, 0, PIXMAN_r8g8b8 };
	assert_int_equal(fb_mode_check(&m, 0), 0);
	assert_int_equal(m.stride, 12); /* 9 rounded up to a multiple of 4 */
	m = (struct fb_mode){ 7680, 4320, 0, PIXMAN_a8r8g8b8 };
	assert_int_equal(fb_mode_check(&m, 0), 0); /* the default cap allows 8K */
	m = (struct fb_mode){ 7680, 4321, 0, PIXMAN_a8r8g8b8 };
	assert_int_equal(fb_mode_check(&m, 0), -E2BIG);
	m = (struct fb_mode){ 16384, 16384, 0, PIXMAN_c8 };
	assert_int_equal(fb_mode_check(&m, UINT64_MAX), 0);
	assert_int_equal(fb_format_parse("r5g6b5"), PIXMAN_r5g6b5);
	assert_int_equal(fb_format_parse("a8"), 0);
	assert_int_equal(fb_format_parse(NULL), 0);
	assert_string_equal(fb_format_name(PIXMAN_c8), "c8");
	assert_null(fb_format_name(PIXMAN_a8));
	assert_int_equal(fb_format_bpp(PIXMAN_r8g8b8), 3);
	assert_int_equal(fb_format_bpp(PIXMAN_a8), 0);
}

static void test_bad_modes_keep_old(void **state)
{
	static const struct {
		struct fb_mode m;
		int err;
	} bad[] = {
		{ { 0, 480, 0, PIXMAN_x8r8g8b8 }, -EINVAL },
		{ { 640, 0, 0, PIXMAN_x8r8g8b8 }, -EINVAL },
		{ { (uint32_t)-1, 480, 0, PIXMAN_x8r8g8b8 }, -EINVAL },
		{ { 640, (uint32_t)-640, 0, PIXMAN_x8r8g8b8 }, -EINVAL },
		{ { 16385, 1, 0, PIXMAN_c8 }, -EINVAL },
		{ { 1, 16385, 0, PIXMAN_c8 }, -EINVAL },
		{ { 640, 480, 0, PIXMAN_a8 }, -EINVAL },
		{ { 640, 480, 0, (pixman_format_code_t)0x12345678 }, -EINVAL },
		{ { 640, 480, 0, (pixman_format_code_t)0 }, -EINVAL },
		{ { 640, 480, 2558, PIXMAN_x8r8g8b8 }, -EINVAL }, /* not a multiple of 4 */
		{ { 640, 480, 2556, PIXMAN_x8r8g8b8 }, -EINVAL }, /* shorter than a row */
		{ { 16384, 16384, 0, PIXMAN_x8r8g8b8 }, -E2BIG },
		{ { 400, 400, 0, PIXMAN_x8r8g8b8 }, -E2BIG }, /* over the small cap */
		{ { 200, 200, 65536, PIXMAN_c8 }, -E2BIG },   /* stride makes it too big */
	};
	struct fb_config cfg = { .name = "bad",
				 .mode = { 64, 48, 0, PIXMAN_r5g6b5 },
				 .max_bytes = SMALL_CAP_BYTES };
	struct ram_list *rl = ram_list_new(NULL);
	struct fb_render *r;
	struct fb_device *fb;
	struct fb_headless *h;
	struct fb_headless_stats hs;
	uint64_t gen;
	uint32_t *shadow, w, hh;

	(void)state;
	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	r = fb_render_new(NULL);
	assert_non_null(r);
	h = fb_headless_new(fb);
	assert_non_null(h);
	assert_int_equal(fb_render_add(r, fb), 0);
	assert_int_equal(fb_render_add(r, fb), -EBUSY);
	assert_int_equal(fb_fill_rect(fb, 0, 0, 10, 10, 0xf800), 0); /* red */
	fb_test_settle(r);
	gen = fb_mode_generation(fb);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fb_mode before = fb_get_mode(fb), after;

		assert_int_equal(fb_set_mode(fb, &bad[i].m), bad[i].err);
		after = fb_get_mode(fb);
		assert_memory_equal(&before, &after, sizeof(before));
		assert_int_equal(fb_mode_generation(fb), gen);
	}
	assert_int_equal(fb_set_mode(fb, NULL), -EINVAL);
	assert_int_equal(fb_set_palette(fb, 200, 57, (uint32_t[57]){ 0 }), -EINVAL);
	assert_int_equal(fb_set_palette(fb, 0, 1, NULL), -EINVAL);
	assert_int_equal(fb_fill_rect(fb, 0, 0, -1, 5, 0), -EINVAL);
	assert_int_equal(fb_write(fb, 0, NULL, 5), -EINVAL);
	assert_int_equal(fb_put_image(fb, NULL, 0, 0), -EINVAL);
	assert_int_equal(fb_request_mode(fb, 800, 600), -ENOTSUP);
	/* off-frame writes are clipped away */
	assert_int_equal(fb_fill_rect(fb, 5000, 5000, 10, 10, 0), 0);
	assert_int_equal(fb_write(fb, 1u << 30, "x", 1), 0);

	/* the old mode keeps working: draw green and see it */
	assert_int_equal(fb_fill_rect(fb, 20, 20, 4, 4, 0x07e0), 0);
	fb_test_settle(r);
	assert_int_equal(fb_headless_copy(h, &shadow, &w, &hh), 0);
	assert_int_equal(w, 64);
	assert_int_equal(hh, 48);
	assert_int_equal(shadow[0] & 0xffffff, 0xff0000);
	assert_int_equal(shadow[21 * 64 + 21] & 0xffffff, 0x00ff00);
	assert_int_equal(shadow[30 * 64 + 30] & 0xffffff, 0);
	free(shadow);
	fb_headless_get_stats(h, &hs);
	assert_int_equal(hs.switches, 1);

	fb_render_remove(r, fb);
	fb_headless_free(h);
	fb_render_free(r);
	fb_free(fb);
	ram_list_free(rl);
}

static void test_bad_new(void **state)
{
	struct ram_list *rl = ram_list_new(NULL);
	struct fb_config cfg = { .name = "bad", .mode = { 0, 10, 0, PIXMAN_c8 } };

	(void)state;
	assert_non_null(rl);
	errno = 0;
	assert_null(fb_new(rl, &cfg));
	assert_int_equal(errno, EINVAL);
	cfg.mode = (struct fb_mode){ 10000, 10000, 0, PIXMAN_x8r8g8b8 };
	errno = 0;
	assert_null(fb_new(rl, &cfg));
	assert_int_equal(errno, E2BIG);
	cfg.mode = (struct fb_mode){ 10, 10, 0, PIXMAN_a8 };
	errno = 0;
	assert_null(fb_new(rl, &cfg));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(fb_new(rl, NULL));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ram_list_size(rl), 0);
	errno = 0;
	assert_null(fb_render_new(&(struct fb_render_config){ .rate_hz = FB_MAX_RATE_HZ + 1 }));
	assert_int_equal(errno, EINVAL);
	ram_list_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_check),
		cmocka_unit_test(test_bad_modes_keep_old),
		cmocka_unit_test(test_bad_new),
	};

	return cmocka_run_group_tests_name("fb-bad-modes", tests, NULL, NULL);
}
