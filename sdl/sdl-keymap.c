/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdl/sdl-keymap.c - SDL keycodes to X11 keysyms.
 */
#include "sdl/sdl-keymap.h"

#include <X11/keysym.h>
#include <stdbool.h>
#include <stddef.h>

/* Highest Unicode code point a keysym can carry. */
#define KEYMAP_MAX_UNICODE 0x10ffffu
/* Keysyms for Unicode characters outside Latin-1: this offset + code point. */
#define KEYMAP_UNICODE_KEYSYM_BASE 0x01000000u

/* One non-printable key. */
struct keymap_entry {
	SDL_Keycode sym;
	uint32_t keysym;
};

static const struct keymap_entry keymap_special[] = {
	{ SDLK_RETURN, XK_Return },
	{ SDLK_ESCAPE, XK_Escape },
	{ SDLK_BACKSPACE, XK_BackSpace },
	{ SDLK_TAB, XK_Tab },
	{ SDLK_DELETE, XK_Delete },
	{ SDLK_INSERT, XK_Insert },
	{ SDLK_HOME, XK_Home },
	{ SDLK_END, XK_End },
	{ SDLK_PAGEUP, XK_Page_Up },
	{ SDLK_PAGEDOWN, XK_Page_Down },
	{ SDLK_LEFT, XK_Left },
	{ SDLK_UP, XK_Up },
	{ SDLK_RIGHT, XK_Right },
	{ SDLK_DOWN, XK_Down },
	{ SDLK_F1, XK_F1 },
	{ SDLK_F2, XK_F2 },
	{ SDLK_F3, XK_F3 },
	{ SDLK_F4, XK_F4 },
	{ SDLK_F5, XK_F5 },
	{ SDLK_F6, XK_F6 },
	{ SDLK_F7, XK_F7 },
	{ SDLK_F8, XK_F8 },
	{ SDLK_F9, XK_F9 },
	{ SDLK_F10, XK_F10 },
	{ SDLK_F11, XK_F11 },
	{ SDLK_F12, XK_F12 },
	{ SDLK_F13, XK_F13 },
	{ SDLK_F14, XK_F14 },
	{ SDLK_F15, XK_F15 },
	{ SDLK_F16, XK_F16 },
	{ SDLK_F17, XK_F17 },
	{ SDLK_F18, XK_F18 },
	{ SDLK_F19, XK_F19 },
	{ SDLK_F20, XK_F20 },
	{ SDLK_F21, XK_F21 },
	{ SDLK_F22, XK_F22 },
	{ SDLK_F23, XK_F23 },
	{ SDLK_F24, XK_F24 },
	{ SDLK_LSHIFT, XK_Shift_L },
	{ SDLK_RSHIFT, XK_Shift_R },
	{ SDLK_LCTRL, XK_Control_L },
	{ SDLK_RCTRL, XK_Control_R },
	{ SDLK_LALT, XK_Alt_L },
	{ SDLK_RALT, XK_Alt_R },
	{ SDLK_LGUI, XK_Super_L },
	{ SDLK_RGUI, XK_Super_R },
	{ SDLK_MODE, XK_Mode_switch },
	{ SDLK_CAPSLOCK, XK_Caps_Lock },
	{ SDLK_NUMLOCKCLEAR, XK_Num_Lock },
	{ SDLK_SCROLLLOCK, XK_Scroll_Lock },
	{ SDLK_PRINTSCREEN, XK_Print },
	{ SDLK_PAUSE, XK_Pause },
	{ SDLK_APPLICATION, XK_Menu },
	{ SDLK_MENU, XK_Menu },
	{ SDLK_HELP, XK_Help },
	{ SDLK_KP_0, XK_KP_0 },
	{ SDLK_KP_1, XK_KP_1 },
	{ SDLK_KP_2, XK_KP_2 },
	{ SDLK_KP_3, XK_KP_3 },
	{ SDLK_KP_4, XK_KP_4 },
	{ SDLK_KP_5, XK_KP_5 },
	{ SDLK_KP_6, XK_KP_6 },
	{ SDLK_KP_7, XK_KP_7 },
	{ SDLK_KP_8, XK_KP_8 },
	{ SDLK_KP_9, XK_KP_9 },
	{ SDLK_KP_PERIOD, XK_KP_Decimal },
	{ SDLK_KP_DIVIDE, XK_KP_Divide },
	{ SDLK_KP_MULTIPLY, XK_KP_Multiply },
	{ SDLK_KP_MINUS, XK_KP_Subtract },
	{ SDLK_KP_PLUS, XK_KP_Add },
	{ SDLK_KP_ENTER, XK_KP_Enter },
	{ SDLK_KP_EQUALS, XK_KP_Equal },
};

uint32_t sdl_keymap_keysym(SDL_Keycode sym, uint16_t mod)
{
	for (size_t i = 0; i < SDL_arraysize(keymap_special); i++)
		if (keymap_special[i].sym == sym)
			return keymap_special[i].keysym;

	/* Keycodes without a character carry SDLK_SCANCODE_MASK. */
	if (sym <= 0 || (sym & SDLK_SCANCODE_MASK) || (uint32_t)sym > KEYMAP_MAX_UNICODE)
		return 0;
	uint32_t ch = (uint32_t)sym;
	if (ch < 0x20 || (ch >= 0x7f && ch < 0xa0))
		return 0; /* control characters not in the table */
	if (ch >= 'a' && ch <= 'z') {
		bool shift = mod & KMOD_SHIFT;
		bool caps = mod & KMOD_CAPS;
		return shift != caps ? ch - 'a' + XK_A : ch;
	}
	if (ch <= 0xff)
		return ch; /* Latin-1 keysyms equal their code points */
	return KEYMAP_UNICODE_KEYSYM_BASE + ch;
}
