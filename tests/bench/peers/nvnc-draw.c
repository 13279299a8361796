/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/bench/peers/nvnc-draw.c - bench-nvnc-draw: a small neatvnc server
 * that draws a bench scenario, the same pixels as fbhost's bench guest and
 * bench-xdraw, with the same pacing and frame log, and serves it on loopback.
 *
 * The scene draws into one screen-sized 0x00RRGGBB picture (fills, moves and
 * puts through a bench canvas; full composes in place), recording exactly
 * what it drew as a pixman region. neatvnc encodes from buffers it holds
 * while its workers run, so every frame goes out in a buffer from an
 * nvnc_fb_pool: each pool buffer keeps the region drawn since it was last
 * brought up to date, only that region is copied into it from the picture,
 * and the buffer is fed with the frame's damage (nvnc_display_feed_buffer).
 * This is the pattern of neatvnc's own examples/draw.c.
 *
 * Pacing runs on absolute CLOCK_MONOTONIC deadlines (a timerfd in neatvnc's
 * aml main loop, which also runs every neatvnc callback). After each frame
 * is fed: the time, then "frame_no monotonic_ns" is logged and flushed. The
 * last frame stays served until SIGTERM or SIGINT.
 */
#include <aml.h>
#include <errno.h>
#include <getopt.h>
#include <libdrm/drm_fourcc.h>
#include <neatvnc.h>
#include <pixman.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "fb/clock.h"
#include "server/guests/guest-bench-scenes.h"

#define NVNC_DRAW_ADDRESS "127.0.0.1"
#define NVNC_DRAW_DEFAULT_WIDTH_PX 1920u
#define NVNC_DRAW_DEFAULT_HEIGHT_PX 1080u
/* neatvnc's frame sizes are uint16_t. */
#define NVNC_DRAW_MAX_SIDE_PX 8192u

/* What a pool buffer still lacks from the picture; neatvnc userdata of the
 * buffer, linked into nvnc_draw.buffers. Main loop only. */
struct buffer_state {
	struct pixman_region16 stale;
	struct buffer_state *next, **prev;
};

/* The picture as a bench canvas; damage is what the current frame drew. */
struct picture_canvas {
	struct bench_canvas canvas;
	uint32_t *pixels; /* width x height, stride width */
	pixman_image_t *image;
	unsigned width, height;
	struct pixman_region16 damage;
};

/* The server. Everything runs on the aml main loop thread. */
struct nvnc_draw {
	struct picture_canvas pic;
	enum bench_scenario scenario;
	struct bench_scene *scene;
	struct nvnc *server;
	struct nvnc_display *display;
	struct nvnc_fb_pool *pool;
	struct buffer_state *buffers; /* every live pool buffer's state */
	struct aml_handler *timer;    /* over timer_fd */
	int timer_fd;
	FILE *log;
	uint64_t t0_ns; /* end of the settle time */
	unsigned fps;
	uint32_t next, last; /* next frame to draw; the last frame */
	unsigned late;
	int failed; /* 0, or the exit status after a failure */
};

static void damage(struct picture_canvas *pc, int x, int y, int w, int h)
{
	pixman_region_union_rect(&pc->damage, &pc->damage, x, y, (unsigned)w, (unsigned)h);
}

static void picture_fill(struct bench_canvas *c, int x, int y, int w, int h, uint32_t rgb)
{
	struct picture_canvas *pc = (struct picture_canvas *)c;

	pixman_fill(pc->pixels, (int)pc->width, 32, x, y, w, h, rgb);
	damage(pc, x, y, w, h);
}

/* Rows in the order that keeps an overlapping move correct. */
static void picture_copy(struct bench_canvas *c, int sx, int sy, int dx, int dy, int w, int h)
{
	struct picture_canvas *pc = (struct picture_canvas *)c;
	size_t bytes = (size_t)w * sizeof(uint32_t);

	for (int i = 0; i < h; i++) {
		int row = dy > sy ? h - 1 - i : i;

		memmove(pc->pixels + (size_t)(dy + row) * pc->width + (size_t)dx,
			pc->pixels + (size_t)(sy + row) * pc->width + (size_t)sx, bytes);
	}
	damage(pc, dx, dy, w, h);
}

