/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/guests/test-guest-pattern.c - the pattern guest, read back
 * through the render thread and a headless listener: the whole card equals
 * the reference drawing, and independently of it the bars, the grid and the
 * label are where they should be, in every format; it follows mode changes
 * and accepts viewer resize requests.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "guest-rig.h"
#include "server/guests/guest-draw.h"
#include "server/guests/guest-pattern.h"

/* Draws the reference card for a mode into a fresh image. */
static pixman_image_t *reference(uint32_t w, uint32_t h, pixman_format_code_t format)
{
	pixman_image_t *img = guest_draw_wrap(format, (int)w, (int)h, NULL, 0);

	assert_non_null(img);
	guest_pattern_draw(img);
	return img;
}

static bool pred_card(struct rig *rig, void *arg)
{
	pixman_image_t *ref = arg;
	struct fb_mode m = fb_get_mode(rig->fb);

	return m.format == pixman_image_get_format(ref) &&
	       m.width == (uint32_t)pixman_image_get_width(ref) &&
	       m.height == (uint32_t)pixman_image_get_height(ref) && rig_frame_equals(rig, ref);
}

static void wait_card(struct rig *rig, uint32_t w, uint32_t h, pixman_format_code_t format)
{
	pixman_image_t *ref = reference(w, h, format);

	assert_true(rig_wait(rig, pred_card, ref));
	pixman_image_unref(ref);
}

/* Colour of the bar under column x of a card w wide. */
static uint32_t bar_at(int w, int x)
{
	for (unsigned i = 0; i < GUEST_PATTERN_BAR_COUNT; i++)
		if (x < w * (int)(i + 1) / (int)GUEST_PATTERN_BAR_COUNT)
			return guest_pattern_bar_rgb(i);
	fail();
	return 0;
}

static int off_grid(int v)
{
	return v % GUEST_PATTERN_GRID_STEP_PX == 0 ? v + 1 : v;
}

/* Checks the shown card without the reference drawing. */
static void check_card(struct rig *rig, pixman_format_code_t format)
{
	int w = (int)rig->frame.width, h = (int)rig->frame.height;
	int bars_h = guest_pattern_bars_height(h);
	int y = off_grid(bars_h / 2), g = GUEST_PATTERN_GRID_STEP_PX;
	uint32_t grid = guest_draw_shown_rgb(format, GUEST_PATTERN_GRID_RGB);
	char label[GUEST_PATTERN_LABEL_MAX];
	size_t len = guest_pattern_label(label, sizeof(label), w, h, format);
	int lx = GUEST_PATTERN_LABEL_X_PX + GUEST_PATTERN_LABEL_PAD_PX;
	int ly = GUEST_PATTERN_LABEL_Y_PX + GUEST_PATTERN_LABEL_PAD_PX;
	int lw = guest_draw_text_width(len, GUEST_PATTERN_LABEL_SCALE);
	int lh = guest_draw_text_height(GUEST_PATTERN_LABEL_SCALE);
	unsigned fg = 0, bg = 0, other = 0;

	/* bars: exact colours at their centres, in every format */
	for (unsigned i = 0; i < GUEST_PATTERN_BAR_COUNT; i++) {
		int x0 = w * (int)i / 8, x1 = w * (int)(i + 1) / 8;

		assert_int_equal(rig_px(rig, off_grid((x0 + x1) / 2), y), guest_pattern_bar_rgb(i));
		assert_int_equal(rig_px(rig, off_grid((x0 + x1) / 2), off_grid(bars_h + 3)),
				 guest_draw_shown_rgb(format, guest_pattern_ramp_rgb(i)));
	}
	/* grid: 1-pixel lines, the neighbours keep the bar colour */
	assert_int_equal(rig_px(rig, g, y), grid);
	assert_int_equal(rig_px(rig, g + 1, y), bar_at(w, g + 1));
	assert_int_equal(rig_px(rig, g - 1, y), bar_at(w, g - 1));
	assert_int_equal(rig_px(rig, 0, y), grid);
	assert_int_equal(rig_px(rig, w - 1, y), grid);
	assert_int_equal(rig_px(rig, g + 9, 2 * g), grid);
	assert_int_equal(rig_px(rig, g + 9, 2 * g + 1), bar_at(w, g + 9));
	assert_int_equal(rig_px(rig, g + 9, 2 * g - 1), bar_at(w, g + 9));
	assert_int_equal(rig_px(rig, w / 2 + 1, h - 1), grid);
	/* label: white text on black, both present, nothing else */
	assert_true(lx + lw <= w);
	for (int py = ly; py < ly + lh; py++) {
		for (int px = lx; px < lx + lw; px++) {
			uint32_t c = rig_px(rig, px, py);

			fg += c == GUEST_PATTERN_LABEL_FG_RGB;
			bg += c == GUEST_PATTERN_LABEL_BG_RGB;
			other += c != GUEST_PATTERN_LABEL_FG_RGB && c != GUEST_PATTERN_LABEL_BG_RGB;
		}
	}
	assert_int_equal(other, 0);
	assert_true(fg >= 20u * len);
	assert_true(bg >= fg);
}

static void run_mode(uint32_t w, uint32_t h, pixman_format_code_t format)
{
	struct rig rig;

	rig_start(&rig, &guest_pattern_ops, w, h, format);
	wait_card(&rig, w, h, format);
	check_card(&rig, format);
	rig_stop(&rig);
}

