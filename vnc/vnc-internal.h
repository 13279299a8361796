/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-internal.h - what the files of vnc/ share. Not installed.
 *
 * Threads:
 *   - the edge thread (vnc-edge-loop.c) owns every client socket: it
 *     accepts, authenticates and moves bytes to and from a socketpair per
 *     client whose other end LibVNCServer serves (see vnc-edge.h);
 *   - the render thread calls the listener ops (vnc-fb-listener.c): it
 *     compares the damaged cells of guest RAM against the shadow, copies
 *     the ones that changed (the only copy of a pixel before the encoder)
 *     and wakes the VNC thread;
 *   - the VNC thread (vnc-server.c) owns the rfbScreenInfo, the shadow and
 *     every LibVNCServer call;
 *   - the web server thread (libmicrohttpd, vnc-web.c) only reads files;
 *   - any thread may read stats and queue commands (disconnect, clipboard).
 */
#ifndef FBHOST_VNC_INTERNAL_H
#define FBHOST_VNC_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <pixman.h>
#include <rfb/rfb.h>

#include "fb/clock.h"
#include "fb/fb.h"
#include "vnc/vnc-edge.h"
#include "vnc/vnc.h"

/*
 * Lock order of vnc/, outermost first. All of them come after every fb/ lock
 * (fb/fb-internal.h): the listener callbacks take vnc_server.lock on the
 * render thread under fb's listener lock, and no vnc/ code calls into fb/
 * with one of these held.
 *   1. the library lock (vnc-library-lock.c): read side on a VNC thread while
 *      it runs LibVNCServer, write side to create a screen; dropped before
 *      any call out to the guest
 *   2. vnc_server.shadow_lock: the shadow and the render thread -> VNC
 *      thread hand-over; held by the VNC thread for its pass (dropped with
 *      the library lock around calls out), by the render thread for a tick.
 *      The render thread takes it only with a try-lock (try_begin) and then
 *      holds it while fb/ takes its move lock for the tick: a try-lock never
 *      waits, so this cannot close a cycle, and the VNC thread takes no fb/
 *      lock while it holds shadow_lock.
 *   3. vnc_server.lock: commands to the VNC thread
 *   4. vnc_edge_link.direct_lock: the order of a client's output bytes;
 *      the edge holds it while it moves them (and may count a slow drop
 *      under stats_lock), the VNC thread while it sends an update past the
 *      edge (vnc-batch.c, under 1 and 2)
 *   5. vnc_server.stats_lock: counters and the client list snapshot
 * No function returns with one of them held that it did not take.
 */

/* Side of the square cells compared against the shadow (as in QEMU). */
#define VNC_CELL_PX 16
/* Changed cells of one cell row closer than this are sent as one
 * rectangle (vnc-cells.c). */
#define VNC_MERGE_GAP_PX (3 * VNC_CELL_PX)
/* A tick stops comparing once this many cells were compared and at least
 * VNC_CELLS_COPY_ALL_PERMILLE of them differed: the rest of its damage is
 * copied without a compare (a whole-screen video or game frame, where the
 * compare only added a read of the shadow: a third of the memory traffic). */
#define VNC_CELLS_SAMPLE 256
#define VNC_CELLS_COPY_ALL_PERMILLE 980
/* Above this many rectangles per pass, changed cells are merged into row
 * bands, staying below LibVNCServer's maxRectsPerUpdate (50), beyond which
 * it would send the bounding box of the whole update instead. */
#define VNC_MAX_RECTS_PER_PASS 40
#define VNC_MAX_RECTS_PER_UPDATE 50
/* While a client is held, the VNC thread re-checks its edge queue this
 * often (the edge also wakes it when the queue drains; bounds in
 * vnc-edge.h). */
#define VNC_HOLD_RECHECK_MS 10
/* Longest password read from the password file (VNC auth uses 8). */
#define VNC_PASSWORD_MAX_BYTES 64
/* At most this many clients at once (descriptors stay far below 1024,
 * LibVNCServer's select() limit). */
#define VNC_MAX_CLIENTS 64

/* Listening sockets of one port: IPv4 and/or IPv6. */
struct vnc_listen {
	int fd4; /* -1 if none */
	int fd6; /* -1 if none */
	int port;
};

/* One client, hung on rfbClientRec.clientData. VNC thread only, except
 * the copy in vnc_server.infos. */
