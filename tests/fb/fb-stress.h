/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/fb/fb-stress.h - the eventual-consistency scenario shared by the
 * consistency and growth tests: two guest writer threads draw through every
 * write path in random formats while a third thread changes the mode (size,
 * stride, format, sometimes the palette). After each round the writers stop
 * and, within two ticks, the headless shadow must equal the guest pixels
 * converted to x8r8g8b8, byte for byte. Each round ends in another format,
 * so every format is checked.
 */
#ifndef FBHOST_TESTS_FB_STRESS_H
#define FBHOST_TESTS_FB_STRESS_H

#include <stdatomic.h>
#include <stdio.h>

#include "fb-test.h"

#define STRESS_WRITERS 2
#define STRESS_ROUNDS FB_TEST_NFORMATS
#define STRESS_MAX_IMAGE_PX 64
#define STRESS_MAX_WRITE_BYTES 6000

struct stress_cfg {
	uint64_t block_pages;		   /* 0 = default */
	unsigned mode_changes;		   /* over all rounds */
	uint32_t max_w_first, max_h_first; /* size bound of the first change */
	uint32_t max_w_last, max_h_last;   /* ... growing linearly to this */
};

struct stress {
	const struct stress_cfg *cfg;
	struct fb_device *fb;
	struct fb_render *render;
	atomic_bool stop;
	uint32_t palette[256];	 /* written by the mode thread, read after join */
	ram_addr_t max_ram_size; /* mode thread, read after join */
	struct ram_list *rl;
	unsigned first_change, changes; /* this round's slice of the changes */
	pixman_format_code_t last_format;
	uint64_t seed;
};

struct stress_writer {
	struct stress *st;
	uint64_t seed;
	unsigned ops;
};

static inline void *stress_writer_main(void *opaque)
{
	struct stress_writer *w = opaque;
	struct fb_device *fb = w->st->fb;
	uint8_t buf[STRESS_MAX_WRITE_BYTES];

	while (!atomic_load(&w->st->stop)) {
		uint64_t r = fb_test_rand(&w->seed);
		int x = (int)(fb_test_rand(&w->seed) % 1100) - 30;
		int y = (int)(fb_test_rand(&w->seed) % 800) - 30;
		int rw = (int)(fb_test_rand(&w->seed) % 80);
		int rh = (int)(fb_test_rand(&w->seed) % 80);

		switch (r % 4) {
		case 0:
			assert_int_equal(
				fb_fill_rect(fb, x, y, rw, rh, (uint32_t)fb_test_rand(&w->seed)),
				0);
			break;
		case 1: {
			/* a source image in a random non-indexed format */
			pixman_format_code_t f = fb_test_formats[1 + r / 4 % 5];
			int iw = 1 + (int)(fb_test_rand(&w->seed) % STRESS_MAX_IMAGE_PX);
			int ih = 1 + (int)(fb_test_rand(&w->seed) % STRESS_MAX_IMAGE_PX);
			pixman_image_t *img = pixman_image_create_bits(f, iw, ih, NULL, 0);
			uint8_t *d;

			assert_non_null(img);
			d = (uint8_t *)pixman_image_get_data(img);
			for (int i = 0; i < pixman_image_get_stride(img) * ih; i++)
				d[i] = (uint8_t)fb_test_rand(&w->seed);
			assert_int_equal(fb_put_image(fb, img, x, y), 0);
			pixman_image_unref(img);
			break;
		}
		case 2: {
			size_t len = 1 + fb_test_rand(&w->seed) % STRESS_MAX_WRITE_BYTES;
			struct fb_mode m = fb_get_mode(fb);

			for (size_t i = 0; i < len; i++)
				buf[i] = (uint8_t)fb_test_rand(&w->seed);
			/* mostly inside the frame, sometimes across its end */
			assert_int_equal(fb_write(fb,
						  fb_test_rand(&w->seed) %
							  ((uint64_t)m.stride * m.height + 64),
						  buf, len),
					 0);
			break;
		}
		default: {
			struct fb_access acc;
			uint8_t v = (uint8_t)fb_test_rand(&w->seed);
			unsigned bpp;

			fb_access_begin(fb, &acc);
			bpp = fb_format_bpp(acc.mode.format);
			x = (int)(fb_test_rand(&w->seed) % acc.mode.width);
			y = (int)(fb_test_rand(&w->seed) % acc.mode.height);
			rw = 1 + (int)(fb_test_rand(&w->seed) % (acc.mode.width - (uint32_t)x));
			rh = 1 + (int)(fb_test_rand(&w->seed) % (acc.mode.height - (uint32_t)y));
			for (int row = y; row < y + rh; row++)
				memset((uint8_t *)acc.pixels + (size_t)row * acc.mode.stride +
					       (size_t)x * bpp,
				       v, (size_t)rw * bpp);
			fb_mark_dirty(fb, &acc, x, y, rw, rh);
			fb_access_end(fb, &acc);
			break;
		}
		}
		w->ops++;
	}
	return NULL;
}

