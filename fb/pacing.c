/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/pacing.c - when the render thread ticks, and how writers, input and new
 * listeners wake it.
 *
 * Pacing follows QEMU: a tick without damage, moves or input doubles the
 * interval up to FB_IDLE_RATE_HZ; no listeners at all go straight there;
 * input returns to rate_hz. A tick with damage sleeps FB_DAMAGE_BACKOFF_FRAMES
 * frames, because writers wake the thread: while the thread sleeps longer
 * than one frame it raises `idle`. The first writer that sees it clears it
 * and kicks the thread, which then ticks at once unless the last tick that
 * delivered damage started less than one frame ago. Counting from the last
 * *damage* tick (not the last tick) keeps deliveries at or below rate_hz
 * while a first change after a quiet tick never waits for the old tick
 * phase: a 30 fps guest on a 60 Hz thread gets each frame delivered as soon
 * as it is marked.
 *
 * Writers reach the pacing through their device (fb_device.pacing, RCU), so
 * waking the render thread never calls into render.c; this file calls no
 * other file of fb/.
 */
#include <errno.h>

#include "fb/clock.h"
#include "fb/fb-internal.h"

/* After a tick with damage the thread sleeps this many frames unless a
 * writer kicks it: without kicks (no writer) it is idle anyway, and an
 * empty tick between a slow guest's frames would only cost a wake-up. */
#define FB_DAMAGE_BACKOFF_FRAMES 4u

int fb_pacing_init(struct fb_pacing *p, unsigned rate_hz)
{
	pthread_condattr_t ca;
	int rc;

	p->frame_ns = (uint64_t)FB_CLOCK_NS_PER_S / rate_hz;
	p->idle_ns = (uint64_t)FB_CLOCK_NS_PER_S / FB_IDLE_RATE_HZ;
	if (p->idle_ns < p->frame_ns)
		p->idle_ns = p->frame_ns;
	atomic_init(&p->idle, false);
	atomic_init(&p->input_seen, false);
	p->stat_interval_ns = p->frame_ns;
	p->interval = p->frame_ns;
	rc = pthread_mutex_init(&p->wake_lock, NULL);
	if (rc)
		goto fail_wake_lock;
	rc = pthread_condattr_init(&ca);
	if (rc)
		goto fail_condattr;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!rc)
		rc = pthread_cond_init(&p->wake_cond, &ca);
	if (rc)
		goto fail_wake_cond;
	rc = pthread_cond_init(&p->tick_cond, &ca);
	if (rc)
		goto fail_tick_cond;
	pthread_condattr_destroy(&ca);
	return 0;

fail_tick_cond:
	pthread_cond_destroy(&p->wake_cond);
fail_wake_cond:
	pthread_condattr_destroy(&ca);
fail_condattr:
	pthread_mutex_destroy(&p->wake_lock);
fail_wake_lock:
	return -rc;
}

void fb_pacing_destroy(struct fb_pacing *p)
{
	pthread_cond_destroy(&p->wake_cond);
	pthread_cond_destroy(&p->tick_cond);
	pthread_mutex_destroy(&p->wake_lock);
}

void fb_pacing_stop(struct fb_pacing *p)
{
	fb_lock(&p->wake_lock, FB_LOCK_WAKE);
	p->stop = true;
	pthread_cond_signal(&p->wake_cond);
	fb_unlock(&p->wake_lock, FB_LOCK_WAKE);
}

void fb_pacing_kick(struct fb_pacing *p)
{
	fb_lock(&p->wake_lock, FB_LOCK_WAKE);
	p->kicked = true;
	if (!p->kick_ns)
		p->kick_ns = fb_clock_now_ns();
	fb_unlock(&p->wake_lock, FB_LOCK_WAKE);
	/* After the unlock, so the woken thread does not wake only to wait
	 * for wake_lock; it re-checks `kicked` under the lock. */
	pthread_cond_signal(&p->wake_cond);
}

bool fb_pacing_wait(struct fb_pacing *p, uint64_t *now, uint64_t *kick_ns, bool *early)
{
	uint64_t deadline;
	bool stop;

	*now = 0;
	*early = false;
	fb_lock(&p->wake_lock, FB_LOCK_WAKE);
	deadline = p->last_start + p->interval;
	for (;;) {
		struct timespec ts;

		if (p->stop)
			break;
		if (p->kicked) {
			uint64_t soonest = p->last_damage_start + p->frame_ns;

			p->kicked = false;
			p->interval = p->frame_ns;
			if (soonest < deadline) {
				deadline = soonest;
				*early = true;
			}
		}
		*now = fb_clock_now_ns();
		if (*now >= deadline)
			break;
		ts = fb_clock_from_ns(deadline);
		pthread_cond_timedwait(&p->wake_cond, &p->wake_lock, &ts);
	}
	stop = p->stop;
	*kick_ns = p->kick_ns;
	p->kick_ns = 0;
	fb_unlock(&p->wake_lock, FB_LOCK_WAKE);
	if (stop)
		return false;
	atomic_store(&p->idle, false);
	p->last_start = *now;
	return true;
}

