/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/test-server-browser.c - the fbhost program with two
 * framebuffers and the pattern guest, seen by Debian's Chromium through
 * playwright-core: the index page at the web root lists both framebuffers
 * with their modes, client counts and thumbnails, and follows a VNC client
 * connecting and "fbhost-ctl resize" (mode and thumbnail); its link
 * opens the viewer, whose screenshot button saves a PNG equal to "fbhost-ctl
 * screendump"; with --cert, index page and viewer work over https and wss.
 * Writes the README's screenshots (index.png, viewer.png) into
 * $FBHOST_SCREENSHOT_DIR. Skipped (77) without chromium, node or
 * vnc/web/node_modules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/common/browser-driver.h"
#include "tests/common/vnc-test-client.h"
#include "tests/server/server-pictures.h"
#include "tests/server/server-proc.h"

#ifndef SB_SOURCE_DIR
#define SB_SOURCE_DIR "."
#endif
#define SB_URL_MAX 512u
/* The README's screenshots must stay small. */
#define SB_SCREENSHOT_MAX_BYTES (200 * 1024)

/* Runs fbhost-ctl --socket SOCK args...: its exit status. */
static int ctl(struct sp_server *s, const char *a1, const char *a2, const char *a3)
{
	const char *argv[] = {
		sp_program("FBHOST_CTL_EXE"), "--socket", s->sock, a1, a2, a3, NULL
	};

	return sp_run(argv, NULL, NULL, SP_CTL_TIMEOUT_MS);
}

/* The web root of framebuffer id ("http://127.0.0.1:N"), from "list". */
static void web_root(struct sp_server *s, unsigned id, char *out, size_t size)
{
	char *reply = NULL, *line, *v, *end;

	assert_int_equal(sp_request(s->sock, "list", &reply), 0);
	out[0] = '\0';
	for (line = reply; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned lid;

		if (sscanf(line, "%u ", &lid) == 1 && lid == id && (v = strstr(line, "web=")) &&
		    (end = strstr(v, "/viewer.html")))
			snprintf(out, size, "%.*s", (int)(end - v - 4), v + 4);
	}
	free(reply);
	if (!out[0])
		fail_msg("no viewer URL for framebuffer %u", id);
}

/* Checks that path is a PNG below the README limit. */
static void check_screenshot(const char *path)
{
	uint32_t *px, w, h;
	FILE *f = fopen(path, "rb");
	long size;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	size = ftell(f);
	fclose(f);
	print_message("%s: %ld bytes\n", path, size);
	assert_true(size > 0 && size < SB_SCREENSHOT_MAX_BYTES);
	assert_int_equal(pic_read_png(path, &px, &w, &h), 0);
	free(px);
}

