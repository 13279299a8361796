/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-edge-input.c - the edge's limits on what a client
 * sends keep every client served:
 *   1. a message sent right behind a large ClientCutText (past the edge's
 *      VNC_EDGE_INPUT_MAX_BYTES of forwarded input) is still handled when
 *      the client then waits, sending nothing more: the cut text reaches
 *      the guest whole and the update request is answered;
 *   2. a WebSocket client that pings without end and never reads is
 *      dropped by the slow-client timer, its reason naming the WebSocket
 *      messages queued for it, and the next client is served.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/vnc/vnc-fixture.h"
#include "tests/vnc/vnc-raw-client.h"

#define W 64
#define H 48
/* Past VNC_EDGE_INPUT_MAX_BYTES (256 KiB), within the 1 MiB cut text limit. */
#define CUT_TEXT_BYTES (300u * 1024)
#define SLOW_TIMEOUT_MS 1000u
/* Empty masked pings sent at most, and in one send() at most. */
#define PING_FLOOD_MAX_BYTES (256u * 1024 * 1024)
#define PING_BATCH 1024u

static void send_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		assert_true(w > 0);
		p = (const uint8_t *)p + w;
		n -= (size_t)w;
	}
}

static bool clip_is_long(struct vt_input *in, const void *arg)
{
	(void)arg;
	return in->clip_events == 1 && strlen(in->clip) == sizeof(in->clip) - 1;
}

static void test_request_behind_large_cut_text(void **state)
{
	struct vnc_config cfg = vt_config();
	static const uint8_t request[10] = { 3, 0, 0, 0, 0, 0, 0, W, 0, H };
	size_t n = 8 + CUT_TEXT_BYTES + sizeof(request);
	uint8_t *msgs = malloc(n), type;
	struct vt t;
	int fd;

	(void)state;
	assert_non_null(msgs);
	vt_setup(&t, W, H, PIXMAN_x8r8g8b8, &cfg);
	fd = vt_rfb_client(vnc_server_port(t.vnc), 0);
	assert_true(fd >= 0);
	/* ClientCutText of CUT_TEXT_BYTES, then a full update request, in
	 * one burst; then the client only waits. */
	memset(msgs, 0, 8);
	msgs[0] = 6;
	msgs[4] = (uint8_t)(CUT_TEXT_BYTES >> 24);
	msgs[5] = (uint8_t)(CUT_TEXT_BYTES >> 16);
	msgs[6] = (uint8_t)(CUT_TEXT_BYTES >> 8);
	msgs[7] = (uint8_t)CUT_TEXT_BYTES;
	memset(msgs + 8, 'a', CUT_TEXT_BYTES);
	memcpy(msgs + 8 + CUT_TEXT_BYTES, request, sizeof(request));
	send_all(fd, msgs, n);
	assert_int_equal(vt_read_exact(fd, &type, 1), 0);
	assert_int_equal(type, 0); /* FramebufferUpdate */
	assert_true(vt_wait_input(&t, clip_is_long, NULL, VT_WAIT_MS));
	close(fd);
	free(msgs);
	vt_teardown(&t);
}

/* A WebSocket client on a bare socket: masked frames out, a byte stream
 * of the server's binary messages in. */
struct ws_client {
	int fd;
	uint8_t buf[4096];
	size_t len, off;
};

/* Sends one masked frame (mask key 0: the payload goes as it is). */
static void ws_send(int fd, uint8_t opcode, const void *p, size_t n)
{
	uint8_t h[8] = { (uint8_t)(0x80 | opcode), (uint8_t)(0x80 | n), 0, 0, 0, 0 };

	assert_true(n < 126);
	send_all(fd, h, 6);
	if (n)
		send_all(fd, p, n);
}

/* Reads exactly n bytes of the server's messages: 0 or -1. */
static int ws_read_exact(struct ws_client *ws, void *out, size_t n)
{
	uint8_t *o = out;

	while (n) {
		uint8_t h[2], ext[8];
		uint64_t len;

		if (ws->off < ws->len) {
			size_t k = ws->len - ws->off < n ? ws->len - ws->off : n;

			memcpy(o, ws->buf + ws->off, k);
			ws->off += k;
			o += k;
			n -= k;
			continue;
		}
		if (vt_read_exact(ws->fd, h, 2) < 0 || (h[0] & 0x0f) != 2 || (h[1] & 0x80))
			return -1;
		len = h[1] & 0x7f;
		if (len == 126) {
			if (vt_read_exact(ws->fd, ext, 2) < 0)
				return -1;
			len = (uint64_t)ext[0] << 8 | ext[1];
		} else if (len == 127) {
			return -1; /* the handshake's messages are short */
		}
		if (len > sizeof(ws->buf) || vt_read_exact(ws->fd, ws->buf, (size_t)len) < 0)
			return -1;
		ws->len = (size_t)len;
		ws->off = 0;
	}
	return 0;
}

