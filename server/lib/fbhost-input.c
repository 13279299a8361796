/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-input.c - libfbhost's one input path: viewer input of a
 * framebuffer goes from fb/ (fb_input_*) to libfbhost's adapter, which hands
 * it to every handler installed on the framebuffer: the embedder's
 * (fbhost_set_input) and those added with fbhost_input_add (a guest's).
 *
 * The handlers are copied under fb->input_lock and called outside it, on the
 * frontend's thread. Every change re-installs the adapter with
 * fb_set_input_handler, which returns only when no call that may have copied
 * the old handlers is running any more on other threads: a removed handler's
 * opaque may be freed once the call returns.
 */
#include <errno.h>

#include "server/lib/fbhost-internal.h"

/* Copies the handlers under the lock; they run outside it. */
static unsigned fbhost_input_get(struct fbhost_fb *fb,
				 struct fbhost_input_handler out[FBHOST_INPUT_HANDLERS_MAX])
{
	unsigned n;

	pthread_mutex_lock(&fb->input_lock);
	n = fb->ninputs;
	for (unsigned i = 0; i < n; i++)
		out[i] = fb->inputs[i];
	pthread_mutex_unlock(&fb->input_lock);
	return n;
}

static void fbhost_input_key(void *opaque, uint32_t keysym, bool down)
{
	struct fbhost_fb *fb = opaque;
	struct fbhost_input_handler in[FBHOST_INPUT_HANDLERS_MAX];
	unsigned n = fbhost_input_get(fb, in);

	for (unsigned i = 0; i < n; i++)
		if (in[i].cb.key)
			in[i].cb.key(in[i].opaque, fb, keysym, down);
}

/* A key with its scancode: to each handler's key_code, or its key. */
static void fbhost_input_key_code(void *opaque, uint32_t keysym, uint32_t qnum, bool down)
{
	struct fbhost_fb *fb = opaque;
	struct fbhost_input_handler in[FBHOST_INPUT_HANDLERS_MAX];
	unsigned n = fbhost_input_get(fb, in);

	for (unsigned i = 0; i < n; i++) {
		if (in[i].cb.key_code)
			in[i].cb.key_code(in[i].opaque, fb, keysym, qnum, down);
		else if (in[i].cb.key)
			in[i].cb.key(in[i].opaque, fb, keysym, down);
	}
}

static void fbhost_input_pointer(void *opaque, int x, int y, uint32_t buttons)
{
	struct fbhost_fb *fb = opaque;
	struct fbhost_input_handler in[FBHOST_INPUT_HANDLERS_MAX];
	unsigned n = fbhost_input_get(fb, in);

	for (unsigned i = 0; i < n; i++)
		if (in[i].cb.pointer)
			in[i].cb.pointer(in[i].opaque, fb, x, y, buttons);
}

static void fbhost_input_clipboard(void *opaque, const char *utf8, size_t len)
{
	struct fbhost_fb *fb = opaque;
	struct fbhost_input_handler in[FBHOST_INPUT_HANDLERS_MAX];
	unsigned n = fbhost_input_get(fb, in);

	for (unsigned i = 0; i < n; i++)
		if (in[i].cb.clipboard)
			in[i].cb.clipboard(in[i].opaque, fb, utf8, len);
}

/* The first handler with a resize_request callback answers. */
static int fbhost_input_mode_request(void *opaque, uint32_t width, uint32_t height)
{
	struct fbhost_fb *fb = opaque;
	struct fbhost_input_handler in[FBHOST_INPUT_HANDLERS_MAX];
	unsigned n = fbhost_input_get(fb, in);

	for (unsigned i = 0; i < n; i++)
		if (in[i].cb.resize_request)
			return in[i].cb.resize_request(in[i].opaque, fb, width, height);
	return -ENOTSUP;
}

static const struct fb_input_ops fbhost_input_ops = {
	.key = fbhost_input_key,
	.pointer = fbhost_input_pointer,
	.mode_request = fbhost_input_mode_request,
	.clipboard = fbhost_input_clipboard,
	.key_code = fbhost_input_key_code,
};

/* Index of the handler installed with opaque (and embedder flag), or -1.
 * Under fb->input_lock. */
static int fbhost_input_find_locked(struct fbhost_fb *fb, bool embedder, const void *opaque)
{
	for (unsigned i = 0; i < fb->ninputs; i++)
		if (fb->inputs[i].embedder == embedder &&
		    (embedder || fb->inputs[i].opaque == opaque))
			return (int)i;
	return -1;
}

/* Under fb->input_lock: drops handler i, keeping the others' order. */
static void fbhost_input_drop_locked(struct fbhost_fb *fb, unsigned i)
{
	for (; i + 1 < fb->ninputs; i++)
		fb->inputs[i] = fb->inputs[i + 1];
	fb->ninputs--;
}

void fbhost_set_input(struct fbhost_fb *fb, const struct fbhost_input_callbacks *cb, void *opaque)
{
	int i;

	pthread_mutex_lock(&fb->input_lock);
	i = fbhost_input_find_locked(fb, true, NULL);
	if (cb) {
		if (i < 0) {
			/* The embedder's handler comes first; slot 0 is kept for it. */
			for (unsigned j = fb->ninputs; j > 0; j--)
				fb->inputs[j] = fb->inputs[j - 1];
			fb->ninputs++;
			i = 0;
		}
		fb->inputs[i] = (struct fbhost_input_handler){
			.cb = *cb,
			.opaque = opaque,
			.embedder = true,
		};
	} else if (i >= 0) {
		fbhost_input_drop_locked(fb, (unsigned)i);
	}
	pthread_mutex_unlock(&fb->input_lock);
	fb_set_input_handler(fb->dev, &fbhost_input_ops, fb);
}

int fbhost_input_add(struct fbhost_fb *fb, const struct fbhost_input_callbacks *cb, void *opaque)
{
	int err = 0;

	if (!fb || !cb || !opaque)
		return -EINVAL;
	pthread_mutex_lock(&fb->input_lock);
	if (fbhost_input_find_locked(fb, false, opaque) >= 0)
		err = -EEXIST;
	else if (fb->ninputs == FBHOST_INPUT_HANDLERS_MAX)
		err = -ENOSPC;
	else
		fb->inputs[fb->ninputs++] = (struct fbhost_input_handler){
			.cb = *cb,
			.opaque = opaque,
		};
	pthread_mutex_unlock(&fb->input_lock);
	if (err) {
		fbhost_log(fb->host, FBHOST_LOG_ERROR, "%s: cannot add an input handler: %s",
			   fb->name, err == -EEXIST ? "added already" : "too many handlers");
		return err;
	}
	fb_set_input_handler(fb->dev, &fbhost_input_ops, fb);
	return 0;
}

void fbhost_input_remove(struct fbhost_fb *fb, void *opaque)
{
	int i;

	if (!fb || !opaque)
		return;
	pthread_mutex_lock(&fb->input_lock);
	i = fbhost_input_find_locked(fb, false, opaque);
	if (i >= 0)
		fbhost_input_drop_locked(fb, (unsigned)i);
	pthread_mutex_unlock(&fb->input_lock);
	/* Waits for the calls in flight that may hold the removed handler. */
	fb_set_input_handler(fb->dev, &fbhost_input_ops, fb);
}

void fbhost_send_clipboard(struct fbhost_fb *fb, const char *utf8, size_t len)
{
	fb_send_clipboard(fb->dev, utf8, len);
}
