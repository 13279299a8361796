/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/sdl/test-sdl-pixels.c - what the SDL window shows and what it
 * uploads, on SDL's offscreen driver with the software renderer:
 * - SDL_RenderReadPixels equals the guest picture in every guest format, and
 *   the new picture after mode switches (the window follows the mode);
 * - only what changed is uploaded (SDL_UpdateTexture calls and bytes counted
 *   through the upload seam), rewriting the same pixels uploads nothing, and
 *   updates that arrive while the SDL thread is busy are coalesced;
 * - a letterboxed, integer-scaled window shows the picture scaled in place
 *   and black bars;
 * - a change whose wake finds SDL's event queue full is still shown, with no
 *   further damage;
 * - without a display, sdl_window_new fails with ENODEV and a clear message,
 *   and without a framebuffer with EINVAL.
 */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sdl-test-util.h"
#include "sdl/sdl-thread.h"
#include "sdl/sdl-window-test.h"
#include "sdl/sdl-window.h"

/* Bound on the events the queue-full test pushes (SDL 2 holds 65535). */
#define SDL_TEST_MAX_QUEUE_EVENTS (1u << 20)

/* Upload records of the seam; under rec_lock. */
#define MAX_RECORDS 4096
struct upload_record {
	const struct sdl_window *w;
	int x, y, width, height;
	size_t bytes;
};
static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;
static struct upload_record records[MAX_RECORDS];
static size_t nrecords;

static void record_upload(const struct sdl_window *w, int x, int y, int width, int height,
			  size_t bytes)
{
	pthread_mutex_lock(&rec_lock);
	if (nrecords < MAX_RECORDS)
		records[nrecords++] = (struct upload_record){ w, x, y, width, height, bytes };
	pthread_mutex_unlock(&rec_lock);
}

static void records_reset(void)
{
	pthread_mutex_lock(&rec_lock);
	nrecords = 0;
	pthread_mutex_unlock(&rec_lock);
}

/* Screenshot of w must equal t's picture 1:1 at the window's origin. */
static void assert_shows_guest(struct sdl_window *w, struct sdl_test_fb *t)
{
	uint32_t *got, gw, gh, ew, eh;

	assert_int_equal(sdl_window_screenshot(w, &got, &gw, &gh, SDL_TEST_TIMEOUT_MS), 0);
	uint32_t *want = sdl_test_expected(t, &ew, &eh);
	assert_int_equal(gw, ew);
	assert_int_equal(gh, eh);
	uint32_t mask = sdl_test_format_mask(fb_get_mode(t->fb).format);
	assert_int_equal(sdl_test_count_mismatch(got, gw, 0, 0, want, ew, eh, mask), 0);
	free(want);
	free(got);
}

static void test_no_display(void **state)
{
	struct sdl_test_fb t;

	unsetenv("SDL_VIDEODRIVER");
	unsetenv("DISPLAY");
	unsetenv("WAYLAND_DISPLAY");
	sdl_test_fb_init(&t, "nodisplay", 64, 48, PIXMAN_x8r8g8b8);
	errno = 0;
	struct sdl_window *w = sdl_window_new(t.fb, NULL);
	assert_null(w);
	assert_int_equal(errno, ENODEV);
	fprintf(stderr, "message: %s\n", sdl_window_strerror());
	assert_non_null(strstr(sdl_window_strerror(), "no display"));
	/* And again: a failed start leaves nothing behind. */
	assert_null(sdl_window_new(t.fb, NULL));
	assert_int_equal(errno, ENODEV);
	sdl_test_fb_fini(&t);
	sdl_test_use_offscreen();
}

static void test_bad_arguments(void **state)
{
	errno = 0;
	assert_null(sdl_window_new(NULL, NULL));
	assert_int_equal(errno, EINVAL);
	assert_string_equal(sdl_window_strerror(), "no framebuffer given");
	sdl_window_free(NULL); /* a no-op */
}

static const pixman_format_code_t all_formats[] = {
	PIXMAN_c8, PIXMAN_x1r5g5b5, PIXMAN_r5g6b5, PIXMAN_r8g8b8, PIXMAN_x8r8g8b8, PIXMAN_a8r8g8b8,
};

