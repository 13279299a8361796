// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/server/server-pictures.c - expected pictures and PNG reading for the
 * server tests (see server-pictures.h).
 */
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "server/guest-pattern.h"
#include "tests/server/server-pictures.h"

uint32_t *pic_pattern(uint32_t w, uint32_t h, pixman_format_code_t format)
{
	pixman_image_t *card = pixman_image_create_bits(format, (int)w, (int)h, NULL, 0);
	uint32_t *px = calloc((size_t)w * h, 4);
	pixman_image_t *out;

	if (!card || !px)
		abort();
	guest_pattern_draw(card);
	out = pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)w, (int)h, px, (int)w * 4);
	pixman_image_composite32(PIXMAN_OP_SRC, card, NULL, out, 0, 0, 0, 0, 0, 0, (int)w,
				 (int)h);
	pixman_image_unref(out);
	pixman_image_unref(card);
	return px;
}

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
