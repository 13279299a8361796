/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Frame sections: a frame drawn inside one fb_access section reaches the
 * listeners whole. A guest thread draws hundreds of frames (each a solid
 * colour plus its frame number in the first pixels, drawn in two halves with
 * a yield between them) while the render thread runs; a listener checks on
 * every update that the whole picture is one frame. A section left open
 * defers delivery without the thread backing off, and closing it delivers
 * within the next ticks.
 */
#include <stdatomic.h>

#include "fb-test.h"
#include "tests/common/section-frames.h"

#define SECTIONS_W 320
#define SECTIONS_H 240
#define SECTIONS_FRAMES 400u
/* Pause between two frames: sections stay shorter than a frame. */
#define SECTIONS_GAP_NS 500000L
#define SECTIONS_RATE_HZ 1000u

/* A listener that checks every picture it is shown. Runs on the render
 * thread; the atomics are read by the test thread. */
struct frame_checker {
	struct fb_listener l;
	_Atomic unsigned updates;     /* updates checked */
	_Atomic unsigned mixed;	      /* pictures that were not one frame */
	_Atomic uint32_t last_frame;  /* frame number of the last picture */
	_Atomic unsigned frames_seen; /* distinct frame numbers, in order */
};

static void checker_switch(struct fb_listener *l, const struct fb_surface *s)
{
	(void)l;
	(void)s;
}

static void checker_update(struct fb_listener *l, const struct fb_surface *s,
			   const pixman_region32_t *damage)
{
	struct frame_checker *c = (struct frame_checker *)l;
	long n = section_frame_shown(pixman_image_get_data(s->image),
				     (size_t)pixman_image_get_stride(s->image) / 4, s->mode.width,
				     s->mode.height);

	(void)damage;
	atomic_fetch_add(&c->updates, 1);
	if (n < 0) {
		atomic_fetch_add(&c->mixed, 1);
		return;
	}
	if ((uint32_t)n != atomic_load(&c->last_frame))
		atomic_fetch_add(&c->frames_seen, 1);
	atomic_store(&c->last_frame, (uint32_t)n);
}

static void checker_destroy(struct fb_listener *l)
{
	(void)l;
}

static const struct fb_listener_ops checker_ops = {
	.name = "frame-checker",
	.switch_surface = checker_switch,
	.update = checker_update,
	.destroy = checker_destroy,
};

struct sections_env {
	struct ram_list *rl;
	struct fb_device *fb;
	struct fb_render *r;
};

static void env_setup(struct sections_env *e, unsigned rate_hz)
{
	struct fb_config cfg = { .name = "sections",
				 .mode = { SECTIONS_W, SECTIONS_H, 0, PIXMAN_x8r8g8b8 } };
	struct fb_render_config rc = { .rate_hz = rate_hz };

	e->rl = ram_list_new(NULL);
	assert_non_null(e->rl);
	e->fb = fb_new(e->rl, &cfg);
	assert_non_null(e->fb);
	e->r = fb_render_new(&rc);
	assert_non_null(e->r);
	assert_int_equal(fb_render_add(e->r, e->fb), 0);
}

static void env_teardown(struct sections_env *e)
{
	fb_render_remove(e->r, e->fb);
	fb_render_free(e->r);
	fb_free(e->fb);
	ram_list_free(e->rl);
}

/* Draws frame n inside one section (section-frames.h). */
static void draw_frame(struct fb_device *fb, uint32_t n)
{
	section_frame_draw(fb, n, SECTIONS_W, SECTIONS_H);
}

static void *guest_main(void *opaque)
{
	struct fb_device *fb = opaque;
	struct timespec gap = { 0, SECTIONS_GAP_NS };

	for (uint32_t n = 1; n <= SECTIONS_FRAMES; n++) {
		draw_frame(fb, n);
		nanosleep(&gap, NULL);
	}
	return NULL;
}

