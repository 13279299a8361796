/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/test-server-lib.c - libfbhost through its public header only
 * (linked against the shared library): two framebuffers on two VNC ports,
 * drawn, blitted and resized independently, with their dirty bits kept
 * apart (drawing on one sends nothing to the other's viewer and finds no
 * dirty page there); direct pixel access with fbhost_damage; screendump
 * equal to the viewer; input and resize-request callbacks from a viewer;
 * stats and clients; bad arguments rejected; racing adds and VNC starts
 * (exactly one winner, the rest -EEXIST / -EALREADY, nothing leaked); a
 * picture shown from another process's file (fbhost_map_file): its owner's
 * drawing reaches the viewer when marked, and the picture outlives the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "server/lib/fbhost.h"
#include "tests/common/vnc-test-client.h"
#include "tests/server/server-pictures.h"

#define LIB_WAIT_MS 30000u
/* How long a viewer must stay quiet to count as "sent nothing". */
#define LIB_QUIET_MS 600u

/* x8r8g8b8 expected picture of one framebuffer, kept by the test. */
struct picture {
	uint32_t w, h;
	uint32_t *px;
};

static void pic_fill(struct picture *p, int x, int y, int w, int h, uint32_t rgb)
{
	int i, j;

	for (j = y; j < y + h && j < (int)p->h; j++)
		for (i = x; i < x + w && i < (int)p->w; i++)
			p->px[(size_t)j * p->w + (size_t)i] = rgb;
}

static void pic_resize(struct picture *p, uint32_t w, uint32_t h)
{
	uint32_t *n = calloc((size_t)w * h, 4);
	uint32_t x, y;

	/* the top-left overlap keeps its picture, the rest is black */
	for (y = 0; y < h && y < p->h; y++)
		for (x = 0; x < w && x < p->w; x++)
			n[(size_t)y * w + x] = p->px[(size_t)y * p->w + x];
	free(p->px);
	p->px = n;
	p->w = w;
	p->h = h;
}

static struct vtc *connect_viewer(struct fbhost_fb *fb)
{
	struct vtc_options o = { .encodings = "raw" };
	struct vtc *v;
	char err[256];

	o.port = fbhost_vnc_port(fb);
	assert_true(o.port > 0);
	v = vtc_connect(&o, err, sizeof(err));
	if (!v)
		fail_msg("vtc_connect: %s", err);
	return v;
}

static void wait_picture(struct vtc *v, const struct picture *p, const char *what)
{
	if (vtc_wait_picture(v, p->px, p->w, p->h, p->w, LIB_WAIT_MS) != 0)
		fail_msg("%s: %s", what, vtc_last_mismatch(v));
}

/* Pumps v until no update came for LIB_QUIET_MS (bounded): the trailing
 * updates of its own last change are in before another fb is touched. */
static void drain(struct vtc *v)
{
	unsigned i, quiet = 0;

	for (i = 0; i < LIB_WAIT_MS / 50 && quiet < LIB_QUIET_MS / 50; i++) {
		uint64_t before = vtc_updates(v);

		vtc_pump(v, 50);
		quiet = vtc_updates(v) == before ? quiet + 1 : 0;
	}
	if (quiet < LIB_QUIET_MS / 50)
		fail_msg("viewer never went quiet");
}

/* Pumps v for LIB_QUIET_MS and checks that no update arrived. */
static void assert_quiet(struct vtc *v, const char *what)
{
	uint64_t before = vtc_updates(v);
	unsigned i;

	for (i = 0; i < LIB_QUIET_MS / 50; i++)
		vtc_pump(v, 50);
	if (vtc_updates(v) != before)
		fail_msg("%s: %llu updates reached the other viewer", what,
			 (unsigned long long)(vtc_updates(v) - before));
}

