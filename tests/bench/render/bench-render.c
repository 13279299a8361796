/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench-render: the render thread's cost per frame, in microseconds and in
 * bytes copied to the listener, against a polling server's full-frame
 * compare-and-copy (no dirty bitmap: 64x64 tiles memcmp'd against a shadow,
 * changed tiles copied), measured in the same run on the same frames.
 *
 * Scenarios (after tests/bench scenarios): idle; one 32x32 rectangle per
 * frame; a 600x400 text area scrolling 16 px per frame; full-frame change.
 * Resolutions 1920x1080 and 3840x2160, x8r8g8b8.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fb/fb.h"
#include "fb/headless.h"

#define BENCH_TILE_PX 64
#define BENCH_RATE_HZ 1000u
#define BENCH_WAIT_MS 20000u
#define BENCH_DEFAULT_FRAMES 120u
#define SCROLL_X 100
#define SCROLL_Y 100
#define SCROLL_W 600
#define SCROLL_H 400
#define SCROLL_STEP_PX 16

enum scenario { SC_IDLE, SC_SMALL, SC_SCROLL, SC_FULL, SC_NUM };
static const char *const scenario_names[SC_NUM] = { "idle", "32x32", "scroll600x400", "full" };

static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x85EBCA6Bu;
	x ^= x >> 13;
	x *= 0xC2B2AE35u;
	x ^= x >> 16;
	return x;
}

