/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/qemu/guest-qemu.h - the "qemu" guest: mirrors a console of a
 * running QEMU (-display dbus) into a framebuffer and sends viewers' input
 * back. Uses only fbhost.h; no GLib type appears here. Built with GLib's
 * GDBus (guest-qemu.c and friends), or as a stub that refuses to start when
 * GLib is missing (guest-qemu-stub.c). Public prefix: guest_qemu_.
 */
#ifndef FBHOST_GUESTS_GUEST_QEMU_H
#define FBHOST_GUESTS_GUEST_QEMU_H

#include "server/lib/fbhost.h"

/*
 * args: "ADDRESS[,console=N]" (bus mode: a D-Bus address such as
 * unix:path=SOCKET, where QEMU owns org.qemu) or "qmp:PATH[,console=N]"
 * (p2p mode: QEMU's QMP socket; QEMU runs -display dbus,p2p=yes). The
 * framebuffer with id I mirrors console N+I (N = 0 by default). Returns
 * without waiting for QEMU, which may come and go. 0 or -errno; on -EINVAL
 * *err holds a static message.
 */
int guest_qemu_start(struct fbhost *host, struct fbhost_fb *fb, const char *args, void **state,
		     const char **err);
void guest_qemu_stop(void *state);

#endif
