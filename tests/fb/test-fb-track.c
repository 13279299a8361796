/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/fb/test-fb-track.c - write trackers (fb_track_*): a guest draws with
 * plain stores and never marks damage; the headless frontend must end up
 * with exactly the guest's pixels after every step, and the tracker must
 * report only the pages written. Trackers: the shared dirty log, the
 * in-process kernel tracker (skipped with the kernel's reason when it lacks
 * WP_ASYNC), the compare fallback. The log also gets a stress test: a
 * writer thread sets log bits as fast as it can while the render thread
 * harvests (suite concurrency: no bit may be lost). A writer that ends its
 * frames is read only at their ends.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fb/fb-internal.h"
#include "fb/headless.h"
#include "memory/bitops.h"
#include "tests/fb/fb-test.h"

#define TRACK_W 512
#define TRACK_H 96
#define TRACK_STEPS 60
#define TRACK_PAGE_BYTES 512u
#define STRESS_WRITES 200000u
#define STRESS_TICKS 30u

struct track_rig {
	struct ram_list *rl;
	struct fb_device *fb;
	struct fb_render *r;
	struct fb_headless *h;
	uint32_t *pixels; /* the guest's plain-store view */
	unsigned long *log;
	uint64_t log_pages;
};

/* A framebuffer with a headless frontend and a tracker in mode; with
 * writer_kicks the test ends its frames (fb_track_frame_done). */
static void rig_up_kicks(struct track_rig *g, enum fb_track_mode mode, bool writer_kicks, int *skip)
{
	struct fb_config cfg = { .name = "track",
				 .mode = { TRACK_W, TRACK_H, 0, PIXMAN_x8r8g8b8 } };
	struct fb_track_config tc = { .mode = mode,
				      .pagemap_fd = -1,
				      .writer_kicks = writer_kicks };
	struct fb_access acc;
	const char *why = NULL;
	int rc;

	memset(g, 0, sizeof(*g));
	g->rl = ram_list_new(&(struct ram_list_config){ .page_bits = FB_RAM_PAGE_BITS });
	assert_non_null(g->rl);
	g->fb = fb_new(g->rl, &cfg);
	assert_non_null(g->fb);
	g->r = fb_render_new(NULL);
	assert_non_null(g->r);
	assert_int_equal(fb_render_add(g->r, g->fb), 0);
	g->h = fb_headless_new(g->fb);
	assert_non_null(g->h);
	if (mode == FB_TRACK_UFFD && !fb_track_uffd_supported(&why)) {
		*skip = 1;
		printf("skipped: uffd-wp tracking: %s\n", why);
		return;
	}
	g->log_pages = (uint64_t)TRACK_W * 4 * TRACK_H / TRACK_PAGE_BYTES;
	g->log = calloc(g->log_pages / 64 + 1, sizeof(unsigned long));
	assert_non_null(g->log);
	tc.log = g->log;
	tc.log_pages = g->log_pages;
	rc = fb_track_start(g->fb, &tc);
	assert_int_equal(rc, 0);
	assert_int_equal(fb_track_get_mode(g->fb), mode);
	fb_access_begin(g->fb, &acc);
	g->pixels = acc.pixels;
	fb_access_end(g->fb, &acc);
	fb_test_settle(g->r);
	fb_test_settle(g->r);
}

static void rig_up(struct track_rig *g, enum fb_track_mode mode, int *skip)
{
	rig_up_kicks(g, mode, false, skip);
}

static void rig_down(struct track_rig *g)
{
	fb_headless_free(g->h);
	fb_render_free(g->r);
	fb_free(g->fb);
	ram_list_free(g->rl);
	free(g->log);
}

/* The guest's pixels against the headless shadow. */
static void assert_shown(struct track_rig *g)
{
	uint32_t *shown, w, h;

	assert_int_equal(fb_headless_copy(g->h, &shown, &w, &h), 0);
	assert_int_equal(w, TRACK_W);
	assert_int_equal(h, TRACK_H);
	for (uint32_t i = 0; i < w * h; i++)
		if ((shown[i] & 0xffffff) != (g->pixels[i] & 0xffffff))
			fail_msg("pixel %u,%u: shown %06x, guest %06x", i % w, i / w,
				 shown[i] & 0xffffff, g->pixels[i] & 0xffffff);
	free(shown);
}

