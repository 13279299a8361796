/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-browser.c - the real browser: fbhost's viewer (vnc/web)
 * on noVNC in Debian's headless Chromium, driven by playwright-core
 * (browser-driver.mjs). The canvas shows the guest's pixels and follows a
 * guest mode switch; a click reaches the guest. Every viewer control has an
 * asserted effect: the pixels Chromium shows with scaling off and fit to the
 * window, remote resize following the window, clipboard text both ways,
 * Ctrl+Alt+Del, Ctrl+Alt+F5, Esc, Tab, Super and a sticky Ctrl as keysyms,
 * view-only input, the status overlay, the toolbar hiding and coming back,
 * fullscreen, settings remembered across page loads, disconnect and connect
 * by hand, the messages and the automatic reconnect when the server goes
 * away and comes back, and the password form with a wrong and a right
 * password. Skipped (77) without chromium, node or vnc/web/node_modules.
 */
#include <unistd.h>

#include "tests/common/browser-driver.h"
#include "tests/vnc/vnc-fixture.h"

#ifndef VT_SOURCE_DIR
#define VT_SOURCE_DIR "."
#endif
#define KEYLOG_MAX 64u
/* Keysyms (XK_*) come from LibVNCServer's rfb/keysym.h, through the fixture. */

/* Every key event the guest saw, in order (the fixture keeps the last). */
static struct keylog {
	pthread_mutex_t lock; /* protects all fields */
	pthread_cond_t cond;
	uint32_t sym[KEYLOG_MAX];
	bool down[KEYLOG_MAX];
	unsigned n;
} keys = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, { 0 }, { 0 }, 0 };

static void rec_key(void *o, uint32_t keysym, bool down)
{
	pthread_mutex_lock(&keys.lock);
	if (keys.n < KEYLOG_MAX) {
		keys.sym[keys.n] = keysym;
		keys.down[keys.n] = down;
		keys.n++;
	}
	pthread_cond_broadcast(&keys.cond);
	pthread_mutex_unlock(&keys.lock);
	vt_in_key(o, keysym, down);
}

static const struct fb_input_ops rec_ops = {
	.key = rec_key,
	.pointer = vt_in_pointer,
	.mode_request = vt_in_mode,
	.clipboard = vt_in_clip,
};

static void keys_reset(void)
{
	pthread_mutex_lock(&keys.lock);
	keys.n = 0;
	pthread_mutex_unlock(&keys.lock);
}

/* Waits (bounded) for n key events and checks them against want: keysym
 * and direction, in order, and nothing else. */
static void keys_expect(const char *what, const uint32_t *want_sym, const bool *want_down,
			unsigned n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += VT_WAIT_MS / 1000;
	pthread_mutex_lock(&keys.lock);
	while (keys.n < n)
		if (pthread_cond_timedwait(&keys.cond, &keys.lock, &ts) == ETIMEDOUT)
			break;
	if (keys.n != n) {
		unsigned got = keys.n;

		pthread_mutex_unlock(&keys.lock);
		fail_msg("%s: %u key events, want %u", what, got, n);
	}
	for (unsigned i = 0; i < n; i++)
		if (keys.sym[i] != want_sym[i] || keys.down[i] != want_down[i]) {
			uint32_t s = keys.sym[i];
			bool d = keys.down[i];

			pthread_mutex_unlock(&keys.lock);
			fail_msg("%s: event %u is %#x %s, want %#x %s", what, i, s,
				 d ? "down" : "up", want_sym[i], want_down[i] ? "down" : "up");
		}
	pthread_mutex_unlock(&keys.lock);
	keys.n = 0;
}

static bool clicked_at(struct vt_input *in, const void *arg)
{
	const int *xy = arg;

	return in->presses > 0 && in->px == xy[0] && in->py == xy[1];
}

static bool clip_is(struct vt_input *in, const void *arg)
{
	return in->clip_events > 0 && !strcmp(in->clip, arg);
}

static bool mode_is(struct vt_input *in, const void *arg)
{
	const uint32_t *wh = arg;
	struct fb_mode m = fb_get_mode(in->fb);

	return m.width == wh[0] && m.height == wh[1];
}

/* Four quadrants of distinct colours, large enough that their centres
 * stay exact under scaling. */
static void draw_quadrants(struct vt *t, uint32_t w, uint32_t h)
{
	assert_int_equal(fb_fill_rect(t->fb, 0, 0, (int)w / 2, (int)h / 2, 0x00ff0000), 0);
	assert_int_equal(
		fb_fill_rect(t->fb, (int)w / 2, 0, (int)(w - w / 2), (int)h / 2, 0x0000ff00), 0);
	assert_int_equal(
		fb_fill_rect(t->fb, 0, (int)h / 2, (int)w / 2, (int)(h - h / 2), 0x000000ff), 0);
	assert_int_equal(fb_fill_rect(t->fb, (int)w / 2, (int)h / 2, (int)(w - w / 2),
				      (int)(h - h / 2), 0x00ffff00),
			 0);
	fb_render_kick(t->render);
}

