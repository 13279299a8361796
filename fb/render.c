/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/render.c - the render thread.
 *
 * Each tick, for each framebuffer with listeners: take the mode under RCU,
 * snapshot-and-clear the VGA bits of exactly its bytes, derive the changed
 * rectangles (damage.c), take the guest's moves (move.c) and call the
 * listeners. Pacing follows QEMU: a tick without damage, moves or input
 * doubles the interval up to FB_IDLE_RATE_HZ; no
 * listeners at all go straight there; input returns to rate_hz. A tick with
 * damage sleeps FB_DAMAGE_BACKOFF_FRAMES frames, because writers wake the thread:
 * while the thread sleeps longer than one frame it raises `idle`. The first
 * writer that sees it clears it and kicks the thread, which then ticks at
 * once unless the last tick that delivered damage started less than one
 * frame ago. Counting from the last *damage* tick (not the last tick) keeps
 * deliveries at or below rate_hz while a first change after a quiet tick
 * never waits for the old tick phase: a 30 fps guest on a 60 Hz thread gets
 * each frame delivered as soon as it is marked.
 *
 * Frames are delivered whole. An fb_access section is a frame transaction
 * (fb_device.sections): a framebuffer with a section open at tick start is
 * left untouched for the tick (its bits stay set), and the thread asks to be
 * kicked by the close instead of backing off. Otherwise the thread repeats
 * the moves on its own frame copy and copies the damaged guest pixels into
 * it (frame.c), then checks that no section began meanwhile (a seqlock read
 * side); if one did, the pages and the moves' destinations are given back
 * to the VGA client and nothing is delivered. Listeners read the frame
 * copy, so they never see two frames mixed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fb/fb-internal.h"

/* After a tick with damage the thread sleeps this many frames unless a
 * writer kicks it: without kicks (no writer) it is idle anyway, and an
 * empty tick between a slow guest's frames would only cost a wake-up. */
#define FB_DAMAGE_BACKOFF_FRAMES 4u

#define FB_NS_PER_S 1000000000ull

struct fb_render {
	pthread_t thread; /* immutable after fb_render_new */
	uint64_t frame_ns; /* immutable: 1 s / rate_hz */
	uint64_t idle_ns; /* immutable: 1 s / FB_IDLE_RATE_HZ */

	pthread_mutex_t wake_lock; /* protects the fields below up to stat_interval_ns */
	pthread_cond_t wake_cond; /* kicks and stop */
	pthread_cond_t tick_cond; /* tick completion, for fb_render_wait_ticks */
	bool stop; /* wake_lock */
	bool kicked; /* wake_lock */
	uint64_t kick_ns; /* wake_lock: time of the first kick not yet served */
	uint64_t ticks; /* wake_lock */
	/* wake_lock, updated with ticks at the end of each tick, so a reader
	 * gets the counters of one moment. */
	uint64_t stat_kicked_ticks, stat_idle_ticks, stat_interval_ns;

	/* Writers read it with one atomic load; the thread sets it while it
	 * sleeps longer than a frame. seq_cst against the dirty bits. */
	atomic_bool idle;
	atomic_bool input_seen; /* input since the last tick */

	/* Protects the list of framebuffers; held by the thread for the whole
	 * tick, so fb_render_remove waits for the tick in progress. */
	pthread_mutex_t fbs_lock;
	struct fb_device *fbs; /* fbs_lock */

	/* Render thread only. */
	struct fb_damage_scratch scratch;
};

/* What one tick saw. */
struct fb_tick_result {
	unsigned listeners;
	bool damage;
	bool deferred; /* a framebuffer was left for later: a frame section */
};

static uint64_t fb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * FB_NS_PER_S + (uint64_t)ts.tv_nsec;
}

static struct timespec fb_ns_to_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / FB_NS_PER_S),
				  .tv_nsec = (long)(ns % FB_NS_PER_S) };
}

/* dirty_snapshot_get adapted to damage.c's frame-relative queries. */
struct fb_snap_query {
	const struct dirty_snapshot *snap;
	ram_addr_t base;
};

static bool fb_snap_dirty(void *opaque, uint64_t rel, uint64_t len)
{
	const struct fb_snap_query *q = opaque;

	return dirty_snapshot_get(q->snap, q->base + rel, len);
}

