/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Growth under load: with 64-page bitmap blocks, the mode grows from 32x32
 * to 1024x768 while writers and the render thread run, so fb/ adds RAM
 * blocks again and again and the dirty bitmap grows across many bitmap
 * blocks. No bit may be lost: the shadow still equals the guest.
 */
#include "fb-stress.h"

#define GROWTH_BLOCK_PAGES 64u
#define GROWTH_MIN_BITMAP_BLOCKS 8u

static void test_growth(void **state)
{
	const struct stress_cfg cfg = {
		.block_pages = GROWTH_BLOCK_PAGES,
		.mode_changes = 300,
		.max_w_first = 32,
		.max_h_first = 32,
		.max_w_last = 1024,
		.max_h_last = 768,
	};
	ram_addr_t max_size;
	uint64_t block_bytes = GROWTH_BLOCK_PAGES * 4096;

	(void)state;
	max_size = stress_run(&cfg);
	printf("RAM space grew to %llu bytes = %llu bitmap blocks of %u pages\n",
	       (unsigned long long)max_size,
	       (unsigned long long)((max_size + block_bytes - 1) / block_bytes),
	       GROWTH_BLOCK_PAGES);
	assert_true(max_size >= GROWTH_MIN_BITMAP_BLOCKS * block_bytes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests_name("fb-growth", tests, NULL, NULL);
}
