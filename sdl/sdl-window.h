/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdl/sdl-window.h - the SDL2 window frontend: one desktop window per guest
 * framebuffer, as QEMU's "-display sdl" does.
 *
 * Threads. All SDL calls happen on one internal "SDL thread", started with the
 * first window and stopped (SDL_Quit) when the last one is freed; it owns the
 * video subsystem, every window, renderer and texture, and runs the event
 * loop. The render thread never calls SDL: the window's listener copies the
 * damaged rectangles into a staging buffer and wakes the SDL thread, which
 * uploads the coalesced region with SDL_UpdateTexture and presents (the
 * latest picture wins; frames in between are skipped).
 *
 * Window. Titled "<name> - <width>x<height> <format>". It takes the mode's
 * size on every mode switch until the user resizes it; then the picture is
 * scaled into it keeping the aspect ratio (integer_scale: whole factors
 * only), with black bars. Fullscreen (Ctrl+Alt+F) scales the same way. The
 * scaling is SDL's own: the renderer's logical size is the guest mode
 * (SDL_RenderSetLogicalSize, SDL_RenderSetIntegerScale).
 *
 * Input. Keys reach the guest's input handler (fb_input_key) as X11 keysyms,
 * from SDL keycodes (not SDL_TEXTINPUT): a key reports the keysym of its
 * symbol in the current layout without Shift applied, except letters, which
 * are upper case while exactly one of Shift and Caps Lock is active (as VNC
 * viewers send them). Modifiers are sent as their own keysyms. A key's
 * release repeats the keysym of its press. The pointer reaches fb_input_pointer
 * in guest coordinates (SDL maps mouse events through the logical size,
 * undoing scaling and letterboxing; positions over the black bars are clamped
 * to the picture's nearest edge) with the RFB button mask of fb.h. Hotkeys, not passed
 * to the guest: Ctrl+Alt+G grabs/releases the pointer, Ctrl+Alt+F toggles
 * fullscreen.
 *
 * Public prefix: sdl_window_.
 */
#ifndef FBHOST_SDL_SDL_WINDOW_H
#define FBHOST_SDL_SDL_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#include "fb/fb.h"

struct sdl_window;

/*
 * Called on the SDL thread when the user closes the window. quit is the
 * configured close_quits: true means the program should stop (the window
 * stays open until sdl_window_free); false means the window has been hidden
 * and the program goes on (QEMU's -no-quit). Must not call sdl_window_free
 * or wait for the SDL thread; set a flag or write to a pipe instead.
 */
typedef void sdl_window_close_fn(void *opaque, struct sdl_window *w, bool quit);

/* Window options; start from sdl_window_config_init() for the defaults. */
struct sdl_window_config {
	/* Scale by whole factors only (when the window is at least the mode's
	 * size); the rest is letterboxed. Default false. */
	bool integer_scale;
	/* Resizing the window asks the guest for that mode (fb_request_mode),
	 * as a VNC client's SetDesktopSize does. Default false. */
	bool allow_resize_request;
	/* Closing the window stops the program (true, default) or only hides
	 * the window (false, QEMU's -no-quit). See sdl_window_close_fn. */
	bool close_quits;
	/* Start fullscreen (desktop resolution). Default false. */
	bool fullscreen;
	/* Initial window size in screen pixels; 0 = the mode's size. A size
	 * given here counts as the user's: mode switches keep it. */
	uint32_t width;
	uint32_t height;
	/* Optional close notification, see sdl_window_close_fn. */
	sdl_window_close_fn *on_close;
	void *opaque;
	/* Log sink for the window's error lines (without newline; "NAME: what
	 * failed"), called on the SDL or render thread. NULL = stderr with an
	 * "sdl: " prefix. */
	void (*log)(void *opaque, const char *line);
	void *log_opaque;
};

/* Fills cfg with the defaults (close_quits = true, the rest off/0). */
void sdl_window_config_init(struct sdl_window_config *cfg);

/*
 * Opens a window for fb and registers it as fb's listener (the picture
 * arrives on the render thread's next tick). cfg may be NULL for defaults.
 * NULL+errno: ENODEV when there is no display (SDL cannot start video),
 * EIO when SDL cannot create the window or renderer, ENOMEM, EAGAIN; then
 * sdl_window_strerror() holds a message for the user. Never crashes without
 * a display. Any thread except the SDL thread (i.e. not from on_close).
 */
struct sdl_window *sdl_window_new(struct fb_device *fb, const struct sdl_window_config *cfg);
/* Unregisters from fb, closes the window; the last one stops SDL. NULL ok.
 * Not from on_close. */
void sdl_window_free(struct sdl_window *w);
/* The message of the last failed sdl_window_new on this thread. */
const char *sdl_window_strerror(void);

/* True once the user has closed the window (whatever close_quits says). */
bool sdl_window_closed(const struct sdl_window *w);
/* The SDL window ID (SDL_GetWindowID), e.g. for injected events. */
uint32_t sdl_window_id(const struct sdl_window *w);

/* Waits until the SDL thread has uploaded and presented everything handed
 * over so far (and handled every SDL event queued before the call). 0 or
 * -ETIMEDOUT / -EAGAIN. */
int sdl_window_flush(struct sdl_window *w, unsigned timeout_ms);

/*
 * Reads back what the window shows (SDL_RenderReadPixels after rendering
 * pending updates): *pixels is malloc'ed x8r8g8b8 of the renderer's output
 * size, stride = width * 4. 0 or -errno.
 */
int sdl_window_screenshot(struct sdl_window *w, uint32_t **pixels, uint32_t *width,
			  uint32_t *height, unsigned timeout_ms);

/* Where the picture is drawn inside the window after scaling and
 * letterboxing, as SDL reports it (SDL_RenderLogicalToWindow of the picture's
 * corners): window coordinates, those of mouse events (renderer output
 * pixels divided by the screen's high-DPI factor). */
struct sdl_window_layout {
	int x, y, w, h;
};
int sdl_window_get_layout(struct sdl_window *w, struct sdl_window_layout *out, unsigned timeout_ms);

/* Monotonic counters, any thread. */
struct sdl_window_stats {
	uint64_t updates;	 /* update() calls from the render thread */
	uint64_t switches;	 /* switch_surface() calls */
	uint64_t uploads;	 /* SDL_UpdateTexture calls */
	uint64_t upload_bytes;	 /* bytes passed to SDL_UpdateTexture */
	uint64_t presents;	 /* SDL_RenderPresent calls */
	uint64_t coalesced;	 /* updates merged into a later present */
	uint64_t keys;		 /* key events sent to the guest */
	uint64_t pointer_events; /* pointer events sent to the guest */
	uint64_t mode_requests;	 /* fb_request_mode calls from resizes */
	uint64_t wake_retries;	 /* wakes that found SDL's event queue full and
				  * were delivered later by the SDL thread */
	uint64_t cursors;	 /* guest cursors set as SDL's (SDL_SetCursor) */
	uint64_t cursor_errors;	 /* guest cursors the video driver refused */
};
void sdl_window_get_stats(const struct sdl_window *w, struct sdl_window_stats *st);

#endif
