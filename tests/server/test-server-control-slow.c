/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/test-server-control-slow.c - a slow control request holds up
 * only its own connection: while one client's screendump of the largest
 * framebuffer the limits allow (FB_DEFAULT_MAX_BYTES of c8 pixels, as wide
 * as VNC allows) is being written, another client's "list" is answered
 * within CONTROL_SLOW_LIST_MAX_MS. The issue this guards against (#18) saw
 * every other client wait for the whole screendump, seconds.
 *
 * A first screendump attaches the headless shadow; the timed one then only
 * copies and writes. It is known to be in progress when its file appears
 * (inotify) and its reply has not come yet; it must still be in progress
 * once "list" has been answered, so the two really overlapped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fb/fb.h"
#include "fb/clock.h"
#include "server/lib/fbhost.h"
#include "tests/server/server-proc.h"

/* The bound for "list" during another client's screendump. */
#define CONTROL_SLOW_LIST_MAX_MS 100u
/* Bounds for the screendump to start writing its file, and to finish. */
#define CONTROL_SLOW_START_MS 60000u
#define CONTROL_SLOW_DONE_MS 300000u
/* The largest framebuffer: c8 (one byte a pixel), VNC's widest, and as
 * many rows as FB_DEFAULT_MAX_BYTES holds. */
#define CONTROL_SLOW_W FBHOST_VNC_MAX_WIDTH_PX
#define CONTROL_SLOW_H ((unsigned)(FB_DEFAULT_MAX_BYTES / CONTROL_SLOW_W))

/* A connection to sock with the request sent (and our side shut down, so
 * that the server closes once it answered); the fd. */
static int send_request(const char *sock, const char *line)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	size_t len = strlen(line);

	assert_true(fd >= 0);
	assert_true(strlen(sock) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, sock, strlen(sock) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(send(fd, line, len, MSG_NOSIGNAL), (ssize_t)len);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	return fd;
}

/* Whether fd has something to read (or is closed) within timeout_ms. */
static bool readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) > 0;
}

/* Waits up to timeout_ms for a file named name to be created in the
 * directory inotify watches (fd): true once it is, false if the reply on
 * reply_fd comes first or the time is up. */
static bool wait_created(int fd, const char *name, int reply_fd, unsigned timeout_ms)
{
	struct timespec deadline = fb_clock_after_ms(timeout_ms);
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		long long left = fb_clock_ms_until(&deadline);
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = reply_fd, .events = POLLIN } };
		ssize_t n, o;

		if (left <= 0 || poll(p, 2, (int)left) <= 0 || p[1].revents)
			return false;
		n = read(fd, buf, sizeof(buf));
		for (o = 0; n > 0 && o < n;) {
			const struct inotify_event *ev = (const void *)(buf + o);

			if (ev->len && strcmp(ev->name, name) == 0)
				return true;
			o += (ssize_t)(sizeof(*ev) + ev->len);
		}
	}
}

/* Fails with what reply says (freed first, so that nothing leaks). */
static void fail_with_reply(const char *what, char *reply)
{
	char copy[512];

	snprintf(copy, sizeof(copy), "%s", reply ? reply : "none yet");
	free(reply);
	fail_msg("%s (reply \"%s\")", what, copy);
}

/* Reads the whole reply from fd (until the server's final line and close),
 * waiting up to timeout_ms; malloc'ed. */
static char *read_reply(int fd, unsigned timeout_ms)
{
	struct timespec deadline = fb_clock_after_ms(timeout_ms);
	size_t len = 0;
	char *buf = calloc(1, 4096);

	assert_non_null(buf);
	for (;;) {
		long long left = fb_clock_ms_until(&deadline);
		ssize_t n;

		if (left <= 0 || !readable(fd, (int)left))
			fail_with_reply("no whole reply in time", buf);
		n = recv(fd, buf + len, 4095 - len, 0);
		if (n <= 0 || (len += (size_t)n) == 4095)
			return buf;
	}
}

/* Attaches the headless shadow to "big" with a first screendump, so that
 * the timed one below only writes. The shadow's first picture is the whole
 * framebuffer: under a sanitizer on a loaded machine the render thread may
 * need longer for it than FBHOST_SCREENDUMP_TIMEOUT_MS, which the server
 * answers with an error while the shadow still catches up; then ask again,
 * within CONTROL_SLOW_START_MS. */
