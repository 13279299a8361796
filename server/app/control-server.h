/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/app/control-server.h - the control socket's transport: a Unix
 * stream socket (mode 0600, owner only) with an accept thread, and one
 * thread per connection, so that a slow request (a large screendump) delays
 * only its own connection. Each connection's thread cuts the input into
 * lines, rejects lines that are too long or hold binary data, hands each
 * good line to a handler and sends the handler's reply, which always ends
 * with a line "ok" or "error: ...". See
 * server/app/control-protocol.md. Public prefix: control_.
 */
#ifndef FBHOST_SERVER_CONTROL_SERVER_H
#define FBHOST_SERVER_CONTROL_SERVER_H

#include <stdbool.h>
#include <stddef.h>

/* Longest request line, newline included. Longer lines get one error reply
 * and are skipped up to their newline without being buffered. */
#define CONTROL_LINE_MAX_BYTES 4096u
/* Largest reply; a longer one is replaced by an error. */
#define CONTROL_REPLY_MAX_BYTES (1024u * 1024u)
/* Control connections served at once, a thread each; more are told so and
 * closed. */
#define CONTROL_MAX_CLIENTS 16u
/* A connection idle (no complete request, nothing sent) this long is
 * closed. */
#define CONTROL_IDLE_TIMEOUT_MS 60000u

/* A reply under construction. */
struct control_reply;

/* Appends one line (printf-style, the newline is added). */
void control_reply_line(struct control_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Turns the reply into the single line "error: <msg>" (the lines added so
 * far are dropped). */
void control_reply_error(struct control_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Handles one request line (no newline, NUL-terminated, printable). Runs on
 * the connection's thread, concurrently with other connections' requests:
 * it must be thread-safe. */
typedef void control_handler_fn(void *opaque, const char *line, struct control_reply *r);

/* Answers one request line as a connection does: line holds len bytes
 * without the newline (len < CONTROL_LINE_MAX_BYTES, with room for one more
 * byte; changed in place). *reply gets the malloc'ed reply, *reply_len its
 * length: 0 (and maybe NULL) for an empty line or when out of memory. Calls
 * handler on the caller's thread. For the connections and the fuzz target. */
void control_answer_line(control_handler_fn *handler, void *opaque, char *line, size_t len,
			 char **reply, size_t *reply_len);

struct control_server;

/* Binds path (removing a stale socket left by a dead server; refusing one a
 * live server answers on), makes it 0600 and starts the thread. NULL+errno,
 * with one user-facing line in err. */
struct control_server *control_server_new(const char *path, control_handler_fn *handler,
					  void *opaque, char *err, size_t errlen);
/* Stops the threads (each after the request it is handling, if any), closes
 * every connection and removes the socket file. NULL is a no-op. Not from
 * the handler. */
void control_server_free(struct control_server *cs);

/* The default path: $XDG_RUNTIME_DIR/fbhost.sock if that is set and a
 * directory, else /tmp/fbhost-UID/fbhost.sock (the directory created 0700,
 * and refused unless owned by us with mode 0700). 0 or -errno with err. */
int control_default_path(char *buf, size_t size, char *err, size_t errlen);

#endif
