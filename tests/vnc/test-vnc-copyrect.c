/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-copyrect.c - a guest scrolling a textured area: a
 * client with CopyRect gets CopyRects and far fewer bytes than a repaint,
 * and every client (with or without CopyRect, reading at once or late)
 * shows exactly the guest's pixels after each step. Changes that are not
 * scrolls (a sprite moving sideways over a plain background, a full-screen
 * redraw) send no CopyRect. Guest moves (fb_copy_rect) go out as one
 * CopyRect each, in any direction.
 */
#include "tests/vnc/vnc-fixture.h"

/* The scenario of tests/bench 'text': a 600x400 area at (100,100) on a
 * 1024x768 screen, scrolling by 16 rows a step. */
#define SCREEN_W 1024u
#define SCREEN_H 768u
#define AREA_X 100u
#define AREA_Y 100u
#define AREA_W 600u
#define AREA_H 400u
#define SCROLL_ROWS 16u
#define SCROLL_STEPS 50u
/* A step may cost at most a quarter of a raw repaint of the area. */
#define STEP_MAX_BYTES (AREA_W * AREA_H * 4u / 4u)

/* CopyRects the hooked client applied (test thread only). */
static unsigned copyrects_seen;
static GotCopyRectProc libvncclient_copy_rect;

static void count_copy_rect(rfbClient *cl, int sx, int sy, int w, int h, int dx, int dy)
{
	copyrects_seen++;
	libvncclient_copy_rect(cl, sx, sy, w, h, dx, dy);
}

/* The texture: a pixel of content row `row` (rows never repeat). */
static uint32_t texel(uint32_t x, uint32_t row)
{
	uint64_t v = ((uint64_t)row << 32 | x) * 0x9e3779b97f4a7c15ull;

	v ^= v >> 31;
	return (uint32_t)(v * 0xbf58476d1ce4e5b9ull >> 40);
}

/* Draws the whole screen: the area shows content rows from `first`
 * (each step of a scroll up adds SCROLL_ROWS), the rest a fixed texture.
 * With area_only, writes only the area, as a scrolling guest does. */
static void draw(struct vt *t, int64_t first, bool area_only)
{
	struct fb_access acc;

	fb_access_begin(t->fb, &acc);
	for (uint32_t y = 0; y < SCREEN_H; y++) {
		uint32_t *row = (uint32_t *)((char *)acc.pixels + (size_t)y * acc.mode.stride);
		bool in_rows = y >= AREA_Y && y < AREA_Y + AREA_H;

		if (area_only && !in_rows)
			continue;
		for (uint32_t x = 0; x < SCREEN_W; x++) {
			bool in = in_rows && x >= AREA_X && x < AREA_X + AREA_W;

			if (area_only && !in)
				continue;
			row[x] = in ? texel(x, (uint32_t)(first + 100000 + (y - AREA_Y)))
				    : texel(x, y) ^ 0x00808080u;
		}
	}
	if (area_only)
		fb_mark_dirty(t->fb, &acc, AREA_X, AREA_Y, AREA_W, AREA_H);
	else
		fb_mark_dirty(t->fb, &acc, 0, 0, SCREEN_W, SCREEN_H);
	fb_access_end(t->fb, &acc);
}

static struct vtc *connect_counting(struct vt *t, const char *encodings)
{
	struct vtc *c = vt_connect(t, encodings);
	rfbClient *cl = vtc_rfb(c);

	libvncclient_copy_rect = cl->GotCopyRect;
	cl->GotCopyRect = count_copy_rect;
	return c;
}

/* Scrolling up 50 times: exact pictures for both clients, CopyRects and
 * few bytes for the one that supports them. */
