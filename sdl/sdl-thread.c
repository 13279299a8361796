/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdl/sdl-thread.c - the thread that owns SDL's video subsystem: startup and
 * shutdown, the event loop, cross-thread calls and per-window dispatch.
 */
#include "sdl/sdl-thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fb/clock.h"

/* Key under which a window's struct sdl_thread_client is stored. */
#define SDL_THREAD_CLIENT_KEY "fbhost-sdl-client"

/* A function run on the SDL thread for another thread. Heap-allocated with
 * two references (caller, SDL thread); every field is under call_lock. */
enum call_state { CALL_PENDING, CALL_RUNNING, CALL_DONE, CALL_CANCELLED };
struct sdl_call {
	void (*fn)(void *arg);
	void *arg;
	enum call_state state;
	unsigned refs;
};

/* Startup handshake between sdl_thread_acquire and the new thread; every
 * field is under the handshake's own lock. */
struct sdl_startup {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	int rc;
	char err[SDL_THREAD_ERR_BYTES];
};

/* Users and the thread handle: under users_lock, which is held across a
 * whole start or stop so that the two never overlap. */
static pthread_mutex_t users_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned users;
static pthread_t sdl_tid;

/* Every struct sdl_call field; call_done (on CLOCK_MONOTONIC, set up once
 * by call_done_init) is broadcast when a call ends. */
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t call_done;
static pthread_once_t call_done_once = PTHREAD_ONCE_INIT;

static void call_done_init(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&call_done, &attr);
	pthread_condattr_destroy(&attr);
}

/* Event types from SDL_RegisterEvents; written by the SDL thread before it
 * reports a successful start, read by others after; atomics for clarity. */
static _Atomic uint32_t call_type;
static _Atomic uint32_t wake_type;

/* Set by sdl_thread_wake when SDL's queue was full; cleared by the SDL thread
 * when it hands the clients their wakes. Atomic, any thread. */
static atomic_bool wake_retry;

/* SDL-thread-only state. */
static _Thread_local bool on_sdl_thread;
static bool quit_requested;
static struct sdl_thread_client *clients; /* attached, newest first */

bool sdl_thread_is_current(void)
{
	return on_sdl_thread;
}

uint32_t sdl_thread_wake_type(void)
{
	return atomic_load(&wake_type);
}

void sdl_thread_attach(SDL_Window *win, struct sdl_thread_client *c)
{
	SDL_SetWindowData(win, SDL_THREAD_CLIENT_KEY, c);
	c->next = clients;
	clients = c;
}

void sdl_thread_detach(SDL_Window *win, struct sdl_thread_client *c)
{
	SDL_SetWindowData(win, SDL_THREAD_CLIENT_KEY, NULL);
	for (struct sdl_thread_client **p = &clients; *p; p = &(*p)->next) {
		if (*p == c) {
			*p = c->next;
			break;
		}
	}
	c->next = NULL;
}

/* Hands every client a wake of the SDL thread's own after a wake event could
 * not be queued; clients ignore wakes they are not owed. */
static void retry_wakes(void)
{
	SDL_Event ev = { 0 };
	ev.type = atomic_load(&wake_type);
	for (struct sdl_thread_client *c = clients; c; c = c->next)
		c->event(c, &ev);
}

/* A failed SDL call records SDL's error message in the calling thread's SDL
 * TLS, which SDL frees only on its own threads: on others (render threads,
 * callers of sdl_thread_call) free it at once, or it leaks with the thread.
 * Failures are reported with errno, not SDL_GetError. */
static void drop_thread_error(void)
{
	if (!on_sdl_thread)
		SDL_TLSCleanup();
}

static void call_unref_locked(struct sdl_call *call)
{
	if (--call->refs == 0)
		free(call);
}

/* Runs (or drops, when cancelled) a call on the SDL thread. */
static void run_call(struct sdl_call *call)
{
	pthread_mutex_lock(&call_lock);
	if (call->state == CALL_CANCELLED) {
		call_unref_locked(call);
		pthread_mutex_unlock(&call_lock);
		return;
	}
	call->state = CALL_RUNNING;
	pthread_mutex_unlock(&call_lock);

	call->fn(call->arg);

	pthread_mutex_lock(&call_lock);
	call->state = CALL_DONE;
	pthread_once(&call_done_once, call_done_init);
	pthread_cond_broadcast(&call_done);
	call_unref_locked(call);
	pthread_mutex_unlock(&call_lock);
}

