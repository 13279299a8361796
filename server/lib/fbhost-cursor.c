/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-cursor.c - libfbhost: the guest's pointer image and
 * position (fbhost_cursor_*), kept by fb/cursor.c and delivered to the
 * frontends by the render thread.
 */
#include <errno.h>

#include "server/lib/fbhost-internal.h"

_Static_assert(FBHOST_CURSOR_MAX_SIDE_PX == FB_CURSOR_MAX_SIDE_PX,
	       "fbhost.h restates fb.h's cursor limit");

int fbhost_cursor_define(struct fbhost_fb *fb, uint32_t width, uint32_t height, uint32_t hot_x,
			 uint32_t hot_y, const uint32_t *argb, uint32_t stride)
{
	int rc;

	if (!fb)
		return -EINVAL;
	rc = fb_cursor_define(fb->dev, width, height, hot_x, hot_y, argb, stride);
	if (rc == -EINVAL)
		return fbhost_fail(fb->host, fb->name, rc,
				   "cursor %ux%u hotspot %u,%u stride %u refused: sides are "
				   "1..%u px, the hotspot inside, the stride at least width*4",
				   width, height, hot_x, hot_y, stride, FBHOST_CURSOR_MAX_SIDE_PX);
	if (rc)
		return fbhost_fail(fb->host, fb->name, rc, "cursor %ux%u: out of memory", width,
				   height);
	return 0;
}

void fbhost_cursor_clear(struct fbhost_fb *fb)
{
	if (fb)
		fb_cursor_clear(fb->dev);
}

void fbhost_cursor_move(struct fbhost_fb *fb, int x, int y)
{
	if (fb)
		fb_cursor_move(fb->dev, x, y);
}

void fbhost_cursor_show(struct fbhost_fb *fb, bool visible)
{
	if (fb)
		fb_cursor_show(fb->dev, visible);
}
