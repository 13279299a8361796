/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdl/sdl-thread.h - internal: the one thread that owns SDL's video
 * subsystem. It starts with the first window (sdl_thread_acquire), runs the
 * SDL event loop, runs calls handed to it from other threads in event order,
 * and quits SDL when the last window lets go (sdl_thread_release).
 *
 * Events carrying a windowID are dispatched to the struct sdl_thread_client
 * stored on that SDL_Window (sdl_thread_attach).
 *
 * Wakes. Another thread wakes a window by pushing a wake event. When SDL's
 * event queue is full the push fails; the SDL thread then notices (after its
 * next event, or within SDL_THREAD_IDLE_WAIT_MS when idle) and hands every
 * attached client a wake event of its own, so a wake is late but never lost.
 * A client must therefore keep its own record of whether it is owed a wake
 * and ignore wakes it is not owed.
 */
#ifndef FBHOST_SDL_SDL_THREAD_H
#define FBHOST_SDL_SDL_THREAD_H

#include <SDL.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest SDL error we pass on, bytes including the NUL. */
#define SDL_THREAD_ERR_BYTES 256

/* Longest the event loop sleeps without an event, ms: the bound on how late
 * a wake that found SDL's queue full is delivered when nothing else happens. */
#define SDL_THREAD_IDLE_WAIT_MS 100

/* What a window embeds to receive its events on the SDL thread. */
struct sdl_thread_client {
	/* Any event whose windowID is this window's, and the wake events. */
	void (*event)(struct sdl_thread_client *c, const SDL_Event *ev);
	/* Next attached client; SDL thread only (sdl_thread_attach/detach). */
	struct sdl_thread_client *next;
};

/* Starts the SDL thread (SDL_Init of video) if this is the first user.
 * 0, or -errno with err filled: -ENODEV (no display), -EAGAIN, -ENOMEM. */
int sdl_thread_acquire(char *err, size_t err_len);
/* Drops a reference; the last one quits SDL and joins the thread. */
void sdl_thread_release(void);

/* Runs fn(arg) on the SDL thread after every event queued before this call,
 * and waits for it to finish. If the call has not started within timeout_ms
 * it is cancelled and -ETIMEDOUT returned; once started it is always waited
 * for. From the SDL thread itself fn runs at once. 0 or -errno. */
int sdl_thread_call(void (*fn)(void *arg), void *arg, unsigned timeout_ms);

/* Stores c on win so that win's events reach it, and adds c to the clients
 * that get retried wakes (SDL thread only). */
void sdl_thread_attach(SDL_Window *win, struct sdl_thread_client *c);
/* Undoes sdl_thread_attach before win is destroyed (SDL thread only). */
void sdl_thread_detach(SDL_Window *win, struct sdl_thread_client *c);

/* Queues a wake event for the window with this SDL ID (any thread; thread
 * safe through SDL_PushEvent). 0, or -EAGAIN when SDL's queue is full: the
 * SDL thread then delivers a wake to every client later (see Wakes above). */
int sdl_thread_wake(uint32_t window_id);
/* The SDL event type of wake events (valid while the thread runs). */
uint32_t sdl_thread_wake_type(void);

/* True on the SDL thread. */
bool sdl_thread_is_current(void);

#endif
