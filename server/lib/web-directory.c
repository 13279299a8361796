/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/web-directory.c - what every framebuffer's web server tells about
 * the host's other framebuffers (its index page): their modes, clients and
 * VNC ports, and thumbnails from the headless shadow (the one screendumps
 * use, created on first use). Built only with the VNC frontend.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "server/lib/fbhost-internal.h"
#include "vnc/vnc.h"

/* How long a first thumbnail waits for the headless shadow's first picture. */
#define FBHOST_THUMB_FIRST_PICTURE_TIMEOUT_MS 2000u
/* Ticks after which a new shadow holds the whole picture. */
#define FBHOST_THUMB_TICKS 2u

static size_t web_directory_list(void *opaque, struct vnc_fb_summary *out, size_t max)
{
	struct fbhost *h = opaque;
	unsigned i, n = fbhost_fb_count(h);
	size_t count = 0;

	for (i = 0; i < n; i++) {
		struct fbhost_fb *fb;
		struct vnc_fb_summary *s = &out[count];
		struct fbhost_stats st;
		struct fbhost_mode m;
		const char *fmt;

		fb = fbhost_fb_use(h, i);
		if (!fb)
			continue;
		if (count++ >= max) { /* counted, not described */
			fbhost_fb_unuse(h);
			continue;
		}
		m = fbhost_fb_mode(fb);
		fbhost_get_stats(fb, &st);
		fmt = fbhost_format_name(m.format);
		memset(s, 0, sizeof(*s));
		s->id = i;
		snprintf(s->name, sizeof(s->name), "%s", fbhost_fb_name(fb));
		s->width = m.width;
		s->height = m.height;
		snprintf(s->format, sizeof(s->format), "%s", fmt ? fmt : "");
		s->clients = st.clients;
		s->vnc_port = fbhost_vnc_port(fb);
		pthread_mutex_lock(&fb->lock);
		s->password = fb->vnc_set.password_file != NULL;
		pthread_mutex_unlock(&fb->lock);
		fbhost_fb_unuse(h);
	}
	return count;
}

/* A thumbnail of framebuffer id, while it is in use (fbhost_fb_use). */
static int thumbnail(struct fbhost *h, struct fbhost_fb *fb, uint32_t **pixels, uint32_t *width,
		     uint32_t *height)
{
	struct fb_headless *hl;
	bool locked;
	int err;

	pthread_mutex_lock(&fb->lock);
	locked = fb->vnc_set.password_file != NULL;
	if (!locked && !fb->headless)
		fb->headless = fb_headless_new(fb->dev);
	hl = fb->headless;
	err = hl ? 0 : -(errno ? errno : ENOMEM);
	pthread_mutex_unlock(&fb->lock);
	if (locked)
		return -EACCES;
	if (err)
		return err;
	err = fb_headless_copy(hl, pixels, width, height);
	if (err == -EAGAIN) {
		/* A new shadow: its first picture comes with the next ticks. */
		fb_render_kick(h->render);
		if (fb_render_wait_ticks(h->render, FBHOST_THUMB_TICKS,
					 FBHOST_THUMB_FIRST_PICTURE_TIMEOUT_MS) == 0)
			err = fb_headless_copy(hl, pixels, width, height);
	}
	return err;
}

static int web_directory_pixels(void *opaque, unsigned id, uint32_t **pixels, uint32_t *width,
				uint32_t *height)
{
	struct fbhost *h = opaque;
	struct fbhost_fb *fb = fbhost_fb_use(h, id);
	int err;

	if (!fb)
		return -ENOENT;
	err = thumbnail(h, fb, pixels, width, height);
	fbhost_fb_unuse(h);
	return err;
}

void fbhost_web_directory(struct fbhost *h, struct vnc_directory *d)
{
	d->list = web_directory_list;
	d->pixels = web_directory_pixels;
	d->opaque = h;
}
