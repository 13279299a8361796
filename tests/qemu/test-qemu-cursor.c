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

#include "tests/qemu/guest-cursor.h"
#include "tests/qemu/linux-rig.h"

/* Boot to the shell under TCG, in ms (about 10 s here; CI is slower). */
#define CURSOR_BOOT_TIMEOUT_MS 180000u
/* Bound of each later wait, in ms. */
#define CURSOR_WAIT_MS 60000u
/* Lit pixels of QEMU's picture once the console is up (earlier ones are
 * not compared). */
#define CURSOR_MIN_LIT_PX 1000u
/* Where guest-cursor moves the cursor (guest pixels). */
#define CURSOR_AT_X 100
#define CURSOR_AT_Y 80

static void test_guest_cursor(void **state)
{
	struct vtc_options vo = { .encodings = "copyrect zrle raw", .remote_cursor = true };
	struct lr_rig r = { 0 };
	const struct vtc_cursor *cur;
	char cmd[64];
	uint64_t end;

	(void)state;
	lr_start(&r, &vo, CURSOR_MIN_LIT_PX);
	assert_int_equal(lr_wait_serial(&r, "FBHOST-GUEST-READY", NULL, CURSOR_BOOT_TIMEOUT_MS), 0);
	assert_int_equal(lr_wait_viewer_exact(&r, CURSOR_WAIT_MS), 0);

	snprintf(cmd, sizeof(cmd), "guest-cursor %d %d &\n", CURSOR_AT_X, CURSOR_AT_Y);
	lr_type(&r, cmd);
	assert_int_equal(
		lr_wait_serial(&r, "GUEST-CURSOR-SET", "GUEST-CURSOR-FAILED", CURSOR_WAIT_MS), 0);

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
	assert_int_equal(lr_wait_viewer_exact(&r, CURSOR_WAIT_MS), 0);

	lr_stop(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_cursor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
