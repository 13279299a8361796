/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-resize.c - live resize under load: four clients (two
 * with CopyRect), 200 mode changes including format changes, a guest
 * filling and moving throughout; every client ends with the final mode's
 * exact picture, which itself ends with eight moves. Also: client-requested
 * sizes (accepted, refused, too wide) and a client that cannot resize.
 */
#include <stdatomic.h>
#include <unistd.h>

#include "tests/vnc/vnc-fixture.h"

#define MODE_CHANGES 200
#define NCLIENTS 4

static const char *const client_enc[NCLIENTS] = { "raw", "copyrect tight", "zrle",
						  "copyrect hextile" };

static const pixman_format_code_t formats[] = {
	PIXMAN_x8r8g8b8, PIXMAN_r5g6b5, PIXMAN_x1r5g5b5, PIXMAN_r8g8b8, PIXMAN_a8r8g8b8,
};

struct client_thread {
	pthread_t th;
	struct vt *t;
	const char *enc;
	atomic_bool *stop;
	/* Set by main before stop; read by the thread after it. */
	const uint32_t *final;
	uint32_t fw, fh;
	/* Results, read by main after join. */
	int rc;
	char why[256];
	uint64_t resizes;
};

static void *client_main(void *arg)
{
	struct client_thread *ct = arg;
	struct vtc *c = vt_connect(ct->t, ct->enc);

	while (!atomic_load(ct->stop)) {
		ct->rc = vtc_pump(c, 20);
		if (ct->rc < 0) {
			snprintf(ct->why, sizeof(ct->why), "%s: connection lost during resizes",
				 ct->enc);
			goto out;
		}
	}
	ct->rc = vtc_wait_picture(c, ct->final, ct->fw, ct->fh, ct->fw, VT_WAIT_MS);
	if (ct->rc)
		snprintf(ct->why, sizeof(ct->why), "%s: %s", ct->enc, vtc_last_mismatch(c));
out:
	ct->resizes = vtc_resizes(c);
	vtc_free(c);
	return NULL;
}

struct writer {
	pthread_t th;
	struct vt *t;
	atomic_bool stop;
	uint64_t writes;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t seed = 42;

	while (!atomic_load(&w->stop)) {
		int x = (int)(vt_rand(&seed) % 900), y = (int)(vt_rand(&seed) % 700);

		if (vt_rand(&seed) % 3 == 0) /* a move, across mode changes */
			fb_copy_rect(w->t->fb, x, y, (int)(vt_rand(&seed) % 900),
				     (int)(vt_rand(&seed) % 700), 1 + (int)(vt_rand(&seed) % 300),
				     1 + (int)(vt_rand(&seed) % 200));
		else
			fb_fill_rect(w->t->fb, x, y, 1 + (int)(vt_rand(&seed) % 120),
				     1 + (int)(vt_rand(&seed) % 90), (uint32_t)vt_rand(&seed));
		w->writes++;
		if (w->writes % 16 == 0)
			usleep(500);
	}
	return NULL;
}

