/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/qemu/test-qemu-cursor.c - a real guest's hardware cursor through
 * fbhost: the Linux test guest (TCG, virtio-vga, p2p mode) runs
 * guest-cursor, which sets a 64x64 cursor with a hotspot through DRM's
 * legacy cursor ioctl; virtio-gpu hands it to QEMU 7.2, whose D-Bus display
 * calls CursorDefine and MouseSet on fbhost's listener. A libvncclient
 * viewer announcing RichCursor and PointerPos (useRemoteCursor) receives
 * exactly that image (colour where opaque, mask from alpha) and hotspot,
 * and the position the guest moved it to; its picture still equals QEMU's own screendump (the
 * cursor is not drawn into it).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/common/vnc-test-client.h"
#include "tests/qemu/guest-cursor.h"
#include "tests/qemu/qemu-rig.h"
#include "tests/server/server-proc.h"

/* Boot to the shell under TCG, in ms (about 10 s here; CI is slower). */
#define CURSOR_BOOT_TIMEOUT_MS 180000u
/* Bound of each later wait, in ms. */
#define CURSOR_WAIT_MS 60000u
#define CURSOR_MIN_LIT_PX 1000u
/* Where guest-cursor moves the cursor (guest pixels). */
#define CURSOR_AT_X 100
#define CURSOR_AT_Y 80

struct cursor_rig {
	struct qr_vm vm;
	struct sp_server s;
	struct vtc *c;
	char serial[QR_PATH_MAX + 16];
};

/* Waits until the serial log contains text (polled: another process
 * writes the file); 1 if fail_text came first, 0 found, -ETIMEDOUT. */
static int cursor_wait_serial(struct cursor_rig *r, const char *text, const char *fail_text,
			      unsigned timeout_ms)
{
	uint64_t end = qr_now_ms() + timeout_ms;

	while (qr_now_ms() < end) {
		char *log = sp_read_file(r->serial);
		int rc = log && strstr(log, text)		      ? 0
			 : log && fail_text && strstr(log, fail_text) ? 1
								      : -1;

		if (rc == 1)
			fprintf(stderr, "guest serial:\n%s\n", log);
		free(log);
		if (rc >= 0)
			return rc;
		vtc_pump(r->c, QR_POLL_MS);
	}
	return -ETIMEDOUT;
}

/* Types text as keysyms ('\n' as Return), with Shift around shifted
 * symbols as a US keyboard needs (fbhost maps keysyms to keys). */
static void cursor_type(struct cursor_rig *r, const char *text)
{
	static const char shifted[] = "~!@#$%^&*()_+{}|:\"<>?";

	for (; *text; text++) {
		uint32_t ks = *text == '\n' ? XK_Return : (uint8_t)*text;
		bool shift = (*text >= 'A' && *text <= 'Z') || strchr(shifted, *text);

		if (shift)
			assert_int_equal(vtc_key(r->c, XK_Shift_L, true), 0);
		assert_int_equal(vtc_key(r->c, ks, true), 0);
		assert_int_equal(vtc_key(r->c, ks, false), 0);
		if (shift)
			assert_int_equal(vtc_key(r->c, XK_Shift_L, false), 0);
		vtc_pump(r->c, 10);
	}
}

/* Waits until the viewer's picture equals QEMU's screendump. */
static int cursor_wait_viewer_exact(struct cursor_rig *r, unsigned timeout_ms)
{
	uint64_t end = qr_now_ms() + timeout_ms;

	while (qr_now_ms() < end) {
		struct qr_picture q = { 0 };
		int rc;

		if (qr_qemu_dump(&r->vm, &q))
			return -EIO;
		rc = qr_picture_lit(&q) >= CURSOR_MIN_LIT_PX
			     ? vtc_wait_picture(r->c, q.px, q.w, q.h, q.w, 2 * QR_POLL_MS)
			     : -EAGAIN;
		qr_picture_free(&q);
		if (rc == 0 || rc == -ECONNRESET)
			return rc;
	}
	fprintf(stderr, "viewer != QEMU: %s\n", vtc_last_mismatch(r->c));
	return -ETIMEDOUT;
}

