/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/bench/test-bench-scenes.c - the bench scenarios are drawn
 * exactly as bench-scenarios.md defines them: spot pixels computed from the
 * definition, incremental frames equal from-scratch frames, the strip
 * round-trips and rejects torn/black/white strips, and arguments are parsed
 * strictly.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fb/clock.h"
#include "server/guests/guest-bench-scenes.h"

#define W 1920u
#define H 1080u

/* A screen-sized buffer plus a memory canvas over it. */
struct screen {
	uint32_t *px;
	struct bench_memory_canvas mc;
	unsigned w, h;
};

static void screen_init(struct screen *s, unsigned w, unsigned h)
{
	s->w = w;
	s->h = h;
	s->px = malloc((size_t)w * h * sizeof(uint32_t));
	assert_non_null(s->px);
	/* Garbage that no scenario draws, so undrawn pixels show. */
	for (size_t i = 0; i < (size_t)w * h; i++)
		s->px[i] = 0x00ABCDEFu;
	bench_memory_canvas_init(&s->mc, s->px, w, h, w);
}

static uint32_t px_at(const struct screen *s, unsigned x, unsigned y)
{
	return s->px[(size_t)y * s->w + x];
}

static void test_hash(void **state)
{
	(void)state;
	assert_int_equal(bench_mix32(0), 0);
	/* mix32 step by step for x = 1. */
	uint32_t x = 1;
	x ^= x >> 16;
	x *= 0x85EBCA6Bu;
	x ^= x >> 13;
	x *= 0xC2B2AE35u;
	x ^= x >> 16;
	assert_int_equal(bench_mix32(1), x);
	assert_int_equal(bench_hash(1, 2, 3), bench_mix32(bench_mix32(bench_mix32(1) ^ 2) ^ 3));
}

static void fill_strip(uint32_t *px, size_t stride, uint32_t code)
{
	for (int y = 0; y < BENCH_STRIP_H_PX; y++)
		for (int x = 0; x < BENCH_STRIP_W_PX; x++)
			px[y * stride + x] = (code >> (31 - x / 8)) & 1 ? 0xFFFFFFu : 0;
}

static void test_strip_round_trip(void **state)
{
	static const uint32_t frames[] = { 0, 1, 2, 255, 256, 300, 65535, 0x123456, 0xFFFFFF };
	uint32_t px[BENCH_STRIP_H_PX * BENCH_STRIP_W_PX];
	uint32_t f;

	(void)state;
	for (size_t i = 0; i < sizeof(frames) / sizeof(frames[0]); i++) {
		uint32_t code = bench_strip_code(frames[i]);
		uint32_t fr = frames[i];

		assert_int_equal(code >> 8, frames[i]);
		assert_int_equal(code & 0xFF, ((fr >> 16) ^ (fr >> 8) ^ fr ^ 0xA5) & 0xFF);
		fill_strip(px, BENCH_STRIP_W_PX, code);
		assert_int_equal(bench_strip_decode(px, BENCH_STRIP_W_PX, &f), 0);
		assert_int_equal(f, frames[i]);
	}
	/* Frame numbers wrap at 24 bits. */
	assert_int_equal(bench_strip_code(0x1000005) >> 8, 5);
}

static void test_strip_rejects_bad(void **state)
{
	uint32_t px[BENCH_STRIP_H_PX * BENCH_STRIP_W_PX];
	uint32_t f = 77;

	(void)state;
	fill_strip(px, BENCH_STRIP_W_PX, 0);
	assert_int_equal(bench_strip_decode(px, BENCH_STRIP_W_PX, &f), -EBADMSG);
	fill_strip(px, BENCH_STRIP_W_PX, 0xFFFFFFFFu);
	assert_int_equal(bench_strip_decode(px, BENCH_STRIP_W_PX, &f), -EBADMSG);
	/* Torn: the left half from frame 0x000100, the right half from 0x0000FF. */
	uint32_t torn =
		(bench_strip_code(0x100) & 0xFFFF0000u) | (bench_strip_code(0xFF) & 0xFFFFu);
	fill_strip(px, BENCH_STRIP_W_PX, torn);
	assert_int_equal(bench_strip_decode(px, BENCH_STRIP_W_PX, &f), -EBADMSG);
	assert_int_equal(f, 77);
}

