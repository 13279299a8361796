/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/qemu/qemu-p2p.c - D-Bus links to QEMU's display without a
 * bus (qemu-p2p.h).
 */
#include "server/guests/qemu/qemu-p2p.h"

#include <errno.h>
#include <gio/gunixfdlist.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/guests/qemu/qemu-qmp.h"

/* Longest QMP command built here, in bytes. */
#define QEMU_P2P_COMMAND_MAX_BYTES 256u

GDBusConnection *qemu_p2p_conn_from_fd(int fd, GDBusConnectionFlags flags, GError **error)
{
	GSocket *sock = g_socket_new_from_fd(fd, error);
	GSocketConnection *sc;
	GDBusConnection *c;

	if (!sock) {
		close(fd);
		return NULL;
	}
	sc = g_socket_connection_factory_create_connection(sock);
	c = g_dbus_connection_new_sync(G_IO_STREAM(sc), NULL,
				       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | flags, NULL,
				       NULL, error);
	g_object_unref(sc);
	g_object_unref(sock);
	return c;
}

GDBusConnection *qemu_p2p_open(const char *qmp_path, const char *fdname, unsigned timeout_ms,
			       GError **error)
{
	char err[256], reply[512], getfd[QEMU_P2P_COMMAND_MAX_BYTES],
		add[QEMU_P2P_COMMAND_MAX_BYTES];
	struct qemu_qmp *q;
	int sv[2], rc;

	snprintf(getfd, sizeof(getfd),
		 "{\"execute\": \"getfd\", \"arguments\": {\"fdname\": \"%s\"}}", fdname);
	snprintf(add, sizeof(add),
		 "{\"execute\": \"add_client\", \"arguments\": "
		 "{\"protocol\": \"@dbus-display\", \"fdname\": \"%s\"}}",
		 fdname);
	q = qemu_qmp_open(qmp_path, timeout_ms, err, sizeof(err));
	if (!q) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", err);
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "socketpair: %s",
			    g_strerror(errno));
		qemu_qmp_close(q);
		return NULL;
	}
	rc = qemu_qmp_command(q, getfd, sv[1], reply, sizeof(reply), timeout_ms);
	if (rc == 0)
		rc = qemu_qmp_command(q, add, -1, reply, sizeof(reply), timeout_ms);
	close(sv[1]);
	qemu_qmp_close(q);
	if (rc) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "QMP add_client failed (is QEMU started with -display dbus,p2p=yes?): "
			    "%s",
			    rc == -EIO ? reply : g_strerror(-rc));
		close(sv[0]);
		return NULL;
	}
	return qemu_p2p_conn_from_fd(sv[0], 0, error);
}

GDBusConnection *qemu_p2p_register_listener(GDBusConnection *display, const char *dest,
					    const char *console_path, unsigned timeout_ms,
					    GError **error)
{
	GUnixFDList *fds;
	GVariant *r;
	int sv[2], idx;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "socketpair: %s",
			    g_strerror(errno));
		return NULL;
	}
	fds = g_unix_fd_list_new();
	idx = g_unix_fd_list_append(fds, sv[1], error);
	close(sv[1]);
	if (idx < 0)
		goto fail_call;
	/* QEMU replies first, then authenticates the listener link as the
	 * server, so the reply can be awaited before our side authenticates. */
	r = g_dbus_connection_call_with_unix_fd_list_sync(
		display, dest, console_path, "org.qemu.Display1.Console", "RegisterListener",
		g_variant_new("(h)", idx), G_VARIANT_TYPE("()"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
		(int)timeout_ms, fds, NULL, NULL, error);
	if (!r)
		goto fail_call;
	g_variant_unref(r);
	g_object_unref(fds);
	return qemu_p2p_conn_from_fd(sv[0], G_DBUS_CONNECTION_FLAGS_DELAY_MESSAGE_PROCESSING,
				     error);

fail_call:
	close(sv[0]);
	g_object_unref(fds);
	return NULL;
}
