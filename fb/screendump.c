/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fb/screendump.c - the headless shadow as PNG (libpng) or binary PPM. The
 * shadow is copied under the lock and written outside it.
 */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

#include "fb/headless-internal.h"

/* One x8r8g8b8 row as 8-bit RGB. */
static void fb_row_to_rgb(const uint32_t *px, uint32_t w, uint8_t *rgb)
{
	for (uint32_t x = 0; x < w; x++) {
		rgb[3 * x] = (uint8_t)(px[x] >> 16);
		rgb[3 * x + 1] = (uint8_t)(px[x] >> 8);
		rgb[3 * x + 2] = (uint8_t)px[x];
	}
}

/* Writes the PNG; returns 0 or -EIO. The image data is not touched on
 * longjmp, so only locals that stay unchanged after setjmp are used. */
static int fb_png_write(FILE *f, const uint32_t *px, uint32_t w, uint32_t h, uint8_t *row)
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
	for (uint32_t y = 0; y < h; y++) {
		fb_row_to_rgb(px + (size_t)y * w, w, row);
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);
	return 0;
}

/* Shared by both formats: copy, open, write, close. */
static int fb_screendump(struct fb_headless *h, const char *path, bool png)
{
	uint32_t *px, w, hgt;
	uint8_t *row;
	FILE *f;
	int rc;

	if (!h || !path)
		return -EINVAL;
	rc = fb_headless_copy(h, &px, &w, &hgt);
	if (rc)
		return rc;
	row = malloc((size_t)w * 3);
	if (!row) {
		rc = -ENOMEM;
		goto fail_row;
	}
	f = fopen(path, "wb");
	if (!f) {
		rc = -errno;
		goto fail_open;
	}
	if (png) {
		rc = fb_png_write(f, px, w, hgt, row);
	} else {
		rc = fprintf(f, "P6\n%u %u\n255\n", w, hgt) < 0 ? -EIO : 0;
		for (uint32_t y = 0; y < hgt && !rc; y++) {
			fb_row_to_rgb(px + (size_t)y * w, w, row);
			if (fwrite(row, 3, w, f) != w)
				rc = -EIO;
		}
	}
	if (fclose(f) && !rc)
		rc = -EIO;
fail_open:
	free(row);
fail_row:
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
