/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-frontends.c - libfbhost: what every frontend of a
 * framebuffer shares: the saved VNC settings and stopping them all. Each
 * frontend has its own file (fbhost-vnc.c, fbhost-sdl.c) and a stub file
 * (fbhost-*-stubs.c, answering -ENOTSUP) for builds without it.
 */
#include <stdlib.h>
#include <string.h>

#include "server/lib/fbhost-internal.h"

void fbhost_vnc_settings_clear(struct fbhost_vnc_settings *s)
{
	free(s->host);
	free(s->password_file);
	free(s->cert_file);
	free(s->web_root);
	memset(s, 0, sizeof(*s));
}

void fbhost_fb_stop_frontends(struct fbhost_fb *fb)
{
	struct vnc_server *vnc;
	struct sdl_window *sdl;
	struct fb_headless *headless;

	pthread_mutex_lock(&fb->lock);
	vnc = fb->vnc;
	sdl = fb->sdl;
	headless = fb->headless;
	fb->vnc = NULL;
	fb->sdl = NULL;
	fb->headless = NULL;
	fbhost_vnc_settings_clear(&fb->vnc_set);
	fb->vnc_set_gen++;
	pthread_mutex_unlock(&fb->lock);
	fbhost_vnc_server_free(vnc);
	fbhost_sdl_window_free(sdl);
	if (headless)
		fb_headless_free(headless);
}
