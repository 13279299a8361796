/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/test-server-bad-input.c - bad input to the fbhost program:
 *   - every option with a bad value: exit status 2 and one clear line on
 *     stderr naming the problem, nothing served;
 *   - start-up failures (VNC port taken, control socket served by another
 *     fbhost): exit status 1 and a clear line;
 *   - every control command with one argument too many: the exact
 *     "error: unexpected argument" reply, and nothing done;
 *   - every control command with bad arguments, a 1 MiB line, binary
 *     garbage and too many connections: an "error: ..." reply each, while
 *     the server keeps serving a VNC viewer the exact picture, and exits 0
 *     on SIGTERM (no crash under ASan: a crash would change the status).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "server/app/control-server.h"
#include "tests/common/vnc-test-client.h"
#include "tests/server/server-pictures.h"
#include "tests/server/server-proc.h"

#define BAD_WAIT_MS 30000u

/* A command line and a piece of the one error line it must print. */
static const struct {
	const char *args[5];
	const char *error;
} bad_options[] = {
	{ { "--bogus" }, "fbhost: unknown option --bogus" },
	{ { "--fb" }, "needs a value" },
	{ { "--fb", "nocolon" }, "--fb: bad framebuffer" },
	{ { "--fb", "1:10x10" }, "must not be all digits" },
	{ { "--fb", "a:0x0" }, "--fb: bad size" },
	{ { "--fb", "a:20000x10" }, "each 1..16384" },
	{ { "--fb", "a:10x10:yuv" }, "unknown format \"yuv\"" },
	{ { "--fb", "a:8x8", "--fb", "a:9x9" }, "used twice" },
	{ { "--guest", "tetris" }, "unknown guest \"tetris\"" },
	{ { "--guest", "pattern:x", "--vnc", "127.0.0.1:0" }, "fbhost: --guest: " },
	{ { "--guest", "bench:nonsense", "--vnc", "127.0.0.1:0" }, "fbhost: --guest: " },
	{ { "--vnc", "999.1.1.1:5900" }, "bad VNC host" },
	{ { "--vnc", "127.0.0.1:70000" }, "bad VNC port" },
	{ { "--vnc", ":x" }, "bad display" },
	{ { "--vnc", "*:0" }, "--vnc: listening on * needs --password-file" },
	{ { "--web", "-1" }, "--web: bad port" },
	{ { "--vnc", "none", "--web", "0" }, "--web needs VNC" },
	{ { "--rate", "0" }, "--rate: bad rate" },
	{ { "--rate", "1001" }, "--rate: bad rate" },
	{ { "--log-level", "chatty" }, "--log-level: unknown level" },
	{ { "--password-file", "/nonexistent/pw" }, "--password-file: cannot read" },
	{ { "--cert", "/nonexistent/c.pem" }, "--cert: cannot read" },
	{ { "--control", "" }, "--control: path must be" },
	{ { "extra" }, "unexpected argument" },
};

static void test_bad_options(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_options) / sizeof(bad_options[0]); i++) {
		const char *argv[12] = { sp_program("FBHOST_EXE"), "--control", "none" };
		char *out = NULL, *err = NULL;
		int n = 3, j, rc;

		for (j = 0; j < 5 && bad_options[i].args[j]; j++)
			argv[n++] = bad_options[i].args[j];
		rc = sp_run(argv, &out, &err, BAD_WAIT_MS);
		if (rc != 2 || !err || !strstr(err, bad_options[i].error))
			fail_msg("fbhost %s %s: status %d, stderr \"%s\", want \"%s\"", argv[3],
				 n > 4 ? argv[4] : "", rc, err ? err : "", bad_options[i].error);
		/* exactly one line, and nothing served */
		assert_non_null(strchr(err, '\n'));
		assert_null(strchr(err, '\n') + 1 == err + strlen(err) ? NULL : "more lines");
		assert_string_equal(out, "");
		free(out);
		free(err);
	}
}

