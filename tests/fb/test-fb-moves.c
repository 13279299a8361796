/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Moves (fb_copy_rect, fb_access_copy): two mirror listeners, one that
 * repeats moves (copy op) and one that only takes updates, must hold the
 * guest's exact bytes after every settled tick, against random fills and
 * moves (overlapping, clipped, several per section) in every format, more
 * than FB_MOVES_MAX moves, moves queued off the render thread and across
 * a mode change; and so must the headless frontend's shadow; also while a guest
 * thread draws and moves against a 1000 Hz render thread. A scroll reaches
 * the copy-capable listener as one move plus only the newly drawn rows.
 */
#include <stdatomic.h>

#include "fb-test.h"

#define MOVES_W 320
#define MOVES_H 200
#define MOVES_STEPS 400u
#define MOVES_STRESS_OPS 3000u
/* Render ticks the stress guest runs for (at least MOVES_STRESS_OPS ops). */
#define MOVES_STRESS_TICKS 500u
/* The guest lets the render thread tick after this many ops. */
#define MOVES_STRESS_PAUSE_OPS 64u
#define MOVES_RATE_HZ 1000u

/* A listener that keeps the guest picture in the guest format. Runs on
 * the render thread; lock protects every field below it. */
struct mirror {
	struct fb_listener l;
	pthread_mutex_t lock;
	uint8_t *pixels; /* mode.stride * mode.height bytes */
	struct fb_mode mode;
	uint64_t moves;	    /* copy ops seen */
	uint64_t damage_px; /* pixels of the updates seen */
	/* Updates after which the picture was not the render thread's frame:
	 * the invariant the moves rest on, checked on every update. */
	unsigned diverged;
};

static struct mirror *to_mirror(struct fb_listener *l)
{
	return (struct mirror *)l;
}

static void mirror_switch(struct fb_listener *l, const struct fb_surface *s)
{
	struct mirror *m = to_mirror(l);

	pthread_mutex_lock(&m->lock);
	free(m->pixels);
	m->mode = s->mode;
	m->pixels = calloc(s->mode.height, s->mode.stride);
	pthread_mutex_unlock(&m->lock);
	assert_non_null(m->pixels);
}

static void mirror_copy(struct fb_listener *l, const struct fb_surface *s, int sx, int sy, int dx,
			int dy, int w, int h)
{
	struct mirror *m = to_mirror(l);

	pthread_mutex_lock(&m->lock);
	fb_pixels_move(m->pixels, m->mode.stride, fb_format_bpp(s->mode.format), sx, sy, dx, dy, w,
		       h);
	m->moves++;
	pthread_mutex_unlock(&m->lock);
}

static void mirror_update(struct fb_listener *l, const struct fb_surface *s,
			  const pixman_region32_t *damage)
{
	struct mirror *m = to_mirror(l);
	const uint8_t *src = (const uint8_t *)pixman_image_get_data(s->image);
	size_t src_stride = (size_t)pixman_image_get_stride(s->image);
	unsigned bpp = fb_format_bpp(s->mode.format);
	const pixman_box32_t *b;
	int n;

	b = pixman_region32_rectangles((pixman_region32_t *)damage, &n);
	pthread_mutex_lock(&m->lock);
	for (int i = 0; i < n; i++) {
		for (int y = b[i].y1; y < b[i].y2; y++)
			memcpy(m->pixels + (size_t)y * m->mode.stride + (size_t)b[i].x1 * bpp,
			       src + (size_t)y * src_stride + (size_t)b[i].x1 * bpp,
			       (size_t)(b[i].x2 - b[i].x1) * bpp);
		m->damage_px += (uint64_t)(b[i].x2 - b[i].x1) * (uint64_t)(b[i].y2 - b[i].y1);
	}
	for (uint32_t y = 0; y < s->mode.height; y++)
		if (memcmp(m->pixels + (size_t)y * m->mode.stride, src + (size_t)y * src_stride,
			   (size_t)s->mode.width * bpp) != 0) {
			m->diverged++;
			break;
		}
	pthread_mutex_unlock(&m->lock);
}

static void mirror_destroy(struct fb_listener *l)
{
	struct mirror *m = to_mirror(l);

	free(m->pixels);
	pthread_mutex_destroy(&m->lock);
}

