/* SPDX-License-Identifier: GPL-2.0-or-later */
/* fb/headless-internal.h - the headless listener's state, shared by
 * headless.c and screendump.c. */
#ifndef FBHOST_FB_HEADLESS_INTERNAL_H
#define FBHOST_FB_HEADLESS_INTERNAL_H

#include <pthread.h>

#include "fb/fb-internal.h"
#include "fb/headless.h"

struct fb_headless {
	struct fb_listener listener; /* fb/ owns its private part */
	struct fb_device *fb;	     /* immutable */
	/* Allocates a black x8r8g8b8 shadow, NULL on ENOMEM. Immutable after
	 * fb_headless_new; tests replace it before the first switch to
	 * inject ENOMEM. */
	pixman_image_t *(*shadow_alloc)(int width, int height);
	/* Protects shadow and stats: the render thread updates them, any
	 * thread reads them. */
	pthread_mutex_t lock;
	pixman_image_t *shadow;		/* lock: x8r8g8b8, NULL before the first switch */
	struct fb_headless_stats stats; /* lock */
};

#endif