static void expect_quadrants(struct bd *d, const char *cmd, uint32_t w, uint32_t h)
{
	bd_cmd(d, "%s %u %u ff0000", cmd, w / 4, h / 4);
	bd_cmd(d, "%s %u %u 00ff00", cmd, w * 3 / 4, h / 4);
	bd_cmd(d, "%s %u %u 0000ff", cmd, w / 4, h * 3 / 4);
	bd_cmd(d, "%s %u %u ffff00", cmd, w * 3 / 4, h * 3 / 4);
}

static void test_browser(void **state)
{
	struct vnc_config cfg = vt_config();
	const int xy[2] = { 123, 77 };
	struct bd d;
	struct fb_mode m = { .width = 400, .height = 300, .format = PIXMAN_r5g6b5 };
	struct vt t;

	(void)state;
	cfg.web_port = VNC_WEB_PORT_ANY;
	vt_setup(&t, 320, 200, PIXMAN_x8r8g8b8, &cfg);
	assert_int_equal(fb_fill_rect(t.fb, 0, 0, 320, 200, 0x00204060), 0);
	assert_int_equal(fb_fill_rect(t.fb, 10, 20, 30, 40, 0x00ff8000), 0);
	assert_int_equal(fb_fill_rect(t.fb, 300, 180, 20, 20, 0x000000ff), 0);
	bd_start(&d, VT_SOURCE_DIR);
	bd_cmd(&d, "open %s", vnc_server_url(t.vnc));
	bd_cmd(&d, "check_mime /viewer.js text/javascript");
	bd_cmd(&d, "check_mime /viewer-keys.js text/javascript");
	bd_cmd(&d, "check_mime /novnc/core/rfb.js text/javascript");
	bd_cmd(&d, "check_mime /viewer.html text/html");
	bd_cmd(&d, "check_mime / text/html");
	bd_cmd(&d, "check_mime /api/framebuffers application/json");
	bd_cmd(&d, "wait_size 320 200");
	bd_cmd(&d, "wait_pixel 0 0 204060");
	bd_cmd(&d, "wait_pixel 15 25 ff8000");
	bd_cmd(&d, "wait_pixel 319 199 0000ff");
	{
		/* The browser is a WebSocket client with counters. */
		struct vnc_client_info ci;

		assert_int_equal(vnc_server_list_clients(t.vnc, &ci, 1), 1);
		print_message("browser client: %s, encoding %s, %llu updates, %llu bytes\n",
			      ci.address, ci.encoding, (unsigned long long)ci.updates,
			      (unsigned long long)ci.bytes_sent);
		assert_true(ci.websocket);
		assert_true(ci.updates >= 1);
		assert_true(ci.bytes_sent > 0);
	}

	/* Guest mode switch: the canvas follows. r5g6b5 colours chosen to
	 * convert exactly: 0xf800 -> ff0000, 0x07e0 -> 00ff00. */
	assert_int_equal(fb_set_mode(t.fb, &m), 0);
	assert_int_equal(fb_fill_rect(t.fb, 0, 0, 400, 300, 0xf800), 0);
	assert_int_equal(fb_fill_rect(t.fb, 390, 290, 10, 10, 0x07e0), 0);
	fb_render_kick(t.render);
	bd_cmd(&d, "wait_size 400 300");
	bd_cmd(&d, "wait_pixel 5 5 ff0000");
	bd_cmd(&d, "wait_pixel 395 295 00ff00");

	/* A click reaches the guest's input handler at the same pixel. */
	bd_cmd(&d, "click %d %d", xy[0], xy[1]);
	if (!vt_wait_input(&t, clicked_at, xy, VT_WAIT_MS))
		fail_msg("click at %d,%d: guest saw %u presses, last at %d,%d", xy[0], xy[1],
			 t.in.presses, t.in.px, t.in.py);
	bd_stop(&d);
	vt_teardown(&t);
}

/* Scaling, clipboard, keys, view-only, overlay, toolbar, fullscreen,
 * remembered settings, remote resize, then reconnect after a restart. */