static void picture_put(struct bench_canvas *c, int x, int y, int w, int h, const uint32_t *rgb,
			size_t stride_px)
{
	struct picture_canvas *pc = (struct picture_canvas *)c;

	for (int row = 0; row < h; row++)
		memcpy(pc->pixels + (size_t)(y + row) * pc->width + (size_t)x,
		       rgb + (size_t)row * stride_px, (size_t)w * sizeof(uint32_t));
	damage(pc, x, y, w, h);
}

static uint32_t *picture_direct(struct bench_canvas *c, size_t *stride_px)
{
	struct picture_canvas *pc = (struct picture_canvas *)c;

	*stride_px = pc->width;
	return pc->pixels;
}

static void picture_touched(struct bench_canvas *c, int x, int y, int w, int h)
{
	damage((struct picture_canvas *)c, x, y, w, h);
}

static const struct bench_canvas_ops picture_canvas_ops = {
	.fill = picture_fill,
	.copy = picture_copy,
	.put = picture_put,
	.direct = picture_direct,
	.touched = picture_touched,
};

static void buffer_state_free(void *userdata)
{
	struct buffer_state *bs = userdata;

	*bs->prev = bs->next;
	if (bs->next)
		bs->next->prev = bs->prev;
	pixman_region_fini(&bs->stale);
	free(bs);
}

/*
 * Brings a free pool buffer up to date with the picture and feeds it to
 * neatvnc with the frame's damage: 0 or -ENOMEM.
 */
static int present(struct nvnc_draw *d)
{
	struct picture_canvas *pc = &d->pic;
	struct buffer_state *bs;
	struct nvnc_fb *fb;
	pixman_image_t *dst;

	for (bs = d->buffers; bs; bs = bs->next)
		pixman_region_union(&bs->stale, &bs->stale, &pc->damage);
	fb = nvnc_fb_pool_acquire(d->pool);
	if (!fb)
		return -ENOMEM;
	bs = nvnc_get_userdata(fb);
	if (!bs) { /* a new buffer: all of it is stale */
		bs = calloc(1, sizeof(*bs));
		if (!bs)
			goto fail_state;
		pixman_region_init_rect(&bs->stale, 0, 0, pc->width, pc->height);
		bs->next = d->buffers;
		bs->prev = &d->buffers;
		if (bs->next)
			bs->next->prev = &bs->next;
		d->buffers = bs;
		nvnc_set_userdata(fb, bs, buffer_state_free);
	}
	dst = pixman_image_create_bits_no_clear(PIXMAN_x8r8g8b8, (int)pc->width, (int)pc->height,
						nvnc_fb_get_addr(fb),
						nvnc_fb_get_stride(fb) * (int)sizeof(uint32_t));
	if (!dst)
		goto fail_state;
	pixman_image_set_clip_region(dst, &bs->stale);
	pixman_image_composite32(PIXMAN_OP_SRC, pc->image, NULL, dst, 0, 0, 0, 0, 0, 0,
				 (int)pc->width, (int)pc->height);
	pixman_image_unref(dst);
	pixman_region_clear(&bs->stale);
	nvnc_display_feed_buffer(d->display, fb, &pc->damage);
	nvnc_fb_unref(fb);
	pixman_region_clear(&pc->damage);
	return 0;

fail_state:
	nvnc_fb_unref(fb);
	return -ENOMEM;
}

/* Draws, feeds, then timestamps and logs frame i: 0 or -errno. */
static int draw_frame(struct nvnc_draw *d, uint32_t frame)
{
	int ret;

	bench_scene_draw(d->scene, &d->pic.canvas, frame);
	ret = present(d);
	if (ret < 0)
		return ret;
	return d->log ? bench_log_frame(d->log, frame, fb_clock_now_ns()) : 0;
}

