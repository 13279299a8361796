/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-qemu-key.c - QEMU extended key events (client message
 * 255 subtype 0, pseudo-encoding -258): the server acknowledges -258 with a
 * FramebufferUpdate holding one -258 pseudo-rectangle exactly when a client
 * announces it (after its first update); libvncclient then sends extended key events, which reach
 * the guest's key_code handler with their keysym and QEMU key number; a
 * view-only client's (server-wide or by password) never do. The edge
 * refuses other QEMU subtypes, and extended key events from a client that
 * did not announce -258.
 */
#include "tests/vnc/vnc-fixture.h"
#include "tests/vnc/vnc-raw-client.h"

#define ENCODING_QEMU_KEY 0xFFFFFEFEu /* -258 */
#define KEYSYM_A 0x61u
#define QNUM_A 0x1eu
#define KEYSYM_CONTROL_R 0xffe4u
#define QNUM_CONTROL_R 0x9du /* XT 0xe0 0x1d, folded to 0x80|0x1d */

/* What the guest's key_code handler received. */
struct keys_seen {
	pthread_mutex_t lock; /* protects all fields */
	pthread_cond_t cond;
	unsigned events; /* key_code calls */
	unsigned plain;	 /* key calls (no scancode) */
	uint32_t keysym, qnum;
	bool down;
};

static struct keys_seen seen = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static void on_key(void *o, uint32_t keysym, bool down)
{
	(void)o;
	(void)keysym;
	(void)down;
	pthread_mutex_lock(&seen.lock);
	seen.plain++;
	pthread_cond_broadcast(&seen.cond);
	pthread_mutex_unlock(&seen.lock);
}

static void on_key_code(void *o, uint32_t keysym, uint32_t qnum, bool down)
{
	(void)o;
	pthread_mutex_lock(&seen.lock);
	seen.events++;
	seen.keysym = keysym;
	seen.qnum = qnum;
	seen.down = down;
	pthread_cond_broadcast(&seen.cond);
	pthread_mutex_unlock(&seen.lock);
}

static const struct fb_input_ops key_ops = {
	.key = on_key,
	.key_code = on_key_code,
};

static void reset_seen(void)
{
	pthread_mutex_lock(&seen.lock);
	seen.events = seen.plain = 0;
	seen.keysym = seen.qnum = 0;
	seen.down = false;
	pthread_mutex_unlock(&seen.lock);
}

/* Waits (bounded) for the n-th key_code call; false on timeout. */
static bool wait_key_codes(unsigned n)
{
	uint64_t end = vt_now_ms() + VT_WAIT_MS;
	bool ok;

	pthread_mutex_lock(&seen.lock);
	while (!(ok = seen.events >= n) && vt_now_ms() < end) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 20 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&seen.cond, &seen.lock, &ts);
	}
	pthread_mutex_unlock(&seen.lock);
	return ok;
}

