/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/guests/test-guest-demo.c - the demo guest, through the render
 * thread and a headless listener: typed keys echo in the keyboard panel and
 * BackSpace takes them back, a held button paints under the pointer, F2 walks
 * the mode cycle, viewer resize requests are applied, the clock, log and
 * sprite change by themselves, concurrent input during mode changes is
 * safe (also run under ThreadSanitizer), and a full log scrolls by a move
 * that gives the same pixels as a full redraw.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guest-rig.h"
#include "server/guests/guest-demo-internal.h"
#include "server/guests/guest-demo.h"
#include "server/guests/guest-draw.h"

/* Threads and events of the concurrent-input stress test. */
#define STRESS_THREADS 3
#define STRESS_EVENTS_PER_THREAD 3000

static struct guest_demo_layout layout_of(struct rig *rig)
{
	struct guest_demo_layout l;

	guest_demo_layout((int)rig->frame.width, (int)rig->frame.height, &l);
	return l;
}

static uint32_t centre_px(struct rig *rig, const pixman_box32_t *b)
{
	return rig_px(rig, (b->x1 + b->x2) / 2, (b->y1 + b->y2) / 2);
}

/* The first full drawing of a mode is on screen: right size, and the paint
 * area's background at its centre. */
static bool pred_drawn(struct rig *rig, void *arg)
{
	struct guest_demo_layout l;
	const pixman_box32_t *pa;

	if (!rig_pred_mode(rig, arg))
		return false;
	l = layout_of(rig);
	pa = &l.paint_area;
	return centre_px(rig, pa) ==
		       guest_draw_shown_rgb(fb_get_mode(rig->fb).format, GUEST_DEMO_PAINT_BG_RGB) &&
	       rig_px(rig, pa->x1, pa->y1) == GUEST_DEMO_PAINT_BG_RGB &&
	       rig_px(rig, pa->x2 - 1, pa->y2 - 1) == GUEST_DEMO_PAINT_BG_RGB;
}

static void wait_drawn(struct rig *rig, uint32_t w, uint32_t h, pixman_format_code_t format)
{
	struct rig_mode_arg m = { w, h, format };

	assert_true(rig_wait(rig, pred_drawn, &m));
}

/* A copy of the pixels of a box of the current frame. */
struct area {
	pixman_box32_t box;
	uint32_t *px;
};

static void area_grab(struct rig *rig, const pixman_box32_t *b, struct area *a)
{
	size_t n = 0;

	a->box = *b;
	a->px = malloc(sizeof(uint32_t) * (size_t)(b->x2 - b->x1) * (size_t)(b->y2 - b->y1));
	assert_non_null(a->px);
	for (int y = b->y1; y < b->y2; y++)
		for (int x = b->x1; x < b->x2; x++)
			a->px[n++] = rig_px(rig, x, y);
}

static bool area_same(struct rig *rig, const struct area *a)
{
	size_t n = 0;

	for (int y = a->box.y1; y < a->box.y2; y++)
		for (int x = a->box.x1; x < a->box.x2; x++)
			if (rig_px(rig, x, y) != a->px[n++])
				return false;
	return true;
}

static bool pred_area_changed(struct rig *rig, void *arg)
{
	return !area_same(rig, arg);
}

static bool pred_area_same(struct rig *rig, void *arg)
{
	return area_same(rig, arg);
}

static void press(struct fb_device *fb, uint32_t keysym)
{
	fb_input_key(fb, keysym, true);
	fb_input_key(fb, keysym, false);
}

/* The text cursor (an underscore, whose 7th glyph row is lit) is drawn in
 * the cell at row,col of the keyboard panel. */
struct cursor_arg {
	int row, col;
};

static bool pred_cursor(struct rig *rig, void *arg)
{
	const struct cursor_arg *c = arg;
	struct guest_demo_layout l = layout_of(rig);
	pixman_box32_t cell = guest_demo_typed_cell(&l, c->row, c->col);
	int underline_y = cell.y1 + 6 * GUEST_DEMO_TYPED_SCALE;

	return rig_px(rig, cell.x1 + 1, underline_y) == GUEST_DEMO_TYPED_FG_RGB &&
	       rig_px(rig, cell.x1 + 1, underline_y - 1) == GUEST_DEMO_TYPED_BG_RGB;
}

