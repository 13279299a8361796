/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/fb.h - emulated guest framebuffers, the render thread, and the listener
 * interface every frontend (VNC, SDL, headless) plugs into.
 *
 * Data flow: a guest writes pixels into guest RAM (memory/) through one of the
 * fb_* write paths, which mark the pages touched dirty for every dirty client.
 * The render thread wakes each tick, snapshot-and-clears the VGA bits of each
 * framebuffer's bytes, turns dirty pages into a pixman region of changed
 * rectangles and hands it to the framebuffer's listeners.
 *
 * Public prefix: fb_.
 */
#ifndef FBHOST_FB_FB_H
#define FBHOST_FB_FB_H

#include <pixman.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memory/ram.h"

/* Limits, enforced by fb_set_mode() and fb_new(). */
#define FB_MAX_SIDE_PX 16384u
/* Default byte cap of one mode: 8K (7680x4320) at 32 bpp. */
#define FB_DEFAULT_MAX_BYTES ((uint64_t)7680 * 4320 * 4)
#define FB_DEFAULT_RATE_HZ 60u
/* The render thread's name (ps, /proc/PID/task/TID/comm). */
#define FB_RENDER_THREAD_NAME "fb-render"
/* Highest render rate fb_render_new accepts. */
#define FB_MAX_RATE_HZ 1000u
#define FB_IDLE_RATE_HZ 1u
/* Page size (log2 bytes) recommended for the RAM list that holds
 * framebuffers: 512 B, the smallest memory/ allows, is 128 px of a 32 bpp
 * scanline. The dirty bitmap is the damage's horizontal resolution, so
 * 4 KiB pages would make a 32 px change cost 1024 px of every row it
 * touches in every later stage; the bitmap stays small (2 KiB per dirty
 * client for 1920x1080x32). */
#define FB_RAM_PAGE_BITS 9u

/*
 * A framebuffer mode. Formats: PIXMAN_c8 (8-bit indexed, palette set with
 * fb_set_palette), PIXMAN_x1r5g5b5, PIXMAN_r5g6b5, PIXMAN_r8g8b8,
 * PIXMAN_x8r8g8b8 and PIXMAN_a8r8g8b8. stride is in bytes; 0 asks for the
 * tightest stride that pixman accepts (a multiple of 4).
 */
struct fb_mode {
	uint32_t width;
	uint32_t height;
	uint32_t stride;
	pixman_format_code_t format;
};

/* Bytes per pixel of a supported format, or 0 if unsupported. */
unsigned fb_format_bpp(pixman_format_code_t format);
/* "x8r8g8b8" etc. <-> format. fb_format_parse returns 0 if unknown. */
const char *fb_format_name(pixman_format_code_t format);
pixman_format_code_t fb_format_parse(const char *name);
/* Validates m (filling in a 0 stride) against the limits: 0 or -EINVAL/-E2BIG. */
int fb_mode_check(struct fb_mode *m, uint64_t max_bytes);

struct fb_device;
struct fb_listener;
struct fb_render;

/* ---- the framebuffer device ------------------------------------------- */

struct fb_config {
	const char *name;
	struct fb_mode mode;
	uint64_t max_bytes; /* 0 = FB_DEFAULT_MAX_BYTES */
};

/* Creates a framebuffer with its pixels in a new block of rl, all black.
 * NULL+errno (EINVAL, E2BIG, ENOMEM). Thread-safe. */
struct fb_device *fb_new(struct ram_list *rl, const struct fb_config *cfg);
/* Frees fb. If it is still on a render thread it is removed first; listeners
 * still attached are detached and their destroy op is called. */
void fb_free(struct fb_device *fb);
const char *fb_name(const struct fb_device *fb);
/* The current mode (a consistent copy). Any thread. */
struct fb_mode fb_get_mode(struct fb_device *fb);
/* Bumped by every mode change; any thread. */
uint64_t fb_mode_generation(struct fb_device *fb);

/*
 * Changes the mode at runtime. Adds a new RAM block when the current one
 * cannot hold the mode, publishes the new mode with RCU and frees the old
 * block after a grace period. The overlapping top-left area keeps its picture
 * (converted); the rest is black. 0, or -EINVAL (bad size/format) / -E2BIG
 * (over the byte cap) / -ENOMEM, in which case nothing changed.
 * Mode changes serialise on a per-fb mutex; writers never wait for it.
 */