static void run_steps(enum fb_track_mode mode)
{
	struct track_rig g;
	uint64_t seed = 0x5eed + mode, before, after;
	struct fb_render_stats st;
	int skip = 0;

	rig_up(&g, mode, &skip);
	if (skip) {
		rig_down(&g);
		skip();
	}
	for (unsigned step = 0; step < TRACK_STEPS; step++) {
		int x = (int)(fb_test_rand(&seed) % TRACK_W),
		    y = (int)(fb_test_rand(&seed) % TRACK_H);
		int w = 1 + (int)(fb_test_rand(&seed) % 64), h = 1 + (int)(fb_test_rand(&seed) % 8);
		uint32_t colour = (uint32_t)fb_test_rand(&seed) & 0xffffff;
		uint64_t pages_written = 0, last = UINT64_MAX;

		if (x + w > TRACK_W)
			w = TRACK_W - x;
		if (y + h > TRACK_H)
			h = TRACK_H - y;
		fb_get_stats(g.fb, &st);
		before = st.track_pages;
		FB_GUEST_WRITES_BEGIN(); /* the render thread reads them: see fb-internal.h */
		for (int row = y; row < y + h; row++) {
			for (int col = x; col < x + w; col++) {
				uint64_t off = ((uint64_t)row * TRACK_W + (uint64_t)col) * 4;

				g.pixels[row * TRACK_W + col] = colour; /* a plain store */
				if (off / TRACK_PAGE_BYTES != last) {
					last = off / TRACK_PAGE_BYTES;
					pages_written++;
					if (mode == FB_TRACK_LOG)
						atomic_fetch_or((bm_word *)&g.log[last / 64],
								1UL << (last % 64));
				}
			}
		}
		FB_GUEST_WRITES_END();
		fb_test_settle(g.r);
		assert_shown(&g);
		fb_get_stats(g.fb, &st);
		after = st.track_pages;
		/* Only the written pages: exactly for the log; the kernel
		 * reports 4 KiB pages (8 of ours), refined against a shadow
		 * to ours that changed, as compare finds them (a colour
		 * equal to the old one is no change). */
		if (mode == FB_TRACK_LOG)
			assert_int_equal(after - before, pages_written);
		else
			assert_true(after - before <= pages_written);
	}
	rig_down(&g);
}

static void test_track_log(void **state)
{
	(void)state;
	run_steps(FB_TRACK_LOG);
}

static void test_track_compare(void **state)
{
	(void)state;
	run_steps(FB_TRACK_COMPARE);
}

static void test_track_uffd(void **state)
{
	(void)state;
	run_steps(FB_TRACK_UFFD);
}

/* A mode change under a tracker: the first tick of the new mode shows the
 * whole frame; plain stores after it are found in the new block. */
static void test_track_mode_change(void **state)
{
	struct track_rig g;
	struct fb_mode m = { TRACK_W / 2, TRACK_H, 0, PIXMAN_x8r8g8b8 };
	struct fb_access acc;
	int skip = 0;

	(void)state;
	rig_up(&g, FB_TRACK_COMPARE, &skip);
	fb_set_block_per_mode(g.fb, true);
	assert_int_equal(fb_set_mode(g.fb, &m), 0);
	fb_test_settle(g.r);
	fb_access_begin(g.fb, &acc);
	assert_ptr_not_equal(acc.pixels, g.pixels); /* a new block */
	for (uint32_t i = 0; i < m.width * 10; i++)
		((uint32_t *)acc.pixels)[i] = 0x123456;
	fb_access_end(g.fb, &acc);
	/* (The retired block is not written: it is freed once no reader
	 * can see the old mode, and may be unmapped by now.) */
	fb_test_settle(g.r);
	{
		uint32_t *shown, w, h;

		assert_int_equal(fb_headless_copy(g.h, &shown, &w, &h), 0);
		assert_int_equal(w, TRACK_W / 2);
		for (uint32_t i = 0; i < w * 10; i++)
			assert_int_equal(shown[i] & 0xffffff, 0x123456);
		free(shown);
	}
	rig_down(&g);
}

struct stress_writer {
	struct track_rig *g;
	uint32_t *versions; /* per page: the last version written (writer only) */
	atomic_bool stop;   /* set by the test after enough ticks */
};

