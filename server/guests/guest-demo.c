/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-demo.c - the "demo" guest: a screen that looks alive and
 * changes mostly small areas. A clock redrawn once a second, a sprite moving
 * at DEMO_FRAME_HZ, a scrolling log, a paint area following the pointer and
 * the typed keys echoed as text. F2 cycles the modes of guest_demo_cycle_mode
 * and viewers may resize it (the format stays).
 *
 * Threads: input callbacks run on frontend threads and only queue events
 * under demo_guest.run.lock; the guest thread drains the queue and does all the
 * drawing (guest-demo-draw.c), so the screen state needs no lock.
 */
#include "server/guests/guest-demo-internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/guests/guest-draw.h"
#include "server/guests/guest-runner.h"
#include "server/guests/guest.h"

#define DEMO_FRAME_HZ 30u
#define DEMO_LOG_PERIOD_MS 1000u
#define DEMO_NS_PER_MS 1000000ull
/* One frame at DEMO_FRAME_HZ, in ns. */
#define DEMO_FRAME_NS (1000ull * DEMO_NS_PER_MS / DEMO_FRAME_HZ)
#define DEMO_EVENT_QUEUE_LEN 256u

/* ---- state -------------------------------------------------------------- */

enum demo_event_type { DEMO_EV_KEY, DEMO_EV_POINTER };

/* One queued input event. */
struct demo_event {
	enum demo_event_type type;
	uint32_t keysym;  /* DEMO_EV_KEY, down only */
	int x, y;	  /* DEMO_EV_POINTER */
	uint32_t buttons; /* DEMO_EV_POINTER */
};

/* One running demo guest. */
struct demo_guest {
	/* Thread, stop flag and resize hand-over; run.wake is also signalled
	 * when an event is queued. */
	struct guest_runner run;
	struct fbhost_fb *fb; /* = run.fb, read-only */

	/* Protected by run.lock. */
	struct demo_event queue[DEMO_EVENT_QUEUE_LEN]; /* ring */
	unsigned queue_head, queue_len;
	uint64_t events_dropped; /* input lost to a full queue, shown in the log */

	/* Guest thread only, from here on. */
	struct guest_demo_screen screen;
	bool stroke; /* a button is held and the last point was painted */
	int stroke_x, stroke_y;
	uint32_t stroke_buttons;
	uint64_t next_frame, next_log; /* fbhost_now_ns times */
};

/* ---- input (guest thread) ----------------------------------------------- */

static void handle_key(struct demo_guest *dg, uint32_t keysym)
{
	if (keysym == GUEST_DEMO_KEY_NEXT_MODE) {
		struct fbhost_mode next = guest_demo_next_mode(&dg->screen.mode);
		int rc = fbhost_resize(dg->fb, next.width, next.height, next.format);

		if (rc < 0)
			guest_demo_screen_log(&dg->screen, "F2: mode %ux%u failed: %s", next.width,
					      next.height, strerror(-rc));
		return;
	}
	if (keysym == GUEST_DEMO_KEY_BACKSPACE) {
		if (dg->screen.typed_len == 0)
			return;
		dg->screen.typed_len--;
	} else {
		char c;

		if (keysym == GUEST_DEMO_KEY_RETURN || keysym == GUEST_DEMO_KEY_KP_ENTER)
			c = '\n';
		else if (keysym >= 0x20 && keysym <= 0x7e)
			c = (char)keysym; /* Latin-1 keysyms are ASCII here */
		else
			return;
		if (dg->screen.typed_len == DEMO_TYPED_MAX) {
			/* Forget the oldest quarter. */
			size_t drop = DEMO_TYPED_MAX / 4;

			memmove(dg->screen.typed, dg->screen.typed + drop, DEMO_TYPED_MAX - drop);
			dg->screen.typed_len -= drop;
		}
		dg->screen.typed[dg->screen.typed_len++] = c;
	}
	guest_demo_screen_redraw_typed(&dg->screen);
}

static bool in_box(const pixman_box32_t *b, int x, int y)
{
	return x >= b->x1 && x < b->x2 && y >= b->y1 && y < b->y2;
}

