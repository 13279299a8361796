/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/qemu/test-qemu-seabios.c - the qemu guest against a real QEMU
 * (TCG) showing SeaBIOS's text screen (-device VGA, no disk: "No bootable
 * device"): once QEMU's picture is stable, fbhost's screendump equals QEMU's
 * own QMP screendump exactly; over a private bus and in p2p mode.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tests/qemu/qemu-rig.h"
#include "tests/server/server-proc.h"

/* SeaBIOS's final screen: stable for this long counts as final. */
#define SEABIOS_STABLE_MS 1500u
/* Bound of the boot to "No bootable device" plus mirroring, in ms. */
#define SEABIOS_TIMEOUT_MS 120000u
/* Text drawn on that screen: at least this many lit pixels. */
#define SEABIOS_MIN_LIT_PX 1000u

static void seabios_run(bool p2p)
{
	const char *qemu_args[] = { "-m", "64", "-device", "VGA", NULL };
	struct qr_vm vm;
	struct sp_server s = { 0 };
	char why[256];
	const char *fb_args[] = { "--guest", NULL, NULL };
	int rc;

	assert_int_equal(qr_setup(&vm, p2p), 0);
	assert_int_equal(qr_qemu_start(&vm, qemu_args), 0);
	fb_args[1] = vm.guest_arg;
	assert_int_equal(sp_start(&s, fb_args), 0);
	rc = qr_wait_mirrored(&vm, s.sock, vm.dir, SEABIOS_STABLE_MS, SEABIOS_MIN_LIT_PX,
			      SEABIOS_TIMEOUT_MS, why, sizeof(why));
	if (rc)
		fprintf(stderr, "not mirrored: %s\n", why);
	assert_int_equal(rc, 0);
	assert_int_equal(sp_stop(&s), 0);
	qr_teardown(&vm);
}

static void test_seabios_bus(void **state)
{
	seabios_run(false);
}

static void test_seabios_p2p(void **state)
{
	seabios_run(true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seabios_bus),
		cmocka_unit_test(test_seabios_p2p),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
