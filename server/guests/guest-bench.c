/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-bench.c - the "bench" guest: draws one benchmark scenario of
 * shared/notes/bench-scenarios.md (small, text, full, idle) into its
 * framebuffer at the mode it has when the guest starts, paced on absolute
 * CLOCK_MONOTONIC deadlines, and logs "frame_no monotonic_ns" per frame.
 *
 *   bench:SCENARIO[,fps=N][,seconds=S][,log=FILE][,settle=MS][,fullframe=1]
 *
 * Frame 0 is drawn at once; frames 1..N (N = round(S*fps)) follow after the
 * settle time (500 ms by default) at t0 + (i-1)/fps. A late frame is drawn
 * anyway and counted. Each frame is drawn inside one fbhost_pixels section
 * (the text scroll is an fbhost_pixels_copy, which listeners repeat), then its
 * exact damage is marked (or, with fullframe=1, the whole frame: the
 * baseline that bypasses the dirty bitmap's precision; idle then keeps
 * marking its unchanged frame for N frames), then the time is taken, then
 * the log line is written and flushed. The last frame stays on screen until
 * the guest is stopped.
 */
#include <errno.h>
#include <pixman.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/guests/guest-bench-scenes.h"
#include "server/guests/guest-draw.h"
#include "server/guests/guest.h"
#include "server/guests/guest-runner.h"

/* Draws through one fbhost_pixels section; lives for one frame on the guest
 * thread. */
struct pixels_canvas {
	struct bench_canvas canvas;
	struct fbhost_fb *fb;
	struct fbhost_pixels px;
	pixman_image_t *image;	  /* over px.data, in px.format */
	pixman_region32_t damage; /* what this frame drew */
};

/* One running bench guest. */
struct bench_guest {
	struct guest_runner run;   /* thread, stop flag and its lock; run.fb */
	struct bench_args args;	   /* read-only after start */
	struct bench_scene *scene; /* guest thread only */
	FILE *log;		   /* guest thread only (NULL: no log) */
	struct fbhost_mode mode;   /* the mode the scene was made for; read-only */
	unsigned late;		   /* guest thread only */
};

static void canvas_fill(struct bench_canvas *c, int x, int y, int w, int h, uint32_t rgb)
{
	struct pixels_canvas *fc = (struct pixels_canvas *)c;
	pixman_color_t colour = {
		.red = (uint16_t)(((rgb >> 16) & 0xFF) * 0x101),
		.green = (uint16_t)(((rgb >> 8) & 0xFF) * 0x101),
		.blue = (uint16_t)((rgb & 0xFF) * 0x101),
		.alpha = 0xFFFF,
	};
	pixman_rectangle16_t r = { (int16_t)x, (int16_t)y, (uint16_t)w, (uint16_t)h };

	pixman_image_fill_rectangles(PIXMAN_OP_SRC, fc->image, &colour, 1, &r);
	pixman_region32_union_rect(&fc->damage, &fc->damage, x, y, (unsigned)w, (unsigned)h);
}

/* Marks what the frame drew so far (a move must see it dirty). */
static void canvas_mark(struct pixels_canvas *fc)
{
	const pixman_box32_t *box;
	int n;

	box = pixman_region32_rectangles(&fc->damage, &n);
	for (int i = 0; i < n; i++)
		fbhost_pixels_damage(fc->fb, &fc->px, box[i].x1, box[i].y1, box[i].x2 - box[i].x1,
				     box[i].y2 - box[i].y1);
	pixman_region32_clear(&fc->damage);
}

/* A move the listeners repeat (VNC: CopyRect), as XCopyArea is for the X
 * peers. With fullframe=1 the whole frame is marked anyway. */
static void canvas_copy(struct bench_canvas *c, int sx, int sy, int dx, int dy, int w, int h)
{
	struct pixels_canvas *fc = (struct pixels_canvas *)c;

	canvas_mark(fc);
	fbhost_pixels_copy(fc->fb, &fc->px, sx, sy, dx, dy, w, h);
}

