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
 *     its window equals the screendump, before and after a mode change;
 *   - clipboard text with non-ASCII characters both ways, through the X
 *     CLIPBOARD selection (xclip), against a libfbhost server in this
 *     process: UTF-8 with TigerVNC (Extended Clipboard), Latin-1 with
 *     Remmina, whose next picture must still be exact.
 *   - TigerVNC over VeNCrypt X509None against a server with a certificate
 *     and tls_only, trusting it with -X509CA: exact;
 *   - gvnccapture over VeNCrypt X509None and X509Vnc (password typed on
 *     a terminal), trusting the CA through nss_wrapper: exact; refused
 *     without the CA and with a wrong password.
 * libvncclient and noVNC are tested elsewhere (server-e2e, vnc-browser).
 * A viewer that is not installed is skipped; without Xvfb, xdotool or
 * ImageMagick the whole test is skipped (77).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fbhost.h"
#include "tests/server/server-pictures.h"
#include "tests/server/server-proc.h"
#include "tests/server/viewer-x11.h"

/* Bound of every wait (TigerVNC shows its "Press F8" notice over the
 * picture for a while after it connects). */
#define VW_WAIT_MS VX_WAIT_MS
#define VW_PATH_MAX VX_PATH_MAX

static struct sp_server srv;
static pid_t xvfb_pid = -1;
static char display[16];
/* The in-process server of the clipboard tests (libfbhost), when set:
 * the viewers connect to it instead of the fbhost program. */
static struct fbhost *inproc_host;
static struct fbhost_fb *inproc_fb;
/* Our files: logs, captures, screendumps, Remmina's home. */
static char dir[] = "/tmp/fbhost-viewers-XXXXXX";

/* Runs fbhost-ctl --socket SOCK a1 a2 a3: exit status; *out = stdout. */
static int ctl(char **out, const char *a1, const char *a2, const char *a3)
{
	const char *argv[] = {
		sp_program("FBHOST_CTL_EXE"), "--socket", srv.sock, a1, a2, a3, NULL
	};

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
	uint64_t end = vx_now_ms() + VW_WAIT_MS;

	snprintf(want, sizeof(want), " %ux%u ", w, h);
	for (;;) {
		assert_int_equal(ctl(&out, "list", NULL, NULL), 0);
		if (out && strstr(out, want)) {
			free(out);
			return;
		}
		if (vx_now_ms() > end)
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
	if (inproc_fb) {
		assert_int_equal(fbhost_screendump(inproc_fb, path), 0);
	} else {
		assert_int_equal(ctl(&out, "screendump", "main", path), 0);
		free(out);
	}
	assert_int_equal(pic_read_png(path, &px, w, h), 0);
	return px;
}

/*
 * Polls until window id shows exactly the screendump: the whole window
 * (exact = true, TigerVNC's window is the framebuffer) or somewhere inside
 * it (Remmina draws its toolbar around it). Fails after VW_WAIT_MS.
 */
static void expect_window(const char *id, bool exact, const char *what)
{
	uint64_t end = vx_now_ms() + VW_WAIT_MS;
	uint32_t gw = 0, gh = 0, ww = 0, wh = 0, ox, oy;
	long diff = -2;

	for (;;) {
		uint32_t *want = screendump(&ww, &wh);
		uint32_t *got = vx_capture_window(display, id, dir, &gw, &gh);
		bool ok = false;

		for (size_t i = 0; i < (size_t)ww * wh; i++)
			want[i] &= 0xffffffu;
		if (got && exact && gw == ww && gh == wh)
			ok = (diff = pic_diff(got, want, ww, wh)) == -1;
		else if (got && !exact)
			ok = vx_find_picture(got, gw, gh, want, ww, wh, &ox, &oy);
		free(want);
		free(got);
		if (ok)
			return;
		if (vx_now_ms() > end)
			fail_msg("%s: window %ux%u does not show the %ux%u screendump (first "
				 "differing pixel %ld)",
				 what, gw, gh, ww, wh, diff);
	}
}

/* The VNC port the viewers connect to. */
static int vnc_port(void)
{
	return inproc_fb ? fbhost_vnc_port(inproc_fb) : sp_vnc_port(&srv, 0);
}

static pid_t start_tigervnc(const char *encoding, const char *extra, char *id, size_t idlen)
{
	const char *vncviewer = vx_find_program("vncviewer");
	char server[32], enc[64], log[VW_PATH_MAX];
	const char *argv[12];
	unsigned n = 0;
	pid_t pid;

	if (!vncviewer)
		skip();
	snprintf(server, sizeof(server), "127.0.0.1::%d", vnc_port());
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
	pid = vx_spawn(argv, log);
	assert_true(pid > 0);
	if (vx_find_window("TigerVNC", id, idlen) != 0)
		fail_msg("no window named %s appeared", "TigerVNC");
	return pid;
}

static void test_tigervnc_encodings(void **state)
{
	static const char *const encodings[] = { "Raw", "ZRLE", "Hextile", "Tight" };
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
		vx_stop(pid);
	}
}