static void test_viewer_controls(void **state)
{
	struct vnc_config cfg = vt_config();
	const uint32_t w = 400, h = 300;
	const uint32_t big[2] = { 800, 600 }, small[2] = { 640, 480 };
	const int first[2] = { 50, 50 }, second[2] = { 60, 70 };
	char url[512];
	unsigned presses;
	struct bd d;
	struct vt t;
	int port;

	(void)state;
	cfg.web_port = VNC_WEB_PORT_ANY;
	vt_setup(&t, w, h, PIXMAN_x8r8g8b8, &cfg);
	fb_set_input_handler(t.fb, &rec_ops, &t.in);
	draw_quadrants(&t, w, h);
	snprintf(url, sizeof(url), "%s&scale=off&stats=1&view_only=0", vnc_server_url(t.vnc));
	bd_start(&d, VT_SOURCE_DIR);
	bd_cmd(&d, "open %s", url);
	bd_cmd(&d, "viewport %u %u", big[0], big[1]);
	bd_cmd(&d, "wait_state connected");
	bd_cmd(&d, "wait_size %u %u", w, h);

	/* Scaling off: one framebuffer pixel per CSS pixel, as shown. */
	bd_cmd(&d, "wait_css_size %u %u", w, h);
	expect_quadrants(&d, "wait_shown_pixel", w, h);
	/* Fit to window: twice the size on screen, same pixels, same mode. */
	bd_cmd(&d, "select #scale fit");
	bd_cmd(&d, "wait_css_size %u %u", big[0], big[1]);
	expect_quadrants(&d, "wait_shown_pixel", w, h);
	bd_cmd(&d, "wait_size %u %u", w, h);

	/* The status overlay: mode, fps, latency, kB/s. */
	bd_cmd(&d, "wait_text #stats %ux%u", w, h);
	bd_cmd(&d, "wait_text #stats fps");
	bd_cmd(&d, "wait_text #stats kB/s");

	/* Clipboard both ways. */
	bd_cmd(&d, "click_sel #clipboard-toggle");
	bd_cmd(&d, "fill #clip-out hello from the browser");
	bd_cmd(&d, "click_sel #clip-send");
	if (!vt_wait_input(&t, clip_is, "hello from the browser", VT_WAIT_MS))
		fail_msg("clipboard: the guest got '%s'", t.in.clip);
	assert_int_equal(fb_send_clipboard(t.fb, "guest says hi", 13), 0);
	bd_cmd(&d, "wait_value #clip-in guest says hi");
	bd_cmd(&d, "click_sel #clipboard-toggle");

	/* Keys a browser cannot type, as keysyms in order. */
	bd_cmd(&d, "click_sel #keys-toggle");
	keys_reset();
	bd_cmd(&d, "click_sel [data-combo=ctrl-alt-del]");
	{
		const uint32_t s[] = { XK_Control_L, XK_Alt_L, XK_Delete,
				       XK_Delete,    XK_Alt_L, XK_Control_L };
		const bool dn[] = { true, true, true, false, false, false };

		keys_expect("Ctrl+Alt+Del", s, dn, 6);
	}
	bd_cmd(&d, "select #fkey F5");
	bd_cmd(&d, "click_sel #send-fkey");
	{
		const uint32_t s[] = {
			XK_Control_L, XK_Alt_L, XK_F5, XK_F5, XK_Alt_L, XK_Control_L
		};
		const bool dn[] = { true, true, true, false, false, false };

		keys_expect("Ctrl+Alt+F5", s, dn, 6);
	}
	bd_cmd(&d, "click_sel [data-key=Escape]");
	bd_cmd(&d, "click_sel [data-key=Super_L]");
	{
		const uint32_t s[] = { XK_Escape, XK_Escape, XK_Super_L, XK_Super_L };
		const bool dn[] = { true, false, true, false };

		keys_expect("Esc, Super", s, dn, 4);
	}
	/* Sticky Ctrl stays down around Tab until released. */
	bd_cmd(&d, "click_sel [data-sticky=Control_L]");
	bd_cmd(&d, "wait_attr [data-sticky=Control_L] aria-pressed true");
	bd_cmd(&d, "click_sel [data-key=Tab]");
	bd_cmd(&d, "click_sel [data-sticky=Control_L]");
	bd_cmd(&d, "wait_attr [data-sticky=Control_L] aria-pressed false");
	{
		const uint32_t s[] = { XK_Control_L, XK_Tab, XK_Tab, XK_Control_L };
		const bool dn[] = { true, true, false, false };

		keys_expect("sticky Ctrl + Tab", s, dn, 4);
	}
	bd_cmd(&d, "click_sel #keys-toggle");

	/* View-only drops the first click; the second, after it is off,
	 * arrives alone (one connection: events arrive in order). */
	presses = t.in.presses;
	bd_cmd(&d, "check #view-only on");
	bd_cmd(&d, "click %d %d", first[0], first[1]);
	bd_cmd(&d, "check #view-only off");
	bd_cmd(&d, "click %d %d", second[0], second[1]);
	if (!vt_wait_input(&t, clicked_at, second, VT_WAIT_MS))
		fail_msg("click after view-only: last press at %d,%d", t.in.px, t.in.py);
	pthread_mutex_lock(&t.in.lock);
	assert_int_equal(t.in.presses, presses + 1);
	pthread_mutex_unlock(&t.in.lock);

	/* The toolbar hides when unused and comes back at the top edge. */
	bd_cmd(&d, "mouse_move 400 400");
	bd_cmd(&d, "wait_class #toolbar hidden on");
	bd_cmd(&d, "mouse_move 400 4");
	bd_cmd(&d, "wait_class #toolbar hidden off");

	/* Fullscreen on and off. */
	bd_cmd(&d, "click_sel #fullscreen");
	bd_cmd(&d, "wait_attr body data-fullscreen 1");
	bd_cmd(&d, "click_sel #fullscreen");
	bd_cmd(&d, "wait_attr body data-fullscreen 0");

	/* Remote resize: the framebuffer follows the window. */
	bd_cmd(&d, "select #scale remote");
	if (!vt_wait_input(&t, mode_is, big, VT_WAIT_MS))
		fail_msg("remote resize: mode not %ux%u", big[0], big[1]);
	bd_cmd(&d, "wait_size %u %u", big[0], big[1]);
	bd_cmd(&d, "viewport %u %u", small[0], small[1]);
	if (!vt_wait_input(&t, mode_is, small, VT_WAIT_MS))
		fail_msg("remote resize: mode not %ux%u", small[0], small[1]);
	bd_cmd(&d, "wait_size %u %u", small[0], small[1]);
	draw_quadrants(&t, small[0], small[1]);
	expect_quadrants(&d, "wait_pixel", small[0], small[1]);

	/* Remembered: a link without settings gets the last ones. */
	bd_cmd(&d, "goto %s", vnc_server_url(t.vnc));
	bd_cmd(&d, "wait_state connected");
	bd_cmd(&d, "wait_value #scale remote");
	bd_cmd(&d, "wait_text #stats fps");

	/* Disconnect by hand: no reconnect; Connect again. */
	bd_cmd(&d, "click_sel #connect");
	bd_cmd(&d, "wait_state idle");
	bd_cmd(&d, "wait_text #message-text Disconnected.");
	bd_cmd(&d, "wait_text #connect Connect");
	bd_cmd(&d, "click_sel #connect");
	bd_cmd(&d, "wait_state connected");
	bd_cmd(&d, "wait_text #connect Disconnect");

	/* The server goes away: "lost", then "refused" while it is gone;
	 * it comes back on the same port and the viewer reconnects. */
	port = vnc_server_port(t.vnc);
	vnc_server_free(t.vnc);
	t.vnc = NULL;
	bd_cmd(&d, "wait_attr body data-lost 1");
	bd_cmd(&d, "wait_attr body data-lost-message Connection lost");
	bd_cmd(&d, "wait_text #message-text Connection refused");
	cfg.port = port;
	cfg.web_port = VNC_WEB_PORT_NONE;
	t.vnc = vnc_server_new(t.fb, &cfg, t.err, sizeof(t.err));
	if (!t.vnc)
		fail_msg("restart on port %d: %s", port, t.err);
	bd_cmd(&d, "wait_state connected");
	draw_quadrants(&t, small[0], small[1]);
	expect_quadrants(&d, "wait_pixel", small[0], small[1]);
	bd_stop(&d);
	vt_teardown(&t);
}