static void test_every_format(void **state)
{
	for (size_t i = 0; i < sizeof(all_formats) / sizeof(all_formats[0]); i++) {
		struct sdl_test_fb t;
		fprintf(stderr, "format %s\n", fb_format_name(all_formats[i]));
		/* Odd sizes: strides with padding, rows not page-aligned. */
		sdl_test_fb_init(&t, "formats", 97, 61, all_formats[i]);
		sdl_test_draw_pattern(&t, (unsigned)i + 1);
		struct sdl_window *w = sdl_window_new(t.fb, NULL);
		assert_non_null(w);
		sdl_test_settle(&t);
		assert_shows_guest(w, &t);

		/* A second picture through update() rather than the switch. */
		sdl_test_draw_pattern(&t, (unsigned)i + 100);
		sdl_test_settle(&t);
		assert_shows_guest(w, &t);
		sdl_window_free(w);
		sdl_test_fb_fini(&t);
	}
}

static void test_mode_switch(void **state)
{
	struct sdl_test_fb t;
	struct sdl_window_stats st;

	sdl_test_fb_init(&t, "switch", 80, 60, PIXMAN_x8r8g8b8);
	sdl_test_draw_pattern(&t, 1);
	struct sdl_window *w = sdl_window_new(t.fb, NULL);
	assert_non_null(w);
	sdl_test_settle(&t);
	assert_shows_guest(w, &t);

	struct fb_mode modes[] = {
		{ 120, 90, 0, PIXMAN_r5g6b5 },
		{ 64, 40, 0, PIXMAN_c8 },
		{ 150, 33, 0, PIXMAN_r8g8b8 },
		{ 80, 60, 0, PIXMAN_a8r8g8b8 },
	};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		fprintf(stderr, "switch to %ux%u %s\n", modes[i].width, modes[i].height,
			fb_format_name(modes[i].format));
		assert_int_equal(fb_set_mode(t.fb, &modes[i]), 0);
		sdl_test_draw_pattern(&t, (unsigned)i + 7);
		sdl_test_settle(&t);
		assert_shows_guest(w, &t); /* also checks the window took the mode's size */
	}
	sdl_window_get_stats(w, &st);
	assert_true(st.switches >= 1 + sizeof(modes) / sizeof(modes[0]));
	sdl_window_free(w);
	sdl_test_fb_fini(&t);
}

/* Sum of recorded bytes for w; asserts every rectangle lies in the box. */
static size_t uploads_inside(const struct sdl_window *w, int x, int y, int width, int height,
			     size_t *calls)
{
	size_t bytes = 0;
	*calls = 0;
	pthread_mutex_lock(&rec_lock);
	for (size_t i = 0; i < nrecords; i++) {
		const struct upload_record *r = &records[i];
		if (r->w != w)
			continue;
		fprintf(stderr, "  upload %d,%d %dx%d %zu bytes\n", r->x, r->y, r->width, r->height,
			r->bytes);
		assert_true(r->x >= x && r->y >= y);
		assert_true(r->x + r->width <= x + width && r->y + r->height <= y + height);
		bytes += r->bytes;
		(*calls)++;
	}
	pthread_mutex_unlock(&rec_lock);
	return bytes;
}

static void check_damage_only(pixman_format_code_t format, uint32_t pixel)
{
	struct sdl_test_fb t;
	struct sdl_window_stats before, after;
	size_t calls;
	unsigned bpp = fb_format_bpp(format);

	fprintf(stderr, "format %s\n", fb_format_name(format));
	sdl_test_fb_init(&t, "damage", 320, 240, format);
	sdl_test_draw_pattern(&t, 3);
	struct sdl_window *w = sdl_window_new(t.fb, NULL);
	assert_non_null(w);
	sdl_test_settle(&t);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);

	/* A 16x16 change: its pages span whole rows, the uploads do not. */
	records_reset();
	sdl_window_get_stats(w, &before);
	assert_int_equal(fb_fill_rect(t.fb, 100, 50, 16, 16, pixel), 0);
	sdl_test_settle(&t);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	sdl_window_get_stats(w, &after);
	size_t bytes = uploads_inside(w, 100, 50, 16, 16, &calls);
	assert_int_equal(bytes, 16 * 16 * bpp);
	assert_true(calls >= 1);
	assert_int_equal(after.uploads - before.uploads, calls);
	assert_int_equal(after.upload_bytes - before.upload_bytes, bytes);
	assert_shows_guest(w, &t);

	/* The same pixels again: pages are dirty, nothing changed, no upload. */
	records_reset();
	sdl_window_get_stats(w, &before);
	assert_int_equal(fb_fill_rect(t.fb, 100, 50, 16, 16, pixel), 0);
	sdl_test_settle(&t);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	sdl_window_get_stats(w, &after);
	assert_int_equal(after.uploads, before.uploads);
	assert_int_equal(after.upload_bytes, before.upload_bytes);

	sdl_window_free(w);
	sdl_test_fb_fini(&t);
}

