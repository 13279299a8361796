/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/sdl/test-sdl-input.c - SDL events injected into a window (offscreen
 * driver) reach the guest's input handler: keysyms with down/up, RFB button
 * masks, guest coordinates under 2x integer scaling and fractional scaling
 * with letterboxing (SDL's logical size: the layout SDL reports and where its
 * mapping puts the pointer, bars clamped to the edge), integer scaling that
 * shrinks rather than crops and follows mode switches, hotkeys kept from the
 * guest, resize requests (opt-in) and closing (quit, or hide with close_quits
 * off).
 */
#include <X11/keysym.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL.h>
#include <cmocka.h>

#include "sdl-test-util.h"
#include "sdl/sdl-window.h"

/* What the guest's input handler saw; under ev_lock (handler callbacks run
 * on the SDL thread). */
#define MAX_EVENTS 256
enum ev_kind { EV_KEY, EV_POINTER, EV_MODE };
struct guest_event {
	enum ev_kind kind;
	uint32_t keysym;
	bool down;
	int x, y;
	uint32_t buttons;
};
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct guest_event events[MAX_EVENTS];
static size_t nevents;

/* Close notifications; under ev_lock. */
static unsigned closes;
static bool close_quit;

static void push_guest(struct guest_event e)
{
	pthread_mutex_lock(&ev_lock);
	if (nevents < MAX_EVENTS)
		events[nevents++] = e;
	pthread_mutex_unlock(&ev_lock);
}

static void on_key(void *opaque, uint32_t keysym, bool down)
{
	push_guest((struct guest_event){ .kind = EV_KEY, .keysym = keysym, .down = down });
}

static void on_pointer(void *opaque, int x, int y, uint32_t buttons)
{
	push_guest((struct guest_event){ .kind = EV_POINTER, .x = x, .y = y, .buttons = buttons });
}

static int on_mode_request(void *opaque, uint32_t width, uint32_t height)
{
	push_guest((struct guest_event){ .kind = EV_MODE, .x = (int)width, .y = (int)height });
	return -EBUSY;
}

static const struct fb_input_ops input_ops = {
	.key = on_key,
	.pointer = on_pointer,
	.mode_request = on_mode_request,
};

static void on_close(void *opaque, struct sdl_window *w, bool quit)
{
	pthread_mutex_lock(&ev_lock);
	closes++;
	close_quit = quit;
	pthread_mutex_unlock(&ev_lock);
}

/* Takes what the handler recorded (after a flush) into out; returns count. */
static size_t take_events(struct guest_event *out)
{
	pthread_mutex_lock(&ev_lock);
	size_t n = nevents;
	memcpy(out, events, n * sizeof(*out));
	nevents = 0;
	pthread_mutex_unlock(&ev_lock);
	return n;
}

static void push(SDL_Event *ev)
{
	assert_int_equal(SDL_PushEvent(ev), 1);
}

static void push_key(struct sdl_window *w, bool down, SDL_Keycode sym, SDL_Scancode sc,
		     uint16_t mod)
{
	SDL_Event ev = { 0 };
	ev.type = down ? SDL_KEYDOWN : SDL_KEYUP;
	ev.key.windowID = sdl_window_id(w);
	ev.key.state = down ? SDL_PRESSED : SDL_RELEASED;
	ev.key.keysym.sym = sym;
	ev.key.keysym.scancode = sc;
	ev.key.keysym.mod = mod;
	push(&ev);
}

static void push_motion(struct sdl_window *w, int x, int y)
{
	SDL_Event ev = { 0 };
	ev.type = SDL_MOUSEMOTION;
	ev.motion.windowID = sdl_window_id(w);
	ev.motion.x = x;
	ev.motion.y = y;
	push(&ev);
}

static void push_button(struct sdl_window *w, bool down, uint8_t button, int x, int y)
{
	SDL_Event ev = { 0 };
	ev.type = down ? SDL_MOUSEBUTTONDOWN : SDL_MOUSEBUTTONUP;
	ev.button.windowID = sdl_window_id(w);
	ev.button.button = button;
	ev.button.state = down ? SDL_PRESSED : SDL_RELEASED;
	ev.button.clicks = 1;
	ev.button.x = x;
	ev.button.y = y;
	push(&ev);
}

