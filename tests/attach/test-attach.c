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
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fb/fb.h"
#include "server/guest-client/fbhost-guest.h"
#include "tests/attach/attach-rig.h"

#define FB_W 320u
#define FB_H 240u
#define STEPS 200u
#define PAGE_BYTES 512u /* fbhost's dirty page (FB_RAM_PAGE_BITS) */
#define MODE_CHANGES 12u
#define FRAME_PAGES (FB_W * FB_H * 4u / PAGE_BYTES) /* 600 */

static const char *const one_fb[] = { "main:320x240", NULL };

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
	bool frames; /* FBHOST_GUEST_FRAMES: frame_done after each step, no polling */
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
	int cmd, mode = fbhost_guest_set_tracking(g, a->tracking |
							     (a->frames ? FBHOST_GUEST_FRAMES : 0));

	if (mode != a->tracking) {
		fprintf(stderr, "guest: tracking %d: got %d: %s\n", a->tracking, mode,
			fbhost_guest_error(g));
		return 11;
	}
	while ((cmd = rig_child_next(c)) > 0) {
		const struct fbhost_guest_frame *f = fbhost_guest_frame(g);
		struct step s = { 0, 0, FB_W, FB_H, 0x102030 };

		if (cmd == 'q')
			break;
		if (cmd == 's')
			s = step_of(&seed);
		fill(f->pixels, f->stride / 4, s);
		/* Only the modes that need them: uffd-wp and compare get
		 * no call at all. */
		if (a->tracking == FBHOST_GUEST_LOG || a->tracking == FBHOST_GUEST_DAMAGE)
			fbhost_guest_damage(g, s.x, s.y, s.w, s.h);
		if (a->tracking == FBHOST_GUEST_DAMAGE || a->frames)
			fbhost_guest_frame_done(g);
		rig_child_reply(c, 'k');
	}
	fbhost_guest_detach(g);
	rig_child_reply(c, 'k');
	return 0;
}

static void run_drawing(int tracking, bool frames)
{
	struct draw_args a = { .tracking = tracking, .frames = frames };
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
		/* uffd-wp too: fbhost refines the kernel's 4 KiB pages to
		 * its own that changed. */
		pages += pages_of(s, PAGE_BYTES);
		if (vtc_wait_picture(v, model, FB_W, FB_H, FB_W, RIG_WAIT_MS))
			fail_msg("step %u (%s): %s", i, fbhost_guest_tracking_name(tracking),
				 vtc_last_mismatch(v));
	}
	after = rig_stat(&r, 0, "dirty_pages");
	/* Only written pages were taken, at the tracker's granularity. */
	printf("%s: %llu dirty pages for %llu pages written\n",
	       fbhost_guest_tracking_name(tracking), (unsigned long long)(after - before),
	       (unsigned long long)pages);
	/* Only the written pages: on a quiet machine the counts are equal
	 * (as printed). A tick may fall in the middle of a step, though: the
	 * kernel and compare trackers then take the pages written so far,
	 * and a page written again later in the step is taken (and rightly
	 * sent) again; a slow tick may take the tracker's first whole-frame
	 * mark after the first step. Bounded by that, and far below sending
	 * whole frames (STEPS * FRAME_PAGES). */
	assert_true(after - before <= pages + pages / 4 + FRAME_PAGES);
	assert_true(after - before < (uint64_t)STEPS * FRAME_PAGES / 4);
	assert_true(after - before > 0);
	/* The stats name the tracker; trackers count what they found. */
	{
		char *reply = NULL, want[64];

		assert_int_equal(sp_request(r.srv.sock, "stats 0", &reply), 0);
		snprintf(want, sizeof(want), " tracking=%s ", fbhost_guest_tracking_name(tracking));
		if (!strstr(reply, want))
			fail_msg("stats: %s", reply);
		free(reply);
		if (tracking != FBHOST_GUEST_DAMAGE)
			assert_true(rig_stat(&r, 0, "tracked_pages") >= after - before);
	}
	assert_int_equal(rig_command(&child, 'q'), 'k');
	assert_int_equal(rig_wait_child(&child), 0);
	vtc_free(v);
	rig_stop(&r);
	free(model);
}

