/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/format.c - the guest pixel formats, mode validation, palettes, and
 * pixman views of a mode's pixels.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "fb/fb-internal.h"

/* The formats a VGA/Bochs device offers, with their names and sizes. */
static const struct {
	pixman_format_code_t format;
	const char *name;
	unsigned bytes_per_px;
} fb_formats[] = {
	{ PIXMAN_c8, "c8", 1 },
	{ PIXMAN_x1r5g5b5, "x1r5g5b5", 2 },
	{ PIXMAN_r5g6b5, "r5g6b5", 2 },
	{ PIXMAN_r8g8b8, "r8g8b8", 3 },
	{ PIXMAN_x8r8g8b8, "x8r8g8b8", 4 },
	{ PIXMAN_a8r8g8b8, "a8r8g8b8", 4 },
};

#define FB_NFORMATS (sizeof(fb_formats) / sizeof(fb_formats[0]))
/* pixman wants strides that are whole uint32_t words. */
#define FB_STRIDE_ALIGN_BYTES 4u
/* Highest value of an 8-bit colour channel. */
#define FB_CHANNEL_MAX 255u
/* pixman's indexed lookup: one palette index per 15-bit colour. */
#define FB_PALETTE_LOOKUP_COLOURS (sizeof(((pixman_indexed_t *)0)->ent) / sizeof(pixman_index_type))

unsigned fb_format_bpp(pixman_format_code_t format)
{
	for (size_t i = 0; i < FB_NFORMATS; i++)
		if (fb_formats[i].format == format)
			return fb_formats[i].bytes_per_px;
	return 0;
}

const char *fb_format_name(pixman_format_code_t format)
{
	for (size_t i = 0; i < FB_NFORMATS; i++)
		if (fb_formats[i].format == format)
			return fb_formats[i].name;
	return NULL;
}

pixman_format_code_t fb_format_parse(const char *name)
{
	if (!name)
		return 0;
	for (size_t i = 0; i < FB_NFORMATS; i++)
		if (strcmp(fb_formats[i].name, name) == 0)
			return fb_formats[i].format;
	return 0;
}

int fb_mode_check(struct fb_mode *m, uint64_t max_bytes)
{
	unsigned bpp;
	uint64_t row, stride;

	if (!m)
		return -EINVAL;
	if (max_bytes == 0)
		max_bytes = FB_DEFAULT_MAX_BYTES;
	bpp = fb_format_bpp(m->format);
	if (!bpp)
		return -EINVAL;
	if (m->width == 0 || m->height == 0 || m->width > FB_MAX_SIDE_PX ||
	    m->height > FB_MAX_SIDE_PX)
		return -EINVAL;
	row = (uint64_t)m->width * bpp;
	stride = m->stride;
	if (stride == 0)
		stride = (row + FB_STRIDE_ALIGN_BYTES - 1) / FB_STRIDE_ALIGN_BYTES *
			 FB_STRIDE_ALIGN_BYTES;
	if (stride < row || stride % FB_STRIDE_ALIGN_BYTES || stride > INT_MAX)
		return -EINVAL;
	if (stride * m->height > max_bytes)
		return -E2BIG;
	m->stride = (uint32_t)stride;
	return 0;
}

/* The default palette: 3 bits red, 3 green, 2 blue, index 0 black. */
static struct fb_palette fb_default_palette;
static pthread_once_t fb_default_palette_once = PTHREAD_ONCE_INIT;

static void fb_default_palette_init(void)
{
	struct fb_palette *p = &fb_default_palette;

	for (unsigned i = 0; i < FB_PALETTE_ENTRIES; i++) {
		/* scale each channel's levels to 0..FB_CHANNEL_MAX */
		uint32_t r = ((i >> 5) & 7) * FB_CHANNEL_MAX / 7;
		uint32_t g = ((i >> 2) & 7) * FB_CHANNEL_MAX / 7;
		uint32_t b = (i & 3) * FB_CHANNEL_MAX / 3;

		p->idx.rgba[i] = 0xff000000u | r << 16 | g << 8 | b;
	}
	p->idx.color = 1;
	p->is_default = true;
	fb_palette_build_ent(p);
}

struct fb_palette *fb_palette_default(void)
{
	pthread_once(&fb_default_palette_once, fb_default_palette_init);
	return &fb_default_palette;
}

/* Nearest entry by squared RGB distance, for every 15-bit colour (the index
 * pixman uses when it stores into an indexed image). */
void fb_palette_build_ent(struct fb_palette *pal)
{
	int pr[FB_PALETTE_ENTRIES], pg[FB_PALETTE_ENTRIES], pb[FB_PALETTE_ENTRIES];

	for (unsigned i = 0; i < FB_PALETTE_ENTRIES; i++) {
		pr[i] = (pal->idx.rgba[i] >> 16) & 0xff;
		pg[i] = (pal->idx.rgba[i] >> 8) & 0xff;
		pb[i] = pal->idx.rgba[i] & 0xff;
	}
	for (unsigned c = 0; c < FB_PALETTE_LOOKUP_COLOURS; c++) {
		/* expand 5-bit channels the way pixman does */
		int r = (int)(((c >> 10) & 31) << 3 | ((c >> 10) & 31) >> 2);
		int g = (int)(((c >> 5) & 31) << 3 | ((c >> 5) & 31) >> 2);
		int b = (int)((c & 31) << 3 | (c & 31) >> 2);
		int best = 0, best_d = INT_MAX;

		for (int i = 0; i < (int)FB_PALETTE_ENTRIES && best_d; i++) {
			int d = (r - pr[i]) * (r - pr[i]) + (g - pg[i]) * (g - pg[i]) +
				(b - pb[i]) * (b - pb[i]);

			if (d < best_d) {
				best_d = d;
				best = i;
			}
		}
		pal->idx.ent[c] = (pixman_index_type)best;
	}
}

uint32_t fb_palette_black(const struct fb_palette *pal)
{
	return pal->idx.ent[0];
}

pixman_image_t *fb_mode_image(const struct fb_mode_obj *mo, const struct fb_palette *pal)
{
	pixman_image_t *img;

	img = pixman_image_create_bits_no_clear(mo->mode.format, (int)mo->mode.width,
						(int)mo->mode.height, (uint32_t *)mo->pixels,
						(int)mo->mode.stride);
	if (img && mo->mode.format == PIXMAN_c8)
		pixman_image_set_indexed(img, &pal->idx);
	return img;
}
