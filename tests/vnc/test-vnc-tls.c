/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-tls.c - VeNCrypt on the VNC port: libvncclient (built
 * with GnuTLS) connects with X509Vnc (password) and X509None, checks the
 * server's certificate, and gets exact pixels; a wrong password is refused;
 * with tls_only a client that wants no TLS is refused (RFB 3.8: only
 * VeNCrypt is offered, anything else chosen is refused; RFB 3.3: a reason),
 * with the reason in the log.
 */
#include <sys/stat.h>

#include "tests/vnc/vnc-fixture.h"
#include "tests/vnc/vnc-raw-client.h"

#define SECTYPE_VENCRYPT 19

static struct {
	pthread_mutex_t lock; /* protects text */
	char text[1 << 16];
} logbuf = { PTHREAD_MUTEX_INITIALIZER, "" };

static void log_line(void *opaque, const char *line)
{
	(void)opaque;
	fprintf(stderr, "log: %s\n", line);
	pthread_mutex_lock(&logbuf.lock);
	if (strlen(logbuf.text) + strlen(line) + 2 < sizeof(logbuf.text)) {
		strcat(logbuf.text, line);
		strcat(logbuf.text, "\n");
	}
	pthread_mutex_unlock(&logbuf.lock);
}

static bool log_has(const char *needle)
{
	bool found;

	pthread_mutex_lock(&logbuf.lock);
	found = strstr(logbuf.text, needle) != NULL;
	pthread_mutex_unlock(&logbuf.lock);
	return found;
}

/* Waits (bounded) until the log holds needle. */
static void expect_log(const char *needle)
{
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS; !log_has(needle);) {
		if (vt_now_ms() > end)
			fail_msg("the log never said \"%s\"", needle);
		poll(NULL, 0, 10); /* the log has no event to wait on */
	}
}

static char dir[] = "/tmp/fbhost-tls-XXXXXX";
static char cert[64], key[64], pwfile[64];

/* A self-signed certificate for localhost and 127.0.0.1, and a password
 * file; skips (77) without openssl. */
static int make_files(void **state)
{
	char cmd[1024];
	FILE *f;

	(void)state;
	if (access("/usr/bin/openssl", X_OK) != 0)
		return -1;
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(pwfile, sizeof(pwfile), "%s/password", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
		 "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout %s -out %s 2>/dev/null",
		 key, cert);
	assert_int_equal(system(cmd), 0);
	f = fopen(pwfile, "w");
	assert_non_null(f);
	fputs("s3cret\n", f);
	fclose(f);
	return 0;
}

static int remove_files(void **state)
{
	(void)state;
	unlink(cert);
	unlink(key);
	unlink(pwfile);
	rmdir(dir);
	return 0;
}

static struct vnc_config tls_config(bool password)
{
	struct vnc_config cfg = vt_config();

	cfg.cert_file = cert;
	cfg.key_file = key;
	cfg.tls_only = true;
	cfg.password_file = password ? pwfile : NULL;
	cfg.log = log_line;
	return cfg;
}

/* libvncclient over VeNCrypt X509 gets exact pixels with each encoding. */
static void check_exact(struct vt *t, const char *password)
{
	static const char *const enc[] = { "raw", "zrle", "tight", "hextile" };

	for (size_t i = 0; i < sizeof(enc) / sizeof(enc[0]); i++) {
		struct vtc_options o = vt_client_opts(t, enc[i]);
		char err[256];
		struct vtc *c;

		o.password = password;
		o.ca_file = cert;
		c = vtc_connect(&o, err, sizeof(err));
		if (!c)
			fail_msg("VeNCrypt with %s: %s", enc[i], err);
		vt_draw_random(t, 100 + i, 20);
		vt_expect_guest(t, c, enc[i]);
		vtc_free(c);
	}
}

static void test_x509_vnc(void **state)
{
	struct vnc_config cfg = tls_config(true);
	struct vtc_options o;
	char err[256];
	struct vt t;

	(void)state;
	vt_setup(&t, 160, 120, PIXMAN_x8r8g8b8, &cfg);
	check_exact(&t, "s3cret");
	expect_log("connected (TLS)");
	o = vt_client_opts(&t, "raw");
	o.ca_file = cert;
	o.password = "wrong";
	assert_null(vtc_connect(&o, err, sizeof(err)));
	print_message("wrong password over TLS: %s\n", err);
	expect_log(": authentication failed");
	vt_teardown(&t);
}

static void test_x509_none(void **state)
{
	struct vnc_config cfg = tls_config(false);
	struct vt t;

	(void)state;
	vt_setup(&t, 160, 120, PIXMAN_r5g6b5, &cfg);
	check_exact(&t, NULL);
	vt_teardown(&t);
}

/* With tls_only, plain clients are refused. */
static void test_tls_only_refuses_plain(void **state)
{
	struct vnc_config cfg = tls_config(true);
	uint8_t b[64], one = 1;
	struct vt t;
	int fd;

	(void)state;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	/* RFB 3.8: only VeNCrypt is offered; choosing VNC auth is refused. */
	fd = vt_tcp_connect(vnc_server_port(t.vnc), 0, false);
	assert_true(fd >= 0);
	assert_int_equal(vt_read_exact(fd, b, 12), 0);
	assert_int_equal(send(fd, "RFB 003.008\n", 12, MSG_NOSIGNAL), 12);
	assert_int_equal(vt_read_exact(fd, b, 2), 0);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[1], SECTYPE_VENCRYPT);
	b[0] = 2;
	assert_int_equal(send(fd, b, 1, MSG_NOSIGNAL), 1);
	assert_int_equal(vt_read_exact(fd, b, 4), 0); /* SecurityResult: failed */
	assert_int_equal(b[3], 1);
	close(fd);
	expect_log("chose security type 2, which was not offered (TLS only)");

	/* RFB 3.3 cannot do VeNCrypt: security type 0 and a reason. */
	fd = vt_tcp_connect(vnc_server_port(t.vnc), 0, false);
	assert_true(fd >= 0);
	assert_int_equal(vt_read_exact(fd, b, 12), 0);
	assert_int_equal(send(fd, "RFB 003.003\n", 12, MSG_NOSIGNAL), 12);
	assert_int_equal(vt_read_exact(fd, b, 4), 0);
	assert_int_equal(b[0] | b[1] | b[2] | b[3], 0);
	close(fd);
	expect_log("RFB 3.3 cannot use TLS, and only TLS is allowed");

	/* A plain WebSocket (ws://) too. */
	fd = vt_tcp_connect(vnc_server_port(t.vnc), 0, false);
	assert_true(fd >= 0);
	assert_int_equal(send(fd, "GET / HTTP/1.1\r\n\r\n", 18, MSG_NOSIGNAL), 18);
	assert_true(recv(fd, b, 1, 0) <= 0);
	close(fd);
	expect_log("a plain WebSocket, but only TLS is allowed");
	(void)one;
	vt_teardown(&t);

	/* tls_only without a certificate is a clear error at start. */
	cfg.cert_file = cfg.key_file = NULL;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, NULL);
	{
		char err[256];

		assert_null(vnc_server_new(t.fb, &cfg, err, sizeof(err)));
		assert_non_null(strstr(err, "TLS only needs a certificate"));
	}
	vt_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x509_vnc),
		cmocka_unit_test(test_x509_none),
		cmocka_unit_test(test_tls_only_refuses_plain),
	};

	vt_filter_from_env();
	if (access("/usr/bin/openssl", X_OK) != 0) {
		fprintf(stderr, "skipping: no /usr/bin/openssl\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, make_files, remove_files);
}
