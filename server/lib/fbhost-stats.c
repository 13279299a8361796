// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * server/lib/fbhost-stats.c - libfbhost: screendumps (through the headless
 * frontend), statistics, and the list of connected viewers.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "server/lib/fbhost-clock.h"
#include "server/lib/fbhost-internal.h"
#ifdef FBHOST_HAVE_VNC
#include "vnc/vnc.h"
#endif

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
		return err;

	deadline = fbhost_clock_after_ms(FBHOST_SCREENDUMP_TIMEOUT_MS);
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
		left = fbhost_clock_ms_until(&deadline);
		fb_render_kick(fb->host->render);
		err = left > 0 ? fb_render_wait_ticks(fb->host->render, 1, (unsigned)left)
			       : -ETIMEDOUT;
	}
	if (err == -ETIMEDOUT) {
		fbhost_log(fb->host, FBHOST_LOG_ERROR, "%s: screendump: render thread too slow",
			   fb->name);
		return err;
	}
	if (err)
		fbhost_log(fb->host, FBHOST_LOG_ERROR, "%s: screendump to %s: %s", fb->name,
			   png_path, strerror(-err));
	return err;
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
#ifdef FBHOST_HAVE_VNC
	pthread_mutex_lock(&fb->lock);
	if (fb->vnc) {
		struct vnc_server_stats vs;

		vnc_server_get_stats(fb->vnc, &vs);
		st->clients = vs.clients;
		st->vnc_updates = vs.updates;
		st->vnc_rects = vs.rects;
		st->vnc_bytes_sent = vs.bytes_sent;
		st->vnc_connects = vs.connects;
		st->vnc_disconnects = vs.disconnects;
	}
	pthread_mutex_unlock(&fb->lock);
#endif
}

/* Most clients copied per fbhost_clients call through the stack buffer. */
#define FBHOST_CLIENTS_BATCH 64u

size_t fbhost_clients(struct fbhost_fb *fb, struct fbhost_client *out, size_t max)
{
	size_t n = 0;

#ifdef FBHOST_HAVE_VNC
	struct vnc_client_info info[FBHOST_CLIENTS_BATCH];
	size_t i, copy;

	pthread_mutex_lock(&fb->lock);
	if (fb->vnc)
		n = vnc_server_list_clients(fb->vnc, info, FBHOST_CLIENTS_BATCH);
	pthread_mutex_unlock(&fb->lock);
	copy = n < max ? n : max;
	if (copy > FBHOST_CLIENTS_BATCH)
		copy = FBHOST_CLIENTS_BATCH;
	for (i = 0; i < copy; i++) {
		struct fbhost_client *c = &out[i];

		memset(c, 0, sizeof(*c));
		c->id = info[i].id;
		snprintf(c->address, sizeof(c->address), "%s", info[i].address);
		snprintf(c->encoding, sizeof(c->encoding), "%s", info[i].encoding);
		c->websocket = info[i].websocket;
		c->updates = info[i].updates;
		c->rects = info[i].rects;
		c->bytes_sent = info[i].bytes_sent;
		c->connected_ms = info[i].connected_ms;
	}
#else
	(void)fb;
	(void)out;
	(void)max;
#endif
	return n;
}

int fbhost_disconnect(struct fbhost_fb *fb, uint64_t client_id)
{
	int err = -ENOENT;

#ifdef FBHOST_HAVE_VNC
	pthread_mutex_lock(&fb->lock);
	if (fb->vnc)
		err = vnc_server_disconnect_client(fb->vnc, client_id);
	pthread_mutex_unlock(&fb->lock);
#else
	(void)fb;
	(void)client_id;
#endif
	return err;
}
