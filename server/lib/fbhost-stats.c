/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-stats.c - libfbhost: screendumps (through the headless
 * frontend) and statistics (the VNC frontend's own, and its viewers, are in
 * fbhost-vnc.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fb/clock.h"
#include "server/lib/fbhost-internal.h"

/* Ticks to wait so that a tick that started after the caller's damage has
 * completed (the one in progress may have missed it). */
#define FBHOST_SCREENDUMP_TICKS 2u

int fbhost_screendump(struct fbhost_fb *fb, const char *png_path)
{
	struct timespec deadline;
	struct fb_headless *h;
	int err;

	if (!png_path || !png_path[0])
		return -EINVAL;
	pthread_mutex_lock(&fb->lock);
	if (!fb->headless)
		fb->headless = fb_headless_new(fb->dev);
	h = fb->headless;
	err = h ? 0 : -(errno ? errno : ENOMEM);
	pthread_mutex_unlock(&fb->lock);
	if (err)
		return fbhost_fail(fb->host, fb->name, err, "screendump to %s failed: %s", png_path,
				   strerror(-err));

	deadline = fb_clock_after_ms(FBHOST_SCREENDUMP_TIMEOUT_MS);
	fb_render_kick(fb->host->render);
	err = fb_render_wait_ticks(fb->host->render, FBHOST_SCREENDUMP_TICKS,
				   FBHOST_SCREENDUMP_TIMEOUT_MS);
	/* The headless shadow stays until the framebuffer is removed; it is
	 * only read here, under its own lock. A new one may still lack its
	 * first picture (-EAGAIN, no file written) after those ticks, e.g.
	 * when a tick was deferred: wait for more, within the same bound. */
	while (!err) {
		long long left;

		err = fb_headless_screendump_png(h, png_path);
		if (err != -EAGAIN)
			break;
		left = fb_clock_ms_until(&deadline);
		fb_render_kick(fb->host->render);
		err = left > 0 ? fb_render_wait_ticks(fb->host->render, 1, (unsigned)left)
			       : -ETIMEDOUT;
	}
	if (err == -ETIMEDOUT)
		return fbhost_fail(fb->host, fb->name, err,
				   "screendump to %s failed: the render thread is too slow",
				   png_path);
	if (err)
		return fbhost_fail(fb->host, fb->name, err, "screendump to %s failed: %s", png_path,
				   strerror(-err));
	return 0;
}

void fbhost_get_stats(struct fbhost_fb *fb, struct fbhost_stats *st)
{
	struct fb_render_stats rs;
	double up = fbhost_uptime_s(fb->host);

	memset(st, 0, sizeof(*st));
	fb_get_stats(fb->dev, &rs);
	st->ticks = rs.ticks;
	st->dirty_pages = rs.dirty_pages;
	st->rects = rs.rects;
	st->pixels = rs.pixels;
	st->switches = rs.switches;
	st->last_tick_ns = rs.last_tick_ns;
	st->latency_ns_last = rs.latency_ns_last;
	st->rate_hz = fb->host->rate_hz;
	st->ticks_per_s = up > 0 ? (double)rs.ticks / up : 0;
	st->tracking = fb_track_mode_name((enum fb_track_mode)rs.track_mode);
	st->tracked_pages = rs.track_pages;
	fbhost_vnc_get_stats(fb, st);
}