static void test_two_framebuffers(void **state)
{
	struct fbhost_config cfg = { .rate_hz = 60 };
	struct fbhost_vnc_options vo = { .port = FBHOST_PORT_ANY };
	struct picture pa = { 0 }, pb = { 0 };
	struct fbhost_stats sa, sb, sb2;
	struct fbhost *h;
	struct fbhost_fb *a, *b;
	struct vtc *va, *vb;

	(void)state;
	h = fbhost_new(&cfg);
	assert_non_null(h);
	a = fbhost_fb_add(h, "a", 320, 240, FBHOST_FORMAT_X8R8G8B8);
	b = fbhost_fb_add(h, "b", 200, 100, FBHOST_FORMAT_R5G6B5);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(fbhost_fb_id(a), 0);
	assert_int_equal(fbhost_fb_id(b), 1);
	assert_ptr_equal(fbhost_fb_by_name(h, "b"), b);
	assert_ptr_equal(fbhost_fb_by_id(h, 0), a);
	assert_int_equal(fbhost_enable_vnc(a, &vo), 0);
	assert_int_equal(fbhost_enable_vnc(b, &vo), 0);
	assert_int_not_equal(fbhost_vnc_port(a), fbhost_vnc_port(b));
	assert_int_equal(fbhost_enable_vnc(a, &vo), -EALREADY);
	assert_int_equal(fbhost_web_port(a), -1);
	/* the viewer added to a running server, then removed: VNC stays */
	{
		int rc = fbhost_enable_web(a, FBHOST_PORT_ANY, NULL);
		char url[256];

		if (rc == 0) {
			assert_true(fbhost_web_port(a) > 0);
			assert_int_equal(fbhost_web_url(a, url, sizeof(url)), 0);
			assert_non_null(strstr(url, "http://127.0.0.1:"));
		} else {
			assert_int_equal(rc, -ENOENT); /* no noVNC files here */
		}
		assert_true(fbhost_vnc_port(a) > 0);
		fbhost_disable_web(a);
		assert_int_equal(fbhost_web_port(a), -1);
		assert_true(fbhost_vnc_port(a) > 0);
		/* a web root without noVNC: an error, and VNC goes on */
		assert_int_equal(fbhost_enable_web(a, FBHOST_PORT_ANY, "/nonexistent"), -ENOENT);
		assert_true(fbhost_vnc_port(a) > 0);
		assert_int_equal(fbhost_web_port(a), -1);
	}

	/* colours that r5g6b5 holds exactly */
	pa.w = 320, pa.h = 240, pa.px = calloc(320 * 240, 4);
	pb.w = 200, pb.h = 100, pb.px = calloc(200 * 100, 4);
	assert_int_equal(fbhost_fill(a, 0, 0, 320, 240, 0x0000ff), 0);
	pic_fill(&pa, 0, 0, 320, 240, 0x0000ff);
	assert_int_equal(fbhost_fill(b, 0, 0, 200, 100, 0xff00ff), 0);
	pic_fill(&pb, 0, 0, 200, 100, 0xff00ff);
	va = connect_viewer(a);
	vb = connect_viewer(b);
	wait_picture(va, &pa, "a, first picture");
	wait_picture(vb, &pb, "b, first picture");
	drain(vb);

	/* draw on a: b's viewer gets nothing, b's render finds no dirty page */
	fbhost_get_stats(b, &sb);
	assert_int_equal(fbhost_fill(a, 10, 10, 16, 16, 0x00ff00), 0);
	pic_fill(&pa, 10, 10, 16, 16, 0x00ff00);
	wait_picture(va, &pa, "a, after a 16x16 fill");
	assert_quiet(vb, "fill on a");
	fbhost_get_stats(b, &sb2);
	assert_int_equal(sb2.dirty_pages, sb.dirty_pages);
	assert_int_equal(sb2.pixels, sb.pixels);

	/* resize a: b keeps its size and gets nothing */
	drain(vb);
	assert_int_equal(fbhost_resize(a, 400, 300, FBHOST_FORMAT_X8R8G8B8), 0);
	pic_resize(&pa, 400, 300);
	wait_picture(va, &pa, "a, after resize");
	assert_quiet(vb, "resize of a");
	assert_int_equal(vtc_width(vb), 200);
	assert_int_equal(vtc_height(vb), 100);

	/* resize and draw b: a gets nothing */
	drain(va);
	assert_int_equal(fbhost_resize(b, 240, 120, FBHOST_FORMAT_R5G6B5), 0);
	assert_int_equal(fbhost_fill(b, 200, 0, 40, 120, 0xffffff), 0);
	pic_resize(&pb, 240, 120);
	pic_fill(&pb, 200, 0, 40, 120, 0xffffff);
	wait_picture(vb, &pb, "b, after resize and fill");
	assert_quiet(va, "resize of b");
	assert_int_equal(fbhost_fb_mode(a).width, 400);
	assert_int_equal(fbhost_fb_mode(b).format, FBHOST_FORMAT_R5G6B5);

	/* stats and clients per framebuffer */
	fbhost_get_stats(a, &sa);
	fbhost_get_stats(b, &sb);
	assert_int_equal(sa.clients, 1);
	assert_int_equal(sb.clients, 1);
	assert_true(sa.vnc_bytes_sent > 0);
	assert_true(sa.switches >= 1);
	{
		struct fbhost_client c[4];

		assert_int_equal(fbhost_clients(a, c, 4), 1);
		assert_non_null(strstr(c[0].address, "127.0.0.1:"));
		assert_string_equal(c[0].encoding, "raw");
		assert_int_equal(fbhost_disconnect(a, c[0].id + 1000), -ENOENT);
	}

	vtc_free(va);
	vtc_free(vb);
	free(pa.px);
	free(pb.px);
	fbhost_free(h);
}