static void test_frames_never_mixed(void **state)
{
	struct frame_checker c = { .l.ops = &checker_ops };
	struct sections_env e;
	pthread_t guest;
	unsigned i;

	(void)state;
	env_setup(&e, SECTIONS_RATE_HZ);
	draw_frame(e.fb, 0);
	fb_listener_register(e.fb, &c.l);
	for (i = 0; i < 2000 && atomic_load(&c.updates) == 0; i++) {
		fb_render_kick(e.r);
		assert_int_equal(fb_render_wait_ticks(e.r, 1, FB_TEST_WAIT_MS), 0);
	}
	assert_int_not_equal(atomic_load(&c.updates), 0);
	assert_int_equal(pthread_create(&guest, NULL, guest_main, e.fb), 0);
	assert_int_equal(pthread_join(guest, NULL), 0);
	/* The last frame arrives within a bounded number of ticks. */
	for (i = 0; i < 2000 && atomic_load(&c.last_frame) != SECTIONS_FRAMES; i++) {
		fb_render_kick(e.r);
		assert_int_equal(fb_render_wait_ticks(e.r, 1, FB_TEST_WAIT_MS), 0);
	}
	fb_listener_unregister(e.fb, &c.l);
	print_message("%u updates, %u distinct frames shown, %u mixed\n", atomic_load(&c.updates),
		      atomic_load(&c.frames_seen), atomic_load(&c.mixed));
	assert_int_equal(atomic_load(&c.mixed), 0);
	assert_int_equal(atomic_load(&c.last_frame), SECTIONS_FRAMES);
	/* Frames are not all held back: many distinct ones were shown. */
	assert_true(atomic_load(&c.frames_seen) >= 10);
	env_teardown(&e);
}

/* Waits until the recorder got at least n updates; false after the bound. */
static bool wait_updates(struct fb_render *r, struct fb_rec *rec, unsigned n)
{
	for (unsigned i = 0; i < 2000; i++) {
		if (fb_rec_updates(rec) >= n)
			return true;
		fb_render_kick(r);
		assert_int_equal(fb_render_wait_ticks(r, 1, FB_TEST_WAIT_MS), 0);
	}
	return false;
}

static void test_open_section_defers(void **state)
{
	struct fb_render_thread_stats ts0, ts1;
	struct sections_env e;
	struct fb_access acc;
	struct fb_rec rec;
	unsigned before;

	(void)state;
	/* 20 Hz: a timer tick is 50 ms away, a kicked one comes at once. */
	env_setup(&e, 20);
	fb_rec_init(&rec);
	fb_listener_register(e.fb, &rec.l);
	assert_true(wait_updates(e.r, &rec, 1));
	fb_test_settle(e.r);
	before = fb_rec_updates(&rec);

	fb_access_begin(e.fb, &acc);
	pixman_fill(acc.pixels, (int)(acc.mode.stride / 4), 32, 8, 8, 16, 16, 0xff0000);
	fb_mark_dirty(e.fb, &acc, 8, 8, 16, 16);
	/* Kicked or not, ticks leave the open frame alone and stay at full
	 * rate. */
	for (int i = 0; i < 4; i++) {
		fb_render_kick(e.r);
		assert_int_equal(fb_render_wait_ticks(e.r, 1, FB_TEST_WAIT_MS), 0);
	}
	assert_int_equal(fb_rec_updates(&rec), before);
	fb_render_get_thread_stats(e.r, &ts0);
	assert_int_equal(ts0.interval_ns, 1000000000ull / 20);

	fb_access_end(e.fb, &acc);
	/* The tick running at the close may still see it open; the one after
	 * was kicked by the close and delivers. */
	assert_int_equal(fb_render_wait_ticks(e.r, 2, FB_TEST_WAIT_MS), 0);
	fb_render_get_thread_stats(e.r, &ts1);
	assert_int_equal(fb_rec_updates(&rec), before + 1);
	assert_true(ts1.kicked_ticks > ts0.kicked_ticks);
	pthread_mutex_lock(&rec.lock);
	assert_true(pixman_region32_contains_point(&rec.damage, 8, 8, NULL));
	assert_true(pixman_region32_contains_point(&rec.damage, 23, 23, NULL));
	pthread_mutex_unlock(&rec.lock);

	fb_listener_unregister(e.fb, &rec.l);
	env_teardown(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_never_mixed),
		cmocka_unit_test(test_open_section_defers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
