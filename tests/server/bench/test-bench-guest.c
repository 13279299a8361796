/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/bench/test-bench-guest.c - the bench guest on a real
 * framebuffer and render thread: its arguments are checked strictly, it
 * logs every frame in order, and after the last frame the headless
 * frontend's picture (which only sees the damage the guest marked) equals
 * the scenario's expected pixels exactly.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fb/headless.h"
#include "server/guests/guest-bench-scenes.h"
#include "server/guests/guest.h"
#include "server/lib/fbhost-internal.h"

#define W 1024u
#define H 600u
/* Generous bound for a run of a fraction of a second on a loaded machine. */
#define RUN_TIMEOUT_MS 20000u
#define POLL_MS 10u

/* A libfbhost framebuffer with a headless listener on its device. */
struct rig {
	struct fbhost *host;
	struct fbhost_fb *hfb;
	struct fb_device *fb;	  /* hfb's device */
	struct fb_render *render; /* the host's */
	struct fb_headless *headless;
	char log[64];
};

static void rig_up(struct rig *r, unsigned w, unsigned h, pixman_format_code_t format)
{
	int fd;

	r->host = fbhost_new(&(struct fbhost_config){ .rate_hz = 60 });
	assert_non_null(r->host);
	r->hfb = fbhost_fb_add(r->host, "bench", w, h, fbhost_format_from_pixman(format));
	assert_non_null(r->hfb);
	r->fb = r->hfb->dev;
	r->render = r->host->render;
	r->headless = fb_headless_new(r->fb);
	assert_non_null(r->headless);
	strcpy(r->log, "/tmp/test-bench-guest-XXXXXX");
	fd = mkstemp(r->log);
	assert_true(fd >= 0);
	close(fd);
}

static void rig_down(struct rig *r)
{
	fb_headless_free(r->headless);
	fbhost_free(r->host);
	unlink(r->log);
}

/* Lines in the log, checking they are "i t" with i = 0, 1, ... and t rising. */
static unsigned log_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned frame, n = 0;
	unsigned long long t, prev = 0;

	assert_non_null(f);
	while (fscanf(f, "%u %llu", &frame, &t) == 2) {
		assert_int_equal(frame, n);
		assert_true(t >= prev);
		prev = t;
		n++;
	}
	fclose(f);
	return n;
}

/* Waits (bounded) until the log holds `want` lines. */
static void wait_log(const char *path, unsigned want)
{
	for (unsigned waited = 0; log_lines(path) < want; waited += POLL_MS) {
		if (waited >= RUN_TIMEOUT_MS)
			fail_msg("the guest logged %u of %u frames in %u ms", log_lines(path), want,
				 RUN_TIMEOUT_MS);
		usleep(POLL_MS * 1000);
	}
}

/* Runs a scenario to its end and compares the shown picture. */
static void run_scenario(const char *scenario, const char *extra, uint32_t last)
{
	struct rig r;
	char args[256];
	const char *err = NULL;
	void *state = NULL;
	uint32_t *px, w, h, *want;
	enum bench_scenario sc;
	struct bench_scene *scene;

	rig_up(&r, W, H, PIXMAN_x8r8g8b8);
	snprintf(args, sizeof(args), "%s,fps=100,seconds=%.2f,settle=0,log=%s%s", scenario,
		 last / 100.0, r.log, extra);
	assert_int_equal(guest_bench_ops.start(r.host, r.hfb, args, &state, &err), 0);
	wait_log(r.log, (strcmp(scenario, "idle") == 0 ? 0 : last) + 1);
	assert_int_equal(fb_render_wait_ticks(r.render, 3, RUN_TIMEOUT_MS), 0);
	assert_int_equal(fb_headless_copy(r.headless, &px, &w, &h), 0);
	assert_int_equal(w, W);
	assert_int_equal(h, H);
	assert_int_equal(bench_scenario_parse(scenario, &sc), 0);
	scene = bench_scene_new(sc, W, H);
	want = malloc((size_t)W * H * 4);
	assert_non_null(want);
	bench_scene_render(scene, last, want, W);
	for (size_t i = 0; i < (size_t)W * H; i++)
		if ((px[i] & 0xFFFFFF) != want[i])
			fail_msg("%s%s: pixel (%zu,%zu) is %06x, want %06x", scenario, extra, i % W,
				 i / W, px[i] & 0xFFFFFF, want[i]);
	/* The last frame stays on screen. */
	assert_int_equal(fb_render_wait_ticks(r.render, 2, RUN_TIMEOUT_MS), 0);
	guest_bench_ops.stop(state);
	free(px);
	free(want);
	bench_scene_free(scene);
	rig_down(&r);
}