int fb_set_mode(struct fb_device *fb, const struct fb_mode *mode);
/*
 * Changes the mode to pixels that another process owns and writes (QEMU's
 * shared console memory), without copying them: the frame is the
 * stride x height bytes of fd from offset on, mapped privately
 * (ram_block_add_file). That process's writes show; writes through fb/
 * stay private, so they never reach its memory. The whole frame is marked
 * dirty once; after that, mark what the owner says changed
 * (fb_mark_dirty_gen). If the file shrinks under an access, the frame reads
 * as black (see fb_mode_file_lost). fd is not kept. The next fb_set_mode
 * copies the picture into fb/'s own RAM (the overlap, as always) and lets
 * the file go after a grace period. 0, -EINVAL (bad mode, a file too short
 * or not a regular file), -E2BIG, -ENOSPC (too many files mapped), -ENOMEM.
 */
int fb_set_mode_file(struct fb_device *fb, const struct fb_mode *mode, int fd, uint64_t offset);
/* Whether the current mode is file-backed, and whether its file shrank
 * under an access (the frame then reads as black). Any thread. */
bool fb_mode_is_file(struct fb_device *fb, bool *lost);
/* Entries of the PIXMAN_c8 palette. */
#define FB_PALETTE_ENTRIES 256u
/* Sets palette entries [first, first+count) as 0x00RRGGBB (first + count at
 * most FB_PALETTE_ENTRIES); marks the whole frame dirty when the mode is
 * indexed. */
int fb_set_palette(struct fb_device *fb, unsigned first, unsigned count, const uint32_t *rgb);

/* Guest write paths: each marks exactly the pages it touched, for every
 * dirty client. Any thread, wait-free with respect to the render thread.
 * Out-of-range parts are clipped; 0 or -EINVAL. */
int fb_write(struct fb_device *fb, uint64_t offset, const void *data, size_t len);
/* Fills with a colour in the framebuffer's own pixel format (raw value). */
int fb_fill_rect(struct fb_device *fb, int x, int y, int w, int h, uint32_t pixel);
/* Fills with the colour rgb (0x00RRGGBB), converted by pixman to the format
 * of the mode it is written in (c8: the nearest entry of the palette), so a
 * concurrent mode change cannot make it the wrong colour. Clipped; 0,
 * -EINVAL or -ENOMEM. Any thread. */
int fb_fill_rect_rgb(struct fb_device *fb, int x, int y, int w, int h, uint32_t rgb);
/* Composites (PIXMAN_OP_SRC) src at x,y, converting formats. */
int fb_put_image(struct fb_device *fb, pixman_image_t *src, int x, int y);

/*
 * Direct access: between fb_access_begin and fb_access_end the caller may
 * read and write acc->pixels laid out as acc->mode. The memory stays valid
 * even if another thread changes the mode meanwhile, but the writes then use
 * the old layout: they land in the retired block and are not shown when the
 * new mode needed a new block, or in the new frame's memory when the new
 * mode reused the block, shown as garbage until redrawn. A guest that
 * changes its own mode should serialise that with its drawing (the built-in
 * guests do). Call fb_mark_dirty for what was drawn. Do not block inside;
 * nesting is allowed.
 *
 * An access section is a frame transaction: draw a whole frame inside one
 * access section to have it shown atomically; keep sections shorter than a
 * frame. While any section of the framebuffer is open, and when one begins
 * while the render thread copies, the render thread shows nothing new of it;
 * closing the last open section wakes it (rate-limited). Begin and end cost
 * one atomic add each and never wait. The single-call write paths above are
 * not sections.
 */
struct fb_access {
	void *pixels;
	struct fb_mode mode;
	/* private */
	const void *priv;
};
void fb_access_begin(struct fb_device *fb, struct fb_access *acc);
void fb_access_end(struct fb_device *fb, struct fb_access *acc);
void fb_mark_dirty(struct fb_device *fb, const struct fb_access *acc, int x, int y, int w, int h);