/* Input seen by the callbacks (atomics: set on frontend threads). */
static atomic_uint key_sym, key_down, ptr_x, ptr_y, ptr_buttons, resize_w, resize_h;

static void on_key(void *opaque, struct fbhost_fb *fb, uint32_t keysym, bool down)
{
	(void)opaque;
	(void)fb;
	atomic_store(&key_down, down ? 1 : 2);
	atomic_store(&key_sym, keysym);
}

static void on_pointer(void *opaque, struct fbhost_fb *fb, int x, int y, uint32_t buttons)
{
	(void)opaque;
	(void)fb;
	atomic_store(&ptr_x, (unsigned)x);
	atomic_store(&ptr_y, (unsigned)y);
	atomic_store(&ptr_buttons, buttons);
}

/* Accepts any request: resizes right away (a viewer thread may call
 * fbhost_resize). */
static int on_resize_request(void *opaque, struct fbhost_fb *fb, uint32_t w, uint32_t h)
{
	(void)opaque;
	atomic_store(&resize_w, w);
	atomic_store(&resize_h, h);
	return fbhost_resize(fb, w, h, FBHOST_FORMAT_X8R8G8B8);
}

static bool wait_atomic(atomic_uint *v, unsigned want)
{
	unsigned i;

	for (i = 0; i < LIB_WAIT_MS / 10; i++) {
		if (atomic_load(v) == want)
			return true;
		usleep(10000);
	}
	return false;
}

