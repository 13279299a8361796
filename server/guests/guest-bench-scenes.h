/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-bench-scenes.h - the benchmark workloads of
 * shared/notes/bench-scenarios.md, pixel for pixel, as pure drawing code.
 *
 * A scene draws frame i of a scenario through a small canvas interface
 * (fill, copy, put), so that the very same pixels reach the fbhost guest
 * (fb_* writes), the X peers (Xlib) and the tests (a memory buffer). Colours
 * are 0xRRGGBB. It also encodes and decodes the frame-number strip and
 * holds the pacing arithmetic shared by every drawing client.
 *
 * Public prefix: bench_. Not thread-safe per scene; scenes are independent.
 */
#ifndef FBHOST_SERVER_GUEST_BENCH_SCENES_H
#define FBHOST_SERVER_GUEST_BENCH_SCENES_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum bench_scenario {
	BENCH_SCENARIO_SMALL,
	BENCH_SCENARIO_TEXT,
	BENCH_SCENARIO_FULL,
	BENCH_SCENARIO_IDLE,
};

/* Smallest screen every scenario fits on: the text area ends at 700x500. */
#define BENCH_MIN_WIDTH_PX 700u
#define BENCH_MIN_HEIGHT_PX 500u
#define BENCH_MAX_SIDE_PX 16384u

/* Colours. */
#define BENCH_BACKGROUND_RGB 0x303030u
#define BENCH_RECT_RGB 0xE04020u
#define BENCH_PAPER_RGB 0xFFFFFFu
#define BENCH_INK_RGB 0x000000u

/* small */
#define BENCH_RECT_SIDE_PX 32
/* text */
#define BENCH_TEXT_X_PX 100
#define BENCH_TEXT_Y_PX 100
#define BENCH_TEXT_LINES 25
#define BENCH_TEXT_COLUMNS 75
#define BENCH_CELL_W_PX 8
#define BENCH_CELL_H_PX 16
#define BENCH_TEXT_W_PX (BENCH_TEXT_COLUMNS * BENCH_CELL_W_PX) /* 600 */
#define BENCH_TEXT_H_PX (BENCH_TEXT_LINES * BENCH_CELL_H_PX)   /* 400 */
/* full */
#define BENCH_TILE_PX 16
/* frame-number strip: 32 cells of 8x8 at (0,0) */
#define BENCH_STRIP_CELLS 32
#define BENCH_STRIP_CELL_PX 8
#define BENCH_STRIP_W_PX (BENCH_STRIP_CELLS * BENCH_STRIP_CELL_PX) /* 256 */
#define BENCH_STRIP_H_PX BENCH_STRIP_CELL_PX
/* Settle time between frame 0 and frame 1. */
#define BENCH_SETTLE_MS 500u
#define BENCH_NS_PER_S 1000000000ull

/* "small", "text", "full", "idle" -> 0 or -EINVAL. */
int bench_scenario_parse(const char *name, enum bench_scenario *out);
const char *bench_scenario_name(enum bench_scenario s);
/* Whether frames of this scenario carry the strip (all but idle). */
int bench_scenario_has_strip(enum bench_scenario s);

/* The hash of the notes: h(a,b,c) = mix32(mix32(mix32(a) ^ b) ^ c). */
uint32_t bench_mix32(uint32_t x);
uint32_t bench_hash(uint32_t a, uint32_t b, uint32_t c);

/* The strip's 32-bit code word for a frame number (low 24 bits kept). */
uint32_t bench_strip_code(uint32_t frame);
/* Decodes the strip from 0x00RRGGBB pixels (row stride in pixels):
 * 0 and *frame (24 bits), or -EBADMSG if the check fails. */
int bench_strip_decode(const uint32_t *rgb, size_t stride_px, uint32_t *frame);
/* Same from cell lumas already averaged by the caller (any pixel layout):
 * luma[i] is the mean luma (0..255) of cell i's inner 4x4 pixels. */
int bench_strip_decode_lumas(const double luma[BENCH_STRIP_CELLS], uint32_t *frame);
/* Luma of one 0xRRGGBB pixel: 0.299R + 0.587G + 0.114B. */
double bench_luma(uint32_t rgb);

/*
 * Where a scene draws. Coordinates are screen pixels; a scene never draws
 * outside width x height. put() gets 0x00RRGGBB pixels with a row stride in
 * pixels, valid only during the call.
 */
struct bench_canvas;
struct bench_canvas_ops {
	void (*fill)(struct bench_canvas *c, int x, int y, int w, int h, uint32_t rgb);
	/* Copies w x h pixels from (sx,sy) to (dx,dy); the areas may overlap. */
	void (*copy)(struct bench_canvas *c, int sx, int sy, int dx, int dy, int w, int h);
	void (*put)(struct bench_canvas *c, int x, int y, int w, int h, const uint32_t *rgb,
		    size_t stride_px);
	/* Optional, both or neither: direct() returns the canvas's own
	 * 0x00RRGGBB pixels (row stride in pixels in *stride_px) so a scene
	 * can compose a frame in place instead of in a scratch buffer and a
	 * put(), or NULL when it has none; touched() then reports what was
	 * drawn there. */
	uint32_t *(*direct)(struct bench_canvas *c, size_t *stride_px);
	void (*touched)(struct bench_canvas *c, int x, int y, int w, int h);
};
struct bench_canvas {
	const struct bench_canvas_ops *ops;
};

