/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/qemu/test-qemu-linux.c - the qemu guest with a Linux VM (TCG): the
 * Debian kernel and an initramfs built by make-initramfs.sh (busybox-static)
 * boot to a shell on virtio-gpu's framebuffer console, in p2p mode. A
 * libvncclient viewer's pixels equal QEMU's own screendump; keys typed as
 * keysyms, and as QEMU extended key events (scancodes alone), through VNC
 * reach the guest's shell (the command writes to the serial port) and
 * their echo is in the picture; a SetDesktopSize changes
 * the guest's mode (SetUIInfo, virtio-gpu follows); a 10 s scrolling script
 * is seen by the viewer and its final frame is exact.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tests/qemu/linux-rig.h"

/* Boot to the shell under TCG, in ms (about 10 s here; CI is slower). */
#define LINUX_BOOT_TIMEOUT_MS 180000u
/* Bound of one picture comparison, in ms. */
#define LINUX_MATCH_TIMEOUT_MS 60000u
/* QEMU's key number of the left Shift key (XT scancode 0x2a). */
#define LINUX_QNUM_SHIFT_L 0x2au
/* How long the scroll script runs, in s, and its bound, in ms. */
#define LINUX_SCROLL_S 10
#define LINUX_SCROLL_TIMEOUT_MS 120000u
/* The mode a viewer asks for (virtio-gpu starts at 1280x800). */
#define LINUX_ASK_W 1024u
#define LINUX_ASK_H 768u
/* Lit pixels of QEMU's picture once the console is up (earlier ones are
 * not compared). */
#define LINUX_MIN_LIT_PX 1000u

/* QEMU's key number (qnum: the XT set-1 scancode) of c on a US keyboard,
 * and whether it needs Shift; 0 for a character not in the table. */
static uint32_t linux_qnum(char c, bool *shift)
{
	/* Rows of a US keyboard, each from its first scancode. */
	static const struct {
		const char *keys, *shifted;
		uint32_t first;
	} rows[] = {
		{ "1234567890-=", "!@#$%^&*()_+", 0x02 },
		{ "qwertyuiop[]", "QWERTYUIOP{}", 0x10 },
		{ "asdfghjkl;'`", "ASDFGHJKL:\"~", 0x1e },
		{ "\\zxcvbnm,./", "|ZXCVBNM<>?", 0x2b },
	};

	*shift = false;
	if (c == '\n')
		return 0x1c; /* Return */
	if (c == ' ')
		return 0x39;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const char *k = strchr(rows[i].keys, c), *sk = strchr(rows[i].shifted, c);

		if (c && k)
			return rows[i].first + (uint32_t)(k - rows[i].keys);
		if (c && sk) {
			*shift = true;
			return rows[i].first + (uint32_t)(sk - rows[i].shifted);
		}
	}
	return 0;
}

/* Types text as QEMU extended key events carrying scancodes alone (keysym
 * 0, which the protocol allows): only the scancode can reach the guest,
 * so the text arrives only if fbhost passes QEMU key numbers through. */
static void linux_type_scancodes(struct lr_rig *r, const char *text)
{
	rfbClient *cl = vtc_rfb(r->c);

	/* libvncclient sends extended key events once fbhost acknowledged
	 * pseudo-encoding -258 (after the first update). */
	for (uint64_t end = qr_now_ms() + LINUX_MATCH_TIMEOUT_MS;
	     !SupportsClient2Server(cl, rfbQemuEvent);) {
		assert_true(qr_now_ms() < end);
		assert_int_equal(vtc_pump(r->c, 20), 0);
	}
	for (; *text; text++) {
		bool shift;
		uint32_t qnum = linux_qnum(*text, &shift);

		assert_true(qnum != 0);
		if (shift)
			assert_true(SendExtendedKeyEvent(cl, 0, LINUX_QNUM_SHIFT_L, TRUE));
		assert_true(SendExtendedKeyEvent(cl, 0, qnum, TRUE));
		assert_true(SendExtendedKeyEvent(cl, 0, qnum, FALSE));
		if (shift)
			assert_true(SendExtendedKeyEvent(cl, 0, LINUX_QNUM_SHIFT_L, FALSE));
		vtc_pump(r->c, 10);
	}
}

/* QEMU 9.2 and later share the virtio-gpu surface's memory with fbhost
 * (ScanoutMap: no pixels in the messages), which fbhost shows in place;
 * QEMU 7.2 sends pixels. fbhost's log says which it got, and it must be
 * the one this QEMU offers. */
