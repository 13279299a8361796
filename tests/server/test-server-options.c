/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/test-server-options.c - the fbhost command line: defaults,
 * every option's good values, and a clear one-line error for bad ones.
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

#include "server/app/options.h"

static enum opt_result parse(struct opt_config *cfg, char *err, size_t errlen, ...)
{
	char *argv[32] = { "fbhost" };
	int argc = 1;
	va_list ap;
	char *a;

	va_start(ap, errlen);
	while ((a = va_arg(ap, char *)) != NULL)
		argv[argc++] = a;
	va_end(ap);
	err[0] = '\0';
	return opt_parse(argc, argv, cfg, err, errlen);
}

static void test_defaults(void **state)
{
	struct opt_config cfg;
	char err[OPT_ERROR_MAX_BYTES];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), NULL), OPT_RUN);
	assert_int_equal(cfg.nfbs, 1);
	assert_string_equal(cfg.fbs[0].name, "main");
	assert_int_equal(cfg.fbs[0].width, 1024);
	assert_int_equal(cfg.fbs[0].height, 768);
	assert_int_equal(cfg.fbs[0].format, FBHOST_FORMAT_X8R8G8B8);
	assert_string_equal(cfg.guest, "demo");
	assert_null(cfg.guest_args);
	assert_true(cfg.vnc_on);
	assert_string_equal(cfg.vnc_host, "");
	assert_int_equal(cfg.vnc_port, 5900);
	assert_true(cfg.web_on);
	assert_int_equal(cfg.web_port, 5800);
	assert_false(cfg.sdl);
	assert_int_equal(cfg.rate_hz, 60);
	assert_null(cfg.control_path);
	assert_int_equal(cfg.log_level, FBHOST_LOG_INFO);
}

static void test_good_values(void **state)
{
	struct opt_config cfg;
	char err[OPT_ERROR_MAX_BYTES];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), "--fb", "a:640x480:16", "-f", "b.2:800x600",
			       "--guest", "bench:small,fps=30", "--vnc", ":2", "--web", "6000",
			       "--sdl", "--rate", "30", "--control", "/tmp/x.sock", "--log-level",
			       "debug", "--insecure", NULL),
			 OPT_RUN);
	assert_int_equal(cfg.nfbs, 2);
	assert_string_equal(cfg.fbs[0].name, "a");
	assert_int_equal(cfg.fbs[0].format, FBHOST_FORMAT_R5G6B5);
	assert_string_equal(cfg.fbs[1].name, "b.2");
	assert_int_equal(cfg.fbs[1].width, 800);
	assert_int_equal(cfg.fbs[1].format, FBHOST_FORMAT_X8R8G8B8);
	assert_string_equal(cfg.guest, "bench");
	assert_string_equal(cfg.guest_args, "small,fps=30");
	assert_int_equal(cfg.vnc_port, 5902);
	assert_int_equal(cfg.web_port, 6000);
	assert_true(cfg.sdl);
	assert_false(cfg.sdl_opts.integer_scale || cfg.sdl_opts.resize_requests ||
		     cfg.sdl_opts.no_quit || cfg.sdl_opts.fullscreen);
	assert_true(cfg.insecure);
	assert_int_equal(cfg.rate_hz, 30);
	assert_string_equal(cfg.control_path, "/tmp/x.sock");
	assert_int_equal(cfg.log_level, FBHOST_LOG_DEBUG);

	assert_int_equal(parse(&cfg, err, sizeof(err), "--sdl=integer-scale,no-quit", NULL),
			 OPT_RUN);
	assert_true(cfg.sdl && cfg.sdl_opts.integer_scale && cfg.sdl_opts.no_quit);
	assert_false(cfg.sdl_opts.resize_requests || cfg.sdl_opts.fullscreen);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--sdl=resize,fullscreen", NULL), OPT_RUN);
	assert_true(cfg.sdl_opts.resize_requests && cfg.sdl_opts.fullscreen);

	assert_int_equal(parse(&cfg, err, sizeof(err), "--vnc", "[::1]:5905", NULL), OPT_RUN);
	assert_string_equal(cfg.vnc_host, "::1");
	assert_int_equal(cfg.vnc_port, 5905);
	assert_int_equal(cfg.web_port, 5805); /* VNC port - 100 */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--vnc", "0.0.0.0:0", "--insecure", NULL),
			 OPT_RUN);
	assert_string_equal(cfg.vnc_host, "0.0.0.0");
	assert_int_equal(cfg.vnc_port, 0);
	assert_int_equal(cfg.web_port, 0); /* any free port too */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--vnc", "localhost:5999", NULL), OPT_RUN);
	assert_string_equal(cfg.vnc_host, "");
	assert_int_equal(parse(&cfg, err, sizeof(err), "--vnc", "127.0.0.2:5999", NULL), OPT_RUN);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--vnc", "[::1]:5999", NULL), OPT_RUN);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--vnc", "localhost:5999", NULL), OPT_RUN);
	assert_string_equal(cfg.vnc_host, "");
	assert_int_equal(parse(&cfg, err, sizeof(err), "--vnc", "none", NULL), OPT_RUN);
	assert_false(cfg.vnc_on);
	assert_false(cfg.web_on); /* the viewer needs VNC: off unless asked */
	assert_int_equal(parse(&cfg, err, sizeof(err), "--web", "none", NULL), OPT_RUN);
	assert_false(cfg.web_on);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--fb", "x:16x16:c8", NULL), OPT_RUN);
	assert_int_equal(cfg.fbs[0].format, FBHOST_FORMAT_C8);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--fb", "x:16x16:R8G8B8", NULL), OPT_RUN);
	assert_int_equal(cfg.fbs[0].format, FBHOST_FORMAT_R8G8B8);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--version", NULL), OPT_EXIT_OK);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--help", NULL), OPT_EXIT_OK);
}

