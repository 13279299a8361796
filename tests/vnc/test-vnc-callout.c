/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-callout.c - a render tick that runs while the VNC
 * thread is out in the guest's input handler (shadow_lock dropped) must not
 * reach clients before LibVNCServer is told about it. The guest scrolls a
 * line up (a move) and draws a new line where it was, from inside its key
 * handler, and waits there for render ticks; the viewer must end with the
 * guest's picture. Without the rule, the rest of that pass sent the new
 * line from the shadow, and the CopyRect scheduled in the next pass then
 * copied it over the scrolled line. The same guest steps taken outside the
 * handler are the control.
 */
#include "tests/vnc/vnc-fixture.h"

#define W 256
#define H 256
#define LINE_H 16
#define TICKS_IN_HANDLER 3u

/* Set before the viewer connects; read by the handler on the VNC thread. */
static struct {
	struct vt *t;
	bool in_handler; /* the guest draws from its key handler */
} guest;

static void draw_line(struct vt *t)
{
	assert_int_equal(fb_fill_rect(t->fb, 0, 128, W, LINE_H, 0xaa0000u), 0);
}

/* Scrolls the line up one line height and draws a new one where it was. */
static void scroll_and_draw(struct vt *t)
{
	assert_int_equal(fb_copy_rect(t->fb, 0, 128, 0, 128 - LINE_H, W, LINE_H), 0);
	assert_int_equal(fb_fill_rect(t->fb, 0, 128, W, LINE_H, 0x00bb00u), 0);
}

/* Draws, waits for ticks, then counts the key as the fixture's handler does
 * (opaque is the fixture's vt_input). */
static void on_key(void *opaque, uint32_t keysym, bool down)
{
	if (!down || !guest.in_handler || (keysym != 'a' && keysym != 'b'))
		return;
	if (keysym == 'a')
		draw_line(guest.t);
	else
		scroll_and_draw(guest.t);
	fb_render_kick(guest.t->render);
	/* The VNC thread waits here, out of its pass: the render thread ticks. */
	assert_int_equal(fb_render_wait_ticks(guest.t->render, TICKS_IN_HANDLER, VT_WAIT_MS), 0);
	vt_in_key(opaque, keysym, down);
}

static const struct fb_input_ops key_only = { .key = on_key };

static bool both_keys_handled(struct vt_input *in, const void *arg)
{
	(void)arg;
	return in->key_events >= 2;
}

static void run(bool in_handler)
{
	struct vnc_config cfg = vt_config();
	struct vtc *c;
	struct vt t;

	vt_setup(&t, W, H, PIXMAN_x8r8g8b8, &cfg);
	guest.t = &t;
	guest.in_handler = in_handler;
	fb_set_input_handler(t.fb, &key_only, &t.in);
	assert_int_equal(fb_fill_rect(t.fb, 0, 0, W, H, 0x202020u), 0);
	c = vt_connect(&t, "copyrect raw");
	vt_expect_guest(&t, c, "first picture");
	if (in_handler) {
		assert_int_equal(vtc_key(c, 'a', true), 0);
		assert_int_equal(vtc_key(c, 'b', true), 0);
		assert_true(vt_wait_input(&t, both_keys_handled, NULL, VT_WAIT_MS));
	} else {
		draw_line(&t);
		fb_render_kick(t.render);
		assert_int_equal(fb_render_wait_ticks(t.render, TICKS_IN_HANDLER, VT_WAIT_MS), 0);
		scroll_and_draw(&t);
	}
	fb_render_kick(t.render);
	vt_expect_guest(&t, c, in_handler ? "after the handler's scroll" : "after the scroll");
	vtc_free(c);
	vt_teardown(&t);
}

static void test_scroll_outside_handler(void **state)
{
	(void)state;
	run(false);
}

static void test_scroll_inside_handler(void **state)
{
	(void)state;
	run(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scroll_outside_handler),
		cmocka_unit_test(test_scroll_inside_handler),
	};

	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
