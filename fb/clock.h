/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/clock.h - the one clock helper of the tree: CLOCK_MONOTONIC now (as a
 * timespec, in milliseconds or nanoseconds), deadlines for condition
 * variables on CLOCK_MONOTONIC, and what is left of them. Header only, so
 * that every module, the program and fbhost-ctl use it without linking
 * anything; guests get the same clock through fbhost_now_ns() (fbhost.h).
 * Public prefix: fb_clock_.
 */
#ifndef FBHOST_SERVER_FB_CLOCK_H
#define FBHOST_SERVER_FB_CLOCK_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define FB_CLOCK_NS_PER_S 1000000000L
#define FB_CLOCK_NS_PER_MS 1000000L

/* Now on CLOCK_MONOTONIC. */
static inline struct timespec fb_clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

/* Now on CLOCK_MONOTONIC, in nanoseconds. */
static inline uint64_t fb_clock_now_ns(void)
{
	struct timespec ts = fb_clock_now();

	return (uint64_t)ts.tv_sec * (uint64_t)FB_CLOCK_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* The timespec of a CLOCK_MONOTONIC time in nanoseconds (a deadline). */
static inline struct timespec fb_clock_from_ns(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / (uint64_t)FB_CLOCK_NS_PER_S),
				  .tv_nsec = (long)(ns % (uint64_t)FB_CLOCK_NS_PER_S) };
}

/* Now on CLOCK_MONOTONIC, in milliseconds. */
static inline uint64_t fb_clock_now_ms(void)
{
	struct timespec ts = fb_clock_now();

	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / (uint64_t)FB_CLOCK_NS_PER_MS;
}

/* Moves ts ms milliseconds later. */
static inline void fb_clock_add_ms(struct timespec *ts, unsigned ms)
{
	ts->tv_sec += ms / 1000u;
	ts->tv_nsec += (long)(ms % 1000u) * FB_CLOCK_NS_PER_MS;
	if (ts->tv_nsec >= FB_CLOCK_NS_PER_S) {
		ts->tv_sec++;
		ts->tv_nsec -= FB_CLOCK_NS_PER_S;
	}
}

/* The CLOCK_MONOTONIC time ms milliseconds from now (a deadline for
 * pthread_cond_timedwait on a CLOCK_MONOTONIC condition variable). */
static inline struct timespec fb_clock_after_ms(unsigned ms)
{
	struct timespec ts = fb_clock_now();

	fb_clock_add_ms(&ts, ms);
	return ts;
}

/* Sleeps until the CLOCK_MONOTONIC time ns (restarts on EINTR). */
static inline void fb_clock_sleep_until_ns(uint64_t ns)
{
	struct timespec ts = fb_clock_from_ns(ns);

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Whether now is at or past t. */
static inline bool fb_clock_reached(const struct timespec *now, const struct timespec *t)
{
	return now->tv_sec > t->tv_sec || (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

/* Milliseconds from now until deadline (negative once it passed). */
static inline long long fb_clock_ms_until(const struct timespec *deadline)
{
	struct timespec now = fb_clock_now();

	return (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / FB_CLOCK_NS_PER_MS;
}

/* Seconds from since to now. */
static inline double fb_clock_elapsed_s(const struct timespec *since)
{
	struct timespec now = fb_clock_now();

	return (double)(now.tv_sec - since->tv_sec) +
	       (double)(now.tv_nsec - since->tv_nsec) / (double)FB_CLOCK_NS_PER_S;
}

#endif
