/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-cursor.c - the guest's cursor over VNC (vnc-cursor.c),
 * seen by libvncclient: a client announcing RichCursor/PointerPos
 * (appData.useRemoteCursor) gets exactly the image (colours where the mask
 * is set, the mask where alpha >= 0x80) and hotspot the guest defined and
 * its moves; a cursor too large for LibVNCServer's update buffer arrives
 * trimmed to its opaque part, or cropped around the hotspot, without
 * dropping the client. Both that client and one without cursor support
 * keep the guest's exact pixels throughout: nothing is drawn into the
 * shadow. On the wire (a raw client announcing XCursor only): the X-style
 * shape is black where the image is dark, the mask where alpha >= 0x80,
 * and a hidden cursor is the empty shape.
 */
#include "tests/vnc/vnc-fixture.h"
#include "tests/vnc/vnc-raw-client.h"

#include <poll.h>

#define ENCODING_XCURSOR 0xFFFFFF10u /* -240 */

/* Pumps c until the cursor has more than shapes shapes and more than
 * moves moves (bounded). */
static void wait_cursor(struct vtc *c, uint64_t shapes, uint64_t moves)
{
	uint64_t end = vt_now_ms() + VT_WAIT_MS;

	while (vtc_cursor(c)->shapes <= shapes || vtc_cursor(c)->moves <= moves) {
		if (vt_now_ms() > end)
			fail_msg("no cursor: %llu shapes, %llu moves",
				 (unsigned long long)vtc_cursor(c)->shapes,
				 (unsigned long long)vtc_cursor(c)->moves);
		assert_int_equal(vtc_pump(c, 100), 0);
	}
}

/* Pumps c until the last shape is w x h (bounded). */
static void wait_cursor_size(struct vtc *c, uint32_t w, uint32_t h)
{
	uint64_t end = vt_now_ms() + VT_WAIT_MS;

	while (!vtc_cursor(c)->pixels || vtc_cursor(c)->width != w || vtc_cursor(c)->height != h) {
		if (vt_now_ms() > end)
			fail_msg("cursor is %ux%u, want %ux%u", vtc_cursor(c)->width,
				 vtc_cursor(c)->height, w, h);
		assert_int_equal(vtc_pump(c, 100), 0);
	}
}

/* The received shape equals argb's w x h window at x0,y0 (stride: the
 * image's width): colour where the mask is set, mask = alpha >= 0x80. */
static void expect_shape(const struct vtc_cursor *cur, const uint32_t *argb, uint32_t stride,
			 uint32_t x0, uint32_t y0)
{
	for (uint32_t y = 0; y < cur->height; y++)
		for (uint32_t x = 0; x < cur->width; x++) {
			uint32_t want = argb[(y + y0) * stride + x + x0];
			size_t i = (size_t)y * cur->width + x;
			bool opaque = (want >> 24) >= 0x80;

			if (cur->mask[i] != opaque)
				fail_msg("mask (%u,%u) %u, alpha 0x%02x", x, y, cur->mask[i],
					 want >> 24);
			if (opaque && (cur->pixels[i] & 0xffffff) != (want & 0xffffff))
				fail_msg("pixel (%u,%u) 0x%06x != 0x%06x", x, y,
					 cur->pixels[i] & 0xffffff, want & 0xffffff);
		}
}

