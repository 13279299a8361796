/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-auth.c - security defaults and what clients may do:
 * loopback-only by default, a non-loopback listen needs a password file (or
 * insecure), wrong passwords are rejected, a password longer than VNC auth's
 * 8 bytes is refused, bind failures are reported, input
 * and clipboard reach the guest unless view-only, and the share policy.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/vnc/vnc-fixture.h"
#include "vnc/vnc-charset.h"

static void write_file(char *path, const char *content)
{
	int fd;

	strcpy(path, "/tmp/fbhost-vnc-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static void test_non_loopback_needs_password(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vnc_server *s;
	char err[256], pw[64];
	struct vtc *c;
	struct vt t;

	(void)state;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, NULL);
	cfg.host = "0.0.0.0";
	assert_null(vnc_server_new(t.fb, &cfg, err, sizeof(err)));
	assert_int_equal(errno, EPERM);
	assert_non_null(strstr(err, "without a password"));

	cfg.insecure = true;
	s = vnc_server_new(t.fb, &cfg, err, sizeof(err));
	assert_non_null(s);
	vnc_server_free(s);

	cfg.insecure = false;
	write_file(pw, "secret\n");
	cfg.password_file = pw;
	t.vnc = vnc_server_new(t.fb, &cfg, err, sizeof(err));
	if (!t.vnc)
		fail_msg("with a password file: %s", err);
	{
		struct vtc_options o = vt_client_opts(&t, "raw");

		o.password = "secret";
		c = vtc_connect(&o, err, sizeof(err));
		if (!c)
			fail_msg("right password refused: %s", err);
		vt_expect_guest(&t, c, "authenticated client");
		vtc_free(c);
	}
	unlink(pw);
	vt_teardown(&t);
}

static void test_password(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vtc_options o;
	char err[256], pw[64];
	struct vtc *c;
	struct vt t;

	(void)state;
	write_file(pw, "s3cr3t\n");
	cfg.password_file = pw;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	o = vt_client_opts(&t, "raw");
	o.password = "wrong";
	c = vtc_connect(&o, err, sizeof(err));
	assert_null(c);
	print_message("wrong password: %s\n", err);
	assert_non_null(strstr(err, "password check failed"));
	o.password = NULL;
	assert_null(vtc_connect(&o, err, sizeof(err)));
	o.password = "s3cr3t";
	c = vtc_connect(&o, err, sizeof(err));
	if (!c)
		fail_msg("right password refused: %s", err);
	vt_expect_guest(&t, c, "authenticated client");
	vtc_free(c);
	vt_teardown(&t);
	unlink(pw);

	/* A missing password file is a clear error. */
	cfg.password_file = "/nonexistent/fbhost-password";
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, NULL);
	assert_null(vnc_server_new(t.fb, &cfg, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, "/nonexistent/fbhost-password"));
	vt_teardown(&t);

	/* VNC auth uses 8 bytes: a longer password is refused, not cut. */
	write_file(pw, "123456789\n");
	cfg.password_file = pw;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, NULL);
	assert_null(vnc_server_new(t.fb, &cfg, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	print_message("long password: %s\n", err);
	assert_non_null(strstr(err, "longer than 8 bytes"));
	assert_non_null(strstr(err, pw));
	vt_teardown(&t);
	unlink(pw);

	/* Exactly 8 bytes (no newline at the end) is the whole password. */
	write_file(pw, "12345678");
	cfg.password_file = pw;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	o = vt_client_opts(&t, "raw");
	o.password = "12345678";
	c = vtc_connect(&o, err, sizeof(err));
	if (!c)
		fail_msg("8-byte password refused: %s", err);
	vt_expect_guest(&t, c, "authenticated client");
	vtc_free(c);
	vt_teardown(&t);
	unlink(pw);
}

/* The listening sockets of port in /proc/net/tcp{,6}: their local address
 * must be loopback. Returns how many were found. */
static unsigned check_loopback_listeners(int port)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	unsigned found = 0;

	for (int i = 0; i < 2; i++) {
		char line[512], local[64];
		unsigned st, p;
		FILE *f = fopen(files[i], "r");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			char *colon;

			if (sscanf(line, " %*d: %63s %*s %x", local, &st) != 2 || st != 0x0a)
				continue;
			colon = strrchr(local, ':');
			if (!colon || sscanf(colon + 1, "%x", &p) != 1 || (int)p != port)
				continue;
			*colon = '\0';
			if (i == 0)
				assert_string_equal(local, "0100007F");
			else
				assert_string_equal(local, "00000000000000000000000001000000");
			found++;
		}
		fclose(f);
	}
	return found;
}