static void run_keys_echo(pixman_format_code_t format)
{
	struct rig rig;
	struct guest_demo_layout l;
	struct area before, typed;
	struct cursor_arg home = { 0, 0 }, after_hi = { 0, 2 }, next_line = { 1, 0 };
	pixman_box32_t h_cell;
	unsigned lit = 0;

	rig_start(&rig, &guest_demo_ops, 640, 480, format);
	wait_drawn(&rig, 640, 480, format);
	assert_true(rig_wait(&rig, pred_cursor, &home));
	l = layout_of(&rig);
	area_grab(&rig, &l.typed_area, &before);

	press(rig.fb, 'H');
	press(rig.fb, 0xffe1); /* Shift_L: not echoed */
	press(rig.fb, 'i');
	assert_true(rig_wait(&rig, pred_cursor, &after_hi));
	area_grab(&rig, &l.typed_area, &typed);
	assert_false(area_same(&rig, &before));
	/* the H is drawn in the first cell */
	h_cell = guest_demo_typed_cell(&l, 0, 0);
	for (int y = h_cell.y1; y < h_cell.y2; y++)
		for (int x = h_cell.x1; x < h_cell.x2; x++)
			lit += rig_px(&rig, x, y) == GUEST_DEMO_TYPED_FG_RGB;
	assert_int_equal(lit, 17 * GUEST_DEMO_TYPED_SCALE * GUEST_DEMO_TYPED_SCALE);

	/* Return moves the cursor to a new line */
	press(rig.fb, GUEST_DEMO_KEY_RETURN);
	assert_true(rig_wait(&rig, pred_cursor, &next_line));

	/* three BackSpaces take everything back, pixel for pixel; more are
	 * harmless */
	for (int i = 0; i < 5; i++)
		press(rig.fb, GUEST_DEMO_KEY_BACKSPACE);
	assert_true(rig_wait(&rig, pred_area_same, &before));

	/* pasted text is echoed like typing */
	fb_input_clipboard(rig.fb, "Hi", 2);
	assert_true(rig_wait(&rig, pred_area_same, &typed));
	free(before.px);
	free(typed.px);
	rig_stop(&rig);
}

static void test_keys_echo(void **state)
{
	run_keys_echo(PIXMAN_x8r8g8b8);
}

/* The text colours are exact in the 3-3-2 palette too. */
static void test_keys_echo_c8(void **state)
{
	run_keys_echo(PIXMAN_c8);
}

/* Without input the screen stays alive: the clock ticks, the log scrolls and
 * the sprite moves, each in its own part of the screen. */
static void test_alive(void **state)
{
	struct rig rig;
	struct guest_demo_layout l;
	struct area header, log, sprite, paint;

	rig_start(&rig, &guest_demo_ops, 640, 480, PIXMAN_x8r8g8b8);
	wait_drawn(&rig, 640, 480, PIXMAN_x8r8g8b8);
	l = layout_of(&rig);
	area_grab(&rig, &l.header, &header);
	area_grab(&rig, &l.log_area, &log);
	area_grab(&rig, &l.sprite_area, &sprite);
	area_grab(&rig, &l.paint_area, &paint);
	assert_true(rig_wait(&rig, pred_area_changed, &sprite));
	assert_true(rig_wait(&rig, pred_area_changed, &header));
	assert_true(rig_wait(&rig, pred_area_changed, &log));
	/* nothing paints by itself */
	assert_true(area_same(&rig, &paint));
	free(header.px);
	free(log.px);
	free(sprite.px);
	free(paint.px);
	rig_stop(&rig);
}

struct paint_arg {
	int x, y;
	uint32_t rgb;
};