/* One scenario at one screen size, with its scratch buffers. */
struct bench_scene;

/* NULL+errno: EINVAL if the screen is smaller than BENCH_MIN_* or larger
 * than BENCH_MAX_SIDE_PX, ENOMEM. */
struct bench_scene *bench_scene_new(enum bench_scenario s, unsigned width, unsigned height);
void bench_scene_free(struct bench_scene *scene);
/*
 * Draws frame `frame` incrementally: frame 0 from scratch, frame i >= 1 as
 * the change from frame i-1 (which must be what the canvas shows). The strip
 * is drawn last. Idle draws only frame 0.
 */
void bench_scene_draw(struct bench_scene *scene, struct bench_canvas *c, uint32_t frame);
/* Draws the whole picture of frame `frame` from scratch, as the screen must
 * look after frames 0..frame were drawn incrementally. */
void bench_scene_draw_full(struct bench_scene *scene, struct bench_canvas *c, uint32_t frame);
/* Renders frame `frame` from scratch into a 0x00RRGGBB buffer of
 * width x height pixels (row stride in pixels). */
void bench_scene_render(struct bench_scene *scene, uint32_t frame, uint32_t *rgb, size_t stride_px);

/* A canvas over a 0x00RRGGBB (x8r8g8b8) memory buffer, for tests and probes. */
struct bench_memory_canvas {
	struct bench_canvas canvas;
	uint32_t *pixels;
	size_t stride_px;
	unsigned width, height;
};
void bench_memory_canvas_init(struct bench_memory_canvas *mc, uint32_t *pixels, unsigned width,
			      unsigned height, size_t stride_px);

/* ---- pacing and the frame log ------------------------------------------ */

/* Limits of the pacing parameters, checked by bench_pacing_check(). */
#define BENCH_MAX_FPS 1000u
#define BENCH_MAX_SECONDS 3600.0
#define BENCH_MAX_SETTLE_MS 600000u

/* A frame that starts more than this after its deadline counts as late. */
#define BENCH_LATE_SLACK_NS 1000000ull

/* N = round(seconds * fps): the last frame number. */
uint32_t bench_frame_count(double seconds, unsigned fps);
/* 0 or -EINVAL with *err set when fps/seconds/settle are out of range. */
int bench_pacing_check(unsigned fps, double seconds, unsigned settle_ms, const char **err);
/* The pacing options every bench drawer takes on its command line
 * (bench-xdraw, bench-nvnc-draw, bench-attach-draw): put
 * BENCH_PACING_LONGOPTS in the getopt_long table and hand each result to
 * bench_pacing_option first. */
struct bench_pacing_opts {
	enum bench_scenario scenario;
	bool have_scenario; /* --scenario was given (it is required) */
	unsigned fps, settle_ms;
	double seconds;
	const char *log_path; /* NULL: no frame log */
};
/* clang-format off */
#define BENCH_PACING_LONGOPTS                                \
	{ "scenario", required_argument, NULL, 's' },        \
	{ "fps", required_argument, NULL, 'f' },             \
	{ "seconds", required_argument, NULL, 'S' },         \
	{ "settle", required_argument, NULL, 'w' },          \
	{ "log", required_argument, NULL, 'l' }
/* clang-format on */
/* The defaults: BENCH_DEFAULT_FPS, BENCH_DEFAULT_SECONDS, BENCH_SETTLE_MS. */
void bench_pacing_opts_init(struct bench_pacing_opts *o);
/* One getopt_long result c with its argument: 1 when c is one of
 * BENCH_PACING_LONGOPTS and arg was taken, 0 when c is not one of them,
 * -EINVAL for a bad value. */
int bench_pacing_option(struct bench_pacing_opts *o, int c, const char *arg);
/* Absolute deadline of frame i >= 1: t0 + (i-1)/fps, with t0 the end of the
 * settle time. */
uint64_t bench_deadline_ns(uint64_t t0_ns, uint32_t frame, unsigned fps);
/* ---- the bench guest's arguments -------------------------------------- */

#define BENCH_DEFAULT_FPS 30u
#define BENCH_DEFAULT_SECONDS 10.0
#define BENCH_MAX_LOG_PATH_BYTES 4096u

/* SCENARIO[,fps=N][,seconds=S][,log=FILE][,settle=MS][,fullframe=0|1] */
struct bench_args {
	enum bench_scenario scenario;
	unsigned fps;	    /* default 30 */
	double seconds;	    /* default 10 */
	unsigned settle_ms; /* default BENCH_SETTLE_MS */
	int fullframe;	    /* 1: mark the whole frame dirty each frame (baseline) */
	char log[BENCH_MAX_LOG_PATH_BYTES]; /* "" = no log */
};
/* Parses strictly: 0, or -EINVAL with *err a static message (unknown or
 * repeated key, bad number, missing scenario, ...). */
int bench_args_parse(const char *args, struct bench_args *out, const char **err);

/* Appends "frame_no monotonic_ns\n" and flushes: 0 or -errno. */
int bench_log_frame(FILE *log, uint32_t frame, uint64_t t_ns);

#endif
