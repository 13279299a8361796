/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/bench/peers/xdraw.c - bench-xdraw: draws a bench scenario into an X
 * server's root window (Xvnc, or Xvfb under x11vnc), the same pixels as
 * fbhost's bench guest, with the same pacing and frame log.
 *
 * Fills are XFillRectangle, the text scroll is XCopyArea (so an X server that
 * tracks copies may send CopyRect), and composed pixels go out with
 * XShmPutImage (XPutImage without MIT-SHM). After each frame: XSync, then
 * CLOCK_MONOTONIC, then "frame_no monotonic_ns" is appended to the log.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/XShm.h>

#include "fb/clock.h"
#include "server/guests/guest-bench-scenes.h"

/* The X side of a canvas. */
struct x_canvas {
	struct bench_canvas canvas;
	Display *dpy;
	Window root;
	GC gc;
	XImage *image; /* screen-sized staging image for put() */
	XShmSegmentInfo shm;
	bool use_shm;
	unsigned width, height;
};

static void x_fill(struct bench_canvas *c, int x, int y, int w, int h, uint32_t rgb)
{
	struct x_canvas *xc = (struct x_canvas *)c;

	XSetForeground(xc->dpy, xc->gc, rgb);
	XFillRectangle(xc->dpy, xc->root, xc->gc, x, y, (unsigned)w, (unsigned)h);
}

static void x_copy(struct bench_canvas *c, int sx, int sy, int dx, int dy, int w, int h)
{
	struct x_canvas *xc = (struct x_canvas *)c;

	XCopyArea(xc->dpy, xc->root, xc->root, xc->gc, sx, sy, (unsigned)w, (unsigned)h, dx, dy);
}

static void x_put(struct bench_canvas *c, int x, int y, int w, int h, const uint32_t *rgb,
		  size_t stride_px)
{
	struct x_canvas *xc = (struct x_canvas *)c;
	XImage *img = xc->image;

	/* The previous put is done: every frame ends with XSync. */
	for (int row = 0; row < h; row++)
		memcpy(img->data + (size_t)(y + row) * (size_t)img->bytes_per_line +
			       (size_t)x * sizeof(uint32_t),
		       rgb + (size_t)row * stride_px, (size_t)w * sizeof(uint32_t));
	if (xc->use_shm)
		XShmPutImage(xc->dpy, xc->root, xc->gc, img, x, y, x, y, (unsigned)w, (unsigned)h,
			     False);
	else
		XPutImage(xc->dpy, xc->root, xc->gc, img, x, y, x, y, (unsigned)w, (unsigned)h);
}

static const struct bench_canvas_ops x_canvas_ops = {
	.fill = x_fill,
	.copy = x_copy,
	.put = x_put,
};

static bool shm_error;

static int on_x_error(Display *dpy, XErrorEvent *ev)
{
	shm_error = true;
	return 0;
}

/* A 32 bpp ZPixmap staging image, shared-memory if the server allows. */
static int create_image(struct x_canvas *xc, Visual *visual)
{
	if (XShmQueryExtension(xc->dpy)) {
		xc->image = XShmCreateImage(xc->dpy, visual, 24, ZPixmap, NULL, &xc->shm, xc->width,
					    xc->height);
		if (xc->image) {
			xc->shm.shmid =
				shmget(IPC_PRIVATE, (size_t)xc->image->bytes_per_line * xc->height,
				       IPC_CREAT | 0600);
			if (xc->shm.shmid >= 0) {
				int (*old)(Display *, XErrorEvent *) = XSetErrorHandler(on_x_error);

				xc->shm.shmaddr = xc->image->data = shmat(xc->shm.shmid, NULL, 0);
				xc->shm.readOnly = False;
				shm_error = false;
				XShmAttach(xc->dpy, &xc->shm);
				XSync(xc->dpy, False);
				XSetErrorHandler(old);
				shmctl(xc->shm.shmid, IPC_RMID, NULL);
				if (!shm_error) {
					xc->use_shm = true;
					return 0;
				}
				shmdt(xc->shm.shmaddr);
			}
			XDestroyImage(xc->image);
		}
	}
	xc->image =
		XCreateImage(xc->dpy, visual, 24, ZPixmap, 0, NULL, xc->width, xc->height, 32, 0);
	if (!xc->image)
		return -ENOMEM;
	xc->image->data = malloc((size_t)xc->image->bytes_per_line * xc->height);
	return xc->image->data ? 0 : -ENOMEM;
}

static void destroy_image(struct x_canvas *xc)
{
	if (xc->use_shm) {
		XShmDetach(xc->dpy, &xc->shm);
		XSync(xc->dpy, False);
		shmdt(xc->shm.shmaddr);
	}
	XDestroyImage(xc->image); /* frees data when not shared */
}