static void test_default_binding_and_bind_failure(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vnc_server *again;
	char err[256];
	struct vt t;

	(void)state;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	assert_true(check_loopback_listeners(vnc_server_port(t.vnc)) >= 1);
	cfg.port = vnc_server_port(t.vnc);
	again = vnc_server_new(t.fb, &cfg, err, sizeof(err));
	assert_null(again);
	assert_int_equal(errno, EADDRINUSE);
	print_message("bind failure: %s\n", err);
	assert_non_null(strstr(err, "cannot listen"));
	vt_teardown(&t);
}

static void test_web_port_and_url(void **state)
{
	struct vnc_config cfg = vt_config();
	char want[128];
	struct vt t;

	(void)state;
	cfg.web_port = VNC_WEB_PORT_DEFAULT;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	assert_true(vnc_server_web_port(t.vnc) > 0);
	assert_true(check_loopback_listeners(vnc_server_web_port(t.vnc)) >= 1);
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/viewer.html?port=%d&autoconnect=1",
		 vnc_server_web_port(t.vnc), vnc_server_port(t.vnc));
	assert_string_equal(vnc_server_url(t.vnc), want);
	vt_teardown(&t);

	/* A web root without noVNC is a clear error. */
	cfg.web_root = "/nonexistent/web";
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, NULL);
	{
		char err[256];

		assert_null(vnc_server_new(t.fb, &cfg, err, sizeof(err)));
		assert_int_equal(errno, ENOENT);
		assert_non_null(strstr(err, "no noVNC in /nonexistent/web"));
	}
	vt_teardown(&t);
}

/* GET url from 127.0.0.1:port over HTTP/1.0; the status code, or -1 if no
 * whole answer came within VT_WAIT_MS. */
static int http_get_status(int port, const char *url)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char req[256], reply[512];
	size_t got = 0;
	uint64_t deadline = vt_now_ms() + VT_WAIT_MS;
	int fd, status = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", url);
	assert_int_equal(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = vt_now_ms();
		ssize_t n;

		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) <= 0)
			break; /* no answer in time */
		n = recv(fd, reply + got, sizeof(reply) - 1 - got, 0);
		if (n <= 0) {
			reply[got] = '\0';
			if (sscanf(reply, "HTTP/1.%*d %d", &status) != 1)
				status = -1;
			break;
		}
		got += (size_t)n;
		if (got == sizeof(reply) - 1)
			got = 16; /* keep the status line, drop the body */
	}
	close(fd);
	return status;
}

/* The web viewer serves regular files only: a FIFO under the web root must
 * not block the HTTP thread (it used to be opened blocking), nor may a
 * symlink lead out of it; the server keeps answering afterwards. */
static void test_web_root_special_files(void **state)
{
	struct vnc_config cfg = vt_config();
	char root[] = "/tmp/fbhost-vnc-web-XXXXXX";
	char p[512], core[256];
	struct vt t;
	int fd, port;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/node_modules", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/node_modules/@novnc", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/node_modules/@novnc/novnc", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(core, sizeof(core), "%s/node_modules/@novnc/novnc/core", root);
	assert_int_equal(mkdir(core, 0700), 0);
	snprintf(p, sizeof(p), "%s/rfb.js", core);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "//\n", 3), 3);
	close(fd);
	snprintf(p, sizeof(p), "%s/fifo.js", core);
	assert_int_equal(mkfifo(p, 0600), 0);
	snprintf(p, sizeof(p), "%s/link.js", core);
	assert_int_equal(symlink("/etc/hostname", p), 0);

	cfg.web_port = VNC_WEB_PORT_ANY;
	cfg.web_root = root;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	port = vnc_server_web_port(t.vnc);
	assert_true(port > 0);
	assert_int_equal(http_get_status(port, "/novnc/core/fifo.js"), 404);
	assert_int_equal(http_get_status(port, "/novnc/core/link.js"), 404);
	assert_int_equal(http_get_status(port, "/novnc/core/rfb.js"), 200);
	vt_teardown(&t);

	unlink(p);
	snprintf(p, sizeof(p), "%s/fifo.js", core);
	unlink(p);
	snprintf(p, sizeof(p), "%s/rfb.js", core);
	unlink(p);
	rmdir(core);
	snprintf(p, sizeof(p), "%s/node_modules/@novnc/novnc", root);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/node_modules/@novnc", root);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/node_modules", root);
	rmdir(p);
	rmdir(root);
}

