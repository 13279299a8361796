/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/bench/qemu/null-listener.c - the cheapest possible consumer of
 * QEMU 7.2's D-Bus display, for bench-qemu's "dbus-null" setup: it takes a
 * p2p D-Bus link from QEMU over QMP (getfd + add_client, as fbhost's qemu
 * guest does), registers a listener on Console_0 and answers every call on
 * it (Scanout, Update, ...) with an empty reply, doing nothing with the
 * pixels. Its CPU plus its QEMU's is what any D-Bus display client pays at
 * least with this QEMU: the pixels copied into each message, the socket,
 * and GDBus parsing the message, before a client has done any work of its
 * own. The replies go out from GDBus's worker thread (a connection filter),
 * so nothing else runs.
 *
 * Usage: bench-qemu-null-listener QMP_SOCKET (runs until SIGTERM).
 */
#include <gio/gio.h>
#include <glib-unix.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "server/guests/qemu/qemu-p2p.h"

#define NULL_QMP_TIMEOUT_MS 10000u
#define NULL_CALL_TIMEOUT_MS 10000
#define NULL_CONSOLE_PATH "/org/qemu/Display1/Console_0"

/* Calls answered on the listener link (counted on GDBus's worker thread,
 * read by main at exit). */
static atomic_ulong null_calls;

/* The display link, or NULL (the reason printed). */
static GDBusConnection *null_open_display(const char *qmp_path)
{
	GError *error = NULL;
	GDBusConnection *c = qemu_p2p_open(qmp_path, "null", NULL_QMP_TIMEOUT_MS, &error);

	if (!c) {
		fprintf(stderr, "null-listener: %s\n", error->message);
		g_error_free(error);
	}
	return c;
}

/* Answers every method call with an empty reply and drops it: the pixels
 * are never looked at. Runs on GDBus's worker thread. */
static GDBusMessage *null_filter(GDBusConnection *c, GDBusMessage *msg, gboolean incoming,
				 gpointer data)
{
	GDBusMessage *reply;

	(void)data;
	if (!incoming || g_dbus_message_get_message_type(msg) != G_DBUS_MESSAGE_TYPE_METHOD_CALL)
		return msg;
	atomic_fetch_add(&null_calls, 1);
	if (!(g_dbus_message_get_flags(msg) & G_DBUS_MESSAGE_FLAGS_NO_REPLY_EXPECTED)) {
		reply = g_dbus_message_new_method_reply(msg);
		g_dbus_connection_send_message(c, reply, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL,
					       NULL);
		g_object_unref(reply);
	}
	g_object_unref(msg);
	return NULL;
}

/* Registers a listener on Console_0 that answers every call (null_filter):
 * the listener connection, or NULL. */
static GDBusConnection *null_register(GDBusConnection *display)
{
	GError *error = NULL;
	GDBusConnection *listener = qemu_p2p_register_listener(display, NULL, NULL_CONSOLE_PATH,
							       NULL_CALL_TIMEOUT_MS, &error);

	if (!listener) {
		fprintf(stderr, "null-listener: RegisterListener: %s\n", error->message);
		g_error_free(error);
		return NULL;
	}
	g_dbus_connection_add_filter(listener, null_filter, NULL, NULL);
	g_dbus_connection_start_message_processing(listener);
	return listener;
}

static gboolean null_on_term(gpointer loop)
{
	g_main_loop_quit(loop);
	return G_SOURCE_REMOVE;
}

int main(int argc, char **argv)
{
	GDBusConnection *display, *listener;
	GMainLoop *loop;

	if (argc != 2) {
		fprintf(stderr, "usage: bench-qemu-null-listener QMP_SOCKET\n");
		return 2;
	}
	display = null_open_display(argv[1]);
	if (!display)
		return 1;
	listener = null_register(display);
	if (!listener) {
		g_object_unref(display);
		return 1;
	}
	printf("null-listener: ready\n");
	fflush(stdout);
	loop = g_main_loop_new(NULL, FALSE);
	g_unix_signal_add(SIGTERM, null_on_term, loop);
	g_main_loop_run(loop);
	g_main_loop_unref(loop);
	g_dbus_connection_close_sync(listener, NULL, NULL);
	g_object_unref(listener);
	g_object_unref(display);
	fprintf(stderr, "null-listener: %lu calls answered\n", atomic_load(&null_calls));
	return 0;
}
