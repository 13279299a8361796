/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest's cursor (fb/cursor.c): a listener gets the exact image and
 * hotspot a guest defined and the position it set, on the render thread;
 * a listener that registers later gets the current state once; a mode
 * switch delivers it again; bad definitions are refused and change nothing;
 * and under load from several threads (also in the TSan build) the last
 * state wins and held images stay valid.
 */
#include "fb-test.h"

/* Records the cursor ops (the render thread calls them; read after a wait). */
struct cursor_rec {
	struct fb_rec rec;
	struct fb_cursor *image; /* a reference to the last image */
	unsigned defines, moves;
	int x, y;
	bool visible;
};

static void rec_cursor_define(struct fb_listener *l, struct fb_cursor *c)
{
	struct cursor_rec *r = (struct cursor_rec *)l;

	pthread_mutex_lock(&r->rec.lock);
	fb_cursor_unref(r->image);
	r->image = fb_cursor_ref(c);
	r->defines++;
	pthread_mutex_unlock(&r->rec.lock);
}

static void rec_cursor_move(struct fb_listener *l, int x, int y, bool visible)
{
	struct cursor_rec *r = (struct cursor_rec *)l;

	pthread_mutex_lock(&r->rec.lock);
	r->x = x;
	r->y = y;
	r->visible = visible;
	r->moves++;
	pthread_mutex_unlock(&r->rec.lock);
}

static void rec_cursor_destroy(struct fb_listener *l)
{
	struct cursor_rec *r = (struct cursor_rec *)l;

	fb_cursor_unref(r->image);
	r->image = NULL;
	fb_rec_destroy(l);
}

static const struct fb_listener_ops cursor_rec_ops = {
	.name = "cursor-recorder",
	.switch_surface = fb_rec_switch,
	.update = fb_rec_update,
	.cursor_define = rec_cursor_define,
	.cursor_move = rec_cursor_move,
	.destroy = rec_cursor_destroy,
};

static void cursor_rec_init(struct cursor_rec *r)
{
	memset(r, 0, sizeof(*r));
	fb_rec_init(&r->rec);
	r->rec.l.ops = &cursor_rec_ops;
}

static void test_cursor_delivered(void **state)
{
	struct fb_config cfg = { .name = "cur", .mode = { 64, 48, 0, PIXMAN_x8r8g8b8 } };
	struct ram_list *rl = ram_list_new(NULL);
	struct cursor_rec a, b;
	struct fb_device *fb;
	struct fb_render *r;
	uint32_t argb[5 * 3];
	struct fb_cursor *got;
	int x, y;
	bool vis;

	(void)state;
	for (unsigned i = 0; i < 15; i++)
		argb[i] = (i % 2 ? 0xff000000u : 0x80000000u) | (0x010203u * i);
	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	r = fb_render_new(NULL);
	assert_non_null(r);
	assert_int_equal(fb_render_add(r, fb), 0);
	cursor_rec_init(&a);
	assert_int_equal(fb_listener_register(fb, &a.rec.l), 0);
	fb_test_settle(r);
	/* nothing defined: no call */
	assert_int_equal(a.defines + a.moves, 0);

	assert_int_equal(fb_cursor_define(fb, 5, 3, 2, 1, argb, 5 * 4), 0);
	fb_cursor_move(fb, 10, 20);
	fb_test_settle(r);
	pthread_mutex_lock(&a.rec.lock);
	assert_int_equal(a.defines, 1);
	assert_non_null(a.image);
	assert_int_equal(a.image->width, 5);
	assert_int_equal(a.image->height, 3);
	assert_int_equal(a.image->hot_x, 2);
	assert_int_equal(a.image->hot_y, 1);
	assert_memory_equal(a.image->argb, argb, sizeof(argb));
	assert_int_equal(a.x, 10);
	assert_int_equal(a.y, 20);
	assert_true(a.visible);
	pthread_mutex_unlock(&a.rec.lock);

	/* moves alone: no define */
	fb_cursor_move(fb, 11, 21);
	fb_cursor_show(fb, false);
	fb_test_settle(r);
	pthread_mutex_lock(&a.rec.lock);
	assert_int_equal(a.defines, 1);
	assert_int_equal(a.x, 11);
	assert_false(a.visible);
	pthread_mutex_unlock(&a.rec.lock);

	/* a later listener gets the current state once */
	cursor_rec_init(&b);
	assert_int_equal(fb_listener_register(fb, &b.rec.l), 0);
	fb_test_settle(r);
	fb_test_settle(r);
	pthread_mutex_lock(&b.rec.lock);
	assert_int_equal(b.defines, 1);
	assert_int_equal(b.moves, 1);
	assert_int_equal(b.x, 11);
	assert_int_equal(b.y, 21);
	assert_false(b.visible);
	assert_memory_equal(b.image->argb, argb, sizeof(argb));
	pthread_mutex_unlock(&b.rec.lock);

	/* a mode switch delivers it again */
	{
		struct fb_mode m = { 32, 32, 0, PIXMAN_r5g6b5 };

		assert_int_equal(fb_set_mode(fb, &m), 0);
	}
	fb_test_settle(r);
	fb_test_settle(r);
	pthread_mutex_lock(&b.rec.lock);
	assert_int_equal(b.defines, 2);
	pthread_mutex_unlock(&b.rec.lock);

	/* refused: nothing changes */
	assert_int_equal(fb_cursor_define(fb, 0, 3, 0, 0, argb, 20), -EINVAL);
	assert_int_equal(fb_cursor_define(fb, FB_CURSOR_MAX_SIDE_PX + 1, 1, 0, 0, argb,
					  (FB_CURSOR_MAX_SIDE_PX + 1) * 4),
			 -EINVAL);
	assert_int_equal(fb_cursor_define(fb, 5, 3, 5, 0, argb, 20), -EINVAL);
	assert_int_equal(fb_cursor_define(fb, 5, 3, 0, 0, argb, 19), -EINVAL);
	assert_int_equal(fb_cursor_define(fb, 5, 3, 0, 0, NULL, 20), -EINVAL);
	got = fb_cursor_get(fb, &x, &y, &vis);
	assert_non_null(got);
	assert_int_equal(got->width, 5);
	assert_memory_equal(got->argb, argb, sizeof(argb));
	fb_cursor_unref(got);

	/* cleared: listeners get NULL */
	fb_cursor_clear(fb);
	fb_test_settle(r);
	pthread_mutex_lock(&a.rec.lock);
	assert_null(a.image);
	pthread_mutex_unlock(&a.rec.lock);
	assert_null(fb_cursor_get(fb, NULL, NULL, NULL));

	assert_int_equal(fb_listener_unregister(fb, &a.rec.l), 0);
	assert_int_equal(fb_listener_unregister(fb, &b.rec.l), 0);
	fb_render_free(r);
	fb_free(fb);
	ram_list_free(rl);
}