/* Converts with fn and checks the bytes (and the terminating NUL). */
static void expect_conversion(char *(*fn)(const char *, size_t, size_t *), const char *in,
			      size_t in_len, const char *want, size_t want_len)
{
	size_t out_len = 12345;
	char *out = fn(in, in_len, &out_len);

	assert_non_null(out);
	assert_int_equal(out_len, want_len);
	assert_memory_equal(out, want, want_len);
	assert_int_equal(out[out_len], '\0');
	free(out);
}

/* The clipboard's Latin-1 <-> UTF-8 conversion (vnc/vnc-charset.h). */
static void test_clipboard_charset(void **state)
{
	(void)state;
	/* Latin-1 -> UTF-8: every byte maps. */
	expect_conversion(vnc_charset_latin1_to_utf8, "caf\xe9 \xff\x80\x00!", 9,
			  "caf\xc3\xa9 \xc3\xbf\xc2\x80\x00!", 12);
	expect_conversion(vnc_charset_latin1_to_utf8, "", 0, "", 0);

	/* UTF-8 -> Latin-1. */
	expect_conversion(vnc_charset_utf8_to_latin1, "caf\xc3\xa9 \xc3\xbf", 8, "caf\xe9 \xff", 6);
	/* Not in Latin-1 (euro sign, a CJK character, an emoji): one '?' each. */
	expect_conversion(vnc_charset_utf8_to_latin1, "5\xe2\x82\xac \xe4\xb8\xad\xf0\x9f\x98\x80.",
			  13, "5? ??.", 6);
	/* A bad lead byte never swallows the byte after it. */
	expect_conversion(vnc_charset_utf8_to_latin1,
			  "\xc3"
			  "A",
			  2, "?A", 2);
	expect_conversion(vnc_charset_utf8_to_latin1, "x\xc3\xc3\xa9y", 5, "x?\xe9y", 4);
	/* Stray continuation bytes, an overlong NUL, a truncated end. */
	expect_conversion(vnc_charset_utf8_to_latin1,
			  "a\x80\x80"
			  "b",
			  4, "a?b", 3);
	expect_conversion(vnc_charset_utf8_to_latin1, "\xc0\x80z", 3, "?z", 2);
	expect_conversion(vnc_charset_utf8_to_latin1, "ok\xe2\x82", 4, "ok?", 3);
	expect_conversion(vnc_charset_utf8_to_latin1, "", 0, "", 0);
}

static bool key_seen(struct vt_input *in, const void *arg)
{
	return in->key_events >= *(const unsigned *)arg;
}

static bool pointer_at(struct vt_input *in, const void *arg)
{
	const int *xy = arg;

	return in->px == xy[0] && in->py == xy[1] && in->buttons == (uint32_t)xy[2];
}

static bool clip_is(struct vt_input *in, const void *arg)
{
	return in->clip_events > 0 && !strcmp(in->clip, arg);
}

static void test_input_clipboard_view_only(void **state)
{
	struct vnc_config cfg = vt_config();
	const int xy[3] = { 21, 13, 1 };
	const unsigned one = 1;
	struct vtc *c;
	struct vt t;

	(void)state;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	c = vt_connect(&t, "raw");
	vt_expect_guest(&t, c, "input client");
	assert_int_equal(vtc_key(c, 0x61, true), 0);
	assert_true(vt_wait_input(&t, key_seen, &one, VT_WAIT_MS));
	pthread_mutex_lock(&t.in.lock);
	assert_int_equal(t.in.last_keysym, 0x61);
	assert_true(t.in.last_key_down);
	pthread_mutex_unlock(&t.in.lock);
	assert_int_equal(vtc_pointer(c, 21, 13, 1), 0);
	assert_true(vt_wait_input(&t, pointer_at, xy, VT_WAIT_MS));
	/* Latin-1 text from the client arrives as UTF-8. */
	assert_int_equal(vtc_cut_text_send(c, "caf\xe9"), 0);
	assert_true(vt_wait_input(&t, clip_is, "caf\xc3\xa9", VT_WAIT_MS));
	/* Guest clipboard to the client. */
	fb_send_clipboard(t.fb, "hello", 5);
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS;
	     !vtc_cut_text(c) || strcmp(vtc_cut_text(c), "hello");)
		assert_true(vtc_pump(c, 20) == 0 && vt_now_ms() < end);
	vtc_free(c);
	vt_teardown(&t);

	/* View-only: input is dropped. */
	cfg.view_only = true;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	c = vt_connect(&t, "raw");
	vt_expect_guest(&t, c, "view-only client");
	assert_int_equal(vtc_key(c, 0x62, true), 0);
	assert_int_equal(vtc_pointer(c, 5, 5, 1), 0);
	assert_int_equal(vtc_cut_text_send(c, "nope"), 0);
	/* A round trip later, nothing has reached the guest. */
	fb_fill_rect(t.fb, 0, 0, 8, 8, 0xff0000);
	vt_expect_guest(&t, c, "view-only after input");
	pthread_mutex_lock(&t.in.lock);
	assert_int_equal(t.in.key_events, 0);
	assert_int_equal(t.in.pointer_events, 0);
	assert_int_equal(t.in.clip_events, 0);
	pthread_mutex_unlock(&t.in.lock);
	vtc_free(c);
	vt_teardown(&t);
}