static bool pred_pixel(struct rig *rig, void *arg)
{
	const struct paint_arg *p = arg;

	return rig_px(rig, p->x, p->y) == p->rgb;
}

static void run_pointer_paints(pixman_format_code_t format)
{
	struct rig rig;
	struct guest_demo_layout l;
	struct paint_arg left, right, stroke_mid;
	int cx, cy;

	rig_start(&rig, &guest_demo_ops, 800, 600, format);
	wait_drawn(&rig, 800, 600, format);
	l = layout_of(&rig);
	cx = (l.paint_area.x1 + l.paint_area.x2) / 2;
	cy = (l.paint_area.y1 + l.paint_area.y2) / 2;

	/* moving without a button paints nothing */
	fb_input_pointer(rig.fb, cx, cy, 0);
	/* the left button paints under the pointer, and a drag paints the way */
	fb_input_pointer(rig.fb, cx - 30, cy, 1);
	fb_input_pointer(rig.fb, cx + 30, cy, 1);
	fb_input_pointer(rig.fb, cx + 30, cy, 0);
	left = (struct paint_arg){ cx + 30, cy, GUEST_DEMO_BRUSH_LEFT_RGB };
	stroke_mid = (struct paint_arg){ cx, cy, GUEST_DEMO_BRUSH_LEFT_RGB };
	assert_true(rig_wait(&rig, pred_pixel, &left));
	assert_true(rig_wait(&rig, pred_pixel, &stroke_mid));
	/* not beyond the brush */
	assert_int_equal(rig_px(&rig, cx, cy + GUEST_DEMO_BRUSH_PX), GUEST_DEMO_PAINT_BG_RGB);
	assert_int_equal(rig_px(&rig, cx + 30 + GUEST_DEMO_BRUSH_PX, cy), GUEST_DEMO_PAINT_BG_RGB);

	/* the right button paints in its own colour */
	fb_input_pointer(rig.fb, cx, cy + 40, 4);
	fb_input_pointer(rig.fb, cx, cy + 40, 0);
	right = (struct paint_arg){ cx, cy + 40, GUEST_DEMO_BRUSH_RIGHT_RGB };
	assert_true(rig_wait(&rig, pred_pixel, &right));

	/* a press at the paint area's edge stays inside it */
	fb_input_pointer(rig.fb, l.paint_area.x1, l.paint_area.y1, 1);
	fb_input_pointer(rig.fb, l.paint_area.x1, l.paint_area.y1, 0);
	left = (struct paint_arg){ l.paint_area.x1, l.paint_area.y1, GUEST_DEMO_BRUSH_LEFT_RGB };
	assert_true(rig_wait(&rig, pred_pixel, &left));
	assert_int_not_equal(rig_px(&rig, l.paint_area.x1 - 1, l.paint_area.y1),
			     GUEST_DEMO_BRUSH_LEFT_RGB);
	rig_stop(&rig);
}

static void test_pointer_paints(void **state)
{
	run_pointer_paints(PIXMAN_x8r8g8b8);
}

/* Brush dots go through fb_fill_rect with raw 16-bit pixels. */
static void test_pointer_paints_r5g6b5(void **state)
{
	run_pointer_paints(PIXMAN_r5g6b5);
}

/* F2 walks 640x480 c8, 800x600 r5g6b5, 1280x720 and 1920x1080 x8r8g8b8,
 * starting from the first when the mode is not in the cycle. */
static void test_f2_cycles(void **state)
{
	struct rig rig;

	rig_start(&rig, &guest_demo_ops, 1024, 768, PIXMAN_x8r8g8b8);
	wait_drawn(&rig, 1024, 768, PIXMAN_x8r8g8b8);
	for (unsigned i = 0; i <= GUEST_DEMO_MODE_COUNT; i++) {
		struct fbhost_mode want = guest_demo_cycle_mode(i);

		press(rig.fb, GUEST_DEMO_KEY_NEXT_MODE);
		wait_drawn(&rig, want.width, want.height, guest_draw_pixman_format(want.format));
	}
	assert_int_equal(fb_get_mode(rig.fb).format, PIXMAN_c8);
	assert_int_equal(fb_get_mode(rig.fb).width, 640);
	rig_stop(&rig);
}

