/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The headless shadow after ENOMEM: when the switch (and the first retry)
 * cannot allocate it, the next update allocates it and draws the whole
 * frame, not just that update's damage, so the picture is complete again
 * without waiting for a mode switch.
 */
#include <stdatomic.h>

#include "fb-test.h"
#include "fb/headless-internal.h"

/* Allocations that fail before the real one is made. */
#define RETRY_FAILING_ALLOCS 2u

static atomic_uint alloc_calls;

static pixman_image_t *failing_alloc(int width, int height)
{
	if (atomic_fetch_add(&alloc_calls, 1) < RETRY_FAILING_ALLOCS)
		return NULL;
	return pixman_image_create_bits(PIXMAN_x8r8g8b8, width, height, NULL, 0);
}

static void test_shadow_retried_after_enomem(void **state)
{
	struct fb_config cfg = { .name = "retry", .mode = { 40, 30, 0, PIXMAN_r5g6b5 } };
	struct ram_list *rl = ram_list_new(NULL);
	uint32_t *shadow, *guest, w, h, gw, gh;
	struct fb_headless *hl;
	struct fb_device *fb;
	struct fb_render *r;

	(void)state;
	assert_non_null(rl);
	fb = fb_new(rl, &cfg);
	assert_non_null(fb);
	/* a picture drawn before the shadow exists */
	assert_int_equal(fb_fill_rect_rgb(fb, 0, 0, 40, 30, 0x3060c0), 0);
	assert_int_equal(fb_fill_rect_rgb(fb, 10, 5, 20, 10, 0xff8000), 0);
	hl = fb_headless_new(fb);
	assert_non_null(hl);
	hl->shadow_alloc = failing_alloc; /* before the render thread sees it */
	r = fb_render_new(NULL);
	assert_non_null(r);
	assert_int_equal(fb_render_add(r, fb), 0);

	/* the switch and the full update after it both fail to allocate */
	fb_test_wait_switches(r, hl, 1);
	fb_test_settle(r);
	assert_true(atomic_load(&alloc_calls) >= RETRY_FAILING_ALLOCS);
	if (atomic_load(&alloc_calls) == RETRY_FAILING_ALLOCS)
		assert_int_equal(fb_headless_copy(hl, &shadow, &w, &h), -EAGAIN);

	/* one small write: its update allocates and draws everything */
	assert_int_equal(fb_fill_rect_rgb(fb, 0, 0, 1, 1, 0xffffff), 0);
	fb_test_settle(r);
	assert_int_equal(fb_headless_copy(hl, &shadow, &w, &h), 0);
	guest = fb_test_guest_x8(fb, NULL, &gw, &gh);
	assert_int_equal(w, gw);
	assert_int_equal(h, gh);
	for (uint32_t i = 0; i < w * h; i++)
		if ((shadow[i] & 0xffffff) != (guest[i] & 0xffffff))
			fail_msg("pixel %u,%u: 0x%06x, guest 0x%06x", i % w, i / w,
				 shadow[i] & 0xffffff, guest[i] & 0xffffff);
	free(shadow);
	free(guest);

	fb_render_remove(r, fb);
	fb_render_free(r);
	fb_free(fb); /* frees hl */
	ram_list_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shadow_retried_after_enomem),
	};

	return cmocka_run_group_tests_name("fb-headless-retry", tests, NULL, NULL);
}
