/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/common/browser-driver.c - the C side of the browser tests' driver
 * (see browser-driver.h).
 */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/common/browser-driver.h"

/* How often bd_stop checks whether the driver has exited. */
#define BD_REAP_POLL_US 20000

extern char **environ;

static uint64_t bd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool bd_available(const char *src)
{
	char pw[1024], nv[1024];

	snprintf(pw, sizeof(pw), "%s/vnc/web/node_modules/playwright-core/package.json", src);
	snprintf(nv, sizeof(nv), "%s/vnc/web/node_modules/@novnc/novnc/core/rfb.js", src);
	if (access(BD_CHROMIUM, X_OK) || access(BD_NODE, X_OK) || access(pw, R_OK) ||
	    access(nv, R_OK)) {
		printf("skipped: needs %s, %s and 'npm install' in %s/vnc/web\n", BD_CHROMIUM,
		       BD_NODE, src);
		return false;
	}
	return true;
}

void bd_start(struct bd *d, const char *src)
{
	char web[1024], driver[1024];
	char *argv[] = { BD_NODE, driver, NULL };
	posix_spawn_file_actions_t fa;
	int in[2], out[2];

	snprintf(web, sizeof(web), "%s/vnc/web", src);
	snprintf(driver, sizeof(driver), "%s/tests/vnc/browser-driver.mjs", src);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	setenv("FBHOST_WEB_DIR", web, 1);
	setenv("CHROMIUM", BD_CHROMIUM, 1);
	assert_int_equal(posix_spawn(&d->pid, BD_NODE, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	d->to = in[1];
	d->from = out[0];
	d->len = 0;
}

void bd_cmd(struct bd *d, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	uint64_t end = bd_now_ms() + BD_REPLY_MS;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 1, fmt, ap);
	va_end(ap);
	print_message("browser: %s\n", cmd);
	n = strlen(cmd);
	cmd[n++] = '\n';
	assert_int_equal(write(d->to, cmd, n), (ssize_t)n);
	cmd[n - 1] = '\0';
	for (;;) {
		char *nl = memchr(d->buf, '\n', d->len);
		struct pollfd p = { .fd = d->from, .events = POLLIN };
		uint64_t now = bd_now_ms();
		ssize_t r;

		if (nl) {
			*nl = '\0';
			if (strcmp(d->buf, "ok") != 0)
				fail_msg("browser driver: '%s' -> %s", cmd, d->buf);
			d->len -= (size_t)(nl + 1 - d->buf);
			memmove(d->buf, nl + 1, d->len);
			return;
		}
		if (now >= end)
			fail_msg("browser driver: no answer to '%s'", cmd);
		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		r = read(d->from, d->buf + d->len, sizeof(d->buf) - 1 - d->len);
		if (r <= 0)
			fail_msg("browser driver exited during '%s'", cmd);
		d->len += (size_t)r;
	}
}

void bd_stop(struct bd *d)
{
	int status;
	uint64_t end = bd_now_ms() + BD_REPLY_MS;

	if (write(d->to, "quit\n", 5) != 5)
		kill(d->pid, SIGKILL);
	close(d->to);
	while (waitpid(d->pid, &status, WNOHANG) == 0) {
		if (bd_now_ms() > end) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, &status, 0);
			break;
		}
		usleep(BD_REAP_POLL_US);
	}
	close(d->from);
}