static const struct fb_listener_ops mirror_copy_ops = {
	.name = "mirror-copy",
	.switch_surface = mirror_switch,
	.copy = mirror_copy,
	.update = mirror_update,
	.destroy = mirror_destroy,
};

static const struct fb_listener_ops mirror_plain_ops = {
	.name = "mirror-plain",
	.switch_surface = mirror_switch,
	.update = mirror_update,
	.destroy = mirror_destroy,
};

/* One framebuffer on a render thread with both mirrors. */
struct rig {
	struct ram_list *rl;
	struct fb_device *fb;
	struct fb_render *r;
	struct mirror with_copy, plain;
	struct fb_headless *headless; /* the real listener with a copy op */
};

static void rig_up(struct rig *g, pixman_format_code_t format, unsigned rate_hz)
{
	struct fb_config cfg = { .name = "moves", .mode = { MOVES_W, MOVES_H, 0, format } };
	struct fb_render_config rc = { .rate_hz = rate_hz };

	memset(g, 0, sizeof(*g));
	g->rl = ram_list_new(NULL);
	assert_non_null(g->rl);
	g->fb = fb_new(g->rl, &cfg);
	assert_non_null(g->fb);
	g->r = fb_render_new(&rc);
	assert_non_null(g->r);
	g->with_copy.l.ops = &mirror_copy_ops;
	g->plain.l.ops = &mirror_plain_ops;
	pthread_mutex_init(&g->with_copy.lock, NULL);
	pthread_mutex_init(&g->plain.lock, NULL);
	assert_int_equal(fb_listener_register(g->fb, &g->with_copy.l), 0);
	assert_int_equal(fb_listener_register(g->fb, &g->plain.l), 0);
	g->headless = fb_headless_new(g->fb);
	assert_non_null(g->headless);
	assert_int_equal(fb_render_add(g->r, g->fb), 0);
	fb_test_settle(g->r);
}

static void rig_down(struct rig *g)
{
	fb_render_remove(g->r, g->fb);
	fb_listener_unregister(g->fb, &g->with_copy.l);
	fb_listener_unregister(g->fb, &g->plain.l);
	fb_headless_free(g->headless);
	fb_render_free(g->r);
	fb_free(g->fb);
	ram_list_free(g->rl);
}

/* The first row where m differs from the guest, or -1. */
static int mirror_diff_row(struct fb_device *fb, struct mirror *m)
{
	struct fb_access acc;
	int bad = -1;

	fb_access_begin(fb, &acc);
	pthread_mutex_lock(&m->lock);
	if (m->mode.width != acc.mode.width || m->mode.height != acc.mode.height ||
	    m->mode.format != acc.mode.format)
		bad = 0;
	for (uint32_t y = 0; bad < 0 && y < acc.mode.height; y++)
		if (memcmp(m->pixels + (size_t)y * m->mode.stride,
			   (uint8_t *)acc.pixels + (size_t)y * acc.mode.stride,
			   (size_t)acc.mode.width * fb_format_bpp(acc.mode.format)) != 0)
			bad = (int)y;
	pthread_mutex_unlock(&m->lock);
	fb_access_end(fb, &acc);
	return bad;
}

/* The headless shadow equals the guest converted to x8r8g8b8 (c8 through
 * the default palette, which these tests never change). */
static void headless_check(struct rig *g, const char *when, unsigned step)
{
	uint32_t *shadow, *want, w, h, ww, wh, pal[FB_PALETTE_ENTRIES];

	/* The default 3-3-2 palette, as fb/format.c builds it. */
	for (uint32_t i = 0; i < FB_PALETTE_ENTRIES; i++)
		pal[i] = ((i >> 5) * 255 / 7) << 16 | (((i >> 2) & 7) * 255 / 7) << 8 |
			 ((i & 3) * 255 / 3);
	assert_int_equal(fb_headless_copy(g->headless, &shadow, &w, &h), 0);
	want = fb_test_guest_x8(g->fb, pal, &ww, &wh);
	assert_int_equal(w, ww);
	assert_int_equal(h, wh);
	for (uint32_t i = 0; i < w * h; i++)
		if ((shadow[i] & 0xffffffu) != (want[i] & 0xffffffu))
			fail_msg("%s, step %u: headless pixel %u,%u is %06x, guest %06x", when,
				 step, i % w, i / w, shadow[i] & 0xffffffu, want[i] & 0xffffffu);
	free(want);
	free(shadow);
}

