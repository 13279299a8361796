/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/fuzz/fuzz-control.c - libFuzzer target: the control protocol's
 * request parser and dispatcher (control_answer_line with
 * control_cmd_handle) against a real host with two small framebuffers and
 * its render thread, no sockets. The input is cut into lines at newlines,
 * as a connection does, and each line is answered; every reply must end
 * with exactly one final line, "ok" or "error: ...".
 *
 * Files: screendumps are written to the working directory (run-target.sh
 * runs the target inside its own WORK_DIR/files). Inputs with a '/' are
 * skipped so that no file is ever written elsewhere.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/app/control-commands.h"
#include "server/app/control-server.h"
#include "server/lib/fbhost.h"

/* The host's two framebuffers, small so that most inputs run fast. */
#define FUZZ_CONTROL_W0_PX 64u
#define FUZZ_CONTROL_H0_PX 48u
#define FUZZ_CONTROL_W1_PX 32u
#define FUZZ_CONTROL_H1_PX 24u

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fbhost *fuzz_host;
static struct control_cmd_context fuzz_ctx;
static unsigned long fuzz_quits;

/* "quit" only counts: the host stays for the next input. */
static void fuzz_quit(void *opaque)
{
	(void)opaque;
	fuzz_quits++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_host = fbhost_new(NULL);
	if (!fuzz_host ||
	    !fbhost_fb_add(fuzz_host, "main", FUZZ_CONTROL_W0_PX, FUZZ_CONTROL_H0_PX,
			   FBHOST_FORMAT_X8R8G8B8) ||
	    !fbhost_fb_add(fuzz_host, "second", FUZZ_CONTROL_W1_PX, FUZZ_CONTROL_H1_PX,
			   FBHOST_FORMAT_R5G6B5)) {
		perror("fuzz-control: host");
		abort();
	}
	fuzz_ctx = (struct control_cmd_context){ .host = fuzz_host, .quit = fuzz_quit };
	return 0;
}

/* Checks the framing of one reply: lines, the last one final. */
static void fuzz_check_reply(const char *reply, size_t len)
{
	const char *last;

	if (!len)
		return; /* an empty line */
	if (reply[len - 1] != '\n')
		abort();
	last = len > 1 ? memrchr(reply, '\n', len - 1) : NULL;
	last = last ? last + 1 : reply;
	if (strncmp(last, "ok\n", 3) != 0 && strncmp(last, "error: ", 7) != 0)
		abort();
	/* an error is the whole reply */
	if (strncmp(last, "error: ", 7) == 0 && last != reply)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[CONTROL_LINE_MAX_BYTES + 1];
	size_t start = 0;

	if (memchr(data, '/', size))
		return -1; /* could name a file outside the working directory */
	while (start < size) {
		const uint8_t *nl = memchr(data + start, '\n', size - start);
		size_t len = (nl ? (size_t)(nl - data) : size) - start;
		char *reply;
		size_t n;

		/* the transport refuses longer lines before any handler */
		if (len < CONTROL_LINE_MAX_BYTES) {
			memcpy(line, data + start, len);
			control_answer_line(control_cmd_handle, &fuzz_ctx, line, len, &reply, &n);
			fuzz_check_reply(reply, n);
			free(reply);
		}
		start += len + 1;
	}
	return 0;
}
