/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/qemu/qemu-guest.h - the "qemu" guest's shared state: one
 * framebuffer mirroring one console of a running QEMU over its D-Bus display
 * (-display dbus). The GLib main loop runs on the guest's own thread; the
 * frontend threads only send input. Internal to server/guests/qemu/ (GLib
 * types appear here, never in fbhost.h). Public prefix: qemu_guest_.
 */
#ifndef FBHOST_GUESTS_QEMU_GUEST_H
#define FBHOST_GUESTS_QEMU_GUEST_H

#include <gio/gio.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/lib/fbhost.h"

/* Pause between two connection attempts while QEMU is away, in ms. */
#define QEMU_RETRY_MS 200u
/* Bound of every D-Bus call the guest thread waits for, in ms. */
#define QEMU_CALL_TIMEOUT_MS 5000
/* Bound of the QMP handover in p2p mode, in ms. */
#define QEMU_QMP_TIMEOUT_MS 5000u
/* Longest console object path ("/org/qemu/Display1/Console_N"). */
#define QEMU_PATH_MAX_BYTES 64u
/* At most this many warnings about malformed or refused calls from QEMU
 * are logged per QEMU_WARN_WINDOW_NS; the rest are counted, and the count
 * is logged with the first warning of a later window. */
#define QEMU_WARN_BURST 10u
#define QEMU_WARN_WINDOW_NS 1000000000ull
/* Largest console number accepted in console=N. */
#define QEMU_MAX_CONSOLE 255u

/* Largest cursor side CursorDefine may give, in pixels (fbhost's limit;
 * QEMU's own cursors are at most 64x64). Larger ones are refused. */
#define QEMU_CURSOR_MAX_SIDE_PX FBHOST_CURSOR_MAX_SIDE_PX

/* What the framebuffer shows besides QEMU's picture. */
enum qemu_display_state {
	QEMU_DISPLAY_WAITING, /* never connected yet: the framebuffer's initial black */
	QEMU_DISPLAY_ON,      /* mirroring scanouts */
	QEMU_DISPLAY_OFF,     /* QEMU disabled the display ("display off" drawn) */
	QEMU_DISPLAY_REFUSED, /* a scanout fbhost cannot show (reason drawn) */
};

/* One running qemu guest. */
struct qemu_guest {
	/* Immutable after qemu_guest_start. */
	struct fbhost_fb *fb;
	struct fbhost *host;
	char *address; /* D-Bus bus address, or the QMP socket path when p2p */
	bool p2p;
	unsigned console;
	char console_path[QEMU_PATH_MAX_BYTES];
	GMainContext *ctx; /* the guest thread's context */
	GMainLoop *loop;
	pthread_t thread;

	/* Guest thread only. */
	GDBusConnection *conn;	   /* to QEMU's objects (the bus, or p2p) */
	GDBusConnection *listener; /* QEMU -> us: Listener calls */
	guint listener_reg;	   /* object registration on listener */
	guint listener_map_reg;	   /* its Listener.Unix.Map interface */
	gulong closed_handler;	   /* "closed" on listener */
	guint props_sub;	   /* PropertiesChanged subscription on conn */
	GSource *retry;		   /* pending reconnection attempt */
	bool connected;
	bool ever_connected;
	bool wait_logged; /* "waiting for QEMU" logged since the last loss */
	enum qemu_display_state state;
	/*
	 * The console's shared memory (Listener.Unix.Map, QEMU 9.2 and later):
	 * QEMU's memfd, shown in place (fbhost_fb_file_mapped) or, when it cannot be
	 * mapped, read with pread (see qemu-listener.c), the picture at
	 * map_offset. -1 while QEMU sends its pixels in the messages
	 * (QEMU 7.2, or a surface QEMU cannot share).
	 */
	int map_fd;
	size_t map_offset;
	uint32_t map_width, map_height, map_stride;
	enum fbhost_format map_format;
	bool map_logged; /* "shares the console's memory" logged on this connection */
	/* Warnings about QEMU's calls in the current second (qemu-listener.c). */
	uint64_t warn_window_ns;
	unsigned warn_in_window, warn_suppressed;

	/* Input from frontend threads. */
	pthread_mutex_t input_lock;  /* protects every field below */
	GDBusConnection *input_conn; /* a reference; NULL while disconnected */
	bool input_p2p;		     /* no bus name to address */
	bool input_abs;		     /* Mouse.IsAbsolute */
	uint32_t input_buttons;	     /* RFB button mask last sent */
	int input_x, input_y;	     /* last pointer position sent */
	bool input_have_pos;
};

/* qemu-listener.c: exports the Listener object on g->listener (guest
 * thread). 0 or -errno. */
int qemu_guest_listener_register(struct qemu_guest *g, GError **error);
/* Lets go of the console's shared memory, if any (guest thread). */
void qemu_guest_map_release(struct qemu_guest *g);
/* Switches the framebuffer to w x h in format (INVALID = keep the format)
 * unless it is that already; logs it. 0, or -errno (refusal drawn). Guest
 * thread. */
int qemu_guest_follow_mode(struct qemu_guest *g, uint32_t w, uint32_t h, enum fbhost_format format);
/* guest-qemu.c: reads the console's Width and Height and follows them in
 * format (INVALID = keep). 0 or -errno. Guest thread. */
int qemu_guest_sync_size(struct qemu_guest *g, enum fbhost_format format);
/* Draws the "display off"/"disconnected"-style notice text centred on a
 * black framebuffer of the current mode (guest thread). */
void qemu_guest_draw_notice(struct qemu_guest *g, const char *text);

/* qemu-heap.c: makes malloc keep blocks of message_bytes (a pixel
 * message's data, which GDBus copies) in the heap rather than mapping each
 * on its own; see there for why and what it costs. Any thread. */
void qemu_guest_heap_fit(struct qemu_guest *g, size_t message_bytes);

/* qemu-input.c: installs the framebuffer's input callbacks. */
void qemu_guest_input_install(struct qemu_guest *g);
/* Points input at conn (NULL = drop input), with IsAbsolute abs. Guest
 * thread. */
void qemu_guest_input_attach(struct qemu_guest *g, GDBusConnection *conn, bool abs);
/* Updates IsAbsolute (PropertiesChanged). */
void qemu_guest_input_set_abs(struct qemu_guest *g, bool abs);

#endif
