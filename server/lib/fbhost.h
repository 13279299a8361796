/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fbhost.h - embed fbhost's display server in a program (libfbhost,
 * pkg-config name "fbhost").
 *
 * A host owns the emulated guest RAM and one render thread. Framebuffers
 * added to the host live in that RAM: the program draws into them (directly
 * through a pixel pointer, then fbhost_damage(), or with the fill/blit/copy
 * helpers, which mark their damage themselves), and the render thread sends
 * only the changed rectangles to the frontends enabled on each framebuffer:
 * VNC (with the noVNC browser viewer on a web port), an SDL window, and the
 * headless shadow behind fbhost_screendump().
 *
 *	struct fbhost *h = fbhost_new(NULL);
 *	struct fbhost_fb *fb = fbhost_fb_add(h, "main", 640, 480, FBHOST_FORMAT_X8R8G8B8);
 *	fbhost_fill(fb, 0, 0, 640, 480, 0x203040);
 *	fbhost_enable_vnc(fb, NULL);            // 127.0.0.1:5900
 *	...
 *	fbhost_free(h);
 *
 * Thread-safety is stated at every function. "Any thread" means the call may
 * run concurrently with any other call on the same objects, except the
 * destructors (fbhost_free, fbhost_fb_remove), which must not race with
 * other calls on the objects they free.
 *
 * Errors: functions return 0 or a negative errno value (or NULL with errno
 * set); a one-line explanation also goes to the host's log callback, and
 * fbhost_last_error() returns it to the calling thread (to show a user the
 * same words the log has).
 *
 * Public prefix: fbhost_ / FBHOST_. No type of LibVNCServer, SDL, pixman or
 * liburcu appears here.
 */
#ifndef FBHOST_FBHOST_H
#define FBHOST_FBHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FBHOST_VERSION_STRING "0.1.0"

/* Pixel formats. Values are stored in native-endian words of the given
 * size; the names give the bits from most to least significant. */
enum fbhost_format {
	FBHOST_FORMAT_INVALID = 0,
	FBHOST_FORMAT_C8,	/* 8-bit palette index (fbhost_set_palette) */
	FBHOST_FORMAT_X1R5G5B5, /* 16 bits */
	FBHOST_FORMAT_R5G6B5,	/* 16 bits */
	FBHOST_FORMAT_R8G8B8,	/* 24 bits, packed */
	FBHOST_FORMAT_X8R8G8B8, /* 32 bits */
	FBHOST_FORMAT_A8R8G8B8, /* 32 bits */
};

/* Name ("x8r8g8b8", "r5g6b5", "c8", ...) of a format, or NULL. Any thread. */
const char *fbhost_format_name(enum fbhost_format format);
/* The format with that name (also "8", "15", "16", "24", "32"), or
 * FBHOST_FORMAT_INVALID. Any thread. */
enum fbhost_format fbhost_format_parse(const char *name);
/* Bytes per pixel, or 0 for an invalid format. Any thread. */
unsigned fbhost_format_bytes(enum fbhost_format format);

/* Largest width or height of a framebuffer. */
#define FBHOST_MAX_SIDE_PX 16384u
/* Largest framebuffer in bytes (stride x height): 8K (7680x4320) at 32 bpp. */
#define FBHOST_MAX_FB_BYTES ((uint64_t)7680 * 4320 * 4)
/* Largest width when VNC is enabled on the framebuffer. */
#define FBHOST_VNC_MAX_WIDTH_PX 8192u

/* ---- the host ------------------------------------------------------------ */

enum fbhost_log_level {
	FBHOST_LOG_ERROR = 0,
	FBHOST_LOG_WARN,
	FBHOST_LOG_INFO,
	FBHOST_LOG_DEBUG,
};