static void push_wheel(struct sdl_window *w, int dy)
{
	SDL_Event ev = { 0 };
	ev.type = SDL_MOUSEWHEEL;
	ev.wheel.windowID = sdl_window_id(w);
	ev.wheel.y = dy;
	ev.wheel.direction = SDL_MOUSEWHEEL_NORMAL;
	push(&ev);
}

static void push_window_event(struct sdl_window *w, uint8_t event, int d1, int d2)
{
	SDL_Event ev = { 0 };
	ev.type = SDL_WINDOWEVENT;
	ev.window.windowID = sdl_window_id(w);
	ev.window.event = event;
	ev.window.data1 = d1;
	ev.window.data2 = d2;
	push(&ev);
}

static void assert_key(const struct guest_event *e, uint32_t keysym, bool down)
{
	assert_int_equal(e->kind, EV_KEY);
	assert_int_equal(e->keysym, keysym);
	assert_int_equal(e->down, down);
}

static void assert_pointer(const struct guest_event *e, int x, int y, uint32_t buttons)
{
	assert_int_equal(e->kind, EV_POINTER);
	assert_int_equal(e->x, x);
	assert_int_equal(e->y, y);
	assert_int_equal(e->buttons, buttons);
}

/* A 100x50 guest in a window of 250x150 screen pixels. */
static struct sdl_window *open_window(struct sdl_test_fb *t, bool integer_scale, bool allow_resize,
				      bool close_quits)
{
	struct sdl_window_config cfg;

	sdl_test_fb_init(t, "input", 100, 50, PIXMAN_x8r8g8b8);
	fb_set_input_handler(t->fb, &input_ops, NULL);
	sdl_window_config_init(&cfg);
	cfg.width = 250;
	cfg.height = 150;
	cfg.integer_scale = integer_scale;
	cfg.allow_resize_request = allow_resize;
	cfg.close_quits = close_quits;
	cfg.on_close = on_close;
	struct sdl_window *w = sdl_window_new(t->fb, &cfg);
	assert_non_null(w);
	sdl_test_settle(t);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	struct guest_event drop[MAX_EVENTS];
	take_events(drop); /* whatever the offscreen driver's own events caused */
	return w;
}

static void close_window(struct sdl_test_fb *t, struct sdl_window *w)
{
	sdl_window_free(w);
	sdl_test_fb_fini(t);
}

