/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/qemu/test-qemu-units.c - the qemu guest's parts that need no VM:
 * the US keysym -> qnum map, and the QMP client against a scripted peer
 * (greeting, events interleaved with replies, errors, a passed descriptor,
 * a peer that hangs up, a monitor that accepts no connection).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/guests/qemu/qemu-keymap.h"
#include "server/guests/qemu/qemu-qmp.h"

static void test_keymap(void **state)
{
	assert_int_equal(qemu_keymap_qnum('a'), 0x1e);
	assert_int_equal(qemu_keymap_qnum('A'), 0x1e); /* the viewer sends Shift */
	assert_int_equal(qemu_keymap_qnum('z'), 0x2c);
	assert_int_equal(qemu_keymap_qnum('1'), 0x02);
	assert_int_equal(qemu_keymap_qnum('!'), 0x02);
	assert_int_equal(qemu_keymap_qnum('0'), 0x0b);
	assert_int_equal(qemu_keymap_qnum(' '), 0x39);
	assert_int_equal(qemu_keymap_qnum('>'), 0x34);
	assert_int_equal(qemu_keymap_qnum('|'), 0x2b);
	assert_int_equal(qemu_keymap_qnum('~'), 0x29);
	assert_int_equal(qemu_keymap_qnum(0xff0d), 0x1c); /* Return */
	assert_int_equal(qemu_keymap_qnum(0xff8d), 0x9c); /* KP_Enter: 0xe0 0x1c */
	assert_int_equal(qemu_keymap_qnum(0xff52), 0xc8); /* Up: 0xe0 0x48 */
	assert_int_equal(qemu_keymap_qnum(0xffe4), 0x9d); /* Control_R */
	assert_int_equal(qemu_keymap_qnum(0xffbe), 0x3b); /* F1 */
	assert_int_equal(qemu_keymap_qnum(0xffc9), 0x58); /* F12 */
	assert_int_equal(qemu_keymap_qnum(0xffff), 0xd3); /* Delete */
	assert_int_equal(qemu_keymap_qnum(0x00e9), 0);	  /* eacute: not on a US keyboard */
	assert_int_equal(qemu_keymap_qnum(0x20ac), 0);	  /* EuroSign */
	assert_int_equal(qemu_keymap_qnum(0), 0);
}

/* A scripted QMP peer: sends greeting, then answers each line read with the
 * next scripted reply (NULL: hang up). Records a passed descriptor. */
struct qmp_peer {
	int listen_fd;
	const char *const *replies;
	int got_fd;
	char path[108];
};

static void *qmp_peer_thread(void *opaque)
{
	struct qmp_peer *p = opaque;
	int fd = accept(p->listen_fd, NULL, NULL);
	const char *greeting = "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n";
	size_t i;

	if (fd < 0)
		return NULL;
	if (write(fd, greeting, strlen(greeting)) < 0)
		goto out;
	for (i = 0; p->replies[i]; i++) {
		char buf[4096];
		union {
			struct cmsghdr align;
			char b[CMSG_SPACE(sizeof(int))];
		} ctl;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl.b,
				     .msg_controllen = sizeof(ctl.b) };
		struct cmsghdr *c;

		if (recvmsg(fd, &mh, 0) <= 0)
			goto out;
		c = CMSG_FIRSTHDR(&mh);
		if (c && c->cmsg_type == SCM_RIGHTS)
			memcpy(&p->got_fd, CMSG_DATA(c), sizeof(int));
		if (write(fd, p->replies[i], strlen(p->replies[i])) < 0)
			goto out;
	}
out:
	close(fd);
	return NULL;
}

static void qmp_peer_start(struct qmp_peer *p, const char *const *replies, pthread_t *t)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	p->replies = replies;
	p->got_fd = -1;
	snprintf(p->path, sizeof(p->path), "/tmp/fbhost-qmp-unit-%d.sock", (int)getpid());
	unlink(p->path);
	memcpy(sa.sun_path, p->path, strlen(p->path) + 1);
	p->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(p->listen_fd >= 0);
	assert_int_equal(bind(p->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(p->listen_fd, 1), 0);
	assert_int_equal(pthread_create(t, NULL, qmp_peer_thread, p), 0);
}

/* Joins the peer; whether it received a descriptor. */
static bool qmp_peer_stop(struct qmp_peer *p, pthread_t t)
{
	bool got = false;

	pthread_join(t, NULL);
	close(p->listen_fd);
	unlink(p->path);
	if (p->got_fd >= 0) {
		close(p->got_fd);
		got = true;
	}
	return got;
}

static void test_qmp_client(void **state)
{
	static const char *const replies[] = {
		"{\"return\": {}}\r\n", /* qmp_capabilities */
		/* an event before the reply, then the reply */
		"{\"event\": \"RESET\", \"data\": {}}\r\n{\"return\": {}}\r\n",
		"{\"error\": {\"class\": \"GenericError\", \"desc\": \"no such fd\"}}\r\n",
		NULL,
	};
	struct qmp_peer p;
	struct qemu_qmp *q;
	char err[256], reply[256];
	int sv[2];
	pthread_t t;

	qmp_peer_start(&p, replies, &t);
	q = qemu_qmp_open(p.path, 5000, err, sizeof(err));
	assert_non_null(q);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(
		qemu_qmp_command(q, "{\"execute\": \"getfd\"}", sv[1], reply, sizeof(reply), 5000),
		0);
	assert_string_equal(reply, "{\"return\": {}}");
	assert_int_equal(qemu_qmp_command(q, "{\"execute\": \"add_client\"}", -1, reply,
					  sizeof(reply), 5000),
			 -EIO);
	assert_non_null(strstr(reply, "no such fd"));
	/* The peer hangs up: the next command fails, bounded. */
	assert_int_equal(qemu_qmp_command(q, "{\"execute\": \"x\"}", -1, NULL, 0, 5000),
			 -ECONNRESET);
	qemu_qmp_close(q);
	assert_true(qmp_peer_stop(&p, t)); /* getfd's descriptor arrived */
	close(sv[0]);
	close(sv[1]);
}

static void test_qmp_refused(void **state)
{
	char err[256];

	assert_null(qemu_qmp_open("/nonexistent/fbhost-qmp.sock", 1000, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot connect to QMP socket"));
}

/* A monitor that accepts nothing, its backlog full: the open fails within
 * its timeout and says why. */
static void test_qmp_busy(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char err[256];
	int lfd, first;

	(void)state;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/fbhost-qmp-busy-%d.sock", (int)getpid());
	unlink(sa.sun_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	first = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0 && first >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 0), 0);
	/* Fills the backlog of 0: one connection waits, never accepted. */
	assert_int_equal(connect(first, (struct sockaddr *)&sa, sizeof(sa)), 0);
	errno = 0;
	assert_null(qemu_qmp_open(sa.sun_path, 300, err, sizeof(err)));
	assert_int_equal(errno, ETIMEDOUT);
	assert_non_null(strstr(err, "accepted no connection within 300 ms"));
	close(first);
	close(lfd);
	unlink(sa.sun_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keymap),
		cmocka_unit_test(test_qmp_client),
		cmocka_unit_test(test_qmp_refused),
		cmocka_unit_test(test_qmp_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
