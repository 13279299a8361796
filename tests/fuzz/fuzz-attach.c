/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/fuzz/fuzz-attach.c - the attach protocol's message parser and
 * handlers (server/lib/attach/attach-msg.c) on a real host with one
 * framebuffer: the input is a session of client messages, each as a 2-byte
 * little-endian length, a byte whose low bit passes a descriptor (of the
 * wrong kind: /dev/null) with it, and the message. Every message goes
 * through attach_msg_check; those it accepts are handled on a connection
 * whose replies land in a socketpair that is drained. At the end the
 * framebuffer is detached as when a client goes away.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/lib/attach/attach-internal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fbhost *fuzz_host;
static struct attach_server fuzz_srv;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_host = fbhost_new(NULL);
	if (!fuzz_host || !fbhost_fb_add(fuzz_host, "main", 64, 48, FBHOST_FORMAT_X8R8G8B8)) {
		perror("fuzz-attach: host");
		abort();
	}
	fuzz_srv.host = fuzz_host;
	fuzz_srv.listen_fd = -1;
	fuzz_srv.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&fuzz_srv.status_lock, NULL);
	return 0;
}

/* Reads and drops whatever the server sent, closing descriptors. */
static void fuzz_drain(int fd)
{
	for (;;) {
		char buf[FBG_MSG_MAX_BYTES], ctl[CMSG_SPACE(sizeof(int) * 4)];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = ctl,
				     .msg_controllen = sizeof(ctl) };

		if (recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0)
			return;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			for (size_t k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); k++) {
				int rfd;

				memcpy(&rfd, CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
				close(rfd);
			}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct attach_conn *c = &fuzz_srv.conns[0];
	uint64_t msg[FBG_MSG_MAX_BYTES / sizeof(uint64_t)];
	int sp[2];
	size_t at = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) != 0)
		abort();
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->send_lock, NULL);
	c->fd = sp[0];
	c->srv = &fuzz_srv;
	c->pid = 1;
	c->log_fd = -1;
	while (at + 3 <= size && !c->closing) {
		size_t len = (size_t)data[at] | (size_t)data[at + 1] << 8;
		bool pass_fd = data[at + 2] & 1;
		const char *why = NULL;
		int fd = -1;

		at += 3;
		if (len > size - at || len > sizeof(msg))
			break;
		memcpy(msg, data + at, len);
		at += len;
		if (pass_fd)
			fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (attach_msg_check(msg, len, fd >= 0, &why) != 0) {
			if (!why)
				abort(); /* every refusal says why */
			if (fd >= 0)
				close(fd);
		} else {
			attach_msg_handle(c, msg, len, &fd, fd >= 0);
		}
		fuzz_drain(sp[1]);
	}
	attach_detach(c);
	if (c->log)
		munmap(c->log, c->log_bytes);
	if (c->log_fd >= 0)
		close(c->log_fd);
	close(sp[0]);
	close(sp[1]);
	pthread_mutex_destroy(&c->send_lock);
	return 0;
}
