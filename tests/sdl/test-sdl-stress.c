/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/sdl/test-sdl-stress.c - the hand-over between render threads and the
 * SDL thread under load (offscreen driver): two framebuffers drawn by guest
 * threads as fast as they go, one switching modes, its window freed and
 * reopened meanwhile, a third thread taking screenshots. Afterwards every
 * window must go idle on its own (no wake lost: the single-wake flag never
 * swallows the last update) and show exactly the guest's final picture.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "sdl-test-util.h"
#include "sdl/sdl-window-test.h"
#include "sdl/sdl-window.h"

/* Fills a guest draws per render tick. */
#define STRESS_FILLS_PER_TICK 20
/* The second guest switches mode every this many ticks. */
#define STRESS_SWITCH_EVERY_TICKS 15
/* The run lasts at least this many ticks of the first framebuffer... */
#define STRESS_TICKS 150
/* ...during which the main thread reopens the second window this often. */
#define STRESS_REOPENS 6
#define STRESS_POLL_MS 10

struct guest {
	struct sdl_test_fb *t;
	bool switch_modes;
	unsigned seed;
	unsigned fills; /* guest thread only until joined */
};

static atomic_bool stop_reader, stop_guests;

static void *guest_main(void *arg)
{
	struct guest *g = arg;
	unsigned s = g->seed;
	static const struct fb_mode modes[] = {
		{ 200, 150, 0, PIXMAN_r5g6b5 },
		{ 160, 100, 0, PIXMAN_c8 },
	};

	for (unsigned tick = 0; !atomic_load(&stop_guests); tick++) {
		if (g->switch_modes && tick % STRESS_SWITCH_EVERY_TICKS == 0) {
			const struct fb_mode *m = &modes[(tick / STRESS_SWITCH_EVERY_TICKS) % 2];
			assert_int_equal(fb_set_mode(g->t->fb, m), 0);
		}
		struct fb_mode m = fb_get_mode(g->t->fb);
		for (unsigned i = 0; i < STRESS_FILLS_PER_TICK; i++) {
			int x = (int)(rand_r(&s) % m.width), y = (int)(rand_r(&s) % m.height);
			int w = 1 + (int)(rand_r(&s) % 40), h = 1 + (int)(rand_r(&s) % 40);
			fb_fill_rect(g->t->fb, x, y, w, h, (uint32_t)rand_r(&s));
		}
		g->fills += STRESS_FILLS_PER_TICK;
		assert_int_equal(fb_render_wait_ticks(g->t->render, 1, SDL_TEST_TIMEOUT_MS), 0);
	}
	return NULL;
}

struct reader {
	struct sdl_window *w;
	unsigned shots;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	while (!atomic_load(&stop_reader)) {
		uint32_t *px, w, h;
		assert_int_equal(sdl_window_screenshot(r->w, &px, &w, &h, SDL_TEST_TIMEOUT_MS), 0);
		free(px);
		r->shots++;
	}
	return NULL;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Bounded wait until the window has taken everything handed over. */
static void assert_goes_idle(struct sdl_window *w)
{
	for (unsigned waited = 0; !sdl_window_test_idle(w); waited += STRESS_POLL_MS) {
		assert_true(waited < SDL_TEST_TIMEOUT_MS);
		pause_ms(STRESS_POLL_MS);
	}
}

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

static void test_stress(void **state)
{
	struct sdl_test_fb a, b;
	pthread_t ga, gb, rd;

	sdl_test_fb_init(&a, "stress-a", 320, 200, PIXMAN_x8r8g8b8);
	sdl_test_fb_init(&b, "stress-b", 200, 150, PIXMAN_r5g6b5);
	sdl_test_set_palette(&b, 1); /* for the c8 mode the guest switches to */
	struct sdl_window *wa = sdl_window_new(a.fb, NULL);
	struct sdl_window *wb = sdl_window_new(b.fb, NULL);
	assert_non_null(wa);
	assert_non_null(wb);

	struct guest g1 = { &a, false, 11, 0 }, g2 = { &b, true, 22, 0 };
	struct reader r = { wa, 0 };
	atomic_store(&stop_reader, false);
	atomic_store(&stop_guests, false);
	assert_int_equal(pthread_create(&ga, NULL, guest_main, &g1), 0);
	assert_int_equal(pthread_create(&gb, NULL, guest_main, &g2), 0);
	assert_int_equal(pthread_create(&rd, NULL, reader_main, &r), 0);
	for (int i = 0; i < STRESS_REOPENS; i++) {
		sdl_test_settle(&b);
		sdl_window_free(wb);
		wb = sdl_window_new(b.fb, NULL);
		assert_non_null(wb);
	}
	assert_int_equal(fb_render_wait_ticks(a.render, STRESS_TICKS, 4 * SDL_TEST_TIMEOUT_MS), 0);
	atomic_store(&stop_guests, true);
	pthread_join(ga, NULL);
	pthread_join(gb, NULL);
	atomic_store(&stop_reader, true);
	pthread_join(rd, NULL);

	/* The last updates reach the SDL thread with no flush from us. */
	sdl_test_settle(&a);
	sdl_test_settle(&b);
	assert_goes_idle(wa);
	assert_goes_idle(wb);
	assert_shows_guest(wa, &a);
	assert_shows_guest(wb, &b);

	struct sdl_window_stats st;
	sdl_window_get_stats(wa, &st);
	fprintf(stderr,
		"window a: %u fills, %llu updates, %llu uploads, %llu presents, "
		"%llu coalesced, %u screenshots\n",
		g1.fills, (unsigned long long)st.updates, (unsigned long long)st.uploads,
		(unsigned long long)st.presents, (unsigned long long)st.coalesced, r.shots);
	assert_true(st.updates >= STRESS_TICKS / 2);
	sdl_window_free(wb);
	sdl_window_free(wa);
	sdl_test_fb_fini(&b);
	sdl_test_fb_fini(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress),
	};
	sdl_test_use_offscreen();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