/* JPEG-like noise on every pixel (+-60 per channel) still decodes. */
static void test_strip_survives_noise(void **state)
{
	uint32_t px[BENCH_STRIP_H_PX * BENCH_STRIP_W_PX];
	uint32_t f;

	(void)state;
	fill_strip(px, BENCH_STRIP_W_PX, bench_strip_code(0xABCDE));
	for (size_t i = 0; i < sizeof(px) / sizeof(px[0]); i++) {
		int d = (int)(bench_hash((uint32_t)i, 9, 9) % 121) - 60;
		int v = px[i] ? 255 + (d < 0 ? d : -d) : (d < 0 ? -d : d);

		px[i] = (uint32_t)(v << 16 | v << 8 | v);
	}
	assert_int_equal(bench_strip_decode(px, BENCH_STRIP_W_PX, &f), 0);
	assert_int_equal(f, 0xABCDE);
}

static uint32_t decode_screen(const struct screen *s)
{
	uint32_t f = 0;

	assert_int_equal(bench_strip_decode(s->px, s->w, &f), 0);
	return f;
}

static void test_small_pixels(void **state)
{
	struct bench_scene *scene = bench_scene_new(BENCH_SCENARIO_SMALL, W, H);
	struct screen s;

	(void)state;
	assert_non_null(scene);
	screen_init(&s, W, H);
	for (uint32_t i = 0; i <= 5; i++)
		bench_scene_draw(scene, &s.mc.canvas, i);
	/* x(5) = 16 + 80, y = 540 - 16 */
	assert_int_equal(px_at(&s, 96, 524), BENCH_RECT_RGB);
	assert_int_equal(px_at(&s, 96 + 31, 524 + 31), BENCH_RECT_RGB);
	assert_int_equal(px_at(&s, 96 + 32, 524), BENCH_BACKGROUND_RGB);
	assert_int_equal(px_at(&s, 95, 524), BENCH_BACKGROUND_RGB);
	assert_int_equal(px_at(&s, 96, 523), BENCH_BACKGROUND_RGB);
	/* x(4) = 80 was refilled. */
	assert_int_equal(px_at(&s, 80, 530), BENCH_BACKGROUND_RGB);
	assert_int_equal(px_at(&s, W - 1, H - 1), BENCH_BACKGROUND_RGB);
	assert_int_equal(decode_screen(&s), 5);
	/* Wrap: x(116) = 16 + (1856 mod 1856) = 16. */
	bench_scene_draw_full(scene, &s.mc.canvas, 116);
	assert_int_equal(px_at(&s, 16, 540), BENCH_RECT_RGB);
	assert_int_equal(px_at(&s, 15, 540), BENCH_BACKGROUND_RGB);
	free(s.px);
	bench_scene_free(scene);
}

/* Ink of text line k, column c, glyph pixel (gx, gy), from the definition. */
static int text_ink(int32_t k, uint32_t c, uint32_t gx, uint32_t gy)
{
	uint32_t uk = (uint32_t)k;
	uint32_t len = 30 + bench_hash(uk, 0, 1) % 46;

	if (c >= len || bench_hash(uk, c, 2) % 6 == 0)
		return 0;
	if (gx < 1 || gx >= 7 || gy < 3 || gy >= 13)
		return 0;
	return bench_hash(bench_hash(uk, c, 3) % 64, (gx - 1) + 8 * (gy - 3), 4) % 100 < 40;
}

static void check_text_area(const struct screen *s, uint32_t frame)
{
	for (uint32_t row = 0; row < 25; row++) {
		int32_t k = (int32_t)frame - 24 + (int32_t)row;

		for (uint32_t y = 0; y < 16; y++)
			for (uint32_t x = 0; x < 600; x++) {
				uint32_t want = text_ink(k, x / 8, x % 8, y) ? 0 : 0xFFFFFFu;

				if (px_at(s, 100 + x, 100 + row * 16 + y) != want)
					fail_msg("frame %u: text pixel (%u,%u) is %06x, want %06x",
						 frame, 100 + x, 100 + row * 16 + y,
						 px_at(s, 100 + x, 100 + row * 16 + y), want);
			}
	}
}