static void test_next_mode(void **state)
{
	struct fbhost_mode m = { 800, 600, 0, FBHOST_FORMAT_R5G6B5 };
	struct fbhost_mode odd = { 800, 600, 0, FBHOST_FORMAT_X8R8G8B8 };

	assert_int_equal(guest_demo_next_mode(&m).width, 1280);
	assert_int_equal(guest_demo_next_mode(&m).format, FBHOST_FORMAT_X8R8G8B8);
	assert_int_equal(guest_demo_next_mode(&odd).width, 640);
	assert_int_equal(guest_demo_next_mode(&odd).format, FBHOST_FORMAT_C8);
}

static void test_resize_request(void **state)
{
	struct rig rig;

	rig_start(&rig, &guest_demo_ops, 640, 480, PIXMAN_r5g6b5);
	wait_drawn(&rig, 640, 480, PIXMAN_r5g6b5);
	assert_int_equal(fb_request_mode(rig.fb, 700, 500), 0);
	wait_drawn(&rig, 700, 500, PIXMAN_r5g6b5);
	/* tiny screens are drawn without trouble too */
	assert_int_equal(fb_request_mode(rig.fb, 3, 2), 0);
	{
		struct rig_mode_arg m = { 3, 2, PIXMAN_r5g6b5 };

		assert_true(rig_wait(&rig, rig_pred_mode, &m));
	}
	assert_int_equal(fb_request_mode(rig.fb, 1000, 700), 0);
	wait_drawn(&rig, 1000, 700, PIXMAN_r5g6b5);
	assert_int_equal(fb_request_mode(rig.fb, 0, 0), -EINVAL);
	assert_int_equal(fb_request_mode(rig.fb, 20000, 100), -EINVAL);
	assert_int_equal(fb_request_mode(rig.fb, FB_MAX_SIDE_PX, FB_MAX_SIDE_PX), -E2BIG);
	assert_int_equal(fb_get_mode(rig.fb).width, 1000);
	rig_stop(&rig);
}

static void test_rejects_args(void **state)
{
	struct fbhost *host = fbhost_new(NULL);
	struct fbhost_fb *fb;
	const char *err = NULL;
	void *st = NULL;

	assert_non_null(host);
	fb = fbhost_fb_add(host, "args", 64, 64, FBHOST_FORMAT_X8R8G8B8);
	assert_non_null(fb);
	assert_int_equal(guest_demo_ops.start(host, fb, "fast", &st, &err), -EINVAL);
	assert_non_null(err);
	assert_non_null(strstr(err, "no arguments"));
	assert_null(st);
	/* start and stop at once, repeatedly: nothing leaks (ASan) */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(guest_demo_ops.start(host, fb, NULL, &st, &err), 0);
		guest_demo_ops.stop(st);
	}
	fbhost_free(host);
}

struct stress_arg {
	struct fb_device *fb;
	unsigned seed;
};

static void *stress_input(void *opaque)
{
	struct stress_arg *a = opaque;

	for (int i = 0; i < STRESS_EVENTS_PER_THREAD; i++) {
		unsigned r = rand_r(&a->seed);

		switch (r % 4) {
		case 0:
			press(a->fb, 'a' + r % 26);
			break;
		case 1:
			press(a->fb, GUEST_DEMO_KEY_BACKSPACE);
			break;
		default:
			fb_input_pointer(a->fb, (int)(r % 2000), (int)(r / 7 % 1200), r % 8);
			break;
		}
	}
	return NULL;
}

/* Asks for 500x400 until the guest has drawn it. Every F2 is queued before
 * the first request, and the guest takes all queued events with a request,
 * so once drawn the size stays. */
