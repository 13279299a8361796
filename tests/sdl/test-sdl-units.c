/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/sdl/test-sdl-units.c - the SDL frontend's pure part: SDL keycodes to
 * X11 keysyms. (Scaling, letterboxing and the pointer's way back to guest
 * pixels are SDL's, tested through windows in test-sdl-input.c.)
 */
#include <X11/keysym.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "sdl/sdl-keymap.h"

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
		cmocka_unit_test(test_keymap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
