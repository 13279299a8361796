/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-cells.c - vnc_cells_sync against a simple model: on
 * random pictures, edits and damage regions (sizes that are not multiples
 * of the cell, cells at the edges), the shadow ends equal to the guest in
 * every cell the damage touches and untouched elsewhere; the cells
 * compared and changed are counted exactly; the changed region covers
 * every pixel that differed and, below the rectangle limit, is exactly the
 * changed cells cropped to their differing pixels. A picture whose cells
 * nearly all changed is compared only for VNC_CELLS_SAMPLE cells and then
 * copied whole; a half-changed one is compared to its last cell.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vnc/vnc-internal.h"

#define ROUNDS 300u

static uint64_t rnd_state = 0x2545F4914F6CDD1Dull;

static uint32_t rnd(uint32_t n)
{
	rnd_state ^= rnd_state >> 12;
	rnd_state ^= rnd_state << 25;
	rnd_state ^= rnd_state >> 27;
	return (uint32_t)((rnd_state * 0x2545F4914F6CDD1Dull) >> 33) % n;
}

/* One round: src (the guest, in a pixman image with a padded stride) and
 * dst (the shadow) differ in a few random rectangles; the damage is a few
 * other random rectangles. */
/* One random picture and damage of w x h; scratch is shared by every round
 * (of every size), as a server's is across its ticks. */