/* Each bad command line and a piece of the one-line error it must give. */
static const struct {
	const char *args[6];
	const char *error;
} bad_lines[] = {
	{ { "--bogus" }, "unknown option --bogus" },
	{ { "-x" }, "unknown option -x" },
	{ { "--fb" }, "needs a value" },
	{ { "--fb", "x" }, "expected NAME:WxH" },
	{ { "--fb", ":10x10" }, "expected NAME:WxH" },
	{ { "--fb", "123:10x10" }, "must not be all digits" },
	{ { "--fb", "a b:10x10" }, "bad framebuffer name" },
	{ { "--fb", "a:0x10" }, "bad size" },
	{ { "--fb", "a:10" }, "bad size" },
	{ { "--fb", "a:10x" }, "bad size" },
	{ { "--fb", "a:16385x10" }, "each 1..16384" },
	{ { "--fb", "a:-5x10" }, "bad size" },
	{ { "--fb", "a:10x10:rgb" }, "unknown format \"rgb\"" },
	{ { "--fb", "a:1x1", "--fb", "a:2x2" }, "used twice" },
	{ { "--guest", "doom" }, "unknown guest \"doom\"" },
	{ { "--vnc", "host:5900" }, "bad VNC host \"host\"" },
	{ { "--vnc", "127.0.0.1:99999" }, "bad VNC port" },
	{ { "--vnc", ":abc" }, "bad display" },
	{ { "--vnc", "abc" }, "bad VNC address" },
	{ { "--vnc", "[::1:5900" }, "bad VNC" },
	{ { "--vnc", "127.0.0.1:65535", "--fb", "a:1x1", "--fb", "b:1x1" }, "exceed 65535" },
	{ { "--vnc", "0.0.0.0:5900" }, "--vnc: listening on 0.0.0.0 needs --password-file" },
	{ { "--vnc", "[::]:5900" }, "--vnc: listening on :: needs --password-file" },
	{ { "--web", "70000" }, "--web: bad port" },
	{ { "--web", "x" }, "--web: bad port" },
	{ { "--web", "5900" }, "overlap the VNC ports" },
	{ { "--vnc", "none", "--web", "5800" }, "--web needs VNC" },
	{ { "--sdl=zoom" }, "--sdl: unknown option \"zoom\"" },
	{ { "--sdl=no-quit,,x" }, "--sdl: unknown option \"x\"" },
	{ { "--rate", "0" }, "--rate: bad rate \"0\"" },
	{ { "--rate", "5000" }, "--rate: bad rate" },
	{ { "--rate", "60hz" }, "--rate: bad rate" },
	{ { "--log-level", "loud" }, "unknown level \"loud\"" },
	{ { "--password-file", "/nonexistent/pw" }, "--password-file: cannot read" },
	{ { "--cert", "/nonexistent/cert.pem" }, "--cert: cannot read" },
	{ { "--tls-only" }, "--tls-only needs --cert FILE" },
	{ { "--control", "" }, "--control: path must be" },
	{ { "stray" }, "unexpected argument \"stray\"" },
	{ { "--cert", "/etc/hostname" },
	  "must be a PEM file with the certificate and its private key" },
};

static void test_bad_values(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		char *argv[8] = { "fbhost" };
		struct opt_config cfg;
		char err[OPT_ERROR_MAX_BYTES] = "";
		int argc = 1, j;

		for (j = 0; j < 6 && bad_lines[i].args[j]; j++)
			argv[argc++] = (char *)bad_lines[i].args[j];
		if (opt_parse(argc, argv, &cfg, err, sizeof(err)) != OPT_EXIT_USAGE)
			fail_msg("accepted: %s %s", argv[1], argc > 2 ? argv[2] : "");
		if (!strstr(err, bad_lines[i].error))
			fail_msg("for %s: got \"%s\", want \"%s\"", argv[1], err,
				 bad_lines[i].error);
		assert_null(strchr(err, '\n')); /* one line */
	}
}

static void test_cert_file(void **state)
{
	char path[] = "/tmp/fbhost-opt-cert-XXXXXX";
	struct opt_config cfg;
	char err[OPT_ERROR_MAX_BYTES];
	FILE *f;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
	      "-----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n",
	      f);
	fclose(f);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--cert", path, NULL), OPT_RUN);
	assert_string_equal(cfg.cert_file, path);
	unlink(path);
}

static void test_mode_parser(void **state)
{
	enum fbhost_format f = FBHOST_FORMAT_X8R8G8B8;
	uint32_t w, h;
	bool has;
	char err[128];

	(void)state;
	assert_int_equal(opt_parse_mode("1920x1080", &w, &h, &f, &has, err, sizeof(err)), 0);
	assert_int_equal(w, 1920);
	assert_int_equal(h, 1080);
	assert_false(has);
	assert_int_equal(f, FBHOST_FORMAT_X8R8G8B8);
	assert_int_equal(opt_parse_mode("640x480:8", &w, &h, &f, &has, err, sizeof(err)), 0);
	assert_true(has);
	assert_int_equal(f, FBHOST_FORMAT_C8);
	assert_int_not_equal(opt_parse_mode("640x480:", &w, &h, &f, &has, err, sizeof(err)), 0);
	assert_int_not_equal(opt_parse_mode("x", &w, &h, &f, &has, err, sizeof(err)), 0);
	assert_int_not_equal(opt_parse_mode("1x1x1", &w, &h, &f, &has, err, sizeof(err)), 0);
	assert_int_not_equal(
		opt_parse_mode("99999999999999999999x1", &w, &h, &f, &has, err, sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),   cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_bad_values), cmocka_unit_test(test_mode_parser),
		cmocka_unit_test(test_cert_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