/* Calls the listeners of fb (listener_lock and the RCU read lock held). */
static void fb_tick_listeners(struct fb_device *fb, const struct fb_mode_obj *mo,
			      pixman_image_t *image, const pixman_region32_t *damage,
			      const struct fb_tick_moves *mv)
{
	struct fb_counters *c = &fb->counters;
	bool need_switch = false, with_moves_ready = false;
	struct fb_surface surf;
	pixman_region32_t full, with_moves;
	const pixman_region32_t *d;
	struct fb_listener *l;

	for (l = fb->listeners; l; l = l->next)
		need_switch |= l->seen_generation != mo->generation;
	if (!need_switch && !pixman_region32_not_empty(damage) && !mv->n)
		return;
	surf = (struct fb_surface){ .fb = fb, .mode = mo->mode, .generation = mo->generation };
	surf.image = image;
	if (!surf.image) {
		/* ENOMEM: the bits are gone; a switch and a full update next
		 * tick make up for them. */
		for (l = fb->listeners; l; l = l->next)
			l->seen_generation = 0;
		return;
	}
	pixman_region32_init_rect(&full, 0, 0, mo->mode.width, mo->mode.height);
	pixman_region32_init(&with_moves);
	for (l = fb->listeners; l; l = l->next) {
		if (l->seen_generation != mo->generation) {
			if (l->ops->switch_surface)
				l->ops->switch_surface(l, &surf);
			if (l->ops->update)
				l->ops->update(l, &surf, &full);
			l->seen_generation = mo->generation;
			atomic_fetch_add_explicit(&c->switches, 1, memory_order_relaxed);
			continue;
		}
		/* Without a copy op the destinations come as pixels (the
		 * region is built for the first such listener only). */
		d = damage;
		if (mv->n && !l->ops->copy) {
			if (!with_moves_ready) {
				pixman_region32_copy(&with_moves, (pixman_region32_t *)damage);
				fb_damage_add_moves(mv, &with_moves);
				with_moves_ready = true;
			}
			d = &with_moves;
		}
		for (unsigned i = 0; l->ops->copy && i < mv->n; i++)
			l->ops->copy(l, &surf, mv->list[i].sx, mv->list[i].sy, mv->list[i].dx,
				     mv->list[i].dy, mv->list[i].w, mv->list[i].h);
		if (pixman_region32_not_empty(d) && l->ops->update)
			l->ops->update(l, &surf, d);
	}
	pixman_region32_fini(&with_moves);
	pixman_region32_fini(&full);
}

/* One tick of one framebuffer. */
static void fb_tick_one(struct fb_render *r, struct fb_device *fb, uint64_t kick_ns,
			struct fb_tick_result *res)
{
	struct fb_counters *c = &fb->counters;
	struct fb_clip_msg *clips, *msg;
	const struct fb_mode_obj *mo;
	const struct fb_palette *pal;
	struct dirty_snapshot *snap;
	pixman_region32_t damage;
	uint64_t t0 = fb_now_ns(), pages = 0, t1;
	struct fb_listener *l;
	pixman_image_t *image, *view = NULL;
	uint64_t sections;
	struct fb_tick_moves moves;
	bool full, torn;
	int nrects = 0;