static void linux_check_transport(struct lr_rig *r)
{
	char reply[1024];
	const char *v;
	char *log;
	int major = 0, minor = 0;
	bool shares, logged;

	assert_int_equal(qr_qmp(&r->vm, "{\"execute\": \"query-version\"}", reply, sizeof(reply)),
			 0);
	v = strstr(reply, "\"major\":");
	assert_non_null(v);
	major = atoi(v + strlen("\"major\":"));
	v = strstr(reply, "\"minor\":");
	assert_non_null(v);
	minor = atoi(v + strlen("\"minor\":"));
	shares = major > 9 || (major == 9 && minor >= 2);
	log = sp_read_file(r->s.err);
	assert_non_null(log);
	logged = strstr(log, "QEMU shares the console's memory (ScanoutMap): shown in place") !=
		 NULL;
	free(log);
	fprintf(stderr, "QEMU %d.%d: %s\n", major, minor,
		logged ? "shared memory (ScanoutMap), shown in place" : "pixels in messages");
	assert_int_equal(logged, shares);
}

static void test_linux_guest(void **state)
{
	struct vtc_options vo = { .encodings = "copyrect zrle raw" };
	struct lr_rig r = { 0 };
	uint64_t updates;
	char why[256];
	int rc;

	lr_start(&r, &vo, LINUX_MIN_LIT_PX);

	/* Booted: /init printed its known text (also to the serial port) and
	 * the shell is on the framebuffer console: fbhost's picture and the
	 * viewer's equal QEMU's. */
	assert_int_equal(lr_wait_serial(&r, "FBHOST-GUEST-READY", NULL, LINUX_BOOT_TIMEOUT_MS), 0);
	rc = qr_wait_mirrored(&r.vm, r.s.sock, r.vm.dir, 2000, LINUX_MIN_LIT_PX,
			      LINUX_BOOT_TIMEOUT_MS, why, sizeof(why));
	if (rc)
		fprintf(stderr, "boot not mirrored: %s\n", why);
	assert_int_equal(rc, 0);
	assert_int_equal(lr_wait_viewer_exact(&r, LINUX_MATCH_TIMEOUT_MS), 0);

	/* Keys (keysyms): the command runs in the guest's shell. */
	lr_type(&r, "echo typed-$((6*7)) > /dev/ttyS0; echo Echo-Seen\n");
	assert_int_equal(lr_wait_serial(&r, "typed-42", NULL, LINUX_MATCH_TIMEOUT_MS), 0);
	assert_int_equal(lr_wait_viewer_exact(&r, LINUX_MATCH_TIMEOUT_MS), 0);

	/* Keys as QEMU extended key events (scancodes): the same. */
	linux_type_scancodes(&r, "echo xkey-$((6*7)) > /dev/ttyS0; echo Xkey-Seen\n");
	assert_int_equal(lr_wait_serial(&r, "xkey-42", NULL, LINUX_MATCH_TIMEOUT_MS), 0);
	assert_int_equal(lr_wait_viewer_exact(&r, LINUX_MATCH_TIMEOUT_MS), 0);

	/* A viewer's size request reaches the guest, which switches modes. */
	assert_int_equal(vtc_request_size(r.c, LINUX_ASK_W, LINUX_ASK_H), 0);
	assert_int_equal(vtc_wait_size(r.c, LINUX_ASK_W, LINUX_ASK_H, LINUX_MATCH_TIMEOUT_MS), 0);
	assert_int_equal(lr_wait_viewer_exact(&r, LINUX_MATCH_TIMEOUT_MS), 0);

	/* 10 s of scrolling: seen by the viewer; the final frame is exact. */
	updates = vtc_updates(r.c);
	lr_type(&r, "scroll 10; echo scroll-finished > /dev/ttyS0\n");
	assert_int_equal(lr_wait_serial(&r, "scroll-finished", NULL, LINUX_SCROLL_TIMEOUT_MS), 0);
	fprintf(stderr, "scrolling: %llu viewer updates\n",
		(unsigned long long)(vtc_updates(r.c) - updates));
	assert_true(vtc_updates(r.c) - updates > LINUX_SCROLL_S);
	assert_int_equal(lr_wait_viewer_exact(&r, LINUX_MATCH_TIMEOUT_MS), 0);

	linux_check_transport(&r);
	lr_stop(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux_guest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
