/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/listener.c - attaching and detaching listeners, and the guest's
 * clipboard messages, which wait for the render thread so that every
 * listener op runs there (only the latest one waits).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fb/fb-internal.h"

int fb_listener_register(struct fb_device *fb, struct fb_listener *l)
{
	struct fb_device *none = NULL;
	struct fb_listener **pp;

	if (!fb || !l || !l->ops)
		return -EINVAL;
	/* Claim l first: linking it twice would make the list a loop. */
	if (!atomic_compare_exchange_strong_explicit(&l->owner, &none, fb, memory_order_acq_rel,
						     memory_order_acquire))
		return -EEXIST;
	fb_lock(&fb->listener_lock, FB_LOCK_LISTENERS);
	l->next = NULL;
	l->seen_generation = 0; /* no mode yet: switch_surface comes first */
	l->cursor_seen_image = l->cursor_seen_pos = l->cursor_seen_generation = 0;
	for (pp = &fb->listeners; *pp; pp = &(*pp)->next)
		;
	*pp = l;
	fb_unlock(&fb->listener_lock, FB_LOCK_LISTENERS);
	fb_poke(fb);
	return 0;
}

int fb_listener_unregister(struct fb_device *fb, struct fb_listener *l)
{
	struct fb_listener **pp;
	bool found = false;

	if (!fb || !l)
		return -EINVAL;
	/* The render thread holds listener_lock across callbacks: once we
	 * have it, none of l's callbacks runs, and none will after this. */
	fb_lock(&fb->listener_lock, FB_LOCK_LISTENERS);
	for (pp = &fb->listeners; *pp; pp = &(*pp)->next) {
		if (*pp == l) {
			*pp = l->next;
			found = true;
			break;
		}
	}
	fb_unlock(&fb->listener_lock, FB_LOCK_LISTENERS);
	if (!found)
		return -ENOENT;
	l->next = NULL;
	/* Released before destroy, which may free l. */
	atomic_store_explicit(&l->owner, NULL, memory_order_release);
	if (l->ops->destroy)
		l->ops->destroy(l);
	return 0;
}

void fb_clip_drain(struct fb_device *fb, struct fb_clip_msg **head)
{
	fb_lock(&fb->clip_lock, FB_LOCK_CLIPBOARD);
	*head = fb->clip_head;
	fb->clip_head = NULL;
	fb->clip_tail = &fb->clip_head;
	fb_unlock(&fb->clip_lock, FB_LOCK_CLIPBOARD);
}

int fb_send_clipboard(struct fb_device *fb, const char *utf8, size_t len)
{
	struct fb_clip_msg *msg, *old;

	if (!fb || (len && !utf8))
		return -EINVAL;
	if (len > FB_CLIPBOARD_MAX_BYTES)
		return -E2BIG;
	msg = malloc(sizeof(*msg) + len + 1);
	if (!msg)
		return -ENOMEM;
	msg->next = NULL;
	msg->len = len;
	if (len)
		memcpy(msg->text, utf8, len);
	msg->text[len] = '\0';
	/* Only the latest text matters to a viewer: it replaces a message the
	 * render thread has not taken yet, so the queue holds at most one. */
	fb_lock(&fb->clip_lock, FB_LOCK_CLIPBOARD);
	old = fb->clip_head;
	fb->clip_head = msg;
	fb->clip_tail = &msg->next;
	fb_unlock(&fb->clip_lock, FB_LOCK_CLIPBOARD);
	free(old);
	fb_poke(fb);
	return 0;
}
