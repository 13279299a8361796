/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-sections.c - stress test of the direct path's seqlock
 * (fb/render.c, vnc/vnc-fb-listener.c): the render thread compares guest
 * RAM into the VNC shadow while the guest draws, and a tick that a frame
 * section overlapped is held back. A guest thread draws bursts of frames
 * back to back, each in one section and in two halves with a yield between
 * (a colour per frame, the frame number in the first pixels); a libvncclient
 * viewer checks after every FramebufferUpdate that its whole picture is
 * one frame, and the last frame arrives. A guest that draws frame after
 * frame without a gap is seldom shown, but a viewer's keys still reach it.
 */
#include <stdatomic.h>

#include "tests/common/section-frames.h"
#include "tests/vnc/vnc-fixture.h"

#define SECTIONS_W_PX 256u
#define SECTIONS_H_PX 192u
#define SECTIONS_FRAMES 1500u
/* Frames are drawn in bursts, back to back (ticks are then deferred or
 * torn), with a pause after each burst, as a guest waiting for its next
 * frame makes (a guest always inside a section is never shown). */
#define SECTIONS_BURST_FRAMES 100u
#define SECTIONS_GAP_NS 20000000L
/* Distinct frames the viewer must see: frames are not all held back. */
#define SECTIONS_MIN_SHOWN 5u
/* Keys a viewer sends while the guest never stops drawing. */
#define SECTIONS_KEYS 5u

struct guest {
	struct fb_device *fb;
};

static void *guest_main(void *opaque)
{
	struct guest *g = opaque;
	struct timespec gap = { 0, SECTIONS_GAP_NS };

	for (uint32_t n = 1; n <= SECTIONS_FRAMES; n++) {
		section_frame_draw(g->fb, n, SECTIONS_W_PX, SECTIONS_H_PX);
		if (n % SECTIONS_BURST_FRAMES == 0)
			nanosleep(&gap, NULL);
	}
	return NULL;
}

static void run_viewer(const char *encodings)
{
	struct vnc_config cfg = vt_config();
	struct guest g = { 0 };
	unsigned updates = 0, mixed = 0, shown = 0;
	long last = 0, n;
	pthread_t thread;
	struct vtc *c;
	struct vt t;

	vt_setup(&t, SECTIONS_W_PX, SECTIONS_H_PX, PIXMAN_x8r8g8b8, &cfg);
	section_frame_draw(t.fb, 0, SECTIONS_W_PX, SECTIONS_H_PX);
	c = vt_connect(&t, encodings);
	vt_expect_guest(&t, c, "frame 0");
	g.fb = t.fb;
	assert_int_equal(pthread_create(&thread, NULL, guest_main, &g), 0);
	/* Every update until the last frame is shown; each wait is bounded,
	 * and a stalled stream fails it. */
	while (last != (long)SECTIONS_FRAMES) {
		if (vtc_wait_update(c, VT_WAIT_MS) != 0)
			fail_msg("%s: no update within %u ms (last frame shown %ld)", encodings,
				 VT_WAIT_MS, last);
		updates++;
		n = section_frame_shown(vtc_pixels(c), SECTIONS_W_PX, SECTIONS_W_PX, SECTIONS_H_PX);
		if (n < 0) {
			mixed++;
			continue;
		}
		if (n < last)
			fail_msg("%s: frame %ld shown after frame %ld", encodings, n, last);
		shown += n != last;
		last = n;
	}
	assert_int_equal(pthread_join(thread, NULL), 0);
	print_message("%s: %u updates, %u distinct frames of %u shown, %u mixed\n", encodings,
		      updates, shown, SECTIONS_FRAMES, mixed);
	assert_int_equal(mixed, 0);
	assert_true(shown >= SECTIONS_MIN_SHOWN);
	vtc_free(c);
	vt_teardown(&t);
}

/* A guest that draws without a gap, until stopped. */
struct busy_guest {
	struct fb_device *fb;
	atomic_bool stop;
	uint32_t frames;
};

static void *busy_guest_main(void *opaque)
{
	struct busy_guest *g = opaque;

	while (!atomic_load(&g->stop))
		section_frame_draw(g->fb, ++g->frames, SECTIONS_W_PX, SECTIONS_H_PX);
	return NULL;
}

static bool keys_at_least(struct vt_input *in, const void *arg)
{
	return in->key_events >= *(const unsigned *)arg;
}

/* A guest that draws frame after frame without a gap is seldom shown, but
 * its viewers' input still reaches it. Not because input is read while
 * pixels are held back: after a torn tick the VNC thread reads no client
 * until a whole tick (vnc-thread.c). A tick that begins between two
 * sections and sees none begin is whole, and this guest leaves such gaps;
 * a guest that never did would hold its viewers' input back too. */
static void test_input_while_always_drawing(void **state)
{
	struct vnc_config cfg = vt_config();
	struct busy_guest g = { 0 };
	unsigned want = 0;
	pthread_t thread;
	struct vtc *c;
	struct vt t;

	(void)state;
	vt_setup(&t, SECTIONS_W_PX, SECTIONS_H_PX, PIXMAN_x8r8g8b8, &cfg);
	section_frame_draw(t.fb, 0, SECTIONS_W_PX, SECTIONS_H_PX);
	c = vt_connect(&t, "raw");
	vt_expect_guest(&t, c, "frame 0");
	g.fb = t.fb;
	assert_int_equal(pthread_create(&thread, NULL, busy_guest_main, &g), 0);
	for (unsigned i = 0; i < SECTIONS_KEYS; i++) {
		assert_int_equal(vtc_key(c, 0x61 + i, true), 0);
		assert_int_equal(vtc_key(c, 0x61 + i, false), 0);
		want += 2;
		if (!vt_wait_input(&t, keys_at_least, &want, VT_WAIT_MS))
			fail_msg("key %u of %u did not reach the guest within %u ms", i + 1,
				 SECTIONS_KEYS, VT_WAIT_MS);
	}
	atomic_store(&g.stop, true);
	assert_int_equal(pthread_join(thread, NULL), 0);
	/* Once the guest pauses, its last frame is shown. */
	vt_expect_guest(&t, c, "after the busy guest");
	vtc_free(c);
	vt_teardown(&t);
}

static void test_raw_frames_never_mixed(void **state)
{
	(void)state;
	run_viewer("raw");
}

static void test_zrle_frames_never_mixed(void **state)
{
	(void)state;
	run_viewer("zrle");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_frames_never_mixed),
		cmocka_unit_test(test_zrle_frames_never_mixed),
		cmocka_unit_test(test_input_while_always_drawing),
	};

	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
