/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-pattern.c - the "pattern" guest: a static test card (see
 * guest-pattern.h) redrawn whenever the mode changes, and resized on viewer
 * request.
 */
#include "server/guests/guest-pattern.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/guests/guest-draw.h"
#include "server/guests/guest-runner.h"
#include "server/guests/guest.h"

/* How often the guest thread looks at the mode generation when nobody wakes
 * it: bounds how long a mode change made behind its back stays undrawn. */
#define PATTERN_POLL_MS 250u

static const uint32_t bar_rgb[GUEST_PATTERN_BAR_COUNT] = {
	0xffffff, 0xffff00, 0x00ffff, 0x00ff00, 0xff00ff, 0xff0000, 0x0000ff, 0x000000,
};

uint32_t guest_pattern_bar_rgb(unsigned i)
{
	return i < GUEST_PATTERN_BAR_COUNT ? bar_rgb[i] : 0;
}

uint32_t guest_pattern_ramp_rgb(unsigned i)
{
	uint32_t level;

	if (i >= GUEST_PATTERN_BAR_COUNT)
		return 0;
	level = i * 255u / (GUEST_PATTERN_BAR_COUNT - 1);
	return level << 16 | level << 8 | level;
}

int guest_pattern_bars_height(int height)
{
	return height * 3 / 4;
}