static void test_index_and_viewer(void **state)
{
	static const char *const args[] = { "--guest", "pattern",	    "--fb", "main:320x240",
					    "--fb",    "second:640x480:16", NULL };
	const char *shots = getenv("FBHOST_SCREENSHOT_DIR");
	char root[SB_URL_MAX], dir[] = "/tmp/fbhost-browser-XXXXXX", saved[300], dump[300],
			       shot[600];
	uint32_t *a, *b, aw, ah, bw, bh;
	struct sp_server srv = { .web = true };
	struct vtc_options o = { .encodings = "raw" };
	struct vtc *client;
	struct bd d;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(sp_start(&srv, args), 0);
	web_root(&srv, 0, root, sizeof(root));
	bd_start(&d, SB_SOURCE_DIR);

	/* The index page: both framebuffers, their modes, thumbnails. */
	bd_cmd(&d, "open %s/", root);
	bd_cmd(&d, "wait_count .fb 2");
	bd_cmd(&d, "wait_text .fb[data-id=\"0\"] main");
	bd_cmd(&d, "wait_text .fb[data-id=\"0\"] 320x240 x8r8g8b8");
	bd_cmd(&d, "wait_text .fb[data-id=\"1\"] 640x480 r5g6b5");
	bd_cmd(&d, "wait_count .fb[data-thumbnail] 2");
	bd_cmd(&d, "wait_text #summary 2 framebuffers");
	if (shots) {
		snprintf(shot, sizeof(shot), "%s/index.png", shots);
		bd_cmd(&d, "page_shot %s", shot);
		check_screenshot(shot);
	}
	bd_cmd(&d, "wait_text .fb[data-id=\"1\"] 0 clients");
	bd_cmd(&d, "wait_img_size .fb[data-id=\"0\"]>.thumb>img 266 200");
	/* It follows a client and a mode change, thumbnail included. */
	o.port = sp_vnc_port(&srv, 1);
	client = vtc_connect(&o, shot, sizeof(shot));
	if (!client)
		fail_msg("vtc_connect: %s", shot);
	bd_cmd(&d, "wait_text .fb[data-id=\"1\"] 1 client");
	vtc_free(client);
	bd_cmd(&d, "wait_text .fb[data-id=\"1\"] 0 clients");
	assert_int_equal(ctl(&srv, "resize", "0", "640x200"), 0);
	bd_cmd(&d, "wait_text .fb[data-id=\"0\"] 640x200 x8r8g8b8");
	bd_cmd(&d, "wait_img_size .fb[data-id=\"0\"]>.thumb>img 320 100");

	/* Its link opens the viewer on that framebuffer. */
	bd_cmd(&d, "click_sel .fb[data-id=\"1\"]");
	bd_cmd(&d, "wait_state connected");
	bd_cmd(&d, "wait_size 640 480");
	bd_cmd(&d, "wait_pixel 5 100 ffffff");

	/* The screenshot button saves exactly what fbhost-ctl screendump
	 * writes. */
	snprintf(saved, sizeof(saved), "%s/viewer.png", dir);
	snprintf(dump, sizeof(dump), "%s/dump.png", dir);
	bd_cmd(&d, "download #screenshot %s", saved);
	assert_int_equal(ctl(&srv, "screendump", "1", dump), 0);
	assert_int_equal(pic_read_png(saved, &a, &aw, &ah), 0);
	assert_int_equal(pic_read_png(dump, &b, &bw, &bh), 0);
	assert_int_equal(aw, bw);
	assert_int_equal(ah, bh);
	assert_int_equal(pic_diff(a, b, aw, ah), -1);
	free(a);
	free(b);
	unlink(saved);
	unlink(dump);

	if (shots) {
		bd_cmd(&d, "select #scale fit");
		bd_cmd(&d, "check #stats-toggle on");
		bd_cmd(&d, "wait_text #stats fps");
		bd_cmd(&d, "click_sel #keys-toggle");
		bd_cmd(&d, "mouse_move 500 10");
		snprintf(shot, sizeof(shot), "%s/viewer.png", shots);
		bd_cmd(&d, "page_shot %s", shot);
		check_screenshot(shot);
	}
	bd_stop(&d);
	assert_int_equal(sp_stop(&srv), 0);
	rmdir(dir);
}

/* With --cert: the index page over https, the viewer over wss. */
static void test_https(void **state)
{
	char dir[] = "/tmp/fbhost-https-XXXXXX", cmd[1024], pem[128], root[SB_URL_MAX];
	const char *args[] = { "--guest", "pattern", "--fb", "tls:320x240", "--cert", pem, NULL };
	struct sp_server srv = { .web = true };
	struct bd d;

	(void)state;
	if (access("/usr/bin/openssl", X_OK) != 0) {
		print_message("skipping https: no /usr/bin/openssl\n");
		return;
	}
	assert_non_null(mkdtemp(dir));
	snprintf(pem, sizeof(pem), "%s/cert.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
		 "-keyout %s/key.pem -out %s/crt.pem 2>/dev/null && cat %s/key.pem %s/crt.pem > %s",
		 dir, dir, dir, dir, pem);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(sp_start(&srv, args), 0);
	web_root(&srv, 0, root, sizeof(root));
	assert_int_equal(strncmp(root, "https://", 8), 0);
	bd_start(&d, SB_SOURCE_DIR);
	bd_cmd(&d, "open %s/", root);
	bd_cmd(&d, "wait_count .fb 1");
	bd_cmd(&d, "wait_text .fb[data-id=\"0\"] 320x240 x8r8g8b8");
	bd_cmd(&d, "wait_count .fb[data-thumbnail] 1");
	bd_cmd(&d, "click_sel .fb[data-id=\"0\"]");
	bd_cmd(&d, "wait_state connected");
	bd_cmd(&d, "wait_size 320 240");
	bd_cmd(&d, "wait_pixel 5 60 ffffff");
	bd_stop(&d);
	assert_int_equal(sp_stop(&srv), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_and_viewer),
		cmocka_unit_test(test_https),
	};

	if (!bd_available(SB_SOURCE_DIR))
		return 77;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