static void test_pixels_input_screendump(void **state)
{
	static const struct fbhost_input_callbacks cb = {
		.key = on_key,
		.pointer = on_pointer,
		.resize_request = on_resize_request,
	};
	struct fbhost_vnc_options vo = { .port = FBHOST_PORT_ANY };
	struct picture p = { 0 };
	struct fbhost_pixels px;
	struct fbhost *h = fbhost_new(NULL);
	struct fbhost_fb *fb;
	struct vtc *v;
	uint32_t img[8 * 4], *png, w, hh, x, y;
	char path[] = "/tmp/fbhost-lib-test-XXXXXX.png";
	int fd;

	(void)state;
	fb = fbhost_fb_add(h, "main", 64, 48, FBHOST_FORMAT_X8R8G8B8);
	assert_non_null(fb);
	fbhost_set_input(fb, &cb, NULL);
	assert_int_equal(fbhost_enable_vnc(fb, &vo), 0);
	p.w = 64, p.h = 48, p.px = calloc(64 * 48, 4);

	/* direct access + damage */
	fbhost_pixels_begin(fb, &px);
	assert_int_equal(px.width, 64);
	assert_int_equal(px.format, FBHOST_FORMAT_X8R8G8B8);
	for (y = 0; y < 48; y++)
		for (x = 0; x < 64; x++)
			((uint32_t *)px.data)[y * px.stride / 4 + x] = (x * 4) << 16 | (y * 5) << 8;
	fbhost_pixels_end(fb, &px);
	assert_int_equal(fbhost_damage(fb, 0, 0, 64, 48), 0);
	for (y = 0; y < 48; y++)
		for (x = 0; x < 64; x++)
			p.px[y * 64 + x] = (x * 4) << 16 | (y * 5) << 8;
	/* blit of an 8x4 image, clipped at the right edge */
	for (x = 0; x < 8 * 4; x++)
		img[x] = 0x00808000u + x;
	assert_int_equal(fbhost_blit(fb, 60, 2, img, 8, 4, 8 * 4, FBHOST_FORMAT_X8R8G8B8), 0);
	for (y = 0; y < 4; y++)
		for (x = 0; x < 4; x++)
			p.px[(2 + y) * 64 + 60 + x] = img[y * 8 + x];

	v = connect_viewer(fb);
	wait_picture(v, &p, "direct pixels and blit");

	/* a move (a scroll up by 3 rows of the left half), clipped at the
	 * bottom: the viewer's picture follows */
	assert_int_equal(fbhost_copy(fb, 0, 3, 0, 0, 32, 100), 0);
	for (y = 0; y < 45; y++)
		memcpy(&p.px[y * 64], &p.px[(y + 3) * 64], 32 * 4);
	wait_picture(v, &p, "move");
	assert_int_equal(fbhost_copy(NULL, 0, 0, 1, 1, 2, 2), -EINVAL);
	assert_int_equal(fbhost_copy(fb, 0, 0, 1, 1, -2, 2), -EINVAL);

	/* screendump equals what the viewer has */
	fd = mkstemps(path, 4);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fbhost_screendump(fb, path), 0);
	assert_int_equal(pic_read_png(path, &png, &w, &hh), 0);
	assert_int_equal(w, 64);
	assert_int_equal(hh, 48);
	assert_int_equal(pic_diff(png, p.px, 64, 48), -1);
	free(png);
	unlink(path);
	assert_int_equal(fbhost_screendump(fb, "/nonexistent-dir/x.png"), -ENOENT);

	/* viewer input reaches the callbacks */
	assert_int_equal(vtc_key(v, 0x61 /* XK_a */, true), 0);
	assert_true(wait_atomic(&key_sym, 0x61));
	assert_true(wait_atomic(&key_down, 1));
	assert_int_equal(vtc_pointer(v, 33, 22, 1), 0);
	assert_true(wait_atomic(&ptr_x, 33));
	assert_true(wait_atomic(&ptr_y, 22));
	assert_true(wait_atomic(&ptr_buttons, 1));
	/* a viewer's resize request goes to the callback, which accepts */
	assert_int_equal(vtc_request_size(v, 80, 60), 0);
	assert_true(wait_atomic(&resize_w, 80));
	if (vtc_wait_size(v, 80, 60, LIB_WAIT_MS) != 0)
		fail_msg("resize request: viewer at %ux%u", vtc_width(v), vtc_height(v));

	vtc_free(v);
	free(p.px);
	fbhost_free(h);
}

/* The owner's pixel at x,y, salted. */
static uint32_t owner_rgb(uint32_t x, uint32_t y, uint32_t salt)
{
	return ((x * 5u + y * 11u + salt * 0x51u) * 2654435761u) & 0xffffffu;
}

/* Draws w x h at x0,y0 into the owner's file (stride bytes a row) and into
 * the expected picture. */
static void owner_draw(int fd, uint32_t stride, struct picture *p, uint32_t x0, uint32_t y0,
		       uint32_t w, uint32_t h, uint32_t salt)
{
	for (uint32_t y = y0; y < y0 + h; y++)
		for (uint32_t x = x0; x < x0 + w; x++) {
			uint32_t v = owner_rgb(x, y, salt);

			assert_int_equal(pwrite(fd, &v, 4, (off_t)y * stride + (off_t)x * 4), 4);
			p->px[(size_t)y * p->w + x] = v;
		}
}

