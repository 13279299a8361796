/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/server-pictures.c - PNG reading and picture comparison for
 * the server tests (see server-pictures.h).
 */
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "tests/server/server-pictures.h"

int pic_read_png(const char *path, uint32_t **pixels, uint32_t *w, uint32_t *h)
{
	png_image img;
	uint32_t *px;
	size_t i;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&img, path))
		return -1;
	img.format = PNG_FORMAT_BGRA; /* little-endian words: 0xAARRGGBB */
	px = malloc(PNG_IMAGE_SIZE(img));
	if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
		free(px);
		png_image_free(&img);
		return -1;
	}
	for (i = 0; i < (size_t)img.width * img.height; i++)
		px[i] &= 0xffffff;
	*pixels = px;
	*w = img.width;
	*h = img.height;
	return 0;
}

long pic_diff(const uint32_t *a, const uint32_t *b, uint32_t w, uint32_t h)
{
	size_t i;

	for (i = 0; i < (size_t)w * h; i++)
		if ((a[i] ^ b[i]) & 0xffffff)
			return (long)i;
	return -1;
}