static uint32_t hash3(uint32_t a, uint32_t b, uint32_t c)
{
	return mix32(mix32(mix32(a) ^ b) ^ c);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Draws frame i of a scenario as a guest would. */
static void draw_frame(struct fb_device *fb, enum scenario sc, uint32_t i, int w, int h)
{
	struct fb_access acc;

	switch (sc) {
	case SC_IDLE:
		break;
	case SC_SMALL:
		fb_fill_rect(fb, 16 + (int)(16 * i % (uint32_t)(w - 64)), h / 2 - 16, 32, 32,
			     hash3(i, 0, 0) & 0xffffff);
		break;
	case SC_SCROLL:
		fb_access_begin(fb, &acc);
		pixman_blt(acc.pixels, acc.pixels, (int)acc.mode.stride / 4,
			   (int)acc.mode.stride / 4, 32, 32, SCROLL_X, SCROLL_Y + SCROLL_STEP_PX,
			   SCROLL_X, SCROLL_Y, SCROLL_W, SCROLL_H - SCROLL_STEP_PX);
		for (int y = SCROLL_Y + SCROLL_H - SCROLL_STEP_PX; y < SCROLL_Y + SCROLL_H; y++) {
			uint32_t *row =
				(uint32_t *)((uint8_t *)acc.pixels + (size_t)y * acc.mode.stride);

			for (int x = SCROLL_X; x < SCROLL_X + SCROLL_W; x++)
				row[x] = hash3(i, (uint32_t)x, (uint32_t)y) % 100 < 40 ? 0
										       : 0xffffff;
		}
		fb_mark_dirty(fb, &acc, SCROLL_X, SCROLL_Y, SCROLL_W, SCROLL_H);
		fb_access_end(fb, &acc);
		break;
	case SC_FULL:
		fb_access_begin(fb, &acc);
		for (int y = 0; y < h; y++) {
			uint32_t *row =
				(uint32_t *)((uint8_t *)acc.pixels + (size_t)y * acc.mode.stride);

			for (int x = 0; x < w; x++)
				row[x] = hash3((uint32_t)x / 16, (uint32_t)y / 16, i) & 0xffffff;
		}
		fb_mark_dirty(fb, &acc, 0, 0, w, h);
		fb_access_end(fb, &acc);
		break;
	default:
		break;
	}
}

/* The polling baseline: compare every tile row against the shadow, copy
 * changed tiles. Returns bytes copied. */
static uint64_t poll_compare_copy(const uint8_t *guest, uint8_t *shadow, size_t stride, int w,
				  int h)
{
	uint64_t copied = 0;

	for (int ty = 0; ty < h; ty += BENCH_TILE_PX) {
		int th = h - ty < BENCH_TILE_PX ? h - ty : BENCH_TILE_PX;

		for (int tx = 0; tx < w; tx += BENCH_TILE_PX) {
			int tw = w - tx < BENCH_TILE_PX ? w - tx : BENCH_TILE_PX;
			size_t off = (size_t)ty * stride + (size_t)tx * 4;
			bool changed = false;

			for (int y = 0; y < th && !changed; y++)
				changed = memcmp(guest + off + (size_t)y * stride,
						 shadow + off + (size_t)y * stride, (size_t)tw * 4);
			if (!changed)
				continue;
			for (int y = 0; y < th; y++)
				memcpy(shadow + off + (size_t)y * stride,
				       guest + off + (size_t)y * stride, (size_t)tw * 4);
			copied += (uint64_t)tw * (uint64_t)th * 4;
		}
	}
	return copied;
}

struct result {
	double us, bytes;
};

/* fbhost: render thread + headless listener; cost per frame. */
static struct result run_fbhost(struct ram_list *rl, int w, int h, enum scenario sc,
				unsigned frames)
{
	struct fb_config cfg = { .name = "bench",
				 .mode = { (uint32_t)w, (uint32_t)h, 0, PIXMAN_x8r8g8b8 } };
	struct fb_render_config rc = { .rate_hz = BENCH_RATE_HZ };
	struct fb_render_stats a, b;
	struct fb_headless_stats ha, hb;
	struct fb_device *fb = fb_new(rl, &cfg);
	struct fb_render *r = fb_render_new(&rc);
	struct fb_headless *hl;
	struct result res;

	if (!fb || !r) {
		perror("bench-render: setup");
		exit(1);
	}
	hl = fb_headless_new(fb);
	fb_render_add(r, fb);
	/* a first picture (frame 0 of the scenario, as the baseline has it) */
	draw_frame(fb, sc == SC_IDLE ? SC_FULL : sc, 0, w, h);
	fb_render_kick(r);
	fb_render_wait_ticks(r, 3, BENCH_WAIT_MS);
	fb_get_stats(fb, &a);
	fb_headless_get_stats(hl, &ha);
	for (unsigned i = 1; i <= frames; i++) {
		draw_frame(fb, sc, i, w, h);
		/* one tick that surely starts after the frame is drawn */
		fb_render_kick(r);
		if (fb_render_wait_ticks(r, 2, BENCH_WAIT_MS)) {
			fprintf(stderr, "bench-render: render thread stalled\n");
			exit(1);
		}
	}
	fb_get_stats(fb, &b);
	fb_headless_get_stats(hl, &hb);
	if (sc == SC_IDLE) /* per tick: every tick is an idle one */
		res.us = (double)(b.total_tick_ns - a.total_tick_ns) / 1e3 /
			 (double)(b.ticks - a.ticks);
	else
		res.us = (double)(b.total_tick_ns - a.total_tick_ns) / 1e3 / frames;
	res.bytes = (double)(hb.pixels - ha.pixels) * 4 / frames;
	fb_render_remove(r, fb);
	fb_headless_free(hl);
	fb_render_free(r);
	fb_free(fb);
	return res;
}

/* The polling server on the same frames; cost per poll. */
static struct result run_baseline(struct ram_list *rl, int w, int h, enum scenario sc,
				  unsigned frames)
{
	struct fb_config cfg = { .name = "poll",
				 .mode = { (uint32_t)w, (uint32_t)h, 0, PIXMAN_x8r8g8b8 } };
	struct fb_device *fb = fb_new(rl, &cfg);
	struct fb_mode m;
	uint8_t *shadow;
	uint64_t ns = 0, bytes = 0;
	struct result res;

	if (!fb) {
		perror("bench-render: setup");
		exit(1);
	}
	m = fb_get_mode(fb);
	shadow = calloc(m.stride, m.height);
	if (!shadow) {
		perror("bench-render: shadow");
		exit(1);
	}
	draw_frame(fb, sc == SC_IDLE ? SC_FULL : sc, 0, w, h);
	for (unsigned i = 0; i <= frames; i++) {
		struct fb_access acc;
		uint64_t t0, t1, copied;

		if (i)
			draw_frame(fb, sc, i, w, h);
		fb_access_begin(fb, &acc);
		t0 = now_ns();
		copied = poll_compare_copy(acc.pixels, shadow, acc.mode.stride, w, h);
		t1 = now_ns();
		fb_access_end(fb, &acc);
		if (i) { /* poll 0 only fills the shadow */
			ns += t1 - t0;
			bytes += copied;
		}
	}
	res.us = (double)ns / 1e3 / frames;
	res.bytes = (double)bytes / frames;
	free(shadow);
	fb_free(fb);
	return res;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench-render [--frames N] [--only idle|32x32|scroll600x400|full]\n"
		   "  Render-thread cost per frame vs a full-frame compare-and-copy poll.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "frames", required_argument, NULL, 'f' },
		{ "only", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const int res_px[][2] = { { 1920, 1080 }, { 3840, 2160 } };
	unsigned frames = BENCH_DEFAULT_FRAMES;
	int only = -1;
	struct ram_list *rl;
	int c;

	while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
		char *end;
		unsigned long v;

		switch (c) {
		case 'f':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || v == 0 || v > 100000) {
				fprintf(stderr,
					"bench-render: --frames wants 1..100000, got '%s'\n",
					optarg);
				return 2;
			}
			frames = (unsigned)v;
			break;
		case 'o':
			for (int i = 0; i < SC_NUM; i++)
				if (strcmp(optarg, scenario_names[i]) == 0)
					only = i;
			if (only < 0) {
				fprintf(stderr, "bench-render: unknown scenario '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	rl = ram_list_new(&(struct ram_list_config){ .page_bits = FB_RAM_PAGE_BITS });
	if (!rl) {
		perror("bench-render: ram_list_new");
		return 1;
	}
	printf("%-10s %-14s %12s %14s %12s %14s %9s %9s\n", "screen", "scenario", "fbhost_us",
	       "fbhost_bytes", "poll_us", "poll_bytes", "us_ratio", "byte_ratio");
	for (size_t ri = 0; ri < 2; ri++) {
		int w = res_px[ri][0], h = res_px[ri][1];

		for (int sc = 0; sc < SC_NUM; sc++) {
			if (only >= 0 && sc != only)
				continue;
			struct result f = run_fbhost(rl, w, h, (enum scenario)sc, frames);
			struct result p = run_baseline(rl, w, h, (enum scenario)sc, frames);
			char screen[32];

			snprintf(screen, sizeof(screen), "%dx%d", w, h);
			printf("%-10s %-14s %12.2f %14.0f %12.2f %14.0f %8.2f%% %8.2f%%\n", screen,
			       scenario_names[sc], f.us, f.bytes, p.us, p.bytes,
			       100.0 * f.us / p.us, p.bytes > 0 ? 100.0 * f.bytes / p.bytes : 0.0);
		}
	}
	printf("targets: idle us_ratio <= 1%%, 32x32 us_ratio <= 2%% (of the polling baseline)\n");
	ram_list_free(rl);
	return 0;
}
