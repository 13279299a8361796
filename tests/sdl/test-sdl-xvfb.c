/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/sdl/test-sdl-xvfb.c - a real window on a private Xvfb (SDL's x11
 * driver): a screenshot of the X screen (xwd, decoded with ImageMagick's
 * convert to PPM) shows the guest's test pattern where the window is, and
 * the next picture after a change. Skipped (77) when Xvfb is not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sdl-test-util.h"
#include "sdl/sdl-window-test.h"
#include "sdl/sdl-window.h"

/* Display numbers tried for our Xvfb. */
#define XVFB_FIRST_DISPLAY 90
#define XVFB_LAST_DISPLAY 189
/* How often the start and the picture are polled while waiting, ms. */
#define XVFB_POLL_MS 50
#define XVFB_SCREEN_W 640
#define XVFB_SCREEN_H 480

static pid_t xvfb_pid = -1;
static int xvfb_display = -1;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static bool path_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static bool have_program(const char *name)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", name);
	return system(cmd) == 0;
}

/* Starts Xvfb on display n; true once its socket is there (bounded wait). */
static bool start_xvfb(int n)
{
	char disp[16], sock[64], lock[64], screen[32];
	snprintf(disp, sizeof(disp), ":%d", n);
	snprintf(sock, sizeof(sock), "/tmp/.X11-unix/X%d", n);
	snprintf(lock, sizeof(lock), "/tmp/.X%d-lock", n);
	snprintf(screen, sizeof(screen), "%dx%dx24", XVFB_SCREEN_W, XVFB_SCREEN_H);
	if (path_exists(sock) || path_exists(lock))
		return false; /* in use (or left over) */

	pid_t parent = getpid();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* Dies with the test, even when a sanitizer ends it abruptly. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
			_exit(127);
		int null = open("/dev/null", O_RDWR);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		unsetenv("LD_PRELOAD"); /* the X server is not the program under test */
		execlp("Xvfb", "Xvfb", disp, "-screen", "0", screen, "-nolisten", "tcp", "-noreset",
		       (char *)NULL);
		_exit(127);
	}
	uint64_t deadline = now_ms() + SDL_TEST_TIMEOUT_MS;
	while (now_ms() < deadline) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return false; /* exited: display taken meanwhile, try another */
		if (path_exists(sock)) {
			xvfb_pid = pid;
			xvfb_display = n;
			return true;
		}
		pause_ms(XVFB_POLL_MS);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return false;
}

static void stop_xvfb(void)
{
	if (xvfb_pid <= 0)
		return;
	kill(xvfb_pid, SIGTERM);
	waitpid(xvfb_pid, NULL, 0);
	xvfb_pid = -1;
}

/* Next number of a PPM header, skipping blanks and # comments; 0 at junk. */
static unsigned ppm_number(FILE *f)
{
	int c = fgetc(f);
	for (;;) {
		while (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			c = fgetc(f);
		if (c != '#')
			break;
		while (c != '\n' && c != EOF)
			c = fgetc(f);
	}
	unsigned v = 0;
	while (c >= '0' && c <= '9' && v < 100000) {
		v = v * 10 + (unsigned)(c - '0');
		c = fgetc(f);
	}
	return v; /* the one blank after the last number is consumed here */
}

/* Screenshot of the root window as tight x8r8g8b8, via xwd | convert. */
static uint32_t *grab_screen(uint32_t *width, uint32_t *height)
{
	char path[] = "/tmp/fbhost-sdl-xvfb-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "xwd -root -silent -display :%d | convert xwd:- -depth 8 ppm:%s",
		 xvfb_display, path);
	int rc = system(cmd);
	FILE *f = fopen(path, "rb");
	unlink(path);
	if (rc != 0 || !f) {
		if (f)
			fclose(f);
		return NULL;
	}
	unsigned w = 0, h = 0, maxval = 0;
	uint32_t *px = NULL;
	if (fgetc(f) == 'P' && fgetc(f) == '6')
		w = ppm_number(f), h = ppm_number(f), maxval = ppm_number(f);
	if (maxval == 255 && w && h && w <= 16384 && h <= 16384) {
		px = malloc((size_t)w * h * 4);
		assert_non_null(px);
		for (size_t i = 0; i < (size_t)w * h; i++) {
			uint8_t rgb[3];
			if (fread(rgb, 1, 3, f) != 3) {
				free(px);
				px = NULL;
				break;
			}
			px[i] = (uint32_t)rgb[0] << 16 | (uint32_t)rgb[1] << 8 | rgb[2];
		}
	}
	fclose(f);
	*width = w;
	*height = h;
	return px;
}

/* Polls screenshots until the guest picture shows at the window's place;
 * with centred, that place must be the screen's centre (a new window). */
