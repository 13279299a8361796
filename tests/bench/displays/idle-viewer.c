/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/bench/displays/idle-viewer.c - bench-idle-viewer: one libvncclient
 * viewer that connects, takes the first full picture, prints "ready" and
 * then stays connected with an incremental update request outstanding (as a
 * viewer watching an idle desktop does) until its stdin closes. It counts
 * the updates and bytes it received after "ready" and prints them on exit,
 * so the harness can tell that the server really was idle.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#define IDLE_VIEWER_SLICE_MS 100
#define IDLE_VIEWER_CONNECT_TIMEOUT_S 10

/* What the viewer saw; only its own thread touches it. */
struct idle_viewer {
	bool ready;
	unsigned long updates_after_ready;
};

static struct idle_viewer viewer;

static void idle_viewer_quiet(const char *fmt, ...)
{
	(void)fmt;
}

static void idle_viewer_got_update(rfbClient *cl, int x, int y, int w, int h)
{
	(void)cl, (void)x, (void)y, (void)w, (void)h;
}

static void idle_viewer_finished(rfbClient *cl)
{
	(void)cl;
	if (!viewer.ready) {
		viewer.ready = true;
		printf("ready\n");
		fflush(stdout);
	} else {
		viewer.updates_after_ready++;
	}
}

int main(int argc, char **argv)
{
	rfbClient *cl;
	struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
	if (argc != 3) {
		fprintf(stderr, "usage: bench-idle-viewer HOST PORT\n");
		return 2;
	}
	rfbClientLog = rfbClientErr = idle_viewer_quiet;
	cl = rfbGetClient(8, 3, 4);
	if (!cl)
		return 1;
	cl->GotFrameBufferUpdate = idle_viewer_got_update;
	cl->FinishedFrameBufferUpdate = idle_viewer_finished;
	cl->appData.encodingsString = "raw";
	cl->connectTimeout = IDLE_VIEWER_CONNECT_TIMEOUT_S;
	cl->serverHost = strdup(argv[1]);
	cl->serverPort = atoi(argv[2]);
	if (!rfbInitClient(cl, NULL, NULL)) {
		fprintf(stderr, "bench-idle-viewer: cannot connect to %s port %s\n", argv[1],
			argv[2]);
		return 1;
	}
	for (;;) {
		int n = WaitForMessage(cl, IDLE_VIEWER_SLICE_MS * 1000);

		if (n < 0 || (n > 0 && !HandleRFBServerMessage(cl))) {
			fprintf(stderr, "bench-idle-viewer: connection lost\n");
			rfbClientCleanup(cl);
			return 1;
		}
		if (poll(&in, 1, 0) > 0)
			break; /* stdin readable or closed: the harness is done */
	}
	printf("updates_after_ready %lu\n", viewer.updates_after_ready);
	rfbClientCleanup(cl);
	return 0;
}
