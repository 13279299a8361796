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

/* Clips x,y,w,h to the mode; false when nothing is left. */
static bool fb_clip_rect(const struct fb_mode *m, int *x, int *y, int *w, int *h)
{
	int64_t x0 = *x, y0 = *y, x1 = (int64_t)*x + *w, y1 = (int64_t)*y + *h;

	if (x0 < 0)
		x0 = 0;
	if (y0 < 0)
		y0 = 0;
	if (x1 > m->width)
		x1 = m->width;
	if (y1 > m->height)
		y1 = m->height;
	if (x0 >= x1 || y0 >= y1)
		return false;
	*x = (int)x0;
	*y = (int)y0;
	*w = (int)(x1 - x0);
	*h = (int)(y1 - y0);
	return true;
}

/*
 * Marks the pages under a clipped rectangle. Rows go in address order, so
 * consecutive rows whose page ranges touch or overlap are coalesced into one
 * call; pages between rows that the rectangle does not reach stay clean.
 */
void fb_mark_rect_clients(struct fb_device *fb, const struct fb_mode_obj *mo, int x, int y,
			  int w, int h, unsigned client_mask)
{
	uint64_t page = fb->page_size;
	uint64_t bpp = fb_format_bpp(mo->mode.format);
	uint64_t run_start = 0, run_end = 0; /* byte range, page-rounded */
	bool have_run = false;

	for (int row = y; row < y + h; row++) {
		uint64_t s = (uint64_t)row * mo->mode.stride + (uint64_t)x * bpp;
		uint64_t e = s + (uint64_t)w * bpp;
		uint64_t ps = s / page * page, pe = (e + page - 1) / page * page;

		if (have_run && ps <= run_end) {
			if (pe > run_end)
				run_end = pe;
			continue;
		}
		if (have_run)
			dirty_set_range(fb->rl, mo->ram_offset + run_start, run_end - run_start,
					client_mask);
		run_start = ps;
		run_end = pe;
		have_run = true;
	}
	if (have_run)
		dirty_set_range(fb->rl, mo->ram_offset + run_start, run_end - run_start,
				client_mask);
}

void fb_mark_rect(struct fb_device *fb, const struct fb_mode_obj *mo, int x, int y, int w,
		  int h)
{
	fb_mark_rect_clients(fb, mo, x, y, w, h, DIRTY_CLIENTS_ALL);
}

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
	pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, cx - x, cy - y, 0, 0, cx, cy, w,
				 h);
	FB_GUEST_WRITES_END();
	pixman_image_unref(dst);
	fb_mark_rect(fb, mo, cx, cy, w, h);
	fb_note_damage(fb);
out:
	ram_rcu_read_unlock();
	return rc;
}

void fb_mark_dirty(struct fb_device *fb, const struct fb_access *acc, int x, int y, int w, int h)
{
	const struct fb_mode_obj *mo = acc->priv;

	if (!mo || w <= 0 || h <= 0 || !fb_clip_rect(&mo->mode, &x, &y, &w, &h))
		return;
	/* No wake-up here: closing the section does it, so the render thread
	 * is not woken for a frame that is still being drawn. */
	fb_mark_rect(fb, mo, x, y, w, h);
}

/*
 * Frame sections. The render thread reads the counter before it takes the
 * dirty bits and again after it copied the pixels (a seqlock read side whose
 * write side is these two adds): an open section at the start, or a section
 * begun meanwhile, makes it leave the frame for a later tick. Both adds are
 * seq_cst: the pixels a section writes cannot become visible before its
 * begin, and the close pairs with the render thread raising `idle`.
 */
void fb_section_open(struct fb_device *fb)
{
	atomic_fetch_add(&fb->sections, FB_SECTION_BEGUN_ONE + 1);
}

void fb_section_close(struct fb_device *fb)
{
	uint64_t old = atomic_fetch_sub(&fb->sections, 1);

	assert((old & FB_SECTION_OPEN_MASK) != 0);
	if ((old & FB_SECTION_OPEN_MASK) == 1)
		fb_note_damage(fb);
}
