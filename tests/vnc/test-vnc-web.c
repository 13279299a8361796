/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-web.c - the viewer's HTTP server without a browser:
 * which files it serves and which it refuses, /api/framebuffers (this
 * framebuffer alone, or a program's directory with names that need JSON
 * escaping) and /api/thumbnail (a PNG scaled into the 320x200 box with the
 * picture's colours; 403 for a framebuffer with a password, 404 for none,
 * 400 for a bad id), answered over plain HTTP/1.0.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <png.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/vnc/vnc-fixture.h"

#ifndef VT_SOURCE_DIR
#define VT_SOURCE_DIR "."
#endif
#define HTTP_REPLY_MAX (1024 * 1024)

/* GET path from 127.0.0.1:port; *body points into the malloc'ed reply
 * (free the return value). Fails the test on a network error. */
static char *http_get(int port, const char *path, int *status, char **body, size_t *body_len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char req[512], *buf = malloc(HTTP_REPLY_MAX + 1), *sep;
	uint64_t end = vt_now_ms() + VT_WAIT_MS;
	size_t len = 0;
	int fd, n;

	assert_non_null(buf);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n", path);
	assert_int_equal(write(fd, req, (size_t)n), n);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = vt_now_ms();
		ssize_t r;

		if (now >= end)
			fail_msg("GET %s: no complete answer", path);
		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		r = read(fd, buf + len, HTTP_REPLY_MAX - len);
		assert_true(r >= 0);
		if (r == 0)
			break;
		len += (size_t)r;
		assert_true(len < HTTP_REPLY_MAX);
	}
	close(fd);
	buf[len] = '\0';
	assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", status), 1);
	sep = strstr(buf, "\r\n\r\n");
	assert_non_null(sep);
	*body = sep + 4;
	*body_len = len - (size_t)(*body - buf);
	return buf;
}

static int get_status(int port, const char *path)
{
	char *body;
	size_t n;
	int status;

	free(http_get(port, path, &status, &body, &n));
	return status;
}

static void test_files(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vt t;
	int port;

	(void)state;
	cfg.web_port = VNC_WEB_PORT_ANY;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	port = vnc_server_web_port(t.vnc);
	assert_int_equal(get_status(port, "/"), 200);
	assert_int_equal(get_status(port, "/viewer.html"), 200);
	assert_int_equal(get_status(port, "/viewer-stats.js"), 200);
	assert_int_equal(get_status(port, "/index.css"), 200);
	assert_int_equal(get_status(port, "/novnc/core/rfb.js"), 200);
	/* Not pages: refused. */
	assert_int_equal(get_status(port, "/package.json"), 404);
	assert_int_equal(get_status(port, "/node_modules/@novnc/novnc/core/rfb.js"), 404);
	assert_int_equal(get_status(port, "/screenshots/index.png"), 404);
	assert_int_equal(get_status(port, "/../vnc.h"), 404);
	assert_int_equal(get_status(port, "/novnc/../package.json"), 404);
	assert_int_equal(get_status(port, "?index.html"), 404); /* no leading slash */
	assert_int_equal(get_status(port, "/api/nothing"), 404);
	/* Without a directory: no thumbnails. */
	assert_int_equal(get_status(port, "/api/thumbnail?id=0"), 404);
	vt_teardown(&t);
}

