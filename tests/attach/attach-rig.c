/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/attach/attach-rig.c - see attach-rig.h.
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/attach/attach-rig.h"

void rig_start(struct rig *r, const char *const *fbs)
{
	const char *args[SP_MAX_ARGS];
	unsigned n = 0;
	size_t len;

	args[n++] = "--guest";
	args[n++] = "none";
	for (unsigned i = 0; fbs && fbs[i] && n + 3 < SP_MAX_ARGS; i++) {
		args[n++] = "--fb";
		args[n++] = fbs[i];
	}
	args[n] = NULL;
	memset(r, 0, sizeof(*r));
	assert_int_equal(sp_start(&r->srv, args), 0);
	/* "DIR/ctl.sock" -> "DIR/ctl-guest.sock", as fbhost derives it */
	snprintf(r->attach, sizeof(r->attach), "%s", r->srv.sock);
	len = strlen(r->attach);
	assert_true(len > 5 && strcmp(r->attach + len - 5, ".sock") == 0);
	snprintf(r->attach + len - 5, sizeof(r->attach) - (len - 5), "-guest.sock");
}

void rig_stop(struct rig *r)
{
	assert_int_equal(sp_stop(&r->srv), 0);
}

struct vtc *rig_viewer(struct rig *r, unsigned id)
{
	struct vtc_options o = { .port = sp_vnc_port(&r->srv, id), .encodings = "raw" };
	char err[256];
	struct vtc *v;

	assert_true(o.port > 0);
	v = vtc_connect(&o, err, sizeof(err));
	if (!v)
		fail_msg("viewer: %s", err);
	return v;
}

uint64_t rig_stat(struct rig *r, unsigned id, const char *key)
{
	char line[64], pat[64], *reply = NULL, *p;
	uint64_t v;

	snprintf(line, sizeof(line), "stats %u", id);
	assert_int_equal(sp_request(r->srv.sock, line, &reply), 0);
	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(reply, pat);
	if (!p)
		fail_msg("no %s in: %s", key, reply);
	v = strtoull(p + strlen(pat), NULL, 10);
	free(reply);
	return v;
}

char *rig_list_line(struct rig *r, unsigned id)
{
	char *reply = NULL, *line, *save = NULL, *out = NULL;
	char prefix[16];

	assert_int_equal(sp_request(r->srv.sock, "list", &reply), 0);
	snprintf(prefix, sizeof(prefix), "%u ", id);
	for (line = strtok_r(reply, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			out = strdup(line);
	free(reply);
	assert_non_null(out);
	return out;
}

void rig_fork(struct rig_child *c, int (*fn)(struct rig_child *c, void *arg), void *arg)
{
	int down[2], up[2];

	assert_int_equal(pipe(down), 0);
	assert_int_equal(pipe(up), 0);
	fflush(NULL);
	c->pid = fork();
	assert_true(c->pid >= 0);
	if (c->pid == 0) {
		close(down[1]);
		close(up[0]);
		c->cmd = down[0];
		c->reply = up[1];
		c->to_child = c->from_child = -1;
		_exit(fn(c, arg));
	}
	close(down[0]);
	close(up[1]);
	c->to_child = down[1];
	c->from_child = up[0];
	c->cmd = c->reply = -1;
}

uint8_t rig_command(struct rig_child *c, uint8_t cmd)
{
	struct pollfd p = { .fd = c->from_child, .events = POLLIN };
	uint8_t b = 0;

	assert_int_equal(write(c->to_child, &cmd, 1), 1);
	assert_int_equal(poll(&p, 1, (int)RIG_WAIT_MS), 1);
	if (read(c->from_child, &b, 1) != 1)
		fail_msg("guest child died (command %c)", cmd);
	return b;
}

int rig_child_next(struct rig_child *c)
{
	uint8_t b;

	return read(c->cmd, &b, 1) == 1 ? b : -1;
}

void rig_child_reply(struct rig_child *c, uint8_t b)
{
	if (write(c->reply, &b, 1) != 1)
		_exit(3);
}

int rig_wait_child(struct rig_child *c)
{
	int status, pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	close(c->to_child);
	close(c->from_child);
	assert_true(pidfd >= 0);
	if (poll(&p, 1, (int)RIG_WAIT_MS) == 1) {
		close(pidfd);
		assert_int_equal(waitpid(c->pid, &status, 0), c->pid);
		return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	}
	close(pidfd);
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
	return -1;
}

uint64_t rig_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}