/* Binds a loopback port so that fbhost cannot: returns the fd, *port set. */
static int occupy_port(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void test_start_failures(void **state)
{
	char vnc[64], *out = NULL, *err = NULL;
	struct sp_server first = { 0 };
	int port, fd, rc;

	(void)state;
	fd = occupy_port(&port);
	snprintf(vnc, sizeof(vnc), "127.0.0.1:%d", port);
	{
		const char *argv[] = { sp_program("FBHOST_EXE"),
				       "--control",
				       "none",
				       "--guest",
				       "none",
				       "--web",
				       "none",
				       "--vnc",
				       vnc,
				       NULL };

		rc = sp_run(argv, &out, &err, BAD_WAIT_MS);
	}
	close(fd);
	if (rc != 1 || !strstr(err, "VNC"))
		fail_msg("port in use: status %d, stderr \"%s\"", rc, err ? err : "");
	free(out);
	free(err);

	/* a second server on the same control socket is refused; the first
	 * goes on */
	assert_int_equal(sp_start(&first, (const char *const[]){ "--guest", "none", NULL }), 0);
	{
		const char *argv[] = { sp_program("FBHOST_EXE"),
				       "--control",
				       first.sock,
				       "--guest",
				       "none",
				       "--web",
				       "none",
				       "--vnc",
				       "127.0.0.1:0",
				       NULL };

		rc = sp_run(argv, &out, &err, BAD_WAIT_MS);
	}
	if (rc != 1 || !strstr(err, "another fbhost is serving it"))
		fail_msg("live socket: status %d, stderr \"%s\"", rc, err ? err : "");
	free(out);
	free(err);
	assert_true(sp_alive(&first));
	assert_int_equal(sp_stop(&first), 0);
}

/* A control request and a piece of the error it must get. */
static const struct {
	const char *request;
	const char *error;
} bad_requests[] = {
	{ "bogus", "error: unknown command \"bogus\" (try help)" },
	{ "LIST", "error: unknown command" },
	{ "list 0", "error: unexpected argument \"0\" (usage: list)" },
	{ "resize", "error: usage: resize ID WxH[:FORMAT]" },
	{ "resize 0", "error: usage: resize" },
	{ "resize 0 64x64 extra", "error: unexpected argument \"extra\"" },
	{ "resize 7 64x64", "error: no framebuffer \"7\"" },
	{ "resize nosuch 64x64", "error: no framebuffer \"nosuch\"" },
	{ "resize -1 64x64", "error: no framebuffer" },
	{ "resize 99999999999999999999 64x64", "error: no framebuffer" },
	{ "resize 0 64", "error: bad size" },
	{ "resize 0 0x64", "error: bad size" },
	{ "resize 0 64x64:rgb", "error: unknown format \"rgb\"" },
	{ "resize 0 64x64:", "error: unknown format" },
	{ "resize 0 16385x16", "error: bad size" },
	{ "resize 0 9000x16", "error: mode 9000x16 x8r8g8b8 is too large for VNC" },
	{ "resize 0 16384x16384", "error: mode 16384x16384 x8r8g8b8 is too large" },
	{ "cycle", "error: usage: cycle ID" },
	{ "cycle 9", "error: no framebuffer \"9\"" },
	{ "screendump", "error: usage: screendump ID FILE.png" },
	{ "screendump 0", "error: usage: screendump" },
	{ "screendump 0 /tmp/shot.jpg", "error: screendump writes PNG" },
	{ "screendump 5 /tmp/shot.png", "error: no framebuffer \"5\"" },
	{ "screendump 0 /nonexistent-dir/shot.png",
	  "error: screendump to /nonexistent-dir/shot.png failed" },
	{ "stats 3", "error: no framebuffer \"3\"" },
	{ "stats 0 --xml", "error: usage: stats [ID] [--json]" },
	{ "stats --json --json", "error: usage: stats" },
	{ "clients", "error: usage: clients ID" },
	{ "clients zz", "error: no framebuffer \"zz\"" },
	{ "disconnect 0", "error: usage: disconnect ID CLIENT" },
	{ "disconnect 0 abc", "error: bad client id \"abc\"" },
	{ "disconnect 0 -1", "error: bad client id" },
	{ "disconnect 0 424242", "error: no client 424242" },
	{ "quit now", "error: unexpected argument \"now\" (usage: quit)" },
	{ "a b c d e f g h i", "error: unknown command \"a\"" },
	{ "list a b c d e f g h i j k", "error: unexpected argument \"a\" (usage: list)" },
	{ "resize 0 64x64 a b c d e f g h i j k", "error: unexpected argument \"a\"" },
};

/* A request with one argument too many, for every command, and the exact
 * reply it must get (nothing is done). */
static const struct {
	const char *request;
	const char *reply;
} extra_args[] = {
	{ "list all", "error: unexpected argument \"all\" (usage: list)\n" },
	{ "resize 0 64x64 128x128",
	  "error: unexpected argument \"128x128\" (usage: resize ID WxH[:FORMAT])\n" },
	{ "cycle 0 1", "error: unexpected argument \"1\" (usage: cycle ID)\n" },
	{ "screendump 0 FILE.png FILE.png",
	  "error: unexpected argument \"FILE.png\" (usage: screendump ID FILE.png)\n" },
	{ "stats 0 --json 1", "error: unexpected argument \"1\" (usage: stats [ID] [--json])\n" },
	{ "clients 0 0", "error: unexpected argument \"0\" (usage: clients ID)\n" },
	{ "disconnect 0 1 2", "error: unexpected argument \"2\" (usage: disconnect ID CLIENT)\n" },
	{ "quit\tnow", "error: unexpected argument \"now\" (usage: quit)\n" },
	{ "help me", "error: unexpected argument \"me\" (usage: help)\n" },
};

/* Extra arguments are refused with the exact error, for every command, and
 * nothing is done: the screendump with two file names writes no file, the
 * resize keeps the mode, quit does not stop the server. */
static void test_extra_arguments(void **state)
{
	static const char *const args[] = { "--guest", "pattern", "--fb", "main:160x120", NULL };
	struct sp_server srv = { 0 };
	char *reply, path[2 * SP_PATH_MAX + 64];
	size_t i;

	(void)state;
	assert_int_equal(sp_start(&srv, args), 0);
	for (i = 0; i < sizeof(extra_args) / sizeof(extra_args[0]); i++) {
		int rc = sp_request(srv.sock, extra_args[i].request, &reply);

		if (rc != 1 || strcmp(reply, extra_args[i].reply) != 0)
			fail_msg("\"%s\": %d \"%s\", want \"%s\"", extra_args[i].request, rc,
				 reply ? reply : "", extra_args[i].reply);
		free(reply);
	}
	/* the case, with absolute names: neither file is written */
	snprintf(path, sizeof(path), "screendump 0 %s/a.png %s/b.png", srv.dir, srv.dir);
	assert_int_equal(sp_request(srv.sock, path, &reply), 1);
	assert_non_null(strstr(reply, "error: unexpected argument \""));
	free(reply);
	snprintf(path, sizeof(path), "%s/a.png", srv.dir);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/a.png %s/b.png", srv.dir, srv.dir);
	assert_int_not_equal(access(path, F_OK), 0);
	/* nothing changed, and the server still serves */
	assert_int_equal(sp_request(srv.sock, "list", &reply), 0);
	assert_non_null(strstr(reply, "0 main 160x120 x8r8g8b8"));
	free(reply);
	assert_true(sp_alive(&srv));
	assert_int_equal(sp_stop(&srv), 0);
}

static void test_bad_control(void **state)
{
	static const char *const args[] = { "--guest", "pattern", "--fb", "main:160x120", NULL };
	struct vtc_options o = { .encodings = "raw" };
	struct sp_server srv = { 0 };
	struct vtc *viewer;
	char err[256], *reply;
	uint32_t *want;
	size_t i, big = 1024 * 1024;
	char *req;
	unsigned seed = 99;

	(void)state;
	assert_int_equal(sp_start(&srv, args), 0);
	o.port = sp_vnc_port(&srv, 0);
	viewer = vtc_connect(&o, err, sizeof(err));
	if (!viewer)
		fail_msg("vtc_connect: %s", err);
	want = pic_pattern(160, 120, PIXMAN_x8r8g8b8);
	assert_int_equal(vtc_wait_picture(viewer, want, 160, 120, 160, BAD_WAIT_MS), 0);

	for (i = 0; i < sizeof(bad_requests) / sizeof(bad_requests[0]); i++) {
		int rc = sp_request(srv.sock, bad_requests[i].request, &reply);

		if (rc != 1 || !strstr(reply, bad_requests[i].error) ||
		    strchr(reply, '\n') != reply + strlen(reply) - 1)
			fail_msg("\"%s\": %d \"%s\", want \"%s\"", bad_requests[i].request, rc,
				 reply ? reply : "", bad_requests[i].error);
		free(reply);
	}
	/* fbhost-ctl exits non-zero and prints the error on stderr */
	{
		const char *argv[] = { sp_program("FBHOST_CTL_EXE"),
				       "--socket",
				       srv.sock,
				       "resize",
				       "0",
				       "1x1:nope",
				       NULL };
		char *out = NULL, *e = NULL;

		assert_int_equal(sp_run(argv, &out, &e, BAD_WAIT_MS), 1);
		assert_string_equal(out, "");
		assert_non_null(strstr(e, "error: unknown format \"nope\""));
		free(out);
		free(e);
	}

	/* a 1 MiB line, then a good request on the same connection */
	req = malloc(big + 16);
	memset(req, 'x', big);
	memcpy(req + big, "\nlist\n", 6);
	assert_int_equal(sp_request_raw(srv.sock, req, big + 6, &reply), 0);
	assert_non_null(
		strstr(reply, "error: request line longer than 4096 bytes\n0 main 160x120"));
	assert_non_null(strstr(reply, "\nok\n"));
	free(reply);

	/* binary garbage, with NULs and high bytes */
	for (i = 0; i < big; i++) {
		seed = seed * 1664525u + 1013904223u;
		req[i] = (char)(seed >> 24);
	}
	memcpy(req + big - 6, "\nlist\n", 6);
	assert_int_equal(sp_request_raw(srv.sock, req, big, &reply), 0);
	assert_non_null(strstr(reply, "error: "));
	assert_non_null(strstr(reply, "0 main 160x120 x8r8g8b8"));
	free(reply);
	free(req);

	/* too many connections at once */
	{
		int fds[CONTROL_MAX_CLIENTS + 4];
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		memcpy(sa.sun_path, srv.sock, strlen(srv.sock) + 1);
		for (i = 0; i < CONTROL_MAX_CLIENTS + 4; i++) {
			fds[i] = socket(AF_UNIX, SOCK_STREAM, 0);
			assert_int_equal(connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
		}
		for (i = 0; i < CONTROL_MAX_CLIENTS + 4; i++)
			close(fds[i]);
	}

	/* still serving: the control socket answers (once the closed
	 * connections are seen), the viewer follows a resize exactly */
	for (i = 0; i < 100; i++) {
		int rc = sp_request(srv.sock, "resize 0 200x100", &reply);

		free(reply);
		if (rc == 0)
			break;
		usleep(50000);
	}
	free(want);
	want = pic_pattern(200, 100, PIXMAN_x8r8g8b8);
	if (vtc_wait_picture(viewer, want, 200, 100, 200, BAD_WAIT_MS) != 0)
		fail_msg("after bad input: %s", vtc_last_mismatch(viewer));
	free(want);
	vtc_free(viewer);
	assert_true(sp_alive(&srv));
	assert_int_equal(sp_stop(&srv), 0);
	assert_false(srv.sock_left);
}

static void test_ctl_usage(void **state)
{
	const char *ctl = sp_program("FBHOST_CTL_EXE");
	char *out = NULL, *err = NULL;

	(void)state;
	assert_int_equal(sp_run((const char *[]){ ctl, NULL }, &out, &err, BAD_WAIT_MS), 2);
	assert_non_null(strstr(err, "fbhost-ctl: no command given"));
	free(out);
	free(err);
	assert_int_equal(
		sp_run((const char *[]){ ctl, "--bogus", "list", NULL }, &out, &err, BAD_WAIT_MS),
		2);
	assert_non_null(strstr(err, "fbhost-ctl: unknown option --bogus"));
	free(out);
	free(err);
	assert_int_equal(sp_run((const char *[]){ ctl, "--socket", "/nonexistent/s", "list", NULL },
				&out, &err, BAD_WAIT_MS),
			 1);
	assert_non_null(strstr(err, "fbhost-ctl: cannot connect to /nonexistent/s"));
	free(out);
	free(err);
	/* a word with a blank cannot be sent: refused before connecting */
	assert_int_equal(sp_run((const char *[]){ ctl, "--socket", "/nonexistent/s", "screendump",
						  "0", "/tmp/a b.png", NULL },
				&out, &err, BAD_WAIT_MS),
			 2);
	assert_string_equal(err, "fbhost-ctl: \"/tmp/a b.png\" holds a blank, which the "
				 "control protocol cannot carry in a word\n");
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_options), cmocka_unit_test(test_start_failures),
		cmocka_unit_test(test_bad_control), cmocka_unit_test(test_extra_arguments),
		cmocka_unit_test(test_ctl_usage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
