/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/cursor.c - the guest's pointer: an immutable, reference-counted image
 * (struct fb_cursor) and a position, kept per framebuffer under a small lock
 * (fb_cursor_state.lock, FB_LOCK_CURSOR) and handed to the listeners on the
 * render thread (cursor_define, cursor_move), like every other listener op.
 * Serials say what changed: each listener remembers the serials it was
 * given, so a change, a new listener or a mode switch delivers only what
 * that listener has not seen, and a burst of moves costs one call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fb/fb-internal.h"

struct fb_cursor *fb_cursor_ref(struct fb_cursor *c)
{
	if (c)
		atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
	return c;
}

void fb_cursor_unref(struct fb_cursor *c)
{
	if (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
		free(c);
}

int fb_cursor_init(struct fb_device *fb)
{
	fb->cursor.image = NULL;
	fb->cursor.x = fb->cursor.y = 0;
	fb->cursor.visible = true;
	fb->cursor.image_serial = fb->cursor.pos_serial = 0;
	return -pthread_mutex_init(&fb->cursor.lock, NULL);
}

void fb_cursor_fini(struct fb_device *fb)
{
	fb_cursor_unref(fb->cursor.image);
	fb->cursor.image = NULL;
	pthread_mutex_destroy(&fb->cursor.lock);
}

/* Publishes c (a new reference, or NULL) as the image. */
static void fb_cursor_publish(struct fb_device *fb, struct fb_cursor *c)
{
	struct fb_cursor *old;

	fb_lock(&fb->cursor.lock, FB_LOCK_CURSOR);
	old = fb->cursor.image;
	fb->cursor.image = c;
	fb->cursor.image_serial++;
	fb_unlock(&fb->cursor.lock, FB_LOCK_CURSOR);
	fb_cursor_unref(old);
	fb_poke(fb);
}

int fb_cursor_define(struct fb_device *fb, uint32_t width, uint32_t height, uint32_t hot_x,
		     uint32_t hot_y, const uint32_t *argb, size_t stride)
{
	struct fb_cursor *c;

	if (!fb || !argb || width == 0 || height == 0 || width > FB_CURSOR_MAX_SIDE_PX ||
	    height > FB_CURSOR_MAX_SIDE_PX || hot_x >= width || hot_y >= height ||
	    stride < (size_t)width * 4)
		return -EINVAL;
	c = malloc(sizeof(*c) + (size_t)width * height * 4);
	if (!c)
		return -ENOMEM;
	c->width = width;
	c->height = height;
	c->hot_x = hot_x;
	c->hot_y = hot_y;
	atomic_init(&c->refs, 1);
	for (uint32_t y = 0; y < height; y++)
		memcpy(c->argb + (size_t)y * width, (const uint8_t *)argb + y * stride,
		       (size_t)width * 4);
	fb_cursor_publish(fb, c);
	return 0;
}

void fb_cursor_clear(struct fb_device *fb)
{
	if (fb)
		fb_cursor_publish(fb, NULL);
}

/* Sets the position and visibility (under the lock), poking on a change. */
static void fb_cursor_set(struct fb_device *fb, bool set_pos, int x, int y, bool set_vis,
			  bool visible)
{
	struct fb_cursor_state *st = &fb->cursor;
	bool changed;

	fb_lock(&st->lock, FB_LOCK_CURSOR);
	if (!set_pos) {
		x = st->x;
		y = st->y;
	}
	if (!set_vis)
		visible = st->visible;
	changed = st->x != x || st->y != y || st->visible != visible || !st->pos_serial;
	if (changed) {
		st->x = x;
		st->y = y;
		st->visible = visible;
		st->pos_serial++;
	}
	fb_unlock(&st->lock, FB_LOCK_CURSOR);
	if (changed)
		fb_poke(fb);
}

void fb_cursor_move(struct fb_device *fb, int x, int y)
{
	if (fb)
		fb_cursor_set(fb, true, x, y, false, false);
}

void fb_cursor_show(struct fb_device *fb, bool visible)
{
	if (fb)
		fb_cursor_set(fb, false, 0, 0, true, visible);
}

struct fb_cursor *fb_cursor_get(struct fb_device *fb, int *x, int *y, bool *visible)
{
	struct fb_cursor *c;

	fb_lock(&fb->cursor.lock, FB_LOCK_CURSOR);
	c = fb_cursor_ref(fb->cursor.image);
	if (x)
		*x = fb->cursor.x;
	if (y)
		*y = fb->cursor.y;
	if (visible)
		*visible = fb->cursor.visible;
	fb_unlock(&fb->cursor.lock, FB_LOCK_CURSOR);
	return c;
}

void fb_cursor_deliver(struct fb_device *fb)
{
	uint64_t image_serial, pos_serial;
	struct fb_cursor *c = NULL;
	struct fb_listener *l;
	int x, y;
	bool visible;

	fb_lock(&fb->cursor.lock, FB_LOCK_CURSOR);
	image_serial = fb->cursor.image_serial;
	pos_serial = fb->cursor.pos_serial;
	x = fb->cursor.x;
	y = fb->cursor.y;
	visible = fb->cursor.visible;
	/* Nothing was ever defined or moved: the common case, no call. */
	if (image_serial || pos_serial)
		c = fb_cursor_ref(fb->cursor.image);
	fb_unlock(&fb->cursor.lock, FB_LOCK_CURSOR);
	if (!image_serial && !pos_serial)
		return;
	for (l = fb->listeners; l; l = l->next) {
		bool define;

		if (!l->seen_generation)
			continue; /* not switched yet: the cursor comes after it */
		if (l->cursor_seen_generation != l->seen_generation) {
			l->cursor_seen_generation = l->seen_generation;
			l->cursor_seen_image = l->cursor_seen_pos = 0;
		}
		define = image_serial && l->cursor_seen_image != image_serial;
		if (define && l->ops->cursor_define)
			l->ops->cursor_define(l, c);
		if ((define || l->cursor_seen_pos != pos_serial) && l->ops->cursor_move)
			l->ops->cursor_move(l, x, y, visible);
		l->cursor_seen_image = image_serial;
		l->cursor_seen_pos = pos_serial;
	}
	fb_cursor_unref(c);
}