static void canvas_put(struct bench_canvas *c, int x, int y, int w, int h, const uint32_t *rgb,
		       size_t stride_px)
{
	struct pixels_canvas *fc = (struct pixels_canvas *)c;
	/* pixman only reads a source image. */
	pixman_image_t *src = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, h, (uint32_t *)rgb,
						       (int)(stride_px * sizeof(uint32_t)));

	if (!src)
		return;
	pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, fc->image, 0, 0, 0, 0, x, y, w, h);
	pixman_image_unref(src);
	pixman_region32_union_rect(&fc->damage, &fc->damage, x, y, (unsigned)w, (unsigned)h);
}

/* The guest pixels themselves when they are 0x00RRGGBB already. */
static uint32_t *canvas_direct(struct bench_canvas *c, size_t *stride_px)
{
	struct pixels_canvas *fc = (struct pixels_canvas *)c;

	if (fc->px.format != FBHOST_FORMAT_X8R8G8B8 || fc->px.stride % 4)
		return NULL;
	*stride_px = fc->px.stride / 4;
	return fc->px.data;
}

static void canvas_touched(struct bench_canvas *c, int x, int y, int w, int h)
{
	struct pixels_canvas *fc = (struct pixels_canvas *)c;

	pixman_region32_union_rect(&fc->damage, &fc->damage, x, y, (unsigned)w, (unsigned)h);
}

static const struct bench_canvas_ops pixels_canvas_ops = {
	.fill = canvas_fill,
	.copy = canvas_copy,
	.put = canvas_put,
	.direct = canvas_direct,
	.touched = canvas_touched,
};

static bool same_mode(const struct fbhost_pixels *a, const struct fbhost_mode *b)
{
	return a->width == b->width && a->height == b->height && a->stride == b->stride &&
	       a->format == b->format;
}

/*
 * Draws one frame and makes it visible: marks its damage (exact, or the
 * whole frame for the fullframe baseline). -ESTALE if the mode changed
 * since the guest started (nothing is drawn then), -ENOMEM.
 */
static int draw_frame(struct bench_guest *g, uint32_t frame)
{
	struct pixels_canvas fc = { .canvas.ops = &pixels_canvas_ops, .fb = g->run.fb };
	int ret = 0;

	fbhost_pixels_begin(g->run.fb, &fc.px);
	if (!same_mode(&fc.px, &g->mode)) {
		ret = -ESTALE;
		goto out_access;
	}
	fc.image = pixman_image_create_bits_no_clear(guest_draw_pixman_format(fc.px.format),
						     (int)fc.px.width, (int)fc.px.height,
						     fc.px.data, (int)fc.px.stride);
	if (!fc.image) {
		ret = -ENOMEM;
		goto out_access;
	}
	pixman_region32_init(&fc.damage);
	bench_scene_draw(g->scene, &fc.canvas, frame);
	if (g->args.fullframe)
		fbhost_pixels_damage(g->run.fb, &fc.px, 0, 0, (int)g->mode.width,
				     (int)g->mode.height);
	else
		canvas_mark(&fc);
	pixman_region32_fini(&fc.damage);
	pixman_image_unref(fc.image);
out_access:
	fbhost_pixels_end(g->run.fb, &fc.px);
	return ret;
}

/* Waits until the time t_ns (fbhost_now_ns) or a stop: true if stopped. */
static bool wait_until(struct bench_guest *g, uint64_t t_ns)
{
	bool stop;

	pthread_mutex_lock(&g->run.lock);
	while (!g->run.stop && guest_runner_wait_until_locked(&g->run, t_ns) != ETIMEDOUT)
		;
	stop = g->run.stop;
	pthread_mutex_unlock(&g->run.lock);
	return stop;
}

/* Draws, marks, then timestamps and logs frame i: false to give up. */
static bool present(struct bench_guest *g, uint32_t frame)
{
	int ret = draw_frame(g, frame);

	if (ret == -ESTALE) {
		fbhost_log(g->run.host, FBHOST_LOG_ERROR,
			   "bench: the framebuffer's mode changed; the guest stops drawing");
		return false;
	}
	if (ret < 0) {
		fbhost_log(g->run.host, FBHOST_LOG_ERROR, "bench: frame %u: %s", frame,
			   strerror(-ret));
		return false;
	}
	if (g->log && bench_log_frame(g->log, frame, fbhost_now_ns()) < 0) {
		fbhost_log(g->run.host, FBHOST_LOG_ERROR, "bench: cannot write the frame log: %s",
			   strerror(errno));
		return false;
	}
	return true;
}

