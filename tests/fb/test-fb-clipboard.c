/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest clipboard: text longer than FB_CLIPBOARD_MAX_BYTES is refused with
 * -E2BIG and never reaches a listener; text of exactly the limit arrives
 * whole; of several texts sent before the render thread took any, only the
 * latest is delivered, once.
 */
#include "fb-test.h"

struct clip_rec {
	struct fb_rec rec; /* its lock protects the fields below too */
	unsigned clips;
	size_t last_len;
	char last_head[16]; /* the first bytes of the last text */
};

static void clip_rec_clipboard(struct fb_listener *l, const char *utf8, size_t len)
{
	struct clip_rec *c = (struct clip_rec *)l;

	pthread_mutex_lock(&c->rec.lock);
	c->clips++;
	c->last_len = len;
	memset(c->last_head, 0, sizeof(c->last_head));
	memcpy(c->last_head, utf8, len < sizeof(c->last_head) - 1 ? len : sizeof(c->last_head) - 1);
	pthread_mutex_unlock(&c->rec.lock);
}

static const struct fb_listener_ops clip_rec_ops = {
	.name = "clip",
	.switch_surface = fb_rec_switch,
	.update = fb_rec_update,
	.clipboard = clip_rec_clipboard,
	.destroy = fb_rec_destroy,
};

static void test_clipboard_cap_and_latest(void **state)
{
	struct fb_config cfg = { .name = "clip", .mode = { 16, 16, 0, PIXMAN_x8r8g8b8 } };
	struct ram_list *rl = ram_list_new(NULL);
	struct fb_device *fb;
	struct fb_render *r;
	struct clip_rec c;
	char *big;

	(void)state;
	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	fb_rec_init(&c.rec);
	c.rec.l.ops = &clip_rec_ops;
	c.clips = 0;
	assert_int_equal(fb_listener_register(fb, &c.rec.l), 0);
	big = malloc(FB_CLIPBOARD_MAX_BYTES + 1);
	assert_non_null(big);
	memset(big, 'x', FB_CLIPBOARD_MAX_BYTES + 1);
	memcpy(big, "biggest", 7);

	/* no render thread yet: everything waits */
	assert_int_equal(fb_send_clipboard(fb, big, FB_CLIPBOARD_MAX_BYTES + 1), -E2BIG);
	assert_int_equal(fb_send_clipboard(fb, "first", 5), 0);
	assert_int_equal(fb_send_clipboard(fb, "second", 6), 0);
	assert_int_equal(fb_send_clipboard(fb, "third", 5), 0);
	assert_int_equal(fb_send_clipboard(fb, NULL, 3), -EINVAL);
	assert_int_equal(fb_send_clipboard(NULL, "x", 1), -EINVAL);

	r = fb_render_new(NULL);
	assert_non_null(r);
	assert_int_equal(fb_render_add(r, fb), 0);
	fb_test_settle(r);
	pthread_mutex_lock(&c.rec.lock);
	assert_int_equal(c.clips, 1);
	assert_int_equal(c.last_len, 5);
	assert_string_equal(c.last_head, "third");
	pthread_mutex_unlock(&c.rec.lock);

	/* exactly the limit is delivered whole */
	assert_int_equal(fb_send_clipboard(fb, big, FB_CLIPBOARD_MAX_BYTES), 0);
	fb_test_settle(r);
	pthread_mutex_lock(&c.rec.lock);
	assert_int_equal(c.clips, 2);
	assert_int_equal(c.last_len, FB_CLIPBOARD_MAX_BYTES);
	assert_string_equal(c.last_head, "biggestxxxxxxxx");
	pthread_mutex_unlock(&c.rec.lock);

	/* a pending message is freed by fb_free (ASan: no leak) */
	fb_render_remove(r, fb);
	assert_int_equal(fb_send_clipboard(fb, "pending", 7), 0);
	fb_render_free(r);
	free(big);
	fb_free(fb);
	ram_list_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clipboard_cap_and_latest),
	};

	return cmocka_run_group_tests_name("fb-clipboard", tests, NULL, NULL);
}
