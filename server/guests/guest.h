/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest.h - the guests built into the fbhost program, and how
 * one is registered. A guest is a user of libfbhost like any embedder: it
 * includes only fbhost.h (server/lib) and may use what that header offers on
 * the host it is started on:
 *   - draw into its framebuffer (fbhost_pixels_begin/_end sections with
 *     fbhost_pixels_damage and fbhost_pixels_copy, or fbhost_fill/_blit/_copy),
 *   - change its mode (fbhost_resize) and watch for changes
 *     (fbhost_fb_mode_generation),
 *   - add framebuffers of its own (fbhost_fb_add on host) and resize them,
 *   - take viewer input through fbhost_input_add (never the embedder's slot
 *     of fbhost_set_input), removing it before it frees its state.
 * Public prefix: guest_.
 *
 * Registering a guest: define a const struct guest_ops, declare it below and
 * add it to the program's list in server/app/main.c (--guest NAME).
 */
#ifndef FBHOST_SERVER_GUEST_H
#define FBHOST_SERVER_GUEST_H

#include "server/lib/fbhost.h"

struct guest_ops {
	const char *name; /* "demo", "pattern", "bench": the --guest NAME */
	/* Parses args (the text after "name:" on the command line, or NULL)
	 * and starts drawing into fb, a framebuffer of host. 0 or -errno; on
	 * -EINVAL *err holds a static message for the user. */
	int (*start)(struct fbhost *host, struct fbhost_fb *fb, const char *args, void **state,
		     const char **err);
	/* Stops the guest (its threads and input handlers) and frees its
	 * state; framebuffers it added stay with the host. */
	void (*stop)(void *state);
};

extern const struct guest_ops guest_demo_ops;
extern const struct guest_ops guest_pattern_ops;
extern const struct guest_ops guest_bench_ops;
extern const struct guest_ops guest_qemu_ops;

#endif