/* Arms the timer for frame d->next's absolute deadline. */
static int arm(struct nvnc_draw *d)
{
	uint64_t t = bench_deadline_ns(d->t0_ns, d->next, d->fps);
	struct itimerspec its = { .it_value = fb_clock_from_ns(t) };

	return timerfd_settime(d->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0 ? -errno : 0;
}

static void stop(struct nvnc_draw *d, int status)
{
	d->failed = status;
	aml_exit(aml_get_default());
}

/* The timer fired: draw the frame that is due (late or not), arm the next. */
static void on_timer(void *obj)
{
	struct nvnc_draw *d = aml_get_userdata(obj);
	uint64_t expirations;
	int ret;

	if (read(d->timer_fd, &expirations, sizeof(expirations)) < 0)
		return; /* EAGAIN: nothing due yet */
	if (d->next > d->last)
		return;
	if (fb_clock_now_ns() > bench_deadline_ns(d->t0_ns, d->next, d->fps) + BENCH_LATE_SLACK_NS)
		d->late++;
	ret = draw_frame(d, d->next);
	if (ret < 0) {
		fprintf(stderr, "bench-nvnc-draw: frame %u: %s\n", d->next, strerror(-ret));
		stop(d, 1);
		return;
	}
	if (++d->next <= d->last) {
		ret = arm(d);
		if (ret < 0) {
			fprintf(stderr, "bench-nvnc-draw: timerfd: %s\n", strerror(-ret));
			stop(d, 1);
		}
		return;
	}
	fprintf(stderr, "bench-nvnc-draw: %s: %u frames drawn, %u late\n",
		bench_scenario_name(d->scenario), d->last + 1, d->late);
}

static void on_signal(void *obj)
{
	(void)obj;
	aml_exit(aml_get_default());
}

static void usage(FILE *f)
{
	fputs("usage: bench-nvnc-draw --port N --scenario small|text|full|idle [--fps N]\n"
	      "                       [--seconds S] [--settle MS] [--log FILE] [--size WxH]\n",
	      f);
}

/* Parses "WxH" within neatvnc's limits: 0 or -EINVAL. */
static int parse_size(const char *s, unsigned *w, unsigned *h)
{
	char *end;
	unsigned long a = strtoul(s, &end, 10), b;

	if (end == s || *end != 'x' || *s == '-')
		return -EINVAL;
	s = end + 1;
	b = strtoul(s, &end, 10);
	if (end == s || *end || *s == '-' || !a || !b || a > NVNC_DRAW_MAX_SIDE_PX ||
	    b > NVNC_DRAW_MAX_SIDE_PX)
		return -EINVAL;
	*w = (unsigned)a;
	*h = (unsigned)b;
	return 0;
}

/* The picture, the scene, the server, the pool and the timer: 0 or 1. */
static int open_all(struct nvnc_draw *d, const char *log_path, unsigned port, unsigned settle_ms)
{
	struct picture_canvas *pc = &d->pic;
	size_t bytes = (size_t)pc->width * pc->height * sizeof(uint32_t);

	if (log_path && !(d->log = fopen(log_path, "w"))) {
		fprintf(stderr, "bench-nvnc-draw: cannot create %s: %s\n", log_path,
			strerror(errno));
		return 1;
	}
	pc->canvas.ops = &picture_canvas_ops;
	pc->pixels = calloc(1, bytes);
	pc->image = pc->pixels
			    ? pixman_image_create_bits_no_clear(PIXMAN_x8r8g8b8, (int)pc->width,
								(int)pc->height, pc->pixels,
								(int)(pc->width * sizeof(uint32_t)))
			    : NULL;
	pixman_region_init(&pc->damage);
	d->scene = bench_scene_new(d->scenario, pc->width, pc->height);
	if (!pc->image || !d->scene) {
		fprintf(stderr, "bench-nvnc-draw: %ux%u for %s: %s (min %ux%u)\n", pc->width,
			pc->height, bench_scenario_name(d->scenario), strerror(errno),
			BENCH_MIN_WIDTH_PX, BENCH_MIN_HEIGHT_PX);
		return 1;
	}
	d->server = nvnc_open(NVNC_DRAW_ADDRESS, (uint16_t)port);
	if (!d->server) {
		fprintf(stderr, "bench-nvnc-draw: cannot listen on %s:%u\n", NVNC_DRAW_ADDRESS,
			port);
		return 1;
	}
	nvnc_set_name(d->server, "bench-nvnc-draw");
	d->display = nvnc_display_new(0, 0);
	d->pool = nvnc_fb_pool_new((uint16_t)pc->width, (uint16_t)pc->height, DRM_FORMAT_XRGB8888,
				   (uint16_t)pc->width);
	if (!d->display || !d->pool) {
		fprintf(stderr, "bench-nvnc-draw: neatvnc: out of memory\n");
		return 1;
	}
	nvnc_add_display(d->server, d->display);

	/* Frame 0 at once; frames 1..N after the settle time. */
	if (draw_frame(d, 0) < 0) {
		fprintf(stderr, "bench-nvnc-draw: frame 0: %s\n", strerror(errno));
		return 1;
	}
	if (d->scenario == BENCH_SCENARIO_IDLE)
		d->last = 0; /* idle draws frame 0 only */
	d->t0_ns = fb_clock_now_ns() + (uint64_t)settle_ms * 1000000u;
	d->next = 1;
	d->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->timer_fd < 0) {
		fprintf(stderr, "bench-nvnc-draw: timerfd: %s\n", strerror(errno));
		return 1;
	}
	if (d->last >= 1) {
		d->timer = aml_handler_new(d->timer_fd, on_timer, d, NULL);
		if (!d->timer || aml_start(aml_get_default(), d->timer) < 0 || arm(d) < 0) {
			fprintf(stderr, "bench-nvnc-draw: cannot start the frame timer\n");
			return 1;
		}
	}
	return 0;
}

