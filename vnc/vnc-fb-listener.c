/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vnc/vnc-fb-listener.c - the fb listener side of the VNC frontend. Runs on
 * the render thread: converts the damaged boxes of the guest view into the
 * x8r8g8b8 staging image (pixman), unions the damage into the pending
 * region, repeats guest moves in staging and queues them, and wakes the
 * VNC thread. It never touches LibVNCServer or the
 * network, so a slow client cannot stall the render thread.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "vnc/vnc-internal.h"

void vnc_wake(struct vnc_server *s)
{
	uint64_t one = 1;

	/* Fails only with EAGAIN when the counter is saturated: then the VNC
	 * thread is awake anyway. */
	if (write(s->wake_fd, &one, sizeof(one)) < 0)
		return;
}

static struct vnc_server *to_server(struct fb_listener *l)
{
	return (struct vnc_server *)((char *)l - offsetof(struct vnc_server, listener));
}

static void vnc_switch_surface(struct fb_listener *l, const struct fb_surface *surf)
{
	struct vnc_server *s = to_server(l);
	pixman_image_t *img = NULL, *old;
	uint32_t w = surf->mode.width, h = surf->mode.height;

	if (vnc_mode_check(&surf->mode, NULL, 0) != 0) {
		vnc_log(s,
			"mode %ux%u is wider than VNC's limit of %u px: clients keep the "
			"previous picture until the next mode switch",
			w, h, VNC_MAX_WIDTH_PX);
	} else {
		/* pixman zero-fills the bits it allocates. */
		img = pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)w, (int)h, NULL, 0);
		if (!img)
			vnc_log(s,
				"out of memory for a %ux%u staging image: VNC keeps the "
				"previous picture",
				w, h);
	}
	pthread_mutex_lock(&s->lock);
	old = s->staging;
	s->staging = img;
	pixman_region32_clear(&s->pending);
	s->nmoves = 0;
	s->switch_pending = img != NULL;
	pthread_mutex_unlock(&s->lock);
	if (old)
		pixman_image_unref(old);
	vnc_wake(s);
}

/* Whether staging holds surf's mode (s->lock held). When it does not, a
 * switch_surface for that mode comes first, or VNC cannot show it. */
static bool staging_fits(const struct vnc_server *s, const struct fb_surface *surf)
{
	return s->staging && (uint32_t)pixman_image_get_width(s->staging) == surf->mode.width &&
	       (uint32_t)pixman_image_get_height(s->staging) == surf->mode.height;
}

static void vnc_update(struct fb_listener *l, const struct fb_surface *surf,
		       const pixman_region32_t *damage)
{
	struct vnc_server *s = to_server(l);
	pixman_region32_t clip;
	int w, h;

	pthread_mutex_lock(&s->lock);
	if (!staging_fits(s, surf)) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	w = pixman_image_get_width(s->staging);
	h = pixman_image_get_height(s->staging);
	pixman_region32_init_rect(&clip, 0, 0, (unsigned)w, (unsigned)h);
	pixman_region32_intersect(&clip, &clip, (pixman_region32_t *)damage);
	if (pixman_region32_not_empty(&clip)) {
		pixman_image_set_clip_region32(s->staging, &clip);
		pixman_image_composite32(PIXMAN_OP_SRC, surf->image, NULL, s->staging, 0, 0, 0, 0,
					 0, 0, w, h);
		pixman_image_set_clip_region32(s->staging, NULL);
		pixman_region32_union(&s->pending, &s->pending, &clip);
	}
	pthread_mutex_unlock(&s->lock);
	if (pixman_region32_not_empty(&clip))
		vnc_wake(s);
	pixman_region32_fini(&clip);
}

/* A guest move: made in staging at once; the VNC thread repeats it on the
 * shadow as a CopyRect before it compares the pending damage. */
static void vnc_copy(struct fb_listener *l, const struct fb_surface *surf, int sx, int sy, int dx,
		     int dy, int w, int h)
{
	struct vnc_server *s = to_server(l);
	pixman_region32_t moved;

	pthread_mutex_lock(&s->lock);
	if (!staging_fits(s, surf)) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	fb_pixels_move(pixman_image_get_data(s->staging),
		       (size_t)pixman_image_get_stride(s->staging), 4, sx, sy, dx, dy, w, h);
	/* Damage the shadow has not seen yet moves with its pixels. */
	pixman_region32_init_rect(&moved, sx, sy, (unsigned)w, (unsigned)h);
	pixman_region32_intersect(&moved, &moved, &s->pending);
	pixman_region32_translate(&moved, dx - sx, dy - sy);
	pixman_region32_union(&s->pending, &s->pending, &moved);
	pixman_region32_fini(&moved);
	if (s->nmoves < VNC_MOVES_MAX)
		s->moves[s->nmoves++] =
			(struct vnc_move){ dx, dy, dx + w, dy + h, dx - sx, dy - sy };
	else /* the cell compare sends it as pixels */
		pixman_region32_union_rect(&s->pending, &s->pending, dx, dy, (unsigned)w,
					   (unsigned)h);
	pthread_mutex_unlock(&s->lock);
	vnc_wake(s);
}

static void vnc_clipboard(struct fb_listener *l, const char *utf8, size_t len)
{
	struct vnc_server *s = to_server(l);
	char *copy = malloc(len + 1);

	if (!copy)
		return;
	memcpy(copy, utf8, len);
	copy[len] = '\0';
	pthread_mutex_lock(&s->lock);
	free(s->clip_out);
	s->clip_out = copy;
	s->clip_out_len = len;
	pthread_mutex_unlock(&s->lock);
	vnc_wake(s);
}

static void vnc_destroy(struct fb_listener *l)
{
	(void)l; /* vnc_server_free frees the server after unregistering */
}

const struct fb_listener_ops vnc_listener_ops = {
	.name = "vnc",
	.switch_surface = vnc_switch_surface,
	.copy = vnc_copy,
	.update = vnc_update,
	.clipboard = vnc_clipboard,
	.destroy = vnc_destroy,
};