size_t guest_pattern_label(char *buf, size_t size, int width, int height,
			   pixman_format_code_t format)
{
	const char *name = fbhost_format_name(guest_draw_fbhost_format(format));
	int n = snprintf(buf, size, "%dx%d %s", width, height, name ? name : "?");

	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

/* Draws the 1-pixel grid: every GUEST_PATTERN_GRID_STEP_PX and the last line. */
static void draw_grid(pixman_image_t *img, int w, int h)
{
	for (int x = 0; x < w; x += GUEST_PATTERN_GRID_STEP_PX)
		guest_draw_rect(img, x, 0, 1, h, GUEST_PATTERN_GRID_RGB);
	for (int y = 0; y < h; y += GUEST_PATTERN_GRID_STEP_PX)
		guest_draw_rect(img, 0, y, w, 1, GUEST_PATTERN_GRID_RGB);
	guest_draw_rect(img, w - 1, 0, 1, h, GUEST_PATTERN_GRID_RGB);
	guest_draw_rect(img, 0, h - 1, w, 1, GUEST_PATTERN_GRID_RGB);
}

void guest_pattern_draw(pixman_image_t *img)
{
	int w = pixman_image_get_width(img), h = pixman_image_get_height(img);
	int bars_h = guest_pattern_bars_height(h);
	char label[GUEST_PATTERN_LABEL_MAX];
	size_t len;

	for (unsigned i = 0; i < GUEST_PATTERN_BAR_COUNT; i++) {
		int x0 = (int)((int64_t)w * i / GUEST_PATTERN_BAR_COUNT);
		int x1 = (int)((int64_t)w * (i + 1) / GUEST_PATTERN_BAR_COUNT);

		guest_draw_rect(img, x0, 0, x1 - x0, bars_h, bar_rgb[i]);
		guest_draw_rect(img, x0, bars_h, x1 - x0, h - bars_h, guest_pattern_ramp_rgb(i));
	}
	draw_grid(img, w, h);

	len = guest_pattern_label(label, sizeof(label), w, h, pixman_image_get_format(img));
	guest_draw_rect(img, GUEST_PATTERN_LABEL_X_PX, GUEST_PATTERN_LABEL_Y_PX,
			guest_draw_text_width(len, GUEST_PATTERN_LABEL_SCALE) +
				2 * GUEST_PATTERN_LABEL_PAD_PX,
			guest_draw_text_height(GUEST_PATTERN_LABEL_SCALE) +
				2 * GUEST_PATTERN_LABEL_PAD_PX,
			GUEST_PATTERN_LABEL_BG_RGB);
	guest_draw_text(img, GUEST_PATTERN_LABEL_X_PX + GUEST_PATTERN_LABEL_PAD_PX,
			GUEST_PATTERN_LABEL_Y_PX + GUEST_PATTERN_LABEL_PAD_PX,
			GUEST_PATTERN_LABEL_SCALE, GUEST_PATTERN_LABEL_FG_RGB,
			GUEST_PATTERN_LABEL_BG_RGB, label, len);
}

/* ---- the guest ---------------------------------------------------------- */

/* One running pattern guest. */
struct pattern_guest {
	struct guest_runner run; /* thread, stop and resize hand-over */

	/* Guest thread only. */
	bool drawn;
	uint64_t drawn_generation;
};

/* Draws the card over the whole current mode and marks it dirty. */
static void pattern_redraw(struct pattern_guest *pg)
{
	struct fbhost_fb *fb = pg->run.fb;
	struct fbhost_pixels px;
	pixman_image_t *img;

	guest_draw_set_palette(fb);
	fbhost_pixels_begin(fb, &px);
	img = guest_draw_wrap_pixels(&px);
	if (img) {
		guest_pattern_draw(img);
		pixman_image_unref(img);
		fbhost_pixels_damage(fb, &px, 0, 0, (int)px.width, (int)px.height);
	}
	fbhost_pixels_end(fb, &px);
}

static void *pattern_thread(void *opaque)
{
	struct pattern_guest *pg = opaque;
	struct guest_runner *run = &pg->run;

	pthread_mutex_lock(&run->lock);
	while (!run->stop) {
		uint64_t gen;
		uint32_t w, h;
		uint64_t deadline;

		if (guest_runner_take_resize_locked(run, &w, &h)) {
			int rc;

			pthread_mutex_unlock(&run->lock);
			rc = guest_runner_apply_resize(run, w, h);
			if (rc < 0)
				fbhost_log(run->host, FBHOST_LOG_ERROR,
					   "pattern guest: resize to %ux%u failed: %s", w, h,
					   strerror(-rc));
			pthread_mutex_lock(&run->lock);
			continue;
		}
		pthread_mutex_unlock(&run->lock);

		gen = fbhost_fb_mode_generation(run->fb);
		if (!pg->drawn || gen != pg->drawn_generation) {
			pattern_redraw(pg);
			pg->drawn = true;
			pg->drawn_generation = gen;
		}

		pthread_mutex_lock(&run->lock);
		deadline = fbhost_now_ns() + (uint64_t)PATTERN_POLL_MS * 1000000u;
		while (!run->stop && !run->resize_pending &&
		       guest_runner_wait_until_locked(run, deadline) == 0)
			;
	}
	pthread_mutex_unlock(&run->lock);
	return NULL;
}

/* Frontend threads: validates and queues the request for the guest thread.
 * The card ignores keys, pointer and clipboard. */
static int pattern_resize_request(void *opaque, struct fbhost_fb *fb, uint32_t width,
				  uint32_t height)
{
	struct pattern_guest *pg = opaque;

	return guest_runner_request_resize(&pg->run, width, height);
}

static const struct fbhost_input_callbacks pattern_input = {
	.resize_request = pattern_resize_request,
};

static int pattern_start(struct fbhost *host, struct fbhost_fb *fb, const char *args, void **state,
			 const char **err)
{
	struct pattern_guest *pg;
	int rc;

	if (args && *args) {
		*err = "the pattern guest takes no arguments";
		return -EINVAL;
	}
	pg = calloc(1, sizeof(*pg));
	if (!pg)
		return -ENOMEM;
	rc = guest_runner_init(&pg->run, host, fb);
	if (rc)
		goto fail_runner;
	rc = guest_runner_start(&pg->run, pattern_thread, pg);
	if (rc) {
		*err = "cannot start the pattern guest's thread";
		goto fail_thread;
	}
	rc = fbhost_input_add(fb, &pattern_input, pg);
	if (rc) {
		*err = "cannot take the framebuffer's input";
		goto fail_input;
	}
	*state = pg;
	return 0;

fail_input:
	guest_runner_stop(&pg->run);
fail_thread:
	guest_runner_destroy(&pg->run);
fail_runner:
	free(pg);
	return rc;
}

static void pattern_stop(void *state)
{
	struct pattern_guest *pg = state;

	fbhost_input_remove(pg->run.fb, pg);
	guest_runner_stop(&pg->run);
	guest_runner_destroy(&pg->run);
	free(pg);
}

const struct guest_ops guest_pattern_ops = {
	.name = "pattern",
	.start = pattern_start,
	.stop = pattern_stop,
};
