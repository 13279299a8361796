/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/test-server-e2e.c - the fbhost program end to end, on free
 * ports, with the pattern guest: a libvncclient viewer sees the exact test
 * card; "fbhost-ctl resize" changes the mode and the viewer gets the new
 * size and exact pixels; "fbhost-ctl screendump" writes a PNG equal to the
 * viewer's framebuffer; "stats" and "clients" report the viewer;
 * "disconnect" drops it; SIGTERM exits 0 and removes the control socket.
 * The tests run in order on one server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "tests/common/vnc-test-client.h"
#include "tests/server/server-pictures.h"
#include "tests/server/server-proc.h"

#define E2E_WAIT_MS 30000u
#define E2E_W0 320u
#define E2E_H0 240u

static struct sp_server srv;
static struct vtc *viewer;

/* Runs fbhost-ctl --socket SOCK args...: exit status; *out gets stdout. */
static int ctl(char **out, char **err, const char *a1, const char *a2, const char *a3)
{
	const char *argv[] = {
		sp_program("FBHOST_CTL_EXE"), "--socket", srv.sock, a1, a2, a3, NULL
	};

	return sp_run(argv, out, err, E2E_WAIT_MS);
}

static int group_setup(void **state)
{
	static const char *const args[] = { "--guest", "pattern", "--fb", "main:320x240", NULL };
	struct vtc_options o = { .encodings = "raw" };
	char err[256];

	(void)state;
	if (sp_start(&srv, args) != 0) {
		fprintf(stderr, "fbhost did not start\n");
		return -1;
	}
	o.port = sp_vnc_port(&srv, 0);
	if (o.port <= 0)
		return -1;
	viewer = vtc_connect(&o, err, sizeof(err));
	if (!viewer) {
		fprintf(stderr, "vtc_connect: %s\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	vtc_free(viewer);
	if (srv.pid)
		sp_stop(&srv);
	return 0;
}

static void test_initial_picture(void **state)
{
	uint32_t *want = pic_pattern(E2E_W0, E2E_H0, PIXMAN_x8r8g8b8);

	(void)state;
	if (vtc_wait_picture(viewer, want, E2E_W0, E2E_H0, E2E_W0, E2E_WAIT_MS) != 0)
		fail_msg("initial picture: %s", vtc_last_mismatch(viewer));
	free(want);
}

static void check_resize(uint32_t w, uint32_t h, const char *mode, pixman_format_code_t format,
			 const char *reply)
{
	char *out = NULL, *err = NULL;
	uint32_t *want;

	assert_int_equal(ctl(&out, &err, "resize", "0", mode), 0);
	assert_non_null(out);
	assert_string_equal(out, reply);
	free(out);
	free(err);
	if (vtc_wait_size(viewer, w, h, E2E_WAIT_MS) != 0)
		fail_msg("size after resize %s: %ux%u", mode, vtc_width(viewer),
			 vtc_height(viewer));
	want = pic_pattern(w, h, format);
	if (vtc_wait_picture(viewer, want, w, h, w, E2E_WAIT_MS) != 0)
		fail_msg("picture after resize %s: %s", mode, vtc_last_mismatch(viewer));
	free(want);
}

static void test_resize(void **state)
{
	char *out = NULL, *err = NULL;

	(void)state;
	/* the demo's mode cycle from the control socket (any guest) */
	assert_int_equal(ctl(&out, &err, "cycle", "0", NULL), 0);
	assert_string_equal(out, "0 main 640x480 c8\n");
	free(out);
	free(err);
	assert_int_equal(vtc_wait_size(viewer, 640, 480, E2E_WAIT_MS), 0);
	assert_int_equal(ctl(&out, &err, "cycle", "main", NULL), 0);
	assert_string_equal(out, "0 main 800x600 r5g6b5\n");
	free(out);
	free(err);
	assert_int_equal(vtc_wait_size(viewer, 800, 600, E2E_WAIT_MS), 0);

	check_resize(400, 300, "400x300:16", PIXMAN_r5g6b5, "0 main 400x300 r5g6b5\n");
	check_resize(640, 200, "640x200:x8r8g8b8", PIXMAN_x8r8g8b8, "0 main 640x200 x8r8g8b8\n");
	check_resize(256, 512, "256x512", PIXMAN_x8r8g8b8, "0 main 256x512 x8r8g8b8\n");
}

static void test_screendump(void **state)
{
	char path[SP_PATH_MAX + 16], *out = NULL, *err = NULL;
	uint32_t *png, w, h;
	long d;

	(void)state;
	snprintf(path, sizeof(path), "%s/shot.png", srv.dir);
	assert_int_equal(ctl(&out, &err, "screendump", "main", path), 0);
	free(out);
	free(err);
	assert_int_equal(pic_read_png(path, &png, &w, &h), 0);
	vtc_pump(viewer, 100);
	assert_int_equal(w, vtc_width(viewer));
	assert_int_equal(h, vtc_height(viewer));
	d = pic_diff(png, vtc_pixels(viewer), w, h);
	if (d >= 0)
		fail_msg("PNG differs from the viewer at (%ld,%ld): 0x%06x != 0x%06x", d % w, d / w,
			 png[d], vtc_pixels(viewer)[d] & 0xffffff);
	free(png);
	unlink(path);
}

static void test_stats_and_clients(void **state)
{
	char *out = NULL, *err = NULL;

	(void)state;
	assert_int_equal(ctl(&out, &err, "stats", "0", NULL), 0);
	assert_non_null(strstr(out, "fb 0 main 256x512 x8r8g8b8: ticks="));
	assert_non_null(strstr(out, " clients=1 "));
	assert_non_null(strstr(out, "\n  client "));
	assert_non_null(strstr(out, " 127.0.0.1:"));
	assert_null(strstr(out, " bytes_sent=0 "));
	free(out);
	free(err);

	assert_int_equal(ctl(&out, &err, "stats", "--json", NULL), 0);
	assert_non_null(strstr(out, "\"client_count\":1"));
	assert_non_null(strstr(out, "\"clients\":[{\"id\":"));
	assert_non_null(strstr(out, "\"encoding\":\"raw\""));
	free(out);
	free(err);

	assert_int_equal(ctl(&out, &err, "list", NULL, NULL), 0);
	assert_non_null(strstr(out, "0 main 256x512 x8r8g8b8 vnc=127.0.0.1:"));
	assert_non_null(strstr(out, " web=none clients=1 guest=detached tracking=damage\n"));
	free(out);
	free(err);
}

static void test_disconnect(void **state)
{
	char *out = NULL, *err = NULL;
	unsigned long long id;
	char idstr[32];
	unsigned i;
	int rc = 0;

	(void)state;
	assert_int_equal(ctl(&out, &err, "clients", "0", NULL), 0);
	assert_int_equal(sscanf(out, "%llu 127.0.0.1:", &id), 1);
	free(out);
	free(err);
	snprintf(idstr, sizeof(idstr), "%llu", id);
	assert_int_equal(ctl(&out, &err, "disconnect", "0", idstr), 0);
	free(out);
	free(err);
	for (i = 0; i < E2E_WAIT_MS / 100 && rc != -ECONNRESET; i++)
		rc = vtc_pump(viewer, 100);
	assert_int_equal(rc, -ECONNRESET);
	/* the same id is gone now */
	assert_int_equal(ctl(&out, &err, "disconnect", "0", idstr), 1);
	assert_non_null(strstr(err, "error: no client"));
	free(out);
	free(err);
}

static void test_sigterm(void **state)
{
	struct vtc_options o = { .encodings = "raw" };
	char err[256];
	unsigned i;
	int rc = 0;

	(void)state;
	/* a connected viewer is disconnected cleanly */
	o.port = sp_vnc_port(&srv, 0);
	vtc_free(viewer);
	viewer = vtc_connect(&o, err, sizeof(err));
	if (!viewer)
		fail_msg("vtc_connect: %s", err);
	assert_int_equal(vtc_wait_size(viewer, 256, 512, E2E_WAIT_MS), 0);
	assert_int_equal(access(srv.sock, F_OK), 0);
	assert_int_equal(sp_stop(&srv), 0);
	assert_false(srv.sock_left);
	for (i = 0; i < E2E_WAIT_MS / 100 && rc != -ECONNRESET; i++)
		rc = vtc_pump(viewer, 100);
	assert_int_equal(rc, -ECONNRESET);
}

/* GETs path from 127.0.0.1:port; returns the HTTP status or -1. */
static int http_status(int port, const char *path)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 10 };
	char req[256], buf[64] = "";
	int fd = socket(AF_INET, SOCK_STREAM, 0), status = -1;
	ssize_t n;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
		if (send(fd, req, strlen(req), MSG_NOSIGNAL) > 0 &&
		    (n = recv(fd, buf, sizeof(buf) - 1, MSG_WAITALL)) > 0) {
			buf[n] = '\0';
			sscanf(buf, "HTTP/%*s %d", &status);
		}
	}
	close(fd);
	return status;
}