static bool pred_settle(struct rig *rig, void *arg)
{
	struct fb_mode cur = fb_get_mode(rig->fb);
	struct rig_mode_arg m = { 500, 400, cur.format };

	if (pred_drawn(rig, &m))
		return true;
	if (cur.width != 500 || cur.height != 400)
		fb_request_mode(rig->fb, 500, 400);
	return false;
}

/* Input from several threads while the mode changes underneath: no crash,
 * no race (TSan), and the guest still answers afterwards. */
static void test_concurrent_input(void **state)
{
	struct rig rig;
	pthread_t threads[STRESS_THREADS];
	struct stress_arg args[STRESS_THREADS];
	struct guest_demo_layout l;
	struct area before;

	rig_start(&rig, &guest_demo_ops, 640, 480, PIXMAN_x8r8g8b8);
	for (int i = 0; i < STRESS_THREADS; i++) {
		args[i] = (struct stress_arg){ rig.fb, (unsigned)i * 7919u + 1 };
		assert_int_equal(pthread_create(&threads[i], NULL, stress_input, &args[i]), 0);
	}
	for (int i = 0; i < 6; i++) {
		press(rig.fb, GUEST_DEMO_KEY_NEXT_MODE);
		assert_int_equal(fb_request_mode(rig.fb, 300 + 50u * (unsigned)i, 200), 0);
		fb_render_wait_ticks(rig.render, 1, 200);
	}
	for (int i = 0; i < STRESS_THREADS; i++)
		pthread_join(threads[i], NULL);

	/* settle on a known size (F2 presses may still be queued), then check
	 * that typing still echoes */
	assert_true(rig_wait(&rig, pred_settle, NULL));
	wait_drawn(&rig, 500, 400, fb_get_mode(rig.fb).format);
	l = layout_of(&rig);
	area_grab(&rig, &l.typed_area, &before);
	press(rig.fb, 'Z');
	assert_true(rig_wait(&rig, pred_area_changed, &before));
	free(before.px);
	rig_stop(&rig);
}

/* The guest picture (x8r8g8b8 mode) and the headless shadow, RGB only:
 * the first differing pixel index, or -1. */
static long shadow_diff(struct fb_device *fb, struct fb_headless *h)
{
	uint32_t *shadow, w, hh;
	struct fb_access acc;
	long bad = -1;

	assert_int_equal(fb_headless_copy(h, &shadow, &w, &hh), 0);
	fb_access_begin(fb, &acc);
	assert_int_equal(w, acc.mode.width);
	for (uint32_t y = 0; y < hh && bad < 0; y++)
		for (uint32_t x = 0; x < w; x++)
			if ((shadow[y * w + x] ^
			     ((uint32_t *)acc.pixels)[y * acc.mode.stride / 4 + x]) &
			    0xffffffu) {
				bad = (long)(y * w + x);
				break;
			}
	fb_access_end(fb, &acc);
	free(shadow);
	return bad;
}

/* The log area's pixels (x8r8g8b8 mode), malloc'ed. */
static uint32_t *log_pixels(struct fb_device *fb, const pixman_box32_t *a)
{
	uint32_t *out = malloc(sizeof(*out) * (size_t)(a->x2 - a->x1) * (size_t)(a->y2 - a->y1));
	struct fb_access acc;
	size_t i = 0;

	assert_non_null(out);
	fb_access_begin(fb, &acc);
	for (int y = a->y1; y < a->y2; y++)
		for (int x = a->x1; x < a->x2; x++)
			out[i++] =
				((uint32_t *)
					 acc.pixels)[(size_t)y * acc.mode.stride / 4 + (size_t)x] &
				0xffffffu;
	fb_access_end(fb, &acc);
	return out;
}

/* A full log scrolls by one move (a CopyRect for VNC viewers) plus the new
 * line, which must give the same pixels as drawing the whole log, and the
 * headless frontend, repeating the moves, shows exactly the guest. Lines
 * wider than any before take the full-redraw path. */