static void rig_check(struct rig *g, const char *when, unsigned step)
{
	unsigned diverged;
	int a, b;

	fb_test_settle(g->r);
	a = mirror_diff_row(g->fb, &g->with_copy);
	b = mirror_diff_row(g->fb, &g->plain);
	if (a >= 0 || b >= 0)
		fail_msg("%s, step %u: copy mirror differs at row %d, plain mirror at row %d", when,
			 step, a, b);
	pthread_mutex_lock(&g->with_copy.lock);
	diverged = g->with_copy.diverged;
	pthread_mutex_unlock(&g->with_copy.lock);
	pthread_mutex_lock(&g->plain.lock);
	diverged += g->plain.diverged;
	pthread_mutex_unlock(&g->plain.lock);
	if (diverged)
		fail_msg("%s, step %u: %u updates left a mirror unlike the frame", when, step,
			 diverged);
	headless_check(g, when, step);
}

static uint64_t mirror_get(struct mirror *m, uint64_t *damage_px)
{
	uint64_t moves;

	pthread_mutex_lock(&m->lock);
	moves = m->moves;
	if (damage_px)
		*damage_px = m->damage_px;
	pthread_mutex_unlock(&m->lock);
	return moves;
}

static int rnd(uint64_t *s, int lo, int hi)
{
	return lo + (int)(fb_test_rand(s) % (uint64_t)(hi - lo + 1));
}

/* One random guest operation: a fill, a move (possibly clipped or
 * overlapping), or a section that draws, marks and moves several times. */
static void random_op(struct fb_device *fb, uint64_t *seed)
{
	int kind = rnd(seed, 0, 9);
	uint32_t colour = (uint32_t)fb_test_rand(seed);

	if (kind < 4) {
		fb_fill_rect(fb, rnd(seed, -20, MOVES_W), rnd(seed, -20, MOVES_H), rnd(seed, 1, 90),
			     rnd(seed, 1, 90), colour);
	} else if (kind < 7) {
		fb_copy_rect(fb, rnd(seed, -30, MOVES_W), rnd(seed, -30, MOVES_H),
			     rnd(seed, -30, MOVES_W), rnd(seed, -30, MOVES_H), rnd(seed, 1, 200),
			     rnd(seed, 1, 150));
	} else {
		struct fb_access acc;
		unsigned bpp;

		fb_access_begin(fb, &acc);
		bpp = fb_format_bpp(acc.mode.format);
		for (int i = rnd(seed, 1, 6); i > 0; i--) {
			int x = rnd(seed, 0, (int)acc.mode.width - 8);
			int y = rnd(seed, 0, (int)acc.mode.height - 8);
			int w = rnd(seed, 1, (int)acc.mode.width - x);
			int h = rnd(seed, 1, (int)acc.mode.height - y);
			int dy = rnd(seed, -24, 24);

			for (int row = y; row < y + h; row++)
				memset((uint8_t *)acc.pixels + (size_t)row * acc.mode.stride +
					       (size_t)x * bpp,
				       (int)(colour >> (row % 24)), (size_t)w * bpp);
			/* The rule: mark what was drawn before moving from it. */
			fb_mark_dirty(fb, &acc, x, y, w, h);
			/* A scroll of a band, as a terminal does. */
			fb_access_copy(fb, &acc, 0, y, rnd(seed, -4, 4), y + dy,
				       (int)acc.mode.width, h);
		}
		fb_access_end(fb, &acc);
	}
}

static void check_random(pixman_format_code_t format)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ format;
	struct rig g;

	rig_up(&g, format, MOVES_RATE_HZ);
	for (unsigned step = 0; step < MOVES_STEPS; step++) {
		random_op(g.fb, &seed);
		if (fb_test_rand(&seed) % 4 == 0)
			rig_check(&g, fb_format_name(format), step);
	}
	rig_check(&g, fb_format_name(format), MOVES_STEPS);
	assert_true(mirror_get(&g.with_copy, NULL) > 0);
	rig_down(&g);
}