struct vnc_client {
	struct vnc_edge_link *link; /* the edge's side (one reference) */
	uint64_t id;
	char address[VNC_ADDRESS_MAX];
	uint64_t connected_ns;
	uint64_t hold_since_ns;	  /* 0 = not held */
	const char *close_reason; /* set when we close it, for the log line */
	/* A mode switch happened before it sent SetEncodings: it still
	 * believes the size from ServerInit. */
	bool size_stale;
	bool layout_sent; /* ExtendedDesktopSize layout sent after SetEncodings */
	/* It announced QEMU Extended Key Event (-258) when LibVNCServer had
	 * sent it qemu_key_ack_after updates: the acknowledgement is due
	 * after the next one (vnc_clients_after_events sends it). */
	bool qemu_key_ack_due;
	uint32_t qemu_key_ack_after;
	/* Name of encoding preferred_named ("" until first named), kept so
	 * the per-pass stats refresh does not format it again. */
	int preferred_named;
	char encoding[VNC_ENCODING_NAME_MAX];
	/* Counters: LibVNCServer keeps 32-bit ones; we add up their deltas. */
	uint32_t last_updates, last_rects, last_bytes;
	uint64_t updates, rects, bytes;
	/* vnc-batch.c: the memfd a small update is written to (-1 until the
	 * first), and the real socket while one is (-1 otherwise). */
	int batch_fd, batch_sock;
	bool pass_held; /* held for the rest of a stale pass (vnc-thread.c) */
};

/* Guest moves the VNC thread repeats as CopyRect per pass; more go to the
 * cell compare as pixels. */
#define VNC_MOVES_MAX 16u

/* A guest move (fb listener copy op): destination rectangle, and the
 * offset from source to destination (rfbDoCopyRect's dx, dy). */
struct vnc_move {
	int32_t x1, y1, x2, y2, off_x, off_y;
};

/*
 * The guest's cursor (vnc-cursor.c). The render thread queues the latest
 * state under vnc_server.lock; the VNC thread applies it. LibVNCServer's
 * screen->cursor stays NULL (it would draw a software cursor into the
 * shadow for clients without cursor shapes); clients with RichCursor or
 * XCursor get the shape through screen->getCursorPtr instead.
 */
struct vnc_cursor {
	/* vnc_server.lock: queued by the render thread. */
	struct fb_cursor *next; /* a reference; valid when image_due */
	bool image_due;
	int x, y;
	bool visible;
	bool pos_due;
	/* VNC thread only. */
	rfbCursorPtr shape; /* built from the guest's image; NULL: none */
	bool shown;	    /* visible and defined: getCursorPtr returns shape */
};

/* The cell compare's working memory (vnc-cells.c), kept between calls so
 * a tick allocates nothing: one byte and one box per cell. */
struct vnc_cells_scratch {
	uint8_t *check;
	pixman_box32_t *boxes;
	size_t cells;
};

struct vnc_server {
	/* Registered on fb by vnc_server_new, unregistered by vnc_server_free;
	 * its callbacks run on the render thread (fb's listener lock). */
	struct fb_listener listener;
	struct fb_device *fb; /* immutable after vnc_server_new */

	/* Immutable after vnc_server_new. */
	struct vnc_config cfg; /* strings point into the copies below */
	char *host, *password_file, *cert_file, *key_file, *web_root, *desktop_name;
	char *password;	     /* line 1 of password_file: full access */
	char *view_password; /* line 2 of password_file: view-only, or NULL */
	unsigned slow_timeout_ms;
	struct vnc_listen vnc_listen;
	int web_port; /* -1 none */
	char *url;
	struct vnc_web *web;
	int wake_fd;	       /* eventfd: render thread and callers -> VNC thread */
	struct vnc_edge *edge; /* owns the listening and client sockets */
	pthread_t thread;
	bool thread_started;

	/*
	 * The picture clients are served from, and the pixel hand-over from
	 * the render thread, protected by shadow_lock. The render thread
	 * compares guest pixels into the newest shadow (next_shadow while a
	 * mode switch waits, else shadow) and holds the lock from its first
	 * op of a tick to that tick's commit, so nobody sees a tick half
	 * done. The VNC thread holds it for its whole pass, while
	 * LibVNCServer reads screen->frameBuffer, dropping it (with the
	 * library lock) around calls out to fb/ (vnc_call_out_begin); a tick
	 * that commits meanwhile makes the rest of the pass send nothing
	 * (commits, pass_stale; test: vnc-callout).
	 */
	pthread_mutex_t shadow_lock;
	uint32_t *shadow; /* screen->frameBuffer, tightly packed x8r8g8b8 */
	uint32_t shadow_w, shadow_h;
	uint32_t *next_shadow; /* a new mode's picture, or NULL */
	uint32_t next_w, next_h;
	bool switch_ready; /* next_shadow holds a committed frame */
	/* Committed changes the VNC thread has not told LibVNCServer about:
	 * moves already made in the newest shadow, in order (rfbSchedule
	 * CopyRect), then the cells that changed (rfbMarkRectAsModified). */
	struct vnc_move moves[VNC_MOVES_MAX];
	unsigned nmoves;
	pixman_region32_t changed;
	/* Ticks committed with pixels (whole or torn): the VNC thread tells
	 * by it that one ran while a call out had shadow_lock dropped. */
	uint64_t commits;
	/* The render thread found the shadow busy: the VNC thread kicks it
	 * after its pass (fb_listener_kick). */
	atomic_bool render_waiting;
	/* The tick in progress (render thread, until commit). */
	bool tick_locked; /* the render thread holds shadow_lock */
	struct vnc_move tick_moves[VNC_MOVES_MAX];
	unsigned tick_nmoves;
	pixman_region32_t tick_changed;
	/* Cells written by torn ticks: sent after the next whole one. While
	 * torn_pending the newest shadow is no frame and nothing is sent. */
	pixman_region32_t torn;
	bool torn_pending;
	/* Scratch x8r8g8b8 picture for guest formats of another depth. It
	 * equals the guest only where the tick in progress converted it
	 * (x8r8g8b8_view); elsewhere it is older, moves included. */
	pixman_image_t *convert;
	struct vnc_cells_scratch cells; /* the compare's working memory */
	int scroll_last_dy;		/* last move found by vnc_scroll_detect (rows) */

