/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-sdl-stubs.c - libfbhost without SDL2: opening a window
 * answers -ENOTSUP. Replaces fbhost-sdl.c in such builds.
 */
#include <errno.h>

#include "server/lib/fbhost-internal.h"

int fbhost_enable_sdl(struct fbhost_fb *fb, const struct fbhost_sdl_options *opt)
{
	return fbhost_fail(fb->host, fb->name, -ENOTSUP, "built without SDL support");
}

void fbhost_sdl_window_free(struct sdl_window *w)
{
}
