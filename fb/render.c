/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/render.c - the render thread.
 *
 * Each tick, for each framebuffer with listeners: take the mode under RCU,
 * snapshot-and-clear the VGA bits of exactly its bytes, derive the changed
 * rectangles (damage.c), take the guest's moves (queued by access.c) and call
 * the listeners. When it ticks is pacing.c's decision.
 *
 * Frames are delivered whole. An fb_access section is a frame transaction
 * (fb_device.sections): a framebuffer with a section open at tick start is
 * left untouched for the tick (its bits stay set), and the thread asks to be
 * kicked by the close instead of backing off. When every listener is
 * direct (fb.h), they read the guest pixels themselves during the tick and
 * the thread checks afterwards that no section began meanwhile (a seqlock
 * read side): commit(torn) tells them, and a torn tick's pages and moves'
 * destinations are given back to the VGA client. Otherwise the thread
 * repeats the moves on its own frame copy and copies the damaged guest
 * pixels into it (frame.c), checks the same way before any listener is
 * called, and listeners read the frame copy. Either way no listener shows
 * two frames mixed. A listener busy with its own picture (try_begin says
 * no) makes the tick leave the framebuffer, bits and all, until it kicks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fb/clock.h"
#include "fb/fb-internal.h"

struct fb_render {
	pthread_t thread;	 /* immutable after fb_render_new */
	struct fb_pacing pacing; /* when to tick; its own lock */

	/* Protects the list of framebuffers; held by the thread for the whole
	 * tick, so fb_render_remove waits for the tick in progress. */
	pthread_mutex_t fbs_lock;
	struct fb_device *fbs; /* fbs_lock */

	/* Render thread only. */
	struct fb_damage_scratch scratch;
};

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

/* Asks every listener with a try_begin op whether it can take a tick now
 * (listener_lock held). When one cannot, those that could are committed
 * with nothing, and false is returned. */
static bool fb_tick_begin(struct fb_device *fb)
{
	struct fb_listener *l, *busy = NULL;

	for (l = fb->listeners; l && !busy; l = l->next)
		if (l->ops->try_begin && !l->ops->try_begin(l))
			busy = l;
	if (!busy)
		return true;
	for (l = fb->listeners; l != busy; l = l->next)
		if (l->ops->try_begin && l->ops->commit)
			l->ops->commit(l, FB_TICK_SKIPPED);
	return false;
}

/* Tells every listener with a commit op how the tick ended (listener_lock
 * held). */