static void test_x8r8g8b8(void **state)
{
	run_mode(1024, 768, PIXMAN_x8r8g8b8);
}

static void test_c8(void **state)
{
	run_mode(640, 480, PIXMAN_c8);
}

static void test_r5g6b5(void **state)
{
	run_mode(800, 600, PIXMAN_r5g6b5);
}

static void test_x1r5g5b5(void **state)
{
	run_mode(320, 240, PIXMAN_x1r5g5b5);
}

static void test_r8g8b8_odd(void **state)
{
	run_mode(301, 203, PIXMAN_r8g8b8);
}

static void test_a8r8g8b8(void **state)
{
	run_mode(256, 160, PIXMAN_a8r8g8b8);
}

/* Tiny cards are drawn (clipped) without trouble. */
static void test_tiny(void **state)
{
	struct rig rig;

	rig_start(&rig, &guest_pattern_ops, 1, 1, PIXMAN_x8r8g8b8);
	wait_card(&rig, 1, 1, PIXMAN_x8r8g8b8);
	assert_int_equal(rig_px(&rig, 0, 0), GUEST_PATTERN_GRID_RGB);
	assert_int_equal(fb_request_mode(rig.fb, 7, 3), 0);
	wait_card(&rig, 7, 3, PIXMAN_x8r8g8b8);
	assert_int_equal(fb_request_mode(rig.fb, 40, 2000), 0);
	wait_card(&rig, 40, 2000, PIXMAN_x8r8g8b8);
	rig_stop(&rig);
}

/* The card is a pure function of the mode, and its label names the mode. */
static void test_deterministic(void **state)
{
	pixman_image_t *a = reference(333, 222, PIXMAN_r5g6b5);
	pixman_image_t *b = reference(333, 222, PIXMAN_r5g6b5);
	pixman_image_t *c = reference(333, 222, PIXMAN_x1r5g5b5);
	char label[GUEST_PATTERN_LABEL_MAX];
	size_t bytes = (size_t)pixman_image_get_stride(a) * 222;

	assert_memory_equal(pixman_image_get_data(a), pixman_image_get_data(b), bytes);
	assert_memory_not_equal(pixman_image_get_data(a), pixman_image_get_data(c), bytes);
	assert_int_equal(guest_pattern_label(label, sizeof(label), 1024, 768, PIXMAN_x8r8g8b8), 17);
	assert_string_equal(label, "1024x768 x8r8g8b8");
	pixman_image_unref(a);
	pixman_image_unref(b);
	pixman_image_unref(c);
}

/* A mode set behind the guest's back is redrawn; a viewer's resize request
 * is applied keeping the format; bad requests are refused. */
static void test_follows_mode(void **state)
{
	struct rig rig;
	struct fb_mode m = { .width = 800, .height = 600, .format = PIXMAN_c8 };

	rig_start(&rig, &guest_pattern_ops, 640, 480, PIXMAN_x8r8g8b8);
	wait_card(&rig, 640, 480, PIXMAN_x8r8g8b8);

	assert_int_equal(fb_set_mode(rig.fb, &m), 0);
	wait_card(&rig, 800, 600, PIXMAN_c8);
	check_card(&rig, PIXMAN_c8);

	assert_int_equal(fb_request_mode(rig.fb, 512, 384), 0);
	wait_card(&rig, 512, 384, PIXMAN_c8);
	check_card(&rig, PIXMAN_c8);

	assert_int_equal(fb_request_mode(rig.fb, 0, 100), -EINVAL);
	assert_int_equal(fb_request_mode(rig.fb, FB_MAX_SIDE_PX + 1, 100), -EINVAL);
	assert_int_equal(fb_request_mode(rig.fb, FB_MAX_SIDE_PX, FB_MAX_SIDE_PX), -E2BIG);
	assert_int_equal(fb_get_mode(rig.fb).width, 512);
	rig_stop(&rig);
}

static void test_rejects_args(void **state)
{
	struct fbhost *host = fbhost_new(NULL);
	struct fbhost_fb *fb;
	const char *err = NULL;
	void *st = NULL;

	assert_non_null(host);
	fb = fbhost_fb_add(host, "args", 64, 64, FBHOST_FORMAT_X8R8G8B8);
	assert_non_null(fb);
	assert_int_equal(guest_pattern_ops.start(host, fb, "bars=4", &st, &err), -EINVAL);
	assert_non_null(err);
	assert_non_null(strstr(err, "no arguments"));
	assert_null(st);
	/* an empty argument string is no argument */
	assert_int_equal(guest_pattern_ops.start(host, fb, "", &st, &err), 0);
	guest_pattern_ops.stop(st);
	fbhost_free(host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deterministic), cmocka_unit_test(test_rejects_args),
		cmocka_unit_test(test_x8r8g8b8),      cmocka_unit_test(test_c8),
		cmocka_unit_test(test_r5g6b5),	      cmocka_unit_test(test_x1r5g5b5),
		cmocka_unit_test(test_r8g8b8_odd),    cmocka_unit_test(test_a8r8g8b8),
		cmocka_unit_test(test_follows_mode),  cmocka_unit_test(test_tiny),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