/* Moves a framebuffer queues for the render thread between two ticks. */
#define FB_MOVES_MAX 16u
/*
 * Moves (a blitter's copy, X's CopyArea): inside an access section, moves
 * the w x h pixels at sx,sy to dx,dy (overlap allowed; clipped so that both
 * rectangles lie in the mode). The listeners are told the move instead of
 * the destination's pixels, so VNC sends a CopyRect for a scroll (QEMU's
 * dpy_gfx_copy). Destination pixels whose source was still dirty for the
 * display, and every move that finds the render thread busy or
 * FB_MOVES_MAX moves waiting, are marked dirty like a write instead.
 * Other dirty clients (migration) always get the destination marked.
 * Anything drawn into the source earlier in the section must be marked
 * (fb_mark_dirty) before the move. A write into the source racing with the
 * move on another thread is a guest race: the destination then holds
 * either pixel, and listeners may keep the other until it is drawn again.
 * 0 or -EINVAL. Never waits for the render thread.
 */
int fb_access_copy(struct fb_device *fb, const struct fb_access *acc, int sx, int sy, int dx,
		   int dy, int w, int h);
/* The same as a single call: its own access section around it. */
int fb_copy_rect(struct fb_device *fb, int sx, int sy, int dx, int dy, int w, int h);
/* Moves pixels inside one picture (rows of stride bytes, bytes_pp bytes a
 * pixel) the way a blitter does: rows in the order that never reads a row
 * already overwritten. For listeners that repeat moves on their own copy;
 * the rectangles must lie inside the picture. */
void fb_pixels_move(void *pixels, size_t stride, unsigned bytes_pp, int sx, int sy, int dx, int dy,
		    int w, int h);

/* ---- write tracking: guests that draw with plain stores ----------------- */

/*
 * A framebuffer's guest may draw without marking what it wrote; the render
 * thread then finds the written pages itself at the start of each tick
 * (before it takes the dirty bits), with one of these trackers (fb/track.c):
 *   FB_TRACK_LOG      a shared dirty log: bit i set (atomic OR) by the writer
 *                     for page i (ram_page_size bytes) of the frame; taken by
 *                     exchange, fed to dirty_set_lebitmap;
 *   FB_TRACK_UFFD     the kernel: userfaultfd async write-protect plus
 *                     PAGEMAP_SCAN with PM_SCAN_WP_MATCHING (Linux 6.7+);
 *   FB_TRACK_COMPARE  a per-tick compare of the frame against a shadow.
 * FB_TRACK_NONE: the guest marks its damage (fb_mark_dirty, the write paths).
 * A tracker polls unless its writer kicks the render thread after each
 * frame: while a polling one is installed the render thread ticks at full
 * rate with listeners attached. The first tick of each mode marks the
 * whole frame. Public prefix: fb_track_.
 */
enum fb_track_mode {
	FB_TRACK_NONE,
	FB_TRACK_LOG,
	FB_TRACK_UFFD,
	FB_TRACK_COMPARE,
};
/* "damage", "log", "uffd-wp", "compare". */
const char *fb_track_mode_name(enum fb_track_mode mode);

struct fb_track_config {
	enum fb_track_mode mode;
	/* FB_TRACK_LOG: the log, log_pages bits in words that the writer
	 * sets with atomic OR (any process sharing the memory). */
	unsigned long *log;
	uint64_t log_pages;
	/* FB_TRACK_UFFD: the /proc/PID/pagemap fd of the process whose
	 * mapping of the frame is registered with its userfaultfd in
	 * WP_ASYNC mode (fb_track_uffd_mapped gives the address per mode);
	 * the tracker dups it. -1: this process: fb/ registers its own
	 * mapping of each mode's RAM block. */
	int pagemap_fd;
	/* The writer says when each frame ends (fb_track_frame_done): the
	 * tracker then does not poll, the thread backs off between frames
	 * as with marked damage, and only a tick after a frame's end reads
	 * the tracker (a tick in between, for input or another
	 * framebuffer, would show a half-drawn frame). */
	bool writer_kicks;
};
/* A writer_kicks tracker's writer ended a frame: the next tick reads what
 * it wrote, and the render thread is woken for it. Any thread. */
