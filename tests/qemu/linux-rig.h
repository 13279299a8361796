/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/qemu/linux-rig.h - the rig the Linux-guest tests share (cmocka
 * tests only: it asserts and skips): the test Linux guest booted by
 * qr_linux_start, fbhost serving it (--guest, p2p mode) and one
 * libvncclient viewer; typing as keysyms, waiting for a text in the
 * guest's serial log, and waiting until the viewer's picture equals QEMU's
 * screendump. Public prefix: lr_.
 */
#ifndef FBHOST_TESTS_QEMU_LINUX_RIG_H
#define FBHOST_TESTS_QEMU_LINUX_RIG_H

#include <stddef.h>

#include "tests/common/vnc-test-client.h"
#include "tests/qemu/qemu-rig.h"
#include "tests/server/server-proc.h"

/* The VM, its serial log, fbhost and a viewer. */
struct lr_rig {
	struct qr_vm vm;
	struct sp_server s;
	struct vtc *c;
	char serial[QR_PATH_MAX + 16];
	/* Non-black pixels QEMU's screendump needs before lr_wait_viewer_exact
	 * compares it (an earlier picture is the console still starting). */
	size_t min_lit_px;
};

/* Boots the guest, starts fbhost on it and connects a viewer with vo (its
 * port is fbhost's); skips the test when there is no kernel to boot. */
void lr_start(struct lr_rig *r, const struct vtc_options *vo, size_t min_lit_px);
/* Disconnects the viewer, stops fbhost (asserting a clean exit), tears the
 * VM down. */
void lr_stop(struct lr_rig *r);

/* Waits until the serial log contains text (polled: another process writes
 * the file; the viewer is pumped meanwhile). 0 found, 1 if fail_text (may
 * be NULL) came first (the log goes to stderr), or -ETIMEDOUT. */
int lr_wait_serial(struct lr_rig *r, const char *text, const char *fail_text, unsigned timeout_ms);

/* Types text as keysyms ('\n' as Return), with Shift around upper case and
 * shifted symbols as a US keyboard needs (fbhost maps keysyms to keys). */
void lr_type(struct lr_rig *r, const char *text);

/* Waits until the viewer's picture equals QEMU's screendump (one with at
 * least min_lit_px lit pixels). 0, -EIO (no screendump), -ECONNRESET, or
 * -ETIMEDOUT (the last difference to stderr). */
int lr_wait_viewer_exact(struct lr_rig *r, unsigned timeout_ms);

#endif
