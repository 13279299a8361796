/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/attach/test-attach-hostile.c - hostile clients on the attach socket:
 * a wrong protocol version and magic, truncated and oversized messages,
 * absurd sizes, descriptors of the wrong type or with messages that take
 * none, unknown messages, a message before HELLO, a second client for an
 * attached framebuffer, too many connections and a flood of damage
 * rectangles. Each gets its ERROR (code, text, fatal or not); fbhost keeps
 * running, and a well-behaved guest on the other framebuffer keeps an exact
 * picture throughout. (Under ASan in CI: fbhost would abort on a bad access.)
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/guest-client/fbhost-guest-proto.h"
#include "server/guest-client/fbhost-guest.h"
#include "tests/attach/attach-rig.h"

#define OTHER_W 160u
#define OTHER_H 120u
#define FLOOD_MESSAGES 20000u

static const char *const two_fbs[] = { "main:320x240", "other:160x120", NULL };

static struct rig rig;
static struct fbhost_guest *good; /* draws on "other" */
static struct vtc *good_viewer;	  /* watches "other" */
static uint32_t good_picture[OTHER_W * OTHER_H];

/* The well-behaved guest draws a frame; its viewer must show it exactly. */
static void good_draw_and_check(uint32_t colour)
{
	const struct fbhost_guest_frame *f = fbhost_guest_frame(good);

	for (uint32_t y = 0; y < OTHER_H; y++)
		for (uint32_t x = 0; x < OTHER_W; x++) {
			uint32_t p = (colour + x * 3 + y * 5) & 0xffffff;

			((uint32_t *)((char *)f->pixels + (size_t)y * f->stride))[x] = p;
			good_picture[y * OTHER_W + x] = p;
		}
	assert_int_equal(fbhost_guest_damage(good, 0, 0, OTHER_W, OTHER_H), 0);
	assert_int_equal(fbhost_guest_frame_done(good), 0);
	if (vtc_wait_picture(good_viewer, good_picture, OTHER_W, OTHER_H, OTHER_W, RIG_WAIT_MS))
		fail_msg("the other framebuffer: %s", vtc_last_mismatch(good_viewer));
}

static int setup(void **state)
{
	char err[256];

	(void)state;
	rig_start(&rig, two_fbs);
	good = fbhost_guest_attach(rig.attach, "other", err, sizeof(err));
	if (!good)
		fail_msg("attach: %s", err);
	good_viewer = rig_viewer(&rig, 1);
	good_draw_and_check(0x203040);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* Still serving: the guest draws once more, exactly. */
	assert_true(sp_alive(&rig.srv));
	good_draw_and_check(0x506070);
	fbhost_guest_detach(good);
	vtc_free(good_viewer);
	rig_stop(&rig);
	return 0;
}