/* Skips a kernel-tracking test where the kernel lacks it (before Linux
 * 6.7, or userfaultfd not permitted), saying why. */
static bool uffd_or_skip(void)
{
	const char *why = NULL;

	if (fb_track_uffd_supported(&why))
		return true;
	printf("skipped: uffd-wp tracking: %s (the compare fallback is tested)\n", why);
	return false;
}

static void test_draw_uffd(void **state)
{
	(void)state;
	if (!uffd_or_skip())
		skip();
	run_drawing(FBHOST_GUEST_UFFD, false);
}

static void test_draw_log(void **state)
{
	(void)state;
	run_drawing(FBHOST_GUEST_LOG, false);
}

static void test_draw_damage(void **state)
{
	(void)state;
	run_drawing(FBHOST_GUEST_DAMAGE, false);
}

/* The same when the guest ends each step with frame_done and says so: the
 * render thread does not poll, and still nothing is missed. */
static void test_draw_uffd_frames(void **state)
{
	(void)state;
	if (!uffd_or_skip())
		skip();
	run_drawing(FBHOST_GUEST_UFFD, true);
}

static void test_draw_log_frames(void **state)
{
	(void)state;
	run_drawing(FBHOST_GUEST_LOG, true);
}

static void test_draw_compare(void **state)
{
	(void)state;
	run_drawing(FBHOST_GUEST_COMPARE, false);
}

/* ---- mode changes in both directions ----------------------------------- */

/* The sizes the test goes through: even steps asked by fbhost-ctl, odd ones
 * by the guest. */
static const uint32_t mode_sizes[MODE_CHANGES][2] = {
	{ 256, 200 }, { 400, 300 }, { 160, 120 }, { 333, 222 }, { 320, 240 }, { 128, 300 },
	{ 500, 100 }, { 200, 200 }, { 97, 61 },	  { 320, 240 }, { 640, 48 },  { 300, 250 },
};
#define FINAL_FRAME 0xfu
/* The mode test's guest looks at its events this often (it lags: several
 * render ticks see its writes in the old layout). */
#define MODES_LAG_MS 40u

static uint64_t lag_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Every pixel the guest draws says where it belongs: x in bits 0-11, y mod
 * 256 in bits 12-19, the frame number mod 15 in bits 20-23. A write made
 * in another layout lands where its position does not match. */
static uint32_t encode(uint32_t x, uint32_t y, uint32_t k)
{
	return (x & 0xfff) | ((y & 0xff) << 12) | ((k & 0xf) << 20);
}

/* The guest of the mode test: draws whole frames as fast as it can; 'r'
 * asks for the next odd size; 'q' draws the final frame and stops. */
static int modes_child(struct rig_child *c, void *arg)
{
	struct draw_args *a = arg;
	struct fbhost_guest *g = child_attach(a->path, "main");
	struct pollfd p = { .fd = c->cmd, .events = POLLIN };
	uint32_t k = 0, asked = 1;
	uint64_t next_look = 0;

	if (fbhost_guest_set_tracking(g, a->tracking) != a->tracking)
		return 11;
	for (;;) {
		struct fbhost_guest_event ev;
		const struct fbhost_guest_frame *f;
		bool final = false;

		if (poll(&p, 1, 0) == 1) {
			int cmd = rig_child_next(c);

			if (cmd == 'r') {
				fbhost_guest_request_mode(g, mode_sizes[asked][0],
							  mode_sizes[asked][1], 0);
				asked += 2;
				rig_child_reply(c, 'k');
			} else if (cmd == 'q') {
				final = true;
			} else {
				return 12;
			}
		}
		/* A guest that lags: it looks at its events only every
		 * MODES_LAG_MS and draws in the old layout meanwhile. */
		if (final || lag_ms() >= next_look) {
			next_look = lag_ms() + MODES_LAG_MS;
			while (fbhost_guest_next_event(g, &ev, 0) == 1)
				if (ev.type == FBHOST_GUEST_EV_ERROR ||
				    ev.type == FBHOST_GUEST_EV_CLOSED)
					return 13;
		}
		f = fbhost_guest_frame(g);
		for (uint32_t y = 0; y < f->height; y++) {
			uint32_t *row = (uint32_t *)((char *)f->pixels + (size_t)y * f->stride);

			for (uint32_t x = 0; x < f->width; x++)
				row[x] = encode(x, y, final ? FINAL_FRAME : k);
		}
		if (a->tracking == FBHOST_GUEST_LOG)
			fbhost_guest_damage(g, 0, 0, (int)f->width, (int)f->height);
		fbhost_guest_frame_done(g);
		k = (k + 1) % FINAL_FRAME;
		if (final) {
			rig_child_reply(c, 'k');
			break;
		}
	}
	fbhost_guest_detach(g);
	return 0;
}

