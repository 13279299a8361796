/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/test-server-viewers.c - the fbhost program with the pattern
 * guest against the VNC viewers Debian ships, on a private Xvfb:
 *   - TigerVNC's vncviewer: its window (captured with ImageMagick's import)
 *     equals "fbhost-ctl screendump" exactly, for Raw, ZRLE, Hextile and
 *     lossless Tight; after a live mode change from the server; after
 *     a resize it asks for itself (-DesktopSize at connect, then its window
 *     resized: RemoteResize sends SetDesktopSize);
 *   - gvnccapture (gtk-vnc): its PNG equals the screendump, before and
 *     after a mode change;
 *   - Remmina's VNC plugin (libvncclient inside): the framebuffer inside
 *     its window equals the screendump, before and after a mode change.
 * libvncclient and noVNC are tested elsewhere (server-e2e, vnc-browser).
 * A viewer that is not installed is skipped; without Xvfb, xdotool or
 * ImageMagick the whole test is skipped (77).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/server/server-pictures.h"
#include "tests/server/server-proc.h"

/* Bound of every wait: viewers start slowly on 2 shared cores, and
 * TigerVNC shows its "Press F8" notice over the picture for a while. */
#define VW_WAIT_MS 45000u
#define VW_STOP_MS 5000u
#define VW_XVFB_SCREEN "1280x1024x24"
#define VW_W0 320u
#define VW_H0 240u
#define VW_PATH_MAX 512u

static struct sp_server srv;
static pid_t xvfb_pid = -1;
static char display[16];
/* Our files: logs, captures, screendumps, Remmina's home. */
static char dir[] = "/tmp/fbhost-viewers-XXXXXX";

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Full path of a program on PATH (static storage per call slot), or NULL. */
static const char *find_program(const char *name)
{
	static char found[8][VW_PATH_MAX];
	static unsigned slot;
	const char *path = getenv("PATH");
	char *p;

	if (!path)
		return NULL;
	p = found[slot++ % 8];
	for (const char *d = path; *d;) {
		size_t n = strcspn(d, ":");

		snprintf(p, VW_PATH_MAX, "%.*s/%s", (int)n, d, name);
		if (n && access(p, X_OK) == 0)
			return p;
		d += n + (d[n] == ':');
	}
	return NULL;
}

/* Forks argv (a full path) with its output in log; the child dies with
 * the test. The pid, or -1. */
static pid_t spawn(const char *const *argv, const char *log)
{
	pid_t parent = getpid(), pid = fork();

	if (pid != 0)
		return pid;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
		_exit(127);
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int null = open("/dev/null", O_RDONLY);

	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (null >= 0)
		dup2(null, 0);
	unsetenv("LD_PRELOAD"); /* the viewers are not the program under test */
	execv(argv[0], (char *const *)argv);
	_exit(127);
}

/* SIGTERM, then SIGKILL after VW_STOP_MS. */
static void stop(pid_t pid)
{
	uint64_t end = now_ms() + VW_STOP_MS;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	while (waitpid(pid, NULL, WNOHANG) == 0) {
		struct timespec ts = {0, 20 * 1000000L};

		if (now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return;
		}
		nanosleep(&ts, NULL);
	}
}

/* Starts Xvfb on a display it picks (-displayfd); true once it serves. */
static bool start_xvfb(void)
{
	const char *xvfb = find_program("Xvfb");
	char fdarg[16], buf[16] = "";
	int pfd[2];
	size_t got = 0;
	uint64_t end = now_ms() + VW_WAIT_MS;

	if (!xvfb || pipe(pfd) != 0)
		return false;
	snprintf(fdarg, sizeof(fdarg), "%d", pfd[1]);
	{
		const char *argv[] = {xvfb,	      "-displayfd", fdarg, "-screen",  "0",
				      VW_XVFB_SCREEN, "-nolisten",  "tcp", "-noreset", NULL};
		char log[VW_PATH_MAX];

		snprintf(log, sizeof(log), "%s/xvfb.log", dir);
		xvfb_pid = spawn(argv, log);
	}
	close(pfd[1]);
	/* It writes the display number and a newline once it is ready. */
	while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
		struct pollfd p = {.fd = pfd[0], .events = POLLIN};
		uint64_t now = now_ms();
		ssize_t n;

		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
			break;
		n = read(pfd[0], buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
	}
	close(pfd[0]);
	if (!memchr(buf, '\n', got))
		return false;
	buf[strcspn(buf, "\n")] = '\0';
	snprintf(display, sizeof(display), ":%s", buf);
	setenv("DISPLAY", display, 1);
	return true;
}