static void test_resize_under_load(void **state)
{
	struct vnc_config cfg = vt_config();
	struct client_thread ct[NCLIENTS];
	struct vnc_server_stats st;
	struct fb_render_stats fst, fst_storm;
	atomic_bool stop = false;
	struct writer wr = { .t = NULL };
	uint64_t seed = 7;
	uint32_t *final;
	struct vt t;

	(void)state;
	vt_setup(&t, 640, 480, PIXMAN_x8r8g8b8, &cfg);
	vt_draw_random(&t, 9, 20);
	for (int i = 0; i < NCLIENTS; i++) {
		ct[i] = (struct client_thread){ .t = &t, .enc = client_enc[i], .stop = &stop };
		assert_int_equal(pthread_create(&ct[i].th, NULL, client_main, &ct[i]), 0);
	}
	wr.t = &t;
	atomic_init(&wr.stop, false);
	assert_int_equal(pthread_create(&wr.th, NULL, writer_main, &wr), 0);

	for (int i = 0; i < MODE_CHANGES; i++) {
		struct fb_mode m = {
			.width = 32 + (uint32_t)(vt_rand(&seed) % 800),
			.height = 24 + (uint32_t)(vt_rand(&seed) % 600),
			.format = formats[vt_rand(&seed) % (sizeof(formats) / sizeof(formats[0]))],
		};

		assert_int_equal(fb_set_mode(t.fb, &m), 0);
		if (i % 4 == 0) {
			fb_render_kick(t.render);
			assert_int_equal(fb_render_wait_ticks(t.render, 1, VT_WAIT_MS), 0);
		}
	}
	atomic_store(&wr.stop, true);
	pthread_join(wr.th, NULL);

	/* The final mode and picture. */
	struct fb_mode last = { .width = 517, .height = 301, .format = PIXMAN_r5g6b5 };
	assert_int_equal(fb_set_mode(t.fb, &last), 0);
	vt_draw_random(&t, 1234, 40);
	/* Moves after the final mode has reached the render thread's frame
	 * copy, one per tick, go out as moves (during the storm of mode
	 * changes they mostly meet a new mode and go out as pixels). The
	 * count starts after a tick still running on the old mode has added
	 * the writer's last moves (under ASan one did: 10 moves for 8). */
	fb_render_kick(t.render);
	assert_int_equal(fb_render_wait_ticks(t.render, 2, VT_WAIT_MS), 0);
	fb_get_stats(t.fb, &fst_storm);
	for (int i = 0; i < 8; i++) {
		fb_render_kick(t.render);
		assert_int_equal(fb_render_wait_ticks(t.render, 2, VT_WAIT_MS), 0);
		assert_int_equal(fb_copy_rect(t.fb, 7 * i, 5 * i, 40 - 3 * i, 30 + 9 * i, 400, 200),
				 0);
	}
	uint32_t fw, fh;
	final = vt_guest_x8(&t, &fw, &fh);
	assert_int_equal(fw, 517);
	for (int i = 0; i < NCLIENTS; i++) {
		ct[i].final = final;
		ct[i].fw = fw;
		ct[i].fh = fh;
	}
	fb_render_kick(t.render);
	atomic_store(&stop, true);
	for (int i = 0; i < NCLIENTS; i++) {
		pthread_join(ct[i].th, NULL);
		if (ct[i].rc)
			fail_msg("client %d: %s (rc %d)", i, ct[i].why, ct[i].rc);
		assert_true(ct[i].resizes >= 2);
	}
	vnc_server_get_stats(t.vnc, &st);
	fb_get_stats(t.fb, &fst);
	print_message("mode switches applied by VNC: %llu of %d, guest writes %llu, moves "
		      "delivered as moves %llu\n",
		      (unsigned long long)st.switches, MODE_CHANGES + 1,
		      (unsigned long long)wr.writes, (unsigned long long)fst.moves);
	assert_true(st.switches >= 2);
	/* One tick apart, a move mostly meets no tick in progress and goes
	 * out as a move. A move that does (a tick the VNC thread asked for
	 * when its pass ended, render_waiting) goes out as pixels, as in
	 * test-vnc-copyrect's test_guest_moves: 2 runs in 100 under TSan
	 * delivered 7. */
	assert_in_range(fst.moves - fst_storm.moves, 6, 8);
	assert_int_equal(st.width, 517);
	assert_int_equal(st.height, 301);
	free(final);
	vt_teardown(&t);
}

static bool requests_at_least(struct vt_input *in, const void *arg)
{
	return in->mode_requests >= *(const unsigned *)arg;
}

/* Log lines of the server, for asserting reasons. */
struct log_capture {
	pthread_mutex_t lock;
	char text[8192];
};

static void capture_log(void *opaque, const char *line)
{
	struct log_capture *lc = opaque;

	pthread_mutex_lock(&lc->lock);
	if (strlen(lc->text) + strlen(line) + 2 < sizeof(lc->text)) {
		strcat(lc->text, line);
		strcat(lc->text, "\n");
	}
	pthread_mutex_unlock(&lc->lock);
}

static bool log_contains(struct log_capture *lc, const char *needle)
{
	bool found;

	pthread_mutex_lock(&lc->lock);
	found = strstr(lc->text, needle) != NULL;
	pthread_mutex_unlock(&lc->lock);
	return found;
}