/* Every pixel of the viewer's picture was drawn for its position (or is
 * still black). */
static void assert_untorn(struct vtc *v, unsigned change)
{
	const uint32_t *px = vtc_pixels(v);
	uint32_t w = vtc_width(v), h = vtc_height(v);

	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint32_t p = px[(size_t)y * w + x] & 0xffffff;

			if (p && ((p & 0xfff) != (x & 0xfff) || ((p >> 12) & 0xff) != (y & 0xff)))
				fail_msg("change %u: torn pixel (%u,%u) in %ux%u: 0x%06x", change,
					 x, y, w, h, p);
		}
}

static void run_modes(int tracking)
{
	struct draw_args a = { .tracking = tracking };
	struct rig_child child;
	struct rig r;
	struct vtc *v;
	uint32_t *final;

	rig_start(&r, one_fb);
	a.path = r.attach;
	v = rig_viewer(&r, 0);
	rig_fork(&child, modes_child, &a);
	for (unsigned i = 0; i < MODE_CHANGES; i++) {
		uint32_t w = mode_sizes[i][0], h = mode_sizes[i][1];
		unsigned settled = 0;

		if (i % 2 == 0) {
			char line[64], *reply = NULL;

			snprintf(line, sizeof(line), "resize 0 %ux%u", w, h);
			assert_int_equal(sp_request(r.srv.sock, line, &reply), 0);
			free(reply);
		} else {
			assert_int_equal(rig_command(&child, 'r'), 'k');
		}
		/* Every picture until a few whole ones of the new size. */
		while (settled < 3) {
			int rc = vtc_wait_update(v, RIG_WAIT_MS);

			if (rc)
				fail_msg("change %u to %ux%u: no update (%d)", i, w, h, rc);
			assert_untorn(v, i);
			if (vtc_width(v) == w && vtc_height(v) == h)
				settled++;
		}
	}
	assert_int_equal(rig_command(&child, 'q'), 'k');
	final = malloc((size_t)300 * 250 * 4);
	assert_non_null(final);
	for (uint32_t y = 0; y < 250; y++)
		for (uint32_t x = 0; x < 300; x++)
			final[y * 300 + x] = encode(x, y, FINAL_FRAME);
	if (vtc_wait_picture(v, final, 300, 250, 300, RIG_WAIT_MS))
		fail_msg("final picture: %s", vtc_last_mismatch(v));
	assert_int_equal(rig_wait_child(&child), 0);
	free(final);
	vtc_free(v);
	rig_stop(&r);
}

static void test_modes_uffd(void **state)
{
	(void)state;
	if (!uffd_or_skip())
		skip();
	run_modes(FBHOST_GUEST_UFFD);
}

static void test_modes_log(void **state)
{
	(void)state;
	run_modes(FBHOST_GUEST_LOG);
}

/* ---- a guest killed mid-drawing ------------------------------------------ */

