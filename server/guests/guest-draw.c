/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/guest-draw.c - colour conversion, rectangles and bitmap text for the
 * built-in guests, drawn with pixman. See guest-draw.h.
 */
#include "server/guests/guest-draw.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "server/guests/guest-font.h"

_Static_assert(sizeof(guest_font_glyphs) / sizeof(guest_font_glyphs[0]) ==
		       GUEST_FONT_LAST_CHAR - GUEST_FONT_FIRST_CHAR + 1,
	       "the font covers printable ASCII");
_Static_assert(GUEST_DRAW_CELL_W_PX > GUEST_FONT_GLYPH_W_PX &&
		       GUEST_DRAW_CELL_H_PX > GUEST_FONT_GLYPH_H_PX,
	       "a glyph fits its cell");

/* The 3-3-2 palette and its reverse map; written once under palette_once,
 * read-only afterwards. */
static pixman_indexed_t palette;
static pthread_once_t palette_once = PTHREAD_ONCE_INIT;

/* Spreads a channel level 0..max over 0..255 (the fb's default palette
 * uses the same levels). */
static uint32_t widen_channel(uint32_t v, uint32_t max)
{
	return v * 255u / max;
}

/* Nearest n-bit level of a 5-bit channel value. */
static unsigned narrow5(unsigned v5, unsigned levels_minus_1)
{
	return (v5 * levels_minus_1 + 15) / 31;
}

static void palette_build(void)
{
	palette.color = 1;
	for (uint32_t i = 0; i < GUEST_DRAW_PALETTE_SIZE; i++) {
		uint32_t r = widen_channel(i >> 5, 7);
		uint32_t g = widen_channel((i >> 2) & 7, 7);
		uint32_t b = widen_channel(i & 3, 3);

		palette.rgba[i] = 0xff000000u | r << 16 | g << 8 | b;
	}
	/* pixman looks indexed colours up by their RGB555 value. */
	for (unsigned i = 0; i < 32768; i++) {
		unsigned r3 = narrow5((i >> 10) & 31, 7);
		unsigned g3 = narrow5((i >> 5) & 31, 7);
		unsigned b2 = narrow5(i & 31, 3);

		palette.ent[i] = (pixman_index_type)(r3 << 5 | g3 << 2 | b2);
	}
}

const pixman_indexed_t *guest_draw_indexed(void)
{
	pthread_once(&palette_once, palette_build);
	return &palette;
}

pixman_format_code_t guest_draw_pixman_format(enum fbhost_format format)
{
	switch (format) {
	case FBHOST_FORMAT_C8:
		return PIXMAN_c8;
	case FBHOST_FORMAT_X1R5G5B5:
		return PIXMAN_x1r5g5b5;
	case FBHOST_FORMAT_R5G6B5:
		return PIXMAN_r5g6b5;
	case FBHOST_FORMAT_R8G8B8:
		return PIXMAN_r8g8b8;
	case FBHOST_FORMAT_X8R8G8B8:
		return PIXMAN_x8r8g8b8;
	case FBHOST_FORMAT_A8R8G8B8:
		return PIXMAN_a8r8g8b8;
	case FBHOST_FORMAT_INVALID:
		break;
	}
	return 0;
}

enum fbhost_format guest_draw_fbhost_format(pixman_format_code_t format)
{
	for (int f = FBHOST_FORMAT_C8; f <= FBHOST_FORMAT_A8R8G8B8; f++)
		if (format && guest_draw_pixman_format((enum fbhost_format)f) == format)
			return (enum fbhost_format)f;
	return FBHOST_FORMAT_INVALID;
}

int guest_draw_set_palette(struct fbhost_fb *fb)
{
	const pixman_indexed_t *pal = guest_draw_indexed();
	uint32_t rgb[GUEST_DRAW_PALETTE_SIZE];

	for (unsigned i = 0; i < GUEST_DRAW_PALETTE_SIZE; i++)
		rgb[i] = pal->rgba[i] & 0xffffffu;
	return fbhost_set_palette(fb, 0, GUEST_DRAW_PALETTE_SIZE, rgb);
}

pixman_image_t *guest_draw_wrap(pixman_format_code_t format, int width, int height, void *pixels,
				uint32_t stride)
{
	pixman_image_t *img;

	img = pixman_image_create_bits_no_clear(format, width, height, pixels, (int)stride);
	if (!img) {
		errno = EINVAL;
		return NULL;
	}
	if (PIXMAN_FORMAT_TYPE(format) == PIXMAN_TYPE_COLOR)
		pixman_image_set_indexed(img, guest_draw_indexed());
	return img;
}

pixman_image_t *guest_draw_wrap_pixels(const struct fbhost_pixels *px)
{
	return guest_draw_wrap(guest_draw_pixman_format(px->format), (int)px->width,
			       (int)px->height, px->data, px->stride);
}

static pixman_color_t pixman_colour(uint32_t rgb)
{
	pixman_color_t c = {
		.red = (uint16_t)(((rgb >> 16) & 0xff) * 0x101),
		.green = (uint16_t)(((rgb >> 8) & 0xff) * 0x101),
		.blue = (uint16_t)((rgb & 0xff) * 0x101),
		.alpha = 0xffff,
	};
	return c;
}