static void test_keys(void **state)
{
	struct sdl_test_fb t;
	struct guest_event got[MAX_EVENTS];
	struct sdl_window *w = open_window(&t, true, false, true);

	push_key(w, true, SDLK_a, SDL_SCANCODE_A, KMOD_NONE);
	push_key(w, false, SDLK_a, SDL_SCANCODE_A, KMOD_NONE);
	push_key(w, true, SDLK_LSHIFT, SDL_SCANCODE_LSHIFT, KMOD_LSHIFT);
	push_key(w, true, SDLK_a, SDL_SCANCODE_A, KMOD_LSHIFT);
	push_key(w, false, SDLK_LSHIFT, SDL_SCANCODE_LSHIFT, KMOD_NONE);
	/* Released after Shift: the release repeats the press's keysym. */
	push_key(w, false, SDLK_a, SDL_SCANCODE_A, KMOD_NONE);
	push_key(w, true, SDLK_RETURN, SDL_SCANCODE_RETURN, KMOD_NONE);
	push_key(w, false, SDLK_RETURN, SDL_SCANCODE_RETURN, KMOD_NONE);
	push_key(w, true, SDLK_F5, SDL_SCANCODE_F5, KMOD_NONE);
	push_key(w, false, SDLK_F5, SDL_SCANCODE_F5, KMOD_NONE);
	push_key(w, true, SDLK_LEFT, SDL_SCANCODE_LEFT, KMOD_NONE);
	push_key(w, false, SDLK_LEFT, SDL_SCANCODE_LEFT, KMOD_NONE);
	push_key(w, true, SDLK_7, SDL_SCANCODE_7, KMOD_NONE);
	push_key(w, false, SDLK_7, SDL_SCANCODE_7, KMOD_NONE);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);

	size_t n = take_events(got);
	assert_int_equal(n, 14);
	assert_key(&got[0], XK_a, true);
	assert_key(&got[1], XK_a, false);
	assert_key(&got[2], XK_Shift_L, true);
	assert_key(&got[3], XK_A, true);
	assert_key(&got[4], XK_Shift_L, false);
	assert_key(&got[5], XK_A, false);
	assert_key(&got[6], XK_Return, true);
	assert_key(&got[7], XK_Return, false);
	assert_key(&got[8], XK_F5, true);
	assert_key(&got[9], XK_F5, false);
	assert_key(&got[10], XK_Left, true);
	assert_key(&got[11], XK_Left, false);
	assert_key(&got[12], XK_7, true);
	assert_key(&got[13], XK_7, false);

	/* Ctrl+Alt+G and Ctrl+Alt+F are the viewer's: only the modifiers pass. */
	uint16_t ca = KMOD_LCTRL | KMOD_LALT;
	push_key(w, true, SDLK_LCTRL, SDL_SCANCODE_LCTRL, KMOD_LCTRL);
	push_key(w, true, SDLK_LALT, SDL_SCANCODE_LALT, ca);
	push_key(w, true, SDLK_g, SDL_SCANCODE_G, ca);
	push_key(w, false, SDLK_g, SDL_SCANCODE_G, ca);
	push_key(w, true, SDLK_g, SDL_SCANCODE_G, ca); /* release the grab again */
	push_key(w, false, SDLK_g, SDL_SCANCODE_G, ca);
	push_key(w, false, SDLK_LALT, SDL_SCANCODE_LALT, KMOD_LCTRL);
	push_key(w, false, SDLK_LCTRL, SDL_SCANCODE_LCTRL, KMOD_NONE);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	n = take_events(got);
	assert_int_equal(n, 4);
	assert_key(&got[0], XK_Control_L, true);
	assert_key(&got[1], XK_Alt_L, true);
	assert_key(&got[2], XK_Alt_L, false);
	assert_key(&got[3], XK_Control_L, false);

	/* Focus lost with a key held: the guest gets the release. */
	push_key(w, true, SDLK_b, SDL_SCANCODE_B, KMOD_NONE);
	push_window_event(w, SDL_WINDOWEVENT_FOCUS_LOST, 0, 0);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	n = take_events(got);
	assert_int_equal(n, 2);
	assert_key(&got[0], XK_b, true);
	assert_key(&got[1], XK_b, false);
	close_window(&t, w);
}

