/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/fb-internal.h - what the files of fb/ share: the device, its published
 * mode objects, the palette, and the render thread's hooks. Not installed;
 * tests may include it to reach the damage derivation.
 */
#ifndef FBHOST_FB_INTERNAL_H
#define FBHOST_FB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fb/fb.h"
#include "memory/ram-rcu.h"

/*
 * Lock order of fb/, outermost first. A thread may take a lock only while
 * every fb/ lock it holds comes earlier in this list; debug builds (NDEBUG
 * unset) assert that on every fb_lock (lock.c keeps the levels each thread
 * holds). No function returns with a lock held that it did not take, nor
 * releases one its caller took.
 *
 *   FB_LOCK_RENDER_FBS  fb_render.fbs_lock: the render thread's list; held
 *                       for the whole tick
 *   FB_LOCK_LISTENERS   fb_device.listener_lock: held across the listener
 *                       callbacks of a framebuffer (which run inside an RCU
 *                       read section and take their frontend's own locks,
 *                       below every fb/ lock: see vnc/ and sdl/)
 *   FB_LOCK_MOVES       fb_device.move_lock: moves and dirty bits taken
 *                       together (writers only try-lock it)
 *   FB_LOCK_CLIPBOARD   fb_device.clip_lock
 *   FB_LOCK_CURSOR      fb_cursor_state.lock: the guest's pointer (cursor.c);
 *                       the render thread takes it under the listener lock
 *                       to read the state, never across a listener call
 *   FB_LOCK_MODE        fb_device.mode_lock: fb_set_mode, fb_set_palette
 *                       (listeners may call them from their callbacks)
 *   FB_LOCK_HEADLESS    fb_headless.lock: a listener's own lock
 *   FB_LOCK_INPUT       fb_device.input_lock: handler calls run outside it
 *   FB_LOCK_WAKE        fb_pacing.wake_lock: taken by any kick, last
 */
enum fb_lock_level {
	FB_LOCK_RENDER_FBS = 1,
	FB_LOCK_LISTENERS,
	FB_LOCK_MOVES,
	FB_LOCK_CLIPBOARD,
	FB_LOCK_CURSOR,
	FB_LOCK_MODE,
	FB_LOCK_HEADLESS,
	FB_LOCK_INPUT,
	FB_LOCK_WAKE,
};
#ifndef NDEBUG
/* lock.c: records (and checks) that this thread takes/holds level. */
void fb_lock_order_acquire(enum fb_lock_level level);
void fb_lock_order_held(enum fb_lock_level level);
void fb_lock_order_release(enum fb_lock_level level);
#else
#define fb_lock_order_acquire(level) ((void)0)
#define fb_lock_order_held(level) ((void)0)
#define fb_lock_order_release(level) ((void)0)
#endif
/* pthread_mutex_lock/trylock/unlock with the lock-order check. */
static inline void fb_lock(pthread_mutex_t *m, enum fb_lock_level level)
{
	fb_lock_order_acquire(level);
	pthread_mutex_lock(m);
}
static inline bool fb_trylock(pthread_mutex_t *m, enum fb_lock_level level)
{
	/* A try-lock cannot deadlock: it is only recorded. */
	if (pthread_mutex_trylock(m) != 0)
		return false;
	fb_lock_order_held(level);
	return true;
}
static inline void fb_unlock(pthread_mutex_t *m, enum fb_lock_level level)
{
	pthread_mutex_unlock(m);
	fb_lock_order_release(level);
}

/*
 * Guest pixel memory is shared without locks by design, exactly like guest
 * RAM: guest threads write it while the render thread and listeners read it.
 * What makes this correct is the dirty bitmap's ordering (memory/ram.h): a
 * writer stores pixels, then sets the bits; the render thread clears the bits,
 * then reads. ThreadSanitizer cannot see that protocol, so in TSan builds the
 * writes fb/ makes to guest pixels (and everything written inside an
 * fb_access section) are not tracked. Synchronisation is still tracked.
 */