static void test_scroll_up(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vtc *copy, *raw;
	uint64_t total = 0;
	struct vt t;

	(void)state;
	vt_setup(&t, SCREEN_W, SCREEN_H, PIXMAN_x8r8g8b8, &cfg);
	draw(&t, 0, false);
	copyrects_seen = 0;
	copy = connect_counting(&t, "copyrect raw");
	raw = vt_connect(&t, "raw");
	vt_expect_guest(&t, copy, "copyrect raw");
	vt_expect_guest(&t, raw, "raw");
	for (unsigned step = 1; step <= SCROLL_STEPS; step++) {
		uint64_t before = vtc_bytes_received(copy), spent;

		draw(&t, (int64_t)step * SCROLL_ROWS, true);
		vt_expect_guest(&t, copy, "copyrect raw");
		spent = vtc_bytes_received(copy) - before;
		total += spent;
		if (vtc_bytes_received(copy) != 0 && spent >= STEP_MAX_BYTES)
			fail_msg("scroll step %u cost %llu bytes (limit %u)", step,
				 (unsigned long long)spent, STEP_MAX_BYTES);
		vt_expect_guest(&t, raw, "raw");
	}
	print_message("%u scroll steps: %u CopyRects, %llu bytes (a repaint: %u each)\n",
		      SCROLL_STEPS, copyrects_seen, (unsigned long long)total,
		      AREA_W * AREA_H * 4u);
	assert_true(copyrects_seen > 0);
	assert_true(vtc_bytes_received(copy) != 0); /* TCP_INFO works here */
	vtc_free(raw);
	vtc_free(copy);
	vt_teardown(&t);
}

/* Scrolling down, with one row inside the moved block changed too, and a
 * client that reads only every few steps (copies and damage pile up in
 * LibVNCServer meanwhile): still exact. */
static void test_scroll_down_mixed_and_late_reader(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vtc *copy, *late;
	struct vt t;

	(void)state;
	vt_setup(&t, SCREEN_W, SCREEN_H, PIXMAN_x8r8g8b8, &cfg);
	draw(&t, 1000, false);
	copyrects_seen = 0;
	copy = connect_counting(&t, "copyrect raw");
	late = vt_connect(&t, "copyrect raw");
	vt_expect_guest(&t, copy, "copyrect raw");
	vt_expect_guest(&t, late, "late reader");
	for (unsigned step = 1; step <= 12; step++) {
		draw(&t, 1000 - (int64_t)step * 24, true);
		if (step % 3 == 0)
			assert_int_equal(fb_fill_rect(t.fb, AREA_X + 50, AREA_Y + 200, 300, 1,
						      0x123456u * step),
					 0);
		vt_expect_guest(&t, copy, "scroll down");
		if (step % 4 == 0)
			vt_expect_guest(&t, late, "late reader");
	}
	vt_expect_guest(&t, late, "late reader");
	assert_true(copyrects_seen > 0);
	vtc_free(late);
	vtc_free(copy);
	vt_teardown(&t);
}

/* The bench 'small' picture: a plain screen, an 8-row strip at the top
 * and a square moving sideways in the middle, both changing every step.
 * The plain rows between them match any move; they must not make one. */
static void test_sprite_is_not_a_scroll(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vtc *copy;
	struct vt t;

	(void)state;
	vt_setup(&t, SCREEN_W, SCREEN_H, PIXMAN_x8r8g8b8, &cfg);
	assert_int_equal(fb_fill_rect(t.fb, 0, 0, SCREEN_W, SCREEN_H, 0x303030u), 0);
	copyrects_seen = 0;
	copy = connect_counting(&t, "copyrect raw");
	vt_expect_guest(&t, copy, "copyrect raw");
	for (unsigned step = 1; step <= 20; step++) {
		int x = 16 + (int)(step * 16 % (SCREEN_W - 64));

		assert_int_equal(fb_fill_rect(t.fb, 0, 0, 256, 8, 0x010101u * step), 0);
		assert_int_equal(fb_fill_rect(t.fb, x - 16, SCREEN_H / 2 - 40, 80, 80, 0x303030u),
				 0);
		assert_int_equal(fb_fill_rect(t.fb, x, SCREEN_H / 2 - 40, 80, 80, 0xe04020u), 0);
		vt_expect_guest(&t, copy, "sprite");
	}
	assert_int_equal(copyrects_seen, 0);
	/* A full redraw with new content everywhere is no scroll either. */
	for (int64_t step = 1; step <= 5; step++) {
		draw(&t, step * 7919, false);
		vt_expect_guest(&t, copy, "redraw");
	}
	assert_int_equal(copyrects_seen, 0);
	vtc_free(copy);
	vt_teardown(&t);
}

