/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/qemu/linux-rig.c - the Linux-guest tests' rig (see linux-rig.h).
 */
#include "tests/qemu/linux-rig.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void lr_start(struct lr_rig *r, const struct vtc_options *vo, size_t min_lit_px)
{
	struct vtc_options opts = *vo;
	const char *fb_args[] = { "--guest", NULL, NULL };
	char err[256];
	int rc;

	r->min_lit_px = min_lit_px;
	assert_int_equal(qr_setup(&r->vm, true), 0);
	rc = qr_linux_start(&r->vm, r->serial, sizeof(r->serial));
	if (rc == -ENOENT) {
		qr_teardown(&r->vm);
		skip();
	}
	assert_int_equal(rc, 0);
	fb_args[1] = r->vm.guest_arg;
	assert_int_equal(sp_start(&r->s, fb_args), 0);
	opts.port = sp_vnc_port(&r->s, 0);
	r->c = vtc_connect(&opts, err, sizeof(err));
	if (!r->c)
		fprintf(stderr, "vtc_connect: %s\n", err);
	assert_non_null(r->c);
}

void lr_stop(struct lr_rig *r)
{
	vtc_free(r->c);
	assert_int_equal(sp_stop(&r->s), 0);
	qr_teardown(&r->vm);
}

int lr_wait_serial(struct lr_rig *r, const char *text, const char *fail_text, unsigned timeout_ms)
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

void lr_type(struct lr_rig *r, const char *text)
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

int lr_wait_viewer_exact(struct lr_rig *r, unsigned timeout_ms)
{
	uint64_t end = qr_now_ms() + timeout_ms;

	while (qr_now_ms() < end) {
		struct qr_picture q = { 0 };
		int rc;

		if (qr_qemu_dump(&r->vm, &q))
			return -EIO;
		rc = qr_picture_lit(&q) >= r->min_lit_px
			     ? vtc_wait_picture(r->c, q.px, q.w, q.h, q.w, 2 * QR_POLL_MS)
			     : -EAGAIN;
		qr_picture_free(&q);
		if (rc == 0 || rc == -ECONNRESET)
			return rc;
	}
	fprintf(stderr, "viewer != QEMU: %s\n", vtc_last_mismatch(r->c));
	return -ETIMEDOUT;
}