#ifdef RAM_RCU_TSAN
void AnnotateIgnoreWritesBegin(const char *file, int line);
void AnnotateIgnoreWritesEnd(const char *file, int line);
#define FB_GUEST_WRITES_BEGIN() AnnotateIgnoreWritesBegin(__FILE__, __LINE__)
#define FB_GUEST_WRITES_END() AnnotateIgnoreWritesEnd(__FILE__, __LINE__)
#else
#define FB_GUEST_WRITES_BEGIN() ((void)0)
#define FB_GUEST_WRITES_END() ((void)0)
#endif

/* An 8-bit palette in pixman's form: rgba[] for reading indexed pixels,
 * ent[] (nearest index per 15-bit colour) for writing them. Immutable once
 * published through fb_device.palette (RCU). */
struct fb_palette {
	pixman_indexed_t idx;
	bool is_default; /* the shared static default: never freed */
	struct rcu_head rcu;
};

/*
 * One mode of a framebuffer, immutable once published through
 * fb_device.mode (RCU). Consecutive modes share a RAM block until a mode
 * does not fit; the mode retired at that point removes the block in its RCU
 * callback (retire_block, written before call_rcu and read only there).
 */
struct fb_mode_obj {
	struct fb_mode mode;
	uint64_t bytes; /* stride * height */
	uint64_t generation;
	struct ram_block *block;
	uint8_t *pixels;		/* ram_block_host(block) */
	ram_addr_t ram_offset;		/* ram_block_offset(block) */
	size_t capacity;		/* bytes of the block */
	struct ram_list *rl_for_retire; /* where block lives */
	bool retire_block;
	/* the block maps another process's file (fb_set_mode_file): never
	 * reused for a later mode, which gets a block of its own */
	bool file_backed;
	struct rcu_head rcu;
};

/* A guest clipboard message waiting for the render thread (at most one per
 * framebuffer: a newer message replaces it). Linked under fb_device.
 * clip_lock; immutable once linked, and owned by the render thread (or
 * fb_free) once fb_clip_drain took it out. */
struct fb_clip_msg {
	struct fb_clip_msg *next; /* clip_lock while linked */
	size_t len;		  /* immutable */
	char text[];		  /* immutable, NUL-terminated */
};

/* A move made by fb_access_copy, waiting for the render thread. */
struct fb_move {
	uint64_t generation; /* mode generation whose coordinates these are */
	int32_t sx, sy, dx, dy, w, h;
};

/* Per-framebuffer render counters: written by the render thread (relaxed
 * atomics), read by any thread. */
struct fb_counters {
	_Atomic uint64_t ticks, dirty_pages, rects, pixels, switches, moves;
	_Atomic uint64_t last_tick_ns, total_tick_ns, latency_ns_last;
};

/* The guest's pointer (cursor.c). */
struct fb_cursor_state {
	pthread_mutex_t lock;	 /* FB_LOCK_CURSOR: protects every field below */
	struct fb_cursor *image; /* one reference held here, or NULL */
	int x, y;		 /* hotspot position, guest coordinates */
	bool visible;		 /* initially true */
	uint64_t image_serial;	 /* bumped by each define/clear; 0 = never */
	uint64_t pos_serial;	 /* bumped by each move; 0 = never */
};

struct fb_device {
	char *name;	     /* immutable */
	struct ram_list *rl; /* immutable */
	uint64_t max_bytes;  /* immutable */
	size_t page_size;    /* immutable */

	/* RCU: replaced under mode_lock with ram_rcu_assign, read under
	 * ram_rcu_read_lock with ram_rcu_dereference. */
	struct fb_mode_obj *mode;
	struct fb_palette *palette;
	/* Serialises fb_set_mode and fb_set_palette; protects the fields
	 * below. Writers never take it. */
	pthread_mutex_t mode_lock;
	uint64_t last_generation; /* mode_lock */
	unsigned block_serial;	  /* mode_lock: names the RAM blocks */
	bool block_per_mode;	  /* mode_lock: fb_set_block_per_mode */
	void (*mode_notify)(void *opaque, uint64_t generation); /* mode_lock */
	void *mode_notify_opaque;				/* mode_lock */

	/* RCU: set by fb_render_add, cleared by fb_render_remove followed by
	 * a grace period, so a writer inside a read section may kick it
	 * through pacing (its render thread's). */
	struct fb_render *render;
	struct fb_pacing *pacing;
	struct fb_device *render_next; /* fb_render.fbs_lock */