void fb_track_frame_done(struct fb_device *fb);
/* Whether this kernel offers async write-protect and PAGEMAP_SCAN on memfd
 * memory; if not, *why (may be NULL) gets a static reason. */
bool fb_track_uffd_supported(const char **why);
/* Installs cfg's tracker on fb (replacing one installed). 0, -EINVAL,
 * -ENOMEM, or for an in-process FB_TRACK_UFFD -ENOTSUP (the kernel lacks
 * it: use FB_TRACK_COMPARE) or the -errno of the userfaultfd setup. Any
 * thread but a listener callback; once it returns the old tracker is no
 * longer used. */
int fb_track_start(struct fb_device *fb, const struct fb_track_config *cfg);
/* Removes the tracker (FB_TRACK_NONE). */
void fb_track_stop(struct fb_device *fb);
enum fb_track_mode fb_track_get_mode(struct fb_device *fb);
/* External FB_TRACK_UFFD: the writer mapped the frame of mode generation
 * at addr in its address space, registered and write-protected. Until
 * then the tracker reads nothing for that mode. 0 or -EINVAL. */
int fb_track_uffd_mapped(struct fb_device *fb, uint64_t generation, uint64_t addr);
/* Pages the tracker found written, and its errors (a failed scan marks
 * the whole frame), since fb_new. Any thread. */
void fb_track_get_counts(struct fb_device *fb, uint64_t *pages, uint64_t *errors);

/* Makes every later mode change put the frame in a new RAM block (a new
 * memfd), so a writer still drawing in the old mode (another process that
 * has not seen the change yet) writes only the retired block and can never
 * tear the new picture. Any thread. */
void fb_set_block_per_mode(struct fb_device *fb, bool on);
/* Called under the mode lock right after each mode is published, with its
 * generation: must not block or call back into fb's mode functions. NULL
 * removes it; once this returns, the old one is no longer called. */
void fb_set_mode_notify(struct fb_device *fb, void (*notify)(void *opaque, uint64_t generation),
			void *opaque);
/* The RAM block memfd of the current mode (ram_block_fd: owned by the
 * block, dup it under the same call), its capacity in bytes, and the
 * mode and generation, all of one mode. 0, or -ENOENT if generation is
 * not 0 and no longer current, -ENOTSUP for a file-backed mode. dup_fd gets a dup (close-on-exec)
 * or -1. */
int fb_mode_memfd(struct fb_device *fb, int *dup_fd, size_t *capacity, struct fb_mode *mode,
		  uint64_t *generation);
/* Marks a rectangle of mode generation dirty (clipped): for guests that
 * report damage from outside an access section. Stale generations are
 * ignored (the mode change marked the whole frame). 0 or -EINVAL. */
int fb_mark_dirty_gen(struct fb_device *fb, uint64_t generation, int x, int y, int w, int h);

/* ---- input and requests from viewers ---------------------------------- */

/* Pointer buttons: bit 0 left, 1 middle, 2 right, 3/4 wheel up/down (RFB). */
struct fb_input_ops {
	/* keysym is an X11 keysym. */
	void (*key)(void *opaque, uint32_t keysym, bool down);
	/* Absolute guest coordinates, clamped to the mode. */
	void (*pointer)(void *opaque, int x, int y, uint32_t buttons);
	/* A viewer asks for a new size. Return 0 if the guest accepts (it then
	 * calls fb_set_mode, possibly later) or -errno to refuse. */
	int (*mode_request)(void *opaque, uint32_t width, uint32_t height);
	/* Clipboard text from a viewer, UTF-8, not NUL-terminated. */
	void (*clipboard)(void *opaque, const char *utf8, size_t len);
	/* Optional: a key with its scancode, from viewers that send one (QEMU
	 * extended key events). qnum is QEMU's key number: the PC AT set-1
	 * scancode, 0xe0-prefixed keys as 0x80 | code. NULL: key gets keysym. */
	void (*key_code)(void *opaque, uint32_t keysym, uint32_t qnum, bool down);
};
/* Installs the guest's input handler (ops copied; NULL removes it). Any
 * thread. Callbacks run on frontend threads, possibly concurrently; the
 * handler must be thread-safe. Returns only when no call of the previous
 * handler is running any more on other threads, so its opaque may be freed
 * then. It may be called from inside an input callback of the same fb: it
 * then does not wait for the calls its own thread is inside (nor for calls
 * whose threads wait in fb_set_input_handler themselves, which would wait
 * for each other), so such a caller must not free the old handler's state
 * before its own callback has returned. */