/* The window an event is addressed to, or 0. */
static uint32_t event_window_id(const SDL_Event *ev)
{
	switch (ev->type) {
	case SDL_WINDOWEVENT:
		return ev->window.windowID;
	case SDL_KEYDOWN:
	case SDL_KEYUP:
		return ev->key.windowID;
	case SDL_TEXTINPUT:
		return ev->text.windowID;
	case SDL_MOUSEMOTION:
		return ev->motion.windowID;
	case SDL_MOUSEBUTTONDOWN:
	case SDL_MOUSEBUTTONUP:
		return ev->button.windowID;
	case SDL_MOUSEWHEEL:
		return ev->wheel.windowID;
	default:
		if (ev->type == atomic_load(&wake_type))
			return ev->user.windowID;
		return 0;
	}
}

static void dispatch(const SDL_Event *ev)
{
	if (ev->type == atomic_load(&call_type)) {
		run_call(ev->user.data1);
		return;
	}
	uint32_t id = event_window_id(ev);
	if (!id)
		return;
	SDL_Window *win = SDL_GetWindowFromID(id);
	if (!win)
		return; /* already destroyed: a late wake or input event */
	struct sdl_thread_client *c = SDL_GetWindowData(win, SDL_THREAD_CLIENT_KEY);
	if (c)
		c->event(c, ev);
}

static void quit_fn(void *arg)
{
	quit_requested = true;
}

/* Initialises SDL video on this thread. 0 or -errno with st->err set. */
static int start_sdl(struct sdl_startup *st)
{
	/* The program owns SIGINT/SIGTERM, and closing a window is handled per
	 * window, never as a process-wide SDL_QUIT. */
	SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
	SDL_SetHint(SDL_HINT_QUIT_ON_LAST_WINDOW_CLOSE, "0");
	/* A viewer does not hold off the screensaver (as QEMU's SDL display). */
	SDL_SetHint(SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "1");
	/* A pointer grab (Ctrl+Alt+G) grabs the keyboard too, as QEMU does. */
	SDL_SetHint(SDL_HINT_GRAB_KEYBOARD, "1");

	if (SDL_Init(SDL_INIT_VIDEO) != 0) {
		snprintf(st->err, sizeof(st->err),
			 "no display: SDL cannot start video (%s); set DISPLAY or WAYLAND_DISPLAY",
			 SDL_GetError());
		return -ENODEV;
	}
	/* SDL 2 falls back to its offscreen or dummy driver when it finds no
	 * display: nobody would see that window, so refuse unless asked. */
	const char *drv = SDL_GetCurrentVideoDriver();
	const char *asked = SDL_GetHint(SDL_HINT_VIDEODRIVER);
	if (drv && (!strcmp(drv, "offscreen") || !strcmp(drv, "dummy")) && !(asked && *asked)) {
		snprintf(st->err, sizeof(st->err),
			 "no display: SDL found only its '%s' video driver; set DISPLAY or "
			 "WAYLAND_DISPLAY (or SDL_VIDEODRIVER=%s to use it anyway)",
			 drv, drv);
		goto fail_quit;
	}
	Uint32 base = SDL_RegisterEvents(2);
	if (base == (Uint32)-1) {
		snprintf(st->err, sizeof(st->err), "SDL has no free user event types");
		SDL_Quit();
		return -EAGAIN;
	}
	atomic_store(&call_type, base);
	atomic_store(&wake_type, base + 1);
	return 0;

fail_quit:
	SDL_Quit();
	return -ENODEV;
}

