/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/qemu/guest-qemu-stub.c - the "qemu" guest in a build without
 * GLib (gio-unix-2.0): it refuses to start, saying why.
 */
#include <errno.h>

#include "server/guests/qemu/guest-qemu.h"

int guest_qemu_start(struct fbhost *host, struct fbhost_fb *fb, const char *args, void **state,
		     const char **err)
{
	*err = "qemu: this fbhost was built without GLib (libglib2.0-dev), which the qemu guest "
	       "needs for D-Bus";
	return -EINVAL;
}

void guest_qemu_stop(void *state)
{
}
