/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pacing of the render thread, asserted with tick counts: idle backoff to
 * FB_IDLE_RATE_HZ within a bounded number of ticks, straight there without
 * listeners, a kicked tick on the first damage or input after idling, and
 * never more ticks than the configured rate allows however hard it is
 * kicked.
 */
#include <stdatomic.h>
#include <time.h>

#include "fb-test.h"

#define NS_PER_S 1000000000ull
/* Doubling from 1/60 s reaches 1 s in 6 idle ticks. */
#define BACKOFF_MAX_TICKS 8u

struct pacing {
	struct ram_list *rl;
	struct fb_device *fb;
	struct fb_render *r;
	struct fb_headless *h;
};

static void pacing_setup(struct pacing *p, unsigned rate_hz, bool listener)
{
	struct fb_config cfg = { .name = "pace", .mode = { 64, 48, 0, PIXMAN_x8r8g8b8 } };
	struct fb_render_config rc = { .rate_hz = rate_hz };

	p->rl = ram_list_new(NULL);
	assert_non_null(p->rl);
	p->fb = fb_new(p->rl, &cfg);
	assert_non_null(p->fb);
	p->r = fb_render_new(&rc);
	assert_non_null(p->r);
	p->h = NULL;
	if (listener) {
		p->h = fb_headless_new(p->fb);
		assert_non_null(p->h);
	}
	assert_int_equal(fb_render_add(p->r, p->fb), 0);
	if (listener)
		fb_test_wait_switches(p->r, p->h, 1);
}

static void pacing_teardown(struct pacing *p)
{
	fb_render_remove(p->r, p->fb);
	if (p->h)
		fb_headless_free(p->h);
	fb_render_free(p->r);
	fb_free(p->fb);
	ram_list_free(p->rl);
}

/* Waits tick by tick until the interval is the idle one; returns the count. */
static unsigned reach_idle(struct pacing *p)
{
	struct fb_render_thread_stats ts;
	unsigned n = 0;

	for (;;) {
		fb_render_get_thread_stats(p->r, &ts);
		if (ts.interval_ns == NS_PER_S / FB_IDLE_RATE_HZ)
			return n;
		assert_true(n < 4 * BACKOFF_MAX_TICKS);
		assert_int_equal(fb_render_wait_ticks(p->r, 1, FB_TEST_WAIT_MS), 0);
		n++;
	}
}

static void test_idle_backoff(void **state)
{
	struct fb_render_thread_stats a, b;
	struct fb_headless_stats ha, hb;
	struct pacing p;
	unsigned n;

	(void)state;
	pacing_setup(&p, 60, true);
	n = reach_idle(&p);
	assert_true(n <= BACKOFF_MAX_TICKS);
	fb_render_get_thread_stats(p.r, &a);
	fb_headless_get_stats(p.h, &ha);
	assert_int_equal(fb_render_wait_ticks(p.r, 2, FB_TEST_WAIT_MS), 0);
	fb_render_get_thread_stats(p.r, &b);
	fb_headless_get_stats(p.h, &hb);
	/* idle ticks: no kick, no update, still at the idle rate */
	assert_int_equal(b.kicked_ticks, a.kicked_ticks);
	assert_int_equal(b.idle_ticks - a.idle_ticks, b.ticks - a.ticks);
	assert_int_equal(hb.ticks, ha.ticks);
	assert_int_equal(b.interval_ns, NS_PER_S / FB_IDLE_RATE_HZ);
	pacing_teardown(&p);
}

static void test_no_listener_goes_idle_at_once(void **state)
{
	struct fb_render_thread_stats ts, a, b;
	struct pacing p;

	(void)state;
	pacing_setup(&p, 60, false);
	/* Two ticks: the thread may tick once before fb_render_add, whose
	 * kick then makes the next tick an early one; it must be behind us. */
	assert_int_equal(fb_render_wait_ticks(p.r, 2, FB_TEST_WAIT_MS), 0);
	fb_render_get_thread_stats(p.r, &ts);
	assert_int_equal(ts.interval_ns, NS_PER_S / FB_IDLE_RATE_HZ);
	/* damage without listeners is not worth a tick: no write kicks, the
	 * next tick is the 1 Hz one */
	fb_render_get_thread_stats(p.r, &a);
	for (uint32_t i = 0; i < 100; i++) {
		assert_int_equal(fb_fill_rect(p.fb, 0, 0, 8, 8, i), 0);
		fb_input_pointer(p.fb, 1, 1, 0);
	}
	assert_int_equal(fb_render_wait_ticks(p.r, 1, FB_TEST_WAIT_MS), 0);
	fb_render_get_thread_stats(p.r, &b);
	assert_int_equal(b.kicked_ticks, a.kicked_ticks);
	assert_int_equal(b.ticks, a.ticks + 1);
	assert_int_equal(b.interval_ns, NS_PER_S / FB_IDLE_RATE_HZ);
	/* a listener arriving gets its surface on a kicked tick */
	p.h = fb_headless_new(p.fb);
	assert_non_null(p.h);
	fb_test_wait_switches(p.r, p.h, 1);
	pacing_teardown(&p);
}

