/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/fuzz/fuzz-edge-server.c - libFuzzer target: a client's bytes
 * through the VNC edge into LibVNCServer, with fbhost's callbacks on a real
 * framebuffer (as LibVNCServer's later test/fuzz_server.c does for
 * LibVNCServer alone). One VNC server on a 64x48 framebuffer with its
 * render thread serves every input: the harness connects over loopback,
 * completes the RFB 3.8 handshake (security None), sends the input as the
 * client's messages (ClientInit first), half-closes, reads until the
 * server closes, and waits until the server has seen the client go. The
 * guest's input handler takes mode requests up to FUZZ_SERVER_MAX_SIDE_PX.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fb/fb.h"
#include "memory/ram.h"
#include "vnc/vnc.h"

#define FUZZ_SERVER_W_PX 64u
#define FUZZ_SERVER_H_PX 48u
/* Mode requests the guest takes (larger ones are refused, to stay fast). */
#define FUZZ_SERVER_MAX_SIDE_PX 128u
/* Bound of any wait for the server; a longer one is a finding. */
#define FUZZ_SERVER_WAIT_MS 20000

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fb_device *fuzz_fb;
static struct vnc_server *fuzz_vnc;
static uint64_t fuzz_clients;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void fuzz_key(void *o, uint32_t keysym, bool down)
{
	(void)o;
	(void)keysym;
	(void)down;
}

static void fuzz_pointer(void *o, int x, int y, uint32_t buttons)
{
	(void)o;
	(void)x;
	(void)y;
	(void)buttons;
}

/* The guest takes small sizes at once, as the demo guest would. */
static int fuzz_mode(void *o, uint32_t w, uint32_t h)
{
	struct fb_mode m = fb_get_mode(fuzz_fb);

	(void)o;
	if (w > FUZZ_SERVER_MAX_SIDE_PX || h > FUZZ_SERVER_MAX_SIDE_PX)
		return -EINVAL;
	m.width = w;
	m.height = h;
	m.stride = 0;
	return fb_set_mode(fuzz_fb, &m);
}

static void fuzz_clip(void *o, const char *utf8, size_t len)
{
	(void)o;
	(void)utf8;
	(void)len;
}

static const struct fb_input_ops fuzz_input = {
	.key = fuzz_key,
	.pointer = fuzz_pointer,
	.mode_request = fuzz_mode,
	.clipboard = fuzz_clip,
};

/* The last server log lines, shown if the harness gives up. */
static char fuzz_last_log[4][512];
static unsigned fuzz_log_lines;

static void fuzz_log(void *o, const char *line)
{
	(void)o;
	/* Every input makes a few lines: keep them quiet, but at hand. */
	snprintf(fuzz_last_log[fuzz_log_lines++ % 4], sizeof(fuzz_last_log[0]), "%s", line);
}

static void fuzz_give_up(const char *what)
{
	fprintf(stderr, "fuzz-edge-server: %s (%s)\n", what, strerror(errno));
	for (unsigned i = 0; i < 4; i++)
		fprintf(stderr, "  server log: %s\n", fuzz_last_log[(fuzz_log_lines + i) % 4]);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct fb_config fc = {
		.name = "fuzz", .mode = { FUZZ_SERVER_W_PX, FUZZ_SERVER_H_PX, 0, PIXMAN_x8r8g8b8 }
	};
	struct ram_list *rl = ram_list_new(NULL);
	struct fb_render *render = fb_render_new(NULL);
	struct vnc_config cfg;
	char err[256];

	(void)argc;
	(void)argv;
	fuzz_fb = rl ? fb_new(rl, &fc) : NULL;
	if (!fuzz_fb || !render || fb_render_add(render, fuzz_fb) != 0) {
		fprintf(stderr, "fuzz-edge-server: no framebuffer\n");
		abort();
	}
	fb_set_input_handler(fuzz_fb, &fuzz_input, NULL);
	vnc_config_init(&cfg);
	cfg.port = VNC_PORT_ANY;
	cfg.web_port = VNC_WEB_PORT_NONE;
	cfg.log = fuzz_log;
	fuzz_vnc = vnc_server_new(fuzz_fb, &cfg, err, sizeof(err));
	if (!fuzz_vnc) {
		fprintf(stderr, "fuzz-edge-server: %s\n", err);
		abort();
	}
	/* The host lives as long as the process. */
	return 0;
}