	/* Frame sections (fb_access_begin/end), atomics: the low 32 bits
	 * count the sections open now, the high 32 bits the sections ever
	 * begun (wrapping). One atomic add on begin and one on end. */
	_Atomic uint64_t sections;

	/* The render thread's copy of the last consistent frame, which is
	 * what listeners read. Touched only under fb_render.fbs_lock (the
	 * render thread's tick, fb_render_remove, which frees it). */
	pixman_image_t *frame_copy;
	uint64_t frame_copy_generation; /* mode generation it holds; 0 = none */
	bool tick_deferred;		/* fbs_lock: the last tick left this fb untouched */

	/* Protects the listener list. The render thread holds it across the
	 * callbacks of this framebuffer, which is how unregister knows that no
	 * callback runs any more. */
	pthread_mutex_t listener_lock;
	struct fb_listener *listeners;		    /* listener_lock */
	struct fb_tracker *tracker;		    /* listener_lock: write tracker (track.c) */
	_Atomic uint32_t track_mode;		    /* its mode, for stats; relaxed */
	_Atomic uint64_t track_pages, track_errors; /* track.c counters; relaxed */
	/* A writer_kicks tracker's writer ended a frame since the last
	 * harvest: set by any thread (fb_track_frame_done), taken by
	 * exchange in the render thread's tick. */
	atomic_bool track_frame_done;

	pthread_mutex_t input_lock;
	struct fb_input_ops input; /* input_lock */
	void *input_opaque;	   /* input_lock */
	bool has_input;		   /* input_lock */
	/* Handler calls in flight outside input_lock; fb_set_input_handler
	 * waits on input_idle until it is at most input_calls_waiting (the
	 * calls whose threads are themselves waiting in it, from inside a
	 * callback), so an old handler's state can be freed once it returns. */
	unsigned input_calls;	      /* input_lock */
	unsigned input_calls_waiting; /* input_lock */
	pthread_cond_t input_idle;    /* with input_lock */

	/* Moves not yet delivered, in guest order. move_lock protects them.
	 * The render thread holds it from before it samples the sections and
	 * takes the dirty bits until the frame copy is known whole, so a move
	 * (which only try-locks it) lies wholly before or after a tick; also
	 * briefly when it checks for queued moves before backing off. A move
	 * that finds it held goes out as pixels. */
	pthread_mutex_t move_lock;
	struct fb_move moves[FB_MOVES_MAX]; /* move_lock */
	unsigned nmoves;		    /* move_lock */

	pthread_mutex_t clip_lock;
	struct fb_clip_msg *clip_head;	/* clip_lock */
	struct fb_clip_msg **clip_tail; /* clip_lock */

	struct fb_counters counters; /* atomics */

	struct fb_cursor_state cursor; /* its own lock */
};

/* pacing.c: when the render thread ticks. The render thread owns one;
 * devices on it reach it through fb_device.pacing (RCU). */
struct fb_pacing {
	uint64_t frame_ns; /* immutable: 1 s / rate_hz */
	uint64_t idle_ns;  /* immutable: 1 s / FB_IDLE_RATE_HZ */

	pthread_mutex_t wake_lock; /* protects the fields below up to stat_interval_ns */
	pthread_cond_t wake_cond;  /* kicks and stop */
	pthread_cond_t tick_cond;  /* tick completion, for fb_pacing_wait_ticks */
	bool stop;		   /* wake_lock */
	bool kicked;		   /* wake_lock */
	uint64_t kick_ns;	   /* wake_lock: time of the first kick not yet served */
	uint64_t ticks;		   /* wake_lock */
	/* wake_lock, updated with ticks at the end of each tick, so a reader
	 * gets the counters of one moment. */
	uint64_t stat_kicked_ticks, stat_idle_ticks, stat_interval_ns;

	/* Writers read it with one atomic load; the thread sets it while it
	 * sleeps longer than a frame. seq_cst against the dirty bits. */
	atomic_bool idle;
	atomic_bool input_seen; /* input since the last tick */