/* Defaults: the control socket under $XDG_RUNTIME_DIR with mode 0600, what
 * is printed (VNC address, viewer URL that serves the viewer), SIGINT. */
static void test_defaults_and_sigint(void **state)
{
	static const char *const args[] = { "--guest", "none", NULL };
	char xdg[] = "/tmp/fbhost-e2e-xdg-XXXXXX";
	struct sp_server s = { .default_control = true, .web = true };
	struct stat st;
	char *out, *err, *url;

	(void)state;
	assert_non_null(mkdtemp(xdg));
	setenv("XDG_RUNTIME_DIR", xdg, 1);
	snprintf(s.sock, sizeof(s.sock), "%s/fbhost.sock", xdg);
	assert_int_equal(sp_start(&s, args), 0);
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(lstat(s.sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);

	out = sp_read_file(s.out);
	err = sp_read_file(s.err);
	assert_non_null(out);
	assert_non_null(strstr(
		out, "fbhost 0.1.0: 1 framebuffer, guest none\n  0 main 1024x768 x8r8g8b8\n"));
	assert_non_null(strstr(out, "\n    VNC:    127.0.0.1:"));
	assert_non_null(strstr(out, "fbhost.sock (fbhost-ctl --socket "));
	url = strstr(out, "\n    viewer: http://127.0.0.1:");
	if (url) {
		int port = atoi(url + strlen("\n    viewer: http://127.0.0.1:"));

		assert_non_null(strstr(url, "/viewer.html?"));
		assert_int_equal(http_status(port, "/viewer.html"), 200);
	} else {
		/* no noVNC in this tree: VNC alone, said so */
		assert_non_null(strstr(err, "no web viewer"));
	}
	free(out);
	free(err);

	assert_int_equal(sp_stop_signal(&s, SIGINT), 0);
	assert_false(s.sock_left);
	rmdir(xdg);
}

/* Whether 127.0.0.1:port can be bound right now. */
static bool port_free(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* A base port p with p, p+1 free and p+200, p+201 free too (probed, not
 * fixed; a race with another program only makes the start fail). */
static int free_port_pair(void)
{
	unsigned i;

	srand((unsigned)getpid());
	for (i = 0; i < 200; i++) {
		int p = 20000 + rand() % 30000;

		if (port_free(p) && port_free(p + 1) && port_free(p + 200) && port_free(p + 201))
			return p;
	}
	return -1;
}

/* Two framebuffers from the command line: VNC ports base and base+1, web
 * ports web and web+1; resizing one sends nothing to the other's viewer. */
static void test_two_framebuffers_program(void **state)
{
	struct sp_server s = { 0 };
	struct vtc_options o = { .encodings = "raw" };
	char vnc[32], web[16], want[128], *reply = NULL, err[256];
	const char *args[] = { "--guest", "pattern", "--fb",  "a:160x120", "--fb", "b:120x90:16",
			       "--vnc",	  vnc,	     "--web", web,	   NULL };
	uint32_t *pic;
	struct vtc *va, *vb;
	uint64_t b_updates;
	unsigned i, quiet;
	int base = free_port_pair();

	(void)state;
	assert_true(base > 0);
	snprintf(vnc, sizeof(vnc), "127.0.0.1:%d", base);
	snprintf(web, sizeof(web), "%d", base + 200);
	assert_int_equal(sp_start(&s, args), 0); /* sp_start's --vnc/--web come first */
	assert_int_equal(sp_request(s.sock, "list", &reply), 0);
	snprintf(want, sizeof(want), "0 a 160x120 x8r8g8b8 vnc=127.0.0.1:%d ", base);
	assert_non_null(strstr(reply, want));
	snprintf(want, sizeof(want), "1 b 120x90 r5g6b5 vnc=127.0.0.1:%d ", base + 1);
	assert_non_null(strstr(reply, want));
	if (!strstr(reply, "web=none")) {
		snprintf(want, sizeof(want), "web=http://127.0.0.1:%d/", base + 200);
		assert_non_null(strstr(reply, want));
		snprintf(want, sizeof(want), "web=http://127.0.0.1:%d/", base + 201);
		assert_non_null(strstr(reply, want));
	}
	free(reply);

	o.port = base;
	va = vtc_connect(&o, err, sizeof(err));
	o.port = base + 1;
	vb = vtc_connect(&o, err, sizeof(err));
	assert_non_null(va);
	assert_non_null(vb);
	pic = pic_pattern(160, 120, PIXMAN_x8r8g8b8);
	assert_int_equal(vtc_wait_picture(va, pic, 160, 120, 160, E2E_WAIT_MS), 0);
	free(pic);
	pic = pic_pattern(120, 90, PIXMAN_r5g6b5);
	assert_int_equal(vtc_wait_picture(vb, pic, 120, 90, 120, E2E_WAIT_MS), 0);
	free(pic);
	/* let b's trailing updates in: 600 ms without one (bounded) */
	for (i = 0, quiet = 0; i < E2E_WAIT_MS / 50 && quiet < 12; i++) {
		b_updates = vtc_updates(vb);
		vtc_pump(vb, 50);
		quiet = vtc_updates(vb) == b_updates ? quiet + 1 : 0;
	}
	assert_int_equal(quiet, 12);

	b_updates = vtc_updates(vb);
	assert_int_equal(sp_request(s.sock, "resize a 200x100", &reply), 0);
	free(reply);
	pic = pic_pattern(200, 100, PIXMAN_x8r8g8b8);
	if (vtc_wait_picture(va, pic, 200, 100, 200, E2E_WAIT_MS) != 0)
		fail_msg("a after resize: %s", vtc_last_mismatch(va));
	free(pic);
	for (i = 0; i < 10; i++)
		vtc_pump(vb, 50);
	assert_int_equal(vtc_updates(vb), b_updates);
	assert_int_equal(vtc_width(vb), 120);

	vtc_free(va);
	vtc_free(vb);
	assert_int_equal(sp_stop(&s), 0);
}

/* --password-file reaches the VNC server: a wrong password is refused,
 * the right one accepted. */
static void test_password_file(void **state)
{
	char pw[] = "/tmp/fbhost-e2e-pw-XXXXXX", err[256];
	const char *args[] = { "--guest", "none", "--password-file", pw, NULL };
	struct vtc_options o = { .encodings = "raw" };
	struct sp_server s = { 0 };
	struct vtc *v;
	int fd = mkstemp(pw);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret\n", 7), 7);
	close(fd);
	assert_int_equal(sp_start(&s, args), 0);
	o.port = sp_vnc_port(&s, 0);
	o.password = "wrong";
	v = vtc_connect(&o, err, sizeof(err));
	assert_null(v);
	o.password = "s3cret";
	v = vtc_connect(&o, err, sizeof(err));
	if (!v)
		fail_msg("right password refused: %s", err);
	assert_int_equal(vtc_wait_size(v, 1024, 768, E2E_WAIT_MS), 0);
	vtc_free(v);
	assert_int_equal(sp_stop(&s), 0);
	unlink(pw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial_picture),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_screendump),
		cmocka_unit_test(test_stats_and_clients),
		cmocka_unit_test(test_disconnect),
		cmocka_unit_test(test_sigterm),
		cmocka_unit_test(test_defaults_and_sigint),
		cmocka_unit_test(test_two_framebuffers_program),
		cmocka_unit_test(test_password_file),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