static void test_text_pixels(void **state)
{
	struct bench_scene *scene = bench_scene_new(BENCH_SCENARIO_TEXT, W, H);
	struct screen s;

	(void)state;
	assert_non_null(scene);
	screen_init(&s, W, H);
	bench_scene_draw(scene, &s.mc.canvas, 0);
	check_text_area(&s, 0);
	assert_int_equal(decode_screen(&s), 0);
	for (uint32_t i = 1; i <= 30; i++)
		bench_scene_draw(scene, &s.mc.canvas, i);
	check_text_area(&s, 30);
	assert_int_equal(decode_screen(&s), 30);
	assert_int_equal(px_at(&s, 99, 100), BENCH_BACKGROUND_RGB);
	assert_int_equal(px_at(&s, 700, 499), BENCH_BACKGROUND_RGB);
	assert_int_equal(px_at(&s, 100, 500), BENCH_BACKGROUND_RGB);
	assert_int_equal(px_at(&s, 300, 8), BENCH_BACKGROUND_RGB);
	free(s.px);
	bench_scene_free(scene);
}

static void test_full_pixels(void **state)
{
	struct bench_scene *scene = bench_scene_new(BENCH_SCENARIO_FULL, W, H);
	struct screen s;

	(void)state;
	assert_non_null(scene);
	screen_init(&s, W, H);
	bench_scene_draw(scene, &s.mc.canvas, 0);
	bench_scene_draw(scene, &s.mc.canvas, 7);
	assert_int_equal(px_at(&s, 3 * 16, 2 * 16 + 15), bench_hash(3, 2, 7) & 0xFFFFFF);
	assert_int_equal(px_at(&s, 3 * 16 + 15, 2 * 16), bench_hash(3, 2, 7) & 0xFFFFFF);
	/* Clipped tiles at the right and bottom edges: 1080 = 67 * 16 + 8. */
	assert_int_equal(px_at(&s, W - 1, H - 1), bench_hash(119, 67, 7) & 0xFFFFFF);
	assert_int_equal(px_at(&s, 300, 9), bench_hash(18, 0, 7) & 0xFFFFFF);
	assert_int_equal(decode_screen(&s), 7);
	free(s.px);
	bench_scene_free(scene);
}

static void test_idle_pixels(void **state)
{
	struct bench_scene *idle = bench_scene_new(BENCH_SCENARIO_IDLE, W, H);
	struct screen s;
	uint32_t f;

	(void)state;
	assert_non_null(idle);
	screen_init(&s, W, H);
	bench_scene_draw(idle, &s.mc.canvas, 0);
	check_text_area(&s, 0);
	/* No strip. */
	assert_int_equal(px_at(&s, 0, 0), BENCH_BACKGROUND_RGB);
	assert_int_equal(bench_strip_decode(s.px, s.w, &f), -EBADMSG);
	/* Nothing after frame 0. */
	for (size_t i = 0; i < (size_t)W * H; i++)
		s.px[i] ^= 0x010101u;
	bench_scene_draw(idle, &s.mc.canvas, 1);
	assert_int_equal(px_at(&s, 0, 0), BENCH_BACKGROUND_RGB ^ 0x010101u);
	free(s.px);
	bench_scene_free(idle);
}

/* Drawing frames 0..n incrementally leaves exactly frame n's picture. */
static void check_incremental(enum bench_scenario sc, unsigned w, unsigned h, uint32_t n)
{
	struct bench_scene *scene = bench_scene_new(sc, w, h);
	struct screen inc, ref;

	assert_non_null(scene);
	screen_init(&inc, w, h);
	screen_init(&ref, w, h);
	for (uint32_t i = 0; i <= n; i++) {
		bench_scene_draw(scene, &inc.mc.canvas, i);
		bench_scene_render(scene, i, ref.px, ref.w);
		if (memcmp(inc.px, ref.px, (size_t)w * h * sizeof(uint32_t)) != 0)
			fail_msg("%s %ux%u: frame %u drawn incrementally differs from scratch",
				 bench_scenario_name(sc), w, h, i);
	}
	free(inc.px);
	free(ref.px);
	bench_scene_free(scene);
}

static void test_incremental_equals_scratch(void **state)
{
	(void)state;
	check_incremental(BENCH_SCENARIO_SMALL, 700, 500, 100); /* wraps at 636/16 */
	check_incremental(BENCH_SCENARIO_TEXT, 701, 503, 40);
	check_incremental(BENCH_SCENARIO_FULL, 703, 509, 3);
	check_incremental(BENCH_SCENARIO_IDLE, 700, 500, 3);
	check_incremental(BENCH_SCENARIO_TEXT, W, H, 27);
}