static void test_moves_random_all_formats(void **state)
{
	(void)state;
	for (int f = 0; f < FB_TEST_NFORMATS; f++)
		check_random(fb_test_formats[f]);
}

/* A terminal scroll: the copy-capable listener gets one move and only the
 * new line as pixels; the plain one gets the whole block. */
static void test_moves_scroll_is_one_move(void **state)
{
	const int x = 10, y = 20, w = 300, h = 160, line = 16;
	int page_rows;
	uint64_t moves0, px0, moves1, px1, plain0, plain1;
	struct fb_render_stats st0, st1;
	struct rig g;

	(void)state;
	rig_up(&g, PIXMAN_x8r8g8b8, MOVES_RATE_HZ);
	page_rows = (int)(ram_page_size(g.rl) / (MOVES_W * 4));
	for (int i = 0; i < h / line; i++)
		fb_fill_rect(g.fb, x, y + i * line, w, line, 0x101010u * (uint32_t)(i + 1));
	rig_check(&g, "scroll setup", 0);
	moves0 = mirror_get(&g.with_copy, &px0);
	mirror_get(&g.plain, &plain0);
	fb_get_stats(g.fb, &st0);

	/* A move that meets a tick in progress goes out as pixels (exact
	 * too); scroll again until one went out as a move. */
	for (unsigned attempt = 0;; attempt++) {
		assert_int_equal(fb_copy_rect(g.fb, x, y + line, x, y, w, h - line), 0);
		assert_int_equal(fb_fill_rect(g.fb, x, y + h - line, w, line, 0xabcdef), 0);
		rig_check(&g, "scroll", attempt);
		moves1 = mirror_get(&g.with_copy, &px1);
		mirror_get(&g.plain, &plain1);
		fb_get_stats(g.fb, &st1);
		if (moves1 != moves0 || attempt == 20)
			break;
		moves0 = moves1;
		px0 = px1;
		plain0 = plain1;
		st0 = st1;
	}
	assert_int_equal(moves1 - moves0, 1);
	assert_int_equal(st1.moves - st0.moves, 1);
	/* The new line, widened to whole dirty pages above and below. */
	if (px1 - px0 > (uint64_t)MOVES_W * (line + 2 * (page_rows + 1)))
		fail_msg("%llu pixels sent for a %d-row line", (unsigned long long)(px1 - px0),
			 line);
	assert_true(px1 - px0 >= (uint64_t)w * line);
	assert_true(plain1 - plain0 >= (uint64_t)w * h);
	rig_down(&g);
}

/* More moves in one section than FB_MOVES_MAX: the rest go as pixels, and
 * a pending move survives a mode change as a full update. */
