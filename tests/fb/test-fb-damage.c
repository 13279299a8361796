/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Damage derivation against a simple model: for random modes (all formats,
 * tight and padded strides, several page sizes) and random dirty page sets
 * (sparse, runs, dense), the region from fb_damage_region holds exactly the
 * pixels having a byte in a dirty page. Plus: a clean frame costs one query,
 * a full frame is one box, and equal lines merge into one box.
 */
#include "fb-test.h"
#include "fb/fb-internal.h"

#define DMG_ITERATIONS 400
#define DMG_MAX_SIDE_PX 150

/* The model: one bool per page, and a query counter. */
struct page_model {
	bool *dirty;
	uint64_t npages, page, queries;
};

static bool model_query(void *opaque, uint64_t start, uint64_t len)
{
	struct page_model *m = opaque;

	m->queries++;
	assert_true(len > 0);
	for (uint64_t p = start / m->page; p <= (start + len - 1) / m->page; p++)
		if (p < m->npages && m->dirty[p])
			return true;
	return false;
}

/* Per pixel: damaged iff one of its bytes lies in a dirty page. */
static bool model_pixel(const struct page_model *pm, const struct fb_mode *m, uint32_t x,
			uint32_t y)
{
	unsigned bpp = fb_format_bpp(m->format);

	for (unsigned b = 0; b < bpp; b++)
		if (pm->dirty[((uint64_t)y * m->stride + (uint64_t)x * bpp + b) / pm->page])
			return true;
	return false;
}

static void test_damage_model(void **state)
{
	static const uint64_t pages[] = { 64, 100, 256, 4096 };
	struct fb_damage_scratch s = { 0 };
	uint64_t seed = 99;

	(void)state;
	for (int it = 0; it < DMG_ITERATIONS; it++) {
		struct fb_mode m = {
			.width = 1 + (uint32_t)(fb_test_rand(&seed) % DMG_MAX_SIDE_PX),
			.height = 1 + (uint32_t)(fb_test_rand(&seed) % DMG_MAX_SIDE_PX),
			.format = fb_test_formats[fb_test_rand(&seed) % FB_TEST_NFORMATS],
		};
		struct page_model pm = { .page = pages[fb_test_rand(&seed) % 4] };
		unsigned density = (unsigned)(fb_test_rand(&seed) % 4);
		pixman_region32_t region;
		uint64_t dirty_pages = 0, want_pages = 0;

		if (fb_test_rand(&seed) % 2)
			m.stride = (m.width * fb_format_bpp(m.format) + 3) / 4 * 4 +
				   4 * (uint32_t)(fb_test_rand(&seed) % 20);
		assert_int_equal(fb_mode_check(&m, 0), 0);
		pm.npages = ((uint64_t)m.stride * m.height + pm.page - 1) / pm.page;
		pm.dirty = calloc(pm.npages, sizeof(bool));
		assert_non_null(pm.dirty);
		for (uint64_t p = 0; p < pm.npages; p++) {
			/* 0: clean, 1: sparse, 2: runs, 3: dense */
			uint64_t v = fb_test_rand(&seed) % 100;

			pm.dirty[p] = density == 1   ? v < 5
				      : density == 2 ? (p > 0 && pm.dirty[p - 1] ? v < 80 : v < 10)
				      : density == 3 ? v < 70
						     : false;
			want_pages += pm.dirty[p];
		}
		assert_int_equal(
			fb_damage_region(&s, &m, pm.page, model_query, &pm, &region, &dirty_pages),
			0);
		assert_int_equal(dirty_pages, want_pages);
		for (uint32_t y = 0; y < m.height; y++)
			for (uint32_t x = 0; x < m.width; x++)
				if (model_pixel(&pm, &m, x, y) !=
				    (bool)pixman_region32_contains_point(&region, (int)x, (int)y,
									 NULL))
					fail_msg("iteration %d (%s %ux%u stride %u page %llu): "
						 "pixel %u,%u",
						 it, fb_format_name(m.format), m.width, m.height,
						 m.stride, (unsigned long long)pm.page, x, y);
		if (density == 0)
			assert_int_equal(pm.queries, 1); /* a clean frame: one query */
		pixman_region32_fini(&region);
		free(pm.dirty);
	}
	fb_damage_scratch_free(&s);
}

static void test_damage_full_and_merge(void **state)
{
	struct fb_mode m = { 1920, 1080, 0, PIXMAN_x8r8g8b8 };
	struct fb_damage_scratch s = { 0 };
	struct page_model pm = { .page = 4096 };
	pixman_region32_t region;
	const pixman_box32_t *b;
	uint64_t dirty_pages;
	int n;

	(void)state;
	assert_int_equal(fb_mode_check(&m, 0), 0);
	pm.npages = (uint64_t)m.stride * m.height / pm.page;
	pm.dirty = calloc(pm.npages, sizeof(bool));
	assert_non_null(pm.dirty);

	/* everything dirty: one box */
	for (uint64_t p = 0; p < pm.npages; p++)
		pm.dirty[p] = true;
	assert_int_equal(fb_damage_region(&s, &m, pm.page, model_query, &pm, &region, &dirty_pages),
			 0);
	b = pixman_region32_rectangles(&region, &n);
	assert_int_equal(n, 1);
	assert_int_equal(b[0].x1, 0);
	assert_int_equal(b[0].y1, 0);
	assert_int_equal(b[0].x2, 1920);
	assert_int_equal(b[0].y2, 1080);
	assert_int_equal(dirty_pages, pm.npages);
	pixman_region32_fini(&region);

	/* 15 pages = 8 lines exactly (stride 7680 = 1.875 pages): one box */
	for (uint64_t p = 0; p < pm.npages; p++)
		pm.dirty[p] = p >= 30 && p < 45;
	assert_int_equal(fb_damage_region(&s, &m, pm.page, model_query, &pm, &region, &dirty_pages),
			 0);
	b = pixman_region32_rectangles(&region, &n);
	assert_int_equal(n, 1);
	assert_int_equal(b[0].y1, 16);
	assert_int_equal(b[0].y2, 24);
	assert_int_equal(dirty_pages, 15);
	pixman_region32_fini(&region);
	/* bisection down to 16 pages, then a scan: few queries for one page
	 * (2025 pages: 1 + 2 * 7 halvings + 16) */
	pm.queries = 0;
	for (uint64_t p = 0; p < pm.npages; p++)
		pm.dirty[p] = p == 1000;
	assert_int_equal(fb_damage_region(&s, &m, pm.page, model_query, &pm, &region, &dirty_pages),
			 0);
	assert_true(pm.queries <= 1 + 2 * 7 + 16);
	assert_int_equal(dirty_pages, 1);
	pixman_region32_fini(&region);

	free(pm.dirty);
	fb_damage_scratch_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_damage_model),
		cmocka_unit_test(test_damage_full_and_merge),
	};

	return cmocka_run_group_tests_name("fb-damage", tests, NULL, NULL);
}
