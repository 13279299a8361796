// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/vnc/test-vnc-browser.c - the real browser: noVNC from vnc/web in
 * Debian's headless Chromium, driven by playwright-core
 * (browser-driver.mjs). The canvas shows the guest's pixels, takes the new
 * size after a guest mode switch, and a click reaches the guest's input
 * handler. Skipped (77) without chromium, node or vnc/web/node_modules.
 */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/vnc/vnc-fixture.h"

#ifndef VT_SOURCE_DIR
#define VT_SOURCE_DIR "."
#endif
#define CHROMIUM "/usr/bin/chromium"
#define NODE "/usr/bin/node"
#define WEB_DIR VT_SOURCE_DIR "/vnc/web"
#define DRIVER VT_SOURCE_DIR "/tests/vnc/browser-driver.mjs"
/* One driver command, browser start-up included (sanitizers, 2 cores). */
#define DRIVER_REPLY_MS 90000u

extern char **environ;

struct driver {
	pid_t pid;
	int to, from;
	char buf[4096];
	size_t len;
};

static void driver_start(struct driver *d)
{
	int in[2], out[2];
	posix_spawn_file_actions_t fa;
	char *argv[] = { NODE, DRIVER, NULL };

	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	setenv("FBHOST_WEB_DIR", WEB_DIR, 1);
	setenv("CHROMIUM", CHROMIUM, 1);
	assert_int_equal(posix_spawn(&d->pid, NODE, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	d->to = in[1];
	d->from = out[0];
	d->len = 0;
}

/* Sends one command and waits (bounded) for its answer line. */
static void driver_cmd(struct driver *d, const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	uint64_t end = vt_now_ms() + DRIVER_REPLY_MS;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	print_message("browser: %s\n", cmd);
	strcat(cmd, "\n");
	assert_int_equal(write(d->to, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	for (;;) {
		char *nl = memchr(d->buf, '\n', d->len);
		struct pollfd p = { .fd = d->from, .events = POLLIN };
		uint64_t now = vt_now_ms();
		ssize_t n;

		if (nl) {
			*nl = '\0';
			if (strcmp(d->buf, "ok") != 0)
				fail_msg("browser driver: '%s' -> %s", cmd, d->buf);
			d->len -= (size_t)(nl + 1 - d->buf);
			memmove(d->buf, nl + 1, d->len);
			return;
		}
		if (now >= end)
			fail_msg("browser driver: no answer to '%s'", cmd);
		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		n = read(d->from, d->buf + d->len, sizeof(d->buf) - 1 - d->len);
		if (n <= 0)
			fail_msg("browser driver exited during '%s'", cmd);
		d->len += (size_t)n;
	}
}

static void driver_stop(struct driver *d)
{
	int status;
	uint64_t end = vt_now_ms() + DRIVER_REPLY_MS;

	if (write(d->to, "quit\n", 5) != 5)
		kill(d->pid, SIGKILL);
	close(d->to);
	while (waitpid(d->pid, &status, WNOHANG) == 0) {
		if (vt_now_ms() > end) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &status, 0);
			break;
		}
		usleep(20000);
	}
	close(d->from);
}

static bool clicked_at(struct vt_input *in, const void *arg)
{
	const int *xy = arg;

	return in->presses > 0 && in->px == xy[0] && in->py == xy[1];
}

static void test_browser(void **state)
{
	struct vnc_config cfg = vt_config();
	const int xy[2] = { 123, 77 };
	struct driver d;
	struct fb_mode m = { .width = 400, .height = 300, .format = PIXMAN_r5g6b5 };
	struct vt t;

	(void)state;
	cfg.web_port = VNC_WEB_PORT_ANY;
	vt_setup(&t, 320, 200, PIXMAN_x8r8g8b8, &cfg);
	assert_int_equal(fb_fill_rect(t.fb, 0, 0, 320, 200, 0x00204060), 0);
	assert_int_equal(fb_fill_rect(t.fb, 10, 20, 30, 40, 0x00ff8000), 0);
	assert_int_equal(fb_fill_rect(t.fb, 300, 180, 20, 20, 0x000000ff), 0);
	driver_start(&d);
	driver_cmd(&d, "open %s", vnc_server_url(t.vnc));
	driver_cmd(&d, "check_mime /viewer.js text/javascript");
	driver_cmd(&d, "check_mime /novnc/core/rfb.js text/javascript");
	driver_cmd(&d, "check_mime /viewer.html text/html");
	driver_cmd(&d, "wait_size 320 200");
	driver_cmd(&d, "wait_pixel 0 0 204060");
	driver_cmd(&d, "wait_pixel 15 25 ff8000");
	driver_cmd(&d, "wait_pixel 319 199 0000ff");
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
	driver_cmd(&d, "wait_size 400 300");
	driver_cmd(&d, "wait_pixel 5 5 ff0000");
	driver_cmd(&d, "wait_pixel 395 295 00ff00");

	/* A click reaches the guest's input handler at the same pixel. */
	driver_cmd(&d, "click %d %d", xy[0], xy[1]);
	if (!vt_wait_input(&t, clicked_at, xy, VT_WAIT_MS))
		fail_msg("click at %d,%d: guest saw %u presses, last at %d,%d", xy[0], xy[1],
			 t.in.presses, t.in.px, t.in.py);
	driver_stop(&d);
	vt_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_browser),
	};

	if (access(CHROMIUM, X_OK) || access(NODE, X_OK) ||
	    access(WEB_DIR "/node_modules/playwright-core/package.json", R_OK) ||
	    access(WEB_DIR "/node_modules/@novnc/novnc/core/rfb.js", R_OK)) {
		printf("skipped: needs %s, %s and 'npm install' in %s\n", CHROMIUM, NODE, WEB_DIR);
		return 77;
	}
	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