static void cursor_start(struct cursor_rig *r)
{
	struct vtc_options vo = { .encodings = "copyrect zrle raw", .remote_cursor = true };
	const char *fb_args[] = { "--guest", NULL, NULL };
	char err[256];
	int rc;

	assert_int_equal(qr_setup(&r->vm, true), 0);
	rc = qr_linux_start(&r->vm, r->serial, sizeof(r->serial));
	if (rc == -ENOENT) {
		qr_teardown(&r->vm);
		skip();
	}
	assert_int_equal(rc, 0);
	fb_args[1] = r->vm.guest_arg;
	assert_int_equal(sp_start(&r->s, fb_args), 0);
	vo.port = sp_vnc_port(&r->s, 0);
	r->c = vtc_connect(&vo, err, sizeof(err));
	if (!r->c)
		fprintf(stderr, "vtc_connect: %s\n", err);
	assert_non_null(r->c);
}

static void test_guest_cursor(void **state)
{
	struct cursor_rig r = { 0 };
	const struct vtc_cursor *cur;
	char cmd[64];
	uint64_t end;

	(void)state;
	cursor_start(&r);
	assert_int_equal(cursor_wait_serial(&r, "FBHOST-GUEST-READY", NULL, CURSOR_BOOT_TIMEOUT_MS),
			 0);
	assert_int_equal(cursor_wait_viewer_exact(&r, CURSOR_WAIT_MS), 0);

	snprintf(cmd, sizeof(cmd), "guest-cursor %d %d &\n", CURSOR_AT_X, CURSOR_AT_Y);
	cursor_type(&r, cmd);
	assert_int_equal(
		cursor_wait_serial(&r, "GUEST-CURSOR-SET", "GUEST-CURSOR-FAILED", CURSOR_WAIT_MS),
		0);

	/* The shape, exactly. */
	cur = vtc_cursor(r.c);
	for (end = qr_now_ms() + CURSOR_WAIT_MS;
	     !cur->pixels || cur->width != GUEST_CURSOR_SIDE_PX || cur->moves == 0;) {
		if (qr_now_ms() > end)
			fail_msg("no 64x64 cursor at the viewer: %llu shapes (last %ux%u), "
				 "%llu moves",
				 (unsigned long long)cur->shapes, cur->width, cur->height,
				 (unsigned long long)cur->moves);
		assert_int_equal(vtc_pump(r.c, QR_POLL_MS), 0);
	}
	assert_int_equal(cur->height, GUEST_CURSOR_SIDE_PX);
	assert_int_equal(cur->hot_x, GUEST_CURSOR_HOT_X);
	assert_int_equal(cur->hot_y, GUEST_CURSOR_HOT_Y);
	for (uint32_t y = 0; y < GUEST_CURSOR_SIDE_PX; y++)
		for (uint32_t x = 0; x < GUEST_CURSOR_SIDE_PX; x++) {
			uint32_t want = GUEST_CURSOR_PIXEL(x, y);
			size_t i = (size_t)y * GUEST_CURSOR_SIDE_PX + x;

			if (cur->mask[i] != ((want >> 24) >= 0x80))
				fail_msg("mask (%u,%u) %u for 0x%08x", x, y, cur->mask[i], want);
			if (cur->mask[i] && (cur->pixels[i] & 0xffffff) != (want & 0xffffff))
				fail_msg("pixel (%u,%u) 0x%06x != 0x%06x", x, y,
					 cur->pixels[i] & 0xffffff, want & 0xffffff);
		}
	/* The position the guest moved it to (the hotspot's), by PointerPos;
	 * it may come just after the shape. */
	for (end = qr_now_ms() + CURSOR_WAIT_MS; cur->x != CURSOR_AT_X || cur->y != CURSOR_AT_Y;) {
		if (qr_now_ms() > end)
			fail_msg("cursor at %d,%d, want %d,%d", cur->x, cur->y, CURSOR_AT_X,
				 CURSOR_AT_Y);
		assert_int_equal(vtc_pump(r.c, QR_POLL_MS), 0);
	}

	/* The picture is QEMU's, cursor not drawn into it. */
	assert_int_equal(cursor_wait_viewer_exact(&r, CURSOR_WAIT_MS), 0);

	vtc_free(r.c);
	assert_int_equal(sp_stop(&r.s), 0);
	qr_teardown(&r.vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_cursor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