static void one_round(struct vnc_cells_scratch *scratch, uint32_t w, uint32_t h)
{
	uint32_t cells_w = (w + VNC_CELL_PX - 1) / VNC_CELL_PX;
	uint32_t cells_h = (h + VNC_CELL_PX - 1) / VNC_CELL_PX;
	int stride_px = (int)w + 3;
	uint32_t *bits = calloc((size_t)stride_px * h, 4);
	uint32_t *dst = malloc((size_t)w * h * 4), *before = malloc((size_t)w * h * 4);
	uint8_t *touched = calloc((size_t)cells_w * cells_h, 1);
	pixman_image_t *src;
	pixman_region32_t damage, changed, want;
	pixman_box32_t *want_boxes;
	uint64_t compared, n_changed, want_compared = 0, want_changed = 0, want_merged = 0;

	assert_non_null(bits);
	assert_non_null(dst);
	assert_non_null(before);
	assert_non_null(touched);
	src = pixman_image_create_bits(PIXMAN_x8r8g8b8, (int)w, (int)h, bits, stride_px * 4);
	assert_non_null(src);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			bits[(size_t)y * (size_t)stride_px + x] = dst[(size_t)y * w + x] =
				(x * 7 + y * 13) & 0xffffff;
	for (uint32_t i = rnd(6); i > 0; i--) {
		uint32_t x0 = rnd(w), y0 = rnd(h), ew = 1 + rnd(w - x0), eh = 1 + rnd(h - y0);
		uint32_t c = rnd(0xffffff);

		for (uint32_t y = y0; y < y0 + eh; y++)
			for (uint32_t x = x0; x < x0 + ew; x++)
				if (rnd(4))
					bits[(size_t)y * (size_t)stride_px + x] = c + x;
	}
	pixman_region32_init(&damage);
	for (uint32_t i = rnd(5); i > 0; i--) {
		uint32_t x0 = rnd(w), y0 = rnd(h);

		pixman_region32_union_rect(&damage, &damage, (int)x0, (int)y0, 1 + rnd(w - x0),
					   1 + rnd(h - y0));
	}
	/* The model: which cells the damage touches, and which of those differ. */
	{
		int n;
		const pixman_box32_t *b = pixman_region32_rectangles(&damage, &n);

		for (int i = 0; i < n; i++)
			for (int32_t y = b[i].y1; y < b[i].y2; y++)
				for (int32_t x = b[i].x1; x < b[i].x2; x++)
					touched[(size_t)(y / VNC_CELL_PX) * cells_w +
						(size_t)(x / VNC_CELL_PX)] = 1;
	}
	/* Each changed cell, cropped to the box of its differing pixels. */
	want_boxes = malloc(sizeof(*want_boxes) * cells_w * cells_h);
	assert_non_null(want_boxes);
	for (uint32_t cy = 0; cy < cells_h; cy++)
		for (uint32_t cx = 0; cx < cells_w; cx++) {
			pixman_box32_t box = { INT32_MAX, INT32_MAX, INT32_MIN, INT32_MIN };

			if (!touched[cy * cells_w + cx])
				continue;
			want_compared++;
			for (uint32_t y = cy * VNC_CELL_PX; y < h && y < (cy + 1) * VNC_CELL_PX;
			     y++)
				for (uint32_t x = cx * VNC_CELL_PX;
				     x < w && x < (cx + 1) * VNC_CELL_PX; x++) {
					if (bits[(size_t)y * (size_t)stride_px + x] ==
					    dst[(size_t)y * w + x])
						continue;
					box.x1 = (int32_t)x < box.x1 ? (int32_t)x : box.x1;
					box.y1 = (int32_t)y < box.y1 ? (int32_t)y : box.y1;
					box.x2 = (int32_t)x + 1 > box.x2 ? (int32_t)x + 1 : box.x2;
					box.y2 = (int32_t)y + 1 > box.y2 ? (int32_t)y + 1 : box.y2;
				}
			if (box.x1 < box.x2)
				want_boxes[want_changed++] = box;
		}
	/* Cropped cells of one cell row at most VNC_MERGE_GAP_PX apart
	 * become one box spanning them. */
	for (uint64_t i = 0; i < want_changed; i++) {
		pixman_box32_t *last = want_merged ? &want_boxes[want_merged - 1] : NULL;
		pixman_box32_t b = want_boxes[i];

		if (last && last->y1 / VNC_CELL_PX == b.y1 / VNC_CELL_PX &&
		    b.x1 - last->x2 <= VNC_MERGE_GAP_PX) {
			last->x2 = b.x2;
			last->y1 = b.y1 < last->y1 ? b.y1 : last->y1;
			last->y2 = b.y2 > last->y2 ? b.y2 : last->y2;
		} else {
			want_boxes[want_merged++] = b;
		}
	}
	pixman_region32_init_rects(&want, want_boxes, (int)want_merged);
	free(want_boxes);
	memcpy(before, dst, (size_t)w * h * 4);

	pixman_region32_init(&changed);
	compared = vnc_cells_sync(scratch, pixman_image_get_data(src),
				  (size_t)pixman_image_get_stride(src) / 4, dst, w, h, &damage,
				  &changed, &n_changed);
	assert_int_equal(compared, want_compared);
	assert_int_equal(n_changed, want_changed);
	/* Below the rectangle limit the region is exactly the cropped cells,
	 * merged along their rows. */
	if (pixman_region32_n_rects(&want) <= VNC_MAX_RECTS_PER_PASS &&
	    !pixman_region32_equal(&changed, &want))
		fail_msg("%ux%u: changed region is not the cropped changed cells", w, h);
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint32_t g = bits[(size_t)y * (size_t)stride_px + x];
			uint32_t was = before[(size_t)y * w + x], now = dst[(size_t)y * w + x];
			bool in = touched[(y / VNC_CELL_PX) * cells_w + x / VNC_CELL_PX];
			bool reported =
				pixman_region32_contains_point(&changed, (int)x, (int)y, NULL);

			if (in && now != g)
				fail_msg("%ux%u: pixel %u,%u not synced", w, h, x, y);
			if (!in && now != was)
				fail_msg("%ux%u: pixel %u,%u outside the damage written", w, h, x,
					 y);
			if (in && was != g && !reported)
				fail_msg("%ux%u: changed pixel %u,%u not reported", w, h, x, y);
		}
	pixman_region32_fini(&changed);
	pixman_region32_fini(&want);
	pixman_region32_fini(&damage);
	pixman_image_unref(src);
	free(touched);
	free(before);
	free(dst);
	free(bits);
}