static void test_log_scrolls_by_moves(void **state)
{
	struct guest_demo_screen *scr = calloc(1, sizeof(*scr));
	struct fbhost *host = fbhost_new(NULL);
	struct fbhost_fb *hfb;
	struct fb_render_stats st;
	struct fb_headless *h;
	struct fb_render *r;
	struct fb_device *fb;
	const pixman_box32_t *a;
	size_t area;

	(void)state;
	assert_non_null(scr);
	assert_non_null(host);
	hfb = fbhost_fb_add(host, "demo-log", 640, 480, FBHOST_FORMAT_X8R8G8B8);
	assert_non_null(hfb);
	fb = hfb->dev;
	r = host->render;
	h = fb_headless_new(fb);
	assert_non_null(h);
	guest_demo_screen_init(scr, hfb);
	guest_demo_screen_redraw_all(scr);
	a = &scr->lay.log_area;
	area = (size_t)(a->x2 - a->x1) * (size_t)(a->y2 - a->y1);
	for (int i = 0; i < 3 * (int)DEMO_LOG_LINES; i++) {
		guest_demo_screen_log(scr, "line %d %.*s", i, i % 11 == 10 ? i / 4 : i % 5,
				      "ooooooooooooooooooooooooooooooooooooooooooooooooooo");
		if (i % 7 == 0) {
			uint32_t *scrolled = log_pixels(fb, a), *redrawn;

			fb_render_kick(r);
			assert_int_equal(fb_render_wait_ticks(r, 2, RIG_WAIT_MS), 0);
			if (shadow_diff(fb, h) >= 0)
				fail_msg("line %d: the headless shadow differs from the guest", i);
			guest_demo_screen_redraw_all(scr);
			redrawn = log_pixels(fb, a);
			/* A move made while the render thread is inside a tick
			 * goes out as pixels (access.c): let it finish the
			 * redraw, so the next line's scroll is a move. */
			fb_render_kick(r);
			assert_int_equal(fb_render_wait_ticks(r, 2, RIG_WAIT_MS), 0);
			if (memcmp(scrolled, redrawn, area * sizeof(*scrolled)) != 0)
				fail_msg("line %d: the scrolled log differs from a full redraw", i);
			free(scrolled);
			free(redrawn);
		}
	}
	/* A scroll that meets a tick in progress goes out as pixels
	 * (access.c): on a loaded machine every scroll above can meet one.
	 * One more scroll after the render thread's ticks must move; a bounded
	 * number of tries. */
	fb_get_stats(fb, &st);
	for (int tries = 0; st.moves == 0 && tries < 20; tries++) {
		fb_render_kick(r);
		assert_int_equal(fb_render_wait_ticks(r, 2, RIG_WAIT_MS), 0);
		guest_demo_screen_log(scr, "retry %d", tries);
		fb_render_kick(r);
		assert_int_equal(fb_render_wait_ticks(r, 2, RIG_WAIT_MS), 0);
		fb_get_stats(fb, &st);
	}
	assert_true(st.moves > 0);
	fb_headless_free(h);
	fbhost_free(host);
	free(scr);
}

/* What the embedder's input handler saw (frontend threads write it). */
struct embedder_seen {
	pthread_mutex_t lock;
	unsigned keys_down, pointer_events, resize_requests;
	uint32_t last_keysym;
	struct fbhost_fb *fb;
};

static void embedder_key(void *opaque, struct fbhost_fb *fb, uint32_t keysym, bool down)
{
	struct embedder_seen *e = opaque;

	pthread_mutex_lock(&e->lock);
	e->keys_down += down;
	e->last_keysym = keysym;
	e->fb = fb;
	pthread_mutex_unlock(&e->lock);
}

static void embedder_pointer(void *opaque, struct fbhost_fb *fb, int x, int y, uint32_t buttons)
{
	struct embedder_seen *e = opaque;

	pthread_mutex_lock(&e->lock);
	e->pointer_events++;
	pthread_mutex_unlock(&e->lock);
}

static int embedder_refuses_resize(void *opaque, struct fbhost_fb *fb, uint32_t width,
				   uint32_t height)
{
	struct embedder_seen *e = opaque;

	pthread_mutex_lock(&e->lock);
	e->resize_requests++;
	pthread_mutex_unlock(&e->lock);
	return -EPERM;
}

