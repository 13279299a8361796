/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/guests/guest-rig.h - a libfbhost host with one framebuffer and a
 * headless listener on its device, a guest running on it, and bounded waits
 * on what the listener sees. Shared by the guest tests, which also reach
 * below fbhost.h (the device, the render thread) to drive and observe.
 */
#ifndef FBHOST_TESTS_GUEST_RIG_H
#define FBHOST_TESTS_GUEST_RIG_H

#include <stdbool.h>
#include <stdint.h>

#include "fb/fb.h"
#include "fb/headless.h"
#include "server/guests/guest.h"
#include "server/lib/fbhost-internal.h"

/* Upper bound of every wait: generous, for sanitizer builds on a busy
 * 2-core machine. */
#define RIG_WAIT_MS 30000u

/* The headless shadow as last copied: x8r8g8b8, stride width*4. */
struct rig_frame {
	uint32_t *px;
	uint32_t width, height;
};

struct rig {
	struct fbhost *host;
	struct fbhost_fb *hfb;	  /* the guest's framebuffer */
	struct fb_device *fb;	  /* hfb's device */
	struct fb_render *render; /* the host's render thread */
	struct fb_headless *headless;
	void *guest_state;
	const struct guest_ops *guest;
	struct rig_frame frame;
};

/* Sets everything up with mode and starts guest (asserts on failure). */
void rig_start(struct rig *rig, const struct guest_ops *guest, uint32_t width, uint32_t height,
	       pixman_format_code_t format);
/* Stops the guest and frees everything. */
void rig_stop(struct rig *rig);

/* Refreshes rig->frame from the listener's shadow; false if there is none. */
bool rig_copy(struct rig *rig);
/* RGB (top byte cleared) at x,y of rig->frame; x,y must be inside. */
uint32_t rig_px(const struct rig *rig, int x, int y);

/* Waits (one render tick at a time, at most RIG_WAIT_MS) until pred holds
 * on a fresh copy of the shadow. */
typedef bool (*rig_pred)(struct rig *rig, void *arg);
bool rig_wait(struct rig *rig, rig_pred pred, void *arg);

/* Predicate arg: the shadow has this size and the fb this mode's format. */
struct rig_mode_arg {
	uint32_t width, height;
	pixman_format_code_t format;
};
bool rig_pred_mode(struct rig *rig, void *arg);

/* Renders the image to x8r8g8b8 and compares it with the shadow (RGB only). */
bool rig_frame_equals(const struct rig *rig, pixman_image_t *img);

#endif
