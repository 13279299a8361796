/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * server/guests/qemu/qemu-qmp.h - a minimal client of QEMU's QMP monitor
 * socket: connect, negotiate capabilities, run one command at a time
 * (optionally passing a file descriptor as SCM_RIGHTS, for getfd) and read
 * its reply, skipping asynchronous events. Replies are returned as raw JSON
 * lines; callers look for what they need. Every wait is bounded. Used by the
 * qemu guest for p2p mode and by the tests. Public prefix: qemu_qmp_.
 */
#ifndef FBHOST_GUESTS_QEMU_QMP_H
#define FBHOST_GUESTS_QEMU_QMP_H

#include <stdbool.h>
#include <stddef.h>

/* Longest QMP line kept, in bytes (greeting, replies, events). */
#define QEMU_QMP_LINE_MAX_BYTES 65536u

struct qemu_qmp;

/* Connects to the QMP Unix socket at path, reads the greeting and runs
 * qmp_capabilities, waiting at most timeout_ms in all. NULL+errno, with a
 * one-line reason in err. */
struct qemu_qmp *qemu_qmp_open(const char *path, unsigned timeout_ms, char *err, size_t errlen);
void qemu_qmp_close(struct qemu_qmp *q);
/*
 * Sends one command (a JSON object on one line, without the newline), with
 * fd attached as SCM_RIGHTS when fd >= 0, and waits at most timeout_ms for
 * its reply, which is copied (NUL-terminated, truncated) into reply when
 * reply is not NULL. Events that arrive meanwhile are passed to the event
 * callback (if set). 0 for a "return" reply, -EIO for an "error" reply (its
 * text in reply), -ETIMEDOUT, -ECONNRESET, or another -errno.
 */
int qemu_qmp_command(struct qemu_qmp *q, const char *json, int fd, char *reply, size_t size,
		     unsigned timeout_ms);
/* Waits at most timeout_ms for an event line containing needle (for
 * example "\"event\": \"RESET\""). 0, -ETIMEDOUT or -ECONNRESET. */
int qemu_qmp_wait_event(struct qemu_qmp *q, const char *needle, unsigned timeout_ms);

#endif
