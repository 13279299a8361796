/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/fb/fb-test.h - helpers shared by the fb tests: a recording listener,
 * bounded waits, and the reference conversion of guest pixels to x8r8g8b8.
 */
#ifndef FBHOST_TESTS_FB_TEST_H
#define FBHOST_TESTS_FB_TEST_H

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fb/fb.h"
#include "fb/headless.h"

/* Generous bound of any wait: 2 shared cores, sanitizers. */
#define FB_TEST_WAIT_MS 20000u

static const pixman_format_code_t fb_test_formats[] = {
	PIXMAN_c8, PIXMAN_x1r5g5b5, PIXMAN_r5g6b5, PIXMAN_r8g8b8, PIXMAN_x8r8g8b8, PIXMAN_a8r8g8b8,
};
#define FB_TEST_NFORMATS 6

/* A listener that records the union of the damage it got. */
struct fb_rec {
	struct fb_listener l;
	pthread_mutex_t lock;	  /* protects everything below */
	pixman_region32_t damage; /* union since the last fb_rec_reset */
	unsigned updates, switches;
	uint64_t generation;
	pthread_cond_t updated; /* broadcast on each update */
};

static inline void fb_rec_switch(struct fb_listener *l, const struct fb_surface *s)
{
	struct fb_rec *r = (struct fb_rec *)l;

	pthread_mutex_lock(&r->lock);
	r->switches++;
	r->generation = s->generation;
	pthread_mutex_unlock(&r->lock);
}

static inline void fb_rec_update(struct fb_listener *l, const struct fb_surface *s,
				 const pixman_region32_t *damage)
{
	struct fb_rec *r = (struct fb_rec *)l;

	pthread_mutex_lock(&r->lock);
	pixman_region32_union(&r->damage, &r->damage, (pixman_region32_t *)damage);
	r->updates++;
	pthread_cond_broadcast(&r->updated);
	pthread_mutex_unlock(&r->lock);
}

static inline void fb_rec_destroy(struct fb_listener *l)
{
	struct fb_rec *r = (struct fb_rec *)l;

	pixman_region32_fini(&r->damage);
	pthread_cond_destroy(&r->updated);
	pthread_mutex_destroy(&r->lock);
}

static const struct fb_listener_ops fb_rec_ops = {
	.name = "recorder",
	.switch_surface = fb_rec_switch,
	.update = fb_rec_update,
	.destroy = fb_rec_destroy,
};

static inline void fb_rec_init(struct fb_rec *r)
{
	pthread_condattr_t ca;

	memset(r, 0, sizeof(*r));
	r->l.ops = &fb_rec_ops;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->updated, &ca);
	pthread_condattr_destroy(&ca);
	pixman_region32_init(&r->damage);
}

static inline void fb_rec_reset(struct fb_rec *r)
{
	pthread_mutex_lock(&r->lock);
	pixman_region32_fini(&r->damage);
	pixman_region32_init(&r->damage);
	r->updates = 0;
	pthread_mutex_unlock(&r->lock);
}

static inline unsigned fb_rec_updates(struct fb_rec *r)
{
	unsigned n;

	pthread_mutex_lock(&r->lock);
	n = r->updates;
	pthread_mutex_unlock(&r->lock);
	return n;
}

/* Waits (bounded) until r has seen at least n updates since its reset,
 * without waiting for any further tick. */
static inline void fb_rec_wait_updates(struct fb_rec *r, unsigned n)
{
	struct timespec end;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += FB_TEST_WAIT_MS / 1000;
	pthread_mutex_lock(&r->lock);
	while (r->updates < n && rc == 0)
		rc = pthread_cond_timedwait(&r->updated, &r->lock, &end);
	rc = r->updates < n ? rc : 0;
	pthread_mutex_unlock(&r->lock);
	/* After the unlock: a failed assert leaves by longjmp. */
	assert_int_equal(rc, 0);
}

/* Kicks the thread and waits until two ticks have fully run after now:
 * then every write made before the call has reached the listeners. */
static inline void fb_test_settle(struct fb_render *r)
{
	fb_render_kick(r);
	assert_int_equal(fb_render_wait_ticks(r, 1, FB_TEST_WAIT_MS), 0);
	fb_render_kick(r);
	assert_int_equal(fb_render_wait_ticks(r, 1, FB_TEST_WAIT_MS), 0);
}

/* Waits until the headless frontend got at least n mode switches and the
 * tick that made the last one has completed (its update, counters and
 * pacing decision included: the switch op runs in the middle of a tick). */
static inline void fb_test_wait_switches(struct fb_render *r, struct fb_headless *h, uint64_t n)
{
	struct fb_headless_stats st;

	for (unsigned i = 0; i < 2000; i++) {
		fb_headless_get_stats(h, &st);
		if (st.switches >= n) {
			fb_render_kick(r);
			assert_int_equal(fb_render_wait_ticks(r, 1, FB_TEST_WAIT_MS), 0);
			return;
		}
		fb_render_kick(r);
		assert_int_equal(fb_render_wait_ticks(r, 1, FB_TEST_WAIT_MS), 0);
	}
	fail_msg("no mode switch reached the headless frontend");
}

/* The guest picture converted to x8r8g8b8 (malloc'ed, stride = width*4) with
 * the same pixman conversion every listener sees. pal: the palette for c8. */
static inline uint32_t *fb_test_guest_x8(struct fb_device *fb, const uint32_t *pal, uint32_t *w,
					 uint32_t *h)
{
	pixman_indexed_t *idx = calloc(1, sizeof(*idx));
	struct fb_access acc;
	pixman_image_t *src, *dst;
	uint32_t *out;

	assert_non_null(idx);
	idx->color = 1;
	for (int i = 0; i < (int)FB_PALETTE_ENTRIES; i++)
		idx->rgba[i] = 0xff000000u | (pal ? pal[i] : 0);
	fb_access_begin(fb, &acc);
	*w = acc.mode.width;
	*h = acc.mode.height;
	out = calloc((size_t)*w * *h, 4);
	assert_non_null(out);
	src = pixman_image_create_bits_no_clear(acc.mode.format, (int)*w, (int)*h, acc.pixels,
						(int)acc.mode.stride);
	dst = pixman_image_create_bits_no_clear(PIXMAN_x8r8g8b8, (int)*w, (int)*h, out,
						(int)*w * 4);
	assert_non_null(src);
	assert_non_null(dst);
	if (acc.mode.format == PIXMAN_c8)
		pixman_image_set_indexed(src, idx);
	pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, 0, 0, 0, 0, 0, 0, (int)*w, (int)*h);
	pixman_image_unref(src);
	pixman_image_unref(dst);
	fb_access_end(fb, &acc);
	free(idx);
	return out;
}

/* xorshift64*: deterministic test randomness. */
static inline uint64_t fb_test_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

#endif