/* Host settings; a zeroed struct (or NULL) gives the defaults. */
struct fbhost_config {
	/* Render rate in ticks per second; 0 = 60. At most FBHOST_MAX_RATE_HZ. */
	unsigned rate_hz;
	/* Messages at or below this level are logged; 0 = FBHOST_LOG_ERROR,
	 * so use FBHOST_LOG_INFO to see connects and addresses. */
	enum fbhost_log_level log_level;
	/* Log sink, one line without newline; NULL = stderr. Called from any
	 * of the host's threads, possibly concurrently. */
	void (*log)(void *opaque, enum fbhost_log_level level, const char *line);
	void *log_opaque;
};
#define FBHOST_MAX_RATE_HZ 1000u

struct fbhost;

/* Creates a host and starts its render thread. NULL+errno (EINVAL for a bad
 * config, ENOMEM). Any thread. */
struct fbhost *fbhost_new(const struct fbhost_config *cfg);
/* Stops every frontend (disconnecting VNC clients), the render thread, and
 * frees every framebuffer and the host. NULL is a no-op. Not concurrently
 * with any other call on h or its framebuffers. */
void fbhost_free(struct fbhost *h);
/* The message of this thread's last failed libfbhost call, as logged but
 * without the framebuffer name the log line starts with ("mode 9000x16
 * x8r8g8b8 is too large for VNC (width at most 8192)"); "" if none failed.
 * Thread-local: valid until this thread's next failing call. Any thread. */
const char *fbhost_last_error(void);
/* The host's clock: CLOCK_MONOTONIC in nanoseconds, the clock of libfbhost's
 * own timing (render ticks, latencies). For a guest's or embedder's frame
 * pacing. Any thread. */
