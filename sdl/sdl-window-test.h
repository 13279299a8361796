/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdl/sdl-window-test.h - seams for tests of the SDL frontend. Not for
 * production use.
 */
#ifndef FBHOST_SDL_SDL_WINDOW_TEST_H
#define FBHOST_SDL_SDL_WINDOW_TEST_H

#include <stdbool.h>
#include <stddef.h>

#include "sdl/sdl-window.h"

/* Called on the SDL thread for every SDL_UpdateTexture of any window, with
 * the rectangle (texture pixels) and the bytes it passes. */
typedef void sdl_window_upload_hook_fn(const struct sdl_window *w, int x, int y, int width,
				       int height, size_t bytes);
/* Installs (or with NULL removes) the hook; any thread. */
void sdl_window_set_upload_hook(sdl_window_upload_hook_fn *fn);

/* The window's position on the screen (SDL_GetWindowPosition). 0 or -errno. */
int sdl_window_get_position(struct sdl_window *w, int *x, int *y, unsigned timeout_ms);

/* True when nothing handed over is waiting for the SDL thread: no pending
 * region, no pending switch and no wake in flight. Any thread. */
bool sdl_window_test_idle(struct sdl_window *w);

#endif