void fb_set_input_handler(struct fb_device *fb, const struct fb_input_ops *ops, void *opaque);
/* Frontends call these. They also return the render thread to full rate. */
void fb_input_key(struct fb_device *fb, uint32_t keysym, bool down);
/* A key with its scancode (see fb_input_ops.key_code); goes to key with the
 * keysym alone when the handler has no key_code. */
void fb_input_key_code(struct fb_device *fb, uint32_t keysym, uint32_t qnum, bool down);
void fb_input_pointer(struct fb_device *fb, int x, int y, uint32_t buttons);
void fb_input_clipboard(struct fb_device *fb, const char *utf8, size_t len);
/* -EINVAL for a size outside 1..FB_MAX_SIDE_PX, -ENOTSUP without a handler,
 * else the handler's answer. */
int fb_request_mode(struct fb_device *fb, uint32_t width, uint32_t height);
/* Longest guest clipboard text fb_send_clipboard takes. */
#define FB_CLIPBOARD_MAX_BYTES ((size_t)1 << 20)
/* The guest sends clipboard text to every listener that has a clipboard op,
 * on the render thread's next tick. Only the latest text waits: a newer one
 * replaces text not yet delivered. 0, -EINVAL, -E2BIG (longer than
 * FB_CLIPBOARD_MAX_BYTES; nothing is sent) or -ENOMEM. Any thread. */
int fb_send_clipboard(struct fb_device *fb, const char *utf8, size_t len);

/* ---- the guest's pointer (cursor.c) ------------------------------------ */

/* Largest cursor image side, in pixels (QEMU's and SDL's cursors are far
 * smaller; RFB rich cursors cost w*h*(bpp+1/8) bytes per change). */
#define FB_CURSOR_MAX_SIDE_PX 256u

/*
 * A cursor image: width x height pixels of straight (not premultiplied)
 * alpha ARGB32, native-endian 0xAARRGGBB words, tightly packed; the hotspot
 * lies inside it. Immutable once made; reference counted (atomics), so any
 * thread may keep one after the listener call that gave it.
 */
struct fb_cursor {
	uint32_t width, height;
	uint32_t hot_x, hot_y;
	_Atomic unsigned refs; /* private */
	uint32_t argb[];
};
struct fb_cursor *fb_cursor_ref(struct fb_cursor *c);
/* Drops a reference; frees the image with the last one. NULL is a no-op. */
void fb_cursor_unref(struct fb_cursor *c);

/*
 * The guest defines its pointer image (copied from argb, stride bytes per
 * row) and moves or shows it. The listeners get the latest state on the
 * render thread's next tick (cursor_define, cursor_move); intermediate
 * states may be skipped. A newly defined cursor keeps the position and
 * visibility (initially 0,0, shown). 0, or -EINVAL (a side outside
 * 1..FB_CURSOR_MAX_SIDE_PX, a hotspot outside the image, stride below
 * width*4, argb NULL) or -ENOMEM, in which case nothing changed. Any
 * thread, never from a listener callback.
 */
int fb_cursor_define(struct fb_device *fb, uint32_t width, uint32_t height, uint32_t hot_x,
		     uint32_t hot_y, const uint32_t *argb, size_t stride);
/* Removes the image (listeners get cursor_define(NULL)). Any thread. */
void fb_cursor_clear(struct fb_device *fb);
/* Moves the hotspot to x,y (guest coordinates, not clipped). Any thread. */
void fb_cursor_move(struct fb_device *fb, int x, int y);
/* Shows or hides the image. Any thread. */
void fb_cursor_show(struct fb_device *fb, bool visible);
/* The current state: a reference to the image (NULL if none; unref it),
 * and the position and visibility. Any thread. */
struct fb_cursor *fb_cursor_get(struct fb_device *fb, int *x, int *y, bool *visible);

/* ---- listeners (after QEMU's DisplayChangeListener) -------------------- */