static bool modes_seen(struct vt_input *in, const void *arg)
{
	return in->mode_requests >= *(const unsigned *)arg;
}

/* Two guest changes seen by c: the second answers an update request c sent
 * after everything before this call, so the server has handled it all. */
static void round_trip(struct vt *t, struct vtc *c, uint32_t color)
{
	for (int i = 0; i < 2; i++) {
		fb_fill_rect(t->fb, 0, 0, 8, 8, color + (uint32_t)i);
		vt_expect_guest(t, c, "round trip");
	}
}

/* The password file's second line is a view-only password: that client's
 * keys, pointer, clipboard and SetDesktopSize never reach the guest; the
 * full password's do. */
static void test_view_only_password(void **state)
{
	struct vnc_config cfg = vt_config();
	const int xy[3] = { 7, 9, 1 };
	const unsigned one = 1;
	struct vtc_options o;
	struct vtc *view, *full;
	char err[256], pw[64];
	struct vt t;

	(void)state;
	write_file(pw, "fullpw\nlookonly\n");
	cfg.password_file = pw;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	o = vt_client_opts(&t, "raw");
	o.password = "neither";
	assert_null(vtc_connect(&o, err, sizeof(err)));
	o.password = "lookonly";
	view = vtc_connect(&o, err, sizeof(err));
	if (!view)
		fail_msg("view-only password refused: %s", err);
	vt_expect_guest(&t, view, "view-only client");
	assert_int_equal(vtc_key(view, 0x62, true), 0);
	assert_int_equal(vtc_pointer(view, 5, 5, 1), 0);
	assert_int_equal(vtc_cut_text_send(view, "nope"), 0);
	assert_int_equal(vtc_request_size(view, 48, 32), 0);
	round_trip(&t, view, 0x00ff00);
	pthread_mutex_lock(&t.in.lock);
	assert_int_equal(t.in.key_events, 0);
	assert_int_equal(t.in.pointer_events, 0);
	assert_int_equal(t.in.clip_events, 0);
	assert_int_equal(t.in.mode_requests, 0);
	pthread_mutex_unlock(&t.in.lock);

	o.password = "fullpw";
	full = vtc_connect(&o, err, sizeof(err));
	if (!full)
		fail_msg("full password refused: %s", err);
	vt_expect_guest(&t, full, "full client");
	assert_int_equal(vtc_key(full, 0x61, true), 0);
	assert_true(vt_wait_input(&t, key_seen, &one, VT_WAIT_MS));
	assert_int_equal(vtc_pointer(full, 7, 9, 1), 0);
	assert_true(vt_wait_input(&t, pointer_at, xy, VT_WAIT_MS));
	assert_int_equal(vtc_cut_text_send(full, "yes"), 0);
	assert_true(vt_wait_input(&t, clip_is, "yes", VT_WAIT_MS));
	assert_int_equal(vtc_request_size(full, 48, 32), 0);
	assert_true(vt_wait_input(&t, modes_seen, &one, VT_WAIT_MS));
	assert_int_equal(vtc_wait_size(full, 48, 32, VT_WAIT_MS), 0);
	vtc_free(full);
	vtc_free(view);
	vt_teardown(&t);
	unlink(pw);

	/* The same password twice is a mistake, said at start. */
	write_file(pw, "same\nsame\n");
	cfg.password_file = pw;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, NULL);
	assert_null(vnc_server_new(t.fb, &cfg, err, sizeof(err)));
	assert_int_equal(errno, EINVAL);
	assert_non_null(strstr(err, "equals the full one"));
	vt_teardown(&t);
	unlink(pw);
}

