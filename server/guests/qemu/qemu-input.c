/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/qemu/qemu-input.c - viewers' input back to QEMU, from the
 * frontend threads: keysyms become qnum key presses (qemu-keymap.c), the
 * pointer becomes SetAbsPosition (when the VM has a tablet, IsAbsolute) or
 * RelMotion, buttons become Press/Release, and a viewer's resize request
 * becomes Console.SetUIInfo (the guest's driver may follow with a Scanout of
 * the new size). Calls are sent without waiting for replies (GDBus sends are
 * thread-safe and keep the order of one thread's calls). While QEMU is away
 * input is dropped.
 */
#include <errno.h>
#include <string.h>

#include "server/guests/qemu/qemu-guest.h"
#include "server/guests/qemu/qemu-keymap.h"

/* Pixels per millimetre assumed for SetUIInfo's physical size (96 dpi). */
#define QEMU_INPUT_DPI 96u
#define QEMU_INPUT_MM_PER_INCH_X10 254u
/* RFB pointer buttons fbhost forwards: left, middle, right, wheel up/down
 * (bits 0..4), which are QEMU's button values 0..4. */
#define QEMU_INPUT_BUTTONS 5u

/* Takes a reference to the connection (NULL while disconnected). */
static GDBusConnection *qemu_input_conn(struct qemu_guest *g, bool *p2p)
{
	GDBusConnection *c;

	pthread_mutex_lock(&g->input_lock);
	c = g->input_conn ? g_object_ref(g->input_conn) : NULL;
	*p2p = g->input_p2p;
	pthread_mutex_unlock(&g->input_lock);
	return c;
}

/* Sends one call on the console object, not waiting for the reply. */
static void qemu_input_send(struct qemu_guest *g, GDBusConnection *c, bool p2p, const char *iface,
			    const char *method, GVariant *args)
{
	g_dbus_connection_call(c, p2p ? NULL : "org.qemu", g->console_path, iface, method, args,
			       NULL, G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, NULL, NULL, NULL);
}

static void qemu_input_key(void *opaque, struct fbhost_fb *fb, uint32_t keysym, bool down)
{
	struct qemu_guest *g = opaque;
	uint32_t qnum = qemu_keymap_qnum(keysym);
	GDBusConnection *c;
	bool p2p;

	if (!qnum)
		return;
	c = qemu_input_conn(g, &p2p);
	if (!c)
		return;
	qemu_input_send(g, c, p2p, "org.qemu.Display1.Keyboard", down ? "Press" : "Release",
			g_variant_new("(u)", qnum));
	g_object_unref(c);
}

/* Viewers that send scancodes (QEMU extended key events): qnum as is, so
 * any layout the guest uses works. */
static void qemu_input_key_code(void *opaque, struct fbhost_fb *fb, uint32_t keysym, uint32_t qnum,
				bool down)
{
	struct qemu_guest *g = opaque;
	GDBusConnection *c;
	bool p2p;

	if (!qnum) {
		qemu_input_key(opaque, fb, keysym, down);
		return;
	}
	c = qemu_input_conn(g, &p2p);
	if (!c)
		return;
	qemu_input_send(g, c, p2p, "org.qemu.Display1.Keyboard", down ? "Press" : "Release",
			g_variant_new("(u)", qnum));
	g_object_unref(c);
}

static void qemu_input_pointer(void *opaque, struct fbhost_fb *fb, int x, int y, uint32_t buttons)
{
	struct qemu_guest *g = opaque;
	const char *mouse = "org.qemu.Display1.Mouse";
	GDBusConnection *c;
	uint32_t old, changed;
	bool abs, moved, p2p;
	int dx, dy;
	unsigned i;

	c = qemu_input_conn(g, &p2p);
	if (!c)
		return;
	pthread_mutex_lock(&g->input_lock);
	abs = g->input_abs;
	old = g->input_buttons;
	dx = g->input_have_pos ? x - g->input_x : 0;
	dy = g->input_have_pos ? y - g->input_y : 0;
	moved = !g->input_have_pos || dx || dy;
	g->input_buttons = buttons;
	g->input_x = x;
	g->input_y = y;
	g->input_have_pos = true;
	pthread_mutex_unlock(&g->input_lock);

	if (moved && abs)
		qemu_input_send(g, c, p2p, mouse, "SetAbsPosition",
				g_variant_new("(uu)", (uint32_t)x, (uint32_t)y));
	else if (moved && (dx || dy))
		qemu_input_send(g, c, p2p, mouse, "RelMotion", g_variant_new("(ii)", dx, dy));
	changed = old ^ buttons;
	for (i = 0; i < QEMU_INPUT_BUTTONS; i++)
		if (changed & (1u << i))
			qemu_input_send(g, c, p2p, mouse, buttons & (1u << i) ? "Press" : "Release",
					g_variant_new("(u)", i));
	g_object_unref(c);
}

static int qemu_input_resize(void *opaque, struct fbhost_fb *fb, uint32_t width, uint32_t height)
{
	struct qemu_guest *g = opaque;
	uint32_t w_mm = width * QEMU_INPUT_MM_PER_INCH_X10 / (QEMU_INPUT_DPI * 10u);
	uint32_t h_mm = height * QEMU_INPUT_MM_PER_INCH_X10 / (QEMU_INPUT_DPI * 10u);
	GDBusConnection *c;
	bool p2p;

	c = qemu_input_conn(g, &p2p);
	if (!c)
		return -ENOTCONN;
	/* The framebuffer follows when the guest sends a Scanout of that size. */
	qemu_input_send(g, c, p2p, "org.qemu.Display1.Console", "SetUIInfo",
			g_variant_new("(qqiiuu)", (guint16)(w_mm > 0xffff ? 0xffff : w_mm),
				      (guint16)(h_mm > 0xffff ? 0xffff : h_mm), 0, 0, width,
				      height));
	g_object_unref(c);
	fbhost_log(g->host, FBHOST_LOG_INFO, "qemu: console %u: viewer asks for %ux%u (SetUIInfo)",
		   g->console, width, height);
	return 0;
}

void qemu_guest_input_install(struct qemu_guest *g)
{
	const struct fbhost_input_callbacks cb = {
		.key = qemu_input_key,
		.pointer = qemu_input_pointer,
		.resize_request = qemu_input_resize,
		.key_code = qemu_input_key_code,
	};

	fbhost_set_input(g->fb, &cb, g);
}

void qemu_guest_input_attach(struct qemu_guest *g, GDBusConnection *conn, bool abs)
{
	GDBusConnection *old;

	pthread_mutex_lock(&g->input_lock);
	old = g->input_conn;
	g->input_conn = conn ? g_object_ref(conn) : NULL;
	g->input_p2p = g->p2p;
	g->input_abs = abs;
	g->input_buttons = 0;
	g->input_have_pos = false;
	pthread_mutex_unlock(&g->input_lock);
	if (old)
		g_object_unref(old);
}

void qemu_guest_input_set_abs(struct qemu_guest *g, bool abs)
{
	pthread_mutex_lock(&g->input_lock);
	g->input_abs = abs;
	pthread_mutex_unlock(&g->input_lock);
}
