// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/sdl/test-sdl-units.c - the SDL frontend's pure parts: the picture's
 * layout under scaling and letterboxing, the pointer's way back to guest
 * pixels, and SDL keycodes to X11 keysyms.
 */
#include <X11/keysym.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "sdl/sdl-keymap.h"
#include "sdl/sdl-layout.h"

static void assert_layout(struct sdl_window_layout l, int x, int y, int w, int h)
{
	assert_int_equal(l.x, x);
	assert_int_equal(l.y, y);
	assert_int_equal(l.w, w);
	assert_int_equal(l.h, h);
}

static void test_layout_fit(void **state)
{
	/* 1:1 */
	assert_layout(sdl_layout_fit(640, 480, 640, 480, false), 0, 0, 640, 480);
	assert_layout(sdl_layout_fit(640, 480, 640, 480, true), 0, 0, 640, 480);
	/* Larger window, width-limited: bars above and below. */
	assert_layout(sdl_layout_fit(100, 50, 250, 150, false), 0, 12, 250, 125);
	/* Integer scaling: 2x, centred, bars on all sides. */
	assert_layout(sdl_layout_fit(100, 50, 250, 150, true), 25, 25, 200, 100);
	/* Height-limited: bars left and right. */
	assert_layout(sdl_layout_fit(100, 100, 300, 200, false), 50, 0, 200, 200);
	/* Smaller than the mode: integer scaling falls back to shrinking. */
	assert_layout(sdl_layout_fit(800, 600, 400, 300, true), 0, 0, 400, 300);
	assert_layout(sdl_layout_fit(800, 600, 400, 400, false), 0, 50, 400, 300);
	/* Empty. */
	assert_layout(sdl_layout_fit(0, 600, 400, 300, false), 0, 0, 0, 0);
	assert_layout(sdl_layout_fit(800, 600, 0, 300, false), 0, 0, 0, 0);
	/* Extreme aspect: never zero-sized. */
	assert_layout(sdl_layout_fit(16384, 1, 10, 10, false), 0, 4, 10, 1);
}

static void test_layout_to_guest(void **state)
{
	struct sdl_window_layout l = sdl_layout_fit(100, 50, 250, 150, true); /* 25,25 200x100 */
	int gx, gy;

	assert_true(sdl_layout_to_guest(&l, 100, 50, 25, 25, &gx, &gy));
	assert_int_equal(gx, 0);
	assert_int_equal(gy, 0);
	assert_true(sdl_layout_to_guest(&l, 100, 50, 25 + 2 * 10 + 1, 25 + 2 * 20 + 1, &gx, &gy));
	assert_int_equal(gx, 10);
	assert_int_equal(gy, 20);
	assert_true(sdl_layout_to_guest(&l, 100, 50, 224, 124, &gx, &gy));
	assert_int_equal(gx, 99);
	assert_int_equal(gy, 49);
	/* In the bars: clamped to the picture's edge. */
	assert_true(sdl_layout_to_guest(&l, 100, 50, 3, 140, &gx, &gy));
	assert_int_equal(gx, 0);
	assert_int_equal(gy, 49);
	assert_true(sdl_layout_to_guest(&l, 100, 50, 249, 0, &gx, &gy));
	assert_int_equal(gx, 99);
	assert_int_equal(gy, 0);
	/* Fractional scale 2.5: pixel 50 covers output [125, 127.5). */
	l = sdl_layout_fit(100, 50, 250, 150, false); /* 0,12 250x125 */
	assert_true(sdl_layout_to_guest(&l, 100, 50, 125, 12 + 62, &gx, &gy));
	assert_int_equal(gx, 50);
	assert_int_equal(gy, 24);
	struct sdl_window_layout empty = { 0, 0, 0, 0 };
	assert_false(sdl_layout_to_guest(&empty, 100, 50, 10, 10, &gx, &gy));
}

static void test_keymap(void **state)
{
	/* Letters: case from Shift xor Caps Lock, as VNC viewers send them. */
	assert_int_equal(sdl_keymap_keysym(SDLK_a, KMOD_NONE), XK_a);
	assert_int_equal(sdl_keymap_keysym(SDLK_a, KMOD_LSHIFT), XK_A);
	assert_int_equal(sdl_keymap_keysym(SDLK_z, KMOD_CAPS), XK_Z);
	assert_int_equal(sdl_keymap_keysym(SDLK_z, KMOD_CAPS | KMOD_RSHIFT), XK_z);
	/* Other printable keys: their unshifted symbol. */
	assert_int_equal(sdl_keymap_keysym(SDLK_1, KMOD_LSHIFT), XK_1);
	assert_int_equal(sdl_keymap_keysym(SDLK_SPACE, KMOD_NONE), XK_space);
	assert_int_equal(sdl_keymap_keysym(SDLK_MINUS, KMOD_NONE), XK_minus);
	assert_int_equal(sdl_keymap_keysym(0xe9 /* é */, KMOD_NONE), XK_eacute);
	assert_int_equal(sdl_keymap_keysym(0x20ac /* € */, KMOD_NONE), 0x010020ac);
	/* Editing, function, cursor, modifier and keypad keys. */
	assert_int_equal(sdl_keymap_keysym(SDLK_RETURN, KMOD_NONE), XK_Return);
	assert_int_equal(sdl_keymap_keysym(SDLK_BACKSPACE, KMOD_NONE), XK_BackSpace);
	assert_int_equal(sdl_keymap_keysym(SDLK_TAB, KMOD_NONE), XK_Tab);
	assert_int_equal(sdl_keymap_keysym(SDLK_ESCAPE, KMOD_NONE), XK_Escape);
	assert_int_equal(sdl_keymap_keysym(SDLK_DELETE, KMOD_NONE), XK_Delete);
	assert_int_equal(sdl_keymap_keysym(SDLK_F1, KMOD_NONE), XK_F1);
	assert_int_equal(sdl_keymap_keysym(SDLK_F12, KMOD_NONE), XK_F12);
	assert_int_equal(sdl_keymap_keysym(SDLK_LEFT, KMOD_NONE), XK_Left);
	assert_int_equal(sdl_keymap_keysym(SDLK_PAGEDOWN, KMOD_NONE), XK_Page_Down);
	assert_int_equal(sdl_keymap_keysym(SDLK_LSHIFT, KMOD_NONE), XK_Shift_L);
	assert_int_equal(sdl_keymap_keysym(SDLK_RCTRL, KMOD_NONE), XK_Control_R);
	assert_int_equal(sdl_keymap_keysym(SDLK_LALT, KMOD_NONE), XK_Alt_L);
	assert_int_equal(sdl_keymap_keysym(SDLK_LGUI, KMOD_NONE), XK_Super_L);
	assert_int_equal(sdl_keymap_keysym(SDLK_KP_5, KMOD_NONE), XK_KP_5);
	assert_int_equal(sdl_keymap_keysym(SDLK_KP_ENTER, KMOD_NONE), XK_KP_Enter);
	/* No keysym: unknown keys and keycodes without a character. */
	assert_int_equal(sdl_keymap_keysym(SDLK_UNKNOWN, KMOD_NONE), 0);
	assert_int_equal(sdl_keymap_keysym(SDLK_AUDIONEXT, KMOD_NONE), 0);
	assert_int_equal(sdl_keymap_keysym(0x7f + 1, KMOD_NONE), 0);
	assert_int_equal(sdl_keymap_keysym(0x7fffffff, KMOD_NONE), 0);
	assert_int_equal(sdl_keymap_keysym(-5, KMOD_NONE), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_fit),
		cmocka_unit_test(test_layout_to_guest),
		cmocka_unit_test(test_keymap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
