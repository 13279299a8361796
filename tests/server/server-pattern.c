/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/server-pattern.c - the pattern guest's test card as a viewer
 * sees it (see server-pictures.h). Kept apart from server-pictures.c, which
 * the library test links without fbhost's internals.
 */
#include <stdlib.h>

#include "server/guests/guest-pattern.h"
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
	pixman_image_composite32(PIXMAN_OP_SRC, card, NULL, out, 0, 0, 0, 0, 0, 0, (int)w, (int)h);
	pixman_image_unref(out);
	pixman_image_unref(card);
	return px;
}