static void test_damage_only(void **state)
{
	sdl_window_set_upload_hook(record_upload);
	check_damage_only(PIXMAN_x8r8g8b8, 0x00ff8800);
	check_damage_only(PIXMAN_r8g8b8, 0x0012ab34);
	check_damage_only(PIXMAN_r5g6b5, 0xf81f);
	sdl_window_set_upload_hook(NULL);
}

/* Holds the SDL thread inside a call until released. */
struct blocker {
	sem_t entered, release;
};

static void block_fn(void *arg)
{
	struct blocker *b = arg;
	sem_post(&b->entered);
	sem_wait(&b->release);
}

static void *blocker_thread(void *arg)
{
	assert_int_equal(sdl_thread_call(block_fn, arg, SDL_TEST_TIMEOUT_MS), 0);
	return NULL;
}

static void sem_wait_bounded(sem_t *s)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += SDL_TEST_TIMEOUT_MS / 1000;
	assert_int_equal(sem_timedwait(s, &ts), 0);
}

static void test_coalesce(void **state)
{
	struct sdl_test_fb t;
	struct sdl_window_stats before, after;
	struct blocker b;
	pthread_t tid;
	size_t calls;

	sdl_test_fb_init(&t, "coalesce", 256, 128, PIXMAN_x8r8g8b8);
	struct sdl_window *w = sdl_window_new(t.fb, NULL);
	assert_non_null(w);
	sdl_test_settle(&t);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	sdl_window_set_upload_hook(record_upload);
	records_reset();
	sdl_window_get_stats(w, &before);

	/* Three updates (the first one twice over) while the SDL thread is busy. */
	sem_init(&b.entered, 0, 0);
	sem_init(&b.release, 0, 0);
	assert_int_equal(pthread_create(&tid, NULL, blocker_thread, &b), 0);
	sem_wait_bounded(&b.entered);
	assert_int_equal(fb_fill_rect(t.fb, 10, 10, 16, 16, 0x00ff0000), 0);
	sdl_test_settle(&t);
	assert_int_equal(fb_fill_rect(t.fb, 10, 10, 16, 16, 0x0000ff00), 0);
	sdl_test_settle(&t);
	assert_int_equal(fb_fill_rect(t.fb, 200, 100, 16, 16, 0x000000ff), 0);
	sdl_test_settle(&t);
	sem_post(&b.release);
	pthread_join(tid, NULL);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	sdl_window_get_stats(w, &after);

	/* Each area is uploaded once, with its latest pixels. */
	size_t bytes = uploads_inside(w, 10, 10, 206, 106, &calls);
	assert_int_equal(bytes, 2 * 16 * 16 * 4);
	assert_true(after.updates - before.updates >= 3);
	assert_true(after.coalesced - before.coalesced >= 2);
	/* One present for the wake, one for the flush. */
	assert_true(after.presents - before.presents <= 2);
	assert_shows_guest(w, &t);
	sdl_window_set_upload_hook(NULL);
	sem_destroy(&b.entered);
	sem_destroy(&b.release);
	sdl_window_free(w);
	sdl_test_fb_fini(&t);
}

/* Integer 2x with bars (SDL's logical size): the screenshot is the whole
 * window, black bars round each guest pixel drawn as a 2x2 block. */
