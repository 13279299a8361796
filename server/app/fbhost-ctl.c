/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/app/fbhost-ctl.c - command-line client of fbhost's control socket:
 * sends one request line made of its arguments, prints the reply and exits
 * 0 on "ok", 1 on "error: ..." (printed to stderr) or a connection failure,
 * 2 on a usage error. A relative screendump file name is made absolute, as
 * the server may run in another directory.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "server/app/control-server.h"
#include "fb/clock.h"
#include "server/lib/fbhost.h"

/* Longest wait for the reply (a screendump waits for the render thread). */
#define CTL_REPLY_TIMEOUT_MS 30000
#define CTL_PATH_MAX_BYTES 107u
/* Bytes read from the socket at once. */
#define CTL_RECV_CHUNK_BYTES 4096u
/* First size of the reply-line buffer, which doubles up to
 * CONTROL_REPLY_MAX_BYTES. */
#define CTL_LINE_INITIAL_BYTES 256u

static void ctl_usage(FILE *f)
{
	fprintf(f, "Usage: fbhost-ctl [--socket PATH] COMMAND [ARG]...\n"
		   "Commands: list, resize ID WxH[:FORMAT], cycle ID, screendump ID FILE.png,\n"
		   "          stats [ID] [--json], clients ID, disconnect ID CLIENT, quit, help\n"
		   "The socket defaults to $XDG_RUNTIME_DIR/fbhost.sock, else\n"
		   "/tmp/fbhost-UID/fbhost.sock. See fbhost(1).\n");
}

/* Builds the request line from argv into buf: its length, -E2BIG if it does
 * not fit, or -EINVAL with *bad set if a word holds a blank (the protocol
 * splits words at blanks and has no quoting). */
static int ctl_build_request(int argc, char **argv, char *buf, size_t size, const char **bad)
{
	char cwd[PATH_MAX];
	size_t o = 0;
	int i;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i];
		int n;

		if (i == 2 && strcmp(argv[0], "screendump") == 0 && a[0] != '/' &&
		    getcwd(cwd, sizeof(cwd)))
			n = snprintf(buf + o, size - o, "%s%s/%s", i ? " " : "", cwd, a);
		else
			n = snprintf(buf + o, size - o, "%s%s", i ? " " : "", a);
		if (n < 0 || (size_t)n >= size - o)
			return -E2BIG;
		if (strpbrk(buf + o + (i ? 1 : 0), " \t")) {
			*bad = a;
			return -EINVAL;
		}
		o += (size_t)n;
	}
	if (o + 2 > size)
		return -E2BIG;
	buf[o++] = '\n';
	buf[o] = '\0';
	return (int)o;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[CTL_PATH_MAX_BYTES + 1] = "";
	char req[CONTROL_LINE_MAX_BYTES + 1];
	char reply[CTL_RECV_CHUNK_BYTES];
	char *line = NULL;
	const char *bad = NULL;
	size_t linelen = 0, linecap = 0;
	struct timespec deadline;
	bool done = false, failed = false, overlong = false;
	int c, fd, len;

	opterr = 0;
	/* "+": stop at the first non-option (the command's own "--json" etc.) */
	while ((c = getopt_long(argc, argv, "+s:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!optarg[0] || strlen(optarg) > CTL_PATH_MAX_BYTES) {
				fprintf(stderr, "fbhost-ctl: --socket: path must be 1..%u bytes\n",
					CTL_PATH_MAX_BYTES);
				return 2;
			}
			snprintf(path, sizeof(path), "%s", optarg);
			break;
		case 'h':
			ctl_usage(stdout);
			return 0;
		case 'V':
			printf("fbhost-ctl %s\n", FBHOST_VERSION_STRING);
			return 0;
		default:
			fprintf(stderr, "fbhost-ctl: %s %s (see --help)\n",
				c == ':' ? "missing value for" : "unknown option",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "fbhost-ctl: no command given (see --help)\n");
		return 2;
	}
	if (!path[0]) {
		const char *xdg = getenv("XDG_RUNTIME_DIR");

		if (xdg && xdg[0] == '/' && access(xdg, X_OK) == 0)
			snprintf(path, sizeof(path), "%s/fbhost.sock", xdg);
		else
			snprintf(path, sizeof(path), "/tmp/fbhost-%u/fbhost.sock",
				 (unsigned)getuid());
	}
	len = ctl_build_request(argc - optind, argv + optind, req, sizeof(req), &bad);
	if (len == -EINVAL) {
		fprintf(stderr,
			"fbhost-ctl: \"%s\" holds a blank, which the control protocol "
			"cannot carry in a word\n",
			bad);
		return 2;
	}
	if (len < 0) {
		fprintf(stderr, "fbhost-ctl: request longer than %u bytes\n",
			CONTROL_LINE_MAX_BYTES);
		return 2;
	}

	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		fprintf(stderr, "fbhost-ctl: cannot connect to %s: %s (is fbhost running?)\n", path,
			strerror(errno));
		return 1;
	}
	if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len) {
		fprintf(stderr, "fbhost-ctl: cannot send to %s: %s\n", path, strerror(errno));
		close(fd);
		return 1;
	}
	shutdown(fd, SHUT_WR);

	deadline = fb_clock_after_ms(CTL_REPLY_TIMEOUT_MS);
	while (!done) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = fb_clock_ms_until(&deadline);
		ssize_t n, i;
		int ready = left > 0 ? poll(&pfd, 1, (int)left) : 0;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0) {
			fprintf(stderr, "fbhost-ctl: no reply from %s within %d s\n", path,
				CTL_REPLY_TIMEOUT_MS / 1000);
			close(fd);
			return 1;
		}
		n = recv(fd, reply, sizeof(reply), 0);
		if (n <= 0)
			break;
		for (i = 0; i < n && !done; i++) {
			if (linelen + 1 >= linecap && linecap < CONTROL_REPLY_MAX_BYTES) {
				size_t newcap = linecap ? 2 * linecap : CTL_LINE_INITIAL_BYTES;
				char *b = realloc(line, newcap);

				if (b) {
					line = b;
					linecap = newcap;
				}
			}
			if (reply[i] != '\n') {
				if (linelen + 1 < linecap)
					line[linelen++] = reply[i];
				else
					overlong = true;
				continue;
			}
			if (!line)
				break;
			line[linelen] = '\0';
			if (strcmp(line, "ok") == 0) {
				done = true;
			} else if (strncmp(line, "error: ", 7) == 0) {
				fprintf(stderr, "%s\n", line);
				done = failed = true;
			} else {
				printf("%s%s\n", line, overlong ? "..." : "");
			}
			linelen = 0;
			overlong = false;
		}
	}
	close(fd);
	free(line);
	if (!done) {
		fprintf(stderr, "fbhost-ctl: connection closed before the reply ended\n");
		return 1;
	}
	return failed ? 1 : 0;
}