static void setup_keys(struct vt *t, const struct vnc_config *cfg)
{
	vt_setup(t, 64, 48, PIXMAN_x8r8g8b8, cfg);
	reset_seen();
	fb_set_input_handler(t->fb, &key_ops, &t->in);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* SetEncodings: raw, and -258 when qemu_key. */
static void send_encodings(int fd, bool qemu_key)
{
	uint8_t m[12] = { 2, 0, 0, qemu_key ? 2 : 1 };
	size_t len = qemu_key ? 12 : 8;

	put32(m + 4, 0);
	put32(m + 8, ENCODING_QEMU_KEY);
	assert_int_equal(send(fd, m, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void send_update_request(int fd)
{
	const uint8_t m[10] = { 3, 0, 0, 0, 0, 0, 0, 64, 0, 48 }; /* full 64x48 */

	assert_int_equal(send(fd, m, sizeof(m), MSG_NOSIGNAL), (ssize_t)sizeof(m));
}

/* Sends a QEMU message of the given subtype (a key event's layout). */
static void send_qemu(int fd, uint8_t subtype, uint32_t keysym, uint32_t qnum, bool down)
{
	uint8_t m[12] = { 255, subtype, 0, down };

	put32(m + 4, keysym);
	put32(m + 8, qnum);
	assert_int_equal(send(fd, m, sizeof(m), MSG_NOSIGNAL), (ssize_t)sizeof(m));
}

/* Reads until the server closes fd (bounded): true if it did. */
static bool closed_by_server(int fd)
{
	uint8_t b[4096];

	for (uint64_t end = vt_now_ms() + VT_WAIT_MS; vt_now_ms() < end;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 100) <= 0)
			continue;
		r = recv(fd, b, sizeof(b), 0);
		if (r <= 0)
			return true;
	}
	return false;
}

/* SetPixelFormat: 32 bpp x8r8g8b8 little-endian, so raw rectangles have a
 * known size. */
static void send_pixel_format(int fd)
{
	const uint8_t m[20] = { 0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0 };

	assert_int_equal(send(fd, m, sizeof(m), MSG_NOSIGNAL), (ssize_t)sizeof(m));
}

/* Reads one server message, which must be a FramebufferUpdate of raw
 * (32 bpp) and pseudo rectangles: true if it is exactly the -258
 * acknowledgement (one empty -258 rectangle at 0,0); *acks counts -258
 * rectangles in it. */
static bool read_update(int fd, unsigned *acks)
{
	static const uint8_t ack[16] = {
		0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xfe, 0xfe
	};
	uint8_t head[4], rect[12], px[4096];
	unsigned n;
	bool only_ack = false;

	assert_int_equal(vt_read_exact(fd, head, sizeof(head)), 0);
	assert_int_equal(head[0], 0); /* FramebufferUpdate */
	n = (unsigned)head[2] << 8 | head[3];
	for (unsigned i = 0; i < n; i++) {
		uint32_t enc;
		size_t bytes;

		assert_int_equal(vt_read_exact(fd, rect, sizeof(rect)), 0);
		enc = get32(rect + 8);
		if (enc == ENCODING_QEMU_KEY) {
			++*acks;
			only_ack = n == 1 && !memcmp(head, ack, 4) && !memcmp(rect, ack + 4, 12);
			continue;
		}
		assert_int_equal(enc, 0); /* raw: the only other one announced */
		bytes = (size_t)(rect[4] << 8 | rect[5]) * (size_t)(rect[6] << 8 | rect[7]) * 4;
		while (bytes) {
			size_t k = bytes < sizeof(px) ? bytes : sizeof(px);

			assert_int_equal(vt_read_exact(fd, px, k), 0);
			bytes -= k;
		}
	}
	return only_ack;
}

/* Raw client: -258 announced gets the acknowledgement, exactly, after the
 * first picture; not announced, none comes with two pictures. */
static void test_ack_exactly_when_announced(void **state)
{
	struct vnc_config cfg = vt_config();
	const uint8_t incremental[10] = { 3, 1, 0, 0, 0, 0, 0, 64, 0, 48 };
	unsigned acks = 0, updates = 0;
	struct vt t;
	int fd;

	(void)state;
	setup_keys(&t, &cfg);
	fd = vt_rfb_client(vnc_server_port(t.vnc), 0);
	assert_true(fd >= 0);
	send_pixel_format(fd);
	send_encodings(fd, true);
	send_update_request(fd);
	while (!read_update(fd, &acks)) {
		updates++;
		assert_true(updates < 8);
	}
	print_message("with -258: the acknowledgement after %u picture update(s)\n", updates);
	assert_int_equal(acks, 1);
	assert_true(updates >= 1);
	/* A key through the raw client, down then up. */
	send_qemu(fd, 0, KEYSYM_A, QNUM_A, true);
	send_qemu(fd, 0, KEYSYM_A, QNUM_A, false);
	assert_true(wait_key_codes(2));
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.keysym, KEYSYM_A);
	assert_int_equal(seen.qnum, QNUM_A);
	assert_false(seen.down);
	assert_int_equal(seen.plain, 0);
	pthread_mutex_unlock(&seen.lock);
	/* Another QEMU subtype (1 is QEMU audio) is refused. */
	send_qemu(fd, 1, 0, 0, true);
	assert_true(closed_by_server(fd));
	close(fd);

	/* Not announced: the full picture, then a guest change, and no
	 * acknowledgement in either. */
	fd = vt_rfb_client(vnc_server_port(t.vnc), 0);
	assert_true(fd >= 0);
	send_pixel_format(fd);
	send_encodings(fd, false);
	send_update_request(fd);
	assert_false(read_update(fd, &acks));
	assert_int_equal(fb_fill_rect(t.fb, 0, 0, 8, 8, 0xff0000), 0);
	fb_render_kick(t.render);
	assert_int_equal(send(fd, incremental, sizeof(incremental), MSG_NOSIGNAL),
			 (ssize_t)sizeof(incremental));
	assert_false(read_update(fd, &acks));
	assert_int_equal(acks, 1);
	/* An extended key event without the announcement is refused. */
	send_qemu(fd, 0, KEYSYM_A, QNUM_A, true);
	assert_true(closed_by_server(fd));
	close(fd);
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.events, 2);
	pthread_mutex_unlock(&seen.lock);
	vt_teardown(&t);
}

/* Pumps c until libvncclient has taken the acknowledgement (it arrives
 * after the first update, which carries LibVNCServer's SupportedMessages
 * list); false on timeout. */
static bool wait_qemu_key_support(struct vtc *c)
{
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS; vt_now_ms() < end;) {
		if (SupportsClient2Server(vtc_rfb(c), rfbQemuEvent))
			return true;
		if (vtc_pump(c, 20) != 0)
			return false;
	}
	return false;
}

