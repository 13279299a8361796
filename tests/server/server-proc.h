/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/server/server-proc.h - runs the fbhost program (or any command) as a
 * child process for the end-to-end tests, and talks to its control socket.
 * Every wait is bounded. Public prefix: sp_.
 */
#ifndef FBHOST_TESTS_SERVER_PROC_H
#define FBHOST_TESTS_SERVER_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SP_START_TIMEOUT_MS 30000u
#define SP_STOP_TIMEOUT_MS 30000u
#define SP_CTL_TIMEOUT_MS 30000u
#define SP_MAX_ARGS 32u
#define SP_PATH_MAX 256u

/* A running fbhost. */
struct sp_server {
	pid_t pid;
	char dir[SP_PATH_MAX];	/* private temporary directory */
	char sock[SP_PATH_MAX]; /* its control socket */
	char out[SP_PATH_MAX];	/* its stdout and stderr files */
	char err[SP_PATH_MAX];
	bool sock_left; /* set by sp_stop: the socket file outlived the server */
	/* Set before sp_start: no --control (the default path applies) and
	 * sock names where the default is expected. */
	bool default_control;
	/* Set before sp_start: extra web options instead of "--web none". */
	bool web;
};

/* Path of a built program, from the environment variable var. */
const char *sp_program(const char *var);

/* Starts $FBHOST_EXE with --control DIR/ctl.sock --vnc 127.0.0.1:0 --web
 * none (--web 0 if s->web) --log-level info and the extra args
 * (NULL-terminated), then waits until the control socket answers "list".
 * s is zeroed first except default_control, web and (with
 * default_control) sock. 0 or -1. */
int sp_start(struct sp_server *s, const char *const *extra);
/* Sends SIGTERM and waits: the exit status (0..255), or -1 on timeout or
 * a death by signal. Removes the temporary directory. */
int sp_stop(struct sp_server *s);
/* The same with another signal. */
int sp_stop_signal(struct sp_server *s, int sig);
/* Whether the process is still running. */
bool sp_alive(struct sp_server *s);

/* Sends one raw request (len bytes, sent as is) on a new connection, then
 * reads the reply until it closes or the final ok/error line: *reply is
 * malloc'ed and NUL-terminated. 0, or -1 on a connection failure. */
int sp_request_raw(const char *sock, const void *req, size_t len, char **reply);
/* Sends "line\n"; returns 0 for ok, 1 for error:, -1 on failure. */
int sp_request(const char *sock, const char *line, char **reply);

/* Runs argv (NULL-terminated), capturing stdout and stderr (malloc'ed, may
 * be NULL args to discard). Returns the exit status, -1 on timeout/signal. */
int sp_run(const char *const *argv, char **out, char **err, unsigned timeout_ms);

/*
 * Runs argv on a pseudo-terminal (its stdin, stdout and stderr) with the
 * extra "NAME=value" environment entries env (NULL-terminated; NULL for
 * none), which replace inherited ones of the same name. If answer is set,
 * types it and a newline once the output contains prompt and the terminal
 * no longer echoes (a password prompt flushes what came before). *out gets
 * the terminal's output (malloc'ed, may be NULL to discard). Returns the
 * exit status, -1 on timeout/signal.
 */
int sp_run_tty(const char *const *argv, const char *const *env, const char *prompt,
	       const char *answer, char **out, unsigned timeout_ms);
/* A whole file, malloc'ed and NUL-terminated, or NULL. */
char *sp_read_file(const char *path);

/* The VNC port of framebuffer id from "list", or -1. */
int sp_vnc_port(struct sp_server *s, unsigned id);

#endif