	fb->tick_deferred = false;
	pthread_mutex_lock(&fb->listener_lock);
	if (!fb->listeners) {
		pthread_mutex_unlock(&fb->listener_lock);
		return;
	}
	res->listeners++;
	/* Moves and bits are taken together; a move meanwhile is sent as
	 * pixels (move.c). */
	pthread_mutex_lock(&fb->move_lock);
	/* A frame is being drawn: leave it, bits and all, for a later tick. */
	sections = atomic_load(&fb->sections);
	if (sections & FB_SECTION_OPEN_MASK) {
		pthread_mutex_unlock(&fb->move_lock);
		pthread_mutex_unlock(&fb->listener_lock);
		fb->tick_deferred = true;
		res->deferred = true;
		return;
	}
	fb_clip_drain(fb, &clips);
	ram_rcu_read_lock();
	mo = ram_rcu_dereference(fb->mode);
	pal = ram_rcu_dereference(fb->palette);
	moves.n = fb->nmoves;
	memcpy(moves.list, fb->moves, sizeof(moves.list[0]) * moves.n);
	fb->nmoves = 0;
	/* Clear first, read pixels after: a write racing with us either is
	 * seen now or leaves its bit set for the next tick. */
	snap = dirty_snapshot_and_clear(fb->rl, mo->ram_offset, mo->bytes, DIRTY_MEMORY_VGA);
	if (snap) {
		struct fb_snap_query q = { snap, mo->ram_offset };

		fb_damage_region(&r->scratch, &mo->mode, fb->page_size, fb_snap_dirty, &q, &damage,
				 &pages);
		dirty_snapshot_free(snap);
	} else {
		pixman_region32_init_rect(&damage, 0, 0, mo->mode.width, mo->mode.height);
		pages = (mo->bytes + fb->page_size - 1) / fb->page_size;
	}
	image = fb_frame_copy_take(fb, mo, pal, &damage, &moves, &full);
	if (!image) /* no memory for a copy: show the guest pixels directly */
		image = view = fb_mode_image(mo, pal);
	/* Seqlock read side: the copy holds one frame only if no section
	 * began since the check above. An RMW rather than a fence and a
	 * load: its release half keeps the copy's reads before it (and
	 * ThreadSanitizer understands it). */
	torn = atomic_fetch_add(&fb->sections, 0) != sections;
	if (torn) {
		fb_damage_give_back(fb, mo, &damage, full);
		fb_moves_give_back(fb, mo, moves.list, moves.n);
		moves.n = 0;
		fb->tick_deferred = true;
		res->deferred = true;
	}
	pthread_mutex_unlock(&fb->move_lock);
	if (!torn && moves.n) {
		res->damage = true;
		atomic_fetch_add_explicit(&c->moves, moves.n, memory_order_relaxed);
	}
	if (!torn && pixman_region32_not_empty(&damage)) {
		const pixman_box32_t *b = pixman_region32_rectangles(&damage, &nrects);
		uint64_t px = 0;

		for (int i = 0; i < nrects; i++)
			px += (uint64_t)(b[i].x2 - b[i].x1) * (uint64_t)(b[i].y2 - b[i].y1);
		res->damage = true;
		atomic_fetch_add_explicit(&c->rects, (uint64_t)nrects, memory_order_relaxed);
		atomic_fetch_add_explicit(&c->pixels, px, memory_order_relaxed);
		atomic_fetch_add_explicit(&c->dirty_pages, pages, memory_order_relaxed);
	}
	if (!torn)
		fb_tick_listeners(fb, mo, image, &damage, &moves);
	else
		nrects = 0;
	for (l = fb->listeners; l; l = l->next)
		if (l->ops->refresh)
			l->ops->refresh(l);
	for (msg = clips; msg; msg = msg->next)
		for (l = fb->listeners; l; l = l->next)
			if (l->ops->clipboard)
				l->ops->clipboard(l, msg->text, msg->len);
	if (view)
		pixman_image_unref(view);
	ram_rcu_read_unlock();
	pthread_mutex_unlock(&fb->listener_lock);
	pixman_region32_fini(&damage);
	while (clips) {
		msg = clips->next;
		free(clips);
		clips = msg;
	}
	t1 = fb_now_ns();
	atomic_fetch_add_explicit(&c->ticks, 1, memory_order_relaxed);
	atomic_store_explicit(&c->last_tick_ns, t1 - t0, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->total_tick_ns, t1 - t0, memory_order_relaxed);
	if (kick_ns && (nrects || moves.n))
		atomic_store_explicit(&c->latency_ns_last, t1 - kick_ns, memory_order_relaxed);
}

/* Whether any framebuffer with listeners has VGA bits set (not clearing)
 * or moves waiting.
 * Render thread only, outside a tick. */