/* libvncclient learns support from the acknowledgement and sends extended
 * key events; they reach key_code with keysym and qnum. */
static void test_libvncclient_extended_keys(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vtc *c;
	struct vt t;

	(void)state;
	setup_keys(&t, &cfg);
	c = vt_connect(&t, "raw");
	vt_expect_guest(&t, c, "extended key client");
	assert_true(wait_qemu_key_support(c));
	assert_true(SendExtendedKeyEvent(vtc_rfb(c), KEYSYM_A, QNUM_A, TRUE));
	assert_true(wait_key_codes(1));
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.keysym, KEYSYM_A);
	assert_int_equal(seen.qnum, QNUM_A);
	assert_true(seen.down);
	pthread_mutex_unlock(&seen.lock);
	assert_true(SendExtendedKeyEvent(vtc_rfb(c), KEYSYM_CONTROL_R, QNUM_CONTROL_R, FALSE));
	assert_true(wait_key_codes(2));
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.keysym, KEYSYM_CONTROL_R);
	assert_int_equal(seen.qnum, QNUM_CONTROL_R);
	assert_false(seen.down);
	assert_int_equal(seen.plain, 0);
	pthread_mutex_unlock(&seen.lock);
	/* Plain keys still come as keysyms alone. */
	assert_int_equal(vtc_key(c, KEYSYM_A, true), 0);
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS;;) {
		unsigned plain;

		pthread_mutex_lock(&seen.lock);
		plain = seen.plain;
		pthread_mutex_unlock(&seen.lock);
		if (plain == 1)
			break;
		assert_true(vt_now_ms() < end);
		assert_int_equal(vtc_pump(c, 20), 0);
	}
	vtc_free(c);
	vt_teardown(&t);
}

static void write_file(char *path, const char *content)
{
	int fd;

	strcpy(path, "/tmp/fbhost-vnc-test-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

/* A view-only client (server-wide, or by the view-only password, which the
 * edge enforces) gets the acknowledgement, but its extended keys never
 * reach the guest; a full client's on the same server do. */
static void test_view_only_dropped(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vtc_options o;
	struct vtc *view, *full;
	char err[256], pw[64];
	struct vt t;

	(void)state;
	cfg.view_only = true;
	setup_keys(&t, &cfg);
	view = vt_connect(&t, "raw");
	vt_expect_guest(&t, view, "view-only client");
	assert_true(wait_qemu_key_support(view));
	assert_true(SendExtendedKeyEvent(vtc_rfb(view), KEYSYM_A, QNUM_A, TRUE));
	/* A round trip later, nothing has reached the guest. */
	fb_fill_rect(t.fb, 0, 0, 8, 8, 0xff0000);
	vt_expect_guest(&t, view, "view-only after a key");
	vtc_free(view);
	vt_teardown(&t);
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.events + seen.plain, 0);
	pthread_mutex_unlock(&seen.lock);

	write_file(pw, "fullpw\nlookonly\n");
	cfg = vt_config();
	cfg.password_file = pw;
	setup_keys(&t, &cfg);
	o = vt_client_opts(&t, "raw");
	o.password = "lookonly";
	view = vtc_connect(&o, err, sizeof(err));
	if (!view)
		fail_msg("view-only password refused: %s", err);
	o.password = "fullpw";
	full = vtc_connect(&o, err, sizeof(err));
	if (!full)
		fail_msg("full password refused: %s", err);
	vt_expect_guest(&t, view, "view-only password client");
	vt_expect_guest(&t, full, "full password client");
	assert_true(wait_qemu_key_support(view));
	assert_true(wait_qemu_key_support(full));
	assert_true(SendExtendedKeyEvent(vtc_rfb(view), KEYSYM_A, QNUM_A, TRUE));
	for (int i = 0; i < 2; i++) {
		fb_fill_rect(t.fb, 0, 0, 8, 8, 0x00ff00u + (uint32_t)i);
		vt_expect_guest(&t, view, "view-only round trip");
	}
	assert_true(SendExtendedKeyEvent(vtc_rfb(full), KEYSYM_CONTROL_R, QNUM_CONTROL_R, TRUE));
	assert_true(wait_key_codes(1));
	pthread_mutex_lock(&seen.lock);
	assert_int_equal(seen.events, 1);
	assert_int_equal(seen.qnum, QNUM_CONTROL_R);
	assert_int_equal(seen.plain, 0);
	pthread_mutex_unlock(&seen.lock);
	vtc_free(view);
	vtc_free(full);
	vt_teardown(&t);
	unlink(pw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_exactly_when_announced),
		cmocka_unit_test(test_libvncclient_extended_keys),
		cmocka_unit_test(test_view_only_dropped),
	};

	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
