/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdl/sdl-window-input.c - a window's SDL events on the SDL thread: keys and
 * pointer to the guest, hotkeys (Ctrl+Alt+G grab, Ctrl+Alt+F fullscreen),
 * resizes, closing, and the render thread's wake events.
 */
#include "sdl/sdl-keymap.h"
#include "sdl/sdl-window-internal.h"

/* RFB pointer button bits (fb.h). */
#define RFB_BUTTON_LEFT (1u << 0)
#define RFB_BUTTON_MIDDLE (1u << 1)
#define RFB_BUTTON_RIGHT (1u << 2)
#define RFB_WHEEL_UP (1u << 3)
#define RFB_WHEEL_DOWN (1u << 4)
#define RFB_WHEEL_LEFT (1u << 5)
#define RFB_WHEEL_RIGHT (1u << 6)

static void send_key(struct sdl_window *w, uint32_t keysym, bool down)
{
	fb_input_key(w->fb, keysym, down);
	atomic_fetch_add(&w->stats.keys, 1);
}

/* Sends the last pointer position with these buttons. Nothing before the
 * first picture: there is no mode to point into yet. */
static void send_pointer(struct sdl_window *w, uint32_t buttons)
{
	if (!w->tex_mode.width || !w->tex_mode.height)
		return;
	fb_input_pointer(w->fb, w->pointer_x, w->pointer_y, buttons);
	atomic_fetch_add(&w->stats.pointer_events, 1);
}

static int clamp_axis(int v, uint32_t size)
{
	if (v < 0 || size == 0)
		return 0;
	return (uint32_t)v >= size ? (int)size - 1 : v;
}

/*
 * A mouse event at (x, y): SDL has already mapped it through the logical
 * size into guest pixels (scaling, letterboxing and high-DPI undone, see
 * SDL_RenderSetLogicalSize). Over the bars it lies outside the mode; such a
 * point goes to the picture's nearest edge, so the pointer can still reach
 * the guest's edges and a drag leaving the picture keeps its buttons.
 */
static void send_pointer_at(struct sdl_window *w, int x, int y, uint32_t buttons)
{
	w->pointer_x = clamp_axis(x, w->tex_mode.width);
	w->pointer_y = clamp_axis(y, w->tex_mode.height);
	send_pointer(w, buttons);
}

/* Releases every key and button the guest believes held (focus lost). */
static void release_all(struct sdl_window *w)
{
	for (size_t i = 0; i < SDL_arraysize(w->key_down); i++) {
		if (w->key_down[i]) {
			send_key(w, w->key_down[i], false);
			w->key_down[i] = 0;
		}
	}
	if (w->buttons) {
		w->buttons = 0;
		send_pointer(w, 0);
	}
}

static void toggle_grab(struct sdl_window *w)
{
	w->grabbed = !w->grabbed;
	SDL_SetWindowGrab(w->win, w->grabbed ? SDL_TRUE : SDL_FALSE);
	sdl_window_frame_set_title(w);
}

/* Ctrl+Alt+F. Leaving fullscreen restores the window's size from before
 * (some drivers do not), and neither change counts as a user resize. */
static void toggle_fullscreen(struct sdl_window *w)
{
	if (!w->fullscreen) {
		SDL_GetWindowSize(w->win, &w->windowed_w, &w->windowed_h);
		if (SDL_SetWindowFullscreen(w->win, SDL_WINDOW_FULLSCREEN_DESKTOP))
			return;
		w->fullscreen = true;
	} else {
		if (SDL_SetWindowFullscreen(w->win, 0))
			return;
		w->fullscreen = false;
		if (w->windowed_w > 0 && w->windowed_h > 0) {
			w->expect_w = w->windowed_w;
			w->expect_h = w->windowed_h;
			SDL_SetWindowSize(w->win, w->windowed_w, w->windowed_h);
		}
	}
	sdl_window_frame_present(w);
}

static void handle_key(struct sdl_window *w, const SDL_KeyboardEvent *k)
{
	bool down = k->type == SDL_KEYDOWN;
	SDL_Scancode sc = k->keysym.scancode;
	SDL_Keycode sym = k->keysym.sym;
	uint16_t mod = k->keysym.mod;
	/* Keys without a scancode cannot be tracked from press to release. */
	bool tracked = sc > SDL_SCANCODE_UNKNOWN && sc < SDL_NUM_SCANCODES;

	if (!down) {
		uint32_t keysym = tracked ? w->key_down[sc] : sdl_keymap_keysym(sym, mod);
		if (tracked)
			w->key_down[sc] = 0;
		if (keysym)
			send_key(w, keysym, false);
		return;
	}
	if ((mod & KMOD_CTRL) && (mod & KMOD_ALT) && (sym == SDLK_g || sym == SDLK_f)) {
		/* A hotkey: the guest sees neither its press nor release. */
		if (!k->repeat) {
			if (sym == SDLK_g)
				toggle_grab(w);
			else
				toggle_fullscreen(w);
		}
		if (tracked)
			w->key_down[sc] = 0;
		return;
	}
	uint32_t keysym = sdl_keymap_keysym(sym, mod);
	if (!keysym)
		return;
	if (tracked) {
		/* A repeat keeps the keysym of the first press. */
		if (w->key_down[sc])
			keysym = w->key_down[sc];
		w->key_down[sc] = keysym;
	}
	send_key(w, keysym, true);
}