static void test_tigervnc_remote_resize(void **state)
{
	const char *argv[] = { vx_find_program("xdotool"), "windowsize", NULL, "560", "420", NULL };
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
	vx_stop(pid);
	set_mode("320x240:32");
}

/*
 * Runs gvnccapture once into dir/gvnccapture.png: its exit status; *out
 * gets what it printed. env: extra environment (gvnc_trust_ca's) or NULL;
 * password: typed at its prompt, or NULL. It runs on a terminal because it
 * reads a password only from one.
 */
static int run_gvnccapture(const char *const *env, const char *password, char **out)
{
	const char *gvnccapture = vx_find_program("gvnccapture");
	char target[32], path[VW_PATH_MAX];
	const char *argv[] = { gvnccapture, "--quiet", target, path, NULL };
	int port = vnc_port();

	if (!gvnccapture)
		skip();
	/* It takes a display number: port 5900 + N. */
	assert_true(port >= 5900);
	snprintf(target, sizeof(target), "127.0.0.1:%d", port - 5900);
	snprintf(path, sizeof(path), "%s/gvnccapture.png", dir);
	unlink(path);
	return sp_run_tty(argv, env, "Password: ", password, out, VW_WAIT_MS);
}

/* Runs gvnccapture until its PNG equals the screendump (a capture taken
 * while the guest still redraws after a mode change may not). */
static void expect_gvnccapture(const char *const *env, const char *password, const char *what)
{
	uint64_t end = vx_now_ms() + VW_WAIT_MS;
	char path[VW_PATH_MAX], *out = NULL;
	long diff = -2;
	int rc = -2;

	snprintf(path, sizeof(path), "%s/gvnccapture.png", dir);
	while (vx_now_ms() < end) {
		uint32_t *got = NULL, *want, gw = 0, gh = 0, ww, wh;

		free(out);
		rc = run_gvnccapture(env, password, &out);
		if (rc != 0)
			break;
		assert_int_equal(pic_read_png(path, &got, &gw, &gh), 0);
		want = screendump(&ww, &wh);
		diff = gw == ww && gh == wh ? pic_diff(got, want, ww, wh) : -2;
		free(got);
		free(want);
		if (diff == -1) {
			free(out);
			return;
		}
	}
	fail_msg("%s: gvnccapture exited with %d (%s), or its PNG differs from the screendump "
		 "(first differing pixel %ld)",
		 what, rc, out ? out : "", diff);
}

static void test_gvnccapture(void **state)
{
	(void)state;
	set_mode("320x240:32");
	expect_gvnccapture(NULL, NULL, "320x240 x8r8g8b8");
	set_mode("500x200:16");
	expect_gvnccapture(NULL, NULL, "500x200 r5g6b5");
	set_mode("320x240:32");
}

/* Starts Remmina on a profile for our server (quality 9 = lossless
 * encodings, 32-bit colour), with a private home. */
static pid_t start_remmina(char *id, size_t idlen)
{
	const char *remmina = vx_find_program("remmina");
	char profile[VW_PATH_MAX], home[VW_PATH_MAX], log[VW_PATH_MAX];
	const char *argv[] = { remmina, "-c", profile, NULL };
	FILE *f;
	pid_t pid;

	if (!remmina)
		skip();
	/* A UTF-8 locale, as on a desktop: Remmina converts clipboard text
	 * to the locale's charset. */
	setenv("LC_ALL", "C.UTF-8", 1);
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
		vnc_port());
	fclose(f);
	snprintf(log, sizeof(log), "%s/remmina.log", dir);
	pid = vx_spawn(argv, log);
	assert_true(pid > 0);
	if (vx_find_window("fbhost-remmina", id, idlen) != 0)
		fail_msg("no window named %s appeared", "fbhost-remmina");
	return pid;
}

