/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-slow-client.c - a client that keeps asking for updates
 * but never reads does not delay another client's updates beyond
 * LAG_BOUND_MS, is put on hold (its damage accumulates, the latest frame
 * wins) and is dropped after the slow-client timeout. A client that
 * reads in bursts gets every byte in order while its updates switch
 * between going straight to its socket and through the edge's queue.
 */
#include "tests/vnc/vnc-fixture.h"

#define W 320
#define H 240
#define SLOW_TIMEOUT_MS 1500u
/* Guest write -> other client's receipt, generous for sanitizer builds on
 * two shared cores; without sanitizers it is a few ms. */
#define LAG_BOUND_MS 1000u
#define MAX_FRAMES 4000
#define FRAME_INTERVAL_MS 10u

static void test_slow_client(void **state)
{
	struct vnc_config cfg = vt_config();
	static uint64_t written_at[MAX_FRAMES];
	struct vnc_server_stats st;
	struct vtc *fast, *slow;
	uint64_t seed = 99, max_lag = 0, start, last_seen = 0;
	uint32_t frame = 0;
	struct vt t;

	(void)state;
	cfg.slow_client_timeout_ms = SLOW_TIMEOUT_MS;
	vt_setup(&t, W, H, PIXMAN_x8r8g8b8, &cfg);
	fast = vt_connect(&t, "raw");
	slow = vt_connect(&t, "zlib");
	vt_expect_guest(&t, fast, "fast client");
	vt_expect_guest(&t, slow, "slow client before it stops reading");

	start = vt_now_ms();
	for (;;) {
		uint64_t now = vt_now_ms(), until;
		struct fb_access acc;

		vnc_server_get_stats(t.vnc, &st);
		if (st.slow_disconnects > 0)
			break;
		if (now - start > VT_WAIT_MS || frame + 1 >= MAX_FRAMES)
			fail_msg("the slow client was not dropped (holds %llu)",
				 (unsigned long long)st.holds);
		/* A new frame: noise (incompressible) and the frame number. */
		frame++;
		fb_access_begin(t.fb, &acc);
		for (int y = 0; y < 64; y++)
			for (int x = 0; x < 64; x++)
				((uint32_t *)((char *)acc.pixels +
					      (size_t)(100 + y) * acc.mode.stride))[100 + x] =
					(uint32_t)vt_rand(&seed);
		fb_mark_dirty(t.fb, &acc, 100, 100, 64, 64);
		fb_access_end(t.fb, &acc);
		assert_int_equal(fb_fill_rect(t.fb, 0, 0, 16, 16, frame), 0);
		written_at[frame] = vt_now_ms();
		fb_render_kick(t.render);
		/* The slow client asks for more but never reads. */
		SendFramebufferUpdateRequest(vtc_rfb(slow), 0, 0, W, H, TRUE);
		until = written_at[frame] + FRAME_INTERVAL_MS;
		while ((now = vt_now_ms()) < until) {
			uint32_t seen;

			assert_int_equal(vtc_pump(fast, (unsigned)(until - now)), 0);
			seen = vtc_pixels(fast)[0] & 0xffffffu;
			if (seen > last_seen && seen <= frame) {
				uint64_t lag = vt_now_ms() - written_at[seen];

				if (lag > max_lag)
					max_lag = lag;
				last_seen = seen;
			}
		}
	}
	print_message("frames %u, fast client saw up to %llu, max lag %llu ms, holds %llu, "
		      "dropped after %llu ms\n",
		      frame, (unsigned long long)last_seen, (unsigned long long)max_lag,
		      (unsigned long long)st.holds, (unsigned long long)(vt_now_ms() - start));
	assert_true(st.holds >= 1);
	assert_int_equal(st.slow_disconnects, 1);
	assert_true(last_seen + 10 >= frame);
	assert_true(max_lag <= LAG_BOUND_MS);
	/* The other client is still served exactly. */
	vt_expect_guest(&t, fast, "fast client after the slow one was dropped");
	vtc_free(slow);
	vtc_free(fast);
	vt_teardown(&t);
}

/* Draws frame's BURST_NOISE_PX square of noise at (100,20) and its
 * number at (0,0): 160 KB that zlib cannot shrink, a small update still
 * (vnc-batch.c batches up to 256x256 changed pixels). */
#define BURST_NOISE_PX 200

static void draw_noise_frame(struct vt *t, uint32_t frame, uint64_t *seed)
{
	struct fb_access acc;

	fb_access_begin(t->fb, &acc);
	for (int y = 0; y < BURST_NOISE_PX; y++)
		for (int x = 0; x < BURST_NOISE_PX; x++)
			((uint32_t *)((char *)acc.pixels +
				      (size_t)(20 + y) * acc.mode.stride))[100 + x] =
				(uint32_t)vt_rand(seed);
	fb_mark_dirty(t->fb, &acc, 100, 20, BURST_NOISE_PX, BURST_NOISE_PX);
	fb_access_end(t->fb, &acc);
	assert_int_equal(fb_fill_rect(t->fb, 0, 0, 16, 16, frame), 0);
	fb_render_kick(t->render);
}

/*
 * Small updates go straight to the client's socket while the edge holds
 * none of its output, and through the edge's queue once the socket is full
 * (vnc-batch.c). A zlib client (one compression stream: a lost, repeated or
 * reordered byte breaks its decoding) stops
 * reading for BURST_AHEAD updates now and then: its socket fills, the edge
 * queues, the queue drains, direct sends resume. It decodes every update
 * and ends with the guest's exact picture.
 */
#define BURST_FRAMES 60
#define BURST_AHEAD 48

static void test_burst_reader_in_order(void **state)
{
	struct vnc_config cfg = vt_config();
	uint64_t seed = 7;
	struct vtc *c;
	struct vt t;

	(void)state;
	vt_setup(&t, W, H, PIXMAN_x8r8g8b8, &cfg);
	c = vt_connect(&t, "zlib");
	vt_expect_guest(&t, c, "burst reader before it pauses");
	for (uint32_t frame = 1; frame <= BURST_FRAMES; frame++) {
		draw_noise_frame(&t, frame, &seed);
		if (frame % 30 == 0) {
			/* Not reading while BURST_AHEAD updates are asked for
			 * and drawn (more would fill our own socket: the edge
			 * reads no input from a client it cannot write to). */
			for (unsigned i = 0; i < BURST_AHEAD; i++) {
				SendFramebufferUpdateRequest(vtc_rfb(c), 0, 0, W, H, TRUE);
				draw_noise_frame(&t, frame, &seed);
				assert_int_equal(fb_render_wait_ticks(t.render, 1, VT_WAIT_MS), 0);
			}
		}
		assert_int_equal(vtc_pump(c, 5), 0);
	}
	vt_expect_guest(&t, c, "burst reader after its pauses");
	vtc_free(c);
	vt_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slow_client),
		cmocka_unit_test(test_burst_reader_in_order),
	};

	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