static void test_map_file(void **state)
{
	struct fbhost_vnc_options vo = { .port = FBHOST_PORT_ANY };
	const struct fbhost_mode m = { 96, 40, 96 * 4 + 64, FBHOST_FORMAT_X8R8G8B8 };
	struct picture p = { 0 };
	struct fbhost *h = fbhost_new(NULL);
	struct fbhost_fb *fb;
	struct fbhost_mode got;
	struct vtc *v;
	bool lost = true;
	int fd = memfd_create("owner", MFD_CLOEXEC);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)m.stride * m.height), 0);
	fb = fbhost_fb_add(h, "mapped", 64, 48, FBHOST_FORMAT_X8R8G8B8);
	assert_non_null(fb);
	assert_int_equal(fbhost_enable_vnc(fb, &vo), 0);
	p.w = m.width, p.h = m.height, p.px = calloc((size_t)m.width * m.height, 4);
	owner_draw(fd, m.stride, &p, 0, 0, m.width, m.height, 1);

	assert_int_equal(fbhost_map_file(fb, fd, 0, &m), 0);
	assert_true(fbhost_fb_file_mapped(fb, &lost));
	assert_false(lost);
	got = fbhost_fb_mode(fb);
	assert_int_equal(got.width, 96);
	assert_int_equal(got.stride, m.stride);
	v = connect_viewer(fb);
	wait_picture(v, &p, "mapped file");

	/* the owner draws and says where: the viewer follows */
	owner_draw(fd, m.stride, &p, 10, 5, 20, 7, 2);
	assert_int_equal(fbhost_damage(fb, 10, 5, 20, 7), 0);
	wait_picture(v, &p, "owner's marked drawing");
	drain(v);
	/* the owner draws and says nothing: nothing is sent */
	owner_draw(fd, m.stride, &p, 50, 20, 8, 8, 3);
	assert_quiet(v, "owner's unmarked drawing");
	assert_int_equal(fbhost_damage(fb, 50, 20, 8, 8), 0);
	wait_picture(v, &p, "owner's drawing marked late");

	/* taken into fbhost's memory: the file may go */
	assert_int_equal(fbhost_unmap_file(fb), 0);
	assert_false(fbhost_fb_file_mapped(fb, NULL));
	assert_int_equal(fbhost_unmap_file(fb), 0); /* nothing to do */
	assert_int_equal(ftruncate(fd, 0), 0);
	close(fd);
	assert_int_equal(fbhost_fb_mode(fb).width, 96);
	assert_int_equal(fbhost_fill(fb, 0, 0, 4, 4, 0x00ff00), 0);
	pic_fill(&p, 0, 0, 4, 4, 0x00ff00);
	wait_picture(v, &p, "after unmapping");

	/* refused: a file too short, a bad format, a pipe */
	fd = memfd_create("short", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)m.stride * m.height - 1), 0);
	assert_int_equal(fbhost_map_file(fb, fd, 0, &m), -EINVAL);
	assert_int_equal(fbhost_map_file(fb, fd, 0, NULL), -EINVAL);
	close(fd);
	assert_false(fbhost_fb_file_mapped(fb, NULL));

	vtc_free(v);
	free(p.px);
	fbhost_free(h);
}