/* One input path (fbhost.h): the demo guest's handler (fbhost_input_add) and
 * an embedder's (fbhost_set_input) both see every key and pointer event;
 * a resize request goes to the first handler that has a resize_request, the
 * embedder's before the guest's; removing the embedder's leaves the guest's. */
static void test_guest_and_embedder_input(void **state)
{
	struct embedder_seen seen = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct fbhost_input_callbacks cb = { .key = embedder_key, .pointer = embedder_pointer };
	struct rig rig;
	struct guest_demo_layout l;
	struct area before;

	rig_start(&rig, &guest_demo_ops, 640, 480, PIXMAN_x8r8g8b8);
	wait_drawn(&rig, 640, 480, PIXMAN_x8r8g8b8);
	fbhost_set_input(rig.hfb, &cb, &seen);
	l = layout_of(&rig);

	/* a key: the guest echoes it, the embedder counts it */
	area_grab(&rig, &l.typed_area, &before);
	press(rig.fb, 'Q');
	assert_true(rig_wait(&rig, pred_area_changed, &before));
	free(before.px);
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.keys_down, 1);
	assert_int_equal(seen.last_keysym, 'Q');
	assert_ptr_equal(seen.fb, rig.hfb);
	pthread_mutex_unlock(&seen.lock);

	/* a stroke: the guest paints it, the embedder counts both events */
	area_grab(&rig, &l.paint_area, &before);
	fb_input_pointer(rig.fb, (l.paint_area.x1 + l.paint_area.x2) / 2,
			 (l.paint_area.y1 + l.paint_area.y2) / 2, 1);
	fb_input_pointer(rig.fb, (l.paint_area.x1 + l.paint_area.x2) / 2,
			 (l.paint_area.y1 + l.paint_area.y2) / 2, 0);
	assert_true(rig_wait(&rig, pred_area_changed, &before));
	free(before.px);
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.pointer_events, 2);
	pthread_mutex_unlock(&seen.lock);

	/* the embedder has no resize_request: the guest answers */
	assert_int_equal(fb_request_mode(rig.fb, 600, 400), 0);
	wait_drawn(&rig, 600, 400, PIXMAN_x8r8g8b8);

	/* now it has one: it answers first, and the guest is not asked */
	cb.resize_request = embedder_refuses_resize;
	fbhost_set_input(rig.hfb, &cb, &seen);
	assert_int_equal(fb_request_mode(rig.fb, 500, 300), -EPERM);
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.resize_requests, 1);
	pthread_mutex_unlock(&seen.lock);
	assert_int_equal(fb_get_mode(rig.fb).width, 600);

	/* without the embedder's handler the guest still takes input */
	fbhost_set_input(rig.hfb, NULL, NULL);
	assert_int_equal(fb_request_mode(rig.fb, 500, 300), 0);
	wait_drawn(&rig, 500, 300, PIXMAN_x8r8g8b8);
	l = layout_of(&rig);
	area_grab(&rig, &l.typed_area, &before);
	press(rig.fb, 'W');
	assert_true(rig_wait(&rig, pred_area_changed, &before));
	free(before.px);
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.keys_down, 1);
	pthread_mutex_unlock(&seen.lock);
	rig_stop(&rig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_mode),
		cmocka_unit_test(test_rejects_args),
		cmocka_unit_test(test_alive),
		cmocka_unit_test(test_keys_echo),
		cmocka_unit_test(test_keys_echo_c8),
		cmocka_unit_test(test_pointer_paints),
		cmocka_unit_test(test_pointer_paints_r5g6b5),
		cmocka_unit_test(test_f2_cycles),
		cmocka_unit_test(test_resize_request),
		cmocka_unit_test(test_concurrent_input),
		cmocka_unit_test(test_guest_and_embedder_input),
		cmocka_unit_test(test_log_scrolls_by_moves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
