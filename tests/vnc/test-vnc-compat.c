/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-compat.c - what viewers other than noVNC rely on, on
 * the wire:
 *   - ExtendedDesktopSize in the first update, with a non-zero screen id
 *     (TurboVNC and libvncclient-based Guacamole turn client-side resize
 *     off otherwise; libvncclient ignores a screen with id 0);
 *   - guest clipboard text with non-ASCII characters to clients without
 *     Extended Clipboard: Latin-1 with its own length, and the stream stays
 *     in sync (LibVNCServer 0.9.14's rfbSendServerCutTextUTF8 gets that
 *     length wrong); to Extended Clipboard clients: the UTF-8 text;
 *   - a client still in its handshake gets no clipboard text in it.
 * A raw RFB client here checks the bytes; libvncclient checks a real
 * viewer's view.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "tests/vnc/vnc-fixture.h"

/* RFB numbers (RFC 6143 and the community pseudo-encodings). */
#define RR_ENC_RAW 0
#define RR_ENC_DESKTOP_SIZE (-223)
#define RR_ENC_EXT_DESKTOP_SIZE (-308)
#define RR_ENC_EXT_CLIPBOARD ((int32_t)0xc0a1e5ce)
#define RR_EXT_CLIP_TEXT 0x1u
#define RR_EXT_CLIP_CAPS (1u << 24)
#define RR_EXT_CLIP_PROVIDE (1u << 28)
/* Largest message payload the raw client accepts (a 640x480 raw frame). */
#define RR_MAX_PAYLOAD_BYTES (640u * 480u * 4u)
/* Guest text with characters Latin-1 has (é, ü) and one it lacks (☃). */
#define GUEST_TEXT "caf\xc3\xa9 \xe2\x98\x83 \xc3\xbc"
#define GUEST_TEXT_LATIN1 "caf\xe9 ? \xfc"

/* A raw RFB 3.8 client: 32 bpp x8r8g8b8 little-endian, raw encoding. */
struct rr {
	int fd;
	uint32_t w, h;
	uint32_t *fb;
	/* What the last read_message saw. */
	unsigned updates; /* complete FramebufferUpdates */
	bool ext_size_seen;
	uint32_t screen_id; /* of the last ExtendedDesktopSize's first screen */
	uint32_t screen_w, screen_h;
	unsigned cut_count; /* plain ServerCutText messages */
	char cut[256];
	unsigned ext_caps;	 /* Extended Clipboard capability messages */
	unsigned ext_text_count; /* Extended Clipboard provide messages */
	char ext_text[256];
};

