/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/attach/test-attach.c - guests in other processes, end to end:
 * fbhost --guest none, a guest child process on libfbhost-guest, and a
 * libvncclient viewer.
 *   - 200 random drawing steps with plain stores, once per tracking mode
 *     (kernel uffd-wp with no damage calls at all, the shared dirty log,
 *     damage messages, compare): the viewer has the exact picture after
 *     every step, and the stats count only the pages written;
 *   - mode changes asked by both sides while the guest draws: no pixel in
 *     any picture the viewer gets was written in another layout (every
 *     pixel encodes its own position), the final picture is exact;
 *   - the guest is SIGKILLed mid-drawing: fbhost keeps running and the
 *     picture, a new guest attaches, sees the old pixels and draws.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/guest-client/fbhost-guest.h"
#include "tests/attach/attach-rig.h"

#define FB_W 320u
#define FB_H 240u
#define STEPS 200u
#define PAGE_BYTES 512u		/* fbhost's dirty page (FB_RAM_PAGE_BITS) */
#define KERNEL_PAGE_BYTES 4096u /* the kernel tracks these */
#define MODE_CHANGES 12u

static const char *const one_fb[] = {"main:320x240", NULL};

/* A rectangle of step i of a seeded sequence, in FB_W x FB_H. */
struct step {
	int x, y, w, h;
	uint32_t colour;
};

static struct step step_of(uint64_t *seed)
{
	struct step s;

	s.x = (int)(rig_rand(seed) % FB_W);
	s.y = (int)(rig_rand(seed) % FB_H);
	s.w = 1 + (int)(rig_rand(seed) % 96);
	s.h = 1 + (int)(rig_rand(seed) % 24);
	if (s.x + s.w > (int)FB_W)
		s.w = (int)FB_W - s.x;
	if (s.y + s.h > (int)FB_H)
		s.h = (int)FB_H - s.y;
	s.colour = (uint32_t)rig_rand(seed) & 0xffffff;
	return s;
}

static void fill(uint32_t *px, size_t stride_px, struct step s)
{
	for (int y = s.y; y < s.y + s.h; y++)
		for (int x = s.x; x < s.x + s.w; x++)
			px[(size_t)y * stride_px + (size_t)x] = s.colour; /* plain stores */
}

/* Pages (of page bytes) the step's rows touch, in a FB_W*4-byte stride. */
static uint64_t pages_of(struct step s, uint64_t page)
{
	uint64_t n = 0, last = UINT64_MAX;

	for (int y = s.y; y < s.y + s.h; y++) {
		uint64_t a = ((uint64_t)y * FB_W + (uint64_t)s.x) * 4, e = a + (uint64_t)s.w * 4;

		for (uint64_t p = a / page; p <= (e - 1) / page; p++)
			if (p != last) {
				n++;
				last = p;
			}
	}
	return n;
}

struct draw_args {
	const char *path;
	int tracking;
};

static struct fbhost_guest *child_attach(const char *path, const char *fb)
{
	char err[256];
	struct fbhost_guest *g = fbhost_guest_attach(path, fb, err, sizeof(err));

	if (!g) {
		fprintf(stderr, "guest: attach: %s\n", err);
		_exit(10);
	}
	return g;
}

/* The guest of the drawing test: 'f' fills the frame (the first step), 's'
 * draws the next step; 'q' quits. */
