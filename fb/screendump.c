/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/screendump.c - the headless shadow as PNG (libpng) or binary PPM. The
 * shadow is copied under the lock and written outside it; pixman converts
 * its rows to RGB bytes.
 */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

#include "fb/headless-internal.h"

/* The pixman format whose 24-bit pixels lie in memory as R, G, B bytes
 * (pixman stores 24 bpp pixels in native byte order). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FB_DUMP_RGB_BYTES_FORMAT PIXMAN_b8g8r8
#else
#define FB_DUMP_RGB_BYTES_FORMAT PIXMAN_r8g8b8
#endif

/* The PPM header's maximum channel value: 8 bits per channel. */
#define FB_PPM_MAX_VALUE 255u

/* Converts the shadow copy one row at a time into an R, G, B byte row. */
struct fb_dump_rows {
	pixman_image_t *src; /* the x8r8g8b8 copy */
	pixman_image_t *row; /* one row in FB_DUMP_RGB_BYTES_FORMAT */
	uint8_t *bytes;	     /* the row's pixels */
	uint32_t width;
};

static int fb_dump_rows_init(struct fb_dump_rows *d, uint32_t *px, uint32_t w, uint32_t h)
{
	int stride = (int)(((size_t)w * 3 + 3) & ~(size_t)3);

	d->width = w;
	d->src = pixman_image_create_bits_no_clear(PIXMAN_x8r8g8b8, (int)w, (int)h, px, (int)w * 4);
	d->bytes = malloc((size_t)stride);
	d->row = d->bytes ? pixman_image_create_bits_no_clear(FB_DUMP_RGB_BYTES_FORMAT, (int)w, 1,
							      (uint32_t *)d->bytes, stride)
			  : NULL;
	if (!d->src || !d->row) {
		if (d->src)
			pixman_image_unref(d->src);
		if (d->row)
			pixman_image_unref(d->row);
		free(d->bytes);
		return -ENOMEM;
	}
	return 0;
}

/* Row y as 3 * width bytes R, G, B. */
static const uint8_t *fb_dump_row(struct fb_dump_rows *d, uint32_t y)
{
	pixman_image_composite32(PIXMAN_OP_SRC, d->src, NULL, d->row, 0, (int)y, 0, 0, 0, 0,
				 (int)d->width, 1);
	return d->bytes;
}

static void fb_dump_rows_fini(struct fb_dump_rows *d)
{
	pixman_image_unref(d->src);
	pixman_image_unref(d->row);
	free(d->bytes);
}

/* Writes the PNG; returns 0 or -EIO. The image data is not touched on
 * longjmp, so only locals that stay unchanged after setjmp are used. */
static int fb_png_write(FILE *f, struct fb_dump_rows *rows, uint32_t w, uint32_t h)
{
	png_structp png;
	png_infop info;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	if (!png)
		return -ENOMEM;
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return -EIO;
	}
	png_init_io(png, f);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (uint32_t y = 0; y < h; y++)
		png_write_row(png, fb_dump_row(rows, y));
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

/* Shared by both formats: copy, open, write, close. */
static int fb_screendump(struct fb_headless *h, const char *path, bool png)
{
	struct fb_dump_rows rows;
	uint32_t *px, w, hgt;
	FILE *f;
	int rc;

	if (!h || !path)
		return -EINVAL;
	rc = fb_headless_copy(h, &px, &w, &hgt);
	if (rc)
		return rc;
	rc = fb_dump_rows_init(&rows, px, w, hgt);
	if (rc)
		goto fail_rows;
	f = fopen(path, "wb");
	if (!f) {
		rc = -errno;
		goto fail_open;
	}
	if (png) {
		rc = fb_png_write(f, &rows, w, hgt);
	} else {
		rc = fprintf(f, "P6\n%u %u\n%u\n", w, hgt, FB_PPM_MAX_VALUE) < 0 ? -EIO : 0;
		for (uint32_t y = 0; y < hgt && !rc; y++)
			if (fwrite(fb_dump_row(&rows, y), 3, w, f) != w)
				rc = -EIO;
	}
	if (fclose(f) && !rc)
		rc = -EIO;
fail_open:
	fb_dump_rows_fini(&rows);
fail_rows:
	free(px);
	return rc;
}

int fb_headless_screendump_png(struct fb_headless *h, const char *path)
{
	return fb_screendump(h, path, true);
}

int fb_headless_screendump_ppm(struct fb_headless *h, const char *path)
{
	return fb_screendump(h, path, false);
}