/* Paints from the last point of the stroke to x,y while a button is held. */
static void handle_pointer(struct demo_guest *dg, int x, int y, uint32_t buttons)
{
	uint32_t held = buttons & 7u;
	uint32_t px;
	int steps, dx, dy;

	if (!held || !in_box(&dg->screen.lay.paint_area, x, y)) {
		dg->stroke = false;
		return;
	}
	px = held & 1u	 ? dg->screen.paint_px[0]
	     : held & 2u ? dg->screen.paint_px[1]
			 : dg->screen.paint_px[2];
	if (!dg->stroke || dg->stroke_buttons != held) {
		guest_demo_screen_log(&dg->screen, "paint at %d,%d",
				      x - dg->screen.lay.paint_area.x1,
				      y - dg->screen.lay.paint_area.y1);
		dg->stroke_x = x;
		dg->stroke_y = y;
	}
	dx = x - dg->stroke_x;
	dy = y - dg->stroke_y;
	steps = abs(dx) > abs(dy) ? abs(dx) : abs(dy);
	steps = (steps + GUEST_DEMO_BRUSH_PX / 2) / (GUEST_DEMO_BRUSH_PX / 2 + 1) + 1;
	for (int i = 1; i <= steps; i++)
		guest_demo_screen_paint_dot(&dg->screen, dg->stroke_x + dx * i / steps,
					    dg->stroke_y + dy * i / steps, px);
	dg->stroke = true;
	dg->stroke_buttons = held;
	dg->stroke_x = x;
	dg->stroke_y = y;
}

/* Applies a viewer's resize request, keeping the format. */
static void handle_resize(struct demo_guest *dg, uint32_t w, uint32_t h)
{
	int rc = guest_runner_apply_resize(&dg->run, w, h);

	if (rc < 0)
		guest_demo_screen_log(&dg->screen, "resize to %ux%u failed: %s", w, h,
				      strerror(-rc));
}

/* Redraws everything when the mode changed since the last full redraw. */
static void check_mode(struct demo_guest *dg)
{
	struct guest_demo_screen *s = &dg->screen;
	uint64_t gen = fbhost_fb_mode_generation(dg->fb);

	if (s->drawn && gen == s->drawn_generation)
		return;
	dg->stroke = false;
	guest_demo_screen_redraw_all(s);
	guest_demo_screen_log(
		s, "mode %ux%u %s", s->mode.width, s->mode.height,
		fbhost_format_name(s->mode.format) ? fbhost_format_name(s->mode.format) : "?");
}

/* Once per frame: the sprite, the clock and the periodic log line. */
static void tick(struct demo_guest *dg, uint64_t now)
{
	struct guest_demo_screen *s = &dg->screen;

	s->frames++;
	guest_demo_screen_animate_sprite(s);
	guest_demo_screen_update_clock(s);
	if (now >= dg->next_log) {
		uint64_t dropped;

		pthread_mutex_lock(&dg->run.lock);
		dropped = dg->events_dropped;
		pthread_mutex_unlock(&dg->run.lock);
		guest_demo_screen_log(s, "frame %llu, sprite at %d,%d, %llu events dropped",
				      (unsigned long long)s->frames, s->sprite_x, s->sprite_y,
				      (unsigned long long)dropped);
		dg->next_log = now + DEMO_LOG_PERIOD_MS * DEMO_NS_PER_MS;
	}
}

static void *demo_thread(void *opaque)
{
	struct demo_guest *dg = opaque;
	struct demo_event batch[DEMO_EVENT_QUEUE_LEN];

	dg->next_frame = fbhost_now_ns();
	dg->next_log = dg->next_frame;
	pthread_mutex_lock(&dg->run.lock);
	while (!dg->run.stop) {
		uint32_t rw = 0, rh = 0;
		bool resize = guest_runner_take_resize_locked(&dg->run, &rw, &rh);
		unsigned n = dg->queue_len;
		uint64_t now;

		for (unsigned i = 0; i < n; i++)
			batch[i] = dg->queue[(dg->queue_head + i) % DEMO_EVENT_QUEUE_LEN];
		dg->queue_head = (dg->queue_head + n) % DEMO_EVENT_QUEUE_LEN;
		dg->queue_len = 0;
		pthread_mutex_unlock(&dg->run.lock);

		check_mode(dg);
		if (resize)
			handle_resize(dg, rw, rh);
		for (unsigned i = 0; i < n; i++) {
			if (batch[i].type == DEMO_EV_KEY)
				handle_key(dg, batch[i].keysym);
			else
				handle_pointer(dg, batch[i].x, batch[i].y, batch[i].buttons);
			check_mode(dg);
		}
		check_mode(dg);
		now = fbhost_now_ns();
		if (now >= dg->next_frame) {
			tick(dg, now);
			dg->next_frame += DEMO_FRAME_NS;
			if (now >= dg->next_frame) {
				/* Late by a frame or more: do not try to catch up. */
				dg->next_frame = now + DEMO_FRAME_NS;
			}
		}

		pthread_mutex_lock(&dg->run.lock);
		while (!dg->run.stop && !dg->queue_len && !dg->run.resize_pending &&
		       guest_runner_wait_until_locked(&dg->run, dg->next_frame) == 0)
			;
	}
	pthread_mutex_unlock(&dg->run.lock);
	return NULL;
}

