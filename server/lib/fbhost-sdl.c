/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-sdl.c - libfbhost's SDL frontend: opening a window for
 * a framebuffer. Built with SDL2; fbhost-sdl-stubs.c stands in without it.
 */
#include <errno.h>

#include "server/lib/fbhost-internal.h"
#include "sdl/sdl-window.h"

/* On the SDL thread: the user closed the window. */
static void fbhost_sdl_closed(void *opaque, struct sdl_window *w, bool quit)
{
	struct fbhost_fb *fb = opaque;
	void (*fn)(void *);
	void *o;

	(void)w;
	if (!quit)
		return;
	pthread_mutex_lock(&fb->host->lock);
	fn = fb->host->quit_fn;
	o = fb->host->quit_opaque;
	pthread_mutex_unlock(&fb->host->lock);
	if (fn)
		fn(o);
}

/* The window's error lines ("NAME: what failed") go to the host's log. */
static void fbhost_sdl_log(void *opaque, const char *line)
{
	struct fbhost_fb *fb = opaque;

	fbhost_log(fb->host, FBHOST_LOG_ERROR, "%s", line);
}

int fbhost_enable_sdl(struct fbhost_fb *fb, const struct fbhost_sdl_options *opt)
{
	struct sdl_window_config cfg;
	struct sdl_window *w;
	bool taken;

	pthread_mutex_lock(&fb->lock);
	taken = fb->sdl != NULL;
	pthread_mutex_unlock(&fb->lock);
	if (taken)
		return -EALREADY;
	sdl_window_config_init(&cfg);
	if (opt) {
		cfg.integer_scale = opt->integer_scale;
		cfg.allow_resize_request = opt->resize_requests;
		cfg.close_quits = !opt->no_quit;
		cfg.fullscreen = opt->fullscreen;
	}
	cfg.on_close = fbhost_sdl_closed;
	cfg.opaque = fb;
	cfg.log = fbhost_sdl_log;
	cfg.log_opaque = fb;
	/* Outside fb->lock: sdl_window_new waits for the SDL thread. */
	errno = 0;
	w = sdl_window_new(fb->dev, &cfg);
	if (!w) {
		int e = errno ? errno : EIO;

		fbhost_log(fb->host, FBHOST_LOG_ERROR, "%s: SDL: %s", fb->name,
			   sdl_window_strerror());
		return -e;
	}
	pthread_mutex_lock(&fb->lock);
	taken = fb->sdl != NULL;
	if (!taken)
		fb->sdl = w;
	pthread_mutex_unlock(&fb->lock);
	if (taken) {
		/* Another thread opened one meanwhile. */
		sdl_window_free(w);
		return -EALREADY;
	}
	return 0;
}

void fbhost_sdl_window_free(struct sdl_window *w)
{
	sdl_window_free(w);
}