static void close_all(struct nvnc_draw *d)
{
	if (d->timer) {
		aml_stop(aml_get_default(), d->timer);
		aml_unref(d->timer);
	}
	if (d->timer_fd >= 0)
		close(d->timer_fd);
	if (d->server)
		nvnc_close(d->server);
	if (d->display)
		nvnc_display_unref(d->display);
	if (d->pool)
		nvnc_fb_pool_unref(d->pool);
	bench_scene_free(d->scene);
	if (d->pic.image)
		pixman_image_unref(d->pic.image);
	pixman_region_fini(&d->pic.damage);
	free(d->pic.pixels);
	if (d->log)
		fclose(d->log);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		BENCH_PACING_LONGOPTS,
		{ "size", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nvnc_draw d = {
		.pic = { .width = NVNC_DRAW_DEFAULT_WIDTH_PX,
			 .height = NVNC_DRAW_DEFAULT_HEIGHT_PX },
		.timer_fd = -1,
	};
	struct bench_pacing_opts po;
	const char *err = NULL;
	unsigned long port = 0;
	struct aml *aml = NULL;
	struct aml_signal *sig[2] = { NULL, NULL };
	char *end;
	int c, rc, status = 1;

	bench_pacing_opts_init(&po);
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		rc = bench_pacing_option(&po, c, optarg);
		if (rc < 0)
			goto bad;
		if (rc > 0)
			continue;
		switch (c) {
		case 'p':
			port = strtoul(optarg, &end, 10);
			if (*end || !*optarg || *optarg == '-' || !port || port > 65535)
				goto bad;
			break;
		case 'g':
			if (parse_size(optarg, &d.pic.width, &d.pic.height) < 0)
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
	if (optind != argc || !po.have_scenario || !port) {
		usage(stderr);
		return 2;
	}
	if (bench_pacing_check(po.fps, po.seconds, po.settle_ms, &err) < 0) {
		fprintf(stderr, "bench-nvnc-draw: %s\n", err);
		return 2;
	}
	d.scenario = po.scenario;
	d.fps = po.fps;
	d.last = bench_frame_count(po.seconds, d.fps);

	aml = aml_new();
	if (!aml) {
		fprintf(stderr, "bench-nvnc-draw: cannot create the main loop\n");
		return 1;
	}
	aml_set_default(aml);
	sig[0] = aml_signal_new(SIGINT, on_signal, NULL, NULL);
	sig[1] = aml_signal_new(SIGTERM, on_signal, NULL, NULL);
	if (!sig[0] || !sig[1] || aml_start(aml, sig[0]) < 0 || aml_start(aml, sig[1]) < 0) {
		fprintf(stderr, "bench-nvnc-draw: cannot handle signals\n");
		goto out;
	}
	if (open_all(&d, po.log_path, (unsigned)port, po.settle_ms))
		goto out;
	aml_run(aml);
	status = d.failed;
out:
	close_all(&d);
	for (int i = 0; i < 2; i++)
		if (sig[i]) {
			aml_stop(aml, sig[i]);
			aml_unref(sig[i]);
		}
	aml_unref(aml);
	return status;

bad:
	fprintf(stderr, "bench-nvnc-draw: bad option value \"%s\"\n", optarg);
	return 2;
}