static void *bench_thread(void *opaque)
{
	struct bench_guest *g = opaque;
	/* Idle draws frame 0 only; its fullframe baseline keeps marking the
	 * whole (unchanged) frame at the frame rate. */
	uint32_t last = g->args.scenario == BENCH_SCENARIO_IDLE && !g->args.fullframe
				? 0
				: bench_frame_count(g->args.seconds, g->args.fps);
	uint64_t t0;

	if (!present(g, 0))
		goto idle;
	t0 = fbhost_now_ns() + (uint64_t)g->args.settle_ms * 1000000u;
	for (uint32_t i = 1; i <= last; i++) {
		uint64_t deadline = bench_deadline_ns(t0, i, g->args.fps);

		if (fbhost_now_ns() > deadline + BENCH_LATE_SLACK_NS)
			g->late++;
		else if (wait_until(g, deadline))
			return NULL;
		if (!present(g, i))
			break;
	}
	if (g->late)
		fbhost_log(g->run.host, FBHOST_LOG_WARN, "bench: %u of %u frames were late",
			   g->late, last);
idle:
	/* Keep the last frame on screen until stopped. */
	wait_until(g, UINT64_MAX / 2);
	return NULL;
}

/* Viewers may not resize the bench screen: the scenario is defined at the
 * mode the guest started with. Key, pointer and clipboard are ignored. */
static int refuse_resize(void *opaque, struct fbhost_fb *fb, uint32_t width, uint32_t height)
{
	return -EBUSY;
}

static const struct fbhost_input_callbacks bench_input = {
	.resize_request = refuse_resize,
};

static int bench_start(struct fbhost *host, struct fbhost_fb *fb, const char *args, void **state,
		       const char **err)
{
	struct bench_guest *g;
	int ret;

	g = calloc(1, sizeof(*g));
	if (!g) {
		*err = "bench: out of memory";
		return -ENOMEM;
	}
	ret = bench_args_parse(args, &g->args, err);
	if (ret < 0)
		goto fail_args;
	g->mode = fbhost_fb_mode(fb);
	if (g->mode.format == FBHOST_FORMAT_C8 || !fbhost_format_bytes(g->mode.format)) {
		*err = "bench: needs a direct-colour framebuffer (not c8)";
		ret = -EINVAL;
		goto fail_args;
	}
	g->scene = bench_scene_new(g->args.scenario, g->mode.width, g->mode.height);
	if (!g->scene) {
		ret = -errno;
		*err = ret == -EINVAL ? "bench: the framebuffer must be at least 700x500"
				      : "bench: out of memory";
		goto fail_args;
	}
	if (g->args.log[0] && !(g->log = fopen(g->args.log, "w"))) {
		ret = -errno;
		*err = "bench: cannot create the log file";
		goto fail_log;
	}
	ret = guest_runner_init(&g->run, host, fb);
	if (ret < 0) {
		*err = "bench: cannot set up the guest thread";
		goto fail_runner;
	}
	ret = fbhost_input_add(fb, &bench_input, g);
	if (ret < 0) {
		*err = "bench: cannot take the framebuffer's input";
		goto fail_input;
	}
	ret = guest_runner_start(&g->run, bench_thread, g);
	if (ret < 0) {
		*err = "bench: cannot start the guest thread";
		goto fail_thread;
	}
	*state = g;
	return 0;

fail_thread:
	fbhost_input_remove(fb, g);
fail_input:
	guest_runner_destroy(&g->run);
fail_runner:
	if (g->log)
		fclose(g->log);
fail_log:
	bench_scene_free(g->scene);
fail_args:
	free(g);
	return ret;
}

static void bench_stop(void *state)
{
	struct bench_guest *g = state;

	if (!g)
		return;
	fbhost_input_remove(g->run.fb, g);
	guest_runner_stop(&g->run);
	guest_runner_destroy(&g->run);
	if (g->log)
		fclose(g->log);
	bench_scene_free(g->scene);
	free(g);
}

const struct guest_ops guest_bench_ops = {
	.name = "bench",
	.start = bench_start,
	.stop = bench_stop,
};