/* Runs fbhost-ctl --socket SOCK a1 a2 a3: exit status; *out = stdout. */
static int ctl(char **out, const char *a1, const char *a2, const char *a3)
{
	const char *argv[] = {sp_program("FBHOST_CTL_EXE"), "--socket", srv.sock, a1, a2, a3, NULL};

	return sp_run(argv, out, NULL, VW_WAIT_MS);
}

/* Sets the mode of framebuffer 0 ("WxH:FORMAT"). */
static void set_mode(const char *mode)
{
	char *out = NULL;

	assert_int_equal(ctl(&out, "resize", "0", mode), 0);
	free(out);
}

/* Waits until framebuffer 0 is w x h (a viewer asked for it). */
static void wait_mode(uint32_t w, uint32_t h)
{
	char want[32], *out = NULL;
	uint64_t end = now_ms() + VW_WAIT_MS;

	snprintf(want, sizeof(want), " %ux%u ", w, h);
	for (;;) {
		assert_int_equal(ctl(&out, "list", NULL, NULL), 0);
		if (out && strstr(out, want)) {
			free(out);
			return;
		}
		if (now_ms() > end)
			fail_msg("mode is not %ux%u: %s", w, h, out ? out : "");
		free(out);
		out = NULL;
	}
}

/* What the viewers must show: the screendump, as x8r8g8b8. */
static uint32_t *screendump(uint32_t *w, uint32_t *h)
{
	char path[VW_PATH_MAX], *out = NULL;
	uint32_t *px = NULL;

	snprintf(path, sizeof(path), "%s/screendump.png", dir);
	assert_int_equal(ctl(&out, "screendump", "main", path), 0);
	free(out);
	assert_int_equal(pic_read_png(path, &px, w, h), 0);
	return px;
}

/* Captures X window id into a PNG and reads it; NULL if it failed (the
 * window may be changing). */
static uint32_t *capture_window(const char *id, uint32_t *w, uint32_t *h)
{
	char path[VW_PATH_MAX], dst[VW_PATH_MAX + 8];
	uint32_t *px = NULL;
	const char *argv[] = {
	    find_program("import"), "-display", display, "-window", id, dst, NULL};

	snprintf(path, sizeof(path), "%s/window.png", dir);
	snprintf(dst, sizeof(dst), "png:%s", path);
	if (!argv[0] || sp_run(argv, NULL, NULL, VW_WAIT_MS) != 0 ||
	    pic_read_png(path, &px, w, h) != 0)
		return NULL;
	return px;
}

/* Where want (ww x wh) lies exactly inside got (gw x gh): true with the
 * offset in *ox, *oy. */
static bool find_picture(const uint32_t *got, uint32_t gw, uint32_t gh, const uint32_t *want,
			 uint32_t ww, uint32_t wh, uint32_t *ox, uint32_t *oy)
{
	for (uint32_t y = 0; y + wh <= gh; y++)
		for (uint32_t x = 0; x + ww <= gw; x++) {
			bool same = true;

			for (uint32_t r = 0; same && r < wh; r++)
				same = !memcmp(got + (size_t)(y + r) * gw + x,
					       want + (size_t)r * ww, (size_t)ww * 4);
			if (same) {
				*ox = x;
				*oy = y;
				return true;
			}
		}
	return false;
}

/*
 * Polls until window id shows exactly the screendump: the whole window
 * (exact = true, TigerVNC's window is the framebuffer) or somewhere inside
 * it (Remmina draws its toolbar around it). Fails after VW_WAIT_MS.
 */