static bool fb_render_pending(struct fb_render *r)
{
	bool pending = false;

	pthread_mutex_lock(&r->fbs_lock);
	for (struct fb_device *fb = r->fbs; fb && !pending; fb = fb->render_next) {
		const struct fb_mode_obj *mo;
		bool listened;

		/* bits of a framebuffer nobody listens to are never taken */
		pthread_mutex_lock(&fb->listener_lock);
		listened = fb->listeners != NULL;
		pthread_mutex_unlock(&fb->listener_lock);
		if (!listened)
			continue;
		ram_rcu_read_lock();
		mo = ram_rcu_dereference(fb->mode);
		pending = dirty_get(fb->rl, mo->ram_offset, mo->bytes, DIRTY_MEMORY_VGA);
		ram_rcu_read_unlock();
		/* A move of clean pixels sets no display bit. */
		pthread_mutex_lock(&fb->move_lock);
		pending |= fb->nmoves != 0;
		pthread_mutex_unlock(&fb->move_lock);
	}
	pthread_mutex_unlock(&r->fbs_lock);
	return pending;
}

/* Whether a framebuffer the last tick deferred has no open section any
 * more. Render thread only, outside a tick. */
static bool fb_render_deferred_ready(struct fb_render *r)
{
	bool ready = false;

	pthread_mutex_lock(&r->fbs_lock);
	for (struct fb_device *fb = r->fbs; fb && !ready; fb = fb->render_next)
		ready = fb->tick_deferred &&
			!(atomic_load(&fb->sections) & FB_SECTION_OPEN_MASK);
	pthread_mutex_unlock(&r->fbs_lock);
	return ready;
}

static void *fb_render_main(void *opaque)
{
	struct fb_render *r = opaque;
	uint64_t interval = r->frame_ns, last_start = 0, last_damage_start = 0;

	for (;;) {
		struct fb_tick_result res = { 0 };
		uint64_t now = 0, deadline, kick_ns = 0;
		bool early = false, input;

		pthread_mutex_lock(&r->wake_lock);
		deadline = last_start + interval;
		for (;;) {
			struct timespec ts;

			if (r->stop)
				break;
			if (r->kicked) {
				uint64_t soonest = last_damage_start + r->frame_ns;

				r->kicked = false;
				interval = r->frame_ns;
				if (soonest < deadline) {
					deadline = soonest;
					early = true;
				}
			}
			now = fb_now_ns();
			if (now >= deadline)
				break;
			ts = fb_ns_to_ts(deadline);
			pthread_cond_timedwait(&r->wake_cond, &r->wake_lock, &ts);
		}
		if (r->stop) {
			pthread_mutex_unlock(&r->wake_lock);
			break;
		}
		kick_ns = r->kick_ns;
		r->kick_ns = 0;
		pthread_mutex_unlock(&r->wake_lock);
		atomic_store(&r->idle, false);

		last_start = now;
		pthread_mutex_lock(&r->fbs_lock);
		for (struct fb_device *fb = r->fbs; fb; fb = fb->render_next)
			fb_tick_one(r, fb, kick_ns, &res);
		pthread_mutex_unlock(&r->fbs_lock);

		if (res.damage)
			last_damage_start = now;

		input = atomic_exchange(&r->input_seen, false);
		if (!res.listeners)
			interval = r->idle_ns;
		else if (input || res.deferred)
			interval = r->frame_ns;
		else if (res.damage)
			/* Back off from now on, idle raised below: a writer
			 * kicks a tick at rate_hz, without an empty tick in
			 * between for a guest slower than rate_hz. */
			interval = FB_DAMAGE_BACKOFF_FRAMES * r->frame_ns < r->idle_ns
					   ? FB_DAMAGE_BACKOFF_FRAMES * r->frame_ns
					   : r->idle_ns;
		else
			interval = interval * 2 < r->idle_ns ? interval * 2 : r->idle_ns;
		if (res.deferred) {
			/* Dekker with fb_section_close: we raise idle, then
			 * look at the sections; the closer drops its count,
			 * then looks at idle. Whoever sees the other kicks. */
			atomic_store(&r->idle, true);
			atomic_thread_fence(memory_order_seq_cst);
			if (fb_render_deferred_ready(r) && atomic_exchange(&r->idle, false))
				fb_render_kick(r);
		} else if (interval > r->frame_ns && res.listeners) {
			/* Dekker with the writers: we raise idle, then look at
			 * the bits; a writer sets bits, then looks at idle.
			 * The same with input that came after the exchange
			 * above (it stores input_seen, then looks at idle). */
			atomic_store(&r->idle, true);
			atomic_thread_fence(memory_order_seq_cst);
			if (atomic_load(&r->input_seen) || fb_render_pending(r)) {
				atomic_store(&r->idle, false);
				interval = r->frame_ns;
			}
		} else {
			/* Full rate, or no listeners: then writers have
			 * nobody to wake us for, and registration kicks. */
			atomic_store(&r->idle, false);
		}
		/* Completed, with its pacing decision made. */
		pthread_mutex_lock(&r->wake_lock);
		r->ticks++;
		r->stat_kicked_ticks += early;
		r->stat_idle_ticks += !res.damage;
		r->stat_interval_ns = interval;
		pthread_cond_broadcast(&r->tick_cond);
		pthread_mutex_unlock(&r->wake_lock);
	}
	return NULL;
}

