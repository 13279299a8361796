/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-clock.h - the CLOCK_MONOTONIC helpers server/ shares
 * (header only, so that fbhost-ctl, the control server and the guests use
 * them without linking anything): milliseconds now, deadlines and what is
 * left of them.
 */
#ifndef FBHOST_SERVER_FBHOST_CLOCK_H
#define FBHOST_SERVER_FBHOST_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define FBHOST_CLOCK_NS_PER_S 1000000000L
#define FBHOST_CLOCK_NS_PER_MS 1000000L

/* Now on CLOCK_MONOTONIC. */
static inline struct timespec fbhost_clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts;
}

/* Now on CLOCK_MONOTONIC, in milliseconds. */
static inline uint64_t fbhost_clock_now_ms(void)
{
	struct timespec ts = fbhost_clock_now();

	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / (uint64_t)FBHOST_CLOCK_NS_PER_MS;
}

/* Moves ts ms milliseconds later. */
static inline void fbhost_clock_add_ms(struct timespec *ts, unsigned ms)
{
	ts->tv_sec += ms / 1000u;
	ts->tv_nsec += (long)(ms % 1000u) * FBHOST_CLOCK_NS_PER_MS;
	if (ts->tv_nsec >= FBHOST_CLOCK_NS_PER_S) {
		ts->tv_sec++;
		ts->tv_nsec -= FBHOST_CLOCK_NS_PER_S;
	}
}

/* The CLOCK_MONOTONIC time ms milliseconds from now (a deadline for
 * pthread_cond_timedwait on a CLOCK_MONOTONIC condition variable). */
static inline struct timespec fbhost_clock_after_ms(unsigned ms)
{
	struct timespec ts = fbhost_clock_now();

	fbhost_clock_add_ms(&ts, ms);
	return ts;
}

/* Whether now is at or past t. */
static inline bool fbhost_clock_reached(const struct timespec *now, const struct timespec *t)
{
	return now->tv_sec > t->tv_sec || (now->tv_sec == t->tv_sec && now->tv_nsec >= t->tv_nsec);
}

/* Milliseconds from now until deadline (negative once it passed). */
static inline long long fbhost_clock_ms_until(const struct timespec *deadline)
{
	struct timespec now = fbhost_clock_now();

	return (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / FBHOST_CLOCK_NS_PER_MS;
}

/* Seconds from since to now. */
static inline double fbhost_clock_elapsed_s(const struct timespec *since)
{
	struct timespec now = fbhost_clock_now();

	return (double)(now.tv_sec - since->tv_sec) +
	       (double)(now.tv_nsec - since->tv_nsec) / (double)FBHOST_CLOCK_NS_PER_S;
}

#endif
