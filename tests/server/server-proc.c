/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/server-proc.c - child processes and control requests for the
 * server's end-to-end tests (see server-proc.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "tests/server/server-proc.h"

extern char **environ;

#define SP_POLL_STEP_MS 20

static uint64_t sp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sp_sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

const char *sp_program(const char *var)
{
	const char *p = getenv(var);

	if (!p || !p[0]) {
		fprintf(stderr, "environment variable %s is not set\n", var);
		exit(99);
	}
	return p;
}

/* Waits up to timeout_ms for pid: its exit status, or -1. */
static int sp_wait(pid_t pid, unsigned timeout_ms)
{
	uint64_t end = sp_now_ms() + timeout_ms;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		if (r < 0)
			return -1;
		if (sp_now_ms() > end)
			return -1;
		sp_sleep_ms(SP_POLL_STEP_MS);
	}
}

int sp_request_raw(const char *sock, const void *req, size_t len, char **reply)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	uint64_t end = sp_now_ms() + SP_CTL_TIMEOUT_MS;
	size_t cap = 4096, rlen = 0, sent = 0;
	char *buf;
	int fd;

	*reply = NULL;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -1;
	}
	/* Write and read together: the server reads a long line while we
	 * write it, and may answer before we finish. */
	while (sp_now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (sent < len ? POLLOUT : 0) };
		int n = poll(&p, 1, 100);

		if (n < 0)
			break;
		if (p.revents & POLLOUT) {
			ssize_t w = send(fd, (const char *)req + sent, len - sent,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (w > 0)
				sent += (size_t)w;
			else if (w < 0 && errno != EAGAIN)
				sent = len; /* peer gone: just read what is left */
			if (sent == len)
				shutdown(fd, SHUT_WR);
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r;

			if (rlen + 1024 > cap) {
				char *b = realloc(buf, cap * 2);

				if (!b)
					break;
				buf = b;
				cap *= 2;
			}
			r = recv(fd, buf + rlen, cap - rlen - 1, MSG_DONTWAIT);
			if (r == 0 || (r < 0 && errno != EAGAIN))
				break;
			if (r > 0)
				rlen += (size_t)r;
		}
	}
	close(fd);
	buf[rlen] = '\0';
	*reply = buf;
	return 0;
}

int sp_request(const char *sock, const char *line, char **reply)
{
	size_t n = strlen(line);
	char *req = malloc(n + 2);
	const char *last;
	int rc;

	if (!req)
		return -1;
	memcpy(req, line, n);
	req[n] = '\n';
	rc = sp_request_raw(sock, req, n + 1, reply);
	free(req);
	if (rc)
		return -1;
	/* the final line decides */
	last = *reply + strlen(*reply);
	if (last > *reply && last[-1] == '\n')
		last--;
	while (last > *reply && last[-1] != '\n')
		last--;
	if (strncmp(last, "ok", 2) == 0)
		return 0;
	if (strncmp(last, "error: ", 7) == 0)
		return 1;
	return -1;
}

char *sp_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, len = 0, n;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (len + 1 == cap) {
			char *b = realloc(buf, cap * 2);

			if (!b) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = b;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

int sp_run(const char *const *argv, char **out, char **err, unsigned timeout_ms)
{
	char dir[] = "/tmp/fbhost-sp-run-XXXXXX";
	char outp[64], errp[64];
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;

	if (!mkdtemp(dir))
		return -1;
	snprintf(outp, sizeof(outp), "%s/out", dir);
	snprintf(errp, sizeof(errp), "%s/err", dir);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc == 0) {
		rc = sp_wait(pid, timeout_ms);
		if (rc < 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
	} else {
		rc = -1;
	}
	if (out)
		*out = sp_read_file(outp);
	if (err)
		*err = sp_read_file(errp);
	unlink(outp);
	unlink(errp);
	rmdir(dir);
	return rc;
}

/* Output of a program on a terminal that sp_run_tty keeps; the rest is
 * read and dropped. */
#define SP_TTY_OUT_MAX 65536u
/* Environment entries sp_run_tty passes on, at most. */
#define SP_TTY_ENV_MAX 1024u

/* Whether environment entry e ("NAME=value") has the name of one of env's. */
static bool sp_env_replaced(const char *e, const char *const *env)
{
	for (size_t i = 0; env && env[i]; i++) {
		size_t n = strcspn(env[i], "=");

		if (!strncmp(e, env[i], n) && e[n] == '=')
			return true;
	}
	return false;
}

/* Starts argv with envp in a new session on the terminal slave (stdin,
 * stdout, stderr): its pid, or -1. */
static pid_t sp_spawn_on_tty(const char *const *argv, const char *const *envp, const char *slave)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	pid_t pid;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, slave, O_RDWR, 0);
	posix_spawn_file_actions_adddup2(&fa, 0, 1);
	posix_spawn_file_actions_adddup2(&fa, 0, 2);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
	rc = posix_spawn(&pid, argv[0], &fa, &attr, (char *const *)argv, (char *const *)envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return rc == 0 ? pid : -1;
}