/* Whether fd's first bytes, read until end (ms of vt_now_ms), are prefix. */
static bool reply_starts_with(int fd, const char *prefix, uint64_t end)
{
	size_t n = strlen(prefix), got = 0;
	char b[64];

	assert_true(n < sizeof(b));
	while (got < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t now = vt_now_ms();
		ssize_t r;

		if (now >= end || poll(&p, 1, (int)(end - now)) <= 0)
			return false;
		r = read(fd, b + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return memcmp(b, prefix, n) == 0;
}

/* One address holds at most VNC_WEB_MAX_PER_ADDRESS (16) connections: a
 * 17th is closed unanswered while 16 idle ones stay open; once they close,
 * requests are answered again. */
static void test_connections_per_address(void **state)
{
	struct vnc_config cfg = vt_config();
	struct sockaddr_in a = { .sin_family = AF_INET };
	uint64_t end = vt_now_ms() + VT_WAIT_MS;
	int fds[16], extra = -1, port;
	char b[64];
	ssize_t r;
	struct vt t;

	(void)state;
	cfg.web_port = VNC_WEB_PORT_ANY;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	port = vnc_server_web_port(t.vnc);
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (size_t i = 0; i <= sizeof(fds) / sizeof(fds[0]); i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		assert_true(fd >= 0);
		assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		/* The server accepts in connect order: the 17th comes last. */
		if (i < sizeof(fds) / sizeof(fds[0]))
			fds[i] = fd;
		else
			extra = fd;
	}
	/* The 17th: closed without a reply (to its request or none). */
	if (send(extra, "GET / HTTP/1.0\r\n\r\n", 18, MSG_NOSIGNAL) != 18)
		assert_true(errno == EPIPE || errno == ECONNRESET);
	for (;;) {
		struct pollfd p = { .fd = extra, .events = POLLIN };
		uint64_t now = vt_now_ms();

		assert_true(now < end);
		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		r = read(extra, b, sizeof(b));
		assert_true(r <= 0); /* EOF or reset, never an answer */
		break;
	}
	close(extra);
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close(fds[i]);
	/* Answered again once the server has seen them close (its poll loop
	 * may take a new connection first, and refuse it). */
	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool answered;

		assert_true(fd >= 0);
		assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
		answered = send(fd, "GET / HTTP/1.0\r\n\r\n", 18, MSG_NOSIGNAL) == 18 &&
			   reply_starts_with(fd, "HTTP/1.1 200", end);
		close(fd);
		if (answered)
			break;
		assert_true(vt_now_ms() < end);
		poll(NULL, 0, 10); /* bounded retry: no event says it saw the closes */
	}
	vt_teardown(&t);
}

/* Without a directory, the list holds this framebuffer alone. */
static void test_list_self(void **state)
{
	struct vnc_config cfg = vt_config();
	char *buf, *body, want[256];
	size_t n;
	int status;
	struct vt t;

	(void)state;
	cfg.web_port = VNC_WEB_PORT_ANY;
	vt_setup(&t, 320, 200, PIXMAN_r5g6b5, &cfg);
	buf = http_get(vnc_server_web_port(t.vnc), "/api/framebuffers", &status, &body, &n);
	assert_int_equal(status, 200);
	assert_non_null(strstr(buf, "Content-Type: application/json"));
	snprintf(want, sizeof(want),
		 "{\"vnc_port\":%d,\"tls\":false,\"thumbnails\":false,\"framebuffers\":["
		 "{\"id\":0,\"name\":\"test\",\"width\":320,\"height\":200,\"format\":\"r5g6b5\","
		 "\"clients\":0,\"vnc_port\":%d,\"password\":false}]}\n",
		 vnc_server_port(t.vnc), vnc_server_port(t.vnc));
	assert_string_equal(body, want);
	free(buf);
	vt_teardown(&t);
}

/* A program's directory: two framebuffers, the second with a password;
 * id 0's picture is 640x400, left half red, right half blue. */
static size_t dir_list(void *opaque, struct vnc_fb_summary *out, size_t max)
{
	(void)opaque;
	if (max < 2)
		return 2;
	memset(out, 0, 2 * sizeof(*out));
	snprintf(out[0].name, sizeof(out[0].name), "a \"quoted\"\\name\n");
	out[0].width = 640;
	out[0].height = 400;
	snprintf(out[0].format, sizeof(out[0].format), "x8r8g8b8");
	out[0].clients = 3;
	out[0].vnc_port = 5907;
	out[1].id = 5;
	snprintf(out[1].name, sizeof(out[1].name), "locked");
	out[1].vnc_port = -1;
	out[1].password = true;
	return 2;
}

static int dir_pixels(void *opaque, unsigned id, uint32_t **pixels, uint32_t *w, uint32_t *h)
{
	uint32_t *p;

	(void)opaque;
	if (id == 5)
		return -EACCES;
	if (id != 0)
		return -ENOENT;
	p = malloc(640 * 400 * 4);
	if (!p)
		return -ENOMEM;
	for (unsigned y = 0; y < 400; y++)
		for (unsigned x = 0; x < 640; x++)
			p[y * 640 + x] = x < 320 ? 0x00ff0000 : 0x000000ff;
	*pixels = p;
	*w = 640;
	*h = 400;
	return 0;
}

static void test_directory(void **state)
{
	const struct vnc_directory dir = { .list = dir_list, .pixels = dir_pixels };
	struct vnc_config cfg = vt_config();
	png_image img = { .version = PNG_IMAGE_VERSION };
	uint8_t *rgb;
	char *buf, *body;
	size_t n;
	int status, port;
	struct vt t;

	(void)state;
	cfg.web_port = VNC_WEB_PORT_ANY;
	cfg.directory = &dir;
	vt_setup(&t, 64, 48, PIXMAN_x8r8g8b8, &cfg);
	port = vnc_server_web_port(t.vnc);

	buf = http_get(port, "/api/framebuffers", &status, &body, &n);
	assert_int_equal(status, 200);
	assert_non_null(strstr(body, "\"thumbnails\":true"));
	assert_non_null(strstr(body, "{\"id\":0,\"name\":\"a \\\"quoted\\\"\\\\name\\u000a\","
				     "\"width\":640,\"height\":400,\"format\":\"x8r8g8b8\","
				     "\"clients\":3,\"vnc_port\":5907,\"password\":false}"));
	assert_non_null(strstr(body, "{\"id\":5,\"name\":\"locked\",\"width\":0,\"height\":0,"
				     "\"format\":\"\",\"clients\":0,\"vnc_port\":-1,"
				     "\"password\":true}"));
	free(buf);

	/* 640x400 fits 320x200 at half size, colours kept. */
	buf = http_get(port, "/api/thumbnail?id=0", &status, &body, &n);
	assert_int_equal(status, 200);
	assert_non_null(strstr(buf, "Content-Type: image/png"));
	assert_true(png_image_begin_read_from_memory(&img, body, n));
	assert_int_equal(img.width, 320);
	assert_int_equal(img.height, 200);
	img.format = PNG_FORMAT_RGB;
	rgb = malloc(PNG_IMAGE_SIZE(img));
	assert_non_null(rgb);
	assert_true(png_image_finish_read(&img, NULL, rgb, 0, NULL));
	assert_memory_equal(&rgb[(100 * 320 + 80) * 3], "\xff\x00\x00", 3);
	assert_memory_equal(&rgb[(100 * 320 + 240) * 3], "\x00\x00\xff", 3);
	free(rgb);
	free(buf);

	assert_int_equal(get_status(port, "/api/thumbnail?id=5"), 403);
	assert_int_equal(get_status(port, "/api/thumbnail?id=7"), 404);
	assert_int_equal(get_status(port, "/api/thumbnail?id=x"), 400);
	assert_int_equal(get_status(port, "/api/thumbnail?id=-1"), 400);
	assert_int_equal(get_status(port, "/api/thumbnail?id=99999999999999999999"), 400);
	assert_int_equal(get_status(port, "/api/thumbnail"), 400);
	vt_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_connections_per_address),
		cmocka_unit_test(test_list_self),
		cmocka_unit_test(test_directory),
	};

	if (access(VT_SOURCE_DIR "/vnc/web/node_modules/@novnc/novnc/core/rfb.js", R_OK) &&
	    access("/usr/share/novnc/core/rfb.js", R_OK)) {
		printf("skipped: no noVNC ('npm install' in %s/vnc/web)\n", VT_SOURCE_DIR);
		return 77;
	}
	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
