/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Registering and unregistering listeners: a second registration of the
 * same listener (on the same or another framebuffer) is refused with
 * -EEXIST and leaves the list intact, so the render thread keeps ticking and
 * the listener gets each update once; unregistering what is not registered
 * is -ENOENT and does not call destroy; NULL is -EINVAL.
 */
#include "fb-test.h"

static unsigned destroyed;

static void counting_destroy(struct fb_listener *l)
{
	destroyed++;
	fb_rec_destroy(l);
}

static const struct fb_listener_ops counting_ops = {
	.name = "counting",
	.switch_surface = fb_rec_switch,
	.update = fb_rec_update,
	.destroy = counting_destroy,
};

static void test_register_twice_refused(void **state)
{
	struct fb_config cfg = { .name = "la", .mode = { 32, 16, 0, PIXMAN_x8r8g8b8 } };
	struct ram_list *rl = ram_list_new(NULL);
	struct fb_device *fb, *other;
	struct fb_render *r;
	struct fb_rec rec;

	(void)state;
	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	other = fb_new(rl, &cfg);
	assert_non_null(fb);
	assert_non_null(other);
	r = fb_render_new(NULL);
	assert_non_null(r);
	assert_int_equal(fb_render_add(r, fb), 0);
	fb_rec_init(&rec);
	rec.l.ops = &counting_ops;
	destroyed = 0;

	assert_int_equal(fb_listener_register(fb, &rec.l), 0);
	assert_int_equal(fb_listener_register(fb, &rec.l), -EEXIST);
	assert_int_equal(fb_listener_register(other, &rec.l), -EEXIST);
	/* the render thread still ticks (a self-loop would hang it) and the
	 * listener sees one switch, not two */
	fb_test_settle(r);
	pthread_mutex_lock(&rec.lock);
	assert_int_equal(rec.switches, 1);
	pthread_mutex_unlock(&rec.lock);
	fb_rec_reset(&rec);
	assert_int_equal(fb_fill_rect(fb, 0, 0, 4, 4, 0xffffff), 0);
	fb_test_settle(r);
	assert_int_equal(fb_rec_updates(&rec), 1);

	/* not registered on other: -ENOENT, no destroy, still on fb */
	assert_int_equal(fb_listener_unregister(other, &rec.l), -ENOENT);
	assert_int_equal(destroyed, 0);
	assert_int_equal(fb_listener_unregister(fb, &rec.l), 0);
	assert_int_equal(destroyed, 1);
	assert_int_equal(fb_listener_unregister(fb, &rec.l), -ENOENT);
	assert_int_equal(destroyed, 1);

	/* once unregistered it may be registered again, elsewhere too */
	fb_rec_init(&rec);
	rec.l.ops = &counting_ops;
	assert_int_equal(fb_listener_register(other, &rec.l), 0);
	assert_int_equal(fb_listener_unregister(other, &rec.l), 0);
	assert_int_equal(destroyed, 2);

	assert_int_equal(fb_listener_register(NULL, &rec.l), -EINVAL);
	assert_int_equal(fb_listener_register(fb, NULL), -EINVAL);
	assert_int_equal(fb_listener_unregister(NULL, &rec.l), -EINVAL);
	assert_int_equal(fb_listener_unregister(fb, NULL), -EINVAL);

	fb_render_remove(r, fb);
	fb_render_free(r);
	fb_free(other);
	fb_free(fb);
	ram_list_free(rl);
}

/* fb_free detaches a listener still attached; it may be registered anew. */
static void test_free_releases_listener(void **state)
{
	struct fb_config cfg = { .name = "lb", .mode = { 8, 8, 0, PIXMAN_r5g6b5 } };
	struct ram_list *rl = ram_list_new(NULL);
	struct fb_device *fb;
	struct fb_rec rec;

	(void)state;
	assert_non_null(rl);
	fb_rec_init(&rec);
	rec.l.ops = &counting_ops;
	destroyed = 0;
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	assert_int_equal(fb_listener_register(fb, &rec.l), 0);
	fb_free(fb);
	assert_int_equal(destroyed, 1);
	fb_rec_init(&rec);
	rec.l.ops = &counting_ops;
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	assert_int_equal(fb_listener_register(fb, &rec.l), 0);
	fb_free(fb);
	assert_int_equal(destroyed, 2);
	ram_list_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_twice_refused),
		cmocka_unit_test(test_free_releases_listener),
	};

	return cmocka_run_group_tests_name("fb-listeners", tests, NULL, NULL);
}