/* Pumps c until the server closes it (true) or ms pass (false). */
static bool closed_within(struct vtc *c, unsigned ms)
{
	for (uint64_t end = vt_now_ms() + ms; vt_now_ms() < end;)
		if (vtc_pump(c, 20) < 0)
			return true;
	return false;
}

static void test_share_policy(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vtc_options o;
	char err[256];
	struct vtc *a, *b;
	struct vt t;

	(void)state;
	/* force-shared (default): an exclusive request throws nobody out. */
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	a = vt_connect(&t, "raw");
	vt_expect_guest(&t, a, "first");
	o = vt_client_opts(&t, "raw");
	o.exclusive = true;
	b = vtc_connect(&o, err, sizeof(err));
	assert_non_null(b);
	vt_expect_guest(&t, b, "exclusive-asking client");
	assert_false(closed_within(a, 300));
	vtc_free(a);
	vtc_free(b);
	vt_teardown(&t);

	/* allow-exclusive: it does. */
	cfg.share = VNC_SHARE_ALLOW_EXCLUSIVE;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	a = vt_connect(&t, "raw");
	vt_expect_guest(&t, a, "first");
	o = vt_client_opts(&t, "raw");
	o.exclusive = true;
	b = vtc_connect(&o, err, sizeof(err));
	assert_non_null(b);
	assert_true(closed_within(a, VT_WAIT_MS));
	vt_expect_guest(&t, b, "exclusive client");
	vtc_free(a);
	vtc_free(b);
	vt_teardown(&t);
}

/* wss: with a certificate, a TLS WebSocket handshake on the VNC port is
 * answered (checked with openssl s_client; skipped without openssl). */
static void test_wss(void **state)
{
	struct vnc_config cfg = vt_config();
	char dir[] = "/tmp/fbhost-wss-XXXXXX", cmd[1536], cert[64], key[64], got[64] = "";
	FILE *p;
	struct vt t;

	(void)state;
	if (access("/usr/bin/openssl", X_OK) != 0) {
		print_message("skipping wss: no /usr/bin/openssl\n");
		return;
	}
	assert_non_null(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
		 "-keyout %s -out %s 2>/dev/null",
		 key, cert);
	assert_int_equal(system(cmd), 0);
	cfg.cert_file = cert;
	cfg.key_file = key;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	snprintf(cmd, sizeof(cmd),
		 "printf 'GET / HTTP/1.1\\r\\nHost: localhost\\r\\nUpgrade: websocket\\r\\n"
		 "Connection: Upgrade\\r\\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\n"
		 "Sec-WebSocket-Version: 13\\r\\nOrigin: http://localhost\\r\\n"
		 "Sec-WebSocket-Protocol: binary\\r\\n\\r\\n' | "
		 "timeout 3 openssl s_client -connect 127.0.0.1:%d -quiet -ign_eof 2>/dev/null",
		 vnc_server_port(t.vnc));
	p = popen(cmd, "r");
	assert_non_null(p);
	if (!fgets(got, sizeof(got), p))
		got[0] = '\0';
	while (fgetc(p) != EOF)
		;
	pclose(p);
	print_message("wss handshake answer: %s", got);
	assert_non_null(strstr(got, "HTTP/1.1 101"));
	vt_teardown(&t);
	unlink(cert);
	unlink(key);
	rmdir(dir);

	/* An unreadable certificate is a clear error. */
	cfg.cert_file = "/nonexistent/cert.pem";
	cfg.key_file = NULL;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, NULL);
	{
		char err[256];

		assert_null(vnc_server_new(t.fb, &cfg, err, sizeof(err)));
		assert_non_null(strstr(err, "certificate"));
	}
	vt_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_non_loopback_needs_password),
		cmocka_unit_test(test_password),
		cmocka_unit_test(test_default_binding_and_bind_failure),
		cmocka_unit_test(test_web_port_and_url),
		cmocka_unit_test(test_web_root_special_files),
		cmocka_unit_test(test_clipboard_charset),
		cmocka_unit_test(test_input_clipboard_view_only),
		cmocka_unit_test(test_share_policy),
		cmocka_unit_test(test_wss),
		cmocka_unit_test(test_view_only_password),
	};

	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