/* A raw connection to the attach socket. */
static int raw_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(rig.attach) < sizeof(sa.sun_path));
	memcpy(sa.sun_path, rig.attach, strlen(rig.attach) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void raw_send(int fd, const void *msg, size_t len, int pass_fd)
{
	union fbg_fd_control ctl;
	struct iovec iov = { (void *)msg, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	fbg_msg_attach_fd(&mh, &ctl, pass_fd);
	assert_int_equal(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* Receives messages until one of type want (returned in buf), closing any
 * descriptor that comes along. Returns its length; 0 at EOF. */
static size_t raw_expect(int fd, uint16_t want, void *buf, size_t size)
{
	for (;;) {
		char ctl[CMSG_SPACE(sizeof(int) * 4)];
		struct iovec iov = { buf, size };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct fbg_hdr h;
		ssize_t n;

		assert_int_equal(poll(&p, 1, (int)RIG_WAIT_MS), 1);
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		assert_true(n >= 0);
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			for (size_t k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
				int rfd;

				memcpy(&rfd, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
				close(rfd);
			}
		if (n == 0)
			return 0;
		memcpy(&h, buf, sizeof(h));
		if (h.type == want)
			return (size_t)n;
	}
}

/* Expects an ERROR with code and text; if fatal, then the end. */
static void expect_error(int fd, int code, const char *text, bool fatal)
{
	struct fbg_error e;
	char end[FBG_MSG_MAX_BYTES];

	if (raw_expect(fd, FBG_ERROR, &e, sizeof(e)) != sizeof(e))
		fail_msg("no ERROR (expected \"%s\")", text);
	if (e.code != code || !strstr(e.text, text) || e.fatal != fatal)
		fail_msg("ERROR %d \"%s\" fatal=%u; expected %d \"%s\" fatal=%d", e.code, e.text,
			 e.fatal, code, text, fatal);
	if (fatal)
		assert_int_equal(raw_expect(fd, 0xffff, end, sizeof(end)), 0);
}

static struct fbg_hello hello_for(const char *fb)
{
	struct fbg_hello h = { .hdr = { FBG_HELLO, 0, sizeof(h) },
			       .magic = FBG_MAGIC,
			       .version = FBG_VERSION };

	snprintf(h.fb, sizeof(h.fb), "%s", fb);
	return h;
}

/* Waits (bounded) until fbhost has seen the last client of "main" go: the
 * attach thread may read a new HELLO before the old connection's hang-up,
 * and refuse it as a second client. */
static void wait_main_detached(void)
{
	for (unsigned i = 0;; i++) {
		char *line = rig_list_line(&rig, 0);
		bool detached = strstr(line, "guest=detached") != NULL;

		free(line);
		if (detached)
			return;
		assert_true(i < 200);
		vtc_pump(good_viewer, 50); /* bounded wait between two looks */
	}
}

/* An attached raw connection to "main" (WELCOME and MODE read). */
static int raw_attached(void)
{
	struct fbg_hello h = hello_for("main");
	char buf[FBG_MSG_MAX_BYTES];
	int fd;

	wait_main_detached();
	fd = raw_connect();

	raw_send(fd, &h, sizeof(h), -1);
	assert_int_equal(raw_expect(fd, FBG_WELCOME, buf, sizeof(buf)), sizeof(struct fbg_welcome));
	assert_int_equal(raw_expect(fd, FBG_MODE, buf, sizeof(buf)), sizeof(struct fbg_mode));
	return fd;
}

static void test_bad_handshakes(void **state)
{
	struct fbg_hello h;
	struct fbg_hdr frame = { FBG_FRAME, 0, sizeof(frame) };
	char big[2 * FBG_MSG_MAX_BYTES] = { 0 };
	struct fbg_hdr *bh = (struct fbg_hdr *)big;
	int fd;

	(void)state;
	h = hello_for("main");
	h.version = 9;
	fd = raw_connect();
	raw_send(fd, &h, sizeof(h), -1);
	expect_error(fd, EPROTONOSUPPORT, "protocol version 9 not supported", true);
	close(fd);

	h = hello_for("main");
	h.magic = 0x12345678;
	fd = raw_connect();
	raw_send(fd, &h, sizeof(h), -1);
	expect_error(fd, EPROTO, "bad magic", true);
	close(fd);

	fd = raw_connect(); /* truncated: half a header */
	raw_send(fd, &h, 4, -1);
	expect_error(fd, EBADMSG, "truncated message", true);
	close(fd);

	h = hello_for("main"); /* the size field lies */
	h.hdr.size = 100;
	fd = raw_connect();
	raw_send(fd, &h, sizeof(h), -1);
	expect_error(fd, EBADMSG, "size field", true);
	close(fd);

	fd = raw_connect(); /* a HELLO cut short */
	h = hello_for("main");
	h.hdr.size = 40;
	raw_send(fd, &h, 40, -1);
	expect_error(fd, EBADMSG, "shorter than its type", true);
	close(fd);

	fd = raw_connect();
	raw_send(fd, &frame, sizeof(frame), -1);
	expect_error(fd, EPROTO, "first message must be HELLO", true);
	close(fd);

	fd = raw_connect();
	bh->type = FBG_CLIPBOARD_OUT;
	bh->size = sizeof(big);
	raw_send(fd, big, sizeof(big), -1);
	expect_error(fd, EMSGSIZE, "longer than the protocol's limit", true);
	close(fd);

	h = hello_for("nosuchfb");
	fd = raw_connect();
	raw_send(fd, &h, sizeof(h), -1);
	expect_error(fd, ENOENT, "no framebuffer \"nosuchfb\"", true);
	close(fd);

	h = hello_for("other"); /* attached by the good guest */
	fd = raw_connect();
	raw_send(fd, &h, sizeof(h), -1);
	expect_error(fd, EBUSY, "attached by another client", true);
	close(fd);
}

static void test_bad_messages(void **state)
{
	struct fbg_hdr unknown = { 77, 0, sizeof(unknown) },
		       frame = { FBG_FRAME, 0, sizeof(frame) };
	struct fbg_mode_request mr = { .hdr = { FBG_MODE_REQUEST, 0, sizeof(mr) } };
	struct fbg_track tr = { .hdr = { FBG_TRACK, 0, sizeof(tr) }, .mode = FBG_TRACK_UFFD };
	struct fbg_track_state ts;
	struct fbg_damage d = { .hdr = { FBG_DAMAGE, 0, sizeof(d) }, .count = 1000000 };
	int fd = raw_attached(), efd = eventfd(0, EFD_CLOEXEC);

	(void)state;
	raw_send(fd, &unknown, sizeof(unknown), -1);
	expect_error(fd, ENOTSUP, "unknown message type", false);

	mr.width = 100000; /* absurd sizes */
	mr.height = 100000;
	raw_send(fd, &mr, sizeof(mr), -1);
	expect_error(fd, EINVAL, "mode 100000x100000", false);
	mr.width = 16000;
	mr.height = 16000;
	raw_send(fd, &mr, sizeof(mr), -1);
	expect_error(fd, E2BIG, "mode 16000x16000", false);
	mr.width = 0;
	mr.height = 0;
	raw_send(fd, &mr, sizeof(mr), -1);
	expect_error(fd, EINVAL, "mode 0x0", false);
	mr.width = 8193; /* fits in memory, not in VNC (8192 px at most) */
	mr.height = 16;
	raw_send(fd, &mr, sizeof(mr), -1);
	expect_error(fd, E2BIG, "too large for VNC (width at most 8192)", false);
	mr.width = 64;
	mr.height = 64;
	mr.format = 0x12345678;
	raw_send(fd, &mr, sizeof(mr), -1);
	expect_error(fd, EINVAL, "format 0x12345678", false);

	raw_send(fd, &frame, sizeof(frame), efd); /* a descriptor where none goes */
	expect_error(fd, EBADF, "unexpected descriptor", false);

	raw_send(fd, &tr, sizeof(tr), efd); /* not a pagemap */
	assert_int_equal(raw_expect(fd, FBG_TRACK_STATE, &ts, sizeof(ts)), sizeof(ts));
	assert_int_equal(ts.error, EBADF);
	assert_int_equal(ts.mode, FBG_TRACK_COMPARE);
	if (!strstr(ts.text, "not a /proc/PID/pagemap"))
		fail_msg("TRACK_STATE: %s", ts.text);

	raw_send(fd, &tr, sizeof(tr), -1); /* uffd-wp without its descriptor */
	expect_error(fd, EINVAL, "the pagemap descriptor goes with uffd-wp only", false);
	tr.mode = 9;
	raw_send(fd, &tr, sizeof(tr), -1);
	expect_error(fd, EINVAL, "unknown tracking mode 9", false);

	raw_send(fd, &d, sizeof(d), -1); /* a count the message cannot hold */
	expect_error(fd, EBADMSG, "more rectangles than", true);
	close(fd);
	close(efd);
	/* The framebuffer is free again. */
	close(raw_attached());
}

/* A client that asks for modes and never acknowledges one: after
 * ATTACH_MAX_UNACKED_MODES MODEs (the first, from HELLO, included) the next
 * request is refused, so it cannot make fbhost create blocks without end. */
static void test_modes_unacknowledged(void **state)
{
	struct fbg_mode_request mr = { .hdr = { FBG_MODE_REQUEST, 0, sizeof(mr) } };
	char buf[FBG_MSG_MAX_BYTES];
	int fd = raw_attached();

	(void)state;
	for (unsigned i = 0; i < 8; i++) {
		mr.width = 200 + 8 * i;
		mr.height = 100;
		raw_send(fd, &mr, sizeof(mr), -1);
	}
	/* Three more MODEs (raw_expect closes their descriptors unread), then
	 * the refusal. */
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(raw_expect(fd, FBG_MODE, buf, sizeof(buf)),
				 sizeof(struct fbg_mode));
	expect_error(fd, EBUSY, "4 modes sent and not acknowledged (MODE_ACK), at most 4", false);
	close(fd);
	/* The framebuffer is free again. */
	close(raw_attached());
}

static void test_damage_flood(void **state)
{
	/* A full damage message (a struct ending in a flexible array cannot be
	 * a member: a byte buffer aligned for it). */
	static _Alignas(struct fbg_damage) unsigned char
		buf[sizeof(struct fbg_damage) + FBG_DAMAGE_MAX_RECTS * sizeof(struct fbg_rect)];
	struct fbg_damage *d = (struct fbg_damage *)buf;
	uint64_t seed = 5;
	int fd = raw_attached();
	char *line;

	(void)state;
	d->hdr = (struct fbg_hdr){ FBG_DAMAGE, 0, sizeof(buf) };
	d->count = FBG_DAMAGE_MAX_RECTS;
	d->generation = 1;
	for (unsigned i = 0; i < FBG_DAMAGE_MAX_RECTS; i++) /* some absurd, some fine */
		d->rects[i] = (struct fbg_rect){ (int32_t)rig_rand(&seed), (int32_t)rig_rand(&seed),
						 (int32_t)(rig_rand(&seed) % 500),
						 (int32_t)rig_rand(&seed) };
	for (unsigned i = 0; i < FLOOD_MESSAGES; i++)
		raw_send(fd, buf, sizeof(buf), -1);
	/* The well-behaved guest is served meanwhile. */
	good_draw_and_check(0x0a0b0c);
	close(fd);
	line = rig_list_line(&rig, 1);
	assert_non_null(strstr(line, "guest=attached"));
	free(line);
}

static void test_too_many_connections(void **state)
{
	int fds[32], n = 0, fd;

	(void)state;
	/* The good guest holds one; fill the rest. */
	for (; n < 15; n++)
		fds[n] = raw_connect();
	fd = raw_connect();
	expect_error(fd, EMFILE, "too many connections", true);
	close(fd);
	while (n--)
		close(fds[n]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_handshakes),	     cmocka_unit_test(test_bad_messages),
		cmocka_unit_test(test_modes_unacknowledged), cmocka_unit_test(test_damage_flood),
		cmocka_unit_test(test_too_many_connections),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
