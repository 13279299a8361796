/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/attach/test-attach-python.c - the pure-Python client
 * (server/guest-client/python), installed with pip from its folder: a
 * Python guest draws a pattern, and answers a key from the viewer by
 * drawing; the viewer's pixels are asserted, with damage messages and with
 * the kernel tracker (plain stores from Python; compare where the kernel
 * lacks it).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/attach/attach-rig.h"

#define FB_W 160u
#define FB_H 120u

extern char **environ;

static const char *const one_fb[] = { "main:160x120", NULL };

/* Debian's interpreter, whose pip, setuptools and wheel .ci/deps.sh installs. */
#define PYTHON "/usr/bin/python3"

/* Where pip installed the package (a temporary --target folder). */
static char site[64];

static int install_with_pip(void **state)
{
	const char *src = getenv("FBHOST_GUEST_PYTHONPATH");
	char *out = NULL, *err = NULL;
	const char *argv[] = { PYTHON,	    "-m",	"pip",
			       "install",   "-q",	"--no-build-isolation",
			       "--no-deps", "--target", site,
			       src,	    NULL };
	int rc;

	(void)state;
	assert_non_null(src);
	snprintf(site, sizeof(site), "/tmp/fbhost-pip-XXXXXX");
	assert_non_null(mkdtemp(site));
	rc = sp_run(argv, &out, &err, RIG_WAIT_MS * 3);
	if (rc != 0)
		fail_msg("pip install %s: %d: %s%s", src, rc, out ? out : "", err ? err : "");
	free(out);
	free(err);
	return 0;
}

static int remove_install(void **state)
{
	const char *argv[] = { "/bin/rm", "-rf", site, NULL };

	(void)state;
	return sp_run(argv, NULL, NULL, RIG_WAIT_MS);
}

static void fill(uint32_t *px, int x, int y, int w, int h, uint32_t rgb)
{
	for (int yy = y; yy < y + h; yy++)
		for (int xx = x; xx < x + w; xx++)
			px[yy * (int)FB_W + xx] = rgb;
}

static void run_python(const char *tracking)
{
	static uint32_t model[FB_W * FB_H];
	const char *pypath = site;
	char script[512], env_py[600];
	char *env[] = { env_py, NULL };
	struct rig_child child = { 0 };
	const char *argv[6];
	struct rig r;
	struct vtc *v;
	int status;

	assert_non_null(pypath);
	snprintf(script, sizeof(script), "%s/tests/attach/python-guest.py", FBHOST_SOURCE_ROOT);
	snprintf(env_py, sizeof(env_py), "PYTHONPATH=%s", pypath);
	rig_start(&r, one_fb);
	v = rig_viewer(&r, 0);
	argv[0] = PYTHON;
	argv[1] = script;
	argv[2] = r.attach;
	argv[3] = tracking;
	argv[4] = NULL;
	assert_int_equal(posix_spawn(&child.pid, PYTHON, NULL, NULL, (char *const *)argv, env), 0);
	memset(model, 0, sizeof(model));
	for (int row = 0; row < 4; row++)
		for (int col = 0; col < 4; col++)
			fill(model, col * 40, row * 30, 40, 30,
			     (uint32_t)(row * 64) << 16 | (uint32_t)(col * 64) << 8 | 0x80);
	if (vtc_wait_picture(v, model, FB_W, FB_H, FB_W, RIG_WAIT_MS))
		fail_msg("pattern (%s): %s", tracking, vtc_last_mismatch(v));
	for (uint32_t key = 'a'; key <= 'c'; key++) {
		assert_int_equal(vtc_key(v, key, true), 0);
		assert_int_equal(vtc_key(v, key, false), 0);
		fill(model, 60, 45, 40, 30, (key * 0x010203u) & 0xffffff);
		if (vtc_wait_picture(v, model, FB_W, FB_H, FB_W, RIG_WAIT_MS))
			fail_msg("answer to key %c (%s): %s", key, tracking, vtc_last_mismatch(v));
	}
	assert_int_equal(vtc_key(v, 'q', true), 0);
	assert_int_equal(vtc_pump(v, 10), 0);
	child.to_child = open("/dev/null", O_WRONLY);
	child.from_child = open("/dev/null", O_RDONLY);
	status = rig_wait_child(&child);
	assert_int_equal(status, 0);
	vtc_free(v);
	rig_stop(&r);
	(void)errno;
}

static void test_python_damage(void **state)
{
	(void)state;
	run_python("damage");
}

static void test_python_uffd(void **state)
{
	(void)state;
	run_python("uffd");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_python_damage),
		cmocka_unit_test(test_python_uffd),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, install_with_pip, remove_install);
}