	/* Commands from other threads to the VNC thread, protected by lock
	 * (held briefly, never across a network or LibVNCServer call). */
	pthread_mutex_t lock;
	bool stop;	/* the VNC thread should exit */
	char *clip_out; /* guest clipboard text to send (latest wins) */
	size_t clip_out_len;
	uint64_t *kick_ids; /* disconnect requests */
	size_t kick_count, kick_cap;
	struct vnc_cursor cursor; /* lock for the queued part (see there) */
	/* Connections the edge handed over, oldest first. */
	struct vnc_edge_link *adopt_head, *adopt_tail;

	/* VNC thread only. */
	rfbScreenInfoPtr screen;
	/* commits when this pass told LibVNCServer the damage. A call out
	 * that finds more (a tick changed the shadow meanwhile, unannounced)
	 * makes the pass stale: no client gets an update until the next pass
	 * has told LibVNCServer that tick's moves and cells. */
	uint64_t pass_commits;
	bool pass_stale;
	struct vnc_edge_link *adopting; /* inside rfbNewClient, for new_client */
	unsigned held_clients;
	/* A client was closed outside rfbProcessEvents, which alone reaps
	 * closed clients (and calls their gone hook): the next pass must
	 * not wait in poll() first, nothing else would wake it. */
	bool reap_due;

	/* Counters and the client list snapshot, protected by stats_lock;
	 * written by the VNC thread, read by any thread. */
	pthread_mutex_t stats_lock;
	struct vnc_server_stats stats;
	uint64_t gone_updates, gone_rects, gone_bytes; /* from departed clients */
	struct vnc_client_info *infos;
	size_t info_count, info_cap;
};