static void test_scene_limits(void **state)
{
	enum bench_scenario sc;

	(void)state;
	errno = 0;
	assert_null(bench_scene_new(BENCH_SCENARIO_SMALL, 699, 500));
	assert_int_equal(errno, EINVAL);
	assert_null(bench_scene_new(BENCH_SCENARIO_TEXT, 700, 499));
	assert_null(bench_scene_new(BENCH_SCENARIO_TEXT, 16385, 500));
	assert_int_equal(bench_scenario_parse("full", &sc), 0);
	assert_int_equal(sc, BENCH_SCENARIO_FULL);
	assert_int_equal(bench_scenario_parse("Full", &sc), -EINVAL);
	assert_int_equal(bench_scenario_parse("", &sc), -EINVAL);
	assert_string_equal(bench_scenario_name(BENCH_SCENARIO_IDLE), "idle");
}

static void test_args(void **state)
{
	struct bench_args a;
	const char *err = NULL;

	(void)state;
	assert_int_equal(bench_args_parse("small", &a, &err), 0);
	assert_int_equal(a.scenario, BENCH_SCENARIO_SMALL);
	assert_int_equal(a.fps, 30);
	assert_true(a.seconds == 10.0);
	assert_int_equal(a.settle_ms, 500);
	assert_int_equal(a.fullframe, 0);
	assert_string_equal(a.log, "");
	assert_int_equal(
		bench_args_parse("text,fps=60,seconds=2.5,log=/tmp/x.log,settle=0,fullframe=1", &a,
				 &err),
		0);
	assert_int_equal(a.scenario, BENCH_SCENARIO_TEXT);
	assert_int_equal(a.fps, 60);
	assert_true(a.seconds == 2.5);
	assert_string_equal(a.log, "/tmp/x.log");
	assert_int_equal(a.settle_ms, 0);
	assert_int_equal(a.fullframe, 1);

	static const char *const bad[] = {
		NULL,
		"",
		"tiny",
		"small,",
		",small",
		"small,,fps=3",
		"small,fps",
		"small,fps=0",
		"small,fps=1001",
		"small,fps=3x",
		"small,fps=-1",
		"small,fps= 3",
		"small,seconds=-1",
		"small,seconds=nan",
		"small,seconds=1e9",
		"small,seconds=",
		"small,log=",
		"small,fullframe=2",
		"small,settle=600001",
		"small,colour=red",
		"small,fps=3,fps=4",
		"small,log=a,log=b",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err = NULL;
		if (bench_args_parse(bad[i], &a, &err) != -EINVAL)
			fail_msg("accepted bad arguments \"%s\"", bad[i] ? bad[i] : "(null)");
		assert_non_null(err);
		assert_true(strncmp(err, "bench: ", 7) == 0);
	}
	assert_int_equal(bench_args_parse("small,fps=0", &a, &err), -EINVAL);
	assert_string_equal(err, "bench: fps must be an integer 1..1000");
	assert_int_equal(bench_args_parse("small,colour=red", &a, &err), -EINVAL);
	assert_string_equal(
		err, "bench: unknown option (expected fps, seconds, log, settle, fullframe)");
}

static void test_pacing_and_log(void **state)
{
	char line[64];
	FILE *f = tmpfile();

	(void)state;
	assert_int_equal(bench_frame_count(10, 30), 300);
	assert_int_equal(bench_frame_count(0.5, 3), 2);
	assert_int_equal(bench_frame_count(0, 30), 0);
	assert_true(bench_deadline_ns(1000, 1, 30) == 1000);
	assert_true(bench_deadline_ns(1000, 4, 30) == 1000 + 100000000);
	assert_true(bench_deadline_ns(0, 301, 30) == 10000000000ull);
	assert_non_null(f);
	assert_int_equal(bench_log_frame(f, 5, 123456789012ull), 0);
	assert_int_equal(bench_log_frame(f, 6, 7), 0);
	rewind(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "5 123456789012\n");
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "6 7\n");
	fclose(f);
	uint64_t t = fb_clock_now_ns();
	fb_clock_sleep_until_ns(t + 1000000);
	assert_true(fb_clock_now_ns() >= t + 1000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_strip_round_trip),
		cmocka_unit_test(test_strip_rejects_bad),
		cmocka_unit_test(test_strip_survives_noise),
		cmocka_unit_test(test_small_pixels),
		cmocka_unit_test(test_text_pixels),
		cmocka_unit_test(test_full_pixels),
		cmocka_unit_test(test_idle_pixels),
		cmocka_unit_test(test_incremental_equals_scratch),
		cmocka_unit_test(test_scene_limits),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_pacing_and_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