static void test_client_requests(void **state)
{
	struct vnc_config cfg = vt_config();
	struct fb_mode m;
	struct vtc *c;
	unsigned want;
	uint64_t u0;
	struct vt t;

	(void)state;
	vt_setup(&t, 320, 200, PIXMAN_x8r8g8b8, &cfg);
	c = vt_connect(&t, "tight");
	vt_expect_guest(&t, c, "initial");

	/* The server announces the screen layout after SetEncodings;
	 * libvncclient sends SetDesktopSize only once it has seen it. */
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS; vtc_rfb(c)->screen.width == 0;)
		assert_true(vtc_pump(c, 20) == 0 && vt_now_ms() < end);
	/* Accepted: the guest switches, the client follows. */
	assert_int_equal(vtc_request_size(c, 480, 360), 0);
	want = 1;
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS;
	     !vt_wait_input(&t, requests_at_least, &want, 10);)
		assert_true(vtc_pump(c, 20) == 0 && vt_now_ms() < end);
	m = fb_get_mode(t.fb);
	assert_int_equal(m.width, 480);
	assert_int_equal(m.height, 360);
	assert_int_equal(vtc_wait_size(c, 480, 360, VT_WAIT_MS), 0);
	vt_draw_random(&t, 77, 10);
	vt_expect_guest(&t, c, "after accepted request");

	/* Refused: nothing changes, the client gets an answer (an update). */
	pthread_mutex_lock(&t.in.lock);
	t.in.mode_answer = -EPERM;
	pthread_mutex_unlock(&t.in.lock);
	u0 = vtc_updates(c);
	assert_int_equal(vtc_request_size(c, 640, 480), 0);
	want = 2;
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS;
	     !vt_wait_input(&t, requests_at_least, &want, 10);)
		assert_true(vtc_pump(c, 20) == 0 && vt_now_ms() < end);
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS; vtc_updates(c) == u0;)
		assert_true(vtc_pump(c, 20) == 0 && vt_now_ms() < end);
	assert_int_equal(vtc_width(c), 480);
	assert_int_equal(vtc_height(c), 360);
	m = fb_get_mode(t.fb);
	assert_int_equal(m.width, 480);

	/* Too wide for VNC: refused without asking the guest. */
	u0 = vtc_updates(c);
	assert_int_equal(vtc_request_size(c, VNC_MAX_WIDTH_PX + 8, 100), 0);
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS; vtc_updates(c) == u0;)
		assert_true(vtc_pump(c, 20) == 0 && vt_now_ms() < end);
	pthread_mutex_lock(&t.in.lock);
	assert_int_equal(t.in.mode_requests, 2);
	pthread_mutex_unlock(&t.in.lock);
	assert_int_equal(vtc_width(c), 480);

	vtc_free(c);
	vt_teardown(&t);
}

static void test_unresizable_client_dropped(void **state)
{
	struct log_capture lc = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct vnc_config cfg = vt_config();
	struct vtc_options o;
	struct fb_mode m = { .width = 300, .height = 200, .format = PIXMAN_x8r8g8b8 };
	struct vtc *old, *good;
	char err[256];
	int rc = 0;
	struct vt t;

	(void)state;
	cfg.log = capture_log;
	cfg.log_opaque = &lc;
	vt_setup(&t, 200, 100, PIXMAN_x8r8g8b8, &cfg);
	o = vt_client_opts(&t, "raw");
	old = vtc_connect(&o, err, sizeof(err));
	assert_non_null(old);
	/* libvncclient always offers ExtendedDesktopSize: replace its
	 * encodings by Raw alone, as an old viewer would send. */
	{
		static const uint8_t raw_only[] = { rfbSetEncodings, 0, 0, 1, 0, 0, 0, 0 };

		assert_true(WriteToRFBServer(vtc_rfb(old), (char *)raw_only, sizeof(raw_only)));
	}
	good = vt_connect(&t, "raw");
	vt_expect_guest(&t, old, "old client before resize");
	assert_int_equal(fb_set_mode(t.fb, &m), 0);
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS; rc == 0;) {
		rc = vtc_pump(old, 20);
		assert_true(vt_now_ms() < end);
	}
	assert_int_equal(rc, -ECONNRESET);
	vt_expect_guest(&t, good, "resizable client after resize");
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS;
	     !log_contains(&lc, "supports neither DesktopSize nor ExtendedDesktopSize");)
		assert_true(vt_now_ms() < end && vtc_pump(good, 20) == 0);
	vtc_free(old);
	vtc_free(good);
	vt_teardown(&t);
}

/* A mode wider than VNC can serve: the server refuses to start on it, and
 * vnc_mode_check explains. */
static void test_too_wide(void **state)
{
	struct fb_mode wide = { .width = VNC_MAX_WIDTH_PX + 1,
				.height = 16,
				.format = PIXMAN_x8r8g8b8 };
	struct vnc_config cfg = vt_config();
	char err[256];
	struct vt t;

	(void)state;
	assert_int_equal(vnc_mode_check(&wide, err, sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "too wide for VNC"));
	vt_setup(&t, VNC_MAX_WIDTH_PX + 1, 16, PIXMAN_x8r8g8b8, NULL);
	assert_null(vnc_server_new(t.fb, &cfg, err, sizeof(err)));
	assert_int_equal(errno, E2BIG);
	assert_non_null(strstr(err, "too wide for VNC"));
	vt_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resize_under_load),
		cmocka_unit_test(test_client_requests),
		cmocka_unit_test(test_unresizable_client_dropped),
		cmocka_unit_test(test_too_wide),
	};

	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