/* Reads the first pixel of a pixman bits buffer as pixman stores it. */
static uint32_t first_pixel(const void *bits, pixman_format_code_t format)
{
	const uint8_t *b = bits;

	switch (PIXMAN_FORMAT_BPP(format)) {
	case 8:
		return b[0];
	case 16: {
		uint16_t v;

		memcpy(&v, b, sizeof(v));
		return v;
	}
	case 24:
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
#else
		return (uint32_t)b[0] << 16 | (uint32_t)b[1] << 8 | (uint32_t)b[2];
#endif
	default: {
		uint32_t v;

		memcpy(&v, b, sizeof(v));
		return v;
	}
	}
}

uint32_t guest_draw_pixel(pixman_format_code_t format, uint32_t rgb)
{
	uint32_t bits[1] = { 0 };
	pixman_image_t *img = guest_draw_wrap(format, 1, 1, bits, sizeof(bits));

	if (!img)
		return 0;
	guest_draw_rect(img, 0, 0, 1, 1, rgb);
	pixman_image_unref(img);
	return first_pixel(bits, format);
}

uint32_t guest_draw_shown_rgb(pixman_format_code_t format, uint32_t rgb)
{
	uint32_t src_bits[1] = { 0 }, dst_bits[1] = { 0 };
	pixman_image_t *src = guest_draw_wrap(format, 1, 1, src_bits, sizeof(src_bits));
	pixman_image_t *dst =
		pixman_image_create_bits(PIXMAN_x8r8g8b8, 1, 1, dst_bits, sizeof(dst_bits));

	if (src && dst) {
		guest_draw_rect(src, 0, 0, 1, 1, rgb);
		pixman_image_composite32(PIXMAN_OP_SRC, src, NULL, dst, 0, 0, 0, 0, 0, 0, 1, 1);
	}
	if (src)
		pixman_image_unref(src);
	if (dst)
		pixman_image_unref(dst);
	return dst_bits[0] & 0xffffffu;
}

/* Clips b to the image; false if nothing is left. */
static bool clip_box(pixman_image_t *img, pixman_box32_t *b)
{
	int w = pixman_image_get_width(img), h = pixman_image_get_height(img);

	if (b->x1 < 0)
		b->x1 = 0;
	if (b->y1 < 0)
		b->y1 = 0;
	if (b->x2 > w)
		b->x2 = w;
	if (b->y2 > h)
		b->y2 = h;
	return b->x1 < b->x2 && b->y1 < b->y2;
}

/* Fills boxes (already clipped) with one colour. */
static void fill_boxes(pixman_image_t *img, uint32_t rgb, int n, const pixman_box32_t *boxes)
{
	pixman_color_t c = pixman_colour(rgb);

	if (n > 0)
		pixman_image_fill_boxes(PIXMAN_OP_SRC, img, &c, n, boxes);
}

void guest_draw_rect(pixman_image_t *img, int x, int y, int w, int h, uint32_t rgb)
{
	pixman_box32_t b = { x, y, x + w, y + h };

	if (w > 0 && h > 0 && clip_box(img, &b))
		fill_boxes(img, rgb, 1, &b);
}

void guest_draw_frame(pixman_image_t *img, int x, int y, int w, int h, uint32_t rgb)
{
	if (w <= 0 || h <= 0)
		return;
	guest_draw_rect(img, x, y, w, 1, rgb);
	guest_draw_rect(img, x, y + h - 1, w, 1, rgb);
	guest_draw_rect(img, x, y, 1, h, rgb);
	guest_draw_rect(img, x + w - 1, y, 1, h, rgb);
}

int guest_draw_text_width(size_t len, int scale)
{
	return (int)len * GUEST_DRAW_CELL_W_PX * scale;
}

int guest_draw_text_height(int scale)
{
	return GUEST_DRAW_CELL_H_PX * scale;
}

static const char *glyph_of(char ch)
{
	unsigned char c = (unsigned char)ch;

	if (c < GUEST_FONT_FIRST_CHAR || c > GUEST_FONT_LAST_CHAR)
		return guest_font_unknown;
	return guest_font_glyphs[c - GUEST_FONT_FIRST_CHAR];
}

/* Draws the lit pixels of one glyph at x,y: one box per horizontal run. */
static void draw_glyph(pixman_image_t *img, int x, int y, int scale, uint32_t fg, const char *glyph)
{
	pixman_box32_t boxes[GUEST_FONT_GLYPH_W_PX * GUEST_FONT_GLYPH_H_PX];
	int n = 0;

	for (int row = 0; row < GUEST_FONT_GLYPH_H_PX; row++) {
		const char *bits = glyph + row * GUEST_FONT_GLYPH_W_PX;

		for (int col = 0; col < GUEST_FONT_GLYPH_W_PX; col++) {
			int end = col;
			pixman_box32_t b;

			if (bits[col] != '#')
				continue;
			while (end < GUEST_FONT_GLYPH_W_PX && bits[end] == '#')
				end++;
			b.x1 = x + col * scale;
			b.x2 = x + end * scale;
			b.y1 = y + row * scale;
			b.y2 = b.y1 + scale;
			if (clip_box(img, &b))
				boxes[n++] = b;
			col = end;
		}
	}
	fill_boxes(img, fg, n, boxes);
}

int guest_draw_text(pixman_image_t *img, int x, int y, int scale, uint32_t fg, uint32_t bg,
		    const char *text, size_t len)
{
	int cell_w = GUEST_DRAW_CELL_W_PX * scale;

	if (scale <= 0 || len == 0)
		return 0;
	guest_draw_rect(img, x, y, guest_draw_text_width(len, scale), guest_draw_text_height(scale),
			bg);
	for (size_t i = 0; i < len; i++)
		draw_glyph(img, x + (int)i * cell_w, y, scale, fg, glyph_of(text[i]));
	return guest_draw_text_width(len, scale);
}
