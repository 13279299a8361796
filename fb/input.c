/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/input.c - viewer input on its way to the guest's input handler. The
 * handler is copied out under input_lock and called outside it, on the
 * frontend's thread. Input also returns the render thread to full rate.
 *
 * fb_set_input_handler waits for the calls of the old handler in flight, but
 * not for the calls its own thread is inside (a handler replacing itself
 * would wait for itself forever), nor for those of other threads that are
 * themselves waiting in fb_set_input_handler from inside a call (two such
 * threads would wait for each other). Each thread keeps the calls it is
 * inside as a stack of frames on its own stack, linked through a
 * thread-local pointer.
 */
#include <errno.h>

#include "fb/fb-internal.h"

/* One handler call this thread is inside: lives on the calling thread's
 * stack, linked from fb_input_frames (thread-local, so unshared). */
struct fb_input_frame {
	struct fb_device *fb;
	struct fb_input_frame *next;
};

/* A handler call: the handler's copy and this thread's frame. */
struct fb_input_call {
	struct fb_input_ops ops;
	void *opaque;
	struct fb_input_frame frame;
};

static __thread struct fb_input_frame *fb_input_frames;

/* How many handler calls of fb the calling thread is inside. */
static unsigned fb_input_own_calls(const struct fb_device *fb)
{
	unsigned n = 0;

	for (const struct fb_input_frame *f = fb_input_frames; f; f = f->next)
		n += f->fb == fb;
	return n;
}

void fb_set_input_handler(struct fb_device *fb, const struct fb_input_ops *ops, void *opaque)
{
	unsigned own;

	if (!fb)
		return;
	own = fb_input_own_calls(fb);
	fb_lock(&fb->input_lock, FB_LOCK_INPUT);
	/* Our own calls cannot end while we wait: they count as waiting. */
	fb->input_calls_waiting += own;
	while (fb->input_calls > fb->input_calls_waiting)
		pthread_cond_wait(&fb->input_idle, &fb->input_lock);
	fb->input_calls_waiting -= own;
	fb->has_input = ops != NULL;
	fb->input = ops ? *ops : (struct fb_input_ops){ 0 };
	fb->input_opaque = opaque;
	fb_unlock(&fb->input_lock, FB_LOCK_INPUT);
}

/* Copies the handler and counts the call in flight; false without a
 * handler. On true, call fb_input_leave after the handler call. */
static bool fb_input_enter(struct fb_device *fb, struct fb_input_call *c)
{
	bool has;

	fb_lock(&fb->input_lock, FB_LOCK_INPUT);
	has = fb->has_input;
	c->ops = fb->input;
	c->opaque = fb->input_opaque;
	if (has)
		fb->input_calls++;
	fb_unlock(&fb->input_lock, FB_LOCK_INPUT);
	if (has) {
		c->frame.fb = fb;
		c->frame.next = fb_input_frames;
		/* c lives on the caller's stack until its fb_input_leave, which
		 * unlinks it: GCC cannot see that pairing. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
		fb_input_frames = &c->frame;
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic pop
#endif
	}
	return has;
}

static void fb_input_leave(struct fb_device *fb, struct fb_input_call *c)
{
	fb_input_frames = c->frame.next;
	fb_lock(&fb->input_lock, FB_LOCK_INPUT);
	fb->input_calls--;
	/* Waiters wait for "calls <= calls waiting", not only for 0. */
	pthread_cond_broadcast(&fb->input_idle);
	fb_unlock(&fb->input_lock, FB_LOCK_INPUT);
}

void fb_input_key(struct fb_device *fb, uint32_t keysym, bool down)
{
	struct fb_input_call c;

	if (!fb)
		return;
	fb_note_input(fb);
	if (!fb_input_enter(fb, &c))
		return;
	if (c.ops.key)
		c.ops.key(c.opaque, keysym, down);
	fb_input_leave(fb, &c);
}

void fb_input_key_code(struct fb_device *fb, uint32_t keysym, uint32_t qnum, bool down)
{
	struct fb_input_call c;

	if (!fb)
		return;
	fb_note_input(fb);
	if (!fb_input_enter(fb, &c))
		return;
	if (c.ops.key_code)
		c.ops.key_code(c.opaque, keysym, qnum, down);
	else if (c.ops.key)
		c.ops.key(c.opaque, keysym, down);
	fb_input_leave(fb, &c);
}

void fb_input_pointer(struct fb_device *fb, int x, int y, uint32_t buttons)
{
	struct fb_input_call c;
	struct fb_mode m;

	if (!fb)
		return;
	fb_note_input(fb);
	if (!fb_input_enter(fb, &c))
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
	if (c.ops.pointer)
		c.ops.pointer(c.opaque, x, y, buttons);
	fb_input_leave(fb, &c);
}

void fb_input_clipboard(struct fb_device *fb, const char *utf8, size_t len)
{
	struct fb_input_call c;

	if (!fb || (len && !utf8))
		return;
	fb_note_input(fb);
	if (!fb_input_enter(fb, &c))
		return;
	if (c.ops.clipboard)
		c.ops.clipboard(c.opaque, utf8, len);
	fb_input_leave(fb, &c);
}

int fb_request_mode(struct fb_device *fb, uint32_t width, uint32_t height)
{
	struct fb_input_call c;
	int ret = -ENOTSUP;

	if (!fb)
		return -EINVAL;
	if (width == 0 || height == 0 || width > FB_MAX_SIDE_PX || height > FB_MAX_SIDE_PX)
		return -EINVAL;

	if (!fb_input_enter(fb, &c))
		return ret;
	if (c.ops.mode_request)
		ret = c.ops.mode_request(c.opaque, width, height);
	fb_input_leave(fb, &c);
	return ret;
}