static void test_wake_on_damage(void **state)
{
	struct fb_render_thread_stats a, b;
	struct fb_headless_stats ha, hb;
	struct fb_render_stats rs;
	uint32_t *shadow, w, h;
	struct pacing p;

	(void)state;
	pacing_setup(&p, 60, true);
	reach_idle(&p);
	fb_render_get_thread_stats(p.r, &a);
	fb_headless_get_stats(p.h, &ha);
	assert_int_equal(fb_fill_rect(p.fb, 3, 4, 5, 6, 0x00abcdef), 0);
	do {
		assert_int_equal(fb_render_wait_ticks(p.r, 1, FB_TEST_WAIT_MS), 0);
		fb_headless_get_stats(p.h, &hb);
	} while (hb.ticks == ha.ticks);
	fb_render_get_thread_stats(p.r, &b);
	/* the first tick after the write was kicked and delivered it; the
	 * kicked tick may complete before the wait starts, and then the wait
	 * ends on the next (backed-off) tick */
	assert_int_equal(b.kicked_ticks, a.kicked_ticks + 1);
	assert_in_range(b.ticks, a.ticks + 1, a.ticks + 2);
	assert_int_equal(hb.ticks, ha.ticks + 1);
	assert_int_equal(fb_headless_copy(p.h, &shadow, &w, &h), 0);
	assert_int_equal(shadow[5 * 64 + 4] & 0xffffff, 0xabcdef);
	free(shadow);
	fb_get_stats(p.fb, &rs);
	assert_true(rs.latency_ns_last > 0);
	pacing_teardown(&p);
}

/* A guest slower than the render rate, drawing 1.5 frames after each
 * delivery: every frame wakes a tick, and the thread sleeps through the
 * frame in between (FB_DAMAGE_BACKOFF_FRAMES) instead of ticking for
 * nothing. At 10 Hz that leaves 250 ms of slack before the back-off would
 * tick. */
static void test_slow_writer_gets_no_empty_ticks(void **state)
{
	const struct timespec gap = { 0, 150 * 1000 * 1000 }; /* 1.5 frames at 10 Hz */
	struct fb_render_thread_stats a = { 0 }, b;
	struct fb_rec rec;
	struct pacing p;

	(void)state;
	pacing_setup(&p, 10, true);
	fb_rec_init(&rec);
	assert_int_equal(fb_listener_register(p.fb, &rec.l), 0);
	fb_rec_wait_updates(&rec, 1); /* the full update after registering */
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(fb_fill_rect(p.fb, (int)i, 0, 1, 1, 0x00102030u + i), 0);
		fb_rec_wait_updates(&rec, 2 + i);
		if (i == 0)
			fb_render_get_thread_stats(p.r, &a);
		if (i < 4)
			nanosleep(&gap, NULL);
	}
	fb_render_get_thread_stats(p.r, &b);
	/* The counters move at the end of a tick, after the listeners: the
	 * first and the last delivery's tick may or may not be counted in a
	 * and b; an empty tick in between would count in idle_ticks. */
	assert_int_equal(b.idle_ticks, a.idle_ticks);
	assert_in_range(b.ticks - a.ticks, 3, 5);
	assert_int_equal(fb_listener_unregister(p.fb, &rec.l), 0);
	pacing_teardown(&p);
}

static atomic_uint keys_seen;

static void count_key(void *opaque, uint32_t keysym, bool down)
{
	(void)opaque;
	(void)keysym;
	(void)down;
	atomic_fetch_add(&keys_seen, 1);
}

static void test_wake_on_input(void **state)
{
	const struct fb_input_ops ops = { .key = count_key };
	struct fb_render_thread_stats a, b;
	struct pacing p;

	(void)state;
	pacing_setup(&p, 60, true);
	fb_set_input_handler(p.fb, &ops, NULL);
	reach_idle(&p);
	fb_render_get_thread_stats(p.r, &a);
	fb_input_key(p.fb, 0x61, true);
	assert_int_equal(atomic_load(&keys_seen), 1);
	assert_int_equal(fb_render_wait_ticks(p.r, 1, FB_TEST_WAIT_MS), 0);
	fb_render_get_thread_stats(p.r, &b);
	assert_int_equal(b.kicked_ticks, a.kicked_ticks + 1);
	assert_in_range(b.ticks, a.ticks + 1, a.ticks + 2); /* as in wake_on_damage */
	/* input resets the backoff: idle again takes a full ramp */
	assert_true(reach_idle(&p) >= 3);
	pacing_teardown(&p);
}

struct hammer {
	struct pacing *p;
	atomic_bool stop;
};

static void *hammer_main(void *opaque)
{
	struct hammer *hm = opaque;
	uint32_t v = 0;

	while (!atomic_load(&hm->stop)) {
		assert_int_equal(fb_fill_rect(hm->p->fb, 0, 0, 16, 16, v++), 0);
		fb_render_kick(hm->p->r);
	}
	return NULL;
}

static void test_rate_limit(void **state)
{
	const unsigned rate_hz = 20, ticks = 10;
	struct hammer hm = { 0 };
	struct timespec t0, t1;
	struct pacing p;
	pthread_t t;
	uint64_t ns;

	(void)state;
	pacing_setup(&p, rate_hz, true);
	hm.p = &p;
	assert_int_equal(pthread_create(&t, NULL, hammer_main, &hm), 0);
	assert_int_equal(fb_render_wait_ticks(p.r, 1, FB_TEST_WAIT_MS), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(fb_render_wait_ticks(p.r, ticks, FB_TEST_WAIT_MS), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	atomic_store(&hm.stop, true);
	pthread_join(t, NULL);
	ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * NS_PER_S + (uint64_t)t1.tv_nsec -
	     (uint64_t)t0.tv_nsec;
	/* ticks starts are at least one frame apart: ticks-1 full frames */
	assert_true(ns >= (ticks - 1) * (NS_PER_S / rate_hz));
	pacing_teardown(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_idle_backoff),
		cmocka_unit_test(test_no_listener_goes_idle_at_once),
		cmocka_unit_test(test_wake_on_damage),
		cmocka_unit_test(test_slow_writer_gets_no_empty_ticks),
		cmocka_unit_test(test_wake_on_input),
		cmocka_unit_test(test_rate_limit),
	};

	return cmocka_run_group_tests_name("fb-pacing", tests, NULL, NULL);
}
