/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-runner.h - the thread scaffolding the built-in guests share:
 * one guest thread, a lock with a CLOCK_MONOTONIC condition variable to wake
 * it, the stop flag, and the hand-over of viewers' resize requests from
 * frontend threads to the guest thread (which applies them, keeping the
 * format). A guest embeds a struct guest_runner and may protect fields of
 * its own with the runner's lock (signalling wake when they change).
 */
#ifndef FBHOST_SERVER_GUEST_RUNNER_H
#define FBHOST_SERVER_GUEST_RUNNER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/lib/fbhost.h"

/* The name of every built-in guest's thread (ps, /proc/PID/task/TID/comm). */
#define GUEST_RUNNER_THREAD_NAME "guest"

struct guest_runner {
	struct fbhost *host;  /* set by guest_runner_init, read-only after */
	struct fbhost_fb *fb; /* set by guest_runner_init, read-only after */
	pthread_t thread;     /* set by guest_runner_start, joined by _stop */

	pthread_mutex_t lock;	     /* protects stop and resize_* (and guest fields) */
	pthread_cond_t wake;	     /* CLOCK_MONOTONIC; signalled on stop and requests */
	bool stop;		     /* lock: the guest thread must return */
	bool resize_pending;	     /* lock: resize_w x resize_h awaits the thread */
	uint32_t resize_w, resize_h; /* lock */
};

/* Sets up r for fb of host (lock, condition variable). 0 or -errno. */
int guest_runner_init(struct guest_runner *r, struct fbhost *host, struct fbhost_fb *fb);
/* Frees what init set up; the thread must not run. */
void guest_runner_destroy(struct guest_runner *r);
/* Starts the guest thread fn(arg). 0 or -errno. */
int guest_runner_start(struct guest_runner *r, void *(*fn)(void *), void *arg);
/* Guest thread, with r->lock held: waits on r->wake until the time t_ns
 * (fbhost_now_ns's clock) at the latest. pthread_cond_timedwait's result:
 * 0 when woken, ETIMEDOUT at t_ns. */
int guest_runner_wait_until_locked(struct guest_runner *r, uint64_t t_ns);
/* Sets stop, wakes the thread and joins it. */
void guest_runner_stop(struct guest_runner *r);
/* Frontend threads (fbhost_input_callbacks.resize_request): checks width x
 * height in the current format and queues it for the guest thread (a newer
 * request replaces an older one). 0 or -errno (-EINVAL, -E2BIG). */
int guest_runner_request_resize(struct guest_runner *r, uint32_t width, uint32_t height);
/* Guest thread, with r->lock held: takes the pending request, if any. */
bool guest_runner_take_resize_locked(struct guest_runner *r, uint32_t *width, uint32_t *height);
/* Guest thread: switches to width x height, keeping the format; 0 if the
 * mode is that size already. 0 or -errno of fbhost_resize. */
int guest_runner_apply_resize(struct guest_runner *r, uint32_t width, uint32_t height);

#endif
