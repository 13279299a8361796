/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/lock.c - the debug-build check of fb/'s lock order (fb-internal.h):
 * each thread keeps the set of lock levels it holds, and taking a lock at a
 * level not above every level held is a broken invariant (assert). Locks of
 * one level are never nested, so a set (one bit per level) is enough.
 */
#include <assert.h>

#include "fb/fb-internal.h"

#ifndef NDEBUG
/* Bit n: this thread holds a lock of level n. */
static __thread unsigned fb_lock_levels_held;

void fb_lock_order_acquire(enum fb_lock_level level)
{
	/* No held level at or above the new one. */
	assert((fb_lock_levels_held >> level) == 0 && "fb/ lock order violated");
	fb_lock_levels_held |= 1u << level;
}

void fb_lock_order_held(enum fb_lock_level level)
{
	fb_lock_levels_held |= 1u << level;
}

void fb_lock_order_release(enum fb_lock_level level)
{
	fb_lock_levels_held &= ~(1u << level);
}
#endif