static void test_small(void **st)
{
	run_scenario("small", "", 20);
}

static void test_text(void **st)
{
	run_scenario("text", "", 30);
}

static void test_full(void **st)
{
	run_scenario("full", "", 5);
}

static void test_idle(void **st)
{
	run_scenario("idle", "", 0);
}

static void test_fullframe_baseline(void **st)
{
	run_scenario("text", ",fullframe=1", 10);
}

static void test_bad_start(void **st)
{
	struct rig r;
	const char *err = NULL;
	void *state = NULL;

	rig_up(&r, W, H, PIXMAN_x8r8g8b8);
	assert_int_equal(guest_bench_ops.start(r.host, r.hfb, "small,fps=zero", &state, &err),
			 -EINVAL);
	assert_string_equal(err, "bench: fps must be an integer 1..1000");
	assert_int_equal(guest_bench_ops.start(r.host, r.hfb, NULL, &state, &err), -EINVAL);
	assert_string_equal(err, "bench: needs a scenario: small, text, full or idle");
	assert_int_equal(guest_bench_ops.start(r.host, r.hfb, "small,log=/nonexistent-dir/x.log",
					       &state, &err),
			 -ENOENT);
	assert_string_equal(err, "bench: cannot create the log file");
	assert_string_equal(guest_bench_ops.name, "bench");
	rig_down(&r);

	rig_up(&r, 640, 480, PIXMAN_x8r8g8b8);
	assert_int_equal(guest_bench_ops.start(r.host, r.hfb, "small", &state, &err), -EINVAL);
	assert_string_equal(err, "bench: the framebuffer must be at least 700x500");
	rig_down(&r);

	rig_up(&r, W, H, PIXMAN_c8);
	assert_int_equal(guest_bench_ops.start(r.host, r.hfb, "small", &state, &err), -EINVAL);
	assert_string_equal(err, "bench: needs a direct-colour framebuffer (not c8)");
	rig_down(&r);
}

/* Stopping during a long settle returns at once; other formats draw the
 * same picture (converted). */
static void test_stop_during_settle_and_r5g6b5(void **st)
{
	struct rig r;
	const char *err = NULL;
	void *state = NULL;
	char args[128];
	struct fb_access acc;
	uint16_t px;

	rig_up(&r, W, H, PIXMAN_r5g6b5);
	snprintf(args, sizeof(args), "small,settle=600000,log=%s", r.log);
	assert_int_equal(guest_bench_ops.start(r.host, r.hfb, args, &state, &err), 0);
	wait_log(r.log, 1);
	guest_bench_ops.stop(state);
	assert_int_equal(log_lines(r.log), 1);
	fb_access_begin(r.fb, &acc);
	/* The rectangle at x(0) = 16, y = H/2 - 16: 0xE04020 in r5g6b5. */
	memcpy(&px, (uint8_t *)acc.pixels + (size_t)(H / 2 - 16) * acc.mode.stride + 16 * 2, 2);
	fb_access_end(r.fb, &acc);
	assert_int_equal(px, (0xE0 >> 3) << 11 | (0x40 >> 2) << 5 | (0x20 >> 3));
	rig_down(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_start),
		cmocka_unit_test(test_small),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_idle),
		cmocka_unit_test(test_fullframe_baseline),
		cmocka_unit_test(test_stop_during_settle_and_r5g6b5),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
