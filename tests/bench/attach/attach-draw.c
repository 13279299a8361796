/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/bench/attach/attach-draw.c - bench-attach-draw: draws the bench
 * scenarios (server/guests/guest-bench-scenes.h) as a guest in another
 * process, through libfbhost-guest, with the bench guest's pacing and frame
 * log, so that bench-probe measures it exactly like the in-process guest.
 * The scene draws straight into the mapped framebuffer (plain stores); what
 * fbhost is told depends on --tracking: uffd (nothing), log (bits of the
 * shared log), damage (rectangles), compare (nothing). Each frame ends with
 * fbhost_guest_frame_done (one FRAME message: the render thread wakes at
 * once, as the in-process guest's frame section does), announced with
 * FBHOST_GUEST_FRAMES so that fbhost does not poll; --poll leaves that out
 * (fbhost's render thread then ticks at full rate to find the writes).
 * --hold-ms keeps the client attached that long after the last frame, as
 * the in-process guest stays: detaching makes fbhost mark the whole frame
 * once (attach-protocol.md), a one-off cost per session that would
 * otherwise fall into the measured window.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fb/clock.h"
#include "server/guest-client/fbhost-guest.h"
#include "server/guests/guest-bench-scenes.h"

/* A memory canvas over the mapped frame that reports what it drew. */
struct attach_canvas {
	struct bench_canvas canvas;	/* first: the scene's view */
	struct bench_memory_canvas mem; /* does the drawing */
	struct fbhost_guest *g;
};

static void ac_fill(struct bench_canvas *c, int x, int y, int w, int h, uint32_t rgb)
{
	struct attach_canvas *ac = (struct attach_canvas *)c;

	ac->mem.canvas.ops->fill(&ac->mem.canvas, x, y, w, h, rgb);
	fbhost_guest_damage(ac->g, x, y, w, h);
}

static void ac_copy(struct bench_canvas *c, int sx, int sy, int dx, int dy, int w, int h)
{
	struct attach_canvas *ac = (struct attach_canvas *)c;

	ac->mem.canvas.ops->copy(&ac->mem.canvas, sx, sy, dx, dy, w, h);
	fbhost_guest_damage(ac->g, dx, dy, w, h);
}

static void ac_put(struct bench_canvas *c, int x, int y, int w, int h, const uint32_t *rgb,
		   size_t stride_px)
{
	struct attach_canvas *ac = (struct attach_canvas *)c;

	ac->mem.canvas.ops->put(&ac->mem.canvas, x, y, w, h, rgb, stride_px);
	fbhost_guest_damage(ac->g, x, y, w, h);
}

static uint32_t *ac_direct(struct bench_canvas *c, size_t *stride_px)
{
	struct attach_canvas *ac = (struct attach_canvas *)c;

	*stride_px = ac->mem.stride_px;
	return ac->mem.pixels;
}

static void ac_touched(struct bench_canvas *c, int x, int y, int w, int h)
{
	fbhost_guest_damage(((struct attach_canvas *)c)->g, x, y, w, h);
}

static const struct bench_canvas_ops ac_ops = {
	.fill = ac_fill,
	.copy = ac_copy,
	.put = ac_put,
	.direct = ac_direct,
	.touched = ac_touched,
};

static void usage(FILE *f)
{
	fputs("usage: bench-attach-draw --socket PATH --scenario small|text|full|idle\n"
	      "         --tracking uffd|log|damage|compare [--fb NAME] [--fps N] [--seconds S]\n"
	      "         [--settle MS] [--log FILE] [--poll] [--hold-ms MS]\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 'p' },
		{ "tracking", required_argument, NULL, 't' },
		{ "fb", required_argument, NULL, 'b' },
		BENCH_PACING_LONGOPTS,
		{ "poll", no_argument, NULL, 'P' },
		{ "hold-ms", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const tracking_names[] = { "damage", "log", "uffd", "compare" };
	const char *path = NULL, *fb = "0", *err = NULL;
	struct bench_pacing_opts po;
	unsigned late = 0, hold_ms = 0;
	int tracking = -1, got;
	bool poll = false;
	struct attach_canvas ac;
	const struct fbhost_guest_frame *f;
	struct bench_scene *scene;
	char errbuf[512];
	FILE *log = NULL;
	uint32_t last;
	uint64_t t0;
	char *end;
	int c, rc;

	bench_pacing_opts_init(&po);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		rc = bench_pacing_option(&po, c, optarg);
		if (rc < 0)
			goto bad;
		if (rc > 0)
			continue;
		switch (c) {
		case 'p':
			path = optarg;
			break;
		case 't':
			for (int i = 0; i < 4; i++)
				if (strcmp(optarg, tracking_names[i]) == 0)
					tracking = i;
			if (tracking < 0)
				goto bad;
			break;
		case 'b':
			fb = optarg;
			break;
		case 'P':
			poll = true;
			break;
		case 'H':
			hold_ms = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !path || tracking < 0 ||
	    bench_pacing_check(po.fps, po.seconds, po.settle_ms, &err) < 0) {
		if (err)
			fprintf(stderr, "bench-attach-draw: %s\n", err);
		usage(stderr);
		return 2;
	}
	if (po.log_path && !(log = fopen(po.log_path, "w"))) {
		fprintf(stderr, "bench-attach-draw: cannot create %s: %s\n", po.log_path,
			strerror(errno));
		return 1;
	}
	ac.g = fbhost_guest_attach(path, fb, errbuf, sizeof(errbuf));
	if (!ac.g) {
		fprintf(stderr, "bench-attach-draw: %s\n", errbuf);
		return 1;
	}
	/* It calls frame_done after every frame: fbhost need not poll
	 * (--poll measures the polling instead). */
	got = fbhost_guest_set_tracking(ac.g, tracking | (poll ? 0 : FBHOST_GUEST_FRAMES));
	if (got != tracking) {
		fprintf(stderr, "bench-attach-draw: tracking %s: %s\n", tracking_names[tracking],
			got < 0 ? fbhost_guest_error(ac.g) : "fell back");
		return 1;
	}
	f = fbhost_guest_frame(ac.g);
	if (f->format != FBHOST_GUEST_X8R8G8B8) {
		fprintf(stderr, "bench-attach-draw: needs an x8r8g8b8 framebuffer\n");
		return 1;
	}
	bench_memory_canvas_init(&ac.mem, f->pixels, f->width, f->height, f->stride / 4);
	ac.canvas.ops = &ac_ops;
	scene = bench_scene_new(po.scenario, f->width, f->height);
	if (!scene) {
		fprintf(stderr, "bench-attach-draw: %ux%u too small\n", f->width, f->height);
		return 1;
	}
	bench_scene_draw(scene, &ac.canvas, 0);
	fbhost_guest_frame_done(ac.g);
	if (log)
		bench_log_frame(log, 0, fb_clock_now_ns());
	last = po.scenario == BENCH_SCENARIO_IDLE ? 0 : bench_frame_count(po.seconds, po.fps);
	t0 = fb_clock_now_ns() + (uint64_t)po.settle_ms * 1000000u;
	for (uint32_t i = 1; i <= last; i++) {
		uint64_t deadline = bench_deadline_ns(t0, i, po.fps);

		if (fb_clock_now_ns() > deadline + BENCH_LATE_SLACK_NS)
			late++;
		else
			fb_clock_sleep_until_ns(deadline);
		bench_scene_draw(scene, &ac.canvas, i);
		fbhost_guest_frame_done(ac.g);
		if (log && bench_log_frame(log, i, fb_clock_now_ns()) < 0) {
			fprintf(stderr, "bench-attach-draw: frame log: %s\n", strerror(errno));
			return 1;
		}
	}
	fprintf(stderr, "bench-attach-draw: %s, tracking %s: %u frames, %u late\n",
		bench_scenario_name(po.scenario), fbhost_guest_tracking_name(got), last + 1, late);
	fb_clock_sleep_until_ns(fb_clock_now_ns() + (uint64_t)hold_ms * 1000000u);
	bench_scene_free(scene);
	fbhost_guest_detach(ac.g);
	if (log)
		fclose(log);
	return 0;

bad:
	fprintf(stderr, "bench-attach-draw: bad option value \"%s\"\n", optarg);
	return 2;
}
