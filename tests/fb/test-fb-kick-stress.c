/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The lock-free idle/kick handshake (fb/render.c): the render thread raises
 * `idle` when it backs off, then looks at the dirty bits; a writer sets the
 * bits, then looks at `idle` and kicks. Whichever way they interleave, a
 * write must not wait for the backed-off timer (up to 1 s).
 *
 * Writer threads make single writes at random moments after the previous
 * one was shown: half of them within two frames, around the moment the
 * render thread first raises `idle`, the others later, when it sleeps
 * longer. Each write must reach a headless listener within
 * KICK_DELIVERY_FRAMES frames (waiting on ticks, bounded), and ticks started
 * by kicks must have happened.
 */
#include <stdatomic.h>

#include "fb-test.h"

#define KICK_RATE_HZ 25u
#define KICK_FRAME_MS (1000u / KICK_RATE_HZ)
/* A kicked write is shown on the next tick; a lost kick waits for the
 * timer, which is at least two frames and up to 1 s once backed off. */
#define KICK_DELIVERY_FRAMES 5u
#define KICK_WRITERS 2u
#define KICK_WRITES_PER_WRITER 24u
/* Random pause before a write: within this many frames of the last one
 * shown (short: the first raise of idle; long: deeper back-off). */
#define KICK_SHORT_PAUSE_FRAMES 2u
#define KICK_LONG_PAUSE_FRAMES 20u
#define KICK_FB_W 64u
#define KICK_FB_H 8u

struct kick_env {
	struct fb_device *fb;
	struct fb_render *r;
	struct fb_headless *hl;
	atomic_uint late; /* writes not shown within KICK_DELIVERY_FRAMES */
	atomic_uint lost; /* writes not shown even within FB_TEST_WAIT_MS */
	atomic_uint written;
};

static struct kick_env env;

static uint64_t kick_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Whether the headless shadow shows value at x,0. */
static bool kick_shown(uint32_t x, uint32_t value)
{
	uint32_t *px, w, h;
	bool shown;

	if (fb_headless_copy(env.hl, &px, &w, &h))
		return false;
	shown = (px[x] & 0xffffff) == value;
	free(px);
	return shown;
}

/* Waits on ticks until value is shown or until deadline_ms. */
static bool kick_wait_shown(uint32_t x, uint32_t value, uint64_t deadline_ms)
{
	for (;;) {
		uint64_t now = kick_now_ms();

		if (kick_shown(x, value))
			return true;
		if (now >= deadline_ms)
			return false;
		/* -ETIMEDOUT is fine: the loop checks once more */
		fb_render_wait_ticks(env.r, 1, (unsigned)(deadline_ms - now));
	}
}

static void *kick_writer(void *arg)
{
	unsigned id = (unsigned)(uintptr_t)arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (id + 1);
	uint32_t x = id * (KICK_FB_W / KICK_WRITERS);

	for (unsigned n = 1; n <= KICK_WRITES_PER_WRITER; n++) {
		unsigned frames = n % 2 ? KICK_SHORT_PAUSE_FRAMES : KICK_LONG_PAUSE_FRAMES;
		uint64_t pause_us = fb_test_rand(&seed) % ((uint64_t)frames * KICK_FRAME_MS * 1000);
		uint32_t value = (id + 1) << 16 | n;
		uint64_t t0;

		nanosleep(&(struct timespec){ (time_t)(pause_us / 1000000),
					      (long)(pause_us % 1000000) * 1000 },
			  NULL);
		t0 = kick_now_ms();
		if (fb_fill_rect(env.fb, (int)x, 0, 1, 1, value))
			break;
		atomic_fetch_add(&env.written, 1);
		if (kick_wait_shown(x, value, t0 + KICK_DELIVERY_FRAMES * KICK_FRAME_MS))
			continue;
		atomic_fetch_add(&env.late, 1);
		if (!kick_wait_shown(x, value, kick_now_ms() + FB_TEST_WAIT_MS)) {
			atomic_fetch_add(&env.lost, 1);
			break;
		}
	}
	return NULL;
}

static void test_writes_wake_idle_thread(void **state)
{
	struct fb_config cfg = { .name = "kick",
				 .mode = { KICK_FB_W, KICK_FB_H, 0, PIXMAN_x8r8g8b8 } };
	struct fb_render_config rcfg = { .rate_hz = KICK_RATE_HZ };
	struct fb_render_thread_stats before, after;
	struct ram_list *rl = ram_list_new(NULL);
	pthread_t writers[KICK_WRITERS];

	(void)state;
	assert_non_null(rl);
	memset(&env, 0, sizeof(env));
	env.fb = fb_new(rl, &cfg);
	assert_non_null(env.fb);
	env.hl = fb_headless_new(env.fb);
	assert_non_null(env.hl);
	env.r = fb_render_new(&rcfg);
	assert_non_null(env.r);
	assert_int_equal(fb_render_add(env.r, env.fb), 0);
	fb_test_wait_switches(env.r, env.hl, 1);
	fb_test_settle(env.r);
	fb_render_get_thread_stats(env.r, &before);

	for (unsigned i = 0; i < KICK_WRITERS; i++)
		assert_int_equal(
			pthread_create(&writers[i], NULL, kick_writer, (void *)(uintptr_t)i), 0);
	for (unsigned i = 0; i < KICK_WRITERS; i++)
		pthread_join(writers[i], NULL);
	fb_render_get_thread_stats(env.r, &after);

	assert_int_equal(atomic_load(&env.lost), 0);
	assert_int_equal(atomic_load(&env.written), KICK_WRITERS * KICK_WRITES_PER_WRITER);
	if (atomic_load(&env.late))
		fail_msg("%u of %u writes took longer than %u frames: a kick was lost",
			 atomic_load(&env.late), atomic_load(&env.written), KICK_DELIVERY_FRAMES);
	/* the long pauses let the thread back off: those writes kicked it */
	assert_true(after.kicked_ticks > before.kicked_ticks);
	assert_true(after.idle_ticks > before.idle_ticks);

	fb_render_remove(env.r, env.fb);
	fb_render_free(env.r);
	fb_free(env.fb);
	ram_list_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writes_wake_idle_thread),
	};

	return cmocka_run_group_tests_name("fb-kick-stress", tests, NULL, NULL);
}