static void test_remmina(void **state)
{
	char id[32];
	pid_t pid;

	(void)state;
	set_mode("320x240:32");
	pid = start_remmina(id, sizeof(id));
	expect_window(id, false, "Remmina 320x240");
	set_mode("288x200:16");
	expect_window(id, false, "Remmina after 288x200 r5g6b5");
	vx_stop(pid);
	set_mode("320x240:32");
}

/* Clipboard text the guest received: written by the VNC thread, read by
 * the test; lock protects text and count. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char text[256];
	unsigned count;
} guest_clip = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, "", 0 };

static void on_guest_clipboard(void *opaque, struct fbhost_fb *fb, const char *utf8, size_t len)
{
	(void)opaque;
	(void)fb;
	pthread_mutex_lock(&guest_clip.lock);
	if (len >= sizeof(guest_clip.text))
		len = sizeof(guest_clip.text) - 1;
	memcpy(guest_clip.text, utf8, len);
	guest_clip.text[len] = '\0';
	guest_clip.count++;
	pthread_cond_broadcast(&guest_clip.cond);
	pthread_mutex_unlock(&guest_clip.lock);
}

/*
 * The guest sends text until the X CLIPBOARD selection (read with xclip)
 * is want. Sent again on every poll: Remmina drops server text that comes
 * within 1 s of its start or of its own last clipboard transfer.
 */
static void expect_x_clipboard(const char *text, const char *want, const char *what)
{
	const char *argv[] = {
		vx_find_program("xclip"), "-o", "-selection", "clipboard", "-t", "UTF8_STRING", NULL
	};
	uint64_t end = vx_now_ms() + VW_WAIT_MS;

	for (;;) {
		char *out = NULL, *err = NULL;
		bool ok;

		fbhost_send_clipboard(inproc_fb, text, strlen(text));
		ok = sp_run(argv, &out, &err, VW_WAIT_MS) == 0 && out && !strcmp(out, want);
		if (ok) {
			free(out);
			free(err);
			return;
		}
		if (vx_now_ms() > end)
			fail_msg("%s: the X clipboard is \"%s\", not \"%s\" (xclip: %s)", what,
				 out ? out : "", want, err ? err : "");
		free(out);
		free(err);
	}
}

/* Owns the X CLIPBOARD selection with text (xclip in the foreground):
 * xclip's pid. */