/* Draws random rectangles until killed; replies once the first is drawn. */
static int endless_child(struct rig_child *c, void *arg)
{
	struct draw_args *a = arg;
	struct fbhost_guest *g = child_attach(a->path, "main");
	uint64_t seed = 99;

	if (fbhost_guest_set_tracking(g, FBHOST_GUEST_UFFD) < 0)
		return 11;
	for (unsigned i = 0;; i++) {
		const struct fbhost_guest_frame *f = fbhost_guest_frame(g);

		fill(f->pixels, f->stride / 4, step_of(&seed));
		if (i == 0)
			rig_child_reply(c, 'k');
	}
	return 0;
}

static void test_killed_guest(void **state)
{
	struct draw_args a = { .tracking = FBHOST_GUEST_UFFD };
	struct rig_child child;
	struct fbhost_guest *g;
	const struct fbhost_guest_frame *f;
	struct rig r;
	struct vtc *v;
	uint32_t *seen;
	char err[256], *line;
	int status;

	(void)state;
	rig_start(&r, one_fb);
	a.path = r.attach;
	v = rig_viewer(&r, 0);
	rig_fork(&child, endless_child, &a);
	assert_int_equal(rig_command(&child, 'g'), 'k');
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(vtc_wait_update(v, RIG_WAIT_MS), 0);
	assert_int_equal(kill(child.pid, SIGKILL), 0);
	assert_int_equal(waitpid(child.pid, &status, 0), child.pid);
	close(child.to_child);
	close(child.from_child);
	assert_true(sp_alive(&r.srv));
	/* fbhost notices, detaches (picture kept); a new guest may attach. */
	for (unsigned i = 0;; i++) {
		line = rig_list_line(&r, 0);
		if (strstr(line, "guest=detached"))
			break;
		free(line);
		assert_true(i < 200);
		vtc_pump(v, 50); /* bounded wait between two looks */
	}
	free(line);
	g = fbhost_guest_attach(r.attach, "0", err, sizeof(err));
	if (!g)
		fail_msg("attach after the kill: %s", err);
	f = fbhost_guest_frame(g);
	assert_int_equal(f->width, FB_W);
	/* The viewer shows exactly what the killed guest left in memory. */
	seen = malloc((size_t)FB_W * FB_H * 4);
	assert_non_null(seen);
	for (uint32_t y = 0; y < FB_H; y++)
		memcpy(seen + (size_t)y * FB_W, (char *)f->pixels + (size_t)y * f->stride,
		       FB_W * 4);
	if (vtc_wait_picture(v, seen, FB_W, FB_H, FB_W, RIG_WAIT_MS))
		fail_msg("after the kill: %s", vtc_last_mismatch(v));
	/* And the new guest draws. */
	assert_int_equal(fbhost_guest_set_tracking(g, FBHOST_GUEST_DAMAGE), FBHOST_GUEST_DAMAGE);
	fill(f->pixels, f->stride / 4, (struct step){ 10, 10, 50, 40, 0xabcdef });
	fill(seen, FB_W, (struct step){ 10, 10, 50, 40, 0xabcdef });
	assert_int_equal(fbhost_guest_damage(g, 10, 10, 50, 40), 0);
	assert_int_equal(fbhost_guest_frame_done(g), 0);
	if (vtc_wait_picture(v, seen, FB_W, FB_H, FB_W, RIG_WAIT_MS))
		fail_msg("new guest: %s", vtc_last_mismatch(v));
	line = rig_list_line(&r, 0);
	assert_non_null(strstr(line, "guest=attached"));
	free(line);
	fbhost_guest_detach(g);
	free(seen);
	vtc_free(v);
	rig_stop(&r);
}

/* ---- input events and requests, both ways ------------------------------- */

/* Waits for the guest's next event of type want, skipping others. */
static void want_event(struct fbhost_guest *g, struct fbhost_guest_event *ev,
		       enum fbhost_guest_event_type want)
{
	for (;;) {
		int rc = fbhost_guest_next_event(g, ev, (int)RIG_WAIT_MS);

		if (rc != 1)
			fail_msg("no event %d (%d: %s)", want, rc, fbhost_guest_error(g));
		if (ev->type == want)
			return;
		if (ev->type == FBHOST_GUEST_EV_ERROR || ev->type == FBHOST_GUEST_EV_CLOSED)
			fail_msg("event %d while waiting for %d", ev->type, want);
	}
}

