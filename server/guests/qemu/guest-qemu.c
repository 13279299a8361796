/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/qemu/guest-qemu.c - the "qemu" guest: its arguments, its
 * thread (a GLib main loop on a context of its own) and the connection to
 * QEMU's D-Bus display, which it keeps up: when QEMU goes away (the
 * listener connection closes) the framebuffer keeps the last picture, the
 * loss is logged, and the guest retries every QEMU_RETRY_MS until QEMU is
 * back. Viewers stay connected throughout.
 *
 * Connecting: bus mode opens the bus address and talks to the name
 * "org.qemu"; p2p mode hands one end of a socketpair to QEMU through QMP
 * (getfd + add_client @dbus-display) and talks to QEMU directly. Then
 * Console.RegisterListener passes one end of a second socketpair, on which
 * QEMU (the authenticating server) calls our Listener object.
 */
#include "server/guests/qemu/guest-qemu.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/guests/guest-runner.h"
#include "server/guests/qemu/qemu-guest.h"
#include "server/guests/qemu/qemu-p2p.h"

#define QEMU_BUS_NAME "org.qemu"

static void qemu_guest_schedule_retry(struct qemu_guest *g);

/* Logs through the host's log sink. */
#define qlog(g, level, ...) fbhost_log((g)->host, (level), "qemu: " __VA_ARGS__)

/* Parses "ADDRESS[,console=N]" or "qmp:PATH[,console=N]". 0 or -EINVAL with
 * *err set. */
static int qemu_guest_parse(struct qemu_guest *g, const char *args, const char **err)
{
	const char *tail;
	size_t len;
	char *end;
	unsigned long n;

	if (!args || !args[0]) {
		*err = "qemu: give QEMU's D-Bus address (qemu:unix:path=SOCKET) or its QMP "
		       "socket (qemu:qmp:PATH), optionally followed by ,console=N";
		return -EINVAL;
	}
	g->console = fbhost_fb_id(g->fb);
	tail = strstr(args, ",console=");
	len = tail ? (size_t)(tail - args) : strlen(args);
	if (tail) {
		errno = 0;
		n = strtoul(tail + strlen(",console="), &end, 10);
		if (errno || *end || end == tail + strlen(",console=") || n > QEMU_MAX_CONSOLE) {
			*err = "qemu: console=N needs a number 0..255";
			return -EINVAL;
		}
		g->console = (unsigned)n + fbhost_fb_id(g->fb);
	}
	if (strncmp(args, "qmp:", 4) == 0) {
		g->p2p = true;
		args += 4;
		len -= 4;
	}
	if (len == 0) {
		*err = "qemu: empty address";
		return -EINVAL;
	}
	g->address = strndup(args, len);
	if (!g->address)
		return -ENOMEM;
	if (!g->p2p && !g_dbus_is_supported_address(g->address, NULL)) {
		*err = "qemu: not a D-Bus address (expected e.g. unix:path=SOCKET, without "
		       ",guid=; or qmp:PATH for p2p mode)";
		return -EINVAL;
	}
	snprintf(g->console_path, sizeof(g->console_path), "/org/qemu/Display1/Console_%u",
		 g->console);
	return 0;
}

/* The bus name to address: "org.qemu" on a bus, none on a p2p link. */
static const char *qemu_guest_dest(const struct qemu_guest *g)
{
	return g->p2p ? NULL : QEMU_BUS_NAME;
}

/* A property of the console object (a new reference), or NULL. */
static GVariant *qemu_guest_get_prop(struct qemu_guest *g, const char *iface, const char *prop)
{
	GVariant *r, *v;

	if (!g->conn)
		return NULL;
	r = g_dbus_connection_call_sync(g->conn, qemu_guest_dest(g), g->console_path,
					"org.freedesktop.DBus.Properties", "Get",
					g_variant_new("(ss)", iface, prop), G_VARIANT_TYPE("(v)"),
					G_DBUS_CALL_FLAGS_NONE, QEMU_CALL_TIMEOUT_MS, NULL, NULL);
	if (!r)
		return NULL;
	g_variant_get(r, "(v)", &v);
	g_variant_unref(r);
	return v;
}

static bool qemu_guest_get_bool(struct qemu_guest *g, const char *iface, const char *prop, bool def)
{
	GVariant *v = qemu_guest_get_prop(g, iface, prop);
	bool out = def;

	if (v && g_variant_is_of_type(v, G_VARIANT_TYPE_BOOLEAN))
		out = g_variant_get_boolean(v);
	if (v)
		g_variant_unref(v);
	return out;
}