static void *sdl_thread_main(void *arg)
{
	struct sdl_startup *st = arg;

	on_sdl_thread = true;
	quit_requested = false;
	clients = NULL;
	atomic_store(&wake_retry, false);
	int rc = start_sdl(st);

	pthread_mutex_lock(&st->lock);
	st->rc = rc;
	st->done = true;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
	/* st belongs to the starter again from here on. */
	if (rc < 0)
		return NULL;

	while (!quit_requested) {
		SDL_Event ev;
		if (SDL_WaitEventTimeout(&ev, SDL_THREAD_IDLE_WAIT_MS))
			dispatch(&ev);
		if (atomic_load(&wake_retry) && atomic_exchange(&wake_retry, false))
			retry_wakes();
	}
	/* Run or drop what is still queued, so no caller waits forever and no
	 * call leaks; nothing new arrives (no users left). */
	SDL_Event ev;
	while (SDL_PollEvent(&ev))
		dispatch(&ev);
	SDL_Quit();
	return NULL;
}

int sdl_thread_acquire(char *err, size_t err_len)
{
	int rc = 0;

	pthread_mutex_lock(&users_lock);
	if (users > 0) {
		users++;
		goto out_unlock;
	}

	struct sdl_startup st = { .done = false, .rc = 0, .err = "" };
	pthread_mutex_init(&st.lock, NULL);
	pthread_cond_init(&st.cond, NULL);
	rc = -pthread_create(&sdl_tid, NULL, sdl_thread_main, &st);
	if (rc < 0) {
		snprintf(st.err, sizeof(st.err), "cannot start the SDL thread: %s", strerror(-rc));
		goto out_handshake;
	}
	pthread_mutex_lock(&st.lock);
	while (!st.done)
		pthread_cond_wait(&st.cond, &st.lock);
	rc = st.rc;
	pthread_mutex_unlock(&st.lock);
	if (rc < 0)
		pthread_join(sdl_tid, NULL);
	else
		users = 1;

out_handshake:
	if (rc < 0 && err && err_len)
		snprintf(err, err_len, "%s", st.err);
	pthread_cond_destroy(&st.cond);
	pthread_mutex_destroy(&st.lock);
out_unlock:
	pthread_mutex_unlock(&users_lock);
	return rc;
}

void sdl_thread_release(void)
{
	pthread_mutex_lock(&users_lock);
	if (users == 0) {
		pthread_mutex_unlock(&users_lock);
		return;
	}
	if (--users == 0) {
		/* Unbounded: the SDL thread only runs short calls. */
		while (sdl_thread_call(quit_fn, NULL, 1000) == -ETIMEDOUT)
			;
		pthread_join(sdl_tid, NULL);
	}
	pthread_mutex_unlock(&users_lock);
}

int sdl_thread_call(void (*fn)(void *arg), void *arg, unsigned timeout_ms)
{
	if (on_sdl_thread) {
		fn(arg);
		return 0;
	}
	struct sdl_call *call = calloc(1, sizeof(*call));
	if (!call)
		return -ENOMEM;
	call->fn = fn;
	call->arg = arg;
	call->state = CALL_PENDING;
	call->refs = 2;

	SDL_Event ev = { 0 };
	ev.type = atomic_load(&call_type);
	ev.user.data1 = call;
	if (SDL_PushEvent(&ev) != 1) {
		drop_thread_error();
		free(call);
		return -EAGAIN;
	}

	struct timespec deadline = fb_clock_after_ms(timeout_ms);
	int rc = 0;
	pthread_once(&call_done_once, call_done_init);
	pthread_mutex_lock(&call_lock);
	while (call->state != CALL_DONE) {
		if (call->state == CALL_PENDING &&
		    pthread_cond_timedwait(&call_done, &call_lock, &deadline) == ETIMEDOUT &&
		    call->state == CALL_PENDING) {
			call->state = CALL_CANCELLED;
			rc = -ETIMEDOUT;
			break;
		}
		if (call->state == CALL_RUNNING)
			pthread_cond_wait(&call_done, &call_lock);
	}
	call_unref_locked(call);
	pthread_mutex_unlock(&call_lock);
	return rc;
}

int sdl_thread_wake(uint32_t window_id)
{
	SDL_Event ev = { 0 };
	ev.type = atomic_load(&wake_type);
	ev.user.windowID = window_id;
	if (SDL_PushEvent(&ev) == 1)
		return 0;
	/* Queue full: the SDL thread retries (its loop checks after every
	 * event and idle timeout). */
	drop_thread_error();
	atomic_store(&wake_retry, true);
	return -EAGAIN;
}
