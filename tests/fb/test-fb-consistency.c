/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Eventual consistency: 2 writers in random formats, 500 mode changes
 * (sizes, strides, formats, palettes); after the writers stop the headless
 * shadow equals the guest pixels in x8r8g8b8, byte for byte, in every
 * format. Default bitmap blocks.
 */
#include "fb-stress.h"

static void test_consistency(void **state)
{
	const struct stress_cfg cfg = {
		.mode_changes = 500,
		.max_w_first = 640,
		.max_h_first = 480,
		.max_w_last = 800,
		.max_h_last = 600,
	};

	(void)state;
	stress_run(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_consistency),
	};

	return cmocka_run_group_tests_name("fb-consistency", tests, NULL, NULL);
}