static void test_pointer_integer_2x(void **state)
{
	struct sdl_test_fb t;
	struct guest_event got[MAX_EVENTS];
	struct sdl_window_layout l;
	struct sdl_window *w = open_window(&t, true, false, true);

	/* 100x50 at 2x in 250x150: 25 px bars all round. */
	assert_int_equal(sdl_window_get_layout(w, &l, SDL_TEST_TIMEOUT_MS), 0);
	assert_int_equal(l.x, 25);
	assert_int_equal(l.y, 25);
	assert_int_equal(l.w, 200);
	assert_int_equal(l.h, 100);

	push_motion(w, 25 + 2 * 10 + 1, 25 + 2 * 20);
	push_button(w, true, SDL_BUTTON_LEFT, 25 + 2 * 99 + 1, 25 + 2 * 49 + 1);
	push_button(w, true, SDL_BUTTON_RIGHT, 25 + 2 * 99 + 1, 25 + 2 * 49 + 1);
	push_button(w, false, SDL_BUTTON_LEFT, 25 + 2 * 99 + 1, 25 + 2 * 49 + 1);
	push_button(w, false, SDL_BUTTON_RIGHT, 30, 30);
	push_button(w, true, SDL_BUTTON_MIDDLE, 5, 140); /* in the bars: clamped */
	push_button(w, false, SDL_BUTTON_MIDDLE, 249, 0);
	push_wheel(w, 1);
	push_wheel(w, -2);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);

	size_t n = take_events(got);
	assert_int_equal(n, 13);
	assert_pointer(&got[0], 10, 20, 0);
	assert_pointer(&got[1], 99, 49, 1);
	assert_pointer(&got[2], 99, 49, 1 | 4);
	assert_pointer(&got[3], 99, 49, 4);
	assert_pointer(&got[4], 2, 2, 0);
	assert_pointer(&got[5], 0, 49, 2);
	assert_pointer(&got[6], 99, 0, 0);
	/* Wheel: a press and release of button 4 (up), twice button 5 (down). */
	assert_pointer(&got[7], 99, 0, 8);
	assert_pointer(&got[8], 99, 0, 0);
	assert_pointer(&got[9], 99, 0, 16);
	assert_pointer(&got[10], 99, 0, 0);
	assert_pointer(&got[11], 99, 0, 16);
	assert_pointer(&got[12], 99, 0, 0);

	struct sdl_window_stats st;
	sdl_window_get_stats(w, &st);
	assert_true(st.pointer_events >= 13);
	close_window(&t, w);
}

static void test_pointer_fractional(void **state)
{
	struct sdl_test_fb t;
	struct guest_event got[MAX_EVENTS];
	struct sdl_window_layout l;
	struct sdl_window *w = open_window(&t, false, false, true);

	/* 2.5x: 250x125, bars of 12 px above and 13 below. */
	assert_int_equal(sdl_window_get_layout(w, &l, SDL_TEST_TIMEOUT_MS), 0);
	assert_int_equal(l.x, 0);
	assert_int_equal(l.y, 12);
	assert_int_equal(l.w, 250);
	assert_int_equal(l.h, 125);
	push_motion(w, 125, 12 + 62);
	push_motion(w, 0, 12);
	push_motion(w, 249, 12 + 124);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	size_t n = take_events(got);
	assert_int_equal(n, 3);
	assert_pointer(&got[0], 50, 24, 0);
	assert_pointer(&got[1], 0, 0, 0);
	assert_pointer(&got[2], 99, 49, 0);
	close_window(&t, w);
}

/* A window of win_w x win_h for a mode_w x mode_h guest; the layout SDL
 * reports must be (x, y, w, h). */
static struct sdl_window *open_sized(struct sdl_test_fb *t, uint32_t mode_w, uint32_t mode_h,
				     uint32_t win_w, uint32_t win_h, bool integer_scale)
{
	struct sdl_window_config cfg;

	sdl_test_fb_init(t, "layout", mode_w, mode_h, PIXMAN_x8r8g8b8);
	fb_set_input_handler(t->fb, &input_ops, NULL);
	sdl_window_config_init(&cfg);
	cfg.width = win_w;
	cfg.height = win_h;
	cfg.integer_scale = integer_scale;
	struct sdl_window *w = sdl_window_new(t->fb, &cfg);
	assert_non_null(w);
	sdl_test_settle(t);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	struct guest_event drop[MAX_EVENTS];
	take_events(drop);
	return w;
}

static void assert_layout(struct sdl_window *w, int x, int y, int width, int height)
{
	struct sdl_window_layout l;

	assert_int_equal(sdl_window_get_layout(w, &l, SDL_TEST_TIMEOUT_MS), 0);
	fprintf(stderr, "layout %d,%d %dx%d\n", l.x, l.y, l.w, l.h);
	assert_int_equal(l.x, x);
	assert_int_equal(l.y, y);
	assert_int_equal(l.w, width);
	assert_int_equal(l.h, height);
}