static void test_bad_arguments(void **state)
{
	struct fbhost_config bad = { .rate_hz = FBHOST_MAX_RATE_HZ + 1 };
	struct fbhost *h;
	struct fbhost_fb *fb;
	uint32_t px = 0;

	(void)state;
	assert_null(fbhost_new(&bad));
	assert_int_equal(errno, EINVAL);
	h = fbhost_new(NULL);
	assert_non_null(h);
	assert_null(fbhost_fb_add(h, "", 10, 10, FBHOST_FORMAT_X8R8G8B8));
	assert_int_equal(errno, EINVAL);
	assert_null(fbhost_fb_add(h, "123", 10, 10, FBHOST_FORMAT_X8R8G8B8));
	assert_null(fbhost_fb_add(h, "x", 0, 10, FBHOST_FORMAT_X8R8G8B8));
	assert_null(fbhost_fb_add(h, "x", 10, 10, (enum fbhost_format)99));
	assert_null(fbhost_fb_add(h, "x", FBHOST_MAX_SIDE_PX + 1, 1, FBHOST_FORMAT_C8));
	fb = fbhost_fb_add(h, "x", 10, 10, FBHOST_FORMAT_C8);
	assert_non_null(fb);
	assert_null(fbhost_fb_add(h, "x", 10, 10, FBHOST_FORMAT_C8));
	assert_int_equal(errno, EEXIST);
	assert_int_equal(fbhost_resize(fb, 0, 10, FBHOST_FORMAT_C8), -EINVAL);
	assert_int_equal(fbhost_resize(fb, 10, 10, FBHOST_FORMAT_INVALID), -EINVAL);
	/* The message the log got comes back with the code (no fb name). */
	assert_string_equal(fbhost_last_error(), "invalid format");
	assert_int_equal(
		fbhost_resize(fb, FBHOST_MAX_SIDE_PX, FBHOST_MAX_SIDE_PX, FBHOST_FORMAT_A8R8G8B8),
		-E2BIG);
	assert_string_equal(fbhost_last_error(), "mode 16384x16384 a8r8g8b8 is too large");
	assert_int_equal(fbhost_mode_check(0, 10, FBHOST_FORMAT_C8), -EINVAL);
	assert_int_equal(fbhost_mode_check(10, 10, FBHOST_FORMAT_INVALID), -EINVAL);
	assert_int_equal(
		fbhost_mode_check(FBHOST_MAX_SIDE_PX, FBHOST_MAX_SIDE_PX, FBHOST_FORMAT_A8R8G8B8),
		-E2BIG);
	assert_int_equal(fbhost_mode_check(640, 480, FBHOST_FORMAT_R5G6B5), 0);
	assert_int_equal(fbhost_fill(fb, 0, 0, -1, 1, 0), -EINVAL);
	assert_int_equal(fbhost_damage(fb, 0, 0, 1, -1), -EINVAL);
	assert_int_equal(fbhost_blit(fb, 0, 0, NULL, 1, 1, 4, FBHOST_FORMAT_X8R8G8B8), -EINVAL);
	assert_int_equal(fbhost_blit(fb, 0, 0, &px, 1, 1, 2, FBHOST_FORMAT_X8R8G8B8), -EINVAL);
	assert_int_equal(fbhost_blit(fb, 0, 0, &px, 1, 1, 4, FBHOST_FORMAT_C8), -EINVAL);
	/* A stride that is negative as int (pixman would read before src),
	 * and a stride x height beyond FBHOST_BLIT_MAX_BYTES: refused before
	 * any pixel is read. */
	assert_int_equal(fbhost_blit(fb, 0, 0, &px, 1, 1, 0x80000000u, FBHOST_FORMAT_X8R8G8B8),
			 -EINVAL);
	assert_int_equal(fbhost_blit(fb, 0, 0, &px, 1, 1, UINT32_MAX - 3, FBHOST_FORMAT_X8R8G8B8),
			 -EINVAL);
	assert_int_equal(fbhost_blit(fb, 0, 0, &px, 1, 2, FBHOST_BLIT_MAX_BYTES / 2 + 4,
				     FBHOST_FORMAT_X8R8G8B8),
			 -EINVAL);
	assert_int_equal(fbhost_set_palette(fb, 250, 10, &px), -EINVAL);
	assert_int_equal(fbhost_set_palette(fb, 0, 1, &px), 0);
	{
		struct fbhost_vnc_options vo = { .port = 70000 };

		assert_int_equal(fbhost_enable_vnc(fb, &vo), -EINVAL);
	}
	assert_int_equal(fbhost_vnc_port(fb), -1);
	{
		char url[64];

		assert_int_equal(fbhost_web_url(fb, url, sizeof(url)), -ENOENT);
		assert_string_equal(url, "");
	}
	assert_int_equal(fbhost_format_parse("16"), FBHOST_FORMAT_R5G6B5);
	assert_int_equal(fbhost_format_parse("nope"), FBHOST_FORMAT_INVALID);
	assert_string_equal(fbhost_format_name(FBHOST_FORMAT_R8G8B8), "r8g8b8");
	assert_int_equal(fbhost_format_bytes(FBHOST_FORMAT_R8G8B8), 3);
	fbhost_fb_remove(fb);
	assert_null(fbhost_fb_by_name(h, "x"));
	fbhost_free(h);
}

/* Threads racing on one host or framebuffer. */
#define LIB_RACERS 4u
/* enable/disable rounds of the VNC toggling race. */
#define LIB_TOGGLE_ROUNDS 12u

struct lib_race {
	struct fbhost *h;
	struct fbhost_fb *fb;
	pthread_barrier_t *start;
	unsigned index;		 /* 0 .. LIB_RACERS-1 */
	struct fbhost_fb *added; /* race_add: the result */
	int err;		 /* race_add: errno; race_vnc: fbhost_enable_vnc's result */
};

static void *race_add(void *arg)
{
	struct lib_race *r = arg;

	pthread_barrier_wait(r->start);
	r->added = fbhost_fb_add(r->h, "raced", 32, 16, FBHOST_FORMAT_X8R8G8B8);
	r->err = r->added ? 0 : errno;
	return NULL;
}

static void *race_vnc(void *arg)
{
	struct lib_race *r = arg;
	struct fbhost_vnc_options vo = { .port = FBHOST_PORT_ANY };

	pthread_barrier_wait(r->start);
	r->err = fbhost_enable_vnc(r->fb, &vo);
	return NULL;
}

