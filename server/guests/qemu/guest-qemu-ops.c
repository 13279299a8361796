/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/qemu/guest-qemu-ops.c - the "qemu" guest's entry in the
 * program's guest registry (server/guest.h).
 */
#include "server/guests/guest.h"
#include "server/guests/qemu/guest-qemu.h"

const struct guest_ops guest_qemu_ops = {
	.name = "qemu",
	.start = guest_qemu_start,
	.stop = guest_qemu_stop,
};