static uint32_t button_bit(uint8_t button)
{
	switch (button) {
	case SDL_BUTTON_LEFT:
		return RFB_BUTTON_LEFT;
	case SDL_BUTTON_MIDDLE:
		return RFB_BUTTON_MIDDLE;
	case SDL_BUTTON_RIGHT:
		return RFB_BUTTON_RIGHT;
	default:
		return 0;
	}
}

/* A wheel step is a press and release of a wheel button, as in RFB. */
static void wheel_clicks(struct sdl_window *w, int32_t steps, uint32_t neg, uint32_t pos)
{
	uint32_t bit = steps < 0 ? neg : pos;
	int32_t n = steps < 0 ? -steps : steps;

	if (n > SDL_WINDOW_MAX_WHEEL_CLICKS)
		n = SDL_WINDOW_MAX_WHEEL_CLICKS;
	for (int32_t i = 0; i < n; i++) {
		send_pointer(w, w->buttons | bit);
		send_pointer(w, w->buttons);
	}
}

static void handle_wheel(struct sdl_window *w, const SDL_MouseWheelEvent *e)
{
	int32_t y = e->y, x = e->x;

	if (e->direction == SDL_MOUSEWHEEL_FLIPPED) {
		y = -y;
		x = -x;
	}
	wheel_clicks(w, y, RFB_WHEEL_DOWN, RFB_WHEEL_UP);
	wheel_clicks(w, x, RFB_WHEEL_LEFT, RFB_WHEEL_RIGHT);
}

static void handle_close(struct sdl_window *w)
{
	if (atomic_exchange(&w->closed, true))
		return;
	if (w->grabbed)
		toggle_grab(w);
	release_all(w);
	if (!w->cfg.close_quits) {
		SDL_HideWindow(w->win);
		w->hidden = true;
	}
	if (w->cfg.on_close)
		w->cfg.on_close(w->cfg.opaque, w, w->cfg.close_quits);
}

/* The user (or window manager) resized the window to width x height. */
static void handle_resized(struct sdl_window *w, int width, int height)
{
	if (w->fullscreen || (width == w->expect_w && height == w->expect_h))
		return; /* fullscreen, or the size we asked for ourselves */
	w->user_resized = true;
	w->expect_w = w->expect_h = 0;
	if (!w->cfg.allow_resize_request || width <= 0 || height <= 0)
		return;
	if ((uint32_t)width == w->tex_mode.width && (uint32_t)height == w->tex_mode.height)
		return;
	atomic_fetch_add(&w->stats.mode_requests, 1);
	fb_request_mode(w->fb, (uint32_t)width, (uint32_t)height);
}

static void handle_window_event(struct sdl_window *w, const SDL_WindowEvent *e)
{
	switch (e->event) {
	case SDL_WINDOWEVENT_CLOSE:
		handle_close(w);
		break;
	case SDL_WINDOWEVENT_RESIZED:
		handle_resized(w, e->data1, e->data2);
		sdl_window_frame_present(w);
		break;
	case SDL_WINDOWEVENT_SIZE_CHANGED:
	case SDL_WINDOWEVENT_EXPOSED:
	case SDL_WINDOWEVENT_SHOWN:
	case SDL_WINDOWEVENT_RESTORED:
		sdl_window_frame_present(w);
		break;
	case SDL_WINDOWEVENT_FOCUS_LOST:
		release_all(w);
		break;
	case SDL_WINDOWEVENT_ENTER:
		sdl_window_cursor_enter(w); /* SDL's cursor is one for all windows */
		break;
	default:
		break;
	}
}

void sdl_window_handle_event(struct sdl_thread_client *c, const SDL_Event *ev)
{
	struct sdl_window *w = sdl_window_of(c, client);

	if (ev->type == sdl_thread_wake_type()) {
		/* Cleared first: an update after this point queues a new wake. Not
		 * owed (a flush or screenshot took the hand-over since, or the SDL
		 * thread's retry of another window's lost wake): nothing to show. */
		if (atomic_exchange(&w->wake_pending, false))
			sdl_window_frame_present(w);
		return;
	}
	if (w->hidden)
		return;
	switch (ev->type) {
	case SDL_WINDOWEVENT:
		handle_window_event(w, &ev->window);
		break;
	case SDL_KEYDOWN:
	case SDL_KEYUP:
		handle_key(w, &ev->key);
		break;
	case SDL_MOUSEMOTION:
		send_pointer_at(w, ev->motion.x, ev->motion.y, w->buttons);
		break;
	case SDL_MOUSEBUTTONDOWN:
		w->buttons |= button_bit(ev->button.button);
		send_pointer_at(w, ev->button.x, ev->button.y, w->buttons);
		break;
	case SDL_MOUSEBUTTONUP:
		w->buttons &= ~button_bit(ev->button.button);
		send_pointer_at(w, ev->button.x, ev->button.y, w->buttons);
		break;
	case SDL_MOUSEWHEEL:
		handle_wheel(w, &ev->wheel);
		break;
	default:
		break;
	}
}