static void fb_tick_commit(struct fb_device *fb, enum fb_tick_end end)
{
	for (struct fb_listener *l = fb->listeners; l; l = l->next)
		if (l->ops->commit)
			l->ops->commit(l, end);
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
	uint64_t t0 = fb_clock_now_ns(), pages = 0, t1;
	struct fb_listener *l;
	pixman_image_t *image, *view = NULL;
	uint64_t sections;
	struct fb_tick_moves moves;
	bool full, torn, direct = true;
	int nrects = 0;

	fb->tick_deferred = false;
	fb_lock(&fb->listener_lock, FB_LOCK_LISTENERS);
	if (!fb->listeners) {
		fb_unlock(&fb->listener_lock, FB_LOCK_LISTENERS);
		return;
	}
	res->listeners++;
	for (l = fb->listeners; l; l = l->next)
		direct &= l->ops->direct;
	/* A listener whose picture is being read (sent) now: leave the
	 * frame, bits and all, until it kicks us (fb_listener_kick). */
	if (!fb_tick_begin(fb)) {
		fb_unlock(&fb->listener_lock, FB_LOCK_LISTENERS);
		return;
	}
	/* Moves and bits are taken together; a move meanwhile is sent as
	 * pixels (access.c). */
	fb_lock(&fb->move_lock, FB_LOCK_MOVES);
	/* A frame is being drawn: leave it, bits and all, for a later tick. */
	sections = atomic_load(&fb->sections);
	if (sections & FB_SECTION_OPEN_MASK) {
		fb_unlock(&fb->move_lock, FB_LOCK_MOVES);
		fb_tick_commit(fb, FB_TICK_SKIPPED);
		fb_unlock(&fb->listener_lock, FB_LOCK_LISTENERS);
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
	/* Pages a write tracker found written join the bits. */
	res->polled |= fb_track_harvest(fb, mo);
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
	if (direct) {
		/* The listeners copy from guest RAM themselves; whether what
		 * they read was one frame is known only afterwards. */
		image = view = fb_frame_direct_take(fb, mo, pal, &damage, &moves);
		full = false;
		fb_unlock(&fb->move_lock, FB_LOCK_MOVES);
		if (image)
			fb_tick_listeners(fb, mo, image, &damage, &moves);
		/* Seqlock read side, as below. */
		torn = atomic_fetch_add(&fb->sections, 0) != sections;
		fb_tick_commit(fb, !image ? FB_TICK_SKIPPED : torn ? FB_TICK_TORN : FB_TICK_WHOLE);
		/* No picture (no memory for its header): nothing was shown,
		 * the damage and moves wait for a later tick as a torn
		 * tick's do. */
		torn |= !image;
		if (torn) {
			fb_lock(&fb->move_lock, FB_LOCK_MOVES);
			fb_damage_give_back(fb, mo, &damage, false);
			fb_moves_give_back(fb, mo, moves.list, moves.n);
			fb_unlock(&fb->move_lock, FB_LOCK_MOVES);
		}
	} else {
		image = fb_frame_copy_take(fb, mo, pal, &damage, &moves, &full);
		if (!image) /* no memory for a copy: show the guest pixels directly */
			image = view = fb_mode_image(mo, pal);
		/* Seqlock read side: the copy holds one frame only if no
		 * section began since the check above. An RMW rather than a
		 * fence and a load: its release half keeps the copy's reads
		 * before it (and ThreadSanitizer understands it). */
		torn = atomic_fetch_add(&fb->sections, 0) != sections;
		if (torn) {
			fb_damage_give_back(fb, mo, &damage, full);
			fb_moves_give_back(fb, mo, moves.list, moves.n);
		}
		fb_unlock(&fb->move_lock, FB_LOCK_MOVES);
		if (!torn)
			fb_tick_listeners(fb, mo, image, &damage, &moves);
		fb_tick_commit(fb, torn ? FB_TICK_SKIPPED : FB_TICK_WHOLE);
	}
	if (torn) {
		moves.n = 0;
		nrects = 0;
		fb->tick_deferred = true;
		res->deferred = true;
	}
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
	for (l = fb->listeners; l; l = l->next)
		if (l->ops->refresh)
			l->ops->refresh(l);
	fb_cursor_deliver(fb); /* cursor.c: what each listener has not seen */
	for (msg = clips; msg; msg = msg->next)
		for (l = fb->listeners; l; l = l->next)
			if (l->ops->clipboard)
				l->ops->clipboard(l, msg->text, msg->len);
	if (view)
		pixman_image_unref(view);
	ram_rcu_read_unlock();
	fb_unlock(&fb->listener_lock, FB_LOCK_LISTENERS);
	pixman_region32_fini(&damage);
	while (clips) {
		msg = clips->next;
		free(clips);
		clips = msg;
	}
	t1 = fb_clock_now_ns();
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

	fb_lock(&r->fbs_lock, FB_LOCK_RENDER_FBS);
	for (struct fb_device *fb = r->fbs; fb && !pending; fb = fb->render_next) {
		const struct fb_mode_obj *mo;
		bool listened;

		/* bits of a framebuffer nobody listens to are never taken */
		fb_lock(&fb->listener_lock, FB_LOCK_LISTENERS);
		listened = fb->listeners != NULL;
		fb_unlock(&fb->listener_lock, FB_LOCK_LISTENERS);
		if (!listened)
			continue;
		ram_rcu_read_lock();
		mo = ram_rcu_dereference(fb->mode);
		pending = dirty_get(fb->rl, mo->ram_offset, mo->bytes, DIRTY_MEMORY_VGA);
		ram_rcu_read_unlock();
		/* A move of clean pixels sets no display bit. */
		fb_lock(&fb->move_lock, FB_LOCK_MOVES);
		pending |= fb->nmoves != 0;
		fb_unlock(&fb->move_lock, FB_LOCK_MOVES);
	}
	fb_unlock(&r->fbs_lock, FB_LOCK_RENDER_FBS);
	return pending;
}

/* Whether a framebuffer the last tick deferred has no open section any
 * more. Render thread only, outside a tick. */
static bool fb_render_deferred_ready(struct fb_render *r)
{
	bool ready = false;

	fb_lock(&r->fbs_lock, FB_LOCK_RENDER_FBS);
	for (struct fb_device *fb = r->fbs; fb && !ready; fb = fb->render_next)
		ready = fb->tick_deferred && !(atomic_load(&fb->sections) & FB_SECTION_OPEN_MASK);
	fb_unlock(&r->fbs_lock, FB_LOCK_RENDER_FBS);
	return ready;
}

static bool fb_render_pending_check(void *opaque)
{
	return fb_render_pending(opaque);
}

static bool fb_render_deferred_check(void *opaque)
{
	return fb_render_deferred_ready(opaque);
}

static void *fb_render_main(void *opaque)
{
	struct fb_render *r = opaque;
	const struct fb_pacing_checks checks = {
		.pending = fb_render_pending_check,
		.deferred_ready = fb_render_deferred_check,
		.opaque = r,
	};
	uint64_t now, kick_ns;
	bool early;

	while (fb_pacing_wait(&r->pacing, &now, &kick_ns, &early)) {
		struct fb_tick_result res = { 0 };

		fb_lock(&r->fbs_lock, FB_LOCK_RENDER_FBS);
		for (struct fb_device *fb = r->fbs; fb; fb = fb->render_next)
			fb_tick_one(r, fb, kick_ns, &res);
		fb_unlock(&r->fbs_lock, FB_LOCK_RENDER_FBS);
		fb_pacing_tick_done(&r->pacing, &res, early, &checks);
	}
	return NULL;
}

struct fb_render *fb_render_new(const struct fb_render_config *cfg)
{
	unsigned rate = cfg && cfg->rate_hz ? cfg->rate_hz : FB_DEFAULT_RATE_HZ;
	struct fb_render *r;
	int rc;

	if (rate > FB_MAX_RATE_HZ) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	rc = -fb_pacing_init(&r->pacing, rate);
	if (rc)
		goto fail_pacing;
	rc = pthread_mutex_init(&r->fbs_lock, NULL);
	if (rc)
		goto fail_fbs_lock;
	rc = pthread_create(&r->thread, NULL, fb_render_main, r);
	if (rc)
		goto fail_thread;
	pthread_setname_np(r->thread, FB_RENDER_THREAD_NAME);
	return r;

fail_thread:
	pthread_mutex_destroy(&r->fbs_lock);
fail_fbs_lock:
	fb_pacing_destroy(&r->pacing);
fail_pacing:
	free(r);
	errno = rc;
	return NULL;
}

void fb_render_free(struct fb_render *r)
{
	if (!r)
		return;
	fb_pacing_stop(&r->pacing);
	pthread_join(r->thread, NULL);
	while (r->fbs)
		fb_render_remove(r, r->fbs);
	fb_damage_scratch_free(&r->scratch);
	fb_pacing_destroy(&r->pacing);
	pthread_mutex_destroy(&r->fbs_lock);
	free(r);
}

int fb_render_add(struct fb_render *r, struct fb_device *fb)
{
	struct fb_device **pp;

	if (!r || !fb)
		return -EINVAL;
	fb_lock(&r->fbs_lock, FB_LOCK_RENDER_FBS);
	if (fb->render) {
		fb_unlock(&r->fbs_lock, FB_LOCK_RENDER_FBS);
		return -EBUSY;
	}
	for (pp = &r->fbs; *pp; pp = &(*pp)->render_next)
		;
	fb->render_next = NULL;
	*pp = fb;
	ram_rcu_assign(fb->render, r);
	ram_rcu_assign(fb->pacing, &r->pacing);
	fb_unlock(&r->fbs_lock, FB_LOCK_RENDER_FBS);
	fb_render_kick(r);
	return 0;
}

void fb_render_remove(struct fb_render *r, struct fb_device *fb)
{
	struct fb_device **pp;
	bool found = false;

	if (!r || !fb)
		return;
	fb_lock(&r->fbs_lock, FB_LOCK_RENDER_FBS);
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
		ram_rcu_assign(fb->pacing, NULL);
		if (fb->frame_copy)
			pixman_image_unref(fb->frame_copy);
		fb->frame_copy = NULL;
		fb->frame_copy_generation = 0;
		fb->tick_deferred = false;
	}
	fb_unlock(&r->fbs_lock, FB_LOCK_RENDER_FBS);
	/* Writers that still see r finish their read sections first. */
	if (found)
		ram_rcu_synchronize();
}

void fb_render_kick(struct fb_render *r)
{
	if (r)
		fb_pacing_kick(&r->pacing);
}

int fb_render_wait_ticks(struct fb_render *r, unsigned n, unsigned timeout_ms)
{
	if (!r)
		return -EINVAL;
	return fb_pacing_wait_ticks(&r->pacing, n, timeout_ms);
}

void fb_render_get_thread_stats(struct fb_render *r, struct fb_render_thread_stats *st)
{
	fb_pacing_get_stats(&r->pacing, st);
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
	st->track_pages = atomic_load_explicit(&fb->track_pages, memory_order_relaxed);
	st->track_mode = atomic_load_explicit(&fb->track_mode, memory_order_relaxed);
}
