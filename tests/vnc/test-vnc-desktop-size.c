/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/vnc/test-vnc-desktop-size.c - SetDesktopSize messages with good and
 * bad screen lists reach the guest exactly when they should, and leak
 * nothing: LibVNCServer 0.9.14's own handler leaks a client iterator (24
 * bytes) on every accepted request, so fbhost handles the message before
 * LibVNCServer. Under ASan, a leak check after 200 such messages must find
 * 0 bytes (tests/vnc/lsan.supp no longer hides rfbGetClientIterator).
 */
#include "tests/vnc/vnc-fixture.h"
#include "tests/vnc/vnc-raw-client.h"

#define MESSAGES 200
#define ENCODING_DESKTOP_SIZE (-223)
#define ENCODING_EXT_DESKTOP_SIZE (-308)

#ifdef __SANITIZE_ADDRESS__
/* From the sanitizer runtime (sanitizer/lsan_interface.h). */
int __lsan_do_recoverable_leak_check(void);
#endif

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static bool requests_reach(struct vt_input *in, const void *arg)
{
	return in->mode_requests >= *(const unsigned *)arg;
}

static void test_set_desktop_size_no_leak(void **state)
{
	struct vnc_config cfg = vt_config();
	uint8_t enc[16] = { 2, 0, 0, 3 };
	uint64_t seed = 11;
	unsigned expected = 0;
	struct vnc_server_stats st;
	struct vt t;
	int fd;

	(void)state;
	vt_setup(&t, 320, 240, PIXMAN_x8r8g8b8, &cfg);
	fd = vt_rfb_client(vnc_server_port(t.vnc), 0);
	assert_true(fd >= 0);
	put32(enc + 4, 0); /* raw */
	put32(enc + 8, (uint32_t)ENCODING_EXT_DESKTOP_SIZE);
	put32(enc + 12, (uint32_t)ENCODING_DESKTOP_SIZE);
	assert_int_equal(send(fd, enc, sizeof(enc), MSG_NOSIGNAL), (ssize_t)sizeof(enc));
	for (unsigned i = 0; i < MESSAGES; i++) {
		/* 0..4 screens (0 is ignored); every third asks for width 0
		 * (refused before the guest); screens hold junk. */
		unsigned screens = i % 5, w = i % 3 ? 160 + (i % 7) * 16 : 0, h = 120 + (i % 5) * 8;
		uint8_t msg[8 + 4 * 16] = { 251 };

		put16(msg + 2, w);
		put16(msg + 4, h);
		msg[6] = (uint8_t)screens;
		for (unsigned s = 0; s < screens * 16; s++)
			msg[8 + s] = (uint8_t)vt_rand(&seed);
		assert_int_equal(send(fd, msg, 8 + 16 * screens, MSG_NOSIGNAL),
				 (ssize_t)(8 + 16 * screens));
		expected += screens > 0 && w > 0;
	}
	if (!vt_wait_input(&t, requests_reach, &expected, VT_WAIT_MS))
		fail_msg("the guest saw %u of %u mode requests", t.in.mode_requests, expected);
	print_message("%u messages, %u reached the guest\n", MESSAGES, t.in.mode_requests);
	assert_int_equal(t.in.mode_requests, expected);
	close(fd);
	for (uint64_t end = vt_now_ms() + VT_WAIT_MS;;) {
		vnc_server_get_stats(t.vnc, &st);
		if (st.disconnects == 1)
			break;
		if (vt_now_ms() > end)
			fail_msg("the client never left");
		poll(NULL, 0, 5); /* the stats have no event to wait on */
	}
#ifdef __SANITIZE_ADDRESS__
	/* Leaks would be reported on stderr and make this non-zero. */
	assert_int_equal(__lsan_do_recoverable_leak_check(), 0);
	print_message("LeakSanitizer: 0 bytes leaked\n");
#endif
	vt_teardown(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_desktop_size_no_leak),
	};

	vt_filter_from_env();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
