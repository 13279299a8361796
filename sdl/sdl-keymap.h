/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdl/sdl-keymap.h - internal: SDL keycodes to X11 keysyms, the key model
 * VNC uses, so a guest sees one input model from every viewer.
 */
#ifndef FBHOST_SDL_SDL_KEYMAP_H
#define FBHOST_SDL_SDL_KEYMAP_H

#include <SDL.h>
#include <stdint.h>

/*
 * The X11 keysym for an SDL keycode and the modifier state at the press, or
 * 0 when the key has none. Printable keys give the keysym of their unshifted
 * symbol (Latin-1 as is, other Unicode as 0x01000000 + code point), except
 * letters, which are upper case while exactly one of Shift and Caps Lock is
 * on. Function, editing, cursor, keypad and modifier keys map to their XK_
 * names.
 */
uint32_t sdl_keymap_keysym(SDL_Keycode sym, uint16_t mod);

#endif
