/* SPDX-License-Identifier: GPL-2.0-or-later */
/* tests/server/guests/guest-rig.c - see guest-rig.h. */
#include "guest-rig.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

void rig_start(struct rig *rig, const struct guest_ops *guest, uint32_t width, uint32_t height,
	       pixman_format_code_t format)
{
	const char *err = NULL;

	*rig = (struct rig){ .guest = guest };
	rig->host = fbhost_new(NULL);
	assert_non_null(rig->host);
	rig->hfb = fbhost_fb_add(rig->host, "guest-test", width, height,
				 fbhost_format_from_pixman(format));
	assert_non_null(rig->hfb);
	rig->fb = rig->hfb->dev;
	rig->render = rig->host->render;
	rig->headless = fb_headless_new(rig->fb);
	assert_non_null(rig->headless);
	assert_int_equal(guest->start(rig->host, rig->hfb, NULL, &rig->guest_state, &err), 0);
}

void rig_stop(struct rig *rig)
{
	rig->guest->stop(rig->guest_state);
	fb_headless_free(rig->headless);
	fbhost_free(rig->host);
	free(rig->frame.px);
	rig->frame.px = NULL;
}

bool rig_copy(struct rig *rig)
{
	uint32_t *px;
	uint32_t w, h;

	if (fb_headless_copy(rig->headless, &px, &w, &h) < 0)
		return false;
	free(rig->frame.px);
	rig->frame = (struct rig_frame){ px, w, h };
	return true;
}

uint32_t rig_px(const struct rig *rig, int x, int y)
{
	assert_true(x >= 0 && y >= 0 && (uint32_t)x < rig->frame.width &&
		    (uint32_t)y < rig->frame.height);
	return rig->frame.px[(size_t)y * rig->frame.width + (size_t)x] & 0xffffffu;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool rig_wait(struct rig *rig, rig_pred pred, void *arg)
{
	uint64_t deadline = now_ms() + RIG_WAIT_MS;

	for (;;) {
		if (rig_copy(rig) && pred(rig, arg))
			return true;
		if (now_ms() >= deadline)
			return false;
		/* A timeout here only means the thread idles; keep looking. */
		fb_render_wait_ticks(rig->render, 1, 200);
	}
}

bool rig_pred_mode(struct rig *rig, void *arg)
{
	const struct rig_mode_arg *m = arg;
	struct fb_mode cur = fb_get_mode(rig->fb);

	return cur.width == m->width && cur.height == m->height && cur.format == m->format &&
	       rig->frame.width == m->width && rig->frame.height == m->height;
}

bool rig_frame_equals(const struct rig *rig, pixman_image_t *img)
{
	int w = pixman_image_get_width(img), h = pixman_image_get_height(img);
	pixman_image_t *rgb;
	const uint32_t *want;
	bool same = true;

	if ((uint32_t)w != rig->frame.width || (uint32_t)h != rig->frame.height)
		return false;
	rgb = pixman_image_create_bits(PIXMAN_x8r8g8b8, w, h, NULL, w * 4);
	assert_non_null(rgb);
	pixman_image_composite32(PIXMAN_OP_SRC, img, NULL, rgb, 0, 0, 0, 0, 0, 0, w, h);
	want = pixman_image_get_data(rgb);
	for (size_t i = 0; same && i < (size_t)w * (size_t)h; i++)
		same = ((want[i] ^ rig->frame.px[i]) & 0xffffffu) == 0;
	pixman_image_unref(rgb);
	return same;
}