/*
 * What a listener sees: a read-only pixman view of the guest pixels, valid
 * only during the callback. Copy what you keep.
 */
struct fb_surface {
	struct fb_device *fb;
	pixman_image_t *image; /* guest pixels in the guest format (c8 has its palette) */
	struct fb_mode mode;
	uint64_t generation; /* fb_mode_generation() of this mode */
};

/* How a tick ended, for listeners with a commit op. */
enum fb_tick_end {
	/* What the listener took this tick is one frame: it may show it. */
	FB_TICK_WHOLE,
	/* A frame section began meanwhile: what the listener took is not
	 * one frame. It must not show it; the same pixels come again, whole,
	 * in a later tick. */
	FB_TICK_TORN,
	/* The listener was given nothing (a section was open, or another
	 * listener was busy): whatever it holds back stays held back. */
	FB_TICK_SKIPPED,
};

/*
 * All ops run on the render thread, never concurrently for one listener. They
 * run inside an RCU read section with the framebuffer's listener lock held:
 * they must not block for long, and must not call fb_listener_register/
 * unregister, fb_render_add/remove or fb_free. They may call fb_set_mode,
 * fb_get_mode, fb_request_mode and the write paths.
 */
struct fb_listener_ops {
	const char *name;
	/* The mode changed (and once on registration); a full update follows. */
	void (*switch_surface)(struct fb_listener *l, const struct fb_surface *s);
	/* Optional: the guest moved w x h pixels from src to dst (fb_access_
	 * copy); comes before the update of the same tick, in guest order.
	 * A listener with this op repeats the move on its own picture and
	 * the update leaves the destination out; one without it gets the
	 * destination in the update instead. */
	void (*copy)(struct fb_listener *l, const struct fb_surface *s, int src_x, int src_y,
		     int dst_x, int dst_y, int w, int h);
	/* These pixels changed since the last update. */
	void (*update)(struct fb_listener *l, const struct fb_surface *s,
		       const pixman_region32_t *damage);
	/* Optional: once per tick after updates. */
	void (*refresh)(struct fb_listener *l);
	/* Optional: guest clipboard text. */
	void (*clipboard)(struct fb_listener *l, const char *utf8, size_t len);
	/* Optional: the guest's pointer image (fb_cursor_define; NULL: the
	 * guest has none), after a change and once after registration and
	 * after each switch_surface. c is valid during the call: take a
	 * reference (fb_cursor_ref) to keep it. cursor_move follows at once
	 * in the same tick (so a listener may wait for it before applying
	 * the image: give it both ops). */
	void (*cursor_define)(struct fb_listener *l, struct fb_cursor *c);
	/* Optional: where the pointer image's hotspot is (guest coordinates)
	 * and whether it is shown; after a change, and after each
	 * cursor_define. */
	void (*cursor_move)(struct fb_listener *l, int x, int y, bool visible);
	/* Called by fb_listener_unregister after the last callback. */
	void (*destroy)(struct fb_listener *l);
	/*
	 * Optional: before the tick takes the framebuffer's dirty bits. false
	 * when the listener cannot take pixels now (its picture is being
	 * read): the tick then leaves the framebuffer, bits and all, and the
	 * listener calls fb_listener_kick once it can. true commits the
	 * listener to the tick: commit follows, on every path.
	 */
	bool (*try_begin)(struct fb_listener *l);
	/* Optional: after every tick, how it ended (enum fb_tick_end). */
	void (*commit)(struct fb_listener *l, enum fb_tick_end end);
	/*
	 * Set when switch_surface, copy and update read s->image only during
	 * the call, keep what they need in the listener's own picture, and
	 * commit handles torn ticks. When every listener of a framebuffer is
	 * direct, s->image is the guest's pixels themselves (no frame copy,
	 * which fb/ then frees): the only copy of a changed pixel is the one
	 * the listener makes.
	 */
	bool direct;
};

/* Embed this in the frontend's own struct, zeroed before it is first
 * registered (calloc, memset or an initializer). */
