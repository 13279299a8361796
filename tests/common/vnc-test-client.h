/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/common/vnc-test-client.h - a small VNC test client on libvncclient.
 *
 * Connects to a VNC server, keeps the client framebuffer as x8r8g8b8
 * (0x00RRGGBB per uint32_t, stride = width), and waits for updates with
 * bounded waits. Every wait pumps the connection on the calling thread; a
 * vtc is not thread-safe (one thread per client).
 *
 * Public prefix: vtc_.
 */
#ifndef FBHOST_TESTS_VNC_TEST_CLIENT_H
#define FBHOST_TESTS_VNC_TEST_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rfb/rfbclient.h>

/* Connection options; zero-initialised = raw-capable defaults from
 * libvncclient, shared, no password, "127.0.0.1". */
struct vtc_options {
	const char *host; /* NULL = "127.0.0.1" */
	int port;
	/* libvncclient encodings string, e.g. "raw", "zrle", "tight copyrect";
	 * NULL = libvncclient's default list. */
	const char *encodings;
	int compress_level; /* 0..9, used by zlib/tight/zrle */
	/* 0..9 enables JPEG in tight (lossy); -1 = lossless. Zero-initialised
	 * options get lossless: set use_quality to honour quality_level. */
	int quality_level;
	bool use_quality;
	const char *password; /* NULL = none */
	/* PEM file of the CA (or self-signed certificate) that VeNCrypt X509
	 * checks the server against; NULL = no X509 credentials. */
	const char *ca_file;
	bool exclusive; /* ask for exclusive access (shared flag 0) */
	/* Announce RichCursor, XCursor and PointerPos (appData.useRemoteCursor):
	 * the server sends the cursor shape instead of drawing it. */
	bool remote_cursor;
	unsigned connect_timeout_ms; /* 0 = 10000 */
};

struct vtc;

/* Connects, completes the handshake and requests a full update. NULL on
 * failure, with the reason in err (e.g. "authentication failed"). */
struct vtc *vtc_connect(const struct vtc_options *opt, char *err, size_t errlen);
/* Closes the connection and frees c. NULL is a no-op. */
void vtc_free(struct vtc *c);

/* Handles every message that arrives within timeout_ms (returns early once
 * a message was handled and no more is immediately pending). 0, or
 * -ECONNRESET if the server closed the connection. */
int vtc_pump(struct vtc *c, unsigned timeout_ms);
/* Waits for the next complete FramebufferUpdate: 0, -ETIMEDOUT, -ECONNRESET. */
int vtc_wait_update(struct vtc *c, unsigned timeout_ms);
/* Waits until the framebuffer is exactly w x h and equals expected
 * (x8r8g8b8, stride_px pixels per row; the x byte is ignored): 0,
 * -ETIMEDOUT (mismatch described by vtc_last_mismatch), -ECONNRESET. */
int vtc_wait_picture(struct vtc *c, const uint32_t *expected, uint32_t w, uint32_t h,
		     size_t stride_px, unsigned timeout_ms);
/* Waits until the framebuffer is w x h. */
int vtc_wait_size(struct vtc *c, uint32_t w, uint32_t h, unsigned timeout_ms);
/* Compares now without pumping. */
bool vtc_equals(struct vtc *c, const uint32_t *expected, uint32_t w, uint32_t h, size_t stride_px);
/* A line describing the last mismatch found ("size 640x480 != 800x600",
 * "pixel (3,4) 0x00ff0000 != 0x0000ff00"), for assertion messages. */
const char *vtc_last_mismatch(const struct vtc *c);

uint32_t vtc_width(const struct vtc *c);
uint32_t vtc_height(const struct vtc *c);
/* x8r8g8b8, stride = vtc_width(); valid until the next pump. */
const uint32_t *vtc_pixels(const struct vtc *c);

/* Counters since connect. */
uint64_t vtc_updates(const struct vtc *c); /* complete FramebufferUpdates */
uint64_t vtc_rects(const struct vtc *c);
uint64_t vtc_resizes(const struct vtc *c); /* framebuffer size changes */
/* Bytes received on the TCP socket (TCP_INFO), or 0 if unknown. */
uint64_t vtc_bytes_received(const struct vtc *c);
/* Last ServerCutText (NUL-terminated copy) or NULL. */
const char *vtc_cut_text(const struct vtc *c);

/* The last cursor shape received (GotCursorShape; libvncclient ignores
 * empty shapes) and position (PointerPos). pixels are x8r8g8b8, mask one
 * byte (0 or 1) per pixel, both width x height; valid until the next pump. */
struct vtc_cursor {
	uint64_t shapes; /* shapes received */
	uint32_t width, height;
	int hot_x, hot_y;
	const uint32_t *pixels; /* NULL before the first shape */
	const uint8_t *mask;
	uint64_t moves; /* PointerPos updates received */
	int x, y;
};
const struct vtc_cursor *vtc_cursor(const struct vtc *c);

/* Input; 0 or -EIO. */
int vtc_pointer(struct vtc *c, int x, int y, int buttons);
int vtc_key(struct vtc *c, uint32_t keysym, bool down);
int vtc_cut_text_send(struct vtc *c, const char *text);
/* Sends SetDesktopSize (needs ExtendedDesktopSize from the server). */
int vtc_request_size(struct vtc *c, uint32_t w, uint32_t h);

/* The underlying libvncclient object, for anything else. */
rfbClient *vtc_rfb(struct vtc *c);

#endif