static void test_layouts(void **state)
{
	struct sdl_test_fb t;
	struct guest_event got[MAX_EVENTS];

	/* Narrower than the window: bars left and right. */
	struct sdl_window *w = open_sized(&t, 100, 100, 300, 200, false);
	assert_layout(w, 50, 0, 200, 200);
	push_motion(w, 50 + 2 * 30 + 1, 2 * 70 + 1);
	push_motion(w, 10, 100);  /* left bar */
	push_motion(w, 290, 100); /* right bar */
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	assert_int_equal(take_events(got), 3);
	assert_pointer(&got[0], 30, 70, 0);
	assert_pointer(&got[1], 0, 50, 0);
	assert_pointer(&got[2], 99, 50, 0);
	close_window(&t, w);

	/* Same aspect at 1:1 and 2x: no bars. */
	w = open_sized(&t, 100, 50, 100, 50, true);
	assert_layout(w, 0, 0, 100, 50);
	close_window(&t, w);
	w = open_sized(&t, 100, 50, 200, 100, true);
	assert_layout(w, 0, 0, 200, 100);
	close_window(&t, w);

	/* Integer scaling in a window smaller than the mode: scaled down
	 * keeping the aspect (0.5x, bars above and below), not cropped. */
	w = open_sized(&t, 200, 150, 100, 100, true);
	assert_layout(w, 0, 12, 100, 75);
	push_motion(w, 50, 12 + 37);
	push_button(w, true, SDL_BUTTON_LEFT, 99, 12 + 74);
	push_button(w, false, SDL_BUTTON_LEFT, 0, 99); /* bottom bar */
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	assert_int_equal(take_events(got), 3);
	assert_pointer(&got[0], 100, 74, 0);
	assert_pointer(&got[1], 198, 148, 1);
	assert_pointer(&got[2], 0, 149, 0);

	/* A mode switch sets SDL's logical size again: the window is the
	 * user's (configured size) and now has room for 2x. */
	struct fb_mode m = { 40, 30, 0, PIXMAN_x8r8g8b8 };
	assert_int_equal(fb_set_mode(t.fb, &m), 0);
	sdl_test_settle(&t);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	assert_layout(w, 10, 20, 80, 60);
	push_motion(w, 10 + 2 * 39 + 1, 20);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	assert_int_equal(take_events(got), 1);
	assert_pointer(&got[0], 39, 0, 0);
	close_window(&t, w);
}

static void test_fullscreen_hotkey(void **state)
{
	struct sdl_test_fb t;
	struct guest_event got[MAX_EVENTS];
	struct sdl_window_layout before, full, after;
	struct sdl_window *w = open_window(&t, false, true, true);
	uint16_t ca = KMOD_LCTRL | KMOD_LALT;

	assert_int_equal(sdl_window_get_layout(w, &before, SDL_TEST_TIMEOUT_MS), 0);
	push_key(w, true, SDLK_f, SDL_SCANCODE_F, ca);
	push_key(w, false, SDLK_f, SDL_SCANCODE_F, ca);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	assert_int_equal(sdl_window_get_layout(w, &full, SDL_TEST_TIMEOUT_MS), 0);
	fprintf(stderr, "fullscreen layout %d,%d %dx%d\n", full.x, full.y, full.w, full.h);
	/* The desktop's size, the aspect kept; no key and no mode request. */
	assert_true(full.w != before.w || full.h != before.h);
	assert_true(abs(full.w - 2 * full.h) <= 1);
	assert_int_equal(take_events(got), 0);

	push_key(w, true, SDLK_f, SDL_SCANCODE_F, ca);
	push_key(w, false, SDLK_f, SDL_SCANCODE_F, ca);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	assert_int_equal(sdl_window_get_layout(w, &after, SDL_TEST_TIMEOUT_MS), 0);
	assert_memory_equal(&after, &before, sizeof(before));
	assert_int_equal(take_events(got), 0);
	close_window(&t, w);
}