/* ---- input callbacks (frontend threads) ---------------------------------- */

/* Queues ev. Pointer motion without buttons coalesces with a queued motion;
 * with a button held every event is kept, since each paints. */
static void queue_event(struct demo_guest *dg, const struct demo_event *ev)
{
	pthread_mutex_lock(&dg->run.lock);
	if (ev->type == DEMO_EV_POINTER && dg->queue_len) {
		struct demo_event *last =
			&dg->queue[(dg->queue_head + dg->queue_len - 1) % DEMO_EVENT_QUEUE_LEN];

		if (last->type == DEMO_EV_POINTER && !last->buttons && !ev->buttons) {
			*last = *ev;
			goto out;
		}
	}
	if (dg->queue_len == DEMO_EVENT_QUEUE_LEN) {
		dg->events_dropped++;
		goto out;
	}
	dg->queue[(dg->queue_head + dg->queue_len++) % DEMO_EVENT_QUEUE_LEN] = *ev;
	pthread_cond_signal(&dg->run.wake);
out:
	pthread_mutex_unlock(&dg->run.lock);
}

static void demo_key(void *opaque, struct fbhost_fb *fb, uint32_t keysym, bool down)
{
	struct demo_event ev = { .type = DEMO_EV_KEY, .keysym = keysym };

	if (down)
		queue_event(opaque, &ev);
}

static void demo_pointer(void *opaque, struct fbhost_fb *fb, int x, int y, uint32_t buttons)
{
	struct demo_event ev = { .type = DEMO_EV_POINTER, .x = x, .y = y, .buttons = buttons };

	queue_event(opaque, &ev);
}

/* Pasted text is echoed like typed keys (printable ASCII and newlines). */
static void demo_clipboard(void *opaque, struct fbhost_fb *fb, const char *utf8, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)utf8[i];
		struct demo_event ev = { .type = DEMO_EV_KEY, .keysym = c };

		if (c == '\n')
			ev.keysym = GUEST_DEMO_KEY_RETURN;
		else if (c < 0x20 || c > 0x7e)
			continue;
		queue_event(opaque, &ev);
	}
}

/* Frontend threads: validates and queues the request for the guest thread. */
static int demo_resize_request(void *opaque, struct fbhost_fb *fb, uint32_t width, uint32_t height)
{
	struct demo_guest *dg = opaque;

	return guest_runner_request_resize(&dg->run, width, height);
}

static const struct fbhost_input_callbacks demo_input = {
	.key = demo_key,
	.pointer = demo_pointer,
	.clipboard = demo_clipboard,
	.resize_request = demo_resize_request,
};

/* ---- start/stop --------------------------------------------------------- */

static int demo_start(struct fbhost *host, struct fbhost_fb *fb, const char *args, void **state,
		      const char **err)
{
	struct demo_guest *dg;
	int rc;

	if (args && *args) {
		*err = "the demo guest takes no arguments";
		return -EINVAL;
	}
	dg = calloc(1, sizeof(*dg));
	if (!dg)
		return -ENOMEM;
	dg->fb = fb;
	guest_demo_screen_init(&dg->screen, fb);
	rc = guest_runner_init(&dg->run, host, fb);
	if (rc)
		goto fail_runner;
	rc = guest_runner_start(&dg->run, demo_thread, dg);
	if (rc) {
		*err = "cannot start the demo guest's thread";
		goto fail_thread;
	}
	rc = fbhost_input_add(fb, &demo_input, dg);
	if (rc) {
		*err = "cannot take the framebuffer's input";
		goto fail_input;
	}
	*state = dg;
	return 0;

fail_input:
	guest_runner_stop(&dg->run);
fail_thread:
	guest_runner_destroy(&dg->run);
fail_runner:
	free(dg);
	return rc;
}

static void demo_stop(void *state)
{
	struct demo_guest *dg = state;

	fbhost_input_remove(dg->fb, dg);
	guest_runner_stop(&dg->run);
	guest_runner_destroy(&dg->run);
	free(dg);
}

const struct guest_ops guest_demo_ops = {
	.name = "demo",
	.start = demo_start,
	.stop = demo_stop,
};