/* Stress: guest threads define, move, show and clear the cursor while a
 * listener registers and unregisters and the render thread delivers; the
 * listener keeps references past the calls. No image is freed while held
 * (ASan), no race (TSan), and the last state is what a listener finally
 * gets. */
#define STRESS_ROUNDS 2000
#define STRESS_THREADS 2

struct stress_arg {
	struct fb_device *fb;
	unsigned id;
};

static void *stress_guest(void *opaque)
{
	struct stress_arg *a = opaque;
	uint32_t argb[4 * 4];

	for (unsigned i = 0; i < STRESS_ROUNDS; i++) {
		for (unsigned p = 0; p < 16; p++)
			argb[p] = 0xff000000u | (a->id << 16) | i;
		if (i % 97 == 0)
			fb_cursor_clear(a->fb);
		else
			assert_int_equal(fb_cursor_define(a->fb, 4, 4, i % 4, a->id % 4, argb, 16),
					 0);
		fb_cursor_move(a->fb, (int)i, (int)a->id);
		fb_cursor_show(a->fb, i % 2);
	}
	return NULL;
}

static void test_cursor_stress(void **state)
{
	struct fb_config cfg = { .name = "stress", .mode = { 32, 32, 0, PIXMAN_x8r8g8b8 } };
	struct ram_list *rl = ram_list_new(NULL);
	struct stress_arg args[STRESS_THREADS];
	pthread_t threads[STRESS_THREADS];
	struct cursor_rec a, b;
	struct fb_device *fb;
	struct fb_render *r;
	uint32_t last[16];

	(void)state;
	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	r = fb_render_new(&(struct fb_render_config){ .rate_hz = FB_MAX_RATE_HZ });
	assert_non_null(r);
	assert_int_equal(fb_render_add(r, fb), 0);
	cursor_rec_init(&a);
	assert_int_equal(fb_listener_register(fb, &a.rec.l), 0);
	for (unsigned i = 0; i < STRESS_THREADS; i++) {
		args[i] = (struct stress_arg){ fb, i + 1 };
		assert_int_equal(pthread_create(&threads[i], NULL, stress_guest, &args[i]), 0);
	}
	for (unsigned i = 0; i < 50; i++) {
		cursor_rec_init(&b);
		assert_int_equal(fb_listener_register(fb, &b.rec.l), 0);
		fb_render_kick(r);
		assert_int_equal(fb_render_wait_ticks(r, 1, FB_TEST_WAIT_MS), 0);
		assert_int_equal(fb_listener_unregister(fb, &b.rec.l), 0);
	}
	for (unsigned i = 0; i < STRESS_THREADS; i++)
		pthread_join(threads[i], NULL);
	/* a final, known state reaches the listener */
	for (unsigned p = 0; p < 16; p++)
		last[p] = 0xff00abcdu + p;
	assert_int_equal(fb_cursor_define(fb, 4, 4, 2, 3, last, 16), 0);
	fb_cursor_move(fb, 7, 9);
	fb_cursor_show(fb, true);
	fb_test_settle(r);
	pthread_mutex_lock(&a.rec.lock);
	assert_non_null(a.image);
	assert_memory_equal(a.image->argb, last, sizeof(last));
	assert_int_equal(a.image->hot_x, 2);
	assert_int_equal(a.x, 7);
	assert_int_equal(a.y, 9);
	assert_true(a.visible);
	pthread_mutex_unlock(&a.rec.lock);
	assert_int_equal(fb_listener_unregister(fb, &a.rec.l), 0);
	fb_render_free(r);
	fb_free(fb);
	ram_list_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor_delivered),
		cmocka_unit_test(test_cursor_stress),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