void fb_pacing_tick_done(struct fb_pacing *p, const struct fb_tick_result *res, bool early,
			 const struct fb_pacing_checks *checks)
{
	uint64_t interval = p->interval;
	bool input;

	if (res->damage)
		p->last_damage_start = p->last_start;
	input = atomic_exchange(&p->input_seen, false);
	if (!res->listeners)
		interval = p->idle_ns;
	else if (input || res->deferred || res->polled)
		interval = p->frame_ns;
	else if (res->damage)
		/* Back off from now on, idle raised below: a writer kicks a
		 * tick at rate_hz, without an empty tick in between for a
		 * guest slower than rate_hz. */
		interval = FB_DAMAGE_BACKOFF_FRAMES * p->frame_ns < p->idle_ns
				   ? FB_DAMAGE_BACKOFF_FRAMES * p->frame_ns
				   : p->idle_ns;
	else
		interval = interval * 2 < p->idle_ns ? interval * 2 : p->idle_ns;
	if (res->deferred) {
		/* Dekker with fb_section_close: we raise idle, then look at
		 * the sections; the closer drops its count, then looks at
		 * idle. Whoever sees the other kicks. */
		atomic_store(&p->idle, true);
		atomic_thread_fence(memory_order_seq_cst);
		if (checks->deferred_ready(checks->opaque) && atomic_exchange(&p->idle, false))
			fb_pacing_kick(p);
	} else if (interval > p->frame_ns && res->listeners) {
		/* Dekker with the writers: we raise idle, then look at the
		 * bits; a writer sets bits, then looks at idle. The same with
		 * input that came after the exchange above (it stores
		 * input_seen, then looks at idle). */
		atomic_store(&p->idle, true);
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load(&p->input_seen) || checks->pending(checks->opaque)) {
			atomic_store(&p->idle, false);
			interval = p->frame_ns;
		}
	} else {
		/* Full rate, or no listeners: then writers have nobody to
		 * wake us for, and registration kicks. */
		atomic_store(&p->idle, false);
	}
	p->interval = interval;
	/* Completed, with its pacing decision made. */
	fb_lock(&p->wake_lock, FB_LOCK_WAKE);
	p->ticks++;
	p->stat_kicked_ticks += early;
	p->stat_idle_ticks += !res->damage;
	p->stat_interval_ns = interval;
	pthread_cond_broadcast(&p->tick_cond);
	fb_unlock(&p->wake_lock, FB_LOCK_WAKE);
}

int fb_pacing_wait_ticks(struct fb_pacing *p, unsigned n, unsigned timeout_ms)
{
	uint64_t target;
	struct timespec ts = fb_clock_from_ns(fb_clock_now_ns() +
					      (uint64_t)timeout_ms * (uint64_t)FB_CLOCK_NS_PER_MS);
	int rc = 0;

	fb_lock(&p->wake_lock, FB_LOCK_WAKE);
	target = p->ticks + n;
	while (p->ticks < target && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&p->tick_cond, &p->wake_lock, &ts);
	rc = p->ticks >= target ? 0 : -ETIMEDOUT;
	fb_unlock(&p->wake_lock, FB_LOCK_WAKE);
	return rc;
}

void fb_pacing_get_stats(struct fb_pacing *p, struct fb_render_thread_stats *st)
{
	fb_lock(&p->wake_lock, FB_LOCK_WAKE);
	st->ticks = p->ticks;
	st->kicked_ticks = p->stat_kicked_ticks;
	st->idle_ticks = p->stat_idle_ticks;
	st->interval_ns = p->stat_interval_ns;
	fb_unlock(&p->wake_lock, FB_LOCK_WAKE);
}

/* ---- through the device ------------------------------------------------ */

void fb_note_damage(struct fb_device *fb)
{
	struct fb_pacing *p = ram_rcu_dereference(fb->pacing);

	if (!p)
		return;
	/* Pairs with the fence after the thread raises idle. */
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(&p->idle, memory_order_relaxed) &&
	    atomic_exchange(&p->idle, false))
		fb_pacing_kick(p);
}

void fb_note_input(struct fb_device *fb)
{
	struct fb_pacing *p;

	ram_rcu_read_lock();
	p = ram_rcu_dereference(fb->pacing);
	if (p) {
		atomic_store(&p->input_seen, true);
		if (atomic_load(&p->idle) && atomic_exchange(&p->idle, false))
			fb_pacing_kick(p);
	}
	ram_rcu_read_unlock();
}

void fb_listener_kick(struct fb_device *fb)
{
	fb_poke(fb);
}

void fb_poke(struct fb_device *fb)
{
	struct fb_pacing *p;

	ram_rcu_read_lock();
	p = ram_rcu_dereference(fb->pacing);
	if (p) {
		atomic_store(&p->idle, false);
		fb_pacing_kick(p);
	}
	ram_rcu_read_unlock();
}
