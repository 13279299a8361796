/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fbhost-guest.h - libfbhost-guest: draw into an fbhost framebuffer from
 * another process (pkg-config fbhost-guest; libc only). The library
 * attaches over fbhost's attach socket (fbhost --guest none), maps the
 * framebuffer's pixels (shared memory: plain stores draw), and tells fbhost
 * what changed in one of four ways (tracking):
 *   FBHOST_GUEST_UFFD     nothing to do: the kernel tracks writes (Linux 6.7+);
 *   FBHOST_GUEST_LOG      fbhost_guest_damage() sets bits in a shared log;
 *   FBHOST_GUEST_DAMAGE   fbhost_guest_damage() sends rectangles;
 *   FBHOST_GUEST_COMPARE  nothing to do: fbhost compares each frame.
 * Input (keys, pointer, clipboard, resize requests) and mode changes come
 * as events. A mode change maps a new buffer: draw in the old one until
 * fbhost_guest_next_event() returns the MODE event, then only in the new
 * one (fbhost_guest_frame()); the old one is gone then.
 *
 * One struct fbhost_guest is used by one thread at a time. Functions
 * return 0 (or a count) or -errno; fbhost_guest_error() says more.
 * Protocol: attach-protocol.md in fbhost's sources.
 */
#ifndef FBHOST_GUEST_H
#define FBHOST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How long attach and requests wait for fbhost's answer. */
#define FBHOST_GUEST_TIMEOUT_MS 5000

enum fbhost_guest_tracking {
	FBHOST_GUEST_DAMAGE = 0,
	FBHOST_GUEST_LOG = 1,
	FBHOST_GUEST_UFFD = 2,
	FBHOST_GUEST_COMPARE = 3,
};

/* Pixel formats (pixman codes, as fbhost's modes use). */
#define FBHOST_GUEST_X8R8G8B8 0x20020888u
#define FBHOST_GUEST_A8R8G8B8 0x20028888u
#define FBHOST_GUEST_R8G8B8 0x18020888u
#define FBHOST_GUEST_R5G6B5 0x10020565u
#define FBHOST_GUEST_X1R5G5B5 0x10020555u
#define FBHOST_GUEST_C8 0x08030000u

/* The mapped framebuffer: valid until the next MODE event. */
struct fbhost_guest_frame {
	void *pixels;
	uint32_t width, height, stride; /* stride in bytes */
	uint32_t format;		/* FBHOST_GUEST_* */
	uint64_t generation;
};

enum fbhost_guest_event_type {
	FBHOST_GUEST_EV_KEY = 1,
	FBHOST_GUEST_EV_POINTER,
	FBHOST_GUEST_EV_CLIPBOARD,
	FBHOST_GUEST_EV_RESIZE_REQUEST, /* a viewer asks; answer with request_mode (or not) */
	FBHOST_GUEST_EV_MODE,		/* the frame changed: re-read fbhost_guest_frame() */
	FBHOST_GUEST_EV_TRACKING,	/* tracking changed (e.g. fell back) */
	FBHOST_GUEST_EV_ERROR,		/* fbhost refused something */
	FBHOST_GUEST_EV_CLOSED,		/* fbhost closed the connection */
};

struct fbhost_guest_event {
	enum fbhost_guest_event_type type;
	union {
		struct {
			uint32_t keysym; /* X11 keysym */
			bool down;
		} key;
		struct {
			int x, y;
			uint32_t buttons; /* bit 0 left, 1 middle, 2 right, 3/4 wheel */
		} pointer;
		struct {
			const char *text; /* UTF-8, NUL-terminated; valid until the next call */
			size_t len;
		} clipboard;
		struct {
			uint32_t width, height;
		} resize;
		struct {
			uint32_t reason; /* 0 initial, 1 asked by us, 2 by fbhost (ctl, viewer) */
		} mode;
		struct {
			int mode; /* enum fbhost_guest_tracking */
		} tracking;
		struct {
			int code; /* errno */
			bool fatal;
			const char *text; /* valid until the next call */
		} error;
	};
};

struct fbhost_guest;

/* Connects to the attach socket at path (NULL: $FBHOST_GUEST_SOCKET, else
 * fbhost's default beside the control socket) and attaches framebuffer fb
 * (name or decimal id; NULL = 0). Tracking starts as FBHOST_GUEST_DAMAGE.
 * NULL+errno; err (may be NULL) gets the reason. */
struct fbhost_guest *fbhost_guest_attach(const char *path, const char *fb, char *err,
					 size_t errlen);
/* Detaches (the framebuffer keeps its picture) and frees g. */
void fbhost_guest_detach(struct fbhost_guest *g);
/* The last error's text. */
const char *fbhost_guest_error(const struct fbhost_guest *g);
/* The socket, for poll(POLLIN) in the caller's loop (events waiting). */
int fbhost_guest_fd(const struct fbhost_guest *g);
const struct fbhost_guest_frame *fbhost_guest_frame(const struct fbhost_guest *g);

/* Or'ed into the mode: "I call fbhost_guest_frame_done() after every
 * frame", so fbhost need not poll for plain stores (UFFD, LOG, COMPARE):
 * its render thread then idles between frames, and reads what was written
 * only after a frame_done (never half a frame). */
#define FBHOST_GUEST_FRAMES 0x100
/* Asks for a tracking mode and waits for fbhost's answer. Returns the mode
 * in force (UFFD falls back to COMPARE where the kernel lacks it) or
 * -errno. */
int fbhost_guest_set_tracking(struct fbhost_guest *g, int mode);
int fbhost_guest_tracking(const struct fbhost_guest *g);
/* "damage", "log", "uffd-wp", "compare". */
const char *fbhost_guest_tracking_name(int mode);

/* Reports a drawn rectangle: LOG sets its pages' bits, DAMAGE queues it
 * (sent when the queue fills and at fbhost_guest_frame_done); UFFD and
 * COMPARE need nothing. 0 or -errno. */
int fbhost_guest_damage(struct fbhost_guest *g, int x, int y, int w, int h);
/* A frame is complete: sends queued damage and asks fbhost to show it now
 * (otherwise it is found at the next render tick). 0 or -errno. */
int fbhost_guest_frame_done(struct fbhost_guest *g);

/* Asks for a new mode (format 0 = keep). The answer is a MODE event, or an
 * ERROR event if refused. 0 or -errno. */
int fbhost_guest_request_mode(struct fbhost_guest *g, uint32_t width, uint32_t height,
			      uint32_t format);
/* Sends clipboard text to the viewers (at most 4088 bytes). */
int fbhost_guest_send_clipboard(struct fbhost_guest *g, const char *utf8, size_t len);

/* Waits up to timeout_ms (-1: forever, 0: no wait) for the next event.
 * 1 with *ev filled, 0 on timeout, or -errno. A MODE event has been
 * acknowledged and the new frame mapped when it returns. */
int fbhost_guest_next_event(struct fbhost_guest *g, struct fbhost_guest_event *ev, int timeout_ms);

#ifdef __cplusplus
}
#endif

#endif