/* Even racers turn VNC on, odd ones off, LIB_TOGGLE_ROUNDS times. */
static void *race_toggle(void *arg)
{
	struct lib_race *r = arg;
	struct fbhost_vnc_options vo = { .port = FBHOST_PORT_ANY };
	bool on = r->index % 2 == 0;

	pthread_barrier_wait(r->start);
	for (unsigned i = 0; i < LIB_TOGGLE_ROUNDS; i++) {
		if (on) {
			int rc = fbhost_enable_vnc(r->fb, &vo);

			if (rc != 0 && rc != -EALREADY)
				r->err = rc;
		} else {
			fbhost_disable_vnc(r->fb);
		}
	}
	return NULL;
}

/* Runs fn on LIB_RACERS threads started together. */
static void race_run(struct lib_race *r, void *(*fn)(void *))
{
	pthread_barrier_t start;
	pthread_t t[LIB_RACERS];

	assert_int_equal(pthread_barrier_init(&start, NULL, LIB_RACERS), 0);
	for (unsigned i = 0; i < LIB_RACERS; i++) {
		r[i].start = &start;
		r[i].index = i;
		assert_int_equal(pthread_create(&t[i], NULL, fn, &r[i]), 0);
	}
	for (unsigned i = 0; i < LIB_RACERS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
}

/* A viewer gets the framebuffer's size from its current VNC port. */
static void expect_viewer(struct fbhost_fb *fb)
{
	struct vtc_options o = { .encodings = "raw" };
	char err[256];
	struct vtc *v;

	o.port = fbhost_vnc_port(fb);
	assert_true(o.port > 0);
	v = vtc_connect(&o, err, sizeof(err));
	if (!v)
		fail_msg("vtc_connect: %s", err);
	assert_int_equal(vtc_wait_size(v, 32, 16, LIB_WAIT_MS), 0);
	vtc_free(v);
}

/* fbhost_fb_add publishes a framebuffer only once it is on the render
 * thread, and a name once; fbhost_enable_vnc creates the server outside the
 * framebuffer's lock and publishes one winner. */
static void test_races(void **state)
{
	struct lib_race r[LIB_RACERS] = { 0 };
	struct fbhost_fb *fb = NULL;
	unsigned winners = 0;
	struct fbhost *h;

	(void)state;
	h = fbhost_new(NULL);
	assert_non_null(h);
	for (unsigned i = 0; i < LIB_RACERS; i++)
		r[i].h = h;
	race_run(r, race_add);
	for (unsigned i = 0; i < LIB_RACERS; i++) {
		if (r[i].added) {
			winners++;
			fb = r[i].added;
		} else {
			assert_int_equal(r[i].err, EEXIST);
		}
	}
	assert_int_equal(winners, 1);
	assert_ptr_equal(fbhost_fb_by_name(h, "raced"), fb);
	assert_ptr_equal(fbhost_fb_by_id(h, fbhost_fb_id(fb)), fb);

	memset(r, 0, sizeof(r));
	for (unsigned i = 0; i < LIB_RACERS; i++)
		r[i].fb = fb;
	race_run(r, race_vnc);
	winners = 0;
	for (unsigned i = 0; i < LIB_RACERS; i++) {
		if (r[i].err == 0)
			winners++;
		else
			assert_int_equal(r[i].err, -EALREADY);
	}
	assert_int_equal(winners, 1);
	expect_viewer(fb);

	/* On and off from several threads: never an error besides
	 * -EALREADY, and afterwards the state is whole. */
	memset(r, 0, sizeof(r));
	for (unsigned i = 0; i < LIB_RACERS; i++)
		r[i].fb = fb;
	race_run(r, race_toggle);
	for (unsigned i = 0; i < LIB_RACERS; i++)
		assert_int_equal(r[i].err, 0);
	fbhost_disable_vnc(fb);
	assert_int_equal(fbhost_vnc_port(fb), -1);
	assert_int_equal(
		fbhost_enable_vnc(fb, &(struct fbhost_vnc_options){ .port = FBHOST_PORT_ANY }), 0);
	expect_viewer(fb);
	fbhost_free(h);
}

/* argv[1], if given, is a cmocka test filter. The two-framebuffer test
 * also checks, under ThreadSanitizer, vnc/'s lock around LibVNCServer's
 * process-wide client-list mutex (re-initialised by every rfbGetScreen). */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_framebuffers),
		cmocka_unit_test(test_pixels_input_screendump),
		cmocka_unit_test(test_map_file),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_races),
	};

	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