static void test_cells_against_model(void **state)
{
	static const uint32_t sizes[][2] = { { 16, 16 }, { 17, 5 },    { 100, 37 },
					     { 64, 64 }, { 203, 131 }, { 1, 1 } };

	struct vnc_cells_scratch scratch = { 0 };

	(void)state;
	for (unsigned r = 0; r < ROUNDS; r++)
		one_round(&scratch, sizes[r % 6][0], sizes[r % 6][1]);
	vnc_cells_scratch_free(&scratch);
}

/* A 640x480 picture (1200 cells) whose cells differ where differs(cx, cy)
 * says, all damaged: the shadow ends equal to the guest, and the counts of
 * cells compared and changed are returned. */
static void sync_whole(uint32_t (*differs)(uint32_t cx, uint32_t cy), uint64_t *compared,
		       uint64_t *n_changed, pixman_region32_t *changed)
{
	enum { W = 640, H = 480 };
	uint32_t *src = malloc((size_t)W * H * 4), *dst = malloc((size_t)W * H * 4);
	struct vnc_cells_scratch scratch = { 0 };
	pixman_region32_t damage;

	assert_non_null(src);
	assert_non_null(dst);
	for (uint32_t y = 0; y < H; y++)
		for (uint32_t x = 0; x < W; x++) {
			dst[y * W + x] = (x * 7 + y * 13) & 0xffffff;
			src[y * W + x] =
				dst[y * W + x] ^
				(differs(x / VNC_CELL_PX, y / VNC_CELL_PX) && (x + y) % 5 == 0
					 ? 0x00ff00
					 : 0);
		}
	pixman_region32_init_rect(&damage, 0, 0, W, H);
	pixman_region32_init(changed);
	*compared = vnc_cells_sync(&scratch, src, W, dst, W, H, &damage, changed, n_changed);
	assert_memory_equal(dst, src, (size_t)W * H * 4);
	pixman_region32_fini(&damage);
	vnc_cells_scratch_free(&scratch);
	free(src);
	free(dst);
}

static uint32_t every_cell(uint32_t cx, uint32_t cy)
{
	(void)cx;
	(void)cy;
	return 1;
}

static uint32_t every_other_cell(uint32_t cx, uint32_t cy)
{
	return (cx + cy) % 2;
}

/* One cell in 200 is unchanged: still above VNC_CELLS_COPY_ALL_PERMILLE. */
static uint32_t nearly_every_cell(uint32_t cx, uint32_t cy)
{
	return (cy * 40 + cx) % 200 != 7;
}

/* When the sample finds nearly every cell changed, the rest of the damage
 * is copied whole without a compare; a half-changed picture is compared
 * to its last cell. The shadow ends exact either way. */
static void test_cells_copy_all_after_sample(void **state)
{
	uint64_t compared, n_changed;
	pixman_region32_t changed;

	(void)state;
	sync_whole(every_cell, &compared, &n_changed, &changed);
	assert_int_equal(compared, VNC_CELLS_SAMPLE);
	assert_int_equal(n_changed, 1200);
	pixman_region32_fini(&changed);

	sync_whole(nearly_every_cell, &compared, &n_changed, &changed);
	assert_int_equal(compared, VNC_CELLS_SAMPLE);
	/* The sample's two unchanged cells are left out; the rest is whole. */
	assert_int_equal(n_changed, 1200 - 2);
	pixman_region32_fini(&changed);

	sync_whole(every_other_cell, &compared, &n_changed, &changed);
	assert_int_equal(compared, 1200);
	assert_int_equal(n_changed, 600);
	pixman_region32_fini(&changed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells_against_model),
		cmocka_unit_test(test_cells_copy_all_after_sample),
	};

	return cmocka_run_group_tests_name("vnc-cells", tests, NULL, NULL);
}