static void test_letterboxed_picture(void **state)
{
	struct sdl_test_fb t;
	struct sdl_window_config cfg;
	uint32_t *got, gw, gh, ew, eh;

	sdl_test_fb_init(&t, "letterbox", 40, 20, PIXMAN_x8r8g8b8);
	sdl_test_draw_pattern(&t, 9);
	sdl_window_config_init(&cfg);
	cfg.width = 100;
	cfg.height = 60;
	cfg.integer_scale = true;
	struct sdl_window *w = sdl_window_new(t.fb, &cfg);
	assert_non_null(w);
	sdl_test_settle(&t);
	assert_int_equal(sdl_window_screenshot(w, &got, &gw, &gh, SDL_TEST_TIMEOUT_MS), 0);
	assert_int_equal(gw, 100);
	assert_int_equal(gh, 60);
	uint32_t *want = sdl_test_expected(&t, &ew, &eh);
	unsigned bad = 0;
	for (uint32_t y = 0; y < gh; y++)
		for (uint32_t x = 0; x < gw; x++) {
			bool inside = x >= 10 && x < 90 && y >= 10 && y < 50;
			uint32_t e = inside ? want[(y - 10) / 2 * ew + (x - 10) / 2] : 0;
			if ((got[y * gw + x] & 0xffffff) != e && bad++ < 5)
				fprintf(stderr, "  pixel %u,%u: got %06x want %06x\n", x, y,
					got[y * gw + x] & 0xffffff, e);
		}
	assert_int_equal(bad, 0);
	free(want);
	free(got);
	sdl_window_free(w);
	sdl_test_fb_fini(&t);
}

/* Posts uploaded when the window of `watched` uploads; for the wake test. */
static _Atomic(const struct sdl_window *) watched;
static sem_t uploaded;

static void signal_upload(const struct sdl_window *w, int x, int y, int width, int height,
			  size_t bytes)
{
	record_upload(w, x, y, width, height, bytes);
	if (w == atomic_load(&watched))
		sem_post(&uploaded);
}

/*
 * SDL's event queue is full when the render thread hands over a change: its
 * wake cannot be queued. With no further damage, the SDL thread must still
 * deliver it (retry) once the queue drains, and the window show the change.
 */
static void test_wake_queue_full(void **state)
{
	struct sdl_test_fb t;
	struct sdl_window_stats before, after;
	struct blocker b;
	pthread_t tid;
	size_t calls;

	sdl_test_fb_init(&t, "queuefull", 64, 48, PIXMAN_x8r8g8b8);
	struct sdl_window *w = sdl_window_new(t.fb, NULL);
	assert_non_null(w);
	sdl_test_settle(&t);
	assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
	sem_init(&uploaded, 0, 0);
	atomic_store(&watched, w);
	records_reset();
	sdl_window_set_upload_hook(signal_upload);
	sdl_window_get_stats(w, &before);

	/* Hold the SDL thread and fill its queue with events nobody handles. */
	sem_init(&b.entered, 0, 0);
	sem_init(&b.release, 0, 0);
	assert_int_equal(pthread_create(&tid, NULL, blocker_thread, &b), 0);
	sem_wait_bounded(&b.entered);
	Uint32 junk_type = SDL_RegisterEvents(1);
	assert_true(junk_type != (Uint32)-1);
	SDL_Event junk = { 0 };
	junk.type = junk_type;
	size_t queued = 0;
	while (SDL_PushEvent(&junk) == 1)
		assert_true(++queued < SDL_TEST_MAX_QUEUE_EVENTS);
	fprintf(stderr, "queue full after %zu events\n", queued);
	SDL_TLSCleanup(); /* the failed push's error message, kept per thread */

	/* The change's wake finds the queue full. */
	assert_int_equal(fb_fill_rect(t.fb, 8, 8, 16, 16, 0x00ff0000), 0);
	sdl_test_settle(&t);
	sdl_window_get_stats(w, &after);
	assert_int_equal(after.wake_retries - before.wake_retries, 1);
	assert_false(sdl_window_test_idle(w));

	/* Nothing new is drawn: the change must arrive on its own. */
	sem_post(&b.release);
	pthread_join(tid, NULL);
	sem_wait_bounded(&uploaded);
	assert_int_equal(uploads_inside(w, 8, 8, 16, 16, &calls), 16 * 16 * 4);
	assert_true(sdl_window_test_idle(w));
	sdl_window_get_stats(w, &after);
	assert_true(after.presents > before.presents);
	assert_shows_guest(w, &t);

	sdl_window_set_upload_hook(NULL);
	atomic_store(&watched, NULL);
	sem_destroy(&uploaded);
	sem_destroy(&b.entered);
	sem_destroy(&b.release);
	sdl_window_free(w);
	sdl_test_fb_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_arguments),	    cmocka_unit_test(test_no_display),
		cmocka_unit_test(test_every_format),	    cmocka_unit_test(test_mode_switch),
		cmocka_unit_test(test_damage_only),	    cmocka_unit_test(test_coalesce),
		cmocka_unit_test(test_letterboxed_picture), cmocka_unit_test(test_wake_queue_full),
	};
	sdl_test_use_offscreen();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