static inline void *stress_mode_main(void *opaque)
{
	struct stress *st = opaque;
	const struct stress_cfg *c = st->cfg;

	for (unsigned i = st->first_change; i < st->first_change + st->changes; i++) {
		uint32_t maxw =
			c->max_w_first + (uint32_t)((uint64_t)(c->max_w_last - c->max_w_first) * i /
						    c->mode_changes);
		uint32_t maxh =
			c->max_h_first + (uint32_t)((uint64_t)(c->max_h_last - c->max_h_first) * i /
						    c->mode_changes);
		struct fb_mode m = {
			.width = 1 + (uint32_t)(fb_test_rand(&st->seed) % maxw),
			.height = 1 + (uint32_t)(fb_test_rand(&st->seed) % maxh),
			.format = fb_test_formats[fb_test_rand(&st->seed) % FB_TEST_NFORMATS],
		};
		ram_addr_t size;

		if (i == st->first_change + st->changes - 1) {
			m.format = st->last_format;
			m.width = maxw;
			m.height = maxh;
		}
		if (fb_test_rand(&st->seed) % 2)
			m.stride = (m.width * fb_format_bpp(m.format) + 3) / 4 * 4 +
				   4 * (uint32_t)(fb_test_rand(&st->seed) % 9);
		assert_int_equal(fb_set_mode(st->fb, &m), 0);
		if (i % 40 == 7) {
			for (int k = 0; k < 256; k++)
				st->palette[k] = (uint32_t)fb_test_rand(&st->seed) & 0xffffff;
			assert_int_equal(fb_set_palette(st->fb, 0, 256, st->palette), 0);
		}
		/* let ticks interleave with the changes (an event, not a sleep) */
		if (i % 4 == 3)
			assert_int_equal(fb_render_wait_ticks(st->render, 1, FB_TEST_WAIT_MS), 0);
		size = ram_list_size(st->rl);
		if (size > st->max_ram_size)
			st->max_ram_size = size;
	}
	return NULL;
}

/* Runs the scenario; returns the largest RAM space seen. */
static inline ram_addr_t stress_run(const struct stress_cfg *cfg)
{
	struct ram_list_config rcfg = { .block_pages = cfg->block_pages };
	struct fb_config fcfg = { .name = "stress", .mode = { 64, 48, 0, PIXMAN_x8r8g8b8 } };
	struct fb_render_config rc = { .rate_hz = 120 };
	struct stress_writer wr[STRESS_WRITERS];
	pthread_t wt[STRESS_WRITERS], mt;
	struct fb_headless *h;
	struct fb_render *r;
	struct stress st;
	unsigned done = 0;

	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	st.seed = 0x1234567;
	st.rl = ram_list_new(&rcfg);
	assert_non_null(st.rl);
	st.fb = fb_new(st.rl, &fcfg);
	assert_non_null(st.fb);
	for (int k = 0; k < 256; k++)
		st.palette[k] = (uint32_t)fb_test_rand(&st.seed) & 0xffffff;
	assert_int_equal(fb_set_palette(st.fb, 0, 256, st.palette), 0);
	r = fb_render_new(&rc);
	assert_non_null(r);
	st.render = r;
	h = fb_headless_new(st.fb);
	assert_non_null(h);
	assert_int_equal(fb_render_add(r, st.fb), 0);

	for (int round = 0; round < STRESS_ROUNDS; round++) {
		uint32_t *guest, *shadow, gw, gh, sw, sh;
		unsigned ops = 0;

		st.first_change = done;
		st.changes = (cfg->mode_changes - done) / (unsigned)(STRESS_ROUNDS - round);
		st.last_format = fb_test_formats[(round + 1) % FB_TEST_NFORMATS];
		atomic_store(&st.stop, false);
		for (int i = 0; i < STRESS_WRITERS; i++) {
			wr[i] = (struct stress_writer){ .st = &st, .seed = 77 + 1000 * round + i };
			assert_int_equal(pthread_create(&wt[i], NULL, stress_writer_main, &wr[i]),
					 0);
		}
		assert_int_equal(pthread_create(&mt, NULL, stress_mode_main, &st), 0);
		pthread_join(mt, NULL);
		/* the writers go on for a few ticks in the final mode */
		assert_int_equal(fb_render_wait_ticks(r, 3, FB_TEST_WAIT_MS), 0);
		atomic_store(&st.stop, true);
		for (int i = 0; i < STRESS_WRITERS; i++) {
			pthread_join(wt[i], NULL);
			ops += wr[i].ops;
		}
		done += st.changes;

		/* within two ticks */
		fb_test_settle(r);
		guest = fb_test_guest_x8(st.fb, st.palette, &gw, &gh);
		assert_int_equal(fb_headless_copy(h, &shadow, &sw, &sh), 0);
		assert_int_equal(gw, sw);
		assert_int_equal(gh, sh);
		if (memcmp(guest, shadow, (size_t)gw * gh * 4)) {
			size_t i = 0;

			while (guest[i] == shadow[i])
				i++;
			fail_msg("round %d (%s %ux%u): shadow differs at x=%zu y=%zu: %08x != %08x",
				 round, fb_format_name(st.last_format), gw, gh, i % gw, i / gw,
				 shadow[i], guest[i]);
		}
		printf("round %d: %s %ux%u equal after %u writes, %u mode changes\n", round,
		       fb_format_name(st.last_format), gw, gh, ops, done);
		free(guest);
		free(shadow);
	}
	assert_int_equal(done, cfg->mode_changes);
	fb_render_remove(r, st.fb);
	fb_headless_free(h);
	fb_render_free(r);
	fb_free(st.fb);
	ram_list_free(st.rl);
	return st.max_ram_size;
}

#endif