int sp_run_tty(const char *const *argv, const char *const *env, const char *prompt,
	       const char *answer, char **out, unsigned timeout_ms)
{
	const char *envp[SP_TTY_ENV_MAX + 1];
	uint64_t end = sp_now_ms() + timeout_ms;
	bool typed = !answer, exited = false;
	char slave[64], *buf = malloc(SP_TTY_OUT_MAX), drop[4096];
	size_t n = 0, len = 0;
	int master, rc = -1, st;
	pid_t pid;

	if (out)
		*out = NULL;
	if (!buf)
		return -1;
	buf[0] = '\0';
	for (size_t i = 0; environ[i] && n < SP_TTY_ENV_MAX; i++)
		if (!sp_env_replaced(environ[i], env))
			envp[n++] = environ[i];
	for (size_t i = 0; env && env[i] && n < SP_TTY_ENV_MAX; i++)
		envp[n++] = env[i];
	envp[n] = NULL;
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		goto fail_openpt;
	if (grantpt(master) || unlockpt(master) || ptsname_r(master, slave, sizeof(slave)))
		goto fail_spawn;
	pid = sp_spawn_on_tty(argv, envp, slave);
	if (pid < 0)
		goto fail_spawn;
	/* Until it has exited and its output is read (read fails once no
	 * process has the terminal open). */
	for (;;) {
		struct pollfd pfd = { .fd = master, .events = POLLIN };
		struct termios t;
		ssize_t got = 0;

		if (poll(&pfd, 1, SP_POLL_STEP_MS) > 0) {
			if (len + 1 < SP_TTY_OUT_MAX)
				got = read(master, buf + len, SP_TTY_OUT_MAX - 1 - len);
			else
				got = read(master, drop, sizeof(drop));
			if (got > 0 && len + 1 < SP_TTY_OUT_MAX) {
				len += (size_t)got;
				buf[len] = '\0';
			}
		}
		if (!typed && strstr(buf, prompt) && tcgetattr(master, &t) == 0 &&
		    !(t.c_lflag & ECHO)) {
			typed = true;
			if (write(master, answer, strlen(answer)) < 0 ||
			    write(master, "\n", 1) != 1)
				end = 0; /* stop it below */
		}
		if (!exited && waitpid(pid, &st, WNOHANG) == pid) {
			exited = true;
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		if (exited && got <= 0)
			break;
		if (sp_now_ms() > end) {
			if (!exited) {
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
			}
			rc = -1;
			break;
		}
	}
	close(master);
	if (out)
		*out = buf;
	else
		free(buf);
	return rc;

fail_spawn:
	close(master);
fail_openpt:
	free(buf);
	return -1;
}

/* Servers started and not stopped yet: killed at exit, so that a failing
 * test (cmocka jumps out of it) leaves no process behind. Touched by the
 * test thread only. */
#define SP_MAX_LIVE 16
static pid_t sp_live[SP_MAX_LIVE];

static void sp_kill_leftovers(void)
{
	unsigned i;

	for (i = 0; i < SP_MAX_LIVE; i++)
		if (sp_live[i] > 0) {
			kill(sp_live[i], SIGKILL);
			waitpid(sp_live[i], NULL, 0);
			sp_live[i] = 0;
		}
}

static void sp_track(pid_t pid, bool live)
{
	static bool registered;
	unsigned i;

	if (!registered) {
		atexit(sp_kill_leftovers);
		registered = true;
	}
	for (i = 0; i < SP_MAX_LIVE; i++)
		if (live ? sp_live[i] == 0 : sp_live[i] == pid) {
			sp_live[i] = live ? pid : 0;
			return;
		}
}

/* Shows the server's stderr and removes its files: -1. */
static int sp_start_failed(struct sp_server *s)
{
	char *e = sp_read_file(s->err);

	fprintf(stderr, "fbhost did not start; stderr:\n%s\n", e ? e : "(none)");
	free(e);
	unlink(s->out);
	unlink(s->err);
	if (!s->default_control)
		unlink(s->sock);
	rmdir(s->dir);
	return -1;
}

int sp_start(struct sp_server *s, const char *const *extra)
{
	const char *argv[SP_MAX_ARGS + 12];
	char tmpl[] = "/tmp/fbhost-sp-XXXXXX";
	posix_spawn_file_actions_t fa;
	uint64_t end;
	unsigned n = 0, i;

	bool default_control = s->default_control, web = s->web;
	char sock[SP_PATH_MAX];

	snprintf(sock, sizeof(sock), "%s", s->sock);
	memset(s, 0, sizeof(*s));
	s->default_control = default_control;
	s->web = web;
	if (!mkdtemp(tmpl))
		return -1;
	snprintf(s->dir, sizeof(s->dir), "%s", tmpl);
	if (default_control)
		snprintf(s->sock, sizeof(s->sock), "%s", sock);
	else
		snprintf(s->sock, sizeof(s->sock), "%s/ctl.sock", tmpl);
	snprintf(s->out, sizeof(s->out), "%s/stdout", tmpl);
	snprintf(s->err, sizeof(s->err), "%s/stderr", tmpl);
	argv[n++] = sp_program("FBHOST_EXE");
	if (!default_control) {
		argv[n++] = "--control";
		argv[n++] = s->sock;
	}
	argv[n++] = "--vnc";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--web";
	argv[n++] = web ? "0" : "none";
	argv[n++] = "--log-level";
	argv[n++] = "info";
	for (i = 0; extra && extra[i] && i < SP_MAX_ARGS; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, s->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, s->err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (posix_spawn(&s->pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return sp_start_failed(s);
	}
	posix_spawn_file_actions_destroy(&fa);
	sp_track(s->pid, true);

	end = sp_now_ms() + SP_START_TIMEOUT_MS;
	while (sp_now_ms() < end) {
		char *reply = NULL;
		int rc;

		if (!sp_alive(s)) {
			sp_track(s->pid, false);
			s->pid = 0;
			return sp_start_failed(s);
		}
		rc = sp_request(s->sock, "list", &reply);
		free(reply);
		if (rc == 0)
			return 0;
		sp_sleep_ms(50);
	}
	/* never leave a server behind */
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	sp_track(s->pid, false);
	s->pid = 0;
	return sp_start_failed(s);
}

bool sp_alive(struct sp_server *s)
{
	return s->pid > 0 && waitpid(s->pid, NULL, WNOHANG) == 0;
}

int sp_stop(struct sp_server *s)
{
	return sp_stop_signal(s, SIGTERM);
}

int sp_stop_signal(struct sp_server *s, int sig)
{
	int rc = -1;

	if (s->pid > 0) {
		sp_track(s->pid, false);
		kill(s->pid, sig);
		rc = sp_wait(s->pid, SP_STOP_TIMEOUT_MS);
		if (rc < 0 && waitpid(s->pid, NULL, WNOHANG) == 0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
		}
		s->pid = 0;
	}
	s->sock_left = access(s->sock, F_OK) == 0;
	if (rc != 0) {
		char *e = sp_read_file(s->err);

		fprintf(stderr, "fbhost stderr:\n%s\n", e ? e : "(none)");
		free(e);
	}
	unlink(s->out);
	unlink(s->err);
	unlink(s->sock);
	rmdir(s->dir);
	return rc;
}

int sp_vnc_port(struct sp_server *s, unsigned id)
{
	char *reply = NULL, *line;
	int port = -1;

	if (sp_request(s->sock, "list", &reply) != 0) {
		free(reply);
		return -1;
	}
	for (line = reply; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned lid;
		char *v;

		if (sscanf(line, "%u ", &lid) == 1 && lid == id && (v = strstr(line, "vnc=")) &&
		    (v = strchr(v, ':')))
			port = atoi(v + 1);
	}
	free(reply);
	return port;
}