/* Opens the display and checks that pixel values are 0xRRGGBB. */
static int open_canvas(struct x_canvas *xc, const char *display)
{
	int screen;
	Visual *visual;
	XGCValues gcv = { .graphics_exposures = False };

	xc->dpy = XOpenDisplay(display);
	if (!xc->dpy) {
		fprintf(stderr, "bench-xdraw: cannot open display %s\n", display ? display : "");
		return -ENOENT;
	}
	screen = DefaultScreen(xc->dpy);
	visual = DefaultVisual(xc->dpy, screen);
	if (DefaultDepth(xc->dpy, screen) != 24 || visual->red_mask != 0xFF0000 ||
	    visual->green_mask != 0xFF00 || visual->blue_mask != 0xFF) {
		fprintf(stderr, "bench-xdraw: needs a depth 24 TrueColor 0xRRGGBB screen\n");
		return -ENOTSUP;
	}
	xc->root = RootWindow(xc->dpy, screen);
	xc->width = (unsigned)DisplayWidth(xc->dpy, screen);
	xc->height = (unsigned)DisplayHeight(xc->dpy, screen);
	xc->gc = XCreateGC(xc->dpy, xc->root, GCGraphicsExposures, &gcv);
	if (create_image(xc, visual) < 0)
		return -ENOMEM;
	if (xc->image->bits_per_pixel != 32 || xc->image->byte_order != LSBFirst) {
		fprintf(stderr, "bench-xdraw: needs 32 bpp little-endian images\n");
		return -ENOTSUP;
	}
	XSetScreenSaver(xc->dpy, 0, 0, DontPreferBlanking, AllowExposures);
	xc->canvas.ops = &x_canvas_ops;
	return 0;
}

/* Makes frame i visible (XSync), then logs its time. */
static int frame_done(struct x_canvas *xc, FILE *log, uint32_t frame)
{
	XSync(xc->dpy, False);
	return log ? bench_log_frame(log, frame, fb_clock_now_ns()) : 0;
}

static void usage(FILE *f)
{
	fputs("usage: bench-xdraw --scenario small|text|full|idle [--display :N] [--fps N]\n"
	      "                   [--seconds S] [--settle MS] [--log FILE]\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "display", required_argument, NULL, 'd' },
		BENCH_PACING_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *display = NULL, *err = NULL;
	struct bench_pacing_opts po;
	unsigned late = 0;
	struct x_canvas xc = { 0 };
	struct bench_scene *scene;
	FILE *log = NULL;
	uint32_t last;
	uint64_t t0;
	int c, rc;

	bench_pacing_opts_init(&po);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		rc = bench_pacing_option(&po, c, optarg);
		if (rc < 0)
			goto bad;
		if (rc > 0)
			continue;
		switch (c) {
		case 'd':
			display = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || !po.have_scenario) {
		usage(stderr);
		return 2;
	}
	if (bench_pacing_check(po.fps, po.seconds, po.settle_ms, &err) < 0) {
		fprintf(stderr, "bench-xdraw: %s\n", err);
		return 2;
	}
	if (po.log_path && !(log = fopen(po.log_path, "w"))) {
		fprintf(stderr, "bench-xdraw: cannot create %s: %s\n", po.log_path,
			strerror(errno));
		return 1;
	}
	if (open_canvas(&xc, display) < 0)
		return 1;
	scene = bench_scene_new(po.scenario, xc.width, xc.height);
	if (!scene) {
		fprintf(stderr, "bench-xdraw: screen %ux%u too small for %s (min %ux%u)\n",
			xc.width, xc.height, bench_scenario_name(po.scenario), BENCH_MIN_WIDTH_PX,
			BENCH_MIN_HEIGHT_PX);
		return 1;
	}

	bench_scene_draw(scene, &xc.canvas, 0);
	if (frame_done(&xc, log, 0) < 0)
		goto log_failed;
	last = po.scenario == BENCH_SCENARIO_IDLE ? 0 : bench_frame_count(po.seconds, po.fps);
	t0 = fb_clock_now_ns() + (uint64_t)po.settle_ms * 1000000u;
	for (uint32_t i = 1; i <= last; i++) {
		uint64_t deadline = bench_deadline_ns(t0, i, po.fps);

		if (fb_clock_now_ns() > deadline + BENCH_LATE_SLACK_NS)
			late++;
		else
			fb_clock_sleep_until_ns(deadline);
		bench_scene_draw(scene, &xc.canvas, i);
		if (frame_done(&xc, log, i) < 0)
			goto log_failed;
	}
	fprintf(stderr, "bench-xdraw: %s: %u frames drawn, %u late, shm %s\n",
		bench_scenario_name(po.scenario), last + 1, late, xc.use_shm ? "yes" : "no");
	bench_scene_free(scene);
	destroy_image(&xc);
	XFreeGC(xc.dpy, xc.gc);
	XCloseDisplay(xc.dpy);
	if (log)
		fclose(log);
	return 0;

log_failed:
	fprintf(stderr, "bench-xdraw: cannot write the frame log: %s\n", strerror(errno));
	return 1;
bad:
	fprintf(stderr, "bench-xdraw: bad option value \"%s\"\n", optarg);
	return 2;
}