/* poll() on one fd until end_ms: its revents, or 0 on timeout. libFuzzer's
 * SIGALRM (its -timeout watchdog) interrupts it: that is no event. */
static short wait_fd(int fd, short events, uint64_t end_ms)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		uint64_t now = now_ms();
		int n;

		if (now >= end_ms) {
			errno = ETIMEDOUT;
			return 0;
		}
		n = poll(&pfd, 1, (int)(end_ms - now));
		if (n > 0)
			return pfd.revents;
		if (n == 0)
			errno = ETIMEDOUT;
		if (n == 0 || errno != EINTR)
			return 0;
	}
}

/* Reads exactly n bytes: 0, or -1 if the server closed or took too long. */
static int read_exact(int fd, void *buf, size_t n)
{
	uint64_t end = now_ms() + FUZZ_SERVER_WAIT_MS;

	for (size_t got = 0; got < n;) {
		ssize_t r;

		if (!wait_fd(fd, POLLIN, end))
			return -1;
		r = recv(fd, (char *)buf + got, n - got, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* connect() that a signal may interrupt (libFuzzer's SIGALRM watchdog):
 * the connection then goes on by itself, and its outcome is waited for.
 * 0, or -1 with errno. */
static int connect_wait(int fd, const struct sockaddr_in *sa)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return 0;
	if (errno != EINTR)
		return -1;
	if (!wait_fd(fd, POLLOUT, now_ms() + FUZZ_SERVER_WAIT_MS))
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -1;
	errno = err;
	return err ? -1 : 0;
}

/* Sends all of n bytes, again after a signal: 0, or -1 with errno. */
static int send_all(int fd, const void *buf, size_t n)
{
	for (size_t done = 0; done < n;) {
		ssize_t w = send(fd, (const char *)buf + done, n - done, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

/* Connects and runs the exchange up to ClientInit: fd, or aborts. */
static int connect_client(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)vnc_server_port(fuzz_vnc)) };
	uint8_t b[16], none = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect_wait(fd, &sa) < 0 || send_all(fd, "RFB 003.008\n", 12) < 0 ||
	    read_exact(fd, b, 12) < 0 || read_exact(fd, b, 2) < 0 || send_all(fd, &none, 1) < 0 ||
	    read_exact(fd, b, 4) < 0)
		fuzz_give_up("the handshake failed");
	return fd;
}

/* Waits until the server has connected (gone: false) or seen go (true)
 * every client so far. */
static void wait_clients(bool gone)
{
	uint64_t end = now_ms() + FUZZ_SERVER_WAIT_MS;
	struct vnc_server_stats st;

	for (;;) {
		vnc_server_get_stats(fuzz_vnc, &st);
		if (gone ? st.disconnects >= fuzz_clients : st.connects >= fuzz_clients)
			return;
		if (now_ms() > end) {
			fprintf(stderr, "fuzz-edge-server: a client never %s (%llu of %llu)\n",
				gone ? "went" : "came",
				(unsigned long long)(gone ? st.disconnects : st.connects),
				(unsigned long long)fuzz_clients);
			abort();
		}
		poll(NULL, 0, 1); /* the stats have no event to wait on */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t end = now_ms() + FUZZ_SERVER_WAIT_MS;
	int fd = connect_client();
	uint8_t sink[4096];
	size_t sent = 0;

	fuzz_clients++;
	wait_clients(false); /* LibVNCServer serves it: no race with its arrival */
	/* Send while draining what the server answers (updates), then
	 * half-close and read to the end. */
	while (sent < size) {
		short revents = wait_fd(fd, POLLIN | POLLOUT, end);

		if (!revents)
			fuzz_give_up("the server stopped reading and writing");
		if (revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);

			if (r <= 0)
				break; /* it closed the connection: fine */
		}
		if (revents & POLLOUT) {
			ssize_t w = send(fd, data + sent, size - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w < 0)
				break;
			sent += (size_t)w;
		}
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		if (!wait_fd(fd, POLLIN, end))
			fuzz_give_up("the server never closed the connection");
		if (recv(fd, sink, sizeof(sink), 0) <= 0)
			break;
	}
	/* Reset rather than TIME_WAIT: tens of thousands of runs a minute
	 * would use up the loopback's ephemeral ports. */
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &(struct linger){ 1, 0 }, sizeof(struct linger));
	close(fd);
	wait_clients(true);
	return 0;
}
