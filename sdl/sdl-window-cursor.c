/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdl/sdl-window-cursor.c - the guest's cursor as the SDL window's mouse
 * cursor. The render thread queues the latest image and visibility under
 * sdl_window.lock and wakes the SDL thread, which makes an SDL colour
 * cursor of it (SDL_CreateColorCursor: straight-alpha ARGB8888, as the
 * guest's image is) and sets it; a hidden guest cursor hides SDL's
 * (SDL_ShowCursor). The user's own pointer is what moves it: the guest's
 * moves are not applied (warping the user's mouse would fight them). SDL
 * has one cursor for all windows, so a window sets its own again when the
 * pointer enters it. Drivers without cursors (offscreen) refuse it: logged
 * once, counted, the window keeps working. Cursors are not scaled with the
 * picture.
 */
#include "sdl/sdl-window-internal.h"

static struct sdl_window *window_of_listener(struct fb_listener *l)
{
	return sdl_window_of(l, listener);
}

void sdl_window_cursor_define(struct fb_listener *l, struct fb_cursor *c)
{
	struct sdl_window *w = window_of_listener(l);
	struct fb_cursor *old;

	pthread_mutex_lock(&w->lock);
	old = w->cursor_next;
	w->cursor_next = fb_cursor_ref(c);
	w->cursor_image_due = true;
	w->cursor_due = true;
	pthread_mutex_unlock(&w->lock);
	fb_cursor_unref(old);
	/* No wake: fb/ calls cursor_move right after, which wakes the SDL
	 * thread with the image and its visibility queued together. */
}

void sdl_window_cursor_move(struct fb_listener *l, int x, int y, bool visible)
{
	struct sdl_window *w = window_of_listener(l);
	bool due;

	(void)x;
	(void)y;
	pthread_mutex_lock(&w->lock);
	w->cursor_due |= w->cursor_visible != visible;
	w->cursor_visible = visible;
	due = w->cursor_due; /* a change, or the image cursor_define queued */
	pthread_mutex_unlock(&w->lock);
	if (due)
		sdl_window_wake(w);
}

/* An SDL cursor of c, or NULL (SDL's error set). SDL thread. */
static SDL_Cursor *make_cursor(const struct fb_cursor *c)
{
	SDL_Surface *s =
		SDL_CreateRGBSurfaceWithFormatFrom((void *)c->argb, (int)c->width, (int)c->height,
						   32, (int)c->width * 4, SDL_PIXELFORMAT_ARGB8888);
	SDL_Cursor *cur;

	if (!s)
		return NULL;
	cur = SDL_CreateColorCursor(s, (int)c->hot_x, (int)c->hot_y);
	SDL_FreeSurface(s);
	return cur;
}

/* Sets this window's cursor as SDL's. SDL thread. */
static void apply(struct sdl_window *w)
{
	if (w->cursor) {
		SDL_SetCursor(w->cursor);
		atomic_fetch_add(&w->stats.cursors, 1);
	}
	SDL_ShowCursor(w->cursor_shown ? SDL_ENABLE : SDL_DISABLE);
}

void sdl_window_cursor_take(struct sdl_window *w)
{
	struct fb_cursor *c = NULL;
	bool image_due, visible, due;

	pthread_mutex_lock(&w->lock);
	due = w->cursor_due;
	image_due = w->cursor_image_due;
	if (image_due) {
		c = w->cursor_next;
		w->cursor_next = NULL;
	}
	visible = w->cursor_visible;
	w->cursor_due = w->cursor_image_due = false;
	pthread_mutex_unlock(&w->lock);
	if (!due)
		return;
	if (image_due) {
		SDL_Cursor *cur = c ? make_cursor(c) : NULL;

		if (c && !cur) {
			atomic_fetch_add(&w->stats.cursor_errors, 1);
			if (!w->cursor_error_logged)
				sdl_window_log(w, "the guest's %ux%u cursor is not shown: %s",
					       c->width, c->height, SDL_GetError());
			w->cursor_error_logged = true;
		}
		if (w->cursor) {
			/* Back to SDL's default before freeing the active one. */
			SDL_SetCursor(SDL_GetDefaultCursor());
			SDL_FreeCursor(w->cursor);
		}
		w->cursor = cur;
		fb_cursor_unref(c);
	}
	/* Without an image of its own the window keeps SDL's default. */
	w->cursor_shown = visible || !w->cursor;
	apply(w);
}

void sdl_window_cursor_enter(struct sdl_window *w)
{
	if (w->cursor)
		apply(w);
	else
		SDL_ShowCursor(SDL_ENABLE);
}

void sdl_window_cursor_destroy(struct sdl_window *w)
{
	if (!w->cursor)
		return;
	SDL_SetCursor(SDL_GetDefaultCursor());
	SDL_ShowCursor(SDL_ENABLE);
	SDL_FreeCursor(w->cursor);
	w->cursor = NULL;
}
