/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest.h - built-in guests. A guest draws into one framebuffer on a
 * thread of its own, through the fb_* write paths, and installs the
 * framebuffer's input handler. Public prefix: guest_.
 */
#ifndef FBHOST_SERVER_GUEST_H
#define FBHOST_SERVER_GUEST_H

#include "fb/fb.h"
#include "server/lib/fbhost.h"

struct guest_ops {
	const char *name; /* "demo", "pattern", "bench" */
	/* Parses args (the text after "name:" on the command line, or NULL)
	 * and starts drawing into fb. 0 or -errno; on -EINVAL *err holds a
	 * static message for the user. */
	int (*start)(struct fb_device *fb, const char *args, void **state, const char **err);
	/* The same through the public API only (guests that use fbhost.h
	 * alone); used instead of start when set. */
	int (*start_fb)(struct fbhost_fb *fb, const char *args, void **state, const char **err);
	/* Stops the guest's thread and frees its state. */
	void (*stop)(void *state);
};

extern const struct guest_ops guest_demo_ops;
extern const struct guest_ops guest_pattern_ops;
extern const struct guest_ops guest_bench_ops;
extern const struct guest_ops guest_qemu_ops;

#endif
