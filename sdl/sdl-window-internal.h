/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdl/sdl-window-internal.h - internal: the window object shared by the files of
 * the SDL frontend (lifecycle, frame hand-over, input).
 */
#ifndef FBHOST_SDL_SDL_WINDOW_INTERNAL_H
#define FBHOST_SDL_SDL_WINDOW_INTERNAL_H

#include <SDL.h>
#include <pixman.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "sdl/sdl-thread.h"
#include "sdl/sdl-window.h"

/*
 * Lock order of sdl/, outermost first. All of them come after every fb/ lock
 * (fb/fb-internal.h): the listener callbacks take sdl_window.lock on the
 * render thread under fb's listener lock.
 *   1. users_lock (sdl-thread.c): held across a whole start or stop of the
 *      SDL thread
 *   2. the startup handshake's lock, or call_lock (sdl-thread.c): a stop
 *      runs its last call under users_lock
 *   3. sdl_window.lock: the render thread -> SDL thread hand-over; nothing
 *      else is taken under it
 */

/* Refinement gives up (uploads whole damaged boxes) past this many boxes
 * per update, bounding its memory. */
#define SDL_WINDOW_MAX_REFINE_BOXES 8192u
/* Damage is compared against the staging copy in cells this wide. */
#define SDL_WINDOW_CELL_PX 16
/* Longest a wheel event is repeated as RFB button clicks. */
#define SDL_WINDOW_MAX_WHEEL_CLICKS 10

#define sdl_window_of(ptr, member)                                                                 \
	((struct sdl_window *)((char *)(ptr)-offsetof(struct sdl_window, member)))

/* Growable box list; render thread only. */
struct sdl_box_vec {
	pixman_box32_t *boxes;
	size_t len, cap;
};

/* Monotonic counters; atomics, any thread. */
struct sdl_window_counters {
	atomic_uint_fast64_t updates, switches, uploads, upload_bytes, presents, coalesced;
	atomic_uint_fast64_t keys, pointer_events, mode_requests, wake_retries;
	atomic_uint_fast64_t cursors, cursor_errors;
};

/*
 * One window. Three parts, each with its own protection:
 * - immutable after sdl_window_new: fb, cfg, name, window_id;
 * - the hand-over from the render thread, under lock;
 * - SDL-thread-only state (the SDL objects and input state).
 */
struct sdl_window {
	struct fb_listener listener;	 /* called by fb/ on the render thread */
	struct sdl_thread_client client; /* called on the SDL thread */
	struct fb_device *fb;
	struct sdl_window_config cfg;
	char *name;
	uint32_t window_id;

	/* Render thread -> SDL thread. lock protects the four fields below
	 * (the SDL thread holds it while it uploads from staging). */
	pthread_mutex_t lock;
	pixman_image_t *staging;     /* guest picture in the texture's format, or NULL */
	struct fb_mode staging_mode; /* guest mode staging holds (stride: staging's) */
	uint64_t staging_generation;
	pixman_region32_t pending; /* changed since the last upload */
	bool pending_switch;	   /* the texture must be recreated */

	/* The guest's cursor, render thread -> SDL thread
	 * (sdl-window-cursor.c); lock protects these four. */
	struct fb_cursor *cursor_next; /* a reference, or NULL: no image */
	bool cursor_image_due;	       /* cursor_next is new */
	bool cursor_visible;
	bool cursor_due; /* something changed since the SDL thread looked */

	/* Render thread only (listener callbacks never run concurrently). */
	pixman_image_t *scratch; /* converted rows when formats differ */
	struct sdl_box_vec changed;

	/* The window is owed a wake (one in flight at most): set by whoever
	 * pushes it, and kept set when SDL's queue is full (the SDL thread then
	 * retries, sdl-thread.h); cleared by the SDL thread before it takes the
	 * hand-over. */
	atomic_bool wake_pending;
	/* Set by the SDL thread when the user closes the window. */
	atomic_bool closed;

	/* SDL thread only. */
	SDL_Window *win;
	SDL_Renderer *ren;
	SDL_Texture *tex;
	struct fb_mode tex_mode;    /* mode the texture holds and SDL's
				     * logical size; 0x0 before */
	int expect_w, expect_h;	    /* window size we last set ourselves */
	int windowed_w, windowed_h; /* window size before fullscreen */
	bool user_resized, grabbed, fullscreen, hidden;
	uint32_t buttons;		      /* RFB button mask */
	int pointer_x, pointer_y;	      /* last pointer, guest pixels */
	uint32_t key_down[SDL_NUM_SCANCODES]; /* keysym sent at press, or 0 */

	SDL_Cursor *cursor;	  /* the guest's image as SDL's cursor, or NULL */
	bool cursor_shown;	  /* the guest's cursor is visible */
	bool cursor_error_logged; /* the driver's refusal was logged */

	struct sdl_window_counters stats;
};

/* sdl-window-frame.c */
extern const struct fb_listener_ops sdl_window_listener_ops;
/* SDL thread: takes the hand-over (texture, uploads) and presents. */
void sdl_window_frame_present(struct sdl_window *w);
/* SDL thread: uploads pending rectangles and draws, without presenting. */
void sdl_window_frame_draw(struct sdl_window *w);
/* SDL thread: sets SDL's logical size to tex_mode and its integer scaling
 * (cfg.integer_scale, when the output has room for 1:1); no-op if set. */
void sdl_window_frame_fit(struct sdl_window *w);
/* SDL thread: where SDL puts the picture, in window coordinates. */
void sdl_window_frame_layout(struct sdl_window *w, struct sdl_window_layout *l);
/* SDL thread: sets the title from name, mode and grab state. */
void sdl_window_frame_set_title(struct sdl_window *w);
/* Render-thread state and hand-over teardown (after unregistering). */
void sdl_window_frame_fini(struct sdl_window *w);

/* sdl-window-cursor.c: the listener's cursor ops (render thread); on the
 * SDL thread, taking the queued cursor, re-applying it when the pointer
 * enters the window (SDL's cursor is global), and freeing it. */
void sdl_window_cursor_define(struct fb_listener *l, struct fb_cursor *c);
void sdl_window_cursor_move(struct fb_listener *l, int x, int y, bool visible);
void sdl_window_cursor_take(struct sdl_window *w);
void sdl_window_cursor_enter(struct sdl_window *w);
void sdl_window_cursor_destroy(struct sdl_window *w);
/* sdl-window-frame.c: makes sure a wake of w's SDL thread is on its way. */
void sdl_window_wake(struct sdl_window *w);

/* sdl-window-input.c: SDL-thread event handler. */
void sdl_window_handle_event(struct sdl_thread_client *c, const SDL_Event *ev);

/* One error line of w through cfg.log (or to stderr): "NAME: " + fmt. Any
 * thread. */
void sdl_window_log(struct sdl_window *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
