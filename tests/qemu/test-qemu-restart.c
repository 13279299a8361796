/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/qemu/test-qemu-restart.c - QEMU killed (SIGKILL) while two VNC
 * viewers watch fbhost mirroring it over a private bus: fbhost keeps
 * serving the last picture and logs the loss; a new QEMU (with a different
 * SeaBIOS screen) starts on the same bus; the picture comes back, exact, to
 * both viewers, which never reconnect.
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
#include "tests/qemu/qemu-rig.h"
#include "tests/server/server-proc.h"

#define RESTART_TIMEOUT_MS 120000u
#define RESTART_STABLE_MS 1500u
#define RESTART_MIN_LIT_PX 1000u
/* How long the viewers watch the dead VM's last picture, in ms. */
#define RESTART_DEAD_WATCH_MS 2000u
#define RESTART_VIEWERS 2

/* Waits until every viewer shows QEMU's current picture (either of two
 * dumps around the wait, for the text cursor's blink). */
static int restart_wait_viewers(struct qr_vm *vm, struct vtc **c, unsigned timeout_ms)
{
	uint64_t end = qr_now_ms() + timeout_ms;

	while (qr_now_ms() < end) {
		struct qr_picture q = { 0 };
		int i, ok = 0;

		if (qr_qemu_dump(vm, &q))
			return -EIO;
		for (i = 0; i < RESTART_VIEWERS; i++) {
			int rc = vtc_wait_picture(c[i], q.px, q.w, q.h, q.w, 2 * QR_POLL_MS);

			if (rc == -ECONNRESET) {
				qr_picture_free(&q);
				return rc;
			}
			ok += rc == 0;
		}
		qr_picture_free(&q);
		if (ok == RESTART_VIEWERS)
			return 0;
	}
	fprintf(stderr, "viewers != QEMU: %s / %s\n", vtc_last_mismatch(c[0]),
		vtc_last_mismatch(c[1]));
	return -ETIMEDOUT;
}

/* Waits until fbhost's stderr log contains text (a file another process
 * writes: polled, bounded), pumping the viewers meanwhile. */
static int restart_wait_log(struct sp_server *s, struct vtc **c, const char *text)
{
	uint64_t end = qr_now_ms() + RESTART_TIMEOUT_MS;

	while (qr_now_ms() < end) {
		char *log = sp_read_file(s->err);
		bool found = log && strstr(log, text);
		int i;

		free(log);
		if (found)
			return 0;
		for (i = 0; i < RESTART_VIEWERS; i++)
			if (vtc_pump(c[i], QR_POLL_MS / RESTART_VIEWERS) == -ECONNRESET)
				return -ECONNRESET;
	}
	return -ETIMEDOUT;
}

static void test_qemu_killed(void **state)
{
	const char *first[] = { "-m", "64", "-device", "VGA", NULL };
	/* The boot menu prompt makes the second screen differ from the first. */
	const char *second[] = { "-m", "64", "-device", "VGA", "-boot", "menu=on,splash-time=60000",
				 NULL };
	const char *fb_args[] = { "--guest", NULL, NULL };
	struct vtc_options vo = { .encodings = "copyrect zrle raw" };
	struct qr_picture before = { 0 }, during = { 0 }, after = { 0 };
	struct vtc *c[RESTART_VIEWERS];
	struct sp_server s = { 0 };
	struct qr_vm vm;
	uint64_t end;
	char why[256], err[256];
	int i, rc;

	assert_int_equal(qr_setup(&vm, false), 0);
	assert_int_equal(qr_qemu_start(&vm, first), 0);
	fb_args[1] = vm.guest_arg;
	assert_int_equal(sp_start(&s, fb_args), 0);
	vo.port = sp_vnc_port(&s, 0);
	for (i = 0; i < RESTART_VIEWERS; i++) {
		c[i] = vtc_connect(&vo, err, sizeof(err));
		assert_non_null(c[i]);
	}
	rc = qr_wait_mirrored(&vm, s.sock, vm.dir, RESTART_STABLE_MS, RESTART_MIN_LIT_PX,
			      RESTART_TIMEOUT_MS, why, sizeof(why));
	if (rc)
		fprintf(stderr, "first VM not mirrored: %s\n", why);
	assert_int_equal(rc, 0);
	assert_int_equal(restart_wait_viewers(&vm, c, RESTART_TIMEOUT_MS), 0);
	assert_int_equal(qr_fbhost_dump(s.sock, vm.dir, &before), 0);

	/* Killed: fbhost logs it and keeps serving the last picture. */
	qr_qemu_kill(&vm);
	assert_int_equal(restart_wait_log(&s, c, "qemu: console 0 disconnected"), 0);
	end = qr_now_ms() + RESTART_DEAD_WATCH_MS;
	while (qr_now_ms() < end)
		for (i = 0; i < RESTART_VIEWERS; i++)
			assert_int_not_equal(vtc_pump(c[i], QR_POLL_MS), -ECONNRESET);
	assert_true(sp_alive(&s));
	assert_int_equal(qr_fbhost_dump(s.sock, vm.dir, &during), 0);
	assert_true(qr_picture_equal(&before, &during));
	for (i = 0; i < RESTART_VIEWERS; i++)
		assert_true(vtc_equals(c[i], before.px, before.w, before.h, before.w));

	/* Back: a new QEMU on the same bus; the same viewers see it. */
	assert_int_equal(qr_qemu_start(&vm, second), 0);
	assert_int_equal(restart_wait_log(&s, c, "qemu: reconnected to console 0"), 0);
	rc = qr_wait_mirrored(&vm, s.sock, vm.dir, RESTART_STABLE_MS, RESTART_MIN_LIT_PX,
			      RESTART_TIMEOUT_MS, why, sizeof(why));
	if (rc)
		fprintf(stderr, "second VM not mirrored: %s\n", why);
	assert_int_equal(rc, 0);
	assert_int_equal(restart_wait_viewers(&vm, c, RESTART_TIMEOUT_MS), 0);
	assert_int_equal(qr_fbhost_dump(s.sock, vm.dir, &after), 0);
	assert_false(qr_picture_equal(&before, &after));

	qr_picture_free(&before);
	qr_picture_free(&during);
	qr_picture_free(&after);
	for (i = 0; i < RESTART_VIEWERS; i++)
		vtc_free(c[i]);
	assert_int_equal(sp_stop(&s), 0);
	qr_teardown(&vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qemu_killed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