static void assert_screen_shows(struct sdl_window *w, struct sdl_test_fb *t, bool centred)
{
	uint32_t ew, eh;
	uint32_t *want = sdl_test_expected(t, &ew, &eh);
	uint64_t deadline = now_ms() + SDL_TEST_TIMEOUT_MS;
	unsigned bad = ~0u;
	int x = 0, y = 0;

	while (bad && now_ms() < deadline) {
		uint32_t sw = 0, sh = 0;
		assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
		assert_int_equal(sdl_window_get_position(w, &x, &y, SDL_TEST_TIMEOUT_MS), 0);
		uint32_t *screen = grab_screen(&sw, &sh);
		assert_non_null(screen);
		assert_int_equal(sw, XVFB_SCREEN_W);
		assert_int_equal(sh, XVFB_SCREEN_H);
		if (x >= 0 && y >= 0 && x + ew <= sw && y + eh <= sh)
			bad = sdl_test_count_mismatch(screen, sw, x, y, want, ew, eh, 0xffffff);
		free(screen);
		if (bad)
			pause_ms(XVFB_POLL_MS * 4);
	}
	fprintf(stderr, "window at %d,%d: %u pixels differ\n", x, y, bad);
	assert_int_equal(bad, 0);
	if (centred) {
		/* SDL centres a new window. */
		assert_int_equal(x, (XVFB_SCREEN_W - (int)ew) / 2);
		assert_int_equal(y, (XVFB_SCREEN_H - (int)eh) / 2);
	}
	free(want);
}

static void test_window_on_xvfb(void **state)
{
	struct sdl_test_fb t;

	sdl_test_fb_init(&t, "xvfb", 200, 150, PIXMAN_x8r8g8b8);
	sdl_test_draw_pattern(&t, 9);
	struct sdl_window *w = sdl_window_new(t.fb, NULL);
	if (!w)
		fprintf(stderr, "sdl_window_new: %s\n", sdl_window_strerror());
	assert_non_null(w);
	sdl_test_settle(&t);
	assert_screen_shows(w, &t, true);

	/* A change reaches the screen too. */
	assert_int_equal(fb_fill_rect(t.fb, 40, 30, 16, 16, 0x00ff00ff), 0);
	sdl_test_settle(&t);
	assert_screen_shows(w, &t, false);

	/* A mode switch: the window takes the new size and shows the new mode. */
	struct fb_mode m = { 260, 190, 0, PIXMAN_r8g8b8 };
	assert_int_equal(fb_set_mode(t.fb, &m), 0);
	sdl_test_draw_pattern(&t, 10);
	sdl_test_settle(&t);
	assert_screen_shows(w, &t, false);

	/* The guest's cursor becomes the X11 window's cursor (xwd does not
	 * capture cursors: the count says SDL_SetCursor ran, and no refusal). */
	{
		uint32_t argb[12 * 12];
		struct sdl_window_stats st;

		for (unsigned i = 0; i < 12 * 12; i++)
			argb[i] = 0xff000000u | (i * 0x020304u);
		assert_int_equal(fb_cursor_define(t.fb, 12, 12, 1, 1, argb, 12 * 4), 0);
		sdl_test_settle(&t);
		assert_int_equal(sdl_window_flush(w, SDL_TEST_TIMEOUT_MS), 0);
		sdl_window_get_stats(w, &st);
		assert_int_equal(st.cursor_errors, 0);
		assert_true(st.cursors >= 1);
		assert_screen_shows(w, &t, false);
	}
	sdl_window_free(w);
	sdl_test_fb_fini(&t);
}

int main(void)
{
	if (!have_program("Xvfb")) {
		fprintf(stderr, "Xvfb is not installed: skipped\n");
		return 77;
	}
	if (!have_program("xwd") || !have_program("convert")) {
		fprintf(stderr, "xwd (x11-apps) and convert (imagemagick) are needed\n");
		return 1;
	}
	for (int n = XVFB_FIRST_DISPLAY; n <= XVFB_LAST_DISPLAY && xvfb_pid < 0; n++)
		start_xvfb(n);
	if (xvfb_pid < 0) {
		fprintf(stderr, "could not start Xvfb on any display :%d-:%d\n", XVFB_FIRST_DISPLAY,
			XVFB_LAST_DISPLAY);
		return 1;
	}
	char disp[16];
	snprintf(disp, sizeof(disp), ":%d", xvfb_display);
	setenv("DISPLAY", disp, 1);
	unsetenv("WAYLAND_DISPLAY");
	unsetenv("SDL_VIDEODRIVER");
	sdl_test_keep_off_session_bus();
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	/* Sanitizer builds keep Mesa's GL stack (llvmpipe under Xvfb) out of
	 * the process: it now and then leaks a little when SDL unloads it,
	 * which LeakSanitizer cannot suppress by name once the library is
	 * gone, and its worker threads synchronise in ways ThreadSanitizer
	 * cannot see in an uninstrumented library. The window is still a real
	 * X11 window; only the renderer is SDL's software one, with no GL
	 * behind the window surface. Normal builds use SDL's default renderer. */
	setenv("SDL_RENDER_DRIVER", "software", 1);
	setenv("SDL_FRAMEBUFFER_ACCELERATION", "0", 1);
#else
	unsetenv("SDL_RENDER_DRIVER");
#endif

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_on_xvfb),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	stop_xvfb();
	return rc;
}
