/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/input.c - viewer input on its way to the guest's input handler. The
 * handler is copied out under input_lock and called outside it, on the
 * frontend's thread. Input also returns the render thread to full rate.
 */
#include <errno.h>

#include "fb/fb-internal.h"

void fb_set_input_handler(struct fb_device *fb, const struct fb_input_ops *ops, void *opaque)
{
	pthread_mutex_lock(&fb->input_lock);
	while (fb->input_calls)
		pthread_cond_wait(&fb->input_idle, &fb->input_lock);
	fb->has_input = ops != NULL;
	fb->input = ops ? *ops : (struct fb_input_ops){ 0 };
	fb->input_opaque = opaque;
	pthread_mutex_unlock(&fb->input_lock);
}

/* A consistent copy of the handler; false without one. On true the caller
 * is counted in flight and must call fb_input_put after the handler call. */
static bool fb_input_get(struct fb_device *fb, struct fb_input_ops *ops, void **opaque)
{
	bool has;

	pthread_mutex_lock(&fb->input_lock);
	has = fb->has_input;
	*ops = fb->input;
	*opaque = fb->input_opaque;
	if (has)
		fb->input_calls++;
	pthread_mutex_unlock(&fb->input_lock);
	return has;
}

static void fb_input_put(struct fb_device *fb)
{
	pthread_mutex_lock(&fb->input_lock);
	if (--fb->input_calls == 0)
		pthread_cond_broadcast(&fb->input_idle);
	pthread_mutex_unlock(&fb->input_lock);
}

void fb_input_key(struct fb_device *fb, uint32_t keysym, bool down)
{
	struct fb_input_ops ops;
	void *opaque;

	if (!fb)
		return;
	fb_render_note_input(fb);
	if (!fb_input_get(fb, &ops, &opaque))
		return;
	if (ops.key)
		ops.key(opaque, keysym, down);
	fb_input_put(fb);
}

void fb_input_pointer(struct fb_device *fb, int x, int y, uint32_t buttons)
{
	struct fb_input_ops ops;
	struct fb_mode m;
	void *opaque;

	if (!fb)
		return;
	fb_render_note_input(fb);
	if (!fb_input_get(fb, &ops, &opaque))
		return;
	m = fb_get_mode(fb);
	if (x < 0)
		x = 0;
	if (y < 0)
		y = 0;
	if ((uint32_t)x >= m.width)
		x = (int)m.width - 1;
	if ((uint32_t)y >= m.height)
		y = (int)m.height - 1;
	if (ops.pointer)
		ops.pointer(opaque, x, y, buttons);
	fb_input_put(fb);
}

void fb_input_clipboard(struct fb_device *fb, const char *utf8, size_t len)
{
	struct fb_input_ops ops;
	void *opaque;

	if (!fb || (len && !utf8))
		return;
	fb_render_note_input(fb);
	if (!fb_input_get(fb, &ops, &opaque))
		return;
	if (ops.clipboard)
		ops.clipboard(opaque, utf8, len);
	fb_input_put(fb);
}

int fb_request_mode(struct fb_device *fb, uint32_t width, uint32_t height)
{
	struct fb_input_ops ops;
	void *opaque;
	int ret = -ENOTSUP;

	if (!fb)
		return -EINVAL;
	if (width == 0 || height == 0 || width > FB_MAX_SIDE_PX || height > FB_MAX_SIDE_PX)
		return -EINVAL;

	if (!fb_input_get(fb, &ops, &opaque))
		return ret;
	if (ops.mode_request)
		ret = ops.mode_request(opaque, width, height);
	fb_input_put(fb);
	return ret;
}