static pid_t set_x_clipboard(const char *text)
{
	char path[VW_PATH_MAX], log[VW_PATH_MAX];
	const char *argv[] = {
		vx_find_program("xclip"), "-quiet", "-selection", "clipboard", "-i", path, NULL
	};
	FILE *f;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/clipboard.txt", dir);
	snprintf(log, sizeof(log), "%s/xclip.log", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	pid = vx_spawn(argv, log);
	assert_true(pid > 0);
	return pid;
}

/* How long one xclip owns the selection before the next takes over. */
#define VW_XCLIP_RETRY_MS 1500u

/*
 * Puts text on the X CLIPBOARD selection until the guest has received
 * want. A new owner every VW_XCLIP_RETRY_MS: Remmina drops a local change
 * within 1 s of the server's last text.
 */
static void expect_guest_clipboard(const char *text, const char *want, const char *what)
{
	uint64_t end = vx_now_ms() + VW_WAIT_MS;
	bool ok = false;

	while (!ok && vx_now_ms() < end) {
		pid_t xclip = set_x_clipboard(text);
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += VW_XCLIP_RETRY_MS / 1000;
		ts.tv_nsec += (long)(VW_XCLIP_RETRY_MS % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&guest_clip.lock);
		while (!(ok = !strcmp(guest_clip.text, want)))
			if (pthread_cond_timedwait(&guest_clip.cond, &guest_clip.lock, &ts) != 0)
				break;
		pthread_mutex_unlock(&guest_clip.lock);
		vx_stop(xclip);
	}
	if (!ok)
		fail_msg("%s: the guest's clipboard is \"%s\", not \"%s\"", what, guest_clip.text,
			 want);
}

/* Guest text: characters Latin-1 has (é, ü) and one it lacks (☃). */
#define GUEST_TEXT "caf\xc3\xa9 \xe2\x98\x83 \xc3\xbc"
/* The same through Latin-1, back in UTF-8. */
#define GUEST_TEXT_VIA_LATIN1 "caf\xc3\xa9 ? \xc3\xbc"
#define VIEWER_TEXT "na\xc3\xafve \xe2\x98\x83"
#define VIEWER_TEXT_VIA_LATIN1 "na\xc3\xafve ?"

/* A libfbhost server in this process, which can send clipboard text;
 * VNC options o, or NULL for the defaults on any free port. */
static void inproc_start(const struct fbhost_vnc_options *o)
{
	static const struct fbhost_input_callbacks cb = { .clipboard = on_guest_clipboard };
	static const struct fbhost_vnc_options defaults = { .port = FBHOST_PORT_ANY };

	inproc_host = fbhost_new(NULL);
	assert_non_null(inproc_host);
	inproc_fb = fbhost_fb_add(inproc_host, "clip", 160, 120, FBHOST_FORMAT_X8R8G8B8);
	assert_non_null(inproc_fb);
	fbhost_set_input(inproc_fb, &cb, NULL);
	assert_int_equal(fbhost_fill(inproc_fb, 0, 0, 160, 120, 0x204060), 0);
	assert_int_equal(fbhost_fill(inproc_fb, 20, 30, 50, 40, 0xffc000), 0);
	assert_int_equal(fbhost_enable_vnc(inproc_fb, o ? o : &defaults), 0);
}

static void inproc_stop(void)
{
	fbhost_free(inproc_host);
	inproc_host = NULL;
	inproc_fb = NULL;
}

static void test_clipboard_tigervnc(void **state)
{
	char id[32];
	pid_t pid;

	(void)state;
	if (!vx_find_program("xclip"))
		skip();
	inproc_start(NULL);
	pid = start_tigervnc("Raw", NULL, id, sizeof(id));
	expect_window(id, true, "TigerVNC on the clipboard server");
	/* Viewers take and send clipboard text only while focused. */
	assert_int_equal(vx_focus(id), 0);
	/* Extended Clipboard: UTF-8 both ways. */
	expect_x_clipboard(GUEST_TEXT, GUEST_TEXT, "guest to TigerVNC");
	assert_int_equal(fbhost_fill(inproc_fb, 60, 10, 30, 30, 0x00ff80), 0);
	expect_window(id, true, "TigerVNC after clipboard text");
	expect_guest_clipboard(VIEWER_TEXT, VIEWER_TEXT, "TigerVNC to the guest");
	vx_stop(pid);
	inproc_stop();
}

static void test_clipboard_remmina(void **state)
{
	char id[32];
	pid_t pid;

	(void)state;
	if (!vx_find_program("xclip"))
		skip();
	inproc_start(NULL);
	pid = start_remmina(id, sizeof(id));
	expect_window(id, false, "Remmina on the clipboard server");
	/* Viewers take and send clipboard text only while focused. */
	assert_int_equal(vx_focus(id), 0);
	/* libvncclient has no Extended Clipboard: Latin-1 both ways, and the
	 * stream stays in sync (the next picture is exact). */
	expect_x_clipboard(GUEST_TEXT, GUEST_TEXT_VIA_LATIN1, "guest to Remmina");
	assert_int_equal(fbhost_fill(inproc_fb, 60, 10, 30, 30, 0x00ff80), 0);
	expect_window(id, false, "Remmina after clipboard text");
	expect_guest_clipboard(VIEWER_TEXT, VIEWER_TEXT_VIA_LATIN1, "Remmina to the guest");
	vx_stop(pid);
	inproc_stop();
}

/* TigerVNC over VeNCrypt X509None against an in-process server with a
 * certificate and tls_only, trusting it with -X509CA: exact pixels. */
static void test_tigervnc_x509(void **state)
{
	const char *vncviewer = vx_find_program("vncviewer");
	char cert[VW_PATH_MAX], both[VW_PATH_MAX], ca[VW_PATH_MAX + 16];
	char server[32], log[VW_PATH_MAX], id[32];
	struct fbhost_vnc_options o = { .port = FBHOST_PORT_ANY,
					.cert_file = both,
					.tls_only = true };
	pid_t pid;

	(void)state;
	if (!vncviewer || vx_make_cert(dir, cert, both) != 0)
		skip();
	inproc_start(&o);
	snprintf(server, sizeof(server), "127.0.0.1::%d", vnc_port());
	snprintf(ca, sizeof(ca), "-X509CA=%s", cert);
	snprintf(log, sizeof(log), "%s/vncviewer-x509.log", dir);
	{
		const char *argv[] = { vncviewer,
				       "-SecurityTypes=X509None",
				       ca,
				       "-AutoSelect=0",
				       "-PreferredEncoding=ZRLE",
				       "-FullColor",
				       "-Shared",
				       server,
				       NULL };

		pid = vx_spawn(argv, log);
	}
	assert_true(pid > 0);
	if (vx_find_window("TigerVNC", id, sizeof(id)) != 0)
		fail_msg("no window named %s appeared", "TigerVNC");
	expect_window(id, true, "TigerVNC over VeNCrypt X509None");
}

/*
 * gvnccapture over VeNCrypt against an in-process server with a
 * certificate and tls_only, trusting the test's CA through nss_wrapper
 * (vx_gvnc_trust): X509None, then X509Vnc with the password typed at its
 * prompt, give exact pixels; without the CA, or with a wrong password,
 * it gets no picture.
 */
static void test_gvnccapture_x509(void **state)
{
	char cert[VW_PATH_MAX], both[VW_PATH_MAX], pw[VW_PATH_MAX + 16], png[VW_PATH_MAX + 16];
	char *out = NULL;
	struct fbhost_vnc_options o = { .port = FBHOST_PORT_ANY,
					.cert_file = both,
					.tls_only = true };
	struct vx_gvnc_env trust;
	FILE *f;

	(void)state;
	if (!vx_find_program("gvnccapture") || vx_make_cert(dir, cert, both) != 0)
		skip();
	if (vx_gvnc_trust(dir, cert, &trust) != 0) {
		fprintf(stderr, "nss_wrapper (libnss-wrapper) is not installed\n");
		skip();
	}
	snprintf(png, sizeof(png), "%s/gvnccapture.png", dir);
	inproc_start(&o);
	expect_gvnccapture(trust.env, NULL, "gvnccapture over VeNCrypt X509None");
	assert_int_equal(fbhost_fill(inproc_fb, 60, 10, 30, 30, 0x00ff80), 0);
	expect_gvnccapture(trust.env, NULL, "gvnccapture over X509None after a change");
	/* The system's store does not hold the test's CA. */
	assert_int_not_equal(run_gvnccapture(NULL, NULL, &out), 0);
	free(out);
	assert_int_not_equal(access(png, F_OK), 0);
	inproc_stop();

	snprintf(pw, sizeof(pw), "%s/tls-password", dir);
	f = fopen(pw, "w");
	assert_non_null(f);
	fputs("gvnc-pw1\n", f);
	fclose(f);
	o.password_file = pw;
	inproc_start(&o);
	expect_gvnccapture(trust.env, "gvnc-pw1", "gvnccapture over VeNCrypt X509Vnc");
	assert_int_not_equal(run_gvnccapture(trust.env, "wrong-pw", &out), 0);
	free(out);
	assert_int_not_equal(access(png, F_OK), 0);
}

static int group_setup(void **state)
{
	static const char *const args[] = { "--guest", "pattern", "--fb", "main:320x240", NULL };

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	if (sp_start(&srv, args) != 0) {
		fprintf(stderr, "fbhost did not start\n");
		return -1;
	}
	xvfb_pid = vx_start_xvfb(dir, display, sizeof(display));
	if (xvfb_pid < 0) {
		fprintf(stderr, "Xvfb did not start\n");
		return -1;
	}
	return 0;
}

/* After each test, also a failed one: no viewer or in-process server
 * left for the next. */
static int test_teardown(void **state)
{
	(void)state;
	vx_stop_all();
	if (inproc_host)
		inproc_stop();
	return 0;
}

static int group_teardown(void **state)
{
	const char *rm[] = { vx_find_program("rm"), "-rf", dir, NULL };

	(void)state;
	vx_stop(xvfb_pid);
	if (srv.pid)
		sp_stop(&srv);
	if (rm[0] && !getenv("VW_KEEP"))
		sp_run(rm, NULL, NULL, VW_WAIT_MS);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tigervnc_encodings, test_teardown),
		cmocka_unit_test_teardown(test_tigervnc_remote_resize, test_teardown),
		cmocka_unit_test_teardown(test_gvnccapture, test_teardown),
		cmocka_unit_test_teardown(test_remmina, test_teardown),
		cmocka_unit_test_teardown(test_clipboard_tigervnc, test_teardown),
		cmocka_unit_test_teardown(test_clipboard_remmina, test_teardown),
		cmocka_unit_test_teardown(test_tigervnc_x509, test_teardown),
		cmocka_unit_test_teardown(test_gvnccapture_x509, test_teardown),
	};
	static const char *const needed[] = { "Xvfb", "import", "xdotool" };

	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++)
		if (!vx_find_program(needed[i])) {
			fprintf(stderr, "%s is not installed: skipped\n", needed[i]);
			return 77;
		}
	if (getenv("VW_FILTER"))
		cmocka_set_test_filter(getenv("VW_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