static void warm_up(const struct sp_server *srv)
{
	struct timespec deadline = fb_clock_after_ms(CONTROL_SLOW_START_MS);
	char line[2 * SP_PATH_MAX + 64], want[2 * SP_PATH_MAX + 64];

	snprintf(line, sizeof(line), "screendump big %s/warm.png\n", srv->dir);
	snprintf(want, sizeof(want), "%s/warm.png\nok\n", srv->dir);
	for (;;) {
		int fd = send_request(srv->sock, line);
		char *reply = read_reply(fd, CONTROL_SLOW_DONE_MS);

		close(fd);
		if (strcmp(reply, want) == 0) {
			free(reply);
			break;
		}
		if (!strstr(reply, "the render thread is too slow") ||
		    fb_clock_ms_until(&deadline) <= 0)
			fail_with_reply("the first screendump failed", reply);
		free(reply);
	}
	snprintf(line, sizeof(line), "%s/warm.png", srv->dir);
	unlink(line);
}

static void test_list_during_screendump(void **state)
{
	char mode[64], line[2 * SP_PATH_MAX + 64], want[2 * SP_PATH_MAX + 64];
	struct sp_server srv = { 0 };
	uint64_t t0, list_ms;
	char *reply;
	int dump_fd, watch;
	unsigned char ihdr[24];
	FILE *f;

	(void)state;
	snprintf(mode, sizeof(mode), "big:%ux%u:c8", CONTROL_SLOW_W, CONTROL_SLOW_H);
	assert_int_equal(sp_start(&srv, (const char *const[]){ "--guest", "pattern", "--fb", mode,
							       "--fb", "small:64x48", NULL }),
			 0);
	watch = inotify_init1(IN_CLOEXEC);
	assert_true(watch >= 0);
	assert_true(inotify_add_watch(watch, srv.dir, IN_CREATE) >= 0);
	warm_up(&srv);

	/* client 1: the screendump, in progress once its file appears */
	snprintf(line, sizeof(line), "screendump big %s/big.png\n", srv.dir);
	dump_fd = send_request(srv.sock, line);
	if (!wait_created(watch, "big.png", dump_fd, CONTROL_SLOW_START_MS))
		fail_with_reply("the screendump did not start writing in time",
				readable(dump_fd, 0) ? read_reply(dump_fd, CONTROL_SLOW_DONE_MS)
						     : NULL);
	assert_false(readable(dump_fd, 0));

	/* client 2: list, timed from connecting to the final line */
	t0 = fb_clock_now_ms();
	assert_int_equal(sp_request(srv.sock, "list", &reply), 0);
	list_ms = fb_clock_now_ms() - t0;
	snprintf(want, sizeof(want), "0 big %ux%u c8 ", CONTROL_SLOW_W, CONTROL_SLOW_H);
	assert_non_null(strstr(reply, want));
	assert_non_null(strstr(reply, "\n1 small 64x48 x8r8g8b8 "));
	free(reply);
	/* both overlapped: the screendump is still being written */
	if (readable(dump_fd, 0))
		fail_msg("the screendump finished before list was answered (%llu ms): "
			 "nothing overlapped",
			 (unsigned long long)list_ms);
	print_message("list answered in %llu ms during a %ux%u screendump\n",
		      (unsigned long long)list_ms, CONTROL_SLOW_W, CONTROL_SLOW_H);
	if (list_ms > CONTROL_SLOW_LIST_MAX_MS)
		fail_msg("list took %llu ms during another client's screendump (at most %u)",
			 (unsigned long long)list_ms, CONTROL_SLOW_LIST_MAX_MS);

	/* the screendump completes, with the whole picture */
	reply = read_reply(dump_fd, CONTROL_SLOW_DONE_MS);
	snprintf(want, sizeof(want), "%s/big.png\nok\n", srv.dir);
	if (strcmp(reply, want) != 0)
		fail_with_reply("the screendump failed", reply);
	free(reply);
	close(dump_fd);
	snprintf(line, sizeof(line), "%s/big.png", srv.dir);
	f = fopen(line, "rb");
	assert_non_null(f);
	assert_int_equal(fread(ihdr, 1, sizeof(ihdr), f), sizeof(ihdr));
	fclose(f);
	assert_int_equal(memcmp(ihdr + 12, "IHDR", 4), 0);
	assert_int_equal(ntohl(*(uint32_t *)(ihdr + 16)), CONTROL_SLOW_W);
	assert_int_equal(ntohl(*(uint32_t *)(ihdr + 20)), CONTROL_SLOW_H);
	unlink(line);

	close(watch);
	assert_true(sp_alive(&srv));
	assert_int_equal(sp_stop(&srv), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_during_screendump),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
