/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdl/sdl-layout.h - internal: where the guest picture goes in the window
 * (aspect-preserving scaling, optional integer scaling, letterboxing) and the
 * inverse mapping of pointer positions to guest pixels. Pure functions.
 */
#ifndef FBHOST_SDL_SDL_LAYOUT_H
#define FBHOST_SDL_SDL_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "sdl/sdl-window.h"

/* The largest picture of mode_w x mode_h's aspect that fits out_w x out_h,
 * centred. With integer_scale and room for at least 1:1, the scale is the
 * largest whole factor that fits. All zero when anything is empty. */
struct sdl_window_layout sdl_layout_fit(uint32_t mode_w, uint32_t mode_h, int out_w, int out_h,
					bool integer_scale);

/* The guest pixel under output pixel (ox, oy), clamped to the mode; false
 * (and 0,0) when the layout or mode is empty. */
bool sdl_layout_to_guest(const struct sdl_window_layout *l, uint32_t mode_w, uint32_t mode_h,
			 int ox, int oy, int *gx, int *gy);

#endif