struct fb_listener {
	const struct fb_listener_ops *ops;
	/* private, owned by fb/; these two protected by the fb's listener lock */
	struct fb_listener *next;
	uint64_t seen_generation; /* mode generation this listener last switched to */
	/* The cursor serials (cursor.c) this listener was last given, and the
	 * seen_generation at that time (a switch delivers the cursor again). */
	uint64_t cursor_seen_image, cursor_seen_pos, cursor_seen_generation;
	/* private: the fb l is registered on, or NULL (claimed by
	 * compare-and-swap on register, cleared on unregister) */
	struct fb_device *_Atomic owner;
};

/* Attaches l to fb; its switch_surface and a full update come on the next
 * tick. Any thread except inside a listener callback. 0, -EINVAL (fb or l
 * or l->ops NULL) or -EEXIST (l is registered already, on this or another
 * framebuffer; nothing changes). */
int fb_listener_register(struct fb_device *fb, struct fb_listener *l);
/* Wakes the render thread for fb now: for a listener whose try_begin said
 * no. Any thread but a listener callback, holding no lock of fb/'s. */
void fb_listener_kick(struct fb_device *fb);
/* Detaches l; when it returns no callback of l is running or will run, and
 * ops->destroy(l) has been called. Not from inside l's own callbacks. 0,
 * -EINVAL (NULL) or -ENOENT (l is not registered on fb; destroy is not
 * called). */
int fb_listener_unregister(struct fb_device *fb, struct fb_listener *l);

/* ---- the render thread ------------------------------------------------- */

struct fb_render_config {
	unsigned rate_hz; /* 0 = FB_DEFAULT_RATE_HZ; at most FB_MAX_RATE_HZ */
};

/*
 * Starts the render thread. NULL+errno (EINVAL for a rate above
 * FB_MAX_RATE_HZ). Pacing: a tick without damage or input doubles the
 * interval up to 1/FB_IDLE_RATE_HZ; without listeners it goes there at once;
 * damage after idling kicks the thread, which ticks at once unless the last
 * tick began less than 1/rate_hz ago.
 */
struct fb_render *fb_render_new(const struct fb_render_config *cfg);
/* Stops the thread (after the tick in progress) and frees it. Framebuffers
 * stay; remove them first or after. */
void fb_render_free(struct fb_render *r);
/* Adds/removes a framebuffer to the thread's tick. Any thread, but not from
 * inside a listener callback (remove waits for an RCU grace period and for
 * the tick in progress). fb_render_add: 0, -EINVAL, or -EBUSY when fb is
 * already on a render thread. */
int fb_render_add(struct fb_render *r, struct fb_device *fb);
void fb_render_remove(struct fb_render *r, struct fb_device *fb);
/* Wakes the thread now (rate-limited): damage or input after an idle period. */
void fb_render_kick(struct fb_render *r);
/* Blocks until n more ticks have completed, at most timeout_ms: 0 or
 * -ETIMEDOUT. For tests and for screendumps that need a fresh picture. */
int fb_render_wait_ticks(struct fb_render *r, unsigned n, unsigned timeout_ms);

/* Render statistics (monotonic counters), any thread. */
struct fb_render_stats {
	uint64_t ticks;
	uint64_t dirty_pages;
	uint64_t rects;
	uint64_t pixels;
	uint64_t switches;
	uint64_t moves;		  /* moves delivered as moves (listeners without a copy op
				     got their destinations as damage) */
	uint64_t last_tick_ns;	  /* cost of the last tick */
	uint64_t latency_ns_last; /* from the kick that woke an idle render thread (first
				     damage or input) to the end of the tick that
				     delivered damage */
	uint64_t total_tick_ns;	  /* sum of the ticks' costs (for benchmarks) */
	uint64_t track_pages;	  /* pages a write tracker found written */
	uint32_t track_mode;	  /* enum fb_track_mode installed now */
};
void fb_get_stats(struct fb_device *fb, struct fb_render_stats *st);

/* The render thread's own pacing counters, any thread: one consistent
 * snapshot, taken between two ticks. */
struct fb_render_thread_stats {
	uint64_t ticks;	       /* ticks completed */
	uint64_t kicked_ticks; /* ticks started early by a kick after idling */
	uint64_t idle_ticks;   /* ticks that found no damage */
	uint64_t interval_ns;  /* the current interval until the next tick */
};
void fb_render_get_thread_stats(struct fb_render *r, struct fb_render_thread_stats *st);

#endif
