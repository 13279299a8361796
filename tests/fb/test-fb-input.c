/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Input and requests: keys (with and without scancodes), pointer (clamped to the mode), viewer
 * clipboard and mode requests reach the guest's handler with the documented semantics; guest
 * clipboard text reaches every listener with a clipboard op, on the render thread; a listener
 * registered late gets switch_surface and a full update first.
 */
#include <stdio.h>

#include "fb-test.h"

struct guest_input {
	pthread_mutex_t lock;
	uint32_t last_key;
	bool last_down;
	int px, py;
	uint32_t buttons;
	char clip[64];
	unsigned requests;
	uint32_t last_qnum;
};

static void gi_key_code(void *o, uint32_t keysym, uint32_t qnum, bool down)
{
	struct guest_input *g = o;

	pthread_mutex_lock(&g->lock);
	g->last_key = keysym;
	g->last_qnum = qnum;
	g->last_down = down;
	pthread_mutex_unlock(&g->lock);
}

static void gi_key(void *o, uint32_t keysym, bool down)
{
	struct guest_input *g = o;

	pthread_mutex_lock(&g->lock);
	g->last_key = keysym;
	g->last_down = down;
	pthread_mutex_unlock(&g->lock);
}

static void gi_pointer(void *o, int x, int y, uint32_t buttons)
{
	struct guest_input *g = o;

	pthread_mutex_lock(&g->lock);
	g->px = x;
	g->py = y;
	g->buttons = buttons;
	pthread_mutex_unlock(&g->lock);
}

static int gi_mode_request(void *o, uint32_t w, uint32_t h)
{
	struct guest_input *g = o;

	pthread_mutex_lock(&g->lock);
	g->requests++;
	pthread_mutex_unlock(&g->lock);
	return w <= 1024 && h <= 768 ? 0 : -EPERM;
}

static void gi_clipboard(void *o, const char *utf8, size_t len)
{
	struct guest_input *g = o;

	pthread_mutex_lock(&g->lock);
	snprintf(g->clip, sizeof(g->clip), "%.*s", (int)len, utf8);
	pthread_mutex_unlock(&g->lock);
}

/* A listener that also takes clipboard text. */
struct clip_listener {
	struct fb_rec rec;
	char text[64];
	unsigned clips;
	pthread_t thread;
};

static void cl_clipboard(struct fb_listener *l, const char *utf8, size_t len)
{
	struct clip_listener *c = (struct clip_listener *)l;

	pthread_mutex_lock(&c->rec.lock);
	snprintf(c->text, sizeof(c->text), "%.*s", (int)len, utf8);
	c->clips++;
	c->thread = pthread_self();
	pthread_mutex_unlock(&c->rec.lock);
}

static const struct fb_listener_ops cl_ops = {
	.name = "clip",
	.switch_surface = fb_rec_switch,
	.update = fb_rec_update,
	.clipboard = cl_clipboard,
	.destroy = fb_rec_destroy,
};

static void test_input_and_clipboard(void **state)
{
	struct fb_config cfg = { .name = "in", .mode = { 320, 200, 0, PIXMAN_c8 } };
	struct guest_input g = { .lock = PTHREAD_MUTEX_INITIALIZER };
	const struct fb_input_ops ops = {
		.key = gi_key,
		.pointer = gi_pointer,
		.mode_request = gi_mode_request,
		.clipboard = gi_clipboard,
	};
	struct ram_list *rl = ram_list_new(NULL);
	struct clip_listener cl;
	struct fb_render *r;
	struct fb_device *fb;

	(void)state;
	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	r = fb_render_new(NULL);
	assert_non_null(r);
	assert_int_equal(fb_render_add(r, fb), 0);

	assert_int_equal(fb_request_mode(fb, 800, 600), -ENOTSUP);
	fb_set_input_handler(fb, &ops, &g);
	fb_input_key(fb, 0xff0d, true);
	assert_int_equal(g.last_key, 0xff0d);
	assert_true(g.last_down);
	fb_input_key(fb, 0xff0d, false);
	assert_false(g.last_down);
	/* a key with a scancode: without key_code the handler gets the keysym */
	fb_input_key_code(fb, 0x61, 0x1e, true);
	assert_int_equal(g.last_key, 0x61);
	assert_int_equal(g.last_qnum, 0);
	{
		struct fb_input_ops with_code = ops;

		with_code.key_code = gi_key_code;
		fb_set_input_handler(fb, &with_code, &g);
		fb_input_key_code(fb, 0xff52, 0xc8, false);
		assert_int_equal(g.last_key, 0xff52);
		assert_int_equal(g.last_qnum, 0xc8);
		assert_false(g.last_down);
		fb_set_input_handler(fb, &ops, &g);
	}
	fb_input_pointer(fb, 5000, -3, 0x5);
	assert_int_equal(g.px, 319);
	assert_int_equal(g.py, 0);
	assert_int_equal(g.buttons, 0x5);
	fb_input_clipboard(fb, "from viewer", 11);
	assert_string_equal(g.clip, "from viewer");
	assert_int_equal(fb_request_mode(fb, 800, 600), 0);
	assert_int_equal(fb_request_mode(fb, 4000, 600), -EPERM);
	assert_int_equal(fb_request_mode(fb, 0, 600), -EINVAL);
	assert_int_equal(g.requests, 2);

	/* a listener registered late: switch + full update, then clipboard */
	fb_rec_init(&cl.rec);
	cl.rec.l.ops = &cl_ops;
	cl.clips = 0;
	fb_listener_register(fb, &cl.rec.l);
	fb_send_clipboard(fb, "from guest", 10);
	fb_test_settle(r);
	pthread_mutex_lock(&cl.rec.lock);
	assert_int_equal(cl.rec.switches, 1);
	assert_int_equal(cl.rec.generation, fb_mode_generation(fb));
	assert_int_equal(cl.rec.updates, 1);
	assert_int_equal(pixman_region32_n_rects(&cl.rec.damage), 1);
	assert_int_equal(pixman_region32_extents(&cl.rec.damage)->x2, 320);
	assert_int_equal(pixman_region32_extents(&cl.rec.damage)->y2, 200);
	assert_int_equal(cl.clips, 1);
	assert_string_equal(cl.text, "from guest");
	assert_false(pthread_equal(cl.thread, pthread_self()));
	pthread_mutex_unlock(&cl.rec.lock);

	/* a mode change: switch again, then a full update of the new size */
	assert_int_equal(fb_set_mode(fb, &(struct fb_mode){ 100, 50, 0, PIXMAN_r8g8b8 }), 0);
	fb_test_settle(r);
	pthread_mutex_lock(&cl.rec.lock);
	assert_int_equal(cl.rec.switches, 2);
	assert_int_equal(cl.rec.generation, fb_mode_generation(fb));
	pthread_mutex_unlock(&cl.rec.lock);

	fb_listener_unregister(fb, &cl.rec.l);
	fb_render_remove(r, fb);
	fb_render_free(r);
	fb_free(fb);
	ram_list_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_input_and_clipboard),
	};

	return cmocka_run_group_tests_name("fb-input", tests, NULL, NULL);
}
