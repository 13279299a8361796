/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/headless.c - the headless listener: an x8r8g8b8 shadow of the guest
 * picture, updated only inside the damage region.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fb/headless-internal.h"

static struct fb_headless *fb_headless_of(struct fb_listener *l)
{
	return caa_container_of(l, struct fb_headless, listener);
}

/* A black x8r8g8b8 shadow (pixman allocates zeroed bits, stride = width *
 * 4), or NULL on ENOMEM. */
static pixman_image_t *fb_headless_shadow_alloc(int width, int height)
{
	return pixman_image_create_bits(PIXMAN_x8r8g8b8, width, height, NULL, 0);
}

static void fb_headless_switch(struct fb_listener *l, const struct fb_surface *s)
{
	struct fb_headless *h = fb_headless_of(l);
	pixman_image_t *img;

	img = h->shadow_alloc((int)s->mode.width, (int)s->mode.height);
	fb_lock(&h->lock, FB_LOCK_HEADLESS);
	if (h->shadow)
		pixman_image_unref(h->shadow);
	h->shadow = img; /* NULL on ENOMEM: the next update retries */
	h->stats.switches++;
	fb_unlock(&h->lock, FB_LOCK_HEADLESS);
}

/* A guest move: repeated on the shadow (a missing shadow gets the whole
 * frame on the next update anyway). */
static void fb_headless_move(struct fb_listener *l, const struct fb_surface *s, int sx, int sy,
			     int dx, int dy, int w, int h)
{
	struct fb_headless *hl = fb_headless_of(l);

	fb_lock(&hl->lock, FB_LOCK_HEADLESS);
	if (hl->shadow && pixman_image_get_width(hl->shadow) == (int)s->mode.width &&
	    pixman_image_get_height(hl->shadow) == (int)s->mode.height)
		fb_pixels_move(pixman_image_get_data(hl->shadow),
			       (size_t)pixman_image_get_stride(hl->shadow), 4, sx, sy, dx, dy, w,
			       h);
	fb_unlock(&hl->lock, FB_LOCK_HEADLESS);
}

static void fb_headless_update(struct fb_listener *l, const struct fb_surface *s,
			       const pixman_region32_t *damage)
{
	struct fb_headless *h = fb_headless_of(l);
	const pixman_box32_t *boxes;
	bool full = false;
	uint64_t px = 0;
	int n;

	boxes = pixman_region32_rectangles((pixman_region32_t *)damage, &n);
	for (int i = 0; i < n; i++)
		px += (uint64_t)(boxes[i].x2 - boxes[i].x1) * (uint64_t)(boxes[i].y2 - boxes[i].y1);
	fb_lock(&h->lock, FB_LOCK_HEADLESS);
	if (!h->shadow) {
		/* The switch could not allocate it: retry, and since the damage
		 * since then is lost, draw the whole frame. */
		h->shadow = h->shadow_alloc((int)s->mode.width, (int)s->mode.height);
		full = true;
	}
	if (h->shadow && pixman_image_get_width(h->shadow) == (int)s->mode.width &&
	    pixman_image_get_height(h->shadow) == (int)s->mode.height) {
		if (!full)
			pixman_image_set_clip_region32(h->shadow, (pixman_region32_t *)damage);
		pixman_image_composite32(PIXMAN_OP_SRC, s->image, NULL, h->shadow, 0, 0, 0, 0, 0, 0,
					 (int)s->mode.width, (int)s->mode.height);
		pixman_image_set_clip_region32(h->shadow, NULL);
	}
	h->stats.ticks++;
	h->stats.rects += (uint64_t)n;
	h->stats.pixels += px;
	fb_unlock(&h->lock, FB_LOCK_HEADLESS);
}

static void fb_headless_destroy(struct fb_listener *l)
{
	struct fb_headless *h = fb_headless_of(l);

	if (h->shadow)
		pixman_image_unref(h->shadow);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

static const struct fb_listener_ops fb_headless_ops = {
	.name = "headless",
	.switch_surface = fb_headless_switch,
	.copy = fb_headless_move,
	.update = fb_headless_update,
	.destroy = fb_headless_destroy,
};

struct fb_headless *fb_headless_new(struct fb_device *fb)
{
	struct fb_headless *h;
	int rc;

	if (!fb) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->fb = fb;
	h->listener.ops = &fb_headless_ops;
	h->shadow_alloc = fb_headless_shadow_alloc;
	rc = pthread_mutex_init(&h->lock, NULL);
	if (rc)
		goto fail_lock;
	rc = fb_listener_register(fb, &h->listener);
	if (rc)
		goto fail_register;
	return h;

fail_register:
	pthread_mutex_destroy(&h->lock);
fail_lock:
	free(h);
	errno = rc < 0 ? -rc : rc;
	return NULL;
}

void fb_headless_free(struct fb_headless *h)
{
	if (h)
		fb_listener_unregister(h->fb, &h->listener); /* destroy frees h */
}

int fb_headless_copy(struct fb_headless *h, uint32_t **pixels, uint32_t *width, uint32_t *height)
{
	uint32_t w, hgt, *out;
	int stride;

	if (!h || !pixels || !width || !height)
		return -EINVAL;
	fb_lock(&h->lock, FB_LOCK_HEADLESS);
	if (!h->shadow) {
		fb_unlock(&h->lock, FB_LOCK_HEADLESS);
		return -EAGAIN; /* no picture yet */
	}
	w = (uint32_t)pixman_image_get_width(h->shadow);
	hgt = (uint32_t)pixman_image_get_height(h->shadow);
	stride = pixman_image_get_stride(h->shadow);
	out = malloc((size_t)w * hgt * 4);
	if (!out) {
		fb_unlock(&h->lock, FB_LOCK_HEADLESS);
		return -ENOMEM;
	}
	for (uint32_t y = 0; y < hgt; y++)
		memcpy(out + (size_t)y * w,
		       (uint8_t *)pixman_image_get_data(h->shadow) + (size_t)y * (size_t)stride,
		       (size_t)w * 4);
	fb_unlock(&h->lock, FB_LOCK_HEADLESS);
	*pixels = out;
	*width = w;
	*height = hgt;
	return 0;
}

void fb_headless_get_stats(struct fb_headless *h, struct fb_headless_stats *st)
{
	fb_lock(&h->lock, FB_LOCK_HEADLESS);
	*st = h->stats;
	fb_unlock(&h->lock, FB_LOCK_HEADLESS);
}
