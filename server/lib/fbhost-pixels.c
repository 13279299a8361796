/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/lib/fbhost-pixels.c - libfbhost: modes and resize, direct
 * pixel access with damage, and the fill/blit/palette helpers.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server/lib/fbhost-internal.h"

static struct fbhost_mode fbhost_mode_from_fb(const struct fb_mode *m)
{
	struct fbhost_mode out = {
		.width = m->width,
		.height = m->height,
		.stride = m->stride,
		.format = fbhost_format_from_pixman(m->format),
	};
	return out;
}

struct fbhost_mode fbhost_fb_mode(struct fbhost_fb *fb)
{
	struct fb_mode m = fb_get_mode(fb->dev);

	return fbhost_mode_from_fb(&m);
}

_Static_assert(FBHOST_MAX_SIDE_PX == FB_MAX_SIDE_PX, "fbhost.h restates fb.h's side limit");
_Static_assert(FBHOST_MAX_FB_BYTES == FB_DEFAULT_MAX_BYTES, "fbhost.h restates fb.h's byte cap");

int fbhost_mode_check(uint32_t width, uint32_t height, enum fbhost_format format)
{
	struct fb_mode m = { .width = width, .height = height };

	m.format = fbhost_format_to_pixman(format);
	if (!m.format)
		return -EINVAL;
	return fb_mode_check(&m, FBHOST_MAX_FB_BYTES);
}

int fbhost_resize(struct fbhost_fb *fb, uint32_t width, uint32_t height, enum fbhost_format format)
{
	struct fb_mode m = { .width = width, .height = height };
	const char *name = fbhost_format_name(format);
	int err;

	m.format = fbhost_format_to_pixman(format);
	if (!m.format)
		return fbhost_fail(fb->host, fb->name, -EINVAL, "invalid format");
	err = fb_mode_check(&m, 0);
	if (err)
		return fbhost_fail(fb->host, fb->name, err, "mode %ux%u %s is %s", width, height,
				   name, err == -E2BIG ? "too large" : "invalid");
	if (!fbhost_vnc_mode_fits(fb, &m))
		return fbhost_fail(fb->host, fb->name, -E2BIG,
				   "mode %ux%u %s is too large for VNC (width at most %u)", width,
				   height, name, FBHOST_VNC_MAX_WIDTH_PX);
	err = fb_set_mode(fb->dev, &m);
	if (err)
		return fbhost_fail(fb->host, fb->name, err, "cannot set mode %ux%u %s: %s", width,
				   height, name, strerror(-err));
	fbhost_log(fb->host, FBHOST_LOG_INFO, "%s: mode %ux%u %s", fb->name, width, height, name);
	return 0;
}

int fbhost_map_file(struct fbhost_fb *fb, int fd, uint64_t offset, const struct fbhost_mode *mode)
{
	struct fb_mode m;
	const char *name;
	int err;

	if (!mode)
		return fbhost_fail(fb->host, fb->name, -EINVAL, "no mode to map");
	name = fbhost_format_name(mode->format);
	m = (struct fb_mode){ .width = mode->width,
			      .height = mode->height,
			      .stride = mode->stride };
	m.format = fbhost_format_to_pixman(mode->format);
	if (!m.format)
		return fbhost_fail(fb->host, fb->name, -EINVAL, "invalid format");
	if (!fbhost_vnc_mode_fits(fb, &m))
		return fbhost_fail(fb->host, fb->name, -E2BIG,
				   "mode %ux%u %s is too large for VNC (width at most %u)",
				   mode->width, mode->height, name, FBHOST_VNC_MAX_WIDTH_PX);
	err = fb_set_mode_file(fb->dev, &m, fd, offset);
	if (err)
		return fbhost_fail(
			fb->host, fb->name, err,
			"cannot map a file as mode %ux%u %s (stride %u, offset %llu): %s",
			mode->width, mode->height, name, mode->stride, (unsigned long long)offset,
			strerror(-err));
	fbhost_log(fb->host, FBHOST_LOG_INFO, "%s: mode %ux%u %s, mapped from a file", fb->name,
		   mode->width, mode->height, name);
	return 0;
}

int fbhost_unmap_file(struct fbhost_fb *fb)
{
	struct fb_mode m = fb_get_mode(fb->dev);
	int err;

	if (!fb_mode_is_file(fb->dev, NULL))
		return 0;
	/* The same size in fb/'s own RAM, with a tight stride. */
	m.stride = 0;
	err = fb_set_mode(fb->dev, &m);
	if (err)
		return fbhost_fail(fb->host, fb->name, err, "cannot copy the mapped picture: %s",
				   strerror(-err));
	return 0;
}

bool fbhost_fb_file_mapped(struct fbhost_fb *fb, bool *lost)
{
	return fb_mode_is_file(fb->dev, lost);
}

/* The fb_access lives in the caller's struct fbhost_pixels. */
_Static_assert(sizeof(struct fb_access) <= sizeof(((struct fbhost_pixels *)0)->priv),
	       "struct fbhost_pixels.priv too small for struct fb_access");