/* Reads exactly len bytes within the deadline: 0 or -1. */
static int rr_read(struct rr *r, void *buf, size_t len, uint64_t deadline)
{
	uint8_t *p = buf;

	while (len > 0) {
		struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
		uint64_t now = vt_now_ms();
		ssize_t n;

		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) <= 0)
			return -1;
		n = read(r->fd, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void rr_write(struct rr *r, const void *buf, size_t len)
{
	assert_int_equal(write(r->fd, buf, len), (ssize_t)len);
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Connects and reads the server's protocol version. */
static void rr_open(struct rr *r, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	char version[12];

	memset(r, 0, sizeof(*r));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(r->fd >= 0);
	assert_int_equal(connect(r->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(rr_read(r, version, sizeof(version), vt_now_ms() + VT_WAIT_MS), 0);
	assert_memory_equal(version, "RFB 003.008\n", sizeof(version));
}

static void rr_request(struct rr *r, bool incremental)
{
	uint8_t fur[10] = { 3, incremental };

	fur[6] = (uint8_t)(r->w >> 8);
	fur[7] = (uint8_t)r->w;
	fur[8] = (uint8_t)(r->h >> 8);
	fur[9] = (uint8_t)r->h;
	rr_write(r, fur, sizeof(fur));
}

/* What rr_handshake announces and asks. */
enum rr_flags {
	RR_EXT_CLIPBOARD = 1,	  /* announce Extended Clipboard */
	RR_NO_DESKTOP_SIZE = 2,	  /* announce ExtendedDesktopSize only */
	RR_INCREMENTAL_FIRST = 4, /* the first update request is incremental */
};

/* The rest of the handshake (security None, shared), then SetPixelFormat,
 * SetEncodings (raw, DesktopSize, ExtendedDesktopSize and what flags add)
 * and a full update request. */
static void rr_handshake(struct rr *r, unsigned flags)
{
	const uint64_t end = vt_now_ms() + VT_WAIT_MS;
	const uint8_t pixel_format[20] = { 0, 0,   0, 0,   32, 24, 0, 1, 0, 255,
					   0, 255, 0, 255, 16, 8,  0, 0, 0, 0 };
	uint8_t n, types[16], result[4], init[24], enc[4 + 4 * 4];
	uint8_t none = 1, shared = 1;
	int32_t encs[4];
	uint16_t nenc = 0;
	char name[256];
	uint32_t name_len;

	encs[nenc++] = RR_ENC_RAW;
	if (!(flags & RR_NO_DESKTOP_SIZE))
		encs[nenc++] = RR_ENC_DESKTOP_SIZE;
	encs[nenc++] = RR_ENC_EXT_DESKTOP_SIZE;
	if (flags & RR_EXT_CLIPBOARD)
		encs[nenc++] = RR_ENC_EXT_CLIPBOARD;
	rr_write(r, "RFB 003.008\n", 12);
	assert_int_equal(rr_read(r, &n, 1, end), 0);
	assert_true(n > 0 && n <= sizeof(types));
	assert_int_equal(rr_read(r, types, n, end), 0);
	assert_non_null(memchr(types, 1, n)); /* None is offered */
	rr_write(r, &none, 1);
	assert_int_equal(rr_read(r, result, 4, end), 0);
	assert_int_equal(be32(result), 0);
	rr_write(r, &shared, 1);
	assert_int_equal(rr_read(r, init, sizeof(init), end), 0);
	r->w = be16(init);
	r->h = be16(init + 2);
	name_len = be32(init + 20);
	assert_true(name_len < sizeof(name));
	assert_int_equal(rr_read(r, name, name_len, end), 0);
	assert_true(r->w * r->h * 4 <= RR_MAX_PAYLOAD_BYTES);
	r->fb = calloc((size_t)r->w * r->h + 1, 4);
	assert_non_null(r->fb);

	rr_write(r, pixel_format, sizeof(pixel_format));
	memset(enc, 0, sizeof(enc));
	enc[0] = 2;
	enc[2] = (uint8_t)(nenc >> 8);
	enc[3] = (uint8_t)nenc;
	for (uint16_t i = 0; i < nenc; i++)
		put32(enc + 4 + 4 * i, (uint32_t)encs[i]);
	rr_write(r, enc, 4u + 4u * nenc);
	rr_request(r, flags & RR_INCREMENTAL_FIRST);
}

static void rr_close(struct rr *r)
{
	close(r->fd);
	free(r->fb);
}

/* Inflates an Extended Clipboard provide payload: the text format's size
 * (with its NUL) and bytes, into r->ext_text. */
static void rr_ext_provide(struct rr *r, const uint8_t *z, size_t zlen)
{
	uint8_t out[4 + sizeof(r->ext_text)];
	uLongf olen = sizeof(out);
	uint32_t tlen;

	assert_int_equal(uncompress(out, &olen, z, zlen), Z_OK);
	assert_true(olen >= 4);
	tlen = be32(out);
	assert_true(tlen >= 1 && tlen <= olen - 4 && tlen <= sizeof(r->ext_text));
	memcpy(r->ext_text, out + 4, tlen);
	r->ext_text[tlen - 1] = '\0';
	r->ext_text_count++;
}

/* Reads one framebuffer update's rectangles. */
static int rr_update(struct rr *r, uint64_t end)
{
	uint8_t hdr[3], rect[12];
	uint16_t nrects;

	if (rr_read(r, hdr, 3, end) != 0)
		return -1;
	nrects = be16(hdr + 1);
	for (uint16_t i = 0; i < nrects; i++) {
		uint16_t x, y, w, h;
		uint32_t old_w = r->w, old_h = r->h;
		int32_t enc;

		if (rr_read(r, rect, sizeof(rect), end) != 0)
			return -1;
		x = be16(rect);
		y = be16(rect + 2);
		w = be16(rect + 4);
		h = be16(rect + 6);
		enc = (int32_t)be32(rect + 8);
		if (enc == RR_ENC_RAW) {
			assert_true(x + w <= r->w && y + h <= r->h);
			for (uint16_t row = 0; row < h; row++)
				if (rr_read(r, r->fb + (size_t)(y + row) * r->w + x, (size_t)w * 4,
					    end) != 0)
					return -1;
		} else if (enc == RR_ENC_EXT_DESKTOP_SIZE) {
			uint8_t eds[4], screen[16];

			if (rr_read(r, eds, 4, end) != 0)
				return -1;
			assert_true(eds[0] >= 1);
			for (uint8_t s = 0; s < eds[0]; s++) {
				if (rr_read(r, screen, 16, end) != 0)
					return -1;
				if (s == 0) {
					r->screen_id = be32(screen);
					r->screen_w = be16(screen + 8);
					r->screen_h = be16(screen + 10);
				}
			}
			r->ext_size_seen = true;
			r->w = w;
			r->h = h;
		} else if (enc == RR_ENC_DESKTOP_SIZE) {
			r->w = w;
			r->h = h;
		} else {
			fail_msg("unexpected encoding %d (stream out of sync?)", enc);
		}
		if (r->w != old_w || r->h != old_h) {
			assert_true(r->w * r->h * 4 <= RR_MAX_PAYLOAD_BYTES);
			free(r->fb);
			r->fb = calloc((size_t)r->w * r->h + 1, 4);
			assert_non_null(r->fb);
		}
	}
	r->updates++;
	return 0;
}

/* Reads one server message and records it: 0, or -1 on timeout/close.
 * Fails the test on anything a synchronised stream cannot contain. */
static int rr_read_message(struct rr *r, uint64_t end)
{
	uint8_t type, hdr[7];
	int32_t len;

	if (rr_read(r, &type, 1, end) != 0)
		return -1;
	switch (type) {
	case 0:
		return rr_update(r, end);
	case 2: /* Bell */
		return 0;
	case 3:
		break;
	default:
		fail_msg("unexpected message type %u (stream out of sync?)", type);
	}
	if (rr_read(r, hdr, sizeof(hdr), end) != 0)
		return -1;
	len = (int32_t)be32(hdr + 3);
	if (len >= 0) {
		char *text = malloc((size_t)len + 1);

		assert_true((uint32_t)len < sizeof(r->cut));
		assert_non_null(text);
		if (rr_read(r, text, (size_t)len, end) != 0) {
			free(text);
			return -1;
		}
		memcpy(r->cut, text, (size_t)len);
		r->cut[len] = '\0';
		r->cut_count++;
		free(text);
	} else {
		uint32_t n = (uint32_t) - (int64_t)len, flags;
		uint8_t *ext;

		assert_true(n >= 4 && n <= 65536);
		ext = malloc(n);
		assert_non_null(ext);
		if (rr_read(r, ext, n, end) != 0) {
			free(ext);
			return -1;
		}
		flags = be32(ext);
		if (flags & RR_EXT_CLIP_CAPS)
			r->ext_caps++;
		else if (flags & RR_EXT_CLIP_PROVIDE) {
			assert_true(flags & RR_EXT_CLIP_TEXT);
			rr_ext_provide(r, ext + 4, n - 4);
		}
		free(ext);
	}
	return 0;
}

/* Reads messages until the next complete framebuffer update. */
static void rr_wait_update(struct rr *r)
{
	const uint64_t end = vt_now_ms() + VT_WAIT_MS;
	unsigned start = r->updates;

	while (r->updates == start)
		assert_int_equal(rr_read_message(r, end), 0);
}

/* Requests updates until r has had one and shows exactly t's guest
 * picture. */
static void rr_expect_guest(struct vt *t, struct rr *r, const char *what)
{
	const uint64_t end = vt_now_ms() + VT_WAIT_MS;
	uint32_t w, h;
	uint32_t *want = vt_guest_x8(t, &w, &h);

	fb_render_kick(t->render);
	for (;;) {
		bool same = r->updates > 0 && r->w == w && r->h == h;

		for (size_t i = 0; same && i < (size_t)w * h; i++)
			same = (r->fb[i] & 0xffffffu) == (want[i] & 0xffffffu);
		if (same)
			break;
		if (vt_now_ms() >= end)
			fail_msg("%s: raw client picture differs from the guest", what);
		rr_request(r, true);
		rr_wait_update(r);
	}
	free(want);
}

static void test_ext_desktop_size_at_connect(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vtc *c;
	struct rr r, r2;
	struct vt t;

	(void)state;
	vt_setup(&t, 200, 120, PIXMAN_x8r8g8b8, &cfg);
	vt_draw_random(&t, 5, 20);

	/* On the wire: the first update is the screen layout, id non-zero. */
	rr_open(&r, vnc_server_port(t.vnc));
	rr_handshake(&r, 0);
	rr_wait_update(&r);
	assert_true(r.ext_size_seen);
	assert_int_not_equal(r.screen_id, 0);
	assert_int_equal(r.screen_w, 200);
	assert_int_equal(r.screen_h, 120);
	rr_expect_guest(&t, &r, "after the layout");

	/* Also for a client that announces only ExtendedDesktopSize and asks
	 * for an incremental update first (LibVNCServer itself sends the
	 * layout only for a full one). */
	rr_open(&r2, vnc_server_port(t.vnc));
	rr_handshake(&r2, RR_NO_DESKTOP_SIZE | RR_INCREMENTAL_FIRST);
	rr_wait_update(&r2);
	assert_true(r2.ext_size_seen);
	assert_int_not_equal(r2.screen_id, 0);
	rr_expect_guest(&t, &r2, "incremental-first client");
	rr_close(&r2);

	/* libvncclient keeps only a screen with a non-zero id, and sends
	 * SetDesktopSize only once it has one. */
	c = vt_connect(&t, "raw");
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS; vtc_rfb(c)->screen.width == 0;)
		assert_true(vtc_pump(c, 20) == 0 && vt_now_ms() < end);
	assert_int_not_equal(vtc_rfb(c)->screen.id, 0);
	assert_int_equal(ntohs(vtc_rfb(c)->screen.width), 200);

	/* After a mode change, the layout names a non-zero id again. */
	r.ext_size_seen = false;
	assert_int_equal(vtc_request_size(c, 240, 160), 0);
	assert_int_equal(vtc_wait_size(c, 240, 160, VT_WAIT_MS), 0);
	while (!r.ext_size_seen) {
		rr_request(&r, true);
		rr_wait_update(&r);
	}
	assert_int_not_equal(r.screen_id, 0);
	assert_int_equal(r.screen_w, 240);
	vt_draw_random(&t, 6, 20);
	rr_expect_guest(&t, &r, "after the mode change");
	vt_expect_guest(&t, c, "libvncclient after the mode change");
	vtc_free(c);
	rr_close(&r);
	vt_teardown(&t);
}

/* Reads messages until r has received clipboard text (plain or
 * extended) n times. */
static void rr_wait_clipboard(struct rr *r, unsigned n)
{
	const uint64_t end = vt_now_ms() + VT_WAIT_MS;

	while (r->cut_count + r->ext_text_count < n)
		assert_int_equal(rr_read_message(r, end), 0);
}

static void test_clipboard_without_extended(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vtc *c;
	struct rr r;
	struct vt t;

	(void)state;
	vt_setup(&t, 160, 100, PIXMAN_x8r8g8b8, &cfg);
	vt_draw_random(&t, 9, 20);
	rr_open(&r, vnc_server_port(t.vnc));
	rr_handshake(&r, 0);
	rr_expect_guest(&t, &r, "raw client");
	c = vt_connect(&t, "raw"); /* libvncclient 0.9.14 has no Extended Clipboard */
	vt_expect_guest(&t, c, "libvncclient");

	for (unsigned round = 1; round <= 3; round++) {
		/* The text, then pixels right behind it in the stream. */
		assert_int_equal(fb_send_clipboard(t.fb, GUEST_TEXT, strlen(GUEST_TEXT)), 0);
		vt_draw_random(&t, 40 + round, 15);
		rr_wait_clipboard(&r, round);
		assert_string_equal(r.cut, GUEST_TEXT_LATIN1);
		assert_int_equal(r.ext_text_count, 0);
		rr_expect_guest(&t, &r, "raw client after clipboard text");
		for (uint64_t end = vt_now_ms() + VT_WAIT_MS;
		     !vtc_cut_text(c) || strcmp(vtc_cut_text(c), GUEST_TEXT_LATIN1);)
			assert_true(vtc_pump(c, 20) == 0 && vt_now_ms() < end);
		vt_expect_guest(&t, c, "libvncclient after clipboard text");
	}
	vtc_free(c);
	rr_close(&r);
	vt_teardown(&t);
}

static void test_clipboard_extended(void **state)
{
	struct vnc_config cfg = vt_config();
	struct rr ext, plain;
	struct fb_mode m;
	struct vt t;

	(void)state;
	vt_setup(&t, 160, 100, PIXMAN_x8r8g8b8, &cfg);
	vt_draw_random(&t, 9, 20);
	rr_open(&ext, vnc_server_port(t.vnc));
	rr_handshake(&ext, RR_EXT_CLIPBOARD);
	rr_expect_guest(&t, &ext, "extended client");
	assert_int_equal(ext.ext_caps, 1);
	rr_open(&plain, vnc_server_port(t.vnc));
	rr_handshake(&plain, 0);
	rr_expect_guest(&t, &plain, "plain client");

	assert_int_equal(fb_send_clipboard(t.fb, GUEST_TEXT, strlen(GUEST_TEXT)), 0);
	vt_draw_random(&t, 50, 15);
	rr_wait_clipboard(&ext, 1);
	rr_wait_clipboard(&plain, 1);
	/* Each gets it once, in its own charset. */
	assert_int_equal(ext.cut_count, 0);
	assert_string_equal(ext.ext_text, GUEST_TEXT);
	assert_int_equal(plain.ext_text_count, 0);
	assert_string_equal(plain.cut, GUEST_TEXT_LATIN1);
	rr_expect_guest(&t, &ext, "extended client after clipboard text");
	rr_expect_guest(&t, &plain, "plain client after clipboard text");
	assert_int_equal(ext.cut_count + ext.ext_text_count, 1);
	assert_int_equal(plain.cut_count + plain.ext_text_count, 1);
	/* A mode change afterwards (rfbNewFramebuffer takes every client's
	 * sendMutex) reaches both. */
	m = fb_get_mode(t.fb);
	m.width = 120;
	m.height = 80;
	m.stride = 0;
	assert_int_equal(fb_set_mode(t.fb, &m), 0);
	vt_draw_random(&t, 51, 15);
	rr_expect_guest(&t, &ext, "extended client after a mode change");
	rr_expect_guest(&t, &plain, "plain client after a mode change");
	rr_close(&ext);
	rr_close(&plain);
	vt_teardown(&t);
}

static void test_clipboard_during_handshake(void **state)
{
	struct vnc_config cfg = vt_config();
	struct vtc *c;
	struct rr r;
	struct vt t;

	(void)state;
	vt_setup(&t, 96, 64, PIXMAN_x8r8g8b8, &cfg);
	vt_draw_random(&t, 9, 20);
	c = vt_connect(&t, "raw");
	vt_expect_guest(&t, c, "libvncclient");
	/* r stops after the server's version; the guest sends text, which
	 * libvncclient's arrival shows was sent. */
	rr_open(&r, vnc_server_port(t.vnc));
	assert_int_equal(fb_send_clipboard(t.fb, "mid-handshake", 13), 0);
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS;
	     !vtc_cut_text(c) || strcmp(vtc_cut_text(c), "mid-handshake");)
		assert_true(vtc_pump(c, 20) == 0 && vt_now_ms() < end);
	/* The handshake goes on undisturbed. */
	rr_handshake(&r, 0);
	assert_int_equal(r.w, 96);
	assert_int_equal(r.h, 64);
	rr_expect_guest(&t, &r, "raw client");
	assert_int_equal(r.cut_count, 0);
	vtc_free(c);
	rr_close(&r);
	vt_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ext_desktop_size_at_connect),
		cmocka_unit_test(test_clipboard_without_extended),
		cmocka_unit_test(test_clipboard_extended),
		cmocka_unit_test(test_clipboard_during_handshake),
	};

	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
