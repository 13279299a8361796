/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exactness: one 16x16 rectangle drawn on a 1920x1080 framebuffer reaches
 * the listener as exactly the x-extents of the pages it touched, on every
 * row those pages cover: never the full frame. Several positions, all six
 * formats.
 */
#include "fb-test.h"

#define W 1920
#define H 1080
#define RECT_PX 16

/* The expected region computed pixel by pixel: a pixel is damaged when one
 * of its bytes lies in a page that one of the rectangle's bytes lies in. */
static void model_region(pixman_region32_t *out, uint32_t stride, unsigned bpp, size_t page, int rx,
			 int ry)
{
	uint64_t first = (uint64_t)ry * stride + (uint64_t)rx * bpp;
	uint64_t last = (uint64_t)(ry + RECT_PX - 1) * stride + (uint64_t)(rx + RECT_PX) * bpp - 1;
	pixman_box32_t *boxes = calloc((size_t)H * W, sizeof(*boxes));
	int n = 0;

	assert_non_null(boxes);
	uint64_t y_end = ((last / page + 1) * page - 1) / stride;

	for (uint64_t y = first / page * page / stride; y <= y_end && y < H; y++) {
		int start = -1;

		for (int x = 0; x <= W; x++) {
			bool dmg = false;

			for (unsigned b = 0; x < W && b < bpp && !dmg; b++) {
				uint64_t pg = (y * stride + (uint64_t)x * bpp + b) / page;

				for (int r = 0; r < RECT_PX && !dmg; r++) {
					uint64_t s =
						((uint64_t)(ry + r) * stride + (uint64_t)rx * bpp) /
						page;
					uint64_t e = ((uint64_t)(ry + r) * stride +
						      (uint64_t)(rx + RECT_PX) * bpp - 1) /
						     page;

					dmg = pg >= s && pg <= e;
				}
			}
			if (dmg && start < 0)
				start = x;
			if (!dmg && start >= 0) {
				boxes[n++] = (pixman_box32_t){ start, (int)y, x, (int)y + 1 };
				start = -1;
			}
		}
	}
	assert_true(pixman_region32_init_rects(out, boxes, n));
	free(boxes);
}

static uint64_t region_area(pixman_region32_t *r)
{
	int n;
	const pixman_box32_t *b = pixman_region32_rectangles(r, &n);
	uint64_t a = 0;

	for (int i = 0; i < n; i++)
		a += (uint64_t)(b[i].x2 - b[i].x1) * (uint64_t)(b[i].y2 - b[i].y1);
	return a;
}

static void check_format(pixman_format_code_t format)
{
	static const int pos[][2] = {
		{ 0, 0 }, { 100, 200 }, { 1020, 3 }, { 1000, 517 }, { 1904, 1064 }, { 333, 777 },
	};
	struct ram_list *rl = ram_list_new(NULL);
	struct fb_config cfg = { .name = "exact", .mode = { W, H, 0, format } };
	struct fb_render *r;
	struct fb_device *fb;
	struct fb_rec rec;
	struct fb_mode m;

	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	m = fb_get_mode(fb);
	r = fb_render_new(NULL);
	assert_non_null(r);
	fb_rec_init(&rec);
	fb_listener_register(fb, &rec.l);
	assert_int_equal(fb_render_add(r, fb), 0);
	fb_test_settle(r);
	assert_int_equal(rec.switches, 1);

	for (size_t i = 0; i < sizeof(pos) / sizeof(pos[0]); i++) {
		pixman_region32_t model, got;
		pixman_box32_t rect = { pos[i][0], pos[i][1], pos[i][0] + RECT_PX,
					pos[i][1] + RECT_PX };

		fb_rec_reset(&rec);
		assert_int_equal(
			fb_fill_rect(fb, pos[i][0], pos[i][1], RECT_PX, RECT_PX, 0x5a5a5a5a), 0);
		fb_test_settle(r);
		model_region(&model, m.stride, fb_format_bpp(format), ram_page_size(rl), pos[i][0],
			     pos[i][1]);
		pthread_mutex_lock(&rec.lock);
		pixman_region32_init(&got);
		pixman_region32_copy(&got, &rec.damage);
		assert_in_range(rec.updates, 1, 2);
		pthread_mutex_unlock(&rec.lock);

		assert_int_equal(pixman_region32_contains_rectangle(&got, &rect), PIXMAN_REGION_IN);
		assert_true(region_area(&got) < (uint64_t)W * H);
		assert_true(region_area(&got) <= region_area(&model));
		assert_true(pixman_region32_equal(&got, &model));
		pixman_region32_fini(&model);
		pixman_region32_fini(&got);
	}
	fb_render_remove(r, fb);
	fb_listener_unregister(fb, &rec.l);
	fb_render_free(r);
	fb_free(fb);
	ram_list_free(rl);
}

static void test_exactness_all_formats(void **state)
{
	(void)state;
	for (int f = 0; f < FB_TEST_NFORMATS; f++)
		check_format(fb_test_formats[f]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exactness_all_formats),
	};

	return cmocka_run_group_tests_name("fb-exactness", tests, NULL, NULL);
}
