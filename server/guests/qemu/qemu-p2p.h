/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/qemu/qemu-p2p.h - D-Bus links to QEMU's display without a
 * bus: a GDBusConnection over one end of a socketpair, and the p2p mode's
 * handover of such a link through QMP (getfd + add_client @dbus-display).
 * Shared by the qemu guest and bench-qemu's null listener. GLib types
 * appear here: internal to server/guests/qemu/. Public prefix: qemu_p2p_.
 */
#ifndef FBHOST_GUESTS_QEMU_P2P_H
#define FBHOST_GUESTS_QEMU_P2P_H

#include <gio/gio.h>

/* A client GDBusConnection (it authenticates; QEMU is the server) over
 * fd, which it takes (closed on failure too). NULL with *error set. */
GDBusConnection *qemu_p2p_conn_from_fd(int fd, GDBusConnectionFlags flags, GError **error);

/* Connects to the QMP socket at qmp_path and hands QEMU one end of a new
 * socketpair as a D-Bus display client (QEMU started with
 * -display dbus,p2p=yes), under the QMP fd name fdname, waiting at most
 * timeout_ms for each QMP step. The connection over the other end, or
 * NULL with *error set to a one-line reason. */
GDBusConnection *qemu_p2p_open(const char *qmp_path, const char *fdname, unsigned timeout_ms,
			       GError **error);

/* Registers a listener on the console at console_path of QEMU's display
 * (dest: its bus name, NULL on a p2p link): RegisterListener with one end
 * of a new socketpair, waiting at most timeout_ms. The listener connection
 * over the other end, with message processing delayed so the caller can
 * register its objects first (g_dbus_connection_start_message_processing),
 * or NULL with *error set. */
GDBusConnection *qemu_p2p_register_listener(GDBusConnection *display, const char *dest,
					    const char *console_path, unsigned timeout_ms,
					    GError **error);

#endif