static void test_cursor_shape_and_pixels(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vtc *with, *without;
	struct vtc_options o;
	uint32_t argb[12 * 10], *big;
	char err[256];
	struct vt t;
	uint64_t shapes, moves;

	(void)state;
	vt_setup(&t, 96, 80, PIXMAN_x8r8g8b8, &cfg);
	vt_draw_random(&t, 1, 40);
	o = vt_client_opts(&t, "tight copyrect");
	o.remote_cursor = true;
	with = vtc_connect(&o, err, sizeof(err));
	if (!with)
		fail_msg("connect: %s", err);
	without = vt_connect(&t, "tight copyrect");
	vt_expect_guest(&t, with, "cursor client, before");
	vt_expect_guest(&t, without, "plain client, before");

	/* alpha 0, 0x7f, 0x80, 0xff in turn; distinct colours */
	for (uint32_t i = 0; i < 12 * 10; i++) {
		static const uint32_t alpha[4] = { 0x00, 0x7f, 0x80, 0xff };

		argb[i] = alpha[i % 4] << 24 | (0x0b0d07u * (i + 1) & 0xffffff);
	}
	argb[4 * 12 + 3] = 0xff123456u; /* the hotspot pixel */
	assert_int_equal(fb_cursor_define(t.fb, 12, 10, 3, 4, argb, 12 * 4), 0);
	fb_cursor_move(t.fb, 20, 30);
	wait_cursor(with, 0, 0);
	assert_int_equal(vtc_cursor(with)->width, 12);
	assert_int_equal(vtc_cursor(with)->height, 10);
	assert_int_equal(vtc_cursor(with)->hot_x, 3);
	assert_int_equal(vtc_cursor(with)->hot_y, 4);
	expect_shape(vtc_cursor(with), argb, 12, 0, 0);
	while (vtc_cursor(with)->x != 20 || vtc_cursor(with)->y != 30)
		wait_cursor(with, 0, vtc_cursor(with)->moves);

	/* pixels under and around the cursor stay exact for both clients */
	vt_draw_random(&t, 2, 40);
	assert_int_equal(fb_fill_rect(t.fb, 10, 20, 30, 30, 0x00ff00), 0);
	vt_expect_guest(&t, with, "cursor client, cursor shown");
	vt_expect_guest(&t, without, "plain client, cursor shown");

	/* a move: PointerPos, no new shape */
	shapes = vtc_cursor(with)->shapes;
	moves = vtc_cursor(with)->moves;
	fb_cursor_move(t.fb, 5, 6);
	wait_cursor(with, shapes - 1, moves);
	assert_int_equal(vtc_cursor(with)->x, 5);
	assert_int_equal(vtc_cursor(with)->y, 6);

	/* 200x200 with a 40x30 opaque block: sent as the block */
	big = calloc(200 * 200, 4);
	assert_non_null(big);
	for (uint32_t y = 100; y < 130; y++)
		for (uint32_t x = 50; x < 90; x++)
			big[y * 200 + x] = 0xff000000u | (x << 16) | (y << 8) | (x ^ y);
	assert_int_equal(fb_cursor_define(t.fb, 200, 200, 60, 110, big, 200 * 4), 0);
	wait_cursor_size(with, 40, 30);
	assert_int_equal(vtc_cursor(with)->hot_x, 10);
	assert_int_equal(vtc_cursor(with)->hot_y, 10);
	expect_shape(vtc_cursor(with), big, 200, 50, 100);

	/* 200x200 opaque: cropped to 88x88 around the hotspot */
	for (uint32_t i = 0; i < 200 * 200; i++)
		big[i] = 0xff000000u | i;
	assert_int_equal(fb_cursor_define(t.fb, 200, 200, 150, 20, big, 200 * 4), 0);
	wait_cursor_size(with, 88, 88);
	assert_int_equal(vtc_cursor(with)->hot_x, 44);
	assert_int_equal(vtc_cursor(with)->hot_y, 20);
	expect_shape(vtc_cursor(with), big, 200, 106, 0);
	/* hotspot near the far corner: the window ends at the image's edge */
	shapes = vtc_cursor(with)->shapes;
	assert_int_equal(fb_cursor_define(t.fb, 200, 200, 190, 195, big, 200 * 4), 0);
	wait_cursor(with, shapes, 0);
	assert_int_equal(vtc_cursor(with)->width, 88);
	assert_int_equal(vtc_cursor(with)->hot_x, 78);
	assert_int_equal(vtc_cursor(with)->hot_y, 83);
	expect_shape(vtc_cursor(with), big, 200, 112, 112);
	free(big);

	/* hidden: an empty shape (libvncclient keeps its last one); the
	 * clients stay connected and exact */
	fb_cursor_show(t.fb, false);
	vt_draw_random(&t, 3, 40);
	vt_expect_guest(&t, with, "cursor client, hidden");
	vt_expect_guest(&t, without, "plain client, hidden");

	/* a client connecting now gets the current (shown) cursor */
	fb_cursor_show(t.fb, true);
	assert_int_equal(fb_cursor_define(t.fb, 12, 10, 3, 4, argb, 12 * 4), 0);
	vtc_free(with);
	with = vtc_connect(&o, err, sizeof(err));
	if (!with)
		fail_msg("reconnect: %s", err);
	wait_cursor_size(with, 12, 10);
	expect_shape(vtc_cursor(with), argb, 12, 0, 0);
	vt_expect_guest(&t, with, "cursor client, reconnected");

	vtc_free(with);
	vtc_free(without);
	vt_teardown(&t);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void send_all(int fd, const void *m, size_t n)
{
	assert_int_equal(send(fd, m, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* The X-style cursor of one update: hotspot, size, colours, bitmap, mask. */
struct xcursor_rect {
	int hot_x, hot_y, w, h;
	uint8_t colours[6];
	uint8_t bits[64 * 8], mask[64 * 8];
};

/* Reads FramebufferUpdates (raw at 32 bpp, XCursor), asking for the next
 * after each, until one holds an XCursor rectangle (bounded by the
 * socket's reads: the server answers each request). */
static void read_xcursor(int fd, struct xcursor_rect *xc)
{
	static const uint8_t incremental[10] = { 3, 1, 0, 0, 0, 0, 0, 64, 0, 48 };
	uint8_t head[4], rect[12], px[4096];

	for (uint64_t end = vt_now_ms() + VT_WAIT_MS; vt_now_ms() < end;) {
		bool found = false;
		unsigned n;

		assert_int_equal(vt_read_exact(fd, head, sizeof(head)), 0);
		assert_int_equal(head[0], 0); /* FramebufferUpdate */
		n = (unsigned)head[2] << 8 | head[3];
		for (unsigned i = 0; i < n; i++) {
			size_t bytes, row;
			int w, h;

			assert_int_equal(vt_read_exact(fd, rect, sizeof(rect)), 0);
			w = rect[4] << 8 | rect[5];
			h = rect[6] << 8 | rect[7];
			if (get32(rect + 8) == ENCODING_XCURSOR) {
				xc->hot_x = rect[0] << 8 | rect[1];
				xc->hot_y = rect[2] << 8 | rect[3];
				xc->w = w;
				xc->h = h;
				row = (size_t)(w + 7) / 8;
				assert_true(row * (size_t)h <= sizeof(xc->bits));
				if (w && h) {
					assert_int_equal(vt_read_exact(fd, xc->colours, 6), 0);
					assert_int_equal(vt_read_exact(fd, xc->bits, row * h), 0);
					assert_int_equal(vt_read_exact(fd, xc->mask, row * h), 0);
				}
				found = true;
				continue;
			}
			assert_int_equal(get32(rect + 8), 0); /* raw */
			for (bytes = (size_t)w * h * 4; bytes;) {
				size_t k = bytes < sizeof(px) ? bytes : sizeof(px);

				assert_int_equal(vt_read_exact(fd, px, k), 0);
				bytes -= k;
			}
		}
		send_all(fd, incremental, sizeof(incremental));
		if (found)
			return;
	}
	fail_msg("no XCursor rectangle");
}

static void test_xcursor_on_the_wire(void **state)
{
	/* 32 bpp x8r8g8b8 little-endian; encodings raw and XCursor only. */
	static const uint8_t pixel_format[20] = { 0,   0, 0,   0, 32,  24, 0, 1, 0,
						  255, 0, 255, 0, 255, 16, 8, 0 };
	static const uint8_t encodings[12] = { 2, 0, 0, 2, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x10 };
	static const uint8_t full[10] = { 3, 0, 0, 0, 0, 0, 0, 64, 0, 48 };
	/* 10x2: opaque black, white, dark red; transparent black; alpha 0x80
	 * dark; alpha 0x7f white */
	static const uint32_t argb[20] = {
		0xff000000, 0xffffffff, 0xff400000, 0x00000000, 0x80101010, 0x7fffffff, 0xff000000,
		0xff000000, 0xffffffff, 0xff000000, 0xffffffff, 0xffffffff, 0xff000000, 0xff000000,
		0x00ffffff, 0x00000000, 0xffc0c0c0, 0xff3f3f3f, 0xff808080, 0xff7f7f7f,
	};
	static const uint8_t want_bits[4] = { 0xbb, 0x40, 0x35, 0x40 };
	static const uint8_t want_mask[4] = { 0xeb, 0xc0, 0xf3, 0xc0 };
	struct vnc_config cfg = vt_config();
	struct xcursor_rect xc;
	struct vt t;
	int fd;

	(void)state;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	fd = vt_rfb_client(vnc_server_port(t.vnc), 0);
	assert_true(fd >= 0);
	send_all(fd, pixel_format, sizeof(pixel_format));
	send_all(fd, encodings, sizeof(encodings));
	send_all(fd, full, sizeof(full));
	assert_int_equal(fb_cursor_define(t.fb, 10, 2, 7, 1, argb, 10 * 4), 0);
	do
		read_xcursor(fd, &xc);
	while (xc.w != 10);
	assert_int_equal(xc.h, 2);
	assert_int_equal(xc.hot_x, 7);
	assert_int_equal(xc.hot_y, 1);
	/* foreground black, background white */
	assert_memory_equal(xc.colours, ((const uint8_t[6]){ 0, 0, 0, 255, 255, 255 }), 6);
	assert_memory_equal(xc.bits, want_bits, sizeof(want_bits));
	assert_memory_equal(xc.mask, want_mask, sizeof(want_mask));

	/* hidden: the empty shape */
	fb_cursor_show(t.fb, false);
	do
		read_xcursor(fd, &xc);
	while (xc.w != 0);
	assert_int_equal(xc.h, 0);
	/* shown again: the shape again */
	fb_cursor_show(t.fb, true);
	do
		read_xcursor(fd, &xc);
	while (xc.w != 10);
	assert_memory_equal(xc.mask, want_mask, sizeof(want_mask));
	close(fd);
	vt_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cursor_shape_and_pixels),
		cmocka_unit_test(test_xcursor_on_the_wire),
	};

	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