struct fb_render *fb_render_new(const struct fb_render_config *cfg)
{
	unsigned rate = cfg && cfg->rate_hz ? cfg->rate_hz : FB_DEFAULT_RATE_HZ;
	pthread_condattr_t ca;
	struct fb_render *r;
	int rc;

	if (rate > FB_MAX_RATE_HZ) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->frame_ns = FB_NS_PER_S / rate;
	r->idle_ns = FB_NS_PER_S / FB_IDLE_RATE_HZ;
	if (r->idle_ns < r->frame_ns)
		r->idle_ns = r->frame_ns;
	atomic_init(&r->idle, false);
	atomic_init(&r->input_seen, false);
	r->stat_interval_ns = r->frame_ns;
	rc = pthread_mutex_init(&r->wake_lock, NULL);
	if (rc)
		goto fail_wake_lock;
	rc = pthread_mutex_init(&r->fbs_lock, NULL);
	if (rc)
		goto fail_fbs_lock;
	rc = pthread_condattr_init(&ca);
	if (rc)
		goto fail_condattr;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(&r->wake_cond, &ca);
	if (rc)
		goto fail_wake_cond;
	rc = pthread_cond_init(&r->tick_cond, &ca);
	if (rc)
		goto fail_tick_cond;
	rc = pthread_create(&r->thread, NULL, fb_render_main, r);
	if (rc)
		goto fail_thread;
	pthread_condattr_destroy(&ca);
	return r;

fail_thread:
	pthread_cond_destroy(&r->tick_cond);
fail_tick_cond:
	pthread_cond_destroy(&r->wake_cond);
fail_wake_cond:
	pthread_condattr_destroy(&ca);
fail_condattr:
	pthread_mutex_destroy(&r->fbs_lock);
fail_fbs_lock:
	pthread_mutex_destroy(&r->wake_lock);
fail_wake_lock:
	free(r);
	errno = rc;
	return NULL;
}

void fb_render_free(struct fb_render *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->wake_lock);
	r->stop = true;
	pthread_cond_signal(&r->wake_cond);
	pthread_mutex_unlock(&r->wake_lock);
	pthread_join(r->thread, NULL);
	while (r->fbs)
		fb_render_remove(r, r->fbs);
	fb_damage_scratch_free(&r->scratch);
	pthread_cond_destroy(&r->wake_cond);
	pthread_cond_destroy(&r->tick_cond);
	pthread_mutex_destroy(&r->wake_lock);
	pthread_mutex_destroy(&r->fbs_lock);
	free(r);
}

int fb_render_add(struct fb_render *r, struct fb_device *fb)
{
	struct fb_device **pp;

	if (!r || !fb)
		return -EINVAL;
	pthread_mutex_lock(&r->fbs_lock);
	if (fb->render) {
		pthread_mutex_unlock(&r->fbs_lock);
		return -EBUSY;
	}
	for (pp = &r->fbs; *pp; pp = &(*pp)->render_next)
		;
	fb->render_next = NULL;
	*pp = fb;
	ram_rcu_assign(fb->render, r);
	pthread_mutex_unlock(&r->fbs_lock);
	fb_render_kick(r);
	return 0;
}