void fbhost_pixels_begin(struct fbhost_fb *fb, struct fbhost_pixels *px)
{
	struct fb_access *acc = (struct fb_access *)px->priv;

	fb_access_begin(fb->dev, acc);
	px->data = acc->pixels;
	px->width = acc->mode.width;
	px->height = acc->mode.height;
	px->stride = acc->mode.stride;
	px->format = fbhost_format_from_pixman(acc->mode.format);
}

void fbhost_pixels_end(struct fbhost_fb *fb, struct fbhost_pixels *px)
{
	fb_access_end(fb->dev, (struct fb_access *)px->priv);
	px->data = NULL;
}

int fbhost_pixels_damage(struct fbhost_fb *fb, const struct fbhost_pixels *px, int x, int y, int w,
			 int h)
{
	if (w < 0 || h < 0)
		return -EINVAL;
	fb_mark_dirty(fb->dev, (const struct fb_access *)px->priv, x, y, w, h);
	return 0;
}

int fbhost_pixels_copy(struct fbhost_fb *fb, const struct fbhost_pixels *px, int sx, int sy, int dx,
		       int dy, int w, int h)
{
	return fb_access_copy(fb->dev, (const struct fb_access *)px->priv, sx, sy, dx, dy, w, h);
}

int fbhost_damage(struct fbhost_fb *fb, int x, int y, int w, int h)
{
	struct fb_access acc;

	if (w < 0 || h < 0)
		return -EINVAL;
	fb_access_begin(fb->dev, &acc);
	fb_mark_dirty(fb->dev, &acc, x, y, w, h);
	fb_access_end(fb->dev, &acc);
	return 0;
}

/* RGB modes: fb converts rgb inside the section that writes it, so a
 * concurrent format change cannot make it the wrong colour. C8 takes a
 * palette index (fbhost.h); only a switch into or out of c8 between the mode
 * check and the fill can still pair the value with the other meaning. */
int fbhost_fill(struct fbhost_fb *fb, int x, int y, int w, int h, uint32_t rgb)
{
	if (w < 0 || h < 0)
		return -EINVAL;
	if (fb_get_mode(fb->dev).format == PIXMAN_c8)
		return fb_fill_rect(fb->dev, x, y, w, h, rgb & 0xff);
	return fb_fill_rect_rgb(fb->dev, x, y, w, h, rgb);
}

int fbhost_copy(struct fbhost_fb *fb, int sx, int sy, int dx, int dy, int w, int h)
{
	if (!fb)
		return -EINVAL;
	return fb_copy_rect(fb->dev, sx, sy, dx, dy, w, h);
}

int fbhost_blit(struct fbhost_fb *fb, int x, int y, const void *src, uint32_t w, uint32_t h,
		uint32_t stride, enum fbhost_format src_format)
{
	pixman_format_code_t pf = fbhost_format_to_pixman(src_format);
	unsigned bytes = fbhost_format_bytes(src_format);
	uint32_t *copy = NULL;
	pixman_image_t *img;
	uint32_t bits_stride = stride;
	int err;

	if (!src || !pf || pf == PIXMAN_c8 || w == 0 || h == 0 || w > FBHOST_MAX_SIDE_PX ||
	    h > FBHOST_MAX_SIDE_PX || stride < w * bytes)
		return -EINVAL;
	/* pixman takes the stride as int and steps rows with int offsets. */
	if (stride > FBHOST_BLIT_MAX_BYTES || (uint64_t)stride * h > FBHOST_BLIT_MAX_BYTES) {
		fbhost_log(fb->host, FBHOST_LOG_ERROR,
			   "%s: blit stride %u x %u rows exceeds %u bytes", fb->name, stride, h,
			   FBHOST_BLIT_MAX_BYTES);
		return -EINVAL;
	}
	/* pixman wants 4-byte aligned rows: copy the rare other case. */
	if (stride % 4 || (uintptr_t)src % 4) {
		uint32_t y0;

		bits_stride = (w * bytes + 3) & ~3u;
		copy = malloc((size_t)bits_stride * h);
		if (!copy)
			return -ENOMEM;
		for (y0 = 0; y0 < h; y0++)
			memcpy((char *)copy + (size_t)y0 * bits_stride,
			       (const char *)src + (size_t)y0 * stride, (size_t)w * bytes);
	}
	img = pixman_image_create_bits(pf, (int)w, (int)h, copy ? copy : (uint32_t *)(uintptr_t)src,
				       (int)bits_stride);
	if (!img) {
		free(copy);
		return -ENOMEM;
	}
	err = fb_put_image(fb->dev, img, x, y);
	pixman_image_unref(img);
	free(copy);
	return err;
}

int fbhost_set_palette(struct fbhost_fb *fb, unsigned first, unsigned count, const uint32_t *rgb)
{
	if (!rgb || first >= FB_PALETTE_ENTRIES || count > FB_PALETTE_ENTRIES - first)
		return -EINVAL;
	return fb_set_palette(fb->dev, first, count, rgb);
}