static void test_input_events(void **state)
{
	struct fbhost_guest_event ev;
	struct fbhost_guest *g;
	struct rig r;
	struct vtc *v;
	char err[256];

	(void)state;
	rig_start(&r, one_fb);
	g = fbhost_guest_attach(r.attach, "main", err, sizeof(err));
	if (!g)
		fail_msg("attach: %s", err);
	v = rig_viewer(&r, 0);
	assert_int_equal(vtc_key(v, 0xff0d /* Return */, true), 0);
	want_event(g, &ev, FBHOST_GUEST_EV_KEY);
	assert_int_equal(ev.key.keysym, 0xff0d);
	assert_true(ev.key.down);
	assert_int_equal(vtc_pointer(v, 17, 23, 1), 0);
	want_event(g, &ev, FBHOST_GUEST_EV_POINTER);
	assert_int_equal(ev.pointer.x, 17);
	assert_int_equal(ev.pointer.y, 23);
	assert_int_equal(ev.pointer.buttons, 1);
	assert_int_equal(vtc_cut_text_send(v, "from the viewer"), 0);
	want_event(g, &ev, FBHOST_GUEST_EV_CLIPBOARD);
	assert_string_equal(ev.clipboard.text, "from the viewer");
	/* A viewer asks for a size: the guest is asked, and accepts.
	 * libvncclient asks only once it has seen the screen layout. */
	for (unsigned i = 0; vtc_rfb(v)->screen.width == 0; i++) {
		assert_true(i < 400);
		assert_int_equal(vtc_pump(v, 50), 0);
	}
	assert_int_equal(vtc_request_size(v, 400, 300), 0);
	want_event(g, &ev, FBHOST_GUEST_EV_RESIZE_REQUEST);
	assert_int_equal(ev.resize.width, 400);
	assert_int_equal(ev.resize.height, 300);
	assert_int_equal(fbhost_guest_request_mode(g, ev.resize.width, ev.resize.height, 0), 0);
	want_event(g, &ev, FBHOST_GUEST_EV_MODE);
	assert_int_equal(ev.mode.reason, 1);
	assert_int_equal(fbhost_guest_frame(g)->width, 400);
	assert_int_equal(vtc_wait_size(v, 400, 300, RIG_WAIT_MS), 0);
	/* A refused mode is an error event, and nothing changes. */
	assert_int_equal(fbhost_guest_request_mode(g, 99999, 10, 0), 0);
	want_event(g, &ev, FBHOST_GUEST_EV_ERROR);
	assert_false(ev.error.fatal);
	assert_non_null(strstr(ev.error.text, "mode 99999x10"));
	assert_int_equal(fbhost_guest_frame(g)->width, 400);
	/* Clipboard the other way. */
	assert_int_equal(fbhost_guest_send_clipboard(g, "from the guest", 14), 0);
	for (unsigned i = 0; !vtc_cut_text(v) || strcmp(vtc_cut_text(v), "from the guest"); i++) {
		assert_true(i < 400);
		vtc_pump(v, 50);
	}
	fbhost_guest_detach(g);
	vtc_free(v);
	rig_stop(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_draw_uffd),	 cmocka_unit_test(test_draw_log),
		cmocka_unit_test(test_draw_damage),	 cmocka_unit_test(test_draw_compare),
		cmocka_unit_test(test_draw_uffd_frames), cmocka_unit_test(test_draw_log_frames),
		cmocka_unit_test(test_modes_uffd),	 cmocka_unit_test(test_modes_log),
		cmocka_unit_test(test_killed_guest),	 cmocka_unit_test(test_input_events),
	};

	signal(SIGPIPE, SIG_IGN);
	/* ATTACH_FILTER=test_modes_log runs one test (for stress runs). */
	if (getenv("ATTACH_FILTER"))
		cmocka_set_test_filter(getenv("ATTACH_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