static void test_resize_request(void **state)
{
	struct sdl_test_fb t;
	struct guest_event got[MAX_EVENTS];

	/* Off by default: a user resize asks the guest nothing. */
	struct sdl_window *w = open_window(&t, false, false, true);
	push_window_event(w, SDL_WINDOWEVENT_RESIZED, 300, 200);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	assert_int_equal(take_events(got), 0);
	close_window(&t, w);

	/* Opted in: the guest is asked for the window's size. */
	w = open_window(&t, false, true, true);
	push_window_event(w, SDL_WINDOWEVENT_RESIZED, 300, 200);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	size_t n = take_events(got);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].kind, EV_MODE);
	assert_int_equal(got[0].x, 300);
	assert_int_equal(got[0].y, 200);
	struct sdl_window_stats st;
	sdl_window_get_stats(w, &st);
	assert_int_equal(st.mode_requests, 1);
	close_window(&t, w);
}

/* Screenshot size: the renderer's output, i.e. the window's size. */
static void window_size(struct sdl_window *w, uint32_t *width, uint32_t *height)
{
	uint32_t *px;

	assert_int_equal(sdl_window_screenshot(w, &px, width, height, SDL_TEST_TIMEOUT_MS), 0);
	free(px);
}

static void test_window_follows_mode(void **state)
{
	struct sdl_test_fb t;
	uint32_t ww, wh;

	/* A window of the mode's size follows mode switches... */
	sdl_test_fb_init(&t, "follow", 100, 50, PIXMAN_x8r8g8b8);
	struct sdl_window *w = sdl_window_new(t.fb, NULL);
	assert_non_null(w);
	sdl_test_settle(&t);
	window_size(w, &ww, &wh);
	assert_int_equal(ww, 100);
	assert_int_equal(wh, 50);
	struct fb_mode m = { 120, 60, 0, PIXMAN_x8r8g8b8 };
	assert_int_equal(fb_set_mode(t.fb, &m), 0);
	sdl_test_settle(&t);
	window_size(w, &ww, &wh);
	assert_int_equal(ww, 120);
	assert_int_equal(wh, 60);

	/* ...until the user resizes it. */
	push_window_event(w, SDL_WINDOWEVENT_RESIZED, 300, 200);
	m.width = 140;
	m.height = 70;
	assert_int_equal(fb_set_mode(t.fb, &m), 0);
	sdl_test_settle(&t);
	window_size(w, &ww, &wh);
	assert_int_equal(ww, 120);
	assert_int_equal(wh, 60);
	close_window(&t, w);
}

static void test_close(void **state)
{
	struct sdl_test_fb t;
	struct guest_event got[MAX_EVENTS];

	/* Default: closing asks the program to quit. */
	struct sdl_window *w = open_window(&t, false, false, true);
	pthread_mutex_lock(&ev_lock);
	closes = 0;
	pthread_mutex_unlock(&ev_lock);
	assert_false(sdl_window_closed(w));
	push_window_event(w, SDL_WINDOWEVENT_CLOSE, 0, 0);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	assert_true(sdl_window_closed(w));
	pthread_mutex_lock(&ev_lock);
	assert_int_equal(closes, 1);
	assert_true(close_quit);
	pthread_mutex_unlock(&ev_lock);
	close_window(&t, w);

	/* -no-quit: the window goes away, input stops, the program goes on. */
	w = open_window(&t, false, false, false);
	pthread_mutex_lock(&ev_lock);
	closes = 0;
	pthread_mutex_unlock(&ev_lock);
	push_window_event(w, SDL_WINDOWEVENT_CLOSE, 0, 0);
	push_key(w, true, SDLK_x, SDL_SCANCODE_X, KMOD_NONE);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	assert_true(sdl_window_closed(w));
	pthread_mutex_lock(&ev_lock);
	assert_int_equal(closes, 1);
	assert_false(close_quit);
	pthread_mutex_unlock(&ev_lock);
	assert_int_equal(take_events(got), 0);
	/* The guest keeps drawing; nothing breaks. */
	sdl_test_draw_pattern(&t, 5);
	sdl_test_settle(&t);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	close_window(&t, w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_pointer_integer_2x),
		cmocka_unit_test(test_pointer_fractional),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_fullscreen_hotkey),
		cmocka_unit_test(test_resize_request),
		cmocka_unit_test(test_window_follows_mode),
		cmocka_unit_test(test_close),
	};
	sdl_test_use_offscreen();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