static void expect_window(const char *id, bool exact, const char *what)
{
	uint64_t end = now_ms() + VW_WAIT_MS;
	uint32_t gw = 0, gh = 0, ww = 0, wh = 0, ox, oy;
	long diff = -2;

	for (;;) {
		uint32_t *want = screendump(&ww, &wh);
		uint32_t *got = capture_window(id, &gw, &gh);
		bool ok = false;

		for (size_t i = 0; got && i < (size_t)gw * gh; i++)
			got[i] &= 0xffffffu;
		for (size_t i = 0; i < (size_t)ww * wh; i++)
			want[i] &= 0xffffffu;
		if (got && exact && gw == ww && gh == wh)
			ok = (diff = pic_diff(got, want, ww, wh)) == -1;
		else if (got && !exact)
			ok = find_picture(got, gw, gh, want, ww, wh, &ox, &oy);
		free(want);
		free(got);
		if (ok)
			return;
		if (now_ms() > end)
			fail_msg("%s: window %ux%u does not show the %ux%u screendump (first "
				 "differing pixel %ld)",
				 what, gw, gh, ww, wh, diff);
	}
}

/* Waits until one window has a name containing name: its id. */
static void find_window(const char *name, char *id, size_t len)
{
	const char *argv[] = {
	    find_program("xdotool"), "search", "--onlyvisible", "--name", name, NULL};
	uint64_t end = now_ms() + VW_WAIT_MS;

	for (;;) {
		char *out = NULL;

		if (sp_run(argv, &out, NULL, VW_WAIT_MS) == 0 && out && out[0]) {
			out[strcspn(out, "\n")] = '\0';
			snprintf(id, len, "%s", out);
			free(out);
			return;
		}
		free(out);
		if (now_ms() > end)
			fail_msg("no window named %s appeared", name);
	}
}

static pid_t start_tigervnc(const char *encoding, const char *extra, char *id, size_t idlen)
{
	const char *vncviewer = find_program("vncviewer");
	char server[32], enc[64], log[VW_PATH_MAX];
	const char *argv[12];
	unsigned n = 0;
	pid_t pid;

	if (!vncviewer)
		skip();
	snprintf(server, sizeof(server), "127.0.0.1::%d", sp_vnc_port(&srv, 0));
	snprintf(enc, sizeof(enc), "-PreferredEncoding=%s", encoding);
	snprintf(log, sizeof(log), "%s/vncviewer-%s.log", dir, encoding);
	argv[n++] = vncviewer;
	argv[n++] = "-AutoSelect=0"; /* keep the encoding and full colour */
	argv[n++] = enc;
	argv[n++] = "-FullColor";
	argv[n++] = "-NoJPEG"; /* lossless Tight */
	argv[n++] = "-Shared";
	if (extra)
		argv[n++] = extra;
	argv[n++] = server;
	argv[n] = NULL;
	pid = spawn(argv, log);
	assert_true(pid > 0);
	find_window("TigerVNC", id, idlen);
	return pid;
}

static void test_tigervnc_encodings(void **state)
{
	static const char *const encodings[] = {"Raw", "ZRLE", "Hextile", "Tight"};
	char id[32];

	(void)state;
	set_mode("320x240:32");
	for (size_t i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++) {
		pid_t pid = start_tigervnc(encodings[i], NULL, id, sizeof(id));

		expect_window(id, true, encodings[i]);
		if (i == 0) {
			/* Live mode changes from the server side. */
			set_mode("400x300:16");
			expect_window(id, true, "Raw after 400x300 r5g6b5");
			set_mode("352x288:c8");
			expect_window(id, true, "Raw after 352x288 c8");
			set_mode("320x240:32");
			expect_window(id, true, "Raw after 320x240 x8r8g8b8");
		}
		stop(pid);
	}
}

static void test_tigervnc_remote_resize(void **state)
{
	const char *argv[] = {find_program("xdotool"), "windowsize", NULL, "560", "420", NULL};
	char id[32];
	pid_t pid;

	(void)state;
	set_mode("320x240:32");
	/* It asks for its size at connect: SetDesktopSize after the server's
	 * ExtendedDesktopSize. */
	pid = start_tigervnc("ZRLE", "-DesktopSize=480x360", id, sizeof(id));
	wait_mode(480, 360);
	expect_window(id, true, "TigerVNC -DesktopSize=480x360");
	/* Its window resized: RemoteResize follows. */
	argv[2] = id;
	assert_int_equal(sp_run(argv, NULL, NULL, VW_WAIT_MS), 0);
	wait_mode(560, 420);
	expect_window(id, true, "TigerVNC window resized to 560x420");
	stop(pid);
	set_mode("320x240:32");
}