static uint32_t qemu_guest_get_u32(struct qemu_guest *g, const char *iface, const char *prop)
{
	GVariant *v = qemu_guest_get_prop(g, iface, prop);
	uint32_t out = 0;

	if (v && g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
		out = g_variant_get_uint32(v);
	if (v)
		g_variant_unref(v);
	return out;
}

int qemu_guest_sync_size(struct qemu_guest *g, enum fbhost_format format)
{
	uint32_t w = qemu_guest_get_u32(g, "org.qemu.Display1.Console", "Width");
	uint32_t h = qemu_guest_get_u32(g, "org.qemu.Display1.Console", "Height");

	if (!w || !h)
		return -EIO;
	return qemu_guest_follow_mode(g, w, h, format);
}

/* Mouse.IsAbsolute changes when a tablet comes and goes; Console.Width
 * and Height when QEMU switches to a new surface (see qemu-listener.c). */
static void qemu_guest_on_props(GDBusConnection *c, const gchar *sender, const gchar *path,
				const gchar *iface, const gchar *signal, GVariant *params,
				gpointer opaque)
{
	struct qemu_guest *g = opaque;
	struct fbhost_mode m = fbhost_fb_mode(g->fb);
	const char *changed_iface;
	GVariant *changed;
	gboolean abs;
	uint32_t w = m.width, h = m.height;
	bool sized;

	if (!g_variant_is_of_type(params, G_VARIANT_TYPE("(sa{sv}as)")))
		return;
	g_variant_get(params, "(&s@a{sv}@as)", &changed_iface, &changed, NULL);
	if (strcmp(changed_iface, "org.qemu.Display1.Mouse") == 0 &&
	    g_variant_lookup(changed, "IsAbsolute", "b", &abs))
		qemu_guest_input_set_abs(g, abs);
	if (strcmp(changed_iface, "org.qemu.Display1.Console") == 0) {
		sized = g_variant_lookup(changed, "Width", "u", &w);
		sized |= g_variant_lookup(changed, "Height", "u", &h);
		if (sized && w && h && g->state != QEMU_DISPLAY_REFUSED)
			qemu_guest_follow_mode(g, w, h, FBHOST_FORMAT_INVALID);
	}
	g_variant_unref(changed);
}

/* Drops the connection state; the picture stays. */
static void qemu_guest_disconnect(struct qemu_guest *g)
{
	qemu_guest_input_attach(g, NULL, false);
	if (g->listener) {
		if (g->closed_handler)
			g_signal_handler_disconnect(g->listener, g->closed_handler);
		if (g->listener_reg)
			g_dbus_connection_unregister_object(g->listener, g->listener_reg);
		if (g->listener_map_reg)
			g_dbus_connection_unregister_object(g->listener, g->listener_map_reg);
		g_dbus_connection_close_sync(g->listener, NULL, NULL);
		g_clear_object(&g->listener);
	}
	g->closed_handler = 0;
	g->listener_reg = g->listener_map_reg = 0;
	qemu_guest_map_release(g);
	g->map_logged = false;
	if (g->conn) {
		if (g->props_sub)
			g_dbus_connection_signal_unsubscribe(g->conn, g->props_sub);
		/* A p2p link is QEMU's alone; a bus may outlive this QEMU. */
		if (g->p2p || g_dbus_connection_is_closed(g->conn)) {
			g_dbus_connection_close_sync(g->conn, NULL, NULL);
			g_clear_object(&g->conn);
		}
	}
	g->props_sub = 0;
	g->connected = false;
}

/* QEMU went away (exited, killed, or dropped us). */
static void qemu_guest_on_closed(GDBusConnection *c, gboolean remote, GError *error,
				 gpointer opaque)
{
	struct qemu_guest *g = opaque;

	qlog(g, FBHOST_LOG_WARN,
	     "console %u disconnected (%s): keeping the last picture, reconnecting to %s",
	     g->console, error ? error->message : "closed", g->address);
	qemu_guest_disconnect(g);
	/* The VM's pointer went with it; the next VM defines its own. */
	fbhost_cursor_clear(g->fb);
	g->wait_logged = true;
	qemu_guest_schedule_retry(g);
}

/* One attempt: connection, listener registration, listener connection. */
static int qemu_guest_connect(struct qemu_guest *g, GError **error)
{
	if (!g->conn) {
		g->conn = g->p2p ? qemu_p2p_open(g->address, "fbhost-dbus", QEMU_QMP_TIMEOUT_MS,
						 error)
				 : g_dbus_connection_new_for_address_sync(
					   g->address,
					   G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
						   G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
					   NULL, NULL, error);
		if (!g->conn)
			return -1;
		g_dbus_connection_set_exit_on_close(g->conn, FALSE);
	}
	g->listener = qemu_p2p_register_listener(g->conn, qemu_guest_dest(g), g->console_path,
						 QEMU_CALL_TIMEOUT_MS, error);
	if (!g->listener)
		return -1;
	g_dbus_connection_set_exit_on_close(g->listener, FALSE);
	if (qemu_guest_listener_register(g, error) < 0)
		return -1;
	g->closed_handler =
		g_signal_connect(g->listener, "closed", G_CALLBACK(qemu_guest_on_closed), g);
	g->props_sub = g_dbus_connection_signal_subscribe(
		g->conn, qemu_guest_dest(g), "org.freedesktop.DBus.Properties", "PropertiesChanged",
		g->console_path, NULL, G_DBUS_SIGNAL_FLAGS_NONE, qemu_guest_on_props, g, NULL);
	qemu_guest_input_attach(
		g, g->conn, qemu_guest_get_bool(g, "org.qemu.Display1.Mouse", "IsAbsolute", false));
	qemu_guest_sync_size(g, FBHOST_FORMAT_INVALID);
	g_dbus_connection_start_message_processing(g->listener);
	g->connected = true;
	return 0;
}

static gboolean qemu_guest_try(gpointer opaque)
{
	struct qemu_guest *g = opaque;
	GError *error = NULL;

	if (g->retry) { /* NULL on the thread's first, direct call */
		g_source_unref(g->retry);
		g->retry = NULL;
	}
	if (qemu_guest_connect(g, &error) == 0) {
		qlog(g, FBHOST_LOG_INFO, "%s console %u at %s (%s)",
		     g->ever_connected ? "reconnected to" : "connected to", g->console, g->address,
		     g->p2p ? "p2p" : "bus");
		g->ever_connected = true;
		g->wait_logged = false;
		return G_SOURCE_REMOVE;
	}
	if (!g->wait_logged)
		qlog(g, g->ever_connected ? FBHOST_LOG_INFO : FBHOST_LOG_WARN,
		     "waiting for QEMU's display at %s console %u: %s", g->address, g->console,
		     error ? error->message : "failed");
	g->wait_logged = true;
	g_clear_error(&error);
	qemu_guest_disconnect(g);
	qemu_guest_schedule_retry(g);
	return G_SOURCE_REMOVE;
}

static void qemu_guest_schedule_retry(struct qemu_guest *g)
{
	if (g->retry)
		return;
	g->retry = g_timeout_source_new(QEMU_RETRY_MS);
	g_source_set_callback(g->retry, qemu_guest_try, g, NULL);
	g_source_attach(g->retry, g->ctx);
}

static void *qemu_guest_thread(void *opaque)
{
	struct qemu_guest *g = opaque;

	g_main_context_push_thread_default(g->ctx);
	qemu_guest_try(g);
	g_main_loop_run(g->loop);
	if (g->retry) {
		g_source_destroy(g->retry);
		g_source_unref(g->retry);
		g->retry = NULL;
	}
	qemu_guest_disconnect(g);
	g_clear_object(&g->conn);
	g_main_context_pop_thread_default(g->ctx);
	return NULL;
}

static void qemu_guest_free(struct qemu_guest *g)
{
	if (g->loop)
		g_main_loop_unref(g->loop);
	if (g->ctx)
		g_main_context_unref(g->ctx);
	pthread_mutex_destroy(&g->input_lock);
	free(g->address);
	free(g);
}

int guest_qemu_start(struct fbhost *host, struct fbhost_fb *fb, const char *args, void **state,
		     const char **err)
{
	struct qemu_guest *g = calloc(1, sizeof(*g));
	int rc;

	if (!g)
		return -ENOMEM;
	g->fb = fb;
	g->host = fbhost_fb_host(fb);
	g->map_fd = -1;
	pthread_mutex_init(&g->input_lock, NULL);
	rc = qemu_guest_parse(g, args, err);
	if (rc)
		goto fail_parse;
	g->ctx = g_main_context_new();
	g->loop = g_main_loop_new(g->ctx, FALSE);
	qemu_guest_input_install(g);
	rc = -pthread_create(&g->thread, NULL, qemu_guest_thread, g);
	if (rc)
		goto fail_thread;
	/* Named as every guest's thread ("guest" in /proc/PID/task/TID/comm),
	 * so that bench-qemu can tell it from GDBus's own "gdbus" thread. */
	pthread_setname_np(g->thread, GUEST_RUNNER_THREAD_NAME);
	*state = g;
	return 0;

fail_thread:
	fbhost_set_input(fb, NULL, NULL);
fail_parse:
	qemu_guest_free(g);
	return rc;
}

void guest_qemu_stop(void *state)
{
	struct qemu_guest *g = state;

	if (!g)
		return;
	fbhost_set_input(g->fb, NULL, NULL);
	g_main_loop_quit(g->loop);
	g_main_context_wakeup(g->ctx);
	pthread_join(g->thread, NULL);
	qemu_guest_free(g);
}