/* The password form: a wrong password is refused with a message and the
 * form comes back; the right one connects. */
static void test_viewer_password(void **state)
{
	struct vnc_config cfg = vt_config();
	char pw[] = "/tmp/fbhost-browser-pw-XXXXXX";
	struct bd d;
	struct vt t;
	int fd;

	(void)state;
	fd = mkstemp(pw);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cr3t\n", 7), 7);
	close(fd);
	cfg.password_file = pw;
	cfg.web_port = VNC_WEB_PORT_ANY;
	vt_setup(&t, 200, 100, PIXMAN_x8r8g8b8, &cfg);
	draw_quadrants(&t, 200, 100);
	bd_start(&d, VT_SOURCE_DIR);
	bd_cmd(&d, "open %s", vnc_server_url(t.vnc));
	bd_cmd(&d, "wait_state password");
	bd_cmd(&d, "wait_text #message-text needs a password");
	bd_cmd(&d, "fill #password wrong");
	bd_cmd(&d, "press Enter");
	bd_cmd(&d, "wait_text #message-text Wrong password");
	bd_cmd(&d, "wait_state password");
	bd_cmd(&d, "fill #password s3cr3t");
	bd_cmd(&d, "press Enter");
	bd_cmd(&d, "wait_state connected");
	expect_quadrants(&d, "wait_pixel", 200, 100);
	bd_stop(&d);
	vt_teardown(&t);
	unlink(pw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_browser),
		cmocka_unit_test(test_viewer_controls),
		cmocka_unit_test(test_viewer_password),
	};

	if (!bd_available(VT_SOURCE_DIR))
		return 77;
	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