/* gvnccapture's PNG against the screendump. */
static void expect_gvnccapture(const char *what)
{
	const char *gvnccapture = find_program("gvnccapture");
	char target[32], path[VW_PATH_MAX];
	const char *argv[] = {gvnccapture, "--quiet", target, path, NULL};
	uint32_t *got, *want, gw, gh, ww, wh;
	int port = sp_vnc_port(&srv, 0);

	if (!gvnccapture)
		skip();
	/* It takes a display number: port 5900 + N. */
	assert_true(port >= 5900);
	snprintf(target, sizeof(target), "127.0.0.1:%d", port - 5900);
	snprintf(path, sizeof(path), "%s/gvnccapture.png", dir);
	assert_int_equal(sp_run(argv, NULL, NULL, VW_WAIT_MS), 0);
	assert_int_equal(pic_read_png(path, &got, &gw, &gh), 0);
	want = screendump(&ww, &wh);
	assert_int_equal(gw, ww);
	assert_int_equal(gh, wh);
	if (pic_diff(got, want, ww, wh) != -1)
		fail_msg("%s: gvnccapture differs from the screendump at pixel %ld", what,
			 pic_diff(got, want, ww, wh));
	free(got);
	free(want);
}

static void test_gvnccapture(void **state)
{
	(void)state;
	set_mode("320x240:32");
	expect_gvnccapture("320x240 x8r8g8b8");
	set_mode("500x200:16");
	expect_gvnccapture("500x200 r5g6b5");
	set_mode("320x240:32");
}

static void test_remmina(void **state)
{
	const char *remmina = find_program("remmina");
	char profile[VW_PATH_MAX], home[VW_PATH_MAX], log[VW_PATH_MAX], id[32];
	const char *argv[] = {remmina, "-c", profile, NULL};
	FILE *f;
	pid_t pid;

	(void)state;
	if (!remmina)
		skip();
	set_mode("320x240:32");
	/* A private home; quality 9 = lossless encodings, 32-bit colour. */
	snprintf(home, sizeof(home), "%s/remmina-home", dir);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	setenv("XDG_CONFIG_HOME", home, 1);
	setenv("XDG_DATA_HOME", home, 1);
	snprintf(profile, sizeof(profile), "%s/fbhost.remmina", dir);
	f = fopen(profile, "w");
	assert_non_null(f);
	fprintf(f,
		"[remmina]\nname=fbhost-remmina\nprotocol=VNC\nserver=127.0.0.1:%d\n"
		"colordepth=32\nquality=9\nscale=0\nviewmode=1\nshowcursor=0\n",
		sp_vnc_port(&srv, 0));
	fclose(f);
	snprintf(log, sizeof(log), "%s/remmina.log", dir);
	pid = spawn(argv, log);
	assert_true(pid > 0);
	find_window("fbhost-remmina", id, sizeof(id));
	expect_window(id, false, "Remmina 320x240");
	set_mode("288x200:16");
	expect_window(id, false, "Remmina after 288x200 r5g6b5");
	stop(pid);
	set_mode("320x240:32");
}

static int group_setup(void **state)
{
	static const char *const args[] = {"--guest", "pattern", "--fb", "main:320x240", NULL};

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	if (sp_start(&srv, args) != 0) {
		fprintf(stderr, "fbhost did not start\n");
		return -1;
	}
	if (!start_xvfb()) {
		fprintf(stderr, "Xvfb did not start\n");
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	const char *rm[] = {find_program("rm"), "-rf", dir, NULL};

	(void)state;
	stop(xvfb_pid);
	if (srv.pid)
		sp_stop(&srv);
	if (rm[0] && !getenv("VW_KEEP"))
		sp_run(rm, NULL, NULL, VW_WAIT_MS);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tigervnc_encodings),
	    cmocka_unit_test(test_tigervnc_remote_resize),
	    cmocka_unit_test(test_gvnccapture),
	    cmocka_unit_test(test_remmina),
	};
	static const char *const needed[] = {"Xvfb", "import", "xdotool"};

	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (!find_program(needed[i])) {
			fprintf(stderr, "%s is not installed: skipped\n", needed[i]);
			return 77;
		}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