/* Upgrades, then RFB 3.8 with security None through ServerInit. */
static void ws_connect(struct ws_client *ws, int port)
{
	static const char upgrade[] = "GET / HTTP/1.1\r\nHost: localhost\r\n"
				      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
				      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
				      "Sec-WebSocket-Version: 13\r\n\r\n";
	uint8_t b[64], one = 1;
	char reply[512];
	size_t got = 0;
	uint32_t name_len;

	memset(ws, 0, sizeof(*ws));
	ws->fd = vt_tcp_connect(port, 4096, false);
	assert_true(ws->fd >= 0);
	send_all(ws->fd, upgrade, sizeof(upgrade) - 1);
	/* The 101 reply, a byte at a time up to its blank line. */
	while (got < 4 || memcmp(reply + got - 4, "\r\n\r\n", 4) != 0) {
		assert_true(got < sizeof(reply) - 1);
		assert_int_equal(vt_read_exact(ws->fd, reply + got, 1), 0);
		got++;
	}
	reply[got] = '\0';
	assert_non_null(strstr(reply, " 101 "));
	assert_int_equal(ws_read_exact(ws, b, 12), 0);
	ws_send(ws->fd, 2, "RFB 003.008\n", 12);
	assert_int_equal(ws_read_exact(ws, b, 2), 0);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[1], 1); /* None */
	ws_send(ws->fd, 2, &one, 1);
	assert_int_equal(ws_read_exact(ws, b, 4), 0);
	ws_send(ws->fd, 2, &one, 1); /* shared */
	assert_int_equal(ws_read_exact(ws, b, 24), 0);
	name_len = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 | (uint32_t)b[22] << 8 | b[23];
	assert_true(name_len < sizeof(b));
	assert_int_equal(ws_read_exact(ws, b, name_len), 0);
}

static void test_websocket_ping_flood(void **state)
{
	struct vnc_config cfg = vt_config();
	static uint8_t pings[PING_BATCH * 6];
	struct vnc_server_stats st;
	struct ws_client ws;
	uint64_t end, sent = 0;
	bool dropped = false;
	struct vt t;
	int fd;

	(void)state;
	cfg.slow_client_timeout_ms = SLOW_TIMEOUT_MS;
	cfg.log = vt_log_line;
	for (size_t i = 0; i < PING_BATCH; i++) {
		pings[i * 6] = 0x89;	 /* FIN, ping */
		pings[i * 6 + 1] = 0x80; /* masked, empty */
	}
	vt_setup(&t, W, H, PIXMAN_x8r8g8b8, &cfg);
	ws_connect(&ws, vnc_server_port(t.vnc));
	/* Pings, never reading, until the server drops the connection. */
	end = vt_now_ms() + VT_WAIT_MS;
	while (!dropped && sent < PING_FLOOD_MAX_BYTES && vt_now_ms() < end) {
		struct pollfd pfd = { .fd = ws.fd, .events = POLLOUT };
		ssize_t w;

		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			fail_msg("poll: %s", strerror(errno));
		w = send(ws.fd, pings, sizeof(pings), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0)
			sent += (uint64_t)w;
		else if (w < 0 && errno != EAGAIN && errno != EINTR)
			dropped = true; /* EPIPE or ECONNRESET */
		else if (pfd.revents & (POLLHUP | POLLERR))
			dropped = true;
	}
	print_message("sent %llu bytes of pings before the drop\n", (unsigned long long)sent);
	assert_true(dropped);
	assert_true(
		vt_wait_log(" WebSocket messages queued, none written for 1000 ms", VT_WAIT_MS));
	close(ws.fd);
	vnc_server_get_stats(t.vnc, &st);
	assert_true(st.slow_disconnects >= 1);
	/* The next client is served. */
	fd = vt_rfb_client(vnc_server_port(t.vnc), 0);
	assert_true(fd >= 0);
	close(fd);
	vt_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_behind_large_cut_text),
		cmocka_unit_test(test_websocket_ping_flood),
	};

	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