void fb_render_remove(struct fb_render *r, struct fb_device *fb)
{
	struct fb_device **pp;
	bool found = false;

	if (!r || !fb)
		return;
	pthread_mutex_lock(&r->fbs_lock);
	for (pp = &r->fbs; *pp; pp = &(*pp)->render_next) {
		if (*pp == fb) {
			*pp = fb->render_next;
			found = true;
			break;
		}
	}
	if (found) {
		fb->render_next = NULL;
		ram_rcu_assign(fb->render, NULL);
		if (fb->frame_copy)
			pixman_image_unref(fb->frame_copy);
		fb->frame_copy = NULL;
		fb->frame_copy_generation = 0;
		fb->tick_deferred = false;
	}
	pthread_mutex_unlock(&r->fbs_lock);
	/* Writers that still see r finish their read sections first. */
	if (found)
		ram_rcu_synchronize();
}

void fb_render_kick(struct fb_render *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->wake_lock);
	r->kicked = true;
	if (!r->kick_ns)
		r->kick_ns = fb_now_ns();
	pthread_mutex_unlock(&r->wake_lock);
	/* After the unlock, so the woken thread does not wake only to wait
	 * for wake_lock; it re-checks `kicked` under the lock. */
	pthread_cond_signal(&r->wake_cond);
}

void fb_note_damage(struct fb_device *fb)
{
	struct fb_render *r = ram_rcu_dereference(fb->render);

	if (!r)
		return;
	/* Pairs with the fence after the thread raises idle. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&r->idle, memory_order_relaxed) && atomic_exchange(&r->idle, false))
		fb_render_kick(r);
}

void fb_render_poke(struct fb_device *fb)
{
	struct fb_render *r;

	ram_rcu_read_lock();
	r = ram_rcu_dereference(fb->render);
	if (r) {
		atomic_store(&r->idle, false);
		fb_render_kick(r);
	}
	ram_rcu_read_unlock();
}

void fb_render_note_input(struct fb_device *fb)
{
	struct fb_render *r;

	ram_rcu_read_lock();
	r = ram_rcu_dereference(fb->render);
	if (r) {
		atomic_store(&r->input_seen, true);
		if (atomic_load(&r->idle) && atomic_exchange(&r->idle, false))
			fb_render_kick(r);
	}
	ram_rcu_read_unlock();
}

int fb_render_wait_ticks(struct fb_render *r, unsigned n, unsigned timeout_ms)
{
	uint64_t target;
	struct timespec ts = fb_ns_to_ts(fb_now_ns() + (uint64_t)timeout_ms * 1000000ull);
	int rc = 0;

	if (!r)
		return -EINVAL;
	pthread_mutex_lock(&r->wake_lock);
	target = r->ticks + n;
	while (r->ticks < target && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&r->tick_cond, &r->wake_lock, &ts);
	rc = r->ticks >= target ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&r->wake_lock);
	return rc;
}

void fb_render_get_thread_stats(struct fb_render *r, struct fb_render_thread_stats *st)
{
	pthread_mutex_lock(&r->wake_lock);
	st->ticks = r->ticks;
	st->kicked_ticks = r->stat_kicked_ticks;
	st->idle_ticks = r->stat_idle_ticks;
	st->interval_ns = r->stat_interval_ns;
	pthread_mutex_unlock(&r->wake_lock);
}

void fb_get_stats(struct fb_device *fb, struct fb_render_stats *st)
{
	struct fb_counters *c = &fb->counters;

	st->ticks = atomic_load_explicit(&c->ticks, memory_order_relaxed);
	st->dirty_pages = atomic_load_explicit(&c->dirty_pages, memory_order_relaxed);
	st->rects = atomic_load_explicit(&c->rects, memory_order_relaxed);
	st->pixels = atomic_load_explicit(&c->pixels, memory_order_relaxed);
	st->switches = atomic_load_explicit(&c->switches, memory_order_relaxed);
	st->moves = atomic_load_explicit(&c->moves, memory_order_relaxed);
	st->last_tick_ns = atomic_load_explicit(&c->last_tick_ns, memory_order_relaxed);
	st->latency_ns_last = atomic_load_explicit(&c->latency_ns_last, memory_order_relaxed);
	st->total_tick_ns = atomic_load_explicit(&c->total_tick_ns, memory_order_relaxed);
}
