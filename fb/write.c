/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/write.c - the guest write paths. Each runs inside an RCU read section on
 * the mode current when it started, writes the pixels, then marks exactly the
 * pages it touched for every dirty client (pixels first, bits second: see
 * memory/ram.h for why no update can be lost), then wakes an idle render
 * thread with one atomic check. None of them waits for the render thread.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "fb/fb-internal.h"

int fb_write(struct fb_device *fb, uint64_t offset, const void *data, size_t len)
{
	const struct fb_mode_obj *mo;

	if (!fb || (len && !data))
		return -EINVAL;
	ram_rcu_read_lock();
	mo = ram_rcu_dereference(fb->mode);
	if (offset < mo->bytes && len) {
		if (len > mo->bytes - offset)
			len = (size_t)(mo->bytes - offset);
		FB_GUEST_WRITES_BEGIN();
		memcpy(mo->pixels + offset, data, len);
		FB_GUEST_WRITES_END();
		dirty_set_range(fb->rl, mo->ram_offset + offset, len, DIRTY_CLIENTS_ALL);
		fb_note_damage(fb);
	}
	ram_rcu_read_unlock();
	return 0;
}

int fb_fill_rect(struct fb_device *fb, int x, int y, int w, int h, uint32_t pixel)
{
	const struct fb_mode_obj *mo;
	const struct fb_mode *m;
	unsigned bpp;
	int rc = 0;

	if (!fb || w < 0 || h < 0)
		return -EINVAL;
	ram_rcu_read_lock();
	mo = ram_rcu_dereference(fb->mode);
	m = &mo->mode;
	bpp = fb_format_bpp(m->format);
	if (!fb_clip_rect(m, &x, &y, &w, &h))
		goto out;
	FB_GUEST_WRITES_BEGIN();
	if (bpp != 3) {
		pixman_fill((uint32_t *)mo->pixels, (int)(m->stride / 4), (int)bpp * 8, x, y, w, h,
			    pixel);
	} else {
		/* pixman_fill has no 24 bpp path; a SRC fill with the same
		 * colour at 16 bits per channel stores the exact bytes. */
		pixman_image_t *img = fb_mode_image(mo, NULL);
		pixman_color_t c = {
			.red = (uint16_t)(((pixel >> 16) & 0xff) * 0x101),
			.green = (uint16_t)(((pixel >> 8) & 0xff) * 0x101),
			.blue = (uint16_t)((pixel & 0xff) * 0x101),
			.alpha = 0xffff,
		};
		pixman_box32_t box = { x, y, x + w, y + h };

		if (img) {
			pixman_image_fill_boxes(PIXMAN_OP_SRC, img, &c, 1, &box);
			pixman_image_unref(img);
		} else {
			rc = -ENOMEM;
		}
	}
	FB_GUEST_WRITES_END();
	if (rc)
		goto out;
	fb_mark_rect(fb, mo, x, y, w, h);
	fb_note_damage(fb);
out:
	ram_rcu_read_unlock();
	return rc;
}

int fb_put_image(struct fb_device *fb, pixman_image_t *src, int x, int y)
{
	const struct fb_mode_obj *mo;
	pixman_image_t *dst;
	int w, h, cx, cy;
	int rc = 0;

	if (!fb || !src)
		return -EINVAL;
	w = pixman_image_get_width(src);
	h = pixman_image_get_height(src);
	ram_rcu_read_lock();
	mo = ram_rcu_dereference(fb->mode);
	cx = x;
	cy = y;
	if (!fb_clip_rect(&mo->mode, &cx, &cy, &w, &h))
		goto out;
	dst = fb_mode_image(mo, ram_rcu_dereference(fb->palette));
	if (!dst) {
		rc = -ENOMEM;
		goto out;
	}
	FB_GUEST_WRITES_BEGIN();
	pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, cx - x, cy - y, 0, 0, cx, cy, w, h);
	FB_GUEST_WRITES_END();
	pixman_image_unref(dst);
	fb_mark_rect(fb, mo, cx, cy, w, h);
	fb_note_damage(fb);
out:
	ram_rcu_read_unlock();
	return rc;
}