static void test_moves_limit_and_mode_change(void **state)
{
	struct fb_render_stats st0, st1;
	struct fb_access acc;
	struct fb_mode m = { 200, 120, 0, PIXMAN_r5g6b5 };
	struct rig g;

	(void)state;
	rig_up(&g, PIXMAN_x8r8g8b8, MOVES_RATE_HZ);
	fb_fill_rect(g.fb, 0, 0, 40, 40, 0x00ff00);
	rig_check(&g, "limit setup", 0);
	fb_get_stats(g.fb, &st0);
	fb_access_begin(g.fb, &acc);
	for (unsigned i = 0; i < FB_MOVES_MAX * 2; i++)
		assert_int_equal(
			fb_access_copy(g.fb, &acc, (int)i * 4, 0, (int)i * 4 + 4, 2, 40, 40), 0);
	fb_access_end(g.fb, &acc);
	rig_check(&g, "over the limit", 1);
	fb_get_stats(g.fb, &st1);
	/* (Fewer if a tick in progress made some go out as pixels.) */
	assert_in_range(st1.moves - st0.moves, 1, FB_MOVES_MAX);
	assert_int_equal(mirror_get(&g.with_copy, NULL), st1.moves);

	/* Off the render thread, moves queue up, then meet a frame copy
	 * that is gone (removal frees it): they go out as pixels. */
	fb_render_remove(g.r, g.fb);
	assert_int_equal(fb_copy_rect(g.fb, 0, 0, 50, 50, 60, 60), 0);
	assert_int_equal(fb_copy_rect(g.fb, 3, 3, 0, 0, 100, 100), 0);
	assert_int_equal(fb_render_add(g.r, g.fb), 0);
	rig_check(&g, "moves while off the render thread", 2);
	fb_get_stats(g.fb, &st0);
	assert_int_equal(st0.moves, st1.moves);
	assert_int_equal(mirror_get(&g.with_copy, NULL), st1.moves);
	/* A move queued in the old mode's coordinates, then a mode change. */
	fb_render_remove(g.r, g.fb);
	assert_int_equal(fb_copy_rect(g.fb, 0, 0, 50, 50, 60, 60), 0);
	assert_int_equal(fb_set_mode(g.fb, &m), 0);
	assert_int_equal(fb_render_add(g.r, g.fb), 0);
	rig_check(&g, "move then mode change", 2);
	assert_int_equal(fb_copy_rect(g.fb, 0, 0, 1, 1, 100, 100), 0);
	rig_check(&g, "move in the new mode", 3);
	/* Bad arguments change nothing. */
	assert_int_equal(fb_copy_rect(NULL, 0, 0, 1, 1, 2, 2), -EINVAL);
	assert_int_equal(fb_copy_rect(g.fb, 0, 0, 1, 1, -2, 2), -EINVAL);
	assert_int_equal(fb_access_copy(g.fb, NULL, 0, 0, 1, 1, 2, 2), -EINVAL);
	assert_int_equal(fb_copy_rect(g.fb, 5000, 0, 1, 1, 2, 2), 0);
	rig_check(&g, "bad arguments", 4);
	rig_down(&g);
}

struct stress_guest {
	struct fb_device *fb;
	struct fb_render *r;
	uint64_t seed;
	atomic_bool stop;
	_Atomic unsigned ops;
};

static void *stress_main(void *arg)
{
	struct stress_guest *sg = arg;

	while (!atomic_load(&sg->stop) || atomic_load(&sg->ops) < MOVES_STRESS_OPS) {
		random_op(sg->fb, &sg->seed);
		/* Now and then a move with the render thread between ticks
		 * and no section open, so that some moves go out as moves
		 * however the threads are scheduled. */
		if (atomic_fetch_add(&sg->ops, 1) % MOVES_STRESS_PAUSE_OPS == 0) {
			fb_copy_rect(sg->fb, 0, 1, 0, 0, MOVES_W, MOVES_H - 1);
			fb_render_kick(sg->r);
			fb_render_wait_ticks(sg->r, 2, FB_TEST_WAIT_MS);
		}
	}
	return NULL;
}

/* A guest thread fills and moves while the render thread ticks at
 * 1000 Hz: moves made during a tick fall back to pixels, moves between
 * ticks are repeated; both mirrors end exact. */
static void test_moves_stress(void **state)
{
	struct stress_guest sg;
	struct fb_render_stats st;
	pthread_t t;
	struct rig g;

	(void)state;
	rig_up(&g, PIXMAN_x8r8g8b8, MOVES_RATE_HZ);
	sg = (struct stress_guest){ .fb = g.fb, .r = g.r, .seed = 0x1234567887654321ull };
	assert_int_equal(pthread_create(&t, NULL, stress_main, &sg), 0);
	assert_int_equal(fb_render_wait_ticks(g.r, MOVES_STRESS_TICKS, FB_TEST_WAIT_MS), 0);
	atomic_store(&sg.stop, true);
	pthread_join(t, NULL);
	rig_check(&g, "stress", atomic_load(&sg.ops));
	fb_get_stats(g.fb, &st);
	assert_true(st.moves > 0);
	assert_int_equal(mirror_get(&g.with_copy, NULL), st.moves);
	rig_down(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moves_random_all_formats),
		cmocka_unit_test(test_moves_scroll_is_one_move),
		cmocka_unit_test(test_moves_limit_and_mode_change),
		cmocka_unit_test(test_moves_stress),
	};

	return cmocka_run_group_tests_name("fb-moves", tests, NULL, NULL);
}