uint64_t fbhost_now_ns(void);
/* Longest fbhost_last_error() and log line, NUL included. */
#define FBHOST_ERROR_MAX_BYTES 512u
/* Sets the log level. Any thread. */
void fbhost_set_log_level(struct fbhost *h, enum fbhost_log_level level);
/* Logs one line through the host's log sink (printf-style). Any thread. */
void fbhost_log(struct fbhost *h, enum fbhost_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- framebuffers -------------------------------------------------------- */

struct fbhost_fb;

/* Adds a framebuffer of width x height in format, all black, and puts it on
 * the render thread. name (copied) must be unique in the host; NULL+errno:
 * EINVAL (bad size, format or name), EEXIST (name taken), E2BIG (too many
 * bytes), ENOMEM. Its id is the number of framebuffers added before it.
 * Any thread. */
struct fbhost_fb *fbhost_fb_add(struct fbhost *h, const char *name, uint32_t width, uint32_t height,
				enum fbhost_format format);
/* Stops its frontends and frees it. Not concurrently with other calls on fb. */
void fbhost_fb_remove(struct fbhost_fb *fb);
/* Lookups: NULL if none. Any thread; the result is valid until the
 * framebuffer is removed. */
struct fbhost_fb *fbhost_fb_by_id(struct fbhost *h, unsigned id);
struct fbhost_fb *fbhost_fb_by_name(struct fbhost *h, const char *name);
/* Number of framebuffers added so far (ids are 0 .. count-1, minus removed
 * ones). Any thread. */
unsigned fbhost_fb_count(struct fbhost *h);
/* A framebuffer's id, name (valid while it exists) and host: immutable,
 * any thread. */
unsigned fbhost_fb_id(const struct fbhost_fb *fb);
const char *fbhost_fb_name(const struct fbhost_fb *fb);
struct fbhost *fbhost_fb_host(const struct fbhost_fb *fb);

/* A mode: stride is in bytes. */
struct fbhost_mode {
	uint32_t width;
	uint32_t height;
	uint32_t stride;
	enum fbhost_format format;
};
/* The current mode, a consistent copy. Any thread. */
struct fbhost_mode fbhost_fb_mode(struct fbhost_fb *fb);
/* Bumped by every mode change of fb: a guest compares two values to see
 * whether the mode changed in between (and redraws). Any thread. */
uint64_t fbhost_fb_mode_generation(struct fbhost_fb *fb);
/* Whether a framebuffer of width x height in format is within the size
 * limits (FBHOST_MAX_SIDE_PX, FBHOST_MAX_FB_BYTES): 0, -EINVAL (bad size or
 * format) or -E2BIG. Checks only; fbhost_resize also applies the VNC width
 * rule. Any thread. */
int fbhost_mode_check(uint32_t width, uint32_t height, enum fbhost_format format);

/*
 * Changes the mode at runtime; connected viewers follow live. The top-left
 * overlap keeps its picture (converted); the rest is black. 0, or -EINVAL
 * (bad size/format), -E2BIG (too large, or wider than
 * FBHOST_VNC_MAX_WIDTH_PX with VNC on), -ENOMEM; nothing changes on error.
 * Any thread; mode changes of one framebuffer are serialised.
 */
int fbhost_resize(struct fbhost_fb *fb, uint32_t width, uint32_t height, enum fbhost_format format);

/*
 * Shows pixels that another process owns and keeps writing (QEMU's shared
 * console memory) without copying them: the new mode is mode->width x
 * mode->height of mode->format, mode->stride bytes a row, stored in the
 * regular file fd (a memfd) from offset on. fbhost maps the file privately:
 * the owner's writes show, and fbhost's own drawing (fill, blit, pixels)
 * never reaches the file. Mark what the owner changed with fbhost_damage.
 * If the owner shrinks the file, what fbhost reads of it turns black
 * instead of crashing (fbhost_fb_file_mapped says so). fd is not kept.
 * The next fbhost_resize or fbhost_unmap_file copies the picture into
 * fbhost's own memory. 0, or -errno as fbhost_resize, -EINVAL for a file
 * shorter than offset + stride x height or not a regular file, -ENOSPC
 * with 64 files mapped at once in the process. Any thread.
 */
int fbhost_map_file(struct fbhost_fb *fb, int fd, uint64_t offset, const struct fbhost_mode *mode);
/* Copies a file-mapped picture into fbhost's own memory (same size, tight
 * stride) and lets the file go; nothing for a mode that is not mapped. 0
 * or -errno. Any thread. */
int fbhost_unmap_file(struct fbhost_fb *fb);
/* Whether fb shows a mapped file now, and (lost, may be NULL) whether the
 * file shrank under fbhost, which then shows black there. Any thread. */
bool fbhost_fb_file_mapped(struct fbhost_fb *fb, bool *lost);

/*
 * Direct pixel access. Between fbhost_pixels_begin and fbhost_pixels_end,
 * px->data points at width x height pixels of px->format, px->stride bytes
 * per row. Mark what you wrote with fbhost_damage (before or after end). Everything
 * drawn between one begin and its end is shown atomically: draw one frame
 * per begin/end and viewers never see half of it (keep it shorter than a
 * render tick). If another thread changes the mode meanwhile, the memory
 * stays valid but the writes use the old layout (see fb_access in fb/fb.h).
 * Do not block in between; nesting is allowed. Any thread.
 */
struct fbhost_pixels {
	void *data;
	uint32_t width;
	uint32_t height;
	uint32_t stride;
	enum fbhost_format format;
	uint64_t priv[6]; /* private */
};
void fbhost_pixels_begin(struct fbhost_fb *fb, struct fbhost_pixels *px);
void fbhost_pixels_end(struct fbhost_fb *fb, struct fbhost_pixels *px);
/* Between begin and end: marks the rectangle as changed in the section's
 * layout (px's mode, which is what a guest drew in even if the mode changed
 * meanwhile). Clipped. 0 or -EINVAL (negative size). */
int fbhost_pixels_damage(struct fbhost_fb *fb, const struct fbhost_pixels *px, int x, int y, int w,
			 int h);
/* Between begin and end: moves the w x h pixels at sx,sy to dx,dy as
 * fbhost_copy does, in the section's layout; mark what was drawn into the
 * source first. 0 or -EINVAL. Never waits for the render thread. */
int fbhost_pixels_copy(struct fbhost_fb *fb, const struct fbhost_pixels *px, int sx, int sy, int dx,
		       int dy, int w, int h);
/* Marks the rectangle as changed (clipped to the mode): the render thread
 * sends it on the next tick. 0 or -EINVAL (negative size). Any thread,
 * wait-free with respect to the render thread. */
int fbhost_damage(struct fbhost_fb *fb, int x, int y, int w, int h);

/* Fills a rectangle with the colour 0xRRGGBB (for FBHOST_FORMAT_C8: the
 * palette index in the low 8 bits) and marks it damaged. Clipped. 0 or
 * -EINVAL. Any thread. The colour is converted under the mode it is written
 * with; only a switch into or out of C8 racing with the call can pair the
 * value with the other meaning (a colour taken as an index or back). */
int fbhost_fill(struct fbhost_fb *fb, int x, int y, int w, int h, uint32_t rgb);
/* Moves the w x h pixels at sx,sy to dx,dy (overlap allowed, clipped so
 * both rectangles lie in the framebuffer), as a blitter does. VNC viewers
 * that support CopyRect repeat the move instead of receiving the pixels,
 * which makes scrolling cheap; other viewers get the pixels. Mark (fbhost_damage) anything drawn
 * into the source before moving it. 0 or -EINVAL. Any thread; never waits for the render thread. */
int fbhost_copy(struct fbhost_fb *fb, int sx, int sy, int dx, int dy, int w, int h);
/* Copies a w x h image (stride bytes per row, in src_format, which may not
 * be FBHOST_FORMAT_C8) to x,y, converting formats, and marks it damaged.
 * Clipped. 0, -EINVAL (also for a stride, or stride x h, above
 * FBHOST_BLIT_MAX_BYTES) or -ENOMEM. Any thread. */
/* Largest source stride, and largest stride x height, of fbhost_blit, in
 * bytes: pixman addresses rows with int (INT_MAX). */
#define FBHOST_BLIT_MAX_BYTES 2147483647u
int fbhost_blit(struct fbhost_fb *fb, int x, int y, const void *src, uint32_t w, uint32_t h,
		uint32_t stride, enum fbhost_format src_format);
/* Sets palette entries [first, first+count) to 0xRRGGBB values. 0 or
 * -EINVAL. Any thread. */
int fbhost_set_palette(struct fbhost_fb *fb, unsigned first, unsigned count, const uint32_t *rgb);

/* ---- the guest's pointer ------------------------------------------------- */

/*
 * A guest with a pointer of its own (a VM's cursor) defines its image and
 * moves it; fbhost never draws it into the framebuffer. VNC viewers that
 * support cursor shapes (RichCursor/XCursor pseudo-encodings) draw it
 * locally, at their own pointer, and those with PointerPos also follow the
 * guest's moves; the SDL window uses it as its mouse cursor. Viewers
 * without cursor-shape support get no cursor (see README).
 */
/* Largest cursor width or height, in pixels. */
#define FBHOST_CURSOR_MAX_SIDE_PX 256u
/* Defines the pointer image: width x height pixels of ARGB32 with straight
 * (not premultiplied) alpha, native-endian 0xAARRGGBB words, stride bytes
 * per row; the hotspot hot_x,hot_y lies inside it. Copied. The position
 * and visibility stay as they were (initially 0,0 and shown). 0, -EINVAL
 * (a side outside 1..FBHOST_CURSOR_MAX_SIDE_PX, hotspot outside, stride
 * below width*4, argb NULL: logged, nothing changes) or -ENOMEM. Any
 * thread. */
int fbhost_cursor_define(struct fbhost_fb *fb, uint32_t width, uint32_t height, uint32_t hot_x,
			 uint32_t hot_y, const uint32_t *argb, uint32_t stride);
/* Removes the pointer image (viewers show none). Any thread. */
void fbhost_cursor_clear(struct fbhost_fb *fb);
/* Moves the hotspot to x,y (framebuffer pixels). Any thread. */
void fbhost_cursor_move(struct fbhost_fb *fb, int x, int y);
/* Shows or hides the pointer image. Any thread. */
void fbhost_cursor_show(struct fbhost_fb *fb, bool visible);

/* ---- input from viewers -------------------------------------------------- */

/* Pointer buttons as in RFB: bit 0 left, 1 middle, 2 right, 3/4 wheel. */
struct fbhost_input_callbacks {
	/* keysym is an X11 keysym (XK_a, XK_Return, ...). */
	void (*key)(void *opaque, struct fbhost_fb *fb, uint32_t keysym, bool down);
	/* x, y in framebuffer pixels, clamped to the mode. */
	void (*pointer)(void *opaque, struct fbhost_fb *fb, int x, int y, uint32_t buttons);
	/* Clipboard text, UTF-8, not NUL-terminated. */
	void (*clipboard)(void *opaque, struct fbhost_fb *fb, const char *utf8, size_t len);
	/* A viewer asks for a new size (VNC SetDesktopSize, SDL window
	 * resize). Return 0 to accept (then call fbhost_resize, now or later)
	 * or a negative errno to refuse. NULL = refuse. */
	int (*resize_request)(void *opaque, struct fbhost_fb *fb, uint32_t width, uint32_t height);
	/* Optional: a key with its scancode, from viewers that send one (QEMU
	 * extended key events). qnum is QEMU's key number: the PC AT set-1
	 * scancode, 0xe0-prefixed keys as 0x80 | code. NULL = key gets the
	 * keysym alone. */
	void (*key_code)(void *opaque, struct fbhost_fb *fb, uint32_t keysym, uint32_t qnum,
			 bool down);
};
/*
 * A framebuffer has one input path with up to FBHOST_INPUT_HANDLERS_MAX
 * handlers: the embedder's (fbhost_set_input) and those added with
 * fbhost_input_add (a guest's, for example). Keys, pointer events and
 * clipboard text go to every handler, the embedder's first, then the others
 * in the order added; a resize request goes to the first handler with a
 * resize_request callback, whose answer is final (-ENOTSUP if none has one).
 * Callbacks run on frontend threads, possibly concurrently with each other,
 * so they must be thread-safe.
 */
#define FBHOST_INPUT_HANDLERS_MAX 8u
/* Installs the embedder's callbacks (copied; any may be NULL; cb NULL
 * removes them), replacing the previous ones set here. Returns when no call
 * of the previous ones is running on another thread. Any thread. */
void fbhost_set_input(struct fbhost_fb *fb, const struct fbhost_input_callbacks *cb, void *opaque);
/* Adds a handler next to the others; opaque (not NULL) names it. 0, -EINVAL,
 * -EEXIST (opaque added already) or -ENOSPC (FBHOST_INPUT_HANDLERS_MAX
 * handlers). Any thread. */
int fbhost_input_add(struct fbhost_fb *fb, const struct fbhost_input_callbacks *cb, void *opaque);
/* Removes the handler added with opaque; returns when no call of it is
 * running on another thread, so opaque may be freed then. Any thread,
 * also from inside a callback (which must not free opaque before it
 * returns). */
void fbhost_input_remove(struct fbhost_fb *fb, void *opaque);
/* Sends clipboard text to the viewers. Any thread. */
void fbhost_send_clipboard(struct fbhost_fb *fb, const char *utf8, size_t len);

/* ---- frontends ----------------------------------------------------------- */

/* VNC settings; a zeroed struct (or NULL) gives the defaults. */
struct fbhost_vnc_options {
	/* Listen address; NULL = loopback (127.0.0.1 and ::1). Any other
	 * address needs password_file, or insecure. */
	const char *host;
	/* TCP port; 0 = 5900. FBHOST_PORT_ANY = any free port (read it back
	 * with fbhost_vnc_port). */
	int port;
	/* First line = VNC password, optional second line = view-only
	 * password; NULL = none */
	const char *password_file;
	bool insecure; /* allow a non-loopback listen without a password */
	/* PEM cert (+key) for VeNCrypt X509, wss:// and https://; NULL = none */
	const char *cert_file;
	bool tls_only;	/* refuse clients without TLS (needs cert_file) */
	bool view_only; /* drop viewers' keyboard and pointer input */
};
#define FBHOST_PORT_ANY (-1)

/*
 * Serves the framebuffer over VNC (and WebSockets on the same port). If
 * fbhost_enable_web was called before, the noVNC viewer is served too.
 * 0 or -errno: -EADDRINUSE/-EACCES (bind), -EPERM (non-loopback without a
 * password), -EINVAL (bad options), -EALREADY, -ENOTSUP (built without VNC).
 * Any thread.
 */
int fbhost_enable_vnc(struct fbhost_fb *fb, const struct fbhost_vnc_options *opt);
/*
 * Serves the noVNC browser viewer over HTTP on port (FBHOST_PORT_ANY = any
 * free port, 0 = the VNC port minus 100) from web_root (NULL = the viewer
 * that came with libfbhost: the build tree's, or the installed copy). Call
 * it before fbhost_enable_vnc; called after, it restarts the VNC server
 * (its viewers must reconnect), and if the viewer cannot be served VNC goes
 * on without it. 0 or -errno as fbhost_enable_vnc (-ENOENT: no noVNC files).
 * Any thread.
 */
int fbhost_enable_web(struct fbhost_fb *fb, int port, const char *web_root);
/* Stops serving the viewer (a running VNC server is restarted without it).
 * Any thread. */
void fbhost_disable_web(struct fbhost_fb *fb);
/* Stops VNC (and the web viewer) for fb, disconnecting its clients. Any
 * thread. */
void fbhost_disable_vnc(struct fbhost_fb *fb);
/* Bound ports, or -1 when not serving. Any thread. */
int fbhost_vnc_port(struct fbhost_fb *fb);
int fbhost_web_port(struct fbhost_fb *fb);
/* Writes the browser viewer URL into buf (NUL-terminated, truncated to
 * size). 0, or -ENOENT without a web viewer. Any thread. */
int fbhost_web_url(struct fbhost_fb *fb, char *buf, size_t size);

/* SDL window options; all false is QEMU's -display sdl default. */
struct fbhost_sdl_options {
	bool integer_scale;   /* scale by whole factors only (letterboxed) */
	bool resize_requests; /* resizing the window asks the guest for that mode */
	bool no_quit;	      /* closing the window closes only the window (QEMU -no-quit) */
	bool fullscreen;      /* start fullscreen (Ctrl+Alt+F toggles) */
};

/*
 * Opens an SDL window showing the framebuffer (opt NULL = defaults). 0 or
 * -errno: -ENODEV (no display), -ENOTSUP (built without SDL), -EALREADY.
 * Any thread; the window runs on its own thread. When the user closes the
 * window (and no_quit is off), the callback fbhost_set_quit_callback
 * installed is called.
 */
int fbhost_enable_sdl(struct fbhost_fb *fb, const struct fbhost_sdl_options *opt);
/* Called (on a frontend thread) when a viewer asks to quit, e.g. the SDL
 * window is closed. Any thread. */
void fbhost_set_quit_callback(struct fbhost *h, void (*quit)(void *opaque), void *opaque);

/* ---- screendumps and statistics ----------------------------------------- */

/* Writes the picture the viewers see now (after the damage marked so far
 * has been rendered) as a PNG file. The first call attaches a headless
 * shadow to fb, which then follows its updates until fb is removed. 0 or -errno (-ETIMEDOUT if the
 * render thread did not catch up within FBHOST_SCREENDUMP_TIMEOUT_MS, or the file's errno). Any
 * thread; blocks up to that bound. */
int fbhost_screendump(struct fbhost_fb *fb, const char *png_path);
#define FBHOST_SCREENDUMP_TIMEOUT_MS 5000u

/* Counters of one framebuffer: monotonic except clients and the mode. */
struct fbhost_stats {
	uint64_t ticks;		  /* render ticks that looked at this framebuffer */
	uint64_t dirty_pages;	  /* dirty pages found */
	uint64_t rects;		  /* changed rectangles handed to frontends */
	uint64_t pixels;	  /* changed pixels handed to frontends */
	uint64_t switches;	  /* mode switches */
	uint64_t last_tick_ns;	  /* cost of the last render tick */
	uint64_t latency_ns_last; /* last first-damage-to-update latency */
	unsigned rate_hz;	  /* configured render rate */
	double ticks_per_s;	  /* measured render rate since the host started */
	/* VNC, zero when off */
	unsigned clients;
	uint64_t vnc_updates;
	uint64_t vnc_rects;
	uint64_t vnc_bytes_sent;
	uint64_t vnc_connects;
	uint64_t vnc_disconnects;
	/* Write tracking (fbhost_fb_track_writes, attached guests): "damage",
	 * "log", "uffd-wp" or "compare" (static), and the pages it found
	 * written. */
	const char *tracking;
	uint64_t tracked_pages;
};
/* Fills st. Any thread. */
void fbhost_get_stats(struct fbhost_fb *fb, struct fbhost_stats *st);

#define FBHOST_ADDRESS_MAX 64
#define FBHOST_ENCODING_MAX 16
/* One connected viewer, a snapshot. */
struct fbhost_client {
	uint64_t id;			    /* unique per framebuffer, never reused */
	char address[FBHOST_ADDRESS_MAX];   /* "127.0.0.1:40000" */
	char encoding[FBHOST_ENCODING_MAX]; /* "tight", "raw", ... */
	bool websocket;
	uint64_t updates;
	uint64_t rects;
	uint64_t bytes_sent;
	uint64_t connected_ms;
};
/* Copies up to max clients into out and returns how many are connected
 * (which may exceed max). Any thread. */
size_t fbhost_clients(struct fbhost_fb *fb, struct fbhost_client *out, size_t max);
/* Disconnects a viewer. 0 or -ENOENT. Any thread. */
int fbhost_disconnect(struct fbhost_fb *fb, uint64_t client_id);

/* ---- write tracking and guests in other processes ------------------------ */

/*
 * For drawing code that cannot call fbhost_damage(): the render thread
 * finds the pages written since its last tick by itself, through the
 * kernel (userfaultfd async write-protect and PAGEMAP_SCAN, Linux 6.7+) or,
 * where the kernel lacks them, by comparing the frame against a shadow
 * each tick (logged as a warning). Pointers from fbhost_pixels_begin stay
 * valid for plain stores until the next mode change. The render thread
 * then ticks at its full rate while viewers are connected. Returns the
 * tracking now in force ("uffd-wp" or "compare") or NULL with errno. Any
 * thread.
 */
const char *fbhost_fb_track_writes(struct fbhost_fb *fb);

/*
 * Serves the host's framebuffers to guests in other processes over the
 * attach protocol (server/lib/attach/attach-protocol.md; client library
 * fbhost-guest.h) on a Unix socket at path (mode 0600; a stale socket
 * there is replaced). One per host; stopped by fbhost_free. 0 or -errno.
 */
int fbhost_attach_listen(struct fbhost *h, const char *path);
/* Whether a framebuffer is attached, by which process, and its tracking
 * ("log", "uffd-wp", "compare", "damage"). Any thread; 0. */
struct fbhost_attach_status {
	bool attached;
	int pid;
	const char *tracking; /* static */
};
int fbhost_attach_status(struct fbhost_fb *fb, struct fbhost_attach_status *st);

#ifdef __cplusplus
}
#endif

#endif