/* A scroll above a small block that changes every step (a clock), with
 * plain background between them: the plain rows match the move too, but
 * the CopyRect must go to the rows that really moved. */
static void test_scroll_with_distant_change(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vtc *copy;
	uint64_t before;
	struct vt t;

	(void)state;
	vt_setup(&t, SCREEN_W, SCREEN_H, PIXMAN_x8r8g8b8, &cfg);
	assert_int_equal(fb_fill_rect(t.fb, 0, 0, SCREEN_W, SCREEN_H, 0x303030u), 0);
	copyrects_seen = 0;
	copy = connect_counting(&t, "copyrect raw");
	for (unsigned step = 0; step <= 10; step++) {
		struct fb_access acc;

		before = vtc_bytes_received(copy);
		fb_access_begin(t.fb, &acc);
		for (uint32_t y = 0; y < 200; y++) {
			uint32_t *row = (uint32_t *)((char *)acc.pixels +
						     (size_t)(AREA_Y + y) * acc.mode.stride);

			for (uint32_t x = AREA_X; x < AREA_X + AREA_W; x++)
				row[x] = texel(x, step * SCROLL_ROWS + y);
		}
		fb_mark_dirty(t.fb, &acc, AREA_X, AREA_Y, AREA_W, 200);
		fb_access_end(t.fb, &acc);
		assert_int_equal(fb_fill_rect(t.fb, AREA_X, 700, 64, 10, 0x010203u * step), 0);
		vt_expect_guest(&t, copy, "scroll and clock");
		if (step > 1 && vtc_bytes_received(copy) != 0 &&
		    vtc_bytes_received(copy) - before >= AREA_W * 200 * 4u / 4u)
			fail_msg("step %u cost %llu bytes: the scroll was not sent as a CopyRect",
				 step, (unsigned long long)(vtc_bytes_received(copy) - before));
	}
	assert_true(copyrects_seen >= 9);
	vtc_free(copy);
	vt_teardown(&t);
}

/* Guest moves (fb_copy_rect, as a blitter or a terminal does): one
 * CopyRect a step whatever the direction, a few bytes, and exact pictures
 * for a client with CopyRect, one without, and one that reads late. */