	/* Render thread only. */
	uint64_t interval;			/* until the next tick */
	uint64_t last_start, last_damage_start; /* of the last tick, of the last with damage */
};
/* What one tick saw. */
struct fb_tick_result {
	unsigned listeners;
	bool damage;
	bool deferred; /* a framebuffer was left for later: a frame section */
	bool polled;   /* a framebuffer has a polling write tracker: keep full rate */
};
/* The render thread's answers for the pacing decision (render.c). */
struct fb_pacing_checks {
	/* Any framebuffer with listeners has display bits or moves waiting. */
	bool (*pending)(void *opaque);
	/* A framebuffer the last tick deferred has no open section any more. */
	bool (*deferred_ready)(void *opaque);
	void *opaque;
};
/* 0 or -errno. */
int fb_pacing_init(struct fb_pacing *p, unsigned rate_hz);
void fb_pacing_destroy(struct fb_pacing *p);
/* Makes fb_pacing_wait return false. */
void fb_pacing_stop(struct fb_pacing *p);
/* Wakes the render thread now (rate-limited). */
void fb_pacing_kick(struct fb_pacing *p);
/* Render thread: waits for the next tick; false when stopped. *now is the
 * tick's start, *kick_ns the first kick it serves (0: none), *early whether
 * a kick brought it forward. */
bool fb_pacing_wait(struct fb_pacing *p, uint64_t *now, uint64_t *kick_ns, bool *early);
/* Render thread, after a tick: picks the next interval and publishes the
 * tick (fb_pacing_wait_ticks, stats). */
void fb_pacing_tick_done(struct fb_pacing *p, const struct fb_tick_result *res, bool early,
			 const struct fb_pacing_checks *checks);
/* fb_render_wait_ticks and fb_render_get_thread_stats. */
int fb_pacing_wait_ticks(struct fb_pacing *p, unsigned n, unsigned timeout_ms);
void fb_pacing_get_stats(struct fb_pacing *p, struct fb_render_thread_stats *st);
/* Through the device (no-ops when fb is on no render thread): */
/* After marking damage, inside the RCU read section: wake an idle render
 * thread (one atomic load when it is not idle). */
void fb_note_damage(struct fb_device *fb);
/* Input: back to full rate. Inside or outside an RCU read section. */
void fb_note_input(struct fb_device *fb);
/* A framebuffer wants a prompt tick (registration, clipboard). Inside or
 * outside an RCU read section. */
void fb_poke(struct fb_device *fb);

/* format.c */
/* Colour of the palette entry nearest to black, as a raw c8 value. */
uint32_t fb_palette_black(const struct fb_palette *pal);
/* The default 3-3-2 palette (static, shared). */
struct fb_palette *fb_palette_default(void);
/* Fills pal->idx.ent from pal->idx.rgba. */
void fb_palette_build_ent(struct fb_palette *pal);
/* A pixman view of a mode's pixels (c8 gets pal). NULL on ENOMEM. */
pixman_image_t *fb_mode_image(const struct fb_mode_obj *mo, const struct fb_palette *pal);

/* access.c (the direct-access API; the write paths share its marking) */
/* Clips x,y,w,h to the mode; false when nothing is left. */
bool fb_clip_rect(const struct fb_mode *m, int *x, int *y, int *w, int *h);
/* Marks the pages under the rectangle (already clipped) for every client. */
void fb_mark_rect(struct fb_device *fb, const struct fb_mode_obj *mo, int x, int y, int w, int h);
/* The same for the dirty clients in client_mask only. */
void fb_mark_rect_clients(struct fb_device *fb, const struct fb_mode_obj *mo, int x, int y, int w,
			  int h, unsigned client_mask);

/* fb_device.sections: one section open, and one begun. */
#define FB_SECTION_OPEN_MASK 0xffffffffull
#define FB_SECTION_BEGUN_ONE (1ull << 32)

/* frame.c: the render thread's frame copy (fb_device.frame_copy). */
/* The moves one tick took, in guest order. */
struct fb_tick_moves {
	struct fb_move list[FB_MOVES_MAX];
	unsigned n;
};
/* Adds the moves' destinations to region: for listeners without a copy
 * op, and when nothing can repeat the moves. */