/* Writes a version number into a random page's first pixel and then sets
 * its log bit, as fast as it can. */
static void *stress_writer_main(void *opaque)
{
	struct stress_writer *sw = opaque;
	uint64_t seed = 77, pages = sw->g->log_pages;

	FB_GUEST_WRITES_BEGIN();
	for (uint32_t i = 1;
	     i <= STRESS_WRITES || !atomic_load_explicit(&sw->stop, memory_order_relaxed); i++) {
		uint64_t p = fb_test_rand(&seed) % pages;

		atomic_store_explicit((_Atomic uint32_t *)&sw->g->pixels[p * TRACK_PAGE_BYTES / 4],
				      i & 0xffffff, memory_order_relaxed);
		sw->versions[p] = i & 0xffffff;
		atomic_fetch_or((bm_word *)&sw->g->log[p / 64], 1UL << (p % 64));
	}
	FB_GUEST_WRITES_END();
	return NULL;
}

/* No bit lost: after the writer stops and two ticks run, every page's
 * last version is what the listener shows. */
static void test_track_log_stress(void **state)
{
	struct track_rig g;
	struct stress_writer sw;
	pthread_t t;
	uint32_t *shown, w, h;
	int skip = 0;

	(void)state;
	rig_up(&g, FB_TRACK_LOG, &skip);
	sw.g = &g;
	sw.versions = calloc(g.log_pages, sizeof(uint32_t));
	assert_non_null(sw.versions);
	sw.stop = false;
	assert_int_equal(pthread_create(&t, NULL, stress_writer_main, &sw), 0);
	/* Harvests while the writer runs. */
	assert_int_equal(fb_render_wait_ticks(g.r, STRESS_TICKS, FB_TEST_WAIT_MS), 0);
	atomic_store_explicit(&sw.stop, true, memory_order_relaxed);
	pthread_join(t, NULL);
	fb_test_settle(g.r);
	assert_int_equal(fb_headless_copy(g.h, &shown, &w, &h), 0);
	for (uint64_t p = 0; p < g.log_pages; p++)
		if (sw.versions[p])
			assert_int_equal(shown[p * TRACK_PAGE_BYTES / 4] & 0xffffff,
					 sw.versions[p]);
	for (uint64_t k = 0; k <= g.log_pages / 64; k++)
		assert_int_equal(atomic_load_explicit((bm_word *)&g.log[k], memory_order_relaxed),
				 0);
	free(shown);
	free(sw.versions);
	rig_down(&g);
}

/* A writer that ends its frames is read only after fb_track_frame_done:
 * ticks before it show nothing of a half-drawn frame (the attach bench lost
 * frames to such a tick, whose damage held the frame's end back a frame
 * interval), and the frame's end shows all of it. */
static void test_track_read_at_frame_end(void **state)
{
	const uint32_t half_px = TRACK_W * TRACK_H / 2, colour = 0x123456;
	uint32_t *shown, w, h;
	struct track_rig g;
	int skip = 0;

	(void)state;
	rig_up_kicks(&g, FB_TRACK_LOG, true, &skip);
	FB_GUEST_WRITES_BEGIN(); /* the render thread reads them: see fb-internal.h */
	for (uint32_t i = 0; i < half_px; i++)
		g.pixels[i] = colour;
	for (uint64_t p = 0; p < (uint64_t)half_px * 4 / TRACK_PAGE_BYTES; p++)
		atomic_fetch_or((bm_word *)&g.log[p / 64], 1UL << (p % 64));
	FB_GUEST_WRITES_END();
	fb_test_settle(g.r);
	assert_int_equal(fb_headless_copy(g.h, &shown, &w, &h), 0);
	for (uint32_t i = 0; i < half_px; i++)
		if ((shown[i] & 0xffffff) == colour)
			fail_msg("pixel %u shown before the frame ended", i);
	free(shown);
	fb_track_frame_done(g.fb);
	fb_test_settle(g.r);
	assert_shown(&g);
	rig_down(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_track_log),
		cmocka_unit_test(test_track_compare),
		cmocka_unit_test(test_track_uffd),
		cmocka_unit_test(test_track_mode_change),
		cmocka_unit_test(test_track_log_stress),
		cmocka_unit_test(test_track_read_at_frame_end),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