/* vnc-log.c */
void vnc_log(struct vnc_server *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vnc_log_install_libvncserver(void);

/* vnc-bind.c: binds host:port (NULL host = loopback v4+v6). 0 or -errno
 * with err filled. */
int vnc_listen_open(const char *host, int port, struct vnc_listen *out, char *err, size_t errlen);
void vnc_listen_close(struct vnc_listen *l);
bool vnc_host_is_loopback(const char *host);

/* vnc-cells.c (struct vnc_cells_scratch is above struct vnc_server). */
void vnc_cells_scratch_free(struct vnc_cells_scratch *sc);
/* Compares src (src_stride pixels a row) against dst (tightly packed), both
 * x8r8g8b8 of dst_w x dst_h, in VNC_CELL_PX cells inside region, copies the
 * cells that differ and adds them, merged into at most
 * VNC_MAX_RECTS_PER_PASS rectangles, to changed. Once a tick has compared
 * VNC_CELLS_SAMPLE cells and nearly all differed, it copies the rest of
 * the damage whole, without a compare. Returns the number of cells
 * compared; *n_changed gets the changed (and copied-whole) ones. */
uint64_t vnc_cells_sync(struct vnc_cells_scratch *sc, const uint32_t *src, size_t src_stride,
			uint32_t *dst, uint32_t dst_w, uint32_t dst_h,
			const pixman_region32_t *region, pixman_region32_t *changed,
			uint64_t *n_changed);
/* Merges region into at most max_rects row bands (in place). */
void vnc_region_limit_rects(pixman_region32_t *region, int max_rects);

/* vnc-scroll.c: if the changed block of region is dst's content moved
 * vertically, moves it (vnc_shadow_move) and adds the destination to region
 * or takes out of it what is proven equal. Render thread, shadow_lock held,
 * before vnc_cells_sync of region. src and dst are x8r8g8b8 of w x h. */
void vnc_scroll_detect(struct vnc_server *s, const uint32_t *src, size_t src_stride, uint32_t *dst,
		       uint32_t w, uint32_t h, pixman_region32_t *region);

/* vnc-fb-listener.c: moves the newest shadow's pixels into the destination
 * [x1,x2) x [y1,y2) from off_x, off_y pixels back and records the move for
 * the clients (a CopyRect once committed). Render thread, in a tick. */
void vnc_shadow_move(struct vnc_server *s, int32_t x1, int32_t y1, int32_t x2, int32_t y2,
		     int32_t off_x, int32_t off_y);
/* vnc-thread.c: schedules a CopyRect of pixels the shadow already moved
 * for every client (rfbScheduleCopyRect). VNC thread. */
void vnc_schedule_copy(struct vnc_server *s, const struct vnc_move *m);
/* vnc-thread.c: drops the shadow and library locks around a call out to
 * fb/ or the guest from a LibVNCServer callback, and takes them back. */
void vnc_call_out_begin(struct vnc_server *s);
void vnc_call_out_end(struct vnc_server *s);

/* vnc-library-lock.c: shared while a VNC thread runs LibVNCServer code,
 * exclusive while a screen is created (rfbGetScreen re-initialises
 * LibVNCServer's process-wide client-list mutex). */
void vnc_library_lock_shared(void);
void vnc_library_lock_exclusive(void);
void vnc_library_unlock(void);

/* vnc-thread.c */
void *vnc_thread_main(void *arg);
/* Sets the x8r8g8b8 server format and re-installs client translations. */
void vnc_set_server_format(rfbScreenInfoPtr sc);

/* vnc-cursor.c: the listener's cursor ops (render thread); installing
 * the shape hook on a new screen, applying the queued cursor, and freeing
 * it (VNC thread). */
void vnc_cursor_define(struct fb_listener *l, struct fb_cursor *c);
void vnc_cursor_move(struct fb_listener *l, int x, int y, bool visible);
void vnc_cursor_install(rfbScreenInfoPtr sc);
void vnc_cursor_apply(struct vnc_server *s);
void vnc_cursor_free(struct vnc_server *s);

/* vnc-batch.c: small updates leave in one write (LibVNCServer's display
 * hooks); releasing a client's batch file. VNC thread. */
void vnc_batch_install(rfbScreenInfoPtr sc);
void vnc_batch_release(struct vnc_client *c);

/* vnc-fb-listener.c */
extern const struct fb_listener_ops vnc_listener_ops;
void vnc_wake(struct vnc_server *s);

/* vnc-server.c: queues a connection the edge authenticated for the VNC
 * thread, which calls rfbNewClient on it. Edge thread. */
void vnc_server_adopt(struct vnc_server *s, struct vnc_edge_link *l);

/* vnc-clients.c: LibVNCServer hooks and per-client bookkeeping. */
void vnc_clients_install_hooks(struct vnc_server *s);
/* Closes cl from our side; reason is kept for its disconnect line. */
void vnc_clients_close(rfbClientPtr cl, const char *reason);
/* Serves l with LibVNCServer (rfbNewClient); drops the queue's reference. */
void vnc_clients_adopt(struct vnc_server *s, struct vnc_edge_link *l);
void vnc_clients_update_holds(struct vnc_server *s);
void vnc_clients_drop_unresizable(struct vnc_server *s);
bool vnc_clients_after_events(struct vnc_server *s);
/* Whether cl has nothing an incremental update request would send now:
 * the VNC thread then reads its requests on the next pass the damage
 * causes instead of waking for each (the edge wakes it for any other
 * message). */
bool vnc_client_quiet(rfbClientPtr cl);
void vnc_clients_kick(struct vnc_server *s, uint64_t id);
void vnc_clients_refresh_stats(struct vnc_server *s);
void vnc_clients_disconnect_all(struct vnc_server *s);

/* vnc-clipboard.c: sends guest clipboard text (UTF-8) to every client past
 * its handshake: UTF-8 with Extended Clipboard, Latin-1 otherwise. */
void vnc_clipboard_send(struct vnc_server *s, const char *utf8, size_t len);

/* vnc-web.c: the libmicrohttpd viewer server. */
struct vnc_web;
struct vnc_web *vnc_web_new(struct vnc_server *s, const char *host, int port, const char *root,
			    int *bound_port, char *err, size_t errlen);
void vnc_web_free(struct vnc_web *w);

/* vnc-auth.c: reads the first line of path, the full-access password, and
 * the second line if any, the view-only password, into *view_only (NULL
 * without one). Each at most 8 bytes, the part VNC auth uses: a longer one
 * is refused. malloc'ed string or NULL with err filled. */
char *vnc_read_password_file(const char *path, char **view_only, char *err, size_t errlen);

#endif