void fb_damage_add_moves(const struct fb_tick_moves *mv, pixman_region32_t *out);
/* For a tick whose listeners are all direct: frees the frame copy, checks
 * the moves (a move from another mode, or one that does not fit, becomes
 * whole-frame damage and mv->n 0) and returns a view of the guest pixels
 * (a new reference), or NULL on ENOMEM. */
pixman_image_t *fb_frame_direct_take(struct fb_device *fb, const struct fb_mode_obj *mo,
				     const struct fb_palette *pal, pixman_region32_t *damage,
				     struct fb_tick_moves *mv);
/* Brings fb's frame copy up to date: repeats the moves, then copies the
 * guest pixels under damage (the whole frame, with the moves added to
 * damage or the whole frame added, when the copy holds another mode or
 * none). Returns it, or NULL on ENOMEM; *full says the whole frame was
 * copied, and mv->n is then 0. */
pixman_image_t *fb_frame_copy_take(struct fb_device *fb, const struct fb_mode_obj *mo,
				   const struct fb_palette *pal, pixman_region32_t *damage,
				   struct fb_tick_moves *mv, bool *full);
/* A section began while the pixels under damage were copied: gives the
 * pages back to the display client so the next tick takes them again. */
void fb_damage_give_back(struct fb_device *fb, const struct fb_mode_obj *mo,
			 const pixman_region32_t *damage, bool full);

/* Marks the destinations of moves dirty for the display only (the render
 * thread gives them back when it cannot deliver them). */
void fb_moves_give_back(struct fb_device *fb, const struct fb_mode_obj *mo,
			const struct fb_move *moves, unsigned n);

/* move.c */
/* Whether both rectangles of mv lie inside mode m. */
bool fb_move_valid(const struct fb_mode *m, const struct fb_move *mv);

/* listener.c: takes the guest's clipboard messages waiting for the render
 * thread (*head, NULL if none; the caller frees them). */

/* cursor.c */
/* fb_new / fb_free: 0 or -errno; frees the image. */
int fb_cursor_init(struct fb_device *fb);
void fb_cursor_fini(struct fb_device *fb);
/* Render thread, in the tick with listener_lock held: gives each listener
 * the cursor state it has not seen (after registration or a switch, the
 * whole state). */
void fb_cursor_deliver(struct fb_device *fb);

/* track.c */
/* Render thread, in the tick with listener_lock and an RCU read section
 * held, before the dirty bits are taken: marks what the tracker found
 * written in mo. Returns whether a polling tracker is installed. */
bool fb_track_harvest(struct fb_device *fb, const struct fb_mode_obj *mo);
/* fb_free: frees the tracker. */
void fb_track_free(struct fb_device *fb);

void fb_clip_drain(struct fb_device *fb, struct fb_clip_msg **head);

/*
 * damage.c: derive the changed rectangles of a mode from its dirty pages.
 * dirty(opaque, rel_start, len) says whether any page overlapping the bytes
 * [rel_start, rel_start+len) of the frame (relative to its page-aligned
 * start) is dirty. The region holds, per scanline, the x-extent of each dirty
 * page on that line (a pixel is in when any of its bytes is in a dirty page),
 * with x-adjacent spans merged and equal spans of consecutive lines merged
 * into one box.
 */
typedef bool (*fb_dirty_query_fn)(void *opaque, uint64_t rel_start, uint64_t len);
struct fb_damage_scratch {
	uint64_t *runs; /* dirty page runs, [2i] first page, [2i+1] end page */
	size_t nruns, runs_cap;
	pixman_box32_t *spans; /* per-line spans, y1 = line */
	size_t nspans, spans_cap;
	pixman_box32_t *boxes;
	size_t nboxes, boxes_cap;
};
void fb_damage_scratch_free(struct fb_damage_scratch *s);
/* 0, or -ENOMEM (then *region is the full frame). *dirty_pages gets the
 * count of dirty pages. region must be uninitialised; the caller finis it. */
int fb_damage_region(struct fb_damage_scratch *s, const struct fb_mode *mode, size_t page_size,
		     fb_dirty_query_fn dirty, void *opaque, pixman_region32_t *region,
		     uint64_t *dirty_pages);

#endif