static int draw_child(struct rig_child *c, void *arg)
{
	struct draw_args *a = arg;
	struct fbhost_guest *g = child_attach(a->path, "main");
	uint64_t seed = 0xa77ac4 + (uint64_t)a->tracking;
	int cmd, mode = fbhost_guest_set_tracking(g, a->tracking);

	if (mode != a->tracking) {
		fprintf(stderr, "guest: tracking %d: got %d: %s\n", a->tracking, mode,
			fbhost_guest_error(g));
		return 11;
	}
	while ((cmd = rig_child_next(c)) > 0) {
		const struct fbhost_guest_frame *f = fbhost_guest_frame(g);
		struct step s = {0, 0, FB_W, FB_H, 0x102030};

		if (cmd == 'q')
			break;
		if (cmd == 's')
			s = step_of(&seed);
		fill(f->pixels, f->stride / 4, s);
		/* Only the modes that need them: uffd-wp and compare get
		 * no call at all. */
		if (a->tracking == FBHOST_GUEST_LOG || a->tracking == FBHOST_GUEST_DAMAGE)
			fbhost_guest_damage(g, s.x, s.y, s.w, s.h);
		if (a->tracking == FBHOST_GUEST_DAMAGE)
			fbhost_guest_frame_done(g);
		rig_child_reply(c, 'k');
	}
	fbhost_guest_detach(g);
	rig_child_reply(c, 'k');
	return 0;
}

static void run_drawing(int tracking)
{
	struct draw_args a = {.tracking = tracking};
	uint32_t *model = calloc(FB_W * FB_H, 4);
	uint64_t seed = 0xa77ac4 + (uint64_t)tracking, pages = 0, before, after;
	struct rig_child child;
	struct rig r;
	struct vtc *v;
	char *line;

	assert_non_null(model);
	rig_start(&r, one_fb);
	a.path = r.attach;
	v = rig_viewer(&r, 0);
	rig_fork(&child, draw_child, &a);
	assert_int_equal(rig_command(&child, 'f'), 'k');
	for (size_t i = 0; i < FB_W * FB_H; i++)
		model[i] = 0x102030;
	if (vtc_wait_picture(v, model, FB_W, FB_H, FB_W, RIG_WAIT_MS))
		fail_msg("first frame: %s", vtc_last_mismatch(v));
	line = rig_list_line(&r, 0);
	if (!strstr(line, "guest=attached pid=") ||
	    !strstr(line, fbhost_guest_tracking_name(tracking)))
		fail_msg("list: %s", line);
	free(line);
	before = rig_stat(&r, 0, "dirty_pages");
	for (unsigned i = 0; i < STEPS; i++) {
		struct step s = step_of(&seed);

		assert_int_equal(rig_command(&child, 's'), 'k');
		fill(model, FB_W, s);
		pages +=
		    pages_of(s, tracking == FBHOST_GUEST_UFFD ? KERNEL_PAGE_BYTES : PAGE_BYTES) *
		    (tracking == FBHOST_GUEST_UFFD ? KERNEL_PAGE_BYTES / PAGE_BYTES : 1);
		if (vtc_wait_picture(v, model, FB_W, FB_H, FB_W, RIG_WAIT_MS))
			fail_msg("step %u (%s): %s", i, fbhost_guest_tracking_name(tracking),
				 vtc_last_mismatch(v));
	}
	after = rig_stat(&r, 0, "dirty_pages");
	/* Only written pages were taken, at the tracker's granularity. */
	printf("%s: %llu dirty pages for %llu pages written\n",
	       fbhost_guest_tracking_name(tracking), (unsigned long long)(after - before),
	       (unsigned long long)pages);
	assert_true(after - before <= pages);
	assert_true(after - before > 0);
	assert_int_equal(rig_command(&child, 'q'), 'k');
	assert_int_equal(rig_wait_child(&child), 0);
	vtc_free(v);
	rig_stop(&r);
	free(model);
}

static void test_draw_uffd(void **state)
{
	(void)state;
	run_drawing(FBHOST_GUEST_UFFD);
}

static void test_draw_log(void **state)
{
	(void)state;
	run_drawing(FBHOST_GUEST_LOG);
}

static void test_draw_damage(void **state)
{
	(void)state;
	run_drawing(FBHOST_GUEST_DAMAGE);
}

static void test_draw_compare(void **state)
{
	(void)state;
	run_drawing(FBHOST_GUEST_COMPARE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_draw_uffd),
	    cmocka_unit_test(test_draw_log),
	    cmocka_unit_test(test_draw_damage),
	    cmocka_unit_test(test_draw_compare),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
