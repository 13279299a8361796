/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/sdl/test-sdl-cursor.c - the guest's cursor in the SDL window
 * (sdl-window-cursor.c) on SDL's offscreen driver, which has no cursors:
 * the SDL thread takes each definition, the driver's refusal is counted
 * (and logged once) instead of crashing, hiding and showing work without
 * an image, and the window goes on showing the guest's exact pixels.
 * (test-sdl-xvfb checks that a real X11 window gets the cursor set.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sdl-test-util.h"
#include "sdl/sdl-window.h"

/* Settles the render thread, then the SDL thread; returns the stats. */
static struct sdl_window_stats settle(struct sdl_test_fb *t, struct sdl_window *w)
{
	struct sdl_window_stats st;

	sdl_test_settle(t);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	sdl_window_get_stats(w, &st);
	return st;
}

static void test_cursor_offscreen(void **state)
{
	struct sdl_test_fb t;
	struct sdl_window_stats st;
	uint32_t argb[16 * 16];
	struct sdl_window *w;

	(void)state;
	for (unsigned i = 0; i < 16 * 16; i++)
		argb[i] = (i % 3 ? 0xff000000u : 0) | (i * 0x010101u);
	sdl_test_fb_init(&t, "cursor", 80, 60, PIXMAN_x8r8g8b8);
	sdl_test_draw_pattern(&t, 3);
	w = sdl_window_new(t.fb, NULL);
	assert_non_null(w);
	st = settle(&t, w);
	assert_int_equal(st.cursors + st.cursor_errors, 0);

	assert_int_equal(fb_cursor_define(t.fb, 16, 16, 3, 2, argb, 16 * 4), 0);
	fb_cursor_move(t.fb, 10, 10);
	st = settle(&t, w);
	/* offscreen has no cursors: refused, counted; a driver with them sets it */
	assert_int_equal(st.cursors + st.cursor_errors, 1);

	fb_cursor_show(t.fb, false);
	st = settle(&t, w);
	fb_cursor_show(t.fb, true);
	assert_int_equal(fb_cursor_define(t.fb, 2, 2, 1, 1, argb, 8), 0);
	st = settle(&t, w);
	assert_int_equal(st.cursors + st.cursor_errors, 2);
	fb_cursor_clear(t.fb);
	st = settle(&t, w);
	assert_int_equal(st.cursors + st.cursor_errors, 2);

	/* the picture still comes through exactly */
	sdl_test_draw_pattern(&t, 4);
	settle(&t, w);
	{
		uint32_t *got, gw, gh, ew, eh;
		uint32_t *want = sdl_test_expected(&t, &ew, &eh);

		assert_int_equal(sdl_window_screenshot(w, &got, &gw, &gh, SDL_TEST_TIMEOUT_MS), 0);
		assert_int_equal(gw, ew);
		assert_int_equal(gh, eh);
		assert_int_equal(sdl_test_count_mismatch(got, gw, 0, 0, want, ew, eh,
							 sdl_test_format_mask(PIXMAN_x8r8g8b8)),
				 0);
		free(got);
		free(want);
	}
	sdl_window_free(w);
	sdl_test_fb_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor_offscreen),
	};

	sdl_test_use_offscreen();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