static void test_guest_moves(void **state)
{
	static const int offsets[][2] = { { 0, -16 }, { 0, 24 }, { -8, 0 }, { 5, -3 } };
	struct vnc_config cfg = vt_config();
	struct vtc *copy, *raw, *late;
	unsigned moved = 0;
	struct vt t;

	(void)state;
	vt_setup(&t, SCREEN_W, SCREEN_H, PIXMAN_x8r8g8b8, &cfg);
	draw(&t, 0, false);
	copyrects_seen = 0;
	copy = connect_counting(&t, "copyrect raw");
	raw = vt_connect(&t, "raw");
	late = vt_connect(&t, "copyrect raw");
	vt_expect_guest(&t, copy, "copyrect raw");
	vt_expect_guest(&t, raw, "raw");
	vt_expect_guest(&t, late, "late reader");
	for (unsigned step = 0; step < 12; step++) {
		const int *o = offsets[step % 4];
		uint64_t before = vtc_bytes_received(copy);
		unsigned seen = copyrects_seen;
		struct fb_render_stats st0, st1;

		/* A move made while the render thread is inside a tick goes
		 * out as pixels (fb_access_copy never waits): each step starts
		 * after the last step's tick (a loaded machine lost 7 of 12). */
		fb_render_kick(t.render);
		assert_int_equal(fb_render_wait_ticks(t.render, 1, VT_WAIT_MS), 0);
		fb_get_stats(t.fb, &st0);
		assert_int_equal(fb_copy_rect(t.fb, AREA_X + 10, AREA_Y + 30, AREA_X + 10 + o[0],
					      AREA_Y + 30 + o[1], AREA_W - 20, AREA_H - 60),
				 0);
		assert_int_equal(fb_fill_rect(t.fb, 0, 0, 64, 8, 0x010203u * step), 0);
		vt_expect_guest(&t, copy, "guest move");
		fb_get_stats(t.fb, &st1);
		/* A move that met a tick in progress went out as pixels (a
		 * vertical one may then still be found in them). */
		moved += (unsigned)(st1.moves - st0.moves);
		if (st1.moves != st0.moves)
			assert_int_equal(copyrects_seen - seen, 1);
		else
			assert_true(copyrects_seen - seen <= 1);
		if (st1.moves != st0.moves && vtc_bytes_received(copy) != 0 &&
		    vtc_bytes_received(copy) - before >= STEP_MAX_BYTES / 16)
			fail_msg("move %u cost %llu bytes", step,
				 (unsigned long long)(vtc_bytes_received(copy) - before));
		vt_expect_guest(&t, raw, "guest move, raw");
		if (step % 5 == 4)
			vt_expect_guest(&t, late, "guest move, late reader");
	}
	vt_expect_guest(&t, late, "guest move, late reader");
	assert_true(moved >= 6);
	vtc_free(late);
	vtc_free(raw);
	vtc_free(copy);
	vt_teardown(&t);
}

/*
 * A guest move in a format the VNC shadow converts (r5g6b5), then a change
 * in the same 16-row cell band but outside the move's destination: the
 * cell compare reads whole cells, so it must read the guest's pixels, not
 * a conversion of them older than the move (a raw client then got the
 * pre-move pixels back, and kept them: test-vnc-resize saw it under load).
 */
static void test_guest_move_converted_format(void **state)
{
	struct vnc_config cfg = vt_config();
	uint64_t seed = 99;
	struct vtc *raw;
	struct vt t;

	(void)state;
	vt_setup(&t, 512, 256, PIXMAN_r5g6b5, &cfg);
	for (int y = 0; y < 256; y += 8)
		for (int x = 0; x < 512; x += 8)
			assert_int_equal(fb_fill_rect(t.fb, x, y, 8, 8, (uint32_t)vt_rand(&seed)),
					 0);
	raw = vt_connect(&t, "raw");
	vt_expect_guest(&t, raw, "start");
	/* Each step starts after the last step's tick, so that the move goes
	 * out as a move (test_guest_moves). */
	fb_render_kick(t.render);
	assert_int_equal(fb_render_wait_ticks(t.render, 1, VT_WAIT_MS), 0);
	assert_int_equal(fb_copy_rect(t.fb, 40, 40, 45, 100, 300, 20), 0);
	vt_expect_guest(&t, raw, "after the move");
	fb_render_kick(t.render);
	assert_int_equal(fb_render_wait_ticks(t.render, 1, VT_WAIT_MS), 0);
	/* Row 97: cell band 96..111, which the move's rows 100..119 share. */
	assert_int_equal(fb_fill_rect(t.fb, 50, 97, 4, 1, 0xffffffu), 0);
	vt_expect_guest(&t, raw, "after a change beside the move");
	vtc_free(raw);
	vt_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scroll_up),
		cmocka_unit_test(test_scroll_down_mixed_and_late_reader),
		cmocka_unit_test(test_sprite_is_not_a_scroll),
		cmocka_unit_test(test_scroll_with_distant_change),
		cmocka_unit_test(test_guest_moves),
		cmocka_unit_test(test_guest_move_converted_format),
	};

	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
